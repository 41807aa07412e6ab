"""A practice's roster as a file, from its dashboard: its own profiles exported as CSV or JSON
Lines, and such a file imported back through the command line's importer (transfer.py: the
same parsing, the same validation, the same writes), with the rules a practice lives by:

- only the practice's own profiles: a line names no other practice (`tenant` may be left out),
  a slug another practice holds is refused without saying whose, and the file never renames
  the practice (`tenant_name` and `tenant_kind` are read and ignored);
- licenses and specialty certificates keep the review they have: only the directory's
  reviewers verify or reject, so a status other than `pending` must be the one on file;
- `published: true` publishes through the Publish button's own checks, and a profile they
  refuse is an error of its line;
- all or nothing: one bad line and nothing is written.

A preview runs the whole import in a savepoint and rolls it back, so it reports exactly what
applying would do: which lines create a profile, which update one, and each error by line.
"""

import base64
import binascii
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from directory import csvfile, locales
from directory.db import db
from directory.practices.models import Tenant
from directory.practitioners import fields, operations, transfer
from directory.practitioners.models import LICENSE_STATUSES, Practitioner, whole_profile
from directory.refusals import Refused

#: The largest roster file the dashboard takes (about 700 full profiles as JSON Lines).
MAX_BYTES = 2 * 1024 * 1024
#: Formats by what their files are called.
FORMATS = {"csv": "CSV", "jsonl": "JSON Lines"}
#: The practice-level keys of a line, which a practice's own import ignores.
IGNORED = ("tenant_name", "tenant_kind")
#: A CSV's columns: the import format's keys, lists written in one cell each.
CSV_COLUMNS = (
    "slug", *transfer.PROFILE_FIELDS, "modalities", "conditions", "licenses", "offices",
)  # fmt: skip
#: How a CSV cell lists several values.
SEPARATOR = ";"
#: A CSV cell holding only this empties its column (a blank cell keeps the value on file; our
#: export writes a text that is a lone dash as "'-", which reads back as that text).
CLEAR = "-"
_OFFICE = re.compile(
    r"^(?P<street>.+),\s*(?P<city>[^,]+),\s*(?P<state>[A-Za-z]{2})\s+(?P<zip>\S+)$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- Export ---------------------------------------------------------------------------------


def _profiles(tenant: Tenant) -> Iterator[Practitioner]:
    query = (
        select(Practitioner)
        .where(Practitioner.tenant_id == tenant.id)
        .order_by(Practitioner.slug)
        .options(*whole_profile())
        .execution_options(yield_per=200)
    )
    yield from db.session.scalars(query)


def export_jsonl(tenant: Tenant) -> Iterator[str]:
    """The practice's own profiles, one JSON line each, as `practitioners export` writes them."""
    for p in _profiles(tenant):
        yield json.dumps(transfer.export_record(p), ensure_ascii=False) + "\n"


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return f"{SEPARATOR} ".join(map(str, value))
    return value


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """One exported record as a CSV row: lists joined by "; ", a license as "NJ 18KT01515000
    2028-11-30 verified", an office as "51 Newark St, Hoboken, NJ 07030"."""
    row = {key: _cell(record.get(key)) for key in CSV_COLUMNS[:-2]}
    row["licenses"] = f"{SEPARATOR} ".join(
        f"{lic['state']} {lic['number']} {lic['expires']} {lic['status']}"
        for lic in record["licenses"]
    )
    row["offices"] = f"{SEPARATOR} ".join(
        f"{o['street']}, {o['city']}, {o['state']} {o['zip']}" for o in record["offices"]
    )
    return row


def export_csv(tenant: Tenant) -> str:
    """The practice's own profiles as a CSV file, every text cell formula-safe (csvfile)."""
    out = io.StringIO()
    writer = csvfile.writer(out, CSV_COLUMNS)
    for p in _profiles(tenant):
        writer.writerow(csv_row(transfer.export_record(p)))
    return out.getvalue()


# --- Reading a file ------------------------------------------------------------------------


def read(data: bytes, filename: str) -> tuple[str, str]:
    """(format, text) of an uploaded roster: CSV or JSON Lines by its name (else by its first
    character), UTF-8 text. Refused says what is wrong with the file as a whole."""
    if not data.strip():
        raise Refused(_("That file is empty."))
    if len(data) > MAX_BYTES:
        raise Refused(
            _(
                "That file is larger than %(count)s MB; split it.",
                count=locales.number(MAX_BYTES // (1024 * 1024)),
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(_("That file is not UTF-8 text (save it as “CSV UTF-8”).")) from None
    if "\0" in text:
        raise Refused(_("That file is not text."))
    name = filename.lower()
    if name.endswith(".csv"):
        return "csv", text
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl", text
    return ("jsonl" if text.lstrip().startswith("{") else "csv"), text


def carry(text: str) -> str:
    """The file's text, compressed, for the preview's form to send back when applying (the
    server keeps no upload between the two steps)."""
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def carried(value: str) -> str:
    """The text `carry` made, or Refused (a form changed on the way, or a bomb)."""
    try:
        inflate = zlib.decompressobj()
        data = inflate.decompress(base64.b64decode(value, validate=True), MAX_BYTES + 1)
        if len(data) > MAX_BYTES or not inflate.eof:
            raise ValueError("too large")
        return data.decode("utf-8")
    except (binascii.Error, zlib.error, ValueError):
        raise Refused(_("That preview has expired; upload the file again.")) from None


def _lines_of_jsonl(text: str, tenant: Tenant) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            raw = json.loads(line) if line.strip() else None
        except ValueError:
            raw = None
        if isinstance(raw, dict):
            line = json.dumps(_scoped(raw, tenant), ensure_ascii=False)
        yield number, line


def _scoped(raw: dict, tenant: Tenant) -> dict:
    """A line as the importer reads it for this practice: its tenant filled in, the practice's
    own details dropped. A line naming another practice keeps that name (and is refused)."""
    raw = {k: v for k, v in raw.items() if k not in IGNORED}
    raw.setdefault("tenant", tenant.slug)
    return raw


def _unescaped(value: str) -> str:
    # Our export's formula-safe quote comes back off (csvfile.escape), so a file exported,
    # edited in a spreadsheet and imported keeps "+1 201..." as it was.
    if value.startswith("'") and value[1:].startswith(csvfile.FORMULA_STARTS):
        return value[1:]
    return value


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(SEPARATOR) if part.strip()]


def _spec(key: str) -> fields.ProfileField | None:
    """The field-table entry of a column, None for the others (slug, tenant, lists)."""
    name = transfer.PROFILE_FIELDS[key][0] if key in transfer.PROFILE_FIELDS else None
    return fields.BY_NAME[name] if name else None


def _empty(key: str) -> Any:
    """The empty value of a column, as a cell holding only CLEAR asks for: no text, no list,
    no number; a yes/no has none (the importer's message names the column)."""
    if key in ("modalities", "conditions", "licenses", "offices"):
        return []
    spec = _spec(key)
    if spec is None or spec.kind == "bool":
        return CLEAR
    return {"int": None, "languages": [], "minutes": []}.get(spec.kind, "")


def _csv_value(key: str, value: str, errors: list[tuple[str, str]]) -> Any:
    """A CSV cell (not blank) as the JSON value the importer parses; what cannot be read as
    such is passed on as text, and the importer's own message names it."""
    if value.strip() == CLEAR:
        return _empty(key)
    value = _unescaped(value.strip() if key not in ("bio", "insurance_notes") else value)
    if key in ("modalities", "conditions"):
        return _split(value)
    if key == "licenses":
        return [_license(part) for part in _split(value)]
    if key == "offices":
        found = []
        for part in _split(value):
            match = _OFFICE.match(part)
            if match is None:
                errors.append((
                    "offices",
                    _("“%(office)s” is not “street, city, ST zip”", office=part[:60]),
                ))  # fmt: skip
                continue
            found.append(match.groupdict())
        return found
    spec = _spec(key)
    if spec is None:
        return value
    if spec.kind == "bool":
        word = value.lower()
        if word in ("yes", "true", "1", "y"):
            return True
        if word in ("no", "false", "0", "n"):
            return False
        return value
    if spec.kind == "int":
        return int(value) if value.isdigit() else (value or None)
    if spec.kind == "languages":
        return [part.strip() for part in re.split(r"[;,]", value) if part.strip()]
    if spec.kind == "minutes":
        parts = [part.strip() for part in re.split(r"[;,]", value) if part.strip()]
        return [int(p) if p.isdigit() else p for p in parts]
    return value


def _license(text: str) -> dict[str, Any]:
    """ "NJ 18KT01515000 2028-11-30 [status]" as the importer's license object."""
    words = text.split()
    found: dict[str, Any] = {"state": words[0].upper() if words else ""}
    rest = words[1:]
    if rest and rest[-1].lower() in LICENSE_STATUSES:
        found["status"] = rest.pop().lower()
    dates = [w for w in rest if _DATE.match(w)]
    found["expires"] = dates[-1] if dates else None
    found["number"] = " ".join(w for w in rest if w not in dates)
    return found


def _lines_of_csv(
    text: str, tenant: Tenant, errors: list[transfer.LineError]
) -> Iterator[tuple[int, str]]:
    handle = io.StringIO(text, newline="")
    try:
        reader = csvfile.dict_reader(handle)
        header = [name.strip() for name in reader.fieldnames or ()]
    except csvfile.Error:
        errors.append(
            transfer.LineError(1, "(file)", _("This is not a CSV file that can be read."))
        )
        return
    reader.fieldnames = header
    for name in header:
        if name not in CSV_COLUMNS and name not in ("tenant", *IGNORED):
            errors.append(transfer.LineError(1, name, _("unknown column")))
    start = reader.line_num + 1
    try:
        for row in reader:
            number, start = start, reader.line_num + 1
            if None in row:
                why = _("This line has more cells than the header has columns.")
                errors.append(transfer.LineError(number, "(line)", why))
                continue
            if not any((value or "").strip() for value in row.values()):
                continue
            problems: list[tuple[str, str]] = []
            # A blank cell is a column left out: an update keeps the value on file, a new
            # profile gets the default (one rule for every column; CLEAR empties one).
            raw = {
                key: _csv_value(key, value, problems)
                for key, value in row.items()
                if (key in CSV_COLUMNS or key == "tenant") and (value or "").strip()
            }
            for where, message in problems:
                errors.append(transfer.LineError(number, where, message))
            if not problems:
                yield number, json.dumps(_scoped(raw, tenant), ensure_ascii=False)
    except csvfile.Error:
        why = _("This line is not valid CSV (check its quotation marks).")
        errors.append(transfer.LineError(start, "(line)", why))


# --- Preview and import --------------------------------------------------------------------


#: How many characters of a value the preview shows on each side of "old → new".
SHORT = 40


@dataclass(frozen=True)
class Change:
    """One column of a profile the file changes, each value as the CSV writes it, cut short
    ("" is an empty value)."""

    column: str
    old: str
    new: str


def _short(value: Any) -> str:
    text = " ".join(str(value if value is not None else "").split())
    return text if len(text) <= SHORT else text[: SHORT - 1].rstrip() + "…"


def _cells(record: dict[str, Any]) -> dict[str, str]:
    """A profile's values as the columns of the file write them (specialty certificates, which
    only JSON Lines carries, as "kind number")."""
    cells = {key: _short(value) for key, value in csv_row(record).items()}
    cells["specialties"] = _short(f"{SEPARATOR} ".join(
        f"{s['kind']} {s['number'] or ''}".strip() for s in record["specialties"]
    ))  # fmt: skip
    return cells


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The columns whose values differ between two export records, in the file's order."""
    old, new = _cells(before), _cells(after)
    return [Change(key, old[key], new[key]) for key in new if old[key] != new[key]]


@dataclass
class Outcome:
    """What importing a file does (or would do): each line that creates or updates a profile
    as (line, slug, name), and every error by line. Nothing is written while `errors`."""

    format: str
    created: list[tuple[int, str, str]] = field(default_factory=list)
    updated: list[tuple[int, str, str]] = field(default_factory=list)
    #: Lines of profiles the file leaves as they are (known once the import has run).
    unchanged: list[tuple[int, str, str]] = field(default_factory=list)
    #: Slug of each profile updated -> the columns the file changes (known once it has run).
    changed: dict[str, list[Change]] = field(default_factory=dict)
    errors: list[transfer.LineError] = field(default_factory=list)

    @property
    def lines(self) -> int:
        """The profiles importing writes: those the file creates or changes (an unchanged one
        is not imported again)."""
        return len(self.created) + len(self.updated)


def _license_review(status: str) -> str:
    """Why a file may not give a license this review status, one whole sentence per status."""
    if status == "verified":
        return _(
            "only the directory's reviewers mark a license verified: leave status out and it "
            "is sent for review"
        )
    return _(
        "only the directory's reviewers mark a license rejected: leave status out and it is "
        "sent for review"
    )


def _certificate_review(status: str) -> str:
    """Why a file may not give a certificate this review status, one whole sentence each."""
    if status == "verified":
        return _(
            "only the directory's reviewers mark a certificate verified: leave status out and "
            "it is sent for review"
        )
    return _(
        "only the directory's reviewers mark a certificate rejected: leave status out and it "
        "is sent for review"
    )


def _check_reviews(records, existing: dict[str, Practitioner], errors) -> None:
    """Each license and certificate keeps the review on file: a status other than pending must
    be the stored one, for the same license (else only a reviewer may give it)."""
    for record in records:
        v, p = record.values, existing.get(record.values["slug"])
        stored = {lic.state: lic for lic in p.licenses} if p else {}
        for i, lic in enumerate(v.get("licenses") or ()):
            held = stored.get(lic["state"])
            same = held is not None and (held.number, held.expires_on) == (
                lic["number"], lic["expires_on"]
            )  # fmt: skip
            if same:
                lic["status"] = held.status
            elif lic["status"] != "pending":
                errors.append(transfer.LineError(
                    record.line, f"licenses[{i}].status",
                    _license_review(lic["status"]),
                ))  # fmt: skip
        certificates = {s.kind: s for s in p.specialties} if p else {}
        keys = ("issuer", "number", "issued_on", "expires_on")
        for i, cert in enumerate(v.get("specialties") or ()):
            held = certificates.get(cert["kind"])
            if held is not None and all(getattr(held, k) == cert[k] for k in keys):
                cert["status"] = held.status
            elif cert["status"] != "pending":
                errors.append(transfer.LineError(
                    record.line, f"specialties[{i}].status",
                    _certificate_review(cert["status"]),
                ))  # fmt: skip


def _run(tenant: Tenant, fmt: str, text: str, actor, source: str) -> Outcome:
    """Check and import the file (the caller commits or rolls back): its Outcome."""
    outcome = Outcome(fmt)
    errors = outcome.errors
    numbered = (
        list(_lines_of_csv(text, tenant, errors))
        if fmt == "csv"
        else list(_lines_of_jsonl(text, tenant))
    )
    records, found = transfer.check(numbered, name_owners=False)
    errors.extend(found)
    for record in records:
        if record.values["tenant"] != tenant.slug:
            errors.append(transfer.LineError(
                record.line, "tenant",
                _(
                    "%(named)s is not this practice (%(practice)s): a practice's import adds "
                    "and updates its own profiles only",
                    named=repr(record.values["tenant"]), practice=tenant.slug,
                ),
            ))  # fmt: skip
    if not records and not errors:
        errors.append(transfer.LineError(1, "(file)", _("There is no profile in this file.")))
    existing = {
        p.slug: p
        for p in db.session.scalars(
            select(Practitioner)
            .where(
                Practitioner.tenant_id == tenant.id,
                Practitioner.slug.in_([r.values["slug"] for r in records]),
            )
            .options(*whole_profile())
        )
    }
    _check_reviews(records, existing, errors)
    for record in records:
        v = record.values
        entry = (record.line, v["slug"], v.get("name") or v["slug"])
        (outcome.updated if v["slug"] in existing else outcome.created).append(entry)
    if errors:
        errors.sort(key=lambda e: e.line)
        return outcome
    publish = {r.line: r.values.pop("published") for r in records if "published" in r.values}
    before = {slug: transfer.export_record(p) for slug, p in existing.items()}
    transfer.apply(records, source, actor=actor, tenant=tenant)
    profiles = {
        p.slug: p
        for p in db.session.scalars(
            select(Practitioner).where(
                Practitioner.tenant_id == tenant.id,
                Practitioner.slug.in_([r.values["slug"] for r in records]),
            )
        )
    }
    for record in records:
        wanted = publish.get(record.line)
        p = profiles[record.values["slug"]]
        if wanted is True and not p.published:  # already public: nothing to publish
            try:
                operations.publish(p, actor=actor)
            except Refused as refused:
                errors.append(transfer.LineError(record.line, "published", refused.message))
        elif wanted is False and p.published:
            operations.unpublish(p, actor=actor)
    # What each update changes, column by column; one that changes nothing (an export
    # imported back) is "unchanged".
    for slug, was in before.items():
        found = changes(was, transfer.export_record(profiles[slug]))
        if found:
            outcome.changed[slug] = found
    outcome.unchanged = [entry for entry in outcome.updated if entry[1] not in outcome.changed]
    outcome.updated = [entry for entry in outcome.updated if entry[1] in outcome.changed]
    return outcome


def preview(tenant: Tenant, fmt: str, text: str, actor, source: str) -> Outcome:
    """What importing the file would do, tried and undone (nothing is kept)."""
    trial = db.session.begin_nested()
    try:
        return _run(tenant, fmt, text, actor, source)
    finally:
        trial.rollback()


def apply(tenant: Tenant, fmt: str, text: str, actor, source: str) -> Outcome:
    """Import the file: everything, or (any error) nothing; the caller commits only when the
    Outcome has no errors."""
    return _run(tenant, fmt, text, actor, source)
