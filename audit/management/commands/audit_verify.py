"""`manage.py audit_verify`: recompute the hash chain over decisions and attempts and report
every row whose content or order no longer matches. Exit code 1 when anything is wrong."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services.chain import chain_seal, chain_verify


class Command(BaseCommand):
    help = "Verify the tamper-evident chain over compliance decisions and contact attempts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seal-first",
            action="store_true",
            help="Seal every settled, unsealed row first (a full pass, not only recent rows).",
        )
        parser.add_argument("--limit", type=int, default=1000, help="Report at most N problems.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal_first"]:
            sealed = chain_seal(full=True)
            self.stdout.write(f"sealed {sealed} rows")
        problems = 0
        for problem in chain_verify():
            problems += 1
            if problems <= options["limit"]:
                self.stdout.write(self.style.ERROR(str(problem)))
        if problems:
            raise CommandError(f"{problems} problem(s) found in the audit chain")
        self.stdout.write(self.style.SUCCESS("audit chain intact"))
