"""The work queue and the case page: who may open them, what they show, their query budgets."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from collections_app.models import CaseStatus, PromiseStatus
from tests.factories import (
    CaseFactory,
    ContactAttemptFactory,
    ContactPointFactory,
    DebtFactory,
    DebtorFactory,
    PromiseFactory,
)

pytestmark = pytest.mark.django_db
# A Tuesday, 15:00 UTC = 10:00 in New York: inside every pack's hours.
NOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def queue_url(**params: str) -> str:
    url = reverse("collections:queue")
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def case_url(case) -> str:
    return reverse("collections:case", args=[case.pk])


def test_collector_sees_own_case_in_queue_but_not_other_team(client, clock, case, other_case):
    ContactPointFactory(debtor=case.debtor)
    client.force_login(case.assigned_to)
    response = client.get(queue_url())
    assert response.status_code == 200
    assert case.debtor.full_name in response.content.decode()
    assert other_case.debtor.full_name not in response.content.decode()


def test_queue_orders_promise_due_today_then_broken_then_follow_up_then_new(
    client, clock, collector, team
):
    plain = CaseFactory(team=team, assigned_to=collector, debtor__full_name="Plain Active")
    new = CaseFactory(
        team=team, assigned_to=collector, status=CaseStatus.NEW, debtor__full_name="New Placement"
    )
    due_today = CaseFactory(team=team, assigned_to=collector, debtor__full_name="Due Today")
    PromiseFactory(case=due_today, due_date=NOON.date())
    broken = CaseFactory(team=team, assigned_to=collector, debtor__full_name="Broke Promise")
    PromiseFactory(case=broken, due_date=NOON.date() - timedelta(days=3))
    follow = CaseFactory(team=team, assigned_to=collector, debtor__full_name="Follow Up")
    follow.follow_ups.create(due_at=NOON - timedelta(hours=1), reason="call back")
    client.force_login(collector)
    rows = client.get(queue_url()).context["rows"]
    assert [c.pk for c in rows] == [due_today.pk, broken.pk, follow.pk, new.pk, plain.pk]


def test_queue_then_orders_by_risk_and_balance(client, clock, collector, team):
    low = CaseFactory(team=team, assigned_to=collector, debtor__risk_score=10)
    high = CaseFactory(team=team, assigned_to=collector, debtor__risk_score=90)
    big = CaseFactory(
        team=team,
        assigned_to=collector,
        debtor__risk_score=10,
        debts=[DebtFactory(balance=Decimal("99999.00"))],
    )
    client.force_login(collector)
    rows = client.get(queue_url()).context["rows"]
    assert [c.pk for c in rows] == [high.pk, big.pk, low.pk]


def test_queue_filters_and_search(client, clock, collector, team):
    debtor = DebtorFactory(full_name="Zed Quincy", region="CA")
    wanted = CaseFactory(
        team=team,
        assigned_to=collector,
        debtor=debtor,
        debts=[DebtFactory(debtor=debtor, product="personal_loan", account_number="ACC-77123")],
    )
    ContactPointFactory(debtor=debtor, value="+12135550199")
    CaseFactory(team=team, assigned_to=collector)
    client.force_login(collector)
    for params in (
        {"q": "quincy"},
        {"q": "77123"},
        {"q": "555-0199"},
        {"product": "personal_loan"},
        {"region": "ca"},
        {"bucket": "M2"},
    ):
        rows = client.get(queue_url(**params)).context["rows"]
        if params.get("bucket"):
            assert wanted.pk in [c.pk for c in rows]
            continue
        assert [c.pk for c in rows] == [wanted.pk], params


def test_queue_paginates(client, clock, collector, team):
    for _ in range(30):
        CaseFactory(team=team, assigned_to=collector)
    client.force_login(collector)
    first = client.get(queue_url())
    second = client.get(queue_url(page="2"))
    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 5


def test_queue_htmx_answers_with_the_results_partial(client, clock, case):
    client.force_login(case.assigned_to)
    response = client.get(
        queue_url(q="x"), headers={"HX-Request": "true", "HX-Target": "queue-results"}
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert 'id="queue-results"' in response.content.decode()


def test_queue_shows_whether_the_debtor_can_be_called_now(client, clock, case):
    ContactPointFactory(debtor=case.debtor, value="+15185550100")
    client.force_login(case.assigned_to)
    response = client.get(queue_url())
    row = response.context["rows"][0]
    call = [r for r in row.reach if r.channel == "call"]
    assert call and call[0].allowed is True


@pytest.mark.parametrize("who", ["auditor", "other_collector"])
def test_auditor_and_other_team_cannot_open_the_case(client, clock, case, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(case_url(case)).status_code == 404


def test_auditor_gets_404_on_the_queue(client, auditor):
    client.force_login(auditor)
    assert client.get(queue_url()).status_code == 404


def test_manager_opens_team_case(client, clock, case, manager):
    client.force_login(manager)
    assert client.get(case_url(case)).status_code == 200


def test_case_page_shows_the_debtors_file(client, clock, case):
    debtor = case.debtor
    debtor.employer = "Acme Widgets"
    debtor.assets = [{"kind": "car", "description": "2019 sedan", "value": "8000"}]
    debtor.save()
    ContactPointFactory(debtor=debtor, value="+15185550101")
    ContactAttemptFactory(case=case, outcome="conversation")
    PromiseFactory(case=case, amount=Decimal("150.00"))
    client.force_login(case.assigned_to)
    body = client.get(case_url(case)).content.decode()
    for text in (
        "Acme Widgets",
        "2019 sedan",
        "+15185550101",
        "America/New_York",
        "11:00 Tue",  # the debtor's local time, not the server's
        "Conversation",
        "150.00",
        "Call",
        "Send SMS",
        case.debts.first().account_number,
    ):
        assert text in body, text


def _queue_cases(n, team, collector):
    for i in range(n):
        case = CaseFactory(team=team, assigned_to=collector)
        ContactPointFactory(debtor=case.debtor, value=f"+1518556{i:04d}")
        PromiseFactory(case=case, status=PromiseStatus.PENDING)


def test_queue_query_count_does_not_grow_with_rows(
    client, clock, collector, team, django_assert_max_num_queries
):
    _queue_cases(25, team, collector)
    client.force_login(collector)
    client.get(queue_url())  # warm caches (house policy, session)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one_page:
        client.get(queue_url())
    _queue_cases(25, team, collector)  # 50 cases: still a page of 25 rows shown
    with django_assert_max_num_queries(len(one_page)):
        response = client.get(queue_url())
    assert len(response.context["rows"]) == 25
    assert response.context["page"].paginator.count == 50


def _history(case, n):
    cp = ContactPointFactory(debtor=case.debtor)
    for i in range(n):
        ContactAttemptFactory(
            case=case, contact_point=cp, occurred_at=NOON - timedelta(days=40 + i)
        )
        PromiseFactory(case=case, due_date=NOON.date() + timedelta(days=1 + i % 20))
        case.notes.create(author=case.assigned_to, body=f"note {i}")


def test_case_page_query_count_does_not_grow_with_history(
    client, clock, case, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _history(case, 5)
    client.force_login(case.assigned_to)
    client.get(case_url(case))
    with CaptureQueriesContext(connection) as five:
        client.get(case_url(case))
    _history(case, 45)
    with django_assert_max_num_queries(len(five)):
        response = client.get(case_url(case))
    assert len([e for e in response.context["file"].timeline if e.kind == "note"]) == 50


def test_case_page_lists_the_cases_reminders(client, clock, case):
    from collections_app.models import Reminder

    cp = ContactPointFactory(debtor=case.debtor)
    Reminder.objects.create(
        case=case,
        kind="promise_due",
        channel="sms",
        contact_point=cp,
        due_at=NOON + timedelta(days=1),
        idempotency_key="promise_due:1:sms",
    )
    client.force_login(case.assigned_to)
    body = client.get(case_url(case)).content.decode()
    assert 'id="case-reminders"' in body
    assert "Promise due" in body


def test_manager_queue_names_each_cases_collector(client, clock, case, manager):
    client.force_login(manager)
    body = client.get(queue_url()).content.decode()
    assert case.debtor.full_name in body
    assert f"· {case.assigned_to.username}" in body
