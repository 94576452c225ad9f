"""The history CSV written by PostgreSQL: each row arrives as its finished CSV line.

Formatting sixteen cells per row in Python (the formula guard, the timestamp, the CSV quoting)
costs several times what the database needs to send the row. Here the database builds the
line, and Python only joins lines into chunks. The output is byte for byte that of
`audit.exports.history_csv_rows` (the row-by-row Python, which stays the reference and the
path for other databases); `tests/audit/test_export_sql.py` compares the two.

How each cell matches the Python path:

- text cells get `config.csvsafe.csv_safe`'s guard (a leading "'" when the first character is
  one of `FORMULA_TRIGGERS`), then the `csv` module's minimal quoting: a cell holding a comma,
  a double quote, CR or LF is quoted and its quotes doubled. NULL and "" are both empty.
- the time is `datetime.isoformat()` of the UTC value: microseconds only when not zero, then
  "+00:00".
- ids are the integer's digits; `case_ref or ""` and `decision_ref or ""` leave 0 empty too.
- "Reasons" is empty when there are none (NULL or []); otherwise the line comes with that
  cell empty and the JSON beside it, and Python builds the cell with
  `audit.exports.reason_codes` and the csv module, as the reference does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, transaction

from config.csvsafe import FORMULA_TRIGGERS

# The first character of a cell that `csv_safe` neutralises, as a constant SQL array
# (chr() of constants is folded once when the statement is planned).
_TRIGGERS = "ARRAY[" + ", ".join(f"chr({ord(c)})" for c in FORMULA_TRIGGERS) + "]"
# The characters that make the csv module quote a cell (delimiter, quote, line terminator).
_NEEDS_QUOTES = "('[\",' || chr(13) || chr(10) || ']')"
_CRLF = "chr(13) || chr(10)"
_TEXT, _PLAIN = "text", "plain"


def _guarded(expr: str) -> str:
    """`csv_safe` of a text value: a leading "'" when it starts with a formula trigger."""
    return f"(CASE WHEN left({expr}, 1) = ANY({_TRIGGERS}) THEN '''' || {expr} ELSE {expr} END)"


def _quoted(expr: str) -> str:
    """The csv module's minimal quoting of a text cell."""
    return (
        f"(CASE WHEN {expr} ~ {_NEEDS_QUOTES} "
        f"""THEN '"' || replace({expr}, '"', '""') || '"' ELSE {expr} END)"""
    )


def _number(expr: str) -> str:
    return f"COALESCE(({expr})::text, '')"


def _number_or_empty(expr: str) -> str:
    """`value or ""` of an id: None and 0 are both empty."""
    return f"COALESCE(NULLIF(({expr})::text, '0'), '')"


def _timestamp(expr: str) -> str:
    """`datetime.isoformat()` of the UTC value; microseconds only when they are not zero (no
    other part of the text holds a '.', so removing '.000000' touches nothing else)."""
    return (
        f"COALESCE(replace(to_char(({expr}) AT TIME ZONE 'UTC', "
        f"""'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '') || '+00:00', '')"""
    )


def _reasons(expr: str) -> str:
    """The Reasons cell when the JSON has no reasons (SQL NULL or []: "", as `reason_codes`
    says), else NULL: Python builds the cell from the JSON with `reason_codes` itself. Only
    flagged attempts and blocked tries have reasons. (Building the codes here with a
    jsonb_array_elements subquery cost two microseconds on every row, even where it never
    ran.)"""
    return f"CASE WHEN {expr} IS NULL OR {expr} = '[]'::jsonb THEN '' END"


def _cells(h: str) -> list[tuple[str, str]]:
    """The sixteen cells in the order of `history_values`. Text cells are guarded and may need
    quoting; the others are digits, "yes", an ISO timestamp or an empty Reasons cell, which
    never start with a formula trigger nor hold a comma, a quote or a line break."""
    return [
        (_TEXT, f"{h}.row_kind"),
        (_PLAIN, _timestamp(f"{h}.at")),
        (_PLAIN, _number(f"{h}.debtor_ref")),
        (_TEXT, f"{h}.debtor_name"),
        (_PLAIN, _number_or_empty(f"{h}.case_ref")),
        (_TEXT, f"{h}.team_name"),
        (_TEXT, f"{h}.contact_value"),
        (_TEXT, f"{h}.chan"),
        (_TEXT, f"{h}.dir"),
        (_TEXT, f"{h}.result"),
        (_TEXT, f"{h}.origin"),
        (_TEXT, f"{h}.actor_name"),
        (_PLAIN, f"(CASE WHEN {h}.is_flagged THEN 'yes' ELSE '' END)"),
        (_PLAIN, _number_or_empty(f"{h}.decision_ref")),
        (_PLAIN, _reasons(f"{h}.why")),  # NULL: built in Python
        (_PLAIN, _number(f"{h}.row_id")),
    ]


_REASONS = 14  # the index of the Reasons cell in `_cells`


def _order_by(ordering: Sequence[Any], columns: Sequence[str]) -> list[tuple[str, str]] | None:
    """The queryset's ordering as (column, direction), or None if it is not plain columns."""
    terms = []
    for name in ordering:
        if not isinstance(name, str):
            return None
        column = name.removeprefix("-")
        if column not in columns:
            return None
        terms.append((column, "DESC" if name.startswith("-") else "ASC"))
    return terms


def history_lines_sql(
    qs: models.QuerySet, columns: Sequence[str]
) -> tuple[str, Sequence[Any], str] | None:
    """(sql, params, alias) of the query whose rows are (line, why): the finished CSV line and
    NULL; or, when the reasons are left to Python, the line with an empty Reasons cell and
    the JSON text. None when the queryset cannot be wrapped (not PostgreSQL, or not ordered
    by plain columns)."""
    db = qs.db
    if connections[db].vendor != "postgresql":
        return None
    ordering = _order_by(qs.query.order_by, columns)
    if not ordering:
        return None
    try:
        inner, params = qs.order_by().query.get_compiler(using=db).as_sql()
    except EmptyResultSet:  # `.none()`: the header alone, which the Python path writes
        return None
    cells = _cells("h")
    prepared = ", ".join(
        f"{_guarded(expr) if kind == _TEXT else expr} AS cell_{i}"
        for i, (kind, expr) in enumerate(cells)
    )
    texts = ", ".join(f"c.cell_{i}" for i, (kind, _e) in enumerate(cells) if kind == _TEXT)
    plain = (
        "concat_ws(',', " + ", ".join(f"COALESCE(c.cell_{i}, '')" for i in range(len(cells))) + ")"
    )
    quoted = " || ',' || ".join(
        f"COALESCE({_quoted(f'c.cell_{i}') if kind == _TEXT else f'c.cell_{i}'}, '')"
        for i, (kind, _e) in enumerate(cells)
    )
    order = ", ".join(f"h.{column} {direction}" for column, direction in ordering)
    # `c` guards each text cell once: a LATERAL subquery fenced by OFFSET 0, so PostgreSQL
    # does not inline it and repeat the work in every reference below. The ORDER BY stays on
    # the searched rows themselves, so the planner can walk an index in that order and the
    # first lines go out at once instead of after sorting the whole history. Few rows hold a
    # comma, a quote or a line break, so one test over all the text cells of a row decides
    # whether any needs quoting.
    sql = f"""
        SELECT CASE WHEN concat({texts}) ~ {_NEEDS_QUOTES}
                    THEN {quoted} ELSE {plain} END || {_CRLF},
               CASE WHEN c.cell_{_REASONS} IS NULL THEN h.why::text END
        FROM ({inner}) AS h
        CROSS JOIN LATERAL (SELECT {prepared} OFFSET 0) AS c
        ORDER BY {order}
    """  # noqa: S608 (column names and constant SQL only; values are parameters)
    return sql, params, db


def history_lines(
    sql: str,
    params: Sequence[Any],
    db: str,
    *,
    chunk_rows: int,
    reasons_cell: Callable[[str], str],
) -> Iterator[str]:
    """The CSV lines in chunks of `chunk_rows` rows, read through a server-side cursor (so
    memory stays flat); `reasons_cell(json_text)` builds a Reasons cell left to Python.

    The cursor is read inside a transaction: outside one (autocommit) Django declares it
    WITH HOLD, and PostgreSQL then computes and stores the whole result before the first row
    is sent (minutes for ten million attempts). Inside one the rows stream as the index is
    walked, all from one snapshot of the history."""
    with transaction.atomic(using=db), connections[db].chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(chunk_rows)
            if not rows:
                return
            yield "".join(
                [line if why is None else _splice(line, reasons_cell(why)) for line, why in rows]
            )


def _splice(line: str, cell: str) -> str:
    """Put the Reasons cell into a line whose Reasons cell is empty: it is the one before the
    record id, whose digits hold no comma."""
    cut = line.rfind(",")
    return line[:cut] + cell + line[cut:]
