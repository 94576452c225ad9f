"""API v1 shapes of restrictions, consents, checks and batch eligibility."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from collections_app.api.scope import contact_points_in_scope, debts_in_scope
from collections_app.models.attempt import Channel
from collections_app.serializers import AwareDateTimeField, ScopedPrimaryKeyRelatedField
from compliance.models import Consent, ConsentKind, ContactRestriction, RestrictionKind
from compliance.services.restrictions import weekly_windows_normalise

MAX_ELIGIBILITY_CASES = 1000


def _writable_debts(user: Any) -> Any:
    return debts_in_scope(user, write=True)


def _writable_contact_points(user: Any) -> Any:
    return contact_points_in_scope(user, write=True)


class WeeklyWindowSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday")
    start = serializers.RegexField(r"^([01]\d|2[0-3]):[0-5]\d$", help_text="HH:MM local")
    end = serializers.RegexField(r"^([01]\d|2[0-3]):[0-5]\d$", help_text="HH:MM local")


class RestrictionSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=RestrictionKind.choices)
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, allow_blank=True, default=""
    )
    contact_point = ScopedPrimaryKeyRelatedField(
        scope=_writable_contact_points, required=False, allow_null=True
    )
    debts = ScopedPrimaryKeyRelatedField(scope=_writable_debts, many=True, required=False)
    effective_at = AwareDateTimeField()
    ends_at = AwareDateTimeField(required=False, allow_null=True)
    weekly_windows = WeeklyWindowSerializer(many=True, required=False)

    class Meta:
        model = ContactRestriction
        fields = [
            "id",
            "debtor",
            "kind",
            "channel",
            "contact_point",
            "debts",
            "effective_at",
            "ends_at",
            "weekly_windows",
            "place",
            "source_document",
            "notes",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["id", "debtor", "recorded_by", "created_at"]

    def validate_weekly_windows(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            return weekly_windows_normalise(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class ConsentSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    contact_point = ScopedPrimaryKeyRelatedField(
        scope=_writable_contact_points, required=False, allow_null=True
    )
    debts = ScopedPrimaryKeyRelatedField(scope=_writable_debts, many=True, required=False)
    given_at = AwareDateTimeField()
    expires_at = AwareDateTimeField(required=False, allow_null=True)

    class Meta:
        model = Consent
        fields = [
            "id",
            "debtor",
            "kind",
            "contact_point",
            "debts",
            "given_at",
            "expires_at",
            "revoked_at",
            "notes",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["id", "debtor", "revoked_at", "recorded_by", "created_at"]


class CheckRequestSerializer(serializers.Serializer):
    contact_point = ScopedPrimaryKeyRelatedField(scope=_writable_contact_points)
    channel = serializers.ChoiceField(choices=Channel.choices)
    debts = ScopedPrimaryKeyRelatedField(scope=_writable_debts, many=True, required=False)
    at = AwareDateTimeField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        cp = attrs["contact_point"]
        if any(d.debtor_id != cp.debtor_id for d in attrs.get("debts", ())):
            raise serializers.ValidationError(
                {"debts": _("Every debt must belong to the contact point's debtor.")}
            )
        return attrs


class EligibilityRequestSerializer(serializers.Serializer):
    cases = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=MAX_ELIGIBILITY_CASES,
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    at = AwareDateTimeField(required=False, allow_null=True)


class EligibilityRowSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    allowed = serializers.BooleanField()
    codes = serializers.ListField(child=serializers.CharField())
    next_allowed_at = serializers.DateTimeField(allow_null=True)
    contact_point = serializers.IntegerField(allow_null=True)


class EligibilityResponseSerializer(serializers.Serializer):
    channel = serializers.CharField()
    at = serializers.DateTimeField()
    results = EligibilityRowSerializer(many=True)
