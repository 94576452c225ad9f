"""Forms of the collector workspace: they parse and validate input; the services decide."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from compliance.models import ConsentKind, RestrictionKind

from .models import (
    CASE_TRANSITIONS,
    Bucket,
    Case,
    CaseStatus,
    Channel,
    ContactPoint,
    Debt,
    Outcome,
    Product,
)
from .models.case import OPEN_CASE_STATUSES
from .models.money import Frequency

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

CALL_OUTCOMES = [
    Outcome.CONVERSATION,
    Outcome.NO_ANSWER,
    Outcome.VOICEMAIL,
    Outcome.VOICEMAIL_NO_MESSAGE,
    Outcome.LIMITED_CONTENT_MESSAGE,
    Outcome.ANSWERED_DROPPED,
    Outcome.BUSY,
    Outcome.NOT_IN_SERVICE,
    Outcome.WRONG_PARTY,
    Outcome.WRONG_NUMBER,
]
# Statuses a collector may not set directly: legal action and agency placement go through an
# escalation request that a manager approves.
ESCALATION_ONLY_STATUSES = frozenset({CaseStatus.LEGAL, CaseStatus.AGENCY})


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


def _model_field(form: forms.Form, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def _limit_choices(
    form: forms.Form, name: str, queryset: models.QuerySet[Any], shown: Sequence[Any] | None
) -> None:
    """The field accepts only rows of `queryset` (validation reads it: one query on POST).
    `shown`, when given, are those same rows as the page already read them: the widget
    offers them instead of iterating the queryset again with a server-side cursor. They are
    put in the model's default order (`Meta.ordering` of Debt and ContactPoint: debtor,
    then id), the order the queryset would give."""
    field = _model_field(form, name)
    field.queryset = queryset
    if shown is None:
        return
    rows = sorted(shown, key=lambda row: (row.debtor_id, row.pk))
    choice = field.iterator(field).choice
    empty = [] if field.empty_label is None else [("", field.empty_label)]
    field.choices = empty + [choice(row) for row in rows]


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, phone or account number"), "type": "search"}
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_blank(_("Any status"))
        + [(s.value, s.label) for s in CaseStatus if s in OPEN_CASE_STATUSES],
    )
    bucket = forms.ChoiceField(
        label=_("Bucket"), required=False, choices=_blank(_("Any bucket")) + Bucket.choices
    )
    product = forms.ChoiceField(
        label=_("Product"), required=False, choices=_blank(_("Any product")) + Product.choices
    )
    region = forms.CharField(label=_("Region"), required=False, max_length=10)
    scope = forms.ChoiceField(
        label=_("Cases"),
        required=False,
        choices=[
            ("", _("All I can work")),
            ("mine", _("Assigned to me")),
            ("unassigned", _("Team's unassigned")),
        ],
    )


class CallOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[(o.value, o.label) for o in CALL_OUTCOMES]
    )
    debts_discussed = forms.ModelMultipleChoiceField(
        label=_("Debts discussed"),
        queryset=Debt.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    call_back_at = forms.DateTimeField(
        label=_("Debtor asked to be called back at"),
        required=False,
        widget=DATETIME,
        input_formats=DATETIME_FORMATS,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    promise_amount = forms.DecimalField(
        label=_("Promised amount"), required=False, min_value=Decimal("0.01"), **MONEY
    )
    promise_due_date = forms.DateField(label=_("Promised by"), required=False, widget=DATE)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "debts_discussed").queryset = case.debts.all()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount, due = data.get("promise_amount"), data.get("promise_due_date")
        if amount and not due:
            self.add_error("promise_due_date", _("When will the debtor pay?"))
        if due and not amount:
            self.add_error("promise_amount", _("How much will the debtor pay?"))
        if (amount or due) and data.get("outcome") != Outcome.CONVERSATION:
            self.add_error("outcome", _("A promise is made in a conversation."))
        if data.get("call_back_at") and data.get("outcome") != Outcome.CONVERSATION:
            self.add_error("call_back_at", _("Only a debtor you spoke with can ask for a call."))
        return data


class MessageTemplate:
    def __init__(self, key: str, label: Any, subject: Any, body: Any) -> None:
        self.key, self.label, self.subject, self.body = key, label, subject, body


MESSAGE_TEMPLATES = {
    t.key: t
    for t in [
        MessageTemplate(
            "payment_request",
            _("Payment request"),
            _("About your account %(account)s"),
            _(
                "Hello %(name)s, this is %(creditor)s about account %(account)s. "
                "%(balance)s %(currency)s is outstanding. Please call us or pay online."
            ),
        ),
        MessageTemplate(
            "call_request",
            _("Please call us"),
            _("Please contact us"),
            _("Hello %(name)s, please call %(creditor)s about your account %(account)s."),
        ),
        MessageTemplate(
            "promise_confirmation",
            _("Promise confirmation"),
            _("Your payment arrangement"),
            _(
                "Hello %(name)s, thank you for your promise to pay %(creditor)s. "
                "We will look for your payment as agreed."
            ),
        ),
    ]
}

# What the messaging service appends to every text; in Chinese "回复TD退订" (the .po file).
OPT_OUT_TEXT = _("Reply STOP to opt out")


class MessageForm(forms.Form):
    contact_point = forms.ModelChoiceField(queryset=ContactPoint.objects.none())
    channel = forms.ChoiceField(
        choices=[(c, c) for c in (Channel.SMS, Channel.EMAIL, Channel.WECHAT)]
    )
    template = forms.ChoiceField(
        label=_("Template"), choices=[(k, t.label) for k, t in MESSAGE_TEMPLATES.items()]
    )
    subject = forms.CharField(label=_("Subject"), required=False, max_length=150)
    body = forms.CharField(
        label=_("Message"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "contact_point").queryset = ContactPoint.objects.filter(
            debtor_id=case.debtor_id, wrong_number=False
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        cp, channel = data.get("contact_point"), data.get("channel")
        if cp is not None and channel:
            fits = {"sms": ("mobile",), "email": ("email",), "wechat": ("wechat",)}[channel]
            if cp.kind not in fits:
                self.add_error("contact_point", _("This contact point cannot receive that."))
        if channel == Channel.EMAIL and not data.get("subject"):
            self.add_error("subject", _("An email needs a subject."))
        return data


class PromiseForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), **MONEY)
    due_date = forms.DateField(label=_("Due date"), widget=DATE)
    debt = forms.ModelChoiceField(
        label=_("Debt"), queryset=Debt.objects.none(), required=False, empty_label=_("All debts")
    )

    def __init__(
        self, *args: Any, case: Case, debts: Sequence[Debt] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _limit_choices(self, "debt", case.debts.all(), debts)


class PlanProposeForm(forms.Form):
    start_date = forms.DateField(label=_("First installment"), widget=DATE)
    frequency = forms.ChoiceField(
        label=_("Frequency"), choices=Frequency.choices, initial=Frequency.MONTHLY
    )
    installment_count = forms.IntegerField(
        label=_("Number of installments (empty: from the debtor's capacity)"),
        required=False,
        min_value=1,
        max_value=260,
    )
    discount_amount = forms.DecimalField(
        label=_("Settlement discount"), required=False, min_value=Decimal("0"), **MONEY
    )


class InstallmentForm(forms.Form):
    due_date = forms.DateField(label=_("Due date"), widget=DATE)
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), **MONEY)


InstallmentFormSet = forms.formset_factory(
    InstallmentForm, extra=0, min_num=1, max_num=260, validate_min=True, validate_max=True
)


class PlanForm(forms.Form):
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    discount_amount = forms.DecimalField(
        label=_("Settlement discount"),
        required=False,
        min_value=Decimal("0"),
        initial=Decimal("0"),
        **MONEY,
    )


class PaymentForm(forms.Form):
    debt = forms.ModelChoiceField(label=_("Debt"), queryset=Debt.objects.none())
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), **MONEY)
    received_at = forms.DateTimeField(
        label=_("Received"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    method = forms.ChoiceField(
        label=_("Method"),
        required=False,
        choices=[
            ("bank_transfer", _("Bank transfer")),
            ("card", _("Card")),
            ("cash", _("Cash")),
            ("cheque", _("Cheque")),
            ("other", _("Other")),
        ],
    )
    external_reference = forms.CharField(label=_("Reference"), required=False, max_length=100)

    def __init__(
        self, *args: Any, case: Case, debts: Sequence[Debt] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _limit_choices(self, "debt", case.debts.all(), debts)


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FollowUpForm(forms.Form):
    due_at = forms.DateTimeField(label=_("Due"), widget=DATETIME, input_formats=DATETIME_FORMATS)
    reason = forms.CharField(label=_("What to do"), max_length=200)


class RestrictionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RestrictionKind.choices)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=_blank(_("All channels")) + Channel.choices
    )
    contact_point = forms.ModelChoiceField(
        label=_("Contact point"),
        queryset=ContactPoint.objects.none(),
        required=False,
        empty_label=_("All contact points"),
    )
    debts = forms.ModelMultipleChoiceField(
        label=_("Debts (none ticked: all)"),
        queryset=Debt.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    effective_at = forms.DateTimeField(
        label=_("Effective from"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), required=False, widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    source_document = forms.CharField(label=_("Source document"), required=False, max_length=300)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        case: Case,
        debts: Sequence[Debt] | None = None,
        contact_points: Sequence[ContactPoint] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _limit_choices(
            self,
            "contact_point",
            ContactPoint.objects.filter(debtor_id=case.debtor_id),
            contact_points,
        )
        _limit_choices(self, "debts", case.debts.all(), debts)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("effective_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The end must be after the start."))
        return data


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ConsentKind.choices)
    contact_point = forms.ModelChoiceField(
        label=_("Contact point"),
        queryset=ContactPoint.objects.none(),
        required=False,
        empty_label=_("Any contact point"),
    )
    given_at = forms.DateTimeField(
        label=_("Given"), widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"), required=False, widget=DATETIME, input_formats=DATETIME_FORMATS
    )

    def __init__(
        self,
        *args: Any,
        case: Case,
        contact_points: Sequence[ContactPoint] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _limit_choices(
            self,
            "contact_point",
            ContactPoint.objects.filter(debtor_id=case.debtor_id),
            contact_points,
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("given_at"), data.get("expires_at")
        if start and end and end <= start:
            self.add_error("expires_at", _("The expiry must be after the consent was given."))
        return data


class EscalationForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Escalate to"), choices=[("legal", _("Legal")), ("agency", _("Agency"))]
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=())
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, case: Case, can_escalate: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = CASE_TRANSITIONS.get(case.status, frozenset())
        cast(forms.ChoiceField, self.fields["to_status"]).choices = [
            (s.value, s.label)
            for s in CaseStatus
            if s in allowed and (can_escalate or s not in ESCALATION_ONLY_STATUSES)
        ]
