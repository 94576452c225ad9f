"""The compliance engine's view of a demo debtor: an OutreachContext for each attempt, built
from the generated rows (no database), with the ledger of the attempts before it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compliance.engine import (
    ConsentInfo,
    ContactPointInfo,
    DebtInfo,
    LedgerEntry,
    OutreachContext,
    RestrictionInfo,
)

from .spec import CaseSpec, zones_for

if TYPE_CHECKING:
    from .history import Planned


class DebtorContext:
    """The parts of an OutreachContext that do not change along one debtor's history."""

    def __init__(self, spec: CaseSpec) -> None:
        self.spec = spec
        self.debts = tuple(
            DebtInfo(id=d["id"], creditor=d["creditor"], product=d["product"], status="open")
            for d in spec.debts
        )
        self.cps = {cp["id"]: _cp_info(cp) for cp in spec.contact_points}
        self.restrictions = tuple(
            RestrictionInfo(
                id=r["id"],
                kind=r["kind"],
                effective_at=r["effective_at"],
                ends_at=r["ends_at"],
                channel=r["channel"] or None,
                contact_point_id=r["contact_point_id"],
                debt_ids=frozenset(),
                weekly_windows=tuple(
                    (w["weekday"], w["start"], w["end"]) for w in r["weekly_windows"]
                ),
            )
            for r in spec.restrictions
            if r["kind"] != "dispute"
        ) + tuple(
            RestrictionInfo(
                id=r["id"],
                kind="dispute",
                effective_at=r["effective_at"],
                debt_ids=frozenset({spec.debts[0]["id"]}),
            )
            for r in spec.restrictions
            if r["kind"] == "dispute"
        )
        self.consents = tuple(
            ConsentInfo(
                id=c["id"],
                kind=c["kind"],
                given_at=c["given_at"],
                expires_at=c["expires_at"],
                contact_point_id=c["contact_point_id"],
            )
            for c in spec.consents
        )

    def context(self, p: Planned, ledger: list[LedgerEntry]) -> OutreachContext:
        spec = self.spec
        cp = p.cp
        if cp["owner"] == "debtor":
            zones = spec.zones
        else:
            zones = zones_for([cp["value"]], spec.country, "")
        return OutreachContext(
            at=p.at,
            channel=p.channel,
            contact_point=self.cps[cp["id"]],
            debtor_country=spec.country,
            outreach_debt_ids=frozenset(d.id for d in self.debts),
            debts=self.debts,
            debtor_region=spec.place.region,
            debtor_city=spec.place.city,
            zones=zones,
            contact_points=tuple(self.cps.values()),
            ledger=tuple(ledger),
            restrictions=self.restrictions,
            consents=self.consents,
        )


def _cp_info(cp: dict[str, Any]) -> ContactPointInfo:
    return ContactPointInfo(
        id=cp["id"],
        kind=cp["kind"],
        value=cp["value"],
        owner=cp["owner"],
        relationship=cp["relationship"],
        is_employer_provided=cp["is_employer_provided"],
        wrong_number=cp["wrong_number"],
        is_verified=cp["is_verified"],
    )
