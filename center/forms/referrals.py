"""Input shapes for experts, partners, referrals and frequent questions.

Only the shape: every value is checked by the services (center.services.referrals, .faqs), which
report all problems at once by field, so the page and the API say the same thing."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from center.forms.directory import grouped_options, options
from center.models.consultations import MODE_LABELS, SECTOR_LABELS, TOPIC_LABELS

# Labels of audited columns, for the change history on the pages of this module.
HISTORY_LABELS = {
    "name": _l("名称"), "title": _l("职务或职称"), "employer": _l("工作单位"),
    "sector": _l("来源"), "fields": _l("领域"), "modes": _l("服务方式"), "phone": _l("电话"),
    "email": _l("电子邮箱"), "bio": _l("简介"), "kind": _l("类型"), "contact_name": _l("联系人"),
    "description": _l("介绍"), "topic": _l("主题"), "question": _l("问题"), "answer": _l("答案"),
    "state": _l("状态"), "mode": _l("服务方式"), "note": _l("转介说明"), "outcome": _l("结果说明"),
    "expert_id": _l("导师"), "partner_id": _l("合作伙伴"), "consultation_id": _l("咨询"),
    "source_consultation_id": _l("来源咨询"), "created_by_id": _l("创建人"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _line(label):
    return StringField(label, filters=[_strip])


def _codes(label, labels):
    return SelectMultipleField(label, choices=options(labels.items()), validate_choice=False,
                               option_widget=CheckboxInput(),
                               widget=ListWidget(prefix_label=False))


class ExpertForm(FlaskForm):
    name = _line(_l("姓名"))
    title = _line(_l("职务或职称"))
    employer = _line(_l("工作单位"))
    sector = SelectField(_l("来源"), choices=options(SECTOR_LABELS.items(), blank="—"),
                         validate_choice=False)
    fields = _codes(_l("擅长领域"), TOPIC_LABELS)
    modes = _codes(_l("服务方式"), MODE_LABELS)
    phone = _line(_l("电话"))
    email = _line(_l("电子邮箱"))
    bio = TextAreaField(_l("简介"))


class PartnerForm(FlaskForm):
    name = _line(_l("名称"))
    kind = _line(_l("类型"))
    fields = _codes(_l("服务领域"), TOPIC_LABELS)
    modes = _codes(_l("服务方式"), MODE_LABELS)
    contact_name = _line(_l("联系人"))
    phone = _line(_l("电话"))
    email = _line(_l("电子邮箱"))
    description = TextAreaField(_l("介绍"))


class ReferForm(FlaskForm):
    target = SelectField(_l("转介给"), choices=[], validate_choice=False)
    mode = SelectField(_l("服务方式"), choices=options(MODE_LABELS.items(), blank="—"),
                       validate_choice=False)
    note = TextAreaField(_l("转介说明"))

    def set_targets(self, groups: dict):
        self.target.choices = grouped_options(groups, blank="—")

    def service_data(self) -> dict:
        """The target's value (expert:12 or partner:3) as the service's expert_id/partner_id."""
        kind, _sep, record_id = (self.target.data or "").partition(":")
        data = {"mode": self.mode.data, "note": self.note.data}
        if kind in ("expert", "partner"):
            data[f"{kind}_id"] = record_id or "?"
        elif self.target.data:
            data["expert_id"] = "?"  # not one of ours: the service says it cannot be found
        return data


class ReferralStateForm(FlaskForm):
    """The buttons send `state`; the outcome note goes with done and declined."""
    state = StringField()
    outcome = TextAreaField(_l("结果说明"))
    resolve = BooleanField(_l("同时将这条咨询标记为已解决"), default=True)


class FaqForm(FlaskForm):
    topic = SelectField(_l("主题"), choices=options(TOPIC_LABELS.items(), blank="—"),
                        validate_choice=False)
    question = TextAreaField(_l("问题"))
    answer = TextAreaField(_l("答案"))


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token protects archive and restore buttons."""
