"""Restrictions and consents of a demo debtor, and what they mean for the history: nothing
after a cease, attorney or dispute takes effect; no work calls under a workplace restriction;
no calls in an inconvenient window; texts to US debtors only with consent."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from .phones import PhoneMaker
from .rows import IdAllocator, Rows
from .spec import OPEN_STATUSES, CaseSpec, zones_for


class RestrictionMaker:
    """Mixed into CaseMaker, which provides the random generator, clock, ids and phones."""

    rng: random.Random
    now: datetime
    ids: IdAllocator
    phones: PhoneMaker

    def _restrictions_and_consents(self, rows: Rows, spec: CaseSpec, status: str) -> None:
        rng = self.rng
        debtor_id = spec.debtor["id"]
        owner = spec.collector_id

        def restriction(kind: str, effective: datetime, **extra: Any) -> dict[str, Any]:
            row = {
                "id": self.ids.take("restriction"),
                "debtor_id": debtor_id,
                "kind": kind,
                "channel": "",
                "contact_point_id": None,
                "effective_at": effective,
                "ends_at": None,
                "weekly_windows": [],
                "place": "",
                "source_document": "",
                "notes": "",
                "recorded_by_id": owner,
                "created_at": effective + timedelta(hours=1),
            }
            row.update(extra)
            spec.restrictions.append(rows.add("restriction", row))
            return row

        open_case = status in OPEN_STATUSES
        pattern = spec.index % 41
        if status == "disputed":
            debt = spec.debts[0]
            effective = spec.case["status_changed_at"]
            row = restriction(
                "dispute",
                effective,
                source_document="Dispute letter",
                notes="Debtor disputes the amount owed and asked for verification.",
            )
            rows.add(
                "restriction_debts", {"contactrestriction_id": row["id"], "debt_id": debt["id"]}
            )
            spec.history_to = min(spec.history_to, effective - timedelta(minutes=5))
        elif open_case and spec.country == "US" and pattern == 3:
            effective = self.now - timedelta(days=4, hours=3)
            restriction(
                "cease_communication",
                effective,
                source_document=f"Cease letter received {effective:%Y-%m-%d} (scan CL-{debtor_id})",
                notes="Written request to stop all communication (12 CFR 1006.6(c)).",
            )
            spec.history_to = min(spec.history_to, effective - timedelta(minutes=5))
        elif open_case and pattern == 5:
            effective = self.now - timedelta(days=9)
            attorney = rows.add(
                "contact_point",
                {
                    "id": self.ids.take("contact_point"),
                    "debtor_id": debtor_id,
                    "kind": "landline",
                    "value": self.phones.landline(spec.place),
                    "owner": "third_party",
                    "relationship": "attorney",
                    "is_employer_provided": False,
                    "is_verified": True,
                    "wrong_number": False,
                    "wrong_number_at": None,
                    "timezones": [],
                    "created_at": effective,
                },
            )
            zones = zones_for([attorney["value"]], spec.country, "")
            attorney["timezones"] = [{"zone": z.zone, "source": z.source} for z in zones]
            spec.contact_points.append(attorney)
            firm = "律师事务所" if spec.country == "CN" else "Law Offices"
            restriction(
                "attorney_represented",
                effective,
                source_document=f"Letter of representation, {firm}",
                notes="Contact the attorney only.",
            )
            spec.history_to = min(spec.history_to, effective - timedelta(minutes=5))
        elif open_case and pattern == 7 and spec.cp("work_phone"):
            restriction(
                "workplace",
                spec.history_from - timedelta(days=2),
                notes="Debtor said the employer prohibits personal calls at work.",
            )
            spec.no_work_calls = True
        elif open_case and pattern == 11:
            restriction(
                "inconvenient_time",
                spec.history_from - timedelta(days=2),
                weekly_windows=[{"weekday": d, "start": "12:00", "end": "14:00"} for d in range(5)],
                notes="Not during the lunch break on weekdays.",
            )
            spec.inconvenient_hours = (12, 14)
        # Consent to texts (US texts need it) for a third of the US debtors with a mobile, and
        # to email for New York City debtors (NYC rules).
        if (spec.country == "US" and rng.random() < 0.35) or (spec.is_nyc and rng.random() < 0.6):
            self._consent(rows, spec, "sms")
        if spec.is_nyc and spec.cp("email") and rng.random() < 0.5:
            self._consent(rows, spec, "email")

    def _consent(self, rows: Rows, spec: CaseSpec, kind: str) -> dict[str, Any] | None:
        if any(c["kind"] == kind for c in spec.consents):
            return None
        cp = spec.cp("mobile" if kind == "sms" else "email")
        if cp is None:
            return None
        given = self.now - timedelta(days=self.rng.randrange(32, 45))
        row = rows.add(
            "consent",
            {
                "id": self.ids.take("consent"),
                "debtor_id": spec.debtor["id"],
                "kind": kind,
                "contact_point_id": cp["id"],
                "given_at": given,
                "expires_at": None,
                "revoked_at": None,
                "notes": "Given on a recorded call.",
                "recorded_by_id": spec.collector_id,
                "created_at": given,
            },
        )
        spec.consents.append(row)
        return row

    def ensure_consent(self, rows: Rows, spec: CaseSpec, kind: str) -> None:
        self._consent(rows, spec, kind)
