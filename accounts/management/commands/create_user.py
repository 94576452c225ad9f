from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Role, Team
from accounts.services import user_create


class Command(BaseCommand):
    help = "Create a user with a role, optionally in a team (created if missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--team", help="team name")
        parser.add_argument("--email", default="")

    def handle(self, *args: object, **opts: str) -> None:
        team = None
        if opts.get("team"):
            team, _ = Team.objects.get_or_create(name=opts["team"])
        try:
            user = user_create(
                username=opts["username"],
                password=opts["password"],
                role=opts["role"],
                team=team,
                email=opts["email"],
            )
        except (ValidationError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if team is not None and user.role == Role.MANAGER and team.manager_id is None:
            team.manager = user
            team.save(update_fields=["manager"])
        self.stdout.write(self.style.SUCCESS(f"Created {user.role} {user.username}"))
