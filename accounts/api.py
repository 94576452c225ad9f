from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from .auth_events import auth_event_record
from .middleware import two_factor_required
from .models import AuthEventKind
from .otp import totp_code_valid_for


class TokenLoginView(ObtainAuthToken):
    """`POST {"username","password","otp"?}` -> `{"token"}`.

    Failed attempts count toward the django-axes lockout (the backend sees the request), the
    endpoint is rate-limited per address (`token` throttle scope), and a user whose role needs
    two factors (TWO_FACTOR_REQUIRED_ROLES) must also send `otp`, a current code from a
    confirmed authenticator: a token then stands for both factors, which is why the session
    middleware does not check API token requests again.
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {
                "username": serializers.CharField(),
                "password": serializers.CharField(),
                "otp": serializers.CharField(
                    required=False, help_text="TOTP code; required for two-factor roles"
                ),
            },
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            # Field errors ({"username": [...]}) or {"non_field_errors": [...]}.
            400: OpenApiTypes.OBJECT,
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if two_factor_required(user):
            code = str(request.data.get("otp") or "")
            if not code or not totp_code_valid_for(user=user, code=code):
                auth_event_record(kind=AuthEventKind.OTP_FAILED, request=request, user=user)
                return Response(
                    {"non_field_errors": [_("A valid two-factor code (otp) is required.")]},
                    status=400,
                )
        token, _created = Token.objects.get_or_create(user=user)
        auth_event_record(kind=AuthEventKind.TOKEN_ISSUED, request=request, user=user)
        return Response({"token": token.key})
