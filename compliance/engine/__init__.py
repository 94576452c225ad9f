"""Pure compliance rule engine: plain data in, a decision out. No Django, no ORM, no clock.

Public API::

    from compliance.engine import OutreachContext, evaluate
    decision = evaluate(ctx)
"""

from compliance.engine.context import (
    ConsentInfo,
    ContactPointInfo,
    DebtInfo,
    HouseSettings,
    LedgerEntry,
    OutreachContext,
    RestrictionInfo,
    ZoneSource,
)
from compliance.engine.dispute import assumed_receipt, validation_period_end
from compliance.engine.evaluate import applicable_packs, evaluate
from compliance.engine.result import REASON_CODES, Decision, PackResult, Reason
from compliance.engine.serialize import context_from_dict, context_to_dict, decision_to_dict
from compliance.engine.timezones import (
    resolve_zones,
    zones_for_country,
    zones_for_phone,
    zones_for_region,
)

__all__ = [
    "REASON_CODES",
    "ConsentInfo",
    "ContactPointInfo",
    "DebtInfo",
    "Decision",
    "HouseSettings",
    "LedgerEntry",
    "OutreachContext",
    "PackResult",
    "Reason",
    "RestrictionInfo",
    "ZoneSource",
    "applicable_packs",
    "assumed_receipt",
    "context_from_dict",
    "context_to_dict",
    "decision_to_dict",
    "evaluate",
    "resolve_zones",
    "validation_period_end",
    "zones_for_country",
    "zones_for_phone",
    "zones_for_region",
]
