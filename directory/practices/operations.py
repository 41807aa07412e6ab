"""What owners, managers and therapists do to a practice: plain functions that flush, never commit.

Each operation asks `tenancy.require` whether the acting member may (the rules are stated once,
in `tenancy.RULES`; not permitted is `refusals.NotPermitted`, a 403) and raises
`refusals.Refused` for a rule of the practice (e.g. it must keep an owner; said to the user).
Every membership, role and ownership change writes an audit event in the same transaction.
"""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from directory import audit, mail, validation
from directory.accounts.models import User
from directory.db import db, now_utc
from directory.locales import number
from directory.paging import Page, page_of
from directory.practices.models import INVITABLE_ROLES, ROLES, Invitation, Membership, Tenant
from directory.practitioners import documents, photos
from directory.practitioners import operations as profiles
from directory.practitioners.models import Practitioner
from directory.refusals import NotPermitted, Refused
from directory.tenancy import MANAGING_ROLES, require

#: The practice fields owners and managers edit; nothing else is ever assigned from a form.
PRACTICE_FIELDS = ("name", "kind", "website", "description")
#: Practices one account may own (a spam brake; a network is one practice with many profiles).
MAX_OWNED_PRACTICES = 20
#: Pending invitations a practice may have at once (a spam brake, far above a real clinic's need).
MAX_PENDING_INVITATIONS = 100


def _owner_count(tenant_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.tenant_id == tenant_id, Membership.role == "owner")
    )


def _record(action: str, actor: Membership, subject=None, **details) -> None:
    audit.record(action, actor=actor.user, tenant=actor.tenant, subject=subject, details=details)


# --- The practice itself -------------------------------------------------------------------


def unique_tenant_slug(name: str) -> str:
    """A free tenant slug from `name`: "the-crafted-hand", else "the-crafted-hand-2", -3..."""
    return validation.unique_slug(Tenant.slug, name, "practice")


def start_practice(user: User, name: str) -> Membership:
    """A new practice owned by `user` (at sign-up, or later from the dashboard)."""
    name = name.strip()[:120]
    if not name:
        raise Refused(_("Give the practice a name."))
    owned = 0
    if user.id is not None:  # a user signing up has no row yet, nor practices
        owned = db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .join(Membership.tenant)
            .where(Membership.user_id == user.id, Membership.role == "owner")
            .where(Tenant.status != "deleted")
        )
    if owned >= MAX_OWNED_PRACTICES:
        raise Refused(
            _("You own %(count)s practices already, the most one account may.", count=number(owned))
        )
    tenant = Tenant(name=name, slug=unique_tenant_slug(name), kind="practice")
    membership = Membership(user=user, tenant=tenant, role="owner")
    db.session.add_all([tenant, membership])
    db.session.flush()
    audit.record("practice.created", actor=user, tenant=tenant, subject=tenant)
    return membership


def update_practice(actor: Membership, changes: dict) -> list[str]:
    """Apply the submitted practice fields (only those); returns the names of those that changed."""
    require(actor, "manage_practice")
    tenant = actor.tenant
    changed = [
        name
        for name, value in changes.items()
        if name in PRACTICE_FIELDS and (getattr(tenant, name) or "") != (value or "")
    ]
    if not changed:
        return []
    before = {name: getattr(tenant, name) for name in changed}
    for name in changed:
        # An emptied optional field is stored as NULL, as a new practice has it.
        setattr(tenant, name, changes[name] or None)
    db.session.flush()
    _record("practice.updated", actor, tenant, fields=changed, before=before)
    return changed


def set_logo(actor: Membership, name: str | None) -> None:
    """Point the practice at a stored logo file (or none); the old one goes after the commit."""
    require(actor, "manage_practice")
    tenant = actor.tenant
    photos.release(tenant.logo)
    tenant.logo = name
    db.session.flush()
    _record("practice.logo_changed" if name else "practice.logo_removed", actor, tenant)


def delete_practice(actor: Membership, confirmation: str) -> None:
    """Close the practice: its page, profiles and search results go at once. Owners only.

    The rows stay (status "deleted") so the audit trail keeps its subject; nobody can reach them.
    """
    require(actor, "close_practice")
    tenant = actor.tenant
    if confirmation.strip().casefold() != tenant.name.strip().casefold():
        raise Refused(_("Type the practice's name exactly to confirm."))
    tenant.status = "deleted"
    tenant.status_reason = "Closed by its owner"
    db.session.flush()
    _record("practice.deleted", actor, tenant)


# --- Profiles of staff -----------------------------------------------------------------------


def create_staff_profile(actor: Membership, name: str) -> Practitioner:
    """A draft profile for someone on the staff who has no account (yet)."""
    require(actor, "manage_practice")
    name = name.strip()
    if not name:
        raise Refused(_("Give the therapist's name."))
    practitioner = Practitioner(
        tenant=actor.tenant,
        user_id=None,
        name=name[:120],
        setting="medical",
        published=False,
        slug=profiles.unique_slug(name),
    )
    db.session.add(practitioner)
    db.session.flush()
    _record("profile.created", actor, practitioner, name=practitioner.name)
    return practitioner


def delete_profile(actor: Membership, practitioner: Practitioner) -> None:
    """Remove a profile of the practice for good (it leaves search at once; its photo and its
    credentials' documents go once the transaction has committed)."""
    require(actor, "delete_profile", practitioner)
    _record("profile.deleted", actor, practitioner, name=practitioner.name)
    photos.release(practitioner.photo)
    for record in practitioner.specialties:
        documents.release(record.document)
    db.session.delete(practitioner)
    db.session.flush()


def people_to_tell(practitioner: Practitioner) -> list[str]:
    """Who hears about a profile (a license decision, a reminder): its therapist's account,
    else (a staff profile without one) the practice's owners and managers."""
    if practitioner.user is not None:
        return [practitioner.user.email]
    return list(managers_emails([practitioner.tenant_id]).get(practitioner.tenant_id, ()))


def managers_emails(tenant_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """The owners' and managers' addresses of many practices, by practice id (in chunks, so
    any number of practices takes few queries)."""
    found: dict[int, list[str]] = {}
    ids = sorted(set(tenant_ids))
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            select(Membership.tenant_id, User.email)
            .join(User, Membership.user_id == User.id)
            .where(
                Membership.tenant_id.in_(ids[start : start + 500]),
                Membership.role.in_(MANAGING_ROLES),
            )
            .order_by(User.email)
        )
        for tenant_id, email in rows:
            found.setdefault(tenant_id, []).append(email)
    return {tenant_id: tuple(emails) for tenant_id, emails in found.items()}


def unclaimed_profiles(tenant_id: int) -> list[Practitioner]:
    """Profiles of the practice without an account, which an invitation may hand to someone."""
    return list(
        db.session.scalars(
            select(Practitioner)
            .where(Practitioner.tenant_id == tenant_id, Practitioner.user_id.is_(None))
            .order_by(Practitioner.name, Practitioner.id)
        )
    )


# --- Members ---------------------------------------------------------------------------------


def members(tenant_id: int) -> list[Membership]:
    """The practice's members, owners first, then by name."""
    order = {role: n for n, role in enumerate(ROLES)}
    rows = db.session.scalars(
        select(Membership).join(Membership.user).where(Membership.tenant_id == tenant_id)
    )
    return sorted(rows, key=lambda m: (order[m.role], m.user.name.casefold(), m.id))


def change_role(actor: Membership, target: Membership, role: str) -> bool:
    """Give a member another role; True when it changed (who may: tenancy.RULES). The
    practice always keeps at least one owner."""
    require(actor, "change_role", target)
    if role not in ROLES:
        raise Refused(_("Choose owner, manager or therapist."))
    if role == "owner":
        require(actor, "grant_ownership")
    if target.role == role:
        return False
    if target.role == "owner" and _owner_count(target.tenant_id) <= 1:
        raise Refused(_("A practice needs an owner: make someone else an owner first."))
    before, target.role = target.role, role
    db.session.flush()
    _record(
        "member.role_changed", actor, target.user,
        email=target.user.email, before=before, after=role,
    )  # fmt: skip
    return True


def remove_member(actor: Membership, target: Membership) -> None:
    """Take someone out of the practice (a member removing themselves is `leave`)."""
    require(actor, "remove_member", target)
    if target.id == actor.id:
        leave(actor)
        return
    _end_membership(target, actor, "member.removed")


def leave(member: Membership) -> None:
    """Leave a practice; the last owner must hand ownership over first."""
    _end_membership(member, member, "member.left")


def _end_membership(target: Membership, actor: Membership, action: str) -> None:
    if target.role == "owner" and _owner_count(target.tenant_id) <= 1:
        raise Refused(_("A practice needs an owner: transfer ownership to another member first."))
    unpublished = _release_profiles(target)
    _record(
        action, actor, target.user,
        email=target.user.email, role=target.role, unpublished=unpublished,
    )  # fmt: skip
    db.session.delete(target)
    db.session.flush()


def dismiss(target: Membership, admin: User, reason: str) -> None:
    """A platform admin's decision ends a membership (a contested organization given to
    another claimant): as if they had left, audited as the admin's act."""
    unpublished = _release_profiles(target)
    audit.record(
        "member.dismissed", actor=admin, tenant=target.tenant, subject=target.user,
        details={"email": target.user.email, "role": target.role, "unpublished": unpublished,
                 "reason": reason},
    )  # fmt: skip
    db.session.delete(target)
    db.session.flush()


def _release_profiles(target: Membership) -> list[str]:
    """The slugs of the leaving member's profiles that went private."""
    # Their profiles stay with the practice (it may list staff without accounts) but go
    # private until someone of the practice publishes them again: nobody is listed at a
    # practice they left without the practice deciding so.
    unpublished = []
    for practitioner in db.session.scalars(
        select(Practitioner).where(
            Practitioner.tenant_id == target.tenant_id, Practitioner.user_id == target.user_id
        )
    ):
        practitioner.user_id = None
        if practitioner.published:
            practitioner.published = False
            unpublished.append(practitioner.slug)
        profiles.touch(practitioner)
    return unpublished


def transfer_ownership(actor: Membership, target: Membership) -> None:
    """Hand the practice to another member: they become an owner, the actor a manager."""
    require(actor, "transfer_ownership", target)
    if target.id == actor.id:
        raise Refused(_("Choose another member to hand the practice to."))
    before = target.role
    target.role = "owner"
    actor.role = "manager"
    db.session.flush()
    _record(
        "ownership.transferred", actor, target.user,
        to=target.user.email, to_role_before=before, from_=actor.user.email,
    )  # fmt: skip


# --- Invitations -----------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def pending_invitations(tenant_id: int) -> list[Invitation]:
    now = now_utc()
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.tenant_id == tenant_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


def invite(
    actor: Membership, email: str, role: str, practitioner: Practitioner | None = None
) -> tuple[Invitation, str]:
    """Mail a single-use link inviting `email` into the practice; returns it and its token.

    Inviting an address again replaces its pending invitation (the old link stops working).
    """
    require(actor, "manage_practice")
    email = email.strip()
    if role not in INVITABLE_ROLES:
        raise Refused(_("Invite as a manager or a therapist; ownership is handed over separately."))
    tenant = actor.tenant
    already = db.session.scalar(
        select(Membership)
        .join(Membership.user)
        .where(Membership.tenant_id == tenant.id, validation.email_is(User.email, email))
    )
    if already is not None:
        raise Refused(
            _("%(email)s is already a member of %(practice)s.", email=email, practice=tenant.name)
        )
    if practitioner is not None and (
        practitioner.tenant_id != tenant.id or practitioner.user_id is not None
    ):
        raise Refused(_("That profile already belongs to someone."))
    now = now_utc()
    for old in pending_invitations(tenant.id):
        if validation.same_email(old.email, email):
            old.revoked_at = now
    if len(pending_invitations(tenant.id)) >= MAX_PENDING_INVITATIONS:
        raise Refused(_("Too many invitations are waiting: revoke some first."))
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        tenant=tenant,
        email=email,
        role=role,
        token_hash=_hash(token),
        practitioner=practitioner,
        invited_by_id=actor.user_id,
        created_at=now,
        expires_at=now + timedelta(seconds=current_app.config["INVITATION_MAX_AGE"]),
    )
    db.session.add(invitation)
    db.session.flush()
    _record(
        "invitation.sent", actor, invitation,
        email=email, role=role, profile=practitioner.slug if practitioner else None,
    )  # fmt: skip
    days = current_app.config["INVITATION_MAX_AGE"] // (24 * 3600)
    inviter = actor.user.name
    # In the language of the invited address's account, else of the page it was sent from.
    with mail.written_for(email) as language:
        if role == "manager":
            invites = _(
                "%(inviter)s invites you to join %(practice)s as a manager on Kneaded, "
                "the massage therapist directory.",
                inviter=inviter,
                practice=tenant.name,
            )
        else:
            invites = _(
                "%(inviter)s invites you to join %(practice)s as a therapist on Kneaded, "
                "the massage therapist directory.",
                inviter=inviter,
                practice=tenant.name,
            )
        if practitioner is not None:
            invites += " " + _(
                "You would take over the profile of %(name)s.", name=practitioner.name
            )
        mail.letter(
            email,
            _("%(inviter)s invites you to join %(practice)s on Kneaded", inviter=inviter,
              practice=tenant.name),
            _("Hello,"),
            invites,
            _("To accept, open this link:") + "\n"
            + mail.link(language, "practices.invitation", token=token),
            _("The link works once, for %(days)s days, and only for %(email)s. If you did not "
              "expect this, you can ignore it.", days=days, email=email),
        )  # fmt: skip
    return invitation, token


def revoke_invitation(actor: Membership, invitation: Invitation) -> None:
    require(actor, "revoke_invitation", invitation)
    if invitation.status(now_utc()) != "pending":
        raise Refused(_("That invitation is no longer pending."))
    invitation.revoked_at = now_utc()
    db.session.flush()
    _record("invitation.revoked", actor, invitation, email=invitation.email)


@dataclass(frozen=True)
class InvitationView:
    """What the holder of an invitation link is shown."""

    invitation: Invitation
    #: The account the invited address already has, if any.
    account: User | None


def invitation_for_token(token: str) -> InvitationView | None:
    """The pending invitation a link carries, or None (unknown, used, revoked, expired)."""
    if not token or len(token) > 100:
        return None
    invitation = db.session.scalar(
        select(Invitation)
        .where(Invitation.token_hash == _hash(token))
        .execution_options(populate_existing=True)
    )
    if invitation is None or invitation.status(now_utc()) != "pending":
        return None
    if invitation.tenant.status != "active":
        return None
    account = db.session.scalar(
        select(User).where(validation.email_is(User.email, invitation.email))
    )
    return InvitationView(invitation, account)


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """Make `user` a member as invited. The link is bound to its address: any other user is
    refused. Accepting twice (or as a member already) changes nothing more."""
    now = now_utc()
    if invitation.status(now) != "pending":
        raise Refused(_("This invitation has already been used, was withdrawn, or has expired."))
    if not validation.same_email(user.email, invitation.email):
        raise NotPermitted("the invitation is for another address")
    tenant = invitation.tenant
    invitation.accepted_at = now
    invitation.accepted_by_id = user.id
    membership = db.session.scalar(
        select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user.id)
    )
    if membership is None:
        membership = Membership(user=user, tenant=tenant, role=invitation.role)
        db.session.add(membership)
    claimed = None
    practitioner = invitation.practitioner
    takes_over = practitioner is not None and practitioner.user_id is None
    if takes_over and practitioner.tenant_id == tenant.id:
        practitioner.user_id = user.id
        profiles.touch(practitioner)
        claimed = practitioner.slug
    if user.email_verified_at is None:
        # Opening the link proves the address, as a confirmation link would.
        user.email_verified_at = now
    db.session.flush()
    audit.record(
        "member.joined", actor=user, tenant=tenant, subject=user,
        details={"email": user.email, "role": membership.role, "invitation": invitation.id,
                 "profile": claimed},
    )  # fmt: skip
    return membership


def create_invited_account(invitation: Invitation, name: str, password_hash: str) -> User:
    """An account for the invited address (the link proved it), joined to the practice."""
    if invitation.status(now_utc()) != "pending":
        raise Refused(_("This invitation has already been used, was withdrawn, or has expired."))
    user = User(name=name.strip()[:120], email=invitation.email, password_hash=password_hash)
    db.session.add(user)
    db.session.flush()
    audit.record("account.register", actor=user, tenant=invitation.tenant, subject=user)
    accept_invitation(invitation, user)
    return user


#: Audit events on a page of a practice's log.
AUDIT_PER_PAGE = 50


def recent_events(tenant_id: int, page: int) -> Page | None:
    """The practice's audit events, newest first: one page (None past the last)."""
    return page_of(
        select(audit.AuditEvent)
        .where(audit.AuditEvent.tenant_id == tenant_id)
        .order_by(audit.AuditEvent.created_at.desc(), audit.AuditEvent.id.desc()),
        page,
        AUDIT_PER_PAGE,
    )
