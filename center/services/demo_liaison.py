"""Demo liaison data (平台联动): a few dozen needs and offers of the demo platforms, matches in
every state, last quarter's joint meeting with its decisions, and referrals between platforms.

The demo platform user (朝阳区's platform) finds something to do: a match the center proposed to
its offer waiting for its acceptance, a referral waiting to be received, its own draft, and an
open decision of the joint meeting. Posts go through the real service (`create_post`, as the
center's front desk for the other platforms, as the platform user for 朝阳区's own), so their
search tokens and audit entries are real; matches, the meeting and referrals are stored as rows
in the state their story has reached (the other platforms have no demo users to act for them).
Deterministic (one seeded generator, dates counted from `now`); a second run adds nothing.
"""
import random
from datetime import datetime, timedelta

from sqlalchemy import select

from center.models.accounts import User
from center.models.base import utcnow
from center.models.directory import Organization, Platform
from center.models.liaison import (JointMeeting, Match, MeetingAttendance, MeetingDecision,
                                   PlatformReferral, Post)
from center.services import audit, calendar, liaison, liaison_matches
from center.services.liaison import today_in_center

# (kind, category, title, description, quantity)
POSTS = [
    ("need", "trainer", "社会组织财务管理培训讲师", "为辖区社区社会组织负责人讲授财务管理与票据规范，半天课程。", 1),
    ("offer", "trainer", "财务管理与审计培训讲师", "注册会计师志愿讲师，可讲财务管理、年度审计与票据规范。", 2),
    ("need", "trainer", "项目申报书写作辅导", "协助社会组织撰写公益创投项目申报书，需辅导老师。", 2),
    ("offer", "trainer", "公益项目设计与申报书写作讲师", "有多年公益创投评审经验，可讲项目设计与申报书写作。", 1),
    ("need", "venue", "周末活动场地", "社区社会组织开展亲子阅读活动，需要可容纳40人的场地。", 1),
    ("offer", "venue", "孵化基地多功能厅", "可容纳60人，配投影和音响，工作日及周末白天开放。", 1),
    ("offer", "venue", "服务站会议室", "可容纳20人，适合小组会议和培训，需提前三天预约。", 1),
    ("need", "visit", "参观学习优秀孵化基地", "组织街道社会组织骨干参观学习孵化基地运营经验。", 25),
    ("offer", "visit", "孵化基地开放日参访", "每月一次开放日，介绍入驻组织培育和社区营造经验。", 30),
    ("need", "funding", "为老服务项目配套资金", "社区居家养老助餐项目需要配套资金支持。", None),
    ("offer", "funding", "社区公益微创投资金", "面向社区社会组织的小额资助，每个项目不超过两万元。", 10),
    ("need", "volunteer", "助残活动志愿者", "残疾人康复活动需要志愿者协助引导和陪伴。", 15),
    ("offer", "volunteer", "高校志愿者服务队", "高校社工专业学生志愿者，可参与周末社区服务。", 20),
    ("need", "course", "社区社会组织党建课程", "为新成立的社区社会组织开设党建工作入门课程。", 1),
    ("offer", "course", "社会组织规范化建设系列课程", "涵盖章程、换届、年检和信息公开的系列课程。", 6),
    ("need", "other", "社会组织信息公开指导", "协助辖区社会组织完成年度信息公开。", None),
    ("offer", "other", "法律咨询服务", "律师事务所志愿律师，每月提供一次法律咨询。", 4),
    ("need", "volunteer", "垃圾分类宣传志愿者", "社区垃圾分类宣传周需要志愿者值守。", 10),
]
DECISIONS = [("整理各区可共享的师资名单，下次会议前发送各成员平台。", -10, True),
             ("建立场地共享预约机制，先在三个区试点。", 20, False),
             ("统计各街道未对接需求，形成清单报市中心。", -3, False)]
REFERRALS = [("该组织计划开展跨区养老服务项目，需区级平台提供场地和资源对接。", "proposed"),
             ("组织希望申请市级公益创投项目，转介市中心辅导。", "accepted"),
             ("协助该组织完成换届选举，已由接收平台指导办结。", "completed"),
             ("组织搬迁至其他区，转介所在区平台跟进服务。", "expired")]


def add_liaison(session, *, now: datetime | None = None) -> int:
    """The demo's liaison data; returns how many posts it added (0 when posts exist)."""
    if session.scalar(select(Post.id).limit(1)) is not None:
        return 0
    now = now or utcnow()
    front_desk = session.scalar(select(User).where(User.role == "frontdesk").order_by(User.id))
    own_user = session.scalar(select(User).where(User.role == "platform").order_by(User.id))
    platforms = session.scalars(select(Platform).where(Platform.archived_at.is_(None))
                                .order_by(Platform.id)).all()
    if front_desk is None or own_user is None or len(platforms) < 4:
        return 0
    rng = random.Random("demo-liaison")
    posts = _add_posts(session, rng, platforms, own_user, front_desk, now)
    _add_matches(session, rng, posts, own_user, front_desk, now)
    _add_meeting(session, platforms, own_user.platform, front_desk, now)
    _add_referrals(session, platforms, own_user.platform, front_desk, now)
    session.flush()
    return len(posts)


def _add_posts(session, rng, platforms, own_user, front_desk, now) -> list[Post]:
    """Every template twice, by different platforms (朝阳区's own among them); a few drafts."""
    today = today_in_center(now)
    own = own_user.platform
    others = [p for p in platforms if p.id != own.id]
    posts = []
    for round_ in range(2):
        for n, (kind, category, title, description, quantity) in enumerate(POSTS):
            platform = own if (n + round_) % 6 == 0 else rng.choice(others)
            starts = today + timedelta(days=rng.randrange(5, 40))
            data = {"kind": kind, "category": category, "title": title,
                    "description": description, "quantity": quantity,
                    "starts_on": starts,
                    "ends_on": starts + timedelta(days=rng.choice((14, 30, 60))),
                    "expires_on": starts + timedelta(days=90),
                    "contact_name": platform.contact_name,
                    "contact_phone": platform.contact_phone}
            actor = own_user if platform.id == own.id else front_desk
            publish = not (round_ == 1 and n % 7 == 3)
            posts.append(liaison.create_post(
                session, data, actor=actor, platform_id=platform.id, publish=publish,
                now=now - timedelta(days=rng.randrange(1, 20), minutes=rng.randrange(600))))
    return posts


def _add_matches(session, rng, posts, own_user, front_desk, now) -> None:
    """For each need its best offer of another platform, the story moved on by turns: waiting,
    accepted, completed, declined; the center's proposals to 朝阳区's offers wait for it."""
    own_id = own_user.platform_id
    audit.acting(session, front_desk)
    states = ("proposed", "accepted", "completed", "declined", "accepted", "proposed")
    for n, need in enumerate(p for p in posts if p.kind == "need" and p.state == "published"):
        ranked = [r for r in liaison_matches.ranked_offers(session, need, limit=10, now=now)
                  if r.offer.platform_id != need.platform_id]
        if not ranked:
            continue
        best = ranked[0]
        state = "proposed" if best.offer.platform_id == own_id else states[n % len(states)]
        by_need = need.platform_id == own_id or n % 2 == 0
        match = Match(need=need, offer=best.offer, state=state, score=best.score,
                      reason=best.reason, note="请双方平台联系人对接具体时间。",
                      proposed_by_platform_id=need.platform_id if by_need else None,
                      proposed_by_id=own_user.id if need.platform_id == own_id
                      else front_desk.id,
                      created_at=now - timedelta(days=rng.randrange(3, 10)))
        if best.offer.platform_id == own_id:
            match.proposed_by_platform_id, match.proposed_by_id = None, front_desk.id
        if state != "proposed":
            match.decided_at = match.created_at + timedelta(days=1)
        if state == "completed":
            match.completed_at, match.outcome = now - timedelta(days=1), "活动已举办，效果良好。"
        if state == "declined":
            match.outcome = "时间安排不开，暂不对接。"
        if state in ("accepted", "completed"):
            need.state = "matched"
        session.add(match)
        session.flush()


def _add_meeting(session, platforms, own, front_desk, now) -> None:
    """Last quarter's joint meeting: the member platforms, the chair by rotation, decisions."""
    today = today_in_center(now)
    year, quarter = (today.year, (today.month - 1) // 3) if today.month > 3 else (
        today.year - 1, 4)
    members = sorted((p for p in platforms if p.is_joint_member),
                     key=lambda p: p.rotation_order or 0) or platforms[:5]
    held_on = today - timedelta(days=today.day + 40)
    audit.acting(session, front_desk)
    meeting = JointMeeting(
        year=year, quarter=quarter, held_on=held_on, location="市社会组织发展服务中心三层会议室",
        chair=members[quarter % len(members)],
        agenda="一、通报本季度需求与资源对接情况\n二、未对接需求逐项研究\n三、场地共享机制讨论",
        minutes="各成员平台通报了本季度对接情况，对未对接的需求逐项研究，明确了责任平台和完成时限。")
    for n, platform in enumerate(members):
        meeting.attendance.append(MeetingAttendance(platform=platform, attended=n % 4 != 3,
                                                    representative=platform.contact_name))
    session.add(meeting)
    for n, (text, due_in, done) in enumerate(DECISIONS):
        owner = own if n == 2 else members[n % len(members)]
        session.add(MeetingDecision(
            meeting=meeting, text=text, owner_platform=owner, due_on=today + timedelta(due_in),
            done_at=now - timedelta(days=12) if done else None,
            done_note="名单已发送。" if done else None))


def _add_referrals(session, platforms, own, front_desk, now) -> None:
    """Referrals to and from 朝阳区's platform and to the city center, in each state."""
    today = today_in_center(now)
    organizations = session.scalars(select(Organization).where(
        Organization.district_id == own.region_id).order_by(Organization.id).limit(4)).all() \
        or session.scalars(select(Organization).order_by(Organization.id).limit(4)).all()
    streets = [p for p in platforms if p.tier == "street" and p.id != own.id] or [
        p for p in platforms if p.id != own.id]
    district = next((p for p in platforms if p.tier == "district" and p.id != own.id), streets[0])
    audit.acting(session, front_desk)
    for n, ((reason, state), org) in enumerate(zip(REFERRALS, organizations)):
        sides = [(streets[0], own), (own, None), (streets[-1], own), (own, district)][n]
        created = now - timedelta(days=3 + 9 * n)
        accept_by = calendar.add_working_days(session, created.date(), 5).day
        if state == "proposed":
            accept_by = max(accept_by, today + timedelta(days=3))
        session.add(PlatformReferral(
            organization=org, from_platform=sides[0], to_platform=sides[1], reason=reason,
            accept_by=accept_by, state=state, created_by_id=front_desk.id, created_at=created,
            decided_at=created + timedelta(days=1) if state in ("accepted", "completed") else None,
            closed_at=now - timedelta(days=2) if state in ("completed", "expired") else None,
            outcome="已指导完成换届，材料已报登记管理机关。" if state == "completed" else None))
