"""The liaison data set of the benchmarks: 3,500 platforms with a user each, 50,000 posts.

    .venv/bin/python bench/liaison_data.py --database-url URL \\
        [--platforms 3500] [--posts 50000] [--scale 10]

migrates the database and loads the demo data (`flask demo-data --scale N`; its platforms stop
at one per Beijing region, 366), then adds benchmark platforms (named `基准平台 NNNN`, spread
over the streets and districts, so most regions hold several: ten times the real network) until
there are --platforms, a platform user for each platform that has none (`bench_pNNNN`, one
shared password hash: they exist to own posts, not to log in), and posts until there are
--posts: needs and offers in every category, about 70 % published, the rest matched, closed,
expired or drafts, time windows from two months ago to half a year ahead. Their text is the
demo's post templates (center.services.demo_liaison.POSTS) with places and themes mixed in.
Core INSERTs in batches of 5,000 (no ORM flush, so `search_text` is computed here with
center.services.textsearch.index_text, as the model's hook would), then ANALYZE. A second run
adds nothing. Then benchmark it with
`bench/run.py --database-url URL --scale N --only liaison` (see bench/README.md).
"""
import argparse
import os
import random
import secrets
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from center.models.accounts import User  # noqa: E402
from center.models.directory import Platform, Region  # noqa: E402
from center.models.liaison import Post  # noqa: E402
from center.services.demo_liaison import POSTS as TEMPLATES  # noqa: E402
from center.services.textsearch import index_text  # noqa: E402
from center.services.venue_rules import CENTER_TZ  # noqa: E402

PREFIX = "基准平台 "
BATCH = 5_000
KIND_WEIGHTS = {"need": 55, "offer": 45}
STATE_WEIGHTS = {"published": 70, "matched": 8, "closed": 10, "expired": 7, "draft": 5}
THEMES = ["养老服务", "助残", "青少年", "儿童关爱", "社区营造", "垃圾分类", "心理健康", "法律援助",
          "非遗传承", "家庭教育", "志愿服务", "党建", "应急救援", "乡村振兴", "科普", "文化体育"]


def load_liaison_data(session, *, platforms: int = 3500, posts: int = 50_000,
                      seed: int = 2026, now: datetime | None = None) -> dict:
    """Add benchmark platforms, their users and posts up to the given totals (idempotent)."""
    now = now or datetime.now(timezone.utc)
    added = {"platforms": _add_platforms(session, platforms, now)}
    added["users"] = _add_users(session, now)
    added["posts"] = _add_posts(session, posts, random.Random(seed + _count(session, Post)), now)
    if any(added.values()):
        session.execute(text("ANALYZE"))
    session.commit()
    return {"platforms": _count(session, Platform), "posts": _count(session, Post),
            "added": added}


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _add_platforms(session, total: int, now) -> int:
    missing = total - _count(session, Platform)
    if missing <= 0:
        return 0
    regions = session.execute(select(Region.id, Region.tier).where(Region.tier != "city")
                              .order_by(Region.code)).all()
    if not regions:
        raise SystemExit("no regions: load the demo data first (flask demo-data)")
    taken = set(session.scalars(select(Platform.name).where(Platform.name.startswith(PREFIX))))
    rows, n = [], 0
    while len(rows) < missing:
        n += 1
        name = f"{PREFIX}{n:04d}"
        if name in taken:
            continue
        region = regions[n % len(regions)]
        rows.append({"name": name, "region_id": region.id, "tier": region.tier,
                     "is_joint_member": False, "contact_name": f"联系人{n}",
                     "contact_phone": f"010-6{n:07d}", "created_at": now})
    _insert(session, Platform.__table__, rows)
    return len(rows)


def _add_users(session, now) -> int:
    """A platform user for each platform without one (one hash: computing 3,500 costs minutes)."""
    from center.services.accounts import hash_password

    without = session.execute(select(Platform.id).where(~Platform.id.in_(
        select(User.platform_id).where(User.platform_id.is_not(None))))
        .order_by(Platform.id)).scalars().all()
    if not without:
        return 0
    password_hash = hash_password(secrets.token_urlsafe(16))
    rows = [{"username": f"bench_p{platform_id}", "display_name": f"基准平台用户{platform_id}",
             "password_hash": password_hash, "role": "platform", "platform_id": platform_id,
             "locale": "zh", "is_active": True, "created_at": now} for platform_id in without]
    _insert(session, User.__table__, rows)
    return len(rows)


def _add_posts(session, total: int, rng, now) -> int:
    missing = total - _count(session, Post)
    if missing <= 0:
        return 0
    owners = session.execute(select(Platform.id, Platform.region_id, User.id.label("user_id"))
                             .join(User, User.platform_id == Platform.id)
                             .order_by(Platform.id)).all()
    today = now.astimezone(CENTER_TZ).date()
    for start in range(0, missing, BATCH):
        rows = [post_row(rng, rng.choice(owners), today, now)
                for _ in range(min(BATCH, missing - start))]
        _insert(session, Post.__table__, rows)
        session.commit()
    return missing


def post_row(rng, owner, today, now) -> dict:
    """One post of this platform (owner: platform id, its region, its user)."""
    kind = rng.choices(*zip(*KIND_WEIGHTS.items()))[0]
    _kind, category, title, description, quantity = rng.choice(
        [t for t in TEMPLATES if t[0] == kind])
    theme = rng.choice(THEMES)
    title = f"{theme}{title}"[:100]
    description = f"{theme}方向：{description}联系人工作日可接电话。"
    state = rng.choices(*zip(*STATE_WEIGHTS.items()))[0]
    if state == "matched" and kind == "offer":  # only a need becomes matched
        state = "published"
    starts = today + timedelta(days=rng.randrange(-60, 180))
    ends = starts + timedelta(days=rng.choice((7, 14, 30, 60, 90)))
    created = now - timedelta(days=rng.randrange(1, 365), minutes=rng.randrange(1440))
    expires = max(ends, today) + timedelta(days=30)  # never already past: drafts stay valid
    if state == "expired":
        expires = today - timedelta(days=rng.randrange(1, 60))
    return {"platform_id": owner.id, "kind": kind, "category": category, "title": title,
            "description": description, "quantity": quantity and rng.randrange(1, 50),
            "starts_on": starts, "ends_on": ends, "region_id": owner.region_id,
            "contact_name": None, "contact_phone": None, "state": state, "expires_on": expires,
            "published_at": None if state == "draft" else created + timedelta(hours=1),
            "closed_at": now - timedelta(days=1) if state in ("closed", "expired") else None,
            "created_by_id": owner.user_id, "created_at": created,
            "search_text": index_text(title, description)}


def _insert(session, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(table.insert(), rows[start:start + BATCH])


# --- what the scenarios need -------------------------------------------------------------------

def liaison_context(session) -> dict:
    """Published needs to rank offers for (a scattered sample), and the district ids."""
    need_ids = session.scalars(select(Post.id).where(Post.kind == "need",
                                                     Post.state == "published")
                               .order_by(Post.id)).all()
    step = max(1, len(need_ids) // 500)
    districts = session.scalars(select(Region.id).where(Region.tier == "district")
                                .order_by(Region.code)).all()
    return {"need_ids": need_ids[::step][:500], "district_ids": districts}


# --- command line ----------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="e.g. sqlite:////tmp/bench/liaison.db or postgresql://...")
    parser.add_argument("--platforms", type=int, default=3500)
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--scale", type=int, default=10, help="demo-data scale")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from bench.run import _app, build_database

    args = parse_args(argv)
    env = {**os.environ, "FLASK_APP": "center",
           "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": args.database_url}
    setup = build_database(env, args.scale)
    print(f"migrate {setup['migrate']:.1f} s, demo-data --scale {args.scale} "
          f"{setup['demo_data']:.1f} s", flush=True)
    from center.extensions import db

    with _app(env).app_context():
        t0 = time.perf_counter()
        loaded = load_liaison_data(db.session, platforms=args.platforms, posts=args.posts)
        added = loaded["added"]
        print(f"{loaded['platforms']:,} platforms ({added['platforms']:,} added, "
              f"{added['users']:,} platform users added), {loaded['posts']:,} posts "
              f"({added['posts']:,} added) in {time.perf_counter() - t0:.1f} s")
        for kind, state, count in db.session.execute(
                select(Post.kind, Post.state, func.count()).group_by(Post.kind, Post.state)
                .order_by(Post.kind, Post.state)):
            print(f"{count:>10,}  {kind} {state}")
        db.engine.dispose()
    print(f"\nnext: .venv/bin/python bench/run.py --database-url {args.database_url} "
          f"--scale {args.scale} --only liaison")
    return 0


if __name__ == "__main__":
    sys.exit(main())
