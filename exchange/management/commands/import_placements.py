"""manage.py import_placements <file> [--team NAME] [--valid-only] [--as USERNAME]"""

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Team, User
from exchange.services.batches import batch_create, batch_run


class Command(BaseCommand):
    help = "Import a placement file (CSV or XLSX) in one transaction; print the row errors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--team", help="team the new cases go to (name)")
        parser.add_argument("--valid-only", action="store_true", help="import the valid rows")
        parser.add_argument(
            "--as", dest="username", default=None, help="acting user (default: first admin)"
        )
        parser.add_argument(
            "--kind",
            default="placements",
            choices=["placements", "payments", "recalls", "agency"],
            help="kind of file (default placements)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        actor = self._actor(options["username"])
        team = None
        if options["team"]:
            team = Team.objects.filter(name=options["team"]).first()
            if team is None:
                raise CommandError(f"No team named {options['team']!r}")
        with path.open("rb") as handle:
            try:
                batch = batch_create(
                    kind=options["kind"],
                    upload=File(handle, name=path.name),
                    actor=actor,
                    team=team,
                    valid_only=options["valid_only"],
                    run=False,
                )
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError(str(exc)) from exc
        batch_run(batch_id=batch.pk)
        batch.refresh_from_db()
        for error in batch.errors.all()[:200]:
            self.stderr.write(f"row {error.row_number} {error.column}: {error.message}")
        self.stdout.write(
            f"batch {batch.pk}: {batch.status}, {batch.total_rows} rows, "
            f"{batch.error_count} with errors, {batch.summary}"
        )
        if batch.status in ("rejected", "failed"):
            raise CommandError(batch.message or "Nothing was imported.")

    def _actor(self, username: str | None) -> User:
        users = User.objects.filter(is_active=True)
        actor = (
            users.filter(username=username).first()
            if username
            else users.filter(is_superuser=True).order_by("id").first()
        )
        if actor is None:
            raise CommandError("No acting user: pass --as USERNAME (a manager or an admin).")
        return actor
