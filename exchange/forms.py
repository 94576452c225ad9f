"""Forms of the exchange pages: they parse input; the services decide."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from exchange.models import BatchKind, Resolution

EXPORT_KINDS = [
    ("cases", _("Cases")),
    ("promises", _("Promises to pay")),
    ("plans", _("Repayment plans and installments")),
    ("payments", _("Payments")),
]
MAX_EXPORT_DAYS = 366


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of file"), choices=BatchKind.choices)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=None
    )
    file = forms.FileField(
        label=_("File (.csv or .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    valid_only = forms.BooleanField(
        label=_("Import the valid rows and report the others"),
        required=False,
        help_text=_("Unticked: one bad row rejects the whole file and nothing is imported."),
    )

    def __init__(self, *args: object, teams: list[Team], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["team"].queryset = Team.objects.filter(pk__in=[t.pk for t in teams])


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=EXPORT_KINDS)
    date_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}), required=True
    )
    date_to = forms.DateField(
        label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"}), required=True
    )

    @staticmethod
    def initial_range() -> dict[str, date]:
        today = timezone.localdate()
        return {"date_from": today.replace(day=1), "date_to": today}

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if end - start > timedelta(days=MAX_EXPORT_DAYS):
                raise forms.ValidationError(_("Export at most one year at a time."))
        return data


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("Resolution"), choices=Resolution.choices)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


def user_label(user: User) -> str:
    return user.get_full_name() or user.get_username()
