"""Roll rates: the set-based query and the month-end snapshots give the figures of a direct,
debt-by-debt reading of the history; a missing or stale snapshot is never read."""

import random
from collections import Counter
from datetime import UTC, date, datetime
from itertools import pairwise

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from collections_app.models import Bucket, Case, Debt
from manager.models import MonthEndBucket, MonthEndSnapshot
from manager.selectors import recovery_curves, roll_rates_report
from manager.selectors.rolls import BUCKET_RANK, end_of, month_ends
from manager.services.snapshots import month_end_snapshot_build, month_end_snapshots_refresh
from manager.tasks import month_end_snapshots_refresh as refresh_task
from tests.factories import CaseFactory, DebtFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 7, 14)
NOW = datetime(2026, 7, 14, 12, tzinfo=UTC)
MONTHS = 6


def at(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def direct(user, *, last_day: date = TODAY, months: int = MONTHS) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Debt by debt: its last history row before each month end, then the pairs counted."""
    ends = month_ends(last_day=last_day, count=months)
    visible = set(
        Debt.objects.filter(cases__in=Case.objects.visible_to(user)).values_list("id", flat=True)
    )
    history = Debt.history.model.objects.filter(id__in=visible).order_by(
        "history_date", "history_id"
    )
    by_debt: dict[int, list] = {}
    for h in history:
        by_debt.setdefault(h.id, []).append(h)
    counts: Counter = Counter()
    for rows in by_debt.values():
        at_end = {}
        for e in ends:
            before = [h for h in rows if h.history_date < end_of(e)]
            if before:
                at_end[e] = before[-1].bucket
        for start, stop in pairwise(ends):
            if start in at_end and stop in at_end and at_end[start] != Bucket.CURRENT:
                step = BUCKET_RANK[at_end[stop]] - BUCKET_RANK[at_end[start]]
                kind = "rolled" if step > 0 else "stayed" if step == 0 else "cured"
                counts[(start, at_end[start], kind)] += 1
    return sorted(counts.items())


def as_counts(rows) -> list[tuple]:  # type: ignore[no-untyped-def]
    counts = []
    for r in rows:
        for kind in ("rolled", "stayed", "cured"):
            if getattr(r, kind):
                counts.append(((r.month, r.bucket, kind), getattr(r, kind)))
        assert r.debts == r.rolled + r.stayed + r.cured
    return sorted(counts)


@pytest.fixture
def history(team, other_team):  # type: ignore[no-untyped-def]
    """Debts of both teams whose days past due move month by month, some several times in a
    month and some twice at the same instant; one debt joins only in April."""
    rng = random.Random(7)
    debts = []
    with time_machine.travel(at(2026, 1, 5), tick=False):
        for i in range(16):
            debt = DebtFactory(days_past_due=rng.choice([0, 10, 40, 70, 100, 200]))
            CaseFactory(team=team if i % 4 else other_team, debtor=debt.debtor, debts=[debt])
            debts.append(debt)
    for month in range(1, 7):
        for day in (9, 27):
            with time_machine.travel(at(2026, month, day), tick=False):
                for debt in rng.sample(debts, 6):
                    debt.days_past_due = rng.choice([0, 5, 35, 65, 95, 125, 155, 185, 400])
                    debt.save()
                    if rng.random() < 0.3:  # a second row at the same instant wins
                        debt.days_past_due = rng.choice([0, 45, 300])
                        debt.save()
    # The last instant of a month belongs to that month; midnight to the next.
    with time_machine.travel(datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC), tick=False):
        debts[1].days_past_due = 500
        debts[1].save()
    with time_machine.travel(datetime(2026, 5, 1, 0, 0, tzinfo=UTC), tick=False):
        debts[2].days_past_due = 0
        debts[2].save()
    with time_machine.travel(at(2026, 4, 10), tick=False):
        late = DebtFactory(days_past_due=50)
        CaseFactory(team=team, debtor=late.debtor, debts=[late])
    return debts


def test_live_roll_rates_equal_a_direct_reading_of_the_history(history, manager, other_manager):
    for user in (manager, other_manager):
        report = roll_rates_report(user=user, last_day=TODAY, months=MONTHS)
        assert report.as_of is None
        assert report.rows
        assert as_counts(report.rows) == direct(user)


def test_snapshots_give_the_same_figures_and_say_when_they_were_built(
    history, manager, other_manager
):
    with time_machine.travel(NOW, tick=False):
        built = month_end_snapshots_refresh(months=MONTHS)
    assert built == month_ends(last_day=TODAY, count=MONTHS)
    for user in (manager, other_manager):
        report = roll_rates_report(user=user, last_day=TODAY, months=MONTHS)
        assert report.as_of == NOW
        assert as_counts(report.rows) == direct(user)


def test_snapshots_keep_each_team_to_its_own_debts(history, manager, other_manager):
    with time_machine.travel(NOW, tick=False):
        month_end_snapshots_refresh(months=MONTHS)
    mine = roll_rates_report(user=manager, last_day=TODAY, months=MONTHS)
    theirs = roll_rates_report(user=other_manager, last_day=TODAY, months=MONTHS)
    assert mine.as_of and theirs.as_of
    assert as_counts(mine.rows) != as_counts(theirs.rows)
    everyone = MonthEndBucket.objects.filter(month_end=date(2026, 5, 31)).count()
    seen = sum(r.debts for r in mine.rows + theirs.rows if r.month == date(2026, 5, 31))
    assert seen < everyone  # current debts are in the snapshot but not counted from


def test_a_back_dated_history_row_makes_the_snapshot_stale_until_rebuilt(history, manager):
    with time_machine.travel(NOW, tick=False):
        month_end_snapshots_refresh(months=MONTHS)
    # A history row dated in March arrives after the snapshots were built (an import of old
    # history): the snapshots no longer say what the history says.
    debt = history[5]
    with time_machine.travel(at(2026, 3, 20), tick=False):
        debt.days_past_due = 999 if debt.days_past_due < 999 else 0
        debt.save()
    report = roll_rates_report(user=manager, last_day=TODAY, months=MONTHS)
    assert report.as_of is None
    assert as_counts(report.rows) == direct(manager)
    later = datetime(2026, 7, 15, 0, 20, tzinfo=UTC)
    with time_machine.travel(later, tick=False):
        rebuilt = month_end_snapshots_refresh(months=MONTHS)
    assert rebuilt == [
        e for e in month_ends(last_day=TODAY, count=MONTHS) if e >= date(2026, 3, 31)
    ]
    report = roll_rates_report(user=manager, last_day=TODAY, months=MONTHS)
    assert report.as_of == NOW  # the oldest snapshot read
    assert as_counts(report.rows) == direct(manager)


def test_a_missing_month_end_is_computed_from_the_history(history, manager):
    with time_machine.travel(NOW, tick=False):
        month_end_snapshots_refresh(months=MONTHS)
    MonthEndSnapshot.objects.filter(month_end=date(2026, 4, 30)).delete()
    MonthEndBucket.objects.filter(month_end=date(2026, 4, 30)).delete()
    report = roll_rates_report(user=manager, last_day=TODAY, months=MONTHS)
    assert report.as_of is None
    assert as_counts(report.rows) == direct(manager)


def test_a_build_can_run_twice_and_refuses_a_month_not_over(history):
    with time_machine.travel(NOW, tick=False):
        first = month_end_snapshot_build(month_end=date(2026, 5, 31))
        rows = list(
            MonthEndBucket.objects.filter(month_end=date(2026, 5, 31)).values_list(
                "debt_id", "bucket"
            )
        )
        again = month_end_snapshot_build(month_end=date(2026, 5, 31))
        assert again.pk == first.pk and again.debts == first.debts == len(rows)
        assert sorted(rows) == sorted(
            MonthEndBucket.objects.filter(month_end=date(2026, 5, 31)).values_list(
                "debt_id", "bucket"
            )
        )
        with pytest.raises(ValueError):
            month_end_snapshot_build(month_end=date(2026, 7, 31))


def test_the_nightly_task_builds_only_what_is_missing(history):
    with time_machine.travel(NOW, tick=False):
        assert refresh_task() == 13
        assert refresh_task() == 0


def test_dashboard_says_when_snapshot_figures_were_built(client, history, manager):
    client.force_login(manager)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("manager:dashboard")).content.decode()
        assert 'id="roll-as-of"' not in page
        assert 'id="roll-table"' in page
        month_end_snapshots_refresh(months=MONTHS)
        # The page shows its portfolio summary until it is computed again.
        page = client.get(reverse("manager:dashboard")).content.decode()
        assert 'id="roll-as-of"' not in page
        client.post(reverse("manager:dashboard_refresh"))
        page = client.get(reverse("manager:dashboard")).content.decode()
    assert 'id="roll-as-of"' in page
    assert "2026-07-14 12:00" in page


def test_a_manager_without_a_team_sees_no_figures(history):
    lone = UserFactory(username="nobody", role=Role.MANAGER, team=None)
    assert roll_rates_report(user=lone, last_day=TODAY, months=MONTHS).rows == []
    assert recovery_curves(user=lone, last_day=TODAY) == []
    with time_machine.travel(NOW, tick=False):
        month_end_snapshots_refresh(months=MONTHS)
    assert roll_rates_report(user=lone, last_day=TODAY, months=MONTHS).rows == []


def test_the_portable_paths_for_the_embedded_database_count_the_same(
    history, manager, other_manager
):
    """`make run` runs on SQLite, where the PostgreSQL statements (arrays, window clauses)
    cannot; its ORM paths must give the same counts and the same month-end rows."""
    from manager.selectors.common import cases_for
    from manager.selectors.rolls import (
        _roll_counts_portable,
        roll_counts_live,
    )
    from manager.services.snapshots import _build_portable

    ends = month_ends(last_day=TODAY, count=MONTHS)
    for user in (manager, other_manager):
        cases = cases_for(user)
        assert sorted(_roll_counts_portable(cases=cases, ends=ends)) == sorted(
            roll_counts_live(cases=cases, ends=ends)
        )
    with time_machine.travel(NOW, tick=False):
        month_end_snapshots_refresh(months=MONTHS)
    built = sorted(MonthEndBucket.objects.values_list("month_end", "debt_id", "bucket"))
    counted = {s.month_end: s.history_rows for s in MonthEndSnapshot.objects.all()}
    MonthEndBucket.objects.all().delete()
    for end in ends:
        rows, _written = _build_portable(month_end=end, until=end_of(end))
        assert rows == counted[end]
    assert sorted(MonthEndBucket.objects.values_list("month_end", "debt_id", "bucket")) == built
    assert built


def test_the_portable_recovery_query_gives_the_same_rows(manager, team):
    from django.db.models import Exists, OuterRef
    from django.db.models.functions import TruncMonth

    from collections_app.models import Payment
    from manager.selectors.common import cases_for
    from manager.selectors.portfolio import _placed_and_paid, _placed_and_paid_portable

    for month in (1, 2, 3):
        with time_machine.travel(at(2026, month, 5), tick=False):
            debt = DebtFactory()
            case = CaseFactory(team=team, debtor=debt.debtor, debts=[debt])
        for n, when in enumerate((at(2026, month, 20), at(2026, 4, 2))):
            p = Payment.objects.create(
                case=case,
                debt=debt,
                amount=10 + n,
                received_at=when,
                external_reference=f"p{month}{n}",
            )
        Payment.objects.create(
            case=case,
            debt=debt,
            amount=p.amount,
            received_at=at(2026, 4, 3),
            reverses=p,
            external_reference=f"r{month}",
        )
    cases = cases_for(manager)
    since, until = datetime(2025, 6, 1, tzinfo=UTC), end_of(date(2026, 5, 18))
    placed = (
        Debt.objects.filter(
            Exists(cases.filter(debts=OuterRef("pk"))), placed_at__gte=since, placed_at__lt=until
        )
        .annotate(pm=TruncMonth("placed_at"))
        .order_by()
        .values("id", "pm", "principal")
    )
    sql_rows = _placed_and_paid(cases=cases, since=since, until=until)
    assert sql_rows
    assert sorted(_placed_and_paid_portable(placed=placed, until=until), key=str) == sorted(
        sql_rows, key=str
    )
