"""Tenants (practices: solo practices, clinics, spas, networks) and their members."""

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.db import UTCDateTime, db, now_utc, one_of
from directory.locales import N_

TENANT_KINDS = ("practice", "clinic", "spa", "network")
KIND_LABELS = {
    "practice": N_("Private practice"),
    "clinic": N_("Clinic"),
    "spa": N_("Spa"),
    "network": N_("Network of practices"),
}
TENANT_STATUSES = ("active", "suspended", "deleted")
ROLES = ("owner", "manager", "therapist")
#: Roles an invitation may offer: ownership is handed over by a transfer, never by a link.
INVITABLE_ROLES = ("manager", "therapist")


class Tenant(db.Model):
    __tablename__ = "tenant"
    __table_args__ = (
        one_of("kind", TENANT_KINDS),
        one_of("status", TENANT_STATUSES),
        Index("uq_tenant_public_id", "public_id", unique=True),
        # validation.unique_slug asks `lower(slug) IN (...)` for a name already taken.
        Index("ix_tenant_lower_slug", text("lower(slug)")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: A random, never reused identifier for other systems (the HSDS export's organization id).
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="practice")
    website: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")
    #: False for a practice seeded from public records (an NPPES organization, or the one
    #: practice that holds every unclaimed listing: listings.seed.PUBLIC_RECORDS): nobody is
    #: a member, nobody can sign in to it, and it has no public page until claimed.
    claimed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    status_reason: Mapped[str | None] = mapped_column(String(500))
    #: File name of the practice's logo under <instance>/uploads/, chosen by the server.
    logo: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan"
    )
    practitioners: Mapped[list["Practitioner"]] = relationship(  # noqa: F821
        back_populates="tenant", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "tenant_id", name="uq_membership_user_tenant"),
        one_of("role", ROLES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped["User"] = relationship(back_populates="memberships")  # noqa: F821
    tenant: Mapped[Tenant] = relationship(back_populates="memberships")


class Invitation(db.Model):
    """A link inviting one email address into a practice: single use, expiring, revocable.

    Only a hash of the link's token is stored, so a leaked database holds no usable link.
    """

    __tablename__ = "invitation"
    __table_args__ = (
        one_of("role", INVITABLE_ROLES),
        Index("ix_invitation_tenant_email", "tenant_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: A staff profile (without an account) the invited person takes over on accepting.
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id", ondelete="SET NULL")
    )
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenant: Mapped[Tenant] = relationship()
    practitioner: Mapped["Practitioner | None"] = relationship()  # noqa: F821
    invited_by: Mapped["User | None"] = relationship(foreign_keys=[invited_by_id])  # noqa: F821

    def status(self, now: datetime) -> str:
        """pending, accepted, revoked or expired."""
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"

    def __repr__(self) -> str:
        return f"<Invitation {self.email} to {self.tenant_id}>"
