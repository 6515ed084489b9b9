"""Big files are screened by worker processes that read their own parts of the file: the results are exactly those
of one process reading it from start to end, whatever the file holds (quoted line breaks, bad bytes, blank lines,
short rows, duplicates and do-not-call numbers across the parts)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from callbot import dnc, intake
from callbot.errors import IntakeError
from callbot.models import Lead
from tests.conftest import NOW, make_campaign

HEADER = ["Họ và tên", "Số điện thoại", "Email", "Dịch vụ", "Nguồn", "Thời gian đăng ký", "Ghi chú"]
NAMES = ["Trần Thị Mai", "Nguyễn Văn Nam", "LÊ VĂN HÙNG", "Pham Thu Ha", "test", "Nguyễn Văn A", "", "K'Bờ", "Ý"]
SERVICES = ["Khóa học IELTS", "", "Tiếng Anh, giao tiếp"]
EMAILS = ["", "khach{}@gmail.com", "khach{}@gmial.com", "a@mailinator.com", "an@"]
# Longer than their columns: stored cut (the raw cells keep them whole), also when a duplicate gives them to the
# first lead.
LONG = {"service": "x" * 230, "email": "x" * 250 + "@b.vn"}
SOURCES = ["facebook", "fb", "Zalo", "", "web", "Hội chợ", "google"]
TIMES = ["17/11/2026 06:02", "2026-11-20T08:00:00+07:00", "", "20/11/2026", "11/30/2026 10:00", "1/2/2026 9:5", "bad"]
JUNK = ["", "#N/A", "0909xxxxxx", "0000000000", "12345", "8.49123E+10", "chưa có"]
LISTED = ["0912345678", "0356789012"]  # on the do-not-call list


def phone(rng: random.Random, earlier: list[str]) -> str:
    roll = rng.random()
    if roll < 0.1:
        return rng.choice(JUNK)
    if roll < 0.2 and earlier:
        number = rng.choice(earlier)  # a repeat, often from another part of the file, written another way
        return rng.choice([number, "+84 " + number[1:], number[1:], f"{number[:4]}.{number[4:7]}.{number[7:]}"])
    if roll < 0.23:
        return rng.choice(LISTED)
    if roll < 0.25:
        return f"016{rng.randrange(2, 10)}{rng.randrange(10**7):07d}"  # the old 11-digit form
    number = rng.choice(["090", "091", "098", "086", "035", "070"]) + f"{rng.randrange(10**7):07d}"
    earlier.append(number)
    return number


def lead_rows(n: int, seed: int = 3, *, long_cells: bool = True) -> list[list[str]]:
    rng = random.Random(seed)
    earlier: list[str] = []
    emails = EMAILS + [LONG["email"]] * long_cells
    services = SERVICES + [LONG["service"]] * long_cells
    rows = []
    for i in range(n):
        row = [
            rng.choice(NAMES),
            phone(rng, earlier),
            rng.choice(emails).format(i),
            rng.choice(services),
            rng.choice(SOURCES),
            rng.choice(TIMES),
            rng.choice(["", 'nói "gọi sau"; ok', "ghi chú"]),
        ]
        roll = rng.random()
        if roll < 0.01:
            row = row[:2]  # a short row
        elif roll < 0.02:
            row = [*row, "thừa"]  # a cell past the header
        rows.append(row)
    return rows


def write(path: Path, rows: list[list[str]], *, delimiter: str = ",", newline: str = "\r\n", bom: bytes = b"") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(HEADER)
    for i, row in enumerate(rows):
        if i % 500 == 250:
            buffer.write(newline)  # a blank line
        writer.writerow(row)
    path.write_bytes(bom + buffer.getvalue().encode("utf-8"))
    return path


def summary(report: intake.IntakeReport) -> tuple[object, ...]:
    # by_reason in its own order: the printed summary lists ties in the order the reasons first occur
    return (report.total, dict(report.by_verdict), list(report.by_reason.items()), report.problems)


def check_both_ways(tmp_path: Path, path: Path, **kwargs: object) -> tuple[intake.IntakeReport, intake.IntakeReport]:
    """The dry run by this process alone and by two workers sharing the file: the same output, byte for byte."""
    alone = intake.check_file(path, tmp_path / "alone.csv", workers=0, **kwargs)  # type: ignore[arg-type]
    shared = intake.check_file(path, tmp_path / "shared.csv", workers=2, min_parallel_bytes=0, **kwargs)  # type: ignore[arg-type]
    assert alone.workers == 0
    assert (tmp_path / "shared.csv").read_bytes() == (tmp_path / "alone.csv").read_bytes()
    assert summary(shared) == summary(alone)
    return alone, shared


@pytest.mark.parametrize(
    "layout",
    [
        dict(),
        dict(newline="\n"),
        dict(delimiter=";", bom=codecs.BOM_UTF8),
        dict(delimiter="\t"),
    ],
    ids=["csv-crlf", "csv-lf", "semicolon-bom", "tab"],
)
def test_check_by_workers_writes_what_one_process_writes(tmp_path, layout) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "leads.csv", lead_rows(4000), **layout)  # type: ignore[arg-type]
    alone, shared = check_both_ways(tmp_path, path, blocked={"+84912345678", "+84356789012"})
    assert shared.workers == 2
    assert alone.by_verdict["duplicate"] > 100 and alone.by_verdict["blocked"] > 50


def test_progress_counts_every_row_once_as_the_parts_come_in(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done: list[int] = []
    path = write(tmp_path / "leads.csv", lead_rows(3000))
    report = intake.check_file(path, tmp_path / "out.csv", workers=2, min_parallel_bytes=0, progress=done.append)
    assert report.workers == 2 and sum(done) == report.total == 3000 and len(done) > 4


def test_a_quoted_line_break_late_in_the_file_hands_the_rest_to_one_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = lead_rows(4000)
    rows[3500][6] = "gọi lại\nsau 5 giờ"  # a cell on two lines: only a reader from the start knows it is one record
    path = write(tmp_path / "leads.csv", rows)
    alone, shared = check_both_ways(tmp_path, path)
    assert shared.workers == 2 and alone.total == 4000
    with (tmp_path / "shared.csv").open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle))[3501][6] == "gọi lại\nsau 5 giờ"


def test_quoted_line_breaks_everywhere(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = lead_rows(3000)
    for i in range(0, 3000, 97):
        rows[i][0] = "Trần\nThị Mai"
    check_both_ways(tmp_path, write(tmp_path / "leads.csv", rows))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (b"Tr\xe2n Th\xef Mai,0903123456\r\n", "is not valid UTF-8"),
        (b"Mai,0903\r123456\r\n", "new-line character seen in unquoted field"),
    ],
    ids=["bad-byte", "csv-error"],
)
def test_a_late_error_is_reported_as_one_process_reports_it(tmp_path, damage, message) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "leads.csv", lead_rows(3000))
    data = path.read_bytes()
    cut = data.index(b"\n", len(data) * 3 // 4) + 1
    path.write_bytes(data[:cut] + damage + data[cut:])
    with pytest.raises(IntakeError) as alone:
        intake.check_file(path, tmp_path / "alone.csv", workers=0)
    with pytest.raises(IntakeError) as shared:
        intake.check_file(path, tmp_path / "shared.csv", workers=2, min_parallel_bytes=0)
    assert str(shared.value) == str(alone.value) and message in str(alone.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.csv"]  # no output, nor any part of one


CELLS = ["", " ", "a", "Mai", "0912345678", "+84 912 345 678", "ạ", '"', '""', ",", ";", "\t", "\r", "x,y", "#N/A"]


@pytest.mark.parametrize("seed", range(12))
def test_odd_files_read_by_workers_as_by_one_process(tmp_path, seed) -> None:  # type: ignore[no-untyped-def]
    """Random lines of cells, quotes, separators, carriage returns and line breaks: the workers give the same output
    or fail with the same message."""
    rng = random.Random(seed)
    lines = ["Tên,SĐT,Email"]
    for _ in range(1500):
        if rng.random() < 0.002:
            lines.append('"mở ngoặc\nđóng ngoặc",0912345678')
        else:
            cells = [rng.choice(CELLS) + rng.choice(CELLS) for _ in range(rng.randrange(1, 5))]
            lines.append(rng.choice([",", ";"]).join(cells))
    path = tmp_path / "odd.csv"
    path.write_bytes(rng.choice(["\n", "\r\n"]).join(lines).encode("utf-8") + rng.choice([b"", b"\n"]))
    try:
        alone = intake.check_file(path, tmp_path / "alone.csv", workers=0)
    except IntakeError as exc:
        with pytest.raises(IntakeError) as shared:
            intake.check_file(path, tmp_path / "shared.csv", workers=2, min_parallel_bytes=0)
        assert str(shared.value) == str(exc)
        return
    shared = intake.check_file(path, tmp_path / "shared.csv", workers=2, min_parallel_bytes=0)
    assert (tmp_path / "shared.csv").read_bytes() == (tmp_path / "alone.csv").read_bytes()
    assert summary(shared) == summary(alone)


# --- import ------------------------------------------------------------------------------------------------


def stored(session, campaign_id: int) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    """Every lead of a campaign as stored, its first lead named by row number (ids differ between campaigns)."""
    leads = list(session.scalars(sa.select(Lead).where(Lead.campaign_id == campaign_id).order_by(Lead.id)))
    line_of = {lead.id: lead.row_number for lead in leads}
    return [
        (
            lead.row_number,
            lead.raw,
            lead.name,
            lead.phone_raw,
            lead.phone_e164,
            lead.email,
            lead.service,
            lead.source,
            lead.registered_at,
            lead.verdict,
            lead.reasons,
            line_of.get(lead.duplicate_of_id),  # type: ignore[arg-type]
            lead.status,
            lead.pre_score,
            lead.score,
            lead.tier,
            lead.score_reasons,
            lead.updated_at,
        )
        for lead in leads
    ]


@pytest.mark.parametrize(("workers", "listed"), [(1, "in-memory"), (2, "in-memory"), (2, "looked-up")])
def test_import_by_workers_stores_what_one_process_stores(session, tmp_path, monkeypatch, workers, listed) -> None:  # type: ignore[no-untyped-def]
    if listed == "looked-up":
        monkeypatch.setattr(intake, "DNC_PRELOAD", 0)  # a list too long to hold: numbers are looked up per part
    dnc.add_many(session, ["+84912345678", "+84356789012"], "national_list", NOW)
    rows = lead_rows(3000)
    rows[2500][6] = "gọi lại\nsau 5 giờ"  # late: the last parts are read by this process
    path = write(tmp_path / "leads.csv", rows)
    alone_campaign = make_campaign(session, name="alone")
    shared_campaign = make_campaign(session, name="shared")
    # twice: the second import finds every number held by the first
    for _ in range(2):
        alone = intake.import_file(session, alone_campaign, path, NOW, workers=0)
        shared = intake.import_file(session, shared_campaign, path, NOW, workers=workers, min_parallel_bytes=0)
        assert (alone.workers, shared.workers) == (0, workers)
        assert summary(shared) == summary(alone)
        assert stored(session, shared_campaign.id) == stored(session, alone_campaign.id)
    assert alone.by_verdict["duplicate"] == 3000 - alone.by_verdict["junk"] - alone.by_verdict["blocked"]
    firsts = list(
        session.scalars(
            sa.select(Lead).where(Lead.campaign_id == shared_campaign.id, Lead.verdict.in_(intake.CALLABLE))
        )
    )
    assert sum(lead.email is not None and not lead.raw.get("Email") for lead in firsts) > 20  # given by duplicates
    assert any(len(lead.service or "") == 200 for lead in firsts)  # a long one, cut
    assert all(len(lead.service or "") <= 200 and len(lead.email or "") <= 254 for lead in firsts)


def test_time_parsing_does_not_depend_on_the_rows_before() -> None:
    """'1/2/2026 9:5' is day-first by the first format that reads it, even right after a month-first date."""
    fresh = intake.TimeParser("Asia/Ho_Chi_Minh")
    used = intake.TimeParser("Asia/Ho_Chi_Minh")
    assert used("11/30/2026 10:00") == dt.datetime(2026, 11, 30, 10, 0, tzinfo=used.tz)
    assert used("1/2/2026 9:5") == fresh("1/2/2026 9:5") == dt.datetime(2026, 2, 1, 9, 5, tzinfo=fresh.tz)
    assert used("13/2/2026 9:5") == dt.datetime(2026, 2, 13, 9, 5, tzinfo=fresh.tz)
    assert used("2/13/2026 9:5") == dt.datetime(2026, 2, 13, 9, 5, tzinfo=fresh.tz)


@pytest.mark.parametrize("seed", range(5))
def test_output_rows_are_written_as_csv_writer_writes_them(seed) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    rows = [[rng.choice(CELLS) + rng.choice(CELLS) for _ in range(rng.randrange(1, 6))] for _ in range(2000)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    assert intake._csv_text(rows) == buffer.getvalue()
