"""Display helpers for the collector pages: plain-words reasons, local times, money."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.templatetags.tz import do_timezone
from django.utils.translation import gettext_lazy as _

register = template.Library()

# One plain sentence per stable reason code (DESIGN.md section 4), translated.
REASON_TEXT: dict[str, Any] = {
    "OUTSIDE_CONTACT_HOURS": _("It is outside the permitted contact hours where the debtor is."),
    "CONSUMER_INCONVENIENT_TIME": _("The debtor told us this time is inconvenient."),
    "NO_PERMITTED_WINDOW": _(
        "The debtor's possible time zones leave no hour that is permitted in all of them."
    ),
    "CALL_FREQUENCY_LIMIT": _("The limit of calls about this debt in 7 days has been reached."),
    "POST_CONVERSATION_WAIT": _(
        "We spoke with the debtor about this debt recently; wait 7 days after a conversation."
    ),
    "DAILY_ATTEMPT_LIMIT": _("The limit of call attempts to this number today has been reached."),
    "DAILY_CONNECTED_CALL_LIMIT": _("The limit of connected calls today has been reached."),
    "CONTACT_FREQUENCY_LIMIT": _("The limit of contacts across all channels has been reached."),
    "CEASE_COMMUNICATION": _("The debtor asked us in writing to stop communicating."),
    "ATTORNEY_REPRESENTED": _("The debtor is represented by an attorney: contact the attorney."),
    "DISPUTE_PENDING": _("The debt is disputed and not yet verified."),
    "BANKRUPTCY": _("The debtor is in bankruptcy."),
    "CHANNEL_OPT_OUT": _("The debtor opted out of this channel or address."),
    "NO_CHANNEL_CONSENT": _("The debtor has not consented to this channel."),
    "WORKPLACE_PROHIBITED": _("The debtor may not be contacted at work."),
    "EMPLOYER_EMAIL": _("This email address is provided by the employer."),
    "THIRD_PARTY_RESTRICTED": _("Third parties may only be contacted within strict limits."),
    "WRONG_NUMBER": _("This number is marked as a wrong number."),
    "DO_NOT_CONTACT": _("The debtor is on the do-not-contact list."),
    "DECEASED": _("The debtor is deceased: only the estate's representative may be contacted."),
    "HOLIDAY": _("Today is a public holiday where the debtor is."),
    "RAPID_REDIAL": _("This number was called unanswered less than 5 minutes ago."),
    "DAILY_NUMBER_VOLUME": _("This would be the 7th call to this number today."),
    "ZONE_UNKNOWN": _("The debtor's time zone is unknown: UTC was used."),
}

CHANNEL_TEXT: dict[str, Any] = {
    "call": _("Call"),
    "sms": _("SMS"),
    "email": _("Email"),
    "wechat": _("WeChat"),
    "letter": _("Letter"),
    "visit": _("Visit"),
}

ZONE_SOURCE_TEXT: dict[str, Any] = {
    "override": _("verified"),
    "phone_area_code": _("area code"),
    "address_region": _("address"),
    "country_default": _("country"),
}


@register.filter
def reason_text(reason: Any) -> str:
    """A reason dict ({"code","rule","message"}) or a bare code, in plain words."""
    code = reason.get("code", "") if isinstance(reason, dict) else str(reason)
    text = REASON_TEXT.get(code)
    if text is not None:
        return str(text)
    return str(reason.get("message", code)) if isinstance(reason, dict) else code


@register.filter
def channel_text(channel: str) -> str:
    return str(CHANNEL_TEXT.get(channel, channel))


@register.filter
def zone_source_text(source: str) -> str:
    return str(ZONE_SOURCE_TEXT.get(source, source))


@register.filter
def in_zone(value: datetime | None, zone: str) -> datetime | str | None:
    """The instant in `zone`, kept there by the date/time filters (which would otherwise
    convert it back to the collector's zone)."""
    if value is None:
        return None
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError):
        return value
    return do_timezone(value, zone)


@register.filter
def money(value: Decimal | int | float | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"
