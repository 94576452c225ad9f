"""Forms of the manager workspace: they parse and validate input; services decide."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from collections_app.models import Bucket, CaseStatus, Product, ReminderStatus
from manager.models import Agency, Arm, LegalStage, Segment
from manager.selectors import METRICS, CaseFilters, DateRange, month_to_date

MAX_RANGE_DAYS = 366


class DateInput(forms.DateInput):
    input_type = "date"


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DateInput)
    end = forms.DateField(label=_("To"), required=False, widget=DateInput)
    team = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if (end - start).days >= MAX_RANGE_DAYS:
                raise forms.ValidationError(_("Choose a range of at most one year."))
        return data

    def period(self, today: date) -> DateRange:
        data = self.cleaned_data if self.is_valid() else {}
        default = month_to_date(today)
        start = data.get("start") or default.start
        end = data.get("end") or (default.end if start <= default.end else start)
        if end < start:
            start, end = default.start, default.end
        return DateRange(start=start, end=end)


def _choices(values: Any, blank: str) -> list[tuple[str, str]]:
    return [("", blank), *[(v.value, v.label) for v in values]]


class CaseFilterForm(PeriodForm):
    collector = forms.CharField(label=_("Collector"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open")), *CaseStatus.choices],
    )
    bucket = forms.ChoiceField(label=_("Bucket"), required=False, choices=[])
    product = forms.ChoiceField(label=_("Product"), required=False, choices=[])
    segment = forms.ChoiceField(label=_("Segment"), required=False, choices=[])
    strategy = forms.IntegerField(required=False, widget=forms.HiddenInput)
    arm = forms.ChoiceField(
        required=False, choices=[("", "-"), *Arm.choices], widget=forms.HiddenInput
    )
    metric = forms.ChoiceField(
        required=False, choices=[("", "-"), *[(m, m) for m in METRICS]], widget=forms.HiddenInput
    )
    reminder_status = forms.ChoiceField(
        required=False,
        choices=[("", "-"), *ReminderStatus.choices],
        widget=forms.HiddenInput,
    )
    held_days = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bucket"].choices = _choices(Bucket, _("Any bucket"))
        self.fields["product"].choices = _choices(Product, _("Any product"))
        self.fields["segment"].choices = _choices(Segment, _("Any segment"))

    def filters(self) -> CaseFilters:
        data = self.cleaned_data if self.is_valid() else {}
        collector = data.get("collector") or ""
        return CaseFilters(
            collector=int(collector) if collector.isdigit() else None,
            unassigned=collector == "none",
            status=data.get("status") or "",
            bucket=data.get("bucket") or "",
            product=data.get("product") or "",
            segment=data.get("segment") or "",
            strategy=data.get("strategy"),
            arm=data.get("arm") or "",
            metric=data.get("metric") or "",
            reminder_status=data.get("reminder_status") or "",
            held_days=data.get("held_days"),
            search=data.get("q") or "",
        )


class ReassignForm(forms.Form):
    cases = forms.TypedMultipleChoiceField(coerce=int, choices=[], label=_("Cases"))
    to_user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label=_("Assign to"),
        required=False,
        empty_label=_("Nobody (back to the team queue)"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, collectors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = collectors
        # Ids are checked against the manager's scope by the service (all or nothing).
        raw = self.data.getlist("cases") if hasattr(self.data, "getlist") else []
        self.fields["cases"].choices = [(v, v) for v in raw if str(v).isdigit()]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], label=_("Decision")
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why you reject it."))
        return data


class AgencyPlacementForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.filter(active=True), label=_("Agency"))
    placed_on = forms.DateField(label=_("Placed on"), widget=DateInput)
    recall_on = forms.DateField(label=_("Recall on"), widget=DateInput)
    commission_pct = forms.DecimalField(
        label=_("Commission (%)"), min_value=0, max_value=100, decimal_places=2, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "placed_on": timezone.localdate(),
                "recall_on": timezone.localdate() + timedelta(days=180),
            },
        )
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("placed_on")
            and data.get("recall_on")
            and data["recall_on"] <= data["placed_on"]
        ):
            self.add_error("recall_on", _("The recall date must be after the placement."))
        return data


class EscalationDecisionForm(DecisionForm):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(active=True), label=_("Agency"), required=False
    )
    placed_on = forms.DateField(label=_("Placed on"), widget=DateInput, required=False)
    recall_on = forms.DateField(label=_("Recall on"), widget=DateInput, required=False)
    commission_pct = forms.DecimalField(
        label=_("Commission (%)"), min_value=0, max_value=100, decimal_places=2, required=False
    )


class LegalOpenForm(forms.Form):
    court = forms.CharField(label=_("Court"), max_length=200, required=False)


class LegalStepForm(forms.Form):
    stage = forms.ChoiceField(choices=LegalStage.choices, label=_("Stage"))
    on_date = forms.DateField(label=_("Date"), widget=DateInput)
    document = forms.FileField(label=_("Document"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_document(self) -> Any:
        doc = self.cleaned_data.get("document")
        if doc and doc.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("Documents are limited to 20 MB."))
        return doc


class RecallForm(forms.Form):
    returned_amount = forms.DecimalField(
        label=_("Amount collected by the agency"), min_value=0, decimal_places=2
    )
    results = forms.CharField(
        label=_("Results returned"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.DateInput(attrs={"type": "month"})
    )

    def month_start(self, today: date) -> date:
        value = self.cleaned_data.get("month") if self.is_valid() else ""
        try:
            year, month = (int(x) for x in (value or "").split("-"))
            return date(year, month, 1)
        except ValueError:
            return today.replace(day=1)


class TeamPolicyForm(forms.Form):
    team = forms.IntegerField(widget=forms.HiddenInput)
    auto_allocate = forms.BooleanField(label=_("Allocate new cases automatically"), required=False)
    rotation_days = forms.IntegerField(
        label=_("Rotate after days without progress"), min_value=1, max_value=365
    )


class ComplaintForm(forms.Form):
    collector = forms.ModelChoiceField(queryset=User.objects.none(), label=_("About collector"))
    received_on = forms.DateField(label=_("Received on"), widget=DateInput)
    summary = forms.CharField(
        label=_("Summary"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    upheld = forms.BooleanField(label=_("Upheld"), required=False)

    def __init__(self, *args: Any, collectors: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"received_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["collector"].queryset = collectors


class AllocationRuleForm(forms.Form):
    team = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(
        label=_("Rule"), max_length=100, error_messages={"required": _("Name the rule.")}
    )
    buckets = forms.MultipleChoiceField(
        label=_("Buckets"),
        choices=Bucket.choices,
        required=False,
        error_messages={"invalid_choice": _("Unknown bucket: %(value)s.")},
    )
    products = forms.MultipleChoiceField(
        label=_("Products"),
        choices=Product.choices,
        required=False,
        error_messages={"invalid_choice": _("Unknown product: %(value)s.")},
    )
    collectors = forms.TypedMultipleChoiceField(
        label=_("Collectors"),
        coerce=int,
        choices=(),
        error_messages={
            "required": _("Choose the collectors the rule sends these cases to."),
            "invalid_choice": _("Choose active collectors of this team only."),
        },
    )

    def __init__(self, *args: Any, collectors: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collectors"].choices = [(c.pk, c.get_username()) for c in collectors]
