"""Promises to pay: the writers of PromiseToPay."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.models import Case, CaseStatus, ContactAttempt, PromiseStatus, PromiseToPay
from collections_app.services.case_status import case_status_change

if TYPE_CHECKING:
    from accounts.models import User

# A promise is a short-term commitment; anything further out is a repayment plan.
PROMISE_MAX_DAYS_AHEAD = 30


def _reminders_sync(case_id: int) -> None:
    from messaging.services.reminders import reminders_sync

    reminders_sync(case_id=case_id)


@transaction.atomic
def promise_create(
    *,
    case_id: int,
    actor: User | None,
    amount: Decimal,
    due_date: date,
    debt_id: int | None = None,
    attempt_id: int | None = None,
) -> PromiseToPay:
    """Record the debtor's promise to pay `amount` by `due_date`; the case moves to
    promise_to_pay (through the state machine) and its reminders are brought in line."""
    case = Case.objects.select_for_update().get(pk=case_id)
    errors: dict[str, str] = {}
    if amount is None or amount <= 0:
        errors["amount"] = _("The amount must be more than zero.")
    today = timezone.localdate()
    if due_date < today:
        errors["due_date"] = _("The due date cannot be in the past.")
    elif due_date > today + timedelta(days=PROMISE_MAX_DAYS_AHEAD):
        errors["due_date"] = _(
            "A promise is due within %(days)s days; build a repayment plan for longer terms."
        ) % {"days": PROMISE_MAX_DAYS_AHEAD}
    debts = {d.pk: d for d in case.debts.all()}
    if debt_id is not None and debt_id not in debts:
        errors["debt"] = _("This debt is not part of the case.")
    if (
        attempt_id is not None
        and not ContactAttempt.objects.filter(pk=attempt_id, debtor_id=case.debtor_id).exists()
    ):
        errors["attempt"] = _("This contact attempt does not belong to the debtor.")
    # A promise made while a plan runs (to pay this month's installment, say) leaves the case
    # on its plan; otherwise the case moves to promise_to_pay.
    moving = case.status not in (CaseStatus.PROMISE_TO_PAY, CaseStatus.PAYMENT_PLAN)
    if not errors and moving and not case.can_move_to(CaseStatus.PROMISE_TO_PAY):
        errors["__all__"] = _("A promise cannot be recorded while the case is %(status)s.") % {
            "status": case.get_status_display()
        }
    if errors:
        raise ValidationError(errors)
    if debt_id is not None:
        currency = debts[debt_id].currency
    else:
        currency = next(iter(debts.values())).currency if debts else "USD"
    promise = PromiseToPay.objects.create(
        case=case,
        debt_id=debt_id,
        amount=amount,
        currency=currency,
        due_date=due_date,
        created_by=actor,
        attempt_id=attempt_id,
    )
    if moving:
        case_status_change(
            case_id=case.pk,
            to_status=CaseStatus.PROMISE_TO_PAY,
            actor=actor,
            reason=_("Promise to pay %(amount)s %(currency)s by %(date)s")
            % {"amount": amount, "currency": currency, "date": due_date.isoformat()},
        )
    _reminders_sync(case.pk)
    return promise


@transaction.atomic
def promise_mark_broken(*, promise_id: int) -> PromiseToPay | None:
    """Mark a pending promise broken (compare-and-swap: a payment that kept it, or a second
    run, wins and nothing happens). The case goes back to active when no promise is left."""
    now = timezone.now()
    changed = PromiseToPay.objects.filter(pk=promise_id, status=PromiseStatus.PENDING).update(
        status=PromiseStatus.BROKEN, resolved_at=now
    )
    if not changed:
        return None
    promise = PromiseToPay.objects.select_related("case").get(pk=promise_id)
    case = promise.case
    still_pending = PromiseToPay.objects.filter(case=case, status=PromiseStatus.PENDING).exists()
    if case.status == CaseStatus.PROMISE_TO_PAY and not still_pending:
        case_status_change(
            case_id=case.pk,
            to_status=CaseStatus.ACTIVE,
            actor=None,
            reason=_("Promise to pay broken"),
        )
    _reminders_sync(case.pk)
    return promise
