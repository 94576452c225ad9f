"""Rows of one chunk, keyed by table, with ids handed out before anything is written.

Ids are assigned up front so that rows can point at each other (an attempt at its decision, a
payment at its installment) and be written with PostgreSQL COPY, which returns no ids.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models

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

__all__ = ["MODELS", "PER_CASE", "THROUGH", "WITH_HISTORY", "IdAllocator", "Rows", "id_bases"]


# Most rows of one table a single case can have. Each chunk of cases owns a block of ids per
# table (chunk size x this), so chunks can be generated and written independently, in
# parallel processes, and still give the same data for the same seed.
PER_CASE: dict[str, int] = {
    "debtor": 1,
    "contact_point": 12,
    "debt": 3,
    "case": 1,
    "decision": 100,
    "attempt": 100,
    "status_change": 1,
    "assignment": 1,
    "promise": 6,
    "plan": 2,
    "installment": 40,
    "payment": 45,
    "note": 6,
    "follow_up": 2,
    "reminder": 6,
    "restriction": 2,
    "consent": 3,
}


def id_bases() -> dict[str, int]:
    """The first free primary key of every table, read once at the start of a seed."""
    bases = {}
    for label in PER_CASE:
        top = MODELS[label].objects.aggregate(top=models.Max("pk"))["top"] or 0
        bases[label] = top + 1
    return bases


class IdAllocator:
    """Primary keys of one chunk: chunk `index` of `size` cases starts its block of each table
    at base + index x size x PER_CASE. Chunk 0 of a small seed therefore has contiguous ids."""

    def __init__(self, bases: dict[str, int], *, chunk_index: int = 0, chunk_size: int = 1) -> None:
        self._next = {
            label: base + chunk_index * chunk_size * PER_CASE[label]
            for label, base in bases.items()
        }
        self._limit = {
            label: start + chunk_size * PER_CASE[label] for label, start in self._next.items()
        }

    def take(self, label: str) -> int:
        value = self._next[label]
        if value >= self._limit[label]:
            raise OverflowError(f"more {label} rows than the chunk's id block holds")
        self._next[label] = value + 1
        return value


class Rows:
    """A chunk of rows: `rows.add("case", {...})` with attribute names as keys."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(self, label: str, row: dict[str, Any]) -> dict[str, Any]:
        self.tables[label].append(row)
        return row

    def count(self, label: str) -> int:
        return len(self.tables.get(label, ()))
