"""Input shape of the daily statistics page: the period (a GET form, so it can be bookmarked)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Optional, ValidationError

from center.forms.calendar import DayField

FIRST_YEAR, LAST_YEAR = 2000, 2099  # dates outside are typing mistakes


def _year_in_range(form, field):
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("年份应在 %(a)d 年至 %(b)d 年之间。", a=FIRST_YEAR, b=LAST_YEAR))


class DailyStatsForm(FlaskForm):
    class Meta:
        csrf = False

    date_from = DayField(_l("起始日期"), validators=[Optional(), _year_in_range])
    date_to = DayField(_l("截止日期"), validators=[Optional(), _year_in_range])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("截止日期不能早于起始日期。"))
