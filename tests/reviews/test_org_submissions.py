"""An organization's own user: its reports, online submission and resubmission, and nothing of
any other organization's (another's submission is 404, as if it did not exist)."""
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from center.models.reviews import Submission
from center.services import review_files, reviews
from tests.factories import make_organization, make_user
from tests.reviews.factories import make_cycle, make_submission, pdf_bytes, xlsx_bytes


@pytest.fixture
def cycle(session):
    reviews.seed_return_reasons(session)
    cycle = make_cycle(session, year=2025, opens_on=date(2026, 1, 1), closes_on=date(2099, 5, 31))
    session.commit()
    return cycle


@pytest.fixture
def contact(auth, session):
    org = make_organization(session, name="北京市海淀区启明青少年发展中心")
    session.commit()
    return auth.login("org", organization=org)


def submit(auth, files, year="2025"):
    return auth.post("/reviews/mine", content_type="multipart/form-data",
                     data={"year": year, "files": files})


def test_an_organization_submits_its_report_online(auth, client, session, cycle, contact):
    html = client.get("/reviews/mine").get_data(as_text=True)
    assert "还没有报送过年报" in html and '<option selected value="2025">' in html
    response = submit(auth, [(io.BytesIO(pdf_bytes()), "2025年度工作报告.pdf"),
                             (io.BytesIO(xlsx_bytes()), "财务报表.xlsx")])
    submission = session.scalar(select(Submission))
    assert response.headers["Location"].endswith(f"/reviews/{submission.id}/receipt")
    assert (submission.channel, submission.organization_id) == ("online",
                                                                contact.organization_id)
    assert submission.events[0].actor_id == contact.id
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert submission.receipt_no in html and "返回本组织年报" in html
    html = client.get("/reviews/mine").get_data(as_text=True)
    assert submission.receipt_no in html and "等待预审" in html


def test_an_online_submission_needs_its_files(auth, session, cycle, contact):
    response = submit(auth, [])
    assert response.status_code == 422
    assert "请上传年报附件" in response.get_data(as_text=True)
    response = submit(auth, [(io.BytesIO(b"just text"), "年报.pdf")])
    assert "既不是 PDF 也不是 Excel" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_a_second_online_submission_for_the_year_is_refused(auth, session, cycle, contact):
    make_submission(session, organization=contact.organization, cycle=cycle)
    session.commit()
    response = submit(auth, [(io.BytesIO(pdf_bytes()), "年报.pdf")])
    assert response.status_code == 422
    assert "已有一份在办的年报" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Submission)) == 1


def test_without_an_open_cycle_the_page_says_so(auth, client, session, contact):
    make_cycle(session, year=2098, opens_on=date(2099, 1, 1), closes_on=date(2099, 5, 31))
    session.commit()
    html = client.get("/reviews/mine").get_data(as_text=True)
    assert "目前不在年报接收期内" in html


def test_a_returned_report_shows_its_reasons_and_is_resubmitted_online(auth, client, session,
                                                                       cycle, contact):
    reviewer = make_user(session, role="reviewer", display_name="预审员小张")
    submission = make_submission(session, state="returned", organization=contact.organization,
                                 reviewer=reviewer, reasons=["signature_seal"],
                                 comment="第 3 页缺公章", cycle=cycle)
    session.commit()
    html = client.get("/reviews/mine").get_data(as_text=True)
    assert "查看退回原因并重新提交" in html and submission.correction_due_on.isoformat() in html
    assert "都已有在办的年报" in html and "提交年报" not in html  # no second one offered
    html = client.get(f"/reviews/{submission.id}").get_data(as_text=True)
    assert "缺少签字或盖章" in html and "补齐法定代表人" in html and "第 3 页缺公章" in html
    assert "预审员小张" not in html and "服务中心" in html  # staff appear as the center
    assert 'name="received_on"' not in html  # the date is today's, online
    response = auth.post(f"/reviews/{submission.id}/resubmit", data={"comment": "已补盖章"},
                         content_type="multipart/form-data")
    assert response.status_code == 422 and "请上传年报附件" in response.get_data(as_text=True)
    response = auth.post(f"/reviews/{submission.id}/resubmit", content_type="multipart/form-data",
                         data={"comment": "已补盖章",
                               "files": [(io.BytesIO(pdf_bytes()), "盖章版.pdf")]})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Submission, submission.id).state == "resubmitted"


def test_another_organizations_submission_is_404_everywhere(auth, client, session, cycle,
                                                             contact):
    other = make_submission(session, state="returned", organization=make_organization(session),
                            cycle=cycle)
    review_files.add_files(session, other, [review_files.Upload("别人的.pdf", pdf_bytes())],
                           actor=None)
    session.commit()
    file_id = other.files[0].id
    for url in (f"/reviews/{other.id}", f"/reviews/{other.id}/receipt",
                f"/reviews/files/{file_id}"):
        assert client.get(url).status_code == 404, url
    for url in (f"/reviews/{other.id}/resubmit", f"/reviews/{other.id}/withdraw"):
        assert auth.post(url, data={"comment": "x"}).status_code == 404, url
    html = client.get("/reviews/mine").get_data(as_text=True)
    assert other.receipt_no not in html
    session.expire_all()
    assert session.get(Submission, other.id).state == "returned"


def test_an_organization_cannot_work_the_queue(auth, client, cycle, contact):
    for url in ("/reviews/work", "/reviews/intake"):
        assert client.get(url).status_code == 403
    assert auth.post("/reviews/claim-next").status_code == 403


def test_an_organization_withdraws_its_own_report_and_hands_in_a_new_one(auth, client, session,
                                                                         cycle, contact):
    submission = make_submission(session, organization=contact.organization, cycle=cycle,
                                 channel="online")
    session.commit()
    response = auth.post(f"/reviews/{submission.id}/withdraw", data={"comment": "传错了文件"})
    assert response.status_code == 302
    assert submit(auth, [(io.BytesIO(pdf_bytes()), "年报.pdf")]).status_code == 302
    session.expire_all()
    states = sorted(session.scalars(select(Submission.state)))
    assert states == ["received", "withdrawn"]
