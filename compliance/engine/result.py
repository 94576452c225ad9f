"""Reason codes and result types of the compliance engine (DESIGN section 4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

# Stable reason codes: part of the HTTP API.
OUTSIDE_CONTACT_HOURS = "OUTSIDE_CONTACT_HOURS"
CONSUMER_INCONVENIENT_TIME = "CONSUMER_INCONVENIENT_TIME"
NO_PERMITTED_WINDOW = "NO_PERMITTED_WINDOW"
CALL_FREQUENCY_LIMIT = "CALL_FREQUENCY_LIMIT"
POST_CONVERSATION_WAIT = "POST_CONVERSATION_WAIT"
DAILY_ATTEMPT_LIMIT = "DAILY_ATTEMPT_LIMIT"
DAILY_CONNECTED_CALL_LIMIT = "DAILY_CONNECTED_CALL_LIMIT"
CONTACT_FREQUENCY_LIMIT = "CONTACT_FREQUENCY_LIMIT"
CEASE_COMMUNICATION = "CEASE_COMMUNICATION"
ATTORNEY_REPRESENTED = "ATTORNEY_REPRESENTED"
DISPUTE_PENDING = "DISPUTE_PENDING"
BANKRUPTCY = "BANKRUPTCY"
CHANNEL_OPT_OUT = "CHANNEL_OPT_OUT"
NO_CHANNEL_CONSENT = "NO_CHANNEL_CONSENT"
WORKPLACE_PROHIBITED = "WORKPLACE_PROHIBITED"
EMPLOYER_EMAIL = "EMPLOYER_EMAIL"
THIRD_PARTY_RESTRICTED = "THIRD_PARTY_RESTRICTED"
WRONG_NUMBER = "WRONG_NUMBER"
DO_NOT_CONTACT = "DO_NOT_CONTACT"
DECEASED = "DECEASED"
HOLIDAY = "HOLIDAY"

REASON_CODES = frozenset(
    {
        OUTSIDE_CONTACT_HOURS,
        CONSUMER_INCONVENIENT_TIME,
        NO_PERMITTED_WINDOW,
        CALL_FREQUENCY_LIMIT,
        POST_CONVERSATION_WAIT,
        DAILY_ATTEMPT_LIMIT,
        DAILY_CONNECTED_CALL_LIMIT,
        CONTACT_FREQUENCY_LIMIT,
        CEASE_COMMUNICATION,
        ATTORNEY_REPRESENTED,
        DISPUTE_PENDING,
        BANKRUPTCY,
        CHANNEL_OPT_OUT,
        NO_CHANNEL_CONSENT,
        WORKPLACE_PROHIBITED,
        EMPLOYER_EMAIL,
        THIRD_PARTY_RESTRICTED,
        WRONG_NUMBER,
        DO_NOT_CONTACT,
        DECEASED,
        HOLIDAY,
    }
)

# Soft warnings (they can rebut the presumption of compliance, comment 14(b)(2)(i)-2).
RAPID_REDIAL = "RAPID_REDIAL"
DAILY_NUMBER_VOLUME = "DAILY_NUMBER_VOLUME"
ZONE_UNKNOWN = "ZONE_UNKNOWN"


@dataclass(frozen=True, slots=True)
class Reason:
    """One blocking reason or warning.

    ``permanent`` (not part of the API) says that the passage of time alone cannot lift it:
    only a person can (cease, wrong number, a restriction without an end...). It lets the
    ``next_allowed_at`` search stop at once.
    """

    code: str
    rule: str
    message: str
    permanent: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "rule": self.rule, "message": self.message}


@dataclass(frozen=True, slots=True)
class PackResult:
    """What one pack says. ``window`` is its local hours window [start, end), if it has one."""

    reasons: tuple[Reason, ...] = ()
    warnings: tuple[Reason, ...] = ()
    window: tuple[time, time] | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer for one outreach.

    ``next_allowed_at`` is the earliest instant after ``at`` at which the same outreach (same
    ledger) would pass, or None when it is allowed now, when only a person can lift the block,
    or when nothing passes within the search horizon.
    """

    allowed: bool
    reasons: tuple[Reason, ...]
    warnings: tuple[Reason, ...]
    next_allowed_at: datetime | None
    inputs: dict[str, Any]
