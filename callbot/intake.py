"""Intake: lead rows become verdicts (dry run) or leads (import) through one streaming engine; no row is lost."""

from __future__ import annotations

import csv
import datetime as dt
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
from callbot.errors import IntakeError
from callbot.leadfiles import LeadFile, map_headers, open_lead_file
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

    def add(self, row: RowResult) -> None:
        self.total += 1
        self.by_verdict[row.verdict] += 1
        self.by_reason.update(row.reasons)
        if row.verdict not in CALLABLE and len(self.problems) < SAMPLE_LIMIT:
            self.problems.append(row)


@dataclass
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
    """Numbers already held by a callable row, keyed compactly (an int per number) for million-row files."""

    def __init__(self) -> None:
        self._ids: dict[int, int] = {}  # number -> lead id (0 while not yet stored)
        self._missing: dict[int, int] = {}  # number -> bit mask of MERGEABLE fields the first row lacks

    @staticmethod
    def _key(e164: str) -> int:
        return int(e164[1:])

    def __contains__(self, e164: object) -> bool:
        return isinstance(e164, str) and self._key(e164) in self._ids

    def add(self, e164: str, lead_id: int = 0, missing: int = 0) -> None:
        self._ids[self._key(e164)] = lead_id
        if missing:
            self._missing[self._key(e164)] = missing

    def discard(self, e164: str) -> None:
        self._ids.pop(self._key(e164), None)
        self._missing.pop(self._key(e164), None)

    def lead_id(self, e164: str) -> int:
        return self._ids[self._key(e164)]

    def take_missing(self, e164: str, present: int) -> int:
        """Bits the first row lacks that a later row can now fill; they are no longer missing afterwards."""
        key = self._key(e164)
        fill = self._missing.get(key, 0) & present
        if fill:
            self._missing[key] &= ~fill
        return fill


class TimeParser:
    """Registration times in the formats exports use; remembers the format that worked (files are consistent)."""

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)
        self._last: str | None = None

    def __call__(self, raw: str | None) -> dt.datetime | None:
        if not raw:
            return None
        raw = raw.strip()
        value = None
        if self._last is not None:
            value = self._try(raw, self._last)
        if value is None:
            try:
                value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                for fmt in DATE_FORMATS:
                    value = self._try(raw, fmt)
                    if value is not None:
                        self._last = fmt
                        break
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=self.tz)

    @staticmethod
    def _try(raw: str, fmt: str) -> dt.datetime | None:
        try:
            return dt.datetime.strptime(raw, fmt)
        except ValueError:
            return None


def screen(
    lead_file: LeadFile,
    *,
    region: str,
    seen: SeenNumbers,
    blocked_among: Callable[[set[str]], set[str]],
    tz: str = "Asia/Ho_Chi_Minh",
    batch_size: int = BATCH,
) -> Iterator[list[Screened]]:
    """Give every row of the file its verdict, batch by batch, in input order."""
    parse_time = TimeParser(tz)
    source_default = _source_of(lead_file.headers)
    batch: list[Screened] = []
    for line, cells in lead_file.rows:
        lead = LeadInput(
            name=lead_file.field_of(cells, "name"),
            phone=lead_file.field_of(cells, "phone"),
            email=lead_file.field_of(cells, "email"),
            service=lead_file.field_of(cells, "service"),
            source=_source(lead_file.field_of(cells, "source")) or source_default,
            registered_at=parse_time(lead_file.field_of(cells, "registered_at")),
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
            return {
                e for _, cells in listed.rows if (e := normalize_phone(listed.field_of(cells, "phone"), region).e164)
            }
    except Exception:  # not a table with a phone column: read it as one number per line
        numbers = set()
        with path.open(encoding="utf-8-sig") as handle:
            for line in handle:
                e164 = normalize_phone(line.strip(), region).e164
                if e164:
                    numbers.add(e164)
        return numbers


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
    with open_lead_file(path, overrides) as lead_file, out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        width = len(lead_file.headers)
        writer.writerow([*lead_file.headers, "verdict", "phone_e164", "reasons"])
        for batch in screen(lead_file, region=region, seen=SeenNumbers(), blocked_among=blocked.intersection):
            for row in batch:
                cells = (row.cells + [""] * width)[:width] if len(row.cells) != width else row.cells
                writer.writerow([*cells, row.verdict, row.e164 or "", ";".join(row.reasons)])
                report.add(RowResult(row.line, row.verdict, row.reasons, row.e164))
            if progress:
                progress(len(batch))
    if report.total == 0:
        raise IntakeError(f"{path}: no data rows under the header")
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
    seen = _campaign_numbers(session, campaign.id)
    table = Lead.__table__
    for batch in screen(
        lead_file,
        region=region,
        seen=seen,
        tz=campaign.timezone,
        batch_size=batch_size,
        blocked_among=lambda numbers: dnc.listed_among(session, numbers),
    ):
        firsts = [row for row in batch if row.verdict != "duplicate"]
        if firsts:
            ids = session.scalars(
                sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
                [_lead_values(row, lead_file, campaign, report.batch, now) for row in firsts],
            ).all()
            for row, lead_id in zip(firsts, ids, strict=True):
                if row.verdict in CALLABLE and row.e164:
                    seen.add(row.e164, lead_id, _missing_mask(row))
        duplicates = [row for row in batch if row.verdict == "duplicate"]
        if duplicates:
            values = []
            for row in duplicates:
                first_id = seen.lead_id(row.e164)  # type: ignore[arg-type]
                values.append(
                    {**_lead_values(row, lead_file, campaign, report.batch, now), "duplicate_of_id": first_id}
                )
                _merge_into_first(session, first_id, row, seen)
            session.execute(sa.insert(table), values)
        for row in batch:
            report.add(RowResult(row.line, row.verdict, row.reasons, row.e164))
        if progress:
            progress(len(batch))
    if report.total == 0:
        raise IntakeError(f"{lead_file.path}: no data rows under the header")
    session.flush()
    return report


def _campaign_numbers(session: Session, campaign_id: int) -> SeenNumbers:
    """Numbers the campaign already holds on callable leads, with what each lead still lacks."""
    seen = SeenNumbers()
    query = sa.select(Lead.id, Lead.phone_e164, *(getattr(Lead, f) for f in MERGEABLE)).where(
        Lead.campaign_id == campaign_id, Lead.phone_e164.is_not(None), Lead.verdict.in_(CALLABLE)
    )
    for lead_id, e164, *values in session.execute(query):
        missing = sum(1 << i for i, v in enumerate(values) if v is None)
        seen.add(e164, lead_id, missing)
    return seen


def _missing_mask(row: Screened) -> int:
    return sum(1 << i for i, v in enumerate(_mergeable_values(row)) if v is None)


def _mergeable_values(row: Screened) -> tuple[Any, ...]:
    return (row.name, row.email, row.lead.service, row.lead.source, row.lead.registered_at)


def _merge_into_first(session: Session, first_id: int, row: Screened, seen: SeenNumbers) -> None:
    """A duplicate gives the earlier lead what it lacked (nothing the later row knew is lost)."""
    values = _mergeable_values(row)
    present = sum(1 << i for i, v in enumerate(values) if v is not None)
    fill = seen.take_missing(row.e164, present)  # type: ignore[arg-type]
    if fill:
        update = {MERGEABLE[i]: values[i] for i in range(len(MERGEABLE)) if fill & (1 << i)}
        session.execute(sa.update(Lead).where(Lead.id == first_id).values(**update))


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
