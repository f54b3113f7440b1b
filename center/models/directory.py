"""Organizations, the region tree (city → district → street) and the platforms attached to it."""
import enum
from datetime import date, datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from center.models.base import Base, UTCDateTime, utcnow


class RegionTier(str, enum.Enum):
    city = "city"
    district = "district"
    street = "street"


class OrganizationType(str, enum.Enum):
    social_group = "social_group"  # 社会团体
    social_service = "social_service"  # 社会服务机构(民办非企业单位)
    foundation = "foundation"  # 基金会


class RegistrationLevel(str, enum.Enum):
    city = "city"
    district = "district"


# Chinese labels of the stable English codes (the API speaks codes, people read labels).
TYPE_LABELS = {
    OrganizationType.social_group.value: _l("社会团体"),
    OrganizationType.social_service.value: _l("社会服务机构（民办非企业单位）"),
    OrganizationType.foundation.value: _l("基金会"),
}
LEVEL_LABELS = {RegistrationLevel.city.value: _l("市级"), RegistrationLevel.district.value: _l("区级")}
TIER_LABELS = {RegionTier.city.value: _l("市级"), RegionTier.district.value: _l("区级"),
               RegionTier.street.value: _l("街道（乡镇）级")}


def _in(column: str, enum_cls) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum_cls)})"


class Region(Base):
    """A node of the administrative tree; divisions change, so validity dates are kept."""

    __tablename__ = "regions"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(_in("tier", RegionTier), name="tier_known"),
        CheckConstraint("(tier = 'city') = (parent_id IS NULL)", name="only_city_is_root"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    tier: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("regions.id"), index=True)
    division_class: Mapped[Optional[str]] = mapped_column(String(60))
    valid_from: Mapped[Optional[date]] = mapped_column(Date)
    valid_to: Mapped[Optional[date]] = mapped_column(Date)

    parent: Mapped[Optional["Region"]] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


class Platform(Base):
    """A support platform (incubator) of the city/district/street network."""

    __tablename__ = "platforms"
    __audited__ = True
    __table_args__ = (CheckConstraint(_in("tier", RegionTier), name="tier_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    tier: Mapped[str] = mapped_column(String(10))
    is_joint_member: Mapped[bool] = mapped_column(Boolean, default=False)
    rotation_order: Mapped[Optional[int]] = mapped_column(Integer)
    contact_name: Mapped[Optional[str]] = mapped_column(String(50))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(30))
    address: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship(lazy="joined")


class Organization(Base):
    """A registered social organization (社会组织)."""

    __tablename__ = "organizations"
    __audited__ = True
    __audit_exclude__ = ("name_tokens",)
    __table_args__ = (
        CheckConstraint(_in("type", OrganizationType), name="type_known"),
        CheckConstraint(_in("level", RegistrationLevel), name="level_known"),
        CheckConstraint("length(credit_code) = 18", name="credit_code_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # Pinyin initials of the name (北京协作者 → bjxzz), kept for front-desk search.
    name_initials: Mapped[str] = mapped_column(String(200), index=True)
    # The name as search tokens (center.services.textsearch), full-text indexed.
    name_tokens: Mapped[str] = mapped_column(Text, default="")
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(10))
    district_id: Mapped[Optional[int]] = mapped_column(ForeignKey("regions.id"), index=True)
    field: Mapped[Optional[str]] = mapped_column(String(100))
    contact_name: Mapped[Optional[str]] = mapped_column(String(50))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(30))
    address: Mapped[Optional[str]] = mapped_column(String(200))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    district: Mapped[Optional[Region]] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Organization {self.credit_code} {self.name}>"


@event.listens_for(Organization, "before_insert")
@event.listens_for(Organization, "before_update")
def _refresh_name_tokens(mapper, connection, org) -> None:
    from center.services.textsearch import index_text

    org.name_tokens = index_text(org.name)
