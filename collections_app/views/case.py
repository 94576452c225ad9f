"""The case page: the debtor's complete file and every action on it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from collections_app import forms as f
from collections_app.models import Case, ContactPoint, Debt
from collections_app.selectors import case_file_for_user
from collections_app.services.plans import DISPOSABLE_SHARE

from .common import acting_user, collector_page


def case_forms(
    *,
    case: Case,
    user: Any,
    debts: Sequence[Debt] | None = None,
    contact_points: Sequence[ContactPoint] | None = None,
) -> dict[str, Form]:
    """The unbound forms of the action panels. `debts` and `contact_points`, when given, are
    the case's debts and the debtor's contact points as the page already read them: the
    forms show them without reading them again (and still validate against the database)."""
    now = timezone.localtime()
    today = now.date()
    return {
        "promise_form": f.PromiseForm(
            case=case, debts=debts, initial={"due_date": today + timedelta(days=7)}
        ),
        "plan_propose_form": f.PlanProposeForm(
            initial={"start_date": today + timedelta(days=7), "frequency": "monthly"}
        ),
        "payment_form": f.PaymentForm(
            case=case, debts=debts, initial={"received_at": now.replace(second=0, microsecond=0)}
        ),
        "note_form": f.NoteForm(),
        "follow_up_form": f.FollowUpForm(
            initial={"due_at": (now + timedelta(days=1)).replace(second=0, microsecond=0)}
        ),
        "restriction_form": f.RestrictionForm(
            case=case,
            debts=debts,
            contact_points=contact_points,
            initial={"effective_at": now.replace(second=0, microsecond=0)},
        ),
        "consent_form": f.ConsentForm(
            case=case,
            contact_points=contact_points,
            initial={"given_at": now.replace(second=0, microsecond=0)},
        ),
        "escalation_form": f.EscalationForm(),
        "status_form": f.StatusForm(case=case, can_escalate=not user.is_collector),
    }


def case_page_context(
    request: HttpRequest, *, case_id: int, bound: dict[str, Form] | None = None
) -> dict[str, Any]:
    file = case_file_for_user(user=acting_user(request), case_id=case_id)
    context: dict[str, Any] = {"file": file, "case": file.case, "debtor": file.case.debtor}
    context.update(
        case_forms(
            case=file.case,
            user=acting_user(request),
            debts=file.debts,
            contact_points=[view.contact_point for view in file.contact_points],
        )
    )
    context.update(bound or {})
    debtor = file.case.debtor
    if debtor.monthly_income is not None and debtor.monthly_expenses is not None:
        disposable = debtor.monthly_income - debtor.monthly_expenses
        context["capacity"] = max(disposable * DISPOSABLE_SHARE, Decimal("0"))
    context["now"] = timezone.now()
    context["can_write"] = acting_user(request).can_write
    context["current_zone"] = timezone.get_current_timezone_name()
    return context


def render_case_page(
    request: HttpRequest, *, case_id: int, bound: dict[str, Form] | None = None, status: int = 200
) -> HttpResponse:
    context = case_page_context(request, case_id=case_id, bound=bound)
    return render(request, "collections_app/case.html", context, status=status)


@collector_page
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return render_case_page(request, case_id=case_id)
