"""Receiving evidence files and handing them out again, checked against their SHA-256."""

from __future__ import annotations

import hashlib
import logging
from pathlib import PurePath
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import Evidence, EvidenceKind
from collections_app.models import Case, ContactAttempt

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger("audit.evidence")

CHUNK = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

# Extension -> (content type, the first bytes a real file of that type starts with).
AUDIO = {
    ".mp3": ("audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    ".wav": ("audio/wav", (b"RIFF",)),
    ".ogg": ("audio/ogg", (b"OggS",)),
    ".m4a": ("audio/mp4", ()),  # ISO base media: "ftyp" at offset 4, checked below
}
DOCUMENTS = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".tif": ("image/tiff", (b"II*\x00", b"MM\x00*")),
    ".tiff": ("image/tiff", (b"II*\x00", b"MM\x00*")),
    ".txt": ("text/plain", ()),
}
ALLOWED = {
    EvidenceKind.RECORDING: AUDIO,
    EvidenceKind.LETTER: DOCUMENTS,
    EvidenceKind.DOCUMENT: DOCUMENTS,
}


class EvidenceIntegrityError(Exception):
    """The stored file is missing or no longer matches the hash taken when it was received."""


def evidence_max_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def _check_type(*, kind: str, name: str, head: bytes) -> str:
    ext = PurePath(name).suffix.lower()
    table = ALLOWED.get(kind)
    if table is None:
        raise ValidationError({"kind": _("Unknown kind of evidence.")})
    if ext not in table:
        allowed = ", ".join(sorted(table))
        message = _("Files of this type are not accepted here. Accepted: %(allowed)s.")
        raise ValidationError({"file": message % {"allowed": allowed}})
    content_type, magics = table[ext]
    if ext == ".m4a":
        ok = head[4:8] == b"ftyp"
    elif ext == ".txt":
        ok = b"\x00" not in head
    else:
        ok = any(head.startswith(m) for m in magics)
    if not ok:
        raise ValidationError({"file": _("The file's content does not match its type.")})
    return content_type


def evidence_upload(
    *,
    case_id: int,
    actor: User,
    kind: str,
    uploaded_file: UploadedFile,
    attempt_id: int | None = None,
    description: str = "",
) -> Evidence:
    """Store a file on a case (and one of its attempts), with its size, type and SHA-256.

    Raises Case.DoesNotExist when the actor may not write to the case (auditors never may)."""
    case = Case.objects.writable_by(actor).get(pk=case_id)
    attempt = None
    if attempt_id is not None:
        attempt = ContactAttempt.objects.filter(pk=attempt_id, case_id=case.pk).first()
        if attempt is None:
            raise ValidationError({"attempt": _("This contact attempt is not on this case.")})
    if uploaded_file.size is None or uploaded_file.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    limit = evidence_max_bytes()
    if uploaded_file.size > limit:
        raise ValidationError(
            {
                "file": _("The file is too large: at most %(mb)s MB.")
                % {"mb": limit // (1024 * 1024)}
            }
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(16)
    name = PurePath(uploaded_file.name or "file").name[:200]
    content_type = _check_type(kind=kind, name=name, head=head)
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks(CHUNK):
        digest.update(chunk)
    uploaded_file.seek(0)
    evidence = Evidence(
        case=case,
        attempt=attempt,
        kind=kind,
        original_name=name,
        content_type=content_type,
        size=uploaded_file.size,
        sha256=digest.hexdigest(),
        description=description[:300],
        uploaded_by=actor,
    )
    with transaction.atomic():
        evidence.file.save(name, uploaded_file, save=False)
        evidence.save()
    return evidence


def file_sha256(fh: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def evidence_open_verified(*, evidence: Evidence, user: User | None = None) -> IO[bytes]:
    """Open the stored file after checking it against the recorded hash; refuse otherwise.

    The file is read twice (hash, then send): evidence is handed to courts, so a changed file
    must never leave the system, and a recording is small enough to read twice."""
    try:
        fh = evidence.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        logger.error(
            "evidence %s missing from storage (%s), requested by %s", evidence.pk, exc, user
        )
        raise EvidenceIntegrityError(_("The stored file is missing.")) from exc
    actual = file_sha256(fh)
    if actual != evidence.sha256:
        fh.close()
        logger.error(
            "evidence %s hash mismatch: recorded %s, stored file %s, requested by %s",
            evidence.pk,
            evidence.sha256,
            actual,
            user,
        )
        raise EvidenceIntegrityError(
            _(
                "The stored file no longer matches the fingerprint taken when it was received. "
                "It has not been sent. The incident has been logged."
            )
        )
    fh.seek(0)
    return fh
