"""API v1 views: parse, call one service or selector, render. Scope decides what exists."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ReadOnlyForAuditors
from collections_app.api import intake
from collections_app.api.scope import (
    contact_points_in_scope,
    debtors_in_scope,
    debtors_writable,
    debts_in_scope,
)
from collections_app.filters import ContactAttemptFilter, DebtorFilter
from collections_app.models import Case, ContactAttempt, ContactPoint, Debt, Debtor
from collections_app.serializers import (
    AttemptCreateSerializer,
    AttemptImportSerializer,
    AttemptOutcomeSerializer,
    CaseSerializer,
    ContactAttemptSerializer,
    ContactPointSerializer,
    DebtorSerializer,
    DebtSerializer,
    DecisionSerializer,
    ImportResultSerializer,
    decision_body,
)
from compliance.services.outreach import (
    ImportRowsInvalid,
    attempt_record_outcome,
    attempts_import,
    outreach_reserve,
)


def as_drf_error(exc: DjangoValidationError | DjangoPermissionDenied) -> exceptions.APIException:
    """Service refusals become 400 (field errors) or 403."""
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class ServiceErrorsMixin:
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoValidationError | DjangoPermissionDenied):
            exc = as_drf_error(exc)
        return super().handle_exception(exc)  # type: ignore[misc]


class DebtorViewSet(
    ServiceErrorsMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Debtors in the caller's scope; `POST` creates one for the caller's team to work."""

    serializer_class = DebtorSerializer
    permission_classes = [ReadOnlyForAuditors]
    lookup_value_regex = r"[0-9]+"
    filterset_class = DebtorFilter

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Debtor.objects.none()
        return debtors_in_scope(self.request.user).order_by("full_name", "id")

    def perform_create(self, serializer: DebtorSerializer) -> None:
        serializer.instance = intake.debtor_create(
            actor=self.request.user, **serializer.validated_data
        )


@extend_schema_view(
    get=extend_schema(summary="Contact points of a debtor"),
    post=extend_schema(summary="Add a contact point (phones normalised to E.164)"),
)
class DebtorContactPointsView(ServiceErrorsMixin, generics.ListCreateAPIView):
    serializer_class = ContactPointSerializer
    permission_classes = [ReadOnlyForAuditors]
    filterset_class = None

    def debtor(self, *, write: bool) -> Any:
        scope = debtors_writable if write else debtors_in_scope
        return get_object_or_404(scope(self.request.user), pk=self.kwargs["debtor_id"])

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return ContactPoint.objects.none()
        return self.debtor(write=False).contact_points.order_by("id")

    def perform_create(self, serializer: ContactPointSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = intake.contact_point_add(
            debtor=self.debtor(write=True),
            actor=self.request.user,
            kind=data["kind"],
            value=data["value"],
            owner=data.get("owner", "debtor"),
            relationship=data.get("relationship", ""),
            is_employer_provided=data.get("is_employer_provided", False),
        )


class DebtViewSet(
    ServiceErrorsMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DebtSerializer
    permission_classes = [ReadOnlyForAuditors]
    lookup_value_regex = r"[0-9]+"
    filterset_fields = ["debtor", "product", "status", "bucket"]

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Debt.objects.none()
        return debts_in_scope(self.request.user).order_by("id")

    def perform_create(self, serializer: DebtSerializer) -> None:
        serializer.instance = intake.debt_create(
            actor=self.request.user, **serializer.validated_data
        )


class CaseViewSet(
    ServiceErrorsMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CaseSerializer
    permission_classes = [ReadOnlyForAuditors]
    lookup_value_regex = r"[0-9]+"
    filterset_fields = ["debtor", "status", "assigned_to", "team"]

    def get_queryset(self) -> QuerySet:
        return (
            Case.objects.visible_to(self.request.user)
            .prefetch_related(Prefetch("debts", queryset=Debt.objects.only("id")))
            .order_by("-priority", "id")
        )

    def perform_create(self, serializer: CaseSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = intake.case_open(
            debtor=data["debtor"],
            debts=data["debts"],
            actor=self.request.user,
            assigned_to=data.get("assigned_to"),
        )


class ContactAttemptViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The contact log (auditors: all of it; others: their scope) and the gate for outreach."""

    serializer_class = ContactAttemptSerializer
    permission_classes = [ReadOnlyForAuditors]
    lookup_value_regex = r"[0-9]+"
    filterset_class = ContactAttemptFilter

    def get_throttles(self) -> list[Any]:
        # Only the gate itself is rate limited (THROTTLE_RATE_COMPLIANCE); reading is not.
        self.throttle_scope = "compliance" if self.action == "create" else ""
        return super().get_throttles()

    def get_queryset(self) -> QuerySet:
        return (
            ContactAttempt.objects.visible_to(self.request.user)
            .select_related("decision")
            .prefetch_related(
                Prefetch("debts", queryset=Debt.objects.only("id")),
                Prefetch("debts_discussed", queryset=Debt.objects.only("id")),
            )
            .order_by("-occurred_at", "-id")
        )

    @extend_schema(
        request=AttemptCreateSerializer,
        responses={
            201: ContactAttemptSerializer,
            409: OpenApiResponse(DecisionSerializer, description=_("Blocked by the gate.")),
        },
        summary="Reserve a live outreach through the compliance gate (server time)",
    )
    def create(self, request: Request) -> Response:
        params = AttemptCreateSerializer(data=request.data, context={"request": request})
        params.is_valid(raise_exception=True)
        data = params.validated_data
        result = outreach_reserve(
            contact_point=data["contact_point"],
            channel=data["channel"],
            debts=data.get("debts"),
            actor=request.user,
            source="live",
            purpose="live",
        )
        if not result.allowed:
            return Response(decision_body(result.decision), status=status.HTTP_409_CONFLICT)
        return Response(
            ContactAttemptSerializer(result.attempt).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=AttemptOutcomeSerializer, responses=ContactAttemptSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        attempt = get_object_or_404(ContactAttempt.objects.writable_by(request.user), pk=pk)
        params = AttemptOutcomeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        attempt = attempt_record_outcome(
            attempt_id=attempt.pk,
            outcome=data["outcome"],
            actor=request.user,
            debts_discussed=data.get("debts_discussed"),
            notes=data.get("notes", ""),
            call_back_at=data.get("call_back_at"),
        )
        return Response(ContactAttemptSerializer(self.get_queryset().get(pk=attempt.pk)).data)


class ContactAttemptImportView(ServiceErrorsMixin, APIView):
    permission_classes = [ReadOnlyForAuditors]

    @extend_schema(
        request=AttemptImportSerializer,
        responses={201: ImportResultSerializer},
        summary="Import historical attempts as facts, flagging those that broke a rule",
    )
    def post(self, request: Request) -> Response:
        params = AttemptImportSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        rows = params.validated_data["attempts"]
        writable = set(
            contact_points_in_scope(request.user, write=True)
            .filter(pk__in={r["contact_point"] for r in rows})
            .values_list("pk", flat=True)
        )
        unknown = {
            str(i): {"contact_point": [_("Unknown contact point.")]}
            for i, r in enumerate(rows)
            if r["contact_point"] not in writable
        }
        if unknown:
            raise exceptions.ValidationError({"attempts": unknown})
        try:
            result = attempts_import(rows=rows, actor=request.user)
        except ImportRowsInvalid as exc:
            raise exceptions.ValidationError(
                {"attempts": {str(i): errs for i, errs in exc.rows.items()}}
            ) from exc
        body = ImportResultSerializer(
            {"created": result.created, "flagged": result.flagged, "skipped": result.skipped}
        )
        return Response(body.data, status=status.HTTP_201_CREATED)
