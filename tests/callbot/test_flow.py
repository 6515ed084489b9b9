"""The call flow as a pure function: parse the TwiML it returns, follow its states and outcomes."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from callbot import flow

URL = "https://bot.example.vn/twilio/gather?attempt=7&turn={}"
NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # a Wednesday, 10:00 in Ho Chi Minh City


def ctx(**overrides: object) -> flow.FlowContext:
    values: dict[str, object] = {
        "name": "Nguyễn Thị Hạnh",
        "service": "bảo hiểm sức khỏe",
        "company": "Công ty ABC",
        "language": "vi",
        "action_url": URL.format,
        "now": NOW,
    }
    values.update(overrides)
    return flow.FlowContext(**values)  # type: ignore[arg-type]


def parse(step: flow.Step) -> ET.Element:
    root = ET.fromstring(step.twiml)
    assert root.tag == "Response"
    return root


def spoken(step: flow.Step) -> str:
    return " ".join(say.text or "" for say in parse(step).iter("Say"))


def answer(step: flow.Step, c: flow.FlowContext | None = None, **given: object) -> flow.Step:
    return flow.handle(c or ctx(), step.state, **given)  # type: ignore[arg-type]


def test_a_person_is_greeted_and_asked_who_they_are() -> None:
    step = flow.start(ctx(), "human")
    root = parse(step)
    gather = root.find("Gather")
    assert gather.attrib["input"] == "dtmf speech"
    assert gather.attrib["language"] == "vi-VN" and gather.attrib["numDigits"] == "1"
    assert gather.attrib["action"] == URL.format(1) and "đúng rồi" in gather.attrib["hints"]
    says = gather.findall("Say")
    assert all(say.attrib["voice"].startswith("Google.vi-VN") for say in says)
    assert "Nguyễn Thị Hạnh" in spoken(step)
    assert "Công ty ABC" in spoken(step)
    assert root.find("Redirect").text == URL.format(1)
    assert (step.state.step, step.state.turn, step.outcome) == ("identity", 1, None)


@pytest.mark.parametrize("answered_by", [None, "human", "unknown"])
def test_unknown_or_human_answers_get_the_conversation(answered_by: str | None) -> None:
    assert parse(flow.start(ctx(), answered_by)).find("Gather") is not None


@pytest.mark.parametrize("answered_by", ["machine_start", "machine_end_beep", "machine_end_silence"])
def test_a_machine_gets_the_voicemail_message_and_a_hangup(answered_by: str) -> None:
    step = flow.start(ctx(), answered_by)
    root = parse(step)
    assert root.find("Gather") is None and root.find("Hangup") is not None
    assert "bảo hiểm sức khỏe" in spoken(step) and step.outcome == "voicemail"


def test_missing_values_fall_back_to_polite_words_never_none() -> None:
    step = flow.start(ctx(name=None, company="  ", service=None), "human")
    text = spoken(step)
    assert "None" not in text and "quý khách" in text and "{" not in text
    reminder = spoken(answer(step, ctx(name=None, company=None, service=None), digits="1"))
    assert "dịch vụ của chúng tôi" in reminder and "None" not in reminder


def test_english_campaigns_speak_english() -> None:
    step = flow.start(ctx(language="en", name="Mary"), "human")
    gather = parse(step).find("Gather")
    assert gather.attrib["language"] == "en-US" and "Am I speaking with Mary?" in spoken(step)


@pytest.mark.parametrize(
    ("identity", "interest", "outcome", "closing"),
    [
        ({"digits": "1"}, {"digits": "1"}, "interested", "sẽ liên hệ"),
        (
            {"speech": "vâng đúng rồi", "confidence": 0.9},
            {"speech": "có, tôi quan tâm", "confidence": 0.8},
            "interested",
            "sẽ liên hệ",
        ),
        ({"digits": "1"}, {"digits": "2"}, "not_interested", "đã dành thời gian"),
        (
            {"digits": "1"},
            {"speech": "khong quan tam", "confidence": 0.7},
            "not_interested",
            "đã dành thời gian",
        ),
        ({"digits": "1"}, {"digits": "9"}, "opted_out", "không nhận thêm cuộc gọi"),
    ],
)
def test_the_interest_question_decides_the_outcome(identity, interest, outcome, closing) -> None:  # type: ignore[no-untyped-def]
    asked = answer(flow.start(ctx(), "human"), **identity)
    assert asked.state.step == "interest" and asked.state.identity_confirmed is True
    assert "bảo hiểm sức khỏe" in spoken(asked)  # the reminder of what they registered for
    assert parse(asked).find("Gather").attrib["action"] == URL.format(2)
    done = answer(asked, **interest)
    assert done.outcome == outcome and closing in spoken(done)
    assert parse(done).find("Hangup") is not None and done.state.step == "done"


@pytest.mark.parametrize(
    ("given", "outcome"),
    [
        ({"digits": "2"}, "wrong_person"),
        ({"speech": "không phải, nhầm số rồi", "confidence": 0.9}, "wrong_person"),
        ({"digits": "9"}, "opted_out"),
        ({"speech": "đừng gọi cho tôi nữa", "confidence": 0.9}, "opted_out"),
        ({"speech": "gọi lại cho tôi lúc 3 giờ chiều mai nhé", "confidence": 0.9}, "callback"),
    ],
)
def test_the_identity_question_can_end_the_call(given: dict[str, object], outcome: str) -> None:
    step = answer(flow.start(ctx(), "human"), **given)
    assert step.outcome == outcome and parse(step).find("Hangup") is not None


@pytest.mark.parametrize(
    ("first", "then", "expected"),
    [
        ({"digits": "3"}, {"digits": "2"}, "2026-11-26T02:00:00+00:00"),  # keypad: tomorrow morning 09:00
        ({"digits": "3"}, {"speech": "khoảng 4 giờ chiều nay", "confidence": 0.8}, "2026-11-25T09:00:00+00:00"),
        ({"speech": "để sau đi, đang bận", "confidence": 0.8}, {"digits": "1"}, "2026-11-25T05:00:00+00:00"),
        ({"speech": "gọi lại lúc 3 giờ chiều mai", "confidence": 0.9}, None, "2026-11-26T08:00:00+00:00"),
        ({"digits": "3"}, {"digits": "7"}, None),  # not a choice: asked once more, then the campaign's delay
    ],
)
def test_a_callback_gets_the_time_the_caller_asks_for(first, then, expected) -> None:  # type: ignore[no-untyped-def]
    c = ctx(now=NOW)
    asked = answer(flow.start(c, "human"), c, digits="1")
    step = answer(asked, c, **first)
    if then is not None:
        assert step.outcome is None and step.state.step == "when" and "nhấn 2" in spoken(step)
        step = answer(step, c, **then)
        if expected is None:
            assert step.outcome is None and "chưa hiểu rõ" in spoken(step)
            step = answer(step, c, digits="8")
    assert step.outcome == "callback" and step.state.interest == "callback" and step.state.step == "done"
    assert step.state.callback_at == expected
    if expected:
        assert "Vâng, chúng tôi sẽ gọi lại cho anh chị vào" in spoken(step)
    else:
        assert "gọi lại cho anh chị vào lúc khác" in spoken(step)


def test_a_caller_asked_for_a_time_can_still_opt_out() -> None:
    c = ctx(now=NOW)
    asked = answer(answer(flow.start(c, "human"), c, digits="1"), c, digits="3")
    assert answer(asked, c, digits="9").outcome == "opted_out"


def test_silence_is_asked_again_once_then_ends_as_no_input() -> None:
    first = flow.start(ctx(), "human")
    again = answer(first)
    assert again.outcome is None and again.state.reprompts == 1
    assert "chưa nghe thấy" in spoken(again) and parse(again).find("Gather").attrib["action"] == URL.format(2)
    last = answer(again)
    assert last.outcome == "no_input" and parse(last).find("Hangup") is not None


def test_unclear_speech_asks_for_the_keypad() -> None:
    step = answer(flow.start(ctx(), "human"), speech="ờ ờ", confidence=0.9)
    assert step.outcome is None and "bàn phím" in spoken(step)
    mumbled = answer(flow.start(ctx(), "human"), speech="vâng", confidence=0.2)
    assert mumbled.outcome is None and mumbled.state.reprompts == 1


@pytest.mark.parametrize(
    ("speech", "intent"),
    [
        ("Vâng", "yes"),
        ("vang", "yes"),
        ("Dạ đúng rồi", "yes"),
        ("phải", "yes"),
        ("Có", "yes"),
        ("yes, speaking", "yes"),
        ("Không", "no"),
        ("khong phai", "no"),
        ("Không phải tôi", "no"),
        ("nhầm số rồi", "no"),
        ("không quan tâm", "no"),
        ("wrong number", "no"),
        ("gọi lại sau", "callback"),
        ("tôi đang bận", "callback"),
        ("call me back later", "callback"),
        ("đừng gọi nữa", "opt_out"),
        ("dung goi nua", "opt_out"),
        ("please stop calling", "opt_out"),
        ("trời đẹp quá", None),
        ("", None),
    ],
)
def test_vietnamese_and_english_answers_are_understood(speech: str, intent: str | None) -> None:
    assert flow.understand(None, speech, 0.9, step="interest") == intent


def test_state_survives_storage() -> None:
    step = answer(flow.start(ctx(), "human"), speech="vâng", confidence=0.9)
    assert flow.FlowState.from_dict(step.state.to_dict()) == step.state
    assert flow.FlowState.from_dict({}) == flow.FlowState()


def test_a_campaigns_own_texts_and_variables_with_safe_defaults() -> None:
    texts = {"greeting": "Chào {name}, {company} gọi về đăng ký {service} {registered_at}."}
    when = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
    step = flow.start(ctx(texts=texts, registered_at=when), "human")
    assert "Chào Nguyễn Thị Hạnh, Công ty ABC gọi về đăng ký bảo hiểm sức khỏe ngày 20 tháng 11." in spoken(step)
    bare = flow.start(ctx(texts=texts, name=None, service="  ", company=None), "human")
    assert "Chào quý khách, chúng tôi gọi về đăng ký dịch vụ của chúng tôi gần đây." in spoken(bare)
    assert "None" not in bare.twiml
    english = flow.start(ctx(language="en", texts={"greeting": "Hi {name}, {registered_at}"}, name=None), "human")
    assert "Hi our customer, recently" in spoken(english)


def test_a_campaign_chooses_its_voice_or_plays_recordings() -> None:
    step = flow.start(
        ctx(voice="Google.vi-VN-Wavenet-B", audio={"greeting": "https://cdn.example.vn/chao.mp3"}), "human"
    )
    gather = parse(step).find("Gather")
    assert [child.tag for child in gather] == ["Play", "Say"]
    assert gather.find("Play").text == "https://cdn.example.vn/chao.mp3"
    assert gather.find("Say").attrib["voice"] == "Google.vi-VN-Wavenet-B"


def test_answering_machines_get_the_message_or_a_hang_up_and_unknown_is_a_person() -> None:
    message = flow.start(ctx(), "machine_end_beep")
    assert message.outcome == "voicemail" and "sẽ gọi lại sau" in spoken(message)
    hangup = flow.start(ctx(machine_action="hangup"), "machine_start")
    assert hangup.outcome == "voicemail" and spoken(hangup) == "" and parse(hangup).find("Hangup") is not None
    unknown = flow.start(ctx(), "unknown")
    assert unknown.outcome is None and parse(unknown).find("Gather") is not None


def test_a_recorded_call_says_so_first() -> None:
    step = flow.start(ctx(recording_notice=True), "human")
    assert spoken(step).startswith("Cuộc gọi này có thể được ghi âm")


@pytest.mark.parametrize(
    ("texts", "problem"),
    [
        ({"greeting": "Chào {ten}"}, "unknown variable {ten}"),
        ({"greeting": "Chào {name"}, "braces do not match"),
        ({"welcome": "Chào"}, "unknown script text 'welcome'"),
        ({"greeting": "x" * 1001}, "at most 1,000 characters"),
    ],
)
def test_a_bad_script_text_is_refused_with_its_reason(texts: dict[str, str], problem: str) -> None:
    from callbot.scripts import ScriptError, check_texts

    with pytest.raises(ScriptError, match=problem.replace("{", r"\{").replace("(", r"\(")):
        check_texts(texts)
