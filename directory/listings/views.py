"""/p/<slug>/claim and /p/<slug>/remove: the person a listing from public records names takes
it over, or has it removed; /t/<slug>/claim: the authorized official of an NPPES organization
takes its practice over (listings.claims says how). Reading the pages is open to everyone;
every step is for a signed-in account, and a visitor who is not signed in is sent to sign in
and back here. The steps (letter, text, code, document, withdraw) are the same views under
both prefixes: `kind` is "p" (a listing) or "t" (an organization)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from directory import confirm, mail, refusals, tenancy
from directory.listings import claims, sms
from directory.listings.forms import (
    ActionForm,
    CodeForm,
    DocumentForm,
    OrganizationProofForm,
    ProofForm,
    RemovalCodeForm,
    RemovalCodeRequestForm,
    RemovalRequestForm,
    RequestForm,
)
from directory.practitioners import profiles
from directory.unit_of_work import unit_of_work
from directory.web import client_ip

bp = Blueprint("claims", __name__)

LISTING, ORGANIZATION = {"kind": "p"}, {"kind": "t"}

CODE_SAID = {
    "wrong": _l("That code is not right. Check it against the letter or text and try again."),
    "void": _l("That code was entered wrong too many times and no longer works: ask for a new "
               "one."),
    "expired": _l("That code has expired: ask for a new one."),
    "none": _l("No code is out for this claim yet: choose how to receive one."),
}  # fmt: skip


def _listing_or_404(slug: str, *, removal: bool = False):
    """A visible listing from public records (a claimed one too, for a claim: it may be
    contested); a removal only of an unclaimed one."""
    # The therapist who claimed it reaches its page while it waits as a draft (to join the
    # practice its record places them at).
    listing = claims.own_listing(current_user, slug) or profiles.get_visible_or_404(slug)
    if not claims.claimable_or_none(listing) or (removal and listing.claimed):
        abort(404)
    return listing


def _organization_or_404(slug: str):
    """An NPPES organization's practice with a claim page: not yet claimed, or claimed
    through a claim (someone else may contest it)."""
    tenant = claims.organization_or_none(slug)
    if tenant is None:
        abort(404)
    return tenant


def _subject_or_404(kind: str, slug: str):
    return _organization_or_404(slug) if kind == "t" else _listing_or_404(slug)


def _claim_url(kind: str, slug: str) -> str:
    return url_for(".organization" if kind == "t" else ".show", slug=slug)


def _organization_page(tenant, *, proof=None, code=None, status=200):
    claim = claims.claim_of(current_user, tenant) if current_user.is_authenticated else None
    return render_template(
        "practices/claim.html",
        tenant=tenant,
        record=claims.of_record(tenant),
        sources=claims.organization_sources(tenant),
        claim=claim,
        channels=claims.channels(tenant),
        proof=proof or OrganizationProofForm(formdata=None),
        code_form=code or CodeForm(formdata=None),
        document_form=DocumentForm(formdata=None),
        action_form=ActionForm(formdata=None),
        expires=claims.expires_in_words,
        kind="t",
    ), status


def _page(listing, *, removal=False, proof=None, code=None, status=200, anonymous=None):
    if not isinstance(listing, claims.Practitioner):
        return _organization_page(listing, proof=proof, code=code, status=status)
    claim = claims.claim_of(current_user, listing) if current_user.is_authenticated else None
    if claim is not None:
        removal = claim.purpose == "remove"
    if proof is None:
        proof = ProofForm(formdata=None, purpose="remove" if removal else "claim")
    return render_template(
        "practitioners/claim.html",
        practitioner=listing,
        sources=profiles.listing_sources(listing),
        removal=removal,
        claim=claim,
        channels=claims.channels(listing),
        asks_birth_year=bool(claims.birth_years(listing)),
        proof=proof,
        code_form=code or CodeForm(formdata=None),
        document_form=DocumentForm(formdata=None),
        request_form=RequestForm(formdata=None),
        action_form=ActionForm(formdata=None),
        expires=claims.expires_in_words,
        record=claims.of_record(listing),
        anonymous={
            "request": RemovalRequestForm(formdata=None, prefix="request"),
            "send": RemovalCodeRequestForm(formdata=None, prefix="send"),
            "code": RemovalCodeForm(formdata=None, prefix="code"),
        }
        | (anonymous or {}),
        join_offer=claims.join_offer(listing, current_user),
        joining=claims.pending_join(listing) if listing.claimed else None,
        kind="p",
    ), status


@bp.get("/p/<slug:slug>/claim")
def show(slug: str):
    """How claiming works, and the signed-in person's claim where it stands."""
    return _page(_listing_or_404(slug))


@bp.get("/p/<slug:slug>/remove")
def remove(slug: str):
    """How removal works, and the signed-in person's request where it stands."""
    return _page(_listing_or_404(slug, removal=True), removal=True)


def _sign_in_first():
    # Back here once signed in: a step's GET leads on to the claim page.
    return redirect(url_for("accounts.login", next=request.path))


def _claim_or_back(listing):
    """The signed-in user's claim under way on this listing; None: they have none (another
    person's claim is never reachable: each user sees and acts on their own)."""
    return claims.claim_of(current_user, listing)


@bp.post("/p/<slug:slug>/claim")
@unit_of_work
def prove(slug: str):
    listing = _listing_or_404(slug)
    if not current_user.is_authenticated:
        return _sign_in_first()
    form = ProofForm()
    removal = form.purpose.data == "remove"
    if removal and listing.claimed:
        abort(404)
    if not form.validate():
        return _page(listing, removal=removal, proof=form, status=400)
    refusals.show_on(url_for(".show", slug=listing.slug))
    found = claims.prove(current_user, listing, number=form.number.data,
                         legal_name=form.legal_name.data, birth_year=form.birth_year.data,
                         purpose=form.purpose.data)  # fmt: skip
    if found.claim is None:
        # A refusal is a try: it is committed (counted), so the page answers 200.
        form.form_errors.append(found.refusal)
        return _page(listing, removal=removal, proof=form)
    if found.claim.status == "review":
        flash(_("Someone else has claimed this listing too. An admin will compare the claims "
                "and write to you; nothing changes until then."), "info")  # fmt: skip
    else:
        flash(_("Those details match the record. Now choose how to receive your code."),
              "success")  # fmt: skip
    return redirect(url_for(".show", slug=listing.slug))


def _step(slug: str, kind: str = "p"):
    """The listing (or organization) and the user's claim on it for a step of the claim (or
    a redirect)."""
    listing = _subject_or_404(kind, slug)
    here = _claim_url(kind, listing.slug)
    if not current_user.is_authenticated:
        return listing, None, _sign_in_first()
    if request.method == "GET":
        # A step's address reached by a link (after signing in): the claim page says where
        # the claim stands.
        return listing, None, redirect(here)
    claim = _claim_or_back(listing)
    if claim is None:
        flash(_("Start by giving the license number and legal name on the record."), "info")
        return listing, None, redirect(here)
    refusals.show_on(here)
    return listing, claim, None


@bp.route("/p/<slug:slug>/claim/letter", methods=["GET", "POST"], defaults=LISTING)
@bp.route("/t/<slug:slug>/claim/letter", methods=["GET", "POST"], defaults=ORGANIZATION,
          endpoint="organization_letter")  # fmt: skip
@unit_of_work
def letter(slug: str, kind: str):
    listing, claim, away = _step(slug, kind)
    if away:
        return away
    if not ActionForm().validate():
        abort(400)
    claims.ask_for_letter(claim)
    flash(_("A letter with your code will go to the practice address of record within a few "
            "days. Enter its code here when it arrives."), "success")  # fmt: skip
    return redirect(_claim_url(kind, listing.slug))


@bp.route("/p/<slug:slug>/claim/text", methods=["GET", "POST"], defaults=LISTING)
@bp.route("/t/<slug:slug>/claim/text", methods=["GET", "POST"], defaults=ORGANIZATION,
          endpoint="organization_text")  # fmt: skip
@unit_of_work
def text(slug: str, kind: str):
    listing, claim, away = _step(slug, kind)
    if away:
        return away
    if not ActionForm().validate():
        abort(400)
    claims.send_text(claim, sms.backend())
    flash(_("We texted a code to the business phone of record. Enter it below."), "success")
    return redirect(_claim_url(kind, listing.slug))


@bp.route("/p/<slug:slug>/claim/code", methods=["GET", "POST"], defaults=LISTING)
@bp.route("/t/<slug:slug>/claim/code", methods=["GET", "POST"], defaults=ORGANIZATION,
          endpoint="organization_code")  # fmt: skip
@unit_of_work
def code(slug: str, kind: str):
    listing, claim, away = _step(slug, kind)
    if away:
        return away
    form = CodeForm()
    if not form.validate():
        return _page(listing, code=form, status=400)
    confirmed = confirm.given()
    outcome = claims.enter_code(claim, form.code.data, commit_to_removal=confirmed)
    if outcome in CODE_SAID:
        # A wrong code is counted: committed, so the page answers 200.
        form.code.errors = [str(CODE_SAID[outcome])]
        return _page(listing, code=form)
    if outcome == "right":
        return confirm.ask(
            title=_("Remove this listing?"),
            what=_("The listing of %(name)s", name=listing.name),
            detail=_("It leaves the directory at once, and its NPI and licenses are remembered "
                     "so it is never listed again, even when the public record is read again."),
            action=url_for(".code", slug=listing.slug),
            back=url_for(".show", slug=listing.slug),
            button=_("Remove the listing"),
            fields={"code": form.code.data},
        )  # fmt: skip
    if outcome == "review":
        flash(_("Your code is right. Someone else has claimed this listing too: an admin will "
                "compare the claims and write to you."), "info")  # fmt: skip
        return redirect(_claim_url(kind, listing.slug))
    if kind == "t":
        flash(
            _(
                "The practice is yours. Say how it works and invite your team; therapists "
                "who claim their listings at its address may ask to join it."
            ),
            "success",
        )
        return redirect(url_for("practices.settings", tenant_slug=listing.slug))
    if claim.purpose == "remove":
        flash(_("The listing of %(name)s is removed, and will not be listed again.",
                name=claim.listing_name), "success")  # fmt: skip
        return redirect(url_for("public.index"))
    flash(_("The listing is yours. Say how you work (setting, conditions, prices), then "
            "publish it."), "success")  # fmt: skip
    if claims.join_offer(listing, current_user) is not None:
        # The practice its record places them at is claimed: the claim page offers to join.
        return redirect(url_for(".show", slug=listing.slug))
    return redirect(url_for("editor.edit", slug=listing.slug))


@bp.route("/p/<slug:slug>/claim/document", methods=["GET", "POST"], defaults=LISTING)
@bp.route("/t/<slug:slug>/claim/document", methods=["GET", "POST"], defaults=ORGANIZATION,
          endpoint="organization_document")  # fmt: skip
@unit_of_work
def document(slug: str, kind: str):
    listing, claim, away = _step(slug, kind)
    if away:
        return away
    form = DocumentForm()
    if not form.validate():
        abort(400)
    claims.submit_document(claim, form.document.data)
    flash(_("Thank you: an admin will compare your license with the record and write to you."),
          "success")  # fmt: skip
    return redirect(_claim_url(kind, listing.slug))


@bp.route("/p/<slug:slug>/claim/withdraw", methods=["GET", "POST"], defaults=LISTING)
@bp.route("/t/<slug:slug>/claim/withdraw", methods=["GET", "POST"], defaults=ORGANIZATION,
          endpoint="organization_withdraw")  # fmt: skip
@unit_of_work
def withdraw(slug: str, kind: str):
    """Give up one's own claim under way, after a confirmation: its codes stop working."""
    listing, claim, away = _step(slug, kind)
    if away:
        return away
    if not ActionForm().validate():
        abort(400)
    here = _claim_url(kind, listing.slug)
    if not confirm.given():
        return confirm.ask(
            title=_("Withdraw your claim?"),
            what=claim.listing_name,
            detail=_("The codes sent for it stop working at once, and a document you sent is "
                     "deleted. You can start a new claim later."),
            action=request.path, back=here, button=_("Withdraw the claim"),
        )  # fmt: skip
    claims.withdraw(claim, current_user)
    flash(_("Your claim is withdrawn: its codes no longer work."), "success")
    return redirect(here)


@bp.get("/t/<slug:slug>/claim")
def organization(slug: str):
    """How claiming an NPPES organization's practice works, and the signed-in person's claim
    where it stands."""
    return _organization_page(_organization_or_404(slug))


@bp.post("/t/<slug:slug>/claim")
@unit_of_work
def organization_prove(slug: str):
    tenant = _organization_or_404(slug)
    if not current_user.is_authenticated:
        return _sign_in_first()
    form = OrganizationProofForm()
    if not form.validate():
        return _organization_page(tenant, proof=form, status=400)
    refusals.show_on(url_for(".organization", slug=tenant.slug))
    found = claims.prove_organization(current_user, tenant, npi=form.npi.data,
                                      legal_name=form.legal_name.data)  # fmt: skip
    if found.claim is None:
        form.form_errors.append(_("Those details do not match the public record of this "
                                  "practice. Give its NPI and the legal name of its authorized "
                                  "official as the NPPES record lists them."))  # fmt: skip
        return _organization_page(tenant, proof=form)
    if found.claim.status == "review":
        flash(
            _(
                "Someone else has claimed this practice too. An admin will compare the claims "
                "and write to you; nothing changes until then."
            ),
            "info",
        )
    else:
        flash(_("Those details match the record. Now choose how to receive your code."), "success")
    return redirect(url_for(".organization", slug=tenant.slug))


@bp.route("/p/<slug:slug>/join", methods=["GET", "POST"])
@unit_of_work
def join(slug: str):
    """The therapist who claimed a listing asks to join the claimed practice its record
    places them at (from its claim page, or from the editor: `back=editor` returns there);
    its owner decides."""
    listing = _listing_or_404(slug)
    if not current_user.is_authenticated:
        return _sign_in_first()
    if request.method == "GET":
        return redirect(url_for(".show", slug=listing.slug))
    offer = claims.join_offer(listing, current_user)
    if offer is None or not ActionForm().validate():
        abort(404 if offer is None else 400)
    claims.ask_to_join(listing, current_user, offer)
    flash(
        _(
            "Your request to join %(practice)s is with its owner. Until they approve it your "
            "listing stays in your own practice.",
            practice=offer.name,
        ),
        "success",
    )
    if request.form.get("back") == "editor":
        return redirect(url_for("editor.edit", slug=listing.slug))
    return redirect(url_for(".show", slug=listing.slug))


@bp.route("/p/<slug:slug>/claim/request", methods=["GET", "POST"])
@unit_of_work
def request_removal(slug: str):
    listing, claim, away = _step(slug)
    if away:
        return away
    form = RequestForm()
    if not form.validate():
        return _page(listing, status=400)
    claims.request_removal(claim, form.note.data or "")
    flash(_("Your request is with the admins: they will remove the listing and write to you."),
          "success")  # fmt: skip
    return redirect(url_for(".show", slug=listing.slug))


@bp.post(
    "/dashboard/practices/<slug:tenant_slug>/joins/<id:request_id>/approve",
    defaults={"approve": True},
)
@bp.post("/dashboard/practices/<slug:tenant_slug>/joins/<id:request_id>/decline",
         defaults={"approve": False}, endpoint="decline_join")  # fmt: skip
@unit_of_work
def approve_join(tenant_slug: str, request_id: int, approve: bool):
    """A practice's owner or manager lets in (or turns away) a therapist who asked to join
    with their claimed listing."""
    m = tenancy.membership_or_404(tenant_slug, "manage_practice")
    join = tenancy.join_request_or_404(m, request_id)
    if not ActionForm().validate():
        abort(400)
    refusals.show_on(url_for("practices.members", tenant_slug=tenant_slug))
    claims.decide_join(join, m, approve=approve)
    if approve:
        flash(
            _(
                "%(name)s is a therapist of the practice now, with their profile.",
                name=join.user.name,
            ),
            "success",
        )
    else:
        flash(_("You declined %(name)s's request to join.", name=join.user.name), "success")
    return redirect(url_for("practices.members", tenant_slug=tenant_slug))


# --- Removal without an account ---------------------------------------------------------------


def _removal_page(listing, which: str, form, status: int = 400):
    return _page(listing, removal=True, anonymous={which: form}, status=status)


@bp.post("/p/<slug:slug>/remove/request")
@unit_of_work
def removal_request(slug: str):
    """Ask the admins to remove a listing without an account: they answer by mail."""
    listing = _listing_or_404(slug, removal=True)
    form = RemovalRequestForm(prefix="request")
    if not form.validate():
        return _removal_page(listing, "request", form)
    refusals.show_on(lambda _: _removal_page(listing, "request", form, 429))
    claims.removal_request(listing, name=form.name.data, email=form.email.data,
                           note=form.note.data or "", ip=client_ip(),
                           honeypot=form.leave_empty.data or "")  # fmt: skip
    flash(
        _(
            "Your request is with the admins. They will write to %(email)s when they have decided.",
            email=form.email.data,
        ),
        "success",
    )
    return redirect(url_for(".remove", slug=listing.slug))


@bp.post("/p/<slug:slug>/remove/send-code")
@unit_of_work
def removal_send_code(slug: str):
    """Prove the license and name without an account, and have a code of record sent."""
    listing = _listing_or_404(slug, removal=True)
    form = RemovalCodeRequestForm(prefix="send")
    if not form.validate():
        return _removal_page(listing, "send", form)
    refusals.show_on(lambda _: _removal_page(listing, "send", form, 429))
    claim = claims.removal_code(
        listing, name=form.name.data, email=form.email.data, number=form.number.data,
        legal_name=form.legal_name.data, birth_year=form.birth_year.data,
        channel=form.channel.data, ip=client_ip(), backend=sms.backend(),
        honeypot=form.leave_empty.data or "",
    )  # fmt: skip
    if claim is None and not form.leave_empty.data:
        # A refusal is a try (counted): the page answers 200 with the form as typed.
        form.form_errors.append(_("Those details do not match the public record of this "
                                  "listing. Give the license number as the board issued it "
                                  "and your legal name as the license shows it."))  # fmt: skip
        return _removal_page(listing, "send", form, 200)
    if form.channel.data == "sms":
        flash(_("We texted a code to the business phone of record. Enter it below."), "success")
    else:
        flash(
            _(
                "A letter with your code will go to the practice address of record within a "
                "few days. Enter its code on this page when it arrives."
            ),
            "success",
        )
    return redirect(url_for(".remove", slug=listing.slug) + "#removal-code")


@bp.post("/p/<slug:slug>/remove/code")
@unit_of_work
def removal_enter_code(slug: str):
    """Remove a listing in one step with its code of record, after a confirmation."""
    listing = _listing_or_404(slug, removal=True)
    form = RemovalCodeForm(prefix="code")
    if not form.validate():
        return _removal_page(listing, "code", form)
    refusals.show_on(lambda _: _removal_page(listing, "code", form, 429))
    claims.count_removal_post(listing, client_ip(), form.email.data)
    claim = claims.removal_by_code(listing, form.code.data)
    if claim is None:
        form.code.errors = [_("That code does not work for this listing: check it against the "
                              "letter or text, or ask for a new one.")]  # fmt: skip
        return _removal_page(listing, "code", form, 200)
    if not confirm.given():
        return confirm.ask(
            title=_("Remove this listing?"),
            what=listing.name,
            detail=_("It leaves the directory at once, and its NPI and licenses are "
                     "remembered so it is never listed again, even when the public record is "
                     "read again."),
            action=url_for(".removal_enter_code", slug=listing.slug),
            back=url_for(".remove", slug=listing.slug),
            button=_("Remove the listing"),
            fields={"code-name": form.name.data, "code-email": form.email.data,
                    "code-code": form.code.data, "code-csrf_token": generate_csrf()},
        )  # fmt: skip
    name = listing.name
    claims.enter_code(claim, form.code.data)
    mail.letter(claim.reply_to, _("The listing of %(name)s is removed", name=name),
                _("Hello %(name)s,", name=claim.claimant_name),
                _("You asked us to remove the listing of %(name)s from Kneaded, with its code "
                  "of record.", name=name),
                _("It is removed, and will not be listed again."))  # fmt: skip
    flash(
        _("The listing of %(name)s is removed, and will not be listed again.", name=name), "success"
    )
    return redirect(url_for("public.index"))
