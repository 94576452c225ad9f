"""django-filter sets shared by pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from collections_app.models import ContactAttempt, Debtor
from collections_app.models.attempt import Channel


class DebtorFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="full_name", lookup_expr="icontains")

    class Meta:
        model = Debtor
        fields = ["country", "region"]


class ContactAttemptFilter(django_filters.FilterSet):
    """`?debtor=&collector=&from=&to=&channel=&flagged=` (DESIGN section 5)."""

    debtor = django_filters.NumberFilter(field_name="debtor_id")
    collector = django_filters.NumberFilter(field_name="actor_id", label=_("collector (user id)"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, empty_label=None)
    flagged = django_filters.BooleanFilter()
    source = django_filters.CharFilter()
    outcome = django_filters.CharFilter()

    class Meta:
        model = ContactAttempt
        fields = ["debtor", "collector", "channel", "flagged", "source", "outcome"]


# "from" is a Python keyword, so these two are added after the class is built.
ContactAttemptFilter.base_filters["from"] = django_filters.IsoDateTimeFilter(
    field_name="occurred_at", lookup_expr="gte", label=_("occurred at or after")
)
ContactAttemptFilter.base_filters["to"] = django_filters.IsoDateTimeFilter(
    field_name="occurred_at", lookup_expr="lte", label=_("occurred at or before")
)
