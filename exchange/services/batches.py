"""An import batch from upload to result.

`batch_create` stores the file and queues the job; `batch_run` (the job) checks every row, then
applies the whole file in ONE transaction: a batch is all-or-nothing, so a job killed half-way
leaves the database as it was. With `valid_only` the good rows go in and the bad ones are
reported. Progress is written where the page can see it while the transaction is still open.
A large file is checked in a second process while the rows already checked are applied, with
the same outcome as checking first (see `checking.rows_check_beside_apply`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.validators import validate_upload
from exchange.models import BatchKind, BatchStatus, ImportBatch, ImportRowError

from .checking import CheckRejected, Duplicates, child_check_possible, rows_check_beside_apply
from .readers import FileUnreadable, header_check, table_open
from .rows import Importer, RowProblem, RowsRejected

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UPLOAD_TYPES = ("csv", "xlsx", "txt")
PROGRESS_EVERY = 2000
# From this many rows the check runs in a second process beside the writes (see checking.py).
CHECK_BESIDE_APPLY_FROM = 10_000
# A batch still "running" after this long lost its worker; the job may take it again.
STALE_AFTER = timedelta(minutes=30)
RUNNING = (BatchStatus.VALIDATING, BatchStatus.IMPORTING)


def importer_for(kind: str) -> Importer:
    from .agency import AGENCY
    from .payment_feed import PAYMENTS
    from .placements import PLACEMENTS
    from .recalls import RECALLS

    return {
        BatchKind.PLACEMENTS: PLACEMENTS,
        BatchKind.PAYMENTS: PAYMENTS,
        BatchKind.RECALLS: RECALLS,
        BatchKind.AGENCY: AGENCY,
    }[BatchKind(kind)]


def teams_importable_by(user: User) -> list[Team]:
    """Managers import for the teams they manage or belong to; admins for any team."""
    if not user.is_active or not user.can_write:
        return []
    if user.is_admin_role:
        return list(Team.objects.all())
    if user.is_manager:
        return list(Team.objects.filter(id__in=_manager_team_ids(user)))
    return []


def _manager_team_ids(user: User) -> set[int]:
    ids = set(user.managed_teams.values_list("id", flat=True))
    if user.team_id:
        ids.add(user.team_id)
    return ids


def batch_create(
    *,
    kind: str,
    upload: UploadedFile,
    actor: User,
    team: Team | None = None,
    valid_only: bool = False,
    run: bool = True,
) -> ImportBatch:
    """Store an uploaded file as a batch and queue its job after commit."""
    if not (actor.is_admin_role or actor.is_manager) or not actor.can_write:
        raise PermissionDenied(_("Only managers and administrators import files."))
    if kind not in BatchKind.values:
        raise ValidationError({"kind": _("Unknown kind of file.")})
    if team is None and actor.is_manager:
        team = actor.team or actor.managed_teams.first()
    if team is not None and team not in teams_importable_by(actor):
        raise PermissionDenied(_("You cannot import for this team."))
    if kind == BatchKind.PLACEMENTS and team is None:
        raise ValidationError({"team": _("Choose the team the new cases go to.")})
    name = upload.name or "upload"
    try:
        # Extension, declared type and the file's own first bytes must agree: a workbook is a
        # zip, a CSV is UTF-8 text without NUL bytes. Refused here, nothing is stored; the
        # job still reads the whole file and rejects a batch that goes wrong further in.
        validate_upload(upload, UPLOAD_TYPES, MAX_UPLOAD_BYTES)
    except ValidationError as exc:
        raise ValidationError({"file": exc.error_list}) from exc
    batch = ImportBatch(
        kind=kind,
        team=team,
        original_name=name[:255],
        valid_only=valid_only,
        created_by=actor,
    )
    batch.file.save(name, upload, save=False)
    batch.save()
    if run:
        from exchange.tasks import import_run

        batch_id = batch.pk
        # robust: with the broker down the upload still answers; the batch stays pending in
        # the database and batches_requeue (every few minutes) hands it to a worker later.
        transaction.on_commit(lambda: import_run.delay(batch_id), robust=True)
    return batch


def batches_requeue(*, older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    """Enqueue again the batches no worker has taken: pending ones whose message was lost
    (broker down at upload time) and stale running ones (a killed worker). Safe to repeat:
    a batch is claimed by compare-and-swap, so a second message for it does nothing."""
    from exchange.tasks import import_run

    now = timezone.now()
    waiting = ImportBatch.objects.filter(
        status=BatchStatus.PENDING, created_at__lt=now - older_than
    ) | ImportBatch.objects.filter(status__in=RUNNING, started_at__lt=now - STALE_AFTER)
    ids = list(waiting.values_list("pk", flat=True)[:100])
    for batch_id in ids:
        import_run.delay(batch_id)
    return ids


def _claim(batch_id: int) -> bool:
    """Compare-and-swap to VALIDATING, so two workers never run one batch side by side."""
    now = timezone.now()
    fresh = ImportBatch.objects.filter(pk=batch_id, status=BatchStatus.PENDING)
    stale = ImportBatch.objects.filter(
        pk=batch_id, status__in=RUNNING, started_at__lt=now - STALE_AFTER
    )
    update = {"status": BatchStatus.VALIDATING, "started_at": now, "processed_rows": 0}
    return bool(fresh.update(**update) or stale.update(**update))


class _Progress:
    """Writes processed_rows where the polling page can read it.

    During checking there is no transaction: a plain UPDATE. While the batch transaction is
    open its writes are invisible to others, so on PostgreSQL progress goes through a second
    connection in autocommit. The batch row itself is never written inside the transaction,
    so that connection never waits on a lock we hold. (SQLite has one writer at a time: no
    progress during the write phase there.)
    """

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id
        self.side: Any = None

    def write(self, processed: int, *, status: str | None = None) -> None:
        values: dict[str, Any] = {"processed_rows": processed}
        if status:
            values["status"] = status
        if not connection.in_atomic_block:
            ImportBatch.objects.filter(pk=self.batch_id).update(**values)
            return
        if connection.vendor != "postgresql":
            return
        if self.side is None:
            self.side = connections.create_connection("default")
        with self.side.cursor() as cursor:
            cursor.execute(
                "UPDATE exchange_importbatch SET processed_rows = %s WHERE id = %s",
                [processed, self.batch_id],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _errors_store(batch: ImportBatch, problems: list[RowProblem]) -> None:
    ImportRowError.objects.bulk_create(
        [
            ImportRowError(
                batch=batch,
                row_number=p.row_number,
                column=p.column[:64],
                value=str(p.value)[:300],
                message=p.message[:300],
            )
            for p in problems
        ],
        batch_size=5000,
    )


def _finish(
    batch: ImportBatch,
    *,
    status: str,
    problems: list[RowProblem],
    summary: dict[str, int],
    message: str = "",
) -> None:
    _errors_store(batch, problems)
    batch.status = status
    batch.error_count = len({p.row_number for p in problems})
    batch.summary = summary
    batch.message = message
    batch.finished_at = timezone.now()
    batch.processed_rows = batch.total_rows
    batch.save(
        update_fields=[
            "status",
            "error_count",
            "summary",
            "message",
            "finished_at",
            "processed_rows",
        ]
    )


def _rows_read(batch: ImportBatch, importer: Importer) -> list[tuple[int, dict[str, str]]] | None:
    """Every row of the file; None (batch finished as rejected) when the file is unreadable."""
    with batch.file.open("rb") as handle:
        try:
            table = table_open(handle, name=batch.original_name)
            missing = header_check(table.header, required=importer.required_columns)
            if missing:
                raise FileUnreadable(_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)})
            raw = list(table.rows)
        except FileUnreadable as exc:
            problem = RowProblem(1, "", "", str(exc))
            _finish(batch, status=BatchStatus.REJECTED, problems=[problem], summary={})
            return None
    batch.total_rows = len(raw)
    ImportBatch.objects.filter(pk=batch.pk).update(total_rows=batch.total_rows)
    return raw


def _rows_check(
    importer: Importer, raw: list[tuple[int, dict[str, str]]], progress: _Progress
) -> tuple[list[Any], list[RowProblem]]:
    """Every row checked, in this process."""
    clean: list[Any] = []
    problems: list[RowProblem] = []
    duplicates = Duplicates(importer)
    for index, (number, cells) in enumerate(raw, start=1):
        row, row_problems = duplicates.check(number, cells, *importer.check(number, cells))
        if row is not None:
            clean.append(row)
        problems.extend(row_problems)
        if index % PROGRESS_EVERY == 0:
            progress.write(index)
    return clean, problems


def _check_beside_apply(raw: list[Any]) -> bool:
    # PostgreSQL only: progress during the write needs its second connection.
    return (
        len(raw) >= CHECK_BESIDE_APPLY_FROM
        and connection.vendor == "postgresql"
        and child_check_possible()
    )


def batch_run(*, batch_id: int) -> ImportBatch | None:
    """The job: check, then apply in one transaction. Safe to run twice (the claim)."""
    if not _claim(batch_id):
        return None
    batch = ImportBatch.objects.select_related("team", "created_by").get(pk=batch_id)
    importer = importer_for(batch.kind)
    progress = _Progress(batch.pk)
    try:
        started = time.monotonic()
        raw = _rows_read(batch, importer)
        if raw is None:
            return batch
        state: dict[str, Any] = {}
        if _check_beside_apply(raw):
            try:
                problems, refused = rows_check_beside_apply(
                    batch, importer, raw, state, progress, PROGRESS_EVERY
                )
            except (CheckRejected, RowsRejected) as exc:
                problems = sorted(exc.problems, key=lambda p: p.row_number)
                _finish(batch, status=BatchStatus.REJECTED, problems=problems, summary={})
                return batch
        else:
            clean, problems = _rows_check(importer, raw, progress)
            log.info(
                "batch %s: %d rows checked in %.1fs",
                batch.pk,
                batch.total_rows,
                time.monotonic() - started,
            )
            if problems and not batch.valid_only:
                _finish(batch, status=BatchStatus.REJECTED, problems=problems, summary={})
                return batch
            progress.write(0, status=BatchStatus.IMPORTING)
            try:
                refused = _rows_apply(batch, importer, clean, state, progress)
            except RowsRejected as exc:
                problems = sorted(problems + exc.problems, key=lambda p: p.row_number)
                _finish(batch, status=BatchStatus.REJECTED, problems=problems, summary={})
                return batch
        problems = sorted(problems + refused, key=lambda p: p.row_number)
        summary = {k: v for k, v in state.items() if not k.startswith("_") and isinstance(v, int)}
        log.info(
            "batch %s: %d rows done in %.1fs (%s)",
            batch.pk,
            batch.total_rows,
            time.monotonic() - started,
            summary,
        )
        _finish(
            batch,
            status=BatchStatus.PARTIAL if problems else BatchStatus.SUCCEEDED,
            problems=problems,
            summary=summary,
        )
        return batch
    except Exception as exc:
        # Nothing of the file was committed (one transaction); say so on the batch.
        log.exception("import batch %s failed", batch_id)
        batch.refresh_from_db()
        _finish(
            batch,
            status=BatchStatus.FAILED,
            problems=[],
            summary={},
            message=_("The import stopped with an internal error; nothing was imported.")
            + f" ({type(exc).__name__})",
        )
        return batch
    finally:
        progress.close()


def _rows_apply(
    batch: ImportBatch,
    importer: Importer,
    clean: list[Any],
    state: dict[str, Any],
    progress: _Progress,
) -> list[RowProblem]:
    refused: list[RowProblem] = []
    done = 0
    with transaction.atomic():
        for chunk in _chunks(clean, importer.chunk_size):
            refused.extend(importer.apply(batch, chunk, state))
            done += len(chunk)
            progress.write(min(done, batch.total_rows))
        if refused and not batch.valid_only:
            # Every row was tried, so the report lists all refusals; then all is undone.
            raise RowsRejected(refused)
        if importer.finish is not None:
            importer.finish(batch, state)
    return refused
