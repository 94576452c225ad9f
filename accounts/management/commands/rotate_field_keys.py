"""Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first (keep the old ones after it), deploy, run this command, then
drop the old keys. Blind indexes (`<field>_index`) are keyed with the first key too, so they
are recomputed in the same update. Rows that no configured key can decrypt are reported and
left untouched; the command then exits with an error.
"""

from typing import Any

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, router, transaction

from collections_app.fields import EncryptedTextField, blind_index, field_cipher


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields with the first FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **opts: Any) -> None:
        cipher = field_cipher()
        failures = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            for field in fields:
                done, bad = self._rotate(model, field, cipher, opts["batch_size"])
                failures += bad
                self.stdout.write(
                    f"{model._meta.label}.{field.name}: {done} re-encrypted, {bad} undecryptable"
                )
        if failures:
            raise CommandError(f"{failures} value(s) could not be decrypted with any key")

    def _rotate(self, model: Any, field: Any, cipher: Any, batch_size: int) -> tuple[int, int]:
        table = connections[router.db_for_write(model)].ops.quote_name(model._meta.db_table)
        column = connections[router.db_for_write(model)].ops.quote_name(field.column)
        pk_column = connections[router.db_for_write(model)].ops.quote_name(model._meta.pk.column)
        index_field = next(
            (f for f in model._meta.concrete_fields if f.name == f"{field.name}_index"), None
        )
        done = bad = 0
        last_pk: Any = None
        while True:
            # Read raw ciphertext: the field would turn undecryptable values into a marker.
            where = f"WHERE {pk_column} > %s " if last_pk is not None else ""
            sql = (
                f"SELECT {pk_column}, {column} FROM {table} {where}"  # noqa: S608 (quoted names)
                f"ORDER BY {pk_column} LIMIT %s"
            )
            params = [last_pk, batch_size] if last_pk is not None else [batch_size]
            with connections[router.db_for_write(model)].cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            if not rows:
                return done, bad
            with transaction.atomic(using=router.db_for_write(model)):
                for pk, token in rows:
                    last_pk = pk
                    if not token:
                        continue
                    try:
                        plain = cipher.decrypt(token.encode()).decode()
                    except InvalidToken:
                        bad += 1
                        self.stderr.write(f"{model._meta.label} {pk}: no key decrypts this value")
                        continue
                    # The field's get_prep_value encrypts with the first key.
                    changes: dict[str, str] = {field.name: plain}
                    if index_field is not None:
                        changes[index_field.name] = blind_index(plain)
                    model._base_manager.filter(pk=pk).update(**changes)
                    done += 1
