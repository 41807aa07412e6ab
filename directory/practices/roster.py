"""A practice's public roster: who is listed on its page and its embed, one page at a time."""

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import exists, func, select

from directory.db import db
from directory.paging import page_of
from directory.practices.models import KIND_LABELS, Tenant
from directory.practitioners import profiles
from directory.practitioners.models import Practitioner
from directory.validation import check_url, is_slug

PER_PAGE = 24
#: The embed shows this many at most and links to the practice's page for the rest.
EMBED_LIMIT = 100


@dataclass(frozen=True)
class Entry:
    """One listed practitioner as a card shows them."""

    practitioner: Practitioner
    #: The first office that may be listed (rule 2), with whether it earns the badge (rule 3).
    office: profiles.OfficeView | None
    licenses: list[profiles.LicenseView]
    #: Verified, current specialty certificates: a card shows them as badges (pending ones only
    #: on the profile).
    specialties: list[profiles.SpecialtyView]


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    number: int
    pages: int
    total: int


def active_tenant(slug: str) -> Tenant | None:
    """The active practice with this slug; None for suspended, deleted and unknown ones, and
    for those seeded from public records and not claimed (their page waits for an owner)."""
    if not is_slug(slug):
        return None
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    return tenant if tenant is not None and tenant.is_active and tenant.claimed else None


def public_tenant_or_404(slug: str) -> Tenant:
    """The active practice with this slug; suspended, deleted and unknown practices are 404."""
    tenant = active_tenant(slug)
    if tenant is None:
        abort(404)
    return tenant


def _listed(tenant: Tenant):
    # The one visibility query public pages share: published, not suspended, practice active.
    return profiles.visible().where(Practitioner.tenant_id == tenant.id)


def count(tenant: Tenant) -> int:
    """How many of the practice's practitioners the public may see."""
    listed = _listed(tenant).subquery()
    return db.session.scalar(select(func.count()).select_from(listed))


def counts(tenant_ids) -> dict[int, int]:
    """How many profiles the public may see in each of these practices (absent: none)."""
    return dict(
        db.session.execute(
            profiles.visible()
            .with_only_columns(Practitioner.tenant_id, func.count())
            .where(Practitioner.tenant_id.in_(list(tenant_ids)))
            .group_by(Practitioner.tenant_id)
        ).all()
    )


def listed_practices(*, include_unclaimed: bool = False):
    """Active practices with at least one profile the public may see, by id (those the
    practice sitemap lists, and the HSDS organizations). Practices seeded from public records
    and not claimed only when asked (`export hsds --include-unclaimed`): they have no page."""
    # EXISTS, not IN (SELECT DISTINCT ...): a page of them reads only the practices it shows
    # (about 1 ms instead of 56 ms for a page with 100,000 profiles; the count 66 ms, not 85).
    listed = exists().where(Practitioner.tenant_id == Tenant.id, profiles.public_rule())
    query = select(Tenant).where(listed).order_by(Tenant.id)
    return query if include_unclaimed else query.where(Tenant.claimed.is_(True))


def entries(practitioners, on: date | None = None) -> list[Entry]:
    """Cards for practitioners: first listed office, every license with its derived status and
    the verified specialty certificates."""
    result = []
    for p in practitioners:
        offices = profiles.office_views(p, on)
        badges = [s for s in profiles.specialty_views(p, on) if s.verified]
        first = offices[0] if offices else None
        result.append(Entry(p, first, profiles.license_views(p, on), badges))
    return result


def page(tenant: Tenant, number: int = 1, per_page: int = PER_PAGE) -> Page | None:
    """One page of the practice's listed practitioners by name; None when there is no such page.

    Page 1 always exists (it may be empty); any other page must hold someone.
    """
    found = page_of(_listed(tenant).order_by(Practitioner.name, Practitioner.id), number, per_page)
    if found is None:
        return None
    return Page(entries(found.items), number, found.pages, found.total)


def website(tenant: Tenant) -> str | None:
    """The practice's website when it is an http(s) address, the only kind worth a link."""
    if not tenant.website:
        return None
    try:
        return check_url(tenant.website.strip())
    except ValueError:
        return None


def summary(tenant: Tenant, total: int) -> str:
    """A sentence for search engines and link previews (the meta description)."""
    if tenant.description and tenant.description.strip():
        text = " ".join(tenant.description.split())
        return text if len(text) <= 160 else text[:157].rsplit(" ", 1)[0] + "…"
    who = "1 massage therapist" if total == 1 else f"{total} massage therapists"
    return f"{tenant.name}: {KIND_LABELS.get(tenant.kind, tenant.kind).lower()} with {who} listed."
