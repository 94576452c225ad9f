"""The floor of each figure: the least raw SQL that gives the same answer on the same data.

Each function runs its SQL on the default connection and returns a row count (so the work
cannot be skipped). The ratio ours / floor says how much the application adds on top of
what PostgreSQL must do anyway; where a floor leaves work out (it writes no decision row, it
renders no HTML) its docstring says so and the report repeats it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection

LEDGER_DAYS = 30
QUEUE_PAGE = 25


def _fetch(sql: str, params: Sequence[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def decision_floor(*, contact_point_id: int, at: datetime) -> int:
    """What one decision must read: the debtor row locked, its calls of the ledger window,
    its restrictions and consents, its contact points; one round trip. Writes no decision."""
    return _fetch(
        """
        SELECT d.id, d.country, d.region, d.timezone, d.deceased,
          (SELECT count(*) FROM collections_app_contactattempt a
            WHERE a.debtor_id = d.id AND a.occurred_at >= %s AND a.channel = 'call'),
          (SELECT max(a.occurred_at) FROM collections_app_contactattempt a
            WHERE a.debtor_id = d.id AND a.occurred_at >= %s AND a.outcome = 'conversation'),
          (SELECT count(*) FROM compliance_contactrestriction r
            WHERE r.debtor_id = d.id AND r.effective_at <= %s
              AND (r.ends_at IS NULL OR r.ends_at > %s)),
          (SELECT count(*) FROM compliance_consent c WHERE c.debtor_id = d.id),
          (SELECT json_agg(p.timezones) FROM collections_app_contactpoint p
            WHERE p.debtor_id = d.id)
        FROM collections_app_debtor d
        WHERE d.id = (SELECT debtor_id FROM collections_app_contactpoint WHERE id = %s)
        FOR UPDATE OF d
        """,
        [
            at - timedelta(days=LEDGER_DAYS),
            at - timedelta(days=LEDGER_DAYS),
            at,
            at,
            contact_point_id,
        ],
    )


def eligibility_floor(*, case_ids: list[int], at: datetime) -> int:
    """One set-based query: per case, its debtor's calls and last conversation in the ledger
    window and whether a restriction is in force."""
    return _fetch(
        """
        SELECT c.id, d.country, d.region,
          coalesce(a.calls, 0), a.last_conversation, r.debtor_id IS NOT NULL
        FROM collections_app_case c
        JOIN collections_app_debtor d ON d.id = c.debtor_id
        LEFT JOIN (
          SELECT debtor_id, count(*) FILTER (WHERE channel = 'call') AS calls,
                 max(occurred_at) FILTER (WHERE outcome = 'conversation') AS last_conversation
          FROM collections_app_contactattempt
          WHERE occurred_at >= %s AND debtor_id IN (
            SELECT debtor_id FROM collections_app_case WHERE id = ANY(%s))
          GROUP BY debtor_id
        ) a ON a.debtor_id = d.id
        LEFT JOIN (
          SELECT DISTINCT debtor_id FROM compliance_contactrestriction
          WHERE debtor_id IN (SELECT debtor_id FROM collections_app_case WHERE id = ANY(%s))
            AND effective_at <= %s AND (ends_at IS NULL OR ends_at > %s)
        ) r ON r.debtor_id = d.id
        WHERE c.id = ANY(%s)
        """,
        [at - timedelta(days=LEDGER_DAYS), case_ids, case_ids, at, at, case_ids],
    )


OPEN_CASE = "('new', 'active', 'promise_to_pay', 'payment_plan', 'disputed')"


def queue_floor(*, user_id: int) -> int:
    """The first page of the collector's open cases by risk and open balance, and the count
    for the pager. No urgency flags (promises, follow-ups), no HTML."""
    rows = _fetch(
        f"""
        SELECT c.id, c.status, d.full_name, d.region, d.risk_score, b.total
        FROM collections_app_case c
        JOIN collections_app_debtor d ON d.id = c.debtor_id
        LEFT JOIN LATERAL (
          SELECT sum(x.balance) AS total FROM collections_app_case_debts cd
          JOIN collections_app_debt x ON x.id = cd.debt_id WHERE cd.case_id = c.id
        ) b ON true
        WHERE c.assigned_to_id = %s AND c.status IN {OPEN_CASE}
        ORDER BY d.risk_score DESC NULLS LAST, b.total DESC, c.id
        LIMIT {QUEUE_PAGE}
        """,  # noqa: S608 (constants only)
        [user_id],
    )
    rows += _fetch(
        f"SELECT count(*) FROM collections_app_case WHERE assigned_to_id = %s "  # noqa: S608 (constants only)
        f"AND status IN {OPEN_CASE}",
        [user_id],
    )
    return rows


def case_floor(*, case_id: int) -> int:
    """The case file in one query per relation: case and debtor, debts, contact points,
    the last 50 attempts, promises, payments, notes, follow-ups, reminders."""
    n = _fetch(
        "SELECT c.*, d.* FROM collections_app_case c "
        "JOIN collections_app_debtor d ON d.id = c.debtor_id WHERE c.id = %s",
        [case_id],
    )
    n += _fetch(
        "SELECT x.* FROM collections_app_debt x JOIN collections_app_case_debts cd "
        "ON cd.debt_id = x.id WHERE cd.case_id = %s",
        [case_id],
    )
    n += _fetch(
        "SELECT p.* FROM collections_app_contactpoint p JOIN collections_app_case c "
        "ON c.debtor_id = p.debtor_id WHERE c.id = %s",
        [case_id],
    )
    n += _fetch(
        "SELECT a.* FROM collections_app_contactattempt a JOIN collections_app_case c "
        "ON c.debtor_id = a.debtor_id WHERE c.id = %s ORDER BY a.occurred_at DESC LIMIT 50",
        [case_id],
    )
    for table in ("promisetopay", "payment", "note", "followup", "reminder"):
        sql = f"SELECT * FROM collections_app_{table} WHERE case_id = %s"  # noqa: S608 (fixed names)
        n += _fetch(sql, [case_id])
    return n


def dashboard_floor(*, team_id: int, start: date, end: date) -> int:
    """Per collector of the team: active cases, attempts and conversations, promises and
    amounts collected in the period; the team's open balance per bucket."""
    since = datetime.combine(start, datetime.min.time())
    until = datetime.combine(end + timedelta(days=1), datetime.min.time())
    n = _fetch(
        f"""
        SELECT u.id,
          (SELECT count(*) FROM collections_app_case c
            WHERE c.assigned_to_id = u.id AND c.status IN {OPEN_CASE}),
          (SELECT count(*) FILTER (WHERE a.outcome = 'conversation') || '/' || count(*)
            FROM collections_app_contactattempt a
            WHERE a.actor_id = u.id AND a.occurred_at >= %s AND a.occurred_at < %s),
          (SELECT count(*) FROM collections_app_promisetopay p
            WHERE p.created_by_id = u.id AND p.created_at >= %s AND p.created_at < %s),
          (SELECT sum(m.amount) FROM collections_app_payment m
            JOIN collections_app_case c ON c.id = m.case_id
            WHERE c.assigned_to_id = u.id AND m.received_at >= %s AND m.received_at < %s)
        FROM accounts_user u WHERE u.team_id = %s AND u.role = 'collector'
        """,  # noqa: S608 (constants only)
        [since, until, since, until, since, until, team_id],
    )
    n += _fetch(
        f"""
        SELECT x.bucket, count(DISTINCT c.id), sum(x.balance)
        FROM collections_app_case c
        JOIN collections_app_case_debts cd ON cd.case_id = c.id
        JOIN collections_app_debt x ON x.id = cd.debt_id
        WHERE c.team_id = %s AND c.status IN {OPEN_CASE}
        GROUP BY x.bucket
        """,  # noqa: S608 (constants only)
        [team_id],
    )
    return n


class _CountingSink(io.RawIOBase):
    """A write-only file that counts lines and bytes and keeps nothing."""

    def __init__(self) -> None:
        self.lines = 0
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.lines += chunk.count(b"\n")
        self.bytes += len(chunk)
        return len(chunk)


def export_floor(*, rows: int) -> int:
    """`COPY (the export's columns, newest first, LIMIT rows) TO STDOUT` as CSV."""
    sink = _CountingSink()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"""
            COPY (
              SELECT 'attempt', a.occurred_at, a.debtor_id, d.full_name, a.case_id, t.name,
                     p.value, a.channel, a.direction, a.outcome, a.source, u.username,
                     a.flagged, a.decision_id, a.flag_reasons, a.id
              FROM collections_app_contactattempt a
              JOIN collections_app_debtor d ON d.id = a.debtor_id
              LEFT JOIN collections_app_case c ON c.id = a.case_id
              LEFT JOIN accounts_team t ON t.id = c.team_id
              LEFT JOIN collections_app_contactpoint p ON p.id = a.contact_point_id
              LEFT JOIN accounts_user u ON u.id = a.actor_id
              ORDER BY a.occurred_at DESC, a.id DESC
              LIMIT {int(rows)}
            ) TO STDOUT WITH (FORMAT csv)
            """,  # noqa: S608 (an int only)
            sink,
        )
    return sink.lines


def csv_copy_floor(*, path: str) -> int:
    """COPY a placement CSV into a temporary table of text columns (the least any import of
    the file must do: read and store every row once). Dropped afterwards."""
    with open(path, encoding="utf-8") as handle:
        header = handle.readline().lstrip("\ufeff").strip().split(",")
        columns = ", ".join(f'"c{i}" text' for i in range(len(header)))
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE bench_import_floor ({columns})")
            try:
                cursor.cursor.copy_expert(
                    "COPY bench_import_floor FROM STDIN WITH (FORMAT csv)", handle
                )
                cursor.execute("SELECT count(*) FROM bench_import_floor")
                return int(cursor.fetchone()[0])
            finally:
                cursor.execute("DROP TABLE bench_import_floor")


def reminders_floor(*, count: int) -> int:
    """Set-based: copy `count` decisions and `count` attempts (a decision and an attempt per
    message) and mark `count` reminders sent, in one transaction the caller rolls back."""
    from collections_app.models import ContactAttempt, Reminder
    from compliance.models import ComplianceDecision

    done = 0
    with connection.cursor() as cursor:
        for model in (ComplianceDecision, ContactAttempt):
            table = model._meta.db_table
            cols = ", ".join(
                connection.ops.quote_name(f.column)
                for f in model._meta.concrete_fields
                if not f.primary_key
            )
            cursor.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {table} "  # noqa: S608 (model metadata)
                f"ORDER BY id DESC LIMIT %s",
                [count],
            )
            done += cursor.rowcount
        cursor.execute(
            f"UPDATE {Reminder._meta.db_table} SET status = status WHERE id IN "  # noqa: S608
            f"(SELECT id FROM {Reminder._meta.db_table} ORDER BY id LIMIT %s)",
            [count],
        )
        done += cursor.rowcount
    return done
