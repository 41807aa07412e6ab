"""`flask --app directory export hsds DIR`: the published directory as HSDS 3.0 files.

- `DIR/organizations.json`, `DIR/services.json`, `DIR/service_at_locations.json`: JSON arrays of
  fully nested records (records.py), written as they are built, about PROFILES_PER_BATCH
  profiles at a time (a practice is loaded whole), so 100,000 profiles never sit in memory at
  once.
- `DIR/csv/`: the tabular data package: one CSV file per resource of the official descriptor
  (`data/hsds/datapackage.json`, copied beside them), in its columns, empty ones with their
  header only. Written by csvfile: text that begins like a spreadsheet formula gets a leading
  single quote; latitude and longitude stay numbers, as the descriptor types them.

Every file is written under a temporary name, flushed to disk, and renamed only when all are
complete: an export that fails while writing leaves the previous one whole.
"""

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select

from directory import csvfile
from directory.db import db
from directory.hsds import records
from directory.practices import roster
from directory.practices.models import Tenant

JSON_FILES = ("organizations", "services", "service_at_locations")
#: Profiles loaded together (a batch of whole practices, in a few queries).
PROFILES_PER_BATCH = 2_000
#: Practices between two progress lines.
PROGRESS_EVERY = 200

#: Nested keys of a record -> the resource its items are rows of. `organization` and
#: `location` inside a service are copies of rows written from the organization itself.
NESTED = {
    "locations": "location",
    "addresses": "address",
    "services": "service",
    "service_at_locations": "service_at_location",
    "contacts": "contact",
    "phones": "phone",
    "languages": "language",
    "attributes": "attribute",
}
SKIPPED = {"organization", "location", "taxonomy_term", "taxonomy_detail"}


@cache
def descriptor() -> dict:
    """The official HSDS 3.0 tabular data package descriptor (vendored)."""
    path = resources.files("directory").joinpath("data/hsds/datapackage.json")
    return json.loads(path.read_text(encoding="utf-8"))


def columns() -> dict[str, tuple[str, list[str]]]:
    """resource name -> (its CSV file name, its column names), in the descriptor's order."""
    return {
        r["name"]: (r["path"], [f["name"] for f in r["schema"]["fields"]])
        for r in descriptor()["resources"]
    }


def rows(record: dict, resource: str) -> Iterator[tuple[str, dict]]:
    """(resource, row) for a nested record and everything nested in it, parents first."""
    yield resource, {k: v for k, v in record.items() if not isinstance(v, list | dict)}
    for key, value in record.items():
        if key in NESTED:
            for item in value:
                yield from rows(item, NESTED[key])
        elif key not in SKIPPED and isinstance(value, list | dict):
            raise ValueError(f"{resource}.{key} has no place in the tabular package")


#: What this package is; its resources are the official descriptor's, unchanged.
PACKAGE = {
    "profile": "tabular-data-package",
    "name": "massage-directory-hsds",
    "title": "Massage therapists of the directory, as Open Referral HSDS 3.0",
    "description": "The published profiles and practices of the directory: organizations are "
    "practices, services are each listed therapist's massage, locations their listed offices.",
}


@dataclass
class Counts:
    organizations: int = 0
    services: int = 0
    locations: int = 0


def practices(
    on: date | None = None, per_batch: int = PROFILES_PER_BATCH, include_unclaimed: bool = False
) -> Iterator[records.Practice]:
    """Every listed practice's records, in batches of about `per_batch` profiles (a practice
    larger than that is a batch of its own); the unclaimed listings' practice only if asked."""
    last = 0
    while True:
        window = db.session.scalars(
            roster.listed_practices(include_unclaimed=include_unclaimed)
            .with_only_columns(Tenant.id).where(Tenant.id > last)
            .limit(500)
        ).all()  # fmt: skip
        if not window:
            return
        sizes, chosen, total = roster.counts(window), [], 0
        for tenant_id in window:
            chosen.append(tenant_id)
            total += sizes.get(tenant_id, 0)
            if total >= per_batch:
                break
        last = chosen[-1]
        tenants = db.session.scalars(
            select(Tenant).where(Tenant.id.in_(chosen)).order_by(Tenant.id)
        ).all()
        yield from records.load(list(tenants), on)
        db.session.expunge_all()  # the batch is written: let its objects go


def count_practices(include_unclaimed: bool = False) -> int:
    listed = roster.listed_practices(include_unclaimed=include_unclaimed)
    return db.session.scalar(select(func.count()).select_from(listed.subquery()))


class _JsonArray:
    """A JSON array written one item at a time."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.empty = True
        handle.write("[")

    def add(self, item: dict) -> None:
        self.handle.write("\n" if self.empty else ",\n")
        self.handle.write(json.dumps(item, ensure_ascii=False))
        self.empty = False

    def close(self) -> None:
        self.handle.write("]\n" if self.empty else "\n]\n")


def write(
    folder: Path,
    on: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    include_unclaimed: bool = False,
) -> Counts:
    """Write the export into `folder` (made if missing); progress(done, total) after each batch
    of practices and at the end. Returns what was written. Unclaimed listings from public
    records only if `include_unclaimed` (under their practice, "Listings from public
    records")."""
    folder = Path(folder)
    tabular = folder / "csv"
    tabular.mkdir(parents=True, exist_ok=True)
    table_columns = columns()
    final: list[tuple[Path, Path]] = []
    handles = []

    def open_new(path: Path):
        temporary = path.with_name(f".{path.name}.partial")
        handle = temporary.open("w", encoding="utf-8", newline="")
        handles.append(handle)
        final.append((temporary, path))
        return handle

    counts = Counts()
    total = count_practices(include_unclaimed)
    try:
        arrays = {name: _JsonArray(open_new(folder / f"{name}.json")) for name in JSON_FILES}
        writers = {}
        for name, (path, names) in table_columns.items():
            writers[name] = csvfile.writer(open_new(tabular / path), names)

        found = practices(on, include_unclaimed=include_unclaimed)
        for done, practice in enumerate(found, start=1):
            arrays["organizations"].add(practice.organization)
            for s in practice.services:
                arrays["services"].add(s)
            for link in practice.service_at_locations:
                arrays["service_at_locations"].add(link)
            for resource, row in rows(practice.organization, "organization"):
                writers[resource].writerow(row)
            counts.organizations += 1
            counts.services += len(practice.services)
            # A location's id is its practice's and its address's: unique across practices.
            counts.locations += len(practice.organization["locations"])
            if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
        writers["taxonomy"].writerows(records.taxonomies())
        writers["taxonomy_term"].writerows(records.terms().values())
        for array in arrays.values():
            array.close()
        package = {**PACKAGE, "resources": descriptor()["resources"]}
        handle = open_new(tabular / "datapackage.json")
        json.dump(package, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
        for handle in handles:
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
    except BaseException:
        for handle in handles:
            handle.close()
        for temporary, _ in final:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, path in final:
        os.replace(temporary, path)
    return counts
