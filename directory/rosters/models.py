"""What a roster sync leaves behind besides the licenses it changed: one history row per run,
and the licenses it could not decide on, queued for an admin with the roster's row beside
them."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.db import UTCDateTime, db, now_utc, one_of
from directory.locales import joined, ngettext

#: Why a sync queued a license (the admin queue shows it):
#: name_mismatch: the roster lists the number under another name;
#: conditional: the roster's license carries conditions (probation, a restriction);
#: missing: a complete roster does not list the number at all;
#: staff_rejected: the roster says active, but an admin rejected the license (an admin's
#: refusal is not overturned by a file).
REVIEW_REASONS = ("name_mismatch", "conditional", "missing", "staff_rejected")


class RosterSync(db.Model):
    """One run of `licenses sync`: which file, as of when, who ran it, what it did."""

    __tablename__ = "roster_sync"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    #: The file's name as given (no folder: it says nothing about the operator's machine).
    file_name: Mapped[str] = mapped_column(String(255))
    #: The day the roster is as of (--file-date, else the file's modification day, UTC).
    file_date: Mapped[date] = mapped_column(Date)
    #: Who ran it: "cli", or an admin's email.
    actor_label: Mapped[str] = mapped_column(String(120), default="cli")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    verified: Mapped[int] = mapped_column(Integer, default=0)
    lapsed: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)

    def summary(self) -> str:
        """The contract's one summary line."""
        return (
            f"rows {self.rows}, verified {self.verified}, lapsed {self.lapsed}, "
            f"queued {self.queued}, unchanged {self.unchanged}"
        )

    def said(self) -> str:
        """The summary in the reader's words: "4 rows, 1 verified, 1 lapsed, 0 queued and 2
        unchanged" ("4 filas, 1 verificada..."). The command keeps the contract's line."""
        return joined(
            (
                ngettext("%(num)s row", "%(num)s rows", self.rows),
                ngettext("%(num)s verified", "%(num)s verified", self.verified),
                ngettext("%(num)s lapsed", "%(num)s lapsed", self.lapsed),
                ngettext("%(num)s queued", "%(num)s queued", self.queued),
                ngettext(
                    "%(num)s unchanged",
                    "%(num)s unchanged",
                    self.unchanged,
                ),
            )
        )


class LicenseReview(db.Model):
    """A license a sync queued for an admin, with the roster row it was compared with. Open
    until an admin decides on the license (resolved_at)."""

    __tablename__ = "license_review"
    __table_args__ = (one_of("reason", REVIEW_REASONS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(
        ForeignKey("license.id", ondelete="CASCADE"), index=True
    )
    sync_id: Mapped[int | None] = mapped_column(
        ForeignKey("roster_sync.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    file_date: Mapped[date] = mapped_column(Date)
    #: What the roster said (licensing.ROSTER_STATUSES); None when it did not list the number.
    roster_status: Mapped[str | None] = mapped_column(String(12))
    #: The roster row's fields as they were in the file; None when it did not list the number.
    roster_row: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    license: Mapped["License"] = relationship()  # noqa: F821
    sync: Mapped[RosterSync | None] = relationship()
