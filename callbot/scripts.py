"""What the caller hears: the default call scripts in Vietnamese and English, with safe variable defaults."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from callbot.errors import CallbotError


class ScriptError(CallbotError):
    """A campaign's script text that cannot be used, with the reason."""


_VI = {
    "greeting": "Xin chào, đây là cuộc gọi từ {company}.",
    "identity": "Cho hỏi có phải anh chị {name} không ạ? Nếu đúng, xin nhấn phím 1 hoặc nói vâng. "
    "Nếu không phải, xin nhấn phím 2.",
    "reminder": "Anh chị đã đăng ký nhận thông tin về {service}.",
    "interest": "Anh chị có quan tâm và muốn được chuyên viên tư vấn không ạ? Nhấn phím 1 nếu quan tâm, "
    "phím 2 nếu không quan tâm, phím 3 để hẹn gọi lại sau. Nhấn phím 9 nếu không muốn nhận cuộc gọi nữa.",
    "reprompt_silence": "Xin lỗi, chúng tôi chưa nghe thấy câu trả lời.",
    "reprompt_keypad": "Xin lỗi, chúng tôi chưa hiểu rõ. Xin vui lòng dùng bàn phím.",
    "closing_interested": "Cảm ơn anh chị. Chuyên viên của {company} sẽ liên hệ với anh chị trong thời gian sớm nhất. "
    "Chúc anh chị một ngày tốt lành.",
    "closing_not_interested": "Cảm ơn anh chị đã dành thời gian. Chúc anh chị một ngày tốt lành.",
    "closing_callback": "Vâng, chúng tôi sẽ gọi lại cho anh chị vào lúc khác. Xin cảm ơn.",
    "closing_wrong_person": "Xin lỗi vì đã làm phiền. Chúc anh chị một ngày tốt lành.",
    "closing_opted_out": "Chúng tôi đã ghi nhận. Số của anh chị sẽ không nhận thêm cuộc gọi nào từ {company}. "
    "Xin cảm ơn.",
    "closing_no_input": "Chúng tôi sẽ liên hệ lại sau. Xin cảm ơn.",
    "voicemail": "Xin chào, đây là {company}. Chúng tôi gọi về đăng ký {service} của anh chị "
    "và sẽ gọi lại sau. Xin cảm ơn.",
    "goodbye": "Xin cảm ơn. Tạm biệt.",
    "recording_notice": "Cuộc gọi này có thể được ghi âm để nâng cao chất lượng dịch vụ.",
    "ask_callback_time": "Dạ, anh chị muốn được gọi lại vào lúc nào ạ? Anh chị có thể nói giờ, ví dụ 3 giờ chiều mai.",
    "transfer": "Xin anh chị vui lòng giữ máy, chúng tôi đang kết nối với chuyên viên tư vấn.",
    "transfer_failed": "Hiện chuyên viên đang bận. Chuyên viên của {company} sẽ gọi lại cho anh chị trong thời gian "
    "sớm nhất. Xin cảm ơn.",
    "whisper": "Khách hàng {name}, quan tâm {service}, điểm {score}. Đang nối máy.",
}
_VI_DEFAULTS = {
    "name": "quý khách",
    "service": "dịch vụ của chúng tôi",
    "company": "chúng tôi",
    "registered_at": "gần đây",
    "score": "chưa có",
}
_VI_HINTS = (
    "có, vâng, đúng rồi, phải, không, không phải, nhầm số, quan tâm, không quan tâm, gọi lại sau, bận, đừng gọi nữa"
)

_EN = {
    "greeting": "Hello, this is a call from {company}.",
    "identity": "Am I speaking with {name}? Press 1 or say yes if so. If not, press 2.",
    "reminder": "You recently asked for information about {service}.",
    "interest": "Would you like one of our advisers to contact you? Press 1 if you are interested, 2 if not, "
    "3 to be called back later. Press 9 to receive no more calls.",
    "reprompt_silence": "Sorry, we did not hear an answer.",
    "reprompt_keypad": "Sorry, we did not understand. Please use your keypad.",
    "closing_interested": "Thank you. An adviser from {company} will contact you shortly. Have a nice day.",
    "closing_not_interested": "Thank you for your time. Have a nice day.",
    "closing_callback": "Sure, we will call you back later. Thank you.",
    "closing_wrong_person": "Sorry to have bothered you. Have a nice day.",
    "closing_opted_out": "Understood. Your number will receive no more calls from {company}. Thank you.",
    "closing_no_input": "We will get back to you later. Thank you.",
    "voicemail": "Hello, this is {company} calling about your request for {service}. We will call again. Thank you.",
    "goodbye": "Thank you. Goodbye.",
    "recording_notice": "This call may be recorded to improve our service.",
    "ask_callback_time": "When would you like us to call you back? You can say a time, for example tomorrow at 3 pm.",
    "transfer": "Please hold while we connect you with an adviser.",
    "transfer_failed": "Our advisers are busy right now. An adviser from {company} will call you back shortly. "
    "Thank you.",
    "whisper": "Lead {name}, interested in {service}, score {score}. Connecting.",
}
_EN_DEFAULTS = {
    "name": "our customer",
    "service": "our services",
    "company": "our company",
    "registered_at": "recently",
    "score": "not scored",
}
_EN_HINTS = "yes, no, speaking, wrong number, interested, not interested, call back later, busy, stop calling"


class _Defaults(dict[str, str]):
    """Values for str.format_map: a missing or blank variable falls back to a polite default."""

    def __init__(self, values: dict[str, Any], defaults: dict[str, str]):
        super().__init__({k: str(v).strip() for k, v in values.items() if v is not None and str(v).strip()})
        self._defaults = defaults

    def __missing__(self, key: str) -> str:
        return self._defaults.get(key, "")


# The variables a script may use; anything else in braces is refused when a script is saved.
VARIABLES = ("name", "service", "company", "registered_at", "score")
# Texts an admin edits per campaign (the whisper is heard by the agent, not the lead).
EDITABLE = (
    "greeting",
    "identity",
    "reminder",
    "interest",
    "reprompt_silence",
    "reprompt_keypad",
    "closing_interested",
    "closing_not_interested",
    "closing_callback",
    "ask_callback_time",
    "closing_wrong_person",
    "closing_opted_out",
    "closing_no_input",
    "voicemail",
    "recording_notice",
    "transfer",
    "transfer_failed",
    "whisper",
    "goodbye",
)


@dataclass(frozen=True)
class Script:
    """One language's texts, variable defaults and speech-recognition hints."""

    language: str
    texts: dict[str, str]
    defaults: dict[str, str]
    hints: str

    def render(self, key: str, ctx: Any) -> str:
        """The text `key` with its variables filled from ctx (a missing value reads as a polite default)."""
        values = {name: getattr(ctx, name, None) for name in VARIABLES}
        when = values.get("registered_at")
        if isinstance(when, dt.datetime):
            values["registered_at"] = _spoken_date(when, self.language)
        return self.texts[key].format_map(_Defaults(values, self.defaults))

    def with_overrides(self, overrides: dict[str, str] | None) -> Script:
        """This script with a campaign's own texts in place of the defaults (blank texts keep the default)."""
        if not overrides:
            return self
        own = {k: v for k, v in overrides.items() if k in self.texts and isinstance(v, str) and v.strip()}
        return Script(self.language, {**self.texts, **own}, self.defaults, self.hints)


def _spoken_date(moment: dt.datetime, language: str) -> str:
    local = moment.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")) if moment.tzinfo else moment
    if language == "vi":
        return f"ngày {local.day} tháng {local.month}"
    return f"{local:%B} {local.day}"


def check_texts(overrides: dict[str, str]) -> dict[str, str]:
    """Validate a campaign's own texts: known keys, known variables, balanced braces; raise ScriptError."""
    cleaned: dict[str, str] = {}
    for key, text in overrides.items():
        if key not in EDITABLE:
            raise ScriptError(f"unknown script text {key!r}")
        if not isinstance(text, str):
            raise ScriptError(f"{key}: the text must be a string")
        text = text.strip()
        if len(text) > 1000:
            raise ScriptError(f"{key}: at most 1,000 characters")
        try:
            names = {name for _, name, _, _ in Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise ScriptError(f"{key}: braces do not match ({exc})") from None
        unknown = sorted(n for n in names if n not in VARIABLES)
        if unknown:
            raise ScriptError(
                f"{key}: unknown variable {{{unknown[0]}}} (use {', '.join('{' + v + '}' for v in VARIABLES)})"
            )
        if text:
            cleaned[key] = text
    return cleaned


SCRIPTS = {
    "vi": Script("vi", _VI, _VI_DEFAULTS, _VI_HINTS),
    "en": Script("en", _EN, _EN_DEFAULTS, _EN_HINTS),
}


def script_for(language: str, overrides: dict[str, str] | None = None) -> Script:
    """The script for a language code (Vietnamese when unknown), with a campaign's own texts if given."""
    return SCRIPTS.get(language, SCRIPTS["vi"]).with_overrides(overrides)
