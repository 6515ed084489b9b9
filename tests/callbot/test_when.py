"""Callback times from what a caller says or keys: tables of real phrasings, with fixed clocks and time zones."""

from __future__ import annotations

import datetime as dt
import unicodedata
from zoneinfo import ZoneInfo

import pytest

from callbot import when
from callbot.when import (
    KEYPAD_CHOICES,
    KEYPAD_PROMPT_EN,
    KEYPAD_PROMPT_VI,
    KEYPAD_PROMPTS,
    callback_from_digit,
    describe_callback,
    parse_callback_time,
    read_callback_time,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NEW_YORK = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # Wednesday 25 November 2026, 10:00 in Ho Chi Minh City


def local(text: str, zone: ZoneInfo = HCM) -> dt.datetime:
    """ "11-26 15:00" (in 2026) or "2027-11-05 10:00", wall-clock time in `zone`."""
    if text.count("-") == 1:
        text = f"2026-{text}"
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=zone)


def heard(text: str, now: dt.datetime = NOW, tz: str = "Asia/Ho_Chi_Minh", language: str = "vi") -> str | None:
    """What `parse_callback_time` returns, as local wall-clock text, for readable failures."""
    moment = parse_callback_time(text, now, tz, language)
    if moment is None:
        return None
    assert moment.tzinfo is dt.UTC
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def expect(text: str) -> str:
    return local(text).strftime("%Y-%m-%d %H:%M")


def without_marks(text: str) -> str:
    """The text typed without diacritics (punctuation kept, unlike `fold_text`)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


# Said on Wednesday 25 November 2026 at 10:00 in Ho Chi Minh City.
VIETNAMESE = [
    # clock times, with and without a day
    ("3 giờ chiều mai", "11-26 15:00"),
    ("3h chiều mai", "11-26 15:00"),
    ("15h ngày mai", "11-26 15:00"),
    ("15 giờ 30", "11-25 15:30"),
    ("15h30", "11-25 15:30"),
    ("15:30", "11-25 15:30"),
    ("3 rưỡi chiều", "11-25 15:30"),
    ("3g chiều", "11-25 15:00"),
    ("3 giờ", "11-25 15:00"),  # a bare 1–6 is the afternoon
    ("9 giờ", "11-26 09:00"),  # a bare 7–11 is the morning: 09:00 has passed, so tomorrow
    ("mai 3 giờ", "11-26 15:00"),
    ("7 giờ tối", "11-25 19:00"),
    ("8 giờ tối mai", "11-26 20:00"),
    ("11 giờ đêm", "11-25 23:00"),
    ("12 giờ trưa", "11-25 12:00"),
    ("1 giờ trưa mai", "11-26 13:00"),
    ("12 giờ đêm", "11-26 00:00"),
    ("3 giờ kém 15 chiều", "11-25 14:45"),
    ("sau 3 giờ chiều", "11-25 15:00"),
    ("3 - 4 giờ chiều", "11-25 15:00"),
    ("3 hoặc 4 giờ chiều", "11-25 15:00"),
    # numbers in words
    ("ba giờ chiều", "11-25 15:00"),
    ("mười giờ sáng", "11-26 10:00"),  # 10:00 today is now, not later
    ("mười giờ sáng mai", "11-26 10:00"),
    ("hai giờ rưỡi", "11-25 14:30"),
    ("bảy giờ tối", "11-25 19:00"),
    ("mười một giờ trưa", "11-25 11:00"),
    ("mười giờ mười lăm", "11-25 10:15"),
    ("chín giờ kém mười lăm sáng mai", "11-26 08:45"),
    ("hai giờ chiều thứ hai", "11-30 14:00"),
    # parts of the day
    ("chiều mai", "11-26 15:00"),
    ("sáng mai", "11-26 09:00"),
    ("trưa mai", "11-26 12:00"),
    ("tối nay", "11-25 19:00"),
    ("Tối Nay", "11-25 19:00"),
    ("đêm nay", "11-25 21:00"),
    ("chiều nay", "11-25 15:00"),
    ("sáng nay", "11-25 10:30"),  # the morning is running: in 30 minutes
    ("đầu giờ chiều mai", "11-26 13:30"),
    ("cuối giờ chiều", "11-25 16:30"),
    ("chiều tối", "11-25 17:30"),
    ("bữa nay 5 giờ chiều", "11-25 17:00"),
    # days
    ("mai", "11-26 10:00"),
    ("để mai", "11-26 10:00"),
    ("mai gọi lại nha", "11-26 10:00"),
    ("ngày kia", "11-27 10:00"),
    ("ngày mốt", "11-27 10:00"),
    ("3 ngày nữa", "11-28 10:00"),
    ("giờ này ngày mai", "11-26 10:00"),
    # weekdays and weeks
    ("thứ hai tuần sau", "11-30 10:00"),
    ("thứ 2", "11-30 10:00"),
    ("thứ tư", "12-02 10:00"),  # today is Wednesday: the next one
    ("vào thứ sáu", "11-27 10:00"),
    ("thứ sáu tuần này", "11-27 10:00"),
    ("chủ nhật", "11-29 10:00"),
    ("t7", "11-28 10:00"),
    ("10 giờ sáng thứ bảy", "11-28 10:00"),
    ("sáng thứ 7", "11-28 09:00"),
    ("chiều thứ năm tuần sau", "12-03 15:00"),
    ("thứ 2 tuần sau lúc 10 giờ", "11-30 10:00"),
    ("cuối tuần", "11-28 10:00"),
    ("cuối tuần sau", "12-05 10:00"),
    ("đầu tuần sau", "11-30 10:00"),
    ("tuần sau", "12-02 10:00"),
    ("sang tuần", "12-02 10:00"),
    ("1 tuần nữa", "12-02 10:00"),
    ("tầm giờ này tuần sau", "12-02 10:00"),
    # dates
    ("ngày 5", "12-05 10:00"),
    ("ngày 20", "12-20 10:00"),
    ("ngày 31", "12-31 10:00"),  # November has no 31st
    ("mùng 5 tháng sau", "12-05 10:00"),
    ("5/12", "12-05 10:00"),
    ("ngày 5/12 nhé", "12-05 10:00"),
    ("5/12 lúc 9 giờ", "12-05 09:00"),
    ("ngày 5 tháng 12", "12-05 10:00"),
    ("ngày 28 lúc 2 giờ chiều", "11-28 14:00"),
    ("5/11", "2027-11-05 10:00"),  # passed this year
    ("tháng sau", "12-25 10:00"),
    # durations
    ("30 phút nữa", "11-25 10:30"),
    ("15 phút nữa", "11-25 10:15"),
    ("mười lăm phút nữa", "11-25 10:15"),
    ("hai mươi phút nữa", "11-25 10:20"),
    ("bốn mươi lăm phút nữa", "11-25 10:45"),
    ("nửa tiếng nữa", "11-25 10:30"),
    ("1 tiếng nữa", "11-25 11:00"),
    ("2 tiếng nữa", "11-25 12:00"),
    ("hai tiếng rưỡi nữa", "11-25 12:30"),
    ("sau 2 tiếng", "11-25 12:00"),
    ("2 giờ nữa", "11-25 12:00"),
    ("vài phút nữa", "11-25 10:05"),
    ("mấy tiếng nữa", "11-25 12:00"),
    # vague
    ("lát nữa", "11-25 11:00"),
    ("một lát", "11-25 11:00"),
    ("chút nữa", "11-25 11:00"),
    ("để sau", "11-25 12:00"),
    ("gọi lại sau", "11-25 12:00"),
    ("lúc khác", "11-25 12:00"),
    ("hôm khác", "11-26 10:00"),
    ("mai mốt", "11-26 10:00"),
    # whole sentences, filler words, case, punctuation
    ("khoảng 3 giờ chiều", "11-25 15:00"),
    ("tầm 4 giờ chiều mai nhé", "11-26 16:00"),
    ("lúc 9 giờ sáng mai", "11-26 09:00"),
    ("tối mai tầm 8 giờ", "11-26 20:00"),
    ("em ơi gọi lại cho chị lúc 4 giờ chiều nhé", "11-25 16:00"),
    ("4 giờ chiều được không", "11-25 16:00"),
    ("khoảng 2 rưỡi chiều mai được không em", "11-26 14:30"),
    ("3 GIỜ CHIỀU MAI", "11-26 15:00"),
    ("9H SÁNG MAI", "11-26 09:00"),
    ("3 giờ chiều, ngày mai nhé!", "11-26 15:00"),
    ("gọi cho tôi mai nhé", "11-26 10:00"),  # "tôi" is "I", not "tối"
    ("bây giờ tôi bận, chiều gọi lại nhé", "11-25 15:00"),  # "bây giờ" is "now", not 7 o'clock
    ("sáng mai gọi lúc 3 giờ chiều", "11-26 15:00"),  # the part said with the clock wins
    ("chị Mai bận, 3 giờ chiều gọi lại", "11-25 15:00"),  # "Mai" is a name here
]

# Typed or recognised without diacritics, where a plain word stands for several words.
PLAIN = [
    ("3 gio chieu mai", "11-26 15:00"),
    ("3 gio chiều mai", "11-26 15:00"),  # partly accented
    ("em oi goi lai cho chi luc 4 gio chieu nhe", "11-25 16:00"),
    ("toi nay", "11-25 19:00"),  # tối nay
    ("gọi cho toi mai nhe", "11-26 10:00"),  # cho tôi
    ("bay gio toi ban chieu goi lai nhe", "11-25 15:00"),  # bây giờ tôi bận
    ("luc bay gio toi", "11-25 19:00"),  # lúc bảy giờ tối
    ("7 gio toi co duoc khong", "11-25 19:00"),  # 7 giờ tối có được không
    ("tam 3 gio chieu", "11-25 15:00"),  # tầm 3 giờ
    ("tam gio toi", "11-25 20:00"),  # tám giờ tối
    ("sau tieng nua", "11-25 16:00"),  # sáu tiếng nữa
    ("nam gio chieu", "11-25 17:00"),  # năm giờ chiều
    ("mot tieng nua", "11-25 11:00"),  # một tiếng nữa
    ("ngay mot", "11-27 10:00"),  # ngày mốt
    ("chieu mot", "11-27 15:00"),  # chiều mốt
    ("sang thu 7", "11-28 09:00"),  # sáng thứ 7
    ("sang mai", "11-26 09:00"),  # sáng mai
    ("mung 5 thang sau", "12-05 10:00"),  # tháng sau, not tháng sáu
    ("thu hai tuan sau", "11-30 10:00"),
    ("muoi gio sang mai", "11-26 10:00"),
    ("hai gio ruoi", "11-25 14:30"),
    ("ba muoi phut nua", "11-25 10:30"),
    ("de sau", "11-25 12:00"),
    ("hom khac", "11-26 10:00"),
]

ENGLISH = [
    ("tomorrow at 3pm", "11-26 15:00"),
    ("at 3", "11-25 15:00"),
    ("3 pm", "11-25 15:00"),
    ("3 p.m.", "11-25 15:00"),
    ("15:30", "11-25 15:30"),
    ("3:30 pm", "11-25 15:30"),
    ("in 30 minutes", "11-25 10:30"),
    ("in an hour", "11-25 11:00"),
    ("in two hours", "11-25 12:00"),
    ("in half an hour", "11-25 10:30"),
    ("in an hour and a half", "11-25 11:30"),
    ("an hour from now", "11-25 11:00"),
    ("2 hours later", "11-25 12:00"),
    ("this evening", "11-25 19:00"),
    ("tonight", "11-25 19:00"),
    ("at 8 tonight", "11-25 20:00"),
    ("this afternoon", "11-25 15:00"),
    ("tomorrow morning", "11-26 09:00"),
    ("at 10 tomorrow morning", "11-26 10:00"),
    ("can you call me tomorrow around 10 am", "11-26 10:00"),
    ("noon tomorrow", "11-26 12:00"),
    ("at noon", "11-25 12:00"),
    ("next Monday", "11-30 10:00"),
    ("Monday at 10", "11-30 10:00"),
    ("Monday next week", "11-30 10:00"),
    ("on Friday afternoon", "11-27 15:00"),
    ("this Friday", "11-27 10:00"),
    ("next Friday at 9", "12-04 09:00"),  # next week's Friday
    ("later", "11-25 12:00"),
    ("later today", "11-25 12:00"),
    ("call me back in a bit", "11-25 11:00"),
    ("in a minute", "11-25 11:00"),
    ("some other time", "11-25 12:00"),
    ("another day", "11-26 10:00"),
    ("next week", "12-02 10:00"),
    ("the week after next", "12-09 10:00"),
    ("early next week", "11-30 10:00"),
    ("next month", "12-25 10:00"),
    ("the weekend", "11-28 10:00"),
    ("next weekend", "12-05 10:00"),
    ("the day after tomorrow", "11-27 10:00"),
    ("in 2 days", "11-27 10:00"),
    ("in a week", "12-02 10:00"),
    ("on the 5th", "12-05 10:00"),
    ("the 5th of December", "12-05 10:00"),
    ("December 5th at 2pm", "12-05 14:00"),
    ("5 December", "12-05 10:00"),
    ("12/5", "12-05 10:00"),  # month/day in English
    ("at half past two", "11-25 14:30"),
    ("quarter to four", "11-25 15:45"),
    ("at three thirty", "11-25 15:30"),
    ("three o'clock tomorrow", "11-26 15:00"),
    ("at 3 in the afternoon", "11-25 15:00"),
    ("I'm in a meeting, call me back at 4", "11-25 16:00"),
]

NONSENSE = [
    "",
    "   ",
    "alo",
    "không",
    "có",
    "em không biết",
    "xin chào",
    "tôi bận",
    "bây giờ",
    "mấy giờ rồi",
    "ba",
    "3",
    "25 giờ",
    "3 giờ 75",
    "3 giờ 60",
    "15 giờ sáng",
    "thứ 9",
    "ngày 32",
    "32/12",
    "13/13",
    "30/2",
    "0 phút nữa",
    "ngày 5 tháng 12 năm 2025",
    "13 pm",
    "25 o'clock",
    "hello",
    "no thanks",
    "you may call me back",
]


@pytest.mark.parametrize(("text", "expected"), VIETNAMESE)
def test_vietnamese_phrasings(text: str, expected: str) -> None:
    assert heard(text) == expect(expected)


@pytest.mark.parametrize(("text", "expected"), VIETNAMESE)
def test_vietnamese_phrasings_without_diacritics(text: str, expected: str) -> None:
    plain = without_marks(text)
    assert plain != text or text.isascii()
    assert heard(plain) == expect(expected)


@pytest.mark.parametrize(("text", "expected"), VIETNAMESE)
def test_vietnamese_phrasings_in_decomposed_unicode(text: str, expected: str) -> None:
    assert heard(unicodedata.normalize("NFD", text)) == expect(expected)


@pytest.mark.parametrize(("text", "expected"), PLAIN)
def test_plain_words_are_read_by_their_neighbours(text: str, expected: str) -> None:
    assert heard(text) == expect(expected)


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_english_phrasings(text: str, expected: str) -> None:
    assert heard(text, language="en") == expect(expected)


@pytest.mark.parametrize("text", NONSENSE)
def test_no_time_or_nonsense_is_none(text: str) -> None:
    assert parse_callback_time(text, NOW) is None
    assert parse_callback_time(text, NOW, language="en") is None


def test_the_tables_are_big_enough() -> None:
    assert len(VIETNAMESE) >= 60 and len(ENGLISH) >= 25


# --- past times, "today", rollover ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said_at", "expected"),
    [
        ("3 giờ chiều", "11-25 16:00", "11-26 15:00"),  # past today: tomorrow
        ("chiều", "11-25 16:00", "11-26 15:00"),
        ("chiều", "11-25 10:00", "11-25 15:00"),
        ("sáng", "11-25 10:00", "11-26 09:00"),  # a part of the day alone: its next default time
        ("15:30", "11-25 16:00", "11-26 15:30"),
        ("3 pm", "11-25 15:00", "11-26 15:00"),  # exactly now is not "later"
        ("3 giờ", "11-25 08:00", "11-25 15:00"),
        ("9 giờ", "11-25 08:00", "11-25 09:00"),
        ("3 giờ chiều nay", "11-25 16:00", None),  # the phrase names today: no rollover
        ("hôm nay 3 giờ chiều", "11-25 16:00", None),
        ("tối nay", "11-25 20:00", "11-25 20:30"),  # the evening is running: in 30 minutes
        ("tối nay", "11-25 20:05", "11-25 20:45"),  # rounded up to the quarter hour
        ("tối nay", "11-25 21:30", None),  # too late for this evening
        ("tonight", "11-25 23:30", None),
        ("this morning", "11-25 12:00", None),
        ("hôm nay", "11-25 10:00", "11-25 12:00"),  # today alone: later today
        ("hôm nay", "11-25 23:00", None),  # …unless the day is over by then
        ("ngày 25", "11-25 10:00", "12-25 10:00"),  # today at the same time is not ahead
        ("ngày 25 lúc 3 giờ chiều", "11-25 10:00", "11-25 15:00"),
        ("cuối tuần", "11-28 10:00", "11-29 10:00"),  # said on Saturday: Sunday
        ("cuối tuần", "11-29 10:00", "12-05 10:00"),  # said on Sunday: next Saturday
        ("this Wednesday at 3pm", "11-25 10:00", "11-25 15:00"),
        ("this Wednesday at 3pm", "11-25 16:00", "12-02 15:00"),
        ("thứ hai tuần sau", "11-29 10:00", "11-30 10:00"),  # said on Sunday: weeks start on Monday
        ("mai", "11-25 10:07", "11-26 10:07"),
        ("5/12", "12-06 10:00", "2027-12-05 10:00"),
        ("tháng sau", "01-31 10:00", "02-28 10:00"),  # the same day, or the month's last
    ],
)
def test_past_times_roll_over_where_the_phrase_allows(text: str, said_at: str, expected: str | None) -> None:
    now = local(said_at).astimezone(dt.UTC)  # both languages are understood; `language` orders numeric dates
    assert heard(text, now) == (expect(expected) if expected else None)


# --- precision ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "precise"),
    [
        ("3 giờ chiều mai", True),
        ("30 phút nữa", True),
        ("giờ này tuần sau", True),
        ("tomorrow at 3pm", True),
        ("chiều mai", False),
        ("mai", False),
        ("thứ hai tuần sau", False),
        ("lát nữa", False),
        ("hôm khác", False),
        ("vài phút nữa", False),
        ("later", False),
    ],
)
def test_precise_says_whether_the_caller_named_the_time(text: str, precise: bool) -> None:
    result = read_callback_time(text, NOW)
    assert result is not None
    assert result.precise is precise


# --- time zones ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tz", "language", "expected_utc"),
    [
        ("3 giờ chiều mai", "Asia/Ho_Chi_Minh", "vi", "2026-11-26 08:00"),
        ("tomorrow at 3pm", "Asia/Ho_Chi_Minh", "en", "2026-11-26 08:00"),
        # 03:00 UTC is 22:00 on Tuesday 24 November in New York: "tomorrow" is Wednesday the 25th
        ("tomorrow at 3pm", "America/New_York", "en", "2026-11-25 20:00"),
        ("3 giờ chiều mai", "America/New_York", "vi", "2026-11-25 20:00"),
        ("mai", "America/New_York", "vi", "2026-11-26 03:00"),
        ("at 9", "America/New_York", "en", "2026-11-25 14:00"),
        ("in 2 hours", "America/New_York", "en", "2026-11-25 05:00"),
        ("tonight", "America/New_York", "en", None),  # 22:00 there: this evening is over
        ("đêm nay", "America/New_York", "vi", "2026-11-25 03:30"),
    ],
)
def test_times_are_read_in_the_callers_time_zone(text: str, tz: str, language: str, expected_utc: str | None) -> None:
    result = parse_callback_time(text, NOW, tz, language)
    expected = local(expected_utc, ZoneInfo("UTC")) if expected_utc else None
    assert result == expected
    if result is not None:
        assert result.tzinfo is dt.UTC


def test_now_may_be_given_in_any_offset() -> None:
    same_now = NOW.astimezone(dt.timezone(dt.timedelta(hours=-3)))
    assert parse_callback_time("3 giờ chiều mai", same_now) == parse_callback_time("3 giờ chiều mai", NOW)
    assert parse_callback_time("3 giờ chiều mai", NOW) == local("11-26 15:00")


def test_wall_clock_times_survive_a_daylight_saving_change() -> None:
    # Saturday 7 March 2026, 15:00 EST; clocks go forward on Sunday 8 March at 02:00.
    now = dt.datetime(2026, 3, 7, 20, 0, tzinfo=dt.UTC)
    assert parse_callback_time("tomorrow at 3pm", now, "America/New_York", "en") == dt.datetime(
        2026, 3, 8, 19, 0, tzinfo=dt.UTC
    )
    assert parse_callback_time("tomorrow", now, "America/New_York", "en") == dt.datetime(
        2026, 3, 8, 19, 0, tzinfo=dt.UTC
    )  # the same wall-clock time: 23 hours later
    assert parse_callback_time("in 2 hours", now, "America/New_York", "en") == dt.datetime(
        2026, 3, 7, 22, 0, tzinfo=dt.UTC
    )


def test_numeric_dates_follow_the_language() -> None:
    assert heard("5/12", language="vi") == expect("12-05 10:00")
    assert heard("5/12", language="en") == expect("2027-05-12 10:00")
    assert heard("2026-12-05", language="en") == expect("12-05 10:00")
    assert heard("5/12", language="vi-VN") == expect("12-05 10:00")
    assert heard("5/13", language="vi") is None  # no 13th month
    assert heard("5/13", language="en") == expect("2027-05-13 10:00")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_callback_time("mai", dt.datetime(2026, 11, 25, 10, 0))
    with pytest.raises(ValueError, match="language"):
        parse_callback_time("mai", NOW, language="fr")
    with pytest.raises(ValueError, match="language"):
        describe_callback(NOW, language="fr")


def test_long_text_is_read_up_to_a_bound() -> None:
    assert heard("em ơi " * 20 + "gọi lại lúc 4 giờ chiều nhé") == expect("11-25 16:00")
    assert parse_callback_time("alo " * 200 + "4 giờ chiều", NOW) is None  # past MAX_TEXT characters
    assert len("alo " * 200) > when.MAX_TEXT


# --- keypad -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digit", "expected"),
    [
        ("1", "11-25 12:00"),
        (" 1 ", "11-25 12:00"),
        ("2", "11-26 09:00"),
        ("3", "11-26 15:00"),
        ("4", "12-02 10:00"),
    ],
)
def test_keypad_choices(digit: str, expected: str) -> None:
    moment = callback_from_digit(digit, NOW)
    assert moment == local(expected)
    assert moment is not None and moment.tzinfo is dt.UTC


@pytest.mark.parametrize("digit", ["0", "5", "9", "*", "#", "", "12", "a"])
def test_other_keys_are_no_choice(digit: str) -> None:
    assert callback_from_digit(digit, NOW) is None


def test_keypad_choices_use_the_callers_time_zone() -> None:
    # 22:00 on Tuesday in New York
    assert callback_from_digit("2", NOW, "America/New_York") == local("11-25 09:00", NEW_YORK)
    assert callback_from_digit("3", NOW, "America/New_York") == local("11-25 15:00", NEW_YORK)
    assert callback_from_digit("1", NOW, "America/New_York") == local("11-25 00:00", NEW_YORK)


def test_keypad_prompts_name_every_choice() -> None:
    assert KEYPAD_PROMPTS == {"vi": KEYPAD_PROMPT_VI, "en": KEYPAD_PROMPT_EN}
    assert set(KEYPAD_CHOICES) == {"1", "2", "3", "4"}
    for digit, choice in KEYPAD_CHOICES.items():
        assert f"nhấn {digit} để được gọi lại {choice.vi}" in KEYPAD_PROMPT_VI.lower()
        assert f"press {digit} " in KEYPAD_PROMPT_EN.lower()
        assert choice.en.removeprefix("at ") in KEYPAD_PROMPT_EN
    assert KEYPAD_PROMPT_VI.startswith("Nhấn 1 để được gọi lại sau 2 tiếng, nhấn 2")


@pytest.mark.parametrize("digit", ["1", "2", "3", "4"])
def test_a_keypad_choice_and_its_words_agree(digit: str) -> None:
    """What the prompt says a key means is what the speech parser reads from the same words."""
    choice = KEYPAD_CHOICES[digit]
    assert parse_callback_time(choice.vi, NOW) == callback_from_digit(digit, NOW)
    assert parse_callback_time(choice.en, NOW, language="en") == callback_from_digit(digit, NOW)


# --- saying it back -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "vi", "en"),
    [
        (
            "11-26 15:00",
            "Vâng, chúng tôi sẽ gọi lại cho anh chị vào 3 giờ chiều mai, thứ Năm ngày 26 tháng 11.",
            "We will call you back tomorrow, Thursday 26 November, at 3 pm.",
        ),
        (
            "11-25 15:30",
            "Vâng, chúng tôi sẽ gọi lại cho anh chị vào 3 giờ 30 phút chiều nay, thứ Tư ngày 25 tháng 11.",
            "We will call you back today, Wednesday 25 November, at 3:30 pm.",
        ),
        (
            "11-30 10:00",
            "Vâng, chúng tôi sẽ gọi lại cho anh chị vào 10 giờ sáng, thứ Hai ngày 30 tháng 11.",
            "We will call you back on Monday 30 November at 10 am.",
        ),
        (
            "11-29 12:00",
            "Vâng, chúng tôi sẽ gọi lại cho anh chị vào 12 giờ trưa, Chủ nhật ngày 29 tháng 11.",
            "We will call you back on Sunday 29 November at noon.",
        ),
        (
            "11-28 19:45",
            "Vâng, chúng tôi sẽ gọi lại cho anh chị vào 7 giờ 45 phút tối, thứ Bảy ngày 28 tháng 11.",
            "We will call you back on Saturday 28 November at 7:45 pm.",
        ),
        (
            "11-27 22:00",
            "Vâng, chúng tôi sẽ gọi lại cho anh chị vào 10 giờ đêm, thứ Sáu ngày 27 tháng 11.",
            "We will call you back on Friday 27 November at 10 pm.",
        ),
        (
            "2027-01-05 09:05",
            "Vâng, chúng tôi sẽ gọi lại cho anh chị vào 9 giờ 5 phút sáng, thứ Ba ngày 5 tháng 1 năm 2027.",
            "We will call you back on Tuesday 5 January 2027 at 9:05 am.",
        ),
    ],
)
def test_describe_callback(moment: str, vi: str, en: str) -> None:
    at = local(moment).astimezone(dt.UTC)
    assert describe_callback(at, "Asia/Ho_Chi_Minh", "vi", now=NOW) == vi
    assert describe_callback(at, "Asia/Ho_Chi_Minh", "en", now=NOW) == en


def test_describe_callback_without_now_names_no_relative_day() -> None:
    at = local("11-26 15:00")
    assert describe_callback(at) == "Vâng, chúng tôi sẽ gọi lại cho anh chị vào 3 giờ chiều, thứ Năm ngày 26 tháng 11."
    assert describe_callback(at, language="en") == "We will call you back on Thursday 26 November at 3 pm."


def test_describe_callback_in_the_callers_time_zone() -> None:
    at = parse_callback_time("tomorrow at 3pm", NOW, "America/New_York", "en")
    assert at is not None
    assert (
        describe_callback(at, "America/New_York", "en", now=NOW)
        == "We will call you back tomorrow, Wednesday 25 November, at 3 pm."
    )
    assert (
        describe_callback(at, "America/New_York", "vi", now=NOW)
        == "Vâng, chúng tôi sẽ gọi lại cho anh chị vào 3 giờ chiều mai, thứ Tư ngày 25 tháng 11."
    )


@pytest.mark.parametrize(
    ("text", "said_back"),
    [
        ("3 giờ chiều mai", "vào 3 giờ chiều mai, thứ Năm ngày 26 tháng 11."),
        ("3 gio chieu mai", "vào 3 giờ chiều mai, thứ Năm ngày 26 tháng 11."),
        ("10 giờ sáng thứ bảy", "vào 10 giờ sáng, thứ Bảy ngày 28 tháng 11."),
        ("nửa tiếng nữa", "vào 10 giờ 30 phút sáng nay, thứ Tư ngày 25 tháng 11."),
    ],
)
def test_what_is_heard_is_said_back(text: str, said_back: str) -> None:
    at = parse_callback_time(text, NOW)
    assert at is not None
    assert describe_callback(at, now=NOW).endswith(said_back)
