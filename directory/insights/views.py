"""The insights pages: a profile's, for its therapist and the practice's managers; a whole
practice's, for its managers."""

from flask import Blueprint, render_template
from flask_login import login_required

from directory import locales, tenancy
from directory.insights import reports

bp = Blueprint("insights", __name__)


def _need_name(slug: str) -> str:
    return locales.term_name(slug)


@bp.get("/dashboard/profiles/<slug:slug>/insights")
@login_required
def profile(slug: str):
    """One profile's 12 weeks: views, search appearances, inquiries and reply times."""
    practitioner = tenancy.practitioner_for_edit_or_404(slug)
    membership = tenancy.membership_or_404(practitioner.tenant.slug)
    return render_template(
        "insights/show.html",
        m=membership,
        practitioner=practitioner,
        found=reports.for_profile(practitioner),
        need_name=_need_name,
    )


@bp.get("/dashboard/practices/<slug:tenant_slug>/insights")
@login_required
def practice(tenant_slug: str):
    """Every profile of the practice together, and messages to the practice itself."""
    membership = tenancy.membership_or_404(tenant_slug, "manage_practice")
    return render_template(
        "insights/show.html",
        m=membership,
        practitioner=None,
        found=reports.for_practice(membership.tenant_id),
        need_name=_need_name,
    )
