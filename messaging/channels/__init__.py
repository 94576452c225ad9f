"""Channel backends: how a text reaches a person by SMS, email or WeChat.

`backend_for(channel)` returns the configured backend. Every backend takes an `OutgoingMessage`
and returns the provider's message id, or raises `PermanentSendError` (the provider refused:
do not retry) or `TransientSendError` (the provider could not be reached: retrying may work).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    to: str
    body: str
    subject: str = ""
    # Unique per message; gateways that honour it drop a second copy of the same message.
    idempotency_key: str = ""


class SendError(Exception):
    """The message was not accepted."""


class PermanentSendError(SendError):
    """Refused by the provider (bad number, bad request): sending again will not help."""


class TransientSendError(SendError):
    """Timeout, connection error or a 5xx: the provider may accept it later."""


class ChannelBackend(Protocol):
    # True when resending the same message (same idempotency key) cannot deliver it twice, so a
    # send interrupted by a crash may be resumed; otherwise it is reported, never repeated.
    idempotent: bool

    def send(self, message: OutgoingMessage) -> str: ...


SHORT_NAMES = {
    "console": "messaging.channels.local.ConsoleBackend",
    "file": "messaging.channels.local.FileBackend",
    "locmem": "messaging.channels.local.LocmemBackend",
    "http": "messaging.channels.gateway.HttpGatewayBackend",
    "smtp": "messaging.channels.email.EmailChannelBackend",
    "email": "messaging.channels.email.EmailChannelBackend",
}


def backend_for(channel: str) -> ChannelBackend:
    if channel == "email":
        from .email import EmailChannelBackend

        return EmailChannelBackend()
    if channel == "sms":
        name, prefix = settings.SMS_BACKEND, "SMS"
    elif channel == "wechat":
        name, prefix = settings.WECHAT_BACKEND, "WECHAT"
    else:
        raise ValueError(f"no message backend for channel {channel!r}")
    cls = import_string(SHORT_NAMES.get(name, name))
    return cls(channel=channel, prefix=prefix)
