"""The words of a message: one template per reminder kind and language, and the opt-out line
every marketing-style text must carry (Reg F 1006.6(e): a clear way to opt out of electronic
communications; the Chinese guideline likewise requires an unsubscribe instruction)."""

from __future__ import annotations

from django.template.loader import render_to_string

from collections_app.models import Reminder

LANGUAGES = ("en", "zh-hans")


def language_for(preferred: str) -> str:
    """The debtor's preferred language if we have templates for it, else English."""
    code = (preferred or "").lower()
    if code.startswith("zh"):
        return "zh-hans"
    return code if code in LANGUAGES else "en"


def optout_text(*, channel: str, language: str) -> str:
    lang = language_for(language)
    return render_to_string(f"messaging/optout/{lang}_{channel}.txt").strip()


def body_with_optout(*, body: str, channel: str, language: str) -> str:
    line = optout_text(channel=channel, language=language)
    if line in body:
        return body
    separator = "\n\n" if channel == "email" else " "
    return f"{body.rstrip()}{separator}{line}"


def reminder_render(*, reminder: Reminder, creditor: str | None = None) -> tuple[str, str]:
    """(subject, body) of a reminder, opt-out line included. The template's first line is the
    email subject; the rest is the text. `creditor`: that of the case's first debt, when the
    caller has loaded it already (a batch); else it is looked up."""
    case = reminder.case
    debtor = case.debtor
    if reminder.installment_id:
        item = reminder.installment
        amount = item.amount - item.paid_amount
        currency = item.plan.currency
        due_date = item.due_date
    else:
        item = reminder.promise
        amount = item.amount - item.paid_amount
        currency = item.currency
        due_date = item.due_date
    if creditor is None:
        debt = case.debts.order_by("id").first()
        creditor = debt.creditor if debt else ""
    lang = language_for(reminder.language or debtor.preferred_language)
    context = {
        "name": debtor.full_name,
        "amount": f"{amount:,.2f}",
        "currency": currency,
        "due_date": due_date.isoformat(),
        "creditor": creditor,
        "reference": f"C{case.pk}",
    }
    text = render_to_string(f"messaging/reminders/{lang}/{reminder.kind}.txt", context)
    subject, _newline, body = text.strip().partition("\n")
    body = body_with_optout(body=body.strip(), channel=reminder.channel, language=lang)
    return subject.strip(), body
