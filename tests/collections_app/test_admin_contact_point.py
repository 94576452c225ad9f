"""The admin keeps a contact point's stored zones true to its number: the gate reads them."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from collections_app import models as m
from collections_app.api.intake import contact_point_zones
from tests.factories import ContactPointFactory, DebtorFactory


@pytest.mark.django_db
def test_editing_the_number_in_the_admin_derives_its_zones_again(admin_user):
    debtor = DebtorFactory(country="US", region="NY")
    cp = ContactPointFactory(debtor=debtor, value="+15185550100")
    cp.timezones = contact_point_zones(debtor=debtor, kind=cp.kind, value=cp.value, owner=cp.owner)
    cp.save()
    assert {z["zone"] for z in cp.timezones} == {"America/New_York"}

    model_admin = site._registry[m.ContactPoint]
    assert "timezones" in model_admin.get_readonly_fields(None)
    request = RequestFactory().post("/")
    request.user = admin_user
    cp.value = "+12135550100"  # Los Angeles
    model_admin.save_model(request, cp, form=None, change=True)

    cp.refresh_from_db()
    phone_zones = [z["zone"] for z in cp.timezones if z["source"] == "phone_area_code"]
    assert phone_zones == ["America/Los_Angeles"]
    assert cp.timezones == contact_point_zones(
        debtor=debtor, kind=cp.kind, value=cp.value, owner=cp.owner
    )
