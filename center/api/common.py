"""What every API module shares: reading query and JSON input, pagination, ISO timestamps.

Bad input raises `BadRequest` (400) or a domain error (422/409/404); the handlers in
`center.api` turn both into `{"error": {"code", "message", "fields"}}`.
"""
import json
import re

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from center.services.errors import DomainError

MAX_PER_PAGE = 100
MAX_PAGE = 10_000_000  # keeps OFFSET inside a 64-bit integer on every backend
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]{1,9}")


class BadRequest(DomainError):
    """The request itself is malformed: not JSON, an unreadable parameter."""

    code = "bad_request"
    status = 400


def has_control_chars(value: str) -> bool:
    """NUL and other control characters: PostgreSQL refuses NUL, and no field needs them."""
    return bool(_CONTROL_CHARS.search(value))


def query_text(name: str, *, max_length: int = 100) -> str | None:
    """A text query parameter, stripped; None when absent or empty."""
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    if len(value) > max_length or has_control_chars(value):
        raise BadRequest(_("参数 %(name)s 无效：最多 %(n)d 个字符，且不能含控制字符。",
                           name=name, n=max_length), {name: _("参数值无效。")})
    return value


def query_choice(name: str, choices) -> str | None:
    """A query parameter that must be one of the given codes; None when absent."""
    value = query_text(name)
    if value is not None and value not in choices:
        raise BadRequest(_("参数 %(name)s 只能是：%(codes)s。", name=name, codes=", ".join(choices)),
                         {name: _("未知的取值。")})
    return value


def _positive_int(name: str, default: int, maximum: int) -> int:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise BadRequest(_("参数 %(name)s 应为 1 到 %(max)d 之间的整数。", name=name, max=maximum),
                         {name: _("应为 1 到 %(max)d 之间的整数。", max=maximum)})
    return int(raw)


def page_args() -> tuple[int, int]:
    """`page` (from 1) and `per_page` (1..100, default PER_PAGE) from the query string."""
    default = min(current_app.config.get("PER_PAGE", 50), MAX_PER_PAGE)
    return _positive_int("page", 1, MAX_PAGE), _positive_int("per_page", default, MAX_PER_PAGE)


def paginated(session, stmt, serialize) -> dict:
    """Run one page of `stmt` and its total: always two queries, whatever the row count."""
    page, per_page = page_args()
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [serialize(row) for row in rows], "total": total,
            "page": page, "per_page": per_page}


def json_object() -> dict:
    """The request body as a JSON object; BadRequest for a wrong content type or non-object."""
    if not request.is_json:
        raise BadRequest(_("请求体应为 JSON，并带有 Content-Type: application/json。"))
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise BadRequest(_("请求体不是有效的 JSON。")) from None
    if not isinstance(body, dict):
        raise BadRequest(_("请求体应为 JSON 对象（{…}）。"))
    return body


def iso(value) -> str | None:
    """A timestamp as ISO 8601 with its offset (stored values are UTC-aware)."""
    return value.isoformat() if value is not None else None
