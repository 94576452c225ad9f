"""An outside agency's results: its contact attempts and the payments it collected.

Attempts go into the contact ledger through the compliance import (source "import"), so the
call counts of every rule include them and a rule the agency broke is flagged, never dropped.
Payments go through `payment_record` (source "agency"). Both are idempotent: attempts by the
agency's reference, payments by their external reference.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from collections_app.models import Channel, ContactAttempt, ContactPoint, Direction, Outcome
from exchange.models import ImportBatch

from .fields import (
    CellError,
    choice_parse,
    datetime_parse,
    email_parse,
    money_parse,
    phone_parse,
    text_parse,
)
from .payment_feed import debts_with_cases, payments_rows_post
from .rows import Importer, RowProblem

RECORD_TYPES = ["attempt", "payment"]


@dataclass
class AgencyRow:
    number: int
    record_type: str
    agency: str
    creditor: str
    account_number: str
    external_reference: str
    # attempts
    contact: str = ""
    channel: str = ""
    direction: str = ""
    outcome: str = ""
    occurred_at: datetime | None = None
    # payments
    amount: Decimal | None = None
    received_at: datetime | None = None
    method: str = ""
    balance: Decimal | None = None


def agency_row_check(number: int, row: dict[str, str]) -> tuple[AgencyRow | None, list]:
    problems: list[RowProblem] = []

    def c(column: str, parse: Any) -> Any:
        try:
            return parse(row.get(column, ""))
        except CellError as exc:
            problems.append(RowProblem(number, column, row.get(column, ""), str(exc)))
            return None

    kind = c("record_type", lambda v: choice_parse(v, choices=RECORD_TYPES))
    clean = AgencyRow(
        number=number,
        record_type=kind or "",
        agency=c("agency", lambda v: text_parse(v, max_length=50, required=True)) or "",
        creditor=c("creditor", lambda v: text_parse(v, max_length=200, required=True)) or "",
        account_number=c("account_number", lambda v: text_parse(v, max_length=64, required=True))
        or "",
        external_reference=c(
            "external_reference", lambda v: text_parse(v, max_length=80, required=True)
        )
        or "",
    )
    if kind == "attempt":
        clean.channel = c("channel", lambda v: choice_parse(v, choices=list(Channel.values)))
        clean.direction = c(
            "direction",
            lambda v: choice_parse(v, choices=list(Direction.values), default="outbound"),
        )
        clean.outcome = c("outcome", lambda v: choice_parse(v, choices=list(Outcome.values)))
        clean.occurred_at = c("occurred_at", datetime_parse)
        if clean.channel == Channel.EMAIL:
            clean.contact = c("contact", email_parse)
        elif clean.channel in (Channel.CALL, Channel.SMS):
            raw = row.get("contact", "").strip()
            # A national number is read in the debtor's country once the account is known.
            clean.contact = (
                c("contact", lambda v: phone_parse(v, country=None)) if raw.startswith("+") else raw
            )
        else:
            clean.contact = c("contact", lambda v: text_parse(v, max_length=300))
        if not clean.contact and not problems:
            problems.append(RowProblem(number, "contact", "", _("This column is required.")))
    elif kind == "payment":
        clean.amount = c("amount", lambda v: money_parse(v, required=True, positive=True))
        clean.received_at = c("received_at", datetime_parse)
        clean.method = c("method", lambda v: text_parse(v, max_length=30)) or ""
    if problems:
        return None, problems
    return clean, []


def _attempt_reference(row: AgencyRow) -> str:
    return f"{row.agency}:{row.external_reference}"[:100]


def _attempts_apply(
    batch: ImportBatch, rows: list[AgencyRow], state: dict[str, Any]
) -> list[RowProblem]:
    from compliance.services.outreach import attempts_import

    refused: list[RowProblem] = []
    found = debts_with_cases(pairs={(r.creditor, r.account_number) for r in rows}, batch=batch)
    done = set(
        ContactAttempt.objects.filter(
            source="import", external_reference__in=[_attempt_reference(r) for r in rows]
        ).values_list("external_reference", flat=True)
    )
    debtor_ids = {hit[0].debtor_id for hit in found.values()}
    points = {
        (cp.debtor_id, cp.value): cp.pk
        for cp in ContactPoint.objects.filter(debtor_id__in=debtor_ids).only(
            "id", "debtor_id", "value"
        )
    }
    payload: list[dict[str, Any]] = []
    numbers: list[int] = []
    for row in sorted(rows, key=lambda r: (r.occurred_at, r.number)):
        hit = found.get((row.creditor, row.account_number))
        if hit is None:
            refused.append(
                RowProblem(row.number, "account_number", row.account_number, _("No such account."))
            )
            continue
        if _attempt_reference(row) in done:
            state["attempts_already_imported"] = state.get("attempts_already_imported", 0) + 1
            continue
        debt, _case_id = hit
        contact = row.contact
        if row.channel in (Channel.CALL, Channel.SMS) and not contact.startswith("+"):
            try:
                contact = phone_parse(contact, country=debt.debtor.country)
            except CellError as exc:
                refused.append(RowProblem(row.number, "contact", row.contact, str(exc)))
                continue
        point = points.get((debt.debtor_id, contact))
        if point is None:
            refused.append(
                RowProblem(
                    row.number,
                    "contact",
                    row.contact,
                    _("Not a contact point of this debtor; add it before importing."),
                )
            )
            continue
        payload.append(
            {
                "contact_point": point,
                "channel": row.channel,
                "direction": row.direction,
                "outcome": row.outcome,
                "occurred_at": row.occurred_at,
                "debts": [debt.pk],
                "notes": _("Reported by agency %(agency)s") % {"agency": row.agency},
                "external_reference": _attempt_reference(row),
            }
        )
        numbers.append(row.number)
    if not payload:
        return refused
    try:
        result = attempts_import(rows=payload, actor=batch.created_by)
    except ValidationError as exc:
        per_row = getattr(exc, "rows", None)
        if per_row:
            for index, errors in per_row.items():
                for column, messages in errors.items():
                    refused.append(
                        RowProblem(numbers[index], column, "", " ".join(map(str, messages)))
                    )
        else:
            refused.extend(RowProblem(n, "", "", " ".join(exc.messages)) for n in numbers)
        return refused
    state["attempts_imported"] = state.get("attempts_imported", 0) + result.created
    state["attempts_flagged"] = state.get("attempts_flagged", 0) + len(result.flagged)
    return refused


def _apply(batch: ImportBatch, rows: list[AgencyRow], state: dict[str, Any]) -> list[RowProblem]:
    attempts = [r for r in rows if r.record_type == "attempt"]
    # Agencies number their own payments: the agency's name keeps the reference unique.
    payments = [
        replace(r, external_reference=_attempt_reference(r))
        for r in rows
        if r.record_type == "payment"
    ]
    refused = _attempts_apply(batch, attempts, state) if attempts else []
    if payments:
        refused += payments_rows_post(batch=batch, rows=payments, state=state, source="agency")
    return refused


AGENCY = Importer(
    required_columns=("record_type", "agency", "creditor", "account_number", "external_reference"),
    check=agency_row_check,
    apply=_apply,
    key=lambda r: (r.record_type, r.agency, r.external_reference),
    key_columns="external_reference",
    # The ledger is judged in time order: keep a file's attempts in as few chunks as possible.
    chunk_size=20000,
)
