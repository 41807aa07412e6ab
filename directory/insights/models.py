"""The one table of counts: (profile, week, kind, need, place) -> how many."""

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from directory.db import db, one_of

#: What is counted: a visit of the public profile page, a place on a page of search results.
KINDS = ("view", "appearance")


class InsightCount(db.Model):
    """How many times, in one week, a profile was viewed or shown in search results (for one
    need and place). Searches are health information: the need is a vocabulary slug and the
    place a city or a ZIP3, never what was typed; nothing says who or when within the week."""

    __tablename__ = "insight_count"
    __table_args__ = (one_of("kind", KINDS),)

    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), primary_key=True
    )
    #: The Monday (UTC) the week starts on.
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    #: The need's vocabulary slug (a condition or a modality); "" for a view, or a search
    #: that named none.
    need: Mapped[str] = mapped_column(String(80), primary_key=True, default="")
    #: "Hoboken, NJ", "ZIP 070xx" or a state's code; "" for a view, or a search without a place.
    place: Mapped[str] = mapped_column(String(80), primary_key=True, default="")
    n: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<InsightCount {self.practitioner_id} {self.week} {self.kind} {self.n}>"
