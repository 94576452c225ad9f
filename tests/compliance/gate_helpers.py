"""Builders for gate tests: debtors with phones and cases, instants in local time, ledgers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from collections_app.models import Case, ContactPoint, Debt
from compliance.services.outreach import attempts_import
from tests.factories import CaseFactory, ContactPointFactory, DebtFactory, DebtorFactory

NY = ZoneInfo("America/New_York")


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0, zone: ZoneInfo = NY) -> datetime:
    """An instant given in the debtor's wall-clock time, in UTC as stored."""
    return datetime(y, m, d, hh, mm, tzinfo=zone).astimezone(UTC)


def debtor_with_case(
    *, team: Any, assigned_to: Any = None, debts: int = 1, product: str = "credit_card", **debtor
) -> tuple[Case, ContactPoint, list[Debt]]:
    """A New York State debtor (Eastern time) with one mobile and a case holding `debts`."""
    d = DebtorFactory(**debtor)
    cp = ContactPointFactory(debtor=d, kind="mobile", value="+15185550100")
    debt_rows = [DebtFactory(debtor=d, product=product) for _ in range(debts)]
    case = CaseFactory(debtor=d, team=team, assigned_to=assigned_to, debts=debt_rows)
    return case, cp, debt_rows


def history(cp: ContactPoint, actor: Any, *rows: tuple[datetime, str], **common: Any) -> Any:
    """Import past calls (occurred_at, outcome) on `cp` as facts."""
    payload = [
        {
            "contact_point": cp.pk,
            "channel": "call",
            "direction": "outbound",
            "outcome": outcome,
            "occurred_at": when,
            **common,
        }
        for when, outcome in rows
    ]
    return attempts_import(rows=payload, actor=actor)
