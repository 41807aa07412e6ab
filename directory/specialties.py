"""Specialty credentials: which kinds exist, and the one rule for when a record earns its badge.

A specialty is like a license without a state: pending until an admin checks its document,
verified or rejected with a reason; a verified one counts until its expiry date (lapsed is
derived, never stored). Only a verified, unexpired record earns a badge, a search match for
`specialty=` or a population's routing (DESIGN.md, "Specialty credentials").
"""

from datetime import date

from sqlalchemy import and_, or_

from directory import licensing, locales, vocabulary

#: Last day of a record that never expires, as a proleptic ordinal.
NEVER = date.max.toordinal()


def kinds() -> dict[str, vocabulary.SpecialtyKind]:
    """The kinds a therapist may add ("clt", "prenatal"...), from the vocabulary data file."""
    return vocabulary.specialties()


def name(kind: str) -> str:
    """A kind's name for people; the kind itself when unknown."""
    found = kinds().get(kind)
    return locales.translated(found.name) if found else kind


def short(kind: str) -> str:
    """How a kind reads mid-sentence ("prenatal massage", "CLT (lymphedema)")."""
    found = kinds().get(kind)
    return locales.translated(found.short) if found else kind


def last_day(expires_on: date | None) -> int:
    """The last day a verified record counts, as a proleptic ordinal."""
    return NEVER if expires_on is None else expires_on.toordinal()


def status(specialty, on: date | None = None) -> str:
    """pending, verified, rejected or expired, as for a license (licensing.status_of)."""
    return licensing.status_of(specialty.status, specialty.expires_on, on)


def earns_badge(specialty, on: date | None = None) -> bool:
    """Verified and not expired: the only state that shows a badge or matches a search."""
    return status(specialty, on) == "verified"


def verified_in_sql(model, on: date | None = None):
    """`earns_badge` as a SQL condition on `model` (Specialty, or an alias of it: the caller
    names the model, so the rule stays here and this module knows no models)."""
    day = on or licensing.today()
    return and_(
        model.status == "verified",
        or_(model.expires_on.is_(None), model.expires_on >= day),
    )


def shown(records, on: date | None = None) -> list[dict]:
    """What a profile and a search result say of a therapist's specialties (DESIGN.md): the
    verified and pending ones, never rejected or expired, verified first."""
    found = []
    for record in records:
        now = status(record, on)
        if now in ("verified", "pending"):
            found.append(
                {
                    "kind": record.kind,
                    "name": name(record.kind),
                    "issuer": record.issuer,
                    "verified": now == "verified",
                }
            )
    return sorted(found, key=lambda s: (not s["verified"], s["name"]))
