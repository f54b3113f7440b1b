"""An organization's own annual reports: the list with each one's state and what to do next,
and handing in a report online. Resubmitting after a return is on the submission's page.

The routes live on the reviews blueprint (endpoints stay ``reviews.<function>``)."""
from flask import redirect, render_template, url_for
from flask_login import current_user

from center.auth import roles
from center.extensions import db
from center.forms.reviews import OnlineSubmitForm, year_choices
from center.reports import review_pages
from center.services import review_files, reviews
from center.services.errors import DomainError
from center.views._helpers import now_utc, show_errors
from center.views.reviews import FILE_FIELDS, OWNERS, bp, file_limits, page_context, uploads_of


@bp.route("/reviews/mine", methods=["GET", "POST"])
@roles(*OWNERS)
def mine():
    organization = current_user.organization
    today = reviews.today_in_center(now_utc())
    items = review_pages.organization_submissions(db.session, organization.id)
    live_years = {s.cycle.year for s in items if s.state != "withdrawn"}
    form = OnlineSubmitForm()
    # Years taking reports now with no live report of this organization (and the one chosen).
    free = [c for c in review_pages.cycles(db.session) if c.opens_on <= today
            and (c.year not in live_years or c.year == form.year.data)]
    form.year.choices = year_choices(free)
    if not form.is_submitted():
        form.year.data = free[0].year if free else None
    elif form.validate_on_submit():
        try:
            submission = review_files.submit_report(
                db.session, organization=organization, year=form.year.data,
                uploads=uploads_of(form.files), channel="online", actor=current_user,
                limits=file_limits(), files_required=True, now=now_utc())
            db.session.commit()
            return redirect(url_for(".receipt", submission_id=submission.id))
        except DomainError as error:
            show_errors(form, error, FILE_FIELDS | {"credit_code": "year"})
            items = review_pages.organization_submissions(db.session, organization.id)
    return render_template("reviews/mine.html", organization=organization, items=items,
                           form=form, can_submit=bool(free),
                           reasons=review_pages.reasons_by_code(db.session),
                           **page_context()), 422 if form.errors else 200
