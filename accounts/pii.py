"""Who sees personal data in full, and how it is masked for everyone else."""

from typing import Any

from rest_framework import serializers

VISIBLE_TAIL = 4
MASK = "•"


def mask_national_id(value: str | None) -> str:
    """Keep the last four characters (what a collector asks a caller to confirm), mask the
    rest; short values are masked entirely."""
    if not value:
        return ""
    value = str(value)
    if len(value) < 2 * VISIBLE_TAIL:
        return MASK * len(value)
    return MASK * (len(value) - VISIBLE_TAIL) + value[-VISIBLE_TAIL:]


def national_id_for(user: Any, value: str | None) -> str:
    """The national id as this user may see it."""
    from .permissions import can_see_pii

    return (value or "") if can_see_pii(user) else mask_national_id(value)


class NationalIdField(serializers.CharField):
    """A serializer field that writes the plain value and reads it masked unless the requesting
    user may see personal data (`can_see_pii`)."""

    def to_representation(self, value: Any) -> str:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return national_id_for(user, super().to_representation(value))
