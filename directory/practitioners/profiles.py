"""Reading profiles the public may see: one query for visibility, one shape for display."""

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import ColumnElement, Select, and_, select

from directory import licensing, specialties
from directory.db import db
from directory.listings import seed
from directory.practices.models import Tenant
from directory.practitioners import fields
from directory.practitioners.models import License, Office, Practitioner, whole_profile
from directory.validation import is_slug


def public_rule() -> ColumnElement[bool]:
    """Rule 1 in SQL, over Practitioner and its Tenant: published, not suspended, practice
    active. Every query of what the public may see says it through here."""
    return and_(
        Practitioner.published.is_(True),
        Practitioner.suspended.is_(False),
        Tenant.status == "active",
    )


def visible() -> Select:
    """Practitioners the public may see: published, not suspended, practice active (rule 1)."""
    return (
        select(Practitioner)
        .join(Practitioner.tenant)
        .where(public_rule())
        .options(*whole_profile())
    )


def get_visible_or_404(slug: str) -> Practitioner:
    """The publicly visible practitioner with this slug, else 404."""
    if not is_slug(slug):
        abort(404)
    practitioner = db.session.scalar(visible().where(Practitioner.slug == slug))
    if practitioner is None:
        abort(404)
    return practitioner


@dataclass(frozen=True)
class LicenseView:
    state: str
    state_name: str
    number: str
    status: str  # pending | verified | rejected | expired
    #: None: the source does not say (an unclaimed listing's license from the NPPES file).
    expires_on: date | None
    board: str | None
    lookup_url: str | None
    #: What was checked, how and when (licensing.verification), or None.
    verification: dict | None = None
    #: Whether the state licenses massage at all (no badge where it does not).
    regulated: bool = True
    #: Whether `expires_on` ends a registration, not the license (New York's).
    registration: bool = False

    @property
    def checked(self) -> str:
        """The evidence line: "Verified Dec 1, 2026 against the Texas TDLR roster"."""
        return licensing.verification_text(self.verification)

    @property
    def public_number(self) -> str | None:
        """The number as the public may see it: none for a license the board did not confirm
        (it may not be theirs)."""
        return None if self.status == "rejected" else self.number


@dataclass(frozen=True)
class OfficeView:
    office: Office
    verified: bool


@dataclass(frozen=True)
class SpecialtyView:
    kind: str
    label: str
    issuer: str
    #: Verified and current: a badge. Otherwise pending, said as "pending check", never a badge.
    verified: bool


def specialty_views(practitioner: Practitioner, on: date | None = None) -> list[SpecialtyView]:
    """The specialty credentials the public sees (`specialties.shown`: verified and pending,
    never rejected or expired), verified first."""
    return [
        SpecialtyView(s["kind"], specialties.name(s["kind"]), s["issuer"], s["verified"])
        for s in specialties.shown(practitioner.specialties, on)
    ]


def license_views(practitioner: Practitioner, on: date | None = None) -> list[LicenseView]:
    """Each license with its derived status and where the public can check it."""
    views = []
    for lic in practitioner.licenses:
        state_rule = licensing.rule(lic.state)
        views.append(
            LicenseView(
                state=lic.state,
                state_name=state_rule.name if state_rule else lic.state,
                number=lic.number,
                status=licensing.status(lic, on),
                expires_on=lic.expires_on,
                board=state_rule.board if state_rule else None,
                lookup_url=state_rule.lookup_url if state_rule else None,
                verification=lic.verification,
                regulated=licensing.licenses_massage(lic.state),
                registration=licensing.dates_registration(lic.state),
            )
        )
    return views


def office_views(practitioner: Practitioner, on: date | None = None) -> list[OfficeView]:
    """The offices that may be listed (rule 2), each with whether it earns the badge (rule 3)."""
    return [
        OfficeView(office=o, verified=licensing.earns_badge(o, practitioner.licenses, on))
        for o in licensing.listed_offices(practitioner, on)
    ]


def recently_updated(limit: int = 6) -> list[tuple[Practitioner, Office]]:
    """A few visible profiles with their first listed office, newest edits first."""
    rows = db.session.scalars(recently_updated_query(limit * 3)).all()
    featured = [(p, offices[0]) for p in rows if (offices := licensing.listed_offices(p))]
    return featured[:limit]


def recently_updated_query(limit: int) -> Select:
    """Visible claimed profiles with an office and a verified license, newest edits first.
    Read backwards along ix_practitioner_claimed_updated_at_id, it stops after `limit` of
    them instead of sorting every practitioner (or walking past every unclaimed listing)."""
    return (
        visible()
        .where(
            Practitioner.claimed.is_(True),
            Practitioner.offices.any(),
            Practitioner.licenses.any(License.status == "verified"),
        )
        .order_by(Practitioner.updated_at.desc(), Practitioner.id.desc())
        .limit(limit)
    )


def listing_sources(practitioner: Practitioner) -> list[dict]:
    """The contract's `sources`: each public-record file the listing came from (none for a
    profile its therapist made)."""
    return seed.sources_of(practitioner.id)


def as_json(practitioner: Practitioner, on: date | None = None) -> dict:
    """The public profile as the API returns it: only what the public page shows."""
    p = practitioner
    return {
        **fields.public_values(p),
        "slug": p.slug,
        "tenant": {"slug": p.tenant.slug, "name": p.tenant.name, "kind": p.tenant.kind},
        "conditions": [{"slug": c.slug, "name": c.name} for c in p.conditions],
        "modalities": [{"slug": m.slug, "name": m.name} for m in p.modalities],
        "offices": [
            {
                "street": ov.office.street,
                "city": ov.office.city,
                "state": ov.office.state,
                "zip": ov.office.zip,
                "verified": ov.verified,
            }
            for ov in office_views(p, on)
        ],
        "licenses": [
            {
                "state": lic.state,
                "number": lic.public_number,
                "status": lic.status if lic.regulated else licensing.UNREGULATED,
                "expires": lic.expires_on.isoformat() if lic.expires_on else None,
                "board": lic.board,
                "lookup_url": lic.lookup_url,
                "verification": lic.verification if lic.regulated else None,
            }
            for lic in license_views(p, on)
        ],
        "specialties": specialties.shown(p.specialties, on),
        "claimed": p.claimed,
        "sources": listing_sources(p),
        "updated_at": p.updated_at.isoformat(),
        "url": f"/p/{p.slug}",
    }
