"""Recall / close file: accounts the creditor takes back. The debt is marked recalled with the
reason in its history; a case whose debts are all closed is closed through
`case_status_change`, its pending promises and plans cancelled and its reminders synced."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.models import (
    Case,
    CaseStatus,
    DebtStatus,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    RepaymentPlan,
)
from collections_app.models.debt import OPEN_DEBT_STATUSES
from collections_app.services.case_status import case_status_change
from exchange.models import ImportBatch
from messaging.services.reminders import reminders_sync

from .fields import CellError, text_parse
from .payment_feed import debts_with_cases
from .rows import Importer, RowProblem


@dataclass
class RecallRow:
    number: int
    creditor: str
    account_number: str
    reason: str


def recall_row_check(number: int, row: dict[str, str]) -> tuple[RecallRow | None, list]:
    problems: list[RowProblem] = []
    values = {}
    for column, length in (("creditor", 200), ("account_number", 64), ("reason", 200)):
        try:
            values[column] = text_parse(row.get(column, ""), max_length=length, required=True)
        except CellError as exc:
            problems.append(RowProblem(number, column, row.get(column, ""), str(exc)))
    if problems:
        return None, problems
    return RecallRow(number, **values), []


def _case_close_when_recalled(*, case: Case, reason: str, actor: Any) -> bool:
    statuses = list(case.debts.values_list("status", flat=True))
    if any(s in OPEN_DEBT_STATUSES for s in statuses) or case.status == CaseStatus.CLOSED:
        return False
    if not case.can_move_to(CaseStatus.CLOSED):
        return False
    now = timezone.now()
    for promise in PromiseToPay.objects.filter(case=case, status=PromiseStatus.PENDING):
        promise.status, promise.resolved_at = PromiseStatus.CANCELLED, now
        promise.save(update_fields=["status", "resolved_at"])
    for plan in RepaymentPlan.objects.filter(
        case=case,
        status__in=[PlanStatus.PROPOSED, PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE],
    ):
        plan.status = PlanStatus.CANCELLED
        plan.save(update_fields=["status"])
    case_status_change(case_id=case.pk, to_status=CaseStatus.CLOSED, actor=actor, reason=reason)
    reminders_sync(case_id=case.pk)
    return True


def _apply(batch: ImportBatch, rows: list[RecallRow], state: dict[str, Any]) -> list[RowProblem]:
    found = debts_with_cases(pairs={(r.creditor, r.account_number) for r in rows}, batch=batch)
    refused: list[RowProblem] = []
    touched_cases: dict[int, str] = {}
    for row in rows:
        hit = found.get((row.creditor, row.account_number))
        if hit is None:
            refused.append(
                RowProblem(
                    row.number,
                    "account_number",
                    row.account_number,
                    _("No such account in your cases."),
                )
            )
            continue
        debt, case_id = hit
        reason = _("Recalled by creditor: %(reason)s") % {"reason": row.reason}
        if debt.status in OPEN_DEBT_STATUSES:
            debt.status = DebtStatus.RECALLED
            debt._change_reason = reason  # type: ignore[attr-defined]
            debt.save(update_fields=["status", "updated_at"])
            state["debts_recalled"] = state.get("debts_recalled", 0) + 1
            # Promises on a recalled account are void even while the case stays open.
            for promise in PromiseToPay.objects.filter(debt=debt, status=PromiseStatus.PENDING):
                promise.status, promise.resolved_at = PromiseStatus.CANCELLED, timezone.now()
                promise.save(update_fields=["status", "resolved_at"])
        else:
            state["debts_already_closed"] = state.get("debts_already_closed", 0) + 1
        touched_cases[case_id] = reason
    cases = Case.objects.filter(pk__in=touched_cases).order_by("pk")
    for case in cases:
        if _case_close_when_recalled(
            case=case, reason=touched_cases[case.pk], actor=batch.created_by
        ):
            state["cases_closed"] = state.get("cases_closed", 0) + 1
    return refused


RECALLS = Importer(
    required_columns=("creditor", "account_number", "reason"),
    check=recall_row_check,
    apply=_apply,
    key=lambda r: (r.creditor, r.account_number),
    key_columns="account_number",
)
