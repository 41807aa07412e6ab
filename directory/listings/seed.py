"""`listings seed`: public-record files turned into unclaimed listings (DESIGN.md, "Listings
from public records, and claims").

The file is read once, one row at a time (records.py), and every row is checked before
anything is applied (`check`): a bad row is named with its line and the reading goes on, so one
run names every bad row (up to Problems.KEEP) and changes nothing. The people of a whole file
wait in a Spool (an anonymous temporary file, a JSON line each) and are then applied a chunk of
CHUNK people at a time, each chunk in its own short transaction: a 9 GB file never sits in
memory, and the site keeps serving while it runs. Every decision is taken on what the
database holds, keyed as each source keys people, so the same file seeded twice changes
nothing, and a run stopped halfway (killed, or the machine down) is finished by running it
again.

For each person of the file, in order:
- named in the removal registry (by NPI, or by state + license number): skipped;
- found by its source key (the NPI; "TX:MT12345" for a roster), else by a license pair the
  directory holds under the same person's name (licensing.number_key, rosters.files.
  names_match): that is their listing, whichever source made it (one listing per person);
  a pair held under another name is a conflict, skipped and counted;
- the listing is claimed: nothing is touched (its therapist says what it says);
- deactivated (NPPES) or no longer current (a roster): an unclaimed listing is hidden;
- otherwise the unclaimed listing is created, or brought up to what the file says: the
  source that made it sets the name, credential, address and phone; every source adds its
  license, a roster's with the roster's check (verified, or lapsed) like `licenses sync`.
NPPES organizations become practices with no members (unclaimed). Individuals' listings
belong to one practice, PUBLIC_RECORDS, that nobody is a member of: no user can sign in to it
or edit what it holds, and its page is not public (README, "Listings from public records").
"""

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from directory import audit, geo, licensing, locales
from directory.db import db
from directory.listings.models import ListingRemoval, ListingSource
from directory.listings.records import (
    Person,
    RecordLicense,
    Tally,
    display,
    from_text,
    nppes_people,
    roster_people,
    to_text,
)
from directory.practices.models import Tenant
from directory.practitioners.models import License, Office, Practitioner
from directory.rosters import files
from directory.rosters.files import Problems, RosterError
from directory.validation import numbered, slug_base, unique_slug

NPPES = "nppes"
NPPES_NAME = "NPPES"
#: The practice every unclaimed listing of a person belongs to.
PUBLIC_RECORDS = "public-records"
PUBLIC_RECORDS_NAME = "Listings from public records"
#: People decided per transaction.
CHUNK = 1000
#: Rows between two progress reports.
PROGRESS_EVERY = 50_000


class UnknownSource(Exception):
    pass


def sources() -> dict[str, str]:
    """Every source a seed reads, by name, with the name pages say ("NPPES", "Texas TDLR"):
    NPPES, and the rosters whose mapping declares business-address (`listing`) columns."""
    found = {NPPES: NPPES_NAME}
    for name, spec in licensing.roster_sources().items():
        if spec.get("listing"):
            found[name] = spec["name"]
    return found


def source_name(source: str) -> str:
    """The name pages give a source ("NPPES", "Texas TDLR"); the source itself if unknown."""
    return sources().get(source, source)


def check_source(source: str) -> None:
    """UnknownSource naming the sources a seed reads, unless `source` is one of them."""
    if source not in sources():
        others = [s for s in licensing.roster_sources() if s not in sources()]
        raise UnknownSource(
            f"{source!r} is not a source of listings (known: {', '.join(sources())}"
            + (f"; {', '.join(others)} name no business address" if others else "")
            + ")"
        )


@dataclass
class Run:
    """What a seed did, counted."""

    rows: int = 0
    #: Rows about massage therapists (or deactivations) the seed looked at.
    kept: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    hidden: int = 0
    #: Claimed profiles the file names: left as their therapists wrote them.
    claimed: int = 0
    #: In the removal registry: never listed again.
    removed: int = 0
    #: A license the directory holds under another name: not joined, not listed.
    conflicts: int = 0
    #: Not current in the file and not listed: nothing to show.
    skipped: int = 0
    practices_created: int = 0
    practices_updated: int = 0
    #: Listings linked to (or unlinked from) the organization at their address.
    linked: int = 0

    def summary(self) -> str:
        return ", ".join(f"{f.name.replace('_', ' ')} {getattr(self, f.name)}"
                         for f in fields(self))  # fmt: skip

    @property
    def changed(self) -> int:
        return (self.created + self.updated + self.hidden + self.practices_created
                + self.practices_updated + self.linked)  # fmt: skip


def people(source: str, path: str, file_date: date,
           progress: Callable[[int, int, int], None] | None = None,
           run: Run | None = None,
           problems: Problems | None = None) -> Iterator[Person]:  # fmt: skip
    """The people of a file of `source`, one at a time; RosterError names a line that cannot
    be read (given `problems`, such a row is added there and skipped; a header that cannot be
    read still raises). `progress(rows, bytes read, bytes in all)` every PROGRESS_EVERY rows."""
    check_source(source)
    total = os.path.getsize(path)
    if source == NPPES:
        encoding, spec = "utf-8-sig", None
    else:
        spec = licensing.roster_sources()[source]
        encoding = spec.get("encoding", "utf-8-sig")
    with open(path, encoding=encoding, newline="") as handle:
        tally = Tally()
        if spec is None:
            # A deactivation concerns only the NPIs the directory lists.
            known = set(db.session.scalars(
                select(ListingSource.key).where(ListingSource.source == NPPES)
            ))  # fmt: skip
            db.session.rollback()
            found = nppes_people(handle, tally, known, problems)
        else:
            found = roster_people(spec, source, handle, file_date, tally, problems)
        last = 0
        for person in found:
            if run is not None:
                run.rows = tally.rows
            if progress and tally.rows - last >= PROGRESS_EVERY:
                last = tally.rows
                progress(tally.rows, handle.buffer.tell(), total)
            yield person
        if run is not None:
            run.rows = tally.rows


class Spool:
    """The people of a file being checked, waiting in an anonymous temporary file (a JSON line
    each) between the check and the seed: the big file is read once, and memory stays flat."""

    def __init__(self) -> None:
        # Closed by __exit__: a Spool is used as a context manager.
        self.handle = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.count = 0

    def add(self, person: Person) -> None:
        self.handle.write(to_text(person) + "\n")
        self.count += 1

    def __iter__(self) -> Iterator[Person]:
        self.handle.flush()
        self.handle.seek(0)
        for text in self.handle:
            yield from_text(text)

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *_exc) -> None:
        self.handle.close()


def check(source: str, path: str, file_date: date, spool: Spool,
          progress: Callable[[int, int, int], None] | None = None,
          run: Run | None = None) -> Problems:  # fmt: skip
    """The first pass over a file: every row read; the people it names put in `spool`, every
    row that cannot be read counted in the Problems returned (when there is one, nothing is to
    be applied: a file goes in whole or not at all). RosterError: the header cannot be read."""
    problems = Problems()
    for person in people(source, path, file_date, progress, run, problems):
        if not problems:
            spool.add(person)
    return problems


def public_records_practice() -> Tenant:
    """The practice holding every unclaimed listing of a person (made on first use)."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == PUBLIC_RECORDS))
    if tenant is None:
        tenant = Tenant(slug=PUBLIC_RECORDS, name=PUBLIC_RECORDS_NAME, kind="network",
                        claimed=False)  # fmt: skip
        db.session.add(tenant)
        db.session.flush()
    elif tenant.claimed:
        raise RuntimeError(f"the practice {PUBLIC_RECORDS!r} belongs to someone: rename it")
    return tenant


def holders_of(pairs: set[tuple[str, str]]):
    """(state, number_key, practitioner_id) of the licenses among `pairs` (and a few more:
    the caller keeps the pairs asked). Both columns, so the (state, number_key) index
    answers: by number_key alone the query read every license for each chunk."""
    return select(License.state, License.number_key, License.practitioner_id).where(
        License.state.in_({s for s, _k in pairs}),
        License.number_key.in_({k for _s, k in pairs}),
    )


def removed(people: Iterable[Person]) -> tuple[set[str], set[tuple[str, str]]]:
    """The NPIs and (state, number key) pairs of these people that the removal registry
    names."""
    people = list(people)
    npis = {p.npi for p in people if p.npi}
    pairs = {(lic.state, lic.key) for p in people for lic in p.licenses}
    gone_npis = set(
        db.session.scalars(select(ListingRemoval.npi).where(ListingRemoval.npi.in_(npis)))
    ) if npis else set()  # fmt: skip
    gone_pairs = set()
    if pairs:
        for state, key in db.session.execute(
            select(ListingRemoval.state, ListingRemoval.number_key).where(
                ListingRemoval.number_key.in_({k for _s, k in pairs})
            )
        ):
            if (state, key) in pairs:
                gone_pairs.add((state, key))
    return gone_npis, gone_pairs


class Seeder:
    def __init__(self, source: str, file_date: date, *, increment: bool = False):
        check_source(source)
        self.source, self.file_date, self.increment = source, file_date, increment
        self.run = Run()
        self.home: Tenant | None = None

    # --- one chunk ---------------------------------------------------------------------------

    def apply(self, chunk: list[Person]) -> None:
        """Decide a chunk of people in the session's transaction (flushed, not committed)."""
        if self.home is None:
            self.home = public_records_practice()
        self.run.kept += len(chunk)
        gone_npis, gone_pairs = removed(chunk)
        by_key = {
            s.key: s
            for s in db.session.scalars(
                select(ListingSource).where(
                    ListingSource.source == self.source,
                    ListingSource.key.in_({p.key for p in chunk}),
                )
            )
        }
        holders = self._license_holders(chunk)
        wanted = {s.practitioner_id for s in by_key.values() if s.practitioner_id}
        wanted |= {pid for ids in holders.values() for pid in ids}
        listings = {
            p.id: p
            for p in db.session.scalars(
                select(Practitioner)
                .where(Practitioner.id.in_(wanted))
                .options(selectinload(Practitioner.licenses), selectinload(Practitioner.offices))
            )
        } if wanted else {}  # fmt: skip
        own = self._primary_sources(listings)
        new: list[tuple[Person, Practitioner]] = []
        self.new_practices: list[tuple[Person, Tenant, dict]] = []
        for person in chunk:
            if person.npi in gone_npis or any((lic.state, lic.key) in gone_pairs
                                              for lic in person.licenses):  # fmt: skip
                self.run.removed += 1
                continue
            entry = by_key.get(person.key)
            if person.is_organization or (entry is not None and entry.tenant_id is not None):
                self._practice(person, entry)
                continue
            listing = listings.get(entry.practitioner_id) if entry is not None else None
            if listing is None and person.licenses:
                listing = self._joined(person, holders, listings)
                if listing is False:
                    self.run.conflicts += 1
                    continue
            if listing is not None and not listing.claimed and entry is None:
                by_key[person.key] = entry = self._entry(person, listing)
            if listing is not None and listing.claimed:
                self.run.claimed += 1
                continue
            if entry is not None and entry.file_date > self.file_date:
                # An older file than the one the listing shows says nothing new.
                self.run.unchanged += 1
                continue
            if not person.active:
                if listing is not None and listing.published:
                    listing.published = False
                    self.run.hidden += 1
                elif listing is None:
                    self.run.skipped += 1
                else:
                    self.run.unchanged += 1
                continue
            if listing is None:
                if not person.last_name:
                    self.run.skipped += 1
                    continue
                listing = self._create(person)
                new.append((person, listing))
                continue
            changed = self._update(listing, person, primary=own.get(listing.id) == person.key)
            if entry is not None and entry.file_date < self.file_date:
                entry.file_date = self.file_date
            self.run.updated += changed
            self.run.unchanged += not changed
        made = self.new_practices
        if new or made:
            self._slugs(Practitioner.slug, [(f"{p.name} {p.city}", lst) for p, lst in new])
            self._slugs(Tenant.slug, [(t.name, t) for _p, t, _r in made])
            db.session.flush()
            for person, listing in new:
                db.session.add(self._source_row(person, practitioner_id=listing.id))
            for person, tenant, record in made:
                db.session.add(self._source_row(person, tenant_id=tenant.id, record=record))
        db.session.flush()

    def _license_holders(self, chunk: list[Person]) -> dict[tuple[str, str], list[int]]:
        """Per (state, number key) of the chunk's licenses, the practitioners holding it."""
        pairs = {(lic.state, lic.key) for p in chunk for lic in p.licenses}
        found: dict[tuple[str, str], list[int]] = {}
        if not pairs:
            return found
        for state, key, pid in db.session.execute(holders_of(pairs)):
            if (state, key) in pairs:
                found.setdefault((state, key), []).append(pid)
        return found

    def _primary_sources(self, listings: dict[int, Practitioner]) -> dict[int, str]:
        """Per listing, the key of this source's entry when this source made it (its first
        entry): that source alone sets what the listing shows."""
        first: dict[int, tuple[int, str, str]] = {}
        if not listings:
            return {}
        for sid, pid, source, key in db.session.execute(
            select(ListingSource.id, ListingSource.practitioner_id, ListingSource.source,
                   ListingSource.key).where(ListingSource.practitioner_id.in_(listings))
        ):  # fmt: skip
            if pid not in first or sid < first[pid][0]:
                first[pid] = (sid, source, key)
        return {pid: key for pid, (_sid, source, key) in first.items() if source == self.source}

    def _joined(self, person: Person, holders, listings) -> Practitioner | bool | None:
        """The listing holding one of the person's licenses under their name, None when no one
        holds them, False when someone else does (a conflict)."""
        other = False
        for lic in person.licenses:
            for pid in holders.get((lic.state, lic.key), ()):
                listing = listings.get(pid)
                if listing is None:
                    continue
                if files.names_match(listing.name, person):
                    return listing
                other = True
        return False if other else None

    def _entry(self, person: Person, listing: Practitioner) -> ListingSource:
        entry = self._source_row(person, practitioner_id=listing.id)
        db.session.add(entry)
        return entry

    def _source_row(self, person: Person, **owner) -> ListingSource:
        return ListingSource(source=self.source, key=person.key, file_date=self.file_date,
                             **owner)  # fmt: skip

    # --- listings ----------------------------------------------------------------------------

    def _create(self, person: Person) -> Practitioner:
        # Added to the session once the chunk's slugs are chosen (`_slugs`).
        listing = Practitioner(
            tenant_id=self.home.id,
            slug="",
            name=person.name[:120],
            credentials=person.credentials[:80],
            setting=None,
            claimed=False,
            published=True,
            # Nobody said so: a listing claims nothing about new clients.
            accepting_new_clients=False,
            phone=person.phone,
        )
        for lic in person.licenses:
            listing.licenses.append(self._license(lic))
        if office := _office(person):
            listing.offices.append(office)
        self.run.created += 1
        return listing

    def _license(self, lic: RecordLicense) -> License:
        made = License(state=lic.state, number=lic.number[:40], status="pending",
                       expires_on=lic.expires_on)  # fmt: skip
        if lic.roster_status is not None:
            self._checked(made, lic)
        return made

    def _checked(self, made: License, lic: RecordLicense) -> None:
        """The roster's check on a listing's license, as `licenses sync` records it."""
        licensing.record_check(
            made, method="roster", on=self.file_date, source=self.source,
            roster_status=lic.roster_status, evidence=lic.evidence,
        )  # fmt: skip
        made.status = lic.status
        made.expires_on = lic.expires_on or made.expires_on
        on = self.file_date
        made.note = None if lic.status == "verified" else (
            f"The {source_name(self.source)} roster of {on:%b} {on.day}, {on.year} lists this "
            f"license as {lic.roster_status}."
        )  # fmt: skip

    def _update(self, listing: Practitioner, person: Person, *, primary: bool) -> bool:
        """Bring an unclaimed listing to what the file says; whether anything changed."""
        changed = False
        if not listing.published:
            listing.published, changed = True, True
        if primary:
            for name, value in (("name", person.name[:120]),
                                ("credentials", person.credentials[:80]),
                                ("phone", person.phone)):  # fmt: skip
                if getattr(listing, name) != value:
                    setattr(listing, name, value)
                    changed = True
            office = _office(person)
            now = [(o.street, o.city, o.state, o.zip) for o in listing.offices]
            wanted = [(office.street, office.city, office.state, office.zip)] if office else []
            if now != wanted:
                listing.offices.clear()
                if office:
                    listing.offices.append(office)
                changed = True
        held = {lic.state: lic for lic in listing.licenses}
        for lic in person.licenses:
            mine = held.get(lic.state)
            if mine is None:
                listing.licenses.append(self._license(lic))
                changed = True
            elif lic.roster_status is not None and mine.number_key == lic.key:
                if not (
                    mine.check_source == self.source
                    and mine.roster_status == lic.roster_status
                    and mine.roster_row == lic.evidence
                    and mine.expires_on == (lic.expires_on or mine.expires_on)
                ):
                    self._checked(mine, lic)
                    changed = True
                elif mine.checked_on is not None and mine.checked_on < self.file_date:
                    mine.checked_on = self.file_date
        return changed

    def _slugs(self, column, new: list[tuple[str, object]]) -> None:
        """Slugs for new listings ("name-city") or practices ("name"), then numbered; each
        object is added to the session once it has one. One query for the chunk, and one per
        name already taken."""
        bases = [slug_base(text, "listing") for text, _obj in new]
        taken = set(db.session.scalars(select(column).where(column.in_(bases)))) if bases else set()
        used: set[str] = set()
        for base, (_text, obj) in zip(bases, new, strict=True):
            if base in taken or base in used:
                with db.session.no_autoflush:
                    slug = unique_slug(column, base, "listing")
                slug = numbered(slug, used) if slug in used else slug
            else:
                slug = base
            used.add(slug)
            obj.slug = slug
            db.session.add(obj)

    def hide_absent(self) -> None:
        """After a full file: hide the unclaimed listings that only this source lists and that
        the file no longer does (its entries are older than the file), a chunk at a time."""
        stale = select(ListingSource.practitioner_id).where(
            ListingSource.source == self.source,
            ListingSource.practitioner_id.is_not(None),
            ListingSource.file_date < self.file_date,
        )
        current = select(ListingSource.practitioner_id).where(
            ListingSource.practitioner_id.is_not(None),
            ListingSource.file_date >= self.file_date,
        )
        ids = db.session.scalars(
            select(Practitioner.id).where(
                Practitioner.id.in_(stale),
                Practitioner.id.not_in(current),
                Practitioner.claimed.is_(False),
                Practitioner.published.is_(True),
            )
        ).all()
        for start in range(0, len(ids), CHUNK):
            for listing in db.session.scalars(
                select(Practitioner).where(Practitioner.id.in_(ids[start : start + CHUNK]))
            ):
                listing.published = False
                self.run.hidden += 1
            db.session.flush()

    def link_organizations(self) -> int:
        """Link each individual's NPPES entry of this file to the organization the same file
        places at the same practice-location street, ZIP and business phone (the link rule,
        README "Listings from public records"): once its official claims the practice, the
        person who claims the listing is offered to join it. Two organizations at one place
        link nobody (never a guess), and nothing is matched across files: a full file
        recomputes every link of its entries, an increment only adds. Returns the links
        made or changed."""
        if self.source != NPPES:
            return 0
        places: dict[tuple[str, str, str], int | None] = {}
        for tenant_id, record in db.session.execute(
            select(ListingSource.tenant_id, ListingSource.record).where(
                ListingSource.source == NPPES, ListingSource.tenant_id.is_not(None),
                ListingSource.file_date == self.file_date,
            )
        ):  # fmt: skip
            key = place_key((record or {}).get("street"), (record or {}).get("zip"),
                            (record or {}).get("phone"))  # fmt: skip
            if key:
                places[key] = tenant_id if key not in places else None
        first_office = (
            select(Office.practitioner_id, func.min(Office.id).label("office_id"))
            .group_by(Office.practitioner_id).subquery()
        )  # fmt: skip
        rows = db.session.execute(
            select(ListingSource.id, ListingSource.organization_id, Practitioner.phone,
                   Office.street, Office.zip)
            .join(Practitioner, Practitioner.id == ListingSource.practitioner_id)
            .outerjoin(first_office, first_office.c.practitioner_id == Practitioner.id)
            .outerjoin(Office, Office.id == first_office.c.office_id)
            .where(ListingSource.source == NPPES, ListingSource.file_date == self.file_date,
                   ListingSource.practitioner_id.is_not(None))
        ).all()  # fmt: skip
        changes = {}
        for entry_id, linked, phone, street, zip_code in rows:
            wanted = places.get(place_key(street, zip_code, phone))
            if wanted != linked and (wanted is not None or not self.increment):
                changes[entry_id] = wanted
        ids = list(changes)
        for start in range(0, len(ids), CHUNK):
            for entry in db.session.scalars(
                select(ListingSource).where(ListingSource.id.in_(ids[start : start + CHUNK]))
            ):
                entry.organization_id = changes[entry.id]
            db.session.flush()
        return len(changes)

    # --- practices ---------------------------------------------------------------------------

    def _practice(self, person: Person, entry: ListingSource | None) -> None:
        first, last, title, phone = person.official
        record = {"street": person.street, "city": person.city, "state": person.state,
                  "zip": person.zip, "phone": person.phone,
                  "licenses": [[lic.state, lic.number] for lic in person.licenses],
                  "official_first": first, "official_last": last, "official_title": title,
                  "official_phone": phone}  # fmt: skip
        name = (display(person.organization) or "")[:120]
        if entry is None:
            if not person.active or not name:
                self.run.skipped += 1
                return
            # Added with a slug at the end of the chunk (`_slugs`).
            tenant = Tenant(slug="", name=name, kind="practice", claimed=False)
            self.new_practices.append((person, tenant, record))
            self.run.practices_created += 1
            return
        tenant = db.session.get(Tenant, entry.tenant_id)
        if tenant.claimed or not person.active:
            self.run.unchanged += 1
            return
        if (tenant.name, entry.record) != (name, record):
            tenant.name, entry.record = name, record
            self.run.practices_updated += 1
        else:
            self.run.unchanged += 1
        if entry.file_date < self.file_date:
            entry.file_date = self.file_date


def place_key(street, zip_code, phone) -> tuple[str, str, str] | None:
    """A practice location as the link rule compares it: the street as a listing shows it
    (case and spacing aside), the ZIP, the phone's digits; None when one is missing."""
    street = " ".join(display(street or "").lower().split())[:200]
    digits = "".join(c for c in phone or "" if c.isdigit())
    if not street or not zip_code or len(digits) != 10:
        return None
    return street, str(zip_code)[:5], digits


def _office(person: Person) -> Office | None:
    """The business address of record as an office, when its ZIP is a known one in its
    state (else there is nothing to place it by)."""
    if not (person.zip and person.state and person.street):
        return None
    try:
        lat, lon, _city, _state = geo.zip_location(person.zip, person.state)
    except geo.PlaceError:
        return None
    return Office(street=display(person.street)[:200], city=display(person.city)[:100],
                  state=person.state, zip=person.zip, lat=lat, lon=lon)  # fmt: skip


def chunks(found: Iterable[Person], size: int = CHUNK) -> Iterator[list[Person]]:
    """The people in lists of `size`."""
    batch: list[Person] = []
    for person in found:
        batch.append(person)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def record_run(seeder: Seeder, file_name: str, actor_label: str = "cli") -> None:
    """The audit event of a seed that changed something."""
    if seeder.run.changed:
        audit.record(
            "listings.seeded",
            actor=actor_label,
            details={"source": seeder.source, "file": os.path.basename(file_name)[:255],
                     "file_date": seeder.file_date.isoformat(),
                     "increment": seeder.increment, "summary": seeder.run.summary()},
        )  # fmt: skip


def sources_of(practitioner_id: int) -> list[dict]:
    """The contract's `sources` of a listing: each file it came from, newest first."""
    rows = db.session.execute(
        select(ListingSource.source, ListingSource.file_date)
        .where(ListingSource.practitioner_id == practitioner_id)
        .order_by(ListingSource.file_date.desc(), ListingSource.id)
    )
    return [
        {"source": source, "source_name": source_name(source), "file_date": on.isoformat()}
        for source, on in rows
    ]


def from_files(found: list[dict]) -> str:
    """Where a listing comes from, as its page says it: "the NPPES file of November 2026 and
    the Texas TDLR file of December 2026" (`found`: sources_of)."""
    return locales.joined(
        _("the %(source)s file of %(month)s", source=s["source_name"],
          month=locales.month_year(date.fromisoformat(s["file_date"])))
        for s in found
    )  # fmt: skip


__all__ = ["Problems", "RosterError", "Run", "Seeder", "Spool", "check", "chunks", "people",
           "record_run", "sources_of"]  # fmt: skip
