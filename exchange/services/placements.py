"""Placement files: debtors, contact points, debts and cases from a creditor, in one table.

Every row is one account (debt). Rows are checked first, all of them; then applied in chunks,
each chunk with a fixed number of queries (existing keys fetched once per chunk, writes in bulk).
Upserts are keyed by creditor + account number (the debt) and creditor + customer id (the
debtor), so importing the same file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from accounts.models import Team, User
from collections_app.fields import blind_index
from collections_app.models import (
    Bucket,
    Case,
    CaseStatus,
    ContactPoint,
    Debt,
    Debtor,
    Product,
)
from collections_app.models.case import OPEN_CASE_STATUSES
from compliance.engine.timezones import zones_for_country, zones_for_region
from exchange.models import ImportBatch, PlacementKey

from .bulk import rows_insert
from .fields import (
    CellError,
    choice_parse,
    country_parse,
    currency_parse,
    date_parse,
    email_parse,
    int_parse,
    money_parse,
    phone_read,
    region_parse,
    text_parse,
)
from .rows import Importer, RowProblem

REQUIRED_COLUMNS = ("creditor", "account_number", "full_name", "country", "product", "balance")
OPTIONAL_COLUMNS = (
    "customer_id",
    "region",
    "city",
    "postal_code",
    "address",
    "preferred_language",
    "date_of_birth",
    "national_id",
    "employer",
    "monthly_income",
    "monthly_expenses",
    "mobile",
    "landline",
    "work_phone",
    "email",
    "wechat",
    "currency",
    "principal",
    "days_past_due",
    "charge_off_date",
    "statute_of_limitations_date",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
PRODUCTS = list(Product.values)
CONTACT_COLUMNS = ("mobile", "landline", "work_phone", "email", "wechat")
DEBTOR_FIELDS = (
    "full_name",
    "country",
    "region",
    "city",
    "postal_code",
    "address",
    "preferred_language",
    "date_of_birth",
    "employer",
    "monthly_income",
    "monthly_expenses",
)
DEBT_FIELDS = (
    "product",
    "currency",
    "principal",
    "balance",
    "days_past_due",
    "bucket",
    "charge_off_date",
    "statute_of_limitations_date",
)


@dataclass
class PlacementRow:
    number: int
    creditor: str
    account_number: str
    customer_id: str
    debtor: dict[str, Any]
    national_id: str
    contacts: list[tuple[str, str]]
    debt: dict[str, Any]
    # E.164 -> the zones of its prefix, found when the number was checked.
    phone_zones: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _cell(
    problems: list[RowProblem],
    number: int,
    row: dict[str, str],
    column: str,
    parse: Callable[[str], Any],
) -> Any:
    try:
        return parse(row.get(column, ""))
    except CellError as exc:
        problems.append(RowProblem(number, column, row.get(column, ""), str(exc)))
        return None


def placement_row_check(number: int, row: dict[str, str]) -> tuple[PlacementRow | None, list]:
    """The clean row, or the list of every problem in it."""
    p: list[RowProblem] = []

    def c(column: str, parse: Callable[[str], Any]) -> Any:
        return _cell(p, number, row, column, parse)

    creditor = c("creditor", lambda v: text_parse(v, max_length=200, required=True))
    account = c("account_number", lambda v: text_parse(v, max_length=64, required=True))
    country = c("country", country_parse)
    debtor = {
        "full_name": c("full_name", lambda v: text_parse(v, max_length=200, required=True)),
        "country": country,
        "region": c("region", lambda v: region_parse(v, country=country)),
        "city": c("city", lambda v: text_parse(v, max_length=100)),
        "postal_code": c("postal_code", lambda v: text_parse(v, max_length=20)),
        "address": c("address", lambda v: text_parse(v, max_length=1000)),
        "preferred_language": c(
            "preferred_language", lambda v: choice_parse(v, choices=["en", "zh-hans"], default="en")
        ),
        "date_of_birth": c("date_of_birth", date_parse),
        "employer": c("employer", lambda v: text_parse(v, max_length=200)),
        "monthly_income": c("monthly_income", money_parse),
        "monthly_expenses": c("monthly_expenses", money_parse),
    }
    national_id = c("national_id", lambda v: text_parse(v, max_length=64))
    contacts: list[tuple[str, str]] = []
    phone_zones: dict[str, tuple[str, ...]] = {}
    for kind in ("mobile", "landline", "work_phone"):
        if country is None and not row.get(kind, "").strip().startswith("+"):
            continue  # a national number is checked once the country is right
        phone = c(kind, lambda v: phone_read(v, country=country))
        if phone is not None:
            contacts.append((kind, phone.e164))
            phone_zones[phone.e164] = phone.zones
    email = c("email", email_parse)
    if email:
        contacts.append(("email", email))
    wechat = c("wechat", lambda v: text_parse(v, max_length=100))
    if wechat:
        contacts.append(("wechat", wechat))
    balance = c("balance", lambda v: money_parse(v, required=True))
    principal = c("principal", money_parse)
    days = c("days_past_due", int_parse)
    debt = {
        "product": c("product", lambda v: choice_parse(v, choices=PRODUCTS)),
        "currency": c("currency", currency_parse),
        "balance": balance,
        "principal": principal if principal is not None else balance,
        "days_past_due": days or 0,
        "bucket": Bucket.for_days_past_due(days or 0),
        "charge_off_date": c("charge_off_date", date_parse),
        "statute_of_limitations_date": c("statute_of_limitations_date", date_parse),
    }
    dob = debtor["date_of_birth"]
    if isinstance(dob, date) and dob >= date.today():
        p.append(
            RowProblem(number, "date_of_birth", row.get("date_of_birth", ""), _("In the future."))
        )
    if p:
        return None, p
    return (
        PlacementRow(
            number=number,
            creditor=creditor,
            account_number=account,
            customer_id=c("customer_id", lambda v: text_parse(v, max_length=64)) or "",
            debtor=debtor,
            national_id=national_id or "",
            contacts=contacts,
            debt=debt,
            phone_zones=phone_zones,
        ),
        [],
    )


@dataclass
class PlacementCounts:
    debtors_created: int = 0
    debtors_updated: int = 0
    contact_points_created: int = 0
    debts_created: int = 0
    debts_updated: int = 0
    cases_created: int = 0
    rows_unchanged: int = 0
    # creditor+customer id -> debtor id, across the chunks of one batch.
    debtor_by_key: dict[tuple[str, str], int] = field(default_factory=dict)

    def as_summary(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


@lru_cache(maxsize=4096)
def _zones_resolve(
    phone_zones: tuple[str, ...], country: str, region: str
) -> tuple[tuple[str, str], ...]:
    """`resolve_zones` for one contact point with no override, from zones already known: the
    number's prefix, then the address region, else the whole country (tested to agree)."""
    found = dict.fromkeys(phone_zones, "phone_area_code")
    for zone in zones_for_region(country, region):
        found.setdefault(zone, "address_region")
    if not found:
        for zone in zones_for_country(country):
            found.setdefault(zone, "country_default")
    return tuple(found.items())


def _contact_timezones(
    kind: str, value: str, debtor: dict[str, Any], phone_zones: dict[str, tuple[str, ...]]
) -> list[dict[str, str]]:
    prefix = phone_zones[value] if kind in ("mobile", "landline", "work_phone") else ()
    zones = _zones_resolve(prefix, debtor["country"], debtor["region"])
    return [{"zone": zone, "source": source} for zone, source in zones]


def _changed(obj: Any, values: dict[str, Any], fields: Iterable[str]) -> bool:
    changed = False
    for name in fields:
        new = values[name]
        if getattr(obj, name) != new:
            setattr(obj, name, new)
            changed = True
    return changed


def placements_chunk_apply(
    *, rows: list[PlacementRow], team: Team, actor: User | None, counts: PlacementCounts
) -> None:
    """Upsert one chunk of checked rows with a fixed number of queries (no query per row)."""
    # 1. What exists already: debts by creditor + account, debtors by creditor + customer id.
    pairs = {(r.creditor, r.account_number) for r in rows}
    debt_q = Q()
    for creditor in {c for c, _a in pairs}:
        debt_q |= Q(creditor=creditor, account_number__in=[a for c, a in pairs if c == creditor])
    existing_debts = {(d.creditor, d.account_number): d for d in Debt.objects.filter(debt_q)}
    wanted_keys = {(r.creditor, r.customer_id) for r in rows if r.customer_id} - set(
        counts.debtor_by_key
    )
    if wanted_keys:
        key_q = Q()
        for creditor in {c for c, _k in wanted_keys}:
            key_q |= Q(
                creditor=creditor, customer_id__in=[k for c, k in wanted_keys if c == creditor]
            )
        for key in PlacementKey.objects.filter(key_q).values("creditor", "customer_id", "debtor"):
            counts.debtor_by_key[(key["creditor"], key["customer_id"])] = key["debtor"]

    # 2. Which debtor each row belongs to; new debtors are grouped by customer id in the file.
    row_debtor_id: dict[int, int | None] = {}
    new_debtors: dict[Any, dict[str, Any]] = {}
    row_new_key: dict[int, Any] = {}
    for r in rows:
        known = existing_debts.get((r.creditor, r.account_number))
        debtor_id = known.debtor_id if known else None
        if debtor_id is None and r.customer_id:
            debtor_id = counts.debtor_by_key.get((r.creditor, r.customer_id))
        row_debtor_id[r.number] = debtor_id
        if debtor_id is None:
            group = (r.creditor, r.customer_id) if r.customer_id else ("row", r.number)
            row_new_key[r.number] = group
            new_debtors[group] = {
                **r.debtor,
                "national_id": r.national_id,
                "national_id_index": blind_index(r.national_id) if r.national_id else "",
            }
    now = timezone.now()
    new_debtor_ids = dict(
        zip(
            new_debtors,
            rows_insert(Debtor, list(new_debtors.values()), actor=actor, now=now),
            strict=True,
        )
    )
    counts.debtors_created += len(new_debtors)
    for r in rows:
        if row_debtor_id[r.number] is None:
            row_debtor_id[r.number] = new_debtor_ids[row_new_key[r.number]]

    # 3. Existing debtors take the file's latest details (only rows that really differ).
    existing_ids = {row_debtor_id[r.number] for r in rows if r.number not in row_new_key}
    debtors = Debtor.objects.in_bulk(existing_ids) if existing_ids else {}
    changed_debtors: dict[int, Debtor] = {}
    for r in rows:
        debtor = debtors.get(row_debtor_id[r.number])  # type: ignore[arg-type]
        if debtor is not None and _changed(debtor, r.debtor, DEBTOR_FIELDS):
            changed_debtors[debtor.pk] = debtor
    if changed_debtors:
        bulk_update_with_history(
            list(changed_debtors.values()), Debtor, list(DEBTOR_FIELDS), default_user=actor
        )
        counts.debtors_updated += len(changed_debtors)

    # 4. Customer ids seen for the first time.
    new_keys = []
    for r in rows:
        key = (r.creditor, r.customer_id)
        if r.customer_id and key not in counts.debtor_by_key:
            counts.debtor_by_key[key] = row_debtor_id[r.number]  # type: ignore[assignment]
            new_keys.append(
                {
                    "creditor": r.creditor,
                    "customer_id": r.customer_id,
                    "debtor_id": row_debtor_id[r.number],
                }
            )
    rows_insert(PlacementKey, new_keys, actor=actor, now=now, history=False)

    # 5. Contact points the debtor does not have yet.
    debtor_ids = set(row_debtor_id.values())
    have = set(
        ContactPoint.objects.filter(debtor_id__in=debtor_ids).values_list(
            "debtor_id", "kind", "value"
        )
    )
    new_points = []
    for r in rows:
        for kind, value in r.contacts:
            key = (row_debtor_id[r.number], kind, value)
            if key in have:
                continue
            have.add(key)
            new_points.append(
                {
                    "debtor_id": key[0],
                    "kind": kind,
                    "value": value,
                    "is_employer_provided": kind == "work_phone",
                    "timezones": _contact_timezones(kind, value, r.debtor, r.phone_zones),
                }
            )
    rows_insert(ContactPoint, new_points, actor=actor, now=now)
    counts.contact_points_created += len(new_points)

    # 6. Debts: new ones created, known ones updated where the file differs.
    new_debts: list[dict[str, Any]] = []
    changed_debts: list[Debt] = []
    for r in rows:
        known = existing_debts.get((r.creditor, r.account_number))
        if known is None:
            new_debts.append(
                {
                    "debtor_id": row_debtor_id[r.number],
                    "creditor": r.creditor,
                    "account_number": r.account_number,
                    **r.debt,
                }
            )
        elif _changed(known, r.debt, DEBT_FIELDS):
            changed_debts.append(known)
        elif r.number not in row_new_key and row_debtor_id[r.number] not in changed_debtors:
            counts.rows_unchanged += 1
    new_debt_ids = rows_insert(Debt, new_debts, actor=actor, now=now)
    counts.debts_created += len(new_debts)
    if changed_debts:
        bulk_update_with_history(changed_debts, Debt, list(DEBT_FIELDS), default_user=actor)
        counts.debts_updated += len(changed_debts)

    # 7. New debts join the debtor's open case in the team, or a new case.
    if not new_debts:
        return
    debtors_with_new_debts = {d["debtor_id"] for d in new_debts}
    open_cases: dict[int, int] = {}
    for case_id, debtor_id in (
        Case.objects.filter(
            debtor_id__in=debtors_with_new_debts, team=team, status__in=OPEN_CASE_STATUSES
        )
        .order_by("id")
        .values_list("id", "debtor_id")
    ):
        open_cases.setdefault(debtor_id, case_id)
    needing = sorted(debtors_with_new_debts - set(open_cases))
    case_ids = rows_insert(
        Case,
        [{"debtor_id": d, "team_id": team.pk, "status": CaseStatus.NEW} for d in needing],
        actor=actor,
        now=now,
    )
    counts.cases_created += len(case_ids)
    open_cases.update(zip(needing, case_ids, strict=True))
    rows_insert(
        Case.debts.through,
        [
            {"case_id": open_cases[d["debtor_id"]], "debt_id": debt_id}
            for d, debt_id in zip(new_debts, new_debt_ids, strict=True)
        ],
        actor=actor,
        now=now,
        history=False,
    )


def _apply(batch: ImportBatch, rows: list[PlacementRow], state: dict[str, Any]) -> list[RowProblem]:
    counts = state.setdefault("_counts", PlacementCounts())
    placements_chunk_apply(rows=rows, team=batch.team, actor=batch.created_by, counts=counts)
    state.update(counts.as_summary())
    return []


PLACEMENTS = Importer(
    required_columns=REQUIRED_COLUMNS,
    check=placement_row_check,
    apply=_apply,
    key=lambda r: (r.creditor, r.account_number),
    key_columns="account_number",
)
