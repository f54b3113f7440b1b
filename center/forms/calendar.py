"""Input shapes for the working-day calendar: one override, an Excel import, and the
confirmation that a year's schedule is entered in full."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import HiddenInput
from wtforms.validators import (AnyOf, DataRequired, InputRequired, Length, Optional,
                                StopValidation)

KIND_CHOICES = [SelectChoice("holiday", _l("节假日（当天休息）")),
                SelectChoice("workday", _l("调休上班（当天工作）"))]


class DayField(DateField):
    """A yyyy-mm-dd date whose parse error is in the user's language."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("日期格式应为 2027-02-06。")) from None


class YearField(IntegerField):
    """A year whose parse error is in the user's language."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("年份应为四位数字，如 2027。")) from None


class KindField(RadioField):
    def pre_validate(self, form):
        if self.data not in {choice.value for choice in KIND_CHOICES}:
            raise StopValidation(_l("请选择“节假日”或“调休上班”。"))


class OverrideForm(FlaskForm):
    day = DayField(_l("日期"), validators=[InputRequired(_l("请填写日期。"))])
    kind = KindField(_l("类型"), choices=KIND_CHOICES)  # pre_validate requires a choice
    name = StringField(_l("名称"), validators=[
        DataRequired(_l("请填写名称，如“春节”或“国庆节调休上班”。")),
        Length(max=50, message=_l("名称不能超过 50 个字。"))])
    note = TextAreaField(_l("备注"), validators=[
        Optional(), Length(max=200, message=_l("备注不能超过 200 个字。"))])


class ImportForm(FlaskForm):
    file = FileField(_l("Excel 文件（.xlsx）"), validators=[FileRequired(_l("请选择要上传的文件。"))])
    confirm_years = BooleanField(_l("导入后确认该年度放假安排已全部录入"))


class ConfirmYearForm(FlaskForm):
    """Confirm (confirmed "1") or withdraw ("0"); the value comes from the button pressed."""

    year = YearField(widget=HiddenInput(), validators=[InputRequired(_l("年份应为四位数字，如 2027。"))])
    confirmed = StringField(validators=[AnyOf(["0", "1"], message=_l("请点击确认或撤销按钮。"))])
    note = StringField(_l("依据（可不填）"), validators=[
        Optional(), Length(max=200, message=_l("备注不能超过 200 个字。"))])
