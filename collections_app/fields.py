"""A text field encrypted at rest with Fernet, with key rotation (MultiFernet)."""

import hashlib
import hmac
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    usable = [k for k in keys if k]
    if not usable:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(k.encode()) for k in usable])


def field_cipher() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def blind_index(value: str) -> str:
    """A keyed hash of a normalised value, so an encrypted field can be searched for equality."""
    key = (settings.FIELD_ENCRYPTION_KEYS[0] or settings.SECRET_KEY).encode()
    norm = "".join(value.split()).upper()
    return hmac.new(key, norm.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees plain text."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return field_cipher().encrypt(str(value).encode()).decode()

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        try:
            return field_cipher().decrypt(value.encode()).decode()
        except InvalidToken:
            # Never show ciphertext as if it were data; a key is missing from the list.
            return "<undecryptable>"
