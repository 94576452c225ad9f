"""manage.py bench_import --rows 100000: generate a placement file, import it, print the time."""

import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Team
from exchange.models import BatchKind, ImportBatch
from exchange.services.batches import batch_run
from exchange.services.samples import placement_rows_generate, rows_to_csv


class Command(BaseCommand):
    help = "Time the placement import of a generated file (writes to the current database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--creditor", default="Benchmark Bank")
        parser.add_argument("--team", default="Benchmark Team")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = options["rows"]
        team, _created = Team.objects.get_or_create(name=options["team"])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"placements-{rows}.csv"
            started = time.perf_counter()
            path.write_bytes(
                rows_to_csv(
                    placement_rows_generate(
                        rows=rows, seed=options["seed"], creditor=options["creditor"]
                    )
                )
            )
            generated = time.perf_counter() - started
            size = path.stat().st_size
            with path.open("rb") as handle:
                batch = ImportBatch(kind=BatchKind.PLACEMENTS, team=team, original_name=path.name)
                batch.file.save(path.name, File(handle), save=False)
                batch.save()
        started = time.perf_counter()
        batch_run(batch_id=batch.pk)
        elapsed = time.perf_counter() - started
        batch.refresh_from_db()
        self.stdout.write(
            f"generated {rows} rows ({size:,} bytes) in "
            f"{generated:.1f}s\nimported in {elapsed:.1f}s ({rows / elapsed:,.0f} rows/s): "
            f"{batch.status} {batch.summary}"
        )
