"""Stable JSON forms of contexts and decisions, so a stored decision can be replayed exactly:
``evaluate(context_from_dict(stored))`` gives the same decision."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from compliance.engine.context import (
    ConsentInfo,
    ContactPointInfo,
    DebtInfo,
    HouseSettings,
    LedgerEntry,
    OutreachContext,
    RestrictionInfo,
    ZoneSource,
)
from compliance.engine.result import Decision

SCHEMA_VERSION = 1


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _req_dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _tm(value: time | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_tm(value: str | None) -> time | None:
    return time.fromisoformat(value) if value is not None else None


def _ids(values: frozenset[int]) -> list[int]:
    return sorted(values)


def _cp_to(cp: ContactPointInfo) -> dict[str, Any]:
    return {
        "id": cp.id,
        "kind": cp.kind,
        "value": cp.value,
        "owner": cp.owner,
        "relationship": cp.relationship,
        "is_employer_provided": cp.is_employer_provided,
        "wrong_number": cp.wrong_number,
        "is_verified": cp.is_verified,
    }


def _cp_from(d: dict[str, Any]) -> ContactPointInfo:
    return ContactPointInfo(**d)


def context_to_dict(ctx: OutreachContext) -> dict[str, Any]:
    """A JSON-serialisable dict of the whole context (stable key order and id order)."""
    h = ctx.house
    return {
        "schema": SCHEMA_VERSION,
        "at": ctx.at.isoformat(),
        "channel": ctx.channel,
        "contact_point": _cp_to(ctx.contact_point),
        "debtor_country": ctx.debtor_country,
        "outreach_debt_ids": _ids(ctx.outreach_debt_ids),
        "debts": [
            {"id": d.id, "creditor": d.creditor, "product": d.product, "status": d.status}
            for d in ctx.debts
        ],
        "debtor_region": ctx.debtor_region,
        "debtor_city": ctx.debtor_city,
        "debtor_deceased": ctx.debtor_deceased,
        "zones": [{"zone": z.zone, "source": z.source} for z in ctx.zones],
        "contact_points": [_cp_to(cp) for cp in ctx.contact_points],
        "ledger": [
            {
                "id": e.id,
                "occurred_at": e.occurred_at.isoformat(),
                "channel": e.channel,
                "direction": e.direction,
                "outcome": e.outcome,
                "contact_point_id": e.contact_point_id,
                "person": e.person,
                "debt_ids": _ids(e.debt_ids),
                "debts_discussed": _ids(e.debts_discussed),
                "source": e.source,
            }
            for e in ctx.ledger
        ],
        "restrictions": [
            {
                "id": r.id,
                "kind": r.kind,
                "effective_at": r.effective_at.isoformat(),
                "ends_at": _dt(r.ends_at),
                "channel": r.channel,
                "contact_point_id": r.contact_point_id,
                "debt_ids": _ids(r.debt_ids),
                "weekly_windows": [list(w) for w in r.weekly_windows],
            }
            for r in ctx.restrictions
        ],
        "consents": [
            {
                "id": c.id,
                "kind": c.kind,
                "given_at": c.given_at.isoformat(),
                "expires_at": _dt(c.expires_at),
                "debt_ids": _ids(c.debt_ids),
                "contact_point_id": c.contact_point_id,
                "person": c.person,
            }
            for c in ctx.consents
        ],
        "house": {
            "max_calls_per_7_days": h.max_calls_per_7_days,
            "earliest_local_time": _tm(h.earliest_local_time),
            "latest_local_time": _tm(h.latest_local_time),
            "max_daily_attempts_per_contact_point": h.max_daily_attempts_per_contact_point,
            "max_contacts_per_7_days": h.max_contacts_per_7_days,
            "no_contact_on_public_holidays": h.no_contact_on_public_holidays,
        },
        "purpose": ctx.purpose,
    }


def context_from_dict(d: dict[str, Any]) -> OutreachContext:
    """The inverse of ``context_to_dict``."""
    h = d.get("house") or {}
    return OutreachContext(
        at=_req_dt(d["at"]),
        channel=d["channel"],
        contact_point=_cp_from(d["contact_point"]),
        debtor_country=d["debtor_country"],
        outreach_debt_ids=frozenset(d.get("outreach_debt_ids", ())),
        debts=tuple(DebtInfo(**x) for x in d.get("debts", ())),
        debtor_region=d.get("debtor_region", ""),
        debtor_city=d.get("debtor_city", ""),
        debtor_deceased=d.get("debtor_deceased", False),
        zones=tuple(ZoneSource(**z) for z in d.get("zones", ())),
        contact_points=tuple(_cp_from(x) for x in d.get("contact_points", ())),
        ledger=tuple(
            LedgerEntry(
                id=e["id"],
                occurred_at=_req_dt(e["occurred_at"]),
                channel=e["channel"],
                direction=e.get("direction", "outbound"),
                outcome=e.get("outcome"),
                contact_point_id=e.get("contact_point_id"),
                person=e.get("person", "debtor"),
                debt_ids=frozenset(e.get("debt_ids", ())),
                debts_discussed=frozenset(e.get("debts_discussed", ())),
                source=e.get("source", "live"),
            )
            for e in d.get("ledger", ())
        ),
        restrictions=tuple(
            RestrictionInfo(
                id=r["id"],
                kind=r["kind"],
                effective_at=_req_dt(r["effective_at"]),
                ends_at=_parse_dt(r.get("ends_at")),
                channel=r.get("channel"),
                contact_point_id=r.get("contact_point_id"),
                debt_ids=frozenset(r.get("debt_ids", ())),
                weekly_windows=tuple(
                    (int(w[0]), str(w[1]), str(w[2])) for w in r.get("weekly_windows", ())
                ),
            )
            for r in d.get("restrictions", ())
        ),
        consents=tuple(
            ConsentInfo(
                id=c["id"],
                kind=c["kind"],
                given_at=_req_dt(c["given_at"]),
                expires_at=_parse_dt(c.get("expires_at")),
                debt_ids=frozenset(c.get("debt_ids", ())),
                contact_point_id=c.get("contact_point_id"),
                person=c.get("person", "debtor"),
            )
            for c in d.get("consents", ())
        ),
        house=HouseSettings(
            max_calls_per_7_days=h.get("max_calls_per_7_days"),
            earliest_local_time=_parse_tm(h.get("earliest_local_time")),
            latest_local_time=_parse_tm(h.get("latest_local_time")),
            max_daily_attempts_per_contact_point=h.get("max_daily_attempts_per_contact_point"),
            max_contacts_per_7_days=h.get("max_contacts_per_7_days"),
            no_contact_on_public_holidays=h.get("no_contact_on_public_holidays", False),
        ),
        purpose=d.get("purpose", "collection"),
    )


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """The API / storage form of a decision."""
    return {
        "allowed": decision.allowed,
        "reasons": [r.to_dict() for r in decision.reasons],
        "warnings": [w.to_dict() for w in decision.warnings],
        "next_allowed_at": _dt(decision.next_allowed_at),
        "inputs": decision.inputs,
    }
