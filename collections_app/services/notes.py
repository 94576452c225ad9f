"""Notes on a case: append-only free text by the people working it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from collections_app.models import Note

if TYPE_CHECKING:
    from accounts.models import User

NOTE_MAX_LENGTH = 5000


def note_create(*, case_id: int, author: User, body: str) -> Note:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the note before saving it.")})
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"body": _("A note holds at most %(n)s characters.") % {"n": NOTE_MAX_LENGTH}}
        )
    return Note.objects.create(case_id=case_id, author=author, body=body)
