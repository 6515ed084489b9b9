"""Small generated lead tables with a known signal, the same every run (seeded)."""

from __future__ import annotations

import math

import numpy as np

CHANNELS = ("referral", "zalo", "facebook", "google")
CHANNEL_EFFECT = {"referral": 1.5, "zalo": 0.5, "facebook": -0.5, "google": -1.0}


def make_rows(n: int = 600, seed: int = 7, *, drift: bool = False) -> tuple[list[dict[str, str]], list[int]]:
    """Rows in time order: `visits` and `channel` decide the outcome; `noise` does not; `lead_id` names the row;
    `visits` is missing on one row in ten. With `drift`, a `rate_index` column climbs with time and the base rate
    with it (a time proxy)."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for i in range(n):
        visits = int(rng.integers(0, 20))
        channel = CHANNELS[int(rng.integers(0, len(CHANNELS)))]
        logit = -2.0 + 0.25 * visits + CHANNEL_EFFECT[channel]
        if drift:
            logit += 2.0 * i / n
        p = 1 / (1 + math.exp(-logit))
        labels.append(int(rng.random() < p))
        row = {
            "lead_id": f"L{100000 + i}",
            "visits": "" if i % 10 == 3 else str(visits),
            "channel": channel,
            "noise": ("a", "b", "c")[int(rng.integers(0, 3))],
        }
        if drift:
            row["rate_index"] = f"{1000 + i * 0.5 + float(rng.normal(0, 1)):.1f}"
        rows.append(row)
    return rows, labels
