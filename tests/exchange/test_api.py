"""POST /api/v1/imports/ and the batch endpoints."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from exchange.models import ImportBatch
from tests.conftest import api_as

from .conftest import dict_csv, run_import
from .test_pages import PLACEMENT

pytestmark = [pytest.mark.django_db]


def upload(client, team=None, **extra):  # type: ignore[no-untyped-def]
    data = {"kind": "placements", "file": SimpleUploadedFile("p.csv", dict_csv([PLACEMENT]))}
    if team is not None:
        data["team"] = team.pk
    data.update(extra)
    return client.post("/api/v1/imports/", data, format="multipart")


def test_a_manager_posts_a_file_and_gets_202_with_the_batch(manager, team):
    response = upload(api_as(manager), team)
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["team"], body["created_by"]) == (
        "placements",
        "pending",
        team.pk,
        "morgan",
    )
    assert ImportBatch.objects.filter(pk=body["id"]).exists()


def test_the_team_defaults_to_the_managers_own(manager, team):
    assert upload(api_as(manager)).json()["team"] == team.pk


@pytest.mark.parametrize("who", ["auditor", "collector"])
def test_auditors_and_collectors_cannot_import(request, who, team):
    response = upload(api_as(request.getfixturevalue(who)), team)
    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0


def test_a_bad_kind_is_a_400(manager, team):
    response = upload(api_as(manager), team, kind="nonsense")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_batches_and_errors_of_another_team_are_404(manager, other_manager, other_team):
    batch = run_import(
        kind="placements",
        content=dict_csv([{**PLACEMENT, "balance": "x"}]),
        actor=other_manager,
        team=other_team,
    )
    mine = api_as(manager)
    assert mine.get(f"/api/v1/imports/{batch.pk}/").status_code == 404
    assert mine.get(f"/api/v1/imports/{batch.pk}/errors/").status_code == 404
    assert mine.get("/api/v1/imports/").json()["count"] == 0
    theirs = api_as(other_manager)
    assert theirs.get(f"/api/v1/imports/{batch.pk}/").json()["status"] == "rejected"
    errors = theirs.get(f"/api/v1/imports/{batch.pk}/errors/").json()["results"]
    assert errors == [
        {"row_number": 2, "column": "balance", "value": "x", "message": errors[0]["message"]}
    ]


def test_the_auditor_reads_every_batch(auditor, other_manager, other_team):
    run_import(
        kind="placements", content=dict_csv([PLACEMENT]), actor=other_manager, team=other_team
    )
    assert api_as(auditor).get("/api/v1/imports/").json()["count"] == 1


def test_a_file_that_is_not_what_its_name_says_is_a_400_and_nothing_is_stored(manager, team):
    fake = SimpleUploadedFile("p.xlsx", b"full_name,creditor\nA,B\n")
    response = upload(api_as(manager), team, file=fake)
    assert response.status_code == 400
    assert "file" in response.json()
    assert ImportBatch.objects.count() == 0


def test_a_csv_sent_as_octet_stream_by_a_script_is_accepted(manager, team):
    sent = SimpleUploadedFile("p.csv", dict_csv([PLACEMENT]), "application/octet-stream")
    assert upload(api_as(manager), team, file=sent).status_code == 202
