from django.core.management.base import BaseCommand, CommandError, CommandParser

from collections_app.demo.seed import demo_seed


class Command(BaseCommand):
    help = (
        "Load the demo: two teams, their users (password demo-pass-2026) and N cases with "
        "debtors, debts, 30 days of contact history, promises, plans, payments and reminders. "
        "Idempotent; --cases 1000000 seeds a benchmark database (PostgreSQL COPY)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=200, help="number of cases (200)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (2026)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if any case exists")
        parser.add_argument(
            "--method",
            choices=("auto", "orm", "copy"),
            default="auto",
            help="orm = bulk_create with history; copy = PostgreSQL COPY; auto picks by size",
        )
        parser.add_argument(
            "--evaluate",
            action="store_true",
            default=None,
            help="judge every attempt with the compliance engine (default up to 5000 cases)",
        )
        parser.add_argument("--no-evaluate", action="store_false", dest="evaluate")
        parser.add_argument("--chunk", type=int, default=2000, help="cases per transaction")
        parser.add_argument(
            "--workers", type=int, default=1, help="parallel processes (COPY method only)"
        )

    def handle(self, *args: object, **opts: object) -> None:
        try:
            result = demo_seed(
                cases=int(opts["cases"]),  # type: ignore[call-overload]
                seed=int(opts["seed"]),  # type: ignore[call-overload]
                if_empty=bool(opts["if_empty"]),
                method=str(opts["method"]),
                evaluate_each=opts["evaluate"],  # type: ignore[arg-type]
                chunk_size=int(opts["chunk"]),  # type: ignore[call-overload]
                workers=int(opts["workers"]),  # type: ignore[call-overload]
                progress=lambda msg: self.stdout.write(msg),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(result.message) if result.seeded else result.message)
