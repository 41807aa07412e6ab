"""Messages from clients to a therapist or a practice, and what keeps the form from abuse.

An inquiry is health data: its text lives in `Inquiry.body` (and the stored copy of the mail
that delivered it) and nowhere else, no longer than the retention period, and not at all once
the client withdraws it.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.db import UTCDateTime, db, now_utc, one_of

CONTACT_WAYS = ("email", "phone")


class Inquiry(db.Model):
    __tablename__ = "inquiry"
    __table_args__ = (
        one_of("preferred_contact", CONTACT_WAYS),
        Index("ix_inquiry_tenant_id_created_at", "tenant_id", "created_at"),
        Index("ix_inquiry_practitioner_id_created_at", "practitioner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The practice it was sent to (directly, or through one of its profiles).
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    #: The profile it was sent from; None: sent to the practice (or the profile was deleted).
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id", ondelete="SET NULL")
    )
    #: The therapist's account the consent named when it was sent (None: the practice's owners
    #: and managers, for a practice page or a profile without an account). Whoever takes the
    #: profile over later does not inherit it.
    recipient_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    #: SHA-256 of the secret in the client's link to read or withdraw it.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sender_name: Mapped[str] = mapped_column(String(120))
    sender_email: Mapped[str] = mapped_column(String(254))
    sender_phone: Mapped[str] = mapped_column(String(40), default="")
    preferred_contact: Mapped[str] = mapped_column(String(8), default="email")
    #: What it is about, when the client chose a condition.
    condition_id: Mapped[int | None] = mapped_column(
        ForeignKey("condition.id", ondelete="SET NULL"), index=True
    )
    #: The message; None once withdrawn or past the retention period.
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    spam_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the text was deleted after the retention period.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenant: Mapped["Tenant"] = relationship()  # noqa: F821
    practitioner: Mapped["Practitioner | None"] = relationship()  # noqa: F821
    condition: Mapped["Condition | None"] = relationship()  # noqa: F821

    @property
    def recipient_name(self) -> str:
        """Who it was written to, as the inbox names them: the profile, else the practice."""
        return self.practitioner.name if self.practitioner is not None else self.tenant.name

    @property
    def folder(self) -> str:
        """inbox | archived | spam"""
        if self.spam_at is not None:
            return "spam"
        if self.archived_at is not None:
            return "archived"
        return "inbox"

    def __repr__(self) -> str:
        return f"<Inquiry {self.id} to {self.practitioner_id or self.tenant_id}>"


class InquiryAttempt(db.Model):
    """One posted inquiry form, for the per-IP and per-recipient limits (every worker reads
    them here). The IP is kept only as a keyed hash, and only for a day."""

    __tablename__ = "inquiry_attempt"
    __table_args__ = (
        Index("ix_inquiry_attempt_ip_key_created_at", "ip_key", "created_at"),
        Index("ix_inquiry_attempt_recipient_created_at", "recipient", "created_at"),
        Index("ix_inquiry_attempt_sender_key_created_at", "sender_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    ip_key: Mapped[str] = mapped_column(String(64), default="")
    #: "p:<practitioner id>" or "t:<tenant id>"; "" for a post that was dropped (honeypot,
    #: blocked sender), which counts against its connection but not against the recipient.
    recipient: Mapped[str] = mapped_column(String(24), default="")
    #: A keyed hash of the sender's address: the form cannot be used to mail one address often.
    sender_key: Mapped[str] = mapped_column(String(64), default="")


class SenderBlock(db.Model):
    """An address a therapist (for their profile) or a practice (for all of it) no longer
    hears from: its messages look sent to the sender and are dropped."""

    __tablename__ = "sender_block"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email_key", "practitioner_id", name="uq_sender_block_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    #: The profile it blocks for; None: the whole practice.
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    #: The address, lowercased.
    email_key: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    practitioner: Mapped["Practitioner | None"] = relationship()  # noqa: F821
