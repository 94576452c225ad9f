"""National ids: encrypted, indexed, masked for collectors, rotated to a new key."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.template import Context, Template
from django.test import override_settings
from rest_framework import serializers

from accounts.permissions import can_see_pii
from accounts.pii import NationalIdField, mask_national_id
from accounts.services import debtor_find_by_national_id, debtor_set_national_id
from collections_app.models import Debtor
from tests.factories import CaseFactory, DebtorFactory

NATIONAL_ID = "110101199003077777"
OLD_KEY = "mFq2xH3o2cXbQ9y0wY8a7r1lK6tZ5sV4uN3pJ2iH1gE="


def raw_national_id(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT national_id FROM collections_app_debtor WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_masking_keeps_only_the_last_four():
    assert mask_national_id(NATIONAL_ID) == "•" * 14 + "7777"
    assert mask_national_id("1234567") == "•••••••"
    assert mask_national_id("") == ""
    assert mask_national_id(None) == ""


@pytest.mark.django_db
def test_who_sees_national_ids_in_full(collector, manager, auditor, admin_user):
    from django.contrib.auth.models import AnonymousUser

    assert not can_see_pii(collector)
    assert not can_see_pii(AnonymousUser())
    assert can_see_pii(manager)
    assert can_see_pii(auditor)
    assert can_see_pii(admin_user)


@pytest.mark.django_db
def test_template_filter_masks_for_collectors(collector, auditor):
    template = Template("{% load pii %}{{ value|national_id_for:user }}")
    assert template.render(Context({"value": NATIONAL_ID, "user": collector})).endswith("7777")
    assert NATIONAL_ID not in template.render(Context({"value": NATIONAL_ID, "user": collector}))
    assert template.render(Context({"value": NATIONAL_ID, "user": auditor})) == NATIONAL_ID


@pytest.mark.django_db
def test_serializer_field_masks_for_collectors(rf, collector, manager):
    class DebtorOut(serializers.Serializer):
        national_id = NationalIdField()

    request = rf.get("/")
    request.user = collector
    assert DebtorOut({"national_id": NATIONAL_ID}, context={"request": request}).data[
        "national_id"
    ] == mask_national_id(NATIONAL_ID)
    request.user = manager
    out = DebtorOut({"national_id": NATIONAL_ID}, context={"request": request}).data
    assert out["national_id"] == NATIONAL_ID


@pytest.mark.django_db
def test_setting_a_national_id_fills_the_blind_index_and_finds_the_debtor(collector, case):
    debtor_set_national_id(debtor_id=case.debtor_id, national_id=NATIONAL_ID, actor=collector)
    case.debtor.refresh_from_db()
    assert case.debtor.national_id == NATIONAL_ID
    assert case.debtor.national_id_index
    assert NATIONAL_ID not in raw_national_id(case.debtor_id)
    assert debtor_find_by_national_id(national_id=" 1101 0119 9003 077777", user=collector) == [
        case.debtor_id
    ]


@pytest.mark.django_db
def test_out_of_scope_or_read_only_users_cannot_set_a_national_id(other_collector, auditor, case):
    for actor in (other_collector, auditor):
        with pytest.raises(Debtor.DoesNotExist):
            debtor_set_national_id(debtor_id=case.debtor_id, national_id="X1", actor=actor)
    case.debtor.refresh_from_db()
    assert case.debtor.national_id == ""


@pytest.mark.django_db
def test_other_teams_cannot_find_a_debtor_by_national_id(other_collector, collector, case):
    debtor_set_national_id(debtor_id=case.debtor_id, national_id=NATIONAL_ID, actor=collector)
    assert debtor_find_by_national_id(national_id=NATIONAL_ID, user=other_collector) == []


@pytest.mark.django_db
def test_rotate_field_keys_reencrypts_with_the_new_first_key(collector):
    new_key = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        debtors = [DebtorFactory() for _ in range(3)]
        for i, debtor in enumerate(debtors):
            debtor_set_national_id(debtor_id=debtor.pk, national_id=f"ID-{i}-55501", actor=None)
        empty = DebtorFactory()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, OLD_KEY]):
        out = io.StringIO()
        call_command("rotate_field_keys", "--batch-size", "2", stdout=out)
        assert "3 re-encrypted, 0 undecryptable" in out.getvalue()
    # Only the new key is needed now; the old one can be dropped.
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        for i, debtor in enumerate(debtors):
            Fernet(new_key.encode()).decrypt(raw_national_id(debtor.pk).encode())
            assert Debtor.objects.get(pk=debtor.pk).national_id == f"ID-{i}-55501"
        CaseFactory(debtor=debtors[1], team=collector.team, assigned_to=collector)
        assert debtor_find_by_national_id(national_id="ID-1-55501", user=collector) == [
            debtors[1].pk
        ]
        assert Debtor.objects.get(pk=empty.pk).national_id == ""


@pytest.mark.django_db
def test_rotate_field_keys_reports_values_no_key_can_read():
    lost_key = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[lost_key]):
        debtor = DebtorFactory(national_id="LOST-1")
    before = raw_national_id(debtor.pk)
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]), pytest.raises(CommandError):
        call_command("rotate_field_keys", stdout=io.StringIO(), stderr=io.StringIO())
    assert raw_national_id(debtor.pk) == before
