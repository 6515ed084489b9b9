"""The learned ranking measured on public data, through `callbot model evaluate` itself.

Usage: nice -n 10 .venv/bin/python scripts/bench/ranking.py [--quick]

- bank-additional-full.csv (in time order; `duration` excluded: known only after the call): rolling origin over the
  later half (5 periods, each scored by a model trained on every earlier row), mean ROC AUC; goal >= 0.70.
- Leads.csv (Tags, Lead Quality, Last Activity, Last Notable Activity excluded: filled in by the sales team): ROC AUC
  on a stratified held-out fifth; goal >= 0.91. Also shown with the doubtful columns (Lead Profile, Asymmetrique*)
  excluded as well.
The data is read from ../shared/data (never copied into the project).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
LEAKS = ["Tags", "Lead Quality", "Last Activity", "Last Notable Activity"]
DOUBTFUL = [
    "Lead Profile",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
]


def evaluate(file: str, target: str, positive: str, exclude: list[str], *extra: str) -> tuple[dict, float]:
    """Run `callbot model evaluate … --json` in a subprocess; its result and the wall time."""
    args = [sys.executable, "-m", "callbot.cli", "model", "evaluate", str(DATA / file), "--target", target]
    args += ["--positive", positive, "--json", *extra]
    for column in exclude:
        args += ["--exclude", column]
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr or done.stdout}")
    return json.loads(done.stdout), time.perf_counter() - start


def main() -> None:
    bank, seconds = evaluate("bank-additional-full.csv", "y", "yes", ["duration"])
    by_time = bank["by_time"]
    print(f"bank-additional-full, {bank['rows']} rows, order: {bank['order']} ({seconds:.0f} s)")
    for i, fold in enumerate(by_time["folds"], start=1):
        print(
            f"  period {i}: trained on {fold['train_rows']:>6} rows, scored {fold['rows']}: ROC AUC {fold['auc']:.4f} "
            f"lift@10% {fold['lift_top10']:.2f} ECE {fold['ece']:.3f} ({fold['family']}; drift guard left out "
            f"{', '.join(c for c in fold['dropped'] if c != 'duration') or 'nothing'})"
        )
    print(f"  rolling origin over the later half: mean ROC AUC {by_time['mean_auc']:.4f} (goal >= 0.70)")
    print(f"  (for reference, stratified held-out fifth: ROC AUC {bank['holdout']['auc']:.4f})")
    for label, exclude in (("leaks removed", LEAKS), ("leaks and doubtful columns removed", LEAKS + DOUBTFUL)):
        leads, seconds = evaluate("Leads.csv", "Converted", "1", exclude, "--unordered")
        held = leads["holdout"]
        print(
            f"Leads.csv, {label}: stratified held-out fifth ({held['rows']} rows): ROC AUC {held['auc']:.4f} "
            f"lift@10% {held['lift_top10']:.2f} Brier {held['brier']:.4f} ECE {held['ece']:.3f} ({held['family']}, "
            f"{seconds:.0f} s){' (goal >= 0.91)' if exclude is LEAKS else ''}"
        )


if __name__ == "__main__":
    main()
