"""The public status lookup (no login) and status enquiries tagged by staff."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from center.models.reviews import LookupAttempt, ReviewEnquiry
from center.reports import review_status
from center.services import calendar, review_lookup, reviews
from center.services.errors import ValidationError
from tests.conftest import csrf_from, field_errors
from tests.factories import make_organization, make_user
from tests.reviews.factories import center_time, make_cycle, make_submission

LOOKUP = "/review-status"
TODAY = date(2026, 3, 16)  # a Monday in the 2025 reports' cycle
NOW = center_time(TODAY, 9)
ADDRESS = "198.51.100.7"


def _pair(submission) -> review_lookup.LookupInput:
    return review_lookup.LookupInput(submission.organization.credit_code, submission.receipt_no)


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def cycle(session):
    return make_cycle(session)


@pytest.fixture
def org(session):
    return make_organization(session, name="北京保密测试协会")


def _lookup_page(client, credit_code, receipt_no, **kwargs):
    page = client.get(LOOKUP)
    return client.post(LOOKUP, data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                     "credit_code": credit_code, "receipt_no": receipt_no},
                       **kwargs)


# --- input ---------------------------------------------------------------------------------------

def test_lookup_input_ignores_case_and_spaces():
    pair = review_lookup.check_input(" 51110000mj0101505u ", "2025-7k3m 9qxa")
    assert pair == review_lookup.LookupInput("51110000MJ0101505U", "2025-7K3M9QXA")


@pytest.mark.parametrize(("code", "receipt", "fields"), [
    ("", "", {"credit_code", "receipt_no"}),
    ("51110000MJ0101505X", "2025-7K3M9QXA", {"credit_code"}),  # wrong check character
    ("51110000MJ0101505U", "<script>", {"receipt_no"}),
    (None, 42, {"credit_code", "receipt_no"}),
])
def test_malformed_lookup_input_names_the_field(code, receipt, fields):
    with pytest.raises(ValidationError) as raised:
        review_lookup.check_input(code, receipt)
    assert set(raised.value.fields) == fields


# --- the answer ----------------------------------------------------------------------------------

def test_right_pair_answers_the_state_and_counts_an_enquiry(session, cycle, org):
    submission = make_submission(session, organization=org, received_on=date(2026, 3, 2))
    status = review_lookup.look_up(session, _pair(submission), address=ADDRESS, now=NOW)
    assert (status.state, status.state_label) == ("received", "已接收，等待预审")
    assert (status.year, status.received_on, status.due_on) == (2025, date(2026, 3, 2),
                                                                submission.due_on)
    enquiry = session.scalar(select(ReviewEnquiry))
    assert (enquiry.source, enquiry.submission_id, enquiry.organization_id) == \
        ("lookup", submission.id, org.id)
    assert session.scalar(select(LookupAttempt.found)) is True


def test_wrong_pair_answers_like_an_unknown_receipt(session, cycle, org):
    submission = make_submission(session, organization=org, received_on=date(2026, 3, 2))
    other = make_submission(session, received_on=date(2026, 3, 2))
    wrong_pair = review_lookup.LookupInput(org.credit_code, other.receipt_no)
    unknown = review_lookup.LookupInput(org.credit_code, "2025-ZZZZZZZZ")
    assert review_lookup.look_up(session, wrong_pair, address=ADDRESS, now=NOW) is None
    assert review_lookup.look_up(session, unknown, address=ADDRESS, now=NOW) is None
    assert _count(session, ReviewEnquiry) == 0
    assert _count(session, LookupAttempt, LookupAttempt.found.is_(False)) == 2
    assert review_lookup.look_up(session, _pair(submission), address=ADDRESS, now=NOW)


def test_withdrawn_intake_is_void_for_the_lookup(session, cycle, org):
    submission = make_submission(session, organization=org, state="withdrawn",
                                 received_on=date(2026, 3, 2))
    assert review_lookup.look_up(session, _pair(submission), address=ADDRESS, now=NOW) is None


def test_returned_report_shows_reasons_guidance_deadline_and_what_to_do(session, cycle, org):
    submission = make_submission(session, organization=org, state="returned",
                                 received_on=date(2026, 3, 2), now=center_time(date(2026, 3, 3)),
                                 reasons=("signature_seal", "arithmetic"), comment="第3页缺公章")
    status = review_status.public_status(session, submission, today=TODAY)
    assert [r.code for r in status.reasons] == ["signature_seal", "arithmetic"]
    assert status.reasons[0].label == "缺少签字或盖章"
    assert "盖章" in status.reasons[0].guidance
    assert status.comment == "第3页缺公章"
    # 5 working days after Tuesday 3 March 2026
    assert status.correction_due_on == date(2026, 3, 10)
    assert "2026-03-10" in status.next_step and "重新提交" in status.next_step
    assert status.due_on is None and status.queue_position is None
    assert [s.label for s in status.steps] == ["年报已接收", "退回修改"]


def test_archived_reason_still_explains_an_old_return(session, cycle, org):
    submission = make_submission(session, organization=org, state="returned",
                                 received_on=date(2026, 3, 2), reasons=("late",))
    reason = next(r for r in reviews.active_reasons(session) if r.code == "late")
    reason.archived_at = datetime(2026, 3, 4, tzinfo=timezone.utc)
    session.flush()
    status = review_status.public_status(session, submission, today=TODAY)
    assert [(r.code, r.label) for r in status.reasons] == [("late", "逾期报送")]


def test_resubmitted_report_no_longer_shows_the_old_reasons(session, cycle, org):
    submission = make_submission(session, organization=org, state="resubmitted",
                                 received_on=date(2026, 3, 2))
    status = review_status.public_status(session, submission, today=TODAY)
    assert status.reasons == [] and status.queue_position == 1
    assert status.state_label == "已重新提交，等待复审"


def test_waiting_report_shows_its_place_and_the_date_at_the_recent_pace(session, cycle):
    reviewer = make_user(session, role="reviewer")
    # Ten decisions over the ten working days before TODAY: a pace of one a day.
    day = TODAY
    for _n in range(10):
        day = calendar.add_working_days(session, day, -1).day
        make_submission(session, state="passed", received_on=day, now=center_time(day, 15),
                        reviewer=reviewer)
    waiting = [make_submission(session, received_on=date(2026, 3, d)) for d in (9, 10, 11)]
    status = review_status.public_status(session, waiting[2], today=TODAY)
    assert status.queue_position == 3
    assert status.expected_on.day == calendar.add_working_days(session, TODAY, 3).day
    assert status.due_on == waiting[2].due_on


def test_without_recent_decisions_no_date_is_promised(session, cycle):
    submission = make_submission(session, received_on=date(2026, 3, 9))
    status = review_status.public_status(session, submission, today=TODAY)
    assert status.queue_position == 1 and status.expected_on is None


@pytest.mark.parametrize(("state", "words"), [("in_review", "正在审阅"), ("passed", "转交"),
                                              ("forwarded", "年检结论")])
def test_every_state_says_what_happens_next(session, cycle, state, words):
    submission = make_submission(session, state=state, received_on=date(2026, 3, 9))
    status = review_status.public_status(session, submission, today=TODAY)
    assert words in status.next_step and status.queue_position is None


def test_building_the_public_status_writes_nothing(session, cycle, org):
    submission = make_submission(session, organization=org, state="returned",
                                 received_on=date(2026, 3, 2))
    session.commit()
    review_status.public_status(session, submission, today=TODAY)
    assert not (session.new or session.dirty or session.deleted)


# --- rate limit ----------------------------------------------------------------------------------

def test_eleventh_lookup_in_a_minute_waits_and_other_addresses_do_not(session, cycle, org):
    submission = make_submission(session, organization=org, received_on=date(2026, 3, 2))
    for n in range(10):
        review_lookup.look_up(session, _pair(submission), address=ADDRESS,
                              now=NOW + timedelta(seconds=n))
    with pytest.raises(review_lookup.LookupThrottled) as raised:
        review_lookup.look_up(session, _pair(submission), address=ADDRESS,
                              now=NOW + timedelta(seconds=30))
    assert timedelta(0) < raised.value.retry_after <= timedelta(seconds=30)
    assert raised.value.minutes == 1
    assert review_lookup.look_up(session, _pair(submission), address="203.0.113.9",
                                 now=NOW + timedelta(seconds=30))
    assert review_lookup.look_up(session, _pair(submission), address=ADDRESS,
                                 now=NOW + timedelta(seconds=61))


def test_refused_lookups_are_not_counted_so_the_limit_ends(session, cycle, org):
    pair = review_lookup.LookupInput(org.credit_code, "2025-ZZZZZZZZ")
    limits = ((timedelta(minutes=1), 2), (timedelta(days=1), 100))
    for n in range(2):
        review_lookup.look_up(session, pair, address=ADDRESS, now=NOW, limits=limits)
    for n in range(5):
        with pytest.raises(review_lookup.LookupThrottled):
            review_lookup.look_up(session, pair, address=ADDRESS, now=NOW + timedelta(seconds=n),
                                  limits=limits)
    assert _count(session, LookupAttempt) == 2
    assert review_lookup.look_up(session, pair, address=ADDRESS,
                                 now=NOW + timedelta(minutes=1, seconds=1), limits=limits) is None


def test_daily_limit_holds_even_when_spread_over_the_day(session, cycle, org):
    pair = review_lookup.LookupInput(org.credit_code, "2025-ZZZZZZZZ")
    limits = ((timedelta(minutes=1), 10), (timedelta(days=1), 3))
    for hour in range(3):
        review_lookup.look_up(session, pair, address=ADDRESS, now=NOW + timedelta(hours=hour),
                              limits=limits)
    with pytest.raises(review_lookup.LookupThrottled) as raised:
        review_lookup.look_up(session, pair, address=ADDRESS, now=NOW + timedelta(hours=5),
                              limits=limits)
    assert raised.value.retry_after == timedelta(hours=19)
    assert raised.value.minutes == 19 * 60


def test_old_attempts_of_the_address_are_forgotten(session, cycle, org):
    pair = review_lookup.LookupInput(org.credit_code, "2025-ZZZZZZZZ")
    review_lookup.look_up(session, pair, address=ADDRESS, now=NOW - timedelta(days=2))
    review_lookup.look_up(session, pair, address="203.0.113.9", now=NOW - timedelta(days=2))
    review_lookup.look_up(session, pair, address=ADDRESS, now=NOW)
    assert _count(session, LookupAttempt, LookupAttempt.address == ADDRESS) == 1
    assert review_lookup.purge_lookup_attempts(session, now=NOW) == 1
    assert _count(session, LookupAttempt) == 1


def test_limits_come_from_the_configuration():
    limits = review_lookup.limits_from({"REVIEW_LOOKUP_PER_MINUTE": 3})
    assert limits == ((timedelta(minutes=1), 3), (timedelta(days=1), 100))


# --- the page ------------------------------------------------------------------------------------

def test_lookup_page_opens_without_login_and_needs_no_script(client):
    response = client.get(LOOKUP)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<form method="post" action="/review-status"', html)
    assert 'name="credit_code"' in html and 'name="receipt_no"' in html
    assert "<script>" not in html  # nothing inline; the page works with scripts off


def test_lookup_page_shows_the_returned_report_and_nothing_about_the_organization(
        client, session, cycle, org):
    submission = make_submission(session, organization=org, state="returned",
                                 received_on=reviews.today_in_center() - timedelta(days=1),
                                 reasons=("signature_seal",), comment="请补盖公章")
    session.commit()
    response = _lookup_page(client, org.credit_code.lower(), submission.receipt_no.lower())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已退回，请修改后重新提交" in html and "缺少签字或盖章" in html and "请补盖公章" in html
    assert "补齐法定代表人" in html  # the guidance
    assert submission.correction_due_on.isoformat() in html
    assert org.name not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert _count(session, ReviewEnquiry, ReviewEnquiry.source == "lookup") == 1


def test_lookup_page_names_no_staff(client, session, cycle, org):
    reviewer = make_user(session, role="reviewer", display_name="预审员甲某")
    submission = make_submission(session, organization=org, state="in_review", reviewer=reviewer,
                                 received_on=reviews.today_in_center())
    session.commit()
    html = _lookup_page(client, org.credit_code, submission.receipt_no).get_data(as_text=True)
    assert "预审中" in html and "预审员甲某" not in html and org.name not in html


def _answer(html: str) -> str:
    """The page without its per-session CSRF token."""
    return re.sub(r'(name="csrf_token" type="hidden"|type="hidden" name="csrf_token") '
                  r'value="[^"]+"', "", html)


def test_wrong_pair_page_is_identical_to_unknown_receipt_page(app, session, cycle, org):
    make_submission(session, organization=org, received_on=reviews.today_in_center())
    other = make_submission(session, received_on=reviews.today_in_center())
    session.commit()
    unknown_no = other.receipt_no[:-1] + ("2" if other.receipt_no[-1] != "2" else "3")
    wrong = _lookup_page(app.test_client(), org.credit_code, other.receipt_no)
    unknown = _lookup_page(app.test_client(), org.credit_code, unknown_no)
    assert wrong.status_code == unknown.status_code == 404
    wrong_html = _answer(wrong.get_data(as_text=True)).replace(other.receipt_no, "TYPED")
    unknown_html = _answer(unknown.get_data(as_text=True)).replace(unknown_no, "TYPED")
    assert "没有查到对应的年报" in wrong_html
    assert wrong_html == unknown_html


def test_malformed_pair_is_a_form_error_and_not_counted(client, session):
    response = _lookup_page(client, "12345", "")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "credit_code") == ["统一社会信用代码应为18位，当前为5位。"]
    assert field_errors(html, "receipt_no") == ["请填写回执号。"]
    assert _count(session, LookupAttempt) == 0


def test_too_many_lookups_get_a_clear_message_and_retry_after(app, client, session, cycle, org):
    app.config["REVIEW_LOOKUP_PER_MINUTE"] = 2
    submission = make_submission(session, organization=org, received_on=reviews.today_in_center())
    session.commit()
    for _n in range(2):
        assert _lookup_page(client, org.credit_code, submission.receipt_no).status_code == 200
    response = _lookup_page(client, org.credit_code, submission.receipt_no)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "查询过于频繁，请 1 分钟后再试。" in html
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    assert "已接收，等待预审" not in html


def test_lookup_post_without_csrf_token_is_refused(client, session, cycle, org):
    submission = make_submission(session, organization=org, received_on=reviews.today_in_center())
    session.commit()
    response = client.post(LOOKUP, data={"credit_code": org.credit_code,
                                         "receipt_no": submission.receipt_no})
    assert response.status_code == 400
    assert _count(session, LookupAttempt) == 0


# --- enquiries tagged by staff -------------------------------------------------------------------

def test_front_desk_tags_a_call_by_credit_code(auth, session, cycle, org):
    submission = make_submission(session, organization=org, received_on=reviews.today_in_center())
    session.commit()
    user = auth.login("frontdesk")
    response = auth.post("/reviews/enquiries", {"source": "phone", "reference": org.credit_code,
                                                "next": "/"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/")
    enquiry = session.scalar(select(ReviewEnquiry))
    assert (enquiry.source, enquiry.submission_id, enquiry.organization_id, enquiry.staff_id) == \
        ("phone", submission.id, org.id, user.id)
    assert "已记录一次电话查询。" in auth.client.get("/").get_data(as_text=True)


def test_reviewer_tags_a_visit_about_the_item_on_screen(auth, session, cycle, org):
    submission = make_submission(session, organization=org, received_on=reviews.today_in_center())
    session.commit()
    auth.login("reviewer")
    response = auth.post("/reviews/enquiries", {"source": "visit",
                                                "submission_id": str(submission.id),
                                                "next": f"/reviews/{submission.id}"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/reviews/{submission.id}")
    enquiry = session.scalar(select(ReviewEnquiry))
    assert (enquiry.source, enquiry.submission_id) == ("visit", submission.id)


def test_tagging_without_a_reference_still_counts_and_a_receipt_number_is_found(
        auth, session, cycle, org):
    submission = make_submission(session, organization=org, received_on=reviews.today_in_center())
    session.commit()
    auth.login("frontdesk")
    auth.post("/reviews/enquiries", {"source": "phone"})
    auth.post("/reviews/enquiries", {"source": "phone",
                                     "reference": submission.receipt_no.lower()})
    rows = session.execute(select(ReviewEnquiry.submission_id).order_by(ReviewEnquiry.id)).all()
    assert [r[0] for r in rows] == [None, submission.id]


@pytest.mark.parametrize(("data", "message"), [
    ({"source": "phone", "reference": "91350100M000100Y43"}, "没有找到这个回执号或统一社会信用代码"),
    ({"source": "email"}, "请选择电话或来访"),
    ({"source": "phone", "submission_id": "999999"}, "年报不存在"),
])
def test_a_bad_enquiry_is_not_recorded_and_says_why(auth, session, data, message):
    auth.login("frontdesk")
    response = auth.post("/reviews/enquiries", {**data, "next": "https://evil.example/"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/")  # an outside `next` is never followed
    assert message in auth.client.get("/").get_data(as_text=True)
    assert _count(session, ReviewEnquiry) == 0


@pytest.mark.parametrize("role", ["org", "platform", "supervisor"])
def test_only_staff_tag_enquiries(auth, session, role):
    auth.login(role)
    response = auth.post("/reviews/enquiries", {"source": "phone"})
    assert response.status_code == 403
    assert _count(session, ReviewEnquiry) == 0
