"""Panel texts of the dashboard pages (Vietnamese, English); merged into web.i18n.TEXTS."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # campaign dashboard
    "dash_title": ("Bảng số liệu", "Dashboard"),
    "dash_updated_at": ("Cập nhật lúc", "Updated at"),
    "dash_live_note": ("Số liệu tự cập nhật, không cần tải lại trang.", "The figures update by themselves."),
    "funnel_callable": ("Hợp lệ để gọi", "Callable"),
    "funnel_claimed": ("Telesales đã nhận", "Claimed by an agent"),
    "funnel_of_previous": ("so với bước trước", "of the stage before"),
    "dash_review_rejected": ("Xem các dòng bị loại", "Review rejected rows"),
    "dash_answer_rate": ("Tỷ lệ nghe máy", "Answer rate"),
    "dash_conversion": ("Tỷ lệ chốt (trên số đã nhận)", "Won (of claimed)"),
    "dash_outcomes": ("Kết quả cuộc gọi", "Call outcomes"),
    "dash_hours": ("Tỷ lệ nghe máy theo giờ", "Answer rate by hour"),
    "dash_hours_note": (
        "Theo giờ bắt đầu gọi; rê chuột lên cột để xem số cuộc gọi. Múi giờ:",
        "By the hour each call was placed; hover a bar for its calls. Time zone:",
    ),
    "dash_cost": ("Chi phí ước tính", "Estimated cost"),
    "dash_billed_calls": ("Cuộc gọi được tính phí", "Billed calls"),
    "dash_talk_minutes": ("Thời gian đàm thoại (phút)", "Talk time (minutes)"),
    "dash_billed_minutes": ("Số phút tính phí", "Billed minutes"),
    "dash_price_per_minute": ("Giá mỗi phút", "Price per minute"),
    "dash_cost_estimate": ("Ước tính", "Estimate"),
    "dash_cost_note": (
        "Twilio làm tròn mỗi cuộc gọi lên phút kế tiếp; cuộc gọi không kết nối không tính phí. "
        "Chưa gồm phí ghi âm và chặng nối máy telesales. Giá đặt bằng CALLBOT_COST_PER_MINUTE.",
        "Twilio rounds each call up to the next whole minute; calls that never connected are free. "
        "Recordings and transfer legs are not included. The price is set with CALLBOT_COST_PER_MINUTE.",
    ),
    "verdict_ok": ("Hợp lệ", "OK"),
    "verdict_suspect": ("Đáng ngờ", "Suspect"),
    "verdict_junk": ("Rác", "Junk"),
    "verdict_duplicate": ("Trùng lặp", "Duplicate"),
    "verdict_blocked": ("Bị chặn", "Blocked"),
    # calls and leads lists
    "list_date_from": ("Từ ngày", "From"),
    "list_date_to": ("Đến ngày", "To"),
    "list_agent": ("Chuyên viên telesales", "Agent"),
    "list_search": ("Tìm theo tên hoặc số điện thoại", "Search a name or number"),
    "list_search_hint": ("Nguyễn Văn An hoặc 0912 345 678", "Mary Smith or 0912 345 678"),
    "list_filter": ("Lọc", "Filter"),
    "list_clear": ("Bỏ lọc", "Clear"),
    "list_empty": ("Không có kết quả nào.", "Nothing found."),
    "list_upload_line": ("Dòng trong tệp", "File line"),
    "dash_link": ("Xem bảng số liệu", "Open the dashboard"),
    # call detail
    "call_identity": ("Đúng người", "Right person"),
    "call_yes": ("Có", "Yes"),
    "call_no": ("Không", "No"),
    "call_answered_at": ("Nghe máy lúc", "Answered at"),
    "call_ended_at": ("Kết thúc lúc", "Ended at"),
    "call_callback_at": ("Hẹn gọi lại lúc", "Callback at"),
    "call_transfer": ("Nối máy telesales", "Transfer to an agent"),
    "call_bot_said": ("Callbot nói", "The bot said"),
    "call_error": ("Lỗi", "Error"),
}
