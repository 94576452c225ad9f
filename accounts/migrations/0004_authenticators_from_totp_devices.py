"""Moves every django-otp TOTP device into `Authenticator`, where the secret is encrypted at
rest, and deletes the plain-hex rows. The users keep their authenticator app as it is (same
secret, same drift, same last code used); a session verified with the old device verifies
again once. Reversible: the reverse moves the rows back."""

from django.db import migrations

FIELDS = (
    "user_id",
    "name",
    "confirmed",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "created_at",
    "last_used_at",
    "key",
    "step",
    "t0",
    "digits",
    "tolerance",
    "drift",
    "last_t",
)


def _move(source, target) -> None:  # type: ignore[no-untyped-def]
    for row in source.objects.order_by("pk").iterator():
        moved = target.objects.create(**{f: getattr(row, f) for f in FIELDS})
        # created_at is auto_now_add: keep the enrolment date as it was.
        target.objects.filter(pk=moved.pk).update(created_at=row.created_at)
        row.delete()


def forwards(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _move(apps.get_model("otp_totp", "TOTPDevice"), apps.get_model("accounts", "Authenticator"))


def backwards(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _move(apps.get_model("accounts", "Authenticator"), apps.get_model("otp_totp", "TOTPDevice"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_authenticator"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
