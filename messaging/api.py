"""Provider webhooks: replies (`inbound/`) and delivery receipts (`receipts/`).

Providers are not users: they authenticate with the shared secret MESSAGING_WEBHOOK_TOKEN in
the `X-Webhook-Token` header (compared in constant time). An empty setting refuses every call.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .services.inbound import RECEIPT_STATUSES, inbound_record, receipt_record

TOKEN_HEADER = "X-Webhook-Token"


class HasWebhookToken(BasePermission):
    message = _("A valid webhook token is required.")

    def has_permission(self, request: Any, view: Any) -> bool:
        expected = settings.MESSAGING_WEBHOOK_TOKEN
        given = request.headers.get(TOKEN_HEADER, "")
        return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


CHANNELS = [("sms", "sms"), ("email", "email"), ("wechat", "wechat")]


class InboundSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=CHANNELS)
    message_id = serializers.CharField(max_length=100)
    sender = serializers.CharField(max_length=300)
    text = serializers.CharField(allow_blank=True, max_length=5000)
    received_at = serializers.DateTimeField(required=False)


class InboundAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    duplicate = serializers.BooleanField()
    matched = serializers.BooleanField()
    opt_out = serializers.BooleanField()


class ReceiptSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=CHANNELS)
    message_id = serializers.CharField(max_length=200)
    status = serializers.ChoiceField(choices=sorted((s, s) for s in RECEIPT_STATUSES))
    error = serializers.CharField(required=False, allow_blank=True, max_length=300)
    reported_at = serializers.DateTimeField(required=False)


class ReceiptAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    duplicate = serializers.BooleanField()
    matched = serializers.BooleanField()


TOKEN_PARAMETER = OpenApiParameter(
    TOKEN_HEADER, str, OpenApiParameter.HEADER, required=True, description="MESSAGING_WEBHOOK_TOKEN"
)
REFUSED = OpenApiResponse(description="missing or wrong webhook token")
INVALID = OpenApiResponse(description="invalid body; nothing stored")


class _WebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [HasWebhookToken]


class InboundView(_WebhookView):
    @extend_schema(
        request=InboundSerializer,
        parameters=[TOKEN_PARAMETER],
        auth=[],
        responses={
            201: InboundAnswerSerializer,
            200: OpenApiResponse(InboundAnswerSerializer, description="already recorded"),
            400: INVALID,
            403: REFUSED,
        },
    )
    def post(self, request: Request) -> Response:
        data = InboundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = inbound_record(
            channel=v["channel"],
            provider_message_id=v["message_id"],
            sender=v["sender"],
            body=v["text"],
            received_at=v.get("received_at"),
        )
        message = result.message
        return Response(
            {
                "id": message.pk,
                "duplicate": not result.created,
                "matched": message.contact_point_id is not None,
                "opt_out": message.is_opt_out,
            },
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class ReceiptView(_WebhookView):
    @extend_schema(
        request=ReceiptSerializer,
        parameters=[TOKEN_PARAMETER],
        auth=[],
        responses={
            201: ReceiptAnswerSerializer,
            200: OpenApiResponse(ReceiptAnswerSerializer, description="already recorded"),
            400: INVALID,
            403: REFUSED,
        },
    )
    def post(self, request: Request) -> Response:
        data = ReceiptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = receipt_record(
            channel=v["channel"],
            provider_message_id=v["message_id"],
            status=v["status"],
            error=v.get("error", ""),
            reported_at=v.get("reported_at"),
        )
        return Response(
            {"id": result.receipt.pk, "duplicate": not result.created, "matched": result.matched},
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
