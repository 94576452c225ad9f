"""SMS and WeChat through an HTTP gateway.

POST <CHANNEL>_GATEWAY_URL with JSON {"to", "body", "reference"}, `Authorization: Bearer
<CHANNEL>_GATEWAY_TOKEN` and `Idempotency-Key`; the gateway answers 2xx with {"id": ...}.
Timeouts, connection errors and 5xx are retried with exponential backoff
(MESSAGING_GATEWAY_RETRIES, MESSAGING_GATEWAY_BACKOFF); 4xx is a refusal and never retried.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request

from django.conf import settings

from . import OutgoingMessage, PermanentSendError, TransientSendError

log = logging.getLogger(__name__)


class HttpGatewayBackend:
    # The gateway keys messages on Idempotency-Key, so a resend after a crash is dropped there.
    idempotent = True

    def __init__(self, *, channel: str, prefix: str) -> None:
        self.channel = channel
        self.url = getattr(settings, f"{prefix}_GATEWAY_URL")
        self.token = getattr(settings, f"{prefix}_GATEWAY_TOKEN")
        self.timeout = settings.MESSAGING_GATEWAY_TIMEOUT
        self.retries = settings.MESSAGING_GATEWAY_RETRIES
        self.backoff = settings.MESSAGING_GATEWAY_BACKOFF
        if not self.url.startswith(("http://", "https://")):
            raise PermanentSendError(f"{prefix}_GATEWAY_URL is not an http(s) URL")

    def send(self, message: OutgoingMessage) -> str:
        payload = json.dumps(
            {"to": message.to, "body": message.body, "reference": message.idempotency_key}
        ).encode()
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                return self._post(payload, message.idempotency_key)
            except TransientSendError as exc:
                last_error = str(exc)
                log.warning("%s gateway try %s failed: %s", self.channel, attempt + 1, exc)
        raise TransientSendError(f"{last_error} (after {self.retries + 1} tries)")

    def _post(self, payload: bytes, key: str) -> str:
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in __init__)
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode(errors="replace")
            if exc.code >= 500:
                raise TransientSendError(f"HTTP {exc.code}: {detail}") from exc
            raise PermanentSendError(f"HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransientSendError(f"gateway unreachable: {exc}") from exc
        try:
            return str(json.loads(body or b"{}").get("id", ""))
        except (ValueError, AttributeError):
            return ""
