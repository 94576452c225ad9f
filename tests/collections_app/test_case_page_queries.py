"""The case page reads each relation at most once, and none that is empty; its forms show
the rows the page already read, and still validate against the database."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collections_app import forms as f
from collections_app.models import (
    CaseStatusChange,
    FollowUp,
    Installment,
    Payment,
    Reminder,
    RepaymentPlan,
)
from tests.factories import (
    CaseFactory,
    ComplianceDecisionFactory,
    ConsentFactory,
    ContactAttemptFactory,
    ContactPointFactory,
    DebtFactory,
    PromiseFactory,
    RestrictionFactory,
)

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def case_url(case) -> str:
    return reverse("collections:case", args=[case.pk])


def _queries(client, case):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(case_url(case))
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def _history(case, n, *, everything: bool):
    """n of each: attempts (with debts discussed and a gate decision), notes, promises,
    payments, status changes and follow-ups; with `everything` also blocked gate decisions,
    plans with installments, reminders, restrictions and consents with debts, other cases."""
    debtor, collector = case.debtor, case.assigned_to
    cp = ContactPointFactory(debtor=debtor)
    debts = list(case.debts.all())
    for i in range(n):
        when = NOON - timedelta(days=40 + i)
        attempt = ContactAttemptFactory(
            case=case,
            contact_point=cp,
            occurred_at=when,
            decision=ComplianceDecisionFactory(debtor=debtor, contact_point=cp),
        )
        attempt.debts_discussed.set(debts)
        case.notes.create(author=collector, body=f"note {i}")
        PromiseFactory(case=case, due_date=NOON.date() + timedelta(days=1 + i % 20))
        Payment.objects.create(
            case=case,
            debt=debts[0],
            amount=Decimal("10.00"),
            received_at=when,
            recorded_by=collector,
        )
        CaseStatusChange.objects.create(
            case=case, from_status="new", to_status="active", actor=collector, reason=f"r{i}"
        )
        FollowUp.objects.create(
            case=case, due_at=NOON + timedelta(days=i), reason=f"call {i}", created_by=collector
        )
        if not everything:
            continue
        ComplianceDecisionFactory(debtor=debtor, contact_point=cp, allowed=False)
        plan = RepaymentPlan.objects.create(
            case=case, total_amount=Decimal("300.00"), start_date=NOON.date(), created_by=collector
        )
        for seq in (1, 2, 3):
            Installment.objects.create(
                plan=plan,
                seq=seq,
                due_date=NOON.date() + timedelta(days=30 * seq),
                amount=Decimal("100.00"),
            )
        Reminder.objects.create(
            case=case,
            kind="promise_due",
            channel="sms",
            contact_point=cp,
            due_at=NOON + timedelta(days=1 + i),
            idempotency_key=f"promise_due:{case.pk}:{n}:{i}",
        )
        RestrictionFactory(debtor=debtor, contact_point=cp).debts.set(debts)
        ConsentFactory(debtor=debtor, contact_point=cp).debts.set(debts)
        CaseFactory(debtor=debtor, team=case.team, assigned_to=collector)


def test_case_page_with_a_working_history_stays_within_fifteen_queries(client, clock, case):
    _history(case, 3, everything=False)
    client.force_login(case.assigned_to)
    client.get(case_url(case))
    count, _ = _queries(client, case)
    assert count <= 15


def test_case_page_query_count_does_not_grow_with_debts_and_history(client, clock, case):
    """One of everything against ten of everything (and three debts instead of one): the
    same queries. With every relation present this is the page's most."""
    client.force_login(case.assigned_to)
    _history(case, 1, everything=True)
    client.get(case_url(case))
    one, _ = _queries(client, case)
    case.debts.add(*[DebtFactory(debtor=case.debtor) for _ in range(2)])
    _history(case, 9, everything=True)
    ten, response = _queries(client, case)
    assert ten == one
    if connection.vendor == "postgresql":
        # The embedded SQLite default reads each debt link table separately: a few more.
        assert one <= 17
    file = response.context["file"]
    assert len([e for e in file.timeline if e.kind == "attempt"]) == 10
    assert len(file.other_cases) == 10
    assert len(file.plans) == 10


def test_an_empty_case_reads_only_the_case_debts_and_contact_points(client, clock, case):
    client.force_login(case.assigned_to)
    client.get(case_url(case))
    count, response = _queries(client, case)
    assert count <= 5  # session, user, case (with the debtor's other cases), debts, contacts
    assert "Nothing has happened on this case yet." in response.content.decode()


def test_case_page_shows_the_debts_discussed_and_restricted_in_the_debts_order(client, clock, case):
    later = DebtFactory(debtor=case.debtor, account_number="ZZ-2")
    first = case.debts.get()
    case.debts.add(later)
    cp = ContactPointFactory(debtor=case.debtor)
    attempt = ContactAttemptFactory(case=case, contact_point=cp, occurred_at=NOON)
    attempt.debts_discussed.set([later, first])
    RestrictionFactory(debtor=case.debtor, contact_point=cp).debts.set([later, first])
    client.force_login(case.assigned_to)
    body = client.get(case_url(case)).content.decode()
    assert f"Discussed: {first.account_number}, {later.account_number}</div>" in body
    assert f"· {first.account_number} {later.account_number} </span>" in body


def test_other_cases_are_those_of_the_debtor_the_user_may_see(
    client, clock, case, other_collector, other_team
):
    mine = CaseFactory(debtor=case.debtor, team=case.team, assigned_to=case.assigned_to)
    CaseFactory(debtor=case.debtor, team=other_team, assigned_to=other_collector)
    client.force_login(case.assigned_to)
    response = client.get(case_url(case))
    assert [c.pk for c in response.context["file"].other_cases] == [mine.pk]


def test_a_case_of_another_team_is_404_even_when_its_debtor_has_one_of_mine(
    client, clock, case, other_collector, other_team
):
    theirs = CaseFactory(debtor=case.debtor, team=other_team, assigned_to=other_collector)
    client.force_login(case.assigned_to)
    assert client.get(case_url(theirs)).status_code == 404
    assert client.get(reverse("collections:case", args=[theirs.pk + 1000])).status_code == 404


def _forms(case, **shown):
    return {
        "promise": f.PromiseForm(case=case, debts=shown.get("debts")),
        "payment": f.PaymentForm(case=case, debts=shown.get("debts")),
        "restriction": f.RestrictionForm(
            case=case, debts=shown.get("debts"), contact_points=shown.get("contact_points")
        ),
        "consent": f.ConsentForm(case=case, contact_points=shown.get("contact_points")),
    }


def test_forms_given_the_loaded_rows_render_exactly_as_from_the_database(case):
    case.debts.add(DebtFactory(debtor=case.debtor), DebtFactory(debtor=case.debtor))
    for kind in ("email", "mobile", "landline"):
        ContactPointFactory(debtor=case.debtor, kind=kind)
    # In the page's order (contact points by kind), not the forms' order.
    cps = list(case.debtor.contact_points.order_by("kind", "id"))
    debts = list(case.debts.order_by("-id"))
    from_db = {name: str(form) for name, form in _forms(case).items()}
    with CaptureQueriesContext(connection) as ctx:
        shown = {
            name: str(form) for name, form in _forms(case, debts=debts, contact_points=cps).items()
        }
    assert shown == from_db
    assert len(ctx.captured_queries) == 0


def test_forms_given_the_loaded_rows_still_refuse_another_debtors_rows(case):
    stranger = CaseFactory()
    their_debt = stranger.debts.get()
    their_cp = ContactPointFactory(debtor=stranger.debtor)
    debts, cps = list(case.debts.all()), [ContactPointFactory(debtor=case.debtor)]
    data = {"amount": "10.00", "due_date": "2026-03-20", "received_at": "2026-03-10T10:00"}
    promise = f.PromiseForm({**data, "debt": their_debt.pk}, case=case, debts=debts)
    payment = f.PaymentForm({**data, "debt": their_debt.pk}, case=case, debts=debts)
    restriction = f.RestrictionForm(
        {
            "kind": "cease_communication",
            "effective_at": "2026-03-10T10:00",
            "contact_point": their_cp.pk,
            "debts": [their_debt.pk],
        },
        case=case,
        debts=debts,
        contact_points=cps,
    )
    consent = f.ConsentForm(
        {"kind": "call_back", "given_at": "2026-03-10T10:00", "contact_point": their_cp.pk},
        case=case,
        contact_points=cps,
    )
    assert not promise.is_valid() and "debt" in promise.errors
    assert not payment.is_valid() and "debt" in payment.errors
    assert not restriction.is_valid()
    assert {"contact_point", "debts"} <= set(restriction.errors)
    assert not consent.is_valid() and "contact_point" in consent.errors


def test_debt_accounts_read_separately_match_the_array_read(case, monkeypatch):
    """Off PostgreSQL the account numbers come from one more query: the same lists."""
    from collections_app.models import ContactAttempt
    from collections_app.selectors.case_file import _rows_with_debt_accounts

    later = DebtFactory(debtor=case.debtor)
    case.debts.add(later)
    for discussed in ([later, case.debts.first()], [], [later]):
        ContactAttemptFactory(case=case).debts_discussed.set(discussed)

    def read():
        rows = _rows_with_debt_accounts(
            ContactAttempt.objects.filter(case=case).order_by("id"),
            through=ContactAttempt.debts_discussed.through,
            owner="contactattempt",
            limit=2,
        )
        return [(row.pk, row.debt_accounts) for row in rows]

    on_postgresql = read()
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert read() == on_postgresql
    assert [len(accounts) for _, accounts in on_postgresql] == [2, 0]
