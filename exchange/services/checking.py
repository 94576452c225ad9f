"""Row checks in a second process, streamed back in file order.

Checking a row is pure Python (phone numbers, emails, amounts) and needs no database; writing
the checked rows is mostly PostgreSQL's work. For a large file the check runs in a forked
child while the parent writes the rows already checked, so the two use both cores instead of
one after the other. The child gets the rows by fork (no copy through a pipe) and sends back
each block's results in order; it never touches the database connection it inherited, and it
ends with the parent: a write to a pipe nobody reads fails.

Here too: the refusal of a row whose key an earlier row has (`Duplicates`), which both ways of
running a batch share, and the run that applies rows as their checks arrive
(`rows_check_beside_apply`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Callable, Generator
from contextlib import closing
from multiprocessing.connection import Connection
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from exchange.models import BatchStatus, ImportBatch

from .rows import Importer, RowProblem, RowsRejected

BLOCK = 1000

Check = Callable[[int, dict[str, str]], tuple[Any, list[RowProblem]]]


class RowCheckFailed(Exception):
    """The checking process failed or ended before sending every row."""


def child_check_possible() -> bool:
    """The system can fork and there is a second core to run the child on."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


def _child(
    check: Check,
    raw: list[tuple[int, dict[str, str]]],
    writer: Connection,
    reader: Connection,
    language: str | None,
) -> None:
    reader.close()  # the parent holds the only reading end: its death breaks our writes
    if language:
        translation.activate(language)  # messages in the language the parent speaks
    try:
        for start in range(0, len(raw), BLOCK):
            writer.send(("rows", [check(n, cells) for n, cells in raw[start : start + BLOCK]]))
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent is gone; nothing to report to
    except Exception:
        writer.send(("failed", traceback.format_exc()))
    finally:
        writer.close()


def rows_checked_in_child(
    check: Check, raw: list[tuple[int, dict[str, str]]]
) -> Generator[tuple[Any, list[RowProblem]], None, None]:
    """`check(number, cells)` of every row of `raw`, in order, computed in a forked process.

    Close the iterator (contextlib.closing) so the child is stopped when the caller stops early.
    """
    reader, writer = multiprocessing.Pipe(duplex=False)
    language = translation.get_language()
    # os.fork, not multiprocessing.Process: the job runs in a Celery pool process, which
    # multiprocessing calls daemonic and forbids children. What that rule guards against (an
    # orphan left running) cannot happen here: the child stops when its pipe breaks.
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _child(check, raw, writer, reader, language)
            code = 0
        finally:
            os._exit(code)  # no cleanup: the parent's database connection is not ours to close
    writer.close()
    try:
        remaining = len(raw)
        while remaining > 0:
            try:
                kind, payload = reader.recv()
            except EOFError:
                raise RowCheckFailed("the checking process ended early") from None
            if kind == "failed":
                raise RowCheckFailed(payload)
            remaining -= len(payload)
            yield from payload
    finally:
        reader.close()
        _reap(pid)


def _reap(pid: int) -> None:
    """Wait for the child to end (it does once the pipe is read to the end or closed)."""
    deadline = time.monotonic() + 5
    try:
        while time.monotonic() < deadline:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except ChildProcessError:
        return  # already reaped


class Duplicates:
    """A second row with the key of an earlier one is refused, whatever else it holds."""

    def __init__(self, importer: Importer) -> None:
        self.importer = importer
        self.seen: dict[Any, int] = {}

    def check(
        self, number: int, cells: dict[str, str], row: Any, problems: list[RowProblem]
    ) -> tuple[Any, list[RowProblem]]:
        importer = self.importer
        if row is None or importer.key is None:
            return row, problems
        key = importer.key(row)
        if key is None:
            return row, problems
        if key in self.seen:
            message = _("Duplicate of row %(n)d (same %(column)s).") % {
                "n": self.seen[key],
                "column": importer.key_columns,
            }
            column = importer.key_columns
            return None, [RowProblem(number, column, cells.get(column, ""), message)]
        self.seen[key] = number
        return row, problems


class CheckRejected(Exception):
    """Raised inside the batch transaction to undo it: the file failed its check."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def rows_check_beside_apply(
    batch: ImportBatch,
    importer: Importer,
    raw: list[tuple[int, dict[str, str]]],
    state: dict[str, Any],
    progress: Any,
    progress_every: int,
) -> tuple[list[RowProblem], list[RowProblem]]:
    """A large file: rows are checked in a child process while the rows already checked are
    applied, in the same chunks and order as `batches._rows_apply` would (the clean rows, cut every
    `chunk_size`). The outcome is the one of checking first: once a row fails (and not
    `valid_only`) nothing more is applied and the transaction is undone at the end, with the
    check's problems as the report; an error while applying only counts if the file passed
    its check. Returns (the check's problems, the rows refused while applying)."""
    problems: list[RowProblem] = []
    refused: list[RowProblem] = []
    pending: list[Any] = []
    duplicates = Duplicates(importer)
    done = 0
    apply_error: Exception | None = None

    def apply_pending() -> None:
        nonlocal pending, done, apply_error
        rows, pending = pending, []
        if apply_error is not None or (problems and not batch.valid_only):
            return  # the batch will not commit: no point writing more
        try:
            refused.extend(importer.apply(batch, rows, state))
        except Exception as exc:
            apply_error = exc
            return
        done += len(rows)
        progress.write(min(done, batch.total_rows))

    progress.write(0, status=BatchStatus.IMPORTING)
    with closing(rows_checked_in_child(importer.check, raw)) as results, transaction.atomic():
        for index, ((number, cells), checked) in enumerate(zip(raw, results, strict=True), 1):
            row, row_problems = duplicates.check(number, cells, *checked)
            problems.extend(row_problems)
            if row is not None:
                pending.append(row)
                if len(pending) >= importer.chunk_size:
                    apply_pending()
            if problems and not batch.valid_only and index % progress_every == 0:
                progress.write(index)  # only checking now: say how far
        if problems and not batch.valid_only:
            raise CheckRejected(problems)
        if pending:
            apply_pending()
        if apply_error is not None:
            raise apply_error
        if refused and not batch.valid_only:
            raise RowsRejected(refused)
        if importer.finish is not None:
            importer.finish(batch, state)
    return problems, refused
