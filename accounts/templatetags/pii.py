"""`{% load pii %}` then `{{ debtor.national_id|national_id_for:request.user }}` (masked unless
the user may see it) or `{{ value|mask_national_id }}` (always masked)."""

from typing import Any

from django import template

from accounts import pii

register = template.Library()


@register.filter
def mask_national_id(value: str | None) -> str:
    return pii.mask_national_id(value)


@register.filter
def national_id_for(value: str | None, user: Any) -> str:
    return pii.national_id_for(user, value)
