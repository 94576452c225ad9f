"""The snapshot read as plain SQL gives exactly what the ORM read gives, and so the same
decisions and the same batch eligibility answers, for debtors of every shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from collections_app.api.intake import contact_point_zones
from collections_app.models import ContactPoint, Debtor
from compliance.engine import decision_to_dict, evaluate, zones_for_phone
from compliance.engine.context import third_party_person
from compliance.engine.lookback import ledger_reduce
from compliance.selectors import (
    NO_CONTACT_POINT,
    EligibilityResult,
    contact_points_for_channel,
    eligibility_by_channel,
)
from compliance.services import context as snapshot_context
from compliance.services.context import (
    CHANNEL_KINDS,
    DEBTOR_FIELDS,
    LEDGER_DAYS,
    context_build,
    load_sql,
    person_zones,
    snapshots_load,
    snapshots_load_orm,
)
from compliance.services.house import house_policy_cache_clear, house_policy_for_engine
from tests.factories import (
    CaseFactory,
    ConsentFactory,
    ContactAttemptFactory,
    ContactPointFactory,
    DebtFactory,
    DebtorFactory,
    RestrictionFactory,
)

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
# Mid-afternoon on the East coast, the night in Shanghai, the day daylight time began in the
# US, and a late evening (outside the hours in some zones, not others).
INSTANTS = (
    AT,
    datetime(2026, 3, 10, 3, 30, tzinfo=UTC),
    datetime(2026, 3, 8, 12, 0, tzinfo=UTC),
    datetime(2026, 3, 11, 1, 45, tzinfo=UTC),
)


def _store_zones(cp: ContactPoint) -> ContactPoint:
    """Zones stored as the intake API stores them."""
    cp.timezones = contact_point_zones(
        debtor=cp.debtor, kind=cp.kind, value=cp.value, owner=cp.owner
    )
    cp.save(update_fields=["timezones"])
    return cp


def _call(case, cp, when, outcome, **extra):  # type: ignore[no-untyped-def]
    attempt = ContactAttemptFactory(
        case=case, contact_point=cp, occurred_at=when, outcome=outcome, **extra
    )
    return attempt


def _debtors(team) -> list[Debtor]:  # type: ignore[no-untyped-def]
    out = []

    # New York, two area codes (Eastern and Pacific), a wrong number, a third party, calls,
    # an inbound conversation, restrictions with windows and debts, consents of every kind.
    ny = DebtorFactory(region="NY")
    mobile = _store_zones(ContactPointFactory(debtor=ny, kind="mobile", value="+15185550111"))
    la = ContactPointFactory(debtor=ny, kind="landline", value="+12135550122")  # nothing stored
    wrong = _store_zones(
        ContactPointFactory(
            debtor=ny, kind="landline", value="+13125550133", wrong_number=True, is_verified=False
        )
    )
    attorney = _store_zones(
        ContactPointFactory(
            debtor=ny,
            kind="work_phone",
            value="+16175550144",
            owner="third_party",
            relationship="attorney",
        )
    )
    ContactPointFactory(debtor=ny, kind="email", value="ny@example.com")
    ContactPointFactory(debtor=ny, kind="postal", value="1 State St", is_employer_provided=True)
    open_a, open_b = DebtFactory(debtor=ny), DebtFactory(debtor=ny, product="personal_loan")
    DebtFactory(debtor=ny, status="paid")
    case = CaseFactory(debtor=ny, team=team, debts=[open_a, open_b])
    for days, cp, outcome in (
        (1, mobile, "no_answer"),
        (2, mobile, "voicemail"),
        (2, la, "busy"),
        (3, wrong, "wrong_number"),
        (5, mobile, "conversation"),
        (6, attorney, "conversation"),
        # Before the counting window: the last three calls to a phone are read (CBA2026),
        # not the fourth, nor an old conversation with the debtor.
        (40, mobile, "no_answer"),
        (41, mobile, "no_answer"),
        (42, mobile, "busy"),
        (43, mobile, "no_answer"),
        (60, mobile, "conversation"),
    ):
        person = third_party_person(cp.pk) if cp.owner != "debtor" else "debtor"
        attempt = _call(case, cp, AT - timedelta(days=days, hours=1), outcome, person=person)
        attempt.debts.set([open_a])
        if outcome == "conversation":
            attempt.debts_discussed.set([open_a, open_b])
    # Older facts a rule reads however old (lookback.keeps_older), and some it does not.
    email = ContactPointFactory(debtor=ny, kind="email", value="old@example.com")
    for days, cp, channel, direction, outcome, person in (
        (300, attorney, "call", "outbound", "conversation", third_party_person(attorney.pk)),
        (200, email, "email", "inbound", "delivered", "debtor"),
        (50, mobile, "sms", "inbound", "delivered", "debtor"),
        (100, mobile, "sms", "inbound", "delivered", "debtor"),  # older than 60 days before
        (50, mobile, "sms", "outbound", "delivered", "debtor"),
    ):
        _call(
            case,
            cp,
            AT - timedelta(days=days),
            outcome,
            channel=channel,
            direction=direction,
            person=person,
        )
    _call(case, mobile, AT - timedelta(hours=30), "conversation", direction="inbound")
    _call(case, mobile, AT + timedelta(hours=2), "no_answer")  # after the instant judged
    _call(case, mobile, AT - timedelta(hours=4), "", status="initiated")
    restriction = RestrictionFactory(
        debtor=ny,
        kind="inconvenient_time",
        effective_at=AT - timedelta(days=10),
        weekly_windows=[{"weekday": 1, "start": "12:00", "end": "14:00"}, [2, "22:00", "07:00"]],
    )
    restriction.debts.set([open_b])
    RestrictionFactory(
        debtor=ny,
        kind="channel_ban",
        channel="sms",
        contact_point=mobile,
        effective_at=AT - timedelta(days=3),
        ends_at=AT + timedelta(days=3),
    )
    RestrictionFactory(debtor=ny, kind="workplace", effective_at=AT - timedelta(days=1))
    call_back = ConsentFactory(
        debtor=ny,
        kind="call_back",
        contact_point=mobile,
        given_at=AT - timedelta(days=2),
        expires_at=AT + timedelta(days=1),
    )
    call_back.debts.set([open_a])
    ConsentFactory(
        debtor=ny,
        kind="call_back",
        given_at=AT - timedelta(days=4),
        revoked_at=AT - timedelta(days=5),  # revoked before it took effect
    )
    ConsentFactory(
        debtor=ny,
        kind="inconvenient_time",
        given_at=AT - timedelta(days=1),
        revoked_at=AT + timedelta(hours=5),
    )
    ConsentFactory(debtor=ny, kind="call_back", contact_point=attorney, given_at=AT)
    ConsentFactory(debtor=ny, kind="sms", given_at=AT - timedelta(days=20))
    out.append(ny)

    # China: one legal time, a mobile, WeChat, a cease letter on one debt.
    cn = DebtorFactory(country="CN", region="GD", city="Guangzhou")
    cn_mobile = _store_zones(ContactPointFactory(debtor=cn, kind="mobile", value="+8613800138000"))
    ContactPointFactory(debtor=cn, kind="wechat", value="wxid_0123456789")
    cn_debt, cn_other = DebtFactory(debtor=cn, currency="CNY"), DebtFactory(debtor=cn)
    cn_case = CaseFactory(debtor=cn, team=team, debts=[cn_debt, cn_other])
    for hours in (3, 20, 26, 50):
        _call(cn_case, cn_mobile, AT - timedelta(hours=hours), "no_answer").debts.set([cn_debt])
    cease = RestrictionFactory(debtor=cn, kind="cease_communication", effective_at=AT)
    cease.debts.set([cn_other])
    out.append(cn)

    # A verified zone on the debtor: the stored zones hold only the override.
    verified = DebtorFactory(region="CA", city="Fresno", timezone="America/Los_Angeles")
    _store_zones(ContactPointFactory(debtor=verified, kind="mobile", value="+12125550155"))
    CaseFactory(debtor=verified, team=team)
    out.append(verified)

    # A Washington debtor whose stored zones were written with an unverified override (an
    # import of an older kind), a number without a geographic zone, and seven calls this week.
    wa = DebtorFactory(region="WA", city="Seattle")
    wa_mobile = ContactPointFactory(
        debtor=wa,
        kind="mobile",
        value="+12065550166",
        timezones=[
            {"zone": "America/Chicago", "source": "override"},
            {"zone": "America/Los_Angeles", "source": "phone_area_code"},
        ],
    )
    _store_zones(ContactPointFactory(debtor=wa, kind="landline", value="+18005550177"))
    wa_case = CaseFactory(debtor=wa, team=team)
    for day in range(7):
        _call(wa_case, wa_mobile, AT - timedelta(days=day, hours=2), "no_answer")
    out.append(wa)

    # Two phones, both blocked at AT: seven calls this week. The mobile, tried first, is also
    # barred from calls until 15:00 UTC tomorrow; the landline frees up an hour earlier, at
    # 08:00 in the later of Texas's two zones (Mountain, 14:00 UTC). The landline is the answer.
    tx = DebtorFactory(region="TX", city="Austin")
    barred = ContactPointFactory(debtor=tx, kind="mobile", value="+15125550188")
    busy = ContactPointFactory(debtor=tx, kind="landline", value="+15125550199")
    tx_case = CaseFactory(debtor=tx, team=team)
    RestrictionFactory(
        debtor=tx,
        kind="channel_ban",
        channel="call",
        contact_point=barred,
        effective_at=AT - timedelta(days=1),
        ends_at=datetime(2026, 3, 11, 15, 0, tzinfo=UTC),
    )
    for day in range(7):
        _call(tx_case, busy, AT - timedelta(days=day, hours=3), "voicemail")
    out.append(tx)

    # Deceased, in a US territory, with nothing but a postal address.
    gone = DebtorFactory(region="PR", city="San Juan", deceased=True)
    ContactPointFactory(debtor=gone, kind="postal", value="Calle 1")
    CaseFactory(debtor=gone, team=team)
    out.append(gone)
    return out


@pytest.mark.postgres  # the setting is PostgreSQL's
def test_a_batch_read_leaves_the_jit_setting_as_it_found_it(team, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(load_sql, "JIT_OFF_FROM_DEBTORS", 1)
    # As on a deployment that turned JIT back on (DATABASE_JIT): the batch read switches it off.
    monkeypatch.setattr(load_sql, "jit_off_by_settings", lambda alias: False)
    debtors = _debtors(team)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('jit', 'on', true)")
        snapshots_load(debtors=debtors, since=AT - timedelta(days=LEDGER_DAYS))
        cursor.execute("SELECT current_setting('jit')")
        assert cursor.fetchone()[0] == "on"


def _snapshot_fields(snap):  # type: ignore[no-untyped-def]
    return (
        snap.debtor.pk,
        snap.contact_points,
        snap.debts,
        snap.ledger,
        snap.restrictions,
        snap.consents,
    )


@pytest.mark.parametrize("jit_off_from", [1, 1000], ids=["batch", "single"])
def test_sql_snapshot_equals_the_orm_snapshot(team, monkeypatch, jit_off_from):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(load_sql, "JIT_OFF_FROM_DEBTORS", jit_off_from)
    debtors = _debtors(team)
    for until in (None, AT):
        since = AT - timedelta(days=LEDGER_DAYS)
        fast = snapshots_load(debtors=debtors, since=since, until=until)
        slow = snapshots_load_orm(debtors=debtors, since=since, until=until)
        assert fast.keys() == slow.keys()
        for debtor_id, snap in fast.items():
            assert _snapshot_fields(snap) == _snapshot_fields(slow[debtor_id])
            assert snap.contact_points, "every debtor here has a contact point"
        # Both read what the engine's reference selection keeps of the whole ledger.
        whole = snapshots_load_orm(debtors=debtors, since=datetime(2000, 1, 1, tzinfo=UTC))
        for debtor_id, snap in fast.items():
            everything = [
                e for e in whole[debtor_id].ledger if until is None or e.occurred_at <= until
            ]
            assert snap.ledger == list(ledger_reduce(everything, since, snap.contact_points))
    ny = fast[debtors[0].pk]
    assert len(ny.ledger) == 14 and len(ny.restrictions) == 3 and len(ny.consents) == 4


@pytest.mark.postgres  # the stored zones are read by the PostgreSQL statement
def test_stored_zones_are_the_numbers_own_zones(team):  # type: ignore[no-untyped-def]
    debtors = _debtors(team)
    snaps = snapshots_load(debtors=debtors, since=AT - timedelta(days=LEDGER_DAYS))
    stored = {
        number: zones for snap in snaps.values() for number, zones in snap.phone_zones.items()
    }
    # Stored and usable: the intake's zones; not usable: nothing stored, or an override stored.
    assert set(stored) == {
        "+15185550111",
        "+13125550133",
        "+16175550144",
        "+8613800138000",
        "+18005550177",
    }
    for number, zones in stored.items():
        assert list(zones) == zones_for_phone(number)


def test_same_context_and_decision_for_every_contact_point_channel_and_instant(team):  # type: ignore[no-untyped-def]
    debtors = _debtors(team)
    house = house_policy_for_engine(None)
    checked = 0
    for at in INSTANTS:
        since = at - timedelta(days=LEDGER_DAYS)
        fast = snapshots_load(debtors=debtors, since=since)
        slow = snapshots_load_orm(debtors=debtors, since=since)
        for debtor_id, snap in fast.items():
            for cp in snap.contact_points.values():
                assert person_zones(snap, cp) == person_zones(slow[debtor_id], cp)
                for channel, kinds in CHANNEL_KINDS.items():
                    if cp.kind not in kinds:
                        continue
                    contexts = [
                        context_build(
                            snap=s,
                            contact_point_id=cp.id,
                            channel=channel,
                            debt_ids=s.open_debt_ids,
                            at=at,
                            house=house,
                        )
                        for s in (snap, slow[debtor_id])
                    ]
                    assert contexts[0] == contexts[1]
                    decisions = [decision_to_dict(evaluate(ctx)) for ctx in contexts]
                    assert decisions[0] == decisions[1]
                    checked += 1
    assert checked > 60


def test_batch_eligibility_is_the_same_as_through_the_orm(team, monkeypatch):  # type: ignore[no-untyped-def]
    debtors = _debtors(team)
    case_ids = [c.pk for d in debtors for c in d.cases.all()]
    channels = ["call", "sms", "email", "wechat", "letter"]
    for at in INSTANTS:
        fast = eligibility_by_channel(case_ids=case_ids, channels=channels, at=at)
        monkeypatch.setattr("compliance.selectors.snapshots_load", snapshots_load_orm)
        slow = eligibility_by_channel(case_ids=case_ids, channels=channels, at=at)
        monkeypatch.undo()
        assert fast == slow
        assert any(r.allowed for answers in fast.values() for r in answers.values())
        assert any(not r.allowed for answers in fast.values() for r in answers.values())


@pytest.mark.postgres  # one statement is the PostgreSQL read
def test_one_debtors_snapshot_is_one_query_and_needs_only_the_debtor_fields_it_names(
    team, django_assert_num_queries
):  # type: ignore[no-untyped-def]
    debtors = list(
        Debtor.objects.filter(pk__in=[d.pk for d in _debtors(team)]).only(*DEBTOR_FIELDS)
    )
    since = AT - timedelta(days=LEDGER_DAYS)
    for debtor in debtors:
        with django_assert_num_queries(1):
            snap = snapshot_context.snapshots_load(debtors=[debtor], since=since)[debtor.pk]
            for cp in snap.contact_points.values():
                context_build(
                    snap=snap,
                    contact_point_id=cp.id,
                    channel="letter",
                    debt_ids=snap.open_debt_ids,
                    at=AT,
                    house=house_policy_for_engine(None),
                )


def test_a_batch_snapshot_costs_the_same_queries_whatever_its_size(team):  # type: ignore[no-untyped-def]
    debtors = _debtors(team)
    since = AT - timedelta(days=LEDGER_DAYS)
    counts = []
    for some in (debtors[:2], debtors):
        with CaptureQueriesContext(connection) as ctx:
            snapshots_load(debtors=some, since=since)
        counts.append(len(ctx.captured_queries))
    # PostgreSQL: one statement; elsewhere the ORM read, one query per kind of row and link,
    # and one for the last calls to each phone from before the counting window.
    assert counts[0] == counts[1] <= (5 if connection.vendor == "postgresql" else 10)


def _best_unbounded(snap, channel, debt_ids, at):  # type: ignore[no-untyped-def]
    """The choice as made before searches were bounded: every candidate searched in full."""
    best = None
    for cp in contact_points_for_channel(snap, channel):
        ctx = context_build(
            snap=snap,
            contact_point_id=cp.id,
            channel=channel,
            debt_ids=debt_ids,
            at=at,
            house=house_policy_for_engine(None),
        )
        decision = evaluate(ctx)
        result = EligibilityResult(
            allowed=decision.allowed,
            codes=sorted({r.code for r in decision.reasons}),
            next_allowed_at=decision.next_allowed_at,
            contact_point_id=cp.id,
        )
        if result.allowed:
            return result
        if best is None or (
            result.next_allowed_at is not None
            and (best.next_allowed_at is None or result.next_allowed_at < best.next_allowed_at)
        ):
            best = result
    return best or EligibilityResult(allowed=False, codes=[NO_CONTACT_POINT])


def test_bounded_searches_choose_the_same_contact_point_and_instant(team):  # type: ignore[no-untyped-def]
    house_policy_cache_clear()
    debtors = _debtors(team)
    cases = [c for d in debtors for c in d.cases.all()]
    channels = ["call", "sms", "email", "wechat", "letter"]
    freed_later = 0
    for at in INSTANTS:
        answers = eligibility_by_channel(case_ids=[c.pk for c in cases], channels=channels, at=at)
        snaps = snapshots_load(debtors=debtors, since=at - timedelta(days=LEDGER_DAYS), until=at)
        for case in cases:
            snap = snaps[case.debtor_id]
            debt_ids = frozenset(case.debts.values_list("pk", flat=True)) & snap.open_debt_ids
            for channel in channels:
                expected = _best_unbounded(snap, channel, debt_ids or snap.open_debt_ids, at)
                assert answers[case.pk][channel] == expected
                freed_later += bool(expected.next_allowed_at)
    assert freed_later
    tx_case = debtors[-2].cases.get()
    answer = eligibility_by_channel(case_ids=[tx_case.pk], channels=["call"], at=AT)
    landline = debtors[-2].contact_points.get(kind="landline")
    assert answer[tx_case.pk]["call"].contact_point_id == landline.pk
    assert answer[tx_case.pk]["call"].next_allowed_at == datetime(2026, 3, 11, 14, 0, tzinfo=UTC)
