"""Checks of typed values shared by the expert pool, referrals and frequent questions.

Each check reads one key of a data dict, puts a message under that key in `errors` when the value
is wrong and returns the cleaned value (or None). A service runs all of them and then raises one
ValidationError, so a form shows every problem at once, each beside its field.
"""
import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from center.models.consultations import MAX_TEXT

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PHONE = re.compile(r"[0-9+\-() ]{3,30}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# A Chinese input method in full-width mode types "２０２６": the same digits to the user.
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def ascii_int(value, max_digits: int = 10) -> int | None:
    """`value` as an int when it is a string of 1 to `max_digits` digits (ASCII, or full-width
    as Chinese input methods type them); None otherwise.

    Not str.isdigit(): "²" and "١" are digits to it, but int() refuses the first (a 500)."""
    if not isinstance(value, str):
        return None
    value = value.translate(FULL_WIDTH_DIGITS)
    if re.fullmatch(rf"[0-9]{{1,{max_digits}}}", value):
        return int(value)
    return None


def text(data: dict, key: str, errors: dict, *, required=False, limit=MAX_TEXT,
         missing=None) -> str | None:
    """Stripped text of at most `limit` characters without control characters."""
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        errors[key] = _l("应为文字。")
        return None
    value = (value or "").strip()
    if not value:
        if required:
            errors[key] = missing or _l("请填写此项。")
        return None
    if len(value) > limit:
        errors[key] = _l("最多 %(n)d 个字，现有 %(m)d 个。", n=limit, m=len(value))
    elif CONTROL.search(value):
        errors[key] = _l("含有不可见的控制字符，请删除后再提交。")
    return value


def iso_date(data: dict, key: str, errors: dict) -> date | None:
    """A date given as a date or as YYYY-MM-DD text; empty is None."""
    raw = data.get(key)
    if raw in (None, ""):
        return None
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str) and ISO_DATE.fullmatch(raw.strip()):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:  # 2026-02-30
            pass
    errors[key] = _l("日期格式应为 YYYY-MM-DD，例如 2026-03-15。")
    return None


def choice(data: dict, key: str, labels: dict, errors: dict, *, message, default=None):
    """One code of `labels` (a code → label dict)."""
    value = data.get(key) or default
    if not isinstance(value, str) or value not in labels:
        errors[key] = message
        return None
    return value


def codes(data: dict, key: str, labels: dict, errors: dict, *, missing, unknown) -> list[str]:
    """One or more codes of `labels`, duplicates dropped, in the order of `labels`.

    `unknown(codes)` words the message naming the codes that were not recognized."""
    raw = data.get(key)
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, (list, tuple)) or not raw:
        errors[key] = missing
        return []
    strange = [str(code)[:30] for code in raw if not isinstance(code, str) or code not in labels]
    if strange:
        errors[key] = unknown("、".join(strange[:5]))
        return []
    return [code for code in labels if code in raw]


def phone(data: dict, key: str, errors: dict) -> str | None:
    value = text(data, key, errors, limit=30)
    if value and key not in errors and not PHONE.fullmatch(value):
        errors[key] = _l("电话只能包含数字、空格和 + - ( )。")
    return value


def email(data: dict, key: str, errors: dict) -> str | None:
    value = text(data, key, errors, limit=120)
    if value and key not in errors and not EMAIL.fullmatch(value):
        errors[key] = _l("电子邮箱格式不正确，例如 name@example.org。")
    return value
