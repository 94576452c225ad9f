"""The incentive scorecard never rests on amounts alone."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from manager.models import Complaint
from manager.selectors import CollectorFigures, incentive_points, incentive_scorecard
from tests.factories import ContactAttemptFactory, UserFactory

from .conftest import NOW


def figures(**kw):  # type: ignore[no-untyped-def]
    return CollectorFigures(collector=UserFactory.build(username="x"), **kw)


def test_collections_are_capped_and_quality_weighs_more():
    star = incentive_points(
        figures=figures(
            collected=Decimal("50000"),
            target=Decimal("10000"),
            promises_kept=1,
            promises_broken=9,
            flagged=4,
        ),
        complaints=2,
        upheld=2,
    )
    steady = incentive_points(
        figures=figures(
            collected=Decimal("6000"), target=Decimal("10000"), promises_kept=9, promises_broken=1
        ),
        complaints=0,
        upheld=0,
    )
    assert star.collection_points == Decimal("40.0")  # five times the target, still 40
    assert star.compliance_points == Decimal("0.0") and star.complaint_points == Decimal("0.0")
    assert steady.total > star.total
    assert steady.total == Decimal("24.0") + Decimal("27.0") + Decimal("20.0") + Decimal("10.0")


def test_nothing_due_and_no_target_are_neutral():
    row = incentive_points(figures=figures(), complaints=0, upheld=0)
    assert row.collection_points == Decimal("20.0") and row.kept_points == Decimal("15.0")


@pytest.mark.django_db
def test_monthly_scorecard_counts_complaints_and_flags(
    frozen, client, manager, collector, teammate, case
):
    Complaint.objects.create(
        case=case, collector=collector, received_on=date(2026, 3, 3), summary="Rude", upheld=True
    )
    Complaint.objects.create(
        case=case, collector=collector, received_on=date(2026, 2, 3), summary="Old", upheld=True
    )
    ContactAttemptFactory(case=case, actor=collector, flagged=True, occurred_at=NOW)
    rows = {
        r.figures.collector.username: r
        for r in incentive_scorecard(user=manager, month=date(2026, 3, 1))
    }
    assert rows["alice"].complaints == 1 and rows["alice"].upheld == 1
    assert rows["alice"].compliance_points == Decimal("15.0")
    assert rows["alice"].total < rows["bob"].total
    client.force_login(manager)
    body = client.get(reverse("manager:incentives"), {"month": "2026-03"}).content.decode()
    assert 'data-collector="alice"' in body and "never assessed on amounts alone" in body


@pytest.mark.django_db
def test_manager_records_a_complaint_on_the_case_page(
    frozen, client, manager, collector, case, other_case, auditor
):
    client.force_login(manager)
    url = reverse("manager:complaint_add", args=[case.pk])
    response = client.post(
        url,
        {
            "collector": collector.pk,
            "received_on": "2026-03-17",
            "summary": "Called at work",
            "upheld": "on",
        },
        follow=True,
    )
    assert "Complaint recorded." in response.content.decode()
    complaint = Complaint.objects.get()
    assert complaint.upheld and complaint.collector == collector
    # Bad input: nothing saved; another team's case: 404; auditors: 404.
    client.post(url, {"collector": collector.pk, "received_on": "2026-03-30", "summary": "x"})
    client.post(url, {"collector": collector.pk, "received_on": "2026-03-17", "summary": ""})
    assert Complaint.objects.count() == 1
    other = client.post(
        reverse("manager:complaint_add", args=[other_case.pk]),
        {"collector": collector.pk, "received_on": "2026-03-17", "summary": "x"},
    )
    assert other.status_code == 404
    client.force_login(auditor)
    assert (
        client.post(
            url, {"collector": collector.pk, "received_on": "2026-03-17", "summary": "x"}
        ).status_code
        == 404
    )
    assert Complaint.objects.count() == 1
