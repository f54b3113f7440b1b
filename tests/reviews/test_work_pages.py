"""The reviewer's work page and a submission's page: claim next, the checklist, pass, return,
release, forward, withdraw; refusals come back as messages, never as a 500."""
import io
import re

import pytest
from sqlalchemy import select

from center.models.notifications import Notification
from center.models.reviews import Submission
from center.services import review_files, reviews
from tests.factories import make_organization, make_user
from tests.reviews.factories import make_cycle, make_submission, pdf_bytes


@pytest.fixture
def cycle(session):
    reviews.seed_return_reasons(session)
    cycle = make_cycle(session, year=2025)
    session.commit()
    return cycle


def state_of(session, submission) -> str:
    session.expire_all()
    return session.get(Submission, submission.id).state


def flashes(html: str) -> list[str]:
    return re.findall(r'<div class="flash flash-\w+" role="status">(.*?)</div>', html, re.S)


def test_an_empty_desk_offers_only_the_claim_next_button(auth, client, cycle):
    auth.login("reviewer")
    html = client.get("/reviews/work").get_data(as_text=True)
    assert "队列中暂时没有等待预审的年报" in html
    assert 'action="/reviews/claim-next"' in html and "disabled" in html


def test_claim_next_brings_the_item_its_files_and_the_checklist(auth, client, session, cycle):
    submission = make_submission(session, cycle=cycle)
    review_files.add_files(session, submission, [review_files.Upload("年报.pdf", pdf_bytes())],
                           actor=None)
    session.commit()
    me = auth.login("reviewer")
    html = client.get("/reviews/work").get_data(as_text=True)
    assert "等待预审 1 份" in html
    response = auth.post("/reviews/claim-next")
    assert response.headers["Location"].endswith(f"/reviews/work?id={submission.id}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert submission.organization.name in html and submission.receipt_no in html
    assert f"已领取：{submission.organization.name}（受理号 {submission.receipt_no}）" in html
    assert "年报.pdf" in html and f'href="/reviews/files/{submission.files[0].id}"' in html
    assert 'value="signature_seal"' in html and "补齐法定代表人" in html  # reason and guidance
    assert f'data-draft-key="review-draft-{submission.id}-0"' in html
    session.expire_all()
    assert session.get(Submission, submission.id).claimed_by_id == me.id


def test_claim_next_with_nothing_waiting_says_so(auth, cycle):
    auth.login("reviewer")
    response = auth.post("/reviews/claim-next", follow_redirects=True)
    assert "暂时没有等待预审" in "".join(flashes(response.get_data(as_text=True)))


def test_returning_without_a_reason_keeps_the_comment_and_changes_nothing(auth, session, cycle):
    me = auth.login("reviewer")
    submission = make_submission(session, state="in_review", reviewer=me, cycle=cycle)
    session.commit()
    response = auth.post(f"/reviews/{submission.id}/return", data={"comment": "第 3 页缺盖章"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请至少选择一条退回原因" in html and "第 3 页缺盖章" in html
    assert state_of(session, submission) == "in_review"


def test_returning_with_reasons_tells_the_organization(auth, client, session, cycle):
    me = auth.login("reviewer")
    org = make_organization(session)
    contact = make_user(session, role="org", organization=org)
    submission = make_submission(session, state="in_review", reviewer=me, organization=org,
                                 cycle=cycle)
    session.commit()
    response = auth.post(f"/reviews/{submission.id}/return",
                         data={"reasons": ["signature_seal", "arithmetic"],
                               "comment": "第 3 页缺盖章"})
    assert response.headers["Location"].endswith("/reviews/work")
    html = client.get("/reviews/work").get_data(as_text=True)
    assert f"已退回：{org.name}" in "".join(flashes(html))
    assert state_of(session, submission) == "returned"
    assert session.scalar(select(Notification.title).where(Notification.user_id == contact.id))


def test_passing_with_reasons_ticked_is_taken_for_a_slip(auth, session, cycle):
    me = auth.login("reviewer")
    submission = make_submission(session, state="in_review", reviewer=me, cycle=cycle)
    session.commit()
    response = auth.post(f"/reviews/{submission.id}/pass", data={"reasons": ["late"]})
    assert response.status_code == 422
    assert "不能同时通过" in response.get_data(as_text=True)
    assert state_of(session, submission) == "in_review"


def test_passing_twice_gives_a_message_not_an_error(auth, client, session, cycle):
    me = auth.login("reviewer")
    submission = make_submission(session, state="in_review", reviewer=me, cycle=cycle)
    session.commit()
    assert auth.post(f"/reviews/{submission.id}/pass").status_code == 302
    response = auth.post(f"/reviews/{submission.id}/pass", follow_redirects=True)
    assert response.status_code == 200
    assert "当前状态为“预审通过”" in "".join(flashes(response.get_data(as_text=True)))
    session.expire_all()
    kinds = [e.kind for e in session.get(Submission, submission.id).events]
    assert kinds.count("passed") == 1


@pytest.mark.parametrize("action", ["pass", "return", "release"])
def test_acting_on_someone_elses_item_is_refused_with_their_name(auth, session, cycle, action):
    holder = make_user(session, role="reviewer", display_name="预审员老李")
    submission = make_submission(session, state="in_review", reviewer=holder, cycle=cycle)
    session.commit()
    auth.login("reviewer")
    response = auth.post(f"/reviews/{submission.id}/{action}", data={"reasons": ["late"]}
                         if action == "return" else {}, follow_redirects=True)
    assert response.status_code == 200
    assert "已由 预审员老李 领取" in "".join(flashes(response.get_data(as_text=True)))
    assert state_of(session, submission) == "in_review"


def test_claiming_from_the_submission_page_opens_it_on_the_work_page(auth, client, session,
                                                                     cycle):
    submission = make_submission(session, cycle=cycle)
    session.commit()
    auth.login("reviewer")
    assert 'action="/reviews/%d/claim"' % submission.id in client.get(
        f"/reviews/{submission.id}").get_data(as_text=True)
    response = auth.post(f"/reviews/{submission.id}/claim")
    assert response.headers["Location"].endswith(f"/reviews/work?id={submission.id}")
    other = make_submission(session, state="in_review", cycle=cycle)
    session.commit()
    response = auth.post(f"/reviews/{other.id}/claim", follow_redirects=True)
    assert "已由" in "".join(flashes(response.get_data(as_text=True)))


def test_release_puts_it_back_and_the_desk_is_empty_again(auth, client, session, cycle):
    me = auth.login("reviewer")
    submission = make_submission(session, state="in_review", reviewer=me, cycle=cycle)
    session.commit()
    response = auth.post(f"/reviews/{submission.id}/release", data={"next": "work"})
    assert response.headers["Location"].endswith("/reviews/work")
    assert state_of(session, submission) == "received"
    assert "等待预审 1 份" in client.get("/reviews/work").get_data(as_text=True)


def test_a_reviewer_holding_several_items_switches_between_them(auth, client, session, cycle):
    me = auth.login("reviewer")
    first = make_submission(session, state="in_review", reviewer=me, cycle=cycle)
    second = make_submission(session, state="in_review", reviewer=me, cycle=cycle)
    session.commit()
    html = client.get("/reviews/work").get_data(as_text=True)
    assert f"review-draft-{first.id}-" in html and f'href="/reviews/work?id={second.id}"' in html
    html = client.get(f"/reviews/work?id={second.id}").get_data(as_text=True)
    assert f"review-draft-{second.id}-" in html


def test_passed_items_wait_on_the_desk_to_be_forwarded(auth, client, session, cycle):
    me = auth.login("reviewer")
    submission = make_submission(session, state="passed", reviewer=me, cycle=cycle)
    session.commit()
    html = client.get("/reviews/work").get_data(as_text=True)
    assert f'action="/reviews/{submission.id}/forward"' in html
    response = auth.post(f"/reviews/{submission.id}/forward", data={"next": "work"})
    assert response.headers["Location"].endswith("/reviews/work")
    assert state_of(session, submission) == "forwarded"
    response = auth.post(f"/reviews/{submission.id}/forward", follow_redirects=True)
    assert "不能进行此操作" in "".join(flashes(response.get_data(as_text=True)))


def test_a_resubmitted_item_shows_why_it_was_returned(auth, client, session, cycle):
    me = auth.login("reviewer")
    submission = make_submission(session, state="resubmitted", reasons=["arithmetic"],
                                 comment="会员总数不符", cycle=cycle)
    reviews.claim(session, submission, reviewer=me)
    session.commit()
    html = client.get("/reviews/work").get_data(as_text=True)
    assert "人数等合计数不符" in html and "会员总数不符" in html and "第 1 次退回后" in html


def test_the_submission_page_tells_the_whole_story(auth, client, session, cycle):
    reviewer = make_user(session, role="reviewer", display_name="预审员小张")
    submission = make_submission(session, state="returned", reviewer=reviewer,
                                 reasons=["signature_seal", "late"], comment="请补盖公章",
                                 cycle=cycle)
    session.commit()
    auth.login("frontdesk")
    html = client.get(f"/reviews/{submission.id}").get_data(as_text=True)
    for text in ("接收", "领取预审", "退回修改", "预审员小张", "缺少签字或盖章", "逾期报送",
                 "请补盖公章", submission.correction_due_on.isoformat(), "中心用时",
                 f'action="/reviews/{submission.id}/resubmit"',
                 f'action="/reviews/{submission.id}/withdraw"'):
        assert text in html, text
    assert f'action="/reviews/{submission.id}/claim"' not in html  # nothing to claim


def test_withdraw_without_a_reason_is_answered_beside_the_field(auth, session, cycle):
    submission = make_submission(session, cycle=cycle)
    session.commit()
    auth.login("frontdesk")
    response = auth.post(f"/reviews/{submission.id}/withdraw", data={"comment": " "})
    assert response.status_code == 422
    assert "请填写说明" in response.get_data(as_text=True)
    assert state_of(session, submission) == "received"
    response = auth.post(f"/reviews/{submission.id}/withdraw", data={"comment": "登记错了组织"})
    assert response.status_code == 302 and state_of(session, submission) == "withdrawn"


def test_desk_resubmission_with_date_and_files(auth, client, session, cycle):
    submission = make_submission(session, state="returned", cycle=cycle)
    session.commit()
    auth.login("frontdesk")
    response = auth.post(f"/reviews/{submission.id}/resubmit", content_type="multipart/form-data",
                         data={"received_on": reviews.today_in_center().isoformat(),
                               "comment": "已补盖章",
                               "files": [(io.BytesIO(pdf_bytes()), "修改后.pdf")]})
    assert response.status_code == 302
    session.expire_all()
    stored = session.get(Submission, submission.id)
    assert stored.state == "resubmitted" and [f.filename for f in stored.files] == ["修改后.pdf"]


def test_staff_add_a_file_and_a_bad_one_is_refused_beside_the_field(auth, client, session,
                                                                    cycle):
    submission = make_submission(session, cycle=cycle)
    session.commit()
    auth.login("frontdesk")
    response = auth.post(f"/reviews/{submission.id}/files", content_type="multipart/form-data",
                         data={"files": [(io.BytesIO(pdf_bytes()), "伪装.xlsx")]})
    assert response.status_code == 422
    assert "内容却是 PDF" in response.get_data(as_text=True)
    response = auth.post(f"/reviews/{submission.id}/files", content_type="multipart/form-data",
                         data={"files": [(io.BytesIO(pdf_bytes()), "补充.pdf")]})
    assert response.status_code == 302


def test_a_file_downloads_as_an_attachment_with_its_name(auth, client, session, cycle):
    submission = make_submission(session, cycle=cycle)
    data = pdf_bytes()
    review_files.add_files(session, submission, [review_files.Upload("年度 报告.pdf", data)],
                           actor=None)
    session.commit()
    auth.login("reviewer")
    response = client.get(f"/reviews/files/{submission.files[0].id}")
    assert response.data == data and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/reviews/files/999").status_code == 404


def test_the_work_page_costs_a_handful_of_queries(auth, client, session, cycle, count_queries):
    me = auth.login("reviewer")
    for _ in range(3):
        submission = make_submission(session, state="in_review", reviewer=me, cycle=cycle)
        review_files.add_files(session, submission,
                               [review_files.Upload("年报.pdf", pdf_bytes())], actor=None)
    for _ in range(5):
        make_submission(session, state="passed", reviewer=me, cycle=cycle)
    session.commit()
    with count_queries() as counter:
        assert client.get("/reviews/work").status_code == 200
    assert counter.count <= 20, counter.count
