"""The gate through the API: each restriction kind, each family of reason codes, the 201/409
answers of live outreach, outcomes, the contact history and its filters."""

from datetime import timedelta

import pytest
import time_machine

from collections_app.models import ContactAttempt
from compliance.models import ComplianceDecision, HouseSettings
from compliance.services.house import house_policy_cache_clear
from tests.api.helpers import ATTEMPTS, ELIGIBILITY, check, codes, import_calls
from tests.compliance.gate_helpers import debtor_with_case, local
from tests.conftest import api_as
from tests.factories import ContactPointFactory, DebtFactory

pytestmark = pytest.mark.django_db
NOW = local(2020, 4, 8, 10)  # a Wednesday, 10:00 in New York


@pytest.fixture
def gate(team, collector):
    case, cp, debts = debtor_with_case(team=team, assigned_to=collector)
    return case, cp, debts, api_as(collector)


def _restrict(client, case, **body):
    body.setdefault("effective_at", local(2020, 4, 1).isoformat())
    response = client.post(f"/api/v1/debtors/{case.debtor_id}/restrictions/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize(
    ("kind", "extra", "code"),
    [
        ("cease_communication", {}, "CEASE_COMMUNICATION"),
        ("attorney_represented", {}, "ATTORNEY_REPRESENTED"),
        ("dispute", {}, "DISPUTE_PENDING"),
        ("bankruptcy", {}, "BANKRUPTCY"),
        ("channel_ban", {"channel": "call"}, "CHANNEL_OPT_OUT"),
        ("do_not_contact", {}, "DO_NOT_CONTACT"),
        (
            "inconvenient_time",
            {"weekly_windows": [{"weekday": 2, "start": "09:00", "end": "12:00"}]},
            "CONSUMER_INCONVENIENT_TIME",
        ),
    ],
)
def test_each_restriction_kind_blocks_with_its_code(gate, kind, extra, code):
    case, cp, _debts, client = gate
    restriction = _restrict(client, case, kind=kind, **extra)
    assert restriction["kind"] == kind
    with time_machine.travel(NOW, tick=False):
        decision = check(client, cp, NOW)
        assert code in codes(decision)
        live = client.post(ATTEMPTS, {"contact_point": cp.pk, "channel": "call"}, format="json")
    assert live.status_code == 409
    assert set(live.json()) == {"allowed", "reasons", "warnings", "next_allowed_at", "decision_id"}
    assert not ContactAttempt.objects.exists()


def test_workplace_restriction_blocks_the_work_phone_only(gate):
    case, cp, _debts, client = gate
    work = ContactPointFactory(debtor=case.debtor, kind="work_phone", value="+15185550177")
    _restrict(client, case, kind="workplace")
    with time_machine.travel(NOW, tick=False):
        assert codes(check(client, work, NOW)) == {"WORKPLACE_PROHIBITED"}
        assert check(client, cp, NOW)["allowed"] is True


def test_restriction_that_ended_no_longer_blocks(gate):
    case, cp, _debts, client = gate
    _restrict(client, case, kind="dispute", ends_at=local(2020, 4, 5).isoformat())
    with time_machine.travel(NOW, tick=False):
        assert check(client, cp, NOW)["allowed"] is True


def test_restriction_refusals_save_nothing(gate, other_case):
    case, _cp, _debts, client = gate
    url = f"/api/v1/debtors/{case.debtor_id}/restrictions/"
    bad = [
        {"kind": "pause", "effective_at": NOW.isoformat()},
        {"kind": "dispute", "effective_at": "2020-04-08T10:00:00"},  # no offset
        {
            "kind": "dispute",
            "effective_at": NOW.isoformat(),
            "ends_at": (NOW - timedelta(days=1)).isoformat(),
        },
        {"kind": "dispute", "effective_at": NOW.isoformat(), "debts": [other_case.debts.get().pk]},
        {"kind": "channel_ban", "effective_at": NOW.isoformat()},
        {
            "kind": "dispute",
            "effective_at": NOW.isoformat(),
            "weekly_windows": [{"weekday": 2, "start": "09:00", "end": "12:00"}],
        },
    ]
    for body in bad:
        assert client.post(url, body, format="json").status_code == 400, body
    assert client.get(url).json()["results"] == []
    other = f"/api/v1/debtors/{other_case.debtor_id}/restrictions/"
    assert (
        client.post(
            other, {"kind": "dispute", "effective_at": NOW.isoformat()}, format="json"
        ).status_code
        == 404
    )


def test_texts_need_consent_and_a_recorded_consent_lifts_the_block(gate):
    case, cp, _debts, client = gate
    with time_machine.travel(NOW, tick=False):
        assert "NO_CHANNEL_CONSENT" in codes(check(client, cp, NOW, channel="sms"))
        consent = client.post(
            f"/api/v1/debtors/{case.debtor_id}/consents/",
            {"kind": "sms", "given_at": local(2020, 4, 1).isoformat()},
            format="json",
        )
        assert consent.status_code == 201, consent.content
        assert check(client, cp, NOW, channel="sms")["allowed"] is True


def test_hours_block_with_the_next_permitted_instant(gate):
    _case, cp, _debts, client = gate
    with time_machine.travel(NOW, tick=False):
        decision = check(client, cp, local(2020, 4, 8, 7, 30))
    assert codes(decision) == {"OUTSIDE_CONTACT_HOURS"}
    assert decision["next_allowed_at"] == "2020-04-08T12:00:00Z"  # 08:00 EDT


def test_employer_email_wrong_number_and_deceased(gate):
    case, _cp, _debts, client = gate
    work_email = ContactPointFactory(
        debtor=case.debtor, kind="email", value="pat@employer.example", is_employer_provided=True
    )
    wrong = ContactPointFactory(
        debtor=case.debtor, kind="landline", value="+15185550188", wrong_number=True
    )
    with time_machine.travel(NOW, tick=False):
        assert "EMPLOYER_EMAIL" in codes(check(client, work_email, NOW, channel="email"))
        wrong_decision = check(client, wrong, NOW)
        assert "WRONG_NUMBER" in codes(wrong_decision)
        assert wrong_decision["next_allowed_at"] is None
        case.debtor.deceased = True
        case.debtor.save()
        assert "DECEASED" in codes(check(client, work_email, NOW, channel="email"))


def test_third_party_reached_once_is_not_contacted_again(gate):
    case, _cp, _debts, client = gate
    neighbour = ContactPointFactory(
        debtor=case.debtor,
        kind="mobile",
        value="+15185550199",
        owner="third_party",
        relationship="neighbour",
    )
    with time_machine.travel(NOW, tick=False):
        import_calls(client, neighbour, [(local(2020, 4, 6), "conversation")])
        assert "THIRD_PARTY_RESTRICTED" in codes(check(client, neighbour, NOW))


def test_old_facts_outside_the_counting_window_still_decide(gate):
    """1006.10(c): a third party communicated with months ago stays so; 1006.6(d)(5): a text
    from the consumer's number counts for 60 days; 1006.22(f)(3): an employer address the
    consumer once emailed from may be used."""
    case, cp, _debts, client = gate
    neighbour = ContactPointFactory(
        debtor=case.debtor,
        kind="mobile",
        value="+15185550199",
        owner="third_party",
        relationship="neighbour",
    )
    work_email = ContactPointFactory(
        debtor=case.debtor, kind="email", value="pat@employer.example", is_employer_provided=True
    )

    def received(point, *, days_ago: int, channel: str) -> None:
        """A message from the consumer at `point`, `days_ago` days before now, as a fact."""
        rows = [(NOW - timedelta(days=days_ago), "delivered")]
        import_calls(client, point, rows, direction="inbound", channel=channel)

    with time_machine.travel(NOW, tick=False):
        import_calls(client, neighbour, [(NOW - timedelta(days=90), "conversation")])
        live = client.post(ATTEMPTS, {"contact_point": neighbour.pk, "channel": "call"})
        assert live.status_code == 409
        assert "THIRD_PARTY_RESTRICTED" in codes(live.json())

        received(cp, days_ago=70, channel="sms")
        assert "NO_CHANNEL_CONSENT" in codes(check(client, cp, NOW, channel="sms"))
        received(cp, days_ago=50, channel="sms")
        assert check(client, cp, NOW, channel="sms")["allowed"] is True

        received(work_email, days_ago=400, channel="email")
        assert check(client, work_email, NOW, channel="email")["allowed"] is True


def test_new_york_city_caps_attempts_across_channels(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector, city="New York")
    client = api_as(collector)
    with time_machine.travel(NOW, tick=False):
        import_calls(client, cp, [(local(2020, 4, d), "no_answer") for d in (5, 6, 7)])
        assert "CONTACT_FREQUENCY_LIMIT" in codes(check(client, cp, NOW))


def test_china_daily_attempts_and_online_loan_connected_calls(team, collector):
    shanghai = {"country": "CN", "region": "SH", "city": "Shanghai"}
    _case, cp, _ = debtor_with_case(
        team=team, assigned_to=collector, product="online_loan", **shanghai
    )
    cp.value = "+8613812345678"
    cp.save()
    client = api_as(collector)

    def beijing(hh):
        from zoneinfo import ZoneInfo

        return local(2020, 4, 8, hh, zone=ZoneInfo("Asia/Shanghai"))

    with time_machine.travel(beijing(20), tick=False):
        import_calls(client, cp, [(beijing(h), "no_answer") for h in range(9, 15)])
        assert "DAILY_ATTEMPT_LIMIT" in codes(check(client, cp, beijing(16)))
    _case2, cp2, _ = debtor_with_case(
        team=team, assigned_to=collector, product="online_loan", **shanghai
    )
    cp2.value = "+8613812345679"
    cp2.save()
    with time_machine.travel(beijing(20), tick=False):
        import_calls(client, cp2, [(beijing(h), "conversation") for h in (9, 10, 11)])
        assert "DAILY_CONNECTED_CALL_LIMIT" in codes(check(client, cp2, beijing(16)))


def test_house_policy_on_holidays(gate):
    _case, cp, _debts, client = gate
    HouseSettings.objects.create(pk=1, no_contact_on_public_holidays=True)
    house_policy_cache_clear()
    try:
        christmas = local(2020, 12, 25, 10)
        with time_machine.travel(christmas, tick=False):
            assert "HOLIDAY" in codes(check(client, cp, christmas))
    finally:
        house_policy_cache_clear()


def test_live_outreach_201_then_outcome_once(gate):
    case, cp, debts, client = gate
    with time_machine.travel(NOW, tick=False):
        created = client.post(ATTEMPTS, {"contact_point": cp.pk, "channel": "call"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "initiated" and body["case"] == case.pk
    assert body["debts"] == [d.pk for d in debts]
    assert body["decision"]["allowed"] is True and body["occurred_at"] == "2020-04-08T14:00:00Z"
    url = f"{ATTEMPTS}{body['id']}/"
    done = client.patch(url, {"outcome": "voicemail", "notes": "left LCM"}, format="json")
    assert done.status_code == 200 and done.json()["outcome"] == "voicemail"
    again = client.patch(url, {"outcome": "no_answer"}, format="json")
    assert again.status_code == 400
    assert client.patch(url, {"outcome": "shouted"}, format="json").status_code == 400


def test_outcome_of_another_teams_attempt_is_404(gate, other_collector):
    _case, cp, _debts, client = gate
    with time_machine.travel(NOW, tick=False):
        attempt = client.post(
            ATTEMPTS, {"contact_point": cp.pk, "channel": "call"}, format="json"
        ).json()
    response = api_as(other_collector).patch(
        f"{ATTEMPTS}{attempt['id']}/", {"outcome": "no_answer"}, format="json"
    )
    assert response.status_code == 404


def test_import_rows_naming_the_row_on_error_and_nothing_saved(gate, other_case):
    _case, cp, _debts, client = gate
    foreign = ContactPointFactory(debtor=other_case.debtor)
    rows = [
        {
            "contact_point": cp.pk,
            "channel": "call",
            "direction": "outbound",
            "outcome": "no_answer",
            "occurred_at": local(2020, 4, 1).isoformat(),
        },
        {
            "contact_point": foreign.pk,
            "channel": "call",
            "direction": "outbound",
            "outcome": "no_answer",
            "occurred_at": local(2020, 4, 2).isoformat(),
        },
    ]
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            "/api/v1/contact-attempts/import/", {"attempts": rows}, format="json"
        )
        assert response.status_code == 400
        assert list(response.json()["attempts"]) == ["1"]
        future = [dict(rows[0], occurred_at=local(2020, 5, 1).isoformat())]
        response = client.post(
            "/api/v1/contact-attempts/import/", {"attempts": future}, format="json"
        )
        assert response.status_code == 400
    assert not ContactAttempt.objects.exists()
    assert not ComplianceDecision.objects.exists()


def test_contact_history_filters_and_scope(gate, other_case, teammate, auditor):
    case, cp, _debts, client = gate
    other_cp = ContactPointFactory(debtor=other_case.debtor)
    with time_machine.travel(NOW, tick=False):
        import_calls(
            client, cp, [(local(2020, 4, 1), "no_answer"), (local(2020, 4, 2), "no_answer")]
        )
        import_calls(client, cp, [(local(2020, 4, 3), "delivered")], channel="sms")
        import_calls(api_as(other_case.assigned_to), other_cp, [(local(2020, 4, 1), "busy")])
    mine = client.get(ATTEMPTS).json()
    assert mine["count"] == 3
    assert client.get(ATTEMPTS, {"channel": "sms"}).json()["count"] == 1
    assert (
        client.get(
            ATTEMPTS,
            {"from": local(2020, 4, 2).isoformat(), "to": local(2020, 4, 2, 23).isoformat()},
        ).json()["count"]
        == 1
    )
    # The text went out without consent (1006.6(d)(5)): stored, and flagged.
    flagged = client.get(ATTEMPTS, {"flagged": "true"}).json()["results"]
    assert [(a["channel"], a["flag_reasons"][0]["code"]) for a in flagged] == [
        ("sms", "NO_CHANNEL_CONSENT")
    ]
    assert client.get(ATTEMPTS, {"debtor": other_case.debtor_id}).json()["count"] == 0
    assert client.get(ATTEMPTS, {"collector": case.assigned_to_id}).json()["count"] == 3
    assert api_as(auditor).get(ATTEMPTS).json()["count"] == 4


def test_eligibility_per_case(team, collector, auditor, other_case):
    ok_case, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    ceased, _cp2, _ = debtor_with_case(team=team, assigned_to=collector)
    no_phone = debtor_with_case(team=team, assigned_to=collector)[0]
    no_phone.debtor.contact_points.all().delete()
    client = api_as(collector)
    _restrict(client, ceased, kind="cease_communication")
    body = {"cases": [ok_case.pk, ceased.pk, no_phone.pk], "channel": "call", "at": NOW.isoformat()}
    response = client.post(ELIGIBILITY, body, format="json")
    assert response.status_code == 200, response.content
    results = {r["case"]: r for r in response.json()["results"]}
    assert results[ok_case.pk]["allowed"] is True
    assert results[ceased.pk]["codes"] == ["CEASE_COMMUNICATION"]
    assert results[ceased.pk]["next_allowed_at"] is None
    assert results[no_phone.pk]["codes"] == ["NO_CONTACT_POINT"]
    assert api_as(auditor).post(ELIGIBILITY, body, format="json").status_code == 200
    outsider = dict(body, cases=[other_case.pk])
    assert client.post(ELIGIBILITY, outsider, format="json").status_code == 400
    assert not ComplianceDecision.objects.exists()  # eligibility writes nothing


def test_debts_of_another_debtor_in_a_check_are_refused(gate, team, collector):
    _case, cp, _debts, client = gate
    stranger_debt = DebtFactory()
    response = client.post(
        "/api/v1/compliance/check/",
        {"contact_point": cp.pk, "channel": "call", "debts": [stranger_debt.pk]},
        format="json",
    )
    assert response.status_code == 400 and "debts" in response.json()


def test_phones_round_the_world_leave_no_permitted_window(team, collector):
    case, cp, _ = debtor_with_case(
        team=team, assigned_to=collector, region="CA", city="Los Angeles"
    )
    cp.value = "+8613812345678"  # Shanghai
    cp.save()
    ContactPointFactory(debtor=case.debtor, kind="landline", value="+442079460000")  # London
    client = api_as(collector)
    with time_machine.travel(NOW, tick=False):
        decision = check(client, cp, NOW)
    assert "NO_PERMITTED_WINDOW" in codes(decision)
    assert decision["next_allowed_at"] is None


def test_rapid_redial_is_a_warning_not_a_block(gate):
    _case, cp, _debts, client = gate
    with time_machine.travel(NOW, tick=False):
        import_calls(client, cp, [(NOW - timedelta(minutes=2), "no_answer")])
        decision = check(client, cp, NOW)
    assert decision["allowed"] is True
    assert "RAPID_REDIAL" in {w["code"] for w in decision["warnings"]}


def test_outcome_refusals_save_nothing(gate, other_case):
    _case, cp, _debts, client = gate
    with time_machine.travel(NOW, tick=False):
        attempt = client.post(
            ATTEMPTS, {"contact_point": cp.pk, "channel": "call"}, format="json"
        ).json()
        url = f"{ATTEMPTS}{attempt['id']}/"
        naive = client.patch(
            url, {"outcome": "conversation", "call_back_at": "2020-04-10T10:00:00"}, format="json"
        )
        assert naive.status_code == 400 and "call_back_at" in naive.json()
        foreign = client.patch(
            url,
            {"outcome": "conversation", "debts_discussed": [other_case.debts.get().pk]},
            format="json",
        )
        assert foreign.status_code == 400 and "debts_discussed" in foreign.json()
    assert ContactAttempt.objects.get().outcome == ""


def test_contact_history_list_costs_the_same_for_5_or_40_rows(gate):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _case, cp, _debts, client = gate

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(ATTEMPTS).status_code == 200
        return len(ctx.captured_queries)

    with time_machine.travel(NOW, tick=False):
        import_calls(
            client, cp, [(local(2020, 3, 1) + timedelta(hours=h), "busy") for h in range(5)]
        )
        few = list_queries()
        import_calls(
            client, cp, [(local(2020, 3, 5) + timedelta(hours=h), "busy") for h in range(35)]
        )
        many = list_queries()
    assert few == many
