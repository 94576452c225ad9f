from datetime import timedelta

import pytest
import time_machine
from django.template.loader import render_to_string

from collections_app.models import Reminder
from messaging.selectors import reminders_for_case

from .conftest import promise_reminder, us_case, utc

pytestmark = pytest.mark.django_db

URL = "/messaging/reminders/"
NOW = utc(2026, 11, 10, 16, 0)


@pytest.fixture
def reminders(team, other_team, collector, other_collector):  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        ours = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
        theirs = us_case(team=other_team, collector=other_collector, consent_at=utc(2026, 11, 1))
        failed = promise_reminder(ours, due_at=NOW - timedelta(hours=1))
        Reminder.objects.filter(pk=failed.pk).update(
            status="failed", last_error="HTTP 400: invalid number"
        )
        promise_reminder(ours, due_at=NOW + timedelta(hours=1))
        other = promise_reminder(theirs, due_at=NOW)
        Reminder.objects.filter(pk=other.pk).update(
            status="cancelled",
            reasons=[{"code": "CEASE_COMMUNICATION", "rule": "common", "message": "cease"}],
        )
    return ours, theirs


def get(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        return client.get(URL, {"day": "2026-11-10"})


def test_manager_sees_their_teams_volume_and_failures_only(client, manager, reminders):
    answer = get(client, manager)

    assert answer.status_code == 200
    page = answer.content.decode()
    assert "HTTP 400: invalid number" in page
    assert "CEASE_COMMUNICATION" not in page
    assert answer.context["volume"].by_status["failed"] == 1
    assert answer.context["volume"].by_status["scheduled"] == 1
    assert answer.context["volume"].total == 2


def test_admin_sees_every_team(client, admin_user, reminders):
    answer = get(client, admin_user)

    assert answer.status_code == 200
    assert answer.context["volume"].total == 3
    assert "CEASE_COMMUNICATION" in answer.content.decode()


@pytest.mark.parametrize("persona", ["collector", "auditor"])
def test_other_roles_get_404(client, request, persona, reminders):
    assert get(client, request.getfixturevalue(persona)).status_code == 404


def test_anonymous_is_sent_to_login(client, reminders):
    answer = client.get(URL)
    assert answer.status_code == 302
    assert "/login" in answer["Location"]


def test_a_bad_day_falls_back_to_today(client, manager, reminders):
    client.force_login(manager)
    with time_machine.travel(NOW, tick=False):
        answer = client.get(URL, {"day": "not-a-date"})
    assert answer.status_code == 200
    assert str(answer.context["volume"].day) == "2026-11-10"


def test_overview_query_count_does_not_grow_with_rows(
    client, manager, reminders, django_assert_max_num_queries
):
    ours, _theirs = reminders
    client.force_login(manager)
    with time_machine.travel(NOW, tick=False):
        with django_assert_max_num_queries(12):
            client.get(URL)
        for _ in range(20):
            r = promise_reminder(ours, due_at=NOW)
            Reminder.objects.filter(pk=r.pk).update(status="failed", last_error="x")
        with django_assert_max_num_queries(12):
            client.get(URL)


def test_case_partial_lists_upcoming_sent_deferred_and_cancelled(reminders):
    ours, _theirs = reminders
    deferred = promise_reminder(ours, due_at=NOW)
    Reminder.objects.filter(pk=deferred.pk).update(
        status="deferred",
        reasons=[{"code": "OUTSIDE_CONTACT_HOURS", "rule": "us_federal", "message": "too late"}],
    )

    html = render_to_string(
        "messaging/_case_reminders.html", {"reminders": reminders_for_case(case_id=ours.pk)}
    )

    assert html.count('class="reminder reminder-') == 3
    assert "OUTSIDE_CONTACT_HOURS" in html
    assert "HTTP 400: invalid number" in html
    assert "Scheduled" in html


def test_case_partial_query_count_is_fixed(reminders, django_assert_num_queries):
    ours, _theirs = reminders
    with django_assert_num_queries(1):
        render_to_string(
            "messaging/_case_reminders.html", {"reminders": reminders_for_case(case_id=ours.pk)}
        )
