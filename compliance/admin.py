from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from collections_app.admin import ReadOnlyAdmin

from .models import ComplianceDecision, Consent, ContactRestriction, HouseSettings


@admin.register(ContactRestriction)
class ContactRestrictionAdmin(SimpleHistoryAdmin):
    list_display = ["debtor", "kind", "channel", "effective_at", "ends_at"]
    list_filter = ["kind", "channel"]
    search_fields = ["debtor__full_name", "source_document"]
    raw_id_fields = ["debtor", "contact_point", "debts"]


@admin.register(Consent)
class ConsentAdmin(SimpleHistoryAdmin):
    list_display = ["debtor", "kind", "given_at", "expires_at", "revoked_at"]
    list_filter = ["kind"]
    search_fields = ["debtor__full_name"]
    raw_id_fields = ["debtor", "contact_point", "debts"]


@admin.register(ComplianceDecision)
class ComplianceDecisionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "debtor", "channel", "purpose", "allowed", "next_allowed_at"]
    list_filter = ["allowed", "purpose", "channel"]
    search_fields = ["debtor__full_name"]
    date_hierarchy = "created_at"


@admin.register(HouseSettings)
class HouseSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["id", "max_calls_per_7_days", "earliest_local_time", "latest_local_time"]
