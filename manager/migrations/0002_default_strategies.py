"""One strategy per segment, so scoring assigns every open case a strategy from day one.
Managers tune them (and add challengers) in the admin."""

from django.db import migrations

DEFAULTS = [
    {
        "name": "Low risk: self-cure reminders",
        "segment": "low",
        "contact_every_days": 14,
        "channel_mix": {"sms": 50, "email": 40, "call": 10},
        "reminder_kinds": ["installment_due_soon", "promise_due"],
        "escalate_after_days": None,
        "escalate_to": "",
    },
    {
        "name": "Medium risk: calls and reminders",
        "segment": "medium",
        "contact_every_days": 7,
        "channel_mix": {"call": 50, "sms": 30, "email": 20},
        "reminder_kinds": [
            "installment_due_soon",
            "installment_due_today",
            "installment_overdue",
            "promise_due",
            "promise_broken",
        ],
        "escalate_after_days": None,
        "escalate_to": "",
    },
    {
        "name": "High risk: intensive calling",
        "segment": "high",
        "contact_every_days": 3,
        "channel_mix": {"call": 70, "sms": 20, "letter": 10},
        "reminder_kinds": [
            "installment_due_today",
            "installment_overdue",
            "promise_due",
            "promise_broken",
        ],
        "escalate_after_days": 120,
        "escalate_to": "agency",
    },
    {
        "name": "Severe risk: early escalation",
        "segment": "severe",
        "contact_every_days": 3,
        "channel_mix": {"call": 60, "letter": 40},
        "reminder_kinds": ["promise_broken"],
        "escalate_after_days": 60,
        "escalate_to": "legal",
    },
]


def create(apps, schema_editor):
    Strategy = apps.get_model("manager", "Strategy")
    for row in DEFAULTS:
        Strategy.objects.get_or_create(name=row["name"], defaults=row)


def remove(apps, schema_editor):
    Strategy = apps.get_model("manager", "Strategy")
    Strategy.objects.filter(name__in=[r["name"] for r in DEFAULTS], cases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("manager", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
