"""Reading lead files as people send them: CSV/TSV in UTF-8 (± BOM) or UTF-16, or .xlsx; streamed, never whole."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from callbot.errors import IntakeError
from scoring.text import fold_text

FIELDS = ("name", "phone", "email", "service", "source", "registered_at", "province")
# Header spellings per field, compared folded (lower-case, no diacritics, punctuation as spaces). English,
# Vietnamese with or without diacritics, Facebook Lead Ads (full_name, phone_number, created_time, platform)
# and Google Ads lead forms (Full Name, User Phone, User Email).
HEADERS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "full name",
        "fullname",
        "full_name",
        "ho ten",
        "ho va ten",
        "ten",
        "ten khach hang",
        "khach hang",
        "ho ten khach hang",
        "customer name",
        "contact name",
        "user name",
    ),
    "phone": (
        "phone",
        "phone number",
        "phone_number",
        "mobile",
        "mobile phone",
        "so dien thoai",
        "sdt",
        "dien thoai",
        "so dt",
        "dt",
        "tel",
        "telephone",
        "user phone",
        "dien thoai di dong",
        "di dong",
        "so di dong",
        "zalo",
        "so zalo",
        "contact number",
    ),
    "email": ("email", "e mail", "mail", "dia chi email", "user email", "email address", "thu dien tu"),
    "service": (
        "service",
        "product",
        "dich vu",
        "san pham",
        "goi dich vu",
        "nhu cau",
        "interest",
        "dich vu quan tam",
        "san pham quan tam",
        "khoa hoc",
    ),
    "source": ("source", "nguon", "kenh", "channel", "platform", "nguon khach", "lead source", "utm source"),
    "registered_at": (
        "registered at",
        "created time",
        "created_time",
        "created at",
        "thoi gian dang ky",
        "ngay dang ky",
        "thoi gian",
        "date",
        "submitted at",
        "submission date",
        "lead submission time",
        "ngay tao",
        "timestamp",
        "dau thoi gian",
    ),
    "province": (
        "tinh thanh",
        "tinh thanh pho",
        "tinh",
        "thanh pho",
        "province",
        "city",
        "khu vuc",
        "dia chi",
        "region",
    ),
}
_LOOKUP = {name: fld for fld, names in HEADERS.items() for name in names}
SNIFF_BYTES = 64 * 1024


@dataclass
class LeadFile:
    """An opened lead file: its header, which column holds which lead field, and its data rows as a stream."""

    path: Path
    headers: list[str]
    mapping: dict[str, int]  # field -> column index
    rows: Iterator[tuple[int, list[str]]]  # (line or spreadsheet row number, cells)
    kind: str  # "csv" · "tsv" · "xlsx"
    encoding: str | None = None
    size_hint: int | None = None  # rows expected, when cheap to know (for progress bars)
    _closers: list[Any] = field(default_factory=list)
    # UTF-8 text only (what intake may split between worker processes): the separator, the byte offset where the
    # data rows begin and the physical line number of the header.
    delimiter: str | None = None
    data_offset: int | None = None
    header_line: int | None = None

    def close(self) -> None:
        for closer in self._closers:
            closer.close()

    def __enter__(self) -> LeadFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def field_of(self, cells: list[str], fld: str) -> str | None:
        """The value of a lead field in a row (None when the column is absent or the cell empty)."""
        index = self.mapping.get(fld)
        if index is None or index >= len(cells):
            return None
        return cells[index].strip() or None


def map_headers(headers: list[str], overrides: dict[str, str] | None = None) -> dict[str, int]:
    """Which column holds each lead field; `overrides` (field → header) win. Raises without a phone column."""
    mapping: dict[str, int] = {}
    for index, header in enumerate(headers):
        fld = _LOOKUP.get(fold_text(header).replace("_", " ")) or _LOOKUP.get(fold_text(header))
        if fld and fld not in mapping:
            mapping[fld] = index
    for fld, header in (overrides or {}).items():
        if fld not in FIELDS:
            raise IntakeError(f"--map {fld}=…: unknown field (one of {', '.join(FIELDS)})")
        if header not in headers:
            raise IntakeError(
                f"--map {fld}={header}: the file has no column {header!r} (columns: {', '.join(headers)})"
            )
        mapping[fld] = headers.index(header)
    if "phone" not in mapping:
        raise IntakeError(
            "no phone column found among the columns "
            + ", ".join(repr(h) for h in headers)
            + "; name it e.g. 'Số điện thoại' or 'Phone', or use --map phone=HEADER"
        )
    return mapping


def open_lead_file(path: Path, overrides: dict[str, str] | None = None) -> LeadFile:
    """Open a lead file of any supported kind; errors name the problem (encoding, empty, no phone column)."""
    path = Path(path)
    if not path.exists():
        raise IntakeError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _open_xlsx(path, overrides)
    if path.suffix.lower() == ".xls":
        raise IntakeError(f"{path}: old Excel .xls files are not supported; save it as .xlsx or CSV UTF-8")
    return _open_text(path, overrides)


def _detect_encoding(head: bytes, path: Path) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(b"PK\x03\x04"):
        raise IntakeError(f"{path}: this is a zip/Excel file; give it the .xlsx extension")
    # UTF-16 without BOM: every other byte of ASCII text is NUL.
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4:
        return "utf-16-be"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the end of the sample
            raise IntakeError(
                f"{path}: not UTF-8 or UTF-16 text (byte 0x{head[exc.start]:02x} at offset {exc.start}); "
                "open it in Excel and save as 'CSV UTF-8' or 'Unicode Text'"
            ) from None
    return "utf-8"


def _open_text(path: Path, overrides: dict[str, str] | None) -> LeadFile:
    lines = TextLines(path)
    try:
        return _read_text_header(path, lines, overrides)
    except BaseException:
        lines.close()
        raise


class TextLines:
    """A text file's lines, decoded one at a time so that a bad byte is reported on its own line."""

    def __init__(self, path: Path):
        self.path = path
        self._raw = path.open("rb")
        head = self._raw.read(SNIFF_BYTES)
        self._raw.seek(0)
        if not head.strip():
            self._raw.close()
            raise IntakeError(f"{path}: the file is empty")
        try:
            self.encoding = _detect_encoding(head, path)
        except IntakeError:
            self._raw.close()
            raise
        self.number = 0  # physical line number of the last line handed out
        self._first = True  # the first line may start with a BOM
        self._text: IO[str] | None = None
        if self.encoding.startswith("utf-16"):
            # Two-byte text: the codec finds the line ends; a bad byte here is rare and reported near its line.
            self._text = io.TextIOWrapper(self._raw, encoding=self.encoding, errors="strict", newline="")

    def seek(self, offset: int, number: int) -> None:
        """Go on from a byte offset of a UTF-8 file where physical line `number` + 1 begins."""
        if self._text is not None:
            raise ValueError("only UTF-8 files can be read from an offset")
        self._raw.seek(offset)
        self.number = number
        self._first = False

    def tell(self) -> int | None:
        """The byte offset of the next line of a UTF-8 file (None for UTF-16, which a codec reads ahead)."""
        return None if self._text is not None else self._raw.tell()

    def __iter__(self) -> Iterator[str]:
        if self._text is not None:
            try:
                for line in self._text:
                    self.number += 1
                    yield line
            except UnicodeDecodeError as exc:
                raise IntakeError(
                    f"{self.path}: near line {self.number + 1}: not valid UTF-16 ({exc.reason})"
                ) from None
            return
        for raw_line in self._raw:
            self.number += 1
            try:
                line = raw_line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise IntakeError(
                    f"{self.path}: line {self.number} is not valid UTF-8 (byte 0x{raw_line[exc.start]:02x} at "
                    f"column {exc.start + 1}); save the file as 'CSV UTF-8'"
                ) from None
            if self._first:
                line, self._first = line.lstrip("\ufeff"), False
            yield line

    def close(self) -> None:
        (self._text or self._raw).close()


def _read_text_header(path: Path, lines: TextLines, overrides: dict[str, str] | None) -> LeadFile:
    source = iter(lines)
    header_line = ""
    for header_line in source:
        if header_line.strip():
            break
    if not header_line.strip():
        raise IntakeError(f"{path}: the file has no header row")
    candidates = [d for d in ("\t", ";", ",") if d in header_line]
    delimiter = max(candidates, key=header_line.count) if candidates else ","
    headers = [h.strip() for h in next(csv.reader([header_line], delimiter=delimiter))]
    header_number = lines.number
    reader = csv.reader(source, delimiter=delimiter)
    return LeadFile(
        path=path,
        headers=headers,
        mapping=map_headers(headers, overrides),
        rows=_text_rows(reader, lines, header_number),
        kind="tsv" if delimiter == "\t" else "csv",
        encoding=lines.encoding,
        _closers=[lines],
        delimiter=delimiter,
        data_offset=lines.tell(),
        header_line=header_number,
    )


def text_rows_from(path: Path, delimiter: str, offset: int, line: int) -> tuple[Iterator[tuple[int, list[str]]], Any]:
    """The rows of a UTF-8 lead file from a byte offset where a record begins on physical line `line`, read exactly
    as open_lead_file reads them, and what to close when done."""
    lines = TextLines(path)
    try:
        lines.seek(offset, line - 1)
    except BaseException:
        lines.close()
        raise
    return _text_rows(csv.reader(iter(lines), delimiter=delimiter), lines, line - 1), lines


def _text_rows(reader: Any, lines: TextLines, header_number: int) -> Iterator[tuple[int, list[str]]]:
    start = header_number + 1  # the physical line where the next record begins
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise IntakeError(f"{lines.path}: line {lines.number}: {exc}") from None
        if any(row) and (len(row) > 1 or row[0].strip()):  # skip blank lines (cheaply: this runs per row)
            yield start, row
        start = lines.number + 1


def read_text_lines(path: Path) -> Iterator[str]:
    """The lines of a text file in whatever encoding lead files come in (for simple one-column lists)."""
    lines = TextLines(path)
    try:
        yield from lines
    finally:
        lines.close()


def _open_xlsx(path: Path, overrides: dict[str, str] | None) -> LeadFile:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise IntakeError(f"{path}: cannot read this Excel file ({type(exc).__name__}: {exc})") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    headers, header_row = None, 0
    for values in rows:
        header_row += 1
        cells = [_cell_text(v) for v in values]
        if any(cells):
            headers = [c.strip() for c in cells]
            break
    if headers is None:
        book.close()
        raise IntakeError(f"{path}: the first sheet is empty")
    try:
        mapping = map_headers(headers, overrides)
    except IntakeError:
        book.close()
        raise

    def data() -> Iterator[tuple[int, list[str]]]:
        number = header_row
        try:
            for number, values in enumerate(rows, start=header_row + 1):  # noqa: B007 (read in the except)
                cells = [_cell_text(v) for v in values]
                if any(c.strip() for c in cells):
                    yield number, cells
        except Exception as exc:  # openpyxl reads lazily: a damaged sheet fails here, not at open time
            raise IntakeError(
                f"{path}: cannot read row {number + 1} of the Excel file ({type(exc).__name__}: {exc})"
            ) from None

    size = (sheet.max_row - header_row) if sheet.max_row else None
    return LeadFile(path, headers, mapping, data(), "xlsx", None, size, [book])


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees (numbers without '.0', dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def count_data_lines(path: Path) -> int | None:
    """A cheap upper bound of a text file's data rows (newlines), for a progress bar."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return None
    lines = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)
