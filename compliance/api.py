"""API v1 of the compliance gate: restrictions, consents, dry-run checks, batch eligibility."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ReadOnlyForAuditors
from collections_app.api.scope import debtors_in_scope, debtors_writable
from collections_app.api.views import ServiceErrorsMixin
from collections_app.models import Case
from collections_app.serializers import DecisionSerializer, decision_body
from compliance.models import CaseFilter, Consent, ContactRestriction
from compliance.selectors import case_filter_page
from compliance.serializers import (
    MAX_ELIGIBILITY_CASES,
    CaseFilterSerializer,
    CheckRequestSerializer,
    ConsentSerializer,
    EligibilityRequestSerializer,
    EligibilityResponseSerializer,
    RestrictionSerializer,
)
from compliance.services.eligibility import eligibility_answers
from compliance.services.outreach import outreach_reserve
from compliance.services.restrictions import consent_record, restriction_record


class _DebtorChildView(ServiceErrorsMixin, generics.ListCreateAPIView):
    permission_classes = [ReadOnlyForAuditors]
    filterset_class = None

    def debtor(self, *, write: bool) -> Any:
        scope = debtors_writable if write else debtors_in_scope
        return get_object_or_404(scope(self.request.user), pk=self.kwargs["debtor_id"])

    def _check_same_debtor(self, debtor: Any, data: dict[str, Any]) -> None:
        cp = data.get("contact_point")
        if cp is not None and cp.debtor_id != debtor.pk:
            raise exceptions.ValidationError(
                {"contact_point": [_("The contact point is not this debtor's.")]}
            )
        if any(d.debtor_id != debtor.pk for d in data.get("debts", ())):
            raise exceptions.ValidationError({"debts": [_("Every debt must be this debtor's.")]})


class DebtorRestrictionsView(_DebtorChildView):
    """A debtor's contact restrictions (cease, attorney, dispute, opt-outs...)."""

    serializer_class = RestrictionSerializer

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return ContactRestriction.objects.none()
        return self.debtor(write=False).restrictions.prefetch_related("debts")

    def perform_create(self, serializer: RestrictionSerializer) -> None:
        debtor = self.debtor(write=True)
        data = serializer.validated_data
        self._check_same_debtor(debtor, data)
        serializer.instance = restriction_record(
            debtor=debtor,
            kind=data["kind"],
            actor=self.request.user,
            effective_at=data["effective_at"],
            ends_at=data.get("ends_at"),
            channel=data.get("channel", ""),
            contact_point=data.get("contact_point"),
            debts=data.get("debts", ()),
            weekly_windows=data.get("weekly_windows", ()),
            place=data.get("place", ""),
            source_document=data.get("source_document", ""),
            notes=data.get("notes", ""),
        )


class DebtorConsentsView(_DebtorChildView):
    """Consents the debtor (or a third party) gave directly."""

    serializer_class = ConsentSerializer

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Consent.objects.none()
        return self.debtor(write=False).consents.prefetch_related("debts")

    def perform_create(self, serializer: ConsentSerializer) -> None:
        debtor = self.debtor(write=True)
        data = serializer.validated_data
        self._check_same_debtor(debtor, data)
        serializer.instance = consent_record(
            debtor=debtor,
            kind=data["kind"],
            actor=self.request.user,
            given_at=data["given_at"],
            expires_at=data.get("expires_at"),
            contact_point=data.get("contact_point"),
            debts=data.get("debts", ()),
            notes=data.get("notes", ""),
        )


class ComplianceCheckView(ServiceErrorsMixin, APIView):
    permission_classes = [ReadOnlyForAuditors]
    throttle_scope = "compliance"  # rate per user: THROTTLE_RATE_COMPLIANCE

    @extend_schema(
        request=CheckRequestSerializer,
        responses={200: DecisionSerializer},
        summary="Dry run of the gate: the decision is stored, no attempt is made",
    )
    def post(self, request: Request) -> Response:
        params = CheckRequestSerializer(data=request.data, context={"request": request})
        params.is_valid(raise_exception=True)
        data = params.validated_data
        result = outreach_reserve(
            contact_point=data["contact_point"],
            channel=data["channel"],
            debts=data.get("debts"),
            at=data.get("at"),
            actor=request.user,
            dry_run=True,
        )
        return Response(decision_body(result.decision))


class EligibilityView(APIView):
    """Reads only: auditors may ask too."""

    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "compliance"

    @extend_schema(
        request=EligibilityRequestSerializer,
        responses={200: EligibilityResponseSerializer},
        summary="May each case be contacted on a channel now (or at `at`), and when next?",
    )
    def post(self, request: Request) -> Response:
        params = EligibilityRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        next_after = None
        if "cases" in data:
            wanted = list(dict.fromkeys(data["cases"]))
            visible = set(
                Case.objects.visible_to(request.user)
                .filter(pk__in=wanted)
                .values_list("pk", flat=True)
            )
            missing = [c for c in wanted if c not in visible]
            if missing:
                raise exceptions.ValidationError(
                    {"cases": [_("Unknown cases: %(ids)s.") % {"ids": missing}]}
                )
        else:
            if "saved_filter" in data:
                saved = CaseFilter.objects.filter(owner=request.user, pk=data["saved_filter"])
                found = saved.values_list("params", flat=True).first()
                if found is None:
                    raise exceptions.ValidationError(
                        {"saved_filter": [_("You have no saved filter with this id.")]}
                    )
                selection: dict[str, Any] = dict(found)
            else:
                selection = dict(data["filter"])
            wanted, next_after = case_filter_page(
                user=request.user,
                params=selection,
                after=data.get("after", 0),
                size=MAX_ELIGIBILITY_CASES,
            )
        at = data.get("at") or timezone.now()
        channel = data["channel"]
        answers, _stats = eligibility_answers(case_ids=wanted, channels=[channel], at=at)
        results = {case_id: by_channel[channel] for case_id, by_channel in answers.items()}
        body = EligibilityResponseSerializer(
            {
                "channel": data["channel"],
                "at": at,
                "results": [
                    {
                        "case": case_id,
                        "allowed": results[case_id].allowed,
                        "codes": results[case_id].codes,
                        "next_allowed_at": results[case_id].next_allowed_at,
                        "contact_point": results[case_id].contact_point_id,
                        "valid_until": _later(results[case_id].valid_until, at),
                    }
                    for case_id in wanted
                ],
                "next_after": next_after,
            }
        )
        return Response(body.data, status=status.HTTP_200_OK)


def _later(t: datetime | None, at: datetime) -> datetime | None:
    return t if t is not None and t > at else None


class CaseFilterViewSet(viewsets.ModelViewSet):
    """The caller's saved case filters (a dialer campaign's selection); batch eligibility takes
    one by id. Each user sees only their own; auditors read theirs (none) and save none."""

    serializer_class = CaseFilterSerializer
    permission_classes = [ReadOnlyForAuditors]
    filterset_class = None
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[CaseFilter]:
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a user
            return CaseFilter.objects.none()
        return CaseFilter.objects.filter(owner=self.request.user).order_by("name", "pk")
