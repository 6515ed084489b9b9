"""Benchmark intake's row assessment against phonenumbers' parse + is_valid_number on the same rows.

Usage: .venv/bin/python scripts/bench/assess.py [N]   (N rows, default 200,000; the seed is fixed)
"""

from __future__ import annotations

import gc
import random
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable

import phonenumbers
from phonenumbers import NumberParseException

from scoring import Assessment, LeadInput, assess_lead
from scoring.emails import _judge_domain
from scoring.names import clean_name

RUNS = 5
BATCH = 2000  # callbot.intake.BATCH
CALLABLE = ("ok", "suspect")

# Family names with roughly their share of the population; the rest of a name is drawn uniformly.
FAMILY = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 1),
    ("Hồ", 1),
    ("Ngô", 1),
    ("Dương", 1),
    ("Lý", 1),
]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Ngọc", "Đức", "Quốc", "Hoàng", "Thu", "Hồng", "Anh", "Gia", "Bảo", "Xuân"]
GIVEN = (
    "An Anh Bình Châu Cường Dũng Duy Giang Hà Hải Hạnh Hiếu Hoa Hùng Hương Huy Khánh Lan Linh Long Mai Minh Nam "
    "Nga Ngọc Nhung Phong Phúc Phương Quân Quang Quỳnh Sơn Tâm Thảo Thắng Thành Trang Trung Tú Tuấn Tùng Uyên "
    "Vân Việt Vy Yến Ý Út"
).split()
MINORITY = ["K'Bờ", "Y Moan Ênuôl", "H'Hen Niê", "Ksor Y Ruăh", "Giàng A Pháo", "Rơ Mah Hiền", "Lò Văn Giàng"]
FAKE_NAMES = ["test", "Nguyễn Văn A", "asdf", "N/A", "khách hàng", "", "#N/A", "abc", "Trần Thị B"]
# Carriers' real prefixes (national, trunk zero dropped).
MOBILE = [
    *(f"3{d}" for d in "23456789"),
    "52",
    "55",
    "56",
    "58",
    "59",
    "70",
    "76",
    "77",
    "78",
    "79",
    *(f"8{d}" for d in "123456789"),
    *(f"9{d}" for d in "0123456789"),
]
OLD = ["162", "163", "164", "165", "166", "167", "168", "169", "120", "121", "122", "123", "124", "125", "126"]
LANDLINE = ["24", "28", "236", "225", "251", "274", "292"]
JUNK_PHONES = [
    "#N/A",
    "",
    "0909xxxxxx",
    "0000000000",
    "0999999999",
    "0123456789",
    "090123456",
    "0101234567",
    "null",
    "chưa có",
    "8.49123E+10",
    "12345",
]
DOMAINS = [
    ("gmail.com", 70),
    ("yahoo.com", 8),
    ("yahoo.com.vn", 3),
    ("hotmail.com", 3),
    ("outlook.com", 2),
    ("icloud.com", 2),
    ("fpt.com.vn", 2),
    ("vnpt.vn", 1),
    ("viettel.com.vn", 1),
    ("gmial.com", 1),
    ("gmail.con", 1),
    ("mailinator.com", 1),
    ("example.com", 1),
]


def fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))


def make_name(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.03:
        return rng.choice(FAKE_NAMES) or None
    if roll < 0.04:
        return rng.choice(MINORITY)
    family = rng.choices([f for f, _ in FAMILY], [w for _, w in FAMILY])[0]
    name = f"{family} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    if roll < 0.10:
        return name.upper()
    if roll < 0.16:
        return fold(name).title()  # typed without diacritics
    if roll < 0.20:
        return unicodedata.normalize("NFD", name)  # exported on macOS
    return name


def make_phone(rng: random.Random) -> str:
    if rng.random() < 0.10:
        return rng.choice(JUNK_PHONES)
    roll = rng.random()
    if roll < 0.03:
        area = rng.choice(LANDLINE)
        rest = "".join(rng.choices("0123456789", k=8 - len(area) + 2))
        return f"0{area} {rest[:4]} {rest[4:]}"
    if roll < 0.05:
        return f"0{rng.choice(OLD)}{rng.randrange(10**7):07d}"
    national = f"{rng.choice(MOBILE)}{rng.randrange(10**7):07d}"
    formats = [
        (f"0{national}", 40),
        (f"0{national[:3]} {national[3:6]} {national[6:]}", 10),
        (f"0{national[:3]}.{national[3:6]}.{national[6:]}", 5),
        (f"0{national[:3]}-{national[3:6]}-{national[6:]}", 5),
        (f"+84{national}", 8),
        (f"+84 {national[:2]} {national[2:5]} {national[5:]}", 5),
        (f"84{national}", 5),
        (national, 8),  # Excel dropped the zero
        (f"{national}.0", 3),  # pandas
        (f"SĐT: 0{national}", 2),
        (f"0{national} / 0{rng.choice(MOBILE)}{rng.randrange(10**7):07d}", 2),
        (f"8.4{national}E+10", 1),
        (f"0{national} (Zalo)", 1),
    ]
    return rng.choices([f for f, _ in formats], [w for _, w in formats])[0]


def make_email(rng: random.Random, name: str | None) -> str | None:
    if rng.random() >= 0.60:
        return None
    base = fold(name or "khach").replace(" ", ".").replace("'", "") or "lan"
    local = f"{base}{rng.randrange(100, 10000)}" if rng.random() < 0.7 else base
    domain = rng.choices([d for d, _ in DOMAINS], [w for _, w in DOMAINS])[0]
    return f"{local}@{domain}" if rng.random() > 0.01 else f"{local}@gmail"


def make_rows(n: int, seed: int = 20240501) -> list[LeadInput]:
    rng = random.Random(seed)
    rows: list[LeadInput] = []
    for _ in range(n):
        name = make_name(rng)
        # One lead in 25 registers again, with the number it gave before.
        phone = rng.choice(rows).phone if rows and rng.random() < 0.04 else make_phone(rng)
        rows.append(LeadInput(name=name, phone=phone, email=make_email(rng, name)))
    return rows


def phonenumbers_pass(rows: list[LeadInput]) -> None:
    for row in rows:
        try:
            phonenumbers.is_valid_number(phonenumbers.parse(row.phone or "", "VN"))
        except NumberParseException:
            pass


def assess_pass(rows: list[LeadInput], hold: bool = False) -> Counter[str]:
    """Assess every row as intake screens a file, growing the seen numbers row by row; `hold` keeps the results
    in batches of BATCH rows, as intake does before writing them out."""
    # Fresh caches each pass, so warming them up is part of the figure.
    clean_name.cache_clear()
    _judge_domain.cache_clear()
    seen: set[str] = set()
    batch: list[Assessment] = []
    verdicts: Counter[str] = Counter()
    for row in rows:
        result = assess_lead(row, seen_keys=seen)
        if result.verdict in CALLABLE and result.dedupe_key:
            seen.add(result.dedupe_key)
        if hold:
            batch.append(result)
            if len(batch) >= BATCH:
                verdicts.update(r.verdict for r in batch)
                batch = []
    verdicts.update(r.verdict for r in batch)
    return verdicts


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 200_000
    rows = make_rows(n)
    # Intake streams its rows from the file; here they all sit in memory, so move them out of the garbage
    # collector's sight, or every full collection would walk all of them and charge that to whichever side runs.
    gc.freeze()
    verdicts = assess_pass(rows, hold=True)
    print(f"{n:,} rows: " + ", ".join(f"{v} {c / n:.1%}" for v, c in verdicts.most_common()))
    # Alternate the runs and keep each one's best, so a busy machine skews none of them.
    best = {"phonenumbers": float("inf"), "assess": float("inf"), "held": float("inf")}
    for _ in range(RUNS):
        best["phonenumbers"] = min(best["phonenumbers"], timed(lambda: phonenumbers_pass(rows)))
        best["assess"] = min(best["assess"], timed(lambda: assess_pass(rows)))
        best["held"] = min(best["held"], timed(lambda: assess_pass(rows, hold=True)))
    slow, fast, held = (best[k] / n * 1e6 for k in ("phonenumbers", "assess", "held"))
    print(f"phonenumbers parse + is_valid_number:  {slow:6.2f} µs/row")
    print(f"scoring.assess_lead:                   {fast:6.2f} µs/row   ratio {slow / fast:5.2f}x")
    print(f"  … results held in {BATCH}-row batches:  {held:6.2f} µs/row   ratio {slow / held:5.2f}x")


if __name__ == "__main__":
    main(sys.argv)
