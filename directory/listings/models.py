"""Where an unclaimed listing (or practice) came from, and the people who asked to be removed.

Every listing a seed made or joined has a ListingSource per file it appears in, keyed as that
source keys people: the NPI for NPPES, "<state>:<number key>" for a roster. A second run finds
the same rows and changes nothing; a second source finds the person through the license pair
and adds its own row (one listing per person across sources).
"""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from directory.db import UTCDateTime, db, now_utc


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
    #: What the file said of an organization (address and phone of record): kept for the
    #: claim, not shown.
    record: Mapped[dict | None] = mapped_column(JSON)
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
