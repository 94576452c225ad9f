from typing import Any

from django.core.management.base import BaseCommand

from manager.services.scoring import scores_recompute


class Command(BaseCommand):
    help = "Recompute every debtor's risk score, segment and case strategies (nightly by Celery)."

    def handle(self, *args: Any, **options: Any) -> None:
        n = scores_recompute()
        self.stdout.write(self.style.SUCCESS(f"Scored {n} debtors."))
