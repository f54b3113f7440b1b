"""Joint meeting pages (联席会议): the list with the open decisions, planning a quarter's meeting
(chair and agenda prefilled), a meeting's page with attendance, minutes and decisions, and the
list of open decisions (overdue marked) until they are done.

The center's staff plan and record; platform users and the supervisor read; a decision's owner
platform may mark it done (center.services.liaison_meetings.can_complete).
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from center.auth import roles
from center.extensions import db
from center.forms.liaison_meetings import (HISTORY_LABELS, AttendanceForm, DecisionDoneForm,
                                           DecisionForm, MeetingForm)
from center.models.directory import Platform
from center.models.liaison import JointMeeting
from center.reports import liaison_meetings as reading
from center.reports.audit import platform_names, record_history
from center.services import liaison_meetings as service
from center.services.errors import DomainError, NotFoundError, PermissionDenied
from center.services.field_checks import ascii_int
from center.services.liaison import CENTER_STAFF, today_in_center
from center.views._helpers import now_utc, show_errors
from center.views.liaison import READERS, bp


@bp.route("/meetings")
@roles(*READERS)
def meetings():
    today = today_in_center(now_utc())
    return render_template("liaison/meetings.html", meetings=reading.meetings(db.session),
                           decisions=reading.open_decisions(db.session), today=today,
                           is_overdue=reading.is_overdue,
                           can_manage=service.can_manage(current_user))


@bp.route("/meetings/new", methods=["GET", "POST"])
@roles(*CENTER_STAFF)
def meeting_new():
    form = MeetingForm()
    year, quarter = _quarter_asked()
    chair = reading.proposed_chair(db.session, year, quarter)
    form.set_platforms(reading.members(db.session))
    if not form.is_submitted():
        form.year.data, form.quarter.data = str(year), str(quarter)
        form.chair_platform_id.data = str(chair.id) if chair else ""
        form.agenda.data = service.prefilled_agenda(db.session, year, quarter,
                                                    today=today_in_center(now_utc()))
    if form.validate_on_submit():
        try:
            meeting = service.plan_meeting(db.session, form.service_data(), actor=current_user,
                                           now=now_utc())
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已安排 %(year)d 年第 %(q)d 季度联席会议。", year=meeting.year,
                    q=meeting.quarter), "success")
            return redirect(url_for(".meeting", meeting_id=meeting.id))
    return render_template("liaison/meeting_form.html", form=form, meeting=None, chair=chair,
                           last_chair=reading.last_chair(db.session, year, quarter),
                           year=year, quarter=quarter), _status(form)


@bp.route("/meetings/<int:meeting_id>")
@roles(*READERS)
def meeting(meeting_id):
    return _meeting_page(_meeting_or_404(meeting_id))


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@roles(*CENTER_STAFF)
def meeting_edit(meeting_id):
    record = _meeting_or_404(meeting_id)
    form = MeetingForm(obj=None if request.method == "POST" else record)
    form.set_platforms(_chair_options(record))
    if not form.is_submitted():
        form.held_on.data = record.held_on.isoformat() if record.held_on else ""
        form.chair_platform_id.data = str(record.chair_platform_id or "")
    if form.validate_on_submit():
        try:
            service.update_meeting(db.session, record, form.service_data(), actor=current_user)
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存联席会议。"), "success")
            return redirect(url_for(".meeting", meeting_id=record.id))
    return render_template("liaison/meeting_form.html", form=form, meeting=record, chair=None,
                           last_chair=None, year=record.year,
                           quarter=record.quarter), _status(form)


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["POST"])
@roles(*CENTER_STAFF)
def meeting_attendance(meeting_id):
    record = _meeting_or_404(meeting_id)
    form = AttendanceForm()
    if form.validate_on_submit():
        try:
            service.record_attendance(db.session, record, _marks(), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            return _meeting_page(record, attendance_errors=error.fields), 422
        db.session.commit()
        flash(_("已保存出席情况。"), "success")
        return redirect(url_for(".meeting", meeting_id=record.id) + "#attendance")
    return _meeting_page(record), 422


@bp.route("/meetings/<int:meeting_id>/decisions", methods=["POST"])
@roles(*CENTER_STAFF)
def decision_new(meeting_id):
    record = _meeting_or_404(meeting_id)
    form = DecisionForm()
    form.set_platforms(_active_platforms())
    if form.validate_on_submit():
        try:
            service.add_decision(db.session, record, form.service_data(), actor=current_user)
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已记录决定事项。"), "success")
            return redirect(url_for(".meeting", meeting_id=record.id) + "#decisions")
    return _meeting_page(record, decision_form=form), 422


@bp.route("/decisions")
@roles(*READERS)
def decisions():
    mine = bool(request.args.get("mine")) and current_user.role == "platform"
    items = reading.open_decisions(db.session,
                                   owner_platform_id=current_user.platform_id if mine else None)
    return render_template("liaison/decisions.html", decisions=items, mine=mine,
                           today=today_in_center(now_utc()), is_overdue=reading.is_overdue,
                           can_complete=service.can_complete, done_form=DecisionDoneForm())


@bp.route("/decisions/<int:decision_id>/done", methods=["POST"])
@roles(*CENTER_STAFF, "platform")
def decision_done(decision_id):
    try:
        decision = service.visible_decision(db.session, decision_id)
    except NotFoundError:
        abort(404)
    form = DecisionDoneForm()
    if form.validate_on_submit():
        try:
            service.complete_decision(db.session, decision, actor=current_user,
                                      note=form.done_note.data, now=now_utc())
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.fields.get("done_note", error.message)), "error")
        else:
            db.session.commit()
            flash(_("已标记完成：%(text)s", text=decision.text[:40]), "success")
    return redirect(_back(decision))


# --- helpers ---------------------------------------------------------------------------------

def _meeting_page(record: JointMeeting, *, decision_form=None, attendance_errors=None):
    entries = record_history(db.session, record)
    if decision_form is None:
        decision_form = DecisionForm(formdata=None)
        decision_form.set_platforms(_active_platforms())
    return render_template(
        "liaison/meeting.html", meeting=record, decision_form=decision_form,
        attendance=service.attendance_rows(db.session, record),
        attendance_form=AttendanceForm(), attendance_errors=attendance_errors or {},
        done_form=DecisionDoneForm(formdata=None), today=today_in_center(now_utc()),
        is_overdue=reading.is_overdue, can_manage=service.can_manage(current_user),
        can_complete=service.can_complete, entries=entries,
        FIELD_LABELS=HISTORY_LABELS, region_names={},
        platform_names=platform_names(db.session, entries))


def _meeting_or_404(meeting_id) -> JointMeeting:
    try:
        return service.visible_meeting(db.session, meeting_id)
    except NotFoundError:
        abort(404)


def _quarter_asked() -> tuple[int, int]:
    """The year and quarter of the query (or of the form), else the first quarter from the
    current one that has no meeting yet."""
    source = request.form if request.method == "POST" else request.args
    year, quarter = source.get("year", type=int), source.get("quarter", type=int)
    if year and service.FIRST_YEAR <= year <= service.LAST_YEAR and quarter in (1, 2, 3, 4):
        return year, quarter
    year, quarter = service.quarter_of(today_in_center(now_utc()))
    taken = {(m.year, m.quarter) for m in reading.meetings(db.session)}
    while (year, quarter) in taken:
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return year, quarter


def _chair_options(record: JointMeeting) -> list[Platform]:
    members = reading.members(db.session)
    if record.chair and record.chair not in members:
        members.append(record.chair)
    return members


def _active_platforms() -> list[Platform]:
    return list(db.session.scalars(db.select(Platform).where(Platform.archived_at.is_(None))
                                   .order_by(Platform.name)))


def _marks() -> dict:
    """{platform id: (attended, representative)} from the rows the page sent."""
    marks = {}
    for value in request.form.getlist("platform"):
        if ascii_int(value, max_digits=9) is not None:
            marks[int(value)] = (request.form.get(f"attended-{value}") == "1",
                                 request.form.get(f"rep-{value}", ""))
    return marks


def _back(decision) -> str:
    target = request.form.get("back", "")
    if target == "decisions":
        return url_for(".decisions")
    return url_for(".meeting", meeting_id=decision.meeting_id) + "#decisions"


def _status(form) -> int:
    return 422 if form.is_submitted() else 200
