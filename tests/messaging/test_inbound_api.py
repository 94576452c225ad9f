from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from collections_app.models import ContactAttempt, Reminder
from compliance.models import ContactRestriction
from messaging.models import DeliveryReceipt, InboundMessage, OutboundMessage
from messaging.services.dispatch import reminder_process, reminders_claim_due
from messaging.services.inbound import is_opt_out
from tests.conftest import api_as

from .conftest import cn_case, promise_reminder, us_case, utc

pytestmark = pytest.mark.django_db

INBOUND = "/api/v1/messaging/inbound/"
RECEIPTS = "/api/v1/messaging/receipts/"
NOW = utc(2026, 11, 10, 16, 0)


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def provider() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_WEBHOOK_TOKEN="hook-secret")
    return client


@pytest.fixture
def case(team, collector):  # type: ignore[no-untyped-def]
    return us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))


@pytest.mark.parametrize(
    "text", ["STOP", "stop", " Stop. ", "STOP please", "退订", "TD", "td", "停止", "退订\uff01"]
)
def test_opt_out_words(text):
    assert is_opt_out(text)


@pytest.mark.parametrize("text", ["", "Please don't stop calling", "I will pay on Friday", "OK"])
def test_other_replies_are_not_opt_outs(text):
    assert not is_opt_out(text)


def test_stop_reply_bans_that_channel_and_number_and_is_logged(clock, provider, case):
    answer = provider.post(
        INBOUND,
        {"channel": "sms", "message_id": "in-1", "sender": "+15185550123", "text": "STOP"},
        format="json",
    )

    assert answer.status_code == 201, answer.content
    assert answer.json()["opt_out"] is True
    ban = ContactRestriction.objects.get()
    assert (ban.kind, ban.channel, ban.contact_point) == ("channel_ban", "sms", case.mobile)
    assert ban.debtor == case.debtor
    attempt = ContactAttempt.objects.get()
    assert (attempt.direction, attempt.channel, attempt.contact_point) == (
        "inbound",
        "sms",
        case.mobile,
    )
    message = InboundMessage.objects.get()
    assert message.attempt == attempt
    assert message.restriction == ban


def test_the_same_reply_posted_twice_is_recorded_once(clock, provider, case):
    body = {"channel": "sms", "message_id": "in-2", "sender": "+15185550123", "text": "STOP"}
    provider.post(INBOUND, body, format="json")

    again = provider.post(INBOUND, body, format="json")

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert ContactRestriction.objects.count() == 1
    assert ContactAttempt.objects.count() == 1


def test_chinese_unsubscribe_on_wechat_bans_wechat_only(clock, provider, team, collector):
    case = cn_case(team=team, collector=collector)

    provider.post(
        INBOUND,
        {"channel": "wechat", "message_id": "wx-1", "sender": "wxid_wangfang", "text": "退订"},
        format="json",
    )

    ban = ContactRestriction.objects.get()
    assert ban.channel == "wechat"
    assert ban.contact_point.kind == "wechat"
    assert ban.debtor == case.debtor


def test_an_ordinary_reply_is_logged_without_a_ban(clock, provider, case):
    answer = provider.post(
        INBOUND,
        {"channel": "sms", "message_id": "in-3", "sender": "+15185550123", "text": "I'll pay"},
        format="json",
    )

    assert answer.json()["opt_out"] is False
    assert not ContactRestriction.objects.exists()
    assert ContactAttempt.objects.get().notes == "I'll pay"


def test_after_stop_pending_sms_reminders_move_to_email(clock, provider, case):
    reminder = promise_reminder(case, due_at=NOW + timedelta(days=1))

    provider.post(
        INBOUND,
        {"channel": "sms", "message_id": "in-4", "sender": "+15185550123", "text": "STOP"},
        format="json",
    )

    reminder.refresh_from_db()
    assert reminder.status == "cancelled"
    assert Reminder.objects.filter(status="scheduled", channel="email").exists()


def test_a_reply_from_an_unknown_address_is_kept_unmatched(clock, provider, case):
    answer = provider.post(
        INBOUND,
        {"channel": "sms", "message_id": "in-5", "sender": "+15185559999", "text": "STOP"},
        format="json",
    )

    assert answer.status_code == 201
    assert answer.json()["matched"] is False
    assert not ContactRestriction.objects.exists()


@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_webhooks_refuse_a_missing_or_wrong_token(case, token):
    client = APIClient()
    if token is not None:
        client.credentials(HTTP_X_WEBHOOK_TOKEN=token)
    body = {"channel": "sms", "message_id": "x", "sender": "+15185550123", "text": "STOP"}
    assert client.post(INBOUND, body, format="json").status_code in (401, 403)
    assert client.post(RECEIPTS, {}, format="json").status_code in (401, 403)
    assert not InboundMessage.objects.exists()


def test_webhooks_refuse_everything_when_no_token_is_configured(settings, provider, case):
    settings.MESSAGING_WEBHOOK_TOKEN = ""
    body = {"channel": "sms", "message_id": "x", "sender": "+15185550123", "text": "STOP"}
    assert provider.post(INBOUND, body, format="json").status_code in (401, 403)


def test_a_logged_in_user_without_the_token_is_refused(case, auditor):
    body = {"channel": "sms", "message_id": "x", "sender": "+15185550123", "text": "STOP"}
    assert api_as(auditor).post(INBOUND, body, format="json").status_code in (401, 403)


def test_bad_input_is_a_400_and_nothing_is_saved(clock, provider, case):
    answer = provider.post(
        INBOUND, {"channel": "fax", "message_id": "", "sender": "x"}, format="json"
    )
    assert answer.status_code == 400
    assert set(answer.json()) >= {"channel", "message_id", "text"}
    assert not InboundMessage.objects.exists()


def _sent_reminder(case, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    reminder = promise_reminder(case, due_at=NOW - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due(enqueue=lambda ids: None)
    assert reminder_process(reminder_id=reminder.pk) == "sent"
    return OutboundMessage.objects.get(reminder=reminder)


def test_a_delivered_receipt_marks_the_message_delivered(
    clock, provider, case, django_capture_on_commit_callbacks
):
    message = _sent_reminder(case, django_capture_on_commit_callbacks)

    answer = provider.post(
        RECEIPTS,
        {"channel": "sms", "message_id": message.provider_message_id, "status": "delivered"},
        format="json",
    )

    assert answer.status_code == 201
    assert answer.json()["matched"] is True
    message.refresh_from_db()
    assert message.status == "delivered"
    assert DeliveryReceipt.objects.get().attempt == message.attempt


def test_a_failed_receipt_fails_the_reminder_with_the_providers_error(
    clock, provider, case, django_capture_on_commit_callbacks
):
    message = _sent_reminder(case, django_capture_on_commit_callbacks)
    body = {
        "channel": "sms",
        "message_id": message.provider_message_id,
        "status": "undelivered",
        "error": "30003 unreachable handset",
    }

    provider.post(RECEIPTS, body, format="json")
    again = provider.post(RECEIPTS, body, format="json")

    assert again.json()["duplicate"] is True
    reminder = Reminder.objects.get(pk=message.reminder_id)
    assert reminder.status == "failed"
    assert reminder.last_error == "30003 unreachable handset"
    assert DeliveryReceipt.objects.count() == 1


def test_a_receipt_for_an_unknown_message_is_stored_unmatched(clock, provider):
    answer = provider.post(
        RECEIPTS, {"channel": "sms", "message_id": "nope", "status": "delivered"}, format="json"
    )
    assert answer.status_code == 201
    assert answer.json()["matched"] is False
    assert timezone.now() == NOW


def test_an_email_reply_with_a_display_name_is_matched(clock, provider, case):
    answer = provider.post(
        INBOUND,
        {
            "channel": "email",
            "message_id": "<m1@example.org>",
            "sender": "Pat Doe <Pat@Example.org>",
            "text": "stop",
        },
        format="json",
    )

    assert answer.json()["matched"] is True
    ban = ContactRestriction.objects.get()
    assert (ban.channel, ban.contact_point.value) == ("email", "pat@example.org")
