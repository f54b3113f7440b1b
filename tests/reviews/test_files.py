"""Attachments (center.services.review_files): a file is what its content says, within the size
limits; a refused file leaves nothing behind, not even the submission it came with."""
import io
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from center.models.reviews import ReviewEvent, Submission, SubmissionFile
from center.services import review_files, reviews
from center.services.errors import ConflictError, ValidationError
from center.services.review_files import FileLimits, Upload
from tests.factories import make_organization, make_user
from tests.reviews.factories import (center_time, make_cycle, make_submission, pdf_bytes,
                                     xlsx_bytes, zip_bytes)

LIMITS = FileLimits(max_bytes=64 * 1024, max_files=3, max_uncompressed=1024 * 1024)
NOW = center_time(date(2026, 3, 2))


def problem(name: str, data: bytes, limits=LIMITS) -> str | None:
    _kind, message = review_files.check_upload(Upload(name, data), limits)
    return None if message is None else str(message)


def test_a_real_pdf_and_a_real_workbook_are_accepted():
    assert review_files.check_upload(Upload("年报.pdf", pdf_bytes()), LIMITS) == ("pdf", None)
    assert review_files.check_upload(Upload("财务报表.XLSX", xlsx_bytes()), LIMITS) == ("xlsx", None)


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("年报.xlsx", pdf_bytes(), "内容却是 PDF"),
    ("报表.pdf", xlsx_bytes(), "内容却是 Excel"),
    ("报表.xlsx", zip_bytes(["word/document.xml", "[Content_Types].xml"]), "不是 Excel 工作簿"),
    ("报表.xlsx", zip_bytes(), "不是 Excel 工作簿"),
    ("报表.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, "旧版 Office"),
    ("年报.pdf", b"<html><body>not a pdf</body></html>", "既不是 PDF 也不是 Excel"),
    ("年报.pdf", pdf_bytes()[:40], "不完整或已损坏"),
    ("年报.pdf", b"", "空的"),
    ("年报.docx", pdf_bytes(), "只能上传 PDF"),
    ("年报", pdf_bytes(), "只能上传 PDF"),
    ("报表.xls", xlsx_bytes(), "只能上传 PDF"),
    ("报表.xlsx", b"PK\x03\x04 broken zip", "已损坏"),
])
def test_a_file_that_is_not_what_its_name_says_is_refused(name, data, expected):
    assert expected in problem(name, data)


def test_an_oversized_file_is_refused_with_its_size_and_the_limit():
    big = pdf_bytes() + b"0" * (70 * 1024) + b"\n%%EOF\n"
    message = problem("扫描件.pdf", big)
    assert "超过上限 64 KB" in message and "KB" in message


def test_a_workbook_with_macros_is_refused():
    buffer = io.BytesIO(xlsx_bytes())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"macro")
    assert "宏" in problem("报表.xlsx", buffer.getvalue())


def test_a_zip_bomb_is_refused_without_being_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "x")
        archive.writestr("xl/workbook.xml", "x")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (2 * 1024 * 1024))
    assert len(buffer.getvalue()) < LIMITS.max_bytes
    assert "解压后过大" in problem("报表.xlsx", buffer.getvalue())


def test_upload_problems_name_every_bad_file_at_once():
    uploads = [Upload("a.pdf", pdf_bytes()), Upload("b.pdf", b""),
               Upload("c.xlsx", pdf_bytes("c"))]
    message = review_files.upload_problems(uploads, LIMITS)["files"]
    assert "“b.pdf”" in message and "“c.xlsx”" in message and "a.pdf" not in message


def test_upload_problems_count_files_and_spot_duplicates():
    same = pdf_bytes()
    assert "重复" in review_files.upload_problems(
        [Upload("a.pdf", same), Upload("b.pdf", same)], LIMITS)["files"]
    many = [Upload(f"{i}.pdf", pdf_bytes()) for i in range(2)]
    assert "最多 3 个" in review_files.upload_problems(many, LIMITS, already=2)["files"]
    assert review_files.upload_problems([], LIMITS, required=True)["files"]
    assert review_files.upload_problems([], LIMITS) == {}


@pytest.mark.parametrize(("name", "clean"), [
    ("C:\\Users\\张三\\Desktop\\年报.pdf", "年报.pdf"),
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("bad\x00name\x1f.pdf", "bad_name_.pdf"),
    ("a" * 300 + ".xlsx", "a" * 195 + ".xlsx"),
    ("", "file"),
])
def test_file_names_are_cleaned_before_they_are_stored(name, clean):
    assert review_files.clean_filename(name) == clean


# --- intake with files: all or nothing ----------------------------------------------------------

@pytest.fixture
def cycle(session):
    reviews.seed_return_reasons(session)
    return make_cycle(session, year=2025)


def counts(session):
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (Submission, SubmissionFile, ReviewEvent))


def test_submit_report_stores_the_files_with_the_submission(session, cycle):
    org, clerk = make_organization(session), make_user(session, role="frontdesk")
    pdf, xlsx = pdf_bytes(), xlsx_bytes()
    submission = review_files.submit_report(
        session, credit_code=org.credit_code, year=2025,
        uploads=[Upload("年度工作报告.pdf", pdf), Upload("财务报表.xlsx", xlsx)],
        actor=clerk, limits=LIMITS, now=NOW)
    assert [(f.filename, f.kind, f.size) for f in submission.files] == [
        ("年度工作报告.pdf", "pdf", len(pdf)), ("财务报表.xlsx", "xlsx", len(xlsx))]
    assert review_files.file_of(session, submission.files[0].id).content == pdf
    assert [e.kind for e in submission.events] == ["received", "file_added"]
    assert "年度工作报告.pdf" in submission.events[-1].comment


def test_a_refused_file_leaves_no_submission_behind(session, cycle):
    org = make_organization(session)
    before = counts(session)
    with pytest.raises(ValidationError) as caught:
        review_files.submit_report(
            session, credit_code=org.credit_code, year=2025, actor=None, limits=LIMITS, now=NOW,
            uploads=[Upload("年报.pdf", pdf_bytes()), Upload("报表.xlsx", pdf_bytes("x"))])
    assert "报表.xlsx" in str(caught.value.fields["files"])
    assert counts(session) == before
    assert not session.new and not session.dirty


def test_every_problem_of_an_intake_is_reported_together(session, cycle):
    with pytest.raises(ValidationError) as caught:
        review_files.submit_report(
            session, credit_code="12345", year=2019, received_on=date(2026, 3, 9), actor=None,
            limits=LIMITS, now=NOW, uploads=[Upload("x.txt", b"hello")])
    assert set(caught.value.fields) == {"credit_code", "year", "received_on", "files"}


def test_an_online_submission_needs_a_file(session, cycle):
    org = make_organization(session)
    with pytest.raises(ValidationError) as caught:
        review_files.submit_report(session, organization=org, year=2025, channel="online",
                                   actor=None, files_required=True, now=NOW)
    assert "files" in caught.value.fields


def test_resubmit_report_with_a_bad_file_leaves_the_report_returned(session, cycle):
    submission = make_submission(session, state="returned", now=NOW)
    events = len(submission.events)
    with pytest.raises(ValidationError) as caught:
        review_files.resubmit_report(session, submission, uploads=[Upload("改.pdf", b"")],
                                     comment="字" * 2001, actor=None, limits=LIMITS, now=NOW)
    assert set(caught.value.fields) == {"files", "comment"}
    assert submission.state == "returned"
    assert len(submission.events) == events and not submission.files


def test_resubmit_report_requeues_with_the_new_files(session, cycle):
    submission = make_submission(session, state="returned", now=NOW)
    review_files.resubmit_report(session, submission, uploads=[Upload("改.pdf", pdf_bytes())],
                                 actor=None, limits=LIMITS, files_required=True, now=NOW)
    assert submission.state == "resubmitted"
    assert [e.kind for e in submission.events][-2:] == ["resubmitted", "file_added"]


def test_resubmitting_what_is_not_returned_is_a_conflict_even_with_a_bad_file(session, cycle):
    submission = make_submission(session, now=NOW)
    with pytest.raises(ConflictError):
        review_files.resubmit_report(session, submission, uploads=[Upload("x.pdf", b"")],
                                     actor=None, limits=LIMITS, now=NOW)


def test_staff_add_files_until_the_report_is_decided(session, cycle):
    submission = make_submission(session, now=NOW)
    review_files.add_files(session, submission, [Upload("补充.pdf", pdf_bytes())], actor=None,
                           limits=LIMITS, now=NOW)
    assert len(submission.files) == 1
    with pytest.raises(ValidationError):
        review_files.add_files(session, submission, [], actor=None, limits=LIMITS, now=NOW)
    passed = make_submission(session, state="passed", now=NOW)
    with pytest.raises(ConflictError):
        review_files.add_files(session, passed, [Upload("晚了.pdf", pdf_bytes())], actor=None,
                               limits=LIMITS, now=NOW)


def test_the_file_limit_counts_files_already_attached(session, cycle):
    submission = make_submission(session, now=NOW)
    review_files.add_files(session, submission, [Upload(f"{i}.pdf", pdf_bytes()) for i in range(3)],
                           actor=None, limits=LIMITS, now=NOW)
    with pytest.raises(ValidationError) as caught:
        review_files.add_files(session, submission, [Upload("4.pdf", pdf_bytes())], actor=None,
                               limits=LIMITS, now=NOW)
    assert "最多 3 个" in str(caught.value.fields["files"])


def test_human_sizes():
    assert [review_files.human_size(n) for n in (5, 2048, 3 * 1024 * 1024)] == [
        "5 B", "2 KB", "3.0 MB"]
