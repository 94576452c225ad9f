"""message_send_for_attempt (the case page's SMS / email / WeChat buttons) and the backends."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core import mail

from collections_app.models import ContactAttempt
from compliance.services.outreach import outreach_reserve
from messaging.channels import OutgoingMessage, PermanentSendError, TransientSendError, local
from messaging.channels.gateway import HttpGatewayBackend
from messaging.models import OutboundMessage
from messaging.services.send import MessageRefused, message_send_for_attempt

from .conftest import cn_case, us_case, utc

NOW = utc(2026, 11, 10, 16, 0)


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


def reserve(case, channel: str, kind: str):  # type: ignore[no-untyped-def]
    cp = case.debtor.contact_points.get(kind=kind)
    result = outreach_reserve(contact_point=cp, channel=channel, actor=None, case=case)
    assert result.allowed, result.decision.reasons
    return result.attempt


@pytest.mark.django_db
def test_sms_from_the_case_page_is_sent_with_the_opt_out_and_recorded(clock, team, collector):
    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    attempt = reserve(case, "sms", "mobile")

    message_send_for_attempt(attempt_id=attempt.pk, body="Please call us back.")
    message_send_for_attempt(attempt_id=attempt.pk, body="Please call us back.")

    (sent,) = local.outbox
    assert sent.body == "Please call us back. Reply STOP to opt out."
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.status) == ("sent", "completed")
    assert OutboundMessage.objects.get().status == "sent"


@pytest.mark.django_db
def test_email_gets_a_subject_in_the_debtors_language(clock, team, collector):
    case = us_case(team=team, collector=collector, consent_at=None)
    attempt = reserve(case, "email", "email")

    message_send_for_attempt(attempt_id=attempt.pk, body="Your statement is ready.")

    (email,) = mail.outbox
    assert email.to == ["pat@example.org"]
    assert email.subject == "A message about your account"
    assert "reply to this email with the word STOP" in email.body


@pytest.mark.django_db
def test_wechat_in_chinese_carries_the_chinese_opt_out(clock, team, collector):
    case = cn_case(team=team, collector=collector)
    with time_machine.travel(utc(2026, 11, 10, 3, 0), tick=False):
        attempt = reserve(case, "wechat", "wechat")
        message_send_for_attempt(attempt_id=attempt.pk, body="您好\uff0c请回电\u3002")
    assert local.outbox[0].body.endswith("回复TD退订")


@pytest.mark.django_db
def test_a_call_attempt_carries_no_message(clock, team, collector):
    case = us_case(team=team, collector=collector, consent_at=None)
    attempt = reserve(case, "call", "mobile")
    with pytest.raises(MessageRefused):
        message_send_for_attempt(attempt_id=attempt.pk, body="x")
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_provider_refusal_is_recorded_as_failed(clock, team, collector, settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = "ftp://nowhere"
    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    attempt = reserve(case, "sms", "mobile")

    message_send_for_attempt(attempt_id=attempt.pk, body="x")

    assert ContactAttempt.objects.get(pk=attempt.pk).outcome == "failed"
    assert "not an http" in OutboundMessage.objects.get().error


class _Gateway(BaseHTTPRequestHandler):
    codes: list[int] = []
    seen: list[str] = []

    def do_POST(self) -> None:
        self.seen.append(self.headers.get("Idempotency-Key", ""))
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        code = self.codes.pop(0) if self.codes else 200
        self.send_response(code)
        self.end_headers()
        self.wfile.write(json.dumps({"id": "abc"}).encode())

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def gateway(settings):  # type: ignore[no-untyped-def]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_address[1]}/"
    settings.MESSAGING_GATEWAY_BACKOFF = 0.01
    settings.MESSAGING_GATEWAY_RETRIES = 2
    _Gateway.codes, _Gateway.seen = [], []
    yield _Gateway
    server.shutdown()
    server.server_close()


MESSAGE = OutgoingMessage(channel="sms", to="+15185550123", body="hi", idempotency_key="k1")


def test_gateway_retries_5xx_with_the_same_key(gateway):
    gateway.codes = [503, 500]
    assert HttpGatewayBackend(channel="sms", prefix="SMS").send(MESSAGE) == "abc"
    assert gateway.seen == ["k1", "k1", "k1"]


def test_gateway_gives_up_after_its_retries(gateway):
    gateway.codes = [500, 500, 500, 500]
    with pytest.raises(TransientSendError, match="after 3 tries"):
        HttpGatewayBackend(channel="sms", prefix="SMS").send(MESSAGE)
    assert len(gateway.seen) == 3


def test_gateway_does_not_retry_4xx(gateway):
    gateway.codes = [422]
    with pytest.raises(PermanentSendError, match="HTTP 422"):
        HttpGatewayBackend(channel="sms", prefix="SMS").send(MESSAGE)
    assert len(gateway.seen) == 1


def test_gateway_timeout_is_transient(settings):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts, never answers
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    settings.MESSAGING_GATEWAY_TIMEOUT = 0.2
    settings.MESSAGING_GATEWAY_RETRIES = 1
    settings.MESSAGING_GATEWAY_BACKOFF = 0.01
    try:
        with pytest.raises(TransientSendError):
            HttpGatewayBackend(channel="sms", prefix="SMS").send(MESSAGE)
    finally:
        listener.close()


def test_file_backend_writes_one_file_per_message(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path)
    backend = local.FileBackend(channel="sms", prefix="SMS")
    backend.send(MESSAGE)
    (path,) = tmp_path.iterdir()
    assert json.loads(path.read_text())["to"] == "+15185550123"


@pytest.mark.django_db
def test_an_attempt_already_completed_by_hand_carries_no_message(clock, team, collector):
    from compliance.services.outreach import attempt_record_outcome

    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    attempt = reserve(case, "sms", "mobile")
    attempt_record_outcome(attempt_id=attempt.pk, outcome="failed", actor=None)

    with pytest.raises(MessageRefused):
        message_send_for_attempt(attempt_id=attempt.pk, body="x")
    assert local.outbox == []
    assert not OutboundMessage.objects.exists()
