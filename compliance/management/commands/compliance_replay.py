"""`manage.py compliance_replay <decision_id> [...]`: re-evaluate stored decisions with the
current engine; exit status 1 when any would now differ (2 when one does not exist)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.models import ComplianceDecision
from compliance.services.replay import decision_replay


class Command(BaseCommand):
    help = "Replay stored compliance decisions and report any difference."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("decision_ids", nargs="+", type=int)
        parser.add_argument("--json", action="store_true", help="print the full comparison")

    def handle(self, *args: Any, decision_ids: list[int], **options: Any) -> None:
        differing = 0
        for decision_id in decision_ids:
            try:
                result = decision_replay(decision_id=decision_id)
            except ComplianceDecision.DoesNotExist as exc:
                raise CommandError(f"decision {decision_id} does not exist", returncode=2) from exc
            verdict = "same" if result.same else "DIFFERENT"
            original = result.original
            self.stdout.write(
                f"decision {decision_id}: {verdict} "
                f"(stored: {'allowed' if original['allowed'] else 'blocked'} "
                f"{[r['code'] for r in original['reasons']]})"
            )
            for line in result.differences:
                self.stdout.write(f"  - {line}")
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {"original": result.original, "replayed": result.replayed},
                        indent=2,
                        default=str,
                    )
                )
            if not result.same:
                differing += 1
        if differing:
            raise CommandError(f"{differing} decision(s) would differ today", returncode=1)
