"""Panel texts of sign-in security (throttling, session timeouts); merged into web.i18n.TEXTS."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "sign_in_throttled": (
        "Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau 15 phút.",
        "Too many failed sign-ins. Please try again in 15 minutes.",
    ),
    "session_expired": (
        "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.",
        "Your session has expired. Please sign in again.",
    ),
}
