"""The weekly pages: the list of weeks, a week's report with its figures and week-over-week
change, the narrative form that keeps typed text on every error, regenerating, and what a
supervisor may read."""
import re
from datetime import timedelta

import pytest

from center.models.weekly import WeeklyReport
from center.services import weekly
from center.services.weekly import week_key
from center.views._helpers import now_utc
from tests.conftest import field_errors
from tests.consultations.factories import make_consultation
from tests.factories import make_booking, make_user
from tests.weekly.helpers import KEY, MONDAY, in_week, make_report


def _text(response) -> str:
    return response.get_data(as_text=True)


def _row(html: str, figure_key: str) -> str:
    match = re.search(r'<tr data-figure="%s">(.*?)</tr>' % figure_key, html, re.S)
    assert match, f"no figure row {figure_key}"
    return " ".join(match.group(1).split())


def _reload(session, key=KEY) -> WeeklyReport:
    session.expire_all()
    return weekly.get_report(session, key)


# --- the report page ------------------------------------------------------------------------

def test_report_page_shows_each_figure_beside_last_week_with_the_change(auth, session):
    for day in (0, 1, 2):
        make_consultation(session, occurred_at=in_week(KEY, day))
    make_consultation(session, occurred_at=in_week(KEY, 1) - timedelta(days=7))
    make_report(session)
    session.commit()
    auth.login("manager")
    html = _text(auth.client.get(f"/weekly/{KEY}"))
    row = _row(html, "consultations")
    assert "咨询服务" in row and ">3 次<" in row.replace("</td>", "<").replace('<td class="value">', ">")
    assert "1 次" in row and "▲ 2 次" in row
    assert 'data-direction="up"' in row


def test_a_fall_is_shown_with_a_down_arrow_and_no_change_as_level(auth, session):
    make_consultation(session, occurred_at=in_week(KEY, 1), minutes=10)
    for _n in range(3):
        make_consultation(session, occurred_at=in_week(KEY, 1) - timedelta(days=7), minutes=10)
    make_report(session)
    session.commit()
    auth.login("manager")
    html = _text(auth.client.get(f"/weekly/{KEY}"))
    assert "▼ 2 次" in _row(html, "consultations")
    assert "持平" in _row(html, "follow_ups_open")  # 0 and 0


def test_a_module_not_built_yet_is_marked_absent_never_zero(auth, session, liaison_absent):
    make_report(session)
    session.commit()
    auth.login("manager")
    html = _text(auth.client.get(f"/weekly/{KEY}"))
    section = re.search(r'<section[^>]*data-module="liaison".*?</section>', html, re.S).group(0)
    assert "三级平台联动" in section and "尚未上线" in section
    assert "<table" not in section and ">0<" not in section


def test_a_venue_table_with_a_percent_in_its_heading_renders(auth, session):
    make_booking(session, starts_at=in_week(KEY, 1, hour=9))
    make_report(session)
    session.commit()
    auth.login("manager")
    response = auth.client.get(f"/weekly/{KEY}")
    assert response.status_code == 200
    assert "使用率（%）" in _text(response)
    assert "▲ 1 场" in _row(_text(response), "bookings")


# --- weeks that do not exist, have not begun, or have no report yet ------------------------------

def test_a_week_that_does_not_exist_is_a_404_that_says_so(auth):
    auth.login("manager")
    for key in ("2026-W54", "2025-W53", "2026-W00", "2026-47", "W47"):
        response = auth.client.get(f"/weekly/{key}")
        assert response.status_code == 404, key
        assert f"“{key}”不是存在的周" in _text(response)


def test_a_future_week_has_no_report_and_cannot_be_generated(auth, session):
    future = week_key(weekly.center_now(now_utc()).date() + timedelta(days=14))
    auth.login("manager")
    page = auth.client.get(f"/weekly/{future}")
    assert page.status_code == 404 and "还没有开始" in _text(page)
    response = auth.post(f"/weekly/{future}/generate")
    assert response.status_code == 422 and "还没有开始，不能生成周报" in _text(response)
    assert weekly.get_report(session, future) is None


def test_a_past_week_without_a_report_offers_to_generate_it(auth, session):
    auth.login("manager")
    page = auth.client.get(f"/weekly/{KEY}")
    assert page.status_code == 200
    assert "还没有周报草稿" in _text(page) and "每周五 15:00" in _text(page)
    response = auth.post(f"/weekly/{KEY}/generate")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/weekly/{KEY}")
    report = _reload(session)
    assert report.state == "draft" and [v.reason for v in report.versions] == ["generated"]
    again = auth.post(f"/weekly/{KEY}/generate", follow_redirects=True)  # a second click
    assert "已经生成过，没有重复生成" in _text(again)
    assert len(_reload(session).versions) == 1


# --- the narrative form ---------------------------------------------------------------------

def _form(html: str) -> dict:
    return {"shown": re.search(r'id="shown" name="shown" type="hidden" value="([^"]*)"', html)
            .group(1)}


def test_saving_the_narrative_keeps_a_version(auth, session):
    make_report(session)
    session.commit()
    user = auth.login("manager")
    shown = _form(_text(auth.client.get(f"/weekly/{KEY}")))
    response = auth.post(f"/weekly/{KEY}", {**shown, "summary": "本周接待咨询三次。",
                                            "plan": "下周召开联络员会议。", "action": "save"})
    assert response.status_code == 303
    report = _reload(session)
    assert (report.summary, report.plan) == ("本周接待咨询三次。", "下周召开联络员会议。")
    assert report.versions[-1].reason == "edited" and report.versions[-1].created_by_id == user.id
    assert "已保存" in _text(auth.client.get(f"/weekly/{KEY}"))


def test_the_plan_is_prefilled_from_next_weeks_known_facts(auth, session):
    make_report(session)
    session.commit()
    auth.login("manager")
    html = _text(auth.client.get(f"/weekly/{KEY}"))
    plan = re.search(r'<textarea[^>]*id="plan"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert "例行会议" in plan and "联络员协调会" in plan and "11月24日（周二）" in plan


def test_too_long_text_is_refused_beside_the_field_and_the_typed_text_stays(auth, session):
    make_report(session)
    session.commit()
    auth.login("manager")
    shown = _form(_text(auth.client.get(f"/weekly/{KEY}")))
    long_summary = "很长的小结" * 5000  # 25,000 characters
    response = auth.post(f"/weekly/{KEY}", {**shown, "summary": long_summary,
                                            "plan": "我写的计划", "action": "save"})
    html = _text(response)
    assert response.status_code == 422
    assert field_errors(html, "summary") == ["最多 20000 个字。"]
    assert long_summary in html and "我写的计划" in html
    assert _reload(session).summary == ""


def test_editing_a_submitted_report_is_refused_and_the_typed_text_is_shown(auth, session):
    report = make_report(session, summary="已报送的小结")
    user = auth.login("manager")
    weekly.submit(session, report, recipients=[{"name": "服务发展处"}], actor=user)
    session.commit()
    response = auth.post(f"/weekly/{KEY}", {"shown": "stale", "summary": "报送后才写的话",
                                            "plan": "计划", "action": "save"})
    html = _text(response)
    assert response.status_code == 409
    assert "已报送，不能再修改" in html
    assert re.search(r'<textarea id="unsaved-summary"[^>]*readonly>报送后才写的话</textarea>', html)
    assert _reload(session).summary == "已报送的小结"


def test_someone_elses_newer_text_is_not_overwritten_silently(auth, session):
    report = make_report(session)
    session.commit()
    auth.login("manager")
    shown = _form(_text(auth.client.get(f"/weekly/{KEY}")))
    weekly.save_narrative(session, report, summary="同事刚写的小结", plan=report.plan, actor=None)
    session.commit()
    mine = {"summary": "我写的小结", "plan": "我写的计划", "action": "save"}
    response = auth.post(f"/weekly/{KEY}", {**shown, **mine})
    html = _text(response)
    assert response.status_code == 409
    assert "已被他人修改" in html and "同事刚写的小结" in html
    assert "我写的小结</textarea>" in html and "我写的计划</textarea>" in html
    assert _reload(session).summary == "同事刚写的小结"
    again = auth.post(f"/weekly/{KEY}", {**_form(html), **mine})  # saved on second thought
    assert again.status_code == 303
    assert _reload(session).summary == "我写的小结"


def test_regenerating_saves_the_text_first_and_never_overwrites_it(auth, session):
    make_report(session)
    session.commit()
    auth.login("manager")
    shown = _form(_text(auth.client.get(f"/weekly/{KEY}")))
    make_consultation(session, occurred_at=in_week(KEY, 2))  # logged after the draft was made
    session.commit()
    response = auth.post(f"/weekly/{KEY}", {**shown, "summary": "未保存就点了重新生成",
                                            "plan": "我的计划", "action": "regenerate"})
    assert response.status_code == 303
    report = _reload(session)
    assert (report.summary, report.plan) == ("未保存就点了重新生成", "我的计划")
    assert report.figures["modules"]["consultations"]["figures"][0]["value"] == 1
    assert [v.reason for v in report.versions] == ["generated", "edited", "regenerated"]
    assert "您写的文字没有改动" in _text(auth.client.get(f"/weekly/{KEY}"))


def test_save_and_submit_saves_then_asks_for_confirmation(auth, session):
    make_report(session)
    session.commit()
    auth.login("manager")
    shown = _form(_text(auth.client.get(f"/weekly/{KEY}")))
    response = auth.post(f"/weekly/{KEY}", {**shown, "summary": "小结", "plan": "计划",
                                            "action": "submit"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/weekly/{KEY}/submit")
    report = _reload(session)
    assert report.summary == "小结" and report.state == "draft"


# --- the list of weeks ----------------------------------------------------------------------

def test_the_list_shows_every_begun_week_of_the_year_with_its_state(auth, session):
    today = weekly.center_now(now_utc()).date()
    this_week, last_week = week_key(today), week_key(today - timedelta(days=7))
    make_report(session, last_week)
    session.commit()
    auth.login("manager")
    html = _text(auth.client.get("/weekly/"))
    rows = dict(re.findall(r'<tr data-week="([^"]+)">(.*?)</tr>', html, re.S))
    if last_week[:4] == this_week[:4]:
        assert "草稿" in rows[last_week] and "待报送" in rows[last_week]
    assert "未生成" in rows[this_week] and "生成草稿" in rows[this_week]
    assert week_key(today + timedelta(days=7)) not in rows


def test_a_year_out_of_range_is_a_clear_404(auth):
    auth.login("manager")
    response = auth.client.get("/weekly/?year=1999")
    assert response.status_code == 404 and "没有 1999 年的周报" in _text(response)
    assert auth.client.get("/weekly/?year=abc").status_code == 200  # not a number: this year


# --- who sees what -----------------------------------------------------------------------------

def test_a_supervisor_sees_submitted_reports_only(auth, session):
    submitted = make_report(session, "2026-W46", summary="已报送")
    manager = make_user(session, role="manager")
    weekly.submit(session, submitted, recipients=[{"name": "服务发展处"}], actor=manager)
    make_report(session, KEY, summary="还在写的草稿")
    session.commit()
    auth.login("supervisor")
    draft = auth.client.get(f"/weekly/{KEY}")
    assert draft.status_code == 404 and f"没有 {KEY} 的周报" in _text(draft)
    assert auth.client.get(f"/weekly/{KEY}/versions").status_code == 403
    page = auth.client.get("/weekly/2026-W46")
    html = _text(page)
    assert page.status_code == 200 and "已报送" in html and 'id="narrative"' not in html
    assert "<form method=\"post\" action=\"/weekly/" not in html
    listing = _text(auth.client.get("/weekly/?year=2026"))
    assert 'data-week="2026-W46"' in listing and f'data-week="{KEY}"' not in listing
    assert auth.post("/weekly/2026-W46", {"summary": "x", "plan": "y"}).status_code == 403


@pytest.mark.parametrize("role", ["frontdesk", "reviewer", "platform", "org"])
def test_other_roles_may_not_open_weekly_reports(auth, session, role):
    make_report(session)
    session.commit()
    auth.login(role)
    assert auth.client.get("/weekly/").status_code == 403
    assert auth.client.get(f"/weekly/{KEY}").status_code == 403


def test_versions_list_each_saved_state_and_show_one(auth, session):
    report = make_report(session)
    weekly.save_narrative(session, report, summary="第一稿", plan="计划", actor=None)
    weekly.save_narrative(session, report, summary="第二稿", plan="计划", actor=None)
    session.commit()
    auth.login("manager")
    html = _text(auth.client.get(f"/weekly/{KEY}/versions"))
    assert re.findall(r'data-version="(\d+)"', html) == ["3", "2", "1"]
    assert "第二稿" in html and "修改文字" in html
    first = _text(auth.client.get(f"/weekly/{KEY}/versions/2"))
    assert "第一稿" in first and "第二稿" not in re.search(
        r'id="version-text">(.*?)</section>', first, re.S).group(1)
    missing = auth.client.get(f"/weekly/{KEY}/versions/9")
    assert missing.status_code == 404 and "没有第 9 版" in _text(missing)


def test_monday_is_the_first_day_shown(auth, session):
    make_report(session)
    session.commit()
    auth.login("manager")
    assert "2026年11月16日" in _text(auth.client.get(f"/weekly/{KEY}"))
    assert MONDAY.isoformat() == "2026-11-16"


def test_the_report_page_links_the_excel_export_for_whoever_may_read_it(auth, session):
    submitted = make_report(session, "2026-W46", summary="已报送")
    weekly.submit(session, submitted, recipients=[{"name": "服务发展处"}],
                  actor=make_user(session, role="manager"))
    make_report(session)
    session.commit()
    auth.login("manager")
    assert f'href="/weekly/{KEY}/export"' in _text(auth.client.get(f"/weekly/{KEY}"))
    auth.logout()
    auth.login("supervisor")
    assert 'href="/weekly/2026-W46/export"' in _text(auth.client.get("/weekly/2026-W46"))
    download = auth.client.get("/weekly/2026-W46/export")
    assert download.status_code == 200 and download.data.startswith(b"PK")
    assert auth.client.get(f"/weekly/{KEY}/export").status_code == 404  # a draft
