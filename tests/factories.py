"""Small builders of test data: make_<thing>(session, **overrides)."""
import itertools
from datetime import datetime, time, timedelta

from center.models.directory import Organization, Platform, Region
from center.models.venues import Booking, Venue
from center.services import accounts, directory, venues

_counter = itertools.count(1)
# Real, valid codes from the domain facts; further codes are generated with a correct check char.
VALID_CODES = ["51110000MJ0101505U", "52110000MJ0163191U", "53100000500019795A"]


def valid_credit_code(n: int | None = None, category: str = "1") -> str:
    """A code that passes GB 32100-2015: 5 + category + 110000 + 9-char org code + check."""
    n = next(_counter) if n is None else n
    body = f"5{category}110000MJ{n:07d}"
    return body + directory.credit_code_check_char(body)


def make_user(session, *, role="admin", password="correct-horse-battery-staple-42", **fields):
    n = next(_counter)
    if role == "platform" and "platform" not in fields:
        fields["platform"] = make_platform(session)
    if role == "org" and "organization" not in fields:
        fields["organization"] = make_organization(session)
    return accounts.create_user(session, username=fields.pop("username", f"{role}{n}"),
                                display_name=fields.pop("display_name", f"测试{role}{n}"),
                                role=role, password=password, **fields)


def make_region(session, *, tier="district", **fields) -> Region:
    n = next(_counter)
    parent = fields.pop("parent", None)
    if tier != "city" and parent is None:
        parent = make_region(session, tier="city" if tier == "district" else "district")
    region = Region(code=fields.pop("code", f"9{n:08d}"), name=fields.pop("name", f"区域{n}"),
                    tier=tier, parent=parent, **fields)
    session.add(region)
    session.flush()
    return region


def make_platform(session, **fields) -> Platform:
    n = next(_counter)
    region = fields.pop("region", None) or make_region(session, tier="district")
    return directory.create_platform(session, {"name": fields.pop("name", f"测试平台{n}"),
                                               "region_id": region.id, **fields})


def make_organization(session, **fields) -> Organization:
    n = next(_counter)
    data = {"name": f"测试社会组织{n}", "credit_code": valid_credit_code(), **fields}
    return directory.create_organization(session, data)


# Weekdays 09:00–21:00, booked without approval unless a test says otherwise.
WEEKDAY_HOURS = {weekday: (time(9), time(21)) for weekday in range(5)}


def make_venue(session, **fields) -> Venue:
    n = next(_counter)
    data = {"name": f"测试场地{n}", "capacity": 30, "hours": WEEKDAY_HOURS,
            "requires_approval": False, **fields}
    return venues.create_venue(session, data, actor=None)


def make_booking(session, **fields) -> Booking:
    """A booking stored directly (no rules checked): by default approved, Monday 2026-09-14
    09:00–11:00 center time, at a new venue, for a new organization."""
    venue = fields.pop("venue", None) or make_venue(session)
    organization = fields.pop("organization", None) or make_organization(session)
    starts_at = fields.pop("starts_at", datetime(2026, 9, 14, 9, tzinfo=venues.CENTER_TZ))
    status = fields.pop("status", "approved")
    booking = Booking(venue=venue, organization=organization, title=fields.pop("title", "测试活动"),
                      attendees=fields.pop("attendees", 10), starts_at=starts_at,
                      ends_at=fields.pop("ends_at", starts_at + timedelta(hours=2)), status=status,
                      decided_at=fields.pop("decided_at", starts_at - timedelta(days=7)),
                      decision_reason=fields.pop("decision_reason",
                                                 "测试" if status == "rejected" else None),
                      checked_in_at=fields.pop("checked_in_at",
                                               starts_at if status == "checked_in" else None),
                      hold_expires_at=fields.pop("hold_expires_at",
                                                 starts_at if status == "held" else None),
                      **fields)
    session.add(booking)
    session.flush()
    return booking
