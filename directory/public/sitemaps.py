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

A child sitemap reads the rows of its id range as they are now: a profile hidden since the
plan was made leaves it at once, one added since joins the last sitemap (up to SITEMAP_URLS).
The index and the children read one plan, so the index never names a child the plan does not
have.
"""

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import Select, select

from directory.db import db
from directory.paging import keyset_starts
from directory.practices import roster
from directory.practices.models import Tenant
from directory.practitioners import profiles
from directory.practitioners.models import Practitioner
from directory.public import landing

log = logging.getLogger(__name__)

PLAN_FILE = "sitemaps.json"
#: A plan file older than this many SITEMAP_CACHE_SECONDS is not trusted: its indexer missed
#: two rebuilds (stopped or stuck), and a worker builds the plan from the data instead.
STALE_AFTER = 3


@dataclass(frozen=True)
class Plan:
    #: SITEMAP_URLS the plan was made for.
    size: int
    #: Landing pages worth indexing: (path, lastmod as YYYY-MM-DD), in sitemap order.
    landing: list[tuple[str, str]]
    #: For "profiles" and "practices": the id after which each child sitemap starts
    #: (0 for the first); as many as there are child sitemaps of that kind.
    starts: dict[str, list[int]]

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
    entries = [(e.path, e.lastmod.date().isoformat()) for e in landing.indexable()]
    starts = {kind: keyset_starts(query(), size) for kind, query in ID_QUERIES.items()}
    return Plan(size, entries, starts)


def _path() -> Path:
    return Path(current_app.instance_path) / PLAN_FILE


def write(plan: Plan) -> None:
    """Replace the plan file at once (readers see the old file or the new one, never half)."""
    target = _path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{PLAN_FILE}.{os.getpid()}.tmp")
    data = {"size": plan.size, "landing": plan.landing, "starts": plan.starts}
    tmp.write_text(json.dumps(data, separators=(",", ":")))
    os.replace(tmp, target)


def refresh_if_due() -> bool:
    """For the indexer: rebuild the plan file when it is missing or SITEMAP_CACHE_SECONDS old;
    True when it did."""
    ttl = current_app.config["SITEMAP_CACHE_SECONDS"]
    try:
        age = time.time() - _path().stat().st_mtime
    except FileNotFoundError:
        age = float("inf")
    if ttl and age < ttl:
        return False
    began = time.perf_counter()
    write(build(current_app.config["SITEMAP_URLS"]))
    db.session.rollback()  # end the read transaction
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
        try:
            data = json.loads(_path().read_text())
            plan = Plan(
                data["size"],
                [(path, lastmod) for path, lastmod in data["landing"]],
                {kind: list(data["starts"][kind]) for kind in ID_QUERIES},
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("sitemaps: cannot read %s: %s", _path(), error)
            return None
        read = cache["file"] = (key, plan)
    plan = read[1]
    return plan if plan.size == size else None
