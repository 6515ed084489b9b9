"""Any table of leads (CSV/TSV/semicolon text in UTF-8 or UTF-16, or .xlsx) as header + rows of cells, for the
model commands; unlike a lead file it needs no phone column."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from callbot.errors import IntakeError
from callbot.leadfiles import TextLines, _cell_text
from scoring.features import column_kind, is_missing


@dataclass
class Table:
    headers: list[str]
    rows: list[dict[str, str]]
    separator: str | None  # None for .xlsx

    def column(self, name: str) -> list[str]:
        return [row.get(name, "") for row in self.rows]


def read_table(path: Path) -> Table:
    """Read a whole table; the separator is the one of tab, semicolon and comma the header line holds most."""
    path = Path(path)
    if not path.exists():
        raise IntakeError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    lines = TextLines(path)
    try:
        source = iter(lines)
        header_line = next((line for line in source if line.strip()), "")
        if not header_line.strip():
            raise IntakeError(f"{path}: the file has no header row")
        candidates = [d for d in ("\t", ";", ",") if d in header_line]
        separator = max(candidates, key=header_line.count) if candidates else ","
        headers = [h.strip() for h in next(csv.reader([header_line], delimiter=separator))]
        rows = [cells for cells in csv.reader(source, delimiter=separator) if any(c.strip() for c in cells)]
    finally:
        lines.close()
    return _table(path, headers, rows, separator)


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise IntakeError(f"{path}: cannot read this Excel file ({type(exc).__name__}: {exc})") from None
    try:
        values = [[_cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    values = [row for row in values if any(c.strip() for c in row)]
    if not values:
        raise IntakeError(f"{path}: the first sheet is empty")
    return _table(path, [h.strip() for h in values[0]], values[1:], None)


def _table(path: Path, headers: list[str], rows: list[list[str]], separator: str | None) -> Table:
    named = [(i, h) for i, h in enumerate(headers) if h]  # a trailing separator makes a nameless empty column
    if len({h for _, h in named}) != len(named):
        raise IntakeError(f"{path}: two columns have the same name")
    return Table(
        headers=[h for _, h in named],
        rows=[{h: (cells[i].strip() if i < len(cells) else "") for i, h in named} for cells in rows],
        separator=separator,
    )


def labels(table: Table, target: str, positive: str) -> list[int]:
    """1 where the target column holds `positive` (compared stripped, case-insensitive), else 0."""
    if target not in table.headers:
        raise IntakeError(f"no column {target!r}; the columns are: {', '.join(table.headers)}")
    wanted = positive.strip().casefold()
    return [int(cell.strip().casefold() == wanted) for cell in table.column(target)]


def _parse_time(cell: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(cell.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def time_order(table: Table, column: str | None = None) -> tuple[list[int], str]:
    """The rows' order oldest first and how it was found: by `column`, else by the first date column, else the
    file's own order (a file without dates is taken to be in the order its rows happened)."""
    candidates = [column] if column else [h for h in table.headers if column_kind(table.column(h)) == "datetime"]
    if column and column not in table.headers:
        raise IntakeError(f"no column {column!r} to order by")
    for name in candidates:
        times = [_parse_time(c) if not is_missing(c) else None for c in table.column(name)]
        if column is None and sum(t is None for t in times) > 0.02 * len(times):
            continue
        floor = dt.datetime.min.replace(tzinfo=dt.UTC)
        order = sorted(range(len(times)), key=lambda i: (times[i] or floor, i))
        return order, f"by {name}"
    return list(range(len(table.rows))), "file order"
