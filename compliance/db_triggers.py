"""Database triggers that raise a debtor's facts version (`models.DebtorFactsVersion`) whenever
a row the compliance rules read about the debtor is written, by whatever path: the gate, an
import, the admin, a bulk update, a COPY.

They live in the database rather than in signals so that no write can forget them; stored
eligibility answers (`services.eligibility`) trust the version to say that nothing changed.
On PostgreSQL each table has one trigger per statement kind, over the transition tables, so a
bulk write raises each debtor's version once; SQLite has row triggers. Created by migration
`0003_eligibility_answers` from the historical models (table and column names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VERSION_TABLE = "compliance_debtorfactsversion"


@dataclass(frozen=True)
class Watched:
    table: str
    debtor: str  # SQL over the row alias `r` giving the debtor id
    events: tuple[str, ...] = ("insert", "update", "delete")
    update_of: str | None = None  # only updates of this column (row trigger)


def watched_tables(apps: Any) -> list[Watched]:
    """Every table a snapshot reads (`compliance.services.context`), with the debtor of a row."""
    attempt = apps.get_model("collections_app", "ContactAttempt")
    case = apps.get_model("collections_app", "Case")
    restriction = apps.get_model("compliance", "ContactRestriction")
    consent = apps.get_model("compliance", "Consent")
    out = [
        Watched(attempt._meta.db_table, "r.debtor_id"),
        Watched(apps.get_model("collections_app", "ContactPoint")._meta.db_table, "r.debtor_id"),
        Watched(apps.get_model("collections_app", "Debt")._meta.db_table, "r.debtor_id"),
        Watched(apps.get_model("collections_app", "Debtor")._meta.db_table, "r.id", ("update",)),
        Watched(case._meta.db_table, "r.debtor_id", ("update",), update_of="debtor_id"),
        Watched(restriction._meta.db_table, "r.debtor_id"),
        Watched(consent._meta.db_table, "r.debtor_id"),
    ]
    links = [
        (attempt, "debts"),
        (attempt, "debts_discussed"),
        (case, "debts"),
        (restriction, "debts"),
        (consent, "debts"),
    ]
    for owner, name in links:
        through = owner._meta.get_field(name).remote_field.through
        owner_col = next(
            f.column for f in through._meta.fields if f.is_relation and f.related_model is owner
        )
        debtor = (
            f'(SELECT o.debtor_id FROM "{owner._meta.db_table}" o WHERE o.id = r."{owner_col}")'
        )
        out.append(Watched(through._meta.db_table, debtor))
    return out


def _name(table: str, event: str) -> str:
    return f"fv_{table}_{event}"[:63]


def _upsert(source: str) -> str:
    return (
        f"INSERT INTO {VERSION_TABLE} AS v (debtor_id, version) "
        f"SELECT d, 1 FROM ({source}) s WHERE d IS NOT NULL GROUP BY d ORDER BY d "
        "ON CONFLICT (debtor_id) DO UPDATE SET version = v.version + 1"
    )


def postgresql_create(apps: Any) -> list[str]:
    statements = []
    for w in watched_tables(apps):
        for event in w.events:
            name = _name(w.table, event)
            if w.update_of:
                source = (
                    f"SELECT {w.debtor.replace('r.', 'NEW.')} AS d "
                    f"UNION SELECT {w.debtor.replace('r.', 'OLD.')}"
                )
                trigger = (
                    f'CREATE TRIGGER {name} AFTER UPDATE OF "{w.update_of}" ON "{w.table}" '
                    f"FOR EACH ROW WHEN (OLD.{w.update_of} IS DISTINCT FROM NEW.{w.update_of}) "
                    f"EXECUTE FUNCTION {name}()"
                )
            else:
                if event == "insert":
                    source, ref = f"SELECT {w.debtor} AS d FROM new_rows r", "NEW TABLE AS new_rows"
                elif event == "delete":
                    source, ref = f"SELECT {w.debtor} AS d FROM old_rows r", "OLD TABLE AS old_rows"
                else:
                    source = (
                        f"SELECT {w.debtor} AS d FROM new_rows r "
                        f"UNION SELECT {w.debtor} FROM old_rows r"
                    )
                    ref = "OLD TABLE AS old_rows NEW TABLE AS new_rows"
                trigger = (
                    f'CREATE TRIGGER {name} AFTER {event.upper()} ON "{w.table}" '
                    f"REFERENCING {ref} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
                )
            statements.append(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {_upsert(source)}; RETURN NULL; END $$"
            )
            statements.append(f'DROP TRIGGER IF EXISTS {name} ON "{w.table}"')
            statements.append(trigger)
    return statements


def postgresql_drop(apps: Any) -> list[str]:
    statements = []
    for w in watched_tables(apps):
        for event in w.events:
            name = _name(w.table, event)
            statements.append(f'DROP TRIGGER IF EXISTS {name} ON "{w.table}"')
            statements.append(f"DROP FUNCTION IF EXISTS {name}()")
    return statements


def sqlite_create(apps: Any) -> list[str]:
    statements = []
    for w in watched_tables(apps):
        for event in w.events:
            name = _name(w.table, event)
            rows = {"insert": ["NEW"], "delete": ["OLD"], "update": ["NEW", "OLD"]}[event]
            body = " ".join(
                # `WHERE true`-like filter: SQLite needs a WHERE before ON CONFLICT here.
                f"INSERT INTO {VERSION_TABLE} (debtor_id, version) "
                f"SELECT d, 1 FROM (SELECT {w.debtor.replace('r.', row + '.')} AS d) "
                "WHERE d IS NOT NULL "
                "ON CONFLICT (debtor_id) DO UPDATE SET version = version + 1;"
                for row in rows
            )
            when = ""
            of = ""
            if w.update_of:
                of = f' OF "{w.update_of}"'
                when = f" WHEN OLD.{w.update_of} IS NOT NEW.{w.update_of}"
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
            statements.append(
                f'CREATE TRIGGER {name} AFTER {event.upper()}{of} ON "{w.table}" '
                f"FOR EACH ROW{when} BEGIN {body} END"
            )
    return statements


def sqlite_drop(apps: Any) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {_name(w.table, event)}"
        for w in watched_tables(apps)
        for event in w.events
    ]


def create(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = postgresql_create(apps)
    elif vendor == "sqlite":
        statements = sqlite_create(apps)
    else:  # pragma: no cover - the two databases this project runs on
        raise NotImplementedError(f"no facts-version triggers for {vendor}")
    for sql in statements:
        schema_editor.execute(sql, params=None)


def drop(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements = postgresql_drop(apps) if vendor == "postgresql" else sqlite_drop(apps)
    for sql in statements:
        schema_editor.execute(sql, params=None)
