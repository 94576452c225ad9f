from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import models as m


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: visible, never edited or deleted through the app."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(m.Debtor)
class DebtorAdmin(SimpleHistoryAdmin):
    list_display = ["full_name", "country", "region", "city", "segment", "deceased"]
    list_filter = ["country", "region", "deceased", "segment", "preferred_language"]
    search_fields = ["full_name", "city", "postal_code"]
    exclude = ["national_id"]


@admin.register(m.ContactPoint)
class ContactPointAdmin(SimpleHistoryAdmin):
    list_display = ["value", "kind", "debtor", "owner", "is_verified", "wrong_number"]
    list_filter = ["kind", "owner", "wrong_number", "is_employer_provided"]
    search_fields = ["value", "debtor__full_name"]
    raw_id_fields = ["debtor"]
    readonly_fields = ["timezones"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # The gate reads a phone's zones from this field: derive them again from whatever
        # was edited (number, kind, owner or debtor), as the intake service does.
        from .api.intake import contact_point_zones

        obj.timezones = contact_point_zones(
            debtor=obj.debtor, kind=obj.kind, value=obj.value, owner=obj.owner
        )
        super().save_model(request, obj, form, change)


@admin.register(m.Debt)
class DebtAdmin(SimpleHistoryAdmin):
    list_display = [
        "account_number",
        "creditor",
        "debtor",
        "product",
        "balance",
        "bucket",
        "status",
    ]
    list_filter = ["product", "bucket", "status", "currency"]
    search_fields = ["account_number", "creditor", "debtor__full_name"]
    raw_id_fields = ["debtor"]


@admin.register(m.Case)
class CaseAdmin(SimpleHistoryAdmin):
    list_display = ["id", "debtor", "team", "assigned_to", "status", "priority", "next_action_at"]
    list_filter = ["status", "team"]
    search_fields = ["debtor__full_name", "debts__account_number"]
    raw_id_fields = ["debtor", "debts", "assigned_to"]


@admin.register(m.CaseStatusChange)
class CaseStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["case", "from_status", "to_status", "actor", "at"]
    list_filter = ["to_status"]
    search_fields = ["case__id", "reason"]


@admin.register(m.CaseAssignment)
class CaseAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["case", "from_user", "to_user", "actor", "at"]
    search_fields = ["case__id"]


@admin.register(m.ContactAttempt)
class ContactAttemptAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["occurred_at", "debtor", "channel", "direction", "outcome", "source", "flagged"]
    list_filter = ["channel", "direction", "outcome", "source", "flagged"]
    search_fields = ["debtor__full_name", "contact_point__value"]
    date_hierarchy = "occurred_at"


@admin.register(m.PromiseToPay)
class PromiseAdmin(SimpleHistoryAdmin):
    list_display = ["case", "amount", "due_date", "status"]
    list_filter = ["status"]
    search_fields = ["case__debtor__full_name"]
    raw_id_fields = ["case", "debt", "attempt"]


class InstallmentInline(admin.TabularInline):
    model = m.Installment
    extra = 0


@admin.register(m.RepaymentPlan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = ["case", "total_amount", "frequency", "start_date", "status"]
    list_filter = ["status", "frequency"]
    search_fields = ["case__debtor__full_name"]
    raw_id_fields = ["case"]
    inlines = [InstallmentInline]


@admin.register(m.Installment)
class InstallmentAdmin(SimpleHistoryAdmin):
    list_display = ["plan", "seq", "due_date", "amount", "paid_amount", "status"]
    list_filter = ["status"]
    search_fields = ["plan__case__debtor__full_name"]


@admin.register(m.Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "case", "debt", "amount", "currency", "external_reference"]
    list_filter = ["source", "currency"]
    search_fields = ["external_reference", "debt__account_number"]


@admin.register(m.Note)
class NoteAdmin(SimpleHistoryAdmin):
    list_display = ["case", "author", "created_at"]
    search_fields = ["body"]
    raw_id_fields = ["case"]


@admin.register(m.FollowUp)
class FollowUpAdmin(SimpleHistoryAdmin):
    list_display = ["case", "assigned_to", "due_at", "reason", "done_at"]
    search_fields = ["reason"]
    raw_id_fields = ["case"]


@admin.register(m.Reminder)
class ReminderAdmin(SimpleHistoryAdmin):
    list_display = ["case", "kind", "channel", "due_at", "status", "tries"]
    list_filter = ["kind", "channel", "status"]
    search_fields = ["idempotency_key", "case__debtor__full_name"]
    raw_id_fields = ["case", "contact_point", "installment", "promise", "attempt"]
