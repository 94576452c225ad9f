"""Every action of the case page: who may post it (others 404), what a bad input answers
(a clear message, nothing saved), and what a good one records."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.urls import reverse

from collections_app.models import (
    CaseStatus,
    ContactAttempt,
    FollowUp,
    Note,
    Payment,
    PlanStatus,
    PromiseToPay,
    RepaymentPlan,
)
from compliance.models import ComplianceDecision, Consent, ContactRestriction
from tests.factories import ContactPointFactory, RestrictionFactory

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in New York
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def mobile(case):
    return ContactPointFactory(debtor=case.debtor, value="+15185550123")


def url(name: str, case, *args) -> str:
    return reverse(f"collections:{name}", args=[case.pk, *args])


def valid_posts(case, mobile) -> dict[str, dict]:
    debt = case.debts.first()
    return {
        "promise": {"amount": "100.00", "due_date": "2026-03-20"},
        "note": {"body": "Debtor asked for statements."},
        "follow_up": {"due_at": "2026-03-11T10:00", "reason": "Call back after payday"},
        "payment": {
            "debt": debt.pk,
            "amount": "50.00",
            "received_at": "2026-03-10T09:00",
            "method": "card",
        },
        "restriction": {"kind": "attorney_represented", "effective_at": "2026-03-10T10:00"},
        "consent": {"kind": "sms", "given_at": "2026-03-10T10:00"},
        "escalate": {"kind": "legal", "reason": "No response in 90 days."},
        "status": {"to_status": "disputed", "reason": "Debtor disputes the balance."},
        "plan_propose": {"start_date": "2026-03-20", "frequency": "monthly"},
        "contact": {"contact_point": mobile.pk, "channel": "call"},
    }


ACTIONS = [
    "promise",
    "note",
    "follow_up",
    "payment",
    "restriction",
    "consent",
    "escalate",
    "status",
    "plan_propose",
    "contact",
]


def counts() -> tuple[int, ...]:
    return (
        PromiseToPay.objects.count(),
        Note.objects.count(),
        FollowUp.objects.count(),
        Payment.objects.count(),
        ContactRestriction.objects.count(),
        Consent.objects.count(),
        ContactAttempt.objects.count(),
        RepaymentPlan.objects.count(),
    )


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", ["auditor", "other_collector", "teammate", "other_manager"])
def test_no_one_outside_the_case_may_post(client, case, mobile, action, who, request):
    """Auditors read in their own workspace; another team's people and a teammate (the case
    is alice's, not the team's queue) do not see the case: 404, nothing saved."""
    client.force_login(request.getfixturevalue(who))
    before = counts()
    response = client.post(url(action, case), valid_posts(case, mobile)[action])
    assert response.status_code == 404
    assert counts() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_other_teams_case_is_404_for_the_collector(client, collector, other_case, action):
    mobile = ContactPointFactory(debtor=other_case.debtor)
    client.force_login(collector)
    response = client.post(url(action, other_case), valid_posts(other_case, mobile)[action])
    assert response.status_code == 404


def test_pages_refuse_get_on_actions(client, case, mobile):
    client.force_login(case.assigned_to)
    assert client.get(url("note", case)).status_code == 405


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("promise", {"amount": "-5", "due_date": "2026-03-20"}, "greater than or equal to 0.01"),
        ("promise", {"amount": "100", "due_date": "2026-03-01"}, "cannot be in the past"),
        ("promise", {"amount": "100", "due_date": "2026-06-01"}, "build a repayment plan"),
        ("note", {"body": "   "}, "This field is required"),
        ("follow_up", {"due_at": "2026-03-01T10:00", "reason": "x"}, "due in the future"),
        ("follow_up", {"due_at": "not a date", "reason": "x"}, "Enter a valid date/time"),
        (
            "restriction",
            {
                "kind": "dispute",
                "effective_at": "2026-03-10T10:00",
                "ends_at": "2026-03-09T10:00",
            },
            "end must be after the start",
        ),
        ("restriction", {"kind": "nonsense", "effective_at": "2026-03-10T10:00"}, "valid choice"),
        (
            "consent",
            {"kind": "sms", "given_at": "2026-03-10T10:00", "expires_at": "2026-03-01T10:00"},
            "expiry must be after",
        ),
        ("status", {"to_status": "new", "reason": "back"}, "valid choice"),
        ("escalate", {"kind": "jail", "reason": "x"}, "valid choice"),
    ],
)
def test_bad_input_answers_400_with_a_clear_message_and_saves_nothing(
    client, case, action, data, message
):
    client.force_login(case.assigned_to)
    before = counts()
    response = client.post(url(action, case), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


def test_payment_with_a_negative_amount_is_refused(client, case):
    client.force_login(case.assigned_to)
    debt = case.debts.first()
    response = client.post(
        url("payment", case),
        {"debt": debt.pk, "amount": "-1", "received_at": "2026-03-10T09:00"},
    )
    assert response.status_code == 400
    assert Payment.objects.count() == 0
    debt.refresh_from_db()
    assert debt.balance == Decimal("4200.00")


def test_htmx_bad_input_returns_the_form_with_its_errors(client, case):
    client.force_login(case.assigned_to)
    response = client.post(url("note", case), {"body": ""}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="note_form"' in body
    assert "This field is required" in body


def test_htmx_success_redirects_to_the_case_page(client, case):
    client.force_login(case.assigned_to)
    response = client.post(url("note", case), {"body": "Spoke to HR."}, headers=HTMX)
    assert response.headers["HX-Redirect"] == url("case", case)
    assert Note.objects.get(case=case).body == "Spoke to HR."


def test_promise_moves_the_case_to_promise_to_pay(client, case):
    client.force_login(case.assigned_to)
    response = client.post(url("promise", case), {"amount": "120.50", "due_date": "2026-03-20"})
    assert response.status_code == 302
    promise = PromiseToPay.objects.get(case=case)
    assert promise.amount == Decimal("120.50")
    assert promise.created_by == case.assigned_to
    case.refresh_from_db()
    assert case.status == CaseStatus.PROMISE_TO_PAY


def test_follow_up_sets_the_next_action(client, case):
    client.force_login(case.assigned_to)
    client.post(url("follow_up", case), {"due_at": "2026-03-11T10:00", "reason": "Call back"})
    case.refresh_from_db()
    assert case.next_action_at == datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
    follow_up = FollowUp.objects.get(case=case)
    client.post(url("follow_up_done", case, follow_up.pk))
    follow_up.refresh_from_db()
    case.refresh_from_db()
    assert follow_up.done_at is not None
    assert case.next_action_at is None


def test_datetimes_are_read_in_the_collectors_zone(client, case):
    client.force_login(case.assigned_to)
    client.cookies["tz"] = "Asia/Shanghai"
    client.post(url("follow_up", case), {"due_at": "2026-03-11T10:00", "reason": "Call back"})
    assert FollowUp.objects.get(case=case).due_at == datetime(2026, 3, 11, 2, 0, tzinfo=UTC)


def test_restriction_and_consent_are_recorded_for_the_debtor(client, case, mobile):
    client.force_login(case.assigned_to)
    client.post(
        url("restriction", case),
        {
            "kind": "channel_ban",
            "channel": "sms",
            "contact_point": mobile.pk,
            "effective_at": "2026-03-10T10:00",
            "source_document": "Letter of 2026-03-09",
        },
    )
    client.post(url("consent", case), {"kind": "email", "given_at": "2026-03-10T10:00"})
    restriction = ContactRestriction.objects.get(debtor=case.debtor)
    assert (restriction.kind, restriction.channel, restriction.contact_point) == (
        "channel_ban",
        "sms",
        mobile,
    )
    assert restriction.recorded_by == case.assigned_to
    assert Consent.objects.get(debtor=case.debtor).kind == "email"


def test_collector_cannot_move_a_case_to_legal_directly(client, case):
    client.force_login(case.assigned_to)
    response = client.post(url("status", case), {"to_status": "legal", "reason": "x"})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


def test_status_change_goes_through_the_state_machine(client, case):
    client.force_login(case.assigned_to)
    client.post(url("status", case), {"to_status": "disputed", "reason": "Debtor disputes."})
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPUTED
    change = case.status_changes.get()
    assert (change.from_status, change.actor, change.reason) == (
        "active",
        case.assigned_to,
        "Debtor disputes.",
    )


def test_escalation_is_requested_for_a_manager(client, case, manager):
    from manager.models import EscalationRequest

    client.force_login(case.assigned_to)
    response = client.post(url("escalate", case), {"kind": "agency", "reason": "Skip traced."})
    assert response.status_code == 302
    assert EscalationRequest.objects.filter(case=case, kind="agency").count() == 1


def test_payment_is_recorded_and_reduces_the_balance(client, case):
    client.force_login(case.assigned_to)
    debt = case.debts.first()
    client.post(
        url("payment", case),
        {
            "debt": debt.pk,
            "amount": "200.00",
            "received_at": "2026-03-10T09:00",
            "external_reference": "BANK-1",
        },
    )
    debt.refresh_from_db()
    assert debt.balance == Decimal("4000.00")
    assert Payment.objects.get(case=case).recorded_by == case.assigned_to


# --- contact through the gate -----------------------------------------------------------


def test_allowed_call_reserves_an_attempt_and_opens_the_outcome_form(client, case, mobile):
    client.force_login(case.assigned_to)
    response = client.post(
        url("contact", case), {"contact_point": mobile.pk, "channel": "call"}, headers=HTMX
    )
    attempt = ContactAttempt.objects.get(case=case)
    assert attempt.status == "initiated"
    assert attempt.decision.allowed
    assert url("outcome", case, attempt.pk) in response.content.decode()


def test_blocked_call_shows_every_reason_and_records_no_attempt(client, case, mobile):
    RestrictionFactory(debtor=case.debtor, kind="attorney_represented", effective_at=NOON)
    RestrictionFactory(debtor=case.debtor, kind="dispute", effective_at=NOON)
    client.force_login(case.assigned_to)
    response = client.post(
        url("contact", case), {"contact_point": mobile.pk, "channel": "call"}, headers=HTMX
    )
    body = response.content.decode()
    assert ContactAttempt.objects.count() == 0
    assert "represented by an attorney" in body
    assert "disputed and not yet verified" in body
    assert ComplianceDecision.objects.filter(debtor=case.debtor, allowed=False).count() == 1


def test_out_of_hours_block_gives_the_next_time_in_both_zones(client, case, mobile, clock):
    clock.move_to(datetime(2026, 3, 10, 4, 0, tzinfo=UTC))  # 00:00 in New York
    client.force_login(case.assigned_to)
    client.cookies["tz"] = "Europe/London"
    response = client.post(
        url("contact", case), {"contact_point": mobile.pk, "channel": "call"}, headers=HTMX
    )
    body = response.content.decode()
    assert "outside the permitted contact hours" in body
    # 08:00 EDT = 12:00 UTC = 12:00 in London (before the UK's clocks change).
    assert "2026-03-10 08:00" in body and "America/New_York" in body
    assert "2026-03-10 12:00" in body and "Europe/London" in body


def test_contact_point_of_another_debtor_is_404(client, case, other_case):
    foreign = ContactPointFactory(debtor=other_case.debtor)
    client.force_login(case.assigned_to)
    response = client.post(url("contact", case), {"contact_point": foreign.pk, "channel": "call"})
    assert response.status_code == 404


def test_channel_the_contact_point_cannot_carry_is_refused(client, case, mobile):
    client.force_login(case.assigned_to)
    response = client.post(url("contact", case), {"contact_point": mobile.pk, "channel": "email"})
    assert response.status_code == 400
    assert ComplianceDecision.objects.count() == 0


def _reserve_call(client, case, mobile) -> ContactAttempt:
    client.post(url("contact", case), {"contact_point": mobile.pk, "channel": "call"})
    return ContactAttempt.objects.get(case=case)


def test_conversation_with_a_promise_is_recorded_together(client, case, mobile):
    client.force_login(case.assigned_to)
    attempt = _reserve_call(client, case, mobile)
    debt = case.debts.first()
    response = client.post(
        url("outcome", case, attempt.pk),
        {
            "outcome": "conversation",
            "debts_discussed": [debt.pk],
            "promise_amount": "250.00",
            "promise_due_date": "2026-03-17",
            "call_back_at": "2026-03-12T10:00",
        },
    )
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.outcome == "conversation"
    assert list(attempt.debts_discussed.all()) == [debt]
    promise = PromiseToPay.objects.get(case=case)
    assert (promise.amount, promise.attempt, promise.debt) == (Decimal("250.00"), attempt, debt)
    assert Consent.objects.filter(debtor=case.debtor, kind="call_back").exists()


def test_a_bad_promise_rolls_back_the_outcome_too(client, case, mobile):
    client.force_login(case.assigned_to)
    attempt = _reserve_call(client, case, mobile)
    response = client.post(
        url("outcome", case, attempt.pk),
        {"outcome": "conversation", "promise_amount": "10", "promise_due_date": "2026-09-01"},
    )
    assert response.status_code == 400
    assert "build a repayment plan" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.outcome == ""
    assert PromiseToPay.objects.count() == 0


def test_promise_needs_a_conversation(client, case, mobile):
    client.force_login(case.assigned_to)
    attempt = _reserve_call(client, case, mobile)
    response = client.post(
        url("outcome", case, attempt.pk),
        {"outcome": "no_answer", "promise_amount": "10", "promise_due_date": "2026-03-12"},
    )
    assert response.status_code == 400
    assert "A promise is made in a conversation" in response.content.decode()


def test_outcome_is_recorded_once(client, case, mobile):
    client.force_login(case.assigned_to)
    attempt = _reserve_call(client, case, mobile)
    client.post(url("outcome", case, attempt.pk), {"outcome": "no_answer"})
    response = client.post(url("outcome", case, attempt.pk), {"outcome": "conversation"})
    assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.outcome == "no_answer"


def test_sms_is_checked_composed_then_sent_after_commit(
    client, case, mobile, django_capture_on_commit_callbacks
):
    Consent.objects.create(debtor=case.debtor, kind="sms", given_at=NOON - timedelta(days=1))
    client.force_login(case.assigned_to)
    check = client.post(
        url("contact", case), {"contact_point": mobile.pk, "channel": "sms"}, headers=HTMX
    )
    body = check.content.decode()
    assert "Reply STOP to opt out" in body
    assert ContactAttempt.objects.count() == 0  # a dry run: decision only
    with (
        mock.patch("messaging.services.send.message_send_for_attempt") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            url("message", case),
            {
                "contact_point": mobile.pk,
                "channel": "sms",
                "template": "call_request",
                "body": "Please call us.",
            },
        )
    assert response.status_code == 302
    attempt = ContactAttempt.objects.get(case=case, channel="sms")
    send.assert_called_once_with(attempt_id=attempt.pk, body="Please call us.", subject="")


def test_blocked_sms_is_not_sent(client, case, mobile, django_capture_on_commit_callbacks):
    RestrictionFactory(debtor=case.debtor, kind="cease_communication", effective_at=NOON)
    client.force_login(case.assigned_to)
    with (
        mock.patch("messaging.services.send.message_send_for_attempt") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            url("message", case),
            {
                "contact_point": mobile.pk,
                "channel": "sms",
                "template": "call_request",
                "body": "Please call us.",
            },
        )
    assert "asked us in writing to stop" in response.content.decode()
    assert ContactAttempt.objects.count() == 0
    send.assert_not_called()


# --- plans --------------------------------------------------------------------------------


def _plan_post(rows, discount="0", frequency="monthly") -> dict:
    data = {
        "frequency": frequency,
        "discount_amount": discount,
        "inst-TOTAL_FORMS": str(len(rows)),
        "inst-INITIAL_FORMS": "0",
        "inst-MIN_NUM_FORMS": "1",
        "inst-MAX_NUM_FORMS": "260",
    }
    for i, (due, amount) in enumerate(rows):
        data[f"inst-{i}-due_date"] = due
        data[f"inst-{i}-amount"] = amount
    return data


def test_plan_builder_proposes_from_capacity(client, case):
    client.force_login(case.assigned_to)
    response = client.post(
        url("plan_propose", case), {"start_date": "2026-03-20", "frequency": "monthly"}
    )
    formset = response.context["formset"]
    # income 4000 - expenses 3000 = 1000 disposable; half of it a month; 4200 owed.
    assert [f.initial["amount"] for f in formset] == [Decimal("500.00")] * 8 + [Decimal("200.00")]


def test_plan_within_authority_is_active(client, case):
    client.force_login(case.assigned_to)
    rows = [("2026-04-01", "2100.00"), ("2026-05-01", "2100.00")]
    response = client.post(url("plan", case), _plan_post(rows))
    assert response.status_code == 302
    plan = RepaymentPlan.objects.get(case=case)
    assert plan.status == PlanStatus.ACTIVE
    assert [i.amount for i in plan.installments.all()] == [Decimal("2100.00")] * 2
    case.refresh_from_db()
    assert case.status == CaseStatus.PAYMENT_PLAN


def test_plan_beyond_authority_waits_for_approval(client, case):
    client.force_login(case.assigned_to)  # 10% discount limit; 630 of 4200 is 15%
    rows = [("2026-04-01", "1785.00"), ("2026-05-01", "1785.00")]
    client.post(url("plan", case), _plan_post(rows, discount="630.00"))
    plan = RepaymentPlan.objects.get(case=case)
    assert plan.status == PlanStatus.PENDING_APPROVAL
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


def test_plan_that_does_not_add_up_is_refused(client, case):
    client.force_login(case.assigned_to)
    rows = [("2026-04-01", "100.00")]
    response = client.post(url("plan", case), _plan_post(rows))
    assert response.status_code == 400
    assert "must equal the balance" in response.content.decode()
    assert RepaymentPlan.objects.count() == 0


def test_plan_with_a_bad_row_is_refused(client, case):
    client.force_login(case.assigned_to)
    rows = [("2026-04-01", "-4200.00")]
    response = client.post(url("plan", case), _plan_post(rows))
    assert response.status_code == 400
    assert RepaymentPlan.objects.count() == 0


def test_a_call_left_without_outcome_can_be_completed_later(client, case, mobile):
    client.force_login(case.assigned_to)
    attempt = _reserve_call(client, case, mobile)
    page = client.get(url("case", case)).content.decode()
    assert url("outcome", case, attempt.pk) in page
    form = client.get(url("outcome", case, attempt.pk), headers=HTMX)
    assert 'name="outcome"' in form.content.decode()
    client.post(url("outcome", case, attempt.pk), {"outcome": "voicemail"})
    attempt.refresh_from_db()
    assert attempt.outcome == "voicemail"


def test_manager_works_a_team_case(client, case, manager):
    client.force_login(manager)
    response = client.post(url("note", case), {"body": "Reviewed by the manager."})
    assert response.status_code == 302
    assert Note.objects.get(case=case).author == manager


# --- every URL of the workspace is covered --------------------------------------------------


def _other_urls(case, mobile) -> dict[str, tuple[str, str, dict]]:
    """(method, url, data) for the URLs not in ACTIONS."""
    from collections_app.models import ContactAttempt as Attempt

    attempt = Attempt.objects.create(
        case=case, debtor=case.debtor, contact_point=mobile, channel="call", occurred_at=NOON
    )
    follow_up = FollowUp.objects.create(case=case, due_at=NOON, reason="x")
    return {
        "queue": ("get", reverse("collections:queue"), {}),
        "case": ("get", url("case", case), {}),
        "compose": (
            "get",
            url("compose", case) + f"?contact_point={mobile.pk}&channel=sms",
            {},
        ),
        "message": (
            "post",
            url("message", case),
            {"contact_point": mobile.pk, "channel": "sms", "template": "call_request", "body": "x"},
        ),
        "outcome": ("post", url("outcome", case, attempt.pk), {"outcome": "no_answer"}),
        "plan": ("post", url("plan", case), _plan_post([("2026-04-01", "4200.00")])),
        "follow_up_done": ("post", url("follow_up_done", case, follow_up.pk), {}),
    }


def test_every_workspace_url_is_in_the_permission_tests():
    from collections_app.urls import urlpatterns

    names = {p.name for p in urlpatterns}
    assert names == set(ACTIONS) | {
        "queue",
        "case",
        "compose",
        "message",
        "outcome",
        "plan",
        "follow_up_done",
    }


@pytest.mark.parametrize(
    "name", ["queue", "case", "compose", "message", "outcome", "plan", "follow_up_done"]
)
@pytest.mark.parametrize("who", ["auditor", "other_collector"])
def test_other_urls_refuse_outsiders(client, case, mobile, name, who, request):
    method, target, data = _other_urls(case, mobile)[name]
    client.force_login(request.getfixturevalue(who))
    before = counts()
    response = getattr(client, method)(target, data)
    if name == "queue" and who == "other_collector":
        assert response.status_code == 200  # their own queue, without alice's case
        assert case.debtor.full_name not in response.content.decode()
    else:
        assert response.status_code == 404
    assert counts() == before


def test_anonymous_is_sent_to_log_in(client, case):
    response = client.get(url("case", case))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_email_needs_a_subject_and_nothing_is_reserved(client, case):
    email = ContactPointFactory(debtor=case.debtor, kind="email", value="debtor@example.com")
    client.force_login(case.assigned_to)
    response = client.post(
        url("message", case),
        {"contact_point": email.pk, "channel": "email", "template": "call_request", "body": "x"},
        headers=HTMX,
    )
    assert "An email needs a subject" in response.content.decode()
    assert ContactAttempt.objects.count() == 0


def test_message_template_is_written_in_the_debtors_language(client, case, mobile):
    case.debtor.preferred_language = "zh-hans"
    case.debtor.save()
    client.force_login(case.assigned_to)
    response = client.get(
        url("compose", case) + f"?contact_point={mobile.pk}&channel=sms&template=call_request",
        headers=HTMX,
    )
    body = response.content.decode()
    assert "请就您的账户" in body
    assert "回复TD退订" in body
