"""Pages of the exchange app: who may see and do what, uploads, progress, the error report."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exchange.models import ImportBatch, ReconciliationException
from exchange.services.batches import batch_run

from .conftest import dict_csv, run_import

pytestmark = [pytest.mark.django_db]

GET_PAGES = ["exchange:home", "exchange:exports", "exchange:exceptions"]
PLACEMENT = {
    "creditor": "First Example Bank",
    "account_number": "ACC-1",
    "full_name": "Jane Roe",
    "country": "US",
    "region": "NY",
    "product": "credit_card",
    "balance": "10.00",
}


def as_user(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", GET_PAGES)
def test_collectors_do_not_see_the_exchange_pages(client, collector, name):
    assert as_user(client, collector).get(reverse(name)).status_code == 404


@pytest.mark.parametrize("name", GET_PAGES)
def test_managers_auditors_and_admins_see_them(client, manager, auditor, admin_user, name):
    for user in (manager, auditor, admin_user):
        assert as_user(client, user).get(reverse(name)).status_code == 200


def test_the_auditor_sees_no_upload_form_and_cannot_post(client, auditor, team):
    page = as_user(client, auditor).get(reverse("exchange:home"))
    assert b'enctype="multipart/form-data"' not in page.content
    response = client.post(
        reverse("exchange:upload"),
        {"kind": "placements", "team": team.pk, "file": SimpleUploadedFile("p.csv", b"x")},
    )
    assert response.status_code == 404
    assert ImportBatch.objects.count() == 0


def test_a_manager_uploads_and_the_job_runs_after_commit(
    client, manager, team, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        "exchange.tasks.import_run.delay", lambda batch_id: batch_run(batch_id=batch_id)
    )
    upload = SimpleUploadedFile("placements.csv", dict_csv([PLACEMENT]))
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(client, manager).post(
            reverse("exchange:upload"), {"kind": "placements", "team": team.pk, "file": upload}
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exchange:batch", args=[batch.pk])
    assert (batch.status, batch.created_by, batch.team) == ("succeeded", manager, team)


def test_a_manager_cannot_import_for_another_team(client, manager, other_team):
    upload = SimpleUploadedFile("placements.csv", dict_csv([PLACEMENT]))
    response = as_user(client, manager).post(
        reverse("exchange:upload"), {"kind": "placements", "team": other_team.pk, "file": upload}
    )
    assert response.status_code == 400
    assert ImportBatch.objects.count() == 0


def test_an_upload_without_a_file_is_refused(client, manager, team):
    response = as_user(client, manager).post(
        reverse("exchange:upload"), {"kind": "placements", "team": team.pk}
    )
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert ImportBatch.objects.count() == 0


def test_a_binary_file_named_csv_is_refused_on_the_page_with_the_reason(client, manager, team):
    upload = SimpleUploadedFile("placements.csv", b"MZ\x90\x00\x03\x00", "text/csv")
    response = as_user(client, manager).post(
        reverse("exchange:upload"), {"kind": "placements", "team": team.pk, "file": upload}
    )
    assert response.status_code == 400
    assert b"not a text file" in response.content
    assert ImportBatch.objects.count() == 0


def test_a_running_batch_asks_to_be_polled_and_a_finished_one_does_not(client, manager, team):
    upload = SimpleUploadedFile("placements.csv", dict_csv([PLACEMENT]))
    from exchange.services.batches import batch_create

    batch = batch_create(kind="placements", upload=upload, actor=manager, team=team, run=False)
    url = reverse("exchange:batch_progress", args=[batch.pk])
    assert b'hx-trigger="every 1s"' in as_user(client, manager).get(url).content
    batch_run(batch_id=batch.pk)
    finished = client.get(url)
    assert b"hx-trigger" not in finished.content
    assert b"Imported" in finished.content


def test_the_error_report_downloads_as_safe_csv(client, manager, team):
    bad = {**PLACEMENT, "full_name": "", "balance": "=1+1"}
    batch = run_import(kind="placements", content=dict_csv([bad]), actor=manager, team=team)
    response = as_user(client, manager).get(reverse("exchange:batch_errors", args=[batch.pk]))
    body = b"".join(response.streaming_content).decode()
    lines = body.lstrip("\ufeff").splitlines()
    assert lines[0] == "row,column,value,problem"
    assert lines[1].startswith("2,full_name,,")
    assert lines[2].startswith("2,balance,'=1+1,")


def test_another_teams_batch_is_not_found(client, manager, other_manager, other_team):
    batch = run_import(
        kind="placements", content=dict_csv([PLACEMENT]), actor=other_manager, team=other_team
    )
    client = as_user(client, manager)
    for name in ("exchange:batch", "exchange:batch_progress", "exchange:batch_errors"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404


def _exception(case) -> ReconciliationException:  # type: ignore[no-untyped-def]
    return ReconciliationException.objects.create(
        case=case,
        debt=case.debts.get(),
        feed_balance=Decimal("1.00"),
        system_balance=Decimal("4200.00"),
    )


def test_a_manager_resolves_an_exception_from_the_queue(client, manager, case):
    exception = _exception(case)
    client = as_user(client, manager)
    assert b"4200.00" in client.get(reverse("exchange:exceptions")).content
    response = client.post(
        reverse("exchange:exception_resolve", args=[exception.pk]),
        {"resolution": "system_correct", "note": "Core posted a reversal twice"},
    )
    assert response.status_code == 302
    exception.refresh_from_db()
    assert (exception.status, exception.resolved_by) == ("resolved", manager)


def test_resolving_needs_a_note(client, manager, case):
    exception = _exception(case)
    as_user(client, manager).post(
        reverse("exchange:exception_resolve", args=[exception.pk]), {"resolution": "explained"}
    )
    exception.refresh_from_db()
    assert exception.status == "open"


def test_the_auditor_and_another_team_cannot_resolve(client, auditor, other_manager, case):
    exception = _exception(case)
    for user in (auditor, other_manager):
        response = as_user(client, user).post(
            reverse("exchange:exception_resolve", args=[exception.pk]),
            {"resolution": "explained", "note": "n"},
        )
        assert response.status_code == 404
    exception.refresh_from_db()
    assert exception.status == "open"
    assert exception.created_at <= datetime.now(UTC)


def test_the_batch_page_shows_labelled_counts_with_a_fixed_number_of_queries(
    client, manager, team, django_assert_max_num_queries
):
    rows = [{**PLACEMENT, "account_number": f"A{n}", "balance": "x"} for n in range(120)]
    batch = run_import(
        kind="placements", content=dict_csv(rows), actor=manager, team=team, valid_only=True
    )
    client = as_user(client, manager)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("exchange:batch", args=[batch.pk]))
    assert page.status_code == 200
    assert page.content.count(b"<td>x</td>") == 50
    ok = run_import(kind="placements", content=dict_csv([PLACEMENT]), actor=manager, team=team)
    assert b"Accounts created" in client.get(reverse("exchange:batch", args=[ok.pk])).content
