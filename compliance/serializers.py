"""API v1 shapes of restrictions, consents, checks and batch eligibility."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from collections_app.api.scope import contact_points_in_scope, debts_in_scope
from collections_app.models import Bucket, CaseStatus, Product
from collections_app.models.attempt import Channel
from collections_app.serializers import AwareDateTimeField, ScopedPrimaryKeyRelatedField
from compliance.models import (
    CaseFilter,
    Consent,
    ConsentKind,
    ContactRestriction,
    RestrictionKind,
)
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


def _ids(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=1000, **kwargs
    )


def _codes(choices: Any, **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices), required=False, max_length=100, **kwargs
    )


class CaseFilterParamsSerializer(serializers.Serializer):
    """A selection of cases; every field narrows it (all of a list's values match), an empty
    filter is every case the caller sees."""

    status = _codes(CaseStatus.choices)
    team = _ids()
    assigned_to = _ids()
    unassigned = serializers.BooleanField(required=False, help_text="true: only cases nobody holds")
    bucket = _codes(Bucket.choices, help_text="cases with an open debt in one of these buckets")
    product = _codes(Product.choices, help_text="cases with an open debt of one of these products")
    country = serializers.ListField(
        child=serializers.RegexField(r"^[A-Z]{2}$"), required=False, max_length=300
    )
    region = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=300
    )


class CaseFilterSerializer(serializers.ModelSerializer):
    params = CaseFilterParamsSerializer()

    class Meta:
        model = CaseFilter
        fields = ["id", "name", "params", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_name(self, value: str) -> str:
        owner = self.context["request"].user
        taken = CaseFilter.objects.filter(owner=owner, name=value.strip())
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(_("You already have a filter of this name."))
        return value.strip()

    def create(self, validated_data: dict[str, Any]) -> CaseFilter:
        return CaseFilter.objects.create(owner=self.context["request"].user, **validated_data)

    def update(self, instance: CaseFilter, validated_data: dict[str, Any]) -> CaseFilter:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        return instance


class EligibilityRequestSerializer(serializers.Serializer):
    """Which cases: a list (`cases`), a saved filter of the caller's (`saved_filter`), or a
    filter given here (`filter`); exactly one. A filter answers at most 1,000 cases per call,
    in case id order from `after`; the answer's `next_after` continues it."""

    cases = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=MAX_ELIGIBILITY_CASES,
        required=False,
    )
    saved_filter = serializers.IntegerField(min_value=1, required=False)
    filter = CaseFilterParamsSerializer(required=False)
    after = serializers.IntegerField(
        min_value=0, required=False, help_text="with a filter: cases with a larger id"
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    at = AwareDateTimeField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [k for k in ("cases", "saved_filter", "filter") if k in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"cases": _("Give exactly one of cases, saved_filter and filter.")}
            )
        if "after" in attrs and "cases" in attrs:
            raise serializers.ValidationError({"after": _("after goes with a filter.")})
        return attrs


class EligibilityRowSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    allowed = serializers.BooleanField()
    codes = serializers.ListField(child=serializers.CharField())
    next_allowed_at = serializers.DateTimeField(allow_null=True)
    contact_point = serializers.IntegerField(allow_null=True)
    valid_until = serializers.DateTimeField(
        allow_null=True,
        help_text="The answer stays the same until this instant unless the debtor's facts "
        "change (null: ask again for a later instant).",
    )


class EligibilityResponseSerializer(serializers.Serializer):
    channel = serializers.CharField()
    at = serializers.DateTimeField()
    results = EligibilityRowSerializer(many=True)
    next_after = serializers.IntegerField(
        allow_null=True,
        help_text="with a filter: pass as `after` for the next cases; null when none are left",
    )
