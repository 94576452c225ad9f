"""The nine worked cases of COMPLIANCE_RULES.md, end to end through the HTTP API."""

from datetime import timedelta

import pytest
import time_machine

from compliance.models import ComplianceDecision
from tests.api.helpers import ATTEMPTS, check, codes, import_calls
from tests.compliance.gate_helpers import debtor_with_case, local
from tests.conftest import api_as
from tests.factories import ContactPointFactory

pytestmark = pytest.mark.django_db

LATER = local(2021, 1, 4)  # "now" for importing 2020 history


def test_case_1_eighth_call_in_seven_days_blocked_next_day_allowed(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    client = api_as(collector)
    with time_machine.travel(LATER, tick=False):
        rows = [(local(2020, 4, 1), "limited_content_message")]
        rows += [(local(2020, 4, d), "no_answer") for d in range(2, 8)]
        assert import_calls(client, cp, rows)["flagged"] == []
        assert check(client, cp, local(2020, 4, 8))["allowed"] is True
        blocked = check(client, cp, local(2020, 4, 7, 15))
    assert blocked["allowed"] is False
    assert codes(blocked) == {"CALL_FREQUENCY_LIMIT"}
    assert blocked["next_allowed_at"] is not None


def test_case_2_inbound_conversation_opens_a_seven_day_wait(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    client = api_as(collector)
    with time_machine.travel(LATER, tick=False):
        import_calls(client, cp, [(local(2020, 8, 13), "conversation")], direction="inbound")
        for day in range(13, 20):
            decision = check(client, cp, local(2020, 8, day, 14))
            assert codes(decision) == {"POST_CONVERSATION_WAIT"}, day
        assert check(client, cp, local(2020, 8, 20))["allowed"] is True


def test_case_3_mortgage_eighth_call_blocked(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector, product="mortgage")
    client = api_as(collector)
    rows = [(local(2020, 4, 1), "limited_content_message")]
    for day in (2, 3, 6):
        rows += [(local(2020, 4, day, 10), "no_answer"), (local(2020, 4, day, 15), "no_answer")]
    with time_machine.travel(LATER, tick=False):
        import_calls(client, cp, rows)
        decision = check(client, cp, local(2020, 4, 7))
    assert codes(decision) == {"CALL_FREQUENCY_LIMIT"}


def test_case_4_calls_to_a_number_later_marked_wrong_stop_counting(team, collector):
    case, mobile, _ = debtor_with_case(team=team, assigned_to=collector)
    landline = ContactPointFactory(debtor=case.debtor, kind="landline", value="+15185550111")
    client = api_as(collector)
    with time_machine.travel(LATER, tick=False):
        import_calls(
            client, landline, [(local(2020, 4, 6), "no_answer"), (local(2020, 4, 8), "no_answer")]
        )
        before = check(client, mobile, local(2020, 4, 9, 9))
    with time_machine.travel(local(2020, 4, 9, 10), tick=False):
        attempt = client.post(
            ATTEMPTS, {"contact_point": landline.pk, "channel": "call"}, format="json"
        ).json()
        patched = client.patch(
            f"{ATTEMPTS}{attempt['id']}/", {"outcome": "wrong_number"}, format="json"
        )
        assert patched.status_code == 200
        after = check(client, mobile, local(2020, 4, 9, 11))

    def calls(decision):
        counts = ComplianceDecision.objects.get(pk=decision["decision_id"]).inputs["evaluated"]
        return {v["calls_7d"] for v in counts["counts"].values()}

    assert calls(before) == {2}
    assert calls(after) == {0}


def test_case_5_call_me_back_on_monday_excludes_monday_calls(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    _control_case, control_cp, _ = debtor_with_case(team=team, assigned_to=collector)
    control_cp.value = "+15185550122"
    control_cp.save()
    client = api_as(collector)
    for phone, call_back in ((cp, True), (control_cp, False)):
        with time_machine.travel(local(2020, 4, 3, 10), tick=False):
            attempt = client.post(
                ATTEMPTS, {"contact_point": phone.pk, "channel": "call"}, format="json"
            ).json()
            body = {"outcome": "conversation"}
            if call_back:
                body["call_back_at"] = local(2020, 4, 6, 10).isoformat()
            assert (
                client.patch(f"{ATTEMPTS}{attempt['id']}/", body, format="json").status_code == 200
            )
    with time_machine.travel(local(2020, 4, 6, 10), tick=False):
        assert check(client, cp, local(2020, 4, 6, 10))["allowed"] is True
        assert codes(check(client, control_cp, local(2020, 4, 6, 10))) == {"POST_CONVERSATION_WAIT"}


def test_case_6_seven_calls_per_debt_on_three_debts_then_any_eighth_blocked(team, collector):
    _case, cp, debts = debtor_with_case(team=team, assigned_to=collector, debts=3)
    client = api_as(collector)
    with time_machine.travel(LATER, tick=False):
        for hour, debt in zip((9, 12, 15), debts, strict=True):
            result = import_calls(
                client,
                cp,
                [(local(2020, 4, d, hour), "no_answer") for d in range(1, 8)],
                debts=[debt],
            )
            assert result == {"created": 7, "flagged": [], "skipped": []}
        for debt in debts:
            assert codes(check(client, cp, local(2020, 4, 7, 18), debts=[debt])) == {
                "CALL_FREQUENCY_LIMIT"
            }


@pytest.mark.parametrize("discussed_both", [False, True])
def test_case_7_conversation_blocks_only_the_debts_discussed(team, collector, discussed_both):
    _case, cp, (debt_a, debt_b) = debtor_with_case(team=team, assigned_to=collector, debts=2)
    client = api_as(collector)
    with time_machine.travel(local(2020, 11, 9, 10), tick=False):
        attempt = client.post(
            ATTEMPTS, {"contact_point": cp.pk, "channel": "call"}, format="json"
        ).json()
        discussed = [debt_a.pk, debt_b.pk] if discussed_both else [debt_a.pk]
        client.patch(
            f"{ATTEMPTS}{attempt['id']}/",
            {"outcome": "conversation", "debts_discussed": discussed},
            format="json",
        )
    with time_machine.travel(LATER, tick=False):
        assert codes(check(client, cp, local(2020, 11, 10), debts=[debt_a])) == {
            "POST_CONVERSATION_WAIT"
        }
        about_b = check(client, cp, local(2020, 11, 10), debts=[debt_b])
        assert about_b["allowed"] is (not discussed_both)
        if discussed_both:
            assert not check(client, cp, local(2020, 11, 15), debts=[debt_b])["allowed"]
            assert check(client, cp, local(2020, 11, 16), debts=[debt_b])["allowed"]


def test_case_8_eastern_mobile_and_california_address_intersect_windows(team, collector):
    _case, cp, _ = debtor_with_case(
        team=team, assigned_to=collector, region="CA", city="Los Angeles"
    )
    cp.value = "+12127365000"  # a Manhattan number: Eastern
    cp.save()
    client = api_as(collector)

    def eastern(hh, mm=0):
        return local(2020, 4, 8, hh, mm)

    with time_machine.travel(LATER, tick=False):
        early = check(client, cp, eastern(10, 59))
        assert codes(early) == {"OUTSIDE_CONTACT_HOURS"}
        assert early["next_allowed_at"].startswith(eastern(11).isoformat().replace("+00:00", ""))
        assert check(client, cp, eastern(11))["allowed"] is True
        assert check(client, cp, eastern(20, 59))["allowed"] is True
        assert codes(check(client, cp, eastern(21))) == {"OUTSIDE_CONTACT_HOURS"}


def test_case_9_busy_and_not_in_service_never_count(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    client = api_as(collector)
    rows = []
    for d in range(1, 8):
        rows += [(local(2020, 4, d, 10), "busy"), (local(2020, 4, d, 11), "not_in_service")]
        rows += [(local(2020, 4, d, 12) + timedelta(minutes=m), "busy") for m in (10, 20)]
    with time_machine.travel(LATER, tick=False):
        assert import_calls(client, cp, rows)["flagged"] == []
        decision = check(client, cp, local(2020, 4, 7, 15))
    assert decision["allowed"] is True
    counts = ComplianceDecision.objects.get(pk=decision["decision_id"]).inputs["evaluated"]
    assert {v["calls_7d"] for v in counts["counts"].values()} == {0}
