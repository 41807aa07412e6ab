"""Import and export of practitioners as JSON Lines, one practitioner a line (DESIGN.md).

An import validates every line before it writes anything: one bad line and nothing is imported.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from directory import audit, licensing, locales, specialties, vocabulary
from directory.db import db, now_utc
from directory.practices.models import TENANT_KINDS, Tenant
from directory.practitioners import fields, operations
from directory.practitioners.models import (
    LICENSE_STATUSES,
    Practitioner,
    whole_profile,
)
from directory.refusals import Refused
from directory.validation import check_slug

MAX_OFFICES = operations.MAX_OFFICES
MAX_LIST = 60


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class ImportFailed(Exception):
    """The file had invalid lines; nothing was imported."""

    def __init__(self, errors: list[LineError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    tenants_created: int = 0
    verified_licenses: int = 0
    verified_specialties: int = 0


@dataclass
class _Record:
    line: int
    values: dict[str, Any] = field(default_factory=dict)


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in options:
            raise ValueError(_("must be one of %(choices)s", choices=", ".join(options)))
        return value

    return parse


#: Profile fields: import key -> (model attribute, parser), from the one field table. Order is
#: the export order.
PROFILE_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    f.io_key: (f.name, f.parse) for f in fields.FIELDS
}
#: Every field of the table: an import is trusted to set them all (e.g. published).
ALL_FIELDS = tuple(f.name for f in fields.FIELDS)
#: How an import is named in the audit log.
IMPORT = "cli:import"
TENANT_FIELDS = ("tenant", "tenant_name", "tenant_kind")
LIST_FIELDS = ("modalities", "conditions", "licenses", "specialties", "offices")
SPECIALTY_KEYS = ("kind", "issuer", "number", "issued", "expires", "status")
KNOWN_FIELDS = ("slug", *TENANT_FIELDS, *PROFILE_FIELDS, *LIST_FIELDS)
REQUIRED_FIELDS = ("slug", "tenant", "name", "setting")


class _Errors:
    def __init__(self, line: int, sink: list[LineError]):
        self.line, self.sink = line, sink

    def add(self, name: str, message: str) -> None:
        self.sink.append(LineError(self.line, name, message))


def _unknown_term(kind: str, value: Any) -> str:
    """Why a name of the vocabulary is refused, one whole sentence per kind."""
    if kind == "modality":
        return _("unknown modality %(name)s", name=repr(value))
    return _("unknown condition %(name)s", name=repr(value))


def _parse_vocabulary(raw: Any, kind: str, name: str, errors: _Errors) -> list[str] | None:
    if not isinstance(raw, list) or len(raw) > MAX_LIST:
        errors.add(
            name, _("must be a list of names (at most %(most)s)", most=locales.number(MAX_LIST))
        )
        return None
    slugs: list[str] = []
    for i, value in enumerate(raw):
        term = vocabulary.lookup(value, kind) if isinstance(value, str) else None
        if term is None:
            errors.add(f"{name}[{i}]", _unknown_term(kind, value))
        elif term.slug not in slugs:
            slugs.append(term.slug)
    return slugs


def _parse_licenses(raw: Any, errors: _Errors) -> list[dict] | None:
    if not isinstance(raw, list) or len(raw) > len(licensing.states()):
        errors.add("licenses", _("must be a list of licenses"))
        return None
    parsed, seen = [], set()
    for i, item in enumerate(raw):
        where = f"licenses[{i}]"
        if not isinstance(item, dict):
            errors.add(where, _("must be an object with state, number and expires"))
            continue
        for key in sorted(set(item) - {"state", "number", "expires", "status"}):
            errors.add(f"{where}.{key}", _("unknown field"))
        state = item.get("state")
        state_rule = licensing.rule(state) if isinstance(state, str) else None
        if state_rule is None:
            errors.add(
                f"{where}.state", _("%(state)s is not a US state code (e.g. NJ)", state=repr(state))
            )
        elif state_rule.code in seen:
            errors.add(f"{where}.state", _("a second %(state)s license", state=state_rule.code))
        number = item.get("number")
        if state_rule is not None:
            seen.add(state_rule.code)
            problem = (
                _("must be text")
                if not isinstance(number, str)
                else licensing.check_number(state_rule.code, number)
            )
            if problem:
                errors.add(f"{where}.number", problem)
        try:
            expires = date.fromisoformat(item.get("expires"))
        except (TypeError, ValueError):
            errors.add(f"{where}.expires", _("must be a date like 2028-11-30"))
            expires = None
        status = item.get("status", "pending")
        if status not in LICENSE_STATUSES:
            errors.add(
                f"{where}.status",
                _("must be one of %(choices)s", choices=", ".join(LICENSE_STATUSES)),
            )
        if state_rule and isinstance(number, str) and expires:
            parsed.append(
                {
                    "state": state_rule.code,
                    "number": licensing.normalize_number(number),
                    "expires_on": expires,
                    "status": status,
                }
            )
    return parsed


def _parse_date(item: dict, key: str, where: str, errors: _Errors) -> tuple[bool, date | None]:
    """(whether it is valid, the date): absent or null is no date."""
    value = item.get(key)
    if value is None:
        return True, None
    try:
        return True, date.fromisoformat(value)
    except (TypeError, ValueError):
        errors.add(
            f"{where}.{key}", _("%(value)s is not a date like 2028-05-31", value=repr(value))
        )
        return False, None


def _parse_specialties(raw: Any, errors: _Errors) -> list[dict] | None:
    kinds = specialties.kinds()
    if not isinstance(raw, list) or len(raw) > len(kinds):
        errors.add(
            "specialties",
            _("must be a list of at most %(most)s certificates", most=locales.number(len(kinds))),
        )
        return None
    parsed, seen = [], set()
    for i, item in enumerate(raw):
        where = f"specialties[{i}]"
        if not isinstance(item, dict):
            errors.add(where, _("must be an object with kind, issuer, number, issued and expires"))
            continue
        for key in sorted(set(item) - set(SPECIALTY_KEYS)):
            errors.add(f"{where}.{key}", _("unknown field"))
        kind, ok = item.get("kind"), True
        if not isinstance(kind, str) or kind not in kinds:
            errors.add(f"{where}.kind", _(
                "unknown specialty %(kind)s (one of %(kinds)s)", kind=repr(kind),
                kinds=", ".join(kinds),
            ))  # fmt: skip
            ok = False
        elif kind in seen:
            errors.add(f"{where}.kind", _("a second %(kind)s certificate", kind=repr(kind)))
            ok = False
        seen.add(kind)
        for key in ("issuer", "number"):
            if not isinstance(item.get(key, ""), str):
                errors.add(f"{where}.{key}", _("must be text"))
                ok = False
        status = item.get("status", "pending")
        if status not in LICENSE_STATUSES:
            errors.add(
                f"{where}.status",
                _("must be one of %(choices)s", choices=", ".join(LICENSE_STATUSES)),
            )
            ok = False
        dated, issued_on = _parse_date(item, "issued", where, errors)
        expiry_dated, expires_on = _parse_date(item, "expires", where, errors)
        if not (ok and dated and expiry_dated):
            continue
        try:
            # The editor's own checks, but a certificate that lapsed since it was exported
            # still reads back (an export of any day imports).
            issuer, number = operations.check_specialty(
                kind, item.get("issuer", ""), item.get("number", ""), issued_on, expires_on,
                lapsed_ok=True,
            )  # fmt: skip
        except Refused as refused:
            errors.add(where, refused.message)
            continue
        parsed.append(
            {"kind": kind, "issuer": issuer, "number": number, "issued_on": issued_on,
             "expires_on": expires_on, "status": status}
        )  # fmt: skip
    return parsed


def _parse_offices(raw: Any, errors: _Errors) -> list[dict] | None:
    if not isinstance(raw, list) or len(raw) > MAX_OFFICES:
        errors.add(
            "offices",
            _("must be a list of at most %(most)s offices", most=locales.number(MAX_OFFICES)),
        )
        return None
    parsed = []
    for i, item in enumerate(raw):
        where = f"offices[{i}]"
        if not isinstance(item, dict):
            errors.add(where, _("must be an object with street, city, state and zip"))
            continue
        for key in sorted(set(item) - {"street", "city", "state", "zip"}):
            errors.add(f"{where}.{key}", _("unknown field"))
        values, ok = {}, True
        for key, rule in fields.OFFICE.items():
            try:
                values[key] = fields.parse_text(rule, item.get(key, ""))
            except ValueError as exc:
                errors.add(f"{where}.{key}", str(exc))
                ok = False
        if not ok:
            continue
        state = values["state"].upper()
        if licensing.rule(state) is None:
            errors.add(
                f"{where}.state", _("%(state)s is not a US state code", state=repr(values["state"]))
            )
            continue
        try:
            # The editor's own check: the ZIP is known and in the state.
            operations.locate_office(city=values["city"], state=state, zip=values["zip"])
        except Refused as refused:
            errors.add(f"{where}.zip", refused.message)
            continue
        parsed.append({**values, "state": state})
    return parsed


def _parse_line(number: int, text: str, errors: list[LineError]) -> _Record | None:
    errs = _Errors(number, errors)
    try:
        raw = json.loads(text)
    except ValueError as exc:
        why = _("This line is not valid JSON (see column %(column)s).", column=exc.colno)
        errs.add("(line)", why)
        return None
    if not isinstance(raw, dict):
        errs.add("(line)", _("This line must be a JSON object."))
        return None
    before = len(errors)
    for key in raw:
        if key not in KNOWN_FIELDS:
            errs.add(key, _("unknown field"))
    for key in REQUIRED_FIELDS:
        if key not in raw:
            errs.add(key, _("is required"))
    record = _Record(number)
    values = record.values
    for key in ("slug", "tenant"):
        if key in raw:
            try:
                values[key] = check_slug(raw[key])
            except ValueError as exc:
                errs.add(key, str(exc))
    if "tenant_name" in raw:
        try:
            values["tenant_name"] = fields.parse_text(fields.TENANT_NAME, raw["tenant_name"])
        except ValueError as exc:
            errs.add("tenant_name", str(exc))
    if "tenant_kind" in raw:
        try:
            values["tenant_kind"] = _choice(TENANT_KINDS)(raw["tenant_kind"])
        except ValueError as exc:
            errs.add("tenant_kind", str(exc))
    for key, (_attr, parse) in PROFILE_FIELDS.items():
        if key in raw:
            try:
                values[key] = parse(raw[key])
            except ValueError as exc:
                errs.add(key, str(exc))
    if fields.check_prices(values.get("price_min"), values.get("price_max")):
        errs.add("price_max", _("must not be below price_min"))
    if "modalities" in raw:
        values["modalities"] = _parse_vocabulary(raw["modalities"], "modality", "modalities", errs)
    if "conditions" in raw:
        values["conditions"] = _parse_vocabulary(raw["conditions"], "condition", "conditions", errs)
    if "licenses" in raw:
        values["licenses"] = _parse_licenses(raw["licenses"], errs)
    if "specialties" in raw:
        values["specialties"] = _parse_specialties(raw["specialties"], errs)
    if "offices" in raw:
        values["offices"] = _parse_offices(raw["offices"], errs)
    return record if len(errors) == before else None


def _check_against_database(
    records: list[_Record], errors: list[LineError], *, name_owners: bool = True
) -> None:
    existing: dict[str, str] = {}
    for chunk in _chunks([r.values["slug"] for r in records]):
        query = (
            select(Practitioner.slug, Tenant.slug)
            .join(Practitioner.tenant)
            .where(Practitioner.slug.in_(chunk))
        )
        existing.update(db.session.execute(query).all())
    known_tenants: set[str] = set()
    for chunk in _chunks(sorted({r.values["tenant"] for r in records})):
        known_tenants.update(db.session.scalars(select(Tenant.slug).where(Tenant.slug.in_(chunk))))
    tenant_names: dict[str, tuple[str, int]] = {}
    for record in records:
        v, line = record.values, record.line
        owner = existing.get(v["slug"])
        if owner is not None and owner != v["tenant"]:
            # A practice's own import never learns which practice holds a slug (tenancy).
            slug = repr(v["slug"])
            whose = (
                _("%(slug)s belongs to practice %(owner)s, not here", slug=slug, owner=repr(owner))
                if name_owners
                else _(
                    "%(slug)s is taken by a profile of another practice: choose another slug",
                    slug=slug,
                )
            )
            errors.append(LineError(line, "slug", whose))
        if "tenant_name" in v:
            first = tenant_names.setdefault(v["tenant"], (v["tenant_name"], line))
            if first[0] != v["tenant_name"]:
                why = _(
                    "%(name)s differs from line %(line)s (%(first)s)",
                    name=repr(v["tenant_name"]), line=first[1], first=repr(first[0]),
                )  # fmt: skip
                errors.append(LineError(line, "tenant_name", why))
        elif v["tenant"] not in known_tenants and v["tenant"] not in tenant_names:
            errors.append(LineError(line, "tenant_name", _("is required for a new practice")))


def validate(lines: Iterable[str]) -> list[_Record]:
    """Parse and check every line; raise ImportFailed listing every problem found."""
    records, errors = check(enumerate(lines, start=1))
    if errors:
        raise ImportFailed(errors)
    return records


def check(
    numbered: Iterable[tuple[int, str]], *, name_owners: bool = True
) -> tuple[list[_Record], list[LineError]]:
    """Parse and check every (line number, JSON text): the lines that passed, and every
    problem found, by line (`name_owners`: whether an error may name the practice that holds a
    slug; a practice's own import may not)."""
    errors: list[LineError] = []
    records: list[_Record] = []
    first_line: dict[str, int] = {}
    for number, text in numbered:
        if not text.strip():
            continue
        record = _parse_line(number, text, errors)
        if record is None:
            continue
        slug = record.values["slug"]
        if slug in first_line:
            why = _(
                "%(slug)s already appears on line %(line)s", slug=repr(slug), line=first_line[slug]
            )
            errors.append(LineError(number, "slug", why))
            continue
        first_line[slug] = number
        records.append(record)
    if records:
        _check_against_database(records, errors, name_owners=name_owners)
    bad = {e.line for e in errors}
    return [r for r in records if r.line not in bad], sorted(errors, key=lambda e: e.line)


def _apply_licenses(
    practitioner: Practitioner, licenses: list[dict], source: str, actor=IMPORT
) -> int:
    """The file's licenses, through the editor's operations; the status the file vouches for
    (an export of a directory that verified them) is then recorded as the import's review."""
    current = {lic.state: lic for lic in practitioner.licenses}
    wanted = {values["state"] for values in licenses}
    for state, lic in current.items():
        if state not in wanted:
            operations.remove_license(lic, actor=actor)
    verified = 0
    for values in licenses:
        facts = {k: values[k] for k in ("state", "number", "expires_on")}
        lic = current.get(values["state"])
        if lic is None:
            lic = operations.add_license(practitioner, **facts, actor=actor)
        else:
            operations.update_license(lic, **facts, actor=actor)
        if lic.status != values["status"]:
            lic.status = values["status"]
            lic.reviewer_id, lic.reviewed_at = None, now_utc()
            if lic.status == "verified":
                licensing.record_check(lic, method="staff", on=licensing.today())
            else:
                licensing.forget_check(lic)
            if lic.status == "verified":
                verified += 1
                audit.record(
                    "license.verify",
                    actor=actor,
                    tenant=practitioner.tenant,
                    subject=practitioner,
                    details={"state": lic.state, "number": lic.number, "source": source},
                )
    return verified


def _apply_specialties(
    practitioner: Practitioner, wanted: list[dict], source: str, actor=IMPORT
) -> int:
    """The file's specialty certificates, through the editor's operations (a present list
    replaces the stored one; documents on file stay with a certificate that is kept); the
    status the file vouches for is then recorded as the import's decision, audited as an
    admin's would be. Returns how many it verified."""
    current = {record.kind: record for record in practitioner.specialties}
    kinds = {values["kind"] for values in wanted}
    for kind, record in current.items():
        if kind not in kinds:
            operations.remove_specialty(record, actor=actor)
    verified = 0
    for values in wanted:
        facts = {k: values[k] for k in ("issuer", "number", "issued_on", "expires_on")}
        record = current.get(values["kind"])
        if record is None:
            record = operations.add_specialty(
                practitioner, kind=values["kind"], **facts, actor=actor, lapsed_ok=True
            )
        else:
            operations.update_specialty(record, **facts, actor=actor, lapsed_ok=True)
        status = values["status"]
        if record.status == status:
            continue
        record.status, record.reviewer_id, record.note = status, None, None
        record.reviewed_at = None if status == "pending" else now_utc()
        if status == "pending":
            continue
        if status == "verified":
            verified += 1
        audit.record(
            f"specialty.{status}", actor=actor, tenant=practitioner.tenant, subject=practitioner,
            details={"kind": record.kind, "issuer": record.issuer, "number": record.number,
                     "expires": record.expires_on.isoformat() if record.expires_on else None,
                     "source": source},
        )  # fmt: skip
    return verified


def _apply_offices(practitioner: Practitioner, offices: list[dict]) -> None:
    """The file's offices, through the editor's operations (offices already there are kept)."""

    def key(o) -> tuple:
        return (o["street"], o["city"], o["state"], o["zip"])

    current = {(o.street, o.city, o.state, o.zip): o for o in practitioner.offices}
    wanted = {key(values) for values in offices}
    for address, office in current.items():
        if address not in wanted:
            operations.remove_office(office)
    for values in offices:
        if key(values) not in current:
            operations.add_office(practitioner, **values)


def _chunks(values: list, size: int = 500) -> Iterator[list]:
    # Bounded IN lists: SQLite refuses more than 32,766 parameters in one statement.
    for i in range(0, len(values), size):
        yield values[i : i + size]


class _Importer:
    """Applies validated records; everything the loop touches is loaded up front in bulk."""

    def __init__(self, records: list[_Record], source: str, actor=IMPORT):
        self.records, self.source, self.result = records, source, ImportResult()
        self.actor = actor
        #: Per practice the file names: its Tenant and its own counts (the audit log's).
        self.by_tenant: dict[str, tuple[Tenant, ImportResult]] = {}
        slugs = [r.values["slug"] for r in records]
        self.existing: dict[str, Practitioner] = {}
        for chunk in _chunks(slugs):
            query = (
                select(Practitioner).where(Practitioner.slug.in_(chunk)).options(*whole_profile())
            )
            self.existing.update((p.slug, p) for p in db.session.scalars(query))
        self.tenants: dict[str, Tenant] = {}
        for chunk in _chunks(sorted({r.values["tenant"] for r in records})):
            query = select(Tenant).where(Tenant.slug.in_(chunk))
            self.tenants.update((t.slug, t) for t in db.session.scalars(query))

    def run(self) -> ImportResult:
        for record in self.records:
            self._apply(record.values)
        return self.result

    def _tenant(self, values: dict) -> Tenant:
        tenant = self.tenants.get(values["tenant"])
        if tenant is None:
            tenant = Tenant(slug=values["tenant"], name=values["tenant_name"])
            tenant.kind = values.get("tenant_kind", "practice")
            db.session.add(tenant)
            self.tenants[tenant.slug] = tenant
            self.result.tenants_created += 1
            self.by_tenant[tenant.slug] = (tenant, ImportResult(tenants_created=1))
        else:
            if "tenant_name" in values:
                tenant.name = values["tenant_name"]
            if "tenant_kind" in values:
                tenant.kind = values["tenant_kind"]
        return tenant

    def _apply(self, v: dict) -> None:
        tenant = self._tenant(v)
        _tenant, its = self.by_tenant.setdefault(tenant.slug, (tenant, ImportResult()))
        practitioner = self.existing.get(v["slug"])
        if practitioner is None:
            practitioner = Practitioner(slug=v["slug"], tenant=tenant, setting=v["setting"])
            db.session.add(practitioner)
            self.result.created += 1
            its.created += 1
        else:
            self.result.updated += 1
            its.updated += 1
        changes = {attr: v[key] for key, (attr, _parse) in PROFILE_FIELDS.items() if key in v}
        changes.update({name: v[name] for name in ("conditions", "modalities") if name in v})
        # The editor's operation; an import may also set what only the editor's actions do.
        operations.update_profile(practitioner, changes, allowed=ALL_FIELDS)
        if "licenses" in v:
            verified = _apply_licenses(practitioner, v["licenses"], self.source, self.actor)
            self.result.verified_licenses += verified
            its.verified_licenses += verified
        if "specialties" in v:
            verified = _apply_specialties(practitioner, v["specialties"], self.source, self.actor)
            self.result.verified_specialties += verified
            its.verified_specialties += verified
        if "offices" in v:
            _apply_offices(practitioner, v["offices"])


def apply(records: list[_Record], source: str = "", *, actor=IMPORT, tenant=None) -> ImportResult:
    """Write validated records: upsert each practitioner by slug, practices created as needed.
    `actor` is who imports (the command line, or a practice's manager from the dashboard), and
    `tenant` the practice whose roster it is, when it is one practice's."""
    vocabulary.sync()
    importer = _Importer(records, source, actor)
    result = importer.run()
    if tenant is not None:
        summaries = [(tenant, result)]
    else:
        # A file from the command line may name many practices: each one's log says what the
        # import did to it (practices it created have their ids once flushed).
        db.session.flush()
        named = [importer.by_tenant[slug] for slug in sorted(importer.by_tenant)]
        summaries = named or [(None, result)]  # an empty file: still on record
    for practice, counts in summaries:
        audit.record(
            "practitioners.import",
            actor=actor,
            tenant=practice,
            details={
                "source": source,
                "created": counts.created,
                "updated": counts.updated,
                "tenants_created": counts.tenants_created,
                "verified_licenses": counts.verified_licenses,
                "verified_specialties": counts.verified_specialties,
            },
        )
    db.session.flush()
    return result


def import_lines(lines: Iterable[str], source: str = "") -> ImportResult:
    """Validate every line, then import them all (caller commits); ImportFailed if any is bad."""
    return apply(validate(lines), source)


def export_record(practitioner: Practitioner) -> dict[str, Any]:
    """One practitioner in the import format."""
    tenant = practitioner.tenant
    record: dict[str, Any] = {
        "slug": practitioner.slug,
        "tenant": tenant.slug,
        "tenant_name": tenant.name,
        "tenant_kind": tenant.kind,
    }
    for key, (attr, _parse) in PROFILE_FIELDS.items():
        record[key] = getattr(practitioner, attr)
    record["modalities"] = [m.name for m in practitioner.modalities]
    record["conditions"] = [c.name for c in practitioner.conditions]
    record["licenses"] = [
        {
            "state": lic.state,
            "number": lic.number,
            "expires": lic.expires_on.isoformat() if lic.expires_on else None,
            "status": lic.status,
        }
        for lic in sorted(practitioner.licenses, key=lambda lic: lic.state)
    ]
    record["specialties"] = [
        {
            "kind": s.kind,
            "issuer": s.issuer,
            "number": s.number,
            "issued": s.issued_on.isoformat() if s.issued_on else None,
            "expires": s.expires_on.isoformat() if s.expires_on else None,
            "status": s.status,
        }
        for s in sorted(practitioner.specialties, key=lambda s: s.kind)
    ]
    record["offices"] = [
        {"street": o.street, "city": o.city, "state": o.state, "zip": o.zip}
        for o in practitioner.offices
    ]
    return record


def export_lines(batch_size: int = 500) -> Iterator[str]:
    """Every practitioner as one JSON line, by slug; not the unclaimed listings from public
    records (`listings seed` makes them again from their files)."""
    query = (
        select(Practitioner)
        .where(Practitioner.claimed.is_(True))
        .order_by(Practitioner.slug)
        .options(*whole_profile())
        .execution_options(yield_per=batch_size)
    )
    for practitioner in db.session.scalars(query):
        yield json.dumps(export_record(practitioner), ensure_ascii=False) + "\n"
