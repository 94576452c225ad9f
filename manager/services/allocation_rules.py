"""Allocation rules, kept by the team's managers: cases of these buckets and products go only
to these collectors (`allocation.cases_allocate` applies them). Each change is kept in the
rule's history (who, when, what) by django-simple-history."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role, User
from collections_app.models.debt import Bucket, Product
from manager.models import AllocationRule
from manager.selectors.common import teams_for


def _check_actor(actor: User, team_id: int) -> None:
    if not (actor.is_manager or actor.is_admin_role) or not actor.can_write:
        raise PermissionDenied(_("Only a manager keeps the team's allocation rules."))
    if not teams_for(actor).filter(pk=team_id).exists():
        raise PermissionDenied(_("You do not run this team."))


@transaction.atomic
def allocation_rule_create(
    *,
    team_id: int,
    actor: User,
    name: str,
    buckets: Sequence[str],
    products: Sequence[str],
    collector_ids: Sequence[int],
) -> AllocationRule:
    """A new active rule. The name is required; buckets and products are from the known lists
    (none of either: any); at least one collector, each an active collector of the team."""
    _check_actor(actor, team_id)
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Name the rule.")
    unknown = sorted(set(buckets) - set(Bucket.values)) + sorted(
        set(products) - set(Product.values)
    )
    if unknown:
        errors["buckets"] = _("Unknown buckets or products: %(values)s.") % {
            "values": ", ".join(unknown)
        }
    ids = set(collector_ids)
    collectors = list(
        User.objects.filter(pk__in=ids, team_id=team_id, role=Role.COLLECTOR, is_active=True)
    )
    if not ids:
        errors["collectors"] = _("Choose the collectors the rule sends these cases to.")
    elif len(collectors) != len(ids):
        errors["collectors"] = _("Choose active collectors of this team only.")
    if errors:
        raise ValidationError(errors)
    rule = AllocationRule(
        team_id=team_id,
        name=name[:100],
        buckets=sorted(set(buckets), key=Bucket.values.index),
        products=sorted(set(products)),
    )
    rule._history_user = actor  # type: ignore[attr-defined]
    rule.save()
    rule.collectors.set(collectors)
    return rule


@transaction.atomic
def allocation_rule_set_active(*, rule_id: int, actor: User, active: bool) -> AllocationRule:
    """Switch a rule off (kept, with its history, to switch on again) or on."""
    rule = AllocationRule.objects.select_for_update().get(pk=rule_id)
    _check_actor(actor, rule.team_id)
    rule.active = active
    rule._history_user = actor  # type: ignore[attr-defined]
    rule.save(update_fields=["active"])
    return rule


@transaction.atomic
def allocation_rule_delete(*, rule_id: int, actor: User) -> None:
    rule = AllocationRule.objects.select_for_update().get(pk=rule_id)
    _check_actor(actor, rule.team_id)
    rule._history_user = actor  # type: ignore[attr-defined]
    rule.delete()
