"""The team's allocation rules, kept from the Allocation section of the case list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import role_required
from manager import selectors
from manager.forms import AllocationRuleForm
from manager.models import AllocationRule
from manager.services.allocation_rules import (
    allocation_rule_create,
    allocation_rule_delete,
    allocation_rule_set_active,
)

from .cases import _back
from .common import error_text


def _rule_in_scope(request: HttpRequest, rule_id: int) -> AllocationRule:
    return get_object_or_404(
        AllocationRule.objects.filter(team__in=selectors.teams_for(request.user)), pk=rule_id
    )


@role_required("manager", "admin")
@require_POST
def allocation_rule_add(request: HttpRequest) -> HttpResponse:
    raw_team = request.POST.get("team", "")
    team = get_object_or_404(
        selectors.teams_for(request.user), pk=int(raw_team) if raw_team.isdigit() else 0
    )
    form = AllocationRuleForm(
        request.POST, collectors=selectors.collectors_for(request.user, team_id=team.pk)
    )
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect(_back(request))
    try:
        rule = allocation_rule_create(
            team_id=team.pk,
            actor=request.user,
            name=form.cleaned_data["name"],
            buckets=form.cleaned_data["buckets"],
            products=form.cleaned_data["products"],
            collector_ids=form.cleaned_data["collectors"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(
            request,
            _("Allocation rule “%(name)s” added to %(team)s.") % {"name": rule.name, "team": team},
        )
    return redirect(_back(request))


@role_required("manager", "admin")
@require_POST
def allocation_rule_active(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_in_scope(request, rule_id)
    if request.POST.get("active") not in ("0", "1"):
        messages.error(request, _("Say whether to switch the rule on or off."))
        return redirect(_back(request))
    active = request.POST["active"] == "1"
    try:
        allocation_rule_set_active(rule_id=rule.pk, actor=request.user, active=active)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(
        request,
        (_("Rule “%(name)s” is on.") if active else _("Rule “%(name)s” is off."))
        % {"name": rule.name},
    )
    return redirect(_back(request))


@role_required("manager", "admin")
@require_POST
def allocation_rule_remove(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_in_scope(request, rule_id)
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Tick the box next to Delete to delete the rule."))
        return redirect(_back(request))
    try:
        allocation_rule_delete(rule_id=rule.pk, actor=request.user)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect(_back(request))
