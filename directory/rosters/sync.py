"""`licenses sync`: a board's roster file applied to the directory's licenses in its state
(DESIGN.md, "License verification against official rosters").

Two steps. `read` streams the whole file once, outside any write transaction: every row is
checked (a malformed row or an unmapped status word stops everything, nothing changed), and only
the rows whose number some profile holds are kept, so memory follows the directory, not the
file. `apply` then decides each license of the state in one transaction, on the license as it
is in that transaction:

- the roster lists the number, under the profile's name:
  active -> verified, with the check recorded (method "roster", source, file date, the row as
  evidence) and the roster's expiry date; conditional -> the admin queue; any other status ->
  rejected at once (no badge, and no listing in the state: DESIGN rules 2 and 3), noting what
  the roster said. An active license an admin rejected goes to the queue instead: a file does
  not overturn a person's refusal;
- the roster lists the number under another name -> the admin queue (never verified);
- a complete roster (Texas, Washington) does not list it -> the admin queue.
A queued license that was verified goes back to pending: the badge waits for the admin.

A license whose record already says what the row says is unchanged and nothing is written; a
newer file that says the same again only moves its check date on (a plain UPDATE: no outbox
row, search shows the same). A file older than a license's last check changes nothing for it.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, insert, select, update

from directory import audit, licensing
from directory.db import db, now_utc
from directory.practitioners.models import License, Practitioner
from directory.rosters import files
from directory.rosters.files import RosterError, RosterRow
from directory.rosters.models import LicenseReview, RosterSync
from directory.search import outbox

#: Rows between two progress reports.
PROGRESS_EVERY = 50_000
#: Licenses loaded, decided and written at a time.
APPLY_CHUNK = 1000
#: What a decision may change on a license: the columns compared before and after it, and
#: written back (one UPDATE for the chunk's changed licenses) when they differ.
_DECIDED = ("status", "note", "expires_on", "reviewer_id", "reviewed_at", "check_method",
            "check_source", "checked_on", "roster_status", "roster_row")  # fmt: skip


class _License:
    """A license as deciding it reads it (its decided columns, and its profile's name, slug and
    practice), a plain object: the decisions of a state's licenses are compared and written a
    chunk at a time, not flushed one ORM object at a time."""

    def __init__(self, row):
        self.id, self.practitioner_id, self.state, self.number = row[:4]
        for column, value in zip(_DECIDED, row[4 : 4 + len(_DECIDED)], strict=True):
            setattr(self, column, value)
        self.name, self.slug, self.tenant_id = row[4 + len(_DECIDED) :]
        self.before = self.decided()

    def decided(self) -> dict:
        return {column: getattr(self, column) for column in _DECIDED}


def _load(ids: list[int]) -> list[_License]:
    """The licenses of `ids`, in id order, with their profiles' name, slug and practice: one
    query."""
    return [
        _License(row)
        for row in db.session.execute(
            select(
                License.id,
                License.practitioner_id,
                License.state,
                License.number,
                *(getattr(License, column) for column in _DECIDED),
                Practitioner.name,
                Practitioner.slug,
                Practitioner.tenant_id,
            )
            .join(Practitioner, Practitioner.id == License.practitioner_id)
            .where(License.id.in_(ids))
            .order_by(License.id)
        )
    ]


@dataclass
class _Review:
    """An open review of a license: loaded (id set), or added by this run (id None)."""

    license_id: int
    reason: str
    roster_row: dict | None
    id: int | None = None
    roster_status: str | None = None
    resolved: bool = False


class UnknownSource(Exception):
    pass


def spec_of(source: str) -> dict:
    """The declared mapping of a roster source; UnknownSource names the known ones."""
    found = licensing.roster_sources().get(source)
    if found is None:
        known = ", ".join(licensing.roster_sources())
        raise UnknownSource(f"{source!r} is not a roster source (known: {known})")
    return found


def file_day(path: str) -> date:
    """The day a roster file is as of when nobody says: its modification day (UTC)."""
    return datetime.fromtimestamp(os.stat(path).st_mtime, UTC).date()


@dataclass
class Read:
    """What `read` kept of a file: how many rows it had, and the rows of numbers the directory
    holds, by license id."""

    rows: int
    matches: dict[int, list[RosterRow]]


def read(source: str, path: str, file_date: date,
         progress: Callable[[int, int, int], None] | None = None) -> Read:  # fmt: skip
    """Check every row of the file and keep those matching a license of the source's state;
    RosterError (with the line) when a row cannot be read. `progress(rows, bytes read, bytes
    in all)` is called every PROGRESS_EVERY rows."""
    spec = spec_of(source)
    held: dict[str, list[int]] = {}
    for lic_id, number in db.session.execute(
        select(License.id, License.number).where(License.state == spec["state"])
    ):
        held.setdefault(licensing.number_key(number), []).append(lic_id)
    # The read transaction ends here: the file may take a while, and holds nothing meanwhile.
    db.session.rollback()
    total = os.path.getsize(path)
    matches: dict[int, list[RosterRow]] = {}
    count = 0
    with open(path, encoding=spec.get("encoding", "utf-8-sig"), newline="") as handle:
        for row in files.rows(spec, source, handle, file_date):
            count += 1
            for lic_id in held.get(row.key, ()):
                matches.setdefault(lic_id, []).append(row)
            if progress and count % PROGRESS_EVERY == 0:
                progress(count, handle.buffer.tell(), total)
    return Read(count, matches)


def _best(rows: list[RosterRow], name: str) -> tuple[RosterRow, bool]:
    """The row that decides a license (one number may be listed more than once: a therapist
    with several businesses), and whether it names the profile's person."""
    named = [r for r in rows if files.names_match(name, r)]
    if not named:
        return rows[0], False
    for wanted in ("active", "conditional"):
        for row in named:
            if row.status == wanted:
                return row, True
    return named[0], True


class _Run:
    def __init__(self, source: str, spec: dict, sync: RosterSync):
        self.source, self.spec, self.sync = source, spec, sync
        self.refresh: list[int] = []
        self.open_reviews: dict[int, list[_Review]] = {}
        self.audit = audit.Batch(f"sync:{source}")
        self.added: list[_Review] = []
        self.resolved: list[int] = []

    def _audit(self, action: str, lic: _License, **details) -> None:
        self.audit.record(
            action,
            tenant_id=lic.tenant_id,
            subject_type="practitioner",
            subject_id=lic.slug or str(lic.practitioner_id),
            details={
                "license": lic.id, "state": lic.state, "number": lic.number,
                "source": self.source, "file": self.sync.file_name,
                "file_date": self.sync.file_date.isoformat(), "sync": self.sync.id, **details,
            },
        )  # fmt: skip

    def _settle(self, review: _Review) -> None:
        review.resolved = True
        if review.id is not None:
            self.resolved.append(review.id)

    def _resolve(self, lic: _License) -> None:
        for review in self.open_reviews.pop(lic.id, []):
            self._settle(review)

    def _same_check(self, lic: _License, status: str, row: RosterRow | None) -> bool:
        return (
            lic.check_method == "roster"
            and lic.check_source == self.source
            and lic.roster_status == status
            and (row is None or lic.roster_row == row.evidence)
        )

    def _refresh(self, lic: _License) -> None:
        # Said again by a newer file: only the check's date moves on (a file older than the
        # check never gets here: decide).
        if lic.checked_on is not None and lic.checked_on < self.sync.file_date:
            self.refresh.append(lic.id)

    def _checked(self, lic: _License, row: RosterRow) -> None:
        licensing.record_check(
            lic, method="roster", on=self.sync.file_date, source=self.source,
            roster_status=row.status, evidence=row.evidence,
        )  # fmt: skip
        lic.reviewer_id, lic.reviewed_at = None, now_utc()

    def verify(self, lic: _License, row: RosterRow) -> str:
        expires_on = row.expires_on or lic.expires_on
        if (
            lic.status == "verified"
            and lic.expires_on == expires_on
            and self._same_check(lic, "active", row)
        ):
            self._refresh(lic)
            return "unchanged"
        self._checked(lic, row)
        lic.status, lic.note, lic.expires_on = "verified", None, expires_on
        self._resolve(lic)
        self._audit("license.verified", lic, roster_status="active",
                    expires=expires_on.isoformat())  # fmt: skip
        return "verified"

    def lapse(self, lic: _License, row: RosterRow) -> str:
        if lic.status == "rejected" and self._same_check(lic, row.status, None):
            self._refresh(lic)
            return "unchanged"
        self._checked(lic, row)
        on = self.sync.file_date
        lic.status = "rejected"
        lic.note = (
            f"The {self.spec['name']} roster of {on:%b} {on.day}, {on.year} lists this license "
            f"as {row.status}."
        )
        self._resolve(lic)
        self._audit("license.lapsed", lic, roster_status=row.status)
        return "lapsed"

    def queue(self, lic: _License, reason: str, row: RosterRow | None) -> str:
        evidence = row.evidence if row else None
        waiting = self.open_reviews.get(lic.id, [])
        if any(r.reason == reason and r.roster_row == evidence for r in waiting):
            return "unchanged"
        for earlier in [r for r in waiting if r.reason == reason]:
            self._settle(earlier)  # superseded by what this file says
            waiting.remove(earlier)
        review = _Review(lic.id, reason, evidence, roster_status=row.status if row else None)
        self.added.append(review)
        waiting.append(review)
        self.open_reviews[lic.id] = waiting
        if lic.status == "verified":
            # The badge waits for the admin: what it rested on is in doubt.
            lic.status, lic.reviewer_id, lic.reviewed_at = "pending", None, None
            licensing.forget_check(lic)
        if reason == "conditional" and lic.status == "pending":
            self._checked(lic, row)
            lic.reviewed_at = None
        self._audit("license.queued", lic, reason=reason,
                    roster_status=row.status if row else None)  # fmt: skip
        return "queued"

    def decide(self, lic: _License, rows: list[RosterRow] | None) -> str | None:
        """What this file does to one license: verified, lapsed, queued, unchanged, or None
        when the file says nothing about it."""
        if lic.checked_on is not None and lic.checked_on > self.sync.file_date:
            return "unchanged" if rows or self.spec.get("complete") else None
        if not rows:
            if not self.spec.get("complete") or lic.status == "rejected":
                return None
            return self.queue(lic, "missing", None)
        row, named = _best(rows, lic.name)
        if not named:
            return self.queue(lic, "name_mismatch", row)
        if row.status == "active":
            if lic.status == "rejected" and lic.check_method != "roster":
                return self.queue(lic, "staff_rejected", row)
            return self.verify(lic, row)
        if row.status == "conditional":
            return self.queue(lic, "conditional", row)
        return self.lapse(lic, row)

    def write(self, decided: list[_License]) -> None:
        """What the chunk's decisions changed, a statement for each kind of write (not one for
        each license): the licenses whose decided columns differ, their profiles' search outbox
        rows, the reviews settled and added, the audit events. A license whose record already
        said what the file says is not written at all."""
        changed = [lic for lic in decided if lic.decided() != lic.before]
        if changed:
            # updated_at moves on as an ORM flush would move it (the column's onupdate).
            db.session.connection().execute(
                update(License.__table__).where(License.__table__.c.id == bindparam("_id")),
                [{"_id": lic.id, **lic.decided()} for lic in changed],
            )
            outbox.enqueue(sorted({lic.practitioner_id for lic in changed}))
        if self.refresh:
            # A plain UPDATE of the date, no search outbox row (search shows the same); its
            # updated_at moves (the column's onupdate), so HSDS readers of what changed since
            # a moment see the new assured_date.
            db.session.connection().execute(
                update(License.__table__)
                .where(License.__table__.c.id.in_(self.refresh))
                .values(checked_on=self.sync.file_date)
            )
            self.refresh = []
        if self.resolved:
            db.session.connection().execute(
                update(LicenseReview)
                .where(LicenseReview.id.in_(self.resolved))
                .values(resolved_at=now_utc())
                .execution_options(synchronize_session=False)
            )
            self.resolved = []
        if added := [r for r in self.added if not r.resolved]:
            sync = self.sync
            db.session.connection().execute(
                insert(LicenseReview),
                [
                    {
                        "license_id": r.license_id,
                        "sync_id": sync.id,
                        "reason": r.reason,
                        "source": self.source,
                        "file_date": sync.file_date,
                        "roster_status": r.roster_status,
                        "roster_row": r.roster_row,
                        "created_at": now_utc(),
                        "resolved_at": None,
                    }
                    for r in added
                ],
            )
        self.added = []
        self.audit.write()


def apply(source: str, found: Read, *, file_name: str, file_date: date,
          actor_label: str = "cli") -> RosterSync:  # fmt: skip
    """Apply a read file to the licenses of its state, in the session's transaction (flushed,
    not committed); the run's RosterSync holds the counts."""
    spec = spec_of(source)
    sync = RosterSync(
        source=source, file_name=os.path.basename(file_name)[:255], file_date=file_date,
        actor_label=actor_label, rows=found.rows,
    )  # fmt: skip
    db.session.add(sync)
    db.session.flush()
    run = _Run(source, spec, sync)
    ids = db.session.scalars(
        select(License.id).where(License.state == spec["state"]).order_by(License.id)
    ).all()
    for review in db.session.execute(
        select(
            LicenseReview.id,
            LicenseReview.license_id,
            LicenseReview.reason,
            LicenseReview.roster_row,
        )
        .join(License, License.id == LicenseReview.license_id)
        .where(License.state == spec["state"], LicenseReview.resolved_at.is_(None))
        .order_by(LicenseReview.id)
    ):
        run.open_reviews.setdefault(review.license_id, []).append(
            _Review(review.license_id, review.reason, review.roster_row, id=review.id)
        )
    counts = dict.fromkeys(("verified", "lapsed", "queued", "unchanged"), 0)
    # A chunk of licenses at a time: one query reads them, a few statements write what their
    # decisions changed, so statements follow the chunks and memory the chunk, not the state.
    for start in range(0, len(ids), APPLY_CHUNK):
        chunk = _load(ids[start : start + APPLY_CHUNK])
        for lic in chunk:
            outcome = run.decide(lic, found.matches.pop(lic.id, None))
            if outcome is not None:
                counts[outcome] += 1
        run.write(chunk)
        del chunk
    sync.verified, sync.lapsed = counts["verified"], counts["lapsed"]
    sync.queued, sync.unchanged = counts["queued"], counts["unchanged"]
    sync.finished_at = now_utc()
    if counts["verified"] or counts["lapsed"] or counts["queued"]:
        audit.record(
            "roster.synced",
            actor=actor_label,
            subject=sync,
            details={"source": source, "file": sync.file_name,
                     "file_date": file_date.isoformat(), "summary": sync.summary()},
        )  # fmt: skip
    db.session.flush()
    return sync


__all__ = ["Read", "RosterError", "UnknownSource", "apply", "file_day", "read", "spec_of"]
