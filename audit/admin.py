from django.contrib import admin
from django.http import HttpRequest

from audit.models import ChainLink, Evidence, LegalHold, PurgeLog


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ["id", "debtor", "case", "reason", "reference", "placed_at", "released_at"]
    list_filter = ["released_at"]
    raw_id_fields = ["debtor", "case"]
    readonly_fields = ["placed_by", "placed_at", "released_by"]

    def save_model(self, request: HttpRequest, obj: LegalHold, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        if not change:
            obj.placed_by = request.user
        elif obj.released_at and not obj.released_by_id:
            obj.released_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: visible, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["id", "case", "kind", "original_name", "size", "uploaded_at"]


@admin.register(PurgeLog)
class PurgeLogAdmin(ReadOnlyAdmin):
    list_display = ["purged_at", "record_kind", "object_id", "jurisdiction", "rule"]


@admin.register(ChainLink)
class ChainLinkAdmin(ReadOnlyAdmin):
    list_display = ["seq", "kind", "object_id", "row_hash", "sealed_at"]
