"""Lead intake end to end: `leads check` (dry run), `leads import`, duplicates, the do-not-call list, no row lost."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from callbot import dnc, intake, leadfiles
from callbot.dialer import Dialer
from callbot.errors import IntakeError
from callbot.models import Base, Campaign, DoNotCall, Lead
from callbot.telephony import TwilioTelephony
from tests.callbot.conftest import failed, ok
from tests.conftest import NOW, make_campaign

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

# --- helpers (the approach of test_cli.py) --------------------------------------------------------------


def text_file(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    newline: str = "\n",
    bom: bytes = b"",
    blank_lines: bool = False,
) -> Path:
    """A delimited text file as a spreadsheet program writes it (cells quoted when they hold a separator)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        if blank_lines:
            buffer.write(newline)
        writer.writerow(row)
    path.write_bytes(bom + buffer.getvalue().encode(encoding))
    return path


def xlsx_file(path: Path, header: list[object], rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def read_out(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def summary(output: str) -> tuple[int, dict[str, int], dict[str, int]]:
    """The printed summary of `leads check/import`: total, counts by verdict, counts by reason."""
    lines = output.splitlines()
    total = int(lines[0].split()[0])
    verdicts: dict[str, int] = {}
    reasons: dict[str, int] = {}
    target = verdicts
    for line in lines[1:]:
        if line == "reasons:":
            target = reasons
            continue
        key, count = line.split()
        target[key] = int(count)
    return total, verdicts, reasons


def leads(sessions, campaign_id: int | None = None) -> list[Lead]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        query = sa.select(Lead).order_by(Lead.id)
        if campaign_id is not None:
            query = query.where(Lead.campaign_id == campaign_id)
        leads = list(s.scalars(query))
        s.expunge_all()
        return leads


def row_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return sum(conn.scalar(sa.select(sa.func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables)


def dnc_numbers(sessions) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return [(d.phone_e164, d.reason) for d in s.scalars(sa.select(DoNotCall).order_by(DoNotCall.phone_e164))]


# --- the reference list, written every way people send it -------------------------------------------------

HEADER = ["Họ và tên", "Số điện thoại", "Email", "Dịch vụ", "Tỉnh/Thành"]
# (cells, verdict, phone_e164, reasons) — one row per case; cells with commas and line breaks get quoted.
TABLE: list[tuple[list[str], str, str, str]] = [
    (["Trần Thị Mai", "0912345678", "mai.tran@gmail.com", "Tiếng Anh, giao tiếp", "Hà Nội"], "ok", "+84912345678", ""),
    (["Nguyễn Văn Nam", "+84 903 123 456", "", "IELTS\ncho người đi làm", "TP. Hồ Chí Minh"], "ok", "+84903123456", ""),
    (["test", "#N/A", "", "", ""], "junk", "", "phone_placeholder"),
    (["Lê Văn Hùng", "84912345678", "", "", "Đà Nẵng"], "duplicate", "+84912345678", "duplicate_phone"),
    (["Phạm Thu Hà", "0356 789 012", "ha.pham@gmail.com", "", "Huế"], "ok", "+84356789012", ""),
    (["Võ Minh Tuấn", "356789012", "", "", ""], "duplicate", "+84356789012", "duplicate_phone"),
    (["Bùi Quang Huy", "", "huy.bui@gmail.com", "Bảo hiểm", "Cần Thơ"], "junk", "", "phone_missing"),
    (["asdf", "0912345679", "", "", ""], "suspect", "+84912345679", "name_fake"),
    (["Đỗ Minh, Anh", "(+84) 903-123-457", "", "Du học; Úc", "Hải Phòng"], "ok", "+84903123457", ""),
]
ROWS = [cells for cells, *_ in TABLE]
EXPECTED_OUT = [HEADER + ["verdict", "phone_e164", "reasons"]] + [
    [*cells, verdict, e164, reasons] for cells, verdict, e164, reasons in TABLE
]

FORMATS = {
    "csv-utf8": dict(),
    "csv-utf8-bom": dict(bom=codecs.BOM_UTF8),
    "excel-unicode-text-utf16le-bom-tab-crlf": dict(
        delimiter="\t", encoding="utf-16-le", bom=codecs.BOM_UTF16_LE, newline="\r\n"
    ),
    "utf16be-bom-tab": dict(delimiter="\t", encoding="utf-16-be", bom=codecs.BOM_UTF16_BE),
    "utf16le-without-bom-tab": dict(delimiter="\t", encoding="utf-16-le", newline="\r\n"),
    "semicolon-bom-crlf": dict(delimiter=";", bom=codecs.BOM_UTF8, newline="\r\n"),
    "tab-utf8": dict(delimiter="\t"),
    "csv-crlf": dict(newline="\r\n"),
    "blank-lines-between-rows": dict(blank_lines=True),
    "blank-lines-between-rows-crlf-semicolon": dict(blank_lines=True, newline="\r\n", delimiter=";"),
}


@pytest.mark.parametrize("fmt", [*FORMATS, "xlsx"])
def test_check_gives_the_same_verdicts_whatever_the_file_format(cli, tmp_path, fmt) -> None:  # type: ignore[no-untyped-def]
    if fmt == "xlsx":
        path = xlsx_file(tmp_path / "leads.xlsx", HEADER, ROWS)  # type: ignore[arg-type]
    else:
        path = text_file(tmp_path / "leads.csv", HEADER, ROWS, **FORMATS[fmt])  # type: ignore[arg-type]
    out = tmp_path / "verdicts.csv"
    output = ok(cli("leads", "check", path, "--out", out))
    assert read_out(out) == EXPECTED_OUT
    assert summary(output)[0] == len(TABLE)


def test_check_writes_one_utf8_row_per_input_row_and_prints_counts(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "verdicts.csv"
    output = ok(cli("leads", "check", text_file(tmp_path / "leads.csv", HEADER, ROWS), "--out", out))
    assert out.read_bytes().decode("utf-8").startswith("Họ và tên,Số điện thoại,Email,Dịch vụ,Tỉnh/Thành,verdict,")
    assert read_out(out) == EXPECTED_OUT
    assert summary(output) == (
        9,
        {"ok": 4, "suspect": 1, "junk": 2, "duplicate": 2},
        {"duplicate_phone": 2, "phone_placeholder": 1, "phone_missing": 1, "name_fake": 1},
    )
    assert output.splitlines()[0] == f"9 rows checked, verdicts in {out}"


def test_check_file_reports_what_it_wrote(tmp_path) -> None:
    out = tmp_path / "verdicts.csv"
    report = intake.check_file(text_file(tmp_path / "leads.csv", HEADER, ROWS), out)
    assert report.total == 9
    assert dict(report.by_verdict) == {"ok": 4, "suspect": 1, "junk": 2, "duplicate": 2}
    # file lines: the second row's service holds a line break, so the rows after it sit one line lower
    assert [(p.line, p.verdict) for p in report.problems] == [
        (5, "junk"),
        (6, "duplicate"),
        (8, "duplicate"),
        (9, "junk"),
    ]
    assert [row[-3] for row in read_out(out)[1:]] == [verdict for _, verdict, _, _ in TABLE]


def test_check_pads_short_rows_instead_of_losing_them(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "short.csv"
    path.write_text(
        "Họ và tên,Số điện thoại,Email,Dịch vụ\n"
        "Trần Thị Mai,0912345678\n"
        "Nguyễn Văn Nam\n"
        "Lê Văn Hùng,0903123456,hung.le@gmail.com,IELTS\n",
        encoding="utf-8",
    )
    out = tmp_path / "verdicts.csv"
    assert summary(ok(cli("leads", "check", path, "--out", out)))[0] == 3
    assert read_out(out)[1:] == [
        ["Trần Thị Mai", "0912345678", "", "", "ok", "+84912345678", ""],
        ["Nguyễn Văn Nam", "", "", "", "junk", "", "phone_missing"],
        ["Lê Văn Hùng", "0903123456", "hung.le@gmail.com", "IELTS", "ok", "+84903123456", ""],
    ]


def test_check_does_not_even_create_the_database(cli, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = tmp_path / "data" / "never.db"
    monkeypatch.setenv("CALLBOT_DATABASE_URL", f"sqlite:///{database}")
    dnc_list = tmp_path / "dnc.txt"
    dnc_list.write_text("0912345678\n", encoding="utf-8")
    path = text_file(tmp_path / "leads.csv", HEADER, ROWS)
    ok(cli("leads", "check", path, "--out", tmp_path / "out.csv", "--dnc", dnc_list))
    assert not database.exists() and not database.parent.exists()


def test_check_writes_nothing_to_an_existing_database(cli_db, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11"))
    before = row_count(engine)
    dnc_list = tmp_path / "dnc.txt"
    dnc_list.write_text("0912345678\n", encoding="utf-8")
    ok(cli_db("leads", "check", text_file(tmp_path / "leads.csv", HEADER, ROWS), "--out", "out.csv", "--dnc", dnc_list))
    assert (tmp_path / "out.csv").exists()
    assert row_count(engine) == before == 1  # the campaign only


@pytest.mark.parametrize(
    ("region", "phone", "verdict", "e164"),
    [
        ("VN", "912345678", "ok", "+84912345678"),
        ("VN", "(415) 555-2671", "junk", ""),
        ("US", "(415) 555-2671", "ok", "+14155552671"),
        ("US", "+84 912 345 678", "ok", "+84912345678"),
    ],
)
def test_check_region_is_the_country_of_numbers_written_without_one(
    cli, tmp_path, region, phone, verdict, e164
) -> None:  # type: ignore[no-untyped-def]
    path = text_file(tmp_path / "leads.csv", ["Name", "Phone"], [["Mai Tran", phone]])
    out = tmp_path / "out.csv"
    ok(cli("leads", "check", path, "--out", out, "--region", region))
    ((*_, got_verdict, got_e164, _reasons),) = read_out(out)[1:]
    assert (got_verdict, got_e164) == (verdict, e164)


# --- spreadsheets and platform exports --------------------------------------------------------------------


def test_xlsx_numbers_and_dates_are_read_as_people_see_them(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = xlsx_file(
        tmp_path / "leads.xlsx",
        ["Họ và tên", "Số điện thoại", "Ngày đăng ký", "Email"],
        [
            ["Trần Thị Mai", 912345678, dt.datetime(2026, 11, 20, 10, 15), "mai.tran@gmail.com"],
            [None, None, None, None],  # an empty row in the middle of the sheet
            ["Nguyễn Văn Nam", 84903123456, dt.datetime(2026, 11, 21), None],
            ["Lê Văn Hùng", "0912 345 678", "21/11/2026 09:30", None],
        ],
    )
    out = tmp_path / "out.csv"
    intake.check_file(path, out)
    assert read_out(out)[1:] == [
        ["Trần Thị Mai", "912345678", "2026-11-20 10:15:00", "mai.tran@gmail.com", "ok", "+84912345678", ""],
        ["Nguyễn Văn Nam", "84903123456", "2026-11-21 00:00:00", "", "ok", "+84903123456", ""],
        ["Lê Văn Hùng", "0912 345 678", "21/11/2026 09:30", "", "duplicate", "+84912345678", "duplicate_phone"],
    ]
    campaign = make_campaign(session)
    report = intake.import_file(session, campaign, path, NOW)
    assert report.total == 3
    got = list(session.scalars(sa.select(Lead).order_by(Lead.row_number)))
    assert [(lead.row_number, lead.phone_e164, lead.verdict, lead.registered_at) for lead in got] == [
        (2, "+84912345678", "ok", dt.datetime(2026, 11, 20, 10, 15, tzinfo=HCM)),
        (4, "+84903123456", "ok", dt.datetime(2026, 11, 21, tzinfo=HCM)),
        (5, "+84912345678", "duplicate", dt.datetime(2026, 11, 21, 9, 30, tzinfo=HCM)),
    ]
    assert got[0].raw == {
        "Họ và tên": "Trần Thị Mai",
        "Số điện thoại": "912345678",
        "Ngày đăng ký": "2026-11-20 10:15:00",
        "Email": "mai.tran@gmail.com",
    }


FACEBOOK_HEADER = [
    "id",
    "created_time",
    "ad_id",
    "ad_name",
    "adset_id",
    "adset_name",
    "campaign_id",
    "campaign_name",
    "form_id",
    "form_name",
    "is_organic",
    "platform",
    "full_name",
    "phone_number",
    "email",
]


def facebook_row(n: int, created: str, platform: str, name: str, phone: str, email: str) -> list[str]:
    ads = [f"ag:2385{n}", "Khóa IELTS - video", "as:2385", "HCM 25-35", "c:2385", "Tuyển sinh T11", "f:77", "Form T11"]
    return [f"l:{1000 + n}", created, *ads, "false", platform, name, phone, email]


def test_facebook_lead_ads_export(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [
        facebook_row(1, "2026-11-20T10:15:30+07:00", "fb", "Trần Thị Mai", "p:+84912345678", "mai.tran@gmail.com"),
        facebook_row(2, "2026-11-20T11:00:00+07:00", "ig", "Nguyễn Văn Nam", "p:+84903123456", ""),
        facebook_row(3, "2026-11-21T08:00:00+07:00", "fb", "Mai Trần", "p:0912345678", ""),
        facebook_row(4, "2026-11-21T09:00:00+07:00", "", "Lê Văn Hùng", "p:+84356789012", ""),
    ]
    path = text_file(
        tmp_path / "facebook.csv",
        FACEBOOK_HEADER,
        rows,
        delimiter="\t",
        encoding="utf-16-le",
        bom=codecs.BOM_UTF16_LE,
        newline="\r\n",
    )
    with leadfiles.open_lead_file(path) as lead_file:
        assert lead_file.kind == "tsv"
        assert {f: FACEBOOK_HEADER[i] for f, i in lead_file.mapping.items()} == {
            "name": "full_name",
            "phone": "phone_number",
            "email": "email",
            "source": "platform",
            "registered_at": "created_time",
        }
    report = intake.import_file(session, make_campaign(session), path, NOW)
    assert report.total == 4
    got = [
        (lead.name, lead.phone_e164, lead.email, lead.source, lead.registered_at, lead.verdict)
        for lead in session.scalars(sa.select(Lead).order_by(Lead.row_number))
    ]
    assert got == [
        (
            "Trần Thị Mai",
            "+84912345678",
            "mai.tran@gmail.com",
            "facebook",
            dt.datetime(2026, 11, 20, 3, 15, 30, tzinfo=dt.UTC),
            "ok",
        ),
        ("Nguyễn Văn Nam", "+84903123456", None, "instagram", dt.datetime(2026, 11, 20, 4, tzinfo=dt.UTC), "ok"),
        ("Mai Trần", "+84912345678", None, "facebook", dt.datetime(2026, 11, 21, 1, tzinfo=dt.UTC), "duplicate"),
        # no platform: the columns alone say the file is a Facebook export
        ("Lê Văn Hùng", "+84356789012", None, "facebook", dt.datetime(2026, 11, 21, 2, tzinfo=dt.UTC), "ok"),
    ]


def test_google_ads_lead_form_export(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = text_file(
        tmp_path / "google.csv",
        ["Lead Id", "Campaign Name", "Full Name", "User Phone", "User Email"],
        [
            ["g-1", "Search T11", "Trần Thị Mai", "+84912345678", "mai.tran@gmail.com"],
            ["g-2", "Search T11", "Nguyễn Văn Nam", "+84903123456", ""],
        ],
    )
    report = intake.import_file(session, make_campaign(session), path, NOW)
    assert dict(report.by_verdict) == {"ok": 2}
    got = [
        (lead.name, lead.phone_e164, lead.email, lead.source)
        for lead in session.scalars(sa.select(Lead).order_by(Lead.row_number))
    ]
    assert got == [
        ("Trần Thị Mai", "+84912345678", "mai.tran@gmail.com", "google"),
        ("Nguyễn Văn Nam", "+84903123456", None, "google"),
    ]


@pytest.mark.parametrize(
    "header",
    [
        ["Họ và tên", "Số điện thoại", "Email", "Dịch vụ", "Tỉnh/Thành"],
        ["Ho ten", "So dien thoai", "Email", "Dich vu", "Tinh/Thanh"],
        ["Họ tên", "SĐT", "E-mail", "Dịch vụ quan tâm", "Tỉnh / Thành phố"],
        ["HỌ VÀ TÊN", "ĐIỆN THOẠI", "EMAIL", "DỊCH VỤ", "TỈNH/THÀNH"],
        ["Ho va ten", "Dien thoai", "email", "dich vu", "tinh thanh"],
        ["Tên khách hàng", "SDT", "Email", "Sản phẩm", "Tỉnh"],
        # typed on a Mac: decomposed diacritics
        [
            "Ho\u0323 va\u0300 te\u0302n",
            "So\u0302\u0301 đie\u0323\u0302n thoa\u0323i",
            "Email",
            "Di\u0323ch vu\u0323",
            "Ti\u0309nh/Tha\u0300nh",
        ],
    ],
    ids=lambda h: h[1],
)
def test_vietnamese_headers_with_or_without_diacritics(tmp_path, header) -> None:  # type: ignore[no-untyped-def]
    cells = ["Trần Thị Mai", "0912 345 678", "mai.tran@gmail.com", "IELTS", "Hà Nội"]
    path = text_file(tmp_path / "leads.csv", header, [cells], bom=codecs.BOM_UTF8)
    with leadfiles.open_lead_file(path) as lead_file:
        assert lead_file.mapping == {"name": 0, "phone": 1, "email": 2, "service": 3, "province": 4}
        ((line, row),) = list(lead_file.rows)
        assert line == 2
        assert {f: lead_file.field_of(row, f) for f in lead_file.mapping} == dict(
            zip(("name", "phone", "email", "service", "province"), cells, strict=True)
        )


@pytest.mark.parametrize(
    ("header", "row", "maps", "expected"),
    [
        # "Tel" is found on its own; --map says the number to call is in "Mobile"
        (["Name", "Tel", "Mobile"], ["Trần Thị Mai", "02873000000", "0912345678"], [], "+842873000000"),
        (["Name", "Tel", "Mobile"], ["Trần Thị Mai", "02873000000", "0912345678"], ["phone=Mobile"], "+84912345678"),
        (["Khách", "Liên lạc"], ["Trần Thị Mai", "0912345678"], ["phone=Liên lạc"], "+84912345678"),
    ],
)
def test_map_overrides_what_is_detected(cli, tmp_path, header, row, maps, expected) -> None:  # type: ignore[no-untyped-def]
    path = text_file(tmp_path / "leads.csv", header, [row])
    out = tmp_path / "out.csv"
    ok(cli("leads", "check", path, "--out", out, *[arg for m in maps for arg in ("--map", m)]))
    assert read_out(out)[1][-2] == expected


def test_map_of_the_name_turns_a_nameless_lead_into_an_ok_one(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = text_file(tmp_path / "leads.csv", ["Người liên hệ", "SĐT"], [["Trần Thị Mai", "0912345678"]])
    out = tmp_path / "out.csv"
    ok(cli("leads", "check", path, "--out", out))
    assert read_out(out)[1][2:4] == ["suspect", "+84912345678"]
    ok(cli("leads", "check", path, "--out", out, "--map", "name=Người liên hệ"))
    assert read_out(out)[1][2:] == ["ok", "+84912345678", ""]


# --- errors that name the problem ---------------------------------------------------------------------------


def damaged_xlsx() -> bytes:
    """A real workbook cut off in the middle, as by a failed download."""
    buffer = io.BytesIO()
    book = Workbook()
    for row in [HEADER, *ROWS]:
        book.active.append(row)
    book.save(buffer)
    good = buffer.getvalue()
    return good[: len(good) // 2]


LATE_BAD_LINE = 5002


def late_undecodable() -> bytes:
    """5,000 good rows, beyond what the reader samples, then one line in Windows-1258."""
    good = "Họ và tên,Số điện thoại\n" + "".join(f"Khách {i},0912{i:06d}\n" for i in range(5000))
    return good.encode("utf-8") + b"Tr\xe2n Th\xef Mai,0903123456\n"


# (id, file name, content, extra args, what the message says)
ERRORS = [
    ("windows-1258", "leads.csv", b"Ho va ten,So dien thoai\r\nTr\xe2n Th\xef Mai,0912345678\r\n", [], "not UTF-8"),
    ("latin-1", "leads.csv", "Nom,Téléphone\nRené,0912345678\n".encode("latin-1"), [], "not UTF-8"),
    ("no-phone-column", "leads.csv", "Họ và tên,Liên lạc\nTrần Thị Mai,0912345678\n", [], "no phone column"),
    ("empty", "leads.csv", b"", [], "the file is empty"),
    ("blank", "leads.csv", b"\r\n  \r\n\r\n", [], "the file is empty"),
    ("header-only", "leads.csv", "Họ và tên,Số điện thoại\r\n", [], "no data rows"),
    ("xls", "leads.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), [], "old Excel .xls files"),
    ("damaged-xlsx", "leads.xlsx", damaged_xlsx(), [], "cannot read this Excel file"),
    (
        "map-missing-column",
        "leads.csv",
        "Name,Mobile\nTrần Thị Mai,0912345678\n",
        ["--map", "phone=Mobil"],
        "the file has no column 'Mobil'",
    ),
    # after rows already read (and, for an import, stored): the message names the line, nothing is kept
    ("late-undecodable", "leads.csv", late_undecodable(), [], f"line {LATE_BAD_LINE} is not valid utf-8"),
]
ERROR_PARAMS = [pytest.param(*case[1:], id=case[0]) for case in ERRORS]


def error_file(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)  # type: ignore[union-attr]
    return path


@pytest.mark.parametrize(("name", "content", "args", "message"), ERROR_PARAMS)
def test_check_fails_naming_the_problem_and_writes_nothing(cli, tmp_path, name, content, args, message) -> None:  # type: ignore[no-untyped-def]
    path = error_file(tmp_path, name, content)
    out = tmp_path / "out.csv"
    output = failed(cli("leads", "check", path, "--out", out, *args))
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no OUT.csv, nor any part of one
    assert message.lower() in output.lower()


@pytest.mark.parametrize(("name", "content", "args", "message"), ERROR_PARAMS)
def test_import_fails_naming_the_problem_and_writes_nothing(
    cli_db, engine, tmp_path, name, content, args, message
) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11"))
    path = error_file(tmp_path, name, content)
    output = failed(cli_db("leads", "import", path, "--campaign", "Tháng 11", *args))
    assert row_count(engine) == 1  # the campaign only
    assert message.lower() in output.lower()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_blank_lines_above_the_header_are_skipped(tmp_path, delimiter) -> None:  # type: ignore[no-untyped-def]
    """An export whose title rows were cleared: the header follows blank lines, whatever the separator."""
    path = tmp_path / "leads.csv"
    body = text_file(tmp_path / "body.csv", HEADER, ROWS, delimiter=delimiter, newline="\r\n").read_text("utf-8")
    path.write_text("\r\n\r\n" + body, encoding="utf-8")
    out = tmp_path / "out.csv"
    intake.check_file(path, out)
    assert read_out(out) == EXPECTED_OUT


# --- duplicates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "later"),
    [
        ("0912345678", "+84 912 345 678"),
        ("0912345678", "84912345678"),
        ("0912345678", "912345678"),
        ("+84912345678", "0912.345.678"),
        ("912345678", "(+84) 912-345-678"),
        ("0912345678", "0084 912 345 678"),
        ("01689123456", "0389123456"),
        ("0389123456", "01689123456"),
    ],
)
def test_one_number_written_two_ways_is_a_duplicate_within_a_file(session, tmp_path, first, later) -> None:  # type: ignore[no-untyped-def]
    path = text_file(
        tmp_path / "leads.csv",
        ["Họ và tên", "Số điện thoại"],
        [["Trần Thị Mai", first], ["Nguyễn Văn Nam", "0903123456"], ["Mai Trần", later]],
    )
    intake.check_file(path, tmp_path / "out.csv")
    assert [row[2] for row in read_out(tmp_path / "out.csv")[1:]] == ["ok", "ok", "duplicate"]

    intake.import_file(session, make_campaign(session), path, NOW)
    mai, nam, again = session.scalars(sa.select(Lead).order_by(Lead.row_number))
    assert (mai.verdict, mai.status, mai.duplicate_of_id) == ("ok", "callable", None)
    assert (again.verdict, again.reasons, again.status) == ("duplicate", ["duplicate_phone"], "rejected")
    assert again.duplicate_of_id == mai.id and again.phone_e164 == mai.phone_e164
    assert (again.phone_raw, nam.duplicate_of_id) == (later, None)


def test_the_same_common_name_with_different_numbers_is_two_leads(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = text_file(
        tmp_path / "leads.csv",
        ["Họ và tên", "Số điện thoại"],
        [["Nguyễn Văn Anh", "0912345678"], ["Nguyễn Văn Anh", "0903123456"], ["nguyễn văn anh", "0356789012"]],
    )
    report = intake.import_file(session, make_campaign(session), path, NOW)
    assert dict(report.by_verdict) == {"ok": 3}
    assert {lead.duplicate_of_id for lead in session.scalars(sa.select(Lead))} == {None}


def test_a_duplicate_fills_what_the_first_lead_lacks(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = text_file(
        tmp_path / "leads.csv",
        ["Họ và tên", "Số điện thoại", "Email", "Dịch vụ"],
        [
            ["Trần Thị Mai", "0912345678", "", ""],
            ["Mai Trần", "+84 912 345 678", "mai.tran@gmail.com", ""],
            ["Mai", "84912345678", "mai.khac@gmail.com", "IELTS"],
        ],
    )
    intake.import_file(session, make_campaign(session), path, NOW)
    first, second, third = session.scalars(sa.select(Lead).order_by(Lead.row_number))
    # the first row stays the callable one and gains what the later rows knew, without being overwritten
    assert (first.verdict, first.status, first.name) == ("ok", "callable", "Trần Thị Mai")
    assert (first.email, first.service) == ("mai.tran@gmail.com", "IELTS")
    assert first.raw == {"Họ và tên": "Trần Thị Mai", "Số điện thoại": "0912345678", "Email": "", "Dịch vụ": ""}
    assert [(d.verdict, d.duplicate_of_id, d.email) for d in (second, third)] == [
        ("duplicate", first.id, "mai.tran@gmail.com"),
        ("duplicate", first.id, "mai.khac@gmail.com"),
    ]


def test_cells_longer_than_their_columns_are_cut_and_kept_whole_in_the_raw_row(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # PostgreSQL refuses a value longer than its column: the import must cut it, for a row and for a duplicate
    # that gives the first lead what it lacked, while the raw cells keep every character.
    name, service = "Nguyễn " * 40, "Gói " + "x" * 300
    path = text_file(
        tmp_path / "leads.csv",
        ["Họ và tên", "Số điện thoại", "Dịch vụ", "Thời gian đăng ký"],
        [[name, "0912345678", "", "01/01/0001"], ["Mai", "0912345678", service, "31/12/9999 23:59"]],
    )
    report = intake.import_file(session, make_campaign(session), path, NOW)
    assert report.total == 2
    first, second = session.scalars(sa.select(Lead).order_by(Lead.row_number))
    assert first.name == name.strip()[:200] and first.service == service[:200]
    assert first.raw["Họ và tên"] == name and second.raw["Dịch vụ"] == service
    # A year-1 date (or one far in the future) is a placeholder: no registration time, and no crash converting it.
    assert first.registered_at is None and second.registered_at is None


def test_foreign_numbers_in_a_file_get_their_own_time_zone_at_import(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = text_file(
        tmp_path / "leads.csv",
        ["Họ và tên", "Số điện thoại"],
        [["Mai", "0912345678"], ["John Smith", "+1 212 555 0182"], ["Hana", "+81 3-1234-5678"]],
    )
    campaign = make_campaign(session)
    intake.import_file(session, campaign, path, NOW)
    zones = [lead.timezone for lead in session.scalars(sa.select(Lead).order_by(Lead.row_number))]
    assert zones == [None, "America/New_York", "Asia/Tokyo"]
    assert campaign.lead_timezones == ["America/New_York", "Asia/Tokyo"]


def test_an_import_records_each_leads_consent_its_file_and_registration(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A lead list is the record of who asked to be contacted: the file names the consent's source, the row's
    registration time its moment (unknown when the file has none); an earlier import keeps its own record."""
    ok(cli_db("campaigns", "create", "Tháng 11", "--preset", "permissive"))
    first = text_file(
        tmp_path / "fb-ads.csv",
        ["Họ và tên", "SĐT", "Thời gian đăng ký"],
        [["Trần Thị Mai", "0912345678", "2026-11-20 08:15"], ["Nguyễn Văn Nam", "0903123456", ""]],
    )
    second = text_file(tmp_path / "web-form.csv", ["Họ và tên", "SĐT"], [["Lê Hùng", "0987654321"]])
    ok(cli_db("leads", "import", first, "--campaign", "Tháng 11"))
    ok(cli_db("leads", "import", second, "--campaign", "Tháng 11"))
    got = [(lead.consent_source, lead.consent_at) for lead in leads(sessions)]
    assert got == [
        ("file: fb-ads.csv", dt.datetime(2026, 11, 20, 1, 15, tzinfo=dt.UTC)),  # 08:15 in Hồ Chí Minh City
        ("file: fb-ads.csv", None),
        ("file: web-form.csv", None),
    ]


def test_a_lead_completed_by_its_duplicate_is_scored_on_what_it_now_holds(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = text_file(
        tmp_path / "leads.csv",
        ["Họ và tên", "Số điện thoại", "Email", "Dịch vụ"],
        [
            ["Trần Thị Mai", "0912345678", "", ""],
            ["Mai Trần", "84912345678", "mai.tran@gmail.com", "IELTS"],
            ["Nguyễn Văn Nam", "0903123456", "nam.nguyen@gmail.com", "IELTS"],  # the same facts from the start
        ],
    )
    intake.import_file(session, make_campaign(session), path, NOW)
    mai, _, nam = session.scalars(sa.select(Lead).order_by(Lead.row_number))
    assert (mai.email, mai.service) == ("mai.tran@gmail.com", "IELTS")
    assert (mai.score, mai.tier, mai.score_reasons) == (nam.score, nam.tier, nam.score_reasons)


def test_duplicates_across_imports_into_one_campaign_but_not_across_campaigns(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("Tháng 11", "Tháng 12"):
        ok(cli_db("campaigns", "create", name))
    first = text_file(tmp_path / "first.csv", ["Họ và tên", "SĐT"], [["Trần Thị Mai", "0912345678"]])
    second = text_file(
        tmp_path / "second.csv",
        ["Họ và tên", "SĐT", "Email", "Dịch vụ"],
        [["Mai Trần", "+84 912 345 678", "mai.tran@gmail.com", "IELTS"], ["Nguyễn Văn Nam", "0903123456", "", ""]],
    )
    ok(cli_db("leads", "import", first, "--campaign", "Tháng 11"))
    output = ok(cli_db("leads", "import", second, "--campaign", "Tháng 11"))
    assert summary(output)[1:] == ({"ok": 1, "duplicate": 1}, {"duplicate_phone": 1})
    output = ok(cli_db("leads", "import", second, "--campaign", "Tháng 12"))
    assert summary(output)[1:] == ({"ok": 2}, {})

    with sessions() as s:
        nov, dec = s.scalars(sa.select(Campaign.id).order_by(Campaign.id))
    mai, again, nam = leads(sessions, nov)
    assert (mai.verdict, mai.status, mai.email, mai.service) == ("ok", "callable", "mai.tran@gmail.com", "IELTS")
    assert (again.verdict, again.duplicate_of_id, again.row_number) == ("duplicate", mai.id, 2)
    assert again.import_batch != mai.import_batch
    assert (nam.verdict, nam.duplicate_of_id) == ("ok", None)
    assert [(lead.phone_e164, lead.verdict, lead.duplicate_of_id) for lead in leads(sessions, dec)] == [
        ("+84912345678", "ok", None),
        ("+84903123456", "ok", None),
    ]


# --- do not call ----------------------------------------------------------------------------------------------


def test_dnc_add_and_remove_take_any_format_and_are_idempotent(cli_db, sessions) -> None:  # type: ignore[no-untyped-def]
    assert ok(cli_db("dnc", "add", "0912 345 678")).strip() == "+84912345678 added to the do-not-call list"
    assert ok(cli_db("dnc", "add", "+84912345678")).strip() == "+84912345678 was already on the do-not-call list"
    assert ok(cli_db("dnc", "add", "01689123456", "--reason", "opt_out")).startswith("+84389123456 added")
    assert dnc_numbers(sessions) == [("+84389123456", "opt_out"), ("+84912345678", "manual")]
    assert ok(cli_db("dnc", "remove", "84912345678")).strip() == "+84912345678 removed from the do-not-call list"
    assert ok(cli_db("dnc", "remove", "0912.345.678")).strip() == "+84912345678 was not on the do-not-call list"
    assert dnc_numbers(sessions) == [("+84389123456", "opt_out")]
    result = cli_db("dnc", "add", "#N/A")
    assert "is not a usable phone number" in failed(result) and result.exit_code == 2
    assert dnc_numbers(sessions) == [("+84389123456", "opt_out")]


@pytest.mark.parametrize(
    ("encoding", "bom", "newline"),
    [
        ("utf-8", b"", "\n"),
        ("utf-8", codecs.BOM_UTF8, "\r\n"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "\r\n"),  # Excel's "Unicode Text"
    ],
    ids=["utf8", "utf8-bom-crlf", "utf16-unicode-text"],
)
def test_dnc_import_of_a_one_column_list(cli_db, sessions, tmp_path, encoding, bom, newline) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "dnc.txt"
    numbers = ["0912 345 678", "+84 903 123 456", "", "84356789012", "912345678", "01689123456"]
    path.write_bytes(bom + newline.join(numbers).encode(encoding))
    assert ok(cli_db("dnc", "import", path)).strip() == "4 numbers read, 4 added to the do-not-call list"
    assert ok(cli_db("dnc", "import", path)).strip() == "4 numbers read, 0 added to the do-not-call list"
    assert dnc_numbers(sessions) == [
        ("+84356789012", "national_list"),
        ("+84389123456", "national_list"),
        ("+84903123456", "national_list"),
        ("+84912345678", "national_list"),
    ]


def test_dnc_import_of_a_lead_style_file_reads_its_phone_column(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("dnc", "add", "0903123456"))
    path = text_file(
        tmp_path / "optouts.csv",
        ["Họ và tên", "Điện thoại", "Ghi chú"],
        [["Trần Thị Mai", "0912 345 678", "gọi 0356789012 sau"], ["test", "#N/A", ""], ["Nam", "84903123456", ""]],
        bom=codecs.BOM_UTF8,
    )
    output = ok(cli_db("dnc", "import", path, "--reason", "opt_out"))
    assert output.strip() == "2 numbers read, 1 added to the do-not-call list"
    assert dnc_numbers(sessions) == [("+84903123456", "manual"), ("+84912345678", "opt_out")]


# (cells, verdict, reasons); the list holds 0912 345 678 and 84389123456.
DNC_TABLE = [
    (["Trần Thị Mai", "0912345678"], "blocked", "dnc_listed"),  # a blocked first row …
    (["Nguyễn Văn Nam", "0903123456"], "ok", ""),
    (["Mai Trần", "+84 912 345 678"], "blocked", "dnc_listed"),  # … and its later duplicate
    (["Nam Nguyễn", "84903123456"], "duplicate", "duplicate_phone"),
    (["Phạm Thu Hà", "01689123456"], "blocked", "dnc_listed"),  # the old 11-digit form of a listed number
    (["test", "#N/A"], "junk", "phone_placeholder"),
]


@pytest.mark.parametrize("listing", ["one-column", "one-column-utf16", "lead-style"])
def test_check_with_a_dnc_file_blocks_listed_numbers(cli, tmp_path, listing) -> None:  # type: ignore[no-untyped-def]
    dnc_list = tmp_path / "dnc.csv"
    if listing == "one-column":
        dnc_list.write_text("0912 345 678\n84389123456\n", encoding="utf-8")
    elif listing == "one-column-utf16":
        dnc_list.write_bytes(codecs.BOM_UTF16_LE + "0912 345 678\r\n84389123456\r\n".encode("utf-16-le"))
    else:
        text_file(dnc_list, ["Tên", "SĐT"], [["Mai", "0912 345 678"], ["Hà", "84389123456"]])
    path = text_file(tmp_path / "leads.csv", ["Họ và tên", "Số điện thoại"], [cells for cells, _, _ in DNC_TABLE])
    out = tmp_path / "out.csv"
    output = ok(cli("leads", "check", path, "--out", out, "--dnc", dnc_list))
    assert [(row[2], row[4]) for row in read_out(out)[1:]] == [(v, r) for _, v, r in DNC_TABLE]
    assert summary(output)[1:] == (
        {"blocked": 3, "ok": 1, "duplicate": 1, "junk": 1},
        {"dnc_listed": 3, "duplicate_phone": 1, "phone_placeholder": 1},
    )


@pytest.mark.parametrize("batch_size", [2000, 1])
def test_import_blocks_numbers_on_the_database_list(session, tmp_path, batch_size) -> None:  # type: ignore[no-untyped-def]
    dnc.add(session, "+84912345678", "national_list", NOW)
    dnc.add(session, "+84389123456", "opt_out", NOW)
    path = text_file(tmp_path / "leads.csv", ["Họ và tên", "Số điện thoại"], [cells for cells, _, _ in DNC_TABLE])
    report = intake.import_file(session, make_campaign(session), path, NOW, batch_size=batch_size)
    assert report.by_verdict["blocked"] == 3
    got = list(session.scalars(sa.select(Lead).order_by(Lead.row_number)))
    assert [(lead.verdict, ";".join(lead.reasons)) for lead in got] == [(v, r) for _, v, r in DNC_TABLE]
    assert [lead.status for lead in got] == ["rejected", "callable", "rejected", "rejected", "rejected", "rejected"]
    assert [lead.duplicate_of_id for lead in got] == [None, None, None, got[1].id, None, None]


def test_a_number_listed_after_import_is_not_dialled(cli_db, sessions, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11", "--preset", "permissive"))
    ok(cli_db("campaigns", "start", "Tháng 11"))
    path = text_file(
        tmp_path / "leads.csv", ["Họ và tên", "SĐT"], [["Trần Thị Mai", "0912345678"], ["Nguyễn Văn Nam", "0903123456"]]
    )
    ok(cli_db("leads", "import", path, "--campaign", "Tháng 11"))
    assert {lead.status for lead in leads(sessions)} == {"callable"}
    ok(cli_db("dnc", "add", "0912 345 678"))
    # Nothing listens on port 9: a call that is placed fails and is recorded as an attempt.
    s = settings.with_overrides(public_url="http://127.0.0.1:9")
    telephony = TwilioTelephony(s.twilio_account_sid, s.twilio_auth_token, api_base_url="http://127.0.0.1:9")
    assert Dialer(sessions, telephony, s, clock=lambda: NOW).tick() == 1  # the other lead only
    with sessions() as db_session:
        mai, nam = db_session.scalars(sa.select(Lead).order_by(Lead.row_number))
        assert (mai.status, mai.attempts_list) == ("opted_out", [])
        assert len(nam.attempts_list) == 1 and nam.attempts_list[0].status == "failed"


# --- no row is lost ---------------------------------------------------------------------------------------------

BIG_HEADER = ["Họ và tên", "Số điện thoại", "Email", "Dịch vụ", "Ghi chú"]


MOBILE_PREFIXES = ("091", "094", "090", "093", "098", "097", "096", "086", "088", "070", "079", "077", "035")


def big_number(i: int) -> str:
    return MOBILE_PREFIXES[i % len(MOBILE_PREFIXES)] + f"{(i * 7919 + 104729) % 10**7:07d}"


def big_rows(n: int) -> list[list[str]]:
    """A mix of good, junk and duplicate rows (duplicates written differently from their first row)."""
    junk = ["", "#N/A", "0000000000", "xxx", "12345", "chưa có", "0909xxxxxx"]
    rows = []
    for i in range(n):
        number = big_number(i)
        kind = i % 10
        if kind < 6:
            rows.append([f"Khách {i}", number, f"khach{i}@gmail.com" if i % 2 else "", "IELTS", ""])
        elif kind < 8:
            rows.append(["test", junk[i % len(junk)], "", "", f"dòng {i}, lỗi"])
        else:
            j = i - 3 - i % 2  # an earlier good row
            earlier = big_number(j)
            rows.append([f"Khách {j}", f"+84 {earlier[1:4]} {earlier[4:7]} {earlier[7:]}", "", "", ""])
    return rows


def test_a_5000_row_import_keeps_every_row(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = big_rows(5000)
    path = tmp_path / "big.csv"
    lines: dict[int, list[str]] = {}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(BIG_HEADER)
        line = 1
        for i, row in enumerate(rows):
            if i % 997 == 500:  # a few blank lines: row numbers are the file's lines, not counts
                handle.write("\r\n")
                line += 1
            writer.writerow(row)
            line += 1
            lines[line] = row
    ok(cli_db("campaigns", "create", "Tháng 11"))
    out = tmp_path / "out.csv"
    ok(cli_db("leads", "check", path, "--out", out))
    checked = read_out(out)[1:]
    output = ok(cli_db("leads", "import", path, "--campaign", "Tháng 11"))
    batch = re.search(r"\(batch ([0-9a-f]+)\)", output.splitlines()[0])
    assert batch and output.startswith("5000 rows imported")
    total, verdicts, _ = summary(output)
    assert (total, verdicts["duplicate"], verdicts["junk"]) == (5000, 1000, 1000)

    stored = leads(sessions)
    assert len(stored) == 5000
    assert sorted(lead.row_number for lead in stored) == sorted(lines)  # type: ignore[type-var]
    assert {lead.import_batch for lead in stored} == {batch[1]}
    by_line = {lead.row_number: lead for lead in stored}
    assert all(by_line[n].raw == dict(zip(BIG_HEADER, cells, strict=True)) for n, cells in lines.items())
    # the dry run and the import agree row by row
    in_order = [by_line[n] for n in sorted(lines)]
    assert [(lead.verdict, lead.phone_e164 or "") for lead in in_order] == [(r[-3], r[-2]) for r in checked]
    assert all(by_line[n].duplicate_of_id is not None for n in lines if by_line[n].verdict == "duplicate")


def test_open_lead_file_streams_rows_with_their_line_numbers(tmp_path) -> None:
    rows = [ROWS[0], ROWS[2], ROWS[3]]  # one line each
    path = text_file(tmp_path / "leads.csv", HEADER, rows, blank_lines=True, newline="\r\n")
    with leadfiles.open_lead_file(path) as lead_file:
        assert (lead_file.kind, lead_file.encoding, lead_file.headers) == ("csv", "utf-8", HEADER)
        got = list(lead_file.rows)
    assert got == [(3, rows[0]), (5, rows[1]), (7, rows[2])]


def test_import_of_a_header_only_file_raises_and_stores_nothing(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntakeError, match="no data rows"):
        intake.import_file(session, make_campaign(session), text_file(tmp_path / "h.csv", ["SĐT"], []), NOW)
    assert session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0
