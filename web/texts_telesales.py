"""Panel texts of the telesales pages (Vietnamese, English); merged into web.i18n.TEXTS."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # the agent's day (workspace)
    "ts_my_day": ("Hôm nay của tôi", "My day"),
    "ts_claimed": ("Đã nhận", "Claimed"),
    "ts_done": ("Đã xử lý", "Done"),
    "ts_won": ("Chốt thành công", "Won"),
    "ts_conversion": ("Tỉ lệ chốt (chốt / đã xử lý)", "Conversion (won / done)"),
    "ts_callbacks_due": ("Lịch gọi lại hôm nay", "Callbacks due today"),
    "ts_no_callbacks": ("Hôm nay không có lịch gọi lại.", "No callbacks due today."),
    "ts_later_callbacks": ("Lịch gọi lại các ngày sau", "Callbacks on later days"),
    "ts_due": ("Đến giờ gọi", "Due"),
    "ts_overdue_for_anyone": ("Quá hạn: người khác có thể nhận", "Overdue: anyone may take it"),
    "ts_callback_first": (
        "Có lịch gọi lại đã đến giờ: nút bên dưới sẽ đưa bạn đến khách hàng đó trước.",
        "A callback is due: the button below takes you to that lead first.",
    ),
    # the lead page
    "ts_lease_renews": ("tự gia hạn khi trang này đang mở", "renewed while this page is open"),
    "ts_lease_lost": (
        "Bạn không còn giữ khách hàng này (đã hết thời gian giữ hoặc đã có người nhận). Hãy nhận khách hàng tiếp theo.",
        "You no longer hold this lead (the hold ran out or someone took it). Take the next lead.",
    ),
    "ts_bot_call": ("Cuộc gọi tự động", "Bot call"),
    "ts_earlier_attempts": ("Các lần gọi trước", "Earlier attempts"),
    "ts_keyed": ("Bấm phím", "Keyed"),
    "ts_said": ("Nói", "Said"),
    "ts_confidence": ("độ tin cậy", "confidence"),
    "ts_listen": ("Nghe ghi âm", "Listen to the recording"),
    "ts_notes": ("Ghi chú của chuyên viên", "Agents' notes"),
    "ts_no_notes": ("Chưa có ghi chú nào.", "No notes yet."),
    "ts_callback_at": ("gọi lại lúc", "call back at"),
    "ts_call_now": ("Gọi ngay", "Call now"),
    # disposition form
    "ts_choose_disposition": ("Hãy chọn một kết quả chăm sóc.", "Choose a disposition."),
    "ts_follow_up_needs_time": ("Hẹn gọi lại cần có thời gian.", "A follow-up needs a time."),
    "ts_follow_up_in_past": ("Thời gian hẹn gọi lại phải ở tương lai.", "The follow-up time must be in the future."),
    "ts_follow_up_help": (
        "Khách hàng sẽ quay lại với bạn vào giờ hẹn, sau đó với bất kỳ ai nếu bạn chưa gọi.",
        "The lead comes back to you at that time, then to anyone if you have not called.",
    ),
    "ts_not_your_lead": ("Khách hàng này không còn do bạn giữ.", "You no longer hold this lead."),
}
