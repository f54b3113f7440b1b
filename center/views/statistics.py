"""Daily service statistics (每日服务数据统计): counts per day and service line for a chosen
period, as a table and a chart, computed from the records (center.reports.daily_stats).

Read-only, for the center's staff and the supervising office's liaison.
"""
from datetime import date, timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from center.auth import roles
from center.extensions import db
from center.forms.statistics import DailyStatsForm
from center.reports import daily_chart, daily_stats
from center.services.consultations import center_today
from center.views._helpers import now_utc

bp = Blueprint("statistics", __name__, url_prefix="/statistics")

READERS = ("admin", "manager", "supervisor", "frontdesk", "reviewer")
DEFAULT_DAYS = 30


@bp.route("/daily")
@roles(*READERS)
def daily():
    today = center_today(now_utc())
    form = DailyStatsForm(request.args)
    form.validate()
    first, last = _period(form, today)
    stats = daily_stats.daily(db.session, first, last)
    return render_template("statistics/daily.html", form=form, stats=stats,
                           chart=daily_chart.build(stats),
                           shortcuts=_shortcuts(today)), 422 if form.errors else 200


def _period(form, today: date) -> tuple[date, date]:
    """The form's period: the last DEFAULT_DAYS days for what is missing or wrong."""
    span = timedelta(days=DEFAULT_DAYS - 1)
    first = form.date_from.data if not form.date_from.errors else None
    last = form.date_to.data if not form.date_to.errors else None
    if form.date_from.errors or form.date_to.errors:
        first = last = None
    if first is None and last is None:
        first, last = today - span, today
    first = first or last - span
    last = last or first + span
    if last < first or (last - first).days >= daily_stats.MAX_DAYS:
        form.date_to.errors = [*form.date_to.errors,
                               _("统计期间最长 %(n)d 天，请缩短。", n=daily_stats.MAX_DAYS)]
        first, last = today - span, today
    if not form.errors:
        form.date_from.data, form.date_to.data = first, last
        form.date_from.raw_data = form.date_to.raw_data = None
    return first, last


def _shortcuts(today: date) -> list[tuple[str, date, date]]:
    monday = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    previous_month = (month - timedelta(days=1)).replace(day=1)
    return [(_("本周"), monday, monday + timedelta(days=6)),
            (_("上周"), monday - timedelta(days=7), monday - timedelta(days=1)),
            (_("本月"), month, today),
            (_("上月"), previous_month, month - timedelta(days=1)),
            (_("近 %(n)d 天", n=DEFAULT_DAYS), today - timedelta(days=DEFAULT_DAYS - 1), today),
            (_("今年"), today.replace(month=1, day=1), today)]
