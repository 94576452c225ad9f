"""Machinery for the access matrix: personas, the world they act in, URL discovery.

The table itself is in `access_table.py`; `test_access_matrix.py` runs it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

# Column order of every expectation string in the table.
ROLES = (
    "anonymous",
    "collector",  # alice, the case is hers
    "other_collector",  # lina, other team
    "manager",  # morgan, alice's manager
    "other_manager",  # meng, other team's manager
    "auditor",
    "admin",
)
# Written into the other team's debtor: no response to a US-team user may contain it.
OTHER_TEAM_MARKER = "Zyxwv Otherteam"
OTHER_TEAM_NATIONAL_ID = "OTHER-TEAM-4711-0815"


@dataclass(frozen=True)
class Row:
    """One request and the status each persona must get.

    `name`: URL name (namespace:name) or, for unnamed patterns, the route string.
    `kwargs`: URL kwargs whose values name objects of the world ("case", "attempt", ...).
    `expect`: seven statuses in ROLES order, e.g. "302 200 404 200 404 404 200".
    """

    name: str
    method: str
    expect: str
    kwargs: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] | None = None
    query: str = ""
    htmx: bool = False
    api: bool = False

    @property
    def statuses(self) -> dict[str, int]:
        codes = [int(c) for c in self.expect.split()]
        if len(codes) != len(ROLES):
            raise ValueError(f"{self.name}: need {len(ROLES)} statuses, got {self.expect!r}")
        return dict(zip(ROLES, codes, strict=True))

    @property
    def id(self) -> str:
        extra = "-htmx" if self.htmx else ""
        extra += f"-{self.query}" if self.query else ""
        return f"{self.method} {self.name}{extra}"


def url_patterns() -> Iterator[tuple[str, str]]:
    """(key, route) for every URL the project serves; key is the URL name with its namespace,
    or the route when the pattern has no name."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}{pattern.namespace}:"
                yield from walk(pattern.url_patterns, route, ns)
            elif isinstance(pattern, URLPattern):
                yield ((f"{namespace}{pattern.name}" if pattern.name else route), route)

    yield from walk(get_resolver().url_patterns, "", "")


class World:
    """Personas and one object of each kind in alice's team (US Team); the other team has its
    own case whose debtor carries OTHER_TEAM_MARKER."""

    def __init__(self, fixtures: dict[str, Any]) -> None:
        self.users = {role: fixtures[role] for role in ROLES if role != "anonymous"}
        self.case = fixtures["case"]
        self.other_case = fixtures["other_case"]
        self.teammate = fixtures["teammate"]
        self.objects: dict[str, Any] = {}
        self._build()

    def _build(self) -> None:
        from collections_app.models import FollowUp, Installment, RepaymentPlan
        from tests.factories import ComplianceDecisionFactory, ContactAttemptFactory

        case, collector, manager = self.case, self.users["collector"], self.users["manager"]
        other = self.other_case.debtor
        other.full_name = OTHER_TEAM_MARKER
        other.national_id = OTHER_TEAM_NATIONAL_ID
        other.save()
        ContactAttemptFactory(case=self.other_case)
        decision = ComplianceDecisionFactory(debtor=case.debtor)
        attempt = ContactAttemptFactory(case=case, decision=decision)
        self.objects.update(
            case=case,
            debtor=case.debtor,
            debt=case.debts.first(),
            team=case.team,
            other_team=self.other_case.team,
            other_case=self.other_case,
            other_debtor=other,
            collector_user=collector,
            attempt=attempt,
            decision=decision,
            contact_point=attempt.contact_point,
            follow_up=FollowUp.objects.create(
                case=case, due_at=timezone.now() + timedelta(days=1), reason="call back"
            ),
            plan=RepaymentPlan.objects.create(
                case=case,
                status="pending_approval",
                total_amount=Decimal("1200.00"),
                start_date=timezone.now().date() + timedelta(days=7),
            ),
        )
        plan = self.objects["plan"]
        Installment.objects.create(
            plan=plan, seq=1, due_date=plan.start_date, amount=plan.total_amount
        )
        from compliance.models import CaseFilter

        self.objects["case_filter"] = CaseFilter.objects.create(
            owner=collector, name="Matrix filter", params={"status": ["active"]}
        )
        self._build_manager_objects(case, collector, manager)
        self._build_audit_objects(case, attempt)
        self._build_exchange_objects(case, manager)

    def _build_manager_objects(self, case: Any, collector: Any, manager: Any) -> None:
        from manager.models import (
            Agency,
            AgencyPlacement,
            AllocationRule,
            EscalationRequest,
            LegalAction,
        )

        escalation = EscalationRequest.objects.create(
            case=case, kind="legal", reason="assets found", requested_by=collector
        )
        agency = Agency.objects.create(name="Matrix Agency", default_commission_pct=Decimal("20"))
        rule = AllocationRule.objects.create(team=case.team, name="Matrix rule")
        rule.collectors.set([collector])
        self.objects.update(
            allocation_rule=rule,
            escalation=escalation,
            legal_action=LegalAction.objects.create(case=case, opened_by=manager),
            placement=AgencyPlacement.objects.create(
                case=case,
                agency=agency,
                placed_on=date(2026, 1, 5),
                recall_on=date(2026, 7, 5),
                commission_pct=Decimal("20"),
                placed_by=manager,
            ),
        )

    def _build_audit_objects(self, case: Any, attempt: Any) -> None:
        from audit.models import Evidence

        payload = b"%PDF-1.4 matrix evidence\n"
        self.objects["evidence"] = Evidence.objects.create(
            case=case,
            attempt=attempt,
            kind="letter",
            file=ContentFile(payload, name="letter.pdf"),
            original_name="letter.pdf",
            content_type="application/pdf",
            size=len(payload),
            sha256=hashlib.sha256(payload).hexdigest(),
            uploaded_by=self.users["collector"],
        )

    def _build_exchange_objects(self, case: Any, manager: Any) -> None:
        from exchange.models import ImportBatch, ReconciliationException

        batch = ImportBatch.objects.create(
            kind="payments",
            team=case.team,
            file=ContentFile(b"account_number,amount\n", name="payments.csv"),
            original_name="payments.csv",
            created_by=manager,
        )
        debt = case.debts.first()
        self.objects.update(
            batch=batch,
            exception=ReconciliationException.objects.create(
                batch=batch,
                case=case,
                debt=debt,
                feed_balance=debt.balance + Decimal("10.00"),
                system_balance=debt.balance,
            ),
        )

    def url(self, row: Row) -> str:
        # "=text" is a literal argument (e.g. an export kind), anything else names an object.
        kwargs = {
            k: v[1:] if v.startswith("=") else self.objects[v].pk for k, v in row.kwargs.items()
        }
        path = "/" + row.name if "/" in row.name else reverse(row.name, kwargs=kwargs)
        if row.query:
            path += "?" + self.fill(row.query)
        return path

    def fill(self, value: Any) -> Any:
        """Replace "{object}" in strings (and lists of them) by that world object's id."""
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if not isinstance(value, str):
            return value
        for key, obj in self.objects.items():
            value = value.replace("{" + key + "}", str(obj.pk))
        return value

    def client_for(self, role: str) -> Client:
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.force_login(self.users[role])
        return client

    def request(self, row: Row, role: str) -> Any:
        client = self.client_for(role)
        headers: dict[str, str] = {"HTTP_HX_REQUEST": "true"} if row.htmx else {}
        method = getattr(client, row.method.lower())
        url = self.url(row)
        if row.method == "GET":
            return method(url, **headers)
        data = {k: self.fill(v) for k, v in (row.data or {}).items()}
        if row.api:
            return method(url, data=json.dumps(data), content_type="application/json", **headers)
        return method(url, data=data, **headers)
