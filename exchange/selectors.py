"""Reads of the exchange app: batches, the exceptions queue, and the finance exports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from collections_app.models import Case, Installment, Payment, PromiseToPay
from exchange.models import ExceptionStatus, ImportBatch, ReconciliationException

CHUNK = 2000


def batch_list_for_user(*, user: User) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.visible_to(user).select_related("team", "created_by")


def batch_get_for_user(*, user: User, batch_id: int) -> ImportBatch:
    return get_object_or_404(batch_list_for_user(user=user), pk=batch_id)


def exception_list_for_user(
    *, user: User, status: str = ExceptionStatus.OPEN
) -> QuerySet[ReconciliationException]:
    qs = ReconciliationException.objects.visible_to(user).select_related(
        "debt", "case", "case__debtor", "resolved_by", "batch"
    )
    return qs.filter(status=status) if status else qs


@dataclass(frozen=True)
class Export:
    header: list[str]
    rows: Iterator[tuple[Any, ...]]
    filename: str


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00 UTC, end + 1 day 00:00 UTC): exports are by UTC calendar day."""
    return (
        datetime.combine(start, time.min, tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )


def export_for_user(*, user: User, kind: str, start: date, end: date) -> Export:
    """The rows of one finance export, scoped to what the user may see, streamed in chunks."""
    low, high = _bounds(start, end)
    name = f"{kind}-{start.isoformat()}-{end.isoformat()}.csv"
    if kind == "cases":
        cases = Case.objects.visible_to(user).filter(opened_at__gte=low, opened_at__lt=high)
        fields = [
            "case__id",
            "case__opened_at",
            "case__status",
            "case__team__name",
            "case__assigned_to__username",
            "case__debtor__full_name",
            "case__debtor__country",
            "case__debtor__region",
            "debt__creditor",
            "debt__account_number",
            "debt__product",
            "debt__currency",
            "debt__principal",
            "debt__balance",
            "debt__days_past_due",
            "debt__bucket",
            "debt__status",
        ]
        rows = (
            Case.debts.through.objects.filter(case__in=cases)
            .order_by("case_id", "debt_id")
            .values_list(*fields)
        )
    elif kind == "promises":
        fields = [
            "id",
            "case_id",
            "case__debtor__full_name",
            "debt__creditor",
            "debt__account_number",
            "amount",
            "currency",
            "due_date",
            "status",
            "paid_amount",
            "created_at",
            "created_by__username",
            "resolved_at",
        ]
        rows = (
            PromiseToPay.objects.visible_to(user)
            .filter(created_at__gte=low, created_at__lt=high)
            .order_by("id")
            .values_list(*fields)
        )
    elif kind == "plans":
        fields = [
            "plan_id",
            "plan__case_id",
            "plan__case__debtor__full_name",
            "plan__status",
            "plan__total_amount",
            "plan__currency",
            "plan__frequency",
            "plan__discount_amount",
            "plan__created_at",
            "plan__approved_by__username",
            "seq",
            "due_date",
            "amount",
            "paid_amount",
            "status",
        ]
        rows = (
            Installment.objects.visible_to(user)
            .filter(plan__created_at__gte=low, plan__created_at__lt=high)
            .order_by("plan_id", "seq")
            .values_list(*fields)
        )
    elif kind == "payments":
        fields = [
            "id",
            "received_at",
            "case_id",
            "case__debtor__full_name",
            "debt__creditor",
            "debt__account_number",
            "amount",
            "currency",
            "method",
            "source",
            "external_reference",
            "installment_id",
            "promise_id",
            "reverses_id",
            "recorded_by__username",
        ]
        rows = (
            Payment.objects.visible_to(user)
            .filter(received_at__gte=low, received_at__lt=high)
            .order_by("received_at", "id")
            .values_list(*fields)
        )
    else:
        raise ValueError(kind)
    header = [f.replace("__", "_") for f in fields]
    return Export(header=header, rows=rows.iterator(chunk_size=CHUNK), filename=name)
