"""/admin/claims: claims of listings from public records that wait for an admin (a license
document, a removal request, a contested listing with its claimants side by side), and the
letters waiting to be printed, downloaded as one PDF batch. Platform admins only: a 404 for
everyone else (admin.views.hide_from_non_admins), and the admin pages' own checks before a
decision (a recent sign-in, a second factor where required)."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from directory import mail, refusals
from directory.admin.forms import ReasonForm
from directory.admin.views import _admins_only, _page_or_404
from directory.db import db
from directory.listings import claims, letters
from directory.listings.forms import ActionForm
from directory.listings.models import ListingClaim
from directory.practitioners import documents
from directory.unit_of_work import unit_of_work
from directory.web import page_number

bp = Blueprint("admin_claims", __name__, url_prefix="/admin/claims")
bp.before_request(_admins_only)


@bp.get("", strict_slashes=False)
def index():
    """Listings whose claims wait for a decision, each with every claim under way on it."""
    number = page_number()
    found = _page_or_404(claims.review_queue(number))
    # NPPES organizations' claims (few) come first, on the first page.
    organizations = claims.organization_queue(1).items if number == 1 else []
    return render_template(
        "admin/claims.html",
        rows=[(listing, claims.active_claims(listing)) for listing in found.items],
        organizations=[(t, claims.active_claims(t), claims.organization_record(t) or {})
                       for t in organizations],
        total=found.total, paged=found,
        letters_waiting=claims.pending_letter_count(), form=ReasonForm(formdata=None),
    )  # fmt: skip


@bp.get("/letters")
def letters_page():
    """The letters waiting to be printed, and the button that prints them."""
    found = _page_or_404(claims.pending_letters(page_number()))
    return render_template(
        "admin/claim_letters.html", rows=found.items, total=found.total,
        paged=found, form=ActionForm(formdata=None), batch=claims.LETTERS_PER_BATCH,
    )  # fmt: skip


@bp.post("/letters.pdf")
@unit_of_work
def print_letters():
    """Issue the waiting letters' codes and download them as one PDF (a page per letter).
    The codes exist only in this file: print it before closing it."""
    if not ActionForm().validate():
        abort(400)
    batch = claims.print_letters(current_user, _claim_page)
    if not batch:
        flash(_("No letters are waiting."), "info")
        return redirect(url_for(".letters_page"))
    response = Response(letters.render(batch), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="claim-letters-{len(batch)}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _claim_page(claim: ListingClaim) -> str:
    """Where the letter's reader enters its code: the claim page of the listing or of the
    organization."""
    if claim.tenant_id is not None:
        return mail.public_url("claims.organization", slug=claim.organization.slug)
    return mail.public_url("claims.remove" if claim.user_id is None else "claims.show",
                           slug=claim.listing.slug)  # fmt: skip


@bp.get("/<id:claim_id>/document")
def document(claim_id: int):
    """The license a claimant sent (never cached, a PDF downloaded)."""
    return documents.send(db.get_or_404(ListingClaim, claim_id).document)


@bp.post("/<id:claim_id>/approve")
@unit_of_work
def approve(claim_id: int):
    claim = db.get_or_404(ListingClaim, claim_id)
    if not ReasonForm().validate():
        abort(400)
    refusals.show_on(url_for(".index"))
    name, purpose = claim.listing_name, claim.purpose
    claims.approve(claim, current_user)
    _tell(claim, approved=True)
    if purpose == "claim":
        said = _("The listing of %(name)s: given to %(email)s.", name=name, email=claim.reply_to)
    else:
        said = _("The listing of %(name)s: removed at the request of %(email)s.", name=name,
                 email=claim.reply_to)  # fmt: skip
    flash(said, "success")
    return redirect(url_for(".index"))


@bp.post("/<id:claim_id>/refuse")
@unit_of_work
def refuse(claim_id: int):
    claim = db.get_or_404(ListingClaim, claim_id)
    form = ReasonForm()
    if not form.validate():
        abort(400)
    refusals.show_on(url_for(".index"))
    claims.refuse(claim, current_user, form.reason.data or "")
    _tell(claim, approved=False)
    flash(_("Refused: %(email)s's claim on the listing of %(name)s.", email=claim.reply_to,
            name=claim.listing_name), "success")  # fmt: skip
    return redirect(url_for(".index"))


def _tell(claim: ListingClaim, *, approved: bool) -> None:
    """Mail the claimant the decision, in their language (mail.written_for)."""
    with mail.written_for(claim.reply_to) as language:
        dashboard = mail.link(language, "dashboard.index")
        if approved and claim.tenant_id is not None:
            said = _("An admin accepted it: you own the practice now. Sign in to describe it "
                     "and invite your team:") + "\n" + dashboard  # fmt: skip
        elif approved and claim.purpose == "claim":
            said = _("An admin accepted it: the listing is now your profile. Sign in to say how "
                     "you work and publish it:") + "\n" + dashboard  # fmt: skip
        elif approved:
            said = _("An admin removed the listing. It will not be listed again.")
        elif claim.reason:
            said = _("An admin could not accept it: %(reason)s", reason=claim.reason)
        else:
            said = _("An admin could not accept it.")
        name = claim.listing_name
        if claim.purpose == "claim":
            subject = _("Your claim of the listing of %(name)s", name=name)
            about = _("About your claim of the listing of %(name)s on Kneaded.", name=name)
        else:
            subject = _("Your request to remove the listing of %(name)s", name=name)
            about = _("About your request to remove the listing of %(name)s on Kneaded.",
                      name=name)  # fmt: skip
        mail.letter(claim.reply_to, subject, _("Hello %(name)s,", name=claim.claimant_name),
                    about, said)  # fmt: skip
