"""The authenticator's secret is encrypted at rest, verifies like django-otp's TOTP device,
fails closed without its key, and existing TOTP devices move over intact."""

import importlib
import io

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Authenticator

from .otp_helpers import enrolled_device, totp_code

pytestmark = pytest.mark.django_db


def _stored_key(device: Authenticator) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key FROM {Authenticator._meta.db_table} WHERE id = %s", [device.pk])
        return cursor.fetchone()[0]


def test_the_secret_is_not_stored_in_the_clear(collector):
    device = enrolled_device(collector)
    device.refresh_from_db()
    stored = _stored_key(device)
    assert len(device.key) == 40 and bytes.fromhex(device.key)
    assert device.key not in stored
    assert stored.startswith("gAAAA")  # a Fernet token


def test_a_code_from_the_app_verifies_once(collector):
    device = enrolled_device(collector)
    code = totp_code(device)
    assert device.verify_token(code)
    device.refresh_from_db()
    assert not device.verify_token(code)  # replay refused (last_t)


def test_a_wrong_code_is_refused_and_counted(collector):
    device = enrolled_device(collector)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    assert not device.verify_token(wrong)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_without_its_key_the_secret_fails_closed(collector, settings):
    device = enrolled_device(collector)
    settings.FIELD_ENCRYPTION_KEYS = ["Zm9yZ2VkLWtleS1mb3ItYS10ZXN0LW9ubHktMDAwMDA="]
    stranger = Authenticator.objects.get(pk=device.pk)
    with pytest.raises(ImproperlyConfigured):
        stranger.verify_token("123456")


def test_existing_totp_devices_move_over_with_their_secret_and_state(collector, manager):
    old = TOTPDevice.objects.create(user=manager, name="phone", confirmed=True, drift=1, last_t=7)
    code = f"{TOTP(old.bin_key, old.step, old.t0, old.digits, 0).token():06d}"
    migration = importlib.import_module("accounts.migrations.0004_authenticators_from_totp_devices")
    migration.forwards(apps, None)
    assert not TOTPDevice.objects.exists()
    moved = Authenticator.objects.get(user=manager)
    assert (moved.name, moved.confirmed, moved.key, moved.drift, moved.last_t) == (
        "phone",
        True,
        old.key,
        1,
        7,
    )
    assert old.key not in _stored_key(moved)
    assert moved.created_at == old.created_at
    moved.drift = 0
    assert moved.verify_token(code)
    migration.backwards(apps, None)
    assert TOTPDevice.objects.get(user=manager).key == old.key
    assert not Authenticator.objects.exists()


def test_the_admin_lists_authenticators_without_their_secret(client, admin_user, collector):
    device = enrolled_device(collector)
    device.refresh_from_db()
    client.force_login(admin_user)
    page = client.get(f"/admin/accounts/authenticator/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key.encode() not in page.content
    assert client.get("/admin/accounts/authenticator/add/").status_code == 403
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_key_rotation_reencrypts_the_secret_and_the_app_keeps_working(collector, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    device = enrolled_device(collector)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "accounts.Authenticator.key: 1 re-encrypted, 0 undecryptable" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key dropped
    Fernet(new_key.encode()).decrypt(_stored_key(device).encode())
    device = Authenticator.objects.get(pk=device.pk)
    assert device.verify_token(totp_code(device))
