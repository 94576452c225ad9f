from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from manager.services.snapshots import month_end_snapshots_refresh


class Command(BaseCommand):
    help = (
        "Build the month-end bucket snapshots of the roll rates for the past months that have "
        "none or whose history has changed (nightly by Celery for the recent months)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=24, help="month ends back (24)")

    def handle(self, *args: Any, **options: Any) -> None:
        built = month_end_snapshots_refresh(months=options["months"])
        self.stdout.write(self.style.SUCCESS(f"Built {len(built)} month-end snapshots."))
