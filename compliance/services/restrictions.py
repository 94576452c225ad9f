"""Writers of contact restrictions and consents. Nothing here deletes: a restriction is lifted
by giving it an end, a consent is revoked by recording when."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from collections_app.models import ContactPoint, Debt, Debtor
from collections_app.models.attempt import Channel
from compliance.models import Consent, ConsentKind, ContactRestriction, RestrictionKind

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _require_writer(actor: User | None) -> None:
    if actor is not None and not actor.can_write:
        raise PermissionDenied(_("Auditors have read-only access."))


def _aware(name: str, value: datetime | None, errors: dict[str, list[str]]) -> None:
    if value is not None and timezone.is_naive(value):
        errors.setdefault(name, []).append(_("The time must include its UTC offset."))


def _scope_check(
    *,
    debtor: Debtor,
    contact_point: ContactPoint | None,
    debts: Iterable[Debt],
    errors: dict[str, list[str]],
) -> list[Debt]:
    if contact_point is not None and contact_point.debtor_id != debtor.pk:
        errors.setdefault("contact_point", []).append(_("The contact point is not this debtor's."))
    debt_list = list(debts)
    if any(d.debtor_id != debtor.pk for d in debt_list):
        errors.setdefault("debts", []).append(_("Every debt must be this debtor's."))
    return debt_list


def weekly_windows_normalise(windows: Iterable[Any]) -> list[dict[str, Any]]:
    """`[{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}]`; raises ValueError otherwise."""
    out: list[dict[str, Any]] = []
    for w in windows:
        if isinstance(w, dict):
            weekday, start, end = w.get("weekday"), w.get("start"), w.get("end")
        elif isinstance(w, list | tuple) and len(w) == 3:
            weekday, start, end = w
        else:
            raise ValueError(_("Each window is {weekday, start, end}."))
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise ValueError(_("weekday is 0 (Monday) to 6 (Sunday)."))
        if not (isinstance(start, str) and _HHMM.match(start)) or not (
            isinstance(end, str) and _HHMM.match(end)
        ):
            raise ValueError(_("start and end are HH:MM local times."))
        out.append({"weekday": weekday, "start": start, "end": end})
    return out


def restriction_record(
    *,
    debtor: Debtor,
    kind: str,
    actor: User | None,
    effective_at: datetime,
    ends_at: datetime | None = None,
    channel: str = "",
    contact_point: ContactPoint | None = None,
    debts: Sequence[Debt] = (),
    weekly_windows: Sequence[Any] = (),
    place: str = "",
    source_document: str = "",
    notes: str = "",
) -> ContactRestriction:
    """Record what the debtor (or the law) said about contacting them.

    A `dispute` is recorded open-ended: 12 CFR 1006.38 stops collection of the disputed debt
    until verification is sent, which is when someone lifts it (`restriction_lift`). When the
    restriction is meant to last only until a known date (for instance the end of a validation
    period from `compliance.engine.validation_period_end`), the caller passes `ends_at`.
    """
    _require_writer(actor)
    errors: dict[str, list[str]] = {}
    if kind not in RestrictionKind.values:
        errors["kind"] = [_("Unknown restriction kind.")]
    if channel and channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    _aware("effective_at", effective_at, errors)
    _aware("ends_at", ends_at, errors)
    if ends_at is not None and effective_at is not None and not errors and ends_at <= effective_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    debt_list = _scope_check(debtor=debtor, contact_point=contact_point, debts=debts, errors=errors)
    windows: list[dict[str, Any]] = []
    try:
        windows = weekly_windows_normalise(weekly_windows)
    except ValueError as exc:
        errors["weekly_windows"] = [str(exc)]
    if windows and kind != RestrictionKind.INCONVENIENT_TIME:
        errors.setdefault("weekly_windows", []).append(
            _("Weekly windows apply only to inconvenient times.")
        )
    if kind == RestrictionKind.CHANNEL_BAN and not channel and contact_point is None:
        errors.setdefault("channel", []).append(
            _("A channel opt-out names a channel or a contact point.")
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        restriction = ContactRestriction.objects.create(
            debtor=debtor,
            kind=kind,
            channel=channel,
            contact_point=contact_point,
            effective_at=effective_at,
            ends_at=ends_at,
            weekly_windows=windows,
            place=place,
            source_document=source_document,
            notes=notes,
            recorded_by=actor,
        )
        if debt_list:
            restriction.debts.set(debt_list)
    return restriction


def restriction_lift(
    *, restriction_id: int, actor: User | None, at: datetime
) -> ContactRestriction:
    """End a restriction at `at` (e.g. a dispute once verification is sent). Never deletes."""
    _require_writer(actor)
    if timezone.is_naive(at):
        raise ValidationError({"at": _("The time must include its UTC offset.")})
    with transaction.atomic():
        restriction = ContactRestriction.objects.select_for_update().get(pk=restriction_id)
        if at <= restriction.effective_at:
            raise ValidationError({"at": _("A restriction ends after it took effect.")})
        if restriction.ends_at is not None and restriction.ends_at <= at:
            raise ValidationError({"at": _("This restriction has already ended.")})
        restriction.ends_at = at
        restriction.save(update_fields=["ends_at"])
    return restriction


def consent_record(
    *,
    debtor: Debtor,
    kind: str,
    actor: User | None,
    given_at: datetime,
    expires_at: datetime | None = None,
    contact_point: ContactPoint | None = None,
    debts: Sequence[Debt] = (),
    notes: str = "",
) -> Consent:
    """Record a consent the person gave directly (call-back, texts, email, an odd hour)."""
    _require_writer(actor)
    errors: dict[str, list[str]] = {}
    if kind not in ConsentKind.values:
        errors["kind"] = [_("Unknown consent kind.")]
    _aware("given_at", given_at, errors)
    _aware("expires_at", expires_at, errors)
    if expires_at is not None and not errors and expires_at <= given_at:
        errors["expires_at"] = [_("The expiry must be after the consent was given.")]
    debt_list = _scope_check(debtor=debtor, contact_point=contact_point, debts=debts, errors=errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        consent = Consent.objects.create(
            debtor=debtor,
            kind=kind,
            contact_point=contact_point,
            given_at=given_at,
            expires_at=expires_at,
            notes=notes,
            recorded_by=actor,
        )
        if debt_list:
            consent.debts.set(debt_list)
    return consent


def consent_revoke(*, consent_id: int, actor: User | None, at: datetime) -> Consent:
    """The person withdrew the consent at `at` (1006.14(b)(3)(i): consent ends if revoked)."""
    _require_writer(actor)
    if timezone.is_naive(at):
        raise ValidationError({"at": _("The time must include its UTC offset.")})
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent_id)
        if consent.revoked_at is not None:
            raise ValidationError({"at": _("This consent is already revoked.")})
        consent.revoked_at = at
        consent.save(update_fields=["revoked_at"])
    return consent
