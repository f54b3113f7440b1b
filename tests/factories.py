"""Small builders of test data: make_<thing>(session, **overrides)."""
import itertools

from center.models.directory import Organization, Platform, Region
from center.services import accounts, directory

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
