"""Backends for the embedded runtime and tests: console, one file per message, memory."""

from __future__ import annotations

import json
import sys
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from . import OutgoingMessage

# Messages "sent" through the locmem backend, like django.core.mail.outbox.
outbox: list[OutgoingMessage] = []
_outbox_lock = threading.Lock()


class _LocalBackend:
    idempotent = False

    def __init__(self, *, channel: str, prefix: str) -> None:
        self.channel = channel
        self.prefix = prefix

    def _record(self, message: OutgoingMessage, message_id: str) -> str:
        return json.dumps(
            {
                "id": message_id,
                "at": timezone.now().isoformat(),
                "channel": message.channel,
                "to": message.to,
                "subject": message.subject,
                "body": message.body,
                "idempotency_key": message.idempotency_key,
            },
            ensure_ascii=False,
            indent=2,
        )


class ConsoleBackend(_LocalBackend):
    def send(self, message: OutgoingMessage) -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        sys.stdout.write(self._record(message, message_id) + "\n")
        sys.stdout.flush()
        return message_id


class FileBackend(_LocalBackend):
    """One JSON file per message under <CHANNEL>_FILE_PATH (a directory)."""

    def send(self, message: OutgoingMessage) -> str:
        folder = Path(getattr(settings, f"{self.prefix}_FILE_PATH"))
        folder.mkdir(parents=True, exist_ok=True)
        message_id = f"file-{uuid.uuid4().hex}"
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"{stamp}-{message_id}.json"
        path.write_text(self._record(message, message_id), encoding="utf-8")
        return message_id


class LocmemBackend(_LocalBackend):
    def send(self, message: OutgoingMessage) -> str:
        with _outbox_lock:
            outbox.append(message)
        return f"locmem-{uuid.uuid4().hex}"
