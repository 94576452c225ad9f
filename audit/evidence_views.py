"""Evidence on a case: collectors and managers attach files on their scope; auditors and admins
read. Every download is checked against the file's recorded SHA-256."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import role_required
from audit import selectors
from audit.forms import EvidenceUploadForm
from audit.services.evidence import EvidenceIntegrityError, evidence_open_verified, evidence_upload
from collections_app.models import Case

ALL_ROLES = ("collector", "manager", "auditor", "admin")


@require_http_methods(["GET", "POST"])
@role_required(*ALL_ROLES)
def case_evidence(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_for_user(user=request.user, case_id=case_id)
    can_upload = request.user.can_write
    attempts = [
        (a.pk, f"{a.occurred_at:%Y-%m-%d %H:%M} · {a.get_channel_display()} · {a.outcome}")
        for a in case.attempts.order_by("-occurred_at")[:200]
    ]
    form = EvidenceUploadForm(attempts=attempts)
    status = 200
    if request.method == "POST":
        if not can_upload:
            raise PermissionDenied(_("Auditors have read-only access."))
        form = EvidenceUploadForm(request.POST, request.FILES, attempts=attempts)
        if form.is_valid():
            try:
                evidence_upload(
                    case_id=case.pk,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    uploaded_file=form.cleaned_data["file"],
                    attempt_id=form.cleaned_data["attempt"],
                    description=form.cleaned_data["description"],
                )
            except Case.DoesNotExist as exc:
                raise PermissionDenied from exc
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The file was attached."))
                return redirect("audit:case_evidence", case_id=case.pk)
        status = 400
    evidence = selectors.evidence_for_user(user=request.user).filter(case=case)
    return render(
        request,
        "audit/case_evidence.html",
        {
            "case": case,
            "form": form,
            "evidence": evidence,
            "can_upload": can_upload,
            "can_pack": request.user.role in ("auditor", "admin", "manager")
            or request.user.is_superuser,
        },
        status=status,
    )


@require_GET
@role_required(*ALL_ROLES)
def evidence_download(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = get_object_or_404(selectors.evidence_for_user(user=request.user), pk=evidence_id)
    try:
        fh = evidence_open_verified(evidence=evidence, user=request.user)
    except EvidenceIntegrityError as exc:
        return render(
            request,
            "audit/integrity_error.html",
            {"message": str(exc), "case": evidence.case, "evidence": evidence},
            status=409,
        )
    return FileResponse(
        fh,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
