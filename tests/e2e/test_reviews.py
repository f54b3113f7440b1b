"""Browser journey of the pre-review: the front desk takes a report in and prints the receipt;
a reviewer claims the next item, is interrupted half-way through the checklist, comes back to
find the ticks still there, and returns it with reasons; then anyone, without logging in, looks
the report up by credit code and receipt number and reads the reasons and what to do.

The demo data may hold no review cycle, so this module serves its own copy of the app and adds
a cycle (and an organization to take in) through the services before the browser starts."""
import threading
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from center import create_app
from center.extensions import db
from center.services import reviews
from tests.e2e.conftest import _load_users, log_in, login_of
from tests.factories import make_organization
from tests.reviews.factories import make_cycle, pdf_bytes

ORG_NAME = "北京市东城区晨光社区服务中心"
CLAIM_NEXT = "form[action='/reviews/claim-next'] button"


def _prepare(session) -> dict:
    """A cycle taking reports today, the checklist, and an organization to take in."""
    today = reviews.today_in_center()
    year = today.year - 1
    cycle = reviews.cycle_for_year(session, year) or make_cycle(
        session, year=year, opens_on=today - timedelta(days=60),
        closes_on=today + timedelta(days=60))
    reviews.seed_return_reasons(session)
    org = make_organization(session, name=ORG_NAME)
    session.commit()
    return {"year": cycle.year, "credit_code": org.credit_code}


@pytest.fixture(scope="module")
def review_site(tmp_path_factory):
    from flask_migrate import upgrade

    path = tmp_path_factory.mktemp("e2e-reviews") / "center.db"
    app = create_app({"SECRET_KEY": "e2e-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        logins = _load_users(db.session)
        facts = _prepare(db.session)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", logins, facts
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def _log_out(page):
    page.click("form[action='/logout'] button")
    page.wait_for_load_state()


def _take_in(page, base_url, facts, tmp_path) -> str:
    """The front desk registers the report with its PDF; returns the receipt number."""
    report = tmp_path / "年度工作报告.pdf"
    report.write_bytes(pdf_bytes())
    page.goto(f"{base_url}/reviews/intake")
    page.fill("#credit_code", facts["credit_code"])
    page.set_input_files("#files", str(report))
    page.click("button:has-text('登记并打印回执')")
    page.wait_for_url("**/receipt")
    assert ORG_NAME in page.content() and "年度工作报告.pdf" in page.content()
    assert "/review-status" in page.locator("section.card").inner_text()
    return page.locator("dt:has-text('回执号') + dd").inner_text().strip()


def test_reviewer_claims_next_returns_with_reasons_and_the_public_lookup_shows_them(
        review_site, page, browser, tmp_path):
    base_url, logins, facts = review_site
    log_in(page, base_url, *login_of(logins, "frontdesk"))
    receipt_no = _take_in(page, base_url, facts, tmp_path)
    _log_out(page)

    log_in(page, base_url, *login_of(logins, "reviewer"))
    page.goto(f"{base_url}/reviews/work")
    page.click(CLAIM_NEXT)  # "领取下一份", or "再领取一份" when the demo reviewer holds one
    page.wait_for_url("**/reviews/work?id=*")
    work_url = page.url
    # The item in hand (with an otherwise empty queue, the one just taken in).
    code = page.locator("dt:has-text('统一社会信用代码') + dd").first.inner_text().strip()
    number = page.locator("dt:has-text('回执号') + dd").first.inner_text().strip()
    if code == facts["credit_code"]:
        assert number == receipt_no
        assert page.locator("a:has-text('年度工作报告.pdf')").count() == 1

    # Half-way through the checklist the phone rings; the reviewer leaves and comes back.
    page.check("input[name=reasons][value=signature_seal]")
    page.check("input[name=reasons][value=financial_statements]")
    page.fill("textarea[name=comment]", "第 3 页缺法定代表人签字；资产负债表不平衡。")
    page.goto(f"{base_url}/reviews/{work_url.rsplit('=', 1)[1]}")
    page.goto(work_url)
    assert page.is_checked("input[name=reasons][value=signature_seal]")
    assert page.is_checked("input[name=reasons][value=financial_statements]")
    assert "资产负债表不平衡" in page.input_value("textarea[name=comment]")

    page.click("button:has-text('退回修改')")
    page.wait_for_url(f"{base_url}/reviews/work")
    assert "已退回" in page.locator(".flash").inner_text()
    assert page.locator(CLAIM_NEXT).count() == 1  # one button for the next
    assert page.errors == []

    # Anyone, not logged in, looks the report up.
    public = browser.new_context(locale="zh-CN").new_page()
    errors = []
    public.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    public.goto(f"{base_url}/review-status")
    public.fill("input[name=credit_code]", code)
    public.fill("input[name=receipt_no]", number.lower())
    public.click("button:has-text('查询')")
    public.wait_for_load_state()
    status = public.locator("#review-status").inner_text()
    assert "已退回" in status
    reasons = public.locator("#return-reasons").inner_text()
    assert "缺少签字或盖章" in reasons and "财务报表不一致或缺少审计报告" in reasons
    assert "补齐法定代表人" in reasons  # what to do, not only what is wrong
    assert "资产负债表不平衡" in status
    assert errors == []
    public.context.close()
