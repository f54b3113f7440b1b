"""Input shapes of the public status lookup and of a status enquiry tagged by staff.

The lookup's rules (what a credit code and a receipt number look like) are the service's, so the
page and the API answer alike; the form only bounds the input."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import Length, Optional

from center.forms.directory import options, printable
from center.services.review_lookup import ENQUIRY_SOURCES, REFERENCE_MAX

TOO_LONG = _l("不能超过 %(max)d 个字符。")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LookupForm(FlaskForm):
    credit_code = StringField(_l("统一社会信用代码"), filters=[_strip],
                              validators=[Length(max=40, message=TOO_LONG)])
    receipt_no = StringField(_l("回执号"), filters=[_strip],
                             validators=[Length(max=40, message=TOO_LONG)])


class EnquiryForm(FlaskForm):
    """A phone call or visit asking "has ours been reviewed yet?", counted in one click."""

    source = RadioField(_l("来源"), choices=options(ENQUIRY_SOURCES.items()), default="phone",
                        validate_choice=False)  # the service names a bad choice
    reference = StringField(_l("回执号或统一社会信用代码（可不填）"), filters=[_strip],
                            validators=[Optional(), Length(max=REFERENCE_MAX, message=TOO_LONG),
                                        printable])
    submission_id = HiddenField()
    next = HiddenField()
