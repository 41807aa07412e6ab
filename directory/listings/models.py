"""Where an unclaimed listing (or practice) came from, and the people who asked to be removed.

Every listing a seed made or joined has a ListingSource per file it appears in, keyed as that
source keys people: the NPI for NPPES, "<state>:<number key>" for a roster. A second run finds
the same rows and changes nothing; a second source finds the person through the license pair
and adds its own row (one listing per person across sources).
"""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.db import UTCDateTime, db, now_utc, one_of


class ListingSource(db.Model):
    """One public-record file's entry for a listing (practitioner_id) or a practice
    (tenant_id, an NPPES organization)."""

    __tablename__ = "listing_source"
    __table_args__ = (
        UniqueConstraint("source", "key", name="uq_listing_source_key"),
        CheckConstraint(
            "(practitioner_id IS NULL) <> (tenant_id IS NULL)", name="listing_or_practice"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenant.id", ondelete="CASCADE"), index=True
    )
    #: "nppes", or a roster source ("tx-tdlr").
    source: Mapped[str] = mapped_column(String(20))
    #: How the source names the person: the NPI, or "TX:MT12345" (state, licensing.number_key).
    key: Mapped[str] = mapped_column(String(60))
    #: The date of the newest file that listed this entry.
    file_date: Mapped[date] = mapped_column(Date)
    #: What the file said of an organization (address and phone of record, its authorized
    #: official's name, title and phone): kept for the claim, never shown.
    record: Mapped[dict | None] = mapped_column(JSON)
    #: For an individual's NPPES entry: the NPPES organization the same file places at the
    #: same practice-location address and business phone (seed.link_organizations): once its
    #: official claims it, the person who claims this listing is offered to join it.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenant.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class ListingRemoval(db.Model):
    """Someone a listing named asked for it to go: a seed never lists them again. Keyed by NPI
    or by state + license number (licensing.number_key)."""

    __tablename__ = "listing_removal"
    __table_args__ = (
        Index("ix_listing_removal_license", "state", "number_key"),
        CheckConstraint(
            "npi IS NOT NULL OR (state IS NOT NULL AND number_key IS NOT NULL)",
            name="npi_or_license",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    npi: Mapped[str | None] = mapped_column(String(10), index=True)
    state: Mapped[str | None] = mapped_column(String(2))
    number_key: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


#: Where a claim stands: open (license and name proven, a channel of record chosen or to
#: choose), review (an admin decides: a document, a removal request, or a contested listing),
#: done, refused, withdrawn.
CLAIM_STATUSES = ("open", "review", "done", "refused", "withdrawn")
#: Whether the person takes the listing over or has it removed.
CLAIM_PURPOSES = ("claim", "remove")
#: How the code reaches them (letter, sms), or what an admin reads (document, request).
CLAIM_CHANNELS = ("letter", "sms", "document", "request")


class ListingClaim(db.Model):
    """Someone who proved a listing's license number and legal name, on their way to taking it
    over (or having it removed) through a channel of record. Codes are kept as keyed hashes:
    the code itself exists only in the letter or the text that carried it."""

    __tablename__ = "listing_claim"
    __table_args__ = (
        one_of("status", CLAIM_STATUSES),
        one_of("purpose", CLAIM_PURPOSES),
        Index("ix_listing_claim_listing_status", "practitioner_id", "status"),
        Index("ix_listing_claim_letters", "channel", "status", "printed_at"),
        Index("ix_listing_claim_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SET NULL: a removed listing's claims stay, naming it by `listing_name`.
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id", ondelete="SET NULL")
    )
    #: The claim of an NPPES organization (a practice nobody owns yet) instead of a listing.
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="SET NULL"))
    #: None: a removal request made without an account (`requester_*` say who to answer).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    requester_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    requester_email: Mapped[str | None] = mapped_column(String(254))
    listing_name: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(String(8), default="claim")
    status: Mapped[str] = mapped_column(String(10), default="open")
    channel: Mapped[str | None] = mapped_column(String(10))
    #: Someone else claims the listing too (or it was claimed already): an admin decides.
    contested: Mapped[bool] = mapped_column(Boolean, default=False)
    #: HMAC-SHA256 of the code under the app's secret (claims.code_digest); None: no code out.
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_failures: Mapped[int] = mapped_column(Integer, default=0)
    #: When the letter's code was issued and its page printed (None: waiting for the batch).
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the channel of record proved them (a right code, an approved document).
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The license document sent for review (practitioners.documents' stored name).
    document: Mapped[str | None] = mapped_column(String(40))
    #: What the person wrote to the admins (a removal request).
    note: Mapped[str] = mapped_column(String(1000), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    user: Mapped["User | None"] = relationship(foreign_keys=[user_id])  # noqa: F821
    listing: Mapped["Practitioner | None"] = relationship()  # noqa: F821
    organization: Mapped["Tenant | None"] = relationship()  # noqa: F821

    @property
    def is_active(self) -> bool:
        return self.status in ("open", "review")

    @property
    def reply_to(self) -> str:
        """Where decisions about this claim are mailed."""
        return self.user.email if self.user is not None else (self.requester_email or "")

    @property
    def claimant_name(self) -> str:
        return self.user.name if self.user is not None else self.requester_name


class ClaimAttempt(db.Model):
    """One try at a listing's license number and legal name: what the rate limits count."""

    __tablename__ = "listing_claim_attempt"
    __table_args__ = (
        Index("ix_claim_attempt_user", "user_id", "created_at"),
        Index("ix_claim_attempt_listing", "practitioner_id", "created_at"),
        Index("ix_claim_attempt_tenant", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    #: The listing tried, or (tenant_id) the organization.
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE")
    )
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    success: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


#: Where a request to join a practice stands.
JOIN_STATUSES = ("pending", "approved", "declined", "withdrawn")


class PracticeJoin(db.Model):
    """A therapist who claimed a listing asks to join the claimed NPPES organization the
    seed linked it to: its owner approves (the profile moves in, as an accepted invitation's
    would) or declines. Until then the therapist sees nothing of the practice."""

    __tablename__ = "practice_join"
    __table_args__ = (
        one_of("status", JOIN_STATUSES),
        Index("ix_practice_join_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    tenant: Mapped["Tenant"] = relationship()  # noqa: F821
    practitioner: Mapped["Practitioner"] = relationship()  # noqa: F821
