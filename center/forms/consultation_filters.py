"""Input shapes of the consultation list's filters and the statistics period (GET forms: the
values live in the URL, so a filtered list can be bookmarked, shared and exported as shown).

A value that cannot be a filter (a date in another format, a topic code nobody defined) gets a
message beside its field and is left out; it never reaches a query."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from center.forms.calendar import DayField
from center.forms.directory import options
from center.services.field_checks import ascii_int
from center.models.consultations import CHANNEL_LABELS, STATE_LABELS, TOPIC_LABELS

FIRST_YEAR, LAST_YEAR = 2000, 2099  # dates outside are typing mistakes (and overflow a day + 1)
MAX_PERIOD_DAYS = 366  # statistics day by day: a year at most


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ChoiceField(SelectField):
    """A select whose unknown value gets a message in the user's language."""

    def __init__(self, *args, unknown=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unknown = unknown

    def pre_validate(self, form):
        if self.data and self.data not in {str(choice.value) for choice in self.choices}:
            raise StopValidation(self.unknown)


class TopicsField(SelectMultipleField):
    """Topics as a row of checkboxes; unknown codes are named in the message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {choice.value for choice in self.choices}
        unknown = [code for code in self.data or [] if code not in known]
        if unknown:
            raise StopValidation(_l("未知的主题：%(codes)s。", codes="、".join(unknown[:5])))


def _year_in_range(form, field):
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("年份应在 %(a)d 年至 %(b)d 年之间。", a=FIRST_YEAR, b=LAST_YEAR))


class PeriodMixin:
    date_from = DayField(_l("起始日期"), validators=[Optional(), _year_in_range])
    date_to = DayField(_l("截止日期"), validators=[Optional(), _year_in_range])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("截止日期不能早于起始日期。"))


class ConsultationFilterForm(PeriodMixin, FlaskForm):
    """The consultation list's filters."""

    class Meta:
        csrf = False

    q = StringField(_l("搜索"), filters=[_strip], validators=[
        Optional(), Length(max=100, message=_l("搜索内容不能超过 %(max)d 个字。"))])
    topic = TopicsField(_l("主题"), choices=options(TOPIC_LABELS.items()))
    channel = ChoiceField(_l("渠道"), choices=options(CHANNEL_LABELS.items(), blank=_l("全部渠道")),
                          unknown=_l("未知的渠道，请从列表中选择。"))
    state = ChoiceField(_l("状态"), choices=options(STATE_LABELS.items(), blank=_l("全部状态")),
                        unknown=_l("未知的状态，请从列表中选择。"))
    staff = ChoiceField(_l("记录人"), choices=[], unknown=_l("找不到该工作人员，请从列表中选择。"))
    organization = StringField(_l("组织编号"), filters=[_strip])
    org_q = StringField(_l("组织"), filters=[_strip], validators=[
        Optional(), Length(max=100, message=_l("不能超过 %(max)d 个字。"))])

    def set_staff(self, users) -> None:
        self.staff.choices = options([(str(u.id), u.display_name) for u in users],
                                     blank=_l("全部人员"))

    def validate_organization(self, field):
        number = ascii_int(field.data or "")
        if field.data and not (number is not None and 0 < number < 2**31):
            raise ValidationError(_l("组织编号应为数字。"))


class StatsPeriodForm(PeriodMixin, FlaskForm):
    """The statistics page's period (both days inclusive)."""

    class Meta:
        csrf = False

    def validate_date_to(self, field):
        super().validate_date_to(field)
        first, last = self.date_from.data, field.data
        if first and last and (last - first).days >= MAX_PERIOD_DAYS:
            raise ValidationError(_l("统计期间最长 %(n)d 天，请缩短。", n=MAX_PERIOD_DAYS))


def period_or_default(form: PeriodMixin, default: tuple[date, date]) -> tuple[date, date]:
    """The form's period where valid, else the default's day for the missing or bad end."""
    first = form.date_from.data if form.date_from.data and not form.date_from.errors \
        else default[0]
    last = form.date_to.data if form.date_to.data and not form.date_to.errors else default[1]
    return (first, last) if first <= last else default
