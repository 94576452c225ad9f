"""Retention: expired evidence is purged and logged; held, young and open-case records stay;
the contact ledger itself is never purged."""

import hashlib
import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile

from audit.models import Evidence, LegalHold, PurgeLog
from audit.services.retention import legal_hold_place, legal_hold_release, retention_purge
from audit.tasks import retention_purge as retention_purge_task
from collections_app.models import ContactAttempt
from tests.factories import CaseFactory, ContactAttemptFactory, DebtorFactory

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "


def _evidence(case, *, kind="recording", at, attempt=None):  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False):
        return Evidence.objects.create(
            case=case,
            attempt=attempt,
            kind=kind,
            file=ContentFile(WAV, name="call.wav"),
            original_name="call.wav",
            content_type="audio/wav",
            size=len(WAV),
            sha256=hashlib.sha256(WAV).hexdigest(),
        )


def _recording(case, *, days_ago: int):  # type: ignore[no-untyped-def]
    at = NOW - timedelta(days=days_ago)
    attempt = ContactAttemptFactory(case=case, occurred_at=at)
    return _evidence(case, at=at, attempt=attempt)


def _purge():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        return retention_purge()


def test_a_us_recording_goes_three_years_after_the_call_and_the_purge_is_logged(
    case, django_capture_on_commit_callbacks
):
    old = _recording(case, days_ago=3 * 365 + 2)
    young = _recording(case, days_ago=3 * 365 - 2)
    path = old.file.path
    with django_capture_on_commit_callbacks(execute=True):
        report = _purge()
    assert (report.purged, report.kept) == (1, 1)
    assert list(Evidence.objects.all()) == [young]
    log = PurgeLog.objects.get()
    assert (log.object_id, log.record_kind, log.jurisdiction, log.sha256) == (
        old.pk,
        "evidence:recording",
        "US",
        old.sha256,
    )
    assert "1006.100" in log.rule
    assert not os.path.exists(path)  # the file went once the deletion was committed
    # The attempt the recording was of stays: the ledger is never purged.
    assert ContactAttempt.objects.filter(pk=old.attempt_id).exists()


def test_a_chinese_recording_goes_after_two_years(other_team):
    debtor = DebtorFactory(country="CN", region="GD", city="Shenzhen", full_name="王小明")
    cn_case = CaseFactory(debtor=debtor, team=other_team)
    _recording(cn_case, days_ago=2 * 365 + 2)
    kept = _recording(cn_case, days_ago=2 * 365 - 2)
    assert _purge().purged == 1
    assert list(Evidence.objects.all()) == [kept]


def test_a_legal_hold_keeps_expired_records_until_released(case, admin_user):
    old = _recording(case, days_ago=4 * 365)
    hold = legal_hold_place(debtor_id=case.debtor_id, actor=admin_user, reason="Litigation")
    report = _purge()
    assert (report.purged, report.held) == (0, 1)
    assert Evidence.objects.filter(pk=old.pk).exists()
    assert not PurgeLog.objects.exists()
    legal_hold_release(hold_id=hold.pk, actor=admin_user)
    assert _purge().purged == 1


def test_a_hold_on_another_case_of_the_debtor_does_not_hold_this_one(case, admin_user, team):
    other = CaseFactory(debtor=case.debtor, team=team)
    _recording(case, days_ago=4 * 365)
    legal_hold_place(debtor_id=case.debtor_id, case_id=other.pk, actor=admin_user, reason="x")
    assert _purge().purged == 1


def test_letters_of_an_open_case_are_kept_and_of_a_closed_case_go_three_years_on(case):
    letter = _evidence(case, kind="letter", at=NOW - timedelta(days=5 * 365))
    assert _purge().purged == 0  # collection activity is still going on
    case.status = "closed"
    case.closed_at = NOW - timedelta(days=3 * 365 + 5)
    case.status_changed_at = case.closed_at
    case.save()
    assert _purge().purged == 1
    assert not Evidence.objects.filter(pk=letter.pk).exists()


def test_recent_activity_on_a_closed_case_restarts_the_clock(case):
    _evidence(case, kind="letter", at=NOW - timedelta(days=5 * 365))
    case.status = "closed"
    case.closed_at = NOW - timedelta(days=4 * 365)
    case.save()
    ContactAttemptFactory(case=case, occurred_at=NOW - timedelta(days=30))
    assert _purge().purged == 0


def test_only_administrators_place_or_release_holds(case, auditor, manager):
    for user in (auditor, manager):
        with pytest.raises(PermissionDenied):
            legal_hold_place(debtor_id=case.debtor_id, actor=user, reason="x")
    assert not LegalHold.objects.exists()


def test_the_task_runs_the_purge_and_is_safe_to_run_twice(case):
    _recording(case, days_ago=4 * 365)
    with time_machine.travel(NOW, tick=False):
        assert retention_purge_task() == {"purged": 1, "held": 0, "kept": 0}
        assert retention_purge_task() == {"purged": 0, "held": 0, "kept": 0}
    assert PurgeLog.objects.count() == 1
