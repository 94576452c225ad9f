"""django-filter sets shared by pages and the API."""

from __future__ import annotations

from datetime import UTC

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


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 with any offset the parser accepts, compared in UTC: PostgreSQL refuses
    offsets beyond +-15:59 (e.g. "-22:39"), which would otherwise surface as a server error."""

    def filter(self, qs, value):  # type: ignore[no-untyped-def]
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return super().filter(qs, value)


# "from" is a Python keyword, so these two are added after the class is built.
ContactAttemptFilter.base_filters["from"] = UtcDateTimeFilter(
    field_name="occurred_at", lookup_expr="gte", label=_("occurred at or after")
)
ContactAttemptFilter.base_filters["to"] = UtcDateTimeFilter(
    field_name="occurred_at", lookup_expr="lte", label=_("occurred at or before")
)
