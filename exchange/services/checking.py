"""Row checks in a second process, streamed back in file order.

Checking a row is pure Python (phone numbers, emails, amounts) and needs no database; writing
the checked rows is mostly PostgreSQL's work. For a large file the check runs in a forked
child while the parent writes the rows already checked, so the two use both cores instead of
one after the other. The child gets the rows by fork (no copy through a pipe) and sends back
each block's results in order; it never touches the database connection it inherited, and it
ends with the parent: a write to a pipe nobody reads fails.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from django.utils import translation

from .rows import RowProblem

BLOCK = 1000

Check = Callable[[int, dict[str, str]], tuple[Any, list[RowProblem]]]


class RowCheckFailed(Exception):
    """The checking process failed or ended before sending every row."""


def child_check_possible() -> bool:
    """A fork is available and allowed here (a daemonic process may not have children), and
    there is a second core to run it on."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
        and (os.cpu_count() or 1) > 1
    )


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
) -> Iterator[tuple[Any, list[RowProblem]]]:
    """`check(number, cells)` of every row of `raw`, in order, computed in a forked process.

    Close the iterator (contextlib.closing) so the child is stopped when the caller stops early.
    """
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        args=(check, raw, writer, reader, translation.get_language()),
        daemon=True,
    )
    child.start()
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
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
            child.join()
