"""Input shapes for login and user management."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

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


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名。")), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")), Length(max=200)])
    remember = BooleanField(_l("7天内保持登录"))


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=64)])
    display_name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=100)])
    role = SelectField(_l("角色"), choices=[(code, ROLE_LABELS[code]) for code in ROLE_CODES])
    platform_id = SelectField(_l("所属平台"), coerce=int, validate_choice=False)
    organization_code = StringField(_l("所属组织的统一社会信用代码"), validators=[Optional(), Length(max=18)])
    email = EmailField(_l("电子邮箱"), validators=[Optional(), Length(max=254)])
    locale = SelectField(_l("界面语言"), choices=[("zh", "中文"), ("en", "English")])
    password = PasswordField(_l("初始密码"), validators=[Optional(), Length(max=200)])


class PasswordForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码。")), Length(max=200)])
    confirm = PasswordField(_l("再次输入新密码"), validators=[EqualTo("password", _l("两次输入的密码不一致。"))])
