"""Input shapes of the liaison posts (needs and offers), their filters and the Excel upload.

The forms check the shape only; center.services.liaison checks the world (a known region, the
window in order, a platform that exists) and its messages are put beside these same fields.
Filter forms are GET forms: the values live in the URL, so a filtered board can be shared.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, StopValidation

from center.forms.calendar import DayField
from center.forms.consultation_filters import _year_in_range
from center.forms.directory import _text, grouped_options, optional_id, options, printable
from center.models.liaison import CATEGORY_LABELS, KIND_LABELS, POST_STATE_LABELS
from center.services.liaison import MAX_QUANTITY, MAX_TEXT, MAX_TITLE

FIELD_LABELS = {
    "kind": _l("类型"), "category": _l("类别"), "title": _l("标题"), "description": _l("描述"),
    "quantity": _l("数量"), "starts_on": _l("开始日期"), "ends_on": _l("结束日期"),
    "region_id": _l("所在区域"), "contact_name": _l("联系人"), "contact_phone": _l("联系电话"),
    "expires_on": _l("有效期至"), "state": _l("状态"), "platform_id": _l("平台"),
    "published_at": _l("发布时间"), "closed_at": _l("关闭时间"), "created_by_id": _l("创建人"),
    "created_at": _l("创建时间"), "id": "ID",
}


class KnownChoice(SelectField):
    """A select whose unknown value gets a message in the user's language, not WTForms'."""

    def __init__(self, *args, unknown=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unknown = unknown or _l("请从列表中选择。")

    def pre_validate(self, form):
        if self.data and self.data not in {str(choice.value) for choice in self.choices}:
            raise StopValidation(self.unknown)


class QuantityField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("数量应为整数。")) from None


def _window_day(label):
    return DayField(label, validators=[Optional(), _year_in_range])


class PostForm(FlaskForm):
    platform_id = KnownChoice(_l("发布平台"), choices=options([], blank="—"), coerce=optional_id,
                              unknown=_l("请选择平台。"))
    kind = KnownChoice(_l("类型"), choices=options(KIND_LABELS.items()),
                       unknown=_l("类型只能是需求或资源。"))
    category = KnownChoice(_l("类别"), choices=options(CATEGORY_LABELS.items()),
                           unknown=_l("未知的类别，请从列表中选择。"))
    title = _text(_l("标题"), MAX_TITLE, required_message=_l("请填写标题。"))
    description = TextAreaField(_l("描述"), validators=[
        Optional(), Length(max=MAX_TEXT, message=_l("不能超过 %(max)d 个字。")), printable])
    quantity = QuantityField(_l("数量"), validators=[
        Optional(), NumberRange(1, MAX_QUANTITY, _l("数量应为 1 到 %(max)d 之间的整数。"))])
    starts_on = _window_day(_l("开始日期"))
    ends_on = _window_day(_l("结束日期"))
    region_id = KnownChoice(_l("所在区域"), choices=options([], blank="—"), coerce=optional_id,
                            unknown=_l("请选择一个区域。"))
    contact_name = _text(_l("联系人"), 50)
    contact_phone = _text(_l("联系电话"), 30)
    expires_on = _window_day(_l("有效期至"))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise StopValidation(_l("结束日期不能早于开始日期。"))

    def set_choices(self, *, regions: dict, platforms=None):
        self.region_id.choices = grouped_options(regions, blank=_l("本平台所在区域"))
        if platforms is None:  # a platform user posts for their own platform
            del self.platform_id
        else:
            self.platform_id.choices = options([(str(p.id), p.name) for p in platforms],
                                               blank="—")

    def fill_from(self, post) -> None:
        for name in ("kind", "category", "title", "description", "quantity", "starts_on",
                     "ends_on", "contact_name", "contact_phone", "expires_on"):
            getattr(self, name).data = getattr(post, name)
        self.region_id.data = optional_id(post.region_id)

    def service_data(self) -> dict:
        """The values for the service; it sees the typed text, not WTForms' coerced None."""
        keys = ("kind", "category", "title", "description", "quantity", "starts_on", "ends_on",
                "region_id", "contact_name", "contact_phone", "expires_on")
        return {key: getattr(self, key).data for key in keys}


class _GetForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing


class PostFilterForm(_GetForm):
    state = KnownChoice(_l("状态"), choices=options(POST_STATE_LABELS.items(), blank=_l("全部状态")),
                        unknown=_l("未知的状态。"))
    kind = KnownChoice(_l("类型"), choices=options(KIND_LABELS.items(), blank=_l("需求和资源")),
                       unknown=_l("类型只能是需求或资源。"))


class BoardFilterForm(_GetForm):
    kind = KnownChoice(_l("类型"), choices=options(KIND_LABELS.items(), blank=_l("需求和资源")),
                       unknown=_l("类型只能是需求或资源。"))
    category = KnownChoice(_l("类别"), choices=options(CATEGORY_LABELS.items(),
                                                       blank=_l("全部类别")),
                           unknown=_l("未知的类别，请从列表中选择。"))
    district = KnownChoice(_l("所在区"), choices=options([], blank=_l("全市")),
                           unknown=_l("请从列表中选择一个区。"))
    date_from = _window_day(_l("时间从"))
    date_to = _window_day(_l("时间到"))

    def set_districts(self, districts) -> None:
        self.district.choices = options([(str(d.id), d.name) for d in districts],
                                        blank=_l("全市"))

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise StopValidation(_l("截止日期不能早于起始日期。"))


class PostImportForm(FlaskForm):
    platform_id = KnownChoice(_l("导入到平台"), choices=options([], blank="—"),
                              coerce=optional_id, unknown=_l("请选择平台。"))
    file = FileField(_l("Excel 文件（.xlsx）"), validators=[
        FileRequired(_l("请选择要上传的文件。")),
        FileAllowed(["xlsx"], _l("只能上传 .xlsx 格式的 Excel 文件。"))])

    def set_platforms(self, platforms) -> None:
        if platforms is None:
            del self.platform_id
        else:
            self.platform_id.choices = options([(str(p.id), p.name) for p in platforms],
                                               blank="—")


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token protects the publish and close buttons."""
