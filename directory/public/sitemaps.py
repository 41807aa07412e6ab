"""What the sitemaps list, built so that no request pays for the whole directory.

Two things cost a read of everything: the landing pages worth indexing (landing.indexable(),
seconds of CPU at 100,000 profiles) and where each child sitemap of profiles and practices
starts (the id after which its SITEMAP_URLS rows begin, so a page is read by keyset, not by
OFFSET). Both make a `Plan`. The indexer process (`search drain --forever`) writes the plan
to `<instance>/PLAN_FILE` every SITEMAP_CACHE_SECONDS (refresh_if_due); workers read that
file when it changes, so no worker holds the GIL for seconds to build it. When the file is
missing, older than STALE_AFTER x SITEMAP_CACHE_SECONDS (no indexer wrote it lately) or made
for another SITEMAP_URLS, a worker builds the plan itself and keeps it for
SITEMAP_CACHE_SECONDS, as every worker did before (0: never kept, always read afresh).

A child sitemap of 50,000 profiles read from the database cost 300 ms of a worker's CPU at
100,000 profiles (half of it SQLite handing over the rows, the rest building 50,000 lines), one
of 35,000 practices as much, and both grow with the directory until each child is full. So the
indexer also writes each child sitemap of profiles and of practices as a file, beside the plan
(`<instance>/FILES_DIR/<token>/`), with the id of each line and where it begins; a request
reads the file and corrects it (`served`). Every profile the outbox names since the plan's
`mark` (the newest outbox id before the rows were read; LATE_WINDOW ids below it too, for
transactions that committed late) is read again from the database, its old line dropped and
its line as of now put in id order. For practices, the practices of those profiles are read
again: the one each belongs to now and the one it was listed with when the files were written
(MEMBERS; a deleted profile no longer says). A practice's own change writes an outbox row for
each of its profiles. A covering index would have spared only the SQL's half of the cost, and
every request would still build 50,000 lines.

A child sitemap thus lists the rows of its id range as they are now, from the file or from the
data: a profile hidden since the plan was made leaves it at once, one added since joins the
last sitemap (up to SITEMAP_URLS). Where the file cannot be trusted, the data answers: no file
(a worker's own plan, SITEMAP_CACHE_SECONDS 0), another PUBLIC_URL, a request under a
script prefix, an outbox that went back (another database), more than MAX_CHANGED outbox rows
to correct, or a last child grown past SITEMAP_URLS. The index and the children read one plan,
so the index never names a child the plan does not have. Landing pages' children are built
from the plan's entries (20 ms for 28,000).
"""

import json
import logging
import os
import shutil
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from xml.sax.saxutils import escape

from flask import current_app, has_request_context, request, url_for
from sqlalchemy import Select, func, select

from directory import atomic
from directory.db import db
from directory.i18n import DEFAULT, LANGUAGES
from directory.mail import public_url
from directory.paging import keyset_starts
from directory.practices import roster
from directory.practices.models import Tenant
from directory.practitioners import profiles
from directory.practitioners.models import Practitioner
from directory.public import landing
from directory.search.outbox import LATE_WINDOW, SearchOutbox
from directory.validation import is_slug

log = logging.getLogger(__name__)

PLAN_FILE = "sitemaps.json"
#: Under the instance folder: a folder per written plan, holding its child sitemap files.
FILES_DIR = "sitemaps"
#: A plan file older than this many SITEMAP_CACHE_SECONDS is not trusted: its indexer missed
#: two rebuilds (stopped or stuck), and a worker builds the plan from the data instead.
STALE_AFTER = 3
#: The most outbox rows a request corrects a child sitemap file for; with more (an import, a
#: vocabulary change), it reads the data, until the indexer writes new files.
MAX_CHANGED = 5000
#: In each folder of files: the public profiles' ids and their practices' (see write_files).
MEMBERS = "members.idx"

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
URLSET = (
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
)
END = "</urlset>\n"


@dataclass(frozen=True)
class Plan:
    #: SITEMAP_URLS the plan was made for.
    size: int
    #: Landing pages worth indexing: (path, lastmod as YYYY-MM-DD), in sitemap order.
    landing: list[tuple[str, str]]
    #: For "profiles" and "practices": the id after which each child sitemap starts
    #: (0 for the first); as many as there are child sitemaps of that kind.
    starts: dict[str, list[int]]
    #: The newest outbox id before the plan's rows were read (0: none yet).
    mark: int = 0
    #: The folder under FILES_DIR holding the child sitemaps the indexer wrote for this plan
    #: (None: none, read the data).
    files: str | None = None
    #: The base URL (PUBLIC_URL) the files' links begin with.
    base: str = ""

    def count(self, kind: str) -> int:
        """How many child sitemaps of this kind the index lists (at least one)."""
        if kind == "landing":
            return max(1, -(-len(self.landing) // self.size))
        return max(1, len(self.starts[kind]))


def profile_ids() -> Select:
    """The ids of the profiles the sitemap lists, by id."""
    return (
        select(Practitioner.id)
        .join(Practitioner.tenant)
        .where(profiles.public_rule())
        .order_by(Practitioner.id)
    )


def practice_ids() -> Select:
    """The ids of the practices the sitemap lists, by id."""
    return roster.listed_practices().with_only_columns(Tenant.id)


ID_QUERIES = {"profiles": profile_ids, "practices": practice_ids}


def build(size: int) -> Plan:
    """The plan as the data says now (reads every listed office and profile id)."""
    mark = db.session.scalar(select(func.max(SearchOutbox.id))) or 0  # before the data
    entries = [(e.path, e.lastmod.date().isoformat()) for e in landing.indexable()]
    starts = {kind: keyset_starts(query(), size) for kind, query in ID_QUERIES.items()}
    return Plan(size, entries, starts, mark)


def base() -> str:
    """What every link in a sitemap begins with: PUBLIC_URL, without its last slash."""
    return public_url("public.index").rstrip("/")


# --- What each child sitemap lists ---------------------------------------------------------


def _pages(endpoint: str, rows) -> list[tuple[str, str]]:
    """(path, lastmod) for (slug, day) rows: what url_for(endpoint, slug=...) builds, with
    the route's prefix built once and each slug quoted by the route's own converter (one
    url_for per row cost 450 ms in a sitemap of 50,000)."""
    marker = "0"
    prefix, _, suffix = url_for(endpoint, slug=marker).rpartition(marker)
    quote = current_app.url_map.converters["slug"](current_app.url_map).to_url

    def quoted(slug: str) -> str:  # a slug of its own shape needs no quoting (the usual case)
        return slug if is_slug(slug) else quote(slug)

    return [(f"{prefix}{quoted(slug)}{suffix}", _day(updated)) for slug, updated in rows]


def _day(value) -> str:
    """YYYY-MM-DD of a day SQL's date() gave from a stored UTC timestamp: text on SQLite, a date
    on PostgreSQL (a datetime object for each of 50,000 rows cost a third of a sitemap)."""
    return str(value)[:10]


def url_line(prefix: str, path: str, lastmod: str) -> str:
    """One <url> of a child sitemap (`prefix`: base()): the English page, with its versions in
    each language (i18n: the Spanish one under /es/) as xhtml:link alternates."""
    english = escape(prefix + path)
    versions = "".join(
        f'<xhtml:link rel="alternate" hreflang="{code}" '
        f'href="{english if code == DEFAULT else escape(f"{prefix}/{code}{path}")}"/>'
        for code in LANGUAGES
    )
    return (
        f"  <url><loc>{english}</loc><lastmod>{lastmod}</lastmod>{versions}"
        f'<xhtml:link rel="alternate" hreflang="x-default" href="{english}"/></url>\n'
    )


def _range(column, plan: Plan, kind: str, number: int) -> list | None:
    """Keyset conditions on `column` for child sitemap `number` of `kind` (None: no such page)."""
    starts = plan.starts[kind]
    if number > len(starts):
        return None
    where = [column > starts[number - 1]]
    if number < len(starts):
        where.append(column <= starts[number])
    return where


def _profile_rows(where: list, size: int) -> list[tuple[int, str, str]]:
    """(id, slug, day of its last change) of the public profiles `where` says, by id."""
    rows = db.session.execute(
        select(Practitioner.id, Practitioner.slug, func.date(Practitioner.updated_at))
        .join(Practitioner.tenant)
        .where(profiles.public_rule(), *where)
        .order_by(Practitioner.id)
        .limit(size)
    )
    return [tuple(row) for row in rows]


def _practice_rows(where: list, size: int) -> list[tuple[int, str, str]]:
    """(id, slug, lastmod day) of the listed practices `where` says, by id: lastmod is the
    practice's own change, or its latest public profile's."""
    latest = (
        select(func.date(func.max(Practitioner.updated_at)))
        .where(Practitioner.tenant_id == Tenant.id, profiles.public_rule())
        .scalar_subquery()
    )
    rows = db.session.execute(
        roster.listed_practices()
        .with_only_columns(Tenant.id, Tenant.slug, func.date(Tenant.updated_at), latest)
        .where(*where)
        .limit(size)
    )
    return [(tid, slug, max(_day(updated), _day(last))) for tid, slug, updated, last in rows]


@dataclass(frozen=True)
class _Kind:
    """How a kind of child sitemap read from the data is read: its rows, their id column, the
    endpoint of their pages."""

    rows: Callable[[list, int], list[tuple[int, str, str]]]
    column: object
    endpoint: str


KIND = {
    "profiles": _Kind(_profile_rows, Practitioner.id, "practitioners.show"),
    "practices": _Kind(_practice_rows, Tenant.id, "practice_pages.show"),
}


def _listed(kind: str, plan: Plan, number: int, size: int) -> list[tuple[str, str]]:
    how = KIND[kind]
    where = _range(how.column, plan, kind, number)
    if where is None:
        return []
    rows = how.rows(where, size)
    return _pages(how.endpoint, ((slug, day) for _, slug, day in rows))


def _profiles(plan: Plan, number: int, size: int) -> list[tuple[str, str]]:
    return _listed("profiles", plan, number, size)


def _practices(plan: Plan, number: int, size: int) -> list[tuple[str, str]]:
    return _listed("practices", plan, number, size)


def _landing(plan: Plan, number: int, size: int) -> list[tuple[str, str]]:
    start = (number - 1) * size
    return plan.landing[start : start + size]


#: (path, lastmod) of child sitemap `number` of each kind, from the data (the plan's for
#: landing pages).
SOURCES = {"profiles": _profiles, "practices": _practices, "landing": _landing}


# --- Child sitemaps as files: written by the indexer, corrected by each request -------------


def _files(token: str) -> Path:
    return Path(current_app.instance_path) / FILES_DIR / token


def _lines(kind: str, rows: list[tuple[int, str, str]], prefix: str) -> list[bytes]:
    pages = _pages(KIND[kind].endpoint, ((slug, day) for _, slug, day in rows))
    return [url_line(prefix, path, lastmod).encode() for path, lastmod in pages]


def _int64s(path: Path) -> array:
    found = array("q")
    found.frombytes(path.read_bytes())
    return found


def write_files(plan: Plan, prefix: str) -> str:
    """Write each child sitemap of profiles and practices as the data says now, into a new
    folder under FILES_DIR; its name. Beside each `<kind>-<n>.xml`, `<kind>-<n>.idx` holds the
    id of each line, then where each line begins and where the last ends (int64s);
    MEMBERS holds the id of each public profile, then its practice's id."""
    token = f"{time.time_ns():x}-{os.getpid()}"
    folder = _files(token)
    folder.mkdir(parents=True)
    # url_for builds paths as a request at the site's root would (served() checks the root).
    with current_app.test_request_context():
        for kind, how in KIND.items():
            for number in range(1, plan.count(kind) + 1):
                rows = how.rows(_range(how.column, plan, kind, number), plan.size)
                head = (HEAD + URLSET).encode()
                ids, offsets, at = array("q"), array("q"), len(head)
                lines = _lines(kind, rows, prefix)
                for (key, _, _), line in zip(rows, lines, strict=True):
                    ids.append(key)
                    offsets.append(at)
                    at += len(line)
                offsets.append(at)
                (folder / f"{kind}-{number}.xml").write_bytes(
                    b"".join([head, *lines, END.encode()])
                )
                (folder / f"{kind}-{number}.idx").write_bytes(ids.tobytes() + offsets.tobytes())
    members = db.session.execute(profile_ids().add_columns(Practitioner.tenant_id)).all()
    pids, tids = array("q", (m[0] for m in members)), array("q", (m[1] for m in members))
    (folder / MEMBERS).write_bytes(pids.tobytes() + tids.tobytes())
    return token


def _changed_since(mark: int) -> set[int] | None:
    """Practitioners the outbox names since `mark` (and LATE_WINDOW ids below it); None when
    there are more than MAX_CHANGED rows or the outbox went back below `mark`."""
    top = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    if top < mark:
        return None
    named = db.session.scalars(
        select(SearchOutbox.practitioner_id)
        .where(SearchOutbox.id > mark - LATE_WINDOW)
        .limit(MAX_CHANGED + 1)
    ).all()
    return None if len(named) > MAX_CHANGED else set(named)


def _practices_of(changed: set[int], folder: Path) -> set[int]:
    """The practices whose line the change of these practitioners may have changed: each one's
    practice now, and the one it was listed with when the files were written (it may have
    been deleted since, or moved)."""
    found = set()
    if changed:
        found.update(
            db.session.scalars(
                select(Practitioner.tenant_id).where(Practitioner.id.in_(sorted(changed)))
            )
        )
        members = _int64s(folder / MEMBERS)
        half = len(members) // 2
        pids, tids = members[:half], members[half:]
        for pid in changed:
            i = bisect_left(pids, pid)
            if i < half and pids[i] == pid:
                found.add(tids[i])
    return found


def served(plan: Plan, kind: str, number: int) -> tuple[bytes, int] | None:
    """Child sitemap `number` of `kind` as the indexer's file says, each row changed since read
    again: the whole document and how many URLs it lists. None when no file can be trusted
    for it (the data answers then)."""
    if plan.files is None or kind not in KIND or plan.base != base():
        return None
    if has_request_context() and request.script_root:
        return None  # the files' paths are the site root's
    starts = plan.starts[kind]
    if number > len(starts):
        return None
    folder = _files(plan.files)
    try:
        data = (folder / f"{kind}-{number}.xml").read_bytes()
        index = _int64s(folder / f"{kind}-{number}.idx")
        changed = _changed_since(plan.mark)
        if changed is None:
            return None
        if kind == "practices":
            changed = _practices_of(changed, folder)
    except (OSError, ValueError):  # removed with an old plan, or written half by a crash
        return None
    listed = (len(index) - 1) // 2
    ids, offsets = index[:listed], index[listed:]
    low = starts[number - 1]
    high = starts[number] if number < len(starts) else None
    mine = sorted(key for key in changed if key > low and (high is None or key <= high))
    fresh = {}
    if mine:
        how = KIND[kind]
        where = [*_range(how.column, plan, kind, number), how.column.in_(mine)]
        rows = how.rows(where, len(mine))
        fresh = dict(zip((row[0] for row in rows), _lines(kind, rows, plan.base), strict=True))
    pieces, at, count = [data[: offsets[0]]], offsets[0], listed
    for key in mine:
        i = bisect_left(ids, key)
        pieces.append(data[at : offsets[i]])
        at = offsets[i]
        if i < listed and ids[i] == key:  # its old line goes
            at = offsets[i + 1]
            count -= 1
        if key in fresh:
            pieces.append(fresh[key])
            count += 1
    if count > plan.size:
        return None  # the last child grew past SITEMAP_URLS: the data says which fit
    pieces.append(data[at:])
    return b"".join(pieces), count


# --- The plan file ---------------------------------------------------------------------------


def _path() -> Path:
    return Path(current_app.instance_path) / PLAN_FILE


def write(plan: Plan) -> None:
    """Replace the plan file at once (readers see the old file or the new one, never half)."""
    target = _path()
    target.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "size": plan.size,
        "landing": plan.landing,
        "starts": plan.starts,
        "mark": plan.mark,
        "files": plan.files,
        "base": plan.base,
    }
    atomic.replace(target, json.dumps(data, separators=(",", ":")).encode())


def _remove_files(*keep: str | None) -> None:
    """Remove the folders of child sitemap files but `keep`'s (a request may still be reading
    the previous plan's)."""
    try:
        folders = list((Path(current_app.instance_path) / FILES_DIR).iterdir())
    except FileNotFoundError:
        return
    for folder in folders:
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)


def refresh_if_due() -> bool:
    """For the indexer: rebuild the plan file and the child sitemap files when the plan is
    missing or SITEMAP_CACHE_SECONDS old; True when it did."""
    ttl = current_app.config["SITEMAP_CACHE_SECONDS"]
    try:
        age = time.time() - _path().stat().st_mtime
    except FileNotFoundError:
        age = float("inf")
    if ttl and age < ttl:
        return False
    began = time.perf_counter()
    previous = _read()
    plan = build(current_app.config["SITEMAP_URLS"])
    if ttl:  # with 0, workers never read the plan file, nor the child files
        prefix = base()
        plan = replace(plan, files=write_files(plan, prefix), base=prefix)
    write(plan)
    db.session.rollback()  # end the read transaction
    _remove_files(plan.files, previous.files if previous else None)
    log.info("sitemaps: plan written in %.1f s", time.perf_counter() - began)
    return True


def current() -> Plan:
    """The plan requests read: the indexer's file while it is fresh, else one built here."""
    ttl = current_app.config["SITEMAP_CACHE_SECONDS"]
    size = current_app.config["SITEMAP_URLS"]
    cache = current_app.extensions.setdefault("sitemaps.plan", {})
    plan = _from_file(cache, ttl, size)
    if plan is not None:
        return plan
    now = time.monotonic()
    kept = cache.get("built")
    if ttl and kept is not None and kept[1].size == size and now - kept[0] < ttl:
        return kept[1]
    plan = build(size)
    cache["built"] = (now, plan)
    return plan


def _read() -> Plan | None:
    """The plan in the plan file, else None (with a warning when there is a file)."""
    try:
        data = json.loads(_path().read_text())
        return Plan(
            data["size"],
            [(path, lastmod) for path, lastmod in data["landing"]],
            {kind: list(data["starts"][kind]) for kind in ID_QUERIES},
            data.get("mark", 0),
            data.get("files"),
            data.get("base", ""),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("sitemaps: cannot read %s: %s", _path(), error)
        return None


def _from_file(cache: dict, ttl: int, size: int) -> Plan | None:
    """The plan in the indexer's file, parsed once per version of the file; None when there is
    no file to trust."""
    if not ttl:
        return None
    try:
        stat = _path().stat()
    except FileNotFoundError:
        return None
    if time.time() - stat.st_mtime > STALE_AFTER * ttl:
        return None
    key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    read = cache.get("file")
    if read is None or read[0] != key:
        plan = _read()
        if plan is None:
            return None
        read = cache["file"] = (key, plan)
    plan = read[1]
    return plan if plan.size == size else None
