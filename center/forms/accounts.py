"""Input shapes for login and user management."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, EmailField, IntegerField, PasswordField,
                     SelectField, StringField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (DataRequired, EqualTo, Length, NumberRange, Optional, Regexp,
                                ValidationError)

from center.models.accounts import ROLE_CODES

ROLE_LABELS = {
    "admin": _l("系统管理员"),
    "manager": _l("中心管理人员"),
    "frontdesk": _l("咨询服务人员"),
    "reviewer": _l("年检预审人员"),
    "platform": _l("区/街道平台"),
    "supervisor": _l("主管部门联络人"),
    "org": _l("社会组织"),
}


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


ROLE_OPTIONS = [(code, ROLE_LABELS[code]) for code in ROLE_CODES]


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名。")), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")), Length(max=200)])
    remember = BooleanField(_l("7天内保持登录"))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_int(value):
    """'' (nothing chosen) is None; anything else must be a whole number."""
    if value in (None, "", "None"):
        return None
    return int(value)


class UserEditForm(FlaskForm):
    display_name = StringField(_l("姓名"), filters=[_strip],
                               validators=[DataRequired(_l("请填写姓名。")), Length(max=100)])
    role = SelectField(_l("角色"), choices=options(ROLE_OPTIONS))
    platform_id = SelectField(_l("所属平台"), coerce=_optional_int, validate_choice=False)
    organization_code = StringField(_l("所属组织的统一社会信用代码"), filters=[_strip],
                                    validators=[Optional(), Length(max=30)])
    email = EmailField(_l("电子邮箱"), filters=[_strip], validators=[
        Optional(), Length(max=254),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("电子邮箱格式不正确。"))])
    locale = SelectField(_l("界面语言"), choices=options([("zh", "中文"), ("en", "English")]))

    def set_platform_choices(self, platforms):
        self.platform_id.choices = options([("", _l("（不属于平台）")), *platforms])


class UserForm(UserEditForm):
    """Creating a user: the edit fields plus a user name and an initial password."""
    username = StringField(_l("用户名"), filters=[_strip], validators=[
        DataRequired(_l("请填写用户名。")), Length(max=64, message=_l("用户名最多 64 个字符。")),
        Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("用户名只能包含字母、数字和 _ . @ -。"))])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(_l("请设置初始密码。")),
                                                      Length(max=200)])


class PasswordForm(FlaskForm):
    """An admin resets someone's password."""

    password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码。")), Length(max=200)])
    confirm = PasswordField(_l("再次输入新密码"), validators=[EqualTo("password", _l("两次输入的密码不一致。"))])


class OwnPasswordForm(PasswordForm):
    """A user changes their own password: the current one is asked first."""

    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。")),
                                                             Length(max=200)])


class TokenForm(FlaskForm):
    valid_days = IntegerField(_l("有效期（天，留空为长期有效）"), validators=[
        Optional(), NumberRange(min=1, max=3650, message=_l("有效期应在 1 到 3650 天之间。"))])


class UserFilterForm(FlaskForm):
    """The user list's search bar (GET: no CSRF token)."""
    class Meta:
        csrf = False

    q = StringField(_l("姓名或用户名"), filters=[_strip], validators=[Optional(), Length(max=100)])
    role = SelectField(_l("角色"), choices=options([("", _l("全部角色")), *ROLE_OPTIONS]),
                       validate_choice=False)
    active = SelectField(_l("状态"), validate_choice=False, choices=options(
        [("", _l("全部状态")), ("1", _l("启用")), ("0", _l("已停用"))]))


class AuditFilterForm(FlaskForm):
    """The audit log's filters (GET: no CSRF token)."""
    class Meta:
        csrf = False

    table = SelectField(_l("记录类型"), validate_choice=False)
    record_id = StringField(_l("记录编号"), filters=[_strip], validators=[Optional(), Length(max=64)])
    actor = StringField(_l("操作人"), filters=[_strip], validators=[Optional(), Length(max=100)])
    action = SelectField(_l("操作"), validate_choice=False)
    date_from = DateField(_l("起始日期"), validators=[Optional()])
    date_to = DateField(_l("截止日期"), validators=[Optional()])

    def set_choices(self, tables, actions):
        self.table.choices = options([("", _l("全部类型")), *tables])
        self.action.choices = options([("", _l("全部操作")), *actions])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("截止日期不能早于起始日期。"))
