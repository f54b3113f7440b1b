"""Annual-report pre-review pages (年检预审). One blueprint, `reviews`, in several modules:

- this module: intake at the desk with its printable receipt, a submission's page with its
  timeline and files, adding files, withdrawing, resubmitting, forwarding;
- review_work: the reviewer's work page (claim next, claim, release, return, pass);
- review_org: an organization's own reports and its online submission;
- review_queue: the queue with filters, bulk assignment and load balancing, reviewers on duty,
  the peak dashboard, Excel exports and bulk intake, cycles and the return-reason checklist;
- review_lookup: the public status lookup and tagging a call as a status enquiry.
"""
import io

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from center.auth import roles
from center.extensions import db
from center.forms.reviews import (ConfirmForm, IntakeForm, ResubmitForm, UploadForm,
                                  WithdrawForm, year_choices)
from center.models.reviews import (CHANNEL_LABELS, DONE_STATES, EVENT_LABELS,
                                   REVIEW_STATE_LABELS, ReviewState)
from center.reports import review_pages
from center.services import directory, review_files, reviews
from center.services.errors import ConflictError, DomainError, ValidationError
from center.views._helpers import now_utc, show_errors

bp = Blueprint("reviews", __name__)

REVIEWERS = ("admin", "manager", "reviewer")  # work the queue
INTAKE = ("admin", "manager", "frontdesk", "reviewer")  # register a report handed in
MANAGERS = ("admin", "manager")  # assign, balance, cycles, checklist
DASHBOARD_READERS = ("admin", "manager", "reviewer", "supervisor")
STAFF = ("admin", "manager", "frontdesk", "reviewer")  # read submissions, tag enquiries
OWNERS = ("org",)  # an organization's own user: its own reports only
FILE_FIELDS = {"uploads": "files"}


@bp.context_processor
def labels():
    return {"REVIEW_STATE_LABELS": REVIEW_STATE_LABELS, "EVENT_LABELS": EVENT_LABELS,
            "CHANNEL_LABELS": CHANNEL_LABELS, "human_size": review_files.human_size}


# --- shared by the review page modules --------------------------------------------------------

def file_limits() -> review_files.FileLimits:
    """Attachment limits from the configuration (REVIEW_FILE_MAX_BYTES, REVIEW_MAX_FILES)."""
    config, default = current_app.config, review_files.FileLimits()
    return review_files.FileLimits(
        max_bytes=config.get("REVIEW_FILE_MAX_BYTES", default.max_bytes),
        max_files=config.get("REVIEW_MAX_FILES", default.max_files),
        max_uncompressed=config.get("XLSX_MAX_UNCOMPRESSED", default.max_uncompressed))


def uploads_of(field) -> list[review_files.Upload]:
    """The files chosen in a file field (an empty choice sends one nameless part: skipped)."""
    return [review_files.Upload(storage.filename or "", storage.read())
            for storage in (field.data or []) if storage and (storage.filename or "").strip()]


def get_submission(submission_id: int):
    """The submission for its page, or 404; an organization's user sees only its own."""
    submission = review_pages.submission_page(db.session, submission_id)
    if submission is None or (current_user.role in OWNERS
                              and submission.organization_id != current_user.organization_id):
        abort(404)
    return submission


def page_context() -> dict:
    return {"limits": file_limits(), "today": reviews.today_in_center(now_utc())}


# --- intake ------------------------------------------------------------------------------------

@bp.route("/reviews/intake", methods=["GET", "POST"])
@roles(*INTAKE)
def intake():
    form = IntakeForm()
    all_cycles = review_pages.cycles(db.session)
    form.year.choices = year_choices(all_cycles)
    if not form.is_submitted():
        current = review_pages.default_cycle(all_cycles, reviews.today_in_center(now_utc()))
        form.year.data = current.year if current else None
        form.received_on.data = reviews.today_in_center(now_utc())
        form.credit_code.data = request.args.get("credit_code", "")[:50]
    elif form.validate_on_submit():
        submission = _register(form)
        if submission is not None:  # the receipt says it all (and a flash would be printed)
            return redirect(url_for(".receipt", submission_id=submission.id))
    status = 422 if form.errors else 200
    return render_template("reviews/intake.html", form=form, cycles=all_cycles,
                           organization=_typed_organization(form),
                           existing=getattr(form, "existing", None), cycles_url=_cycles_url(),
                           **page_context()), status


def _cycles_url() -> str | None:
    """Where a manager sets up a cycle."""
    return url_for(".cycles") if current_user.role in MANAGERS else None


def _register(form):
    """Register the report; None with every problem beside its field when it is refused."""
    code, problem = _resolve_code(form.credit_code.data)
    try:
        submission = review_files.submit_report(
            db.session, credit_code=code or form.credit_code.data, year=form.year.data,
            received_on=form.received_on.data, uploads=uploads_of(form.files), channel="desk",
            actor=current_user, limits=file_limits(), now=now_utc())
        db.session.commit()
        return submission
    except ConflictError as error:
        show_errors(form, error, FILE_FIELDS)
        form.existing = _existing(code, form.year.data)
    except DomainError as error:
        if problem:  # a name that names no one organization: say so, not "invalid code"
            error.fields["credit_code"] = problem
        show_errors(form, error, FILE_FIELDS)
    return None


def _resolve_code(typed: str | None) -> tuple[str | None, str | None]:
    """A typed credit code as it is; a typed name (no JavaScript, or not picked from the
    suggestions) is taken when it names exactly one organization."""
    code = directory.normalize_credit_code(typed or "")
    if not code or (len(code) == 18 and code.isascii() and code.isalnum()):
        return code, None
    found = directory.organization_suggestions(db.session, typed, limit=10)
    exact = [o for o in found if o.name == typed.strip()]
    chosen = exact[0] if len(exact) == 1 else (found[0] if len(found) == 1 else None)
    if chosen is not None:
        return chosen.credit_code, None
    if not found:
        return None, _("找不到“%(q)s”。请输入 18 位统一社会信用代码，或输入名称后从候选中选择。", q=typed)
    return None, _("有 %(n)d 个组织与“%(q)s”相符，请从候选中选择一个，或输入统一社会信用代码。",
                   n=len(found), q=typed)


def _typed_organization(form):
    """The organization the typed code names, to show its name beside the field."""
    code, _problem = _resolve_code(form.credit_code.data)
    if not code:
        return None
    try:
        return reviews.find_organization(db.session, code)
    except ValidationError:
        return None


def _existing(code, year):
    try:
        organization = reviews.find_organization(db.session, code)
    except ValidationError:
        return None
    cycle = reviews.cycle_for_year(db.session, year)
    return reviews.live_submission(db.session, organization, cycle) if cycle else None


@bp.route("/reviews/<int:submission_id>/receipt")
@roles(*INTAKE, *OWNERS)
def receipt(submission_id):
    submission = get_submission(submission_id)
    return render_template("reviews/receipt.html", submission=submission,
                           lookup_url=url_for(".lookup", _external=True), **page_context())


# --- a submission's page -------------------------------------------------------------------------

@bp.route("/reviews/<int:submission_id>")
@roles(*STAFF, *OWNERS)
def submission(submission_id):
    return submission_view(get_submission(submission_id))


def submission_view(submission, status=200, **forms):
    """The submission's page; forms given (with errors) replace the fresh ones."""
    forms = {"confirm": ConfirmForm(), "withdraw_form": WithdrawForm(),
             "resubmit_form": ResubmitForm(), "upload_form": UploadForm(), **forms}
    if not forms["resubmit_form"].is_submitted():
        forms["resubmit_form"].received_on.data = reviews.today_in_center(now_utc())
    return render_template(
        "reviews/submission.html", submission=submission, owner=current_user.role in OWNERS,
        reasons=review_pages.reasons_by_code(db.session),
        center_days=review_pages.center_working_days(db.session, submission,
                                                today=reviews.today_in_center(now_utc())),
        can=_abilities(submission), **forms, **page_context()), status


def _abilities(submission) -> dict:
    role, state = current_user.role, submission.state
    staff, owner = role in STAFF, role in OWNERS
    return {
        "claim": role in REVIEWERS and submission.is_open and state != "in_review",
        "work": role in REVIEWERS and state == "in_review"
        and submission.claimed_by_id == current_user.id,
        "release": state == "in_review" and (submission.claimed_by_id == current_user.id
                                             or role in MANAGERS),
        "forward": role in REVIEWERS and state == ReviewState.passed.value,
        "withdraw": (role in INTAKE or owner) and state in ("received", "returned"),
        "resubmit": (role in INTAKE or owner) and state == "returned",
        "upload": role in INTAKE and state not in DONE_STATES + ("withdrawn",),
        "files": staff or owner,
    }


@bp.route("/reviews/files/<int:file_id>")
@roles(*STAFF, *OWNERS)
def file(file_id):
    stored = review_files.file_of(db.session, file_id)
    if stored is None:
        abort(404)
    get_submission(stored.submission_id)  # an organization's user: its own files only
    return send_file(io.BytesIO(stored.content), mimetype=review_files.MIMETYPES[stored.kind],
                     as_attachment=True, download_name=stored.filename)


@bp.route("/reviews/<int:submission_id>/files", methods=["POST"])
@roles(*INTAKE)
def upload(submission_id):
    submission = get_submission(submission_id)
    form = UploadForm()
    if form.validate_on_submit():
        try:
            review_files.add_files(db.session, submission, uploads_of(form.files),
                                   actor=current_user, limits=file_limits(), now=now_utc())
            db.session.commit()
            flash(_("附件已添加。"), "success")
            return redirect(url_for(".submission", submission_id=submission.id))
        except DomainError as error:
            show_errors(form, error, FILE_FIELDS)
    return submission_view(get_submission(submission_id), 422, upload_form=form)


@bp.route("/reviews/<int:submission_id>/withdraw", methods=["POST"])
@roles(*INTAKE, *OWNERS)
def withdraw(submission_id):
    submission = get_submission(submission_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            reviews.withdraw(db.session, submission, actor=current_user,
                             comment=form.comment.data, now=now_utc())
            db.session.commit()
            flash(_("已撤回。该组织可以重新报送本年度年报。"), "success")
            return redirect(url_for(".submission", submission_id=submission.id))
        except DomainError as error:
            show_errors(form, error)
    return submission_view(get_submission(submission_id), 422, withdraw_form=form)


@bp.route("/reviews/<int:submission_id>/resubmit", methods=["POST"])
@roles(*INTAKE, *OWNERS)
def resubmit(submission_id):
    submission = get_submission(submission_id)
    form = ResubmitForm()
    if form.validate_on_submit():
        online = current_user.role in OWNERS
        try:
            review_files.resubmit_report(
                db.session, submission, uploads=uploads_of(form.files), actor=current_user,
                on=None if online else form.received_on.data, comment=form.comment.data,
                limits=file_limits(), files_required=online, now=now_utc())
            db.session.commit()
            flash(_("已重新提交，进入复审队列。"), "success")
            return redirect(url_for(".submission", submission_id=submission.id))
        except DomainError as error:
            show_errors(form, error, FILE_FIELDS)
    return submission_view(get_submission(submission_id), 422, resubmit_form=form)


@bp.route("/reviews/<int:submission_id>/forward", methods=["POST"])
@roles(*REVIEWERS)
def forward(submission_id):
    submission = get_submission(submission_id)
    if ConfirmForm().validate_on_submit():
        try:
            reviews.forward(db.session, submission, actor=current_user, now=now_utc())
            db.session.commit()
            flash(_("已转登记管理机关。"), "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    if request.form.get("next") == "work":
        return redirect(url_for(".work"))
    return redirect(url_for(".submission", submission_id=submission.id))


# Registers the other modules' routes on bp (they need bp above).
from center.views import review_lookup, review_org, review_queue, review_work  # noqa: E402,F401
