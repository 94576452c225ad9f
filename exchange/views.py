"""Pages of the exchange app. Managers (their teams) and admins import, export and resolve;
auditors read batches, exports and the exceptions queue; collectors see none of it (404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import role_required
from exchange import selectors
from exchange.csv_safe import csv_stream
from exchange.forms import ExportForm, ResolveForm, UploadForm
from exchange.models import ExceptionStatus, ImportBatch
from exchange.services.batches import batch_create, teams_importable_by
from exchange.services.exceptions import exception_resolve

READERS = ("manager", "admin", "auditor")
WRITERS = ("manager", "admin")
ERRORS_SHOWN = 50


@require_GET
@role_required(*READERS)
def home(request: HttpRequest) -> HttpResponse:
    teams = teams_importable_by(request.user)
    form = UploadForm(teams=teams) if teams else None
    batches = selectors.batch_list_for_user(user=request.user)[:20]
    open_exceptions = selectors.exception_list_for_user(user=request.user).count()
    return render(
        request,
        "exchange/home.html",
        {"form": form, "batches": batches, "open_exceptions": open_exceptions},
    )


@require_POST
@role_required(*WRITERS)
def upload(request: HttpRequest) -> HttpResponse:
    teams = teams_importable_by(request.user)
    form = UploadForm(request.POST, request.FILES, teams=teams)
    if form.is_valid():
        try:
            batch = batch_create(
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                actor=request.user,
                team=form.cleaned_data["team"],
                valid_only=form.cleaned_data["valid_only"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("File received; the import is running."))
            return redirect("exchange:batch", batch_id=batch.pk)
    batches = selectors.batch_list_for_user(user=request.user)[:20]
    return render(request, "exchange/home.html", {"form": form, "batches": batches}, status=400)


@require_GET
@role_required(*READERS)
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.batch_get_for_user(user=request.user, batch_id=batch_id)
    return render(request, "exchange/batch_detail.html", _batch_context(batch))


@require_GET
@role_required(*READERS)
def batch_progress(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The polled partial; once the batch is finished it stops asking to be polled."""
    batch = selectors.batch_get_for_user(user=request.user, batch_id=batch_id)
    return render(request, "exchange/_batch_progress.html", _batch_context(batch))


SUMMARY_LABELS = {
    "debtors_created": _l("Debtors created"),
    "debtors_updated": _l("Debtors updated"),
    "contact_points_created": _l("Contact points added"),
    "debts_created": _l("Accounts created"),
    "debts_updated": _l("Accounts updated"),
    "cases_created": _l("Cases opened"),
    "rows_unchanged": _l("Rows already up to date"),
    "payments_posted": _l("Payments posted"),
    "payments_already_posted": _l("Payments already posted"),
    "balances_checked": _l("Balances compared"),
    "exceptions_opened": _l("Reconciliation exceptions opened"),
    "exceptions_updated": _l("Reconciliation exceptions updated"),
    "debts_recalled": _l("Accounts recalled"),
    "debts_already_closed": _l("Accounts already closed"),
    "cases_closed": _l("Cases closed"),
    "attempts_imported": _l("Attempts added to the contact log"),
    "attempts_already_imported": _l("Attempts already in the contact log"),
    "attempts_flagged": _l("Attempts flagged (broke a rule)"),
}


def _batch_context(batch: ImportBatch) -> dict[str, object]:
    errors = batch.errors.all()[:ERRORS_SHOWN]
    summary = [(SUMMARY_LABELS.get(key, key), value) for key, value in batch.summary.items()]
    return {"batch": batch, "errors": errors, "errors_shown": ERRORS_SHOWN, "summary": summary}


@require_GET
@role_required(*READERS)
def batch_errors_csv(request: HttpRequest, batch_id: int) -> StreamingHttpResponse:
    batch = selectors.batch_get_for_user(user=request.user, batch_id=batch_id)
    rows = batch.errors.order_by("row_number", "id").values_list(
        "row_number", "column", "value", "message"
    )
    response = StreamingHttpResponse(
        csv_stream(
            [_("row"), _("column"), _("value"), _("problem")], rows.iterator(chunk_size=2000)
        ),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-errors.csv"'
    return response


@require_GET
@role_required(*READERS)
def exports(request: HttpRequest) -> HttpResponse:
    if "kind" not in request.GET:
        form = ExportForm(initial=ExportForm.initial_range())
        return render(request, "exchange/exports.html", {"form": form})
    form = ExportForm(request.GET)
    if not form.is_valid():
        return render(request, "exchange/exports.html", {"form": form}, status=400)
    export = selectors.export_for_user(
        user=request.user,
        kind=form.cleaned_data["kind"],
        start=form.cleaned_data["date_from"],
        end=form.cleaned_data["date_to"],
    )
    response = StreamingHttpResponse(
        csv_stream(export.header, export.rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@require_GET
@role_required(*READERS)
def exceptions(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ExceptionStatus.OPEN)
    if status not in ExceptionStatus.values:
        status = ExceptionStatus.OPEN
    page = Paginator(selectors.exception_list_for_user(user=request.user, status=status), 50)
    return render(
        request,
        "exchange/exceptions.html",
        {
            "page": page.get_page(request.GET.get("page")),
            "status": status,
            "statuses": ExceptionStatus.choices,
            "form": ResolveForm(),
            "can_resolve": request.user.can_write,
        },
    )


@require_POST
@role_required(*WRITERS)
def exception_resolve_view(request: HttpRequest, exception_id: int) -> HttpResponse:
    exception = get_object_or_404(
        selectors.exception_list_for_user(user=request.user, status=""), pk=exception_id
    )
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            exception_resolve(
                exception_id=exception.pk,
                actor=request.user,
                resolution=form.cleaned_data["resolution"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Exception resolved."))
    else:
        messages.error(request, _("Choose a resolution and write a note."))
    return redirect("exchange:exceptions")
