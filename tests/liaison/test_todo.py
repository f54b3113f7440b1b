"""A platform's home page counts what waits for it: matches and referrals to answer, its
drafts and its open joint-meeting decisions; each count only for the side that must act."""
import re
from datetime import date

from center.models.liaison import JointMeeting, MeetingDecision
from center.reports.liaison_todo import platform_todo
from center.services import liaison, liaison_matches as matches, liaison_referrals as referrals
from tests.factories import make_organization, make_platform, make_region, make_user


def _post(session, user, **data):
    data = {"kind": "offer", "category": "trainer", "title": "财务培训讲师", **data}
    publish = data.pop("publish", True)
    return liaison.create_post(session, data, actor=user, publish=publish)


def test_what_waits_is_counted_for_the_side_that_must_act(session, client, auth):
    city = make_region(session, tier="city")
    district = make_region(session, tier="district", parent=city)
    street = make_region(session, tier="street", parent=district)
    asking = make_platform(session, region=street)
    offering = make_platform(session, region=district)
    asker = make_user(session, role="platform", platform=asking)
    offerer = make_user(session, role="platform", platform=offering)
    center = make_user(session, role="frontdesk")
    org = make_organization(session)
    session.commit()
    need = _post(session, asker, kind="need", title="需要财务培训讲师")
    offer = _post(session, offerer)
    _post(session, offerer, title="还没写完的资源", publish=False)
    matches.propose(session, need=need, offer=offer, actor=asker)  # the offer's side answers
    second = _post(session, offerer, title="另一位讲师")
    matches.propose(session, need=need, offer=second, actor=center)  # center: the offer's side
    referrals.create_referral(session, {"organization_id": org.id, "to_platform_id": offering.id,
                                        "reason": "需要场地支持"}, actor=asker)
    meeting = JointMeeting(year=2026, quarter=4, held_on=date(2026, 11, 20), agenda="")
    session.add(meeting)
    session.flush()
    due = date(2026, 12, 10)
    session.add_all([
        MeetingDecision(meeting=meeting, text="整理讲师名单", owner_platform_id=offering.id,
                        due_on=due),
        MeetingDecision(meeting=meeting, text="已完成的", owner_platform_id=offering.id,
                        due_on=due, done_at=meeting.created_at)])
    session.commit()

    todo = platform_todo(session, offering.id)
    assert (todo.matches_to_answer, todo.referrals_to_answer, todo.drafts,
            todo.open_decisions) == (2, 1, 1, 1)
    mine = platform_todo(session, asking.id)
    assert (mine.matches_to_answer, mine.referrals_to_answer, mine.drafts,
            mine.open_decisions) == (0, 0, 0, 0)

    auth.login(offerer)
    html = client.get("/").get_data(as_text=True)
    todo = html[html.index('id="platform-todo"'):]
    assert re.search(r"待本平台确认的对接</a>：\s*<span class=\"badge warn\">2</span>", todo)
    assert re.search(r"待本平台接收的转介</a>：\s*<span class=\"badge warn\">1</span>", todo)
