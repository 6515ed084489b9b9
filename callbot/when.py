"""When a person asks to be called back: "3 giờ chiều mai", "tomorrow at 3pm", or a keypad choice.

Pure: no I/O and no clock; every function is handed `now`. `read_callback_time` turns what speech recognition
heard into the moment asked for (aware, UTC), relative to `now` in the caller's own time zone; Vietnamese and
English are both understood whatever the call's language (people mix them: "3pm mai nhé"), typed or spoken with
or without diacritics, composed or decomposed Unicode. `describe_callback` is what the bot says back to confirm,
`KEYPAD_CHOICES` / `callback_from_digit` / `KEYPAD_PROMPTS` the keypad alternative. Whether the moment is inside
the campaign's legal calling window is for the caller of these functions to check (`compliance`).

How the text is read: it is split into words and numbers ("15h30" → 15 h 30, "3pm" → 3 pm; "15:30" is a clock
time, "5/12" a date), then scanned left to right for the pieces of a time: a duration ("30 phút nữa", "in two
hours"), a day ("mai", "thứ hai tuần sau", "ngày 5", "next Monday"), a clock time ("3 giờ 30", "3 rưỡi", "at 3",
"half past two"), a part of the day ("chiều", "tonight"). Words that are none of these ("em ơi", "gọi lại", "nhé",
"được không", "please") are skipped. A word written with diacritics must be the word itself ("tối" is evening,
"tôi" is "I"); a word without diacritics stands for any word that folds to it, and where that is ambiguous the
neighbouring words decide: "toi" is evening after a time ("7 giờ toi") or before a day ("toi nay") but "I" after
"cho" or before a verb ("cho toi", "toi ban"); "bay gio" is 7 o'clock only with a lead word or a part of the day
("lúc bay gio", "bay gio toi"), otherwise "now"; "tam" is 8 before an hour unit, else "around"; "mot" is "the day
after tomorrow" after "ngày" or a part of the day, else "one".

Rules for what people leave open (all relative to `now` in the caller's time zone):

- Hour without a part of the day: 1–6 is the afternoon (13:00–18:00), 7–11 the morning, 12 noon; 0 and 13–24 are
  the 24-hour clock. The next occurrence wins: "3 giờ" at 10:00 is 15:00 today, "9 giờ" at 10:00 is 09:00
  tomorrow. The same "next occurrence" rule moves a past time to the next day ("3 giờ chiều" said at 16:00 is
  tomorrow 15:00) unless the phrase names the day: "3 giờ chiều nay" said at 16:00 is None.
- Parts of the day: sáng / morning 09:00, trưa / noon 12:00, chiều / afternoon 15:00, tối / evening / tonight
  19:00, đêm / night 21:00; "đầu giờ chiều" / early afternoon 13:30, "cuối giờ chiều" / late afternoon 16:30,
  "sáng sớm" / early morning 08:00. A part of the day alone is its next occurrence ("sáng" at 10:00 is tomorrow
  09:00). Said with "nay" / "this" / "tonight" while that part is already running, it is in 30 minutes (rounded up
  to the quarter hour) if that is still before 11:00 / 13:00 / 17:00 / 21:00 / 23:00 respectively, else None.
- Hour with a part of the day: "3 giờ chiều" 15:00, "7 giờ tối" 19:00, "12 giờ trưa" 12:00, "12 giờ đêm" and
  "midnight" 00:00 of the next day, "1 giờ đêm" 01:00; a 24-hour hour that contradicts the part ("15 giờ sáng",
  "13 pm") is nonsense, as are "25 giờ", "3 giờ 75", "thứ 9", "ngày 32", "30/2": None.
- A day without a time: the same time of day as `now` (the person answers calls at this hour). "hôm nay" /
  "today" alone is later today (in 2 hours).
- Weekdays: "thứ hai" / "Monday" is the next Monday after today (never today); "thứ hai tuần sau" / "next Monday"
  is the Monday of next week (weeks start on Monday); "thứ sáu tuần này" / "this Friday" is this week's Friday
  (the next one when it has passed). "cuối tuần" / "weekend" is the coming Saturday (Sunday when said on a
  Saturday after the time), "đầu tuần sau" / "early next week" next Monday. "tuần sau" / "next week" alone is the
  same time in 7 days, "tháng sau" / "next month" alone the same day next month.
- Dates: "ngày 5", "mùng 5", "the 5th" are the next 5th (this month, else the next month that has that day);
  "5/12", "ngày 5 tháng 12", "December 5th" the next 5 December; a date with a year that has passed is None.
  Numeric dates are day/month in Vietnamese and month/day in English (the flow's English voice is en-US).
- Durations: "30 phút nữa", "nửa tiếng nữa", "sau 2 tiếng", "2 giờ nữa", "in an hour" are exact. "sau 2 giờ" is
  "after 2 o'clock", a clock time ("tiếng" is the unambiguous word for hours). "vài" / "a few" is 5 minutes or 2
  hours / days / weeks. "3 ngày nữa", "in a week" keep the time of day.
- Vague phrases, used only when nothing more precise was said: "lát nữa", "một lát", "chút nữa", "in a bit",
  "shortly" → in 1 hour; "để sau", "lúc khác", "later", "another time" → in 2 hours (later today); "hôm khác",
  "mai mốt", "another day", "tuần này" / "this week" → tomorrow at the same time.

`CallbackTime.precise` tells the flow whether the caller named the time (a clock time, a duration, "giờ này") or
we filled it in from the rules above, so it can ask "mấy giờ thì tiện ạ?" when it wants to.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from scoring.text import fold_text

__all__ = [
    "DEFAULT_TZ",
    "KEYPAD_CHOICES",
    "KEYPAD_PROMPTS",
    "KEYPAD_PROMPT_EN",
    "KEYPAD_PROMPT_VI",
    "CallbackTime",
    "KeypadChoice",
    "callback_from_digit",
    "describe_callback",
    "parse_callback_time",
    "read_callback_time",
]

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
LANGUAGES = ("vi", "en")

SOON = dt.timedelta(hours=1)  # "lát nữa", "in a bit"
LATER = dt.timedelta(hours=2)  # "để sau", "later", "hôm nay" alone
MAX_AHEAD = dt.timedelta(days=366)  # anything further is not a callback
MAX_TEXT = 500  # characters read: one speech result is a sentence or two; this bounds the work per request


@dataclass(frozen=True)
class CallbackTime:
    """A moment a caller asked for: `at` (aware, UTC) and whether they named the time (`precise`)."""

    at: dt.datetime
    precise: bool


# --- the API ----------------------------------------------------------------------------------------------


def parse_callback_time(text: str, now: dt.datetime, tz: str = DEFAULT_TZ, language: str = "vi") -> dt.datetime | None:
    """The moment (aware, UTC) `text` asks to be called back at, or None when it names no (sensible) time."""
    heard = read_callback_time(text, now, tz, language)
    return heard.at if heard else None


def read_callback_time(text: str, now: dt.datetime, tz: str = DEFAULT_TZ, language: str = "vi") -> CallbackTime | None:
    """Like `parse_callback_time`, and says whether the time was named or filled in by a default rule."""
    zone = ZoneInfo(tz)
    local_now = _aware(now).astimezone(zone)
    reader = _Reader(_tokens((text or "")[:MAX_TEXT], _language(language)))
    reader.read()
    return _resolve(reader.heard, local_now, zone)


def describe_callback(
    moment: dt.datetime, tz: str = DEFAULT_TZ, language: str = "vi", *, now: dt.datetime | None = None
) -> str:
    """What the bot says to confirm a callback; with `now`, "today" / "tomorrow" and a year when it differs."""
    zone = ZoneInfo(tz)
    local = _aware(moment).astimezone(zone)
    day, relative, other_year = local.date(), "", False
    if now is not None:
        today = _aware(now).astimezone(zone).date()
        relative = {0: "today", 1: "tomorrow"}.get((day - today).days, "")
        other_year = day.year != today.year
    if _language(language) == "vi":
        when = _vi_clock(local.hour, local.minute) + {"today": " nay", "tomorrow": " mai"}.get(relative, "")
        date = f"{_VI_WEEKDAYS[day.weekday()]} ngày {day.day} tháng {day.month}" + (
            f" năm {day.year}" if other_year else ""
        )
        return f"Vâng, chúng tôi sẽ gọi lại cho anh chị vào {when}, {date}."
    date = f"{_EN_WEEKDAYS[day.weekday()]} {day.day} {_EN_MONTH_NAMES[day.month - 1]}" + (
        f" {day.year}" if other_year else ""
    )
    clock = _en_clock(local.hour, local.minute)
    if relative:
        return f"We will call you back {relative}, {date}, {clock}."
    return f"We will call you back on {date} {clock}."


@dataclass(frozen=True)
class KeypadChoice:
    """A keypad answer to "when shall we call back?": the moment, and how the prompt names it."""

    digit: str
    vi: str  # completes "Nhấn 1 để được gọi lại …"
    en: str  # completes "Press 1 to be called back …"
    hours_later: int = 0  # an exact delay from now …
    days_later: int = 0  # … or a local day from today,
    at: tuple[int, int] | None = None  # at this local (hour, minute); None keeps now's time of day


KEYPAD_CHOICES: dict[str, KeypadChoice] = {
    choice.digit: choice
    for choice in (
        KeypadChoice("1", "sau 2 tiếng", "in 2 hours", hours_later=2),
        KeypadChoice("2", "vào sáng mai", "tomorrow morning", days_later=1, at=(9, 0)),
        KeypadChoice("3", "vào chiều mai", "tomorrow afternoon", days_later=1, at=(15, 0)),
        KeypadChoice("4", "vào giờ này tuần sau", "at this time next week", days_later=7),
    )
}
KEYPAD_PROMPT_VI = (
    "Nhấn 1 để được gọi lại sau 2 tiếng, nhấn 2 để được gọi lại vào sáng mai, "
    "nhấn 3 để được gọi lại vào chiều mai, nhấn 4 để được gọi lại vào giờ này tuần sau."
)
KEYPAD_PROMPT_EN = (
    "Press 1 to be called back in 2 hours, press 2 for tomorrow morning, "
    "press 3 for tomorrow afternoon, or press 4 for this time next week."
)
KEYPAD_PROMPTS = {"vi": KEYPAD_PROMPT_VI, "en": KEYPAD_PROMPT_EN}


def callback_from_digit(digit: str, now: dt.datetime, tz: str = DEFAULT_TZ) -> dt.datetime | None:
    """The moment (aware, UTC) a keypad choice stands for, or None for a key that is not a choice."""
    choice = KEYPAD_CHOICES.get((digit or "").strip())
    if choice is None:
        return None
    now = _aware(now)
    if choice.hours_later:
        return (now + dt.timedelta(hours=choice.hours_later)).astimezone(dt.UTC)
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    hour, minute = choice.at or (local.hour, local.minute)
    day = local.date() + dt.timedelta(days=choice.days_later)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone).astimezone(dt.UTC)


# --- saying a time ----------------------------------------------------------------------------------------

_VI_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _vi_clock(hour: int, minute: int) -> str:
    """ "3 giờ chiều", "10 giờ 30 phút sáng", "12 giờ trưa", "11 giờ đêm": the 12-hour clock people say."""
    if hour < 4 or hour >= 22:
        part = "đêm"
    elif hour < 11:
        part = "sáng"
    elif hour < 13:
        part = "trưa"
    elif hour < 18:
        part = "chiều"
    else:
        part = "tối"
    if hour == 0:  # "12 giờ đêm" would leave open which night
        return f"0 giờ {minute} phút" if minute else "0 giờ"
    shown = hour % 12 or 12
    return f"{shown} giờ {minute} phút {part}" if minute else f"{shown} giờ {part}"


def _en_clock(hour: int, minute: int) -> str:
    if minute == 0 and hour == 12:
        return "at noon"
    shown = hour % 12 or 12
    suffix = "am" if hour < 12 else "pm"
    return f"at {shown}:{minute:02d} {suffix}" if minute else f"at {shown} {suffix}"


# --- words ------------------------------------------------------------------------------------------------


def _language(language: str) -> str:
    code = (language or "").split("-")[0].split("_")[0].lower()
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: expected one of {', '.join(LANGUAGES)}")
    return code


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    return moment


@lru_cache(maxsize=4096)
def _fold(word: str) -> str:
    return fold_text(word)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # word · num · clock (value: hour, minute) · date (value: day, month, year or 0)
    raw: str  # NFC, lower case
    fold: str  # without diacritics
    capital: bool = False  # written with a capital ("chị Mai": a name, not "tomorrow")
    value: tuple[int, ...] = ()
    plain: bool = False  # a word written without diacritics: it may stand for any word that folds to it


_TOKEN = re.compile(
    r"(?P<iso>\d{4}-\d{1,2}-\d{1,2})(?!\d)"
    r"|(?P<date>\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{1,2}-\d{1,2}-\d{2,4})(?!\d)"
    r"|(?P<clock>\d{1,2}:\d{2}|\d{1,2}\.\d{2}(?=\s*[ap]\.?\s?m\b))(?!\d)"
    r"|(?P<num>\d+)"
    r"|(?P<word>[^\W\d_]+)"
)


def _tokens(text: str, language: str) -> list[_Token]:
    text = unicodedata.normalize("NFC", text)
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        kind, raw = match.lastgroup or "word", match.group()
        if kind == "word":
            lower = raw.lower()
            folded = _fold(lower)
            tokens.append(_Token("word", lower, folded, raw[0].isupper(), plain=lower == folded))
        elif kind == "num":
            tokens.append(_Token("num", raw, raw))
        elif kind == "clock":
            hour, minute = re.split(r"[:.]", raw)
            tokens.append(_Token("clock", raw, raw, value=(int(hour), int(minute))))
        else:
            parts = [int(p) for p in re.split(r"[/-]", raw)]
            if kind == "iso":
                day, month, year = parts[2], parts[1], parts[0]
            else:
                first, second = parts[0], parts[1]
                day, month = (second, first) if language == "en" else (first, second)
                year = parts[2] if len(parts) > 2 else 0
                year = year + 2000 if 0 < year < 100 else year
            tokens.append(_Token("date", raw, raw, value=(day, month, year)))
    return tokens


def _is(token: _Token | None, word: str) -> bool:
    """`token` is `word`: exactly, or written without diacritics and folding to the same letters."""
    return _is_any(token, (word,))


@lru_cache(maxsize=1024)
def _word_set(words: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(words), frozenset(_fold(word) for word in words)


def _is_any(token: _Token | None, words: tuple[str, ...]) -> bool:
    """`token` is one of `words` (each matched like `_is`)."""
    if token is None or token.kind != "word":
        return False
    exact, folded = _word_set(words)
    return token.raw in exact or (token.plain and token.fold in folded)


@lru_cache(maxsize=1024)
def _alternatives(words: str) -> tuple[str, ...]:
    return tuple(words.split("|"))


class _Vocab:
    """Words with a value, matched like `_is` (accented words exactly, plain words by their folded form)."""

    def __init__(self, table: dict[str, int]) -> None:
        self.exact = dict(table)
        self.folded: dict[str, int] = {}
        for word, value in table.items():
            self.folded.setdefault(_fold(word), value)

    def get(self, token: _Token | None) -> int | None:
        if token is None or token.kind != "word":
            return None
        if token.raw in self.exact:
            return self.exact[token.raw]
        return self.folded.get(token.fold) if token.plain else None


_VI_DIGITS = {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9}
_VI_UNITS = _Vocab(_VI_DIGITS)
_VI_AFTER_TEN = _Vocab({**_VI_DIGITS, "tư": 4, "lăm": 5, "nhăm": 5})  # mười một … mười lăm … mười chín
_VI_AFTER_TENS = _Vocab({**_VI_DIGITS, "mốt": 1, "tư": 4, "lăm": 5, "nhăm": 5})  # hai mươi mốt, ba mươi lăm
_EN_SMALL = _Vocab(
    {
        word: value
        for value, word in enumerate(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
            "sixteen seventeen eighteen nineteen".split()
        )
    }
)
_EN_UNITS = _Vocab(
    {word: value for value, word in enumerate("one two three four five six seven eight nine".split(), 1)}
)
_EN_TENS = _Vocab({"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50})
_EN_ORDINALS = _Vocab(
    {
        word: value
        for value, word in enumerate(
            "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
            "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth".split()
        )
        if value
    }
    | {"twentieth": 20, "thirtieth": 30}
)
_EN_MONTHS = _Vocab(
    {
        "january": 1,
        "jan": 1,
        "february": 2,
        "feb": 2,
        "march": 3,
        "mar": 3,
        "april": 4,
        "apr": 4,
        "may": 5,
        "june": 6,
        "jun": 6,
        "july": 7,
        "jul": 7,
        "august": 8,
        "aug": 8,
        "september": 9,
        "sep": 9,
        "sept": 9,
        "october": 10,
        "oct": 10,
        "november": 11,
        "nov": 11,
        "december": 12,
        "dec": 12,
    }
)
_EN_WEEKDAYS_VOCAB = _Vocab({name.lower(): index for index, name in enumerate(_EN_WEEKDAYS)})
_VI_WEEKDAY_AFTER_THU = _Vocab({"hai": 0, "ba": 1, "tư": 2, "năm": 3, "sáu": 4, "bảy": 5, "bẩy": 5})

# Parts of the day: (default minute of the day, latest minute to start a call "this <part>").
_PARTS: dict[str, tuple[int, int]] = {
    "morning": (9 * 60, 11 * 60),
    "noon": (12 * 60, 13 * 60),
    "afternoon": (15 * 60, 17 * 60),
    "evening": (19 * 60, 21 * 60),
    "night": (21 * 60, 23 * 60),
}
_VI_PARTS = {"sáng": "morning", "trưa": "noon", "chiều": "afternoon", "tối": "evening", "đêm": "night"}
_EN_PARTS = {
    "morning": "morning",
    "noon": "noon",
    "lunchtime": "noon",
    "lunch": "noon",
    "afternoon": "afternoon",
    "evening": "evening",
    "night": "night",
}

_HOUR_UNITS = ("giờ", "h", "g")
_MINUTE_UNITS = ("phút", "p", "minute", "minutes", "min", "mins")
_HOUR_WORDS = ("tiếng", "hour", "hours", "hr", "hrs")
_DAY_UNITS = ("ngày", "hôm", "bữa", "day", "days")
_WEEK_UNITS = ("tuần", "week", "weeks")
_MONTH_UNITS = ("tháng", "month", "months")
_NOT_A_CLOCK = (*_MINUTE_UNITS, *_HOUR_WORDS, *_DAY_UNITS, *_WEEK_UNITS, *_MONTH_UNITS, "th", "st", "nd", "rd")
_NOT_MINUTES = (*_HOUR_UNITS, *_HOUR_WORDS, *_DAY_UNITS, *_WEEK_UNITS, *_MONTH_UNITS, "nữa", "th", "st", "nd", "rd")
_LEADS_BARE = ("lúc", "vào", "khoảng", "tầm", "chừng", "độ", "at", "around", "about", "by", "approximately")
_LEADS = (*_LEADS_BARE, "tới", "đến", "trước", "sau", "after", "before", "until", "till")
_APPROX = ("khoảng", "tầm", "chừng", "độ", "about", "around", "roughly", "approximately")
_WEEK_NEXT = ("sau", "tới", "kế")

# Folded neighbours that decide what a plain "sang" (sáng / sang) or "toi" (tối / tôi) is.
_DAY_NEXT = {"nay", "mai", "mot", "kia", "thu", "chu", "cn", "hom", "bua", "som"}
_TIME_PREV = {"gio", "buoi", "vao", "luc", "khoang", "tam", "mai", "nay", "mot", "kia", "dung"}
_PRONOUN_PREV = {"cho", "voi", "giup", "gium", "ho", "cua", "la", "bao", "nhan", "ma", "va", "thi", "chuyen"}
_PRONOUN_NEXT = {
    "ban", "se", "dang", "muon", "can", "khong", "chua", "co", "da", "di", "o", "lam", "nghi", "phai", "hop",
    "lai", "thi", "goi", "vua", "van", "cung", "moi", "bao", "nhan", "nghe", "biet", "hoi", "xin", "rat",
    "hien", "con", "ve", "tu", "chi", "ranh",
}  # fmt: skip
_KIN = {"anh", "chi", "em", "co", "chu", "bac", "ban", "ong", "ba", "con", "chau", "di", "thim", "mo", "cau"}

# Phrases that name no precise time, each a tuple of words (alternatives separated by "|").
_VAGUE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("soon", ("lát",)),
    ("soon", ("chút", "nữa")),
    ("soon", ("một", "chút")),
    ("soon", ("chút", "xíu")),
    ("soon", ("tí", "nữa")),
    ("soon", ("một", "tí")),
    ("soon", ("xíu", "nữa")),
    ("soon", ("chốc", "nữa")),
    ("soon", ("một", "chốc")),
    ("soon", ("in", "a", "bit|while|minute|moment|second|sec")),
    ("soon", ("in", "a", "little", "while|bit")),
    ("soon", ("a", "little", "later")),
    ("soon", ("shortly",)),
    ("soon", ("soon",)),
    ("later", ("để", "sau")),
    ("later", ("lúc|khi", "khác")),
    ("later", ("later",)),
    ("later", ("another|other", "time")),
    ("another_day", ("hôm|bữa|ngày|dịp", "khác")),
    ("another_day", ("another|other|different", "day")),
)


# --- reading ----------------------------------------------------------------------------------------------


@dataclass
class _Heard:
    """The pieces of a time found in the text; the first of each kind wins."""

    invalid: bool = False
    minutes_later: int | None = None
    fuzzy: bool = False  # the duration was "a few" minutes / hours
    day_offset: int | None = None
    today: bool = False
    weekday: int | None = None
    week_shift: int | None = None
    week_named: bool = False  # "tuần này / sau", "this / next week"
    weekend: bool = False
    week_start: bool = False
    day: int | None = None
    month: int | None = None
    year: int | None = None
    month_shift: int | None = None
    clock: tuple[int, int] | None = None
    clock_part: str | None = None  # am · pm or a part of the day said right after the clock: it binds to it
    part: str | None = None
    part_at: int | None = None  # minute of the day for "đầu giờ chiều" and the like
    same_time: bool = False
    vague: str | None = None

    def put(self, **values: object) -> None:
        for name, value in values.items():
            if getattr(self, name) in (None, False):
                setattr(self, name, value)


class _Reader:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.heard = _Heard()
        self.clock_end = -1  # where the clock time ended: a part of the day said right after it is its own

    def read(self) -> None:
        matchers = (
            self._vague,
            self._same_time,
            self._duration,
            self._qualified,
            self._date,
            self._weekday,
            self._week,
            self._day,
            self._clock,
            self._part,
            self._after,
        )
        i = 0
        while i < len(self.tokens):
            for matcher in matchers:
                end = matcher(i)
                if end is not None and end > i:
                    i = end
                    break
            else:
                i += 1

    # helpers

    def at(self, i: int) -> _Token | None:
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    def word(self, i: int, *words: str) -> bool:
        return _is_any(self.at(i), words)

    def seq(self, i: int, *words: str) -> int | None:
        """The end of `words` (each may list alternatives with "|") read from `i`, or None."""
        for offset, alternatives in enumerate(words):
            if not _is_any(self.at(i + offset), _alternatives(alternatives)):
                return None
        return i + len(words)

    def number(self, i: int) -> tuple[int, int] | None:
        """A number in digits, English words or Vietnamese words ("hai mươi lăm"), and where it ends."""
        token = self.at(i)
        if token is None:
            return None
        if token.kind == "num":
            return (int(token.raw), i + 1) if len(token.raw) <= 4 else None
        if token.kind != "word":
            return None
        if (tens := _EN_TENS.get(token)) is not None:
            unit = _EN_UNITS.get(self.at(i + 1))
            return (tens + unit, i + 2) if unit else (tens, i + 1)
        if (small := _EN_SMALL.get(token)) is not None:
            return small, i + 1
        if self.word(i, "mười"):
            unit = _VI_AFTER_TEN.get(self.at(i + 1))
            return (10 + unit, i + 2) if unit is not None else (10, i + 1)
        if self.word(i, "hăm"):
            unit = _VI_AFTER_TENS.get(self.at(i + 1))
            return (20 + unit, i + 2) if unit is not None else (20, i + 1)
        digit = _VI_UNITS.get(token)
        if digit is None:
            return None
        if digit >= 2 and self.word(i + 1, "mươi", "chục"):
            unit = _VI_AFTER_TENS.get(self.at(i + 2))
            return (digit * 10 + unit, i + 3) if unit is not None else (digit * 10, i + 2)
        if digit >= 2 and self.word(i + 1, "lăm", "nhăm"):  # "bốn lăm" = 45
            return digit * 10 + 5, i + 2
        return digit, i + 1

    def ampm(self, i: int) -> tuple[str, int] | None:
        if self.word(i, "am"):
            return "am", i + 1
        if self.word(i, "pm"):
            return "pm", i + 1
        if self.word(i, "a", "p") and self.word(i + 1, "m"):
            return ("am" if self.word(i, "a") else "pm"), i + 2
        return None

    def part_here(self, i: int) -> tuple[str, int | None, int] | None:
        """A part of the day starting at `i`: (part, its own default minute or None, end), without side effects."""
        j, forced = i, False
        if self.word(j, "buổi", "ca"):
            j, forced = j + 1, True
        for lead, minute_of in (("đầu", {"sáng": 8 * 60, "chiều": 13 * 60 + 30}), ("cuối", {"chiều": 16 * 60 + 30})):
            if self.word(j, lead) and self.word(j + 1, "giờ"):
                for word, minute in minute_of.items():
                    if self.word(j + 2, word):
                        return _VI_PARTS[word], minute, j + 3
        for word, part in _VI_PARTS.items():
            if not self.word(j, word):
                continue
            token = self.at(j)
            assert token is not None
            if token.plain and word in ("sáng", "tối") and not forced and not self._part_in_context(j):
                return None
            if word == "sáng" and self.word(j + 1, "sớm"):
                return part, 8 * 60, j + 2
            if word == "chiều" and self.word(j + 1, "muộn"):
                return part, 16 * 60 + 30, j + 2
            if word == "chiều" and self.word(j + 1, "tối"):
                return "evening", 17 * 60 + 30, j + 2
            return part, None, j + 1
        if self.word(j, "khuya"):
            return "night", None, j + 1
        if self.word(j, "early", "late"):
            late = self.word(j, "late")
            if self.word(j + 1, "morning"):
                return "morning", (11 if late else 8) * 60, j + 2
            if self.word(j + 1, "afternoon"):
                return "afternoon", 16 * 60 + 30 if late else 13 * 60 + 30, j + 2
            return None
        for word, part in _EN_PARTS.items():
            if self.word(j, word) and word != "noon":  # "noon" is a clock time
                return part, None, j + 1
        return None

    def _part_in_context(self, i: int) -> bool:
        """Whether a plain "sang" or "toi" is the part of the day (sáng, tối) rather than "sang" or "tôi"."""
        before, after = self.at(i - 1), self.at(i + 1)
        if before is not None and (before.kind == "num" or before.fold in ("h", "g", "ruoi")):
            return True  # "7h toi", "7 rưỡi toi"
        two_before = self.at(i - 2)
        if _is(before, "giờ") and two_before is not None and two_before.kind == "num":
            return True  # "7 gio toi" ("bay gio toi" may be "bây giờ tôi": the words after decide)
        if before is not None and before.fold in _PRONOUN_PREV:
            return False
        if after is not None and after.fold in _PRONOUN_NEXT:
            return False
        if after is not None and after.fold in _DAY_NEXT:
            return True
        return before is not None and before.fold in _TIME_PREV

    # matchers: each returns where it stopped reading, or None when it does not apply at `i`

    def _vague(self, i: int) -> int | None:
        if self.seq(i, "mai", "mốt") and not self._unit_follows(i + 2):
            self.heard.put(vague="another_day")  # "mai mốt": some day soon
            return i + 2
        for kind, words in _VAGUE:
            end = self.seq(i, *words)
            if end is not None:
                self.heard.put(vague=kind)
                return end
        return None

    def _unit_follows(self, i: int) -> bool:
        return self.word(i, *_HOUR_UNITS, *_MINUTE_UNITS, *_HOUR_WORDS, "rưỡi")

    def _same_time(self, i: int) -> int | None:
        j = i
        while self.word(j, *_APPROX, "vào", "lúc", "at"):
            j += 1
        end = self.seq(j, "giờ", "này") or self.seq(j, "this|same", "time")
        if end is not None:
            self.heard.put(same_time=True)
        return end

    def _duration(self, i: int) -> int | None:
        j, marked = i, False
        if self.word(j, "sau", "after"):
            j += 1
        elif self.word(j, "trong", "in", "within"):
            j, marked = j + 1, True
            if self.word(j, "vòng"):
                j += 1
        while self.word(j, *_APPROX):
            j += 1
        span = self._span(j)
        if span is None and j > i and not marked:
            j, span = i, self._span(i)  # "sau tieng nua": "sáu tiếng nữa"
        if span is None:
            return None
        unit, amount, k, clock_unit, few = span
        if self.word(k, "nữa", "later") or self.seq(k, "from", "now"):
            marked, k = True, k + (2 if self.word(k, "from") else 1)
        elif self.word(k, "sau") and not self.word(k + 1, "nữa"):
            marked, k = True, k + 1
        elif self.word(k, "time") and marked:
            k += 1
        if clock_unit and not marked:
            return None  # "2 giờ" and "sau 2 giờ" name a clock time
        if amount <= 0:
            self.heard.invalid = True
        elif unit == "minutes":
            self.heard.put(minutes_later=amount, fuzzy=few)
        elif unit == "days":
            self.heard.put(day_offset=amount)
        else:
            self.heard.put(month_shift=amount)
        return k

    def _span(self, j: int) -> tuple[str, int, int, bool, bool] | None:
        """An amount and unit ("2 tiếng rưỡi", "half an hour", "vài ngày"): (minutes|days|months, amount, end,
        the unit was "giờ", the amount was "a few")."""
        amount: int | None
        few = False
        if self.word(j, "nửa", "half"):
            k = j + 1 + (1 if self.word(j + 1, "an", "a") else 0)
            if self.word(k, "tiếng", "giờ", "hour", "h"):
                k += 1 + (2 if self.seq(k + 1, "đồng", "hồ") else 0)
                return "minutes", 30, k, False, False
            return None
        if self.word(j, "vài", "mấy", "dăm", "few", "several"):
            amount, k, few = 0, j + 1, True
        elif end := self.seq(j, "a", "few"):
            amount, k, few = 0, end, True
        elif end := (self.seq(j, "a", "couple", "of") or self.seq(j, "couple", "of")):
            amount, k = 2, end
        elif self.word(j, "a", "an"):
            amount, k = 1, j + 1
        elif self.word(j, "mươi") and self.word(j + 1, *_MINUTE_UNITS):
            amount, k = 10, j + 1
        else:
            read = self.number(j)
            if read is None:
                return None
            amount, k = read
        half = 0
        if self.seq(k, "and", "a", "half"):
            half, k = 1, k + 3
        if self.word(k, *_MINUTE_UNITS):
            if self.word(k, "p") and self.word(k + 1, "m"):
                return None  # "3 p m"
            return "minutes", 5 if few else amount, k + 1, False, few
        clock_unit = self.word(k, *_HOUR_UNITS)
        if clock_unit or self.word(k, *_HOUR_WORDS):
            minutes = (2 if few else amount) * 60 + half * 30
            k += 1
            if self.seq(k, "đồng", "hồ"):
                k += 2
            if self.word(k, "rưỡi") or self.seq(k, "and", "a", "half"):
                minutes += 30
                k += 1 if self.word(k, "rưỡi") else 3
            else:
                m = k + (1 if self.word(k, "and") else 0)
                more = self.number(m)
                if more is not None and self.word(more[1], *_MINUTE_UNITS):
                    minutes += more[0]
                    k = more[1] + 1
            return "minutes", minutes, k, clock_unit, few
        if half:
            return None
        count = 2 if few else amount
        if self.word(k, *_DAY_UNITS):
            return "days", count, k + 1, False, few
        if self.word(k, *_WEEK_UNITS):
            return "days", 7 * count, k + 1 + (1 if self.word(k + 1, "lễ") else 0), False, few
        if self.word(k, *_MONTH_UNITS) and self.number(k + 1) is None:
            return "months", count, k + 1, False, few
        return None

    def _qualified(self, i: int) -> int | None:
        """English "next …", "this …", "coming …", "the week after next", "early next week"."""
        heard = self.heard
        if end := (self.seq(i, "the", "week", "after", "next") or self.seq(i, "week", "after", "next")):
            heard.put(week_shift=2, week_named=True)
            return end
        if end := self.seq(i, "early", "next", "week"):
            heard.put(week_start=True, week_shift=1)
            return end
        if not self.word(i, "next", "this", "coming"):
            return None
        shift = 1 if self.word(i, "next") else (0 if self.word(i, "this") else None)
        j = i + 1
        if self.word(i, "this") and self.word(j, "coming"):
            j, shift = j + 1, None
        weekday = _EN_WEEKDAYS_VOCAB.get(self.at(j))
        if weekday is not None:
            heard.put(weekday=weekday, week_shift=shift)
            return j + 1
        if self.word(j, "week"):
            heard.put(week_shift=shift if shift is not None else 1, week_named=True)
            return j + 1
        if self.word(j, "weekend"):
            heard.put(weekend=True, week_shift=shift or None)
            return j + 1
        if self.word(j, "month"):
            if shift:
                heard.put(month_shift=shift)
            return j + 1
        part = self.part_here(j)
        if part is not None and self.word(i, "this"):
            heard.put(day_offset=0, today=True, part=part[0], part_at=part[1])
            return part[2]
        return None

    def _date(self, i: int) -> int | None:
        token = self.at(i)
        if token is None:
            return None
        if token.kind == "date":
            return self._put_date(*token.value, end=i + 1)
        j = None
        if self.word(i, "ngày"):
            j = i + 1 + (1 if self.word(i + 1, "mùng", "mồng") else 0)
        elif self.word(i, "mùng", "mồng"):
            j = i + 1
        if j is not None:
            following = self.at(j)
            if following is not None and following.kind == "date":
                return self._put_date(*following.value, end=j + 1)
            read = self.number(j)
            if read is None:
                return None
            day, k = read
            if _is(self.at(j), "mốt") and k == j + 1 and not self.word(k, "tháng"):
                return None  # "ngày mốt": the day after tomorrow
            return self._month_after(day, k)
        read = self.number(i)
        if read is not None and self.word(read[1], "tháng") and self.number(read[1] + 1) is not None:
            return self._month_after(read[0], read[1])  # "5 tháng 12"
        # English: "December 5th", "the 5th of December", "5 December", "on the fifth"
        month = _EN_MONTHS.get(token)
        if month is not None:
            k = i + 1 + (1 if self.word(i + 1, "the") else 0)
            ordinal = self._ordinal(k)
            if ordinal is None:
                return None  # a month name alone names no day
            year, end = self._year(ordinal[1])
            return self._put_date(ordinal[0], month, year, end=end)
        k, saw_the = i, False
        while self.word(k, "on", "the"):
            k, saw_the = k + 1, saw_the or self.word(k, "the")
        ordinal = self._ordinal(k)
        if ordinal is None:
            return None
        day, k, how = ordinal
        m = k + (1 if self.word(k, "of") else 0)
        month = _EN_MONTHS.get(self.at(m))
        if month is not None:
            year, end = self._year(m + 1)
            return self._put_date(day, month, year, end=end)
        if how == "suffix" or saw_the:  # "5th", "the 5th", "the fifth"; a bare "5" or "fifth" is not a date
            return self._put_date(day, 0, None, end=k)
        return None

    def _ordinal(self, k: int) -> tuple[int, int, str] | None:
        """A day of the month in English: "5", "5th", "fifth", "twenty first": (day, end, digits|suffix|word)."""
        token = self.at(k)
        if token is None:
            return None
        if token.kind == "num":
            if self.word(k + 1, "th", "st", "nd", "rd"):
                return int(token.raw), k + 2, "suffix"
            return (int(token.raw), k + 1, "digits") if len(token.raw) <= 2 else None
        tens = _EN_TENS.get(token)
        if tens is not None and tens <= 30:
            unit = _EN_ORDINALS.get(self.at(k + 1))
            if unit is not None and unit < 10:
                return tens + unit, k + 2, "word"
        value = _EN_ORDINALS.get(token)
        return (value, k + 1, "word") if value is not None else None

    def _year(self, k: int) -> tuple[int | None, int]:
        token = self.at(k)
        if token is not None and token.kind == "num" and len(token.raw) == 4:
            return int(token.raw), k + 1
        return None, k

    def _month_after(self, day: int, k: int) -> int:
        """After a day of the month in Vietnamese: "tháng 12", "tháng sau", "tháng này", then "năm 2027"."""
        month: int | None = None
        if self.word(k, "tháng"):
            read = self.number(k + 1)
            if self.word(k + 1, *_WEEK_NEXT):  # before the number: a plain "sau" could be "sáu"
                self.heard.put(month_shift=1)
                k += 2
            elif self.word(k + 1, "này"):
                self.heard.put(month_shift=0)
                k += 2
            elif read is not None:
                month, k = read
        year = None
        if month is not None and self.word(k, "năm"):
            year, after = self._year(k + 1)
            k = after if year is not None else k
        return self._put_date(day, month or 0, year or 0, end=k)

    def _put_date(self, day: int, month: int, year: int | None, *, end: int) -> int:
        if not 1 <= day <= 31 or not 0 <= month <= 12 or (month == 0 and year):
            self.heard.invalid = True
        self.heard.put(day=day, month=month or None, year=year or None)
        return end

    def _weekday(self, i: int) -> int | None:
        heard = self.heard
        if self.word(i, "thứ", "t"):
            token = self.at(i + 1)
            if token is not None and token.kind == "num":
                value = int(token.raw)
                if not 2 <= value <= 7:
                    if self.word(i, "t"):
                        return None
                    heard.invalid = True
                    return i + 2
                heard.put(weekday=value - 2)
                return i + 2
            weekday = _VI_WEEKDAY_AFTER_THU.get(token) if self.word(i, "thứ") else None
            if weekday is not None:
                heard.put(weekday=weekday)
                return i + 2
            return None
        if end := (self.seq(i, "chủ", "nhật|nhựt") or self.seq(i, "cn")):
            heard.put(weekday=6)
            return end
        weekday = _EN_WEEKDAYS_VOCAB.get(self.at(i))
        if weekday is not None:
            heard.put(weekday=weekday)
            return i + 1
        return None

    def _week(self, i: int) -> int | None:
        """ "tuần sau", "sang tuần", "đầu / cuối tuần (sau)", "tháng sau", "weekend"."""
        heard = self.heard
        if self.word(i, "sang", "qua") and self.word(i + 1, "tuần", "tháng"):
            k = i + 2 + (1 if self.word(i + 2, *_WEEK_NEXT) else 0)
            if self.word(i + 1, "tuần"):
                heard.put(week_shift=1, week_named=True)
            else:
                heard.put(month_shift=1)
            return k
        if self.word(i, "tháng") and self.word(i + 1, *_WEEK_NEXT):
            shift, k = (2, i + 3) if self.seq(i + 1, "sau", "nữa") else (1, i + 2)
            heard.put(month_shift=shift)
            return k
        if self.word(i, "weekend"):
            heard.put(weekend=True)
            return i + 1
        start, weekend = self.word(i, "đầu"), self.word(i, "cuối")
        k = i + (1 if start or weekend else 0)
        if not self.word(k, "tuần"):
            return None
        k += 1 + (1 if self.word(k + 1, "lễ") else 0)
        shift: int | None = None
        if self.seq(k, "sau", "nữa"):
            shift, k = 2, k + 2
        elif self.word(k, *_WEEK_NEXT):
            shift, k = 1, k + 1 + (1 if self.word(k + 1, "tiếp") else 0)
        elif self.word(k, "này"):
            shift, k = 0, k + 1
        if weekend:
            heard.put(weekend=True, week_shift=shift or None)
        elif start:
            heard.put(week_start=True, week_shift=1 if shift is None else shift)
        elif shift is not None:
            heard.put(week_shift=shift, week_named=True)
        else:
            return None
        return k

    def _day(self, i: int) -> int | None:
        heard = self.heard
        for offset, phrases in (
            (0, (("hôm|bữa", "nay"), ("ngày", "hôm", "nay"), ("today",))),
            (1, (("ngày|hôm|bữa", "mai"), ("tomorrow",), ("tmr",))),
            (2, (("ngày|bữa", "kia|mốt"), ("the", "day", "after", "tomorrow"), ("day", "after", "tomorrow"))),
        ):
            for phrase in phrases:
                end = self.seq(i, *phrase)
                if end is not None:
                    heard.put(day_offset=offset, today=offset == 0)
                    return end
        if self.word(i, "tonight"):
            heard.put(day_offset=0, today=True, part="evening")
            return i + 1
        if self.word(i, "overmorrow"):
            heard.put(day_offset=2)
            return i + 1
        token, before = self.at(i), self.at(i - 1)
        after_part = before is not None and before.fold in ("sang", "trua", "chieu", "toi", "dem", "khuya")
        if self.word(i, "mai"):
            assert token is not None
            if token.capital and before is not None and before.fold in _KIN:
                return None  # "chị Mai": a name
            heard.put(day_offset=1)
            return i + 1
        if self.word(i, "nay") and after_part:
            heard.put(day_offset=0, today=True)
            return i + 1
        if self.word(i, "mốt") and not self._unit_follows(i + 1):
            assert token is not None
            if not token.plain or after_part:
                heard.put(day_offset=2)
                return i + 1
        return None

    def _clock(self, i: int) -> int | None:
        end = self._clock_at(i, bare=False)
        if end is not None or not self.word(i, *_LEADS):
            return end
        j, bare = i, False
        while self.word(j, *_LEADS):
            bare = bare or self.word(j, *_LEADS_BARE)
            j += 1
        return self._clock_at(j, bare=bare)

    def _clock_at(self, j: int, *, bare: bool) -> int | None:
        token = self.at(j)
        if token is None:
            return None
        if token.kind == "clock":
            return self._put_clock(*token.value, end=j + 1)
        if self.word(j, "noon", "midday"):
            return self._put_clock(12, 0, end=j + 1)
        if self.word(j, "midnight") or self.seq(j, "nửa", "đêm"):
            return self._put_clock(24, 0, end=j + (1 if self.word(j, "midnight") else 2))
        for words, minutes in ((("half", "past"), 30), (("quarter", "past"), 15), (("quarter", "to"), -15)):
            end = self.seq(j, *words)
            if end is not None and (read := self.number(end)) is not None:
                return self._put_clock(read[0], minutes, end=read[1])
        read = self.number(j)
        if read is None:
            return None
        hour, k = read
        # "3 - 4 giờ", "3 hoặc 4 giờ", "3 or 4 pm": the first hour of the range
        c = k + (1 if self.word(k, "đến", "tới", "hoặc", "hay", "or", "to") else 0)
        second = None if self.word(j, *_LEADS) else self.number(c)  # "tam 9 gio" is "tầm 9 giờ", not 8–9
        if (
            second is not None
            and hour < second[0] <= hour + 3
            and (self.word(second[1], *_HOUR_UNITS) or self.ampm(second[1]))
        ):
            k = second[1]
        if self.word(k, *_HOUR_UNITS):
            first = self.at(j)
            assert first is not None
            if first.plain and first.fold == "bay" and self.word(k, "giờ") and read[1] == j + 1:
                if not (self._lead_before(j) or self._said_as_time(k + 1)):
                    return k + 1  # "bay gio" without a time around it is "bây giờ": now
            return self._minutes_after(hour, k + 1)
        if self.word(k, "rưỡi"):
            return self._put_clock(hour, 30, end=k + 1)
        if ampm := self.ampm(k):
            return self._put_clock(hour, 0, end=ampm[1], part=ampm[0])
        if end := (self.seq(k, "o", "clock") or self.seq(k, "oclock")):
            return self._put_clock(hour, 0, end=end)
        minute = self.number(k)
        if minute is not None and 0 <= minute[0] < 60 and (ampm := self.ampm(minute[1])):
            return self._put_clock(hour, minute[0], end=ampm[1], part=ampm[0])  # "3 30 pm"
        if not bare or hour > 24 or self.word(k, *_NOT_A_CLOCK):
            return None
        if self.word(k, "oh") and (minute := self.number(k + 1)) is not None and minute[0] < 10:
            return self._put_clock(hour, minute[0], end=minute[1])
        if minute is not None and 10 <= minute[0] < 60 and not self.word(minute[1], *_NOT_A_CLOCK):
            return self._put_clock(hour, minute[0], end=minute[1])  # "at three thirty"
        return self._put_clock(hour, 0, end=k)

    def _lead_before(self, j: int) -> bool:
        return self.word(j - 1, *_LEADS)

    def _said_as_time(self, k: int) -> bool:
        """What follows "bay gio" makes it "bảy giờ" (7 o'clock) rather than "bây giờ" (now)."""
        if self.word(k, "rưỡi", "kém", "đúng", "hơn") or self.ampm(k) or self.part_here(k) is not None:
            return True
        read = self.number(k)
        return read is not None and self.word(read[1], "phút", "p")

    def _minutes_after(self, hour: int, k: int) -> int:
        """After "N giờ": "30", "30 phút", "rưỡi", "kém 15", "đúng", then "am" / "pm"."""
        minute = 0
        if self.word(k, "rưỡi"):
            minute, k = 30, k + 1
        elif self.word(k, "kém"):
            read = self.number(k + 1)
            if read is not None:
                if not 0 < read[0] < 60:
                    self.heard.invalid = True
                    return read[1]
                minute, k = -read[0], read[1] + (1 if self.word(read[1], "phút", "p") else 0)
        elif self.word(k, "đúng", "hơn", "sharp"):
            k += 1
        else:
            read = self.number(k)
            if read is not None and not self.word(read[1], *_NOT_MINUTES):
                minute, k = read[0], read[1] + (1 if self.word(read[1], *_MINUTE_UNITS) else 0)
                if minute >= 60:
                    self.heard.invalid = True
                    return k
        ampm = self.ampm(k)
        if ampm is not None:
            return self._put_clock(hour, minute, end=ampm[1], part=ampm[0])
        return self._put_clock(hour, minute, end=k)

    def _put_clock(self, hour: int, minute: int, *, end: int, part: str | None = None) -> int:
        if minute < 0:  # "3 giờ kém 15": a quarter to three
            hour, minute = hour - 1, 60 + minute
        if not (0 <= hour <= 24 and 0 <= minute < 60) or (hour == 24 and minute):
            self.heard.invalid = True
        elif self.heard.clock is None:
            self.heard.clock, self.heard.clock_part = (hour, minute), part
            self.clock_end = end
        return end

    def _part(self, i: int) -> int | None:
        found = self.part_here(i)
        if found is None:
            return None
        part, minute, end = found
        between = range(self.clock_end, i) if self.clock_end >= 0 else range(0)
        if self.heard.clock_part is None and all(self.word(k, "in", "the", "vào", "buổi") for k in between):
            if self.clock_end >= 0:
                self.heard.clock_part = part  # "sáng mai, 3 giờ chiều": 15:00
        if self.heard.part is None:
            self.heard.part, self.heard.part_at = part, minute
        return end

    def _after(self, i: int) -> int | None:
        """A leftover "sau" ("gọi lại sau"): later, when nothing more precise is said."""
        if self.word(i, "sau"):
            self.heard.put(vague="later")
            return i + 1
        return None


# --- resolving --------------------------------------------------------------------------------------------


def _resolve(heard: _Heard, now: dt.datetime, zone: ZoneInfo) -> CallbackTime | None:
    """The first moment after `now` (local, in `zone`) that fits what was heard."""
    if heard.invalid:
        return None
    if heard.minutes_later is not None:
        return _checked(now + dt.timedelta(minutes=heard.minutes_later), now, precise=not heard.fuzzy)
    today = now.date()
    now_minute = now.hour * 60 + now.minute
    dates = _dates(heard, today)
    if dates == []:
        return None
    precise = heard.clock is not None or heard.same_time
    minute: int | None = None
    if heard.clock is not None:
        minute = _minute_of_day(*heard.clock, heard.clock_part or heard.part)
        if minute is None:
            return None
    elif heard.part is not None:
        minute = heard.part_at if heard.part_at is not None else _PARTS[heard.part][0]
        if heard.today and dates == [today]:
            soonest = -(-(now_minute + 30 + (1 if now.second or now.microsecond else 0)) // 15) * 15
            if soonest > minute:
                minute = soonest if soonest <= _PARTS[heard.part][1] else None
            if minute is None:
                return None
    elif heard.same_time:
        minute = now_minute
    if dates is None:
        if minute is None:
            if heard.week_named and heard.week_shift == 0:
                return _another_day(now, zone)
            return _vague(heard.vague, now, zone)
        dates = [today, today + dt.timedelta(days=1)]
    if minute is None:
        if heard.today and dates == [today]:
            later = now + LATER
            return _checked(later, now, precise=False) if later.date() == today else None
        minute = now_minute
    for day in dates:
        moment = _local(day, minute, zone)
        if moment > now:
            return _checked(moment, now, precise=precise)
    return None


def _checked(moment: dt.datetime, now: dt.datetime, *, precise: bool) -> CallbackTime | None:
    if not now < moment <= now + MAX_AHEAD:
        return None
    return CallbackTime(moment.astimezone(dt.UTC), precise)


def _vague(kind: str | None, now: dt.datetime, zone: ZoneInfo) -> CallbackTime | None:
    if kind == "soon":
        return _checked(now + SOON, now, precise=False)
    if kind == "later":
        return _checked(now + LATER, now, precise=False)
    if kind == "another_day":
        return _another_day(now, zone)
    return None


def _another_day(now: dt.datetime, zone: ZoneInfo) -> CallbackTime | None:
    moment = _local(now.date() + dt.timedelta(days=1), now.hour * 60 + now.minute, zone)
    return _checked(moment, now, precise=False)


def _local(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    day += dt.timedelta(days=minute // (24 * 60))
    minute %= 24 * 60
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)


def _minute_of_day(hour: int, minute: int, part: str | None) -> int | None:
    """The minute of the day for an hour as said, with the part of the day it was said with (None: nonsense)."""
    if hour == 24:
        return 24 * 60 if part in (None, "evening", "night", "pm") and minute == 0 else None
    if part is None:  # business-plausible: 1–6 afternoon, 7–11 morning, 12 noon, else the 24-hour clock
        h = hour + 12 if 1 <= hour <= 6 else hour
    elif part == "am":
        h = 0 if hour == 12 else hour if hour < 12 else -1
    elif part == "pm":
        h = 12 if hour == 12 else hour + 12 if 1 <= hour <= 11 else -1
    elif part == "morning":
        h = hour if hour <= 12 else -1
    elif part == "noon":
        h = hour + 12 if 1 <= hour <= 4 else hour if 10 <= hour <= 16 else -1
    elif part == "afternoon":
        h = hour + 12 if 1 <= hour <= 11 else hour if 12 <= hour <= 23 else -1
    elif part == "evening":
        h = hour + 12 if 4 <= hour <= 11 else 24 if hour == 12 else hour if 16 <= hour <= 23 else -1
    else:  # night
        h = hour + 12 if 8 <= hour <= 11 else 24 if hour == 12 else hour if hour <= 5 or hour >= 20 else -1
    return None if h < 0 else h * 60 + minute


def _dates(heard: _Heard, today: dt.date) -> list[dt.date] | None:
    """Candidate days in order (the first whose moment is still ahead wins); None when no day was named."""
    if heard.day_offset is not None:
        return [today + dt.timedelta(days=heard.day_offset)]
    if heard.day is not None:
        return _month_days(heard, today)
    monday = today - dt.timedelta(days=today.weekday())
    if heard.weekday is not None:
        shift = heard.week_shift
        if shift is None:
            return [today + dt.timedelta(days=(heard.weekday - today.weekday()) % 7 or 7)]
        day = monday + dt.timedelta(days=7 * shift + heard.weekday)
        if day < today:
            return [today + dt.timedelta(days=(heard.weekday - today.weekday()) % 7 or 7)]
        return [day, day + dt.timedelta(days=7)] if day == today else [day]
    if heard.weekend:
        if heard.week_shift:
            return [monday + dt.timedelta(days=7 * heard.week_shift + 5)]
        days = [monday + dt.timedelta(days=n) for n in (5, 6, 12, 13)]
        return [day for day in days if day >= today]
    if heard.week_start:
        shift = heard.week_shift if heard.week_shift is not None else 1
        day = monday + dt.timedelta(days=7 * shift)
        return [day if day > today else day + dt.timedelta(days=7)]
    if heard.week_shift:
        return [today + dt.timedelta(days=7 * heard.week_shift)]
    if heard.month_shift:
        year, month = _add_months(today.year, today.month, heard.month_shift)
        return [dt.date(year, month, min(today.day, _month_length(year, month)))]
    return None


def _month_days(heard: _Heard, today: dt.date) -> list[dt.date]:
    assert heard.day is not None
    if heard.month is not None:
        years = [heard.year] if heard.year is not None else [today.year, today.year + 1]
        years = [year for year in years if today.year <= year <= today.year + 1]  # further is no callback
        months = [(year, heard.month) for year in years]
    elif heard.month_shift is not None:
        months = [_add_months(today.year, today.month, heard.month_shift)]
    else:
        months = [_add_months(today.year, today.month, n) for n in range(4)]
    days = []
    for year, month in months:
        if heard.day <= _month_length(year, month):
            day = dt.date(year, month, heard.day)
            if day >= today:
                days.append(day)
    return days


def _add_months(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + count
    return index // 12, index % 12 + 1


def _month_length(year: int, month: int) -> int:
    next_year, next_month = _add_months(year, month, 1)
    return (dt.date(next_year, next_month, 1) - dt.timedelta(days=1)).day
