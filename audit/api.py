"""API of the audit workspace: the contact history (JSON, CSV) and evidence upload."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ReadOnlyForAuditors
from audit import selectors
from audit.exports import history_csv, reason_codes
from audit.forms import HistorySearchForm
from audit.models import Evidence, EvidenceKind
from audit.selectors import HistoryFilters
from audit.services.evidence import evidence_upload
from collections_app.models import Case


class AuditReader(BasePermission):
    """Auditors, admins and managers (their team); anyone else sees no such endpoint (404)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        role = "admin" if user.is_superuser else getattr(user, "role", None)
        if role not in ("auditor", "admin", "manager"):
            raise NotFound
        return True


def _filters(request: Request) -> HistoryFilters:
    params = QueryDict(mutable=True)
    for key, value in request.query_params.items():
        params[{"from": "date_from", "to": "date_to"}.get(key, key)] = value
    if params.get("flagged", "").lower() in ("1", "true", "yes"):
        params["show"] = "flagged"
    form = HistorySearchForm(params, user=request.user)
    if not form.is_valid():
        raise ValidationError(form.errors.get_json_data())
    return form.filters()


def _row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": r["row_kind"],
        "id": r["row_id"],
        "at": r["at"].isoformat() if r["at"] else None,
        "debtor": r["debtor_ref"],
        "debtor_name": r["debtor_name"],
        "case": r["case_ref"],
        "team": r["team_name"],
        "contact_point": r["contact_value"],
        "channel": r["chan"],
        "direction": r["dir"],
        "outcome": r["result"] or None,
        "source": r["origin"],
        "collector": r["actor_name"],
        "flagged": bool(r["is_flagged"]),
        "decision": r["decision_ref"],
        "reasons": reason_codes(r["why"]).split() if r["why"] else [],
    }


class HistoryRowSerializer(serializers.Serializer):
    """One history row (documentation of the response shape)."""

    kind = serializers.ChoiceField(choices=["attempt", "blocked"])
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    debtor = serializers.IntegerField()
    debtor_name = serializers.CharField()
    case = serializers.IntegerField(allow_null=True)
    team = serializers.CharField(allow_null=True)
    contact_point = serializers.CharField(allow_null=True)
    channel = serializers.CharField()
    direction = serializers.CharField()
    outcome = serializers.CharField(allow_null=True)
    source = serializers.CharField()
    collector = serializers.CharField(allow_null=True)
    flagged = serializers.BooleanField()
    decision = serializers.IntegerField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())


HISTORY_PARAMETERS = [
    OpenApiParameter("debtor", str, description="debtor id, or part of the name"),
    OpenApiParameter("collector", int),
    OpenApiParameter("team", int),
    OpenApiParameter("channel", str),
    OpenApiParameter("outcome", str),
    OpenApiParameter("source", str, description="live, reminder, import (blocked: purpose)"),
    OpenApiParameter("show", str, enum=["all", "attempts", "flagged", "blocked"]),
    OpenApiParameter("flagged", bool),
    OpenApiParameter("from", OpenApiTypes.DATE),
    OpenApiParameter("to", OpenApiTypes.DATE),
]


class _Page(serializers.Serializer):
    """The page envelope DRF's PageNumberPagination answers with (for the schema)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class HistoryPageSerializer(_Page):
    results = HistoryRowSerializer(many=True)


class HistoryList(APIView):
    """`GET /api/v1/audit/attempts/?debtor=&collector=&team=&channel=&outcome=&source=
    &show=all|attempts|flagged|blocked&flagged=&from=&to=`: attempts and blocked tries."""

    permission_classes = [IsAuthenticated, AuditReader]

    @extend_schema(parameters=HISTORY_PARAMETERS, responses=HistoryPageSerializer)
    def get(self, request: Request) -> Response:
        qs = selectors.history_search(user=request.user, filters=_filters(request))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([_row(r) for r in page or []])


class HistoryExport(APIView):
    """The same rows as CSV, streamed."""

    permission_classes = [IsAuthenticated, AuditReader]

    @extend_schema(parameters=HISTORY_PARAMETERS, responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request) -> StreamingHttpResponse:
        qs = selectors.history_search(user=request.user, filters=_filters(request))
        response = StreamingHttpResponse(history_csv(qs), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="contact-history-{stamp}.csv"'
        return response


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = [
            "id",
            "case",
            "attempt",
            "kind",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "description",
            "uploaded_at",
        ]


class EvidencePageSerializer(_Page):
    results = EvidenceSerializer(many=True)


class EvidenceUploadSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    attempt = serializers.IntegerField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=EvidenceKind.choices)
    description = serializers.CharField(required=False, allow_blank=True, max_length=300)
    file = serializers.FileField()


class EvidenceCollection(APIView):
    """`GET ?case=` lists a case's evidence; `POST` (multipart) attaches a file. Auditors: 403
    on POST; a case outside the caller's scope: 404."""

    permission_classes = [IsAuthenticated, ReadOnlyForAuditors]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(parameters=[OpenApiParameter("case", int)], responses=EvidencePageSerializer)
    def get(self, request: Request) -> Response:
        qs = selectors.evidence_for_user(user=request.user)
        case_id = request.query_params.get("case")
        if case_id:
            if not case_id.isdigit():
                raise ValidationError({"case": ["A case id is a number."]})
            qs = qs.filter(case_id=int(case_id))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(EvidenceSerializer(page, many=True).data)

    @extend_schema(request=EvidenceUploadSerializer, responses={201: EvidenceSerializer})
    def post(self, request: Request) -> Response:
        data = EvidenceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not Case.objects.visible_to(request.user).filter(pk=v["case"]).exists():
            raise NotFound
        try:
            evidence = evidence_upload(
                case_id=v["case"],
                actor=request.user,
                kind=v["kind"],
                uploaded_file=v["file"],
                attempt_id=v.get("attempt"),
                description=v.get("description", ""),
            )
        except Case.DoesNotExist as exc:
            raise NotFound from exc
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)
