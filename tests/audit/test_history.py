"""The contact history search: attempts and blocked tries, filtered and scoped."""

from datetime import UTC, date, datetime

import pytest

from audit.selectors import HistoryFilters, Show, history_search
from tests.factories import (
    ComplianceDecisionFactory,
    ContactAttemptFactory,
    ContactPointFactory,
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def history(case, other_case, collector, other_collector):
    cp = ContactPointFactory(debtor=case.debtor)
    ours = ContactAttemptFactory(case=case, contact_point=cp, occurred_at=T0, actor=collector)
    flagged = ContactAttemptFactory(
        case=case,
        contact_point=cp,
        occurred_at=datetime(2026, 3, 3, 15, 0, tzinfo=UTC),
        flagged=True,
        flag_reasons=[{"code": "CALL_FREQUENCY_LIMIT"}],
        channel="sms",
        outcome="sent",
    )
    blocked = ComplianceDecisionFactory(
        debtor=case.debtor,
        contact_point=cp,
        allowed=False,
        evaluated_at=datetime(2026, 3, 4, 2, 0, tzinfo=UTC),
        reasons=[{"code": "OUTSIDE_CONTACT_HOURS", "rule": "us_federal:1006.6", "message": "x"}],
        actor=collector,
    )
    theirs = ContactAttemptFactory(
        case=other_case, occurred_at=T0, actor=other_collector, outcome="conversation"
    )
    return {"ours": ours, "flagged": flagged, "blocked": blocked, "theirs": theirs}


def _ids(rows):
    return [(r["row_kind"], r["row_id"]) for r in rows]


def test_auditor_sees_attempts_and_blocked_tries_of_every_team_newest_first(auditor, history):
    rows = list(history_search(user=auditor, filters=HistoryFilters()))
    assert _ids(rows)[0] == ("blocked", history["blocked"].pk)
    assert set(_ids(rows)) == {
        ("attempt", history["ours"].pk),
        ("attempt", history["flagged"].pk),
        ("blocked", history["blocked"].pk),
        ("attempt", history["theirs"].pk),
    }


def test_manager_sees_only_the_team_history(manager, history):
    rows = _ids(history_search(user=manager, filters=HistoryFilters()))
    assert ("attempt", history["theirs"].pk) not in rows
    assert ("attempt", history["ours"].pk) in rows


def test_filters_by_flagged_blocked_channel_dates_and_debtor(auditor, history, case):
    flagged = _ids(history_search(user=auditor, filters=HistoryFilters(show=Show.FLAGGED)))
    assert flagged == [("attempt", history["flagged"].pk)]
    blocked = _ids(history_search(user=auditor, filters=HistoryFilters(show=Show.BLOCKED)))
    assert blocked == [("blocked", history["blocked"].pk)]
    sms = _ids(history_search(user=auditor, filters=HistoryFilters(channel="sms")))
    assert sms == [("attempt", history["flagged"].pk)]
    one_day = HistoryFilters(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2))
    assert set(_ids(history_search(user=auditor, filters=one_day))) == {
        ("attempt", history["ours"].pk),
        ("attempt", history["theirs"].pk),
    }
    by_debtor = HistoryFilters(debtor_id=case.debtor_id)
    assert len(_ids(history_search(user=auditor, filters=by_debtor))) == 3
    by_outcome = HistoryFilters(outcome="conversation")
    assert _ids(history_search(user=auditor, filters=by_outcome)) == [
        ("attempt", history["theirs"].pk)
    ]


def test_a_blocked_decision_with_an_attempt_is_not_a_blocked_try(auditor, case):
    decision = ComplianceDecisionFactory(debtor=case.debtor, allowed=False, purpose="import")
    ContactAttemptFactory(case=case, decision=decision, flagged=True)
    rows = _ids(history_search(user=auditor, filters=HistoryFilters(show=Show.BLOCKED)))
    assert rows == []


def test_the_collector_and_team_filters(auditor, history, collector, team, other_team):
    by_collector = HistoryFilters(collector_id=collector.pk)
    assert set(_ids(history_search(user=auditor, filters=by_collector))) == {
        ("attempt", history["ours"].pk),
        ("blocked", history["blocked"].pk),
    }
    by_team = HistoryFilters(team_id=other_team.pk)
    assert _ids(history_search(user=auditor, filters=by_team)) == [
        ("attempt", history["theirs"].pk)
    ]
