"""Writers for the intake steps of the API: a debtor, their contact points, debts, a case.

Kept next to the API because the API is their only caller for now; each is atomic and takes
keyword-only arguments like every other service.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Role, User
from collections_app.models import Case, ContactPoint, Debt, Debtor
from collections_app.models.case import OPEN_CASE_STATUSES
from collections_app.models.debt import OPEN_DEBT_STATUSES
from collections_app.models.debtor import PHONE_KINDS
from collections_app.services.case_assignment import case_assign
from compliance.engine import resolve_zones


def phone_normalise(*, value: str, country: str) -> str:
    """E.164 form of a phone number, read in the debtor's country unless it has a +prefix."""
    try:
        number = phonenumbers.parse(value, (country or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError({"value": _("Not a phone number.")}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError({"value": _("Not a valid phone number.")})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contact_point_zones(
    *, debtor: Debtor, kind: str, value: str, owner: str
) -> list[dict[str, str]]:
    """Plausible zones of whoever is reached here, with their sources (engine resolver)."""
    phones = [value] if kind in PHONE_KINDS else []
    if owner == "debtor":
        zones = resolve_zones(
            override=debtor.timezone or None,
            override_verified=bool(debtor.timezone),
            phones=phones,
            country=debtor.country,
            region=debtor.region,
        )
    else:
        zones = resolve_zones(
            override=None,
            override_verified=False,
            phones=phones,
            country=debtor.country,
            region="",
        )
    return [{"zone": z.zone, "source": z.source} for z in zones]


@transaction.atomic
def debtor_create(*, actor: User | None, **fields: Any) -> Debtor:
    debtor = Debtor(**fields)
    debtor.country = debtor.country.upper()
    debtor.region = debtor.region.upper()
    # Recorded as the creator even for token-authenticated calls: the creator's team works
    # the debtor until a case exists (see `scope.debtors_in_scope`).
    debtor._history_user = actor  # type: ignore[attr-defined]
    debtor.save()
    return debtor


@transaction.atomic
def contact_point_add(
    *,
    debtor: Debtor,
    kind: str,
    value: str,
    actor: User | None,
    owner: str = "debtor",
    relationship: str = "",
    is_employer_provided: bool = False,
) -> ContactPoint:
    """Phones are stored in E.164; every contact point stores its plausible zones."""
    value = value.strip()
    if kind in PHONE_KINDS:
        value = phone_normalise(value=value, country=debtor.country)
    elif kind == "email":
        try:
            validate_email(value)
        except ValidationError as exc:
            raise ValidationError({"value": _("Not a valid email address.")}) from exc
        local_part, _at, domain = value.rpartition("@")
        value = f"{local_part}@{domain.lower()}"
    elif not value:
        raise ValidationError({"value": _("A value is required.")})
    if owner != "debtor" and not relationship.strip():
        raise ValidationError({"relationship": _("A third party needs a relationship.")})
    if ContactPoint.objects.filter(debtor=debtor, kind=kind, value=value).exists():
        raise ValidationError({"value": _("This debtor already has this contact point.")})
    cp = ContactPoint(
        debtor=debtor,
        kind=kind,
        value=value,
        owner=owner,
        relationship=relationship.strip() if owner != "debtor" else "",
        is_employer_provided=is_employer_provided,
        timezones=contact_point_zones(debtor=debtor, kind=kind, value=value, owner=owner),
    )
    cp._history_user = actor  # type: ignore[attr-defined]
    cp.save()
    return cp


def debt_create(
    *,
    debtor: Debtor,
    actor: User | None,
    creditor: str,
    account_number: str,
    product: str,
    currency: str,
    balance: Decimal,
    days_past_due: int = 0,
    principal: Decimal | None = None,
) -> Debt:
    debt = Debt(
        debtor=debtor,
        creditor=creditor.strip(),
        account_number=account_number.strip(),
        product=product,
        currency=currency.upper(),
        balance=balance,
        principal=balance if principal is None else principal,
        days_past_due=days_past_due,
    )
    debt._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            debt.save()
    except IntegrityError as exc:
        # The unique (creditor, account number) constraint decides, also under a race.
        raise ValidationError(
            {"account_number": _("This creditor already has a debt with this account number.")}
        ) from exc
    return debt


@transaction.atomic
def case_open(
    *,
    debtor: Debtor,
    debts: Sequence[Debt],
    actor: User,
    assigned_to: User | None = None,
) -> Case:
    """A new case for the debtor's open debts, in the caller's team (an admin: the assignee's)."""
    if not debts:
        raise ValidationError({"debts": _("A case holds at least one debt.")})
    if any(d.debtor_id != debtor.pk for d in debts):
        raise ValidationError({"debts": _("Every debt must be this debtor's.")})
    if any(d.status not in OPEN_DEBT_STATUSES for d in debts):
        raise ValidationError({"debts": _("Only open debts can be worked in a case.")})
    # Lock order: debtor, then case.
    Debtor.objects.select_for_update().filter(pk=debtor.pk).first()
    busy = Case.objects.filter(
        status__in=OPEN_CASE_STATUSES, debts__in=[d.pk for d in debts]
    ).exists()
    if busy:
        raise ValidationError({"debts": _("A debt is already in an open case.")})
    team_id = actor.team_id
    if actor.is_manager and team_id is None:
        team_id = actor.managed_teams.values_list("id", flat=True).first()
    if team_id is None and assigned_to is not None:
        team_id = assigned_to.team_id
    if assigned_to is not None:
        if actor.role == Role.COLLECTOR and assigned_to.pk != actor.pk:
            raise ValidationError(
                {"assigned_to": _("A collector assigns new cases to themselves.")}
            )
        if assigned_to.team_id != team_id:
            raise ValidationError({"assigned_to": _("The assignee is not in the case's team.")})
    case = Case(debtor=debtor, team_id=team_id, status="new")
    case._history_user = actor  # type: ignore[attr-defined]
    case.save()
    case.debts.set(debts)
    if assigned_to is not None:
        case = case_assign(case_id=case.pk, to_user=assigned_to, actor=actor, reason="opened")
    return case
