from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import Team, User


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
