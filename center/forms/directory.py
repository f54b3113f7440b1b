"""Input shapes for organizations, platforms and Excel uploads. Services validate the world."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from center.models.directory import LEVEL_LABELS, TIER_LABELS, TYPE_LABELS  # noqa: F401 (views use them)

ARCHIVED_CHOICES = {"active": _l("在册"), "archived": _l("已归档"), "all": _l("全部")}

# Labels of audited columns, for the history shown on detail pages.
FIELD_LABELS = {
    "name": _l("名称"), "credit_code": _l("统一社会信用代码"), "type": _l("组织类型"),
    "level": _l("登记级别"), "district_id": _l("所在区"), "field": _l("业务领域"),
    "contact_name": _l("联系人"), "contact_phone": _l("联系电话"), "address": _l("地址"),
    "note": _l("备注"), "archived_at": _l("归档时间"), "created_at": _l("创建时间"),
    "region_id": _l("所在区域"), "tier": _l("层级"), "is_joint_member": _l("联席会议成员"),
    "rotation_order": _l("轮值顺序"), "name_initials": _l("拼音首字母"), "id": "ID",
}

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def options(pairs, *, blank=None) -> list[SelectChoice]:
    """Select choices from (value, label) pairs, optionally after an empty choice."""
    return ([SelectChoice("", blank)] if blank else []) + [SelectChoice(v, lb) for v, lb in pairs]


def grouped_options(groups: dict, *, blank) -> list[SelectChoice]:
    """Choices under <optgroup> headings: {group label: [(value, label), ...]}."""
    return [SelectChoice("", blank)] + [SelectChoice(value, label, optgroup=group)
                                         for group, pairs in groups.items()
                                         for value, label in pairs]


def optional_id(value) -> str:
    """Select values are strings; a missing id is the empty choice, never "None"."""
    return "" if value in (None, "") else str(value)


def printable(form, field):
    """Refuse invisible control characters (they break Excel export and search)."""
    if field.data and CONTROL_CHARS.search(field.data):
        raise ValidationError(_l("含有不可见的控制字符，请删除后再保存。"))


def _text(label, max_length, *, required_message=None):
    validators = [DataRequired(required_message)] if required_message else [Optional()]
    message = _l("不能超过 %(max)d 个字。")
    return StringField(label, validators=validators + [Length(max=max_length, message=message),
                                                       printable],
                       filters=[lambda value: value.strip() if isinstance(value, str) else value])


class OrganizationForm(FlaskForm):
    name = _text(_l("组织名称"), 200, required_message=_l("请填写组织名称。"))
    credit_code = _text(_l("统一社会信用代码"), 30,
                        required_message=_l("请填写统一社会信用代码。"))
    type = SelectField(_l("组织类型"), choices=options(TYPE_LABELS.items(),
                                                     blank=_l("按信用代码第2位自动判断")))
    level = SelectField(_l("登记级别"), choices=options(LEVEL_LABELS.items()))
    district_id = SelectField(_l("所在区"), choices=options([], blank="—"), coerce=optional_id)
    field = _text(_l("业务领域"), 100)
    contact_name = _text(_l("联系人"), 50)
    contact_phone = _text(_l("联系电话"), 30)
    address = _text(_l("地址"), 200)
    note = TextAreaField(_l("备注"), validators=[
        Optional(), Length(max=2000, message=_l("不能超过 %(max)d 个字。")), printable])

    def set_districts(self, districts):
        self.district_id.choices = options([(str(d.id), d.name) for d in districts], blank="—")


class PlatformForm(FlaskForm):
    name = _text(_l("平台名称"), 100, required_message=_l("请填写平台名称。"))
    region_id = SelectField(_l("所在区域"), choices=options([], blank="—"), coerce=optional_id)
    is_joint_member = BooleanField(_l("联席会议成员（已签署协议）"))
    rotation_order = IntegerField(
        _l("轮值顺序"), validators=[Optional(), NumberRange(1, 999, _l("请填写 1 到 999 之间的整数。"))])
    contact_name = _text(_l("联系人"), 50)
    contact_phone = _text(_l("联系电话"), 30)
    address = _text(_l("地址"), 200)

    def set_regions(self, groups: dict):
        self.region_id.choices = grouped_options(groups, blank="—")


class ImportForm(FlaskForm):
    file = FileField(_l("Excel 文件（.xlsx）"), validators=[
        FileRequired(_l("请选择要上传的文件。")),
        FileAllowed(["xlsx"], _l("只能上传 .xlsx 格式的 Excel 文件。"))])
    update_existing = BooleanField(_l("已存在的记录按表格内容更新"), default=True)


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token protects archive and restore buttons."""
