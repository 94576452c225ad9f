"""API v1 shapes of debtors, contact points, debts, cases and the contact log.

Serializers parse and render; the writes happen in services. Ids inside a request body are
looked up in the caller's scope only, so someone else's row reads exactly like a missing one.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from collections_app.api.scope import contact_points_in_scope, debtors_writable, debts_in_scope
from collections_app.models import Case, ContactAttempt, ContactPoint, Debt, Debtor
from collections_app.models.attempt import Channel, Direction, Outcome
from collections_app.models.debtor import ContactPointKind, Owner
from compliance.models import ComplianceDecision

MAX_IMPORT_ROWS = 5000


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset; a time without one is refused rather than guessed."""

    default_error_messages = {"naive": _("Give the time with its UTC offset (ISO 8601).")}

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str):
            parsed = parse_datetime(value.strip())
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id looked up in what the requesting user may write; others read as missing."""

    def __init__(self, *, scope: Any, **kwargs: Any) -> None:
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        return self.scope(self.context["request"].user)


def _user_scope(model_scope: Any) -> Any:
    return lambda user: model_scope(user, write=True)


class DebtorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Debtor
        fields = [
            "id",
            "full_name",
            "country",
            "region",
            "city",
            "postal_code",
            "address",
            "timezone",
            "preferred_language",
            "monthly_income",
            "monthly_expenses",
            "deceased",
            "created_at",
        ]
        read_only_fields = ["id", "deceased", "created_at"]

    def validate_country(self, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise serializers.ValidationError(_("An ISO 3166-1 alpha-2 code, e.g. US or CN."))
        return value

    def validate_timezone(self, value: str) -> str:
        if value and value not in available_timezones():
            raise serializers.ValidationError(_("Not an IANA time zone name."))
        return value


class ZoneSerializer(serializers.Serializer):
    zone = serializers.CharField()
    source = serializers.CharField()


class ContactPointSerializer(serializers.ModelSerializer):
    timezones = ZoneSerializer(many=True, read_only=True)
    kind = serializers.ChoiceField(choices=ContactPointKind.choices)
    owner = serializers.ChoiceField(choices=Owner.choices, default=Owner.DEBTOR)
    relationship = serializers.CharField(required=False, allow_blank=True, default="")
    is_employer_provided = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = ContactPoint
        fields = [
            "id",
            "debtor",
            "kind",
            "value",
            "owner",
            "relationship",
            "is_employer_provided",
            "is_verified",
            "wrong_number",
            "timezones",
        ]
        read_only_fields = ["id", "debtor", "is_verified", "wrong_number", "timezones"]
        # Uniqueness is checked by the service after the phone is normalised.
        validators: list[Any] = []


class DebtSerializer(serializers.ModelSerializer):
    debtor = ScopedPrimaryKeyRelatedField(scope=debtors_writable)
    days_past_due = serializers.IntegerField(min_value=0, required=False, default=0)
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)

    class Meta:
        model = Debt
        fields = [
            "id",
            "debtor",
            "creditor",
            "account_number",
            "product",
            "currency",
            "principal",
            "balance",
            "days_past_due",
            "bucket",
            "status",
        ]
        read_only_fields = ["id", "principal", "bucket", "status"]
        validators: list[Any] = []

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise serializers.ValidationError(_("An ISO 4217 code, e.g. USD or CNY."))
        return value


class CaseSerializer(serializers.ModelSerializer):
    debtor = ScopedPrimaryKeyRelatedField(scope=debtors_writable)
    debts = ScopedPrimaryKeyRelatedField(scope=_user_scope(debts_in_scope), many=True)
    assigned_to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "debtor",
            "debts",
            "team",
            "assigned_to",
            "status",
            "priority",
            "next_action_at",
            "opened_at",
        ]
        read_only_fields = ["id", "team", "status", "priority", "next_action_at", "opened_at"]


class DecisionSerializer(serializers.Serializer):
    """The gate's answer: the body of a check, of a 409, and the `decision` of an attempt."""

    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    warnings = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    next_allowed_at = serializers.DateTimeField(allow_null=True)
    decision_id = serializers.IntegerField()


def decision_body(decision: ComplianceDecision) -> dict[str, Any]:
    return DecisionSerializer(
        {
            "allowed": decision.allowed,
            "reasons": decision.reasons,
            "warnings": decision.warnings,
            "next_allowed_at": decision.next_allowed_at,
            "decision_id": decision.pk,
        }
    ).data


class ContactAttemptSerializer(serializers.ModelSerializer):
    debts = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    debts_discussed = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    decision = serializers.SerializerMethodField()

    class Meta:
        model = ContactAttempt
        fields = [
            "id",
            "case",
            "debtor",
            "contact_point",
            "person",
            "channel",
            "direction",
            "debts",
            "debts_discussed",
            "occurred_at",
            "status",
            "outcome",
            "outcome_recorded_at",
            "actor",
            "source",
            "flagged",
            "flag_reasons",
            "notes",
            "corrects",
            "decision",
        ]
        read_only_fields = fields

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, obj: ContactAttempt) -> dict[str, Any] | None:
        return decision_body(obj.decision) if obj.decision_id else None


class AttemptCreateSerializer(serializers.Serializer):
    contact_point = ScopedPrimaryKeyRelatedField(scope=_user_scope(contact_points_in_scope))
    channel = serializers.ChoiceField(choices=Channel.choices)
    debts = ScopedPrimaryKeyRelatedField(
        scope=_user_scope(debts_in_scope), many=True, required=False
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        cp = attrs["contact_point"]
        if any(d.debtor_id != cp.debtor_id for d in attrs.get("debts", ())):
            raise serializers.ValidationError(
                {"debts": _("Every debt must belong to the contact point's debtor.")}
            )
        return attrs


class AttemptOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    debts_discussed = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    call_back_at = AwareDateTimeField(required=False, allow_null=True)


class ImportRowSerializer(serializers.Serializer):
    contact_point = serializers.IntegerField(min_value=1)
    channel = serializers.ChoiceField(choices=Channel.choices)
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.OUTBOUND)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    occurred_at = AwareDateTimeField()
    debts = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    external_reference = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100
    )


class AttemptImportSerializer(serializers.Serializer):
    attempts = ImportRowSerializer(many=True, allow_empty=False, max_length=MAX_IMPORT_ROWS)


class ImportFlagSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    flagged = ImportFlagSerializer(many=True)
    skipped = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=_("Rows whose external reference was already imported (nothing changed)."),
    )
