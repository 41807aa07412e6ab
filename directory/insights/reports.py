"""What the insights pages show: 12 weeks of views, search appearances, inquiries and reply
times for one profile or a whole practice, and the needs and places it was found for."""

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from directory.db import db
from directory.inquiries.models import Inquiry
from directory.insights.models import InsightCount
from directory.insights.tally import this_week, week_of
from directory.practitioners.models import Practitioner

#: Weeks shown, this one included.
WEEKS = 12
#: Needs and places listed (the most frequent).
TOP = 10


@dataclass(frozen=True)
class Week:
    start: date
    views: int
    appearances: int
    inquiries: int
    #: Of `inquiries`, those marked replied.
    replied: int
    #: The median time to a reply marked on this week's inquiries, in hours; None: no reply.
    median_reply_hours: float | None

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


@dataclass(frozen=True)
class Insights:
    #: Oldest first; the last is this week (so far).
    weeks: list[Week]
    #: (vocabulary slug, appearances) and (place, appearances) over the weeks, most first.
    needs: list[tuple[str, int]]
    places: list[tuple[str, int]]

    @property
    def this_week(self) -> Week:
        return self.weeks[-1]

    @property
    def most(self) -> dict[str, int]:
        """The largest weekly number of each series (a chart's scale; at least 1)."""
        return {
            name: max(1, *(getattr(w, name) for w in self.weeks))
            for name in ("views", "appearances", "inquiries")
        }

    def totals(self) -> dict[str, int]:
        return {
            name: sum(getattr(w, name) for w in self.weeks)
            for name in ("views", "appearances", "inquiries", "replied")
        }


def for_profile(practitioner: Practitioner) -> Insights:
    return _insights(
        InsightCount.practitioner_id == practitioner.id,
        Inquiry.practitioner_id == practitioner.id,
    )


def for_practice(tenant_id: int) -> Insights:
    """Every profile of the practice, and the messages to the practice itself."""
    profiles = select(Practitioner.id).where(Practitioner.tenant_id == tenant_id)
    return _insights(InsightCount.practitioner_id.in_(profiles), Inquiry.tenant_id == tenant_id)


def this_week_of(ids: list[int]) -> dict[int, tuple[int, int]]:
    """Profile id -> (views, appearances) this week so far, for the profiles `ids`."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(InsightCount.practitioner_id, InsightCount.kind, func.sum(InsightCount.n))
        .where(InsightCount.practitioner_id.in_(ids), InsightCount.week == this_week())
        .group_by(InsightCount.practitioner_id, InsightCount.kind)
    )
    found: dict[int, list[int]] = {pid: [0, 0] for pid in ids}
    for pid, kind, n in rows:
        found[pid][0 if kind == "view" else 1] = int(n)
    return {pid: (v, a) for pid, (v, a) in found.items()}


def _starts() -> list[date]:
    last = this_week()
    return [last - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]


def _insights(counted, sent) -> Insights:
    starts = _starts()
    first = starts[0]
    by_week: dict[tuple[date, str], int] = Counter()
    for week, kind, n in db.session.execute(
        select(InsightCount.week, InsightCount.kind, func.sum(InsightCount.n))
        .where(counted, InsightCount.week >= first)
        .group_by(InsightCount.week, InsightCount.kind)
    ):
        by_week[week, kind] += int(n)
    needs, places = (
        [
            (key, int(n))
            for key, n in db.session.execute(
                select(column, func.sum(InsightCount.n).label("total"))
                .where(counted, InsightCount.week >= first, InsightCount.kind == "appearance",
                       column != "")
                .group_by(column)
                .order_by(func.sum(InsightCount.n).desc(), column)
                .limit(TOP)
            )
        ]
        for column in (InsightCount.need, InsightCount.place)
    )  # fmt: skip
    since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    messages: dict[date, list] = {start: [] for start in starts}
    for created, replied in db.session.execute(
        select(Inquiry.created_at, Inquiry.replied_at).where(
            sent, Inquiry.created_at >= since, Inquiry.spam_at.is_(None)
        )
    ):
        week = week_of(created.date())
        if week in messages:
            messages[week].append(None if replied is None else replied - created)
    weeks = []
    for start in starts:
        waits = [w.total_seconds() / 3600 for w in messages[start] if w is not None]
        weeks.append(
            Week(
                start=start,
                views=by_week[start, "view"],
                appearances=by_week[start, "appearance"],
                inquiries=len(messages[start]),
                replied=len(waits),
                median_reply_hours=statistics.median(waits) if waits else None,
            )
        )
    return Insights(weeks, needs, places)
