"""Input shapes of the queue's filters (a GET form: the values live in the URL), bulk assignment,
duty, bulk intake, cycles and the return-reason checklist. Services validate the world."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (BooleanField, Field, HiddenField, IntegerField, SelectField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (AnyOf, InputRequired, Length, NumberRange, Optional,
                                StopValidation)

from center import MAX_ID
from center.forms.calendar import DayField, YearField
from center.forms.directory import options, printable
from center.services.field_checks import ascii_int

ALL = "all"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ChoiceField(SelectField):
    """A select whose unknown value gets a message in the user's language."""

    def __init__(self, *args, unknown=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unknown = unknown

    def pre_validate(self, form):
        known = {str(choice.value) for choice in self.choices}
        if self.data not in known and not (self.data is None and "" in known):
            raise StopValidation(self.unknown)


class QueueFilterForm(FlaskForm):
    """The queue's filters; choices are set by the view from the data (cycles, districts...)."""

    class Meta:
        csrf = False

    cycle = ChoiceField(_l("年度"), choices=[], unknown=_l("没有这个年度的预审周期。"))
    state = ChoiceField(_l("状态"), choices=[], default="open", unknown=_l("未知的状态。"))
    org_type = ChoiceField(_l("组织类型"), choices=[], unknown=_l("未知的组织类型。"))
    district = ChoiceField(_l("所在区"), choices=[], unknown=_l("找不到该区。"))
    reviewer = ChoiceField(_l("预审人员"), choices=[], unknown=_l("找不到该预审人员。"))
    channel = ChoiceField(_l("接收方式"), choices=[], unknown=_l("未知的接收方式。"))
    overdue = BooleanField(_l("只看逾期"))
    q = StringField(_l("搜索"), filters=[_strip], validators=[
        Optional(), Length(max=100, message=_l("搜索内容不能超过 %(max)d 个字。"))])

    def set_choices(self, *, cycles, states, types, districts, reviewers, channels):
        self.cycle.choices = options(((str(c.id), _l("%(year)d 年度", year=c.year))
                                      for c in cycles)) + [SelectChoice(ALL, _l("全部年度"))]
        self.state.choices = options(states.items())
        self.org_type.choices = options(types.items(), blank=_l("全部类型"))
        self.district.choices = options(((str(d.id), d.name) for d in districts),
                                        blank=_l("全部区"))
        self.reviewer.choices = options(reviewers, blank=_l("全部人员"))
        self.channel.choices = options(channels.items(), blank=_l("全部方式"))


class IdsField(Field):
    """The checked rows: every value of the field's name, each a positive id. The checkboxes are
    drawn by the queue table, so the field renders nothing itself (not even in hidden_tag)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.data = []

    def __call__(self, **kwargs):
        return ""

    def process_formdata(self, valuelist):
        ids = []
        for value in (v for v in valuelist if v != ""):
            number = ascii_int(value)
            if number is None or not 0 < number <= MAX_ID:
                raise ValueError(_l("勾选的年报编号无效。"))
            ids.append(number)
        self.data = ids


class BulkForm(FlaskForm):
    """Assign the checked items to a reviewer (or back to the common queue), or balance them
    (none checked: balance everything waiting in the cycle)."""

    ids = IdsField()
    reviewer = SelectField(_l("分派给"), choices=[], validate_choice=False)
    cycle = HiddenField()
    back = HiddenField()  # the queue's query string, to return to the same view

    def reviewer_id(self) -> int | None:
        value = self.reviewer.data or ""
        number = ascii_int(value)
        return number if number is not None and 0 < number <= MAX_ID else None


class DutyForm(FlaskForm):
    """On ("1") or off ("0") duty, from the button pressed."""

    user_id = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])
    on = HiddenField(validators=[AnyOf(("0", "1"))])


class BulkIntakeForm(FlaskForm):
    file = FileField(_l("Excel 文件（.xlsx）"), validators=[
        FileRequired(_l("请选择要上传的文件。")),
        FileAllowed(["xlsx"], _l("只能上传 .xlsx 格式的 Excel 文件。"))])


def _days(label):
    return IntegerField(label, validators=[
        InputRequired(_l("请填写工作日数。")),
        NumberRange(1, 60, _l("请填写 1 到 60 之间的工作日数。"))])


class CycleForm(FlaskForm):
    year = YearField(_l("报告年度"), validators=[InputRequired(_l("请填写年度，如 2025。"))])
    opens_on = DayField(_l("预审开始日期"), validators=[InputRequired(_l("请填写开始日期。"))])
    closes_on = DayField(_l("预审截止日期"), validators=[InputRequired(_l("请填写截止日期。"))])
    first_review_days = _days(_l("初审期限（工作日）"))
    re_review_days = _days(_l("复审期限（工作日）"))
    correction_days = _days(_l("组织改正期限（工作日）"))
    note = TextAreaField(_l("备注"), filters=[_strip], validators=[
        Optional(), Length(max=2000, message=_l("备注不能超过 %(max)d 个字。")), printable])


class ReasonForm(FlaskForm):
    code = StringField(_l("代码"), filters=[_strip], validators=[
        Optional(), Length(max=30, message=_l("不能超过 %(max)d 个字。"))])
    label = StringField(_l("退回原因"), filters=[_strip], validators=[
        InputRequired(_l("请填写退回原因。")),
        Length(max=100, message=_l("不能超过 %(max)d 个字。")), printable])
    guidance = TextAreaField(_l("给组织的修改指引"), filters=[_strip], validators=[
        Optional(), Length(max=1000, message=_l("不能超过 %(max)d 个字。")), printable])


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token protects one-click buttons (move, archive, restore)."""
