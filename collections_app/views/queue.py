"""The work queue: the collector's cases, most urgent first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from collections_app.forms import QueueFilterForm
from collections_app.selectors import QueueFilters, case_contactability, case_queue_page
from compliance.engine.timezones import resolve_zones

from .common import acting_user, collector_page

QUEUE_PAGE_SIZE = 25


@collector_page
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = QueueFilters(**{k: v or "" for k, v in data.items()})
    now = timezone.now()
    page, rows = case_queue_page(
        user=acting_user(request),
        filters=filters,
        page_number=request.GET.get("page"),
        now=now,
        per_page=QUEUE_PAGE_SIZE,
    )
    reach = case_contactability(case_ids=[c.pk for c in rows], at=now)
    for case in rows:
        # Display-only attributes for the row template.
        case.reach = reach.get(case.pk, [])  # type: ignore[attr-defined]
        zones = resolve_zones(
            override=case.debtor.timezone or None,
            override_verified=bool(case.debtor.timezone),
            phones=(),
            country=case.debtor.country,
            region=case.debtor.region,
        )
        case.local_zone = zones[0].zone if zones else "UTC"  # type: ignore[attr-defined]
        case.zone_count = len(zones)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "now": now,
        "current_zone": timezone.get_current_timezone_name(),
    }
    template = "collections_app/_queue_results.html"
    if not getattr(request, "htmx", False) or request.headers.get("HX-Target") != "queue-results":
        template = "collections_app/queue.html"
    return render(request, template, context)
