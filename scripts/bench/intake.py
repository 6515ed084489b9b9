#!/usr/bin/env python3
"""Intake benchmark: `leads check` against phonenumbers alone, and `leads import` into SQLite and PostgreSQL.

Usage: .venv/bin/python scripts/bench/intake.py [--rows N] [--pg URL] [--keep DIR]

Goals (issue 3, on this 2-core machine):
  - check runs at >= 3x the speed of phonenumbers' parse + is_valid_number on the same rows
  - 1,000,000 rows imported into SQLite in < 60 s with peak memory < 300 MB (the import streams the file)
The import runs as `callbot leads import` in a child process so that its own peak RSS is what is measured.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import phonenumbers

ROOT = Path(__file__).resolve().parents[2]
CALLBOT = [sys.executable, "-m", "callbot.cli"]
FAMILY = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()
MIDDLE = "Văn Thị Minh Thu Ngọc Đức Hoàng Thanh Quốc Bảo Gia Hữu Kim Anh".split()
GIVEN = (
    "An Bình Châu Dũng Giang Hà Hải Hạnh Hiếu Hoa Huy Khánh Lan Linh Long Mai Nam Nga Phúc Phương Quân Sơn Tâm".split()
)
PREFIXES = (
    "032 033 034 035 036 037 038 039 070 076 077 078 079 081 082 083 084 085 086 088 089 "
    "090 091 093 094 096 097 098 056 058"
).split()
JUNK = ["", "#N/A", "null", "0909xxxxxx", "12345", "0000000000", "abc", "8.49123E+10"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write `rows` realistic lead rows (about 8 % junk numbers, 6 % repeats typed differently)."""
    rng = random.Random(seed)
    recent: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Họ và tên", "Số điện thoại", "Email", "Dịch vụ", "Nguồn", "Thời gian đăng ký"])
        for i in range(rows):
            roll = rng.random()
            if roll < 0.08:
                phone = rng.choice(JUNK)
            elif roll < 0.14 and recent:
                national = rng.choice(recent)
                phone = "+84 " + national[1:] if rng.random() < 0.5 else national[:4] + " " + national[4:]
            else:
                national = rng.choice(PREFIXES) + f"{rng.randrange(10**7):07d}"
                recent.append(national)
                if len(recent) > 5000:
                    recent.pop(rng.randrange(len(recent)))
                style = rng.randrange(4)
                phone = (national, f"{national[:4]}.{national[4:7]}.{national[7:]}", "84" + national[1:], national[1:])[
                    style
                ]
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            email = f"user{i}@gmail.com" if rng.random() < 0.6 else ""
            out.writerow(
                [
                    name,
                    phone,
                    email,
                    "Khóa học IELTS",
                    rng.choice(("facebook", "google", "zalo", "web")),
                    f"{rng.randrange(1, 28):02d}/11/2026 {rng.randrange(24):02d}:{rng.randrange(60):02d}",
                ]
            )


def time_phonenumbers(path: Path) -> float:
    """Seconds for phonenumbers' parse + is_valid_number on every row's phone cell (read from the same file)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        phones = [row[1] for row in reader]
    started = time.perf_counter()
    for raw in phones:
        try:
            phonenumbers.is_valid_number(phonenumbers.parse(raw, "VN"))
        except phonenumbers.NumberParseException:
            pass
    return time.perf_counter() - started


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([*CALLBOT, *args], env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"callbot {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def import_into(url: str, path: Path, rows: int, label: str) -> None:
    env = {**os.environ, "CALLBOT_DATABASE_URL": url}
    run(["db", "upgrade"], env)
    run(["campaigns", "create", "bench", "--preset", "permissive"], env)
    before = child_peak_mb()
    seconds, output = run(["leads", "import", str(path), "--campaign", "bench"], env)
    peak = child_peak_mb()
    note = "" if peak > before else f" (peak of an earlier child, {before:.0f} MB, hides it)"
    print(
        f"import {label:<10} {rows:>9,} rows  {seconds:7.1f} s  {rows / seconds:>9,.0f} rows/s  "
        f"peak RSS {peak:6.0f} MB{note}"
    )
    print("    " + output.splitlines()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--pg",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="PostgreSQL URL of a database the benchmark may empty (e.g. …/callbot_bench)",
    )
    parser.add_argument("--keep", type=Path, help="Keep the generated files in this folder")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true", help="Import into PostgreSQL only")
    parser.add_argument("--skip-check", action="store_true")
    options = parser.parse_args()

    folder = options.keep or Path(tempfile.mkdtemp(prefix="callbot-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"leads-{options.rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        generate(path, options.rows)
        print(
            f"generated {options.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )

    if not options.skip_check:
        check(path, folder, options.rows)
    if options.skip_import:
        return
    if not options.skip_sqlite:
        db = folder / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        import_into(f"sqlite:///{db}", path, options.rows, "SQLite")
    if options.pg:
        reset_pg(options.pg)
        import_into(options.pg, path, options.rows, "PostgreSQL")


def check(path: Path, folder: Path, rows: int) -> None:
    """Time the dry run against phonenumbers on the same rows and print the ratio."""
    baseline = time_phonenumbers(path)
    env = {**os.environ, "CALLBOT_DATABASE_URL": f"sqlite:///{folder / 'unused.db'}"}
    check_seconds, output = run(["leads", "check", str(path), "--out", str(folder / "verdicts.csv")], env)
    print(f"phonenumbers parse+is_valid_number {baseline:7.1f} s  ({baseline / rows * 1e6:5.1f} µs/row)")
    print(
        f"callbot leads check (whole command) {check_seconds:6.1f} s  "
        f"({check_seconds / rows * 1e6:5.1f} µs/row, includes start-up, reading and writing CSV)"
    )
    print(f"check speed / phonenumbers speed = {baseline / check_seconds:.2f}x  (goal >= 3x)")
    print("    " + " · ".join(line.strip() for line in output.splitlines()[1:6]))


def reset_pg(url: str) -> None:
    """Create the benchmark database if needed and empty it."""
    import sqlalchemy as sa

    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


if __name__ == "__main__":
    main()
