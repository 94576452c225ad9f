"""Rows of one chunk, keyed by table, with ids handed out before anything is written.

Ids are assigned up front so that rows can point at each other (an attempt at its decision, a
payment at its installment) and be written with PostgreSQL COPY, which returns no ids.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models

from accounts.models import User
from collections_app import models as cm
from compliance import models as comp

# Write order: every row's foreign keys point at tables earlier in the list.
MODELS: dict[str, type[models.Model]] = {
    "debtor": cm.Debtor,
    "contact_point": cm.ContactPoint,
    "debt": cm.Debt,
    "case": cm.Case,
    "case_debts": cm.Case.debts.through,
    "decision": comp.ComplianceDecision,
    "attempt": cm.ContactAttempt,
    "attempt_debts": cm.ContactAttempt.debts.through,
    "attempt_debts_discussed": cm.ContactAttempt.debts_discussed.through,
    "status_change": cm.CaseStatusChange,
    "assignment": cm.CaseAssignment,
    "promise": cm.PromiseToPay,
    "plan": cm.RepaymentPlan,
    "installment": cm.Installment,
    "payment": cm.Payment,
    "note": cm.Note,
    "follow_up": cm.FollowUp,
    "reminder": cm.Reminder,
    "restriction": comp.ContactRestriction,
    "restriction_debts": comp.ContactRestriction.debts.through,
    "consent": comp.Consent,
}
# Link tables get their ids from the database.
THROUGH = frozenset({"case_debts", "attempt_debts", "attempt_debts_discussed", "restriction_debts"})
# Models whose history rows are written on the small (ORM) path.
WITH_HISTORY = frozenset({"debtor", "contact_point", "debt", "case"})

__all__ = ["MODELS", "THROUGH", "WITH_HISTORY", "IdAllocator", "Rows", "User"]


class IdAllocator:
    """Next free primary key per table, read once at the start of a seed."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        for label, model in MODELS.items():
            if label in THROUGH:
                continue
            top = model.objects.aggregate(top=models.Max("pk"))["top"] or 0
            self._next[label] = top + 1

    def take(self, label: str) -> int:
        value = self._next[label]
        self._next[label] = value + 1
        return value

    def used(self) -> dict[str, int]:
        return dict(self._next)


class Rows:
    """A chunk of rows: `rows.add("case", {...})` with attribute names as keys."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(self, label: str, row: dict[str, Any]) -> dict[str, Any]:
        self.tables[label].append(row)
        return row

    def count(self, label: str) -> int:
        return len(self.tables.get(label, ()))
