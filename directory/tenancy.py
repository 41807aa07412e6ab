"""The one place tenant data is loaded for the signed-in user, with the membership and role check.

Nothing here takes a tenant id or practitioner id from a form or query string: the tenant comes
from the user's own memberships, re-read from the database on every call (a role revoked a
second ago no longer counts). Another practice's data is a 404 (its existence is not revealed);
the user's own practice but a record they may not touch is a 403; anonymous is sent to sign in.
"""

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import select

from directory.db import db
from directory.inquiries.models import Inquiry, SenderBlock
from directory.practices.models import Invitation, Membership, Tenant
from directory.practitioners.models import Practitioner, whole_profile
from directory.refusals import NotPermitted
from directory.validation import is_row_id, is_slug

#: Roles that may edit every profile of their practice and create profiles in it.
MANAGING_ROLES = ("owner", "manager")


def memberships_of(user) -> list[Membership]:
    """The user's memberships in practices that still exist, by practice name."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.tenant)
            .where(Membership.user_id == user.id, Tenant.status != "deleted")
            .order_by(Tenant.name, Tenant.id)
            .execution_options(populate_existing=True)
        )
    )


def role_in(user, tenant_id: int) -> str | None:
    """The user's role in a practice, read from the database now; None when not a member."""
    return db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.tenant_id == tenant_id
        )
    )


def _managing(actor: Membership, target=None) -> bool:
    return actor.role in MANAGING_ROLES


def _owning(actor: Membership, target=None) -> bool:
    return actor.role == "owner"


def _same_practice(actor: Membership, target) -> bool:
    return target is not None and target.tenant_id == actor.tenant_id


def _touches_member(actor: Membership, target: Membership) -> bool:
    # Managers move members between manager and therapist; only owners touch an owner.
    return (
        _managing(actor)
        and _same_practice(actor, target)
        and (_owning(actor) or target.role != "owner")
    )


def _edits_profile(actor: Membership, target: Practitioner) -> bool:
    if not _same_practice(actor, target):
        return False
    return _managing(actor) or (target.user_id is not None and target.user_id == actor.user_id)


def _reads_inquiry(actor: Membership, target) -> bool:
    # A message is for the therapist it was written to (not whoever holds the profile now);
    # the practice's owners and managers read every one (the form's consent names them).
    if not _same_practice(actor, target):
        return False
    return _managing(actor) or target.recipient_user_id == actor.user_id


#: action -> who may do it: (the acting membership, the record it acts on or None) -> bool.
#: The one statement of each rule: route loaders, operations and templates all ask `may`.
RULES = {
    "see_practice": lambda actor, target: True,
    "manage_practice": _managing,  # details, logo, staff profiles, members and invitations
    "close_practice": _owning,
    "read_audit_log": _owning,
    "transfer_ownership": lambda actor, target: (
        _owning(actor) and (target is None or _same_practice(actor, target))
    ),
    "grant_ownership": _owning,
    "change_role": _touches_member,
    "remove_member": _touches_member,
    "revoke_invitation": lambda actor, target: _managing(actor) and _same_practice(actor, target),
    "edit_profile": _edits_profile,
    "delete_profile": lambda actor, target: _managing(actor) and _same_practice(actor, target),
    # Read, mark, archive, delete or report an inquiry, and block its sender.
    "handle_inquiry": _reads_inquiry,
    "read_practice_inquiries": _managing,
    # A block on a profile is its therapist's to lift; the practice's managers lift any.
    "lift_block": lambda actor, target: (
        _same_practice(actor, target)
        and (
            _managing(actor)
            or (target.practitioner is not None and target.practitioner.user_id == actor.user_id)
        )
    ),
}


def may(actor: Membership | None, action: str, target=None) -> bool:
    """Whether the member `actor` may do `action` (a key of RULES) to `target`."""
    return actor is not None and RULES[action](actor, target)


def require(actor: Membership, action: str, target=None) -> None:
    """Raise NotPermitted unless `actor` may do `action` to `target`."""
    if not may(actor, action, target):
        raise NotPermitted(f"a {actor.role} may not {action.replace('_', ' ')}")


def editable_profiles(user, membership: Membership) -> list[Practitioner]:
    """The profiles of one of the user's practices that the user may edit."""
    query = (
        select(Practitioner)
        .where(Practitioner.tenant_id == membership.tenant_id)
        .options(*whole_profile())
        .order_by(Practitioner.name, Practitioner.id)
    )
    if not may(membership, "manage_practice"):
        query = query.where(Practitioner.user_id == user.id)
    return list(db.session.scalars(query))


def _require_login() -> None:
    if not current_user.is_authenticated:
        # Views are @login_required as well; this keeps the helper safe on its own.
        abort(current_app.login_manager.unauthorized())


def _membership_in(tenant_id: int) -> Membership | None:
    """The current user's membership of a practice that still exists."""
    return db.session.scalar(
        select(Membership)
        .join(Membership.tenant)
        .where(
            Membership.user_id == current_user.id,
            Membership.tenant_id == tenant_id,
            Tenant.status != "deleted",
        )
        .execution_options(populate_existing=True)
    )


def _judged(record, action: str):
    """`record` (of a practice: it has `tenant_id`) if the current user may do `action` to it:
    404 when they are not a member of its practice (or it was closed), 403 when their role
    may not."""
    membership = _membership_in(record.tenant_id)
    if membership is None:
        abort(404)
    if not may(membership, action, record):
        abort(403)
    return record


def practitioner_for_edit_or_404(slug: str, action: str = "edit_profile") -> Practitioner:
    """The practitioner the current user may do `action` to: 404 outside their practices,
    403 inside."""
    _require_login()
    if not is_slug(slug):
        abort(404)
    practitioner = db.session.scalar(
        select(Practitioner)
        .where(Practitioner.slug == slug)
        .options(*whole_profile())
        .execution_options(populate_existing=True)
    )
    if practitioner is None:
        abort(404)
    return _judged(practitioner, action)


def membership_or_404(tenant_slug: str, action: str = "see_practice") -> Membership:
    """The current user's membership of a practice: 404 if not a member, 403 if it may not do
    `action` there."""
    _require_login()
    if not is_slug(tenant_slug):
        abort(404)
    membership = db.session.scalar(
        select(Membership)
        .join(Membership.tenant)
        .where(
            Membership.user_id == current_user.id,
            Tenant.slug == tenant_slug,
            Tenant.status != "deleted",
        )
        .execution_options(populate_existing=True)
    )
    if membership is None:
        abort(404)
    if not may(membership, action):
        abort(403)
    return membership


def inquiry_or_404(inquiry_id: int, action: str = "handle_inquiry"):
    """An inquiry the current user may handle: 404 outside their practices, 403 inside (a
    colleague's, for a therapist)."""
    _require_login()
    if not is_row_id(inquiry_id):
        abort(404)
    inquiry = db.session.scalar(
        select(Inquiry).where(Inquiry.id == inquiry_id).execution_options(populate_existing=True)
    )
    if inquiry is None:
        abort(404)
    return _judged(inquiry, action)


def block_or_404(block_id: int) -> SenderBlock:
    """A sender block the current user may lift: 404 outside their practices, 403 inside."""
    _require_login()
    if not is_row_id(block_id):
        abort(404)
    block = db.session.get(SenderBlock, block_id)
    if block is None:
        abort(404)
    return _judged(block, "lift_block")


def member_or_404(membership: Membership, member_id: int) -> Membership:
    """Another membership of the same practice as `membership`: 404 for any other practice's."""
    return _of_practice_or_404(Membership, membership, member_id)


def invitation_or_404(membership: Membership, invitation_id: int) -> Invitation:
    """An invitation of the same practice as `membership`: 404 for any other practice's."""
    return _of_practice_or_404(Invitation, membership, invitation_id)


def join_request_or_404(membership: Membership, request_id: int):
    """A request to join the same practice as `membership`: 404 for any other practice's."""
    from directory.listings.models import PracticeJoin

    return _of_practice_or_404(PracticeJoin, membership, request_id)


def _of_practice_or_404(model, membership: Membership, row_id: int):
    if not is_row_id(row_id):
        abort(404)
    found = db.session.scalar(
        select(model).where(model.id == row_id, model.tenant_id == membership.tenant_id)
    )
    if found is None:
        abort(404)
    return found


def may_view_photo(practitioner: Practitioner) -> bool:
    """Whether the current user may see a profile's photo although the profile is not public."""
    if not current_user.is_authenticated:
        return False
    return may(_membership_in(practitioner.tenant_id), "edit_profile", practitioner)


def may_view_logo(tenant: Tenant) -> bool:
    """Whether the current user may see a practice's logo although the practice is not public."""
    if not current_user.is_authenticated or tenant.status == "deleted":
        return False
    return may(_membership_in(tenant.id), "manage_practice")
