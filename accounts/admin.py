from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from .models import Authenticator, AuthEvent, Team, User


@admin.register(User)
class CollectionsUserAdmin(UserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "email", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active"]
    search_fields = ["username", "email", "first_name", "last_name"]
    fieldsets = (
        *UserAdmin.fieldsets,
        (
            "Collections",
            {
                "fields": (
                    "role",
                    "team",
                    "regions",
                    "languages",
                    "max_discount_pct",
                    "max_plan_months",
                    "monthly_target",
                )
            },
        ),
    )


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "manager", "case_capacity"]
    search_fields = ["name"]


@admin.register(AuthEvent)
class AuthEventAdmin(admin.ModelAdmin):
    """The authentication log: read-only, nobody edits or deletes history."""

    list_display = ["at", "kind", "username", "user", "ip", "user_agent"]
    list_filter = ["kind"]
    search_fields = ["username", "ip"]
    date_hierarchy = "at"
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# django-otp's plain-hex TOTP device is not used (see models.Authenticator); its admin would
# offer to create one, and show its secret.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Who has an authenticator, confirmed or not, and when it was last used; the secret is
    never shown. Deleting one makes its user enrol again at the next sign-in."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = ["user", "name", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # enrolment is done by the user, with their app
