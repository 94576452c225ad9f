"""Repayment plans: propose from the debtor's capacity, create within the collector's
authority (beyond it the plan waits for a manager), approve or reject (four eyes)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.models import (
    Case,
    CaseStatus,
    Installment,
    Note,
    PromiseStatus,
    PromiseToPay,
    RepaymentPlan,
)
from collections_app.models.debt import OPEN_DEBT_STATUSES
from collections_app.models.money import Frequency, PlanStatus
from collections_app.services.case_status import case_status_change

if TYPE_CHECKING:
    from accounts.models import User

CENT = Decimal("0.01")
# The proposal asks for this share of the disposable income (income - expenses) per month,
# leaving the rest as a buffer so the plan survives an ordinary bad month.
DISPOSABLE_SHARE = Decimal("0.5")
# The longest plan the tool proposes; longer terms are the manager's call.
MAX_PROPOSED_MONTHS = 60
# The smallest installment worth scheduling.
MIN_INSTALLMENT = Decimal("10.00")
PERIODS_PER_MONTH = {
    Frequency.MONTHLY: Decimal("1"),
    Frequency.BIWEEKLY: Decimal("26") / Decimal("12"),
    Frequency.WEEKLY: Decimal("52") / Decimal("12"),
}
LIVE_PLAN_STATUSES = (PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE)


@dataclass(frozen=True)
class PlanProposal:
    balance: Decimal
    currency: str
    frequency: str
    monthly_income: Decimal | None
    monthly_expenses: Decimal | None
    disposable_income: Decimal | None
    installment_amount: Decimal
    installments: list[tuple[date, Decimal]]
    capped: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.installments)


def plan_due_dates(*, start_date: date, frequency: str, count: int) -> list[date]:
    if frequency == Frequency.WEEKLY:
        return [start_date + timedelta(weeks=i) for i in range(count)]
    if frequency == Frequency.BIWEEKLY:
        return [start_date + timedelta(weeks=2 * i) for i in range(count)]
    return [start_date + relativedelta(months=i) for i in range(count)]


def plan_split(*, total: Decimal, amount: Decimal, max_count: int) -> list[Decimal]:
    """Installments of `amount` with the remainder in the last one, at most `max_count`."""
    count = min(max(1, math.ceil(total / amount)), max_count)
    if count * amount < total:  # capped: spread the balance evenly instead
        amount = (total / count).quantize(CENT, rounding=ROUND_UP)
    amounts = [amount] * (count - 1)
    amounts.append(total - amount * (count - 1))
    return [a for a in amounts if a > 0]


def _case_balance(case: Case) -> tuple[Decimal, str]:
    debts = list(case.debts.filter(status__in=OPEN_DEBT_STATUSES))
    total = sum((d.balance for d in debts), Decimal("0"))
    return total, (debts[0].currency if debts else "USD")


def plan_propose(
    *,
    case_id: int,
    start_date: date,
    frequency: str = "monthly",
    installment_count: int | None = None,
    discount_amount: Decimal = Decimal(0),
) -> PlanProposal:
    """Propose installments from income, expenses and balance: disposable = income - expenses;
    installment ~ DISPOSABLE_SHARE of it per month (scaled to the frequency); count =
    ceil(balance / installment), capped at MAX_PROPOSED_MONTHS. The collector may ask for a
    number of installments instead, and for a settlement discount taken off the balance.
    Writes nothing."""
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": _("Unknown frequency.")})
    case = Case.objects.select_related("debtor").get(pk=case_id)
    owed, currency = _case_balance(case)
    if discount_amount < 0 or (owed > 0 and discount_amount >= owed):
        raise ValidationError({"discount_amount": _("The discount must be less than the balance.")})
    balance = owed - discount_amount
    debtor = case.debtor
    income, expenses = debtor.monthly_income, debtor.monthly_expenses
    per_month = PERIODS_PER_MONTH[Frequency(frequency)]
    max_count = int((MAX_PROPOSED_MONTHS * per_month).to_integral_value(rounding=ROUND_DOWN))
    warnings: list[str] = []
    disposable: Decimal | None = None
    if income is not None and expenses is not None:
        disposable = income - expenses
    if balance <= 0:
        return PlanProposal(
            balance=balance,
            currency=currency,
            frequency=frequency,
            monthly_income=income,
            monthly_expenses=expenses,
            disposable_income=disposable,
            installment_amount=Decimal("0"),
            installments=[],
            warnings=[_("Nothing is owed on this case.")],
        )
    if disposable is None:
        warnings.append(_("Income or expenses unknown: the proposal spreads the balance."))
        amount = (balance / max_count).quantize(CENT, rounding=ROUND_UP)
    elif disposable <= 0:
        warnings.append(
            _("Expenses meet or exceed income: no repayment capacity; consider hardship.")
        )
        amount = (balance / max_count).quantize(CENT, rounding=ROUND_UP)
    else:
        amount = (disposable * DISPOSABLE_SHARE / per_month).quantize(CENT, rounding=ROUND_DOWN)
    amount = max(amount, min(MIN_INSTALLMENT, balance))
    if installment_count:
        count = max(1, min(installment_count, max_count))
        amount = (balance / count).quantize(CENT, rounding=ROUND_UP)
    amounts = plan_split(total=balance, amount=amount, max_count=max_count)
    capped = math.ceil(balance / amount) > max_count
    if disposable is not None and disposable > 0 and installment_count:
        affordable = disposable * DISPOSABLE_SHARE / per_month
        if amount > affordable:
            warnings.append(
                _("Each installment (%(amount)s) is above the affordable %(affordable)s.")
                % {"amount": amount, "affordable": affordable.quantize(CENT)}
            )
    if capped:
        warnings.append(
            _("Capped at %(n)s installments: each is above the affordable amount.")
            % {"n": max_count}
        )
    dates = plan_due_dates(start_date=start_date, frequency=frequency, count=len(amounts))
    return PlanProposal(
        balance=balance,
        currency=currency,
        frequency=frequency,
        monthly_income=income,
        monthly_expenses=expenses,
        disposable_income=disposable,
        installment_amount=amounts[0],
        installments=list(zip(dates, amounts, strict=True)),
        capped=capped,
        warnings=warnings,
    )


def plan_length_months(installments: Sequence[tuple[date, Decimal]]) -> int:
    """Calendar months from the first to the last due date, counting both."""
    first, last = installments[0][0], installments[-1][0]
    return (last.year - first.year) * 12 + (last.month - first.month) + 1


def plan_within_authority(
    *, actor: User, months: int, discount: Decimal, balance: Decimal
) -> list[str]:
    """The terms beyond the actor's authority (empty: within it)."""
    beyond: list[str] = []
    if months > actor.max_plan_months:
        beyond.append(
            _("%(months)s months is longer than your limit of %(limit)s months.")
            % {"months": months, "limit": actor.max_plan_months}
        )
    if discount > 0 and balance > 0:
        pct = (discount * 100 / balance).quantize(CENT)
        if pct > actor.max_discount_pct:
            beyond.append(
                _("A %(pct)s%% discount is above your limit of %(limit)s%%.")
                % {"pct": pct, "limit": actor.max_discount_pct}
            )
    return beyond


@transaction.atomic
def plan_create(
    *,
    case_id: int,
    actor: User,
    installments: Sequence[tuple[date, Decimal]],
    frequency: str,
    discount_amount: Decimal = Decimal(0),
) -> RepaymentPlan:
    """Save a plan. Within the actor's authority it is active at once (the case moves to
    payment_plan and earlier live plans are cancelled); beyond it, pending_approval for a
    manager. Installments plus discount must cover the open balance exactly."""
    case = Case.objects.select_for_update().get(pk=case_id)
    balance, currency = _case_balance(case)
    rows = sorted(installments, key=lambda r: r[0])
    errors: dict[str, str] = {}
    if frequency not in Frequency.values:
        errors["frequency"] = _("Unknown frequency.")
    if not rows:
        errors["installments"] = _("A plan needs at least one installment.")
    elif any(amount is None or amount <= 0 for _d, amount in rows):
        errors["installments"] = _("Every installment must be more than zero.")
    elif len({d for d, _a in rows}) != len(rows):
        errors["installments"] = _("Two installments fall on the same day.")
    elif rows[0][0] < timezone.localdate():
        errors["installments"] = _("The first installment cannot be in the past.")
    if discount_amount is None or discount_amount < 0:
        errors["discount_amount"] = _("The discount cannot be negative.")
    elif discount_amount >= balance and balance > 0:
        errors["discount_amount"] = _("The discount must be less than the balance.")
    if not errors:
        total = sum((a for _d, a in rows), Decimal("0"))
        if total + discount_amount != balance:
            errors["installments"] = _(
                "Installments (%(total)s) plus discount (%(discount)s) must equal the balance "
                "%(balance)s."
            ) % {"total": total, "discount": discount_amount, "balance": balance}
    moving = case.status != CaseStatus.PAYMENT_PLAN
    if not errors and moving and not case.can_move_to(CaseStatus.PAYMENT_PLAN):
        errors["__all__"] = _("A plan cannot be made while the case is %(status)s.") % {
            "status": case.get_status_display()
        }
    if errors:
        raise ValidationError(errors)
    beyond = plan_within_authority(
        actor=actor, months=plan_length_months(rows), discount=discount_amount, balance=balance
    )
    status = PlanStatus.PENDING_APPROVAL if beyond else PlanStatus.ACTIVE
    plan = RepaymentPlan.objects.create(
        case=case,
        status=status,
        total_amount=sum((a for _d, a in rows), Decimal("0")),
        currency=currency,
        frequency=frequency,
        start_date=rows[0][0],
        discount_amount=discount_amount,
        created_by=actor,
        approved_by=actor if status == PlanStatus.ACTIVE else None,
        approved_at=timezone.now() if status == PlanStatus.ACTIVE else None,
    )
    Installment.objects.bulk_create(
        Installment(plan=plan, seq=i, due_date=d, amount=a) for i, (d, a) in enumerate(rows, 1)
    )
    if beyond:
        Note.objects.create(
            case=case,
            author=actor,
            body=_("Plan %(id)s awaits a manager's approval: %(why)s")
            % {"id": plan.pk, "why": " ".join(beyond)},
        )
    else:
        _plan_activate(case=case, plan=plan, actor=actor)
    _reminders_sync(case.pk)
    return plan


def _plan_activate(*, case: Case, plan: RepaymentPlan, actor: User) -> None:
    # One live plan per case: the new one replaces any earlier plan, and the pending promises
    # it absorbs (left pending, they would later be reported broken while the debtor pays
    # the plan).
    RepaymentPlan.objects.filter(case=case, status__in=LIVE_PLAN_STATUSES).exclude(
        pk=plan.pk
    ).update(status=PlanStatus.CANCELLED)
    PromiseToPay.objects.filter(case=case, status=PromiseStatus.PENDING).update(
        status=PromiseStatus.CANCELLED, resolved_at=timezone.now()
    )
    if case.status != CaseStatus.PAYMENT_PLAN:
        case_status_change(
            case_id=case.pk,
            to_status=CaseStatus.PAYMENT_PLAN,
            actor=actor,
            reason=_("Repayment plan %(id)s") % {"id": plan.pk},
        )


def _reminders_sync(case_id: int) -> None:
    from messaging.services.reminders import reminders_sync

    reminders_sync(case_id=case_id)


def _check_approver(*, plan: RepaymentPlan, actor: User) -> None:
    team = plan.case.team
    is_team_manager = (
        actor.is_manager
        and team is not None
        and (team.manager_id == actor.pk or actor.team_id == team.pk)
    )
    if not (is_team_manager or actor.is_admin_role):
        raise PermissionDenied(_("Only a manager of the case's team decides on this plan."))
    if plan.created_by_id == actor.pk:
        raise PermissionDenied(_("A plan needs a second person's approval."))


@transaction.atomic
def plan_approve(*, plan_id: int, actor: User, reason: str = "") -> RepaymentPlan:
    plan = RepaymentPlan.objects.select_related("case__team").get(pk=plan_id)
    _check_approver(plan=plan, actor=actor)
    case = Case.objects.select_for_update().get(pk=plan.case_id)
    # Compare-and-swap: of two managers deciding at once, exactly one wins.
    changed = RepaymentPlan.objects.filter(pk=plan_id, status=PlanStatus.PENDING_APPROVAL).update(
        status=PlanStatus.ACTIVE, approved_by=actor, approved_at=timezone.now()
    )
    if not changed:
        raise ValidationError(_("This plan is no longer awaiting approval."))
    plan.refresh_from_db()
    plan._change_reason = reason or "approved"  # type: ignore[attr-defined]
    plan.save(update_fields=["status"])  # records the decision in the plan's history
    _plan_activate(case=case, plan=plan, actor=actor)
    Note.objects.create(
        case=case,
        author=actor,
        body=_("Plan %(id)s approved. %(reason)s") % {"id": plan.pk, "reason": reason},
    )
    _reminders_sync(case.pk)
    return plan


@transaction.atomic
def plan_reject(*, plan_id: int, actor: User, reason: str) -> RepaymentPlan:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the plan is rejected.")})
    plan = RepaymentPlan.objects.select_related("case__team").get(pk=plan_id)
    _check_approver(plan=plan, actor=actor)
    changed = RepaymentPlan.objects.filter(pk=plan_id, status=PlanStatus.PENDING_APPROVAL).update(
        status=PlanStatus.REJECTED, approved_by=actor, approved_at=timezone.now()
    )
    if not changed:
        raise ValidationError(_("This plan is no longer awaiting approval."))
    plan.refresh_from_db()
    plan._change_reason = reason  # type: ignore[attr-defined]
    plan.save(update_fields=["status"])
    Note.objects.create(
        case_id=plan.case_id,
        author=actor,
        body=_("Plan %(id)s rejected: %(reason)s") % {"id": plan.pk, "reason": reason},
    )
    _reminders_sync(plan.case_id)
    return plan
