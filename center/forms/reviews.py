"""Input shapes of the pre-review pages. The services (center.services.reviews and
review_files) check every value and report every problem at once, so these forms carry the
input and its shape only: no validator answers before the service could list the rest."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from center.forms.calendar import DayField
from center.forms.directory import options
from center.services.field_checks import ascii_int


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _year(value):
    """A four-digit year as an int; anything else as typed, for the service to explain."""
    raw = str(value).strip() if value is not None else ""
    year = ascii_int(raw, max_digits=4)
    return year if year is not None else raw or None


class YearField(SelectField):
    """The report year, chosen among the cycles; an unknown year is the service's to report
    (beside the field), so a stale page or a hand-edited request gets a clear message."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, coerce=_year, **kwargs)

    def pre_validate(self, form):
        pass


class ReasonList(SelectMultipleField):
    """The return-reason checklist; unknown codes are the service's to report."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass


def year_choices(cycles) -> list:
    return options([(str(c.year), _l("%(year)d 年度", year=c.year)) for c in cycles])


class IntakeForm(FlaskForm):
    """Desk intake: whose report (credit code, or a name picked from the suggestions), which
    year, when it was handed in, and its attachments if brought on a stick or by e-mail."""

    credit_code = StringField(_l("统一社会信用代码"), filters=[_strip])
    year = YearField(_l("年报年度"))
    received_on = DayField(_l("接收日期"), validators=[Optional()])
    files = MultipleFileField(_l("附件（PDF 或 Excel，可多选）"))


class OnlineSubmitForm(FlaskForm):
    """An organization hands in its own report."""

    year = YearField(_l("年报年度"))
    files = MultipleFileField(_l("年报附件（PDF 或 Excel，可多选）"))


class ResubmitForm(FlaskForm):
    """The corrected report comes back: online (files required) or at the desk (date)."""

    received_on = DayField(_l("接收日期"), validators=[Optional()])
    files = MultipleFileField(_l("修改后的附件（PDF 或 Excel，可多选）"))
    comment = TextAreaField(_l("修改说明"), filters=[_strip])


class DecisionForm(FlaskForm):
    """The reviewer's decision on the work page: pass, or return with reasons and a comment."""

    reasons = ReasonList(_l("退回原因"))
    comment = TextAreaField(_l("意见（退回时告知组织）"), filters=[_strip])


class WithdrawForm(FlaskForm):
    comment = TextAreaField(_l("撤回原因"), filters=[_strip])


class UploadForm(FlaskForm):
    files = MultipleFileField(_l("补充附件（PDF 或 Excel，可多选）"))


class ConfirmForm(FlaskForm):
    """A button that changes something (claim, release, forward): only the CSRF token."""
