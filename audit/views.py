"""Pages of the audit workspace. Auditors and admins read everything, managers their team;
collectors get 404 (`role_required`). Nothing here writes."""

from __future__ import annotations

from datetime import datetime, time

from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import role_required
from audit import selectors
from audit.decision_words import decision_words, inputs_split
from audit.exports import history_csv
from audit.forms import AsOfForm, HistorySearchForm
from audit.reports import debtor_history_pdf
from audit.selectors import HistoryFilters
from audit.services.evidence import EvidenceIntegrityError
from audit.services.evidence_pack import evidence_pack_build
from audit.services.retention import DEFAULT_YEARS, RULES
from collections_app.models import ContactAttempt
from compliance.models import ComplianceDecision
from compliance.services.replay import decision_replay

WORKSPACE_ROLES = ("auditor", "admin", "manager")
PAGE_SIZE = 50


def _search(request: HttpRequest) -> tuple[HistorySearchForm, HistoryFilters | None]:
    form = HistorySearchForm(request.GET or None, user=request.user)
    if not request.GET:
        return form, HistoryFilters()
    if form.is_valid():
        return form, form.filters()
    return form, None


@require_GET
@role_required(*WORKSPACE_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    """The contact history search: attempts and blocked tries, newest first, paged."""
    form, filters = _search(request)
    page = None
    if filters is not None:
        qs = selectors.history_search(user=request.user, filters=filters)
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/home.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_GET
@role_required(*WORKSPACE_ROLES)
def history_export(request: HttpRequest) -> HttpResponse:
    """The same search as CSV, streamed: constant memory whatever the number of rows."""
    form, filters = _search(request)
    if filters is None:
        return render(request, "audit/home.html", {"form": form, "page": None}, status=400)
    qs = selectors.history_search(user=request.user, filters=filters)
    response = StreamingHttpResponse(history_csv(qs), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="contact-history-{stamp}.csv"'
    return response


@require_GET
@role_required(*WORKSPACE_ROLES)
def debtor_report(request: HttpRequest, debtor_id: int) -> HttpResponse:
    debtor = selectors.debtor_for_user(user=request.user, debtor_id=debtor_id)
    rows = selectors.history_search(user=request.user, filters=HistoryFilters(debtor_id=debtor.pk))
    pdf = debtor_history_pdf(
        debtor=debtor,
        rows=rows.iterator(chunk_size=1000),
        generated_by=request.user.get_username(),
        generated_at=timezone.now(),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contact-history-{debtor.pk}.pdf"'
    return response


@require_GET
@role_required(*WORKSPACE_ROLES)
def decision_detail(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = selectors.decision_for_user(user=request.user, decision_id=decision_id)
    return _render_decision(request, decision=decision, attempt=None)


@require_GET
@role_required(*WORKSPACE_ROLES)
def attempt_detail(request: HttpRequest, attempt_id: int) -> HttpResponse:
    qs = ContactAttempt.objects.visible_to(request.user).select_related(
        "debtor", "case", "contact_point", "actor", "decision"
    )
    attempt = get_object_or_404(qs, pk=attempt_id)
    return _render_decision(request, decision=attempt.decision, attempt=attempt)


def _render_decision(
    request: HttpRequest,
    *,
    decision: ComplianceDecision | None,
    attempt: ContactAttempt | None,
) -> HttpResponse:
    context: dict[str, object] = {"decision": decision, "attempt": attempt}
    if decision is not None:
        _ctx, evaluated = inputs_split(decision.inputs)
        related = selectors.decision_related(decision=decision, inputs=evaluated)
        context["words"] = decision_words(decision=decision, related=related)
        context["attempts"] = selectors.decision_attempts(decision=decision)
    if attempt is not None:
        context["evidence"] = list(attempt.evidence.all())
    return render(request, "audit/decision.html", context)


@require_GET
@role_required(*WORKSPACE_ROLES)
def decision_replay_view(request: HttpRequest, decision_id: int) -> HttpResponse:
    """Re-evaluate the stored inputs with today's engine and say whether the result differs.
    Reading only: the replay writes no decision."""
    decision = selectors.decision_for_user(user=request.user, decision_id=decision_id)
    context: dict[str, object] = {"decision": decision}
    try:
        context["replay"] = decision_replay(decision_id=decision.pk)
    except (KeyError, TypeError, ValueError) as exc:
        # Inputs stored by an older schema, or damaged: say so instead of failing the page.
        context["error"] = _("The stored inputs cannot be replayed: %(error)s") % {"error": exc}
    return render(request, "audit/_replay.html", context)


@require_GET
@role_required(*WORKSPACE_ROLES)
def debtor_as_of(request: HttpRequest, debtor_id: int) -> HttpResponse:
    """The debtor's file as it stood at a past instant (UTC)."""
    debtor = selectors.debtor_for_user(user=request.user, debtor_id=debtor_id)
    form = AsOfForm(request.GET or None)
    snapshot = None
    status = 200
    if request.GET:
        if form.is_valid():
            at = form.cleaned_data["at"]
            if len(request.GET.get("at", "").strip()) == len("YYYY-MM-DD"):
                # A bare date means the end of that day: the file as the day closed.
                at = datetime.combine(at.date(), time.max, tzinfo=at.tzinfo)
            snapshot = selectors.debtor_as_of(debtor=debtor, at=at)
        else:
            status = 400
    return render(
        request,
        "audit/as_of.html",
        {"debtor": debtor, "form": form, "snapshot": snapshot},
        status=status,
    )


@require_GET
@role_required(*WORKSPACE_ROLES)
def evidence_pack(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_for_user(user=request.user, case_id=case_id)
    try:
        pack = evidence_pack_build(case=case, user=request.user)
    except EvidenceIntegrityError as exc:
        return render(
            request, "audit/integrity_error.html", {"message": str(exc), "case": case}, status=409
        )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return FileResponse(
        pack,
        as_attachment=True,
        filename=f"evidence-pack-case-{case.pk}-{stamp}.zip",
        content_type="application/zip",
    )


@require_GET
@role_required("auditor", "admin")
def records(request: HttpRequest) -> HttpResponse:
    """Retention rules, legal holds in force, what the purge deleted, how far sealing got."""
    return render(
        request,
        "audit/records.html",
        {
            "rules": sorted(RULES.values(), key=lambda r: (r.jurisdiction, r.kind)),
            "default_years": DEFAULT_YEARS,
            "holds": selectors.legal_holds_for_user(user=request.user),
            "purges": selectors.purge_log_recent(),
            "chain": selectors.chain_status(),
        },
    )
