"""Made-up Vietnamese leads for the demo and tests: realistic shapes, some junk, some duplicates."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
)
MIDDLE = ("Văn", "Thị", "Minh", "Thu", "Ngọc", "Đức", "Hoàng", "Thanh", "Quốc", "Bảo", "Gia", "Hữu")
GIVEN = (
    "An",
    "Bình",
    "Châu",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiếu",
    "Hoa",
    "Huy",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phúc",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Vy",
    "Ý",
    "Út",
    "Yến",
)
PREFIXES = (
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "086",
    "088",
    "089",
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "056",
    "058",
)
SERVICES = (
    "Khóa học tiếng Anh giao tiếp",
    "Bảo hiểm sức khỏe gia đình",
    "Căn hộ 2 phòng ngủ quận 9",
    "Gói vay tiêu dùng tín chấp",
    "Khóa học lập trình Python",
    "Gói khám sức khỏe tổng quát",
)
SOURCES = ("facebook", "google", "zalo", "web", "referral")
JUNK_PHONES = ("0909xxxxxx", "#N/A", "null", "12345", "0000000000", "", "abc", "0123456789")
JUNK_NAMES = ("test", "asdf", "xxx", "Khách hàng")
HEADER = ("Họ và tên", "Số điện thoại", "Email", "Dịch vụ", "Nguồn", "Thời gian đăng ký")


def _phone(rng: random.Random) -> str:
    return rng.choice(PREFIXES) + "".join(rng.choice("0123456789") for _ in range(7))


def _styled(national: str, rng: random.Random) -> str:
    """The same number the way people type it: spaces, dots, +84, 84, or Excel's dropped zero."""
    style = rng.randrange(6)
    rest = national[1:]
    if style == 0:
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    if style == 1:
        return f"+84 {rest[:2]} {rest[2:5]} {rest[5:]}"
    if style == 2:
        return "84" + rest
    if style == 3:
        return f"{national[:4]}.{national[4:7]}.{national[7:]}"
    if style == 4:
        return rest  # Excel dropped the leading zero
    return national


def sample_rows(count: int = 200, *, seed: int = 2026, now: dt.datetime | None = None) -> list[dict[str, str]]:
    """`count` lead rows keyed by Vietnamese headers: ~8 % junk numbers, ~6 % duplicates, a few fake names."""
    rng = random.Random(seed)
    now = now or dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    rows: list[dict[str, str]] = []
    people: list[tuple[str, str]] = []  # (national number, name) of every real lead so far
    for i in range(count):
        kind = rng.random()
        registered = now - dt.timedelta(minutes=rng.randrange(10, 60 * 72))
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        if kind < 0.08:
            phone = rng.choice(JUNK_PHONES)
        elif kind < 0.14 and people:
            national, name = rng.choice(people)
            phone = _styled(national, rng)  # the same person registered twice, typed differently
        else:
            national = _phone(rng)
            while any(national == known for known, _ in people):
                national = _phone(rng)
            people.append((national, name))
            phone = _styled(national, rng)
        if rng.random() < 0.03:
            name = rng.choice(JUNK_NAMES)
        local_time = registered.astimezone(dt.timezone(dt.timedelta(hours=7)))
        rows.append(
            {
                "Họ và tên": name,
                "Số điện thoại": phone,
                "Email": f"user{i}@gmail.com" if rng.random() < 0.6 else "",
                "Dịch vụ": rng.choice(SERVICES),
                "Nguồn": rng.choice(SOURCES),
                "Thời gian đăng ký": local_time.strftime("%d/%m/%Y %H:%M"),
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write rows as UTF-8 CSV with a BOM, as Excel does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(HEADER))
        writer.writeheader()
        writer.writerows(rows)
    return path
