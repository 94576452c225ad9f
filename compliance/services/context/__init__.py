"""Load what the compliance engine needs from the database and build its plain-data context.

Both the gate (`outreach.outreach_reserve`, one debtor) and the batch eligibility selector
(many debtors) go through `snapshots_load`, which runs a fixed number of indexed queries
whatever the number of debtors or the size of their ledgers:

1. contact points of the debtors,
2. debts of the debtors,
3. attempts of the last `LEDGER_DAYS` days (index `attempt_debtor_time`) with the debts each
   concerned and discussed,
4. restrictions and 5. consents, with their debts.

On PostgreSQL the debt ids come with their rows as arrays (`ArraySubquery`); elsewhere (the
embedded SQLite default) each link table is one more query, still a fixed number.

On PostgreSQL the five reads are plain SQL returning tuples (`load_sql.snapshots_load_sql`):
building ORM querysets and model rows cost far more CPU than the rows themselves, on the
gate's path and for a batch of a thousand cases alike. `load_orm.snapshots_load_orm` is the
same read through the ORM (other databases, and the reference the SQL one is tested against).
The snapshot itself, the conversions into engine data and `context_build` are in `snapshot`.

The debtor rows themselves come from the caller (the gate locks its row first; `DEBTOR_FIELDS`
are the fields the snapshot uses). The house policy is cached per process
(`house.house_policy_cached`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

from collections_app.models import Debtor

from .load_orm import snapshots_load_orm
from .load_sql import snapshots_load_sql
from .snapshot import (
    CHANNEL_KINDS,
    DEBTOR_FIELDS,
    LEDGER_DAYS,
    DebtorSnapshot,
    consent_info,
    contact_point_info,
    context_build,
    debt_status_for_engine,
    person_zones,
    weekly_windows_for_engine,
)

__all__ = [
    "CHANNEL_KINDS",
    "DEBTOR_FIELDS",
    "LEDGER_DAYS",
    "DebtorSnapshot",
    "consent_info",
    "contact_point_info",
    "context_build",
    "debt_status_for_engine",
    "person_zones",
    "snapshots_load",
    "snapshots_load_orm",
    "snapshots_load_sql",
    "weekly_windows_for_engine",
]


def snapshots_load(
    *, debtors: Sequence[Debtor], since: datetime, until: datetime | None = None
) -> dict[int, DebtorSnapshot]:
    """Snapshots of `debtors` with their ledger from `since` (to `until` when given)."""
    if connection.vendor == "postgresql":
        return snapshots_load_sql(debtors=debtors, since=since, until=until)
    return snapshots_load_orm(debtors=debtors, since=since, until=until)
