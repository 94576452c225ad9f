from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Team
from manager.services.allocation import cases_allocate, cases_rotate


class Command(BaseCommand):
    help = "Allocate unassigned cases (and optionally rotate stale ones) for one or every team."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", help="team name (default: every team)")
        parser.add_argument("--rotate", action="store_true", help="also rotate stale cases")

    def handle(self, *args: Any, **options: Any) -> None:
        teams = Team.objects.all()
        if options["team"]:
            teams = teams.filter(name=options["team"])
        for team in teams:
            result = cases_allocate(team_id=team.pk, actor=None)
            self.stdout.write(
                f"{team.name}: {len(result.assigned)} allocated, "
                f"{len(result.unassigned)} left unassigned"
            )
            if options["rotate"]:
                rotated = cases_rotate(team_id=team.pk, actor=None)
                self.stdout.write(f"{team.name}: {len(rotated.assigned)} rotated")
