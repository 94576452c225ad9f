"""The monthly incentive scorecard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.permissions import role_required
from manager import selectors
from manager.forms import MonthForm
from manager.selectors import incentives as weights

from .common import team_param


@role_required("manager", "admin")
def incentives(request: HttpRequest) -> HttpResponse:
    form = MonthForm(request.GET or None)
    month = form.month_start(timezone.localdate())
    rows = selectors.incentive_scorecard(
        user=request.user, month=month, team_id=team_param(request)
    )
    return render(
        request,
        "manager/incentives.html",
        {
            "form": form,
            "month": month,
            "rows": rows,
            "weights": {
                "collection": weights.COLLECTION_POINTS,
                "kept": weights.KEPT_POINTS,
                "compliance": weights.COMPLIANCE_POINTS,
                "complaints": weights.COMPLAINT_POINTS,
                "per_flag": weights.PER_FLAG,
                "per_block": weights.PER_BLOCK,
                "per_upheld": weights.PER_UPHELD_COMPLAINT,
                "per_complaint": weights.PER_COMPLAINT,
            },
        },
    )
