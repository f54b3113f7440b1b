"""Demo consultations: the expert pool, the resource union, recent weeks of front-desk
consultations with their follow-ups, evaluations and referrals, and frequent questions.

Deterministic like the rest of the demo data (seeded generators, fixed order; the dates follow
`now`). Experts and partners missing by name are added on every run; consultations, referrals and
frequent questions only when there are no consultations yet, so a rerun adds nothing.
Each consultation passes the service's validation, and is then written with core INSERTs, like
the demo organizations: the audit log does not record a bulk demo load, and the search tokens
that the ORM's flush hook would compute are computed here (`consultation_row`). The benchmark
(bench/consultations_data.py) writes its volumes with the same functions.
"""
import random
from datetime import datetime, time, timedelta

from sqlalchemy import insert, select

from center.models.accounts import User
from center.models.base import utcnow
from center.models.consultations import (Consultation, ConsultationTopic, Expert, Faq, Partner,
                                         Referral)
from center.models.directory import Organization
from center.services import audit, calendar, consultations
from center.services.demo_consultation_data import (DISTRICTS, ENTRIES, GIVEN, PARTNERS,
                                                    SECTORS, SURNAMES, WORDS, compose,
                                                    entry_topics)
from center.services.textsearch import index_text
from center.services.venue_rules import CENTER_TZ

CONSULTATIONS_PER_SCALE = 300
MAX_SCALE = 10  # the benchmark builds larger volumes itself (bench/consultations_data.py)
DAYS = 42  # six weeks back from today
BATCH = 5000
TOPIC_WEIGHTS = {"annual_check": 22, "policy": 18, "finance": 16, "project": 12,
                 "governance": 10, "hr": 6, "fundraising": 6, "party_building": 5, "other": 3,
                 "wellbeing": 2}
CHANNEL_MINUTES = {"phone": (45, 5, 25), "visit": (25, 15, 60), "wechat": (20, 5, 20),
                   "online": (10, 10, 40)}  # weight, fewest and most minutes
STATE_WEIGHTS = {"resolved": 72, "follow_up": 18, "referred": 10}
STAFF_WEIGHTS = {"frontdesk": 75, "manager": 18, "admin": 7}
SATISFACTION_WEIGHTS = {5: 50, 4: 32, 3: 12, 2: 4, 1: 2}
OUTCOMES = ["机构按要求完成了办理。", "问题已解决，对方表示满意。", "按指导补交了材料，已通过。",
            "对方已按建议调整了做法。", "对方认为答复清楚，后续无需跟进。"]
FOLLOW_UP_OUTCOMES = ["已电话回复，对方确认问题解决。", "已把材料清单发给对方，对方已按时提交。",
                      "与登记窗口核实后答复了对方。", "对方已预约专家面谈。"]


def add_consultation_data(session, *, scale: int = 1, now: datetime | None = None) -> int:
    """Experts, partners and, on a database without consultations, the rest; returns the
    number of consultations added."""
    now = now or utcnow()
    audit.acting(session, None)
    experts, partners = _add_experts(session), _add_partners(session)
    staff = _staff(session)
    if session.scalar(select(Consultation.id).limit(1)) is not None or not staff:
        return 0
    loaded = session.scalars(select(Organization).where(Organization.archived_at.is_(None))
                             .order_by(Organization.credit_code).limit(200)).all()
    rows = _consultation_rows(session, staff, [(org.id, org.field) for org in loaded],
                              count=CONSULTATIONS_PER_SCALE * min(scale, MAX_SCALE), now=now)
    insert_consultations(session, rows)
    _add_referrals(session, rows, experts, partners, now=now)
    _add_faqs(session, rows, staff)
    return len(rows)


# --- experts and partners --------------------------------------------------------------------

def expert_rows() -> list[dict]:
    """The 135 experts of the pool, from government, NGOs, business and academia."""
    rng = random.Random("demo-experts")
    rows, names = [], set()
    for sector, (count, profiles) in SECTORS.items():
        for _ in range(count):
            title, employer, fields, modes = rng.choice(profiles).split("|")
            fields, modes = fields.split(), modes.split()
            rows.append({
                "name": _unique_person(rng, names), "sector": sector, "title": title,
                "employer": employer.format(district=rng.choice(DISTRICTS),
                                            word=rng.choice(WORDS)),
                "fields": " ".join(rng.sample(fields, rng.randint(1, len(fields)))),
                "modes": " ".join(rng.sample(modes, rng.randint(1, len(modes)))),
                "phone": _mobile(rng), "email": f"expert{len(rows) + 1:03d}@example.org"})
    return rows


def _unique_person(rng, taken) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2, 2))))
        if name not in taken:
            taken.add(name)
            return name


def _mobile(rng) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _add_experts(session) -> list[Expert]:
    existing = {e.name: e for e in session.scalars(select(Expert))}
    for row in expert_rows():
        if row["name"] not in existing:
            existing[row["name"]] = Expert(**row)
            session.add(existing[row["name"]])
    session.flush()
    return sorted(existing.values(), key=lambda e: e.name)


def _add_partners(session) -> list[Partner]:
    existing = {p.name: p for p in session.scalars(select(Partner))}
    for name, kind, fields, modes, description in PARTNERS:
        if name not in existing:
            existing[name] = Partner(name=name, kind=kind, fields=fields, modes=modes,
                                     description=description)
            session.add(existing[name])
    session.flush()
    return sorted(existing.values(), key=lambda p: p.name)


def _staff(session) -> dict[str, User]:
    """The first active user of each staff role (the demo's admin, manager and frontdesk)."""
    found: dict[str, User] = {}
    for user in session.scalars(select(User).where(User.role.in_(STAFF_WEIGHTS), User.is_active)
                                .order_by(User.id)):
        found.setdefault(user.role, user)
    return found


# --- consultations ---------------------------------------------------------------------------

def _consultation_rows(session, staff, orgs, *, count, now) -> list[dict]:
    rng = random.Random("demo-consultations")
    today = consultations.center_today(now)
    days = [d.day for d in calendar.days_between(session, today - timedelta(days=DAYS), today)
            if d.is_workday and _opening(d.day) + timedelta(minutes=30) < now]
    roles = [role for role in STAFF_WEIGHTS if role in staff]
    staff_ids = [staff[role].id for role in roles]
    weights = [STAFF_WEIGHTS[role] for role in roles]
    rows = []
    for n in range(count):
        occurred = _moment(rng, days[n * len(days) // count], now)
        row = consultation_row(rng, orgs, rng.choices(staff_ids, weights)[0], occurred,
                               today=today, now=now)
        consultations.validated(session, row, now=now)  # only what staff could have logged
        rows.append(row)
    _one_due_today(rows, staff.get("frontdesk"), today)
    return rows


def _opening(day) -> datetime:
    return datetime.combine(day, time(9), CENTER_TZ)


def _moment(rng, day, now) -> datetime:
    """A time of the working day (09:00–17:30), today only before now."""
    minutes = min(8 * 60 + 30, int((now - _opening(day)).total_seconds() // 60) - 20)
    return _opening(day) + timedelta(minutes=rng.randrange(minutes))


def consultation_row(rng, orgs, staff_id, occurred, *, today, now,
                     topic_weights=TOPIC_WEIGHTS) -> dict:
    """One consultation as a row (with its `topics`), on `occurred` (UTC-aware) by a staff
    member, from one of `orgs` ((id, field) pairs) or an individual; follow-ups due before
    `today` mostly closed, half of what is resolved evaluated."""
    entry = rng.choice(ENTRIES[rng.choices(list(topic_weights), list(topic_weights.values()))[0]])
    org_id, field = rng.choice(orgs) if orgs and rng.random() < 0.82 else (None, None)
    question, answer = compose(rng, entry, field=field)
    channel = rng.choices(list(CHANNEL_MINUTES), [w for w, _a, _b in CHANNEL_MINUTES.values()])[0]
    state = rng.choices(list(STATE_WEIGHTS), list(STATE_WEIGHTS.values()))[0]
    person = rng.choice(SURNAMES) + rng.choice(("女士", "先生")) if org_id is None else None
    logged = min(occurred + timedelta(minutes=rng.randint(1, 20)), now)
    row = {"occurred_at": occurred, "created_at": logged, "channel": channel,
           "organization_id": org_id, "requester_name": person,
           "requester_phone": _mobile(rng) if person else None, "question": question,
           "answer": answer, "minutes": rng.randint(*CHANNEL_MINUTES[channel][1:]),
           "state": state, "staff_id": staff_id, "topics": entry_topics(entry),
           "follow_up_on": None, "follow_up_closed_at": None, "follow_up_closed_by_id": None,
           "follow_up_outcome": None, "satisfaction": None, "outcome": None,
           "evaluated_at": None, "search_text": index_text(question, answer, person)}
    if state == "follow_up":
        _follow_up(rng, row, today, now)
    if row["state"] == "resolved" and rng.random() < 0.5:
        row.update(satisfaction=rng.choices(list(SATISFACTION_WEIGHTS),
                                            list(SATISFACTION_WEIGHTS.values()))[0],
                   outcome=rng.choice(OUTCOMES), evaluated_at=min(occurred + timedelta(days=2),
                                                                  now))
    return row


def _follow_up(rng, row, today, now) -> None:
    """A follow-up date some days later; closed on that day (as resolved) most of the time
    when it has passed, as `close_follow_up` would."""
    due = row["occurred_at"].astimezone(CENTER_TZ).date() + timedelta(days=rng.randint(1, 10))
    row["follow_up_on"] = due
    if due < today and rng.random() < 0.75:
        row.update(state="resolved", follow_up_on=None,
                   follow_up_closed_at=min(datetime.combine(due, time(15), CENTER_TZ), now),
                   follow_up_closed_by_id=row["staff_id"],
                   follow_up_outcome=rng.choice(FOLLOW_UP_OUTCOMES))


def _one_due_today(rows, user, today) -> None:
    """The front desk's home page shows follow-ups due today: make sure there is one."""
    mine = [r for r in rows if user is not None and r["staff_id"] == user.id
            and r["state"] == "follow_up"]
    if mine and not any(r["follow_up_on"] == today for r in mine):
        later = [r for r in mine if r["follow_up_on"] > today] or mine
        later[0]["follow_up_on"] = today


def insert_consultations(session, rows: list[dict]) -> None:
    """Core INSERTs of consultation rows and their topics, in batches; sets each row's `id`."""
    table = Consultation.__table__
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        values = [{k: v for k, v in row.items() if k != "topics"} for row in batch]
        ids = session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                              values).all()
        topics = []
        for row, row_id in zip(batch, ids):
            row["id"] = row_id
            topics.extend({"consultation_id": row_id, "topic": t} for t in row["topics"])
        session.execute(insert(ConsultationTopic.__table__), topics)


# --- referrals and frequent questions --------------------------------------------------------

# By age: the oldest third mostly done, the middle accepted or done, the newest proposed.
REFERRAL_STATES = (("done", "done", "declined"), ("accepted", "done", "accepted"),
                   ("proposed", "accepted", "proposed"))
REFERRAL_OUTCOMES = {"done": "专家已与机构面谈，问题已解决。",
                     "declined": "专家近期时间冲突，建议转介其他专家。"}


def _add_referrals(session, rows, experts, partners, *, now) -> None:
    """Each referred consultation goes to an expert (or partner) whose fields meet its topics."""
    rng = random.Random("demo-referrals")
    referred = [r for r in rows if r["state"] == "referred"]
    values = []
    for n, row in enumerate(referred):
        state = REFERRAL_STATES[3 * n // len(referred)][n % 3]
        pool = partners if rng.random() < 0.25 else experts
        target = rng.choice([t for t in pool if set(row["topics"]) & set(t.field_list)] or pool)
        created = row["created_at"] + timedelta(minutes=30)
        values.append({
            "consultation_id": row["id"], "mode": rng.choice(target.mode_list),
            "expert_id": target.id if isinstance(target, Expert) else None,
            "partner_id": target.id if isinstance(target, Partner) else None, "state": state,
            "note": "请协助解答：" + row["question"][:60], "created_by_id": row["staff_id"],
            "created_at": created, "outcome": REFERRAL_OUTCOMES.get(state),
            "accepted_at": created + timedelta(days=1) if state in ("accepted", "done") else None,
            "closed_at": min(created + timedelta(days=5), now)
            if state in ("done", "declined") else None})
    if values:
        session.execute(insert(Referral.__table__), values)


def _add_faqs(session, rows, staff) -> None:
    """Two vetted questions per topic, each promoted from a consultation that asked it."""
    author = staff.get("manager") or next(iter(staff.values()))
    for topic, entries in ENTRIES.items():
        for _topics, question, answer in entries[:2]:
            source = next((r["id"] for r in rows if r["question"].endswith(question)), None)
            session.add(Faq(topic=topic, question=question, answer=answer,
                            source_consultation_id=source, created_by_id=author.id))
    audit.acting(session, author)
    session.flush()
