"""Roll rates from the debts' recorded history, recovery curves, strategy comparison."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from collections_app.models import Payment
from manager.models import Arm, CaseStrategy, Strategy
from manager.selectors import DateRange, recovery_curves, roll_rates, strategy_comparison
from tests.factories import CaseFactory, ContactAttemptFactory, DebtFactory

pytestmark = pytest.mark.django_db


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 12, tzinfo=UTC)


def test_roll_rates_follow_each_debts_bucket_at_month_ends(manager, team, other_team):
    # Three debts in M1 at the end of January; by the end of February one rolled to M2,
    # one stayed in M1 and one cured. Another team's debt rolls too, unseen.
    with time_machine.travel(at(2026, 1, 20), tick=False):
        rolled, stayed, cured = (DebtFactory(days_past_due=20) for _ in range(3))
        theirs = DebtFactory(days_past_due=20)
        for d in (rolled, stayed, cured):
            CaseFactory(team=team, debtor=d.debtor, debts=[d])
        CaseFactory(team=other_team, debtor=theirs.debtor, debts=[theirs])
    with time_machine.travel(at(2026, 2, 20), tick=False):
        for d, dpd in ((rolled, 50), (stayed, 25), (cured, 0), (theirs, 50)):
            d.days_past_due = dpd
            d.save()
    with time_machine.travel(at(2026, 3, 18), tick=False):
        rows = roll_rates(user=manager, last_day=date(2026, 3, 18), months=3)
    jan = [r for r in rows if r.month == date(2026, 1, 31)]
    assert len(jan) == 1
    assert (jan[0].bucket, jan[0].debts, jan[0].rolled, jan[0].stayed, jan[0].cured) == (
        "M1",
        3,
        1,
        1,
        1,
    )
    assert jan[0].roll_rate == Decimal("33.3")


def test_recovery_curve_cumulates_payments_by_months_since_placement(manager, team):
    with time_machine.travel(at(2026, 1, 10), tick=False):
        debt = DebtFactory(principal=Decimal("1000.00"))
        case = CaseFactory(team=team, debtor=debt.debtor, debts=[debt])
    for i, (when, amount) in enumerate(
        [(at(2026, 1, 25), "100.00"), (at(2026, 3, 5), "150.00"), (at(2026, 3, 9), "50.00")]
    ):
        Payment.objects.create(
            case=case,
            debt=debt,
            amount=Decimal(amount),
            received_at=when,
            external_reference=f"r{i}",
        )
    curves = recovery_curves(user=manager, last_day=date(2026, 3, 18))
    assert len(curves) == 1
    assert curves[0].placed_month == date(2026, 1, 1)
    assert curves[0].cumulative == [Decimal("100.00"), Decimal("100.00"), Decimal("300.00")]
    assert curves[0].cumulative_pct == [Decimal("10.0"), Decimal("10.0"), Decimal("30.0")]


def test_champion_and_challenger_are_compared_on_the_same_figures(manager, collector, team):
    challenger = Strategy.objects.create(name="B")
    champion = Strategy.objects.create(name="A", challenger=challenger, challenger_pct=50)
    period = DateRange(start=date(2026, 3, 1), end=date(2026, 3, 31))
    for i, arm in enumerate([Arm.CHAMPION, Arm.CHAMPION, Arm.CHALLENGER]):
        case = CaseFactory(team=team, assigned_to=collector)
        CaseStrategy.objects.create(
            case=case, strategy=champion, arm=arm, assigned_at=at(2026, 3, 1)
        )
        ContactAttemptFactory(
            case=case,
            actor=collector,
            occurred_at=at(2026, 3, 2),
            outcome="conversation" if arm == Arm.CHALLENGER else "no_answer",
        )
        Payment.objects.create(
            case=case,
            debt=case.debts.first(),
            amount=Decimal("30.00"),
            received_at=at(2026, 3, 3),
            external_reference=f"s{i}",
        )
    rows = {r.arm: r for r in strategy_comparison(user=manager, period=period)}
    assert rows[Arm.CHAMPION].cases == 2 and rows[Arm.CHALLENGER].cases == 1
    assert rows[Arm.CHAMPION].contact_rate == Decimal("0.0")
    assert rows[Arm.CHALLENGER].contact_rate == Decimal("100.0")
    assert rows[Arm.CHAMPION].collected_per_case == Decimal("30.00")
