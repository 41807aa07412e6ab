"""Public profile pages."""

from flask import Blueprint, render_template, request

from directory.inquiries import forms as inquiry_forms
from directory.inquiries import operations as inquiries
from directory.insights import visits
from directory.practitioners import profiles
from directory.public import structured

bp = Blueprint("practitioners", __name__)


@bp.get("/p/<slug:slug>")
def show(slug: str):
    practitioner = profiles.get_visible_or_404(slug)
    visits.profile_viewed(practitioner)
    if not practitioner.claimed:
        return render_listing(practitioner)
    form = inquiry_forms.for_profile(practitioner, formdata=None)
    # "What it is about", prefilled from the search the client came from (?about=sciatica).
    about = request.args.get("about", "")
    if about in {value for value, _ in form.about.options}:
        form.about.data = about
    return render_profile(practitioner, form)


def render_listing(practitioner):
    """An unclaimed listing's page: the public record's facts, where they come from, and how
    to claim it; no message form (nobody has agreed to receive messages here)."""
    return render_template(
        "practitioners/listing.html",
        practitioner=practitioner,
        licenses=profiles.license_views(practitioner),
        offices=profiles.office_views(practitioner),
        sources=profiles.listing_sources(practitioner),
    )


def render_profile(practitioner, form=None, *, preview=None, status=200):
    """The profile page, with its inquiry form (as typed, after a refusal)."""
    licenses = profiles.license_views(practitioner)
    offices = profiles.office_views(practitioner)
    recipient = inquiries.Recipient(practitioner.tenant, practitioner)
    sent = inquiry_forms.just_sent(recipient)
    return (
        render_template(
            "practitioners/show.html",
            practitioner=practitioner,
            licenses=licenses,
            specialties=profiles.specialty_views(practitioner),
            offices=offices,
            structured=None if preview else structured.person(practitioner, licenses, offices),
            preview=preview,
            inquiry_form=form or inquiry_forms.for_profile(practitioner, formdata=None),
            recipient=recipient,
            sent=sent,
            reply_days=inquiries.typical_reply_days(practitioner),
        ),
        status,
        inquiry_forms.sent_headers(sent),
    )
