"""Manager API: team figures, escalation requests, bulk reassignment, plan decisions.

Roles: escalation requests come from collectors and managers; the rest is for managers and
admins (403 for other roles). Objects outside the caller's scope answer 404; auditors never
write (403).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsRole, ReadOnlyForAuditors
from collections_app.models import Case, PlanStatus, RepaymentPlan
from manager import selectors
from manager.models import EscalationRequest
from manager.services.allocation import cases_reassign
from manager.services.approvals import plan_decide
from manager.services.escalation import escalation_request


class IsManager(IsRole):
    roles = ("manager", "admin")


class CanWork(IsRole):
    roles = ("collector", "manager", "admin")


def _validation(exc: DjangoValidationError) -> ValidationError:
    detail: Any = exc.message_dict if hasattr(exc, "message_dict") else exc.messages
    return ValidationError(detail)


class PeriodQuery(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    team = serializers.IntegerField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError("end is before start")
        return attrs


class CollectorFiguresSerializer(serializers.Serializer):
    collector = serializers.CharField(source="collector.username")
    team = serializers.CharField(source="collector.team.name", default=None)
    active_cases = serializers.IntegerField()
    capacity = serializers.IntegerField()
    attempts_today = serializers.IntegerField()
    attempts_week = serializers.IntegerField()
    rpc_today = serializers.IntegerField()
    rpc_week = serializers.IntegerField()
    attempts = serializers.IntegerField()
    rpc = serializers.IntegerField()
    contact_rate = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
    promises = serializers.IntegerField()
    promise_rate = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
    promised_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    promises_kept = serializers.IntegerField()
    promises_broken = serializers.IntegerField()
    kept_rate = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
    collected = serializers.DecimalField(max_digits=14, decimal_places=2)
    target = serializers.DecimalField(max_digits=14, decimal_places=2)
    blocks = serializers.IntegerField()
    flagged = serializers.IntegerField()


class TeamFiguresSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    collectors = CollectorFiguresSerializer(many=True)


class TeamFiguresView(APIView):
    permission_classes = [IsAuthenticated, IsManager]

    @extend_schema(parameters=[PeriodQuery], responses=TeamFiguresSerializer)
    def get(self, request: Request) -> Response:
        query = PeriodQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = timezone.localdate()
        default = selectors.month_to_date(today)
        period = selectors.DateRange(
            start=query.validated_data.get("start", default.start),
            end=query.validated_data.get("end", default.end),
        )
        rows = selectors.team_figures(
            user=request.user, period=period, today=today, team_id=query.validated_data.get("team")
        )
        return Response(
            {
                "start": period.start,
                "end": period.end,
                "collectors": CollectorFiguresSerializer(rows, many=True).data,
            }
        )


class EscalationRequestSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id")

    class Meta:
        model = EscalationRequest
        fields = ["id", "case", "kind", "reason", "status", "requested_at", "decided_at"]
        read_only_fields = ["id", "status", "requested_at", "decided_at"]


class EscalationRequestView(APIView):
    permission_classes = [IsAuthenticated, ReadOnlyForAuditors, CanWork]

    @extend_schema(
        request=EscalationRequestSerializer, responses={201: EscalationRequestSerializer}
    )
    def post(self, request: Request) -> Response:
        data = EscalationRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = get_object_or_404(
            Case.objects.visible_to(request.user), pk=data.validated_data["case_id"]
        )
        try:
            req = escalation_request(
                case_id=case.pk,
                kind=data.validated_data["kind"],
                actor=request.user,
                reason=data.validated_data["reason"],
            )
        except DjangoValidationError as exc:
            raise _validation(exc) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(EscalationRequestSerializer(req).data, status=status.HTTP_201_CREATED)


class ReassignSerializer(serializers.Serializer):
    cases = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    to_user = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(max_length=200)


class ReassignView(APIView):
    permission_classes = [IsAuthenticated, ReadOnlyForAuditors, IsManager]

    @extend_schema(request=ReassignSerializer, responses={200: None})
    def post(self, request: Request) -> Response:
        body = ReassignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = set(body.validated_data["cases"])
        if Case.objects.visible_to(request.user).filter(pk__in=ids).count() != len(ids):
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        to_user = None
        if body.validated_data["to_user"] is not None:
            to_user = get_object_or_404(
                selectors.collectors_for(request.user), pk=body.validated_data["to_user"]
            )
        try:
            n = cases_reassign(
                case_ids=list(ids),
                to_user=to_user,
                actor=request.user,
                reason=body.validated_data["reason"],
            )
        except DjangoValidationError as exc:
            raise _validation(exc) from exc
        return Response({"reassigned": n})


class PlanDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PlanDecisionView(APIView):
    permission_classes = [IsAuthenticated, ReadOnlyForAuditors, IsManager]

    @extend_schema(request=PlanDecisionSerializer, responses={200: None})
    def post(self, request: Request, plan_id: int) -> Response:
        plan = get_object_or_404(
            RepaymentPlan.objects.visible_to(request.user).filter(
                status=PlanStatus.PENDING_APPROVAL
            ),
            pk=plan_id,
        )
        body = PlanDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            plan = plan_decide(
                plan_id=plan.pk,
                actor=request.user,
                approve=body.validated_data["decision"] == "approve",
                reason=body.validated_data["reason"],
            )
        except DjangoValidationError as exc:
            raise _validation(exc) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response({"id": plan.pk, "status": plan.status})
