"""Display labels for the codes the history rows carry (the rows are plain values)."""

from django import template

from collections_app.models import Channel, Outcome, Source
from compliance.models import Purpose

register = template.Library()

_LABELS = {
    "channel": dict(Channel.choices),
    "outcome": dict(Outcome.choices),
    "source": {**dict(Purpose.choices), **dict(Source.choices)},
}


@register.filter
def code_label(value: str, vocabulary: str) -> str:
    """`{{ row.chan|code_label:"channel" }}`: the translated label, or the code if unknown."""
    if not value:
        return ""
    return str(_LABELS.get(vocabulary, {}).get(value, value))
