"""The city-wide board of published needs and offers, and its picture: needs against offers by
district and category, drawn by the template as a heat-map table with inline SVG bars (no
script, no library: the CSP allows neither inline scripts nor styles, SVG attributes suffice).

A post counts for the district of its region: a street's post for its district, a district's
for itself, and a post of the city tier in a row of its own (市级). Only what the board shows is
counted: published posts, not past their expiry day, filtered as the board is.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from center.models.directory import Region, RegionTier
from center.models.liaison import CATEGORY_LABELS, Match, Post, PostState
from center.services.liaison import is_center
from center.services.liaison_matches import involved

# Tints of a cell by how far needs and offers are apart (light to strong); the two families
# stay apart on screen and in grey print (the gap side is darker).
GAP_TINTS = ("#fdecea", "#f9c9c3", "#f2a093", "#e4705f")
SURPLUS_TINTS = ("#eaf5ee", "#c9e8d3", "#a0d6b3", "#6fbf8c")
NEED_COLOUR, OFFER_COLOUR = "#c2410c", "#1d4ed8"
BAR_WIDTH = 72
TOP_GAPS = 5


@dataclass(frozen=True)
class BoardFilters:
    kind: str | None = None
    category: str | None = None
    district_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class Cell:
    category: str
    needs: int = 0
    offers: int = 0
    tint: str = "#ffffff"
    need_width: float = 0.0
    offer_width: float = 0.0

    @property
    def gap(self) -> int:
        return self.needs - self.offers


@dataclass
class Row:
    district_id: int | None
    name: str
    cells: list[Cell] = field(default_factory=list)

    @property
    def needs(self) -> int:
        return sum(c.needs for c in self.cells)

    @property
    def offers(self) -> int:
        return sum(c.offers for c in self.cells)


@dataclass
class Picture:
    categories: list[tuple[str, str]]
    rows: list[Row]
    totals: list[Cell]
    gaps: list[tuple[Row, Cell]]  # the largest unmet needs, largest first
    needs: int = 0
    offers: int = 0
    bar_width: int = BAR_WIDTH
    need_colour: str = NEED_COLOUR
    offer_colour: str = OFFER_COLOUR
    gap_tints: tuple = GAP_TINTS
    surplus_tints: tuple = SURPLUS_TINTS


def _district_of():
    """The district a post's region counts for (the region itself above the street tier)."""
    return case((Region.tier == RegionTier.street.value, Region.parent_id), else_=Region.id)


def _where(stmt, filters: BoardFilters, today: date, *, with_kind: bool = True):
    stmt = stmt.where(Post.state == PostState.published.value,
                      or_(Post.expires_on.is_(None), Post.expires_on >= today))
    if with_kind and filters.kind:
        stmt = stmt.where(Post.kind == filters.kind)
    if filters.category:
        stmt = stmt.where(Post.category == filters.category)
    if filters.district_id:
        stmt = stmt.where(_district_of() == filters.district_id)
    if filters.date_from:  # the post's window overlaps the chosen one; open ends overlap all
        stmt = stmt.where(or_(Post.ends_on.is_(None), Post.ends_on >= filters.date_from))
    if filters.date_to:
        stmt = stmt.where(or_(Post.starts_on.is_(None), Post.starts_on <= filters.date_to))
    return stmt


def board_query(filters: BoardFilters, *, today: date):
    """Published posts on the board, newest first, with their platform and region loaded."""
    stmt = select(Post).join(Region, Region.id == Post.region_id)
    return (_where(stmt, filters, today)
            .options(selectinload(Post.platform), selectinload(Post.region)
                     .selectinload(Region.parent))
            .order_by(Post.published_at.desc(), Post.id.desc()))


def _counts(session, filters: BoardFilters, today: date) -> dict:
    """(district, category, kind) → posts. Grouped by region from the covering index alone,
    then summed per district here: a few hundred regions cost less than a join per post."""
    stmt = select(Post.region_id, Post.category, Post.kind, func.count()).select_from(Post)
    if filters.district_id:
        stmt = stmt.join(Region, Region.id == Post.region_id)
    stmt = _where(stmt, filters, today, with_kind=False).group_by(
        Post.region_id, Post.category, Post.kind)
    district_of = dict(session.execute(select(Region.id, _district_of())).all())
    counts: dict = {}
    for region_id, category, kind, n in session.execute(stmt):
        key = (district_of.get(region_id, region_id), category, kind)
        counts[key] = counts.get(key, 0) + n
    return counts


def _rows(session, counts: dict, filters: BoardFilters) -> list[Row]:
    """Every district (or the chosen one) in code order, then the city tier if it has posts
    (a post counts for its region itself above the street tier, so no other row is needed)."""
    regions = session.execute(
        select(Region.id, Region.name, Region.tier)
        .where(Region.tier != RegionTier.street.value).order_by(Region.code)).all()
    counted = {d for d, _c, _k in counts}
    rows = [Row(r.id, r.name) for r in regions if r.tier == RegionTier.district.value]
    rows += [Row(r.id, r.name) for r in regions
             if r.tier != RegionTier.district.value and r.id in counted]
    if filters.district_id:
        rows = [row for row in rows if row.district_id == filters.district_id]
    return rows


def _tint(gap: int, top_gap: int) -> str:
    if gap == 0 or top_gap == 0:
        return "#ffffff"
    tints = GAP_TINTS if gap > 0 else SURPLUS_TINTS
    step = min(len(tints) - 1, (abs(gap) * len(tints) - 1) // top_gap)
    return tints[step]


def _fill(cells: list[Cell]) -> None:
    """Bar widths against the largest count, tints against the largest difference."""
    top = max([max(c.needs, c.offers) for c in cells] + [1])
    top_gap = max([abs(c.gap) for c in cells] + [1])
    for cell in cells:
        cell.need_width = round(BAR_WIDTH * cell.needs / top, 1)
        cell.offer_width = round(BAR_WIDTH * cell.offers / top, 1)
        cell.tint = _tint(cell.gap, top_gap)


def needs_offers(session, filters: BoardFilters, *, today: date) -> Picture:
    """Needs against offers by district × category, with the largest unmet needs (one query
    for the counts, one for the row names)."""
    counts = _counts(session, filters, today)
    categories = [(code, label) for code, label in CATEGORY_LABELS.items()
                  if not filters.category or code == filters.category]
    rows = _rows(session, counts, filters)
    for row in rows:
        row.cells = [Cell(code, counts.get((row.district_id, code, "need"), 0),
                          counts.get((row.district_id, code, "offer"), 0))
                     for code, _label in categories]
    _fill([cell for row in rows for cell in row.cells])
    totals = [Cell(code, sum(r.cells[i].needs for r in rows), sum(r.cells[i].offers for r in rows))
              for i, (code, _label) in enumerate(categories)]
    _fill(totals)
    gaps = sorted(((row, cell) for row in rows for cell in row.cells if cell.gap > 0),
                  key=lambda pair: (-pair[1].gap, pair[0].name, pair[1].category))[:TOP_GAPS]
    return Picture(categories, rows, totals, gaps, needs=sum(t.needs for t in totals),
                   offers=sum(t.offers for t in totals))


# --- a platform's own posts and a post's matches ---------------------------------------------

def posts_query(user, *, state: str | None = None, kind: str | None = None,
                platform_id: int | None = None):
    """A platform's own posts (the center's staff: every platform's, or the one named), newest
    first."""
    stmt = select(Post).options(selectinload(Post.platform), selectinload(Post.region))
    if user.role == "platform":
        stmt = stmt.where(Post.platform_id == user.platform_id)
    elif platform_id:
        stmt = stmt.where(Post.platform_id == platform_id)
    if state:
        stmt = stmt.where(Post.state == state)
    if kind:
        stmt = stmt.where(Post.kind == kind)
    return stmt.order_by(Post.created_at.desc(), Post.id.desc())


def post_matches(session, post: Post, user) -> list[Match]:
    """The matches of a post that the user may see: the center's staff all of them, a platform
    those it is a side of; newest first."""
    column = Match.need_id if post.kind == "need" else Match.offer_id
    matches = session.scalars(
        select(Match).where(column == post.id)
        .options(selectinload(Match.need).selectinload(Post.platform),
                 selectinload(Match.offer).selectinload(Post.platform))
        .order_by(Match.created_at.desc(), Match.id.desc())).all()
    return [m for m in matches if is_center(user) or involved(m, user)]
