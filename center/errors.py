"""Error pages and JSON errors: a clear message in the user's language, never a bare 500."""
from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError

from center.auth import api_error, is_api_request
from center.extensions import db

MESSAGES = {
    400: _l("请求无效。"),
    403: _l("您没有权限访问此页面。"),
    404: _l("找不到该页面或记录。"),
    405: _l("不支持此操作方式。"),
    413: _l("上传的文件太大。"),
    500: _l("系统出错了，操作没有保存。请稍后再试，或联系管理员。"),
}
CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "payload_too_large", 500: "internal_error"}


def _render(status: int, message: str | None = None, code: str | None = None):
    message = message or str(MESSAGES[status])
    if is_api_request():
        return api_error(status, code or CODES[status], message)
    return render_template("errors/error.html", status=status, message=message), status


def register_error_handlers(app):
    for status in (400, 403, 404, 405, 413):
        app.register_error_handler(status, lambda e, s=status: _render(s))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400, _("表单已过期或缺少安全令牌，请刷新页面后重新提交。"))

    @app.errorhandler(OverflowError)  # SQLite: an integer wider than 64 bits; date arithmetic
    @app.errorhandler(DataError)  # PostgreSQL: a value out of its column's range
    def out_of_range(error):
        db.session.rollback()
        return _render(400, _("请求中的数字或日期超出范围。"), code="out_of_range")

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return _render(500)
