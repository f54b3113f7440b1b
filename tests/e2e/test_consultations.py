"""Browser journeys of the front desk: a consultation logged by keyboard alone (focus on open,
organization picked by pinyin initials with the arrow keys and Enter, topics by digit, Ctrl+Enter
saves), its draft surviving a reload, finding it by search on the list, and reusing the answer
of a similar past question."""
import itertools
import re
import time

from tests.e2e.conftest import log_in, login_of
from tests.factories import valid_credit_code

ORG_NAME = "北京协作者社会工作发展中心"  # pinyin initials bjxzzshgzfzzx
_codes = itertools.count(7_300_000)


def active_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def add_organization(page, base_url, name: str) -> None:
    """Set-up through the directory's own form (the demo data has no such organization)."""
    page.goto(f"{base_url}/organizations/new")
    page.fill("#name", name)
    page.fill("#credit_code", valid_credit_code(next(_codes), category="2"))
    page.click("form button.primary")
    page.wait_for_load_state()
    assert "/organizations/new" not in page.url, page.locator(".error").all_inner_texts()


def pick_organization(page, initials: str, name: str) -> None:
    """Type initials, move with ArrowDown until the organization is highlighted, Enter."""
    page.keyboard.type(initials)
    page.wait_for_selector("#organization-options li[role=option]")
    for _ in range(10):
        page.keyboard.press("ArrowDown")
        if page.locator("#organization-options li.active").inner_text().startswith(name):
            break
    page.keyboard.press("Enter")
    assert page.input_value("#organization_q") == name


def test_consultation_logged_by_keyboard_alone_survives_a_reload_and_is_found(live_server, page):
    base_url, logins = live_server
    log_in(page, base_url, *login_of(logins, "frontdesk"))
    add_organization(page, base_url, ORG_NAME)
    marker = f"E2E{int(time.time())}"
    question = f"年检报告逾期了还能补报吗{marker}"

    page.goto(f"{base_url}/")
    page.click("#log-consultation")
    page.wait_for_load_state()
    assert page.url == f"{base_url}/consultations/new"
    assert active_id(page) == "organization_q"  # focus on open

    pick_organization(page, "bjxzz", ORG_NAME)
    assert page.url == f"{base_url}/consultations/new"  # Enter picked, did not save
    assert page.input_value("#organization_id")
    assert ORG_NAME in page.inner_text("#organization-picked")
    page.keyboard.press("Tab")
    assert active_id(page) == "requester_name"
    page.keyboard.type("王女士")
    page.keyboard.press("Tab")
    page.keyboard.type("13800138000")
    page.keyboard.press("Tab")
    assert active_id(page) == "channel-0"
    page.keyboard.press("ArrowRight")  # 来访 → 电话
    page.keyboard.press("Tab")
    assert active_id(page) == "topics-0"  # the topics are one tab stop
    page.keyboard.press("2")  # 年检年报
    page.keyboard.press("Tab")
    assert active_id(page) == "question"
    page.keyboard.type(question)

    # Interrupted: the page is reloaded, and the draft comes back.
    page.wait_for_timeout(500)
    page.reload()
    page.wait_for_load_state()
    assert page.input_value("#question") == question
    assert page.input_value("#organization_q") == ORG_NAME and page.input_value("#organization_id")
    assert page.is_checked("#channel-1") and page.is_checked("#topics-1")
    assert "已恢复" in page.inner_text("#draft-note")

    page.focus("#question")
    page.keyboard.press("End")
    page.keyboard.press("Tab")
    assert active_id(page) == "answer"
    page.keyboard.type("可以补报，请同时提交逾期情况说明。")
    page.keyboard.press("Tab")
    assert active_id(page) == "minutes"
    page.keyboard.type("12")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(rf"{base_url}/consultations/\d+$"))

    assert "咨询已记录" in page.inner_text("main")
    assert question in page.inner_text("#question")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('consultation-draft'))"
                         ) == []
    page.goto(f"{base_url}/consultations/new")  # a fresh form, not the old draft
    assert page.input_value("#question") == ""

    page.goto(f"{base_url}/consultations?q={marker}")
    assert question in page.inner_text("main")
    page.goto(f"{base_url}/consultations?q=还能补报")  # a fragment of Chinese words finds it too
    assert question in page.inner_text("main")
    assert page.errors == []


def test_bad_input_is_shown_beside_fields_and_typed_text_stays(live_server, page):
    base_url, logins = live_server
    log_in(page, base_url, *login_of(logins, "frontdesk"))
    page.goto(f"{base_url}/consultations/new")
    page.keyboard.type("不存在的组织名称ABC")
    page.fill("#question", "<script>window.hacked = 1</script>怎么办")
    page.check("#state-1")  # follow-up, but no date
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert page.locator(".has-error").count() >= 3  # organization, topics, minutes, date
    assert page.input_value("#question") == "<script>window.hacked = 1</script>怎么办"
    assert page.evaluate("window.hacked") is None
    assert active_id(page) == "organization_q"  # the first problem has the focus
    page.evaluate("localStorage.clear()")


def test_answer_of_a_similar_past_question_is_copied_into_the_answer(live_server, page):
    base_url, logins = live_server
    log_in(page, base_url, *login_of(logins, "frontdesk"))
    page.goto(f"{base_url}/consultations/new")
    page.fill("#requester_name", "赵先生")
    page.check("#topics-3")
    page.fill("#question", "理事会换届选举需要提前多久向登记管理机关报告？")
    page.fill("#answer", "换届前一个月向登记管理机关报送换届方案。")
    page.fill("#minutes", "6")
    page.click("form#consultation-form button.primary")
    page.wait_for_url(re.compile(rf"{base_url}/consultations/\d+$"))

    page.goto(f"{base_url}/consultations/new")
    page.fill("#requester_name", "钱女士")
    page.focus("#question")
    page.keyboard.type("我们要换届选举，提前多久报告？")
    suggestion = page.locator("li.suggestion", has_text="理事会换届选举需要提前多久")
    suggestion.wait_for()
    suggestion.locator("button.use-answer").focus()
    page.keyboard.press("Enter")
    assert page.input_value("#answer") == "换届前一个月向登记管理机关报送换届方案。"
    assert active_id(page) == "answer"
    page.evaluate("localStorage.clear()")
    assert page.errors == []
