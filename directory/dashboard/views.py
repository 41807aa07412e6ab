"""The dashboard: each of the user's practices, its profiles they may edit, and what each needs."""

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from directory import specialties, tenancy
from directory.db import db, unless_taken
from directory.practices.models import Membership
from directory.practitioners import operations, readiness
from directory.practitioners.models import Practitioner
from directory.practitioners.profiles import LicenseView, license_views
from directory.unit_of_work import unit_of_work

bp = Blueprint("dashboard", __name__)


@dataclass(frozen=True)
class ProfileSummary:
    practitioner: Practitioner
    visibility: readiness.Visibility
    completeness: readiness.Completeness
    licenses: list[LicenseView]
    #: (what, reason, where to correct it) of each license or specialty credential we could not
    #: verify: the card says why, not only "Rejected".
    rejections: list[tuple[str, str, str]]


def _rejections(p: Practitioner, licenses: list[LicenseView]) -> list[tuple[str, str, str]]:
    found = [
        (f"{view.state_name} license #{lic.number}", lic.note,
         url_for("editor.licenses", slug=p.slug))
        for lic, view in zip(p.licenses, licenses, strict=True)
        if view.status == "rejected" and lic.note
    ]  # fmt: skip
    found += [
        (f"{specialties.name(s.kind)} credential", s.note,
         url_for("credentials.index", slug=p.slug))
        for s in p.specialties
        if specialties.status(s) == "rejected" and s.note
    ]  # fmt: skip
    return found


def _profile_summary(p: Practitioner) -> ProfileSummary:
    licenses = license_views(p)
    return ProfileSummary(
        p, readiness.visibility(p), readiness.completeness(p), licenses, _rejections(p, licenses)
    )


@dataclass(frozen=True)
class PracticeSummary:
    membership: Membership
    profiles: list[ProfileSummary]
    #: The user owns or manages the practice and has no profile of their own in it yet.
    may_create_own: bool


def _summary(user, membership: Membership) -> PracticeSummary:
    profiles = tenancy.editable_profiles(user, membership)
    has_own = any(p.user_id == user.id for p in profiles)
    return PracticeSummary(
        membership=membership,
        profiles=[_profile_summary(p) for p in profiles],
        may_create_own=tenancy.may(membership, "manage_practice") and not has_own,
    )


#: Session key of the practice the dashboard showed last (a convenience; access is re-checked).
CURRENT = "dashboard.practice"


def _render(memberships: list[Membership], current: Membership | None):
    if current is not None:
        session[CURRENT] = current.tenant.slug
    return render_template(
        "dashboard/index.html",
        memberships=memberships,
        practice=_summary(current_user, current) if current is not None else None,
    )


@bp.get("/dashboard")
@login_required
def index():
    """The practice shown last (when the user still belongs to it), else their first."""
    memberships = tenancy.memberships_of(current_user)
    remembered = session.get(CURRENT)
    current = next((m for m in memberships if m.tenant.slug == remembered), None)
    return _render(memberships, current or (memberships[0] if memberships else None))


@bp.get("/dashboard/practices/<slug:tenant_slug>")
@login_required
def practice(tenant_slug: str):
    """One of the user's practices: its profiles they may edit, and what each needs."""
    current = tenancy.membership_or_404(tenant_slug)
    return _render(tenancy.memberships_of(current_user), current)


@bp.post("/dashboard/practices/<slug:tenant_slug>/profile")
@login_required
@unit_of_work
def create(tenant_slug: str):
    membership = tenancy.membership_or_404(tenant_slug, "manage_practice")
    own = db.session.scalar(
        select(Practitioner).where(
            Practitioner.tenant_id == membership.tenant_id,
            Practitioner.user_id == current_user.id,
        )
    )
    if own is not None:
        flash("You already have a profile in this practice.", "info")
        return redirect(url_for("editor.edit", slug=own.slug))
    practitioner = unless_taken(None, operations.create_draft, membership.tenant, current_user)
    if practitioner is None:
        # Another request took the same slug a moment ago.
        flash("That did not work this time; please try again.", "error")
        return redirect(url_for(".practice", tenant_slug=tenant_slug))
    flash("Your draft profile is ready. It stays private until you publish it.", "success")
    return redirect(url_for("editor.edit", slug=practitioner.slug))
