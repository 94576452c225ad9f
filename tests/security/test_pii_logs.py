"""Personal data never reaches the logs (ASVS V7.1, V8.3): a representative set of requests
runs with every logger at DEBUG, and the captured records, the authentication log and the
lockout tables are searched for the seeded national id, phone numbers and passwords."""

import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.urls import reverse

from accounts.models import AuthEvent
from accounts.services import debtor_set_national_id
from tests.conftest import api_as
from tests.factories import ContactPointFactory

NATIONAL_ID = "110101199003071234"
PHONE = "+15185550187"
NEW_PHONE = "+15185550199"
WRONG_PASSWORD = "Tr0ub4dor&3-wrong"
PASSWORD = "correct-horse-battery"


def needles() -> list[str]:
    return [
        NATIONAL_ID,
        PHONE,
        PHONE.removeprefix("+"),
        NEW_PHONE,
        NEW_PHONE.removeprefix("+"),
        WRONG_PASSWORD,
        PASSWORD,
    ]


@pytest.mark.django_db
def test_requests_leave_no_personal_data_in_logs(client, caplog, collector, manager, case):
    debtor_set_national_id(debtor_id=case.debtor_id, national_id=NATIONAL_ID, actor=collector)
    ContactPointFactory(debtor=case.debtor, value=PHONE)
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        # Failed and successful logins, page and token.
        client.post(reverse("login"), {"username": "alice", "password": WRONG_PASSWORD})
        client.post(
            reverse("api-token"),
            {"username": "alice", "password": WRONG_PASSWORD},
            content_type="application/json",
        )
        client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
        client.get(reverse("collections:case", args=[case.pk]))
        client.get(reverse("collections:queue") + f"?q={PHONE}")
        # API writes carrying personal data, valid and invalid.
        api = api_as(collector)
        api.post(
            "/api/v1/debtors/",
            {"full_name": "Log Probe", "country": "US", "region": "NY", "national_id": NATIONAL_ID},
            format="json",
        )
        api.post(
            f"/api/v1/debtors/{case.debtor_id}/contact-points/",
            {"kind": "mobile", "value": NEW_PHONE},
            format="json",
        )
        api.post(  # a duplicate: the error path
            f"/api/v1/debtors/{case.debtor_id}/contact-points/",
            {"kind": "mobile", "value": PHONE},
            format="json",
        )
        api.post(
            f"/api/v1/debtors/{case.debtor_id}/contact-points/",
            {"kind": "mobile", "value": f"{PHONE}x"},
            format="json",
        )
        api_as(manager).get(f"/api/v1/debtors/{case.debtor_id}/")
        # Out-of-scope and anonymous requests (warnings are logged for 4xx).
        client.post(reverse("logout"))
        client.get(reverse("collections:case", args=[case.pk]))
    finally:
        for name in list(logging.root.manager.loggerDict):
            logging.getLogger(name).setLevel(logging.NOTSET)

    assert len(caplog.records) > 3  # the capture works: axes and django.request did log
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {getattr(r, 'request', '')!s}" for r in caplog.records
    )
    stored = "\n".join(
        str(row)
        for model in (AuthEvent, AccessAttempt, AccessFailureLog)
        for row in model.objects.values_list()
    )
    for needle in needles():
        assert needle not in logged, f"{needle!r} was logged"
        assert needle not in stored, f"{needle!r} was stored in the auth/lockout tables"
