"""The one writer of payments: `payment_record`.

A payment is posted once (idempotent on its external reference), reduces the debt's balance,
pays the oldest open installments and the pending promises it covers, and closes the debt and
the case when nothing is left to pay. Overpayments are refused: the system has no credit
balance, and money beyond the balance belongs back with the creditor's core system.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from collections_app.models import (
    Case,
    CaseStatus,
    Debt,
    Debtor,
    DebtStatus,
    Installment,
    Payment,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    RepaymentPlan,
)
from collections_app.models.debt import OPEN_DEBT_STATUSES
from collections_app.services.case_status import case_status_change
from messaging.services.reminders import reminders_sync

CENT = Decimal("0.01")
OPEN_INSTALLMENT_STATUSES = ("due", "partial", "missed")
# A payment dated a little ahead of the server clock is a clock skew, not a future payment.
CLOCK_SKEW = timedelta(minutes=5)


def _existing_for_reference(
    *, external_reference: str, debt_id: int, amount: Decimal
) -> Payment | None:
    existing = Payment.objects.filter(external_reference=external_reference).first()
    if existing is None:
        return None
    if existing.debt_id != debt_id or existing.amount != amount:
        raise ValidationError(
            {
                "external_reference": _(
                    "Reference %(ref)s was already posted with a different debt or amount."
                )
                % {"ref": external_reference}
            }
        )
    return existing


def _installments_apply(
    *, case_id: int, amount: Decimal, installment_id: int | None
) -> Installment | None:
    """Pay the named installment first, then the oldest open ones; returns the first paid."""
    open_rows = list(
        Installment.objects.select_for_update()
        .filter(
            plan__case_id=case_id,
            plan__status=PlanStatus.ACTIVE,
            status__in=OPEN_INSTALLMENT_STATUSES,
        )
        .order_by("due_date", "seq", "id")
    )
    if installment_id is not None:
        named = [i for i in open_rows if i.pk == installment_id]
        if (
            not named
            and not Installment.objects.filter(pk=installment_id, plan__case_id=case_id).exists()
        ):
            raise ValidationError({"installment": _("The installment is not on this case.")})
        open_rows = named + [i for i in open_rows if i.pk != installment_id]
    first: Installment | None = None
    remaining = amount
    touched_plans: set[int] = set()
    for inst in open_rows:
        if remaining <= 0:
            break
        take = min(remaining, inst.amount - inst.paid_amount)
        if take <= 0:
            continue
        inst.paid_amount += take
        inst.status = "paid" if inst.paid_amount >= inst.amount else "partial"
        inst.save(update_fields=["paid_amount", "status"])
        remaining -= take
        touched_plans.add(inst.plan_id)
        first = first or inst
    for plan_id in touched_plans:
        if not Installment.objects.filter(plan_id=plan_id).exclude(status="paid").exists():
            plan = RepaymentPlan.objects.get(pk=plan_id)
            plan.status = PlanStatus.COMPLETED
            plan.save(update_fields=["status"])
    return first


def _promises_apply(
    *, case_id: int, debt_id: int, amount: Decimal, received_at: datetime
) -> PromiseToPay | None:
    """Count the payment towards pending promises, oldest first; a covered promise is kept."""
    pending = list(
        PromiseToPay.objects.select_for_update()
        .filter(case_id=case_id, status=PromiseStatus.PENDING)
        .filter(Q(debt_id=debt_id) | Q(debt__isnull=True))  # or the whole case
        .order_by("due_date", "id")
    )
    first: PromiseToPay | None = None
    remaining = amount
    for promise in pending:
        if remaining <= 0:
            break
        take = min(remaining, promise.amount - promise.paid_amount)
        if take <= 0:
            continue
        promise.paid_amount += take
        fields = ["paid_amount"]
        if promise.paid_amount >= promise.amount:
            promise.status = PromiseStatus.KEPT
            promise.resolved_at = received_at
            fields += ["status", "resolved_at"]
        promise.save(update_fields=fields)
        remaining -= take
        first = first or promise
    return first


@transaction.atomic
def payment_record(
    *,
    case_id: int,
    debt_id: int,
    amount: Decimal,
    received_at: datetime,
    actor: User | None,
    method: str = "",
    external_reference: str | None = None,
    source: str = "manual",
    installment_id: int | None = None,
) -> Payment:
    """Post a payment on one debt of a case and apply it; a repeated reference posts nothing.

    `actor` None is the system (a feed); a person must be allowed to write the case.
    """
    if actor is not None and not Case.objects.writable_by(actor).filter(pk=case_id).exists():
        raise PermissionDenied(_("You cannot record payments on this case."))
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(CENT):
        raise ValidationError({"amount": _("Enter a positive amount with at most two decimals.")})
    if timezone.is_naive(received_at):
        raise ValidationError({"received_at": _("The time must carry its UTC offset.")})
    if received_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"received_at": _("A payment cannot be received in the future.")})
    external_reference = (external_reference or "").strip() or None

    case = Case.objects.filter(pk=case_id).only("id", "debtor_id").first()
    if case is None or not case.debts.filter(pk=debt_id).exists():
        raise ValidationError({"debt": _("The debt is not on this case.")})
    # Lock order of the house: debtor, then its rows. The debt lock serialises every payment on
    # the debt, so a repeated reference is seen by the second caller, never posted twice.
    Debtor.objects.select_for_update().filter(pk=case.debtor_id).first()
    debt = Debt.objects.select_for_update().get(pk=debt_id)
    if external_reference:
        existing = _existing_for_reference(
            external_reference=external_reference, debt_id=debt_id, amount=amount
        )
        if existing is not None:
            return existing
    if debt.status not in OPEN_DEBT_STATUSES:
        raise ValidationError(
            {
                "debt": _("The debt is %(status)s; it takes no payments.")
                % {"status": debt.get_status_display()}
            }
        )
    if amount > debt.balance:
        raise ValidationError(
            {
                "amount": _(
                    "%(amount)s exceeds the balance of %(balance)s; overpayments are refused."
                )
                % {"amount": amount, "balance": debt.balance}
            }
        )

    try:
        # A savepoint: a reference posted concurrently on another debt trips the unique
        # constraint; then the existing row is the answer (or the conflict is reported).
        with transaction.atomic():
            payment = Payment.objects.create(
                case_id=case_id,
                debt=debt,
                amount=amount,
                currency=debt.currency,
                received_at=received_at,
                method=method[:30],
                external_reference=external_reference,
                source=source[:20],
                recorded_by=actor,
            )
    except IntegrityError:
        existing = _existing_for_reference(
            external_reference=external_reference or "", debt_id=debt_id, amount=amount
        )
        if existing is None:
            raise
        return existing

    payment.installment = _installments_apply(
        case_id=case_id, amount=amount, installment_id=installment_id
    )
    payment.promise = _promises_apply(
        case_id=case_id, debt_id=debt_id, amount=amount, received_at=received_at
    )
    if payment.installment or payment.promise:
        payment.save(update_fields=["installment", "promise"])

    debt.balance -= amount
    fields = ["balance", "updated_at"]
    if debt.balance == 0:
        debt.status = DebtStatus.PAID
        fields.append("status")
    debt.save(update_fields=fields)

    _case_close_when_paid(case_id=case_id, actor=actor)
    reminders_sync(case_id=case_id)
    return payment


def _case_close_when_paid(*, case_id: int, actor: User | None) -> None:
    case = Case.objects.get(pk=case_id)
    statuses = list(case.debts.values_list("status", flat=True))
    if not statuses or any(s in OPEN_DEBT_STATUSES for s in statuses):
        return
    if DebtStatus.PAID not in statuses:
        return
    if case.status != CaseStatus.PAID and case.can_move_to(CaseStatus.PAID):
        case_status_change(
            case_id=case_id,
            to_status=CaseStatus.PAID,
            actor=actor,
            reason=_("All debts paid in full."),
        )
