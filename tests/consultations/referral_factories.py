"""Builders of experts, partners, referrals and frequent questions, stored directly (no
validation): make_expert, make_partner, make_referral, make_faq (session, **overrides)."""
import itertools
from datetime import datetime, timezone

from center.models.consultations import Expert, Faq, Partner, Referral
from tests.consultations.factories import make_consultation
from tests.factories import make_user

_counter = itertools.count(1)
WHEN = datetime(2026, 3, 10, 3, 0, tzinfo=timezone.utc)


def _codes(value) -> str:
    return value if isinstance(value, str) else " ".join(value)


def make_expert(session, **overrides) -> Expert:
    """By default a government mentor in policy and annual checks, consulting and training."""
    n = next(_counter)
    expert = Expert(name=overrides.pop("name", f"导师{n}"),
                    employer=overrides.pop("employer", "北京市某区民政局"),
                    sector=overrides.pop("sector", "government"),
                    fields=_codes(overrides.pop("fields", ["policy", "annual_check"])),
                    modes=_codes(overrides.pop("modes", ["consulting", "training"])),
                    created_at=overrides.pop("created_at", WHEN), **overrides)
    session.add(expert)
    session.flush()
    return expert


def make_partner(session, **overrides) -> Partner:
    """By default an accounting firm in finance, consulting and agency services."""
    n = next(_counter)
    partner = Partner(name=overrides.pop("name", f"测试会计师事务所{n}"),
                      kind=overrides.pop("kind", "会计师事务所"),
                      fields=_codes(overrides.pop("fields", ["finance"])),
                      modes=_codes(overrides.pop("modes", ["consulting", "agency"])),
                      created_at=overrides.pop("created_at", WHEN), **overrides)
    session.add(partner)
    session.flush()
    return partner


def make_referral(session, **overrides) -> Referral:
    """By default a proposed consulting referral of a new consultation to a new expert, made by
    the consultation's staff member."""
    consultation = overrides.pop("consultation", None) or make_consultation(session,
                                                                             state="referred")
    if "partner" not in overrides and "expert" not in overrides:
        overrides["expert"] = make_expert(session)
    state = overrides.pop("state", "proposed")
    referral = Referral(consultation=consultation, state=state,
                        mode=overrides.pop("mode", "consulting"),
                        created_by_id=overrides.pop("created_by", consultation.staff).id,
                        created_at=overrides.pop("created_at", WHEN),
                        accepted_at=WHEN if state in ("accepted", "done") else None,
                        closed_at=WHEN if state in ("done", "declined") else None, **overrides)
    session.add(referral)
    session.flush()
    return referral


def make_faq(session, **overrides) -> Faq:
    n = next(_counter)
    author = overrides.pop("created_by", None) or make_user(session, role="frontdesk")
    faq = Faq(topic=overrides.pop("topic", "annual_check"),
              question=overrides.pop("question", f"年检报告什么时候提交？（{n}）"),
              answer=overrides.pop("answer", "每年1月1日至5月31日通过年检系统提交。"),
              created_by_id=author.id, created_at=overrides.pop("created_at", WHEN), **overrides)
    session.add(faq)
    session.flush()
    return faq
