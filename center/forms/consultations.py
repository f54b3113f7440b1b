"""Input shapes of the consultation pages. The service (center.services.consultations) checks
every value and reports every problem at once, so these forms only carry the input: no
validators that would answer before the service could list the rest."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, RadioField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from center.forms.directory import options
from center.forms.venues import MomentField
from center.models.consultations import CHANNEL_LABELS, STATE_LABELS, TOPIC_LABELS
from center.services.venue_rules import CENTER_TZ

SATISFACTION_LABELS = {"5": _l("5 非常满意"), "4": _l("4 满意"), "3": _l("3 一般"),
                       "2": _l("2 不满意"), "1": _l("1 非常不满意")}
# Labels of audited columns, for the change history on a consultation's page.
FIELD_LABELS = {
    "occurred_at": _l("咨询时间"), "channel": _l("渠道"), "topics": _l("主题"),
    "organization_id": _l("组织"),
    "requester_name": _l("咨询人"), "requester_phone": _l("电话"), "question": _l("问题"),
    "answer": _l("答复"), "minutes": _l("用时（分钟）"), "state": _l("状态"),
    "follow_up_on": _l("跟进日期"), "follow_up_outcome": _l("跟进结果"),
    "follow_up_closed_at": _l("跟进关闭时间"), "satisfaction": _l("满意度"),
    "outcome": _l("成效"), "evaluated_at": _l("评估时间"), "archived_at": _l("归档时间"),
}
# Service field names → form fields (the rest have the same name).
SERVICE_ALIASES = {"organization_id": "organization_q"}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CheckboxList(SelectMultipleField):
    """Several choices as a list of checkboxes; unknown values are the service's to report."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass


class LenientRadio(RadioField):
    """Radio buttons whose unknown values the service reports (beside the field)."""

    def pre_validate(self, form):
        pass


class ConsultationForm(FlaskForm):
    """The quick-entry form (also the edit form). The visible organization box searches; the
    hidden id holds the organization picked from its suggestions."""

    organization_q = StringField(_l("组织"), filters=[_strip])
    organization_id = HiddenField()
    requester_name = StringField(_l("咨询人姓名"), filters=[_strip])
    requester_phone = StringField(_l("电话"), filters=[_strip])
    channel = LenientRadio(_l("渠道"), choices=options(CHANNEL_LABELS.items()), default="visit")
    topics = CheckboxList(_l("主题"), choices=options(TOPIC_LABELS.items()))
    question = TextAreaField(_l("问题"))
    answer = TextAreaField(_l("答复"))
    minutes = StringField(_l("用时（分钟）"), filters=[_strip])
    state = LenientRadio(_l("状态"), choices=options(STATE_LABELS.items()), default="resolved")
    follow_up_on = StringField(_l("跟进日期"), filters=[_strip])
    occurred_at = MomentField(_l("咨询时间"), validators=[Optional()])

    def fill_from(self, consultation) -> None:
        """Show a stored consultation (the edit form's first view)."""
        for name in ("requester_name", "requester_phone", "channel", "question", "answer",
                     "state"):
            getattr(self, name).data = getattr(consultation, name)
        self.topics.data = consultation.topics
        self.minutes.data = str(consultation.minutes)
        self.follow_up_on.data = consultation.follow_up_on.isoformat() \
            if consultation.follow_up_on else ""
        self.organization_id.data = str(consultation.organization_id or "")
        self.organization_q.data = consultation.organization.name \
            if consultation.organization else ""
        self.occurred_at.data = consultation.occurred_at.astimezone(CENTER_TZ).replace(
            tzinfo=None, second=0, microsecond=0)

    def service_data(self, organization_id) -> dict:
        """The data dict of center.services.consultations (its FIELDS)."""
        data = {name: getattr(self, name).data for name in (
            "requester_name", "requester_phone", "channel", "topics", "question", "answer",
            "minutes", "state", "follow_up_on")}
        data["organization_id"] = organization_id
        moment = self.occurred_at.data
        if isinstance(moment, datetime):
            data["occurred_at"] = moment.replace(tzinfo=CENTER_TZ)
        return data


class CloseFollowUpForm(FlaskForm):
    follow_up_outcome = TextAreaField(_l("跟进结果"))
    resolved = BooleanField(_l("问题已解决"), default=True)


class EvaluationForm(FlaskForm):
    satisfaction = LenientRadio(_l("满意度"), choices=options(SATISFACTION_LABELS.items()))
    outcome = TextAreaField(_l("成效"))


class ConfirmForm(FlaskForm):
    """An action button (archive, restore) that carries only the CSRF token."""
