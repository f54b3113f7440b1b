"""The demo data set: realistic Beijing organizations and platforms, and one user per role.

Every run draws from seeded random generators, one per stream, and generates rows in a fixed order,
so the same scale always gives the same rows and a larger scale extends a smaller one. A rerun only
adds rows that are missing (organizations by credit code, platforms and users by name), so running
it twice is harmless.
"""
import random
from collections import Counter

from sqlalchemy import func, insert, select

from center.models.accounts import User
from center.models.base import utcnow
from center.models.directory import Organization, OrganizationType, Platform, Region, RegionTier
from center.services import (accounts, demo_consultations, demo_liaison, demo_reviews,
                             demo_venues, directory)
from center.services.textsearch import index_text

ORGS_PER_SCALE = 300
PLATFORMS_PER_SCALE = 40
CITY_PLATFORM = "北京市社会组织发展服务中心"
PLATFORM_USER_DISTRICT = "朝阳区"

# (user name, role, display name, password); passwords pass accounts.check_password_strength.
DEMO_USERS = [
    ("admin", "admin", "演示系统管理员", "Demo-xitong-2025"),
    ("manager", "manager", "演示中心主任", "Demo-zhongxin-2025"),
    ("frontdesk", "frontdesk", "演示咨询服务部", "Demo-qiantai-2025"),
    ("reviewer", "reviewer", "演示年检预审", "Demo-shenhe-2025"),
    ("platform", "platform", "演示朝阳区平台", "Demo-pingtai-2025"),
    ("supervisor", "supervisor", "演示社团办联络员", "Demo-jianguan-2025"),
    ("org", "org", "演示社会组织联系人", "Demo-zuzhi-2025"),
]

GROUP_SUFFIXES = ("协会", "学会", "促进会", "联合会")
TYPE_DIGIT = {OrganizationType.social_group.value: "1", OrganizationType.social_service.value: "2",
              OrganizationType.foundation.value: "3"}
TYPE_WEIGHTS = {OrganizationType.social_service.value: 58, OrganizationType.social_group.value: 36,
                OrganizationType.foundation.value: 6}  # Beijing's mix, roughly
CITY_LEVEL_SHARE = {OrganizationType.social_service.value: 0.25,
                    OrganizationType.social_group.value: 0.4,
                    OrganizationType.foundation.value: 1.0}

# field of work: (name stems of social service organizations, of social groups, of foundations).
# A group stem that already ends in a group suffix (心理学会) is used as it is.
FIELDS = {
    "助残服务": ("助残 残疾人康复 融合", "残疾人康复 助残服务", "助残"),
    "养老服务": ("养老 为老 居家养老 乐龄", "养老服务 老年人 老年学学会", "养老 敬老"),
    "青少年发展": ("青少年 青少年成长", "青少年发展 少年儿童", "青少年发展"),
    "儿童关爱": ("儿童关爱 儿童成长", "儿童关爱", "儿童关爱 儿童"),
    "社区治理": ("社区 社区营造 邻里互助", "社区营造 社区社会组织联合会", "社区发展"),
    "社会工作": ("社会工作 社工", "社会工作 社会工作学会", ""),
    "心理健康": ("心理健康 心理咨询", "心理卫生 心理学会", ""),
    "法律服务": ("法律援助 调解", "人民调解 法学会", ""),
    "环境保护": ("环保公益 绿色发展 垃圾分类", "环境保护 生态文明", "环境保护 绿色发展"),
    "文化体育": ("文化 非遗传承 全民健身", "书画 摄影 体育 民俗文化", "文化发展"),
    "教育培训": ("家庭教育 职业技能培训 阅读推广", "家庭教育 教育学会", "教育发展"),
    "志愿服务": ("志愿 志愿者", "志愿者 志愿服务", "志愿服务"),
    "妇女发展": ("妇女儿童 婚姻家庭", "妇女创业 女企业家", "妇女发展"),
    "慈善救助": ("慈善 困难帮扶", "慈善", "慈善 扶贫"),
    "乡村振兴": ("乡村发展 农村", "乡村振兴", "乡村振兴"),
    "科技创新": ("科普 科技", "科技 科普", "科技创新"),
    "应急救援": ("应急救援 安全", "应急救援", "应急"),
    "医疗卫生": ("健康 康复", "医师 护理学会", "医疗救助 健康"),
    "行业服务": ("", "物业管理 家政服务 餐饮行业 旅游 软件行业", ""),
}
STEMS = {org_type: [(field, stems[i].split()) for field, stems in FIELDS.items() if stems[i]]
         for i, org_type in enumerate(("social_service", "social_group", "foundation"))}
MODIFIER_SHARE = {"social_service": 0.8, "social_group": 0.3, "foundation": 0.5}
SUFFIXES = {
    OrganizationType.social_service.value: "服务中心 服务中心 服务中心 服务社 服务站 发展中心".split(),
    OrganizationType.social_group.value: "协会 协会 协会 促进会 联合会".split(),
    OrganizationType.foundation.value: "基金会 基金会 公益基金会".split(),
}
MODIFIERS = ("阳光 彩虹 启明 同心 晨曦 春晖 慧灵 爱心 惠民 和睦 善德 青苗 向日葵 益友 众联 睦邻 馨家园 "
             "恒爱 蒲公英 晴天 心语 暖阳 长青 永和 融爱 金色年华 知行 博爱 仁和 康乐 百合 星光 新起点 "
             "立德 明德 尚善 致远 守望 乐享 悦心 汇爱 协力 同行 七彩 绿洲 北极星 萤火虫 小水滴 大树 "
             "春苗 京华 和合 美好 幸福 安康 德馨 天使 微光 希望 红枫").split()
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋"
            "蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉萍文辉鹏宇浩然欣怡子涵雨晨思远佳琪"
ROADS = ("建设路 光明路 振兴路 新华街 文化路 育才路 园林路 和平街 团结路 富强路 "
         "南大街 北大街 幸福路 兴业路 民主路 滨河路 府前街 学院路 东环路 西环路").split()
MOBILE_PREFIXES = ("130 131 132 133 135 136 137 138 139 150 151 152 155 156 158 159 166 176 177 "
                   "185 186 188 189").split()

# GB 11714 organization code: 8 characters, then a mod-11 check character.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def build(session, *, scale=1) -> list[tuple[str, str, str]]:
    """Load the demo data set at this scale; return the demo logins (user name, role, password).

    Only missing rows are added, so a rerun (or a rerun at a larger scale) is safe.
    """
    directory.seed_beijing_regions(session)
    regions = _regions(session)
    platforms = _add_platforms(session, regions, count=PLATFORMS_PER_SCALE * scale)
    orgs = organization_rows(regions, count=ORGS_PER_SCALE * scale)
    _insert_organizations(session, orgs)
    logins = _add_users(session, platforms, first_code=orgs[0]["credit_code"])
    front_desk = session.scalar(select(User).where(User.role == "frontdesk").order_by(User.id))
    demo_venues.add_venues(session, actor=front_desk)
    demo_consultations.add_consultation_data(session, scale=scale)
    demo_reviews.add_reviews(session)
    demo_liaison.add_liaison(session)
    return logins


def _regions(session) -> dict:
    rows = session.scalars(select(Region).where(Region.code.like("11%")).order_by(Region.code))
    regions = {"city": None, "districts": [], "streets": {}}
    for region in rows:
        if region.tier == RegionTier.city.value:
            regions["city"] = region
        elif region.tier == RegionTier.district.value:
            regions["districts"].append(region)
        else:
            regions["streets"].setdefault(region.parent_id, []).append(region)
    return regions


# --- platforms -------------------------------------------------------------------------------

def platform_plan(regions, *, count) -> list[dict]:
    """The city center, every district platform, then streets in a fixed shuffled order.

    One platform per region at most (DESIGN.md §4), so large scales stop at every region.
    """
    rng = random.Random("demo-platforms")
    streets = [s for d in regions["districts"] for s in regions["streets"].get(d.id, [])]
    repeated = {name for name, n in Counter(s.name for s in streets).items() if n > 1}
    rng.shuffle(streets)
    joint = set(rng.sample(range(len(regions["districts"])), 7))
    plan = [{"name": CITY_PLATFORM, "region": regions["city"], "joint": True}]
    for i, district in enumerate(regions["districts"]):
        kind = rng.choice(("社会组织孵化基地", "社会组织服务中心"))
        plan.append({"name": district.name + kind, "region": district, "joint": i in joint})
    by_id = {d.id: d for d in regions["districts"]}
    for street in streets:
        prefix = by_id[street.parent_id].name if street.name in repeated else ""
        kind = "社会组织服务站" if street.name[-1] in "镇乡" else "社会组织服务中心"
        plan.append({"name": prefix + street.name + kind, "region": street, "joint": False})
    return plan[:count]


def _add_platforms(session, regions, *, count) -> dict[str, Platform]:
    rng = random.Random("demo-platform-contacts")
    existing = {p.name: p for p in session.scalars(select(Platform))}
    rotation = 0
    for item in platform_plan(regions, count=count):
        contact = (_person(rng), _landline(rng), _address(rng, item["region"]))
        rotation += item["joint"]
        if item["name"] in existing:
            continue
        existing[item["name"]] = directory.create_platform(session, {
            "name": item["name"], "region_id": item["region"].id,
            "is_joint_member": item["joint"],
            "rotation_order": rotation if item["joint"] else None,
            "contact_name": contact[0], "contact_phone": contact[1], "address": contact[2]})
    return existing


# --- organizations ---------------------------------------------------------------------------

def organization_rows(regions, *, count) -> list[dict]:
    """`count` organizations with unique names and valid, unique credit codes (no DB access)."""
    rng = random.Random("demo-organizations")
    districts = regions["districts"]
    weights = [len(regions["streets"].get(d.id, [])) or 1 for d in districts]
    types, type_weights = zip(*TYPE_WEIGHTS.items())
    names, org_codes, rows = set(), set(), []
    now = utcnow()
    for _ in range(count):
        org_type = rng.choices(types, type_weights)[0]
        district = rng.choices(districts, weights)[0]
        city_level = rng.random() < CITY_LEVEL_SHARE[org_type]
        field, name = _unique_name(rng, org_type, district, city_level, names)
        area = "110000" if city_level else district.code
        body = "5" + TYPE_DIGIT[org_type] + area + _unique_org_code(rng, org_codes)
        rows.append({
            "name": name, "name_initials": directory.name_initials(name),
            "name_tokens": index_text(name),
            "credit_code": body + directory.credit_code_check_char(body),
            "type": org_type, "level": "city" if city_level else "district",
            "district_id": district.id, "field": field, "contact_name": _person(rng),
            "contact_phone": _mobile(rng), "address": _address(rng, district, regions),
            "created_at": now})
    return rows


def _unique_name(rng, org_type, district, city_level, taken) -> tuple[str, str]:
    for attempt in range(60):
        field, name = _name(rng, org_type, district, city_level, extra=attempt >= 20)
        if name not in taken:
            taken.add(name)
            return field, name
    raise RuntimeError("demo name space exhausted")  # not reached below scale ~1000


def _name(rng, org_type, district, city_level, *, extra) -> tuple[str, str]:
    field, stems = rng.choice(STEMS[org_type])
    stem = rng.choice(stems)
    complete = stem.endswith(GROUP_SUFFIXES)  # 心理学会: no suffix, and no modifier by choice
    if org_type == "foundation":
        place = "北京"
    elif city_level:
        place = rng.choice(("北京市", "北京"))
    else:
        place = "北京市" + district.name
    modifier = rng.choice(MODIFIERS) if rng.random() < MODIFIER_SHARE[org_type] else ""
    if complete and not extra:
        modifier = ""
    if extra:
        modifier += rng.choice(MODIFIERS)
    suffix = "" if complete else rng.choice(SUFFIXES[org_type])
    return field, place + modifier + stem + suffix


def _unique_org_code(rng, taken) -> str:
    """A GB 11714 organization code as civil affairs issues them: MJ + 6 digits + check."""
    while True:
        body = f"MJ{rng.randrange(10**6):06d}"
        if body not in taken:
            taken.add(body)
            return body + org_code_check_char(body)


def org_code_check_char(body: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body, ORG_CODE_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _insert_organizations(session, rows: list[dict]) -> None:
    """Bulk insert, skipping credit codes already present.

    The audit log does not record this bulk demo load: a Core insert does not pass through the
    ORM flush that writes audit entries, and 30,000 "created" entries would say nothing useful.
    """
    existing = set(session.scalars(select(Organization.credit_code)))
    missing = [row for row in rows if row["credit_code"] not in existing]
    for start in range(0, len(missing), 5000):
        session.execute(insert(Organization), missing[start:start + 5000])


# --- users -----------------------------------------------------------------------------------

def _add_users(session, platforms, *, first_code) -> list[tuple[str, str, str]]:
    district_platform = next(p for p in platforms.values()
                             if p.tier == "district" and p.region.name == PLATFORM_USER_DISTRICT)
    scope = {
        "platform": {"platform": district_platform},
        "org": {"organization": session.scalar(
            select(Organization).where(Organization.credit_code == first_code))},
    }
    for username, role, display_name, password in DEMO_USERS:
        if session.scalar(select(User.id).where(func.lower(User.username) == username)):
            continue
        accounts.create_user(session, username=username, display_name=display_name, role=role,
                             password=password, **scope.get(role, {}))
    return [(username, role, password) for username, role, _, password in DEMO_USERS]


# --- contact details -------------------------------------------------------------------------

def _person(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _mobile(rng) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _landline(rng) -> str:
    return f"010-{rng.choice('568')}{rng.randrange(10**7):07d}"


def _address(rng, region, regions=None) -> str:
    """A street address inside `region` (a street of it, when the street list is given)."""
    if regions is not None and regions["streets"].get(region.id):
        street = rng.choice(regions["streets"][region.id])
        return f"北京市{region.name}{street.name}{rng.choice(ROADS)}{rng.randrange(1, 300)}号"
    return f"{_full_name(region)}{rng.choice(ROADS)}{rng.randrange(1, 300)}号"


def _full_name(region) -> str:
    names = []
    while region is not None:
        names.append(region.name)
        region = region.parent
    return "".join(reversed(names))
