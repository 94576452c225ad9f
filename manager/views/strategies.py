"""Strategies and the scorecard's bands: what each segment gets, and why a debtor is in it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import role_required
from manager.models import Strategy
from manager.services import scoring


@role_required("manager", "admin")
def strategies(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "manager/strategies.html",
        {
            "strategies": Strategy.objects.select_related("challenger").order_by("segment", "name"),
            "bands": {
                "dpd": scoring.DPD_POINTS,
                "balance": scoring.BALANCE_POINTS,
                "segments": scoring.SEGMENT_BOUNDS,
            },
            "points": {
                "paid_recently": scoring.PAID_RECENTLY,
                "paid_before": scoring.PAID_BEFORE,
                "never_paid": scoring.NEVER_PAID,
                "per_broken": scoring.PER_BROKEN_PROMISE,
                "max_broken": scoring.MAX_BROKEN_POINTS,
                "rpc": scoring.RPC_RECENTLY,
                "reachable": scoring.REACHABLE,
                "unreachable": scoring.UNREACHABLE,
                "cap_unknown": scoring.CAPACITY_UNKNOWN,
                "cap_none": scoring.CAPACITY_NONE,
                "cap_low": scoring.CAPACITY_LOW,
                "cap_some": scoring.CAPACITY_SOME,
                "cap_good": scoring.CAPACITY_GOOD,
            },
        },
    )
