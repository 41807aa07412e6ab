"""The audit log: who did what to which tenant's data, and when. Append-only."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, insert
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.db import UTCDateTime, db, now_utc
from directory.locales import N_, translated


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    #: Who acted when there is no user row, e.g. "cli" for an operator's import.
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenant.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[str] = mapped_column(String(80), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    tenant: Mapped["Tenant | None"] = relationship()  # noqa: F821


def record(
    action: str,
    *,
    actor=None,
    actor_label: str = "",
    tenant=None,
    subject=None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session (committed with the change it describes). `actor` is a
    user, or a label for a command ("cli:import")."""
    if isinstance(actor, str):
        actor, actor_label = None, actor_label or actor
    event = AuditEvent(
        **_values(
            action,
            actor_id=getattr(actor, "id", None),
            actor_label=actor_label or (actor.email if actor is not None else ""),
            tenant_id=getattr(tenant, "id", None),
            subject_type=type(subject).__name__.lower() if subject is not None else "",
            subject_id=str(getattr(subject, "slug", None) or getattr(subject, "id", "") or "")
            if subject is not None
            else "",
            details=details,
        )
    )
    db.session.add(event)
    return event


def _values(action: str, *, actor_id, actor_label, tenant_id, subject_type, subject_id,
            details) -> dict[str, Any]:  # fmt: skip
    return {
        "action": action, "actor_id": actor_id, "actor_label": actor_label,
        "tenant_id": tenant_id, "subject_type": subject_type, "subject_id": subject_id,
        "details": details or {},
    }  # fmt: skip


class Batch:
    """Audit events written together, one INSERT for many (a roster sync writes tens of
    thousands): the rows `record` writes, without an object in the session for each. Written
    in the session's transaction by `write`; nothing is written before."""

    def __init__(self, actor_label: str):
        self.actor_label = actor_label
        self.rows: list[dict[str, Any]] = []

    def record(self, action: str, *, tenant_id: int | None, subject_type: str, subject_id: str,
               details: dict[str, Any]) -> None:  # fmt: skip
        """As `record` with a label for the actor, the tenant and subject named by id."""
        self.rows.append(
            _values(action, actor_id=None, actor_label=self.actor_label, tenant_id=tenant_id,
                    subject_type=subject_type, subject_id=subject_id, details=details)
        )  # fmt: skip

    def write(self) -> None:
        if self.rows:
            db.session.connection().execute(
                insert(AuditEvent), [{**row, "created_at": now_utc()} for row in self.rows]
            )
            self.rows = []


#: Each action the code writes, as a reader says it (its subject follows: "Sent an invitation
#: to ..."). tests/test_admin.py finds every action in the code (ast) and checks it is here.
PHRASES = {
    "account.register": N_("Created an account"),
    "account.email_changed": N_("Changed the account's email address"),
    "account.password_changed": N_("Changed the password"),
    "account.password_reset": N_("Reset the password from an emailed link"),
    "account.signed_out_everywhere": N_("Signed out on every device"),
    "account.totp_enabled": N_("Turned on two-step sign-in"),
    "account.totp_disabled": N_("Turned off two-step sign-in"),
    "account.deactivated": N_("Deactivated an account"),
    "account.reactivated": N_("Reactivated an account"),
    "admin.created": N_("Created a platform admin"),
    "admin.promoted": N_("Made an account a platform admin"),
    "demo.load": N_("Loaded the demo data"),
    "inquiry.received": N_("A client sent a message"),
    "inquiry.withdrawn": N_("The client withdrew their message"),
    "inquiry.deleted": N_("Deleted a message"),
    "inquiry.reported_spam": N_("Reported a message as spam"),
    "inquiry.not_spam": N_("Marked a message as not spam"),
    "inquiry.sender_blocked": N_("Blocked a sender"),
    "inquiry.sender_unblocked": N_("Unblocked a sender"),
    "invitation.sent": N_("Sent an invitation"),
    "invitation.revoked": N_("Withdrew an invitation"),
    "member.joined": N_("Joined the practice"),
    "member.left": N_("Left the practice"),
    "member.removed": N_("Removed a member"),
    "member.dismissed": N_("Ended a membership: an admin gave the practice to another claimant"),
    "member.role_changed": N_("Changed a member's role"),
    "ownership.transferred": N_("Handed the practice to another owner"),
    "practice.created": N_("Created the practice"),
    "practice.updated": N_("Changed the practice's details"),
    "practice.logo_changed": N_("Changed the practice's logo"),
    "practice.logo_removed": N_("Removed the practice's logo"),
    "practice.deleted": N_("Closed the practice"),
    "practice.suspended": N_("Suspended the practice"),
    "practice.unsuspended": N_("Lifted the practice's suspension"),
    "practitioners.import": N_("Imported profiles"),
    "profile.created": N_("Created a profile"),
    "profile.deleted": N_("Deleted a profile"),
    "profile.published": N_("Published a profile"),
    "profile.unpublished": N_("Unpublished a profile"),
    "profile.accepting_confirmed": N_("Confirmed a profile accepts new clients"),
    "profile.not_accepting_confirmed": N_("Said a profile does not accept new clients"),
    "profile.suspended": N_("Suspended a profile"),
    "profile.unsuspended": N_("Lifted a profile's suspension"),
    "license.added": N_("Added a license"),
    "license.changed": N_("Changed a license"),
    "license.removed": N_("Removed a license"),
    "license.verify": N_("Marked an imported license verified"),
    "license.verified": N_("Verified a license"),
    "license.rejected": N_("Could not verify a license"),
    "license.lapsed": N_("A state roster shows a license no longer current"),
    "license.queued": N_("A state roster sent a license for review"),
    "license.rechecked": N_("Checked a license on the board's lookup page: still current"),
    "license.not_current": N_("Found a license not current on the board's lookup page"),
    "roster.synced": N_("Applied a state board's roster"),
    "listings.seeded": N_("Listed therapists from a public records file"),
    "specialty.added": N_("Added a specialty credential"),
    "specialty.changed": N_("Changed a specialty credential"),
    "specialty.removed": N_("Removed a specialty credential"),
    "specialty.verified": N_("Verified a specialty credential"),
    "specialty.rejected": N_("Could not verify a specialty credential"),
    "listing.claim_not_matched": N_("Gave a license and name that do not match a listing's record"),
    "listing.claim_started": N_("Proved a listing's license and name, to claim or remove it"),
    "listing.claim_contested": N_("A second person claimed a listing: the admins decide"),
    "listing.claim_letter_asked": N_("Asked for a claim letter to the practice address of record"),
    "listing.claim_letters_printed": N_("Printed a batch of claim letters with their codes"),
    "listing.claim_code_texted": N_("Texted a claim code to the business phone of record"),
    "listing.claim_code_entered": N_("Entered a listing's code of record"),
    "listing.claim_code_void": N_("Entered a claim code wrong too many times: the code is void"),
    "listing.claim_document_sent": N_("Sent a license document to claim a listing"),
    "listing.removal_requested": N_("Asked the admins to remove a listing"),
    "listing.claim_approved": N_("Accepted a claim of a listing"),
    "listing.claim_refused": N_("Refused a claim of a listing"),
    "listing.claimed": N_("Claimed a listing: it became their profile"),
    "listing.removed": N_("Removed a listing at the request of the person it names"),
    "listing.claim_withdrawn": N_("Withdrew a claim of a listing (its codes no longer work)"),
    "listing.removal_requested_anonymously": N_("Asked, without an account, to remove a listing"),
    "listing.claim_abandoned": N_(
        "Closed a removal asked without an account and never finished "
        "(its code stopped working long ago)"
    ),
    "organization.claimed": N_("Claimed a practice from the NPPES file: they own it now"),
    "practice.join_requested": N_("Asked to join a practice with a claimed listing"),
    "practice.join_approved": N_("Let a therapist join the practice with their listing"),
    "practice.join_declined": N_("Declined a therapist's request to join the practice"),
}


def phrase(action: str) -> str:
    """An action as a sentence for people ("Sent an invitation"); the code itself when new."""
    return translated(PHRASES.get(action, action))


def describe(details: dict[str, Any] | None) -> str:
    """An event's details as a reader wants them: "fields: website; before: website: (none)"."""

    def shown(value: Any) -> str:
        if value is None or value == "":
            return "(none)"
        if isinstance(value, dict):
            return ", ".join(f"{k}: {shown(v)}" for k, v in value.items())
        if isinstance(value, list):
            return ", ".join(map(shown, value))
        return str(value)

    parts = [
        f"{key.rstrip('_').replace('_', ' ')}: {shown(value)}"
        for key, value in (details or {}).items()
        if value not in (None, "", [], {})
    ]
    return "; ".join(parts)
