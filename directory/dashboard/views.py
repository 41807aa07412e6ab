"""The dashboard: each of the user's practices, its profiles they may edit, and what each needs."""

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from directory import tenancy
from directory.db import db
from directory.practices.models import Membership
from directory.practitioners import operations, readiness
from directory.practitioners.models import Practitioner
from directory.practitioners.profiles import LicenseView, license_views

bp = Blueprint("dashboard", __name__)


@dataclass(frozen=True)
class ProfileSummary:
    practitioner: Practitioner
    visibility: readiness.Visibility
    completeness: readiness.Completeness
    licenses: list[LicenseView]


@dataclass(frozen=True)
class PracticeSummary:
    membership: Membership
    profiles: list[ProfileSummary]
    #: The user owns or manages the practice and has no profile of their own in it yet.
    may_create_own: bool


def _summaries(user) -> list[PracticeSummary]:
    practices = []
    for membership in tenancy.memberships_of(user):
        profiles = tenancy.editable_profiles(user, membership)
        has_own = any(p.user_id == user.id for p in profiles)
        practices.append(
            PracticeSummary(
                membership=membership,
                profiles=[
                    ProfileSummary(
                        p, readiness.visibility(p), readiness.completeness(p), license_views(p)
                    )
                    for p in profiles
                ],
                may_create_own=membership.role in tenancy.MANAGING_ROLES and not has_own,
            )
        )
    return practices


@bp.get("/dashboard")
@login_required
def index():
    return render_template("dashboard/index.html", practices=_summaries(current_user))


@bp.post("/dashboard/practices/<tenant_slug>/profile")
@login_required
def create(tenant_slug: str):
    membership = tenancy.membership_for_manage_or_404(tenant_slug)
    own = db.session.scalar(
        select(Practitioner).where(
            Practitioner.tenant_id == membership.tenant_id,
            Practitioner.user_id == current_user.id,
        )
    )
    if own is not None:
        flash("You already have a profile in this practice.", "info")
        return redirect(url_for("editor.edit", slug=own.slug))
    try:
        practitioner = operations.create_draft(membership.tenant, current_user)
        db.session.commit()
    except IntegrityError:
        # Another request took the same slug a moment ago.
        db.session.rollback()
        flash("That did not work this time; please try again.", "error")
        return redirect(url_for(".index"))
    flash("Your draft profile is ready. It stays private until you publish it.", "success")
    return redirect(url_for("editor.edit", slug=practitioner.slug))
