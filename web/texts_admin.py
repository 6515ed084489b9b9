"""Panel texts of the admin pages (Vietnamese, English); merged into web.i18n.TEXTS."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # new campaign
    "adm_new_campaign": ("Tạo chiến dịch mới", "New campaign"),
    "adm_campaign_name": ("Tên chiến dịch", "Campaign name"),
    "adm_company": ("Tên công ty (bot tự giới thiệu)", "Company (the bot introduces itself with)"),
    "adm_service": ("Dịch vụ khách đã đăng ký", "Service the leads registered for"),
    "adm_campaign_language": ("Ngôn ngữ cuộc gọi", "Call language"),
    "adm_lang_vi": ("Tiếng Việt", "Vietnamese"),
    "adm_lang_en": ("Tiếng Anh", "English"),
    "adm_keep_open": (
        "Giữ chiến dịch mở khi hết khách để gọi (khách mới đến qua API)",
        "Keep running when no lead is left (new leads come through the API)",
    ),
    "adm_starts_at_optional": (
        "Lên lịch bắt đầu lúc (để trống: lưu bản nháp)",
        "Schedule the start at (empty: keep as a draft)",
    ),
    "adm_create": ("Tạo", "Create"),
    # calling rules
    "adm_edit_rules": ("Sửa quy tắc gọi", "Edit calling rules"),
    "adm_apply_preset": ("Áp dụng bộ quy tắc", "Apply preset"),
    "adm_apply_preset_help": (
        "Đặt lại khung giờ, ngày gọi, ngày lễ và giới hạn theo bộ quy tắc đã chọn.",
        "Resets the window, days, holidays and cap to the chosen preset.",
    ),
    "adm_timezone": ("Múi giờ của chiến dịch", "Campaign time zone"),
    "adm_timezone_fixed": (
        "Không đổi được múi giờ khi chiến dịch đã có khách hàng (giờ gọi của họ được tính theo múi giờ này).",
        "The time zone is fixed once the campaign has leads (their calling hours were worked out from it).",
    ),
    "adm_window_start": ("Gọi từ", "Call from"),
    "adm_window_end": ("Đến", "Until"),
    "adm_window_help": (
        "Theo giờ địa phương của từng khách; giờ bắt đầu bằng giờ kết thúc nghĩa là cả ngày.",
        "In each lead's own time; a start equal to the end means all day.",
    ),
    "adm_holiday_country": ("Lịch ngày lễ của nước (mã 2 chữ, VD: VN)", "Public holidays of (2-letter code, e.g. VN)"),
    "adm_extra_holidays": ("Ngày nghỉ riêng (YYYY-MM-DD, cách nhau bởi dấu phẩy)", "Own days off (YYYY-MM-DD, commas)"),
    "adm_max_calls_per_number": ("Số cuộc tối đa mỗi số (0: không giới hạn)", "Most calls per number (0: no cap)"),
    "adm_number_cap_hours": ("trong khoảng (giờ)", "within (hours)"),
    "adm_calls_per_second_help": (
        "Cuộc gọi mỗi giây (để trống: theo tài khoản)",
        "Calls per second (empty: the account's pace)",
    ),
    "adm_retries": ("Gọi lại theo kết quả", "Retries by outcome"),
    "adm_retry_delays": ("Chờ (phút, cách nhau bởi dấu phẩy)", "Wait (minutes, commas)"),
    "adm_retry_max": ("Tối đa", "Most"),
    "adm_retry_custom": ("riêng của chiến dịch", "campaign's own"),
    # users
    "adm_users": ("Người dùng", "Users"),
    "adm_add_user": ("Thêm người dùng", "Add a user"),
    "adm_role": ("Vai trò", "Role"),
    "role_admin": ("Quản trị", "Admin"),
    "role_telesales": ("Nhân viên telesales", "Telesales agent"),
    "role_viewer": ("Chỉ xem", "Viewer"),
    "adm_initial_password": ("Mật khẩu ban đầu (ít nhất 8 ký tự)", "Initial password (at least 8 characters)"),
    "adm_change_role": ("Đổi vai trò", "Change role"),
    "adm_active": ("Đang hoạt động", "Active"),
    "adm_inactive": ("Đã khóa", "Deactivated"),
    "adm_deactivate": ("Khóa tài khoản", "Deactivate"),
    "adm_reactivate": ("Mở khóa", "Reactivate"),
    "adm_reset_password": ("Đặt lại mật khẩu (đăng xuất mọi phiên)", "Reset password (ends every session)"),
    "adm_created_at": ("Ngày tạo", "Created"),
    # do-not-call
    "adm_dnc": ("Danh sách không gọi", "Do-not-call list"),
    "adm_dnc_total": ("Số điện thoại trong danh sách", "Numbers on the list"),
    "adm_search_number": ("Tìm số (mọi định dạng)", "Find a number (any form)"),
    "adm_search": ("Tìm", "Search"),
    "adm_add_number": ("Thêm số", "Add a number"),
    "adm_remove": ("Xóa khỏi danh sách", "Remove"),
    "adm_import_numbers": ("Nhập tệp số điện thoại", "Import a file of numbers"),
    "adm_numbers_file": (
        "Tệp (CSV, Excel, hoặc mỗi dòng một số)",
        "File (CSV, Excel, or one number per line)",
    ),
    "adm_added_at": ("Thêm lúc", "Added"),
    "adm_dnc_reason": ("Nguồn", "Source"),
    "adm_import": ("Nhập", "Import"),
    "bad_number": ("Số điện thoại không hợp lệ.", "Not a valid phone number."),
    "national_list": ("Danh sách quốc gia", "National list"),
    "manual": ("Thêm tay", "Added by hand"),
    "opt_out": ("Khách từ chối cuộc gọi", "Opted out"),
    "adm_nothing_found": ("Không tìm thấy.", "Nothing found."),
    # audit log
    "adm_audit": ("Nhật ký thao tác", "Audit log"),
    "adm_audit_help": (
        "Chỉ đọc: mọi đăng nhập, sửa đánh giá, xuất dữ liệu và thay đổi cài đặt.",
        "Read-only: every sign-in, verdict override, export and settings change.",
    ),
    "adm_action": ("Thao tác", "Action"),
    "adm_user": ("Người thực hiện", "User"),
    "adm_filter": ("Lọc", "Filter"),
    # exports
    "adm_exports": ("Xuất dữ liệu", "Exports"),
    "adm_export_queue": ("Khách hàng đủ điều kiện (hàng chờ telesales)", "Qualified leads (telesales queue)"),
    "adm_export_calls": ("Kết quả cuộc gọi (từng lần gọi)", "Call outcomes (per attempt)"),
    "adm_export_format": ("Định dạng", "Format"),
    "adm_export_dates": ("Theo ngày vào hàng chờ / ngày gọi", "By day queued / day called"),
    "adm_download": ("Tải xuống", "Download"),
    "adm_export_masked": (
        "Vai trò chỉ xem: họ tên và số điện thoại được che một phần.",
        "Viewer role: names and phone numbers are partly hidden.",
    ),
    "adm_export_audited": ("Mỗi lần xuất được ghi vào nhật ký.", "Every export is written to the audit log."),
}
