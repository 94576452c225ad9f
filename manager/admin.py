from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Agency,
    AgencyPlacement,
    AllocationRule,
    Complaint,
    EscalationRequest,
    LegalAction,
    Strategy,
    TeamPolicy,
)


@admin.register(Strategy)
class StrategyAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "segment",
        "contact_every_days",
        "challenger",
        "challenger_pct",
        "active",
    )
    list_filter = ("segment", "active")


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ("name", "default_commission_pct", "active")


@admin.register(AllocationRule)
class AllocationRuleAdmin(SimpleHistoryAdmin):
    list_display = ("name", "team", "buckets", "products", "active")
    filter_horizontal = ("collectors",)


@admin.register(TeamPolicy)
class TeamPolicyAdmin(SimpleHistoryAdmin):
    list_display = ("team", "auto_allocate", "rotation_days")


@admin.register(Complaint)
class ComplaintAdmin(SimpleHistoryAdmin):
    list_display = ("case", "collector", "received_on", "upheld")
    raw_id_fields = ("case",)


@admin.register(EscalationRequest)
class EscalationRequestAdmin(SimpleHistoryAdmin):
    list_display = ("case", "kind", "status", "requested_by", "requested_at")
    raw_id_fields = ("case",)

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # decided in the approval queue, with four eyes


admin.site.register(LegalAction, SimpleHistoryAdmin)
admin.site.register(AgencyPlacement, SimpleHistoryAdmin)
