"""Intake: lead rows from a file or the API become leads with a verdict and reasons; every row is kept."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot import dnc
from callbot import leads as lead_service
from callbot.errors import IntakeError
from callbot.models import Campaign, Lead
from scoring import LeadInput, assess_lead, normalize_phone
from scoring.text import fold_text

# Header spellings we recognise (compared folded: lower-case, no diacritics, no punctuation).
HEADERS = {
    "name": ("name", "full name", "ho ten", "ho va ten", "ten", "ten khach hang", "khach hang", "fullname"),
    "phone": (
        "phone",
        "phone number",
        "mobile",
        "so dien thoai",
        "sdt",
        "dien thoai",
        "so dt",
        "phone_number",
        "dt",
        "tel",
    ),
    "email": ("email", "e mail", "mail", "dia chi email"),
    "service": ("service", "product", "dich vu", "san pham", "goi dich vu", "nhu cau", "interest"),
    "source": ("source", "nguon", "kenh", "channel", "platform"),
    "registered_at": (
        "registered at",
        "created time",
        "created at",
        "thoi gian dang ky",
        "ngay dang ky",
        "thoi gian",
        "date",
        "submitted at",
    ),
}
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
)


@dataclass(frozen=True)
class RowResult:
    """What became of one input row."""

    line: int
    verdict: str
    reasons: tuple[str, ...]
    phone_e164: str | None


@dataclass
class IntakeReport:
    """The outcome of one import: a result per row in input order, and counts."""

    campaign_id: int
    rows: list[RowResult] = field(default_factory=list)

    @property
    def by_verdict(self) -> Counter[str]:
        return Counter(row.verdict for row in self.rows)

    @property
    def by_reason(self) -> Counter[str]:
        return Counter(reason for row in self.rows for reason in row.reasons)


def read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Read a CSV file (UTF-8 with or without BOM; comma, semicolon or tab) into (line, row) pairs."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IntakeError(f"{path}: not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None
    if not text.strip():
        raise IntakeError(f"{path}: the file is empty")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    rows = []
    for row in reader:
        clean = {str(k).strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if any(clean.values()):
            rows.append((reader.line_num, clean))
    return rows


def map_columns(headers: Iterable[str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Which input column holds each lead field; raises when no phone column can be found."""
    headers = list(headers)
    mapping: dict[str, str] = {}
    folded = {fold_text(h): h for h in headers}
    for fld, names in HEADERS.items():
        for name in names:
            if name in folded:
                mapping[fld] = folded[name]
                break
    for fld, header in (overrides or {}).items():
        if header not in headers:
            raise IntakeError(
                f"--map {fld}={header}: the file has no column {header!r} (columns: {', '.join(headers)})"
            )
        mapping[fld] = header
    if "phone" not in mapping:
        raise IntakeError(
            "no phone column found (looked for: " + ", ".join(HEADERS["phone"]) + "); use --map phone=HEADER"
        )
    return mapping


def parse_time(raw: str | None, tz: str) -> dt.datetime | None:
    """A registration time in one of the usual export formats; naive times are in the campaign's zone."""
    if not raw:
        return None
    raw = raw.strip()
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
        for fmt in DATE_FORMATS:
            try:
                value = dt.datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))


def import_rows(
    session: Session,
    campaign: Campaign,
    rows: Iterable[tuple[int, Mapping[str, str]]],
    now: dt.datetime,
    *,
    default_region: str = "VN",
    mapping: Mapping[str, str] | None = None,
) -> IntakeReport:
    """Assess and store every row as a lead of `campaign`; good rows become callable, others keep their reasons."""
    rows = list(rows)
    if mapping is None:
        mapping = map_columns(rows[0][1].keys() if rows else ["phone"])
    existing = {
        lead.phone_e164: lead
        for lead in session.scalars(
            sa.select(Lead).where(
                Lead.campaign_id == campaign.id, Lead.phone_e164.is_not(None), Lead.verdict != "duplicate"
            )
        )
    }
    inputs = [(line, row, _lead_input(row, mapping, campaign.timezone)) for line, row in rows]
    blocked = dnc.listed_among(session, _candidate_numbers(inputs, default_region))
    report = IntakeReport(campaign.id)
    for line, row, lead_input in inputs:
        result = assess_lead(lead_input, default_region=default_region, seen_keys=existing, blocked_numbers=blocked)
        lead = Lead(
            campaign_id=campaign.id,
            row_number=line,
            raw=dict(row),
            name=result.name,
            phone_raw=lead_input.phone,
            phone_e164=result.phone.e164,
            email=result.email,
            service=lead_input.service,
            source=lead_input.source,
            registered_at=lead_input.registered_at,
            verdict=result.verdict,
            status="new",
            attempts=0,
            reasons=list(result.reasons),
            created_at=now,
            updated_at=now,
        )
        if result.verdict == "duplicate":
            first = existing[result.dedupe_key]  # type: ignore[index]
            lead.duplicate_of_id = first.id
            _merge_missing(first, lead)
        lead_service.set_status(lead, "callable" if result.verdict in ("ok", "suspect") else "rejected", now)
        lead_service.score_before_call(lead, now)
        session.add(lead)
        session.flush()
        if result.verdict in ("ok", "suspect") and result.dedupe_key:
            existing[result.dedupe_key] = lead
        report.rows.append(RowResult(line, result.verdict, tuple(result.reasons), result.phone.e164))
    return report


def _lead_input(row: Mapping[str, str], mapping: Mapping[str, str], tz: str) -> LeadInput:
    def get(fld: str) -> str | None:
        return (row.get(mapping[fld]) or None) if fld in mapping else None

    return LeadInput(
        name=get("name"),
        phone=get("phone"),
        email=get("email"),
        service=get("service"),
        source=get("source"),
        registered_at=parse_time(get("registered_at"), tz),
    )


def _candidate_numbers(inputs: list[tuple[int, Mapping[str, str], LeadInput]], region: str) -> list[str]:
    return [n for n in (normalize_phone(i.phone, region).e164 for _, _, i in inputs) if n]


def _merge_missing(first: Lead, later: Lead) -> None:
    """A duplicate row gives the earlier lead whatever it lacked; nothing the later row knew is lost."""
    for attr in ("name", "email", "service", "source", "registered_at"):
        if getattr(first, attr) is None and getattr(later, attr) is not None:
            setattr(first, attr, getattr(later, attr))


def import_file(
    session: Session,
    campaign: Campaign,
    path: Path,
    now: dt.datetime,
    *,
    default_region: str = "VN",
    overrides: Mapping[str, str] | None = None,
) -> IntakeReport:
    """Read a CSV file and import its rows into a campaign."""
    rows = read_csv(path)
    if not rows:
        raise IntakeError(f"{path}: no data rows")
    mapping = map_columns(rows[0][1].keys(), overrides)
    return import_rows(session, campaign, rows, now, default_region=default_region, mapping=mapping)
