"""Users, roles, login sessions, login attempts and API tokens."""
import enum
from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from center.models.base import Base, UTCDateTime, utcnow


class Role(str, enum.Enum):
    admin = "admin"
    manager = "manager"
    frontdesk = "frontdesk"
    reviewer = "reviewer"
    platform = "platform"
    supervisor = "supervisor"
    org = "org"


STAFF_ROLES = (Role.admin, Role.manager, Role.frontdesk, Role.reviewer)
ROLE_CODES = tuple(r.value for r in Role)


class User(UserMixin, Base):
    __tablename__ = "users"
    __audited__ = True
    __audit_exclude__ = ("password_hash",)
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(c) for c in ROLE_CODES)})", name="role_known"),
        # A platform operator acts for exactly one platform; an organization contact for one org.
        CheckConstraint("(role = 'platform') = (platform_id IS NOT NULL)", name="platform_scope"),
        CheckConstraint("(role = 'org') = (organization_id IS NOT NULL)", name="org_scope"),
        CheckConstraint("locale IN ('zh', 'en')", name="locale_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    platform_id: Mapped[Optional[int]] = mapped_column(ForeignKey("platforms.id"), index=True)
    organization_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[Optional[str]] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5), default="zh")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    platform = relationship("Platform", lazy="joined")
    organization = relationship("Organization", lazy="joined")

    # Flask-Login keeps the server-side session id in the cookie, not the user id, so that
    # revoking the session row (logout, deactivation, password change) ends the session.
    session_id = None

    def get_id(self):
        return self.session_id

    def has_role(self, *roles) -> bool:
        return self.role in {getattr(r, "value", r) for r in roles}

    @property
    def is_staff(self) -> bool:
        return self.has_role(*STAFF_ROLES)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class AuthSession(Base):
    """A server-side login session: revoking the row ends the session, whatever the cookie says."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    ip_address: Mapped[Optional[str]] = mapped_column(String(45))

    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "attempted_at"),
        Index("ix_login_attempts_ip_at", "ip_address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip_address: Mapped[str] = mapped_column(String(45))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token for /api/v1; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"
    __audited__ = True
    __audit_exclude__ = ("token_hash", "last_used_at")  # use is not a change of the record

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
