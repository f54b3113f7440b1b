"""Input shapes of the weekly report: the manager's narrative, and the confirmations."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length

from center.services.weekly import MAX_NARRATIVE

TOO_LONG = _l("最多 %(max)d 个字。")


class NarrativeForm(FlaskForm):
    """本周工作小结 and 下周工作计划. `shown` is a fingerprint of the text the page showed, so a
    save over someone else's newer text is noticed instead of silently overwriting it."""

    summary = TextAreaField(_l("本周工作小结"), validators=[Length(max=MAX_NARRATIVE,
                                                                  message=TOO_LONG)])
    plan = TextAreaField(_l("下周工作计划"), validators=[Length(max=MAX_NARRATIVE,
                                                               message=TOO_LONG)])
    shown = HiddenField()


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token protects an action button (generate, submit)."""
