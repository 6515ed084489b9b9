#!/usr/bin/env python3
"""Intake benchmark: `leads check` against phonenumbers alone, and `leads import` into SQLite and PostgreSQL.

Usage: .venv/bin/python scripts/bench/intake.py [--rows N] [--pg URL] [--keep DIR]

Goals (issue 3, on this 2-core machine):
  - check runs at >= 3x the speed of phonenumbers' parse + is_valid_number on the same rows
  - 1,000,000 rows imported into SQLite in < 60 s with peak memory < 300 MB (the import streams the file)
Each command runs as `callbot …` in a child process. Big files are screened by worker processes, so the times are
wall-clock times of the whole command (start-up included) and the CPU time of all its processes is printed beside
them; memory is the peak RSS of the largest process and the peak of the sum over all its processes (PSS, which
counts a page shared by several processes once, sampled every 50 ms). The load average at the start is printed:
other work on the machine slows the commands, which use both cores, more than the one-core phonenumbers baseline.
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
from dataclasses import dataclass
from pathlib import Path

import phonenumbers

from callbot.db import empty_database

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


@dataclass
class Run:
    seconds: float
    output: str
    cpu: float  # user + system seconds of the command and its worker processes
    peak_all_mb: float  # peak of the summed PSS of the command's processes
    processes: int  # most processes seen at once


def run(args: list[str], env: dict[str, str]) -> Run:
    cpu_before = _children_cpu()
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen([*CALLBOT, *args], env=env, stdout=out, stderr=err, text=True, cwd=ROOT)
        peak, most = 0, 1
        while process.poll() is None:
            pids = _tree(process.pid)
            peak = max(peak, sum(_pss_kb(pid) for pid in pids))
            most = max(most, len(pids))
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        sys.exit(f"callbot {' '.join(args)} failed:\n{stdout}\n{stderr}")
    return Run(elapsed, stdout, _children_cpu() - cpu_before, peak / 1024, most)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree(root: int) -> list[int]:
    """The process and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def import_into(url: str, path: Path, rows: int, label: str) -> None:
    env = {**os.environ, "CALLBOT_DATABASE_URL": url}
    run(["db", "upgrade"], env)
    run(["campaigns", "create", "bench", "--preset", "permissive"], env)
    before = child_peak_mb()
    done = run(["leads", "import", str(path), "--campaign", "bench"], env)
    peak = child_peak_mb()
    note = "" if peak > before else f" (peak of an earlier child, {before:.0f} MB, hides it)"
    print(
        f"import {label:<10} {rows:>9,} rows  {done.seconds:7.1f} s  {rows / done.seconds:>9,.0f} rows/s  "
        f"peak RSS {peak:6.0f} MB{note}, all {done.processes} processes {done.peak_all_mb:.0f} MB  "
        f"(cpu {done.cpu:.1f} s)"
    )
    print("    " + done.output.splitlines()[0])


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

    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} CPUs)")
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
        sqlite_url = f"sqlite:///{folder / 'bench.db'}"
        empty_database(sqlite_url)
        import_into(sqlite_url, path, options.rows, "SQLite")
    if options.pg:
        empty_database(options.pg)
        import_into(options.pg, path, options.rows, "PostgreSQL")


def check(path: Path, folder: Path, rows: int) -> None:
    """Time the dry run against phonenumbers on the same rows and print the ratio."""
    baseline = time_phonenumbers(path)
    env = {**os.environ, "CALLBOT_DATABASE_URL": f"sqlite:///{folder / 'unused.db'}"}
    before = child_peak_mb()
    done = run(["leads", "check", str(path), "--out", str(folder / "verdicts.csv")], env)
    peak = max(child_peak_mb(), before)
    print(f"phonenumbers parse+is_valid_number {baseline:7.1f} s  ({baseline / rows * 1e6:5.1f} µs/row, one process)")
    print(
        f"callbot leads check (whole command) {done.seconds:6.1f} s  "
        f"({done.seconds / rows * 1e6:5.1f} µs/row, includes start-up, reading and writing CSV; "
        f"cpu {done.cpu:.1f} s in {done.processes} processes, peak RSS {peak:.0f} MB, all {done.peak_all_mb:.0f} MB)"
    )
    print(f"check speed / phonenumbers speed = {baseline / done.seconds:.2f}x  (goal >= 3x)")
    print("    " + " · ".join(line.strip() for line in done.output.splitlines()[1:6]))


if __name__ == "__main__":
    main()
