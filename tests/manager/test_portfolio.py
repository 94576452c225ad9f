"""Roll rates from the debts' recorded history, recovery curves, strategy comparison."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from collections_app.models import Case, Debt, Payment
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


def test_recovery_curves_equal_a_direct_computation(manager, team, other_team):
    """Debts placed over several months in both teams, one debt in two of the team's cases,
    payments over the following months and a reversal: each curve equals a sum over the rows."""
    debts = []
    for month, team_of in ((1, team), (1, other_team), (2, team), (2, team), (3, other_team)):
        with time_machine.travel(at(2026, month, 5), tick=False):
            debt = DebtFactory(principal=Decimal("500.00") * month)
            CaseFactory(team=team_of, debtor=debt.debtor, debts=[debt])
            debts.append(debt)
    with time_machine.travel(at(2026, 2, 6), tick=False):
        CaseFactory(team=team, debtor=debts[2].debtor, debts=[debts[2]])  # a second case
    with time_machine.travel(at(2025, 5, 6), tick=False):
        old = DebtFactory(principal=Decimal("900.00"))  # placed before the twelve months
        CaseFactory(team=team, debtor=old.debtor, debts=[old])
    debts.append(old)
    n = 0
    payments = []
    for debt in debts:
        for when in (at(2026, 2, 10), at(2026, 3, 1), at(2026, 4, 20), at(2027, 1, 3)):
            case = debt.cases.first()
            n += 1
            payments.append(
                Payment.objects.create(
                    case=case,
                    debt=debt,
                    amount=Decimal("10.00") * n,
                    received_at=when,
                    external_reference=f"p{n}",
                )
            )
    first = payments[1]
    Payment.objects.create(
        case=first.case,
        debt=first.debt,
        amount=first.amount,
        received_at=at(2026, 4, 2),
        reverses=first,
        external_reference="rev",
    )
    last_day = date(2026, 5, 18)
    curves = recovery_curves(user=manager, last_day=last_day)

    visible = Debt.objects.filter(cases__in=Case.objects.visible_to(manager)).distinct()
    since, until = datetime(2025, 6, 1, tzinfo=UTC), datetime(2026, 5, 19, tzinfo=UTC)
    expected = {}
    for debt in visible.filter(placed_at__gte=since, placed_at__lt=until):
        month = debt.placed_at.date().replace(day=1)
        principal, paid = expected.get(month, (Decimal("0"), {}))
        for p in Payment.objects.filter(debt=debt, received_at__lt=until):
            k = (p.received_at.year - month.year) * 12 + p.received_at.month - month.month
            sign = -1 if p.reverses_id else 1
            paid[k] = paid.get(k, Decimal("0")) + sign * p.amount
        expected[month] = (principal + debt.principal, paid)
    assert [c.placed_month for c in curves] == sorted(expected)
    for c in curves:
        principal, paid = expected[c.placed_month]
        horizon = (last_day.year - c.placed_month.year) * 12 + last_day.month - c.placed_month.month
        assert c.placed_principal == principal
        assert c.cumulative == [
            sum((paid.get(k, Decimal("0")) for k in range(i + 1)), Decimal("0"))
            for i in range(horizon + 1)
        ]
    assert len(curves) == 2  # the other team's months and the old debt are not shown
