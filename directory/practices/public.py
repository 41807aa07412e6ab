"""A practice's public page and the roster other sites may embed in a frame."""

from flask import Blueprint, abort, render_template

from directory import locales
from directory.inquiries import forms as inquiry_forms
from directory.inquiries import operations as inquiries
from directory.listings import claims
from directory.practices import roster
from directory.practices.models import KIND_LABELS
from directory.public import structured
from directory.web import allow_framing, page_number

bp = Blueprint("practice_pages", __name__)


@bp.get("/t/<slug:slug>")
def show(slug: str):
    tenant = roster.active_tenant(slug)
    if tenant is None:
        # An NPPES organization nobody has claimed: a plain page of its public record.
        organization = claims.organization_or_none(slug)
        if organization is None or organization.claimed:
            abort(404)
        return render_template(
            "practices/unclaimed.html", tenant=organization,
            record=claims.of_record(organization),
            sources=claims.organization_sources(organization),
        )  # fmt: skip
    return render_practice(tenant, page_number())


def render_practice(tenant, number: int, form=None, *, status=200):
    """The practice's page, with its inquiry form (as typed, after a refusal)."""
    listing = roster.page(tenant, number)
    if listing is None:
        abort(404)
    website = roster.website(tenant)
    recipient = inquiries.Recipient(tenant)
    sent = inquiry_forms.just_sent(recipient)
    return (
        render_template(
            "practices/public.html",
            tenant=tenant,
            listing=listing,
            kind=locales.translated(KIND_LABELS.get(tenant.kind, tenant.kind)),
            website=website,
            summary=roster.summary(tenant, listing.total),
            structured=structured.business(tenant, listing.entries, website),
            inquiry_form=form or inquiry_forms.InquiryForm(formdata=None),
            recipient=recipient,
            sent=sent,
        ),
        status,
        inquiry_forms.sent_headers(sent),
    )


@bp.get("/t/<slug:slug>/embed")
@allow_framing
def embed(slug: str):
    tenant = roster.public_tenant_or_404(slug)
    listing = roster.page(tenant, 1, per_page=roster.EMBED_LIMIT)
    return render_template("practices/embed.html", tenant=tenant, listing=listing)
