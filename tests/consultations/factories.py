"""make_consultation(session, **overrides): a consultation stored directly (no validation), by
default a resolved phone call about policy from a new organization, logged by a new frontdesk
user. Pass `staff=`, `organization=` (or `organization=None, requester_name=...`), `topics=`,
`state=`, `follow_up_on=`, `occurred_at=` and any other column to change it."""
import itertools
from datetime import datetime, timezone

from center.models.consultations import Consultation
from tests.factories import make_organization, make_user

_counter = itertools.count(1)


def make_consultation(session, **overrides) -> Consultation:
    n = next(_counter)
    staff = overrides.pop("staff", None) or make_user(session, role="frontdesk")
    if "organization" in overrides:
        organization = overrides.pop("organization")
    elif overrides.get("requester_name"):
        organization = None
    else:
        organization = make_organization(session)
    topics = overrides.pop("topics", ["policy"])
    occurred_at = overrides.pop("occurred_at", datetime(2026, 3, 10, 2, 30, tzinfo=timezone.utc))
    state = overrides.pop("state", "resolved")
    consultation = Consultation(
        staff_id=staff.id, organization=organization, channel=overrides.pop("channel", "phone"),
        question=overrides.pop("question", f"测试咨询问题{n}：如何办理社会团体变更登记？"),
        answer=overrides.pop("answer", "请携带章程修改稿和理事会决议到登记窗口办理。"),
        minutes=overrides.pop("minutes", 10), state=state,
        follow_up_on=overrides.pop("follow_up_on", None),
        occurred_at=occurred_at, created_at=overrides.pop("created_at", occurred_at),
        **overrides)
    if state == "follow_up" and consultation.follow_up_on is None:
        consultation.follow_up_on = occurred_at.date()
    consultation.topics = topics
    session.add(consultation)
    session.flush()
    return consultation
