"""Restrictions and consents: validated writes, lifted or revoked, never deleted."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from compliance.models import Consent, ContactRestriction
from compliance.services.outreach import outreach_reserve
from compliance.services.restrictions import (
    consent_record,
    consent_revoke,
    restriction_lift,
    restriction_record,
)
from tests.compliance.gate_helpers import debtor_with_case, local
from tests.factories import ContactPointFactory, DebtFactory

pytestmark = pytest.mark.django_db
NOW = local(2020, 4, 8, 10)


def _codes(result):
    return {r["code"] for r in result.decision.reasons}


def test_dispute_blocks_until_lifted_when_verification_is_sent(team, collector):
    case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    dispute = restriction_record(
        debtor=case.debtor, kind="dispute", actor=collector, effective_at=local(2020, 4, 1)
    )
    assert dispute.ends_at is None
    with time_machine.travel(NOW, tick=False):
        blocked = outreach_reserve(contact_point=cp, channel="call", actor=collector, dry_run=True)
    assert _codes(blocked) == {"DISPUTE_PENDING"}
    assert blocked.decision.next_allowed_at is None
    restriction_lift(restriction_id=dispute.pk, actor=collector, at=local(2020, 4, 7))
    with time_machine.travel(NOW, tick=False):
        assert outreach_reserve(
            contact_point=cp, channel="call", actor=collector, dry_run=True
        ).allowed
    assert ContactRestriction.objects.get().ends_at == local(2020, 4, 7)
    with pytest.raises(ValidationError):
        restriction_lift(restriction_id=dispute.pk, actor=collector, at=local(2020, 4, 8))


def test_dispute_about_one_debt_leaves_the_other_workable(team, collector):
    case, cp, (disputed, other) = debtor_with_case(team=team, assigned_to=collector, debts=2)
    restriction_record(
        debtor=case.debtor,
        kind="dispute",
        actor=collector,
        effective_at=local(2020, 4, 1),
        debts=[disputed],
    )
    with time_machine.travel(NOW, tick=False):
        assert outreach_reserve(
            contact_point=cp, channel="call", actor=collector, debts=[other], dry_run=True
        ).allowed
        assert _codes(
            outreach_reserve(
                contact_point=cp, channel="call", actor=collector, debts=[disputed], dry_run=True
            )
        ) == {"DISPUTE_PENDING"}


def test_restriction_refuses_foreign_contact_point_debts_and_bad_dates(team, collector):
    case, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    stranger_cp = ContactPointFactory()
    stranger_debt = DebtFactory()
    with pytest.raises(ValidationError) as exc:
        restriction_record(
            debtor=case.debtor,
            kind="channel_ban",
            actor=collector,
            effective_at=NOW,
            contact_point=stranger_cp,
            debts=[stranger_debt],
            ends_at=NOW - timedelta(hours=1),
        )
    assert set(exc.value.message_dict) == {"contact_point", "debts", "ends_at"}
    with pytest.raises(ValidationError):
        restriction_record(
            debtor=case.debtor,
            kind="inconvenient_time",
            actor=collector,
            effective_at=NOW,
            weekly_windows=[{"weekday": 9, "start": "09:00", "end": "10:00"}],
        )
    assert not ContactRestriction.objects.exists()


def test_auditor_cannot_record_restrictions_or_consents(team, collector, auditor):
    case, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    with pytest.raises(PermissionDenied):
        restriction_record(debtor=case.debtor, kind="dispute", actor=auditor, effective_at=NOW)
    with pytest.raises(PermissionDenied):
        consent_record(debtor=case.debtor, kind="sms", actor=auditor, given_at=NOW)


def test_revoked_text_consent_stops_texts(team, collector):
    case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    consent = consent_record(
        debtor=case.debtor, kind="sms", actor=collector, given_at=local(2020, 4, 1)
    )
    with time_machine.travel(NOW, tick=False):
        assert outreach_reserve(
            contact_point=cp, channel="sms", actor=collector, dry_run=True
        ).allowed
    consent_revoke(consent_id=consent.pk, actor=collector, at=local(2020, 4, 5))
    with time_machine.travel(NOW, tick=False):
        assert "NO_CHANNEL_CONSENT" in _codes(
            outreach_reserve(contact_point=cp, channel="sms", actor=collector, dry_run=True)
        )
    assert Consent.objects.get().revoked_at == local(2020, 4, 5)
    with pytest.raises(ValidationError):
        consent_revoke(consent_id=consent.pk, actor=collector, at=NOW)


def test_consent_expiry_must_follow_its_start(team, collector):
    case, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    with pytest.raises(ValidationError):
        consent_record(
            debtor=case.debtor, kind="sms", actor=collector, given_at=NOW, expires_at=NOW
        )
    with pytest.raises(ValidationError):
        consent_record(
            debtor=case.debtor, kind="sms", actor=collector, given_at=NOW.replace(tzinfo=None)
        )
    assert not Consent.objects.exists()
