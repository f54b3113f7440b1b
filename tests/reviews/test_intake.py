"""Intake: the service's rules (a cycle for the year, one live submission, the receipt date), and
the desk page (/reviews/intake): organization by code or by a picked name, year, date and
attachments, ending on a printable receipt; every bad input answered beside its field."""
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from center.models.reviews import Submission, SubmissionFile
from center.services import review_intake, reviews
from center.services.errors import ConflictError, ValidationError
from tests.conftest import field_errors
from tests.factories import make_organization, make_user
from tests.reviews.factories import (center_time, make_cycle, make_submission, pdf_bytes,
                                     xlsx_bytes)


@pytest.fixture
def cycle(session):
    cycle = make_cycle(session, year=2025, opens_on=date(2026, 1, 1), closes_on=date(2099, 5, 31))
    session.commit()
    return cycle


@pytest.fixture
def org(session):
    org = make_organization(session, name="北京市朝阳区阳光助残服务中心")
    session.commit()
    return org


def intake(auth, **fields):
    data = {"credit_code": "", "year": "2025", "received_on": "", **fields}
    return auth.post("/reviews/intake", data=data, content_type="multipart/form-data")


def rows(session, model=Submission):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_intake_form_suggests_the_open_cycle_and_today(app, auth, client, cycle):
    auth.login("frontdesk")
    html = client.get("/reviews/intake").get_data(as_text=True)
    assert '<option selected value="2025">' in html
    assert f'value="{reviews.today_in_center().isoformat()}"' in html
    assert 'data-suggest="/organizations/suggest"' in html and 'list="organization-options"' in html
    assert f'data-max-bytes="{app.config["REVIEW_FILE_MAX_BYTES"]}"' in html


def test_intake_without_any_cycle_says_what_is_missing(auth, client):
    auth.login("manager")
    response = client.get("/reviews/intake")
    assert response.status_code == 200
    assert "还没有年检预审周期" in response.get_data(as_text=True)


def test_intake_ends_on_a_printable_receipt(auth, client, session, cycle, org):
    auth.login("frontdesk")
    response = intake(auth, credit_code=org.credit_code.lower(),
                      files=[(io.BytesIO(pdf_bytes()), "年度工作报告.pdf"),
                             (io.BytesIO(xlsx_bytes()), "财务报表.xlsx")])
    assert response.status_code == 302
    submission = session.scalar(select(Submission))
    assert response.headers["Location"].endswith(f"/reviews/{submission.id}/receipt")
    assert (submission.channel, submission.received_on) == ("desk", reviews.today_in_center())
    assert [f.filename for f in submission.files] == ["年度工作报告.pdf", "财务报表.xlsx"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert submission.receipt_no in html and org.name in html and org.credit_code in html
    assert "data-print" in html and "年度工作报告.pdf" in html
    assert "http://localhost/review-status" in html  # the public lookup's address


def test_a_name_picked_without_javascript_is_taken_when_it_names_one_organization(
        auth, session, cycle, org):
    auth.login("frontdesk")
    assert intake(auth, credit_code=org.name).status_code == 302
    assert session.scalar(select(Submission.organization_id)) == org.id


def test_an_ambiguous_or_unknown_name_asks_to_pick(auth, session, cycle, org):
    make_organization(session, name="北京市朝阳区阳光养老服务中心")
    session.commit()
    auth.login("frontdesk")
    html = intake(auth, credit_code="阳光").get_data(as_text=True)
    assert "有 2 个组织" in field_errors(html, "credit_code")[0]
    html = intake(auth, credit_code="不存在的组织", year="2019").get_data(as_text=True)
    assert "找不到“不存在的组织”" in field_errors(html, "credit_code")[0]
    assert field_errors(html, "year")  # the other problems are told at once
    assert rows(session) == 0


@pytest.mark.parametrize(("code", "message"), [
    ("", "请填写统一社会信用代码"),
    ("51110000MJ0101505A", "校验位不正确"),
    ("91350100M000100Y4Z", "不允许的字符"),
    ("51110000MJ0101505U", "名录中没有"),
])
def test_a_bad_or_unknown_credit_code_is_answered_beside_the_field(auth, session, cycle, code,
                                                                   message):
    auth.login("frontdesk")
    response = intake(auth, credit_code=code)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert any(message in error for error in field_errors(html, "credit_code")), \
        field_errors(html, "credit_code")
    assert f'value="{code}"' in html or not code
    assert rows(session) == 0


def test_a_year_without_a_cycle_is_answered_beside_the_year(auth, session, cycle, org):
    auth.login("frontdesk")
    response = intake(auth, credit_code=org.credit_code, year="2019")
    assert response.status_code == 422
    assert "2019 年度没有年检预审周期" in field_errors(response.get_data(as_text=True), "year")[0]
    response = intake(auth, credit_code=org.credit_code, year="二〇二五")
    assert field_errors(response.get_data(as_text=True), "year")
    assert rows(session) == 0


def test_a_refused_intake_keeps_the_year_chosen(auth, session, cycle, org):
    make_cycle(session, year=2024, opens_on=date(2025, 1, 1), closes_on=date(2099, 5, 31))
    session.commit()
    auth.login("frontdesk")
    html = intake(auth, credit_code="", year="2024").get_data(as_text=True)
    assert '<option selected value="2024">' in html
    assert rows(session) == 0


def test_a_receipt_date_in_the_future_or_malformed_is_refused(auth, session, cycle, org):
    auth.login("frontdesk")
    html = intake(auth, credit_code=org.credit_code, received_on="2999-01-01").get_data(
        as_text=True)
    assert "不能晚于今天" in field_errors(html, "received_on")[0]
    html = intake(auth, credit_code=org.credit_code, received_on="3月2日").get_data(as_text=True)
    assert "日期格式" in field_errors(html, "received_on")[0]
    assert rows(session) == 0


def test_a_second_live_submission_is_refused_with_a_link_to_the_first(auth, session, cycle, org):
    first = make_submission(session, organization=org, cycle=cycle)
    session.commit()
    auth.login("frontdesk")
    response = intake(auth, credit_code=org.credit_code)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "已有一份在办的年报" in field_errors(html, "credit_code")[0]
    assert f'href="/reviews/{first.id}"' in html and first.receipt_no in html
    assert rows(session) == 1


def test_a_bad_file_refuses_the_whole_intake_and_says_which_file(auth, session, cycle, org):
    auth.login("frontdesk")
    response = intake(auth, credit_code=org.credit_code,
                      files=[(io.BytesIO(pdf_bytes()), "年报.pdf"),
                             (io.BytesIO(pdf_bytes("x")), "财务报表.xlsx"),
                             (io.BytesIO(b""), "空白.pdf")])
    assert response.status_code == 422
    [message] = field_errors(response.get_data(as_text=True), "files")
    assert "“财务报表.xlsx”" in message and "“空白.pdf”" in message and "年报.pdf”" not in message
    assert (rows(session), rows(session, SubmissionFile)) == (0, 0)


def test_an_oversized_file_is_refused_beside_the_field(app, auth, session, cycle, org):
    app.config["REVIEW_FILE_MAX_BYTES"] = 1024
    auth.login("frontdesk")
    big = pdf_bytes() + b"0" * 4096 + b"\n%%EOF\n"
    response = intake(auth, credit_code=org.credit_code, files=[(io.BytesIO(big), "扫描件.pdf")])
    assert "超过上限 1 KB" in field_errors(response.get_data(as_text=True), "files")[0]
    assert rows(session) == 0


def test_a_request_larger_than_the_server_takes_gets_a_clear_page(app, auth, session, cycle, org):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    auth.login("frontdesk")
    response = intake(auth, credit_code=org.credit_code,
                      files=[(io.BytesIO(b"%PDF-" + b"0" * 4096), "扫描件.pdf")])
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)
    assert rows(session) == 0


def test_intake_can_be_prefilled_from_an_organizations_page(auth, client, cycle, org):
    auth.login("reviewer")
    html = client.get(f"/reviews/intake?credit_code={org.credit_code}").get_data(as_text=True)
    assert f'value="{org.credit_code}"' in html and org.name in html


def test_receipt_shows_the_deadline_and_who_took_it_in(auth, client, session, cycle):
    clerk = make_user(session, role="frontdesk", display_name="窗口小王")
    submission = make_submission(session, cycle=cycle, actor=clerk)
    session.commit()
    auth.login("reviewer")
    html = client.get(f"/reviews/{submission.id}/receipt").get_data(as_text=True)
    assert submission.due_on.isoformat() in html and "窗口小王" in html
    assert "没有电子附件" in html


def test_an_unknown_submission_is_404(auth, client):
    auth.login("frontdesk")
    assert client.get("/reviews/999/receipt").status_code == 404
    assert client.get("/reviews/999").status_code == 404


# --- the service ------------------------------------------------------------------------------

def register(session, *, on: date, org=None, actor=None, **kw):
    return reviews.register_submission(
        session, organization=org or make_organization(session), year=kw.pop("year", 2025),
        received_on=on, actor=actor or make_user(session, role="frontdesk"),
        now=kw.pop("now", center_time(on)), **kw)


def test_register_gives_a_receipt_number_and_records_the_intake(session, cycle):
    clerk = make_user(session, role="frontdesk")
    submission = register(session, on=date(2026, 3, 2), actor=clerk)
    assert submission.receipt_no.startswith("2025-") and len(submission.receipt_no) == 13
    assert not set(submission.receipt_no[5:]) & set("01IO")  # read out on the phone
    [event] = submission.events
    assert (event.kind, event.actor_id, event.state, event.due_on) == (
        "received", clerk.id, "received", submission.due_on)


def test_register_refuses_a_year_without_a_cycle(session, cycle):
    with pytest.raises(ValidationError) as caught:
        register(session, on=date(2026, 3, 2), year=2019)
    assert "2019" in str(caught.value.fields["year"])
    assert session.scalar(select(func.count()).select_from(Submission)) == 0


@pytest.mark.parametrize("year", [None, "", "2025x", True])
def test_register_refuses_a_year_that_is_not_one(session, cycle, year):
    with pytest.raises(ValidationError) as caught:
        register(session, on=date(2026, 3, 2), year=year)
    assert "year" in caught.value.fields


def test_register_refuses_a_receipt_date_in_the_future_or_before_the_cycle(session, cycle):
    with pytest.raises(ValidationError) as caught:
        register(session, on=date(2026, 3, 3), now=center_time(date(2026, 3, 2)))
    assert "received_on" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        register(session, on=date(2025, 12, 30), now=center_time(date(2026, 3, 2)))
    assert "2026-01-01" in str(caught.value.fields["received_on"])


def test_online_submission_waits_for_the_cycle_to_open(session):
    make_cycle(session, year=2026)  # opens 2027-01-01
    org = make_organization(session)
    with pytest.raises(ValidationError) as caught:
        reviews.register_submission(session, organization=org, year=2026, channel="online",
                                    actor=None, now=center_time(date(2026, 12, 20)))
    assert "2027-01-01" in str(caught.value.fields["year"])


def test_one_live_submission_per_organization_and_year(session, cycle):
    org = make_organization(session)
    first = register(session, on=date(2026, 3, 2), org=org)
    with pytest.raises(ConflictError) as caught:
        register(session, on=date(2026, 3, 3), org=org, now=center_time(date(2026, 3, 3)))
    assert first.receipt_no in str(caught.value.message)
    assert "credit_code" in caught.value.fields
    # Withdrawn, it no longer blocks a new one; another year is another report.
    reviews.withdraw(session, first, actor=None, comment="登记错了年度")
    second = register(session, on=date(2026, 3, 3), org=org, now=center_time(date(2026, 3, 3)))
    assert second.state == "received"


def test_a_concurrent_second_intake_is_refused_by_the_database(session, cycle, monkeypatch):
    org = make_organization(session)
    register(session, on=date(2026, 3, 2), org=org)
    # The other request's check ran before this one's insert: only the unique index is left.
    monkeypatch.setattr(review_intake, "live_submission", lambda *a: None)
    with pytest.raises(ConflictError):
        register(session, on=date(2026, 3, 2), org=org)
    assert session.scalar(select(func.count()).select_from(Submission)) == 1  # still usable


def test_find_organization_explains_a_bad_or_unknown_code(session):
    with pytest.raises(ValidationError) as caught:
        reviews.find_organization(session, "91350100M000100Y4Z")
    assert caught.value.fields["credit_code"]
    with pytest.raises(ValidationError) as caught:
        reviews.find_organization(session, "51110000MJ0101505U")
    assert "名录中没有" in str(caught.value.fields["credit_code"])
    org = make_organization(session)
    assert reviews.find_organization(session, " " + org.credit_code.lower()) == org
