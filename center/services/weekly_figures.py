"""The weekly report's figures, read from each service module's statistics (never copied), and
next week's plan prefilled from known facts.

Figures are stored as plain JSON: per module a list of figures (key, label, value, the previous
week's value, unit) and tables (title, columns, rows). Labels are stored in Chinese, the
report's language, and are translation msgids, so a page in English translates them when shown.
A module that does not exist yet is stored as None: shown as absent, never as zero.
"""
from datetime import date, datetime, timedelta

from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from center.models.base import utcnow
from center.models.consultations import CHANNEL_LABELS, TOPIC_LABELS
from center.models.reviews import Submission
from center.models.venues import Booking
from center.reports.consultations import local_midnight
from center.services.venue_rules import CENTER_TZ

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# Standing items of every week, from the center's rules (DESIGN.md, FACTS.md).
STANDING_ITEMS = ((1, _l("上午 各业务处室联络员协调会")),)
PLAN_BOOKINGS = 30  # next week's bookings listed in the plan; the rest are counted


def _figure(key, label, value, unit=""):
    return {"key": key, "label": str(label), "value": value, "unit": str(unit)}


def consultation_figures(session, first: date, last: date) -> dict:
    from center.reports import consultation_stats as stats

    data = stats.summary(session, first, last, today=last)
    totals, follow = data["totals"], data["follow_ups"]
    figures = [
        _figure("consultations", _l("咨询服务"), totals["consultations"], _l("次")),
        _figure("minutes", _l("咨询时长"), totals["minutes"], _l("分钟")),
        _figure("organizations", _l("服务组织"), totals["organizations"], _l("家")),
        _figure("follow_ups_open", _l("待跟进"), follow["open"], _l("项")),
        _figure("follow_ups_overdue", _l("跟进逾期"), follow["overdue"], _l("项")),
        _figure("referrals", _l("转介专家与合作伙伴"), data["referrals"]["total"], _l("次")),
    ]
    tables = [
        {"title": str(_l("按主题")), "columns": [str(_l("主题")), str(_l("次数"))],
         "rows": [[str(TOPIC_LABELS[r["code"]]), r["count"]] for r in data["by_topic"]]},
        {"title": str(_l("按渠道")), "columns": [str(_l("渠道")), str(_l("次数"))],
         "rows": [[str(CHANNEL_LABELS[r["code"]]), r["count"]] for r in data["by_channel"]]},
    ]
    return {"figures": figures, "tables": tables}


def venue_figures(session, first: date, last: date) -> dict:
    from center.reports.venue_usage import utilization

    usage = utilization(session, first, last, summary_only=True).months
    booked = sum(u.booked_hours for u in usage)
    opened = sum(u.open_hours for u in usage)
    figures = [
        _figure("bookings", _l("场地预约"), sum(u.bookings for u in usage), _l("场")),
        _figure("booked_hours", _l("使用时长"), round(booked, 1), _l("小时")),
        _figure("utilization", _l("场地使用率"), round(100 * booked / opened, 1) if opened else 0,
                "%"),
        _figure("attendees", _l("预计参加人数"), sum(u.attendees for u in usage), _l("人")),
        _figure("checked_in", _l("签到"), sum(u.checked_in for u in usage), _l("场")),
        _figure("no_shows", _l("未到场"), sum(u.no_shows for u in usage), _l("场")),
    ]
    table = {"title": str(_l("各场地使用情况")),
             "columns": [str(_l("场地")), str(_l("预约")), str(_l("使用小时")), str(_l("使用率（%）"))],
             "rows": [[u.venue.name, u.bookings, round(u.booked_hours, 1),
                       round(100 * u.booked_hours / u.open_hours, 1) if u.open_hours else 0]
                      for u in usage]}
    return {"figures": figures, "tables": [table]}


def review_figures(session, first: date, last: date) -> dict:
    from center.reports import review_stats

    data = review_stats.summary(session, first, last)
    events = data["events"]
    figures = [
        _figure("received", _l("接收年报"), data["received"], _l("份")),
        _figure("processed", _l("完成预审"), events["passed"] + events["returned"], _l("份")),
        _figure("returned", _l("退回修改"), events["returned"], _l("份")),
        _figure("passed", _l("预审通过"), events["passed"], _l("份")),
        _figure("backlog", _l("待审积压"), data["backlog"], _l("份")),
        _figure("overdue", _l("逾期未审"), data["overdue"], _l("份")),
    ]
    table = {"title": str(_l("各预审人员完成情况")),
             "columns": [str(_l("预审人员")), str(_l("通过")), str(_l("退回"))],
             "rows": [[r["name"], r["passed"], r["returned"]] for r in data["by_reviewer"]]}
    return {"figures": figures, "tables": [table]}


def liaison_figures(session, first: date, last: date) -> dict:
    from center.models.liaison import CATEGORY_LABELS
    from center.reports import liaison_stats

    data = liaison_stats.summary(session, first, last)
    matches, referrals, decisions = data["matches"], data["referrals"], data["decisions"]
    figures = [
        _figure("needs", _l("发布需求"), data["needs"], _l("条")),
        _figure("offers", _l("发布资源"), data["offers"], _l("条")),
        _figure("matches_proposed", _l("提出对接"), matches["proposed"], _l("次")),
        _figure("matches_accepted", _l("达成对接"), matches["accepted"], _l("次")),
        _figure("matches_completed", _l("完成对接"), matches["completed"], _l("次")),
        _figure("referrals_made", _l("平台间转介"), referrals["made"], _l("次")),
        _figure("referrals_accepted", _l("转介已接收"), referrals["accepted"], _l("次")),
        _figure("meetings", _l("召开联席会议"), data["meetings"], _l("次")),
        _figure("decisions_open", _l("联席会议决定未完成"), decisions["open"], _l("项")),
        _figure("decisions_overdue", _l("决定事项逾期"), decisions["overdue"], _l("项")),
    ]
    table = {"title": str(_l("按类别")),
             "columns": [str(_l("类别")), str(_l("发布需求")), str(_l("发布资源")),
                         str(_l("达成对接"))],
             "rows": [[str(CATEGORY_LABELS[r["code"]]), r["needs"], r["offers"], r["accepted"]]
                      for r in data["by_category"]]}
    return {"figures": figures, "tables": [table]}


# Service lines in report order: (key, label, provider or None when the module is not built).
MODULES = (
    ("consultations", _l("咨询辅导"), consultation_figures),
    ("venues", _l("场地预约"), venue_figures),
    ("reviews", _l("年检预审"), review_figures),
    ("liaison", _l("三级平台联动"), liaison_figures),
)


def _with_previous(this: dict, before: dict) -> dict:
    previous = {f["key"]: f["value"] for f in before["figures"]}
    for figure in this["figures"]:
        figure["previous"] = previous.get(figure["key"])
    return this


def collect(session, first: date, last: date, *, now: datetime | None = None) -> dict:
    """Every module's figures for first..last, each beside the week before."""
    week_before = (first - timedelta(days=7), last - timedelta(days=7))
    modules = {}
    with force_locale("zh"):
        for key, label, provider in MODULES:
            if provider is None:
                modules[key] = None
                continue
            section = _with_previous(provider(session, first, last),
                                     provider(session, *week_before))
            modules[key] = {"label": str(label), **section}
    return {"first": first.isoformat(), "last": last.isoformat(),
            "generated_at": (now or utcnow()).isoformat(), "modules": modules,
            "labels": {key: str(label) for key, label, _p in MODULES}}


def _day(value: date) -> str:
    return f"{value.month}月{value.day}日（{WEEKDAY_NAMES[value.weekday()]}）"


def _joint_meetings(session, monday: date, sunday: date) -> list[str]:
    from center.reports.liaison_meetings import meetings_between

    return [f"  {_day(m.held_on)}" + _("%(year)d 年第 %(q)d 季度联席会议", year=m.year, q=m.quarter)
            + (f"（{m.location}）" if m.location else "")
            + (_("，轮值主席：%(name)s", name=m.chair.name) if m.chair else "")
            for m in meetings_between(session, monday, sunday)]


def _decisions_due(session, monday: date, sunday: date) -> str:
    from center.models.liaison import MeetingDecision

    def count(*where):
        return session.scalar(select(func.count()).select_from(MeetingDecision)
                              .where(MeetingDecision.done_at.is_(None), *where))

    return _("四、平台联动：联席会议决定事项下周到期 %(due)d 项，已逾期未完成 %(late)d 项。",
             due=count(MeetingDecision.due_on.between(monday, sunday)),
             late=count(MeetingDecision.due_on < monday))


def plan_for_next_week(session, monday: date) -> str:
    """Next week's known facts as plan lines: standing meetings (the Tuesday-morning liaison
    coordination meeting) and joint meetings, venue events, review deadlines, joint-meeting
    decisions falling due.
    Written in Chinese (the report's language) whatever the user's language."""
    sunday = monday + timedelta(days=6)
    with force_locale("zh"):
        lines = [_("一、例行会议")]
        lines += [f"  {_day(monday + timedelta(days=weekday))}{_(str(text))}"
                  for weekday, text in STANDING_ITEMS]
        lines += _joint_meetings(session, monday, sunday)
        next_week = select(Booking).where(
            Booking.starts_at >= local_midnight(monday),
            Booking.starts_at < local_midnight(sunday + timedelta(days=1)),
            Booking.status.in_(("approved", "pending")))
        count = session.scalar(select(func.count()).select_from(next_week.subquery()))
        lines.append(_("二、场地活动（%(n)d 场）", n=count))
        for b in session.scalars(next_week.order_by(Booking.starts_at, Booking.id)
                                 .limit(PLAN_BOOKINGS)):
            start = b.starts_at.astimezone(CENTER_TZ)
            lines.append(f"  {_day(start.date())} {start:%H:%M} {b.venue.name} "
                         f"{b.organization.name}“{b.title}”")
        if count > PLAN_BOOKINGS:
            lines.append("  " + _("另有 %(n)d 场，见场地预约。", n=count - PLAN_BOOKINGS))
        due = session.scalar(select(func.count()).select_from(Submission).where(
            Submission.state.in_(("received", "resubmitted", "in_review")),
            Submission.due_on.between(monday, sunday)))
        lines.append(_("三、年检预审：下周到期待审 %(n)d 份。", n=due))
        lines.append(_decisions_due(session, monday, sunday))
        lines.append(_("五、其他工作："))
    return "\n".join(lines)
