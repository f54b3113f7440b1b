"""The weekly report over the API: generate (create or regenerate, 409 once submitted), read
(supervisors: submitted only), export, and clear answers for weeks that do not exist or have
not begun."""
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from center.models.weekly import WeeklyReport
from center.services import weekly
from tests.api.conftest import error_of
from tests.api.test_openapi import _conforms
from tests.consultations.factories import make_consultation
from tests.factories import make_user
from tests.weekly.helpers import KEY, in_week

URL = f"/api/v1/weekly-reports/{KEY}"


@pytest.fixture
def liaison_absent(monkeypatch):
    """The liaison module as not built (as in tests/weekly/conftest.py)."""
    from center.services import weekly_figures

    monkeypatch.setattr(weekly_figures, "MODULES", tuple(
        (key, label, None if key == "liaison" else provider)
        for key, label, provider in weekly_figures.MODULES))


def _figure(body: dict, module: str, key: str) -> dict:
    return next(f for f in body["figures"]["modules"][module]["figures"] if f["key"] == key)


def _submit(session, key=KEY):
    report = weekly.get_report(session, key)
    weekly.save_narrative(session, report, summary="本周完成各项工作。", plan=report.plan,
                          actor=None)
    weekly.submit(session, report, recipients=[{"name": "服务发展处"}],
                  actor=make_user(session, role="manager"))
    session.commit()


def test_generate_creates_the_draft_with_the_weeks_figures(api, session, client):
    for weekday in (0, 2):
        make_consultation(session, occurred_at=in_week(KEY, weekday))
    session.commit()
    api.login("manager")
    response = api.post(f"{URL}/generate")
    assert response.status_code == 201
    body = response.get_json()
    assert body["week"] == KEY and body["state"] == "draft"
    assert body["starts_on"] == "2026-11-16" and body["ends_on"] == "2026-11-22"
    assert _figure(body, "consultations", "consultations")["value"] == 2
    assert response.headers["Location"].endswith(URL)
    _conforms(client.get("/api/v1/openapi.json").get_json(), "WeeklyReport", body)


def test_generate_again_regenerates_and_keeps_the_narrative(api, session):
    api.login("manager")
    assert api.post(f"{URL}/generate").status_code == 201
    report = weekly.get_report(session, KEY)
    weekly.save_narrative(session, report, summary="经理写的小结", plan="经理改过的计划", actor=None)
    make_consultation(session, occurred_at=in_week(KEY, 1))
    session.commit()
    response = api.post(f"{URL}/generate")
    assert response.status_code == 200
    body = response.get_json()
    assert _figure(body, "consultations", "consultations")["value"] == 1
    assert (body["summary"], body["plan"]) == ("经理写的小结", "经理改过的计划")
    assert body["versions"] == 3  # generated, edited, regenerated
    assert session.scalar(select(func.count()).select_from(WeeklyReport)) == 1


def test_generate_refuses_a_submitted_report(api, session):
    api.login("manager")
    api.post(f"{URL}/generate")
    _submit(session)
    response = api.post(f"{URL}/generate")
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict" and KEY in error_of(response)["message"]


@pytest.mark.parametrize("method,suffix", [("post", "/generate"), ("get", ""),
                                           ("get", "/export")])
@pytest.mark.parametrize("week", ["2026-W54", "2025-W53", "2026-W00", "26-W01", "2026-47"])
def test_a_week_that_does_not_exist_is_a_422_naming_it(api, method, suffix, week):
    api.login("manager")
    response = getattr(api, method)(f"/api/v1/weekly-reports/{week}{suffix}")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error" and week in error["message"]
    assert "week" in error["fields"]


@pytest.mark.parametrize("method,suffix", [("post", "/generate"), ("get", ""),
                                           ("get", "/export")])
def test_a_week_that_has_not_begun_is_refused(api, session, method, suffix):
    future = weekly.week_key(date.today() + timedelta(days=14))
    api.login("manager")
    response = getattr(api, method)(f"/api/v1/weekly-reports/{future}{suffix}")
    assert response.status_code == 422 and "还没有开始" in error_of(response)["message"]
    assert session.scalar(select(func.count()).select_from(WeeklyReport)) == 0


def test_reading_a_report_gives_figures_narrative_and_state(api, session):
    api.login("manager")
    api.post(f"{URL}/generate")
    body = api.get(URL).get_json()
    assert body["state"] == "draft" and body["state_label"] == "草稿"
    assert body["plan"].startswith("一、例行会议") and body["summary"] == ""
    assert set(body["figures"]["modules"]) >= {"consultations", "venues", "reviews"}


def test_a_module_not_built_yet_is_null_never_zeros(api, liaison_absent):
    api.login("manager")
    body = api.post(f"{URL}/generate").get_json()
    assert body["figures"]["modules"]["liaison"] is None
    assert body["figures"]["labels"]["liaison"] == "三级平台联动"


def test_a_missing_report_is_404(api):
    api.login("manager")
    response = api.get(URL)
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_supervisors_see_submitted_reports_only(api, session):
    api.login("manager")
    api.post(f"{URL}/generate")
    api.login("supervisor")
    draft = api.get(URL)
    assert draft.status_code == 404 and error_of(draft)["message"] == f"没有 {KEY} 的周报。"
    assert api.get(f"{URL}/export").status_code == 404
    assert api.post(f"{URL}/generate").status_code == 403
    _submit(session)
    body = api.get(URL).get_json()
    assert body["state"] == "submitted" and body["summary"] == "本周完成各项工作。"
    assert body["recipients"] == [{"role": "", "name": "服务发展处", "email": None}]


def test_export_answers_the_workbook(api, session):
    make_consultation(session, occurred_at=in_week(KEY, 3))
    session.commit()
    api.login("admin")
    api.post(f"{URL}/generate")
    response = api.get(f"{URL}/export")
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument"
                                 ".spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    summary = load_workbook(io.BytesIO(response.data))["周报概要"]
    row = next(r for r in summary.iter_rows(values_only=True) if r[1] == "咨询服务")
    assert row[2] == 1


@pytest.mark.parametrize("role", ["frontdesk", "reviewer", "platform", "org"])
def test_other_roles_are_refused(api, role):
    api.login(role)
    for response in (api.get(URL), api.get(f"{URL}/export"), api.post(f"{URL}/generate")):
        assert response.status_code == 403


def test_without_a_token_the_answer_is_401(client):
    assert client.get(URL).status_code == 401
    assert client.post(f"{URL}/generate").status_code == 401
