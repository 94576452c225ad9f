"""A shared check for uploaded files: size, extension, declared type and the file's own magic
bytes must all agree with what the caller allows (ASVS V12.1, V12.2)."""

from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# extension -> (content types browsers send, magic-byte prefixes; None = text, checked below)
KNOWN_TYPES: dict[str, tuple[frozenset[str], tuple[bytes, ...] | None]] = {
    "pdf": (frozenset({"application/pdf"}), (b"%PDF-",)),
    "png": (frozenset({"image/png"}), (b"\x89PNG\r\n\x1a\n",)),
    "jpg": (frozenset({"image/jpeg", "image/pjpeg"}), (b"\xff\xd8\xff",)),
    "jpeg": (frozenset({"image/jpeg", "image/pjpeg"}), (b"\xff\xd8\xff",)),
    "xlsx": (
        frozenset(
            {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/zip",
                "application/octet-stream",
            }
        ),
        (b"PK\x03\x04",),
    ),
    "csv": (
        # Tools that do not know the extension (curl, scripts) send octet-stream; the content
        # check below is what decides.
        frozenset(
            {
                "text/csv",
                "text/plain",
                "application/vnd.ms-excel",
                "application/csv",
                "application/octet-stream",
            }
        ),
        None,
    ),
    "txt": (frozenset({"text/plain"}), None),
}
SNIFF_BYTES = 2048


def validate_upload(file: Any, allowed_types: list[str] | tuple[str, ...], max_bytes: int) -> None:
    """Raise ValidationError unless `file` (an UploadedFile) is at most `max_bytes` and one of
    `allowed_types` (extensions such as "pdf", "csv", "xlsx", "png", "jpg", "txt").

    Checks the extension, the declared content type and the leading bytes; text types must be
    UTF-8 without NUL bytes. The file position is restored for the caller."""
    size = getattr(file, "size", None)
    if size is None or size > max_bytes:
        raise ValidationError(
            _("The file is too large (at most %(max)s).") % {"max": filesizeformat(max_bytes)},
            code="file_too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="file_empty")
    extension = PurePath(getattr(file, "name", "") or "").suffix.lower().lstrip(".")
    allowed = {t.lower().lstrip(".") for t in allowed_types}
    if extension not in allowed or extension not in KNOWN_TYPES:
        raise ValidationError(
            _("This type of file is not accepted (allowed: %(types)s).")
            % {"types": ", ".join(sorted(allowed))},
            code="file_type",
        )
    content_types, magic = KNOWN_TYPES[extension]
    declared = (getattr(file, "content_type", "") or "").split(";")[0].strip().lower()
    if declared and declared not in content_types:
        raise ValidationError(
            _("The file's type does not match its name."), code="file_type_mismatch"
        )
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(position)
    if isinstance(head, str):
        head = head.encode()
    if magic is not None:
        if not any(head.startswith(m) for m in magic):
            raise ValidationError(
                _("The file's content does not match its type."), code="file_content_mismatch"
            )
        return
    if b"\x00" in head:
        raise ValidationError(_("The file is not a text file."), code="file_content_mismatch")
    try:
        # A multi-byte character may be cut at the sniff boundary: ignore a short tail.
        head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            raise ValidationError(_("The file is not UTF-8 text."), code="file_encoding") from exc
