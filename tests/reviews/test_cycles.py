"""Configuration: review cycles (window, service levels in working days) and the checklist of
return reasons (add, reword, reorder, archive)."""
from datetime import date

import pytest
from sqlalchemy import select

from center.models.reviews import ReturnReason, ReviewCycle
from center.services import review_cycles, reviews
from center.services.errors import ConflictError, ValidationError
from tests.conftest import field_errors
from tests.factories import make_user
from tests.reviews.factories import make_cycle, make_submission

VALID = {"year": 2026, "opens_on": date(2027, 1, 1), "closes_on": date(2027, 5, 31),
         "first_review_days": 5, "re_review_days": 3, "correction_days": 5, "note": " 市级 "}


@pytest.fixture
def manager(session):
    return make_user(session, role="manager")


# --- cycles ----------------------------------------------------------------------------------

def test_create_cycle_stores_window_and_service_levels(session, manager):
    cycle = review_cycles.create_cycle(session, dict(VALID), actor=manager)
    assert (cycle.year, cycle.opens_on, cycle.closes_on) == (2026, date(2027, 1, 1),
                                                             date(2027, 5, 31))
    assert (cycle.first_review_days, cycle.re_review_days, cycle.correction_days) == (5, 3, 5)
    assert cycle.note == "市级"
    assert reviews.cycle_for_year(session, 2026) is cycle


@pytest.mark.parametrize(("change", "field"), [
    ({"year": 1999}, "year"),
    ({"year": "2026"}, "year"),
    ({"opens_on": date(2026, 12, 1)}, "opens_on"),  # the report year has not ended
    ({"closes_on": date(2026, 12, 31)}, "closes_on"),
    ({"closes_on": date(2028, 6, 1)}, "closes_on"),  # longer than a year
    ({"opens_on": None}, "opens_on"),
    ({"first_review_days": 0}, "first_review_days"),
    ({"re_review_days": 61}, "re_review_days"),
    ({"correction_days": None}, "correction_days"),
    ({"note": "长" * 2001}, "note"),
])
def test_bad_cycle_values_are_named_and_nothing_is_stored(session, manager, change, field):
    with pytest.raises(ValidationError) as error:
        review_cycles.create_cycle(session, VALID | change, actor=manager)
    assert field in error.value.fields
    assert session.scalar(select(ReviewCycle)) is None


def test_second_cycle_for_a_year_is_a_conflict(session, manager):
    make_cycle(session, year=2026)
    with pytest.raises(ConflictError) as error:
        review_cycles.create_cycle(session, dict(VALID), actor=manager)
    assert "year" in error.value.fields


def test_cycle_with_submissions_keeps_its_year_but_can_change_its_levels(session, manager):
    cycle = make_cycle(session, year=2025)
    make_submission(session, cycle=cycle, received_on=date(2026, 3, 2))
    values = VALID | {"year": 2025, "opens_on": date(2026, 1, 1), "closes_on": date(2026, 6, 30),
                      "first_review_days": 7}
    review_cycles.update_cycle(session, cycle, values, actor=manager)
    assert (cycle.closes_on, cycle.first_review_days) == (date(2026, 6, 30), 7)
    with pytest.raises(ConflictError) as error:
        review_cycles.update_cycle(session, cycle, values | {"year": 2024,
                                                             "opens_on": date(2025, 1, 1),
                                                             "closes_on": date(2025, 5, 31)},
                                   actor=manager)
    assert "year" in error.value.fields


def test_new_cycle_form_starts_from_last_year_and_the_defaults(session, auth, client):
    auth.login("manager")
    html = client.get("/reviews/cycles/new").get_data(as_text=True)
    assert 'name="first_review_days"' in html and 'value="5"' in html and 'value="3"' in html
    assert "-05-31" in html


def test_cycle_form_shows_errors_beside_fields_and_keeps_values(session, auth):
    auth.login("manager")
    response = auth.post("/reviews/cycles/new", {
        "year": "2026", "opens_on": "2026-12-01", "closes_on": "2027-05-31",
        "first_review_days": "0", "re_review_days": "3", "correction_days": "5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "opens_on") and field_errors(html, "first_review_days")
    assert 'value="2026-12-01"' in html
    assert session.scalar(select(ReviewCycle)) is None


def test_cycle_form_saves_and_lists_the_cycle(session, auth, client):
    auth.login("manager")
    response = auth.post("/reviews/cycles/new", {
        "year": "2026", "opens_on": "2027-01-01", "closes_on": "2027-05-31",
        "first_review_days": "4", "re_review_days": "3", "correction_days": "5"})
    assert response.status_code == 302
    html = client.get("/reviews/cycles").get_data(as_text=True)
    assert "2026 年度" in html and "4 个工作日" in html


def test_duplicate_year_on_the_form_is_shown_beside_the_year(session, auth):
    make_cycle(session, year=2026)
    session.commit()
    auth.login("manager")
    response = auth.post("/reviews/cycles/new", {
        "year": "2026", "opens_on": "2027-01-01", "closes_on": "2027-05-31",
        "first_review_days": "5", "re_review_days": "3", "correction_days": "5"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "year")


# --- the checklist ---------------------------------------------------------------------------

def test_add_reason_appends_it_to_the_checklist(session, manager):
    reviews.seed_return_reasons(session)
    reason = review_cycles.add_reason(session, code="missing_audit", label=" 缺少审计报告 ",
                                      guidance="请附审计报告。", actor=manager)
    assert reason.label == "缺少审计报告"
    assert reviews.active_reasons(session)[-1] == reason


@pytest.mark.parametrize(("code", "label", "field"), [
    ("Missing", "缺少审计报告", "code"),
    ("a", "缺少审计报告", "code"),
    ("no spaces", "缺少审计报告", "code"),
    ("", "缺少审计报告", "code"),
    ("missing_audit", "", "label"),
    ("missing_audit", "长" * 101, "label"),
])
def test_bad_reason_values_are_named(session, manager, code, label, field):
    with pytest.raises(ValidationError) as error:
        review_cycles.add_reason(session, code=code, label=label, actor=manager)
    assert field in error.value.fields


def test_reason_code_is_unique_also_among_archived_ones(session, manager):
    reviews.seed_return_reasons(session)
    late = session.scalar(select(ReturnReason).where(ReturnReason.code == "late"))
    review_cycles.archive_reason(session, late, actor=manager)
    with pytest.raises(ConflictError) as error:
        review_cycles.add_reason(session, code="late", label="另一个", actor=manager)
    assert "code" in error.value.fields


def test_move_reason_swaps_it_with_its_neighbour(session, manager):
    reviews.seed_return_reasons(session)
    first, second = reviews.active_reasons(session)[:2]
    review_cycles.move_reason(session, second, up=True, actor=manager)
    assert reviews.active_reasons(session)[:2] == [second, first]
    review_cycles.move_reason(session, second, up=True, actor=manager)  # already first: stays
    assert reviews.active_reasons(session)[0] == second


def test_archived_reason_leaves_the_checklist_and_returns_at_the_end(session, manager):
    reviews.seed_return_reasons(session)
    first = reviews.active_reasons(session)[0]
    review_cycles.archive_reason(session, first, actor=manager)
    assert first not in reviews.active_reasons(session)
    review_cycles.restore_reason(session, first, actor=manager)
    assert reviews.active_reasons(session)[-1] == first


def test_last_active_reason_cannot_be_archived(session, manager):
    only = review_cycles.add_reason(session, code="only_one", label="唯一的原因", actor=manager)
    with pytest.raises(ConflictError):
        review_cycles.archive_reason(session, only, actor=manager)
    assert only.archived_at is None


def test_reasons_page_adds_rewords_and_archives(session, auth, client):
    reviews.seed_return_reasons(session)
    session.commit()
    auth.login("manager")
    response = auth.post("/reviews/reasons", {"code": "missing_audit", "label": "缺少审计报告",
                                               "guidance": "请附审计报告。"})
    assert response.status_code == 302
    reason = session.scalar(select(ReturnReason).where(ReturnReason.code == "missing_audit"))
    assert auth.post(f"/reviews/reasons/{reason.id}/edit",
                     {"label": "审计报告缺失", "guidance": ""}).status_code == 302
    assert auth.post(f"/reviews/reasons/{reason.id}/archive").status_code == 302
    session.expire_all()
    assert (reason.label, reason.guidance) == ("审计报告缺失", None)
    assert reason.archived_at is not None
    html = client.get("/reviews/reasons").get_data(as_text=True)
    assert "审计报告缺失" in html and "已停用" in html


def test_reasons_page_shows_a_taken_code_beside_the_field(session, auth):
    reviews.seed_return_reasons(session)
    session.commit()
    auth.login("manager")
    response = auth.post("/reviews/reasons", {"code": "late", "label": "重复"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "code")


def test_reviewers_cannot_open_the_configuration(auth, client):
    auth.login("reviewer")
    assert client.get("/reviews/cycles").status_code == 403
    assert client.get("/reviews/reasons").status_code == 403
