"""The core system's payment feed: payments posted once each (by external reference) through
`payment_record`, and the feed's balances compared with ours into the exceptions queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from collections_app.models import Case, Debt, Payment
from collections_app.models.case import OPEN_CASE_STATUSES
from collections_app.services.payments import payment_record
from exchange.models import ExceptionStatus, ImportBatch, ReconciliationException

from .fields import CellError, datetime_parse, money_parse, text_parse
from .rows import Importer, RowProblem


@dataclass
class PaymentRow:
    number: int
    creditor: str
    account_number: str
    external_reference: str
    amount: Decimal | None
    received_at: datetime | None
    method: str
    balance: Decimal | None


def payment_row_check(number: int, row: dict[str, str]) -> tuple[PaymentRow | None, list]:
    problems: list[RowProblem] = []

    def c(column: str, parse: Any) -> Any:
        try:
            return parse(row.get(column, ""))
        except CellError as exc:
            problems.append(RowProblem(number, column, row.get(column, ""), str(exc)))
            return None

    creditor = c("creditor", lambda v: text_parse(v, max_length=200, required=True))
    account = c("account_number", lambda v: text_parse(v, max_length=64, required=True))
    amount = c("amount", lambda v: money_parse(v, positive=True))
    balance = c("balance", money_parse)
    reference = c("external_reference", lambda v: text_parse(v, max_length=100))
    received_at = None
    method = c("method", lambda v: text_parse(v, max_length=30)) or ""
    if amount is not None:
        received_at = c("received_at", datetime_parse)
        if not reference:
            problems.append(
                RowProblem(number, "external_reference", "", _("A payment needs its reference."))
            )
    elif not problems and balance is None:
        problems.append(RowProblem(number, "amount", "", _("Give an amount, a balance, or both.")))
    if problems:
        return None, problems
    return PaymentRow(
        number, creditor, account, reference or "", amount, received_at, method, balance
    ), []


def debts_with_cases(
    *, pairs: set[tuple[str, str]], batch: ImportBatch
) -> dict[tuple[str, str], tuple[Debt, int]]:
    """Debts by creditor + account with the case that carries them (open first), limited to
    the batch's team. Two queries for the whole chunk."""
    if not pairs:
        return {}
    q = Q()
    for creditor in {c for c, _a in pairs}:
        q |= Q(creditor=creditor, account_number__in=[a for c, a in pairs if c == creditor])
    debts = {d.pk: d for d in Debt.objects.filter(q).select_related("debtor")}
    links = Case.debts.through.objects.filter(debt_id__in=debts).select_related("case")
    if batch.team_id:
        links = links.filter(case__team_id=batch.team_id)
    best: dict[int, Case] = {}
    for link in links:
        current = best.get(link.debt_id)
        is_open = link.case.status in OPEN_CASE_STATUSES
        if current is None or (is_open and current.status not in OPEN_CASE_STATUSES):
            best[link.debt_id] = link.case
    return {
        (d.creditor, d.account_number): (d, best[d.pk].pk) for d in debts.values() if d.pk in best
    }


def _unknown(row: Any) -> RowProblem:
    return RowProblem(
        row.number, "account_number", row.account_number, _("No such account in your cases.")
    )


def payments_rows_post(
    *, batch: ImportBatch, rows: list[Any], state: dict[str, Any], source: str
) -> list[RowProblem]:
    """Post each row's payment once; rows already posted (same reference) post nothing."""
    found = debts_with_cases(pairs={(r.creditor, r.account_number) for r in rows}, batch=batch)
    refs = [r.external_reference for r in rows if r.amount is not None]
    posted = {
        p["external_reference"]: p
        for p in Payment.objects.filter(external_reference__in=refs).values(
            "external_reference", "debt_id", "amount"
        )
    }
    refused: list[RowProblem] = []
    for row in rows:
        hit = found.get((row.creditor, row.account_number))
        if hit is None:
            refused.append(_unknown(row))
            continue
        debt, case_id = hit
        if getattr(row, "balance", None) is not None:
            state.setdefault("_balances", {})[debt.pk] = (row.balance, case_id)
        if row.amount is None:
            continue
        earlier = posted.get(row.external_reference)
        if earlier is not None:
            if earlier["debt_id"] != debt.pk or earlier["amount"] != row.amount:
                refused.append(
                    RowProblem(
                        row.number,
                        "external_reference",
                        row.external_reference,
                        _("Already posted with another account or amount."),
                    )
                )
            else:
                state["payments_already_posted"] = state.get("payments_already_posted", 0) + 1
            continue
        try:
            # A savepoint per payment: a refused row leaves the others of the batch intact.
            with transaction.atomic():
                payment_record(
                    case_id=case_id,
                    debt_id=debt.pk,
                    amount=row.amount,
                    received_at=row.received_at,
                    actor=batch.created_by,
                    method=row.method,
                    external_reference=row.external_reference,
                    source=source,
                )
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            refused.append(RowProblem(row.number, "amount", str(row.amount), " ".join(messages)))
            continue
        state["payments_posted"] = state.get("payments_posted", 0) + 1
    return refused


def balances_reconcile(batch: ImportBatch, state: dict[str, Any]) -> None:
    """Compare the feed's last balance per debt with ours; queue or update the differences."""
    feed: dict[int, tuple[Decimal, int]] = state.get("_balances", {})
    if not feed:
        return
    ours = dict(Debt.objects.filter(pk__in=feed).values_list("id", "balance"))
    open_rows = {
        e.debt_id: e
        for e in ReconciliationException.objects.filter(
            debt_id__in=feed, status=ExceptionStatus.OPEN
        )
    }
    new, changed = [], []
    for debt_id, (feed_balance, case_id) in feed.items():
        system = ours[debt_id]
        if system == feed_balance:
            continue
        known = open_rows.get(debt_id)
        if known is None:
            new.append(
                ReconciliationException(
                    batch=batch,
                    case_id=case_id,
                    debt_id=debt_id,
                    feed_balance=feed_balance,
                    system_balance=system,
                )
            )
        elif (known.feed_balance, known.system_balance) != (feed_balance, system):
            known.feed_balance, known.system_balance, known.batch = feed_balance, system, batch
            changed.append(known)
    ReconciliationException.objects.bulk_create(new)
    ReconciliationException.objects.bulk_update(
        changed, ["feed_balance", "system_balance", "batch"]
    )
    state["balances_checked"] = len(feed)
    state["exceptions_opened"] = len(new)
    state["exceptions_updated"] = len(changed)


def _apply(batch: ImportBatch, rows: list[PaymentRow], state: dict[str, Any]) -> list[RowProblem]:
    return payments_rows_post(batch=batch, rows=rows, state=state, source="feed")


PAYMENTS = Importer(
    required_columns=("creditor", "account_number"),
    check=payment_row_check,
    apply=_apply,
    finish=balances_reconcile,
    key=lambda r: r.external_reference or None,
    key_columns="external_reference",
)
