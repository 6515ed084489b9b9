"""Panel language through Flask-Babel: Vietnamese by default, English on request (?lang=en, remembered in the
session).

The texts are written here and in `web/texts_*.py` (key -> (Vietnamese, English)); `scripts/translations.py`
turns them into gettext catalogs, `web/translations/<lang>/LC_MESSAGES/messages.po` (in git). The compiled `.mo`
files are not kept in git: the app compiles any that is missing or older than its `.po` when it starts. Templates
call `t(key)`; the text comes from the catalog of the request's locale (Flask-Babel's `gettext`).
"""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import Babel, get_locale, gettext

LANGUAGES = ("vi", "en")
babel = Babel()

# Panel texts, Vietnamese first. Keys are English identifiers.
TEXTS: dict[str, tuple[str, str]] = {
    "app": ("Callbot – xác minh khách hàng", "Callbot – lead verification"),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "email": ("Email", "E-mail"),
    "password": ("Mật khẩu", "Password"),
    "bad_login": ("Email hoặc mật khẩu không đúng.", "Wrong e-mail or password."),
    "campaigns": ("Chiến dịch", "Campaigns"),
    "campaign": ("Chiến dịch", "Campaign"),
    "calls": ("Cuộc gọi", "Calls"),
    "call": ("Cuộc gọi", "Call"),
    "leads": ("Khách hàng", "Leads"),
    "lead": ("Khách hàng", "Lead"),
    "queue": ("Hàng chờ telesales", "Telesales queue"),
    "status": ("Trạng thái", "Status"),
    "rules": ("Quy tắc gọi", "Calling rules"),
    "funnel": ("Phễu", "Funnel"),
    "imported": ("Đã nhập", "Imported"),
    "rejected": ("Loại (rác/trùng/chặn)", "Rejected (junk/duplicate/blocked)"),
    "called": ("Đã gọi", "Called"),
    "answered": ("Nghe máy", "Answered"),
    "identity_confirmed": ("Xác nhận đúng người", "Identity confirmed"),
    "interested": ("Quan tâm", "Interested"),
    "queued": ("Chuyển telesales", "Queued for telesales"),
    "name": ("Họ tên", "Name"),
    "phone": ("Số điện thoại", "Phone"),
    "service": ("Dịch vụ", "Service"),
    "source": ("Nguồn", "Source"),
    "registered_at": ("Thời gian đăng ký", "Registered at"),
    "consent": ("Đồng ý được gọi", "Consent to be called"),
    "verdict": ("Đánh giá", "Verdict"),
    "reasons": ("Lý do", "Reasons"),
    "score": ("Điểm", "Score"),
    "tier": ("Hạng", "Tier"),
    "attempts": ("Lần gọi", "Attempts"),
    "outcome": ("Kết quả", "Outcome"),
    "duration": ("Thời lượng (giây)", "Duration (s)"),
    "time": ("Thời gian", "Time"),
    "timeline": ("Diễn biến cuộc gọi", "Call timeline"),
    "event": ("Sự kiện", "Event"),
    "detail": ("Chi tiết", "Detail"),
    "next_lead": ("Nhận khách hàng tiếp theo", "Next lead"),
    "no_lead": ("Hàng chờ đang trống.", "The queue is empty."),
    "disposition": ("Kết quả chăm sóc", "Disposition"),
    "note": ("Ghi chú", "Note"),
    "follow_up_at": ("Hẹn gọi lại lúc", "Follow up at"),
    "save": ("Lưu", "Save"),
    "saved": ("Đã lưu.", "Saved."),
    "held_until": ("Đang giữ đến", "Held until"),
    "all": ("Tất cả", "All"),
    "previous": ("Trước", "Previous"),
    "next": ("Sau", "Next"),
    "forbidden": ("Bạn không có quyền xem trang này.", "You may not see this page."),
    "won": ("Chốt thành công", "Won"),
    "follow_up": ("Hẹn gọi lại", "Follow up"),
    "not_interested": ("Không quan tâm", "Not interested"),
    "unreachable": ("Không liên lạc được", "Unreachable"),
    "wrong_number": ("Sai số", "Wrong number"),
    "do_not_call": ("Không gọi nữa", "Do not call"),
    "heard": ("Khách trả lời", "Caller said"),
    "upload": ("Tải lên danh sách", "Upload leads"),
    "uploads": ("Các lần tải lên", "Uploads"),
    "leads_file": ("Tệp khách hàng (CSV, Excel)", "Lead file (CSV, Excel)"),
    "rows": ("dòng", "rows"),
    "line": ("Dòng", "Line"),
    "rows_to_review": ("Các dòng cần xem lại", "Rows to review"),
    "override_verdict": ("Sửa đánh giá", "Override verdict"),
    "no_file": ("Chưa chọn tệp.", "No file chosen."),
    "bad_file_type": ("Chỉ nhận tệp CSV, TSV hoặc Excel (.xlsx).", "Only CSV, TSV or Excel (.xlsx) files."),
    # campaign statuses
    "draft": ("Nháp", "Draft"),
    "scheduled": ("Đã lên lịch", "Scheduled"),
    "running": ("Đang chạy", "Running"),
    "paused": ("Tạm dừng", "Paused"),
    "completed": ("Hoàn tất", "Completed"),
    # lead statuses not named elsewhere
    "new": ("Mới", "New"),
    "callable": ("Chờ gọi", "To call"),
    "dialing": ("Đang gọi", "Dialing"),
    "callback": ("Hẹn gọi lại", "Call back"),
    "opted_out": ("Từ chối nhận cuộc gọi", "Opted out"),
    # call statuses and outcomes
    "queued_call": ("Đang xếp hàng", "Queued"),
    "initiated": ("Bắt đầu gọi", "Initiated"),
    "ringing": ("Đang đổ chuông", "Ringing"),
    "in-progress": ("Đang nói chuyện", "In progress"),
    "busy": ("Máy bận", "Busy"),
    "no-answer": ("Không nghe máy", "No answer"),
    "no_answer": ("Không nghe máy", "No answer"),
    "failed": ("Lỗi", "Failed"),
    "canceled": ("Đã hủy", "Canceled"),
    "wrong_person": ("Sai người", "Wrong person"),
    "no_input": ("Không trả lời", "No input"),
    "voicemail": ("Hộp thư thoại", "Voicemail"),
    "hung_up": ("Cúp máy giữa chừng", "Hung up"),
    "created": ("Đã tạo", "Created"),
    # campaign progress, rules and lifecycle
    "progress": ("Tiến độ gọi", "Calling progress"),
    "live": ("Đang trong cuộc gọi", "Live calls"),
    "due_now": ("Có thể gọi ngay", "Due now"),
    "waiting_window": ("Chờ khung giờ được gọi", "Waiting for the calling window"),
    "retries_due": ("Chờ gọi lại (thử lại)", "Waiting for a retry"),
    "callbacks": ("Hẹn gọi lại theo yêu cầu", "Callbacks requested"),
    "capped": ("Chờ đủ 24 giờ từ cuộc gọi trước", "Waiting for the 24 h cap"),
    "done": ("Đã xong", "Done"),
    "next_opening": ("Khung giờ mở lại lúc", "Window opens at"),
    "why_waiting": ("Vì sao khách hàng đang chờ", "Why leads are waiting"),
    "window": ("Khung giờ", "Calling window"),
    "retry": ("Thử lại sau", "Retry later"),
    "number_cap": ("Giới hạn số cuộc gọi/số", "Calls per number"),
    "preset": ("Bộ quy tắc", "Rules preset"),
    "weekdays": ("Ngày được gọi", "Calling days"),
    "holidays": ("Ngày lễ không gọi", "Holidays (no calls)"),
    "max_attempts": ("Số lần gọi tối đa", "Most attempts"),
    "concurrency": ("Cuộc gọi đồng thời tối đa", "Most concurrent calls"),
    "calls_per_second": ("Cuộc gọi mỗi giây", "Calls per second"),
    "auto_complete": ("Tự kết thúc khi hết khách để gọi", "Completes when no lead is left"),
    "start": ("Bắt đầu ngay", "Start now"),
    "pause": ("Tạm dừng", "Pause"),
    "resume": ("Tiếp tục", "Resume"),
    "schedule": ("Lên lịch", "Schedule"),
    "stop": ("Kết thúc chiến dịch", "End campaign"),
    "starts_at": ("Bắt đầu lúc (giờ của chiến dịch)", "Starts at (campaign time zone)"),
    # call script editor
    "script": ("Kịch bản cuộc gọi", "Call script"),
    "script_help": (
        "Để trống một ô để dùng câu mặc định. Biến có thể dùng:",
        "Leave a text empty to use the default. Variables you can use:",
    ),
    "voice": ("Giọng đọc", "Voice"),
    "default_voice": ("Mặc định", "Default"),
    "machine_action": ("Khi gặp hộp thư thoại", "On an answering machine"),
    "leave_message": ("Để lại lời nhắn", "Leave the message"),
    "hang_up": ("Cúp máy", "Hang up"),
    "recording": ("Ghi âm", "Recording"),
    "live_transfer": ("Nhận cuộc gọi chuyển tiếp", "Live transfers"),
    "agent_phone": ("Số điện thoại của bạn", "Your phone number"),
    "available_for_transfers": (
        "Sẵn sàng nhận khách quan tâm được nối máy trực tiếp",
        "Available: put interested leads through to me",
    ),
    "offer_live_transfer": (
        "Nối máy khách quan tâm với chuyên viên đang sẵn sàng",
        "Put interested leads through to an available agent",
    ),
    "transfer_timeout": ("Thời gian đổ chuông chuyên viên (giây)", "Agent ring time (seconds)"),
    "bad_agent_phone": ("Số điện thoại không hợp lệ.", "Not a valid phone number."),
    "record_calls": ("Ghi âm cuộc gọi (có thông báo cho khách)", "Record calls (the caller is told)"),
    "audio_url": ("Tệp ghi âm thay giọng đọc (https://…)", "Recording played instead (https://…)"),
    "preview": ("Xem trước với một khách hàng mẫu", "Preview for a sample lead"),
    "text_greeting": ("Lời chào", "Greeting"),
    "text_identity": ("Hỏi đúng người", "Identity question"),
    "text_reminder": ("Nhắc dịch vụ đã đăng ký", "Reminder of the service"),
    "text_interest": ("Hỏi mức độ quan tâm", "Interest question"),
    "text_reprompt_silence": ("Khi khách im lặng", "When the caller is silent"),
    "text_reprompt_keypad": ("Khi chưa hiểu câu trả lời", "When the answer is unclear"),
    "text_closing_interested": ("Kết thúc: quan tâm", "Closing: interested"),
    "text_closing_not_interested": ("Kết thúc: không quan tâm", "Closing: not interested"),
    "text_closing_callback": ("Kết thúc: hẹn gọi lại", "Closing: call back"),
    "text_ask_callback_time": ("Hỏi giờ gọi lại", "Asking for a callback time"),
    "text_closing_wrong_person": ("Kết thúc: sai người", "Closing: wrong person"),
    "text_closing_opted_out": ("Kết thúc: từ chối cuộc gọi", "Closing: opted out"),
    "text_closing_no_input": ("Kết thúc: không trả lời", "Closing: no answer given"),
    "text_voicemail": ("Lời nhắn hộp thư thoại", "Voicemail message"),
    "text_recording_notice": ("Thông báo ghi âm", "Recording notice"),
    "text_transfer": ("Khi nối máy chuyên viên", "Transferring to an agent"),
    "text_transfer_failed": ("Khi chuyên viên bận", "When no agent answers"),
    "text_whisper": ("Lời báo cho chuyên viên", "Whisper to the agent"),
    "text_goodbye": ("Lời tạm biệt", "Goodbye"),
    "language": ("English", "Tiếng Việt"),
}


def _merge(*parts: dict[str, tuple[str, str]]) -> None:
    """Add each page group's texts (web/texts_*.py); a key given two different texts is a mistake."""
    for part in parts:
        for key, pair in part.items():
            if TEXTS.setdefault(key, pair) != pair:
                raise ValueError(f"panel text {key!r} defined twice with different words")


def _load_groups() -> None:
    from web import texts_admin, texts_dashboard, texts_models, texts_ops, texts_telesales

    _merge(texts_admin.TEXTS, texts_dashboard.TEXTS, texts_telesales.TEXTS, texts_ops.TEXTS, texts_models.TEXTS)


_load_groups()


def select_language() -> str:
    """Flask-Babel's locale selector: ?lang= (remembered in the session), else the session's choice, else the
    deployment's language (CALLBOT_LANGUAGE, Vietnamese unless set)."""
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
        return wanted
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else current_app.extensions["callbot.settings"].language


def current_language() -> str:
    """The panel language of this request ("vi" or "en")."""
    locale = get_locale()
    return locale.language if locale is not None else select_language()


def translate(key: str) -> str:
    """The text for `key` in the current language, from the gettext catalog (the key itself when unknown)."""
    text = gettext(key)
    if text == key:
        # Not in the compiled catalog: a text added since `scripts/translations.py` last ran (a test says so).
        pair = TEXTS.get(key)
        if pair is not None:
            return pair[1] if current_language() == "en" else pair[0]
    return text


def reason_text(code: str) -> str:
    """A scoring or intake reason code as a sentence in the current language."""
    from scoring import REASON_TEXTS

    texts = REASON_TEXTS.get(code)
    if texts is None:
        return code
    return texts[1] if current_language() == "en" else texts[0]


def init_app(app: Flask) -> None:
    """Bind Flask-Babel (catalogs compiled when needed, the language selector, the deployment's time zone) and
    make `t()`, `reason_text()` and the current language available in templates."""
    from web.catalogs import DOMAIN, compile_catalogs

    settings = app.extensions["callbot.settings"]
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(compile_catalogs()))
    babel.init_app(
        app,
        default_locale=settings.language,
        default_domain=DOMAIN,
        default_timezone=settings.timezone,
        locale_selector=select_language,
    )
    app.jinja_env.globals.update(t=translate, lang=current_language, reason_text=reason_text)
