from datetime import datetime

from django import template

from collections_app.models import Debtor
from messaging.services.reminders import debtor_zone

register = template.Library()


@register.filter
def debtor_local(value: datetime | None, debtor: Debtor) -> str:
    """The instant in the debtor's own zone ("2026-11-10 10:00 America/New_York")."""
    if value is None:
        return ""
    zone = debtor_zone(debtor)
    return f"{value.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"
