"""Input shapes for the joint meetings (联席会议) and their decisions. Only the shape: the
service (center.services.liaison_meetings) checks every value and reports problems by field."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from center.forms.directory import options

QUARTER_CHOICES = options([("1", _l("第一季度")), ("2", _l("第二季度")), ("3", _l("第三季度")),
                           ("4", _l("第四季度"))])
HISTORY_LABELS = {
    "year": _l("年份"), "quarter": _l("季度"), "held_on": _l("会议日期"), "location": _l("地点"),
    "chair_platform_id": _l("轮值主席"), "agenda": _l("议程"), "minutes": _l("会议纪要"),
    "text": _l("决定事项"), "owner_platform_id": _l("责任平台"), "owner_name": _l("责任人"),
    "due_on": _l("完成期限"), "done_note": _l("完成情况"), "meeting_id": _l("会议"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def platform_choices(platforms, blank) -> list:
    return options(((str(p.id), p.name) for p in platforms), blank=blank)


class MeetingForm(FlaskForm):
    """Planning (year and quarter) and editing (the rest) share the fields."""
    year = StringField(_l("年份"), filters=[_strip])
    quarter = SelectField(_l("季度"), choices=QUARTER_CHOICES, validate_choice=False)
    held_on = StringField(_l("会议日期"), filters=[_strip])
    location = StringField(_l("地点"), filters=[_strip])
    chair_platform_id = SelectField(_l("轮值主席"), choices=[], validate_choice=False)
    agenda = TextAreaField(_l("议程"))
    minutes = TextAreaField(_l("会议纪要"))

    def set_platforms(self, platforms, blank=_l("按轮值顺序推荐")):
        self.chair_platform_id.choices = platform_choices(platforms, blank)

    def service_data(self) -> dict:
        return {k: v for k, v in self.data.items() if k != "csrf_token"}


class AttendanceForm(FlaskForm):
    """The rows (attended-<platform id>, rep-<platform id>) are read by the view; this form
    carries the CSRF token."""


class DecisionForm(FlaskForm):
    text = TextAreaField(_l("决定事项"))
    owner_platform_id = SelectField(_l("责任平台"), choices=[], validate_choice=False)
    owner_name = StringField(_l("责任人"), filters=[_strip])
    due_on = StringField(_l("完成期限"), filters=[_strip])

    def set_platforms(self, platforms):
        self.owner_platform_id.choices = platform_choices(platforms, "—")

    def service_data(self) -> dict:
        return {k: v for k, v in self.data.items() if k != "csrf_token"}


class DecisionDoneForm(FlaskForm):
    done_note = TextAreaField(_l("完成情况"))
