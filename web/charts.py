"""A campaign's dashboard figures as chart bars and display strings, shared by the page and its JSON endpoint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from callbot import campaigns
from callbot.models import Campaign
from callbot.settings import Price

Translate = Callable[[str], str]
# Currencies written without decimals (ISO 4217 minor unit 0) among those a deployment is likely to bill in.
WHOLE_CURRENCIES = frozenset({"VND", "JPY", "KRW", "IDR", "CLP", "ISK", "HUF"})

# Funnel stages with their own panel text ("callable" as a lead status reads "to call").
FUNNEL_LABELS = {"callable": "funnel_callable", "claimed": "funnel_claimed"}


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its value, its length (0–1 of the chart's scale) and what it says, shown and spoken."""

    key: str
    label: str
    value: int
    share: float
    text: str
    title: str


def number(value: float, lang: str, decimals: int = 0) -> str:
    """A number as the panel language writes it: 1.234,5 in Vietnamese, 1,234.5 in English."""
    text = f"{value:,.{decimals}f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "vi" else text


def percent(part: float, whole: float, lang: str) -> str:
    """part / whole as a percentage with at most one decimal ("33,3%"); "—" when whole is zero."""
    if not whole:
        return "—"
    value = 100 * part / whole
    return number(value, lang, 0 if value == int(value) else 1) + "%"


def funnel_bars(funnel: campaigns.Funnel, t: Translate, lang: str) -> list[Bar]:
    """The funnel's stages as bars, each as a share of the imported rows (and, in its title, of the stage before)."""
    top = funnel.imported
    bars = []
    previous = top
    for key, count in funnel.stages():
        label = t(FUNNEL_LABELS.get(key, key))
        text = f"{number(count, lang)} · {percent(count, top, lang)}"
        title = f"{label}: {text}"
        if key != "imported":  # how much of the stage before it this stage kept: where the funnel leaks
            title += f" ({percent(count, previous, lang)} {t('funnel_of_previous')})"
        bars.append(Bar(key, label, count, count / top if top else 0.0, text, title))
        previous = count
    return bars


def outcome_bars(counts: dict[str, int], t: Translate, lang: str) -> list[Bar]:
    """Every call outcome as a bar, as a share of all the campaign's calls."""
    total = sum(counts.values())
    bars = []
    for key, count in counts.items():
        text = f"{number(count, lang)} · {percent(count, total, lang)}"
        bars.append(Bar(key, t(key), count, count / total if total else 0.0, text, f"{t(key)}: {text}"))
    return bars


def hour_bars(hours: list[campaigns.HourStat], t: Translate, lang: str) -> list[Bar]:
    """The answer rate of each hour of the day; the title says how many calls it rests on."""
    bars = []
    for stat in hours:
        label = f"{stat.hour:02d}"
        rate = percent(stat.answered, stat.calls, lang)
        title = f"{stat.hour:02d}:00–{stat.hour:02d}:59: {stat.answered}/{stat.calls} {t('answered').lower()} ({rate})"
        bars.append(Bar(label, label, stat.answered, stat.rate, rate, title))
    return bars


def money(amount: Decimal, currency: str, lang: str) -> str:
    """An amount with its currency code, with the currency's usual decimals ("1.250 VND", "0.20 USD")."""
    decimals = 0 if currency in WHOLE_CURRENCIES else 2
    rounded = amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{number(float(rounded), lang, decimals)} {currency}"


def cost_numbers(minutes: campaigns.Minutes, price: Price | None, lang: str) -> dict[str, str]:
    """Talk time, billed minutes and, when a price per minute is set, the estimated cost, as display strings."""
    numbers = {
        "billed_calls": number(minutes.billed_calls, lang),
        "talk_minutes": number(minutes.talk_seconds / 60, lang, 1),
        "billed_minutes": number(minutes.billed_minutes, lang),
        "cost": "—",
        "price_per_minute": "—",
    }
    if price is not None:
        numbers["cost"] = money(price.amount * minutes.billed_minutes, price.currency, lang)
        numbers["price_per_minute"] = f"{price.amount} {price.currency}"
    return numbers


def dashboard(
    session: Session,
    campaign: Campaign,
    now: dt.datetime,
    *,
    timezone: str,
    price: Price | None,
    t: Translate,
    lang: str,
) -> dict[str, Any]:
    """Everything the dashboard shows, as plain data: the page renders it, the JSON endpoint sends it."""
    funnel = campaigns.funnel(session, campaign.id)
    progress = campaigns.progress(session, campaign, now)
    numbers = {
        key: number(getattr(progress, key), lang)
        for key in ("called", "live", "due_now", "waiting_window", "retries_due", "callbacks", "capped", "done")
    }
    numbers |= {
        "calls": number(funnel.calls, lang),
        "rejected": number(funnel.rejected, lang),
        "junk": number(funnel.junk, lang),
        "duplicate": number(funnel.duplicate, lang),
        "blocked": number(funnel.blocked, lang),
        "queued": number(funnel.queued, lang),
        "answer_rate": percent(funnel.answered, funnel.called, lang),
        "conversion": percent(funnel.won, funnel.claimed, lang),
        "updated": now.astimezone(ZoneInfo(timezone)).strftime("%H:%M:%S"),
    }
    numbers |= cost_numbers(campaigns.call_minutes(session, campaign.id), price, lang)
    charts = {
        "funnel": funnel_bars(funnel, t, lang),
        "outcomes": outcome_bars(campaigns.outcome_counts(session, campaign.id), t, lang),
        "hours": hour_bars(campaigns.answers_by_hour(session, campaign.id, timezone), t, lang),
    }
    return {
        "campaign": campaign.id,
        "status": campaign.status,
        "status_text": t(campaign.status),
        "updated_at": now.isoformat(),
        "numbers": numbers,
        "charts": {name: [asdict(bar) for bar in bars] for name, bars in charts.items()},
    }
