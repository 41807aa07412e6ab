"""What the profile editor does to the database: plain functions that flush and never commit.

Each change to a profile, its offices or its licenses moves the profile's `updated_at`, which
also bumps its optimistic-lock `version`: a form opened before any of them is refused, not
applied over it. The search outbox rows are written by the flush itself (search/outbox.py).
"""

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from directory import audit, geo, licensing, specialties, validation
from directory.db import db, now_utc
from directory.locales import joined, number
from directory.practitioners import documents, fields, photos, readiness
from directory.practitioners.models import License, Office, Practitioner, Specialty
from directory.refusals import Conflict, Refused
from directory.vocabulary import Condition, Modality

#: The profile attributes the editor may set; nothing else is ever assigned from a form.
#: The fields the editor may change (the table's editable ones).
PROFILE_FIELDS = fields.EDITABLE
MAX_OFFICES = 20
CONFLICT = _l(
    "Someone else saved this profile since you opened it, so nothing was saved. "
    "Your input is kept below: check the current profile, then save again to keep yours."
)
_UNKNOWN = {
    Condition: _l("These conditions are not in the directory's list: %(slugs)s."),
    Modality: _l("These techniques are not in the directory's list: %(slugs)s."),
}


def touch(practitioner: Practitioner) -> None:
    # Forces an UPDATE of the row, hence a new version, even when only a child row changed.
    practitioner.updated_at = now_utc()


def _terms(model, slugs: list[str]) -> list:
    rows = list(db.session.scalars(select(model).where(model.slug.in_(slugs))))
    if len(rows) != len(set(slugs)):
        unknown = sorted(set(slugs) - {row.slug for row in rows})
        raise Refused(_UNKNOWN[model] % {"slugs": joined(unknown)})
    return sorted(rows, key=lambda row: (row.name, row.id))


def profile_values(practitioner: Practitioner) -> dict:
    """The profile's field values (the field table's) and tags, as the editor's form shows it."""
    p = practitioner
    values = {f.name: getattr(p, f.name) for f in fields.FIELDS}
    values["conditions"] = [c.slug for c in p.conditions]
    values["modalities"] = [m.slug for m in p.modalities]
    values["version"] = p.version
    return values


def differences(practitioner: Practitioner, changes: dict) -> list[str]:
    """The names of the fields whose submitted value differs from the stored one."""
    stored = profile_values(practitioner)
    differ = []
    for name, value in changes.items():
        old = stored.get(name)
        if name in ("conditions", "modalities", "session_lengths"):
            old, value = sorted(old or []), sorted(value or [])
        if old != value:
            differ.append(name)
    return differ


def update_profile(
    practitioner: Practitioner,
    changes: dict,
    *,
    allowed: tuple[str, ...] = PROFILE_FIELDS,
    restates: bool = False,
) -> list[str]:
    """Apply the submitted fields (and only those, of `allowed`: the editor's unless a trusted
    command says otherwise); returns the names of those that changed. `restates`: the
    therapist submitted what they see (the editor), so an "accepting new clients" sent unchanged
    but not confirmed recently is confirmed today, as the dashboard's question would."""
    p = practitioner
    changed = differences(p, changes)
    # One UPDATE (one version step) per save: no flush half-way through.
    with db.session.no_autoflush:
        for name in changed:
            value = changes[name]
            if name == "conditions":
                p.conditions = _terms(Condition, value)
            elif name == "modalities":
                p.modalities = _terms(Modality, value)
            elif name == "session_lengths":
                p.session_lengths = sorted(value)
            elif name in allowed:
                setattr(p, name, value)
            else:
                raise KeyError(f"{name} is not a field the editor may change")
    if restates and "accepting_new_clients" in changes and not p.accepting_confirmed_recently:
        changed.append("accepting_confirmed_at")  # said again, unchanged: confirmed today
    if "accepting_new_clients" in changed or "accepting_confirmed_at" in changed:
        p.accepting_confirmed_at = now_utc()  # saying it anew is confirming it
    if changed:
        touch(p)
        try:
            db.session.flush()
        except StaleDataError:
            raise Conflict(CONFLICT) from None
    return changed


def confirm_accepting(practitioner: Practitioner, accepting: bool, *, actor) -> None:
    """The therapist (or their practice's manager) says, today, whether they accept new
    clients; audited, with what the profile said before. Flushes."""
    was = practitioner.accepting_new_clients
    audit.record(
        "profile.accepting_confirmed" if accepting else "profile.not_accepting_confirmed",
        actor=actor, tenant=practitioner.tenant, subject=practitioner,
        details={"before": "accepting" if was else "not accepting"},
    )  # fmt: skip
    practitioner.accepting_new_clients = accepting
    practitioner.accepting_confirmed_at = now_utc()
    touch(practitioner)
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(CONFLICT) from None


def set_photo(practitioner: Practitioner, name: str | None) -> None:
    """Point the profile at a stored photo (or none); the previous file goes after the commit."""
    photos.release(practitioner.photo)
    practitioner.photo = name
    touch(practitioner)
    db.session.flush()


def add_office(
    practitioner: Practitioner, *, street: str, city: str, state: str, zip: str
) -> Office:
    """Add an office; its coordinates come from the ZIP, which must be in `state`."""
    if len(practitioner.offices) >= MAX_OFFICES:
        raise Refused(_("A profile lists at most %(count)s offices.", count=number(MAX_OFFICES)))
    office = Office(street=street)
    _place_office(office, city=city, state=state, zip=zip)
    practitioner.offices.append(office)
    touch(practitioner)
    db.session.flush()
    return office


def update_office(office: Office, *, street: str, city: str, state: str, zip: str) -> None:
    """Change an office's address (coordinates follow the ZIP)."""
    office.street = street
    _place_office(office, city=city, state=state, zip=zip)
    touch(office.practitioner)
    db.session.flush()


def locate_office(*, city: str, state: str, zip: str) -> dict:
    """An office's place from its ZIP, which must be in `state`: city (the ZIP's when none is
    given), state, zip, lat and lon. Refused for an unknown ZIP or one in another state."""
    try:
        lat, lon, zip_city, zip_state = geo.zip_location(zip, state)
    except geo.PlaceError as error:
        raise Refused(error.message) from None
    return {"city": city or zip_city, "state": zip_state, "zip": zip, "lat": lat, "lon": lon}


def _place_office(office: Office, *, city: str, state: str, zip: str) -> None:
    for name, value in locate_office(city=city, state=state, zip=zip).items():
        setattr(office, name, value)


def remove_office(office: Office) -> None:
    """Remove an office from its profile."""
    practitioner = office.practitioner
    practitioner.offices.remove(office)
    touch(practitioner)
    db.session.flush()


def add_license(
    practitioner: Practitioner, *, state: str, number: str, expires_on: date, actor=None
) -> License:
    """Add a license; it waits for verification (status is never set here)."""
    _check_license(state, number)
    lic = License(state=state, number=licensing.normalize_number(number), expires_on=expires_on)
    practitioner.licenses.append(lic)
    touch(practitioner)
    _flush_license()
    _audit("license.added", practitioner, lic, actor)
    return lic


def update_license(lic: License, *, state: str, number: str, expires_on: date, actor=None) -> bool:
    """Change a license; any change sends it back to verification. Returns whether it changed."""
    _check_license(state, number)
    number = licensing.normalize_number(number)
    if (lic.state, lic.number, lic.expires_on) == (state, number, expires_on):
        return False
    before = {
        "state": lic.state,
        "number": lic.number,
        "expires": lic.expires_on.isoformat() if lic.expires_on else None,
    }
    lic.state, lic.number, lic.expires_on = state, number, expires_on
    # What a reviewer checked no longer describes this license (a new expiry date too:
    # otherwise a verified badge could be stretched past the date the board confirmed).
    lic.status = "pending"
    lic.reviewer_id = None
    lic.reviewed_at = None
    lic.note = None
    licensing.forget_check(lic)
    touch(lic.practitioner)
    _flush_license()
    _audit("license.changed", lic.practitioner, lic, actor, before=before)
    return True


def remove_license(lic: License, *, actor=None) -> None:
    """Remove a license from its profile."""
    practitioner = lic.practitioner
    _audit("license.removed", practitioner, lic, actor)
    practitioner.licenses.remove(lic)
    touch(practitioner)
    db.session.flush()


def _check_license(state: str, number: str) -> None:
    problem = licensing.check_number(state, number)
    if problem:
        raise Refused(problem)


def _flush_license() -> None:
    try:
        db.session.flush()
    except IntegrityError:
        # One license per state: the form checks it, the database settles two saves that race.
        raise Conflict(_("There is already a license for this state on file.")) from None


def _audit(action: str, practitioner: Practitioner, lic: License, actor, **extra) -> None:
    details = {
        "state": lic.state,
        "number": lic.number,
        "expires": lic.expires_on.isoformat() if lic.expires_on else None,
    }
    audit.record(
        action, actor=actor, tenant=practitioner.tenant, subject=practitioner,
        details={**details, **extra},
    )  # fmt: skip


MAX_ISSUER = 120
MAX_CERTIFICATE_NUMBER = 60


def check_specialty(
    kind: str,
    issuer: str,
    number: str,
    issued_on: date | None,
    expires_on: date | None,
    *,
    lapsed_ok: bool = False,
) -> tuple[str, str]:
    """The issuer and number as stored, or Refused saying what is wrong. `lapsed_ok`: an
    import may carry a certificate that expired since it was exported (it shows nowhere)."""
    if kind not in specialties.kinds():
        raise Refused(
            _(
                "Unknown specialty %(kind)s: choose one of %(known)s.",
                kind=repr(kind),
                known=joined(specialties.kinds()),  # the codes a file or the API names
            )
        )
    issuer, number = " ".join((issuer or "").split()), " ".join((number or "").split())
    if not issuer:
        raise Refused(_("Say who issued the certificate (the school or board)."))
    if len(issuer) > MAX_ISSUER or len(number) > MAX_CERTIFICATE_NUMBER:
        raise Refused(
            _(
                "Keep the issuer under %(issuer)s and the number under %(number)s characters.",
                issuer=MAX_ISSUER,
                number=MAX_CERTIFICATE_NUMBER,
            )
        )
    today = licensing.today()
    if issued_on is not None and issued_on > today:
        raise Refused(_("The issue date is in the future."))
    if not lapsed_ok and expires_on is not None and expires_on < today:
        raise Refused(
            _("This certificate has expired: add it again once it is renewed, with the new date.")
        )
    if issued_on is not None and expires_on is not None and expires_on <= issued_on:
        raise Refused(_("The expiry date must come after the issue date."))
    return issuer, number


def add_specialty(
    practitioner: Practitioner,
    *,
    kind: str,
    issuer: str,
    number: str = "",
    issued_on: date | None = None,
    expires_on: date | None = None,
    document: str | None = None,
    actor=None,
    lapsed_ok: bool = False,
) -> Specialty:
    """Add a specialty credential; it waits for an admin's check (status is never set here)."""
    issuer, number = check_specialty(kind, issuer, number, issued_on, expires_on,
                                     lapsed_ok=lapsed_ok)  # fmt: skip
    if any(s.kind == kind for s in practitioner.specialties):
        raise Conflict(_already_on_file(kind))
    record = Specialty(
        kind=kind, issuer=issuer, number=number, issued_on=issued_on, expires_on=expires_on,
        document=document,
    )  # fmt: skip
    practitioner.specialties.append(record)
    touch(practitioner)
    _flush_specialty(kind)
    _audit_specialty("specialty.added", practitioner, record, actor)
    return record


def update_specialty(
    record: Specialty,
    *,
    issuer: str,
    number: str = "",
    issued_on: date | None = None,
    expires_on: date | None = None,
    document: str | None = None,
    actor=None,
    lapsed_ok: bool = False,
) -> bool:
    """Change a specialty credential (a new `document` replaces the old one); any change sends
    it back to an admin's check. Returns whether it changed."""
    issuer, number = check_specialty(record.kind, issuer, number, issued_on, expires_on,
                                     lapsed_ok=lapsed_ok)  # fmt: skip
    values = (issuer, number, issued_on, expires_on)
    if values == (record.issuer, record.number, record.issued_on, record.expires_on) and (
        document is None or document == record.document
    ):
        return False
    record.issuer, record.number, record.issued_on, record.expires_on = values
    if document is not None and document != record.document:
        documents.release(record.document)  # the old file goes once this commits
        record.document = document
    # What an admin checked no longer describes this record.
    record.status, record.reviewer_id, record.reviewed_at, record.note = "pending", None, None, None
    touch(record.practitioner)
    db.session.flush()
    _audit_specialty("specialty.changed", record.practitioner, record, actor)
    return True


def remove_specialty(record: Specialty, *, actor=None) -> None:
    """Remove a specialty credential from its profile (its document goes with it)."""
    practitioner = record.practitioner
    _audit_specialty("specialty.removed", practitioner, record, actor)
    documents.release(record.document)
    practitioner.specialties.remove(record)
    touch(practitioner)
    db.session.flush()


def _flush_specialty(kind: str) -> None:
    try:
        db.session.flush()
    except IntegrityError:
        # One record per kind: checked above, the database settles two saves that race.
        raise Conflict(_already_on_file(kind)) from None


def _already_on_file(kind: str) -> str:
    return _(
        "%(specialty)s is already on file: change that one instead.",
        specialty=specialties.name(kind),
    )


def _audit_specialty(action: str, practitioner: Practitioner, record: Specialty, actor) -> None:
    audit.record(
        action, actor=actor, tenant=practitioner.tenant, subject=practitioner,
        details={"kind": record.kind, "issuer": record.issuer, "number": record.number,
                 "expires": record.expires_on.isoformat() if record.expires_on else None},
    )  # fmt: skip


def publish(practitioner: Practitioner, *, actor=None) -> None:
    """Publish the profile, or refuse saying what it still needs."""
    reasons = readiness.publish_blockers(practitioner)
    if reasons:
        # Each reason is a sentence: sentences follow one another with a space in either language.
        raise Refused(_("Not published yet: %(reasons)s", reasons=" ".join(reasons)))
    if not practitioner.published:
        practitioner.published = True
        touch(practitioner)
        db.session.flush()
        audit.record(
            "profile.published", actor=actor, tenant=practitioner.tenant, subject=practitioner
        )


def unpublish(practitioner: Practitioner, *, actor=None) -> None:
    """Take the profile off the public pages and out of search."""
    if practitioner.published:
        practitioner.published = False
        touch(practitioner)
        db.session.flush()
        audit.record(
            "profile.unpublished", actor=actor, tenant=practitioner.tenant, subject=practitioner
        )


def unique_slug(text: str) -> str:
    """A profile slug made from `text` that no profile uses yet ("ana-ruiz", "ana-ruiz-2"...)."""
    return validation.unique_slug(Practitioner.slug, text, "therapist")


def create_draft(tenant, user) -> Practitioner:
    """A new unpublished profile of `user` in `tenant`, named after the user."""
    name = (user.name or "").strip()[:120] or "New therapist"
    practitioner = Practitioner(
        tenant=tenant,
        user_id=user.id,
        name=name,
        setting="medical",
        published=False,
        slug=unique_slug(name),
    )
    db.session.add(practitioner)
    db.session.flush()
    return practitioner
