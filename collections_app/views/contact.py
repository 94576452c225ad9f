"""Outreach from the case page. Every call or message passes the compliance gate
(compliance.services.outreach.outreach_reserve); a block is shown with every reason and the
next permitted time, in the debtor's local time and the collector's."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from collections_app.forms import MESSAGE_TEMPLATES, OPT_OUT_TEXT, CallOutcomeForm, MessageForm
from collections_app.models import Case, ContactAttempt, ContactPoint
from collections_app.models.debt import OPEN_DEBT_STATUSES
from collections_app.selectors import (
    case_get_for_user,
    channels_for_contact_point,
    contact_point_zones,
)
from collections_app.services.promises import promise_create

from .common import acting_user, action_done, collector_page, errors_onto_form

logger = logging.getLogger(__name__)


def _contact_point(request: HttpRequest, case: Case, raw_id: Any) -> ContactPoint:
    try:
        cp_id = int(raw_id)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = ContactPoint.objects.visible_to(acting_user(request)).filter(debtor_id=case.debtor_id)
    cp = get_object_or_404(qs, pk=cp_id)
    cp.debtor = case.debtor
    return cp


def _blocked(
    request: HttpRequest, *, case: Case, cp: ContactPoint, channel: str, decision: Any
) -> HttpResponse:
    """The gate said no: every reason in plain words and when it opens again."""
    return render(
        request,
        "collections_app/contact/_blocked.html",
        {
            "case": case,
            "cp": cp,
            "channel": channel,
            "decision": decision,
            "zones": contact_point_zones(cp=cp, now=timezone.now()),
            "current_zone": timezone.get_current_timezone_name(),
        },
    )


def message_body(*, case: Case, template_key: str) -> tuple[str, str, str]:
    """(subject, body, opt-out text) of a template, in the debtor's language."""
    tpl = MESSAGE_TEMPLATES.get(template_key) or next(iter(MESSAGE_TEMPLATES.values()))
    debts = list(case.debts.all())
    first = debts[0] if debts else None
    values = {
        "name": case.debtor.full_name,
        "creditor": first.creditor if first else "",
        "account": f"…{first.account_number[-4:]}" if first else "",
        "balance": f"{sum(d.balance for d in debts if d.status in OPEN_DEBT_STATUSES):,.2f}",
        "currency": first.currency if first else "",
    }
    with translation.override(case.debtor.preferred_language or "en"):
        return str(tpl.subject) % values, str(tpl.body) % values, str(OPT_OUT_TEXT)


def _compose(
    request: HttpRequest, *, case: Case, cp: ContactPoint, channel: str, form: MessageForm
) -> HttpResponse:
    key = form["template"].value() or next(iter(MESSAGE_TEMPLATES))
    _subject, _body, opt_out = message_body(case=case, template_key=key)
    return render(
        request,
        "collections_app/contact/_compose.html",
        {"case": case, "cp": cp, "channel": channel, "form": form, "opt_out": opt_out},
    )


@require_POST
@collector_page
def contact(request: HttpRequest, case_id: int) -> HttpResponse:
    """A "Call" / "Send SMS" / "Send email" / "WeChat" button. A call reserves the attempt at
    the gate and opens the outcome form; a message is checked (dry run) before composing and
    reserved again when sent."""
    from compliance.services.outreach import outreach_reserve

    case = case_get_for_user(user=acting_user(request), case_id=case_id, for_write=True)
    cp = _contact_point(request, case, request.POST.get("contact_point"))
    channel = request.POST.get("channel", "")
    if channel not in channels_for_contact_point(cp):
        return HttpResponseBadRequest(_("This contact point cannot be reached that way."))
    debts = list(case.debts.filter(status__in=OPEN_DEBT_STATUSES))
    if channel == "call":
        result = outreach_reserve(
            contact_point=cp, channel="call", actor=acting_user(request), debts=debts, case=case
        )
        if not result.allowed:
            return _blocked(request, case=case, cp=cp, channel=channel, decision=result.decision)
        form = CallOutcomeForm(case=case, initial={"debts_discussed": debts})
        return render(
            request,
            "collections_app/contact/_call.html",
            {"case": case, "cp": cp, "attempt": result.attempt, "form": form},
        )
    result = outreach_reserve(
        contact_point=cp,
        channel=channel,
        actor=acting_user(request),
        debts=debts,
        case=case,
        dry_run=True,
    )
    if not result.allowed:
        return _blocked(request, case=case, cp=cp, channel=channel, decision=result.decision)
    key = next(iter(MESSAGE_TEMPLATES))
    subject, body, _opt = message_body(case=case, template_key=key)
    message_form = MessageForm(
        case=case,
        initial={
            "contact_point": cp.pk,
            "channel": channel,
            "template": key,
            "subject": subject,
            "body": body,
        },
    )
    return _compose(request, case=case, cp=cp, channel=channel, form=message_form)


@require_http_methods(["GET"])
@collector_page
def compose(request: HttpRequest, case_id: int) -> HttpResponse:
    """Re-fill the message from another template (the template select triggers it)."""
    case = case_get_for_user(user=acting_user(request), case_id=case_id, for_write=True)
    cp = _contact_point(request, case, request.GET.get("contact_point"))
    channel = request.GET.get("channel", "")
    if channel not in channels_for_contact_point(cp) or channel == "call":
        return HttpResponseBadRequest(_("This contact point cannot be reached that way."))
    key = request.GET.get("template", "")
    subject, body, _opt = message_body(case=case, template_key=key)
    form = MessageForm(
        case=case,
        initial={
            "contact_point": cp.pk,
            "channel": channel,
            "template": key,
            "subject": subject,
            "body": body,
        },
    )
    return _compose(request, case=case, cp=cp, channel=channel, form=form)


@require_POST
@collector_page
def message_send(request: HttpRequest, case_id: int) -> HttpResponse:
    from compliance.services.outreach import outreach_reserve

    case = case_get_for_user(user=acting_user(request), case_id=case_id, for_write=True)
    cp = _contact_point(request, case, request.POST.get("contact_point"))
    form = MessageForm(request.POST, case=case)
    channel = request.POST.get("channel", "")
    if not form.is_valid():
        return _compose(request, case=case, cp=cp, channel=channel, form=form)
    channel = form.cleaned_data["channel"]
    body, subject = form.cleaned_data["body"], form.cleaned_data.get("subject", "")
    debts = list(case.debts.filter(status__in=OPEN_DEBT_STATUSES))
    with transaction.atomic():
        result = outreach_reserve(
            contact_point=cp, channel=channel, actor=acting_user(request), debts=debts, case=case
        )
        if result.allowed and result.attempt is not None:
            attempt_id = result.attempt.pk
            # Sent after commit, never while the gate's debtor lock is held.
            transaction.on_commit(lambda: _send(attempt_id=attempt_id, body=body, subject=subject))
    if not result.allowed:
        return _blocked(request, case=case, cp=cp, channel=channel, decision=result.decision)
    return action_done(request, case_id=case.pk, message=_("Message queued for sending."))


def _send(*, attempt_id: int, body: str, subject: str) -> None:
    from messaging.services.send import message_send_for_attempt

    try:
        message_send_for_attempt(attempt_id=attempt_id, body=body, subject=subject)
    except Exception:
        # The attempt is committed and stays "initiated" (it counts, as the rules require);
        # the collector sees it in progress on the timeline. The page must not fail for it.
        logger.exception("Sending the message of attempt %s failed", attempt_id)


@require_http_methods(["GET", "POST"])
@collector_page
def call_outcome(request: HttpRequest, case_id: int, attempt_id: int) -> HttpResponse:
    """What happened on the call; a promise made in the conversation is recorded with it.
    GET opens the form again for a call whose outcome was not recorded at the time."""
    from compliance.services.outreach import attempt_record_outcome

    case = case_get_for_user(user=acting_user(request), case_id=case_id, for_write=True)
    attempt = get_object_or_404(
        ContactAttempt.objects.visible_to(acting_user(request)).select_related("contact_point"),
        pk=attempt_id,
        case=case,
        channel="call",
    )
    if request.method == "GET":
        form = CallOutcomeForm(case=case, initial={"debts_discussed": list(attempt.debts.all())})
        context = {"case": case, "cp": attempt.contact_point, "attempt": attempt, "form": form}
        return render(request, "collections_app/contact/_call.html", context)
    form = CallOutcomeForm(request.POST, case=case)
    context = {"case": case, "cp": attempt.contact_point, "attempt": attempt, "form": form}
    if attempt.outcome:
        form.add_error(None, _("The outcome of this call is already recorded."))
    elif form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                attempt_record_outcome(
                    attempt_id=attempt.pk,
                    outcome=data["outcome"],
                    actor=acting_user(request),
                    debts_discussed=[d.pk for d in data["debts_discussed"]],
                    notes=data["notes"],
                    call_back_at=data["call_back_at"],
                )
                if data["promise_amount"]:
                    discussed = list(data["debts_discussed"])
                    promise_create(
                        case_id=case.pk,
                        actor=acting_user(request),
                        amount=data["promise_amount"],
                        due_date=data["promise_due_date"],
                        debt_id=discussed[0].pk if len(discussed) == 1 else None,
                        attempt_id=attempt.pk,
                    )
        except ValidationError as exc:
            errors_onto_form(form, exc)
        else:
            message = _("Call outcome recorded.")
            if data["promise_amount"]:
                message = _("Call outcome and promise to pay recorded.")
            return action_done(request, case_id=case.pk, message=message)
    status = 200 if getattr(request, "htmx", False) else 400
    return render(request, "collections_app/contact/_call.html", context, status=status)
