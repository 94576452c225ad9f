"""The filtered case list behind the dashboard's figures, bulk reassignment, allocation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.permissions import role_required
from collections_app.models import Bucket, Case, Product
from manager import selectors
from manager.forms import CaseFilterForm, ReassignForm, TeamPolicyForm
from manager.models import AllocationRule
from manager.services.allocation import (
    cases_allocate,
    cases_reassign,
    cases_rotate,
    team_policy,
    team_policy_update,
)

from .common import error_text, team_param

PAGE_SIZE = 50


def _metric_labels() -> dict[str, str]:
    return {
        "active": _("Active cases"),
        "attempts": _("Attempts"),
        "rpc": _("Right-party contacts"),
        "promises": _("Promises made"),
        "kept": _("Promises kept"),
        "broken": _("Promises broken"),
        "collected": _("Collected"),
        "blocked": _("Compliance blocks"),
        "flagged": _("Flagged attempts"),
        "reminders": _("Reminders"),
    }


def _back(request: HttpRequest) -> str:
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return reverse("manager:cases")


@role_required("manager", "admin")
def case_list(request: HttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    period = form.period(timezone.localdate())
    team_id = team_param(request)
    qs = selectors.case_list(
        user=request.user, filters=form.filters(), period=period, team_id=team_id
    )
    page = Paginator(selectors.case_rows(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    collectors = selectors.collectors_for(request.user, team_id=team_id)
    return render(
        request,
        "manager/cases.html",
        {
            "form": form,
            "period": period,
            "page": page,
            "collectors": collectors,
            "reassign_form": ReassignForm(collectors=collectors),
            "teams": _allocation_rows(request),
            "buckets": Bucket.choices,
            "products": Product.choices,
            "query": request.GET.urlencode(),
            "metric_label": _metric_labels().get(form.filters().metric, ""),
        },
    )


def _allocation_rows(request: HttpRequest) -> list[dict[str, Any]]:
    """Per team the user runs: its policy, its allocation rules and its collectors (for the
    Allocation section and its forms)."""
    teams = list(selectors.teams_for(request.user).order_by("name"))
    rules: dict[int, list[AllocationRule]] = {t.pk: [] for t in teams}
    for rule in (
        AllocationRule.objects.filter(team__in=teams)
        .prefetch_related("collectors")
        .order_by("name", "id")
    ):
        rules[rule.team_id].append(rule)
    collectors: dict[int, list[Any]] = {t.pk: [] for t in teams}
    for collector in selectors.collectors_for(request.user).order_by("username"):
        if collector.team_id in collectors:
            collectors[collector.team_id].append(collector)
    return [
        {
            "team": t,
            "policy": team_policy(team=t),
            "rules": rules[t.pk],
            "collectors": collectors[t.pk],
        }
        for t in teams
    ]


@require_POST
@role_required("manager", "admin")
def cases_reassign_view(request: HttpRequest) -> HttpResponse:
    collectors = selectors.collectors_for(request.user)
    form = ReassignForm(request.POST, collectors=collectors)
    if not form.is_valid():
        messages.error(request, _("Choose cases, a collector and a reason."))
        return redirect(_back(request))
    ids = set(form.cleaned_data["cases"])
    if Case.objects.visible_to(request.user).filter(pk__in=ids).count() != len(ids):
        raise Http404  # a case outside the manager's teams: reveal nothing
    try:
        n = cases_reassign(
            case_ids=form.cleaned_data["cases"],
            to_user=form.cleaned_data["to_user"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, ngettext("%(n)d case reassigned.", "%(n)d cases reassigned.", n) % {"n": n}
        )
    return redirect(_back(request))


@require_POST
@role_required("manager", "admin")
def cases_allocate_view(request: HttpRequest) -> HttpResponse:
    team = get_object_or_404(selectors.teams_for(request.user), pk=request.POST.get("team"))
    result = cases_allocate(team_id=team.pk, actor=request.user)
    messages.success(
        request,
        _(
            "%(assigned)d cases allocated; %(left)d could not be (no matching collector "
            "with free capacity)."
        )
        % {"assigned": len(result.assigned), "left": len(result.unassigned)},
    )
    return redirect(_back(request))


@require_POST
@role_required("manager", "admin")
def cases_rotate_view(request: HttpRequest) -> HttpResponse:
    team = get_object_or_404(selectors.teams_for(request.user), pk=request.POST.get("team"))
    result = cases_rotate(team_id=team.pk, actor=request.user)
    messages.success(
        request,
        _("%(moved)d cases rotated to another collector.") % {"moved": len(result.assigned)},
    )
    return redirect(_back(request))


@role_required("manager", "admin")
def case_score(request: HttpRequest, case_id: int) -> HttpResponse:
    """The scorecard of the case's debtor, factor by factor, and the strategy in force."""
    from manager.services.scoring import FACTOR_LABELS, strategy_for_case

    case = get_object_or_404(
        Case.objects.visible_to(request.user).select_related("debtor__scorecard", "assigned_to"),
        pk=case_id,
    )
    scorecard = getattr(case.debtor, "scorecard", None)
    words = {
        ("payment_history", ""): _("never paid"),
        ("contactability", "rpc"): _("right-party contact in the last 30 days"),
        ("contactability", "reachable"): _("reachable, no recent right-party contact"),
        ("contactability", "none"): _("no usable contact point"),
        ("capacity", ""): _("income or expenses unknown"),
    }
    factors = [
        {
            **f,
            "label": FACTOR_LABELS.get(str(f["factor"]), f["factor"]),
            "value": words.get((str(f["factor"]), str(f["value"])), f["value"]),
        }
        for f in (scorecard.factors if scorecard else [])
    ]
    return render(
        request,
        "manager/case_score.html",
        {
            "case": case,
            "scorecard": scorecard,
            "factors": factors,
            "strategy": strategy_for_case(case_id=case.pk),
        },
    )


@require_POST
@role_required("manager", "admin")
def team_policy_view(request: HttpRequest) -> HttpResponse:
    form = TeamPolicyForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect(_back(request))
    team = get_object_or_404(selectors.teams_for(request.user), pk=form.cleaned_data["team"])
    try:
        team_policy_update(
            team_id=team.pk,
            actor=request.user,
            auto_allocate=form.cleaned_data["auto_allocate"],
            rotation_days=form.cleaned_data["rotation_days"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Allocation policy of %(team)s saved.") % {"team": team.name})
    return redirect(_back(request))
