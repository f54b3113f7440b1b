"""Read-only listings of the directory: filtered pages, region tree, record history.

Every builder runs a fixed number of queries whatever the row count (related rows are joined,
counts are grouped), so list pages stay fast at scale.
"""
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, joinedload

from center.models.directory import Organization, Platform, Region, RegionTier
from center.services import directory
from center.services.field_checks import ascii_int


@dataclass
class OrganizationFilter:
    q: str = ""
    type: str = ""
    district_id: int | None = None
    archived: str = "active"  # active, archived or all


@dataclass
class PlatformFilter:
    tier: str = ""
    district_id: int | None = None
    joint: str = ""  # "", "yes" or "no"
    archived: str = "active"


def organization_query(filters: OrganizationFilter):
    """Organizations matching the filters, ordered by name (a select, for pages and export)."""
    stmt = directory.organization_search(filters.q, include_archived=filters.archived != "active")
    if filters.archived == "archived":
        stmt = stmt.where(Organization.archived_at.is_not(None))
    if filters.type:
        stmt = stmt.where(Organization.type == filters.type)
    if filters.district_id:
        stmt = stmt.where(Organization.district_id == filters.district_id)
    return stmt


def platform_query(filters: PlatformFilter):
    """Platforms matching the filters with their region and its parent loaded, by name."""
    region = aliased(Region)
    stmt = (select(Platform).join(region, Platform.region_id == region.id)
            .options(joinedload(Platform.region).joinedload(Region.parent)))
    if filters.archived == "active":
        stmt = stmt.where(Platform.archived_at.is_(None))
    elif filters.archived == "archived":
        stmt = stmt.where(Platform.archived_at.is_not(None))
    if filters.tier:
        stmt = stmt.where(Platform.tier == filters.tier)
    if filters.district_id:
        stmt = stmt.where(or_(region.id == filters.district_id,
                              region.parent_id == filters.district_id))
    if filters.joint:
        stmt = stmt.where(Platform.is_joint_member.is_(filters.joint == "yes"))
    return stmt.order_by(Platform.rotation_order.is_(None), Platform.rotation_order,
                         Platform.name, Platform.id)


def page_of(session, stmt, *, page: int, per_page: int) -> tuple[list, int]:
    """One page of a select and the total count: two queries."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return list(items), total


def region_choices(session) -> dict[str, list[tuple[str, str]]]:
    """Regions grouped by district for a select with optgroups: the city, then each district
    with its streets and towns."""
    regions = session.scalars(select(Region).order_by(Region.code)).all()
    groups: dict[str, list[tuple[str, str]]] = {}
    names = {r.id: r.name for r in regions}
    for region in regions:
        if region.tier == RegionTier.city.value:
            groups.setdefault(region.name, []).append((str(region.id), region.name))
        elif region.tier == RegionTier.district.value:
            groups.setdefault(region.name, []).insert(0, (str(region.id), region.name))
        else:
            groups.setdefault(names[region.parent_id], []).append(
                (str(region.id), f"{names[region.parent_id]} · {region.name}"))
    return groups


@dataclass
class RegionNode:
    region: Region
    own: int = 0  # active platforms attached to this region itself
    total: int = 0  # ... and to every region below it
    children: list["RegionNode"] = field(default_factory=list)


def region_tree(session) -> list[RegionNode]:
    """The region tree with active-platform counts: two queries."""
    regions = session.scalars(select(Region).order_by(Region.code)).all()
    counts = dict(session.execute(
        select(Platform.region_id, func.count()).where(Platform.archived_at.is_(None))
        .group_by(Platform.region_id)).all())
    nodes = {r.id: RegionNode(r, own=counts.get(r.id, 0)) for r in regions}
    roots = []
    for region in regions:
        parent = nodes.get(region.parent_id)
        (parent.children if parent else roots).append(nodes[region.id])
    for root in roots:
        _sum_totals(root)
    return roots


def _sum_totals(node: RegionNode) -> int:
    node.total = node.own + sum(_sum_totals(child) for child in node.children)
    return node.total


def region_names(session, ids) -> dict[int, str]:
    """Names of the regions mentioned in a history (district_id, region_id), in one query."""
    ids = {i if isinstance(i, int) else ascii_int(i) for i in ids}
    ids.discard(None)
    if not ids:
        return {}
    return dict(session.execute(select(Region.id, Region.name).where(Region.id.in_(ids))).all())
