"""One debtor with their case: person, contact points, debts, money, work items, restrictions.

Everything is drawn from one seeded `random.Random`, so the same seed and the same clock give
the same data. The contact history is in `history.py`.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from collections_app.fields import blind_index
from collections_app.models import Bucket

from . import data
from .phones import PhoneMaker
from .restrictions import RestrictionMaker
from .rows import IdAllocator, Rows
from .spec import (
    STATUS_WEIGHTS,
    STATUSES,
    CaseSpec,
    Staff,
    money,
    weighted,
    zones_for,
)


class CaseMaker(RestrictionMaker):
    def __init__(
        self, *, rng: random.Random, now: datetime, ids: IdAllocator, staff: Staff, seed: int
    ) -> None:
        self.rng = rng
        self.now = now
        self.ids = ids
        self.staff = staff
        self.seed = seed
        self.phones = PhoneMaker(rng)

    # --- the person ---------------------------------------------------------------------------
    def _country(self, index: int) -> str:
        if index < 20:
            # The first cases alternate between the teams so that each team sees every status.
            return "US" if index % 2 == 0 else "CN"
        roll = self.rng.random()
        return "US" if roll < 0.55 else "CN" if roll < 0.9 else "GB"

    def _status(self, index: int) -> str:
        if index < 20:
            return STATUSES[index // 2]
        return weighted(self.rng, STATUS_PAIRS)

    def _debtor(self, rows: Rows, country: str) -> tuple[dict[str, Any], data.Place]:
        rng = self.rng
        if country == "CN":
            place = rng.choice(data.CN_PLACES)
            name = rng.choice(data.CN_SURNAMES) + rng.choice(data.CN_GIVEN)
            street = rng.choice(place.streets)
            address = f"{place.city}市{street}{rng.randrange(1, 999)}号{rng.randrange(1, 30)}栋"
            national_id = f"{rng.randrange(110000, 659999)}{rng.randrange(1960, 2002)}" + (
                f"{rng.randrange(1, 13):02d}{rng.randrange(1, 28):02d}{rng.randrange(10000):04d}"
            )
            employer = rng.choice(data.CN_EMPLOYERS)
            income = rng.randrange(4000, 30000)
            language = "zh-hans"
        else:
            places = data.GB_PLACES if country == "GB" else data.US_PLACES
            place = rng.choice(places)
            first = rng.choice(data.GB_FIRST if country == "GB" else data.US_FIRST)
            last = rng.choice(data.GB_LAST if country == "GB" else data.US_LAST)
            name = f"{first} {last}"
            address = f"{rng.randrange(1, 9999)} {rng.choice(place.streets)}"
            if rng.random() < 0.3:
                address += f", Apt {rng.randrange(1, 40)}{rng.choice('ABCD')}"
            # 9xx is never issued as an SSN: these cannot be anyone's number.
            national_id = (
                f"9{rng.randrange(10, 99)}-{rng.randrange(10, 99)}-{rng.randrange(10000):04d}"
                if country == "US"
                else f"Q{rng.choice('ABCEGHJKLMNPRSTWXYZ')}{rng.randrange(10**6):06d}D"
            )
            employer = rng.choice(data.GB_EMPLOYERS if country == "GB" else data.US_EMPLOYERS)
            income = rng.randrange(1400, 9000)
            language = "en"
        expenses = int(income * rng.uniform(0.6, 1.1))
        assets = rng.sample(["car", "savings account", "home (owned)", "pension"], rng.randrange(3))
        created = self.now - timedelta(days=rng.randrange(30, 200))
        debtor = rows.add(
            "debtor",
            {
                "id": self.ids.take("debtor"),
                "full_name": name,
                "country": country,
                "region": place.region,
                "city": place.city,
                "postal_code": place.postal_code,
                "address": address,
                "timezone": "",
                "preferred_language": language,
                "date_of_birth": date(
                    rng.randrange(1955, 2003), rng.randrange(1, 13), rng.randrange(1, 29)
                ),
                "national_id": national_id,
                "national_id_index": blind_index(national_id),
                "employer": employer if employer != "Self-employed" else "",
                "monthly_income": money(income),
                "monthly_expenses": money(expenses),
                "assets": assets,
                "deceased": False,
                "risk_score": rng.randrange(1, 100),
                "segment": "",
                "created_at": created,
                "updated_at": created,
            },
        )
        return debtor, place

    def _contact_points(
        self, rows: Rows, debtor: dict[str, Any], place: data.Place, created: datetime
    ) -> list[dict[str, Any]]:
        rng = self.rng
        country = place.country
        points: list[dict[str, Any]] = []

        def add(kind: str, value: str, **extra: Any) -> dict[str, Any]:
            row = {
                "id": self.ids.take("contact_point"),
                "debtor_id": debtor["id"],
                "kind": kind,
                "value": value,
                "owner": "debtor",
                "relationship": "",
                "is_employer_provided": False,
                "is_verified": rng.random() < 0.7,
                "wrong_number": False,
                "wrong_number_at": None,
                "timezones": [],
                "created_at": created,
            }
            row.update(extra)
            points.append(rows.add("contact_point", row))
            return row

        add("mobile", self.phones.mobile(place))
        if rng.random() < (0.3 if country == "CN" else 0.5):
            if rng.random() < 0.08:
                # Someone else's number: flagged when a collector reached a stranger on it.
                flagged_at = created + timedelta(days=rng.randrange(1, 20))
                add(
                    "landline",
                    self.phones.landline(place),
                    wrong_number=True,
                    wrong_number_at=flagged_at,
                )
            else:
                add("landline", self.phones.landline(place))
        if rng.random() < 0.3:
            add("work_phone", self.phones.landline(place), is_verified=False)
        login = "".join(ch for ch in debtor["full_name"].lower() if ch.isascii() and ch.isalnum())
        login = login or f"user{debtor['id']}"
        domains = {"CN": data.CN_EMAIL_DOMAINS, "GB": data.GB_EMAIL_DOMAINS}.get(
            country, data.EMAIL_DOMAINS
        )
        if rng.random() < (0.4 if country == "CN" else 0.75):
            add("email", f"{login}{rng.randrange(10, 99)}@{rng.choice(domains)}")
        if debtor["employer"] and country != "CN" and rng.random() < 0.12:
            company = "".join(ch for ch in debtor["employer"].lower() if ch.isalnum())
            add("email", f"{login}@{company}.example.com", is_employer_provided=True)
        if country == "CN" and rng.random() < 0.6:
            add("wechat", f"wxid_{rng.randrange(16**10):010x}")
        if rng.random() < 0.5:
            add("postal", f"{debtor['address']}, {place.city} {place.region} {place.postal_code}")
        if rng.random() < 0.25:
            relationship = rng.choice(data.THIRD_PARTY_RELATIONSHIPS[country])
            add("mobile", self.phones.mobile(place), owner="third_party", relationship=relationship)
        # Each person's plausible zones, from the engine's resolver: the debtor's contact
        # points share the debtor's phones and address; a third party has only their number.
        debtor_phones = [
            p["value"]
            for p in points
            if p["owner"] == "debtor" and p["kind"] in ("mobile", "landline", "work_phone")
        ]
        for p in points:
            if p["owner"] == "debtor":
                phones = [p["value"]] if p["kind"] in ("mobile", "landline", "work_phone") else []
                zones = zones_for(phones, country, place.region)
            else:
                zones = zones_for([p["value"]], country, "")
            p["timezones"] = [{"zone": z.zone, "source": z.source} for z in zones]
        debtor["_phones"] = debtor_phones
        return points

    def _debts(
        self, rows: Rows, debtor: dict[str, Any], country: str, status: str
    ) -> list[dict[str, Any]]:
        rng = self.rng
        n = int(weighted(rng, DEBT_COUNTS))
        bucket_days = rng.choice(
            ((1, 30), (31, 60), (61, 90), (91, 120), (121, 150), (151, 180), (181, 720))
        )
        debts = []
        for _ in range(n):
            product = weighted(rng, data.PRODUCT_WEIGHTS[country])
            creditor = rng.choice(data.CREDITORS[country][product])
            low, high = data.BALANCE_RANGE[(country, product)]
            balance = money(rng.uniform(low, high))
            principal = money(float(balance) * rng.uniform(0.75, 1.0))
            dpd = rng.randrange(bucket_days[0], bucket_days[1] + 1)
            charge_off = None
            limitation = None
            debt_status = "open"
            if dpd > 180 and product in ("credit_card", "personal_loan", "online_loan"):
                charge_off = (self.now - timedelta(days=dpd - 180)).date()
                debt_status = "charged_off"
                if country == "US":
                    years = data.US_LIMITATION_YEARS.get(debtor["region"], 5)
                    limitation = charge_off.replace(year=charge_off.year + years)
            debt_id = self.ids.take("debt")
            debts.append(
                rows.add(
                    "debt",
                    {
                        "id": debt_id,
                        "debtor_id": debtor["id"],
                        "creditor": creditor,
                        "account_number": f"DEMO-{debt_id:010d}",
                        "product": product,
                        "currency": data.CURRENCY[country],
                        "principal": principal,
                        "balance": balance,
                        "days_past_due": dpd,
                        "bucket": Bucket.for_days_past_due(dpd).value,
                        "charge_off_date": charge_off,
                        "statute_of_limitations_date": limitation,
                        "status": debt_status,
                        "placed_at": debtor["created_at"],
                        "updated_at": self.now,
                    },
                )
            )
        return debts

    # --- the case -----------------------------------------------------------------------------
    def build(self, rows: Rows, index: int) -> CaseSpec:
        rng = self.rng
        country = self._country(index)
        status = self._status(index)
        team_key = "CN" if country == "CN" else "US"
        debtor, place = self._debtor(rows, country)
        cps = self._contact_points(rows, debtor, place, debtor["created_at"])
        debts = self._debts(rows, debtor, country, status)
        zones = zones_for(debtor.pop("_phones"), country, place.region)
        debtor["segment"] = _segment(max(d["days_past_due"] for d in debts))

        # New cases arrived in the last days; the rest were placed up to four months ago.
        age = rng.randrange(0, 4) if status == "new" else rng.randrange(20, 120)
        opened = self.now - timedelta(days=age, hours=rng.randrange(0, 10))
        unassigned = (
            index < 2
            or (status == "new" and rng.random() < 0.6)
            or (status == "active" and rng.random() < 0.08)
        )
        # Mostly by skill (the collector covering the region), sometimes by load balancing.
        skilled = self.staff.by_region.get(place.region)
        pool = skilled if skilled and rng.random() < 0.8 else self.staff.collectors[team_key]
        collector = None if unassigned else rng.choice(pool)
        closed_at = None
        if status in ("paid", "settled", "closed"):
            closed_at = self.now - timedelta(days=rng.randrange(1, 12), hours=rng.randrange(8))
        changed_at = (
            opened
            if status == "new"
            else closed_at or self.now - timedelta(days=rng.randrange(1, max(2, age // 2)))
        )
        case = rows.add(
            "case",
            {
                "id": self.ids.take("case"),
                "debtor_id": debtor["id"],
                "team_id": self.staff.team_ids[team_key],
                "assigned_to_id": collector,
                "status": status,
                "priority": min(100, sum(int(d["balance"]) for d in debts) // 1000)
                + max(d["days_past_due"] for d in debts) // 30,
                "next_action_at": None,
                "opened_at": opened,
                "status_changed_at": changed_at,
                "assigned_at": opened + timedelta(hours=2) if collector else None,
                "closed_at": closed_at,
            },
        )
        for debt in debts:
            rows.add("case_debts", {"case_id": case["id"], "debt_id": debt["id"]})
        if collector:
            rows.add(
                "assignment",
                {
                    "id": self.ids.take("assignment"),
                    "case_id": case["id"],
                    "from_user_id": None,
                    "to_user_id": collector,
                    "actor_id": self.staff.managers[team_key],
                    "reason": "Initial allocation",
                    "at": opened + timedelta(hours=2),
                },
            )
        if status != "new":
            rows.add(
                "status_change",
                {
                    "id": self.ids.take("status_change"),
                    "case_id": case["id"],
                    "from_status": "new",
                    "to_status": status,
                    "actor_id": collector or self.staff.managers[team_key],
                    "reason": "",
                    "at": changed_at,
                },
            )
        spec = CaseSpec(
            index=index,
            case=case,
            debtor=debtor,
            place=place,
            zones=zones,
            contact_points=cps,
            debts=debts,
            collector_id=collector,
            history_from=max(self.now - timedelta(days=30), opened + timedelta(hours=3)),
            history_to=min(closed_at or self.now, self.now) - timedelta(minutes=30),
        )
        self._restrictions_and_consents(rows, spec, status)
        return spec


STATUS_PAIRS = tuple(zip(STATUSES, STATUS_WEIGHTS, strict=True))
DEBT_COUNTS = (("1", 60), ("2", 30), ("3", 10))


def _segment(days: int) -> str:
    if days <= 60:
        return "early"
    if days <= 180:
        return "mid"
    return "recovery"
