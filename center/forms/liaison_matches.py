"""Input shapes for proposing and deciding matches and for referrals between platforms.

Only the shape: the services (center.services.liaison_matches, .liaison_referrals) check the
world and report every problem by field, so the page and the API say the same thing."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from center.forms.directory import grouped_options, printable

NOTE_LIMIT = 2000
_LONG = _l("不能超过 %(max)d 个字。")

# Labels of audited columns, for the timeline on the match and referral pages.
HISTORY_LABELS = {
    "state": _l("状态"), "note": _l("说明"), "outcome": _l("结果"), "score": _l("匹配分"),
    "reason": _l("匹配理由"), "accept_by": _l("接收期限"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _note(label):
    return TextAreaField(label, validators=[Optional(), Length(max=NOTE_LIMIT, message=_LONG),
                                            printable], filters=[_strip])


class ProposeForm(FlaskForm):
    """Propose one of the ranked offers for a need."""
    offer_id = HiddenField()
    note = _note(_l("对接说明"))


class AcceptForm(FlaskForm):
    """Nothing to type: the button is the decision."""


class OutcomeForm(FlaskForm):
    """Decline (with the reason) or complete (with the outcome)."""
    outcome = _note(_l("结果说明"))


class ReferralForm(FlaskForm):
    organization = StringField(_l("组织"), filters=[_strip],
                               validators=[Length(max=200, message=_LONG)])
    to_platform_id = SelectField(_l("转介给"), choices=[], validate_choice=False)
    reason = _note(_l("转介原因"))
    accept_by = StringField(_l("接收期限"), filters=[_strip])

    def set_targets(self, groups: dict, center_label):
        """Platforms grouped by district; the empty choice is the city center."""
        self.to_platform_id.choices = grouped_options(groups, blank=center_label)

    def service_data(self) -> dict:
        return {"organization": self.organization.data,
                "to_platform_id": self.to_platform_id.data, "reason": self.reason.data,
                "accept_by": self.accept_by.data}
