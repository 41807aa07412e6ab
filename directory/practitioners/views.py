"""Public profile pages."""

from flask import Blueprint, render_template

from directory.practitioners import profiles

bp = Blueprint("practitioners", __name__)


@bp.get("/p/<slug:slug>")
def show(slug: str):
    practitioner = profiles.get_visible_or_404(slug)
    return render_template(
        "practitioners/show.html",
        practitioner=practitioner,
        licenses=profiles.license_views(practitioner),
        offices=profiles.office_views(practitioner),
    )
