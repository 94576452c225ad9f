from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from collections_app.models import Bucket, ContactPoint
from tests.factories import DebtFactory, DebtorFactory, PromiseFactory


@pytest.mark.django_db
def test_a_negative_balance_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        DebtFactory(balance=Decimal("-1.00"))


@pytest.mark.django_db
def test_a_duplicate_account_number_for_one_creditor_is_refused():
    DebtFactory(creditor="Bank A", account_number="123")
    with pytest.raises(IntegrityError), transaction.atomic():
        DebtFactory(creditor="Bank A", account_number="123")


@pytest.mark.django_db
def test_the_same_account_number_at_another_creditor_is_fine():
    DebtFactory(creditor="Bank A", account_number="123")
    DebtFactory(creditor="Bank B", account_number="123")


@pytest.mark.django_db
def test_a_promise_of_zero_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        PromiseFactory(amount=Decimal("0"))


@pytest.mark.django_db
def test_a_third_party_contact_needs_a_relationship():
    debtor = DebtorFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactPoint.objects.create(
            debtor=debtor, kind="mobile", value="+15185550000", owner="third_party"
        )


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, "M0"), (1, "M1"), (30, "M1"), (31, "M2"), (180, "M6"), (181, "M6+")],
)
def test_bucket_follows_days_past_due(days, bucket):
    assert Bucket.for_days_past_due(days) == bucket


@pytest.mark.django_db
def test_national_id_is_encrypted_at_rest():
    from django.db import connection

    debtor = DebtorFactory(national_id="110101199003077777")
    with connection.cursor() as cursor:
        cursor.execute("SELECT national_id FROM collections_app_debtor WHERE id = %s", [debtor.pk])
        stored = cursor.fetchone()[0]
    assert "110101199003077777" not in stored
    debtor.refresh_from_db()
    assert debtor.national_id == "110101199003077777"
