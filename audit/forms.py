"""Forms of the audit workspace: history search, as-of date, evidence upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Team, User
from audit.models import EvidenceKind
from audit.selectors import HistoryFilters, Show
from collections_app.models import Channel, Outcome, Source


class HistorySearchForm(forms.Form):
    debtor = forms.CharField(
        label=_("Debtor (name or id)"), required=False, max_length=200, strip=True
    )
    collector = forms.ModelChoiceField(
        label=_("Collector"), queryset=User.objects.none(), required=False
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("Any")), *Channel.choices], required=False
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", _("Any")), *Outcome.choices], required=False
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", _("Any")), *Source.choices], required=False
    )
    show = forms.ChoiceField(
        label=_("Show"),
        choices=[
            (Show.ALL, _("Attempts and blocked tries")),
            (Show.ATTEMPTS, _("Attempts only")),
            (Show.FLAGGED, _("Flagged attempts")),
            (Show.BLOCKED, _("Blocked tries (no attempt made)")),
        ],
        required=False,
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(role__in=[Role.COLLECTOR, Role.MANAGER]).order_by("username")
        teams = Team.objects.order_by("name")
        if not user.sees_everything:
            team_ids = list(user.managed_teams.values_list("id", flat=True))
            if user.team_id:
                team_ids.append(user.team_id)
            people = people.filter(team_id__in=team_ids)
            teams = teams.filter(id__in=team_ids)
        self.fields["collector"].queryset = people
        self.fields["team"].queryset = teams

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def filters(self) -> HistoryFilters:
        data = self.cleaned_data
        debtor = (data.get("debtor") or "").strip()
        collector, team = data.get("collector"), data.get("team")
        return HistoryFilters(
            debtor_id=int(debtor) if debtor.isdigit() else None,
            debtor_name="" if debtor.isdigit() else debtor,
            collector_id=collector.pk if collector else None,
            team_id=team.pk if team else None,
            channel=data.get("channel") or "",
            outcome=data.get("outcome") or "",
            source=data.get("source") or "",
            show=data.get("show") or Show.ALL,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class AsOfForm(forms.Form):
    at = forms.DateTimeField(
        label=_("As of (UTC)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )


class EvidenceUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    attempt = forms.TypedChoiceField(
        label=_("Contact attempt"), required=False, coerce=int, empty_value=None
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, attempts: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attempt"].choices = [("", _("None (the case)")), *attempts]
