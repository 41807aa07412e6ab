"""Writing to a therapist or a practice (public), the client's own page for their message, and
the inbox where therapists and practices handle them."""

import re

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound

from directory import confirm, i18n, paging, refusals, tenancy
from directory.db import short_write
from directory.inquiries import forms as inquiry_forms
from directory.inquiries import operations
from directory.inquiries.forms import InquiryForm, seconds_since
from directory.locales import long_date
from directory.practices import roster
from directory.practices.public import render_practice
from directory.practitioners import profiles
from directory.practitioners.views import render_profile
from directory.unit_of_work import unit_of_work
from directory.validation import SLUG_PATTERN
from directory.web import client_ip, page_number, render_error

bp = Blueprint("inquiries", __name__)
inbox_bp = Blueprint("inbox", __name__)


# --- Public: sending, and the client's page ---------------------------------------------------


def _send(recipient: operations.Recipient, form: InquiryForm, render, back: str):
    """Validate and send (the view's @unit_of_work commits); a refusal shows the page again with
    what was typed."""

    def again(error):
        # Said in the form, beside what was typed (not also at the top of the page).
        form.form_errors.append(error.message)
        form.fresh_stamp()
        return render(form)

    refusals.show_on(again, inline=True)
    if not form.validate_on_submit():
        form.fresh_stamp()
        return render(form, status=400)
    draft = operations.Draft(
        name=form.name.data,
        email=form.email.data,
        phone=form.phone.data,
        message=form.message.data,
        preferred_contact=form.preferred_contact.data,
        condition=form.condition(),
    )
    operations.send(
        recipient,
        draft,
        ip=client_ip(),
        seconds_on_form=seconds_since(form.opened.data),
        honeypot=form.leave_empty.data or "",
    )
    # Back to the page, where the form's place says what was sent (an empty form under the
    # notice read as if nothing had gone), with a way to write another.
    inquiry_forms.remember_sent(
        recipient, draft.email, draft.preferred_contact,
        draft.condition.name if draft.condition else "",
    )  # fmt: skip
    return redirect(f"{back}#contact")


@bp.post("/p/<slug:slug>/inquiry")
@unit_of_work
def send_to_profile(slug: str):
    practitioner = profiles.get_visible_or_404(slug)
    if not practitioner.claimed:
        abort(404)  # an unclaimed listing takes no messages: nobody agreed to receive them
    recipient = operations.Recipient(practitioner.tenant, practitioner)
    return _send(
        recipient,
        inquiry_forms.for_profile(practitioner),
        lambda form, status=400: _profile_page(slug, form, status),
        url_for("practitioners.show", slug=slug),
    )


@bp.post("/t/<slug:slug>/inquiry")
@unit_of_work
def send_to_practice(slug: str):
    recipient = operations.Recipient(roster.public_tenant_or_404(slug))
    return _send(
        recipient,
        InquiryForm(),
        lambda form, status=400: _practice_page(slug, form, status),
        url_for("practice_pages.show", slug=slug),
    )


def _private(response):
    # The page's address holds the link's secret: nothing may keep it or pass it on.
    response.headers["Referrer-Policy"] = "no-referrer"
    return _unstored(response)


@bp.errorhandler(CSRFError)
def _form_expired(error):
    """A form left open past its CSRF token's life: shown again with what was typed."""
    view = {
        "inquiries.send_to_profile": _profile_page,
        "inquiries.send_to_practice": _practice_page,
    }
    if request.endpoint not in view:
        return render_error(error)
    form = InquiryForm(meta={"csrf": False})
    form.form_errors.append(
        _(
            "This page was open a long time, so we could not send it as it was. Your message is "
            "still below: please send it again."
        )
    )
    form.fresh_stamp()
    try:
        return view[request.endpoint](request.view_args["slug"], form)
    except NotFound:
        # No such public page: the CSRF refusal it is (nothing typed there to keep).
        return render_error(error)


def _profile_page(slug: str, form, status=400):
    return render_profile(profiles.get_visible_or_404(slug), form, status=status)


def _practice_page(slug: str, form, status=400):
    return render_practice(roster.public_tenant_or_404(slug), 1, form, status=status)


@bp.get("/inquiries/yours")
def mine():
    """The client's own message, opened from the link in their confirmation mail. The secret
    rides in the query string, which no log line records (gunicorn.conf.py)."""
    key = request.args.get("key", "")
    inquiry = operations.for_token(key)
    if inquiry is None:
        abort(404)
    page = render_template("inquiries/mine.html", inquiry=inquiry, key=key)
    return _private(make_response(page))


@bp.post("/inquiries/yours/withdraw")
@unit_of_work
def withdraw():
    key = request.form.get("key", "")
    inquiry = operations.for_token(key)
    if inquiry is None:
        abort(404)
    if not confirm.given():
        page = confirm.ask(
            title=_("Withdraw your message?"),
            what=_("Your message to %(name)s, sent %(day)s", name=inquiry.recipient_name,
                   day=i18n.long_date(inquiry.created_at)),
            detail=_("Its text, your phone number and the topic are deleted now, and %(name)s is "
                     "asked to delete their email copy. This cannot be undone.",
                     name=inquiry.recipient_name),
            action=url_for(".withdraw"), back=url_for(".mine", key=key),
            button=_("Withdraw it"), fields={"key": key},
        )  # fmt: skip
        return _private(make_response(page))
    operations.withdraw(inquiry)
    flash(_("Your message is withdrawn and its text deleted."), "success")
    return _private(redirect(url_for(".mine", key=key)))


# --- The inbox ---------------------------------------------------------------------------------


def _folder() -> str:
    folder = request.args.get("folder", "inbox")
    if folder not in operations.FOLDERS:
        abort(404)
    return folder


def _managed() -> list:
    return [
        m for m in tenancy.memberships_of(current_user) if tenancy.may(m, "read_practice_inquiries")
    ]


def _render_inbox(query, title: str, practice=None):
    folder = _folder()
    found = operations.listing(query, folder, page_number())
    if found is None:
        abort(404)
    managed = _managed()
    page = render_template(
        "inbox/index.html",
        listing=found,
        paged=paging.Page(found.inquiries, found.page, found.pages, found.total),
        folder=folder,
        title=title,
        practice=practice,
        managed=managed,
        blocks=operations.blocks_for(current_user, [m.tenant_id for m in managed]),
    )
    return _unstored(make_response(page))


def _unstored(response):
    # Messages are health information: no browser or proxy cache keeps a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@inbox_bp.get("/dashboard/inquiries")
@login_required
def index():
    """Messages to the user's own profiles (and links to the practices they manage)."""
    return _render_inbox(operations.of_user(current_user), _("Your messages"))


@inbox_bp.get("/dashboard/practices/<slug:tenant_slug>/inquiries")
@login_required
def practice(tenant_slug: str):
    """Every message to a practice and its profiles, for its owners and managers."""
    membership = tenancy.membership_or_404(tenant_slug, "read_practice_inquiries")
    return _render_inbox(
        operations.of_practice(membership.tenant_id),
        _("Messages to %(practice)s", practice=membership.tenant.name),
        practice=membership,
    )


@inbox_bp.get("/dashboard/inquiries/<id:inquiry_id>")
@login_required
def show(inquiry_id: int):
    inquiry = tenancy.inquiry_or_404(inquiry_id)
    if operations.reads_it_first(inquiry, current_user):
        # Its own short write, begun as one (a GET's transaction takes no write lock first).
        with short_write():
            operations.mark_read(inquiry)
    membership = tenancy.role_in(current_user, inquiry.tenant_id)
    page = render_template(
        "inbox/show.html",
        inquiry=inquiry,
        may_practice=membership in tenancy.MANAGING_ROLES,
        block=operations.block_of(inquiry),
    )
    return _unstored(make_response(page))


def _back(inquiry) -> str:
    return url_for(".show", inquiry_id=inquiry.id)


@inbox_bp.post("/dashboard/inquiries/<id:inquiry_id>/mark")
@login_required
@unit_of_work
def mark(inquiry_id: int):
    inquiry = tenancy.inquiry_or_404(inquiry_id)
    action = request.form.get("action", "")
    back = _back(inquiry)
    refusals.show_on(back)
    operations.mark(inquiry, action, current_user)
    flash(str(MARKED[action]), "success")
    return redirect(back)


#: What the inbox says after each mark.
MARKED = {
    "replied": _l("Marked as replied."),
    "unreplied": _l("No longer marked as replied."),
    "archived": _l("Archived."),
    "inbox": _l("Moved back to the inbox."),
    "spam": _l("Reported as spam and moved to Spam. Block the sender to hear no more from them."),
    "not_spam": _l("Moved back to the inbox."),
}


@inbox_bp.post("/dashboard/inquiries/<id:inquiry_id>/delete")
@login_required
@unit_of_work
def delete(inquiry_id: int):
    inquiry = tenancy.inquiry_or_404(inquiry_id)
    back = _back_to(url_for(".index"))
    if not confirm.given():
        page = confirm.ask(
            title=_("Delete this message for good?"),
            what=_("The message from %(name)s, %(day)s", name=inquiry.sender_name,
                   day=long_date(inquiry.created_at)),
            detail=_("Its text is deleted and cannot be brought back; archive it instead to "
                     "keep it out of your inbox."),
            action=url_for(".delete", inquiry_id=inquiry.id),
            back=url_for(".show", inquiry_id=inquiry.id), button=_("Delete it"),
            fields={"back": back},
        )  # fmt: skip
        return _unstored(make_response(page))
    operations.remove(inquiry, current_user)
    flash(_("The message is deleted."), "success")
    return redirect(back)


@inbox_bp.post("/dashboard/inquiries/<id:inquiry_id>/block")
@login_required
@unit_of_work
def block(inquiry_id: int):
    inquiry = tenancy.inquiry_or_404(inquiry_id)
    operations.block_sender(inquiry, current_user)
    flash(
        _(
            "%(email)s is blocked: their messages to %(name)s are dropped from now on.",
            email=inquiry.sender_email,
            name=inquiry.practitioner.name if inquiry.practitioner else inquiry.tenant.name,
        ),
        "success",
    )
    return redirect(_back(inquiry))


@inbox_bp.post("/dashboard/inquiries/blocks/<id:block_id>/remove")
@login_required
@unit_of_work
def unblock(block_id: int):
    found = tenancy.block_or_404(block_id)
    email = found.email_key
    operations.unblock(found, current_user)
    flash(_("%(email)s is no longer blocked.", email=email), "success")
    return redirect(_back_to(url_for(".index")))


#: The inbox pages a button may send back to (a relative path of ours, never another site).
_INBOX_PAGE = re.compile(
    rf"/dashboard/(?:inquiries|practices/{SLUG_PATTERN}/inquiries)(?:[/?][^\s]*)?"
)


def _back_to(default: str) -> str:
    """The inbox page the button was on, else `default`."""
    target = request.form.get("back", "")
    return target if _INBOX_PAGE.fullmatch(target) and "//" not in target else default
