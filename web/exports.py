"""Exports of the telesales queue and of call outcomes, as CSV (streamed) or Excel; audited; masked for viewers."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file, stream_with_context
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy.orm import Session

from callbot import exports, users
from callbot.db import utcnow
from web import listing
from web.auth import roles_required
from web.db import get_session
from web.masking import mask_name, mask_phone

bp = Blueprint("exports", __name__, url_prefix="/exports")
# Telesales work one lead at a time and never take lists away.
EXPORTERS = ("admin", "viewer")
# What a viewer sees of a person: the shape of a name and a number, and none of an agent's free-text note
# (agents write numbers and names there too).
VIEWER_MASKS = {"name": mask_name, "phone": mask_phone, "note": lambda note: "—" if note else ""}
# Rows per CSV chunk sent, and per read transaction (aligned: no transaction is open while a chunk is sent).
CHUNK = 500
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.get("/")
@roles_required(*EXPORTERS)
def export_page() -> str:
    """The export form: what (queue or calls), which campaign, which days, which format."""
    return render_template(
        "admin_exports.html", kinds=exports.KINDS, formats=tuple(FORMATS), **listing.choices(get_session())
    )


@bp.post("/<kind>.<fmt>")
@roles_required(*EXPORTERS)
def download(kind: str, fmt: str) -> Response:
    """One export file; written to the audit log (who, what, filters, rows) before a byte is sent."""
    if kind not in exports.KINDS or fmt not in FORMATS:
        abort(404)
    db = get_session()
    query = _query(kind)
    total = exports.count(db, query)
    masked = current_user.role != "admin"
    users.audit(
        db,
        current_user.id,
        "export",
        utcnow(),
        kind=kind,
        format=fmt,
        campaign_id=query.campaign_id,
        start=query.start.isoformat() if query.start else None,
        end=query.end.isoformat() if query.end else None,
        rows=total,
        masked=masked,
    )
    db.commit()
    rows = short_transactions(exports.rows(db, query, VIEWER_MASKS if masked else None), db)
    header = exports.columns(kind)
    filename = f"callbot-{kind}-{utcnow():%Y%m%d-%H%M}.{fmt}"
    if fmt == "csv":
        response = Response(stream_with_context(csv_chunks(header, rows)), mimetype=FORMATS["csv"])
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return send_file(xlsx_file(header, rows), mimetype=FORMATS["xlsx"], as_attachment=True, download_name=filename)


def _query(kind: str) -> exports.Query:
    """The export's filters from the form: a campaign id and from/to days in the deployment's time zone."""
    filters = listing.filters_from(request.form)
    zone = current_app.extensions["callbot.settings"].timezone
    start, end = listing.day_range(filters, ZoneInfo(zone))
    campaign = filters.get("campaign", "")
    return exports.Query(kind, int(campaign) if campaign.isdigit() else None, start, end, zone)


def short_transactions(rows: Iterator[exports.Row], db: Session, every: int = CHUNK) -> Iterator[exports.Row]:
    """The rows, ending the session's read transaction every `every` rows and at the end.

    Each batch is its own query, so nothing is lost; but an open transaction on SQLite holds the write lock
    (BEGIN IMMEDIATE), and a slow download must not stop the dialer from writing for minutes.
    """
    try:
        for number, row in enumerate(rows, start=1):
            if number % every == 0:
                db.rollback()  # read-only so far: nothing to keep; the next batch opens a fresh transaction
            yield row
    finally:
        db.rollback()


def csv_chunks(header: Iterable[str], rows: Iterable[exports.Row], per_chunk: int = CHUNK) -> Iterator[str]:
    """CSV text in chunks of rows, starting with a byte-order mark so Excel reads Vietnamese as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for number, row in enumerate(rows, start=1):
        writer.writerow(row)
        if number % per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(header: Iterable[str], rows: Iterable[exports.Row]) -> tempfile.SpooledTemporaryFile[bytes]:
    """An .xlsx in a temporary file, written row by row (openpyxl's write-only mode keeps memory bounded)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    sheet.append(list(header))
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(target)
    target.seek(0)
    return target


def _xlsx_cell(sheet: object, value: exports.Cell) -> object:
    """Text always written as a string cell, never a formula (openpyxl would store "=…" as one), without the
    control characters the format forbids (made inert again: removing them may bare an "="); numbers as numbers."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, exports.inert(ILLEGAL_CHARACTERS_RE.sub("", value)))  # type: ignore[arg-type]
    cell.data_type = "s"
    return cell
