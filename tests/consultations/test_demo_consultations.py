"""The demo consultations: deterministic, realistic, valid, idempotent, and in every state the
pages need (open and overdue follow-ups, evaluations, referrals in each state, FAQs)."""
import hashlib
from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import func, select

from center.extensions import db
from center.models.accounts import User
from center.models.audit import AuditEntry
from center.models.consultations import (SECTOR_LABELS, Consultation, Expert, Faq, Partner,
                                         Referral, ServiceMode)
from center.services import calendar, consultations, demo, demo_consultations, textsearch
from center.services.venue_rules import CENTER_TZ

NOW = datetime(2026, 3, 18, 7, 0, tzinfo=timezone.utc)  # Wednesday 15:00 in Beijing
TODAY = date(2026, 3, 18)
TOPICS = set(consultations.TOPICS)
MODES = {m.value for m in ServiceMode}


@pytest.fixture
def built(session, monkeypatch):
    monkeypatch.setattr(demo_consultations, "utcnow", lambda: NOW)
    demo.build(session, scale=1)
    session.commit()
    return session


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _digest(session) -> str:
    """A fingerprint of the consultations, experts and referrals that ignores database ids."""
    rows = [(c.occurred_at.isoformat(), c.channel, c.requester_label, " ".join(c.topics),
             c.question, c.answer, c.minutes, c.state, c.follow_up_on, c.satisfaction,
             c.staff.username, [(r.target_name, r.mode, r.state) for r in c.referrals])
            for c in session.scalars(select(Consultation).order_by(Consultation.occurred_at,
                                                                   Consultation.question))]
    experts = session.execute(select(Expert.name, Expert.employer, Expert.fields, Expert.modes)
                              .order_by(Expert.name)).all()
    faqs = session.execute(select(Faq.topic, Faq.question).order_by(Faq.question)).all()
    return hashlib.sha256(repr((rows, experts, faqs)).encode()).hexdigest()


def test_demo_consultations_are_the_same_on_a_fresh_database(built):
    first = _digest(built)
    for table in reversed(db.metadata.sorted_tables):
        built.execute(table.delete())
    built.commit()
    demo.build(built, scale=1)
    built.commit()
    assert _digest(built) == first


def test_a_rerun_adds_nothing(built):
    models = (Consultation, Expert, Partner, Referral, Faq, AuditEntry)
    counts = [_count(built, m) for m in models]
    demo.build(built, scale=1)
    built.commit()
    assert [_count(built, m) for m in models] == counts


def test_volumes_match_the_center(built):
    assert _count(built, Consultation) == demo_consultations.CONSULTATIONS_PER_SCALE
    assert _count(built, Expert) == 135
    assert 18 <= _count(built, Partner) <= 25
    sectors = dict(built.execute(select(Expert.sector, func.count()).group_by(Expert.sector)).all())
    assert set(sectors) == set(SECTOR_LABELS) and min(sectors.values()) >= 15
    assert len(set(built.scalars(select(Expert.name)))) == 135


def test_consultations_are_recent_working_hours_on_working_days(built):
    workdays = {d.day for d in calendar.days_between(built, date(2026, 1, 1), TODAY)
                if d.is_workday}
    for c in built.scalars(select(Consultation)):
        local = c.occurred_at.astimezone(CENTER_TZ)
        assert local.date() in workdays and (TODAY - local.date()).days <= 42, local
        assert time(9) <= local.time() <= time(17, 30) and c.occurred_at < NOW, local
        assert c.created_at >= c.occurred_at


def test_every_consultation_passes_the_services_validation(built):
    for c in built.scalars(select(Consultation)):
        consultations.validated(built, {
            "channel": c.channel, "organization_id": c.organization_id,
            "requester_name": c.requester_name, "requester_phone": c.requester_phone,
            "topics": c.topics, "question": c.question, "answer": c.answer,
            "minutes": c.minutes, "state": c.state, "follow_up_on": c.follow_up_on})
        assert set(c.topics) <= TOPICS and c.topics
        assert any("\u4e00" <= ch <= "\u9fff" for ch in c.question)


def test_the_data_covers_what_the_pages_show(built):
    cs = built.scalars(select(Consultation)).all()
    assert {c.channel for c in cs} == set(consultations.CHANNELS)
    assert {t for c in cs for t in c.topics} == TOPICS
    assert {c.state for c in cs} == set(consultations.STATES)
    assert sum(c.organization_id is None for c in cs) >= 20  # individuals too
    assert any(c.follow_up_closed_at for c in cs) and any(c.satisfaction for c in cs)
    frontdesk = built.scalar(select(User).where(User.username == "frontdesk"))
    due = built.scalars(consultations.follow_ups_due(built, staff=frontdesk, today=TODAY)).all()
    assert any(c.follow_up_on == TODAY for c in due)
    assert built.scalars(consultations.follow_ups_due(built, today=TODAY,
                                                      overdue_only=True)).first()


def test_referrals_in_every_state_go_to_matching_experts_or_partners(built):
    referrals = built.scalars(select(Referral)).all()
    assert {r.state for r in referrals} == {"proposed", "accepted", "done", "declined"}
    for r in referrals:
        assert r.consultation.state == "referred" and r.mode in MODES
        target = r.expert or r.partner
        assert r.mode in target.mode_list
        assert (r.closed_at is not None) == (r.state in ("done", "declined"))
        assert set(r.consultation.topics) & set(target.field_list), r.consultation.topics


def test_experts_and_partners_use_known_fields_and_all_eight_modes(built):
    people = [*built.scalars(select(Expert)), *built.scalars(select(Partner))]
    for person in people:
        assert person.field_list and set(person.field_list) <= TOPICS, person.name
        assert person.mode_list and set(person.mode_list) <= MODES, person.name
    assert {m for p in people for m in p.mode_list} == MODES


def test_faqs_cover_every_topic_and_come_from_consultations(built):
    faqs = built.scalars(select(Faq)).all()
    assert {f.topic for f in faqs} == TOPICS
    assert sum(f.source_consultation_id is not None for f in faqs) >= len(faqs) // 2


def test_search_finds_demo_consultations_by_part_of_a_word(built):
    def found(q):
        return built.scalar(select(func.count()).select_from(Consultation)
                            .where(textsearch.contains("consultations", q)))
    assert found("年度工作报告") > 5
    assert 0 < found("审计") < found("的")
    assert found("区块链") == 0


def test_bench_builder_adds_searchable_consultations_once(built):
    from bench.consultations_data import load_consultation_data, term_counts
    loaded = load_consultation_data(built, consultations=500, years=1, now=NOW)
    assert (loaded["consultations"], loaded["added"]) == (500, 200)
    again = load_consultation_data(built, consultations=500, years=1, now=NOW)
    assert (again["consultations"], again["added"]) == (500, 0)
    for c in built.scalars(select(Consultation).order_by(Consultation.id.desc()).limit(200)):
        assert c.search_text == textsearch.index_text(c.question, c.answer, c.requester_name)
        assert c.topics and c.occurred_at < NOW
    counts = term_counts(built, ["年检", "区块链"])
    assert counts["年检"] > 20 and counts["区块链"] == 0


def test_bench_scenario_urls_answer(auth, built):
    from bench import scenarios
    auth.login("frontdesk")
    for i in range(len(scenarios.KEYSTROKES)):
        response = auth.client.get(scenarios._suggest(i, {}))
        assert response.status_code == 200 and response.is_json
    assert auth.client.get(scenarios._suggest(1, {})).get_json()["items"]  # 朝阳
    for i in range(8):
        assert auth.client.get(scenarios._consultation_page(i, {})).status_code == 200
