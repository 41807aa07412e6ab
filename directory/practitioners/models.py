"""Practitioner profiles and what hangs off them: licenses, specialties, offices, conditions,
modalities."""

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload, validates

from directory import licensing
from directory.db import UTCDateTime, db, now_utc, one_of
from directory.vocabulary import SETTINGS

LICENSE_STATUSES = ("pending", "verified", "rejected")

practitioner_condition = Table(
    "practitioner_condition",
    db.metadata,
    Column("practitioner_id", ForeignKey("practitioner.id", ondelete="CASCADE"), primary_key=True),
    Column("condition_id", ForeignKey("condition.id", ondelete="CASCADE"), primary_key=True),
)

practitioner_modality = Table(
    "practitioner_modality",
    db.metadata,
    Column("practitioner_id", ForeignKey("practitioner.id", ondelete="CASCADE"), primary_key=True),
    Column("modality_id", ForeignKey("modality.id", ondelete="CASCADE"), primary_key=True),
)


#: Days a therapist's word on accepting new clients counts as recent.
ACCEPTING_FRESH_DAYS = 90


def confirmed_recently(at: datetime | None) -> bool:
    """Whether a word on accepting new clients given `at` (None: never) is still recent."""
    return at is not None and now_utc() - at <= timedelta(days=ACCEPTING_FRESH_DAYS)


class Practitioner(db.Model):
    __tablename__ = "practitioner"
    __table_args__ = (
        one_of("setting", SETTINGS),
        # An index, not a table constraint: SQLite adds it without rebuilding the table.
        Index("uq_practitioner_photo", "photo", unique=True),
        Index("uq_practitioner_public_id", "public_id", unique=True),
        # The home page's "recently updated": read backwards, it stops after a page of rows
        # instead of sorting every practitioner. `id` breaks ties in the same order.
        Index("ix_practitioner_updated_at_id", "updated_at", "id"),
        # The same for claimed profiles only: seeded listings (unclaimed, and the newest rows
        # after a seed) would otherwise be stepped over by the 100,000 before the first one.
        Index("ix_practitioner_claimed_updated_at_id", "claimed", "updated_at", "id"),
        # validation.unique_slug asks `lower(slug) IN (...)` for a name already taken.
        Index("ix_practitioner_lower_slug", text("lower(slug)")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    #: The therapist's own account, when they have one (staff may be listed without).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: A random, never reused identifier for other systems (the HSDS export's service id):
    #: it says nothing about row numbers, so gaps of hidden profiles cannot be counted.
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(120))
    credentials: Mapped[str] = mapped_column(String(80), default="")
    headline: Mapped[str] = mapped_column(String(160), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    #: The headline and bio in Spanish, shown on Spanish pages when set ("" : the English ones,
    #: said to be in English).
    headline_es: Mapped[str] = mapped_column(String(160), default="", server_default="")
    bio_es: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: None: not stated (an unclaimed listing: the public record does not say, and nothing is
    #: invented). Search and its filters treat it as unknown: no setting filter lists it.
    setting: Mapped[str | None] = mapped_column(String(8))
    #: False for a listing seeded from public records (directory.listings) that its therapist
    #: has not claimed: it shows only what the records say, and a seed may update it. A seed
    #: never touches a claimed profile's fields.
    claimed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_reason: Mapped[str | None] = mapped_column(String(500))
    accepting_new_clients: Mapped[bool] = mapped_column(Boolean, default=True)
    #: When the therapist last said whether they accept new clients (set, or confirmed from the
    #: dashboard); None: never. After ACCEPTING_FRESH_DAYS the page says it is not recent.
    accepting_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_home: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Languages spoken besides the default, as display names ("Spanish").
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Session price range in whole US dollars.
    price_min: Mapped[int | None] = mapped_column(Integer)
    price_max: Mapped[int | None] = mapped_column(Integer)
    #: Session lengths offered, in minutes.
    session_lengths: Mapped[list[int]] = mapped_column(JSON, default=list)
    insurance_notes: Mapped[str] = mapped_column(String(500), default="")
    accepts_physician_referrals: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Shown to clients only if the therapist chooses one ("" = not shown): woman, man, nonbinary.
    gender: Mapped[str] = mapped_column(String(10), default="")
    hsa_fsa: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    #: Whether the page and the public JSON show `contact_email` (off: clients write through
    #: the inquiry form, and the address stays private).
    show_email: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The therapist's own online booking page (https only), shown as "Book online".
    booking_url: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    #: File name of the profile photo under <instance>/uploads/, chosen by the server.
    photo: Mapped[str | None] = mapped_column(String(40))
    #: Optimistic lock: a save based on an older version is refused instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    __mapper_args__ = {"version_id_col": version}

    tenant: Mapped["Tenant"] = relationship(back_populates="practitioners")  # noqa: F821
    user: Mapped["User | None"] = relationship()  # noqa: F821
    licenses: Mapped[list["License"]] = relationship(
        back_populates="practitioner",
        cascade="all, delete-orphan",
        order_by="License.state",
        foreign_keys="License.practitioner_id",
    )
    offices: Mapped[list["Office"]] = relationship(
        back_populates="practitioner", cascade="all, delete-orphan", order_by="Office.id"
    )
    specialties: Mapped[list["Specialty"]] = relationship(
        back_populates="practitioner",
        cascade="all, delete-orphan",
        order_by="Specialty.kind",
        foreign_keys="Specialty.practitioner_id",
    )
    conditions: Mapped[list["Condition"]] = relationship(  # noqa: F821
        secondary=practitioner_condition, order_by="Condition.name"
    )
    modalities: Mapped[list["Modality"]] = relationship(  # noqa: F821
        secondary=practitioner_modality, order_by="Modality.name"
    )

    @property
    def is_publicly_visible(self) -> bool:
        """Published, not suspended, and its practice is active (DESIGN rule 1)."""
        return self.published and not self.suspended and self.tenant.is_active

    @property
    def accepting_confirmed_recently(self) -> bool:
        """Whether the therapist said within ACCEPTING_FRESH_DAYS whether they accept clients."""
        return confirmed_recently(self.accepting_confirmed_at)

    def __repr__(self) -> str:
        return f"<Practitioner {self.slug}>"


def _number_key_default(context) -> str:
    return licensing.number_key(context.get_current_parameters().get("number") or "")


class License(db.Model):
    __tablename__ = "license"
    __table_args__ = (
        UniqueConstraint("practitioner_id", "state", name="uq_license_practitioner_state"),
        one_of("status", LICENSE_STATUSES),
        Index("ix_license_state_number_key", "state", "number_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(2))
    number: Mapped[str] = mapped_column(String(40))
    #: The number as rosters and the NPPES file are matched on (licensing.number_key), kept
    #: by the model (`_keep_number_key`, and the column default for bulk inserts).
    number_key: Mapped[str | None] = mapped_column(String(40), default=_number_key_default)
    #: Expired is derived from this date, never stored. Indexed for the daily expiry job.
    #: None only on an unclaimed listing's license from the NPPES file, which names no expiry.
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))
    # What was last checked, behind `verification` (licensing.record_check): None when nobody
    # checked the license as it now stands.
    #: "roster" (a board's roster file, licenses sync) or "staff" (an admin, an import).
    check_method: Mapped[str | None] = mapped_column(String(6))
    #: The roster source ("tx-tdlr"); None for a staff check.
    check_source: Mapped[str | None] = mapped_column(String(20))
    #: The day the facts were checked as of: the roster file's date, or the staff decision's.
    checked_on: Mapped[date | None] = mapped_column(Date)
    #: What the roster said (licensing.ROSTER_STATUSES); None for a staff check.
    roster_status: Mapped[str | None] = mapped_column(String(12))
    #: The roster row's fields as they were in the file: the evidence.
    roster_row: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    practitioner: Mapped[Practitioner] = relationship(
        back_populates="licenses", foreign_keys=[practitioner_id]
    )

    @validates("number")
    def _keep_number_key(self, _key: str, number: str) -> str:
        self.number_key = licensing.number_key(number)
        return number

    @property
    def verification(self) -> dict | None:
        """The contract's `verification` object (licensing.verification)."""
        return licensing.verification(
            self.state, self.check_method, self.check_source, self.checked_on, self.roster_status
        )

    def __repr__(self) -> str:
        return f"<License {self.state} {self.number} {self.status}>"


class Specialty(db.Model):
    """A specialty credential (CLT, prenatal, oncology...): a record with its evidence, decided
    by an admin like a license. Only a verified, unexpired one earns a badge or a search match;
    the free-text `credentials` line earns nothing (DESIGN.md, "Specialty credentials")."""

    __tablename__ = "specialty"
    __table_args__ = (
        UniqueConstraint("practitioner_id", "kind", name="uq_specialty_practitioner_kind"),
        one_of("status", LICENSE_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    #: A kind of data/vocabulary.json "specialties" ("clt", "prenatal"...).
    kind: Mapped[str] = mapped_column(String(20))
    issuer: Mapped[str] = mapped_column(String(120))
    number: Mapped[str] = mapped_column(String(60), default="")
    issued_on: Mapped[date | None] = mapped_column(Date)
    #: None: the certificate does not expire. Lapsed is derived from it, never stored.
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    #: File name of the uploaded evidence under <instance>/credentials/ (private: never served
    #: publicly), chosen by the server.
    document: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    practitioner: Mapped[Practitioner] = relationship(
        back_populates="specialties", foreign_keys=[practitioner_id]
    )

    def __repr__(self) -> str:
        return f"<Specialty {self.kind} {self.status}>"


NOTICE_KINDS = ("expiring", "expired")


class LicenseNotice(db.Model):
    """A reminder mailed about a license: once per license, kind and expiry date, so the daily
    `licenses expire` job never mails twice and a renewed license (new date) is reminded anew."""

    __tablename__ = "license_notice"
    __table_args__ = (
        UniqueConstraint("license_id", "kind", "expires_on", name="uq_license_notice_period"),
        one_of("kind", NOTICE_KINDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(
        ForeignKey("license.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    expires_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: The addresses written to, comma-separated (the therapist, else the practice's managers).
    sent_to: Mapped[str] = mapped_column(String(1000), default="")


class Office(db.Model):
    __tablename__ = "office"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    #: Indexed: a state's landing counts (public/counts.py) read its offices, not every office
    #: of the country (100,000 more with the listings seeded beside the demo).
    state: Mapped[str] = mapped_column(String(2), index=True)
    zip: Mapped[str] = mapped_column(String(5))
    #: Resolved offline from the ZIP, never typed in.
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)

    practitioner: Mapped[Practitioner] = relationship(back_populates="offices")

    def __repr__(self) -> str:
        return f"<Office {self.city}, {self.state} {self.zip}>"


def whole_profile():
    """Loader options that fetch everything a profile shows, in a few queries for many rows."""
    return (
        selectinload(Practitioner.tenant),
        selectinload(Practitioner.licenses),
        selectinload(Practitioner.specialties),
        selectinload(Practitioner.offices),
        selectinload(Practitioner.conditions),
        selectinload(Practitioner.modalities),
    )
