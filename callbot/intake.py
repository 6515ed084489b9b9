"""Intake: lead rows become verdicts (dry run) or leads (import) through one streaming engine; no row is lost.

A big UTF-8 CSV is shared among worker processes: each reads its own byte ranges of the file (cut at line ends) and
screens them; the parent decides which rows repeat a number from an earlier range or the database, and writes (or
stores) the ranges in input order. The workers are forked, so they inherit what they need instead of receiving it
pickled, and they send back only what the parent cannot do without: output text, insert rows, a few numbers. Any
range the workers cannot read exactly as this process would (a quoted field holding a line break, a bad byte, a CSV
error) makes this process read the rest of the file itself, so the result never depends on how the file was split.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gc
import io
import json
import multiprocessing
import os
import re
import signal
import threading
import traceback
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot import compliance, dnc
from callbot.errors import IntakeError
from callbot.leadfiles import LeadFile, map_headers, open_lead_file, read_text_lines, text_rows_from
from callbot.models import Campaign, DoNotCall, Lead
from scoring import LeadFacts, normalize_phone, pre_call_score
from scoring.emails import check_email
from scoring.junk import first_verdict, junk_reasons
from scoring.names import clean_name
from scoring.rank import default_pre_call_score, freshness_code

BATCH = 2000
SAMPLE_LIMIT = 500  # problem rows kept in a report for display; the database keeps them all
CALLABLE = ("ok", "suspect")
# Fields a duplicate row may fill in on the earlier row.
MERGEABLE = ("name", "email", "service", "source", "registered_at")
# Registration times outside these years are placeholders or typos: read as no time at all.
MIN_YEAR, MAX_YEAR = 1970, 2100
# Text files smaller than this are screened in this process: forking workers would not pay for itself.
PARALLEL_MIN_BYTES = 2 << 20
# A do-not-call list up to this size is read once per import (a set in memory) instead of queried per batch.
DNC_PRELOAD = 250_000
DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
)
# The month-first formats and the day-first one before them in DATE_FORMATS that reads the same text ("1/2/2026 9:5"
# fits both); every other pair of formats is disjoint.
_DAY_FIRST_BEFORE = {"%m/%d/%Y %H:%M": "%d/%m/%Y %H:%M", "%m/%d/%Y": "%d/%m/%Y"}
SOURCES = {
    "fb": "facebook",
    "ig": "instagram",
    "facebook": "facebook",
    "instagram": "instagram",
    "google": "google",
    "zalo": "zalo",
    "tiktok": "tiktok",
    "web": "web",
    "website": "web",
}
# The columns of an inserted lead, in the order the screening builds them.
COLUMNS = (
    "campaign_id",
    "row_number",
    "raw",
    "name",
    "phone_raw",
    "phone_e164",
    "email",
    "service",
    "source",
    "registered_at",
    "verdict",
    "reasons",
    "duplicate_of_id",
    "status",
    "attempts",
    "import_batch",
    "created_at",
    "updated_at",
    "pre_score",
    "score",
    "tier",
    "score_reasons",
)
_NAME, _PHONE_RAW, _E164, _EMAIL, _SERVICE, _SOURCE = 3, 4, 5, 6, 7, 8


@dataclass(frozen=True)
class RowResult:
    """What became of one input row."""

    line: int
    verdict: str
    reasons: tuple[str, ...]
    phone_e164: str | None


@dataclass
class IntakeReport:
    """Counts for a whole file, and the first problem rows for display (every row is in the output or database)."""

    campaign_id: int | None = None
    batch: str | None = None
    total: int = 0
    by_verdict: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    problems: list[RowResult] = field(default_factory=list)
    workers: int = 0  # worker processes that screened the file (0: this process alone)

    def add(self, line: int, verdict: str, reasons: tuple[str, ...], e164: str | None) -> None:
        """Count one row (kept for display only when it is a problem and the sample is not full)."""
        self.total += 1
        self.by_verdict[verdict] += 1
        for reason in reasons:
            self.by_reason[reason] += 1
        if verdict not in CALLABLE and len(self.problems) < SAMPLE_LIMIT:
            self.problems.append(RowResult(line, verdict, reasons, e164))

    def add_counts(self, result: _Result) -> None:
        """Count a batch of rows as `add` counts them one by one (reasons in the order they first occur)."""
        self.total += result.rows
        for (verdict, reasons), count in result.counts:
            self.by_verdict[verdict] += count
            for reason in reasons:
                self.by_reason[reason] += count
        room = SAMPLE_LIMIT - len(self.problems)
        if room > 0:
            self.problems.extend(RowResult(*problem) for problem in result.problems[:room])


class TimeParser:
    """Registration times in the formats exports use: day-first Vietnamese dates fast, then ISO and others. The result
    depends on the text alone (the first of DATE_FORMATS that reads it), never on the rows parsed before."""

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)
        self._last: str | None = None  # where to look first; it never changes a result

    def __call__(self, raw: str | None) -> dt.datetime | None:
        value = self.unchecked(raw)
        if value is None or not MIN_YEAR <= value.year <= MAX_YEAR:
            return None  # e.g. 01/01/0001, a blank date some exports write: no time, rather than a crash in UTC
        return value

    def unchecked(self, raw: str | None) -> dt.datetime | None:
        """The time a cell reads as, whatever its year (the JSON API refuses a year out of range, naming it)."""
        if not raw:
            return None
        raw = raw.strip()
        value = self._day_first(raw)
        if value is None:
            try:
                value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                value = self._formats(raw)
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=self.tz)

    @staticmethod
    def _day_first(raw: str) -> dt.datetime | None:
        """dd/mm/yyyy[ HH:MM[:SS]] — what Vietnamese exports write — without strptime's cost."""
        match = _DAY_FIRST.fullmatch(raw)
        if match is None:
            return None
        day, month, year, hour, minute, second = match.groups()
        try:
            return dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        except ValueError:
            return None

    def _formats(self, raw: str) -> dt.datetime | None:
        if self._last is not None:
            value = _strptime(raw, self._last)
            if value is not None:
                # The last format that worked reads this text too; a day-first format earlier in DATE_FORMATS that
                # also reads it wins, as it would in the search in order below.
                earlier = _DAY_FIRST_BEFORE.get(self._last)
                first = _strptime(raw, earlier) if earlier else None
                return value if first is None else first
        for fmt in DATE_FORMATS:
            value = _strptime(raw, fmt)
            if value is not None:
                self._last = fmt
                return value
        return None


def _strptime(raw: str, fmt: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(raw, fmt)
    except ValueError:
        return None


_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def _source(raw: str | None) -> str | None:
    if not raw:
        return None
    return SOURCES.get(raw.strip().lower(), raw.strip()[:50])


def _source_of(headers: list[str]) -> str | None:
    """Exports that say where they come from by their columns alone (Facebook Lead Ads, Google Ads)."""
    lowered = {h.strip().lower() for h in headers}
    if {"ad_id", "form_id"} <= lowered or {"adset_name", "form_name"} <= lowered:
        return "facebook"
    if "gcl_id" in lowered or "user phone" in lowered:
        return "google"
    return None


# --- screening: the per-row work, shared by this process and the workers ------------------------------------


class _Verdict:
    """A verdict with its reasons in every form the outputs need; one shared object per combination (a file has a
    few dozen), so that rows hold a reference and counting them is cheap."""

    __slots__ = ("verdict", "reasons", "text", "json", "callable", "status")

    def __init__(self, verdict: str, reasons: tuple[str, ...]):
        self.verdict = verdict
        self.reasons = reasons
        self.text = ";".join(reasons)
        self.json = json.dumps(list(reasons), ensure_ascii=False)
        self.callable = verdict in CALLABLE
        # A new lead starts here; every later change goes through leads.set_status.
        self.status = "callable" if self.callable else "rejected"


_VERDICTS: dict[tuple[str, tuple[str, ...]], _Verdict] = {}


def _verdict(verdict: str, reasons: tuple[str, ...]) -> _Verdict:
    found = _VERDICTS.get((verdict, reasons))
    if found is None:
        found = _VERDICTS[(verdict, reasons)] = _Verdict(verdict, reasons)
    return found


DUPLICATE = _verdict("duplicate", ("duplicate_phone",))
BLOCKED = _verdict("blocked", ("dnc_listed",))
_FAR = 1 << 62  # the column index of a field the file lacks: past the end of every row


@dataclass
class _Store:
    """What an import stores besides the row's own data, and the caches that make a million rows cheap."""

    campaign_id: int
    batch: str
    now: dt.datetime
    dialect: str
    tz: str
    headers: list[str]
    source_default: str | None

    def __post_init__(self) -> None:
        # SQLite and PostgreSQL get values serialised here (JSON as text, SQLite times as text); others get objects.
        self.serialise = self.dialect in ("sqlite", "postgresql")
        self.now_value = _sqlite_time(self.now) if self.dialect == "sqlite" else self.now
        self.parse_time = TimeParser(self.tz)
        self.times: dict[str | None, tuple[dt.datetime | None, Any, str | None]] = {}
        self.sources: dict[str | None, str | None] = {}
        self.scores: dict[tuple[Any, ...], tuple[int, str, Any]] = {}
        encode = json.encoder.encode_basestring  # type: ignore[attr-defined]
        # raw as json.dumps(dict(zip(headers, cells)), ensure_ascii=False) writes it, built from cached key texts;
        # headers that repeat (a dict keeps one of them) go the slow way.
        self.raw_keys = (
            ["{" + encode(self.headers[0]) + ": "] + [", " + encode(h) + ": " for h in self.headers[1:]]
            if self.serialise and self.headers and len(set(self.headers)) == len(self.headers)
            else None
        )

    def raw(self, cells: list[str]) -> Any:
        keys = self.raw_keys
        if keys is None or not cells:
            value = dict(zip(self.headers, cells, strict=False))
            return json.dumps(value, ensure_ascii=False) if self.serialise else value
        if len(cells) > len(keys):
            cells = cells[: len(keys)]
        return "".join(map(str.__add__, keys, map(json.encoder.encode_basestring, cells))) + "}"  # type: ignore[attr-defined]

    def time(self, raw: str | None) -> tuple[dt.datetime | None, Any, str | None]:
        """(time, as stored, freshness code) for a registration cell; cells repeat, so they are cached."""
        entry = self.times.get(raw)
        if entry is None:
            value = self.parse_time(raw)
            stored = _sqlite_time(value) if value is not None and self.dialect == "sqlite" else value
            entry = (value, stored, freshness_code(value, self.now))
            if len(self.times) >= 50_000:
                self.times.clear()
            self.times[raw] = entry
        return entry

    def source(self, raw: str | None) -> str | None:
        try:
            return self.sources[raw]
        except KeyError:
            value = _source(raw) or self.source_default
            if len(self.sources) >= 10_000:
                self.sources.clear()
            self.sources[raw] = value
            return value

    def score(self, fresh: str | None, source: str | None, name: Any, email: Any, service: Any, v: _Verdict) -> Any:
        """(score, tier, score reasons as stored) with the default weights, cached by what decides it."""
        key = (fresh, source, name is not None, email is not None, service is not None, v)
        found = self.scores.get(key)
        if found is None:
            score = default_pre_call_score(fresh, source, *key[2:5], v.verdict, v.reasons)
            reasons = [{"code": r.code, "points": r.points} for r in score.reasons]
            found = (score.value, score.tier, _json(reasons) if self.serialise else reasons)
            if len(self.scores) >= 10_000:
                self.scores.clear()
            self.scores[key] = found
        return found

    def with_verdict(self, params: tuple[Any, ...], fresh: str | None, v: _Verdict) -> tuple[Any, ...]:
        """An insert row given another verdict (a duplicate of an earlier range, a blocked number), scored again."""
        value, tier, reasons = self.score(fresh, params[_SOURCE], params[_NAME], params[_EMAIL], params[_SERVICE], v)
        return (
            *params[:10],
            v.verdict,
            v.json if self.serialise else list(v.reasons),
            None,
            v.status,
            *params[14:18],
            value,
            value,
            tier,
            reasons,
        )


class _Screener:
    """Gives rows their verdicts against the numbers held so far: `check` for the dry run, `screen` for an import."""

    def __init__(self, lead_file: LeadFile, *, region: str, blocked: Collection[str], store: _Store | None = None):
        mapping = lead_file.mapping
        self.width = len(lead_file.headers)
        self.columns = tuple(
            mapping.get(f, _FAR) for f in ("name", "phone", "email", "service", "source", "registered_at")
        )
        self.region = region
        self.blocked = blocked
        self.store = store
        self._junk: dict[tuple[str | None, tuple[str, ...]], _Verdict] = {}
        self._first: dict[tuple[tuple[str, ...], str | None, str | None], _Verdict] = {}

    def _junk_verdict(self, check: Any) -> _Verdict:
        key = (check.reason, check.notes)
        found = self._junk.get(key)
        if found is None:
            found = self._junk[key] = _verdict("junk", junk_reasons(check))
        return found

    def _first_verdict(self, notes: tuple[str, ...], name_reason: str | None, email_reason: str | None) -> _Verdict:
        key = (notes, name_reason, email_reason)
        found = self._first.get(key)
        if found is None:
            found = self._first[key] = _verdict(*first_verdict(notes, name_reason, email_reason))
        return found

    def check(self, rows: Iterable[tuple[int, list[str]]], seen: set[int], firsts: _Firsts | None) -> _CheckBatch:
        """The dry run's output rows: the input cells (padded or cut to the header's width), verdict, phone_e164,
        reasons. Name and e-mail are judged only where they can change the verdict."""
        ni, pi, ei = self.columns[:3]
        width, region, blocked = self.width, self.region, self.blocked
        junk, first, first_cache = self._junk_verdict, self._first_verdict, self._first
        normalize, name_of, email_of = normalize_phone, clean_name, check_email
        out: list[list[str]] = []
        verdicts: list[_Verdict] = []
        lines: list[int] = []
        if firsts is not None:
            first_at, first_number = firsts.positions.append, firsts.numbers.append
        for line, cells in rows:
            n = len(cells)
            check = normalize(cells[pi].strip() or None if pi < n else None, region)
            key = check.e164
            if key is None:
                v = junk(check)
            elif key in blocked:
                v = BLOCKED
            else:
                number = int(key[1:])
                if number in seen:
                    v = DUPLICATE
                else:
                    seen.add(number)
                    name_reason = name_of(cells[ni].strip() or None if ni < n else None)[1]
                    email_reason = email_of(cells[ei].strip() or None if ei < n else None)[1]
                    v = first_cache.get((check.notes, name_reason, email_reason)) or first(
                        check.notes, name_reason, email_reason
                    )
                    if firsts is not None:
                        first_at(len(out))
                        first_number(number)
            if n != width:
                cells = (cells + [""] * (width - n))[:width]
            cells += (v.verdict, check.e164 or "", v.text)
            out.append(cells)
            verdicts.append(v)
            lines.append(line)
        return _CheckBatch(out, verdicts, lines)

    def screen(self, rows: Iterable[tuple[int, list[str]]], seen: set[int], firsts: _Firsts | None) -> _ImportBatch:
        """The import's insert rows (COLUMNS), each scored before any call."""
        store = self.store
        assert store is not None
        ni, pi, ei, si, oi, ti = self.columns
        region, blocked = self.region, self.blocked
        junk, first, first_cache = self._junk_verdict, self._first_verdict, self._first
        normalize, name_of, email_of = normalize_phone, clean_name, check_email
        times, time_of, sources, source_of = store.times, store.time, store.sources, store.source
        scores, score_of, raw_of = store.scores, store.score, store.raw
        campaign_id, batch, now, serialise = store.campaign_id, store.batch, store.now_value, store.serialise
        params: list[tuple[Any, ...]] = []
        verdicts: list[_Verdict] = []
        entries: list[tuple[Any, ...]] = []
        if firsts is not None:
            first_at, first_number = firsts.positions.append, firsts.numbers.append
        for line, cells in rows:
            n = len(cells)
            phone = cells[pi].strip() or None if pi < n else None
            service = cells[si].strip() or None if si < n else None
            check = normalize(phone, region)
            key = check.e164
            name, name_reason = name_of(cells[ni].strip() or None if ni < n else None)
            email, email_reason, _ = email_of(cells[ei].strip() or None if ei < n else None)
            if key is None:
                v = junk(check)
            elif key in blocked:
                v = BLOCKED
            else:
                number = int(key[1:])
                if number in seen:
                    v = DUPLICATE
                else:
                    seen.add(number)
                    v = first_cache.get((check.notes, name_reason, email_reason)) or first(
                        check.notes, name_reason, email_reason
                    )
                    if firsts is not None:
                        first_at(len(params))
                        first_number(number)
            cell = cells[ti].strip() or None if ti < n else None
            entry = times.get(cell) or time_of(cell)
            cell = cells[oi].strip() or None if oi < n else None
            source = sources[cell] if cell in sources else source_of(cell)
            # Cut to their columns (the raw cells keep the whole text): PostgreSQL refuses longer values.
            if name is not None and len(name) > 200:
                name = name[:200]
            email_stored = email[:254] if email is not None and len(email) > 254 else email
            if service is not None and len(service) > 200:
                service = service[:200]
            fresh = entry[2]
            scored = scores.get((fresh, source, name is not None, email is not None, service is not None, v))
            if scored is None:
                scored = score_of(fresh, source, name, email, service, v)
            params.append(
                (
                    campaign_id,
                    line,
                    raw_of(cells),
                    name,
                    phone[:100] if phone else None,
                    key,
                    email_stored,
                    service,
                    source,
                    entry[1],
                    v.verdict,
                    v.json if serialise else list(v.reasons),
                    None,
                    v.status,
                    0,
                    batch,
                    now,
                    now,
                    scored[0],
                    scored[0],
                    scored[1],
                    scored[2],
                )
            )
            verdicts.append(v)
            entries.append(entry)
        return _ImportBatch(store, params, verdicts, entries)


class _Firsts:
    """Rows that were the first of their number in a worker's range, with the number: an earlier range may hold it."""

    def __init__(self) -> None:
        self.positions = array("q")
        self.numbers = array("q")


@dataclass
class _Result:
    """A screened batch as the parent writes or stores it."""

    rows: int
    counts: list[tuple[tuple[str, tuple[str, ...]], int]]
    problems: list[tuple[int, str, tuple[str, ...], str | None]]
    text: bytes = b""  # the dry run's output rows
    params: list[tuple[Any, ...]] = field(default_factory=list)  # the import's insert rows
    merges: list[tuple[Any, ...]] = field(default_factory=list)  # (number, *MERGEABLE values) of its duplicates

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.rows, self.counts, self.problems, self.text, self.params, self.merges)


def _summary(
    verdicts: list[_Verdict], lines: Iterable[int], numbers: Iterable[str | None]
) -> tuple[list[tuple[tuple[str, tuple[str, ...]], int]], list[tuple[int, str, tuple[str, ...], str | None]]]:
    counts = [((v.verdict, v.reasons), count) for v, count in Counter(verdicts).items()]
    problems = []
    for v, line, number in zip(verdicts, lines, numbers, strict=True):
        if not v.callable:
            problems.append((line, v.verdict, v.reasons, number or None))
            if len(problems) >= SAMPLE_LIMIT:
                break
    return counts, problems


class _CheckBatch:
    def __init__(self, out: list[list[str]], verdicts: list[_Verdict], lines: list[int]):
        self.out, self.verdicts, self.lines = out, verdicts, lines

    def numbers(self) -> set[str]:
        return {row[-2] for row in self.out if row[-2]}

    def block(self, blocked: Collection[str]) -> None:
        for i, row in enumerate(self.out):
            if row[-2] in blocked:
                row[-3], row[-1] = BLOCKED.verdict, BLOCKED.text
                self.verdicts[i] = BLOCKED

    def mark_duplicates(self, positions: Iterable[int]) -> None:
        for i in positions:
            row = self.out[i]
            row[-3], row[-1] = DUPLICATE.verdict, DUPLICATE.text
            self.verdicts[i] = DUPLICATE

    def results(self, batch_size: int) -> Iterator[_Result]:
        counts, problems = _summary(self.verdicts, self.lines, (row[-2] for row in self.out))
        yield _Result(len(self.out), counts, problems, text=_csv_text(self.out).encode("utf-8"))


def _csv_text(rows: list[list[str]]) -> str:
    """What csv.writer writes for these rows, quicker: a row none of whose cells needs quotes (no comma, quote or
    line break) is its cells joined by commas; csv.writer writes the others."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    lines = []
    for row in rows:
        line = ",".join(row)
        if (
            len(row) > 1
            and line.count(",") == len(row) - 1
            and '"' not in line
            and "\r" not in line
            and "\n" not in line
        ):
            lines.append(line)
        else:
            writer.writerow(row)
            lines.append(buffer.getvalue()[:-2])
            buffer.seek(0)
            buffer.truncate()
    lines.append("")
    return "\r\n".join(lines)


class _ImportBatch:
    def __init__(
        self,
        store: _Store,
        params: list[tuple[Any, ...]],
        verdicts: list[_Verdict],
        entries: list[tuple[Any, ...]],
    ):
        self.store = store
        self.params = params  # COLUMNS of each row
        self.verdicts = verdicts
        self.entries = entries  # Store.time of each row

    def numbers(self) -> set[str]:
        return {row[_E164] for row in self.params if row[_E164]}

    def block(self, blocked: Collection[str]) -> None:
        for i, row in enumerate(self.params):
            if row[_E164] in blocked and self.verdicts[i] is not BLOCKED:
                self.params[i] = self.store.with_verdict(row, self.entries[i][2], BLOCKED)
                self.verdicts[i] = BLOCKED

    def mark_duplicates(self, positions: Iterable[int]) -> None:
        for i in positions:
            self.params[i] = self.store.with_verdict(self.params[i], self.entries[i][2], DUPLICATE)
            self.verdicts[i] = DUPLICATE

    def results(self, batch_size: int) -> Iterator[_Result]:
        for start in range(0, len(self.params), batch_size):
            params = self.params[start : start + batch_size]
            verdicts = self.verdicts[start : start + batch_size]
            merges = []
            for i, v in enumerate(verdicts, start):
                if v is DUPLICATE:
                    row = self.params[i]
                    merges.append(
                        (row[_E164], row[_NAME], row[_EMAIL], row[_SERVICE], row[_SOURCE], self.entries[i][0])
                    )
            counts, problems = _summary(verdicts, (row[1] for row in params), (row[_E164] for row in params))
            yield _Result(len(params), counts, problems, params=params, merges=merges)


# --- running the screening: in this process, or in workers that read their own parts of the file -----------


@dataclass
class _Job:
    """What the workers need; they are forked, so they inherit it as it is (the do-not-call set is not copied)."""

    path: Path
    delimiter: str
    screener: _Screener
    importing: bool
    batch_size: int
    look_up: bool  # the parent looks each range's numbers up on the do-not-call list


class _Unsplittable(Exception):
    """A range that only a reader going through the whole file from the start reads right."""


def _screened(
    lead_file: LeadFile,
    screener: _Screener,
    seen: set[int],
    *,
    importing: bool,
    batch_size: int,
    workers: int | None,
    min_parallel_bytes: int,
    look_up: Callable[[set[str]], set[str]] | None = None,
    report: IntakeReport | None = None,
) -> Iterator[_Result]:
    """The file's rows screened, batch by batch, in input order; `look_up` finds the numbers among a set that are on
    the do-not-call list when that list is not in the screener's memory."""
    count = _worker_count(workers, importing)
    # An import's rows are held in a worker until it can send them: smaller ranges there.
    ranges = _plan(lead_file, count, min_parallel_bytes, (512 << 10) if importing else (2 << 20))
    if ranges is None:
        yield from _in_process(lead_file.rows, screener, seen, importing, batch_size, look_up)
        return
    assert lead_file.delimiter is not None
    job = _Job(lead_file.path, lead_file.delimiter, screener, importing, batch_size, look_up is not None)
    count = min(count, len(ranges))
    context = multiprocessing.get_context("fork")
    processes, connections = [], []
    gc.freeze()  # the workers' garbage collections then leave the pages they share with this process alone
    try:
        for w in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(theirs, job, ranges[w::count]), daemon=True)
            process.start()
            theirs.close()
            processes.append(process)
            connections.append(ours)
        gc.unfreeze()
        if report is not None:
            report.workers = count
        for k, (start, _end, line) in enumerate(ranges):
            connection = connections[k % count]
            message = _receive(connection)
            if message[0] == "unsplittable":
                # This range holds what only a reader from the start of the file reads right (a quoted line break,
                # a bad byte…): read the rest here, from this range's first line, exactly as a single process would.
                _stop(processes, connections)
                rows, closer = text_rows_from(lead_file.path, lead_file.delimiter, start, line)
                with closing(closer):
                    yield from _in_process(rows, screener, seen, importing, batch_size, look_up)
                return
            _, positions, numbers, all_numbers = message
            blocked = look_up(all_numbers) if look_up is not None and all_numbers else set()
            connection.send((_held_before(positions, numbers, seen, blocked), blocked))
            while (message := _receive(connection))[0] == "result":
                yield _Result(*message[1])
    finally:
        gc.unfreeze()
        _stop(processes, connections)


def _receive(connection: Any) -> tuple[Any, ...]:
    try:
        message = connection.recv()
    except EOFError:
        raise RuntimeError("an intake worker process ended without its results") from None
    if message[0] == "error":
        raise RuntimeError(f"an intake worker process failed:\n{message[1]}")
    return message  # type: ignore[no-any-return]


def _stop(processes: list[Any], connections: list[Any]) -> None:
    """End the workers: with our ends of the pipes closed, one waiting to send or to hear from us ends by itself."""
    for connection in connections:
        connection.close()
    connections.clear()
    for process in processes:
        if process.is_alive():
            process.terminate()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
    processes.clear()


def _held_before(positions: array[int], numbers: array[int], seen: set[int], blocked: set[str]) -> list[int]:
    """The rows, among a range's first rows of their number, whose number an earlier range or the database holds
    (they are duplicates); the range's other numbers are held from now on, blocked ones excepted."""
    held = [p for p, n in zip(positions, numbers, strict=True) if n in seen] if not seen.isdisjoint(numbers) else []
    fresh = set(numbers)
    if blocked:
        fresh.difference_update(int(e164[1:]) for e164 in blocked)
    seen |= fresh
    return held


def _in_process(
    rows: Iterable[tuple[int, list[str]]],
    screener: _Screener,
    seen: set[int],
    importing: bool,
    batch_size: int,
    look_up: Callable[[set[str]], set[str]] | None,
) -> Iterator[_Result]:
    rows = iter(rows)
    while chunk := list(islice(rows, batch_size)):
        if not importing:
            yield from screener.check(chunk, seen, None).results(batch_size)
            continue
        batch = screener.screen(chunk, seen, None)
        if look_up is not None:
            # Blocked beats everything but junk: a listed number (first or repeated) is never callable.
            blocked = look_up(batch.numbers())
            if blocked:
                batch.block(blocked)
                seen.difference_update(int(e164[1:]) for e164 in blocked)
        yield from batch.results(batch_size)


def _worker_count(workers: int | None, importing: bool) -> int:
    """Worker processes to use: as asked, or one per CPU for the dry run (this process only hands out ranges and
    writes), one per CPU but one for an import (this process is busy storing), never more than a few."""
    if workers is not None:
        return workers
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(cpus - 1, 2) if importing else min(cpus, 4) if cpus > 1 else 0


def _plan(lead_file: LeadFile, workers: int, min_bytes: int, widest: int) -> list[tuple[int, int, int]] | None:
    """Byte ranges of the data rows (start, end, first line), cut at line ends, at most `widest` bytes, or None to read
    the file here: no workers, a small file, not UTF-8 text, or this process runs threads (forking those is unsafe)."""
    if workers < 1 or lead_file.data_offset is None or lead_file.delimiter is None or lead_file.header_line is None:
        return None
    if threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    if multiprocessing.current_process().daemon:  # may not have children
        return None
    size = lead_file.path.stat().st_size
    if size - lead_file.data_offset < max(min_bytes, 1):
        return None
    # Several ranges per worker even out their speeds; a range's rows are held in memory while it is screened.
    step = max(4 << 10, min(widest, (size - lead_file.data_offset) // (workers * 8)))
    ranges = []
    start, line = lead_file.data_offset, lead_file.header_line + 1
    with lead_file.path.open("rb") as handle:
        handle.seek(start)
        while start < size:
            chunk = handle.read(step)
            if not chunk:
                break
            chunk += handle.readline()  # to the end of the line
            ranges.append((start, start + len(chunk), line))
            start += len(chunk)
            line += chunk.count(b"\n")
    return ranges


def _worker(connection: Any, job: _Job, ranges: list[tuple[int, int, int]]) -> None:
    """A worker process: screen each range, tell the parent its numbers, learn which of its rows an earlier range
    holds, and send the results."""
    # Whatever the parent (a web server, say) does on these signals is not for a worker to do.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # A range's rows stay in memory until the parent answers, and the collector would walk them again and again;
    # the screening makes no reference cycles, so a look at the young objects once per range is enough.
    gc.disable()
    try:
        for start, end, line in ranges:
            gc.collect(1)
            try:
                rows = _range_rows(job.path, job.delimiter, start, end, line)
            except _Unsplittable:
                connection.send(("unsplittable",))
                return
            firsts = _Firsts()
            screener = job.screener
            batch = screener.screen(rows, set(), firsts) if job.importing else screener.check(rows, set(), firsts)
            del rows
            connection.send(("numbers", firsts.positions, firsts.numbers, batch.numbers() if job.look_up else None))
            held, blocked = connection.recv()
            if blocked:
                batch.block(blocked)
            batch.mark_duplicates(held)
            for result in batch.results(job.batch_size):
                connection.send(("result", result.as_tuple()))
            connection.send(("done",))
    except (BrokenPipeError, EOFError):  # the parent stopped listening
        pass
    except BaseException:
        try:
            connection.send(("error", traceback.format_exc()))
        except OSError:
            pass
    finally:
        connection.close()


def _range_rows(path: Path, delimiter: str, start: int, end: int, line: int) -> list[tuple[int, list[str]]]:
    """The records of a byte range that begins a record, with their line numbers, read as leadfiles reads them; raises
    _Unsplittable when a record spans lines (a quoted line break) or the range cannot be read the same way."""
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
        after = handle.readline()  # the next range's first line: shows a record running past this range's end
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise _Unsplittable from None
    if lines[-1] == "":
        lines.pop()
    count = len(lines)
    if after:
        lines.append(after.decode("utf-8", "replace"))
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error:
        raise _Unsplittable from None
    if reader.line_num != len(records):
        raise _Unsplittable  # a record over several lines: a line break inside quotes
    del records[count:]  # the next range's first record
    # Blank lines are skipped, as leadfiles skips them; every record is one line, so its index gives its line.
    return [(line + i, row) for i, row in enumerate(records) if any(row) and (len(row) > 1 or row[0].strip())]


# --- dry run --------------------------------------------------------------------------------------------


def load_number_list(path: Path, region: str = "VN") -> set[str]:
    """Numbers (any format) from a file: a lead-style file with a phone column, or one number per line."""
    try:
        with open_lead_file(path) as listed:
            phones = (normalize_phone(listed.field_of(cells, "phone"), region).e164 for _, cells in listed.rows)
            return {e164 for e164 in phones if e164}
    except IntakeError as exc:
        if "no phone column" not in str(exc):
            raise
    # No header naming a phone column: one number per line, in any of the encodings lead files use.
    numbers = (normalize_phone(line.strip(), region).e164 for line in read_text_lines(path))
    return {e164 for e164 in numbers if e164}


def check_file(
    path: Path,
    out: Path,
    *,
    region: str = "VN",
    blocked: set[str] | None = None,
    overrides: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    min_parallel_bytes: int = PARALLEL_MIN_BYTES,
) -> IntakeReport:
    """Dry run: write OUT.csv with one row per input row (input columns, verdict, phone_e164, reasons).

    `workers`: how many worker processes share a big UTF-8 CSV (default: one per CPU, at most 4; 0: none, this
    process reads the file); files under `min_parallel_bytes` are always read here."""
    report = IntakeReport()
    partial = out.with_name(out.name + ".partial")
    try:
        with open_lead_file(path, overrides) as lead_file, partial.open("wb") as handle:
            header = io.StringIO()
            csv.writer(header).writerow([*lead_file.headers, "verdict", "phone_e164", "reasons"])
            handle.write(header.getvalue().encode("utf-8"))
            screener = _Screener(lead_file, region=region, blocked=blocked or frozenset())
            results = _screened(
                lead_file,
                screener,
                set(),
                importing=False,
                batch_size=BATCH,
                workers=workers,
                min_parallel_bytes=min_parallel_bytes,
                report=report,
            )
            with closing(results):
                for result in results:
                    handle.write(result.text)
                    report.add_counts(result)
                    if progress:
                        progress(result.rows)
        if report.total == 0:
            raise IntakeError(f"{path}: no data rows under the header")
        partial.replace(out)  # OUT.csv appears whole or not at all
    finally:
        partial.unlink(missing_ok=True)
    return report


# --- import ---------------------------------------------------------------------------------------------


def import_file(
    session: Session,
    campaign: Campaign,
    path: Path,
    now: dt.datetime,
    *,
    region: str = "VN",
    overrides: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH,
    workers: int | None = None,
    min_parallel_bytes: int = PARALLEL_MIN_BYTES,
    consent_source: str | None = None,
) -> IntakeReport:
    """Import a lead file into a campaign: every row becomes a lead with its verdict and reasons (`workers` and
    `min_parallel_bytes` as for check_file; by default one worker per CPU but one, as this process stores). Each
    lead's consent is noted as given through `consent_source` (by default "file: <the file's name>")."""
    with open_lead_file(path, overrides) as lead_file:
        report = _import(
            session,
            campaign,
            lead_file,
            now,
            region=region,
            progress=progress,
            batch_size=batch_size,
            workers=workers,
            min_parallel_bytes=min_parallel_bytes,
        )
    record_consent(session, campaign.id, report.batch, consent_source or f"file: {path.name}")
    return report


def record_consent(session: Session, campaign_id: int, batch: str, source: str, at: dt.datetime | None = None) -> int:
    """Note where and when the leads of an import agreed to be called (personal-data law asks for both).

    A lead list is the record of people who filled in a form asking to be contacted: the consent's source is the
    file or API client the list came from, its time the registration time the list gives, else `at` (the moment an
    API client posted the lead, which is when the form was sent), else unknown. One statement per import."""
    return session.execute(
        sa.update(Lead)
        .where(Lead.campaign_id == campaign_id, Lead.import_batch == batch, Lead.consent_source.is_(None))
        .values(
            consent_source=source[:100],
            consent_at=sa.func.coalesce(Lead.registered_at, sa.literal(at, Lead.__table__.c.consent_at.type)),
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def import_rows(
    session: Session,
    campaign: Campaign,
    rows: Iterable[tuple[int, Mapping[str, str]]],
    now: dt.datetime,
    *,
    region: str = "VN",
) -> IntakeReport:
    """Import rows given as (line, {header: value}) — e.g. from the JSON API or tests — like a file's rows."""
    rows = list(rows)
    headers = list(dict.fromkeys(h for _, row in rows for h in row))
    lead_file = LeadFile(
        path=Path("<rows>"),
        headers=headers,
        mapping=map_headers(headers or ["phone"]),
        rows=iter([(line, [str(row.get(h) or "") for h in headers]) for line, row in rows]),
        kind="rows",
    )
    return _import(session, campaign, lead_file, now, region=region)


def _import(
    session: Session,
    campaign: Campaign,
    lead_file: LeadFile,
    now: dt.datetime,
    *,
    region: str,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH,
    workers: int | None = 0,
    min_parallel_bytes: int = PARALLEL_MIN_BYTES,
) -> IntakeReport:
    report = IntakeReport(campaign_id=campaign.id, batch=uuid.uuid4().hex[:12])
    connection = session.connection()
    dialect = connection.dialect.name
    # PostgreSQL's statistics do not see the rows this transaction inserts: left alone, the planner looks duplicates
    # up through the campaign alone and a big import turns quadratic. ANALYZE in the transaction, each time the
    # import doubles, keeps the plans on the (campaign, phone) index.
    analyze_at = BATCH if dialect == "postgresql" else None
    held = session.scalars(
        sa.select(Lead.phone_e164).where(
            Lead.campaign_id == campaign.id, Lead.phone_e164.is_not(None), Lead.verdict.in_(CALLABLE)
        )
    )
    seen = {int(e164[1:]) for e164 in held}
    blocked, look_up = _do_not_call(session)
    store = _Store(
        campaign.id, report.batch, now, dialect, campaign.timezone, lead_file.headers, _source_of(lead_file.headers)
    )  # type: ignore[arg-type]
    screener = _Screener(lead_file, region=region, blocked=blocked, store=store)
    results = _screened(
        lead_file,
        screener,
        seen,
        importing=True,
        batch_size=batch_size,
        workers=workers,
        min_parallel_bytes=min_parallel_bytes,
        look_up=look_up,
        report=report,
    )
    with _bulk_load(connection), closing(results):
        for result in results:
            _insert_leads(connection, result.params)
            if analyze_at is not None and report.total + result.rows >= analyze_at:
                session.execute(sa.text("ANALYZE leads"))
                analyze_at *= 2
            _merge_into_firsts(session, campaign.id, report.batch, result.merges, now)  # type: ignore[arg-type]
            report.add_counts(result)
            if progress:
                progress(result.rows)
    if report.total == 0:
        raise IntakeError(f"{lead_file.path}: no data rows under the header")
    # Foreign numbers are called in their own time zone: the dialer needs to know them before the first call.
    compliance.assign_timezones(session, campaign.id, batch=report.batch)
    # Leads this session had loaded may have been filled in or linked above, behind its back.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Lead):
            session.expire(obj)
    return report


def _do_not_call(session: Session) -> tuple[Collection[str], Callable[[set[str]], set[str]] | None]:
    """The do-not-call list in memory when it is small enough, else a look-up of a set of numbers against it."""
    listed = session.scalar(sa.select(sa.func.count()).select_from(DoNotCall)) or 0
    if listed <= DNC_PRELOAD:
        return set(session.scalars(sa.select(DoNotCall.phone_e164))), None
    return frozenset(), lambda numbers: dnc.listed_among(session, numbers)


@contextmanager
def _bulk_load(connection: sa.Connection) -> Iterator[None]:
    """SQLite keeps the index pages a big import touches in a bigger page cache, 48 MB instead of 2 MB: the random
    inserts of the phone and dialling-order indexes otherwise spill pages to the WAL again and again (a million rows'
    inserts took 37 s with 2 MB, 25 s with 32 MB, 19 s with 64 MB, no less with 96 MB; 48 MB leaves room under the
    import's memory goal). Memory only: nothing about durability changes, and the connection gets its own size back.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql("PRAGMA cache_size = -49152")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")  # type: ignore[arg-type]


def _insert_leads(connection: sa.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert many leads at once. On SQLite and PostgreSQL the values were serialised by the screening and go to
    the driver as they are (SQLAlchemy's per-value processing was a fifth of a million-row import); PostgreSQL
    takes them through COPY."""
    if not rows:
        return
    dialect = connection.dialect.name
    if dialect == "sqlite":
        sql = f"INSERT INTO leads ({', '.join(COLUMNS)}) VALUES ({', '.join(['?'] * len(COLUMNS))})"
        connection.exec_driver_sql(sql, rows)
    elif dialect == "postgresql":
        sql = f"COPY leads ({', '.join(COLUMNS)}) FROM STDIN"
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except connection.dialect.loaded_dbapi.Error as exc:
            # As SQLAlchemy raises it for a statement it runs (callers catch sqlalchemy.exc.IntegrityError).
            raise sa.exc.DBAPIError.instance(
                sql, None, exc, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect
            ) from exc
        finally:
            cursor.close()
    else:
        connection.execute(sa.insert(Lead.__table__), [dict(zip(COLUMNS, row, strict=True)) for row in rows])


def _json(value: Any) -> str:
    """JSON text; lists of reasons repeat from row to row, so their text is cached."""
    if isinstance(value, list):
        return _json_list(tuple(tuple(v.items()) if isinstance(v, dict) else v for v in value))
    return json.dumps(value, ensure_ascii=False)


@functools.lru_cache(maxsize=4096)
def _json_list(items: tuple[Any, ...]) -> str:
    return json.dumps([dict(v) if isinstance(v, tuple) else v for v in items], ensure_ascii=False)


@functools.lru_cache(maxsize=8192)
def _sqlite_time(value: dt.datetime) -> str:
    """A time as callbot.db.UTCDateTime stores it on SQLite: naive UTC text (imports share many times)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_FIRST_COLUMNS = (*MERGEABLE, "attempts", "verdict", "reasons")


def _merge_into_firsts(
    session: Session, campaign_id: int, batch: str, duplicates: list[tuple[Any, ...]], now: dt.datetime
) -> None:
    """A duplicate gives the earlier lead what it lacked (nothing the later row knew is lost), the earlier lead is
    scored again on what it now holds, and the duplicate points at it."""
    if not duplicates:
        return
    table = Lead.__table__
    firsts = {
        row.phone_e164: row._asdict()
        for row in session.execute(
            sa.select(table.c.id, table.c.phone_e164, *(table.c[c] for c in _FIRST_COLUMNS)).where(
                table.c.campaign_id == campaign_id,
                table.c.phone_e164.in_({d[0] for d in duplicates}),
                table.c.verdict.in_(CALLABLE),
            )
        )
    }
    changed: dict[int, dict[str, Any]] = {}
    for number, *values in duplicates:
        lead = firsts.get(number)
        if lead is None:
            continue
        for name, value in zip(MERGEABLE, values, strict=True):
            if value is not None and lead[name] is None:
                lead[name] = value
                changed.setdefault(lead["id"], {})[name] = value
    for lead_id, values in changed.items():
        values["updated_at"] = now
        values["_id"] = lead_id
    for first in firsts.values():
        values = changed.get(first["id"])
        if values is None or first["attempts"] != 0:  # a called lead keeps its post-call score
            continue
        score = pre_call_score(
            LeadFacts(
                has_name=bool(first["name"]),
                has_email=bool(first["email"]),
                has_service=bool(first["service"]),
                source=first["source"],
                registered_at=first["registered_at"],
                verdict=first["verdict"],
                reasons=tuple(first["reasons"] or ()),
            ),
            now,
        )
        values.update(
            pre_score=score.value,
            score=score.value,
            tier=score.tier,
            score_reasons=[{"code": r.code, "points": r.points} for r in score.reasons],
        )
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in changed.values():
        groups.setdefault(tuple(sorted(values)), []).append(values)
    for columns, rows in groups.items():
        statement = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("_id"))
            .values({c: sa.bindparam(c) for c in columns if c != "_id"})
        )
        session.execute(statement, rows)
    # Point the duplicates of this upload at the callable lead that holds their number.
    link = (
        sa.update(table)
        .where(
            table.c.campaign_id == campaign_id,
            table.c.phone_e164 == sa.bindparam("number"),
            table.c.import_batch == batch,
            table.c.verdict == "duplicate",
        )
        .values(duplicate_of_id=sa.bindparam("first"))
    )
    if firsts:
        session.execute(link, [{"number": number, "first": first["id"]} for number, first in firsts.items()])
