"""What every importer shares: a problem found in a row, and the importer's interface."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exchange.models import ImportBatch


@dataclass(frozen=True)
class RowProblem:
    row_number: int
    column: str
    value: str
    message: str


class RowsRejected(Exception):
    """Raised inside the batch transaction to undo it: rows failed while being applied."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} rows refused")
        self.problems = problems


@dataclass(frozen=True)
class Importer:
    """How one kind of file is checked and applied.

    `check(number, cells)` is pure: it returns the clean row or every problem in it.
    `apply(batch, rows, state)` writes one chunk inside the batch transaction and returns the
    rows it had to refuse (unknown account, overpayment...); `state` is a dict the importer
    keeps across chunks, whose int values become the batch summary.
    """

    required_columns: tuple[str, ...]
    check: Callable[[int, dict[str, str]], tuple[Any, list[RowProblem]]]
    apply: Callable[[ImportBatch, list[Any], dict[str, Any]], list[RowProblem]]
    finish: Callable[[ImportBatch, dict[str, Any]], None] | None = None
    # The identity of a row within the file: a second row with the same key is refused.
    key: Callable[[Any], Any] | None = None
    key_columns: str = ""
    chunk_size: int = 2000
