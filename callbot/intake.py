"""Intake: lead rows become verdicts (dry run) or leads (import) through one streaming engine; no row is lost."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot import dnc
from callbot import leads as lead_service
from callbot.errors import IntakeError
from callbot.leadfiles import LeadFile, map_headers, open_lead_file, read_text_lines
from callbot.models import Campaign, Lead
from scoring import LeadFacts, LeadInput, assess_lead, normalize_phone, pre_call_score

BATCH = 2000
SAMPLE_LIMIT = 500  # problem rows kept in a report for display; the database keeps them all
CALLABLE = ("ok", "suspect")
# Fields a duplicate row may fill in on the earlier row, and their bit in the "still missing" mask.
MERGEABLE = ("name", "email", "service", "source", "registered_at")
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

    def add(self, line: int, verdict: str, reasons: tuple[str, ...], e164: str | None) -> None:
        """Count one row (kept for display only when it is a problem and the sample is not full)."""
        self.total += 1
        self.by_verdict[verdict] += 1
        for reason in reasons:
            self.by_reason[reason] += 1
        if verdict not in CALLABLE and len(self.problems) < SAMPLE_LIMIT:
            self.problems.append(RowResult(line, verdict, reasons, e164))


@dataclass(slots=True)
class Screened:
    """One row after screening: its input, its verdict and, for duplicates, whose duplicate it is."""

    line: int
    cells: list[str]
    lead: LeadInput
    verdict: str
    reasons: tuple[str, ...]
    e164: str | None
    name: str | None
    email: str | None


class SeenNumbers:
    """Numbers already held by a callable row, kept compactly (an int per number) for million-row files."""

    def __init__(self, numbers: Iterable[str] = ()) -> None:
        self._keys: set[int] = {int(e164[1:]) for e164 in numbers}

    def __contains__(self, e164: object) -> bool:
        return isinstance(e164, str) and int(e164[1:]) in self._keys

    def add(self, e164: str) -> None:
        self._keys.add(int(e164[1:]))

    def discard(self, e164: str) -> None:
        self._keys.discard(int(e164[1:]))


class TimeParser:
    """Registration times in the formats exports use: day-first Vietnamese dates fast, then ISO and others."""

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)
        self._last: str | None = None

    def __call__(self, raw: str | None) -> dt.datetime | None:
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
        for fmt in ((self._last,) if self._last else ()) + DATE_FORMATS:
            try:
                value = dt.datetime.strptime(raw, fmt)
            except ValueError:
                continue
            self._last = fmt
            return value
        return None


_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def screen(
    lead_file: LeadFile,
    *,
    region: str,
    seen: SeenNumbers,
    blocked_among: Callable[[set[str]], set[str]],
    tz: str = "Asia/Ho_Chi_Minh",
    batch_size: int = BATCH,
    verdict_only: bool = False,
) -> Iterator[list[Screened]]:
    """Give every row of the file its verdict, batch by batch, in input order (`verdict_only`: skip the fields
    that do not change a verdict — service, source, registration time — as the dry run needs none of them)."""
    parse_time = TimeParser(tz)
    source_default = _source_of(lead_file.headers)
    field_of = lead_file.field_of
    # The three columns every verdict needs, looked up once (this loop runs a million times).
    columns = [lead_file.mapping.get(f, -1) for f in ("name", "phone", "email")]
    widest = max(columns)
    batch: list[Screened] = []
    for line, cells in lead_file.rows:
        if verdict_only and len(cells) > widest:
            name, phone, email = (cells[i].strip() or None if i >= 0 else None for i in columns)
            lead = LeadInput(name=name, phone=phone, email=email)
        elif verdict_only:
            lead = LeadInput(
                name=field_of(cells, "name"), phone=field_of(cells, "phone"), email=field_of(cells, "email")
            )
        else:
            lead = LeadInput(
                name=field_of(cells, "name"),
                phone=field_of(cells, "phone"),
                email=field_of(cells, "email"),
                service=field_of(cells, "service"),
                source=_source(field_of(cells, "source")) or source_default,
                registered_at=parse_time(field_of(cells, "registered_at")),
            )
        result = assess_lead(lead, default_region=region, seen_keys=seen)
        e164 = result.phone.e164
        if result.verdict in CALLABLE and e164:
            seen.add(e164)
        batch.append(
            Screened(line, cells, lead, result.verdict, tuple(result.reasons), e164, result.name, result.email)
        )
        if len(batch) >= batch_size:
            yield _apply_blocked(batch, seen, blocked_among)
            batch = []
    if batch:
        yield _apply_blocked(batch, seen, blocked_among)


def _apply_blocked(
    batch: list[Screened], seen: SeenNumbers, blocked_among: Callable[[set[str]], set[str]]
) -> list[Screened]:
    """Blocked beats everything but junk: a listed number (first or repeated) is never callable."""
    blocked = blocked_among({row.e164 for row in batch if row.e164})
    if blocked:
        for row in batch:
            if row.e164 in blocked and row.verdict != "junk":
                if row.verdict in CALLABLE:
                    seen.discard(row.e164)
                row.verdict, row.reasons = "blocked", ("dnc_listed",)
    return batch


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
) -> IntakeReport:
    """Dry run: write OUT.csv with one row per input row (input columns, verdict, phone_e164, reasons)."""
    blocked = blocked or set()
    report = IntakeReport()
    partial = out.with_name(out.name + ".partial")
    try:
        with open_lead_file(path, overrides) as lead_file, partial.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            width = len(lead_file.headers)
            writer.writerow([*lead_file.headers, "verdict", "phone_e164", "reasons"])
            for batch in screen(
                lead_file, region=region, seen=SeenNumbers(), blocked_among=blocked.intersection, verdict_only=True
            ):
                for row in batch:
                    cells = (row.cells + [""] * width)[:width] if len(row.cells) != width else row.cells
                    writer.writerow([*cells, row.verdict, row.e164 or "", ";".join(row.reasons)])
                    report.add(row.line, row.verdict, row.reasons, row.e164)
                if progress:
                    progress(len(batch))
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
) -> IntakeReport:
    """Import a lead file into a campaign: every row becomes a lead with its verdict and reasons."""
    with open_lead_file(path, overrides) as lead_file:
        return _import(session, campaign, lead_file, now, region=region, progress=progress, batch_size=batch_size)


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
) -> IntakeReport:
    report = IntakeReport(campaign_id=campaign.id, batch=uuid.uuid4().hex[:12])
    # PostgreSQL's statistics do not see the rows this transaction inserts: left alone, the planner looks duplicates
    # up through the campaign alone and a big import turns quadratic. ANALYZE in the transaction, each time the
    # import doubles, keeps the plans on the (campaign, phone) index.
    analyze_at = BATCH if session.get_bind().dialect.name == "postgresql" else None
    held = session.scalars(
        sa.select(Lead.phone_e164).where(
            Lead.campaign_id == campaign.id, Lead.phone_e164.is_not(None), Lead.verdict.in_(CALLABLE)
        )
    )
    seen = SeenNumbers(held)
    for batch in screen(
        lead_file,
        region=region,
        seen=seen,
        tz=campaign.timezone,
        batch_size=batch_size,
        blocked_among=lambda numbers: dnc.listed_among(session, numbers),
    ):
        # Plain executemany (no RETURNING): duplicates find their first lead by number, not by id.
        _insert_leads(session, [_lead_values(row, lead_file, campaign, report.batch, now) for row in batch])
        if analyze_at is not None and report.total + len(batch) >= analyze_at:
            session.execute(sa.text("ANALYZE leads"))
            analyze_at *= 2
        _merge_into_firsts(session, campaign.id, [row for row in batch if row.verdict == "duplicate"], now)
        for row in batch:
            report.add(row.line, row.verdict, row.reasons, row.e164)
        if progress:
            progress(len(batch))
    if report.total == 0:
        raise IntakeError(f"{lead_file.path}: no data rows under the header")
    _link_duplicates(session, campaign.id, report.batch)  # type: ignore[arg-type]
    return report


def _insert_leads(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert many leads at once. On SQLite and PostgreSQL the values are serialised here and handed to the
    driver's executemany: SQLAlchemy's per-value processing was a fifth of a million-row import."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        connection.execute(sa.insert(Lead.__table__), rows)
        return
    columns = list(rows[0])
    marker = "?" if dialect == "sqlite" else "%s"
    sql = f"INSERT INTO leads ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    json_at = [i for i, c in enumerate(columns) if c in _JSON_COLUMNS]
    time_at = [i for i, c in enumerate(columns) if c in _TIME_COLUMNS] if dialect == "sqlite" else []
    params = []
    for row in rows:
        values = list(row.values())
        for i in json_at:
            values[i] = _json(values[i])
        for i in time_at:
            if values[i] is not None:
                values[i] = _sqlite_time(values[i])
        params.append(tuple(values))
    connection.exec_driver_sql(sql, params)


_JSON_COLUMNS = frozenset({"raw", "reasons", "score_reasons"})
_TIME_COLUMNS = frozenset({"registered_at", "created_at", "updated_at", "next_attempt_at"})


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


def _merge_into_firsts(session: Session, campaign_id: int, duplicates: list[Screened], now: dt.datetime) -> None:
    """A duplicate gives the earlier lead what it lacked (nothing the later row knew is lost), and the earlier
    lead is scored again on what it now holds."""
    if not duplicates:
        return
    numbers = {row.e164 for row in duplicates}
    firsts = {
        lead.phone_e164: lead
        for lead in session.scalars(
            sa.select(Lead).where(
                Lead.campaign_id == campaign_id, Lead.phone_e164.in_(numbers), Lead.verdict.in_(CALLABLE)
            )
        )
    }
    for row in duplicates:
        lead = firsts.get(row.e164)
        if lead is None:
            continue
        filled = False
        for name, value in zip(MERGEABLE, _mergeable_values(row), strict=True):
            if value is not None and getattr(lead, name) is None:
                setattr(lead, name, value)
                filled = True
        if filled:
            lead.updated_at = now
            if lead.attempts == 0:  # a called lead keeps its post-call score
                lead_service.score_before_call(lead, now)
    session.flush()
    for lead in firsts.values():
        session.expunge(lead)  # a million-row import must not keep every merged lead in the session


def _link_duplicates(session: Session, campaign_id: int, batch: str) -> None:
    """Point each duplicate of this upload at the callable lead that holds its number."""
    first = sa.orm.aliased(Lead)
    holder = (
        sa.select(first.id)
        .where(first.campaign_id == Lead.campaign_id, first.phone_e164 == Lead.phone_e164, first.verdict.in_(CALLABLE))
        .scalar_subquery()
    )
    session.execute(
        sa.update(Lead)
        .where(Lead.campaign_id == campaign_id, Lead.import_batch == batch, Lead.verdict == "duplicate")
        .values(duplicate_of_id=holder)
        .execution_options(synchronize_session=False)
    )


def _mergeable_values(row: Screened) -> tuple[Any, ...]:
    return (row.name, row.email, row.lead.service, row.lead.source, row.lead.registered_at)


def _lead_values(
    row: Screened, lead_file: LeadFile, campaign: Campaign, batch: str | None, now: dt.datetime
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "campaign_id": campaign.id,
        "row_number": row.line,
        "raw": dict(zip(lead_file.headers, row.cells, strict=False)),
        "name": row.name,
        "phone_raw": (row.lead.phone or "")[:100] or None,
        "phone_e164": row.e164,
        "email": (row.email or "")[:254] or None,
        "service": (row.lead.service or "")[:200] or None,
        "source": row.lead.source,
        "registered_at": row.lead.registered_at,
        "verdict": row.verdict,
        "reasons": list(row.reasons),
        "duplicate_of_id": None,
        # A new lead starts here; every later change goes through leads.set_status.
        "status": "callable" if row.verdict in CALLABLE else "rejected",
        "attempts": 0,
        "import_batch": batch,
        "created_at": now,
        "updated_at": now,
    }
    score = pre_call_score(
        LeadFacts(
            has_name=bool(row.name),
            has_email=bool(row.email),
            has_service=bool(row.lead.service),
            source=row.lead.source,
            registered_at=row.lead.registered_at,
            verdict=row.verdict,
            reasons=row.reasons,
        ),
        now,
    )
    values.update(
        pre_score=score.value,
        score=score.value,
        tier=score.tier,
        score_reasons=[{"code": r.code, "points": r.points} for r in score.reasons],
    )
    return values
