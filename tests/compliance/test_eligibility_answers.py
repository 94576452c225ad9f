"""Stored batch eligibility answers: read only while they hold, always equal to the rules'
answer at that instant, made stale by every write to a fact the rules read (database
triggers), and kept fresh by the refresher."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from collections_app.models import CaseStatus, ContactAttempt
from compliance.models import DebtorFactsVersion, EligibilityAnswer, HouseSettings
from compliance.selectors import eligibility_by_channel
from compliance.services import eligibility as answers_module
from compliance.services.eligibility import eligibility_answers, eligibility_refresh
from compliance.services.house import house_policy_cache_clear
from compliance.services.outreach import outreach_reserve
from compliance.tasks import eligibility_refresh as refresh_task
from tests.compliance.gate_helpers import debtor_with_case, history, local
from tests.factories import ConsentFactory, ContactPointFactory, DebtFactory, RestrictionFactory

pytestmark = pytest.mark.django_db

AT = local(2020, 4, 7, 15)  # a Tuesday, 15:00 in New York
CHANNELS = ["call", "sms", "email"]


@pytest.fixture(autouse=True)
def _fresh_house_policy():
    house_policy_cache_clear()
    yield
    house_policy_cache_clear()


def _answers(ids: list[int], at: Any, channels: list[str] = CHANNELS):
    with time_machine.travel(at, tick=False):
        return eligibility_answers(case_ids=ids, channels=channels, at=at)


def _portfolio(team, collector) -> list[int]:
    """Debtors the rules judge differently: free, at the weekly cap, in a dispute, with a
    text consent that lapses, a conversation yesterday, a cease letter, no phone."""
    free, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    capped, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    with time_machine.travel(AT, tick=False):
        history(cp, collector, *[(local(2020, 4, d, 10), "no_answer") for d in range(1, 8)])
    disputed, _cp, _debts = debtor_with_case(team=team, assigned_to=collector)
    RestrictionFactory(
        debtor=disputed.debtor,
        kind="dispute",
        effective_at=AT - timedelta(days=3),
        ends_at=AT + timedelta(hours=20),
    )
    texting, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    ConsentFactory(
        debtor=texting.debtor,
        kind="sms",
        contact_point=cp,
        given_at=AT - timedelta(days=59, hours=20),
    )
    talked, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    with time_machine.travel(AT, tick=False):
        history(cp, collector, (local(2020, 4, 6, 11), "conversation"))
    ceased, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    RestrictionFactory(
        debtor=ceased.debtor, kind="cease_communication", effective_at=AT - timedelta(days=1)
    )
    no_phone = debtor_with_case(team=team, assigned_to=collector)[0]
    no_phone.debtor.contact_points.all().delete()
    ContactPointFactory(debtor=no_phone.debtor, kind="email", value="x@example.com")
    return [c.pk for c in (free, capped, disputed, texting, talked, ceased, no_phone)]


def test_stored_answers_are_the_rules_answer_at_every_later_instant(team, collector):
    ids = _portfolio(team, collector)
    first, stats = _answers(ids, AT)
    assert (stats.read, stats.stored) == (0, len(ids) * len(CHANNELS))
    assert first == eligibility_by_channel(case_ids=ids, channels=CHANNELS, at=AT)
    stored = EligibilityAnswer.objects.get(case_id=ids[1], channel="call")
    assert stored.codes == ["CALL_FREQUENCY_LIMIT"] and stored.next_allowed_at is not None
    reads = 0
    for minutes in (1, 30, 180, 359, 360, 361, 600, 960, 1100, 1439, 1441, 2000, 4000):
        at = AT + timedelta(minutes=minutes)
        got, stats = _answers(ids, at)
        live = eligibility_by_channel(case_ids=ids, channels=CHANNELS, at=at)
        assert got == live, at
        reads += stats.read
    assert reads > 0  # some answers were read, not recomputed


@pytest.mark.slow
def test_with_the_refresher_running_answers_are_read_and_always_right(team, collector):
    """A day of a campaign list asked every 7 minutes, the refresher running before each ask:
    after the first ask nearly everything is read, and every answer is the rules' answer."""
    ids = _portfolio(team, collector)
    _answers(ids, AT)
    read = computed = 0
    for step in range(1, 25 * 60 // 7):
        at = AT + timedelta(minutes=7 * step)
        with time_machine.travel(at, tick=False):
            eligibility_refresh(now=at)
        got, stats = _answers(ids, at)
        live = eligibility_by_channel(case_ids=ids, channels=CHANNELS, at=at)
        for c in ids:
            assert got[c] == live[c], f"{at} {c}\n{got[c]}\n{live[c]}"
        read += stats.read
        computed += stats.computed
    assert computed == 0 and read > 0


def _read_again(case_id: int, at=AT) -> bool:
    """Whether the call answer for `case_id` is read from storage at `at`."""
    _got, stats = _answers([case_id], at, ["call"])
    return stats.read == 1


def _writes(case, cp, debt, collector):
    """Every kind of write to a fact the rules read, each alone."""
    debtor = case.debtor
    yield (
        "attempt",
        lambda: ContactAttempt.objects.create(
            debtor=debtor,
            contact_point=cp,
            channel="call",
            direction="outbound",
            occurred_at=AT - timedelta(hours=2),
            person="debtor",
        ),
    )
    yield (
        "outcome",
        lambda: ContactAttempt.objects.filter(debtor=debtor).update(outcome="conversation"),
    )
    yield (
        "restriction",
        lambda: RestrictionFactory(
            debtor=debtor, kind="attorney_represented", effective_at=AT - timedelta(hours=1)
        ),
    )
    yield "restriction lifted", lambda: debtor.restrictions.all().delete()
    yield "consent", lambda: ConsentFactory(debtor=debtor, kind="call_back", given_at=AT)
    yield "wrong number", lambda: type(cp).objects.filter(pk=cp.pk).update(wrong_number=True)
    yield "new phone", lambda: ContactPointFactory(debtor=debtor, kind="landline")
    yield "debt settled", lambda: type(debt).objects.filter(pk=debt.pk).update(status="settled")
    yield "debtor moved", lambda: type(debtor).objects.filter(pk=debtor.pk).update(region="CA")
    yield "case debts", lambda: case.debts.add(DebtFactory(debtor=debtor))
    yield "case debts removed", lambda: case.debts.remove(debt)


def test_every_write_to_a_fact_makes_the_stored_answer_stale(team, collector):
    case, cp, debts = debtor_with_case(team=team, assigned_to=collector, debts=2)
    bystander = debtor_with_case(team=team, assigned_to=collector)[0]
    for name, write in _writes(case, cp, debts[0], collector):
        _answers([case.pk, bystander.pk], AT, ["call"])
        assert _read_again(case.pk), name
        write()
        assert not _read_again(case.pk), f"{name}: the stored answer was still read"
        assert _read_again(bystander.pk), f"{name}: another debtor's answer went stale"
        got, _stats = _answers([case.pk], AT, ["call"])
        assert got == eligibility_by_channel(case_ids=[case.pk], channels=["call"], at=AT), name


def test_a_gate_reservation_makes_the_answer_stale(team, collector):
    case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    _answers([case.pk], AT, ["call"])
    with time_machine.travel(AT, tick=False):
        assert outreach_reserve(contact_point=cp, channel="call", actor=collector, at=AT).allowed
    assert not _read_again(case.pk)


def test_a_write_while_the_rules_run_leaves_a_stale_answer_not_a_wrong_one(
    team, collector, monkeypatch
):
    """The facts version is read before the facts: a write that lands between the two is in
    the version the answer is checked against later."""
    case, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    real = answers_module.eligibility_by_channel

    def rules_with_a_write_in_between(**kwargs):
        answers = real(**kwargs)  # the facts as they were
        RestrictionFactory(debtor=case.debtor, kind="cease_communication", effective_at=AT)
        return answers

    monkeypatch.setattr(answers_module, "eligibility_by_channel", rules_with_a_write_in_between)
    got, stats = _answers([case.pk], AT, ["call"])
    assert got[case.pk]["call"].allowed and stats.stored == 1
    monkeypatch.setattr(answers_module, "eligibility_by_channel", real)
    got, stats = _answers([case.pk], AT, ["call"])
    assert stats.read == 0
    assert got[case.pk]["call"].codes == ["CEASE_COMMUNICATION"]


def test_a_house_policy_change_makes_every_answer_stale(team, collector):
    case = debtor_with_case(team=team, assigned_to=collector)[0]
    _answers([case.pk], AT, ["call"])
    assert _read_again(case.pk)
    HouseSettings.objects.update_or_create(pk=1, defaults={"latest_local_time": "14:00"})
    house_policy_cache_clear()
    got, stats = _answers([case.pk], AT, ["call"])
    assert stats.read == 0 and got[case.pk]["call"].codes == ["OUTSIDE_CONTACT_HOURS"]


def test_answers_for_other_rules_are_not_read(team, collector):
    case = debtor_with_case(team=team, assigned_to=collector)[0]
    _answers([case.pk], AT, ["call"])
    EligibilityAnswer.objects.update(engine_key="an older engine")
    assert not _read_again(case.pk)


def test_answers_are_stored_only_for_requests_about_now(team, collector):
    case = debtor_with_case(team=team, assigned_to=collector)[0]
    with time_machine.travel(AT, tick=False):
        _got, stats = eligibility_answers(
            case_ids=[case.pk], channels=["call"], at=AT + timedelta(days=3)
        )
    assert stats.stored == 0 and not EligibilityAnswer.objects.exists()


def test_an_answer_past_the_search_horizon_is_not_stored(team, collector):
    case, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    RestrictionFactory(
        debtor=case.debtor,
        kind="dispute",
        effective_at=AT - timedelta(days=1),
        ends_at=AT + timedelta(days=90),
    )
    got, stats = _answers([case.pk], AT, ["call"])
    assert got[case.pk]["call"].codes == ["DISPUTE_PENDING"]
    assert got[case.pk]["call"].next_allowed_at is None  # beyond the 60-day search
    assert stats.stored == 0


def test_the_refresher_recomputes_what_went_stale_and_computes_ahead(team, collector):
    soon, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    stale, _cp2, _ = debtor_with_case(team=team, assigned_to=collector)
    fresh, _cp3, _ = debtor_with_case(team=team, assigned_to=collector)
    closed, _cp4, _ = debtor_with_case(team=team, assigned_to=collector)
    lapsed, _cp5, _ = debtor_with_case(team=team, assigned_to=collector)
    evening = local(2020, 4, 7, 20, 55)  # five minutes before the calling window closes
    _answers([soon.pk], evening, ["call"])
    _answers([stale.pk, fresh.pk, closed.pk, lapsed.pk], evening - timedelta(hours=4), ["call"])
    EligibilityAnswer.objects.filter(case=fresh).update(valid_until=evening + timedelta(hours=3))
    EligibilityAnswer.objects.filter(case=lapsed).update(valid_until=evening - timedelta(hours=1))
    RestrictionFactory(debtor=stale.debtor, kind="attorney_represented", effective_at=AT)
    type(closed).objects.filter(pk=closed.pk).update(status=CaseStatus.CLOSED)
    before = {a.case_id: a for a in EligibilityAnswer.objects.all()}
    with time_machine.travel(evening, tick=False):
        stats = eligibility_refresh(now=evening)
    after = {a.case_id: a for a in EligibilityAnswer.objects.all()}
    assert closed.pk not in after
    # Stale and lapsed: the answer now.
    assert after[stale.pk].computed_at == after[lapsed.pk].computed_at == evening
    assert after[stale.pk].codes == ["ATTORNEY_REPRESENTED"]
    # Ends at 21:00: the answer from 21:00 computed ahead, the one until then kept.
    assert after[soon.pk].computed_at == before[soon.pk].computed_at
    assert after[soon.pk].valid_until == local(2020, 4, 7, 21)
    assert after[soon.pk].then_until is not None and after[soon.pk].then_allowed is False
    assert after[soon.pk].then_codes == ["OUTSIDE_CONTACT_HOURS"]
    # Far from its end: untouched.
    assert after[fresh.pk].computed_at == before[fresh.pk].computed_at
    assert after[fresh.pk].then_until is None
    # Two now; then three ahead, since the two recomputed also end at 21:00.
    assert (stats.computed, stats.stored) == (5, 5)

    # After 21:00 every answer is read, none computed, and each is the rules' answer.
    late = local(2020, 4, 7, 21, 1)
    ids = [soon.pk, stale.pk, lapsed.pk]
    got, read = _answers(ids, late, ["call"])
    assert (read.read, read.computed) == (3, 0)
    assert got == eligibility_by_channel(case_ids=ids, channels=["call"], at=late)
    assert got[soon.pk]["call"].valid_until == after[soon.pk].then_until

    # The next round moves the answer computed ahead into place.
    with time_machine.travel(late, tick=False):
        again = eligibility_refresh(now=late)
    assert again.moved == 3
    row = EligibilityAnswer.objects.get(case=soon)
    assert row.computed_at == local(2020, 4, 7, 21) and row.then_until is None
    assert row.codes == ["OUTSIDE_CONTACT_HOURS"]


def test_an_answer_computed_ahead_is_dropped_when_the_facts_change(team, collector):
    case, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    evening = local(2020, 4, 7, 20, 55)
    _answers([case.pk], evening, ["call"])
    with time_machine.travel(evening, tick=False):
        eligibility_refresh(now=evening)
    assert EligibilityAnswer.objects.get(case=case).then_until is not None
    RestrictionFactory(debtor=case.debtor, kind="cease_communication", effective_at=evening)
    late = local(2020, 4, 7, 21, 1)
    got, stats = _answers([case.pk], late, ["call"])
    assert stats.read == 0
    assert got[case.pk]["call"].codes == ["CEASE_COMMUNICATION", "OUTSIDE_CONTACT_HOURS"]


def test_the_beat_task_refreshes(team, collector):
    case = debtor_with_case(team=team, assigned_to=collector)[0]
    _answers([case.pk], AT, ["call"])
    EligibilityAnswer.objects.update(house_key="old")
    with time_machine.travel(AT, tick=False):
        assert refresh_task.apply().get() == 1
    assert EligibilityAnswer.objects.get().house_key != "old"


def test_triggers_raise_one_version_per_debtor_per_statement(team, collector):
    case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    start = (
        DebtorFactsVersion.objects.filter(debtor_id=case.debtor_id)
        .values_list("version", flat=True)
        .first()
        or 0
    )
    with time_machine.travel(AT, tick=False):
        history(cp, collector, *[(AT - timedelta(hours=h), "busy") for h in range(1, 6)])
    now = DebtorFactsVersion.objects.get(debtor_id=case.debtor_id).version
    assert now > start
    if connection.vendor == "postgresql":
        ContactAttempt.objects.filter(debtor=case.debtor).update(outcome="no_answer")
        assert DebtorFactsVersion.objects.get(debtor_id=case.debtor_id).version == now + 1


def test_answers_nobody_asks_for_are_let_go(team, collector, settings):
    settings.ELIGIBILITY_KEEP_DAYS = 7
    asked, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    forgotten, _cp2, _ = debtor_with_case(team=team, assigned_to=collector)
    _answers([asked.pk, forgotten.pk], AT, ["call"])
    assert set(EligibilityAnswer.objects.values_list("asked_at", flat=True)) == {AT}
    # Read again within the hour: no write; later: asked_at moves, once per batch.
    with CaptureQueriesContext(connection) as soon:
        _answers([asked.pk], AT + timedelta(minutes=50), ["call"])
    assert len(soon.captured_queries) == 1
    day_later = AT + timedelta(days=1)
    _answers([asked.pk], day_later, ["call"])
    assert EligibilityAnswer.objects.get(case=asked).asked_at == day_later
    # The refresher recomputes both without counting that as asking, then lets go of the
    # one nobody asked for in seven days.
    with time_machine.travel(AT + timedelta(days=6), tick=False):
        eligibility_refresh(now=AT + timedelta(days=6))
    assert EligibilityAnswer.objects.get(case=forgotten).asked_at == AT
    eight_days = AT + timedelta(days=7, hours=1)
    with time_machine.travel(eight_days, tick=False):
        eligibility_refresh(now=eight_days)
    assert list(EligibilityAnswer.objects.values_list("case_id", flat=True)) == [asked.pk]


def test_answers_stand_when_they_cannot_be_stored(team, collector, monkeypatch):
    case = debtor_with_case(team=team, assigned_to=collector)[0]

    def deadlocked(*args, **kwargs):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(EligibilityAnswer.objects, "bulk_create", deadlocked)
    got, stats = _answers([case.pk], AT, ["call"])
    assert got[case.pk]["call"].allowed and stats.stored == 0
    assert not EligibilityAnswer.objects.exists()
    monkeypatch.undo()  # the next ask stores as usual
    _got, stats = _answers([case.pk], AT, ["call"])
    assert stats.stored == 1 and EligibilityAnswer.objects.count() == 1


def test_an_answer_computed_ahead_is_not_paired_with_newer_facts(team, collector, monkeypatch):
    """While the refresher computes ahead, a request stores the answer from newer facts: the
    answer computed ahead (from the older facts) must not be attached to it."""
    case, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    evening = local(2020, 4, 7, 20, 55)
    _answers([case.pk], evening, ["call"])
    real = answers_module.eligibility_by_channel

    def meanwhile_a_request_stores_newer_facts(**kwargs):
        answers = real(**kwargs)
        monkeypatch.setattr(answers_module, "eligibility_by_channel", real)  # once
        RestrictionFactory(debtor=case.debtor, kind="attorney_represented", effective_at=AT)
        answers_module.answers_compute(
            case_ids=[case.pk], channels=["call"], at=evening, store=True, asked=evening
        )
        return answers

    monkeypatch.setattr(
        answers_module, "eligibility_by_channel", meanwhile_a_request_stores_newer_facts
    )
    with time_machine.travel(evening, tick=False):
        eligibility_refresh(now=evening)
    monkeypatch.undo()
    row = EligibilityAnswer.objects.get(case=case)
    assert row.codes == ["ATTORNEY_REPRESENTED"] and row.then_until is None
