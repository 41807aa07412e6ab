"""Running a practice: its details and logo, staff profiles, members, invitations, ownership,
its audit log, and the invitation link's own page. Views load through `tenancy` and act
through `operations`; they only translate between HTTP and those two."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from directory import confirm, mail, refusals, tenancy
from directory.accounts import passwords, sessions
from directory.db import without_write_lock
from directory.listings import claims
from directory.practices import forms, operations
from directory.practices.models import Membership
from directory.practitioners import photos
from directory.unit_of_work import unit_of_work
from directory.validation import same_email
from directory.web import page_number

bp = Blueprint("practices", __name__)


def _home(tenant_slug: str):
    return redirect(url_for("dashboard.practice", tenant_slug=tenant_slug))


def _members_url(tenant_slug: str) -> str:
    return url_for(".members", tenant_slug=tenant_slug)


def _members_page(tenant_slug: str):
    return redirect(_members_url(tenant_slug))


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


# --- The practice's details ------------------------------------------------------------------


@bp.post("/dashboard/practices")
@login_required
@unit_of_work
def start():
    """A new practice owned by the signed-in user (a therapist going solo, a second clinic)."""
    form = forms.StartPracticeForm()
    if not form.validate():
        _flash_errors(form)
        return redirect(url_for("dashboard.index"))
    refusals.show_on(url_for("dashboard.index"))
    tenant = operations.start_practice(current_user, form.name.data).tenant
    flash(
        _("%(practice)s is ready. Add its details and your first profile.", practice=tenant.name),
        "success",
    )
    return _home(tenant.slug)


@bp.route("/dashboard/practices/<slug:tenant_slug>/settings", methods=["GET", "POST"])
@login_required
@unit_of_work
def settings(tenant_slug: str):
    m = tenancy.membership_or_404(tenant_slug, "manage_practice")
    tenant = m.tenant
    form = forms.PracticeForm(
        obj=None,
        data={
            "name": tenant.name,
            "kind": tenant.kind,
            "website": tenant.website or "",
            "description": tenant.description or "",
        },
    )
    if request.method == "POST":
        if not form.is_complete():
            flash(
                _("The form arrived incomplete, so nothing was saved. Please try again."), "error"
            )
            return render_template("practices/settings.html", m=m, form=form), 400
        if not form.validate():
            flash(_("Nothing was saved yet: please correct the fields marked below."), "error")
            return render_template("practices/settings.html", m=m, form=form), 400
        changed = operations.update_practice(m, form.changes())
        flash(_("Practice details saved.") if changed else _("Nothing had changed."), "success")
        return redirect(url_for(".settings", tenant_slug=tenant_slug))
    return render_template(
        "practices/settings.html",
        m=m,
        form=form,
        logo_form=forms.LogoForm(formdata=None),
        embed_url=mail.public_url("practice_pages.embed", slug=tenant.slug),
    )


@bp.post("/dashboard/practices/<slug:tenant_slug>/logo")
@login_required
@unit_of_work
def upload_logo(tenant_slug: str):
    m = tenancy.membership_or_404(tenant_slug, "manage_practice")
    form = forms.LogoForm()
    back = url_for(".settings", tenant_slug=m.tenant.slug)
    if not form.validate():
        _flash_errors(form)
        return redirect(back)
    refusals.show_on(back)
    operations.set_logo(m, photos.save(form.logo.data))
    flash(_("Logo saved."), "success")
    return redirect(back)


@bp.post("/dashboard/practices/<slug:tenant_slug>/logo/delete")
@login_required
@unit_of_work
def delete_logo(tenant_slug: str):
    m = tenancy.membership_or_404(tenant_slug, "manage_practice")
    back = url_for(".settings", tenant_slug=m.tenant.slug)
    if not confirm.given():
        return confirm.ask(
            title="Remove the logo?", what=f"The logo of {m.tenant.name}",
            detail="It is deleted for good; you can upload another at any time.",
            action=url_for(".delete_logo", tenant_slug=m.tenant.slug), back=back,
        )  # fmt: skip
    if not forms.ConfirmForm().validate():
        abort(400)
    operations.set_logo(m, None)
    flash(_("Logo removed."), "success")
    return redirect(back)


@bp.route("/dashboard/practices/<slug:tenant_slug>/close", methods=["GET", "POST"])
@login_required
@unit_of_work
def close(tenant_slug: str):
    m = tenancy.membership_or_404(tenant_slug, "close_practice")
    form = forms.DeletePracticeForm()
    if form.validate_on_submit():
        refusals.show_on(
            lambda _: render_template("practices/close.html", m=m, form=form), form.confirm_name
        )
        operations.delete_practice(m, form.confirm_name.data or "")
        flash(
            _(
                "%(practice)s is closed: its page and profiles are no longer listed.",
                practice=m.tenant.name,
            ),
            "success",
        )
        return redirect(url_for("dashboard.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("practices/close.html", m=m, form=form), status


# --- Staff profiles --------------------------------------------------------------------------


@bp.post("/dashboard/practices/<slug:tenant_slug>/profiles")
@login_required
@unit_of_work
def create_profile(tenant_slug: str):
    m = tenancy.membership_or_404(tenant_slug, "manage_practice")
    form = forms.StaffProfileForm()
    if not form.validate():
        _flash_errors(form)
        return _home(tenant_slug)
    practitioner = operations.create_staff_profile(m, form.name.data)
    flash(
        _(
            "A draft profile for %(name)s is ready. It stays private until published.",
            name=practitioner.name,
        ),
        "success",
    )
    return redirect(url_for("editor.edit", slug=practitioner.slug))


@bp.post("/dashboard/profiles/<slug:slug>/delete")
@login_required
@unit_of_work
def delete_profile(slug: str):
    practitioner = tenancy.practitioner_for_edit_or_404(slug, "delete_profile")
    m = tenancy.membership_or_404(practitioner.tenant.slug, "manage_practice")
    if not confirm.given():
        return confirm.ask(
            title="Delete this profile?", what=f"{practitioner.name}'s profile",
            detail="The profile, its licenses and offices are removed for good and leave "
            "search at once.",
            action=url_for(".delete_profile", slug=slug),
            back=url_for("dashboard.practice", tenant_slug=m.tenant.slug), button="Delete it",
        )  # fmt: skip
    if not forms.ConfirmForm().validate():
        abort(400)
    name, practice = practitioner.name, practitioner.tenant.slug
    operations.delete_profile(m, practitioner)
    flash(_("The profile of %(name)s was deleted.", name=name), "success")
    return _home(practice)


# --- Members and invitations -----------------------------------------------------------------


def _render_members(m: Membership, invite_form=None, status: int = 200):
    unclaimed = operations.unclaimed_profiles(m.tenant_id)
    return (
        render_template(
            "practices/members.html",
            m=m,
            members=operations.members(m.tenant_id),
            invitations=operations.pending_invitations(m.tenant_id),
            join_requests=claims.join_requests(m.tenant_id),
            invite_form=invite_form or forms.InviteForm(formdata=None, unclaimed=unclaimed),
            role_form=forms.RoleForm,
        ),
        status,
    )


@bp.get("/dashboard/practices/<slug:tenant_slug>/members")
@login_required
def members(tenant_slug: str):
    return _render_members(tenancy.membership_or_404(tenant_slug, "manage_practice"))


@bp.post("/dashboard/practices/<slug:tenant_slug>/invitations")
@login_required
@unit_of_work
def invite(tenant_slug: str):
    m = tenancy.membership_or_404(tenant_slug, "manage_practice")
    unclaimed = operations.unclaimed_profiles(m.tenant_id)
    form = forms.InviteForm(unclaimed=unclaimed)
    if not form.validate():
        return _render_members(m, form, 400)
    profile = next((p for p in unclaimed if p.slug == form.profile.data), None)
    refusals.show_on(lambda _: _render_members(m, form), form.email)
    operations.invite(m, form.email.data, form.role.data, profile)
    flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
    return _members_page(tenant_slug)


@bp.post("/dashboard/practices/<slug:tenant_slug>/invitations/<id:invitation_id>/revoke")
@login_required
@unit_of_work
def revoke(tenant_slug: str, invitation_id: int):
    m = tenancy.membership_or_404(tenant_slug, "manage_practice")
    invitation = tenancy.invitation_or_404(m, invitation_id)
    if not confirm.given():
        return confirm.ask(
            title="Withdraw this invitation?", what=f"The invitation to {invitation.email}",
            detail="Its link stops working at once; you can invite them again later.",
            action=url_for(".revoke", tenant_slug=m.tenant.slug, invitation_id=invitation.id),
            back=_members_url(m.tenant.slug), button="Withdraw it",
        )  # fmt: skip
    if not forms.ConfirmForm().validate():
        abort(400)
    refusals.show_on(_members_url(tenant_slug))
    email = invitation.email
    operations.revoke_invitation(m, invitation)
    flash(_("The invitation to %(email)s was withdrawn.", email=email), "success")
    return _members_page(tenant_slug)


@bp.post("/dashboard/practices/<slug:tenant_slug>/members/<id:member_id>/role")
@login_required
@unit_of_work
def change_role(tenant_slug: str, member_id: int):
    m = tenancy.membership_or_404(tenant_slug, "manage_practice")
    target = tenancy.member_or_404(m, member_id)
    form = forms.RoleForm()
    if not form.validate():
        _flash_errors(form)
        return _members_page(tenant_slug)
    refusals.show_on(_members_url(tenant_slug))
    name, own = target.user.name, target.id == m.id
    operations.change_role(m, target, form.role.data)
    flash(
        _("%(name)s is now %(role)s.", name=name, role=_(form.role.data.capitalize()).lower()),
        "success",
    )
    # Who gave up managing can no longer see the members page.
    return _home(tenant_slug) if own else _members_page(tenant_slug)


@bp.post("/dashboard/practices/<slug:tenant_slug>/members/<id:member_id>/remove")
@login_required
@unit_of_work
def remove(tenant_slug: str, member_id: int):
    m = tenancy.membership_or_404(tenant_slug, "manage_practice")
    target = tenancy.member_or_404(m, member_id)
    if not confirm.given():
        return confirm.ask(
            title=f"Remove {target.user.name}?",
            what=f"{target.user.name} ({target.role}) from {m.tenant.name}",
            detail="They lose access; their profile here goes private and stays with the "
            "practice.",
            action=url_for(".remove", tenant_slug=m.tenant.slug, member_id=target.id),
            back=_members_url(m.tenant.slug),
        )  # fmt: skip
    if not forms.ConfirmForm().validate():
        abort(400)
    refusals.show_on(_members_url(tenant_slug))
    name, practice, leaving = target.user.name, m.tenant.name, target.id == m.id
    operations.remove_member(m, target)
    if leaving:
        flash(_("You left %(practice)s.", practice=practice), "success")
        return redirect(url_for("dashboard.index"))
    flash(_("%(name)s was removed.", name=name), "success")
    return _members_page(tenant_slug)


@bp.post("/dashboard/practices/<slug:tenant_slug>/leave")
@login_required
@unit_of_work
def leave(tenant_slug: str):
    m = tenancy.membership_or_404(tenant_slug)
    if not confirm.given():
        return confirm.ask(
            title=f"Leave {m.tenant.name}?", what=f"Your membership of {m.tenant.name}",
            detail="Your profile here goes private and stays with the practice.",
            action=url_for(".leave", tenant_slug=m.tenant.slug),
            back=url_for("dashboard.practice", tenant_slug=m.tenant.slug), button="Leave",
        )  # fmt: skip
    if not forms.ConfirmForm().validate():
        abort(400)
    name = m.tenant.name
    refusals.show_on(url_for("dashboard.practice", tenant_slug=m.tenant.slug))
    operations.leave(m)
    flash(_("You left %(practice)s.", practice=name), "success")
    return redirect(url_for("dashboard.index"))


@bp.route("/dashboard/practices/<slug:tenant_slug>/transfer", methods=["GET", "POST"])
@login_required
@unit_of_work
def transfer(tenant_slug: str):
    m = tenancy.membership_or_404(tenant_slug, "transfer_ownership")
    candidates = [x for x in operations.members(m.tenant_id) if x.id != m.id]
    form = forms.TransferForm(candidates=candidates)
    if form.validate_on_submit():
        target = tenancy.member_or_404(m, int(form.member.data))
        name, practice = target.user.name, m.tenant.name
        refusals.show_on(url_for("dashboard.practice", tenant_slug=m.tenant.slug))
        operations.transfer_ownership(m, target)
        flash(
            _("%(name)s now owns %(practice)s; you are a manager.", name=name, practice=practice),
            "success",
        )
        return _home(tenant_slug)
    status = 400 if request.method == "POST" else 200
    return render_template("practices/transfer.html", m=m, form=form, candidates=candidates), status


@bp.get("/dashboard/practices/<slug:tenant_slug>/audit")
@login_required
def audit_log(tenant_slug: str):
    m = tenancy.membership_or_404(tenant_slug, "read_audit_log")
    found = operations.recent_events(m.tenant_id, page_number())
    if found is None:
        abort(404)
    return render_template(
        "practices/audit.html", m=m, events=found.items, total=found.total, paged=found,
    )  # fmt: skip


# --- The invitation link ---------------------------------------------------------------------


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@unit_of_work
def invitation(token: str):
    """Anyone holding the link: shows the invitation, and accepts it for the invited address."""
    found = operations.invitation_for_token(token)
    if found is None:
        return render_template("practices/invitation_invalid.html"), 404
    inv = found.invitation
    signed_in = current_user.is_authenticated
    matches = signed_in and same_email(current_user.email, inv.email)
    account_form = None
    # Who is invited, by name where we know it: the profile they take over, or their account.
    invitee = inv.practitioner.name if inv.practitioner else ""
    if found.account is not None:
        invitee = found.account.name or invitee
    if not signed_in and found.account is None:
        account_form = forms.InvitedAccountForm(invited_email=inv.email)
        if request.method == "GET" and invitee:
            account_form.name.data = invitee
    if request.method == "POST":
        if matches and forms.ConfirmForm().validate():
            operations.accept_invitation(inv, current_user)
            flash(_("Welcome to %(practice)s.", practice=inv.tenant.name), "success")
            return _home(inv.tenant.slug)
        if account_form is not None and account_form.validate():
            with without_write_lock():
                password_hash = passwords.hash_password(account_form.password.data)
            user = operations.create_invited_account(inv, account_form.name.data, password_hash)
            sessions.sign_in_browser(user)
            flash(
                _("Your account is ready. Welcome to %(practice)s.", practice=inv.tenant.name),
                "success",
            )
            return redirect(url_for("dashboard.practice", tenant_slug=inv.tenant.slug))
        status = 400
    else:
        status = 200
    return (
        render_template(
            "practices/invitation.html",
            inv=inv,
            invitee=invitee,
            account=found.account,
            matches=matches,
            account_form=account_form,
            token=token,
        ),
        status,
    )
