"""Input shapes for venues, blackouts and bookings. Services validate the world (rules, overlaps)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, FieldList, Form, FormField, IntegerField,
                     SelectField, SelectMultipleField, StringField, TextAreaField, TimeField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)
from wtforms.widgets import CheckboxInput, ListWidget

from center.forms.calendar import DayField
from center.forms.directory import options, optional_id, printable

WEEKDAY_NAMES = (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日"))
REPEAT_CHOICES = options([("weekly", _l("每周重复"))], blank=_l("不重复"))
TOO_LONG = _l("不能超过 %(max)d 个字。")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ClockField(TimeField):
    """An HH:MM time whose parse error is in the user's language."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("时间格式应为 09:30。")) from None


class MomentField(DateTimeLocalField):
    """A local date and time (yyyy-mm-ddThh:mm, as browsers send it; a space also works)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("日期时间格式应为 2026-10-12 09:30。")) from None


def _number(label, low, high, *, required=True):
    message = _l("请填写 %(min)d 到 %(max)d 之间的整数。")
    first = InputRequired(_l("请填写整数。")) if required else Optional()
    return IntegerField(label, validators=[first, NumberRange(low, high, message)])


class HoursRow(Form):
    """Opening hours of one weekday; both times blank means closed."""
    opens_at = ClockField(_l("开门"), validators=[Optional()])
    closes_at = ClockField(_l("关门"), validators=[Optional()])

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        opens, closes = self.opens_at, self.closes_at
        if (opens.data is None) != (closes.data is None):
            empty = opens if opens.data is None else closes
            empty.errors.append(_l("开门和关门时间要同时填写，都不填表示当天不开放。"))
            return False
        if opens.data and closes.data <= opens.data:
            closes.errors.append(_l("关门时间应晚于开门时间。"))
            return False
        return True


class VenueForm(FlaskForm):
    name = StringField(_l("场地名称"), filters=[_strip], validators=[
        DataRequired(_l("请填写场地名称。")), Length(max=100, message=TOO_LONG), printable])
    location = StringField(_l("位置"), filters=[_strip],
                           validators=[Optional(), Length(max=200, message=TOO_LONG), printable])
    capacity = _number(_l("容纳人数"), 1, 10000)
    equipment = StringField(_l("设备"), filters=[_strip],
                            validators=[Optional(), Length(max=500, message=TOO_LONG), printable])
    description = TextAreaField(_l("说明与使用规则"), validators=[
        Optional(), Length(max=2000, message=TOO_LONG), printable])
    requires_approval = BooleanField(_l("预约需要审批"), default=True)
    min_lead_hours = _number(_l("最短提前预约（小时）"), 0, 24 * 365)
    max_length_minutes = _number(_l("单次最长（分钟）"), 15, 24 * 60)
    horizon_days = _number(_l("最远可提前预约（天）"), 1, 3650)
    monthly_quota = _number(_l("每个组织每月最多预约次数（不填为不限）"), 1, 10000, required=False)
    no_show_after_minutes = _number(_l("开始后多少分钟未签到视为未到场"), 1, 24 * 60)
    hold_hours = _number(_l("候补保留时长（小时）"), 1, 24 * 30)
    hours = FieldList(FormField(HoursRow), min_entries=7, max_entries=7)


class BlackoutForm(FlaskForm):
    venue_id = SelectField(_l("场地"), choices=[], coerce=optional_id, validate_choice=False)
    starts_at = MomentField(_l("开始"), validators=[InputRequired(_l("请填写开始时间。"))])
    ends_at = MomentField(_l("结束"), validators=[InputRequired(_l("请填写结束时间。"))])
    reason = StringField(_l("原因"), filters=[_strip], validators=[
        DataRequired(_l("请填写原因，如“设备检修”或“中心活动”。")), Length(max=200, message=TOO_LONG),
        printable])

    def set_venues(self, venues):
        self.venue_id.choices = options([(str(v.id), v.name) for v in venues], blank=_l("全部场地"))


class BookingForm(FlaskForm):
    venue_id = SelectField(_l("场地"), choices=[], coerce=optional_id, validate_choice=False)
    org_q = StringField(_l("查找组织"), filters=[_strip], validators=[Optional(), Length(max=100)])
    organization_id = SelectField(_l("组织"), choices=[], coerce=optional_id,
                                  validate_choice=False)
    title = StringField(_l("活动名称"), filters=[_strip], validators=[
        DataRequired(_l("请填写活动名称。")), Length(max=200, message=TOO_LONG), printable])
    attendees = _number(_l("预计人数"), 1, 100000)
    day = DayField(_l("日期"), validators=[InputRequired(_l("请填写日期。"))])
    start = ClockField(_l("开始时间"), validators=[InputRequired(_l("请填写开始时间。"))])
    end = ClockField(_l("结束时间"), validators=[InputRequired(_l("请填写结束时间。"))])
    repeat = SelectField(_l("重复"), choices=REPEAT_CHOICES, validate_choice=False)
    repeat_count = _number(_l("重复次数（含第一次）"), 2, 52, required=False)
    repeat_until = DayField(_l("或重复到（日期）"), validators=[Optional()])
    occurrences = SelectMultipleField(_l("要预约的日期"), choices=[], validate_choice=False,
                                      option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))

    def set_venues(self, venues):
        self.venue_id.choices = options([(str(v.id), v.name) for v in venues], blank="—")

    def set_organizations(self, organizations):
        self.organization_id.choices = options(
            [(str(o.id), f"{o.name}（{o.credit_code}）") for o in organizations], blank="—")

    def validate_repeat_until(self, field):
        if field.data and self.day.data and field.data <= self.day.data:
            raise ValidationError(_l("截止日期应晚于第一次的日期。"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("理由"), validators=[
        Optional(), Length(max=1000, message=TOO_LONG), printable])


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token protects the action buttons."""
