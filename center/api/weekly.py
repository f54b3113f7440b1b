"""The weekly report (工作周报) over JSON: generate a week's figures, read a report, export it
(documented in weekly_doc.py).

    POST /api/v1/weekly-reports/<YYYY-Www>/generate   the figures (creates the draft if missing,
                                                       else regenerates; 409 once submitted)
    GET  /api/v1/weekly-reports/<YYYY-Www>            figures, narrative, state
    GET  /api/v1/weekly-reports/<YYYY-Www>/export     the .xlsx

The same services as the pages, so the same rules hold: a week that does not exist (2026-W54)
or has not begun is a 422 naming the week; regenerating never touches the narrative; a submitted
report is locked (409). Supervisors read submitted reports only: a draft answers 404 exactly
like a missing report.
"""
import io

from flask import g, jsonify, send_file, url_for

from center.api import api
from center.api.venues import local_iso
from center.auth import roles
from center.extensions import db
from center.models.weekly import WEEKLY_STATE_LABELS, WeeklyReport
from center.reports import weekly_export
from center.reports.xlsx import XLSX_MIMETYPE
from center.services import weekly
from center.services.weekly_delivery import attachment_name

EDITORS = ("admin", "manager")
READERS = ("admin", "manager", "supervisor")


def report_item(report: WeeklyReport) -> dict:
    return {
        "week": report.week_key, "iso_year": report.iso_year, "iso_week": report.iso_week,
        "starts_on": report.starts_on.isoformat(), "ends_on": report.ends_on.isoformat(),
        "title": weekly_export.report_title(report),
        "state": report.state, "state_label": str(WEEKLY_STATE_LABELS[report.state]),
        "figures": report.figures or {},
        "figures_generated_at": local_iso(report.figures_generated_at)
        if report.figures_generated_at else None,
        "summary": report.summary, "plan": report.plan, "plan_prefilled": report.plan_prefilled,
        "submitted_at": local_iso(report.submitted_at) if report.submitted_at else None,
        "submitted_by": report.submitted_by.display_name if report.submitted_by else None,
        "recipients": [{"role": r.get("role") or "", "name": r.get("name") or "",
                        "email": r.get("email")} for r in report.recipients or ()],
        "delivery": report.delivery,
        "versions": len(report.versions),
        "export_url": url_for("api.export_weekly_report", week=report.week_key),
    }


def _readable(week: str) -> WeeklyReport:
    """The week's report as the caller may see it (422 for a week that does not exist or has
    not begun, 404 for a missing report or, to a supervisor, a draft)."""
    weekly.check_not_future(week)
    return weekly.require(db.session, week, submitted_only=g.user.role not in EDITORS)


@api.route("/weekly-reports/<week>/generate", methods=["POST"])
@roles(*EDITORS)
def generate_weekly_report(week):
    """The week's figures from the records: a new draft (201) or a regeneration (200)."""
    weekly.check_not_future(week)  # 422 before anything is read
    report = weekly.get_report(db.session, week)
    if report is None:
        report = weekly.create_draft(db.session, week, actor=g.user)
        status = 201
    else:
        weekly.regenerate(db.session, report, actor=g.user)
        status = 200
    item = report_item(report)
    db.session.commit()
    response = jsonify(item)
    response.headers["Location"] = url_for("api.get_weekly_report", week=week)
    return response, status


@api.route("/weekly-reports/<week>")
@roles(*READERS)
def get_weekly_report(week):
    return jsonify(report_item(_readable(week)))


@api.route("/weekly-reports/<week>/export")
@roles(*READERS)
def export_weekly_report(week):
    report = _readable(week)
    response = send_file(io.BytesIO(weekly_export.workbook_bytes(report)),
                         mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=attachment_name(report))
    response.headers["Cache-Control"] = "private, no-store"
    return response


from center.api import weekly_doc  # noqa: E402,F401  (documents the routes above)
