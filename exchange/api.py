"""API of the exchange app: upload an import file, follow its batch, read its row errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, parsers, serializers, status, views
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Team
from accounts.permissions import ReadOnlyForAuditors
from exchange import selectors
from exchange.csv_safe import csv_stream
from exchange.forms import ExportForm
from exchange.models import BatchKind, ImportBatch, ImportRowError
from exchange.services.batches import batch_create


class ImportRowErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRowError
        fields = ["row_number", "column", "value", "message"]


class ImportBatchSerializer(serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "kind",
            "team",
            "original_name",
            "valid_only",
            "status",
            "total_rows",
            "processed_rows",
            "percent",
            "error_count",
            "summary",
            "message",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BatchKind.choices)
    file = serializers.FileField()
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False)
    valid_only = serializers.BooleanField(default=False)


class ImportListCreate(generics.ListAPIView):
    """GET: the batches you may see. POST (multipart): a file to import; 202 with the batch."""

    permission_classes = [IsAuthenticated, ReadOnlyForAuditors]
    serializer_class = ImportBatchSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self) -> Any:
        return selectors.batch_list_for_user(user=self.request.user)

    @extend_schema(request=ImportUploadSerializer, responses={202: ImportBatchSerializer})
    def post(self, request: Request) -> Response:
        user = request.user
        if not (user.is_manager or user.is_admin_role):
            raise PermissionDenied("Only managers and administrators import files.")
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            batch = batch_create(
                kind=upload.validated_data["kind"],
                upload=upload.validated_data["file"],
                actor=user,
                team=upload.validated_data.get("team"),
                valid_only=upload.validated_data["valid_only"],
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class ImportDetail(generics.RetrieveAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ImportBatchSerializer
    lookup_url_kwarg = "batch_id"

    def get_queryset(self) -> Any:
        return selectors.batch_list_for_user(user=self.request.user)


class ImportErrors(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ImportRowErrorSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ImportRowError.objects.none()
        batch = selectors.batch_get_for_user(
            user=self.request.user, batch_id=self.kwargs["batch_id"]
        )
        return batch.errors.order_by("row_number", "id")


class ExportDownload(views.APIView):
    """GET /api/v1/exports/{kind}/?date_from=&date_to= : the finance export as streamed CSV,
    the same rows and columns as the export page (managers: their teams; auditors, admins:
    everything; collectors 403)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request, kind: str) -> StreamingHttpResponse:
        user = request.user
        if not (user.is_manager or user.sees_everything):
            raise PermissionDenied("Exports are for managers, auditors and administrators.")
        form = ExportForm({**request.query_params.dict(), "kind": kind})
        if not form.is_valid():
            raise ValidationError(form.errors)
        export = selectors.export_for_user(
            user=user,
            kind=form.cleaned_data["kind"],
            start=form.cleaned_data["date_from"],
            end=form.cleaned_data["date_to"],
        )
        response = StreamingHttpResponse(
            csv_stream(export.header, export.rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
