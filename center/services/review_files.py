"""Attachments of annual reports (PDF and XLSX), checked by content and size before anything is
stored, and the intake and resubmission paths that carry them: all or nothing.

A file is what its content says, not what its name says: a PDF starts with ``%PDF-`` and ends
with ``%%EOF``; an XLSX is a zip holding ``[Content_Types].xml`` and ``xl/workbook.xml`` (and
no macros). The name's extension must agree with the content. Nothing is parsed: the zip's
directory is read, never an entry, so a zip bomb costs nothing. Every problem with every file
is reported together, with the other problems of the form, before a row is written.
"""
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import undefer

from center.models.base import utcnow
from center.models.reviews import DONE_STATES, EventKind, ReviewState, Submission, SubmissionFile
from center.services import audit, reviews
from center.services.errors import ConflictError, ValidationError
from center.services.review_intake import FIX_THESE
from center.services.venue_rules import write_lock

KINDS = {".pdf": "pdf", ".xlsx": "xlsx"}
KIND_NAMES = {"pdf": "PDF", "xlsx": "Excel（.xlsx）"}
MIMETYPES = {"pdf": "application/pdf",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc, and password-protected Office files
MAX_ZIP_ENTRIES = 1000
MAX_NAME = 200
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: its name as the user's computer called it, and its bytes."""
    filename: str
    data: bytes


@dataclass(frozen=True)
class FileLimits:
    max_bytes: int = 8 * 1024 * 1024  # one file
    max_files: int = 10  # one submission, all uploads together
    max_uncompressed: int = 50 * 1024 * 1024  # an XLSX's declared unpacked size


def clean_filename(name: str) -> str:
    """The last part of the name, without control or path characters, at most 200 long (the
    extension kept)."""
    base = UNSAFE_NAME.sub("_", re.split(r"[/\\]", name or "")[-1]).strip(" .") or "file"
    stem, dot, ext = base.rpartition(".")
    if len(base) > MAX_NAME:
        base = (stem[:MAX_NAME - len(ext) - 1] + "." + ext) if dot else base[:MAX_NAME]
    return base


def content_kind(data: bytes, *, max_uncompressed: int) -> tuple[str | None, object | None]:
    """(kind, None) when the bytes are a PDF or an XLSX; (None, message) saying what is wrong."""
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:] or b"obj" not in data:
            return None, _l("PDF 文件不完整或已损坏，请重新导出后上传")
        return "pdf", None
    if data.startswith(OLE_MAGIC):
        return None, _l("这是旧版 Office 文件（如 .xls）或加了密码的文件，请另存为 .xlsx 或 PDF，"
                        "并取消密码后上传")
    if data.startswith(b"PK\x03\x04"):
        return _workbook_kind(data, max_uncompressed)
    return None, _l("内容既不是 PDF 也不是 Excel（.xlsx）")


def _workbook_kind(data: bytes, max_uncompressed: int):
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None, _l("Excel 文件已损坏，无法打开")
    names = {entry.filename for entry in entries}
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > max_uncompressed:
        return None, _l("Excel 文件解压后过大")
    if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
        return None, _l("是压缩包或 Word 等其他文件，不是 Excel 工作簿")
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None, _l("含有宏，请另存为不含宏的 .xlsx 后上传")
    return "xlsx", None


def check_upload(upload: Upload, limits: FileLimits) -> tuple[str | None, object | None]:
    """(kind, None) for an acceptable file, else (None, message)."""
    extension = "." + upload.filename.rpartition(".")[2].lower() if "." in upload.filename else ""
    if extension not in KINDS:
        return None, _l("只能上传 PDF（.pdf）或 Excel（.xlsx）文件")
    if not upload.data:
        return None, _l("文件是空的")
    if len(upload.data) > limits.max_bytes:
        return None, _l("文件大小 %(size)s，超过上限 %(limit)s", size=human_size(len(upload.data)),
                        limit=human_size(limits.max_bytes))
    kind, problem = content_kind(upload.data, max_uncompressed=limits.max_uncompressed)
    if problem is None and kind != KINDS[extension]:
        problem = _l("扩展名是 %(ext)s，内容却是 %(kind)s，请确认文件是否选错",
                     ext=extension, kind=KIND_NAMES[kind])
    return (None, problem) if problem else (kind, None)


def upload_problems(uploads: list[Upload], limits: FileLimits, *, required: bool = False,
                    already: int = 0) -> dict:
    """{"files": message} naming every file that cannot be stored, or {} when all can."""
    if not uploads:
        return {"files": _l("请上传年报附件（PDF 或 Excel）。")} if required else {}
    if already + len(uploads) > limits.max_files:
        return {"files": _l("每份年报最多 %(n)d 个附件。", n=limits.max_files)}
    lines, seen = [], set()
    for upload in uploads:
        name = clean_filename(upload.filename)
        _kind, problem = check_upload(upload, limits)
        digest = hashlib.sha256(upload.data).hexdigest()
        if problem is None and digest in seen:
            problem = _l("与另一个文件内容相同，重复了")
        seen.add(digest)
        if problem is not None:
            lines.append(f"“{name}”：{problem}")
    return {"files": "；".join(lines) + "。"} if lines else {}


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB" if size >= 1024 else f"{size} B"


def _store(session, submission: Submission, uploads: list[Upload], *, actor, limits, now):
    for upload in uploads:
        kind, _problem = check_upload(upload, limits)
        session.add(SubmissionFile(
            submission=submission, filename=clean_filename(upload.filename), kind=kind,
            size=len(upload.data), sha256=hashlib.sha256(upload.data).hexdigest(),
            content=upload.data, uploaded_by_id=getattr(actor, "id", None), uploaded_at=now))
    if uploads:
        reviews.record_event(session, submission, EventKind.file_added, actor=actor, now=now,
                             comment="、".join(clean_filename(u.filename) for u in uploads))
    session.flush()


# --- intake and resubmission with files ---------------------------------------------------------

def submit_report(session, *, credit_code=None, organization=None, year, received_on=None,
                  uploads=(), channel: str = "desk", actor, limits: FileLimits = FileLimits(),
                  files_required: bool = False, now: datetime | None = None) -> Submission:
    """Register a report with its attachments. Every problem (the credit code, the year, the
    date, each file) is reported at once, and nothing is written unless all is well: a refused
    file leaves no submission behind. A second live submission is a ConflictError."""
    now = now or utcnow()
    today = reviews.today_in_center(now)
    uploads = list(uploads)
    errors = {}
    if organization is None:
        try:
            organization = reviews.find_organization(session, credit_code)
        except ValidationError as error:
            errors.update(error.fields)
    received_on = received_on or today
    cycle, problems = reviews.intake_problems(session, year=year, received_on=received_on,
                                              channel=channel, today=today)
    errors.update(problems | upload_problems(uploads, limits, required=files_required))
    if errors:
        raise ValidationError(FIX_THESE, errors)
    submission = reviews.register_submission(
        session, organization=organization, year=cycle.year, received_on=received_on,
        channel=channel, actor=actor, now=now)
    _store(session, submission, uploads, actor=actor, limits=limits, now=now)
    return submission


def resubmit_report(session, submission: Submission, *, uploads=(), actor, on: date | None = None,
                    comment=None, limits: FileLimits = FileLimits(),
                    files_required: bool = False, now: datetime | None = None) -> Submission:
    """The corrected report comes back with its new files (checked first; all or nothing) and
    re-enters the queue with the re-review deadline."""
    uploads, now = list(uploads), now or utcnow()
    file_errors = upload_problems(uploads, limits, required=files_required,
                                  already=len(submission.files))
    write_lock(session)  # before the savepoint (SQLite: BEGIN IMMEDIATE first)
    try:
        with session.begin_nested():  # undone if anything below is refused
            reviews.resubmit(session, submission, actor=actor, on=on, comment=comment, now=now)
            if file_errors:
                raise ValidationError(FIX_THESE, file_errors)
    except ValidationError as error:
        raise ValidationError(FIX_THESE, {**error.fields, **file_errors}) from None
    _store(session, submission, uploads, actor=actor, limits=limits, now=now)
    return submission


def add_files(session, submission: Submission, uploads, *, actor,
              limits: FileLimits = FileLimits(), now: datetime | None = None) -> Submission:
    """Staff add attachments brought in later (a page missing at the desk) to a report that is
    still being handled; a decided or withdrawn one keeps the files it was decided on."""
    uploads = list(uploads)
    reviews.lock_submission(session, submission)
    if submission.state in DONE_STATES + (ReviewState.withdrawn.value,):
        raise ConflictError(_l("这份年报已办结或撤回，不能再添加附件。"))
    problems = upload_problems(uploads, limits, required=True, already=len(submission.files))
    if problems:
        raise ValidationError(FIX_THESE, problems)
    audit.acting(session, actor)
    _store(session, submission, uploads, actor=actor, limits=limits, now=now or utcnow())
    return submission


def file_of(session, file_id: int) -> SubmissionFile | None:
    """A stored file with its content loaded (content is deferred on lists)."""
    return session.scalar(select(SubmissionFile).options(undefer(SubmissionFile.content))
                          .where(SubmissionFile.id == file_id))
