"""The consultation list with its filters and search, its Excel export, the statistics page and
an organization's consultation history (a partial the organization page includes).

Filters live in the URL (GET), so a list can be bookmarked and exported exactly as shown. A bad
filter value gets a message beside its field and is left out; the export refuses to run until
the filters are right, so it never exports more than the user asked for."""
import io
from datetime import date, timedelta

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from center.auth import roles
from center.extensions import db
from center.forms.consultation_filters import ConsultationFilterForm, StatsPeriodForm
from center.models.consultations import (CHANNEL_LABELS, MODE_LABELS, REFERRAL_STATE_LABELS,
                                         STATE_LABELS, TOPIC_LABELS)
from center.models.directory import Organization
from center.reports import consultation_stats, consultations as reports
from center.reports.xlsx import XLSX_MIMETYPE
from center.services import directory
from center.services.consultations import center_today
from center.views._helpers import now_utc
from center.views.consultations import STAFF, STATS_READERS, bp

MAX_PAGE = 100_000


@bp.context_processor
def consultation_labels():
    """Labels for the consultation pages."""
    return {"CHANNEL_LABELS": CHANNEL_LABELS, "TOPIC_LABELS": TOPIC_LABELS,
            "STATE_LABELS": STATE_LABELS, "MODE_LABELS": MODE_LABELS,
            "REFERRAL_STATE_LABELS": REFERRAL_STATE_LABELS}


@bp.app_context_processor
def organization_history():
    """For the organization page (another blueprint): its consultation history partial,
    templates/directory/_organization_consultations.html, calls these."""
    return {"organization_consultations": _organization_consultations,
            "CONSULTATION_LABELS": {"channels": CHANNEL_LABELS, "topics": TOPIC_LABELS,
                                    "states": STATE_LABELS}}


def _organization_consultations(org):
    """The history shown on an organization's page; None for roles that may not read it."""
    if org is None or not current_user.is_authenticated or current_user.role not in STAFF:
        return None
    return reports.organization_history(db.session, org.id)


# --- the list --------------------------------------------------------------------------------

@bp.route("/consultations")
@roles(*STAFF)
def index():
    form, filters, chosen = _filters()
    result = reports.list_page(db.session, filters, page=_page(),
                               per_page=current_app.config["PER_PAGE"])
    return render_template("consultations/index.html", form=form, result=result, chosen=chosen,
                           today=center_today(now_utc()))


@bp.route("/consultations/export.xlsx")
@roles(*STAFF)
def export():
    form, filters, _chosen = _filters()
    back = url_for(".index", **request.args.to_dict(flat=False))
    if form.errors:
        flash(_("筛选条件有误，请按提示更正后再导出。"), "error")
        return redirect(back)
    cap = current_app.config["XLSX_MAX_ROWS"]
    if reports.count_matches(db.session, filters, cap=cap) > cap:
        flash(_("符合条件的咨询超过 %(n)d 条，无法一次导出。请缩小日期范围或增加筛选条件后再导出。",
                n=cap), "error")
        return redirect(back)
    data = reports.export_workbook(db.session, filters, _export_labels())
    name = f"{_('咨询记录')}-{center_today(now_utc()):%Y%m%d}.xlsx"
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=name)


def _page() -> int:
    return min(MAX_PAGE, max(1, request.args.get("page", 1, type=int)))


def _valid(field, default=None):
    return field.data if field.data and not field.errors else default


def _filters() -> tuple[ConsultationFilterForm, reports.ConsultationFilter, dict]:
    """The form bound to the URL's values, the filter built from its valid fields, and the
    organization filter's state ({"organization": Organization} or {"candidates": [...]})."""
    form = ConsultationFilterForm(request.args)
    form.set_staff(reports.staff_members(db.session, also=request.args.get("staff")))
    form.validate()
    chosen = _organization(form)
    staff = _valid(form.staff)
    filters = reports.ConsultationFilter(
        first=_valid(form.date_from), last=_valid(form.date_to),
        topics=_valid(form.topic, []), channel=_valid(form.channel, ""),
        staff_id=int(staff) if staff else None, state=_valid(form.state, ""),
        organization_id=chosen["organization"].id if chosen.get("organization") else None,
        q=_valid(form.q, ""))
    return form, filters, chosen


def _organization(form) -> dict:
    """The organization to filter by: its id from the URL (a link from its page, a chosen
    candidate), or what was typed when it names exactly one; else the candidates to pick from."""
    if form.organization.data and not form.organization.errors:
        org = db.session.get(Organization, int(form.organization.data))
        if org is None:
            form.organization.errors = [_("找不到该组织。")]
            return {}
        return {"organization": org}
    typed = _valid(form.org_q)
    if not typed:
        return {}
    found = directory.organization_suggestions(db.session, typed, limit=10)
    exact = [org for org in found if typed in (org.name, org.credit_code)]
    if len(found) == 1 or len(exact) == 1:
        return {"organization": (exact or found)[0]}
    form.org_q.errors = [_("找到多个组织，请点选其中一个。") if found
                         else _("没有找到匹配的组织。")]
    return {"candidates": found}


def _export_labels() -> dict:
    headers = {"id": _("编号"), "occurred_at": _("咨询时间"), "channel": _("渠道"),
               "requester": _("组织或咨询者"), "credit_code": _("统一社会信用代码"),
               "phone": _("联系电话"), "topics": _("主题"), "question": _("问题"),
               "answer": _("解答"), "minutes": _("用时（分钟）"), "state": _("状态"),
               "follow_up_on": _("跟进日期"), "follow_up_outcome": _("跟进结果"),
               "satisfaction": _("满意度（1–5）"), "outcome": _("成效"), "staff": _("记录人")}
    return {"title": _("咨询记录"), "headers": headers, "channels": CHANNEL_LABELS,
            "topics": TOPIC_LABELS, "states": STATE_LABELS}


# --- statistics ------------------------------------------------------------------------------

@bp.route("/consultations/stats")
@roles(*STATS_READERS)
def stats():
    today = center_today(now_utc())
    form = StatsPeriodForm(request.args)
    form.validate()
    first, last = _period(form, today)
    return render_template("consultations/stats.html", form=form, first=first, last=last,
                           stats=consultation_stats.summary(db.session, first, last, today=today),
                           shortcuts=_shortcuts(today))


def _period(form, today: date) -> tuple[date, date]:
    """The form's period; this week (Monday to Sunday) for what is missing or wrong."""
    monday, week = today - timedelta(days=today.weekday()), timedelta(days=6)
    first, last = _valid(form.date_from), _valid(form.date_to)
    if first is None and last is None:
        first, last = monday, monday + week
    first = first or last - week
    last = last or first + week
    if last < first or (last - first).days >= consultation_stats.MAX_DAYS:
        form.date_to.errors = [*form.date_to.errors,
                               _("统计期间最长 %(n)d 天，请缩短。", n=consultation_stats.MAX_DAYS)]
        first, last = monday, monday + week
    for field, value in ((form.date_from, first), (form.date_to, last)):
        if not field.errors:
            field.data, field.raw_data = value, None
    return first, last


def _shortcuts(today: date) -> list[tuple[str, date, date]]:
    monday = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    previous_month = (month - timedelta(days=1)).replace(day=1)
    return [(_("本周"), monday, monday + timedelta(days=6)),
            (_("上周"), monday - timedelta(days=7), monday - timedelta(days=1)),
            (_("本月"), month, (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)),
            (_("上月"), previous_month, month - timedelta(days=1)),
            (_("今年"), today.replace(month=1, day=1), today.replace(month=12, day=31))]
