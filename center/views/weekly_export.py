"""The weekly report's Excel export, `weekly.export`, on the weekly pages' blueprint (imported
at the bottom of center.views.weekly, like venue_bookings on venues').

Managers and admins export any week's report, draft or submitted; supervisors the submitted
ones (a draft answers like a missing report, as on the report page). The workbook is built by
center.reports.weekly_export from the report's stored figures and narrative.
"""
import io

from flask import send_file

from center.auth import roles
from center.reports import weekly_export
from center.reports.xlsx import XLSX_MIMETYPE
from center.services.weekly_delivery import attachment_name
from center.views.weekly import READERS, _existing, bp


@bp.route("/<key>/export")
@roles(*READERS)
def export(key):
    report = _existing(key)
    response = send_file(io.BytesIO(weekly_export.workbook_bytes(report)),
                         mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=attachment_name(report))
    response.headers["Cache-Control"] = "private, no-store"
    return response
