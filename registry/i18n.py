"""Locale selection; re-exports Flask-Babel's gettext helpers."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_babel import gettext, lazy_gettext, ngettext

_ = gettext
_l = lazy_gettext

__all__ = ["_", "_l", "gettext", "lazy_gettext", "ngettext", "select_locale"]


def select_locale() -> str:
    """Session choice first, then Vietnamese: the interface is Vietnamese unless asked otherwise."""
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        for chosen in (session.get("lang"), request.args.get("lang")):
            if chosen in languages:
                return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


# --- WTForms' own messages ------------------------------------------------------------------
# WTForms ships no Vietnamese catalogue (wtforms/locale has no "vi"), so a field left empty
# would say "This field is required." in the Vietnamese interface. These are its messages
# (wtforms/locale/wtforms.pot, WTForms 3.3) in Vietnamese; registry.forms.Form hands them to
# every form. A message WTForms adds later falls back to its English until it is added here.
WTFORMS_VI: dict[str, str] = {
    "Invalid field name '%s'.": "Tên trường '%s' không hợp lệ.",
    "Field must be equal to %(other_name)s.": "Giá trị phải trùng với %(other_name)s.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Không được dài quá %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Không được dài quá %(max)d ký tự.",
    "Field must be exactly %(max)d character long.": "Phải có đúng %(max)d ký tự.",
    "Field must be exactly %(max)d characters long.": "Phải có đúng %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.": (
        "Độ dài phải từ %(min)d đến %(max)d ký tự."
    ),
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số không được lớn hơn %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Số phải từ %(min)s đến %(max)s.",
    "Date must be at least %(min)s.": "Ngày phải từ %(min)s trở đi.",
    "Date must be at most %(max)s.": "Ngày không được sau %(max)s.",
    "Date must be between %(min)s and %(max)s.": "Ngày phải từ %(min)s đến %(max)s.",
    "This field is required.": "Vui lòng nhập thông tin này.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "Invalid email address.": "Địa chỉ thư điện tử không hợp lệ.",
    "Invalid IP address.": "Địa chỉ IP không hợp lệ.",
    "Invalid Mac address.": "Địa chỉ MAC không hợp lệ.",
    "Invalid URL.": "Địa chỉ URL không hợp lệ.",
    "Invalid UUID.": "Mã UUID không hợp lệ.",
    "Invalid value, must be one of: %(values)s.": (
        "Giá trị không hợp lệ, phải là một trong: %(values)s."
    ),
    "Invalid value, can't be any of: %(values)s.": (
        "Giá trị không hợp lệ, không được là: %(values)s."
    ),
    "This field cannot be edited.": "Không được sửa thông tin này.",
    "This field is disabled and cannot have a value.": (
        "Trường này đã bị khóa và không được có giá trị."
    ),
    "Invalid CSRF Token.": "Mã bảo vệ biểu mẫu không hợp lệ: hãy tải lại trang và thử lại.",
    "CSRF token missing.": "Thiếu mã bảo vệ biểu mẫu: hãy tải lại trang và thử lại.",
    "CSRF failed.": "Kiểm tra bảo vệ biểu mẫu không thành công: hãy tải lại trang và thử lại.",
    "CSRF token expired.": "Biểu mẫu đã hết hạn: hãy tải lại trang và thử lại.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Choices cannot be None.": "Chưa có danh sách lựa chọn.",
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Invalid choice(s): one or more data inputs could not be coerced.": (
        "Lựa chọn không hợp lệ: có giá trị không đọc được."
    ),
    "'%(value)s' is not a valid choice for this field.": (
        "'%(value)s' không phải là lựa chọn hợp lệ."
    ),
    "'%(value)s' are not valid choices for this field.": (
        "'%(value)s' không phải là các lựa chọn hợp lệ."
    ),
    "Not a valid datetime value.": "Ngày giờ không hợp lệ.",
    "Not a valid date value.": "Ngày không hợp lệ.",
    "Not a valid time value.": "Giờ không hợp lệ.",
    "Not a valid week value.": "Tuần không hợp lệ.",
    "Not a valid integer value.": "Vui lòng nhập một số nguyên.",
    "Not a valid decimal value.": "Vui lòng nhập một số.",
    "Not a valid float value.": "Vui lòng nhập một số.",
}


class WTFormsTranslations:
    """WTForms' messages in the request's language: Vietnamese from :data:`WTFORMS_VI`,
    English (WTForms' own text) otherwise. Given to WTForms by ``Form.Meta``."""

    def gettext(self, string: str) -> str:
        if _current_locale() == "vi":
            return WTFORMS_VI.get(string, string)
        return string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def _current_locale() -> str:
    from flask_babel import get_locale

    try:
        return str(get_locale() or "vi")
    except RuntimeError:  # outside an application context: the default language
        return "vi"


wtforms_translations = WTFormsTranslations()


def coordinate_message(exc: Exception) -> str:
    """A ``registry.vn2000.CoordinateError`` in the reader's language, numbers written the
    reader's way (Vietnamese 1.211.084,200); any other error as it reads."""
    from registry.vn2000 import shown

    parts = getattr(exc, "parts", None)
    if not parts:
        return str(exc)
    marks = {"point": ",", "group": "."} if _current_locale() == "vi" else {}
    return " ".join(gettext(message, **shown(params, **marks)) for message, params in parts)
