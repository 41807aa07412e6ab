"""The audit log: who did what to which tenant's data, and when. Append-only."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, insert
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.db import UTCDateTime, db, now_utc


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
    "account.register": "Created an account",
    "account.email_changed": "Changed the account's email address",
    "account.password_changed": "Changed the password",
    "account.password_reset": "Reset the password from an emailed link",
    "account.signed_out_everywhere": "Signed out on every device",
    "account.totp_enabled": "Turned on two-step sign-in",
    "account.totp_disabled": "Turned off two-step sign-in",
    "account.deactivated": "Deactivated an account",
    "account.reactivated": "Reactivated an account",
    "admin.created": "Created a platform admin",
    "admin.promoted": "Made an account a platform admin",
    "demo.load": "Loaded the demo data",
    "inquiry.received": "A client sent a message",
    "inquiry.withdrawn": "The client withdrew their message",
    "inquiry.deleted": "Deleted a message",
    "inquiry.reported_spam": "Reported a message as spam",
    "inquiry.not_spam": "Marked a message as not spam",
    "inquiry.sender_blocked": "Blocked a sender",
    "inquiry.sender_unblocked": "Unblocked a sender",
    "invitation.sent": "Sent an invitation",
    "invitation.revoked": "Withdrew an invitation",
    "member.joined": "Joined the practice",
    "member.left": "Left the practice",
    "member.removed": "Removed a member",
    "member.role_changed": "Changed a member's role",
    "ownership.transferred": "Handed the practice to another owner",
    "practice.created": "Created the practice",
    "practice.updated": "Changed the practice's details",
    "practice.logo_changed": "Changed the practice's logo",
    "practice.logo_removed": "Removed the practice's logo",
    "practice.deleted": "Closed the practice",
    "practice.suspended": "Suspended the practice",
    "practice.unsuspended": "Lifted the practice's suspension",
    "practitioners.import": "Imported profiles",
    "profile.created": "Created a profile",
    "profile.deleted": "Deleted a profile",
    "profile.published": "Published a profile",
    "profile.unpublished": "Unpublished a profile",
    "profile.accepting_confirmed": "Confirmed a profile accepts new clients",
    "profile.not_accepting_confirmed": "Said a profile does not accept new clients",
    "profile.suspended": "Suspended a profile",
    "profile.unsuspended": "Lifted a profile's suspension",
    "license.added": "Added a license",
    "license.changed": "Changed a license",
    "license.removed": "Removed a license",
    "license.verify": "Marked an imported license verified",
    "license.verified": "Verified a license",
    "license.rejected": "Could not verify a license",
    "license.lapsed": "A state roster shows a license no longer current",
    "license.queued": "A state roster sent a license for review",
    "license.rechecked": "Checked a license on the board's lookup page: still current",
    "license.not_current": "Found a license not current on the board's lookup page",
    "roster.synced": "Applied a state board's roster",
    "listings.seeded": "Listed therapists from a public records file",
    "specialty.added": "Added a specialty credential",
    "specialty.changed": "Changed a specialty credential",
    "specialty.removed": "Removed a specialty credential",
    "specialty.verified": "Verified a specialty credential",
    "specialty.rejected": "Could not verify a specialty credential",
    "listing.claim_not_matched": "Gave a license and name that do not match a listing's record",
    "listing.claim_started": "Proved a listing's license and name, to claim or remove it",
    "listing.claim_contested": "A second person claimed a listing: the admins decide",
    "listing.claim_letter_asked": "Asked for a claim letter to the practice address of record",
    "listing.claim_letters_printed": "Printed a batch of claim letters with their codes",
    "listing.claim_code_texted": "Texted a claim code to the business phone of record",
    "listing.claim_code_entered": "Entered a listing's code of record",
    "listing.claim_code_void": "Entered a claim code wrong too many times: the code is void",
    "listing.claim_document_sent": "Sent a license document to claim a listing",
    "listing.removal_requested": "Asked the admins to remove a listing",
    "listing.claim_approved": "Accepted a claim of a listing",
    "listing.claim_refused": "Refused a claim of a listing",
    "listing.claimed": "Claimed a listing: it became their profile",
    "listing.removed": "Removed a listing at the request of the person it names",
    "listing.claim_withdrawn": "Withdrew a claim of a listing (its codes no longer work)",
    "listing.removal_requested_anonymously": "Asked, without an account, to remove a listing",
    "organization.claimed": "Claimed a practice from the NPPES file: they own it now",
    "practice.join_requested": "Asked to join a practice with a claimed listing",
    "practice.join_approved": "Let a therapist join the practice with their listing",
    "practice.join_declined": "Declined a therapist's request to join the practice",
}


def phrase(action: str) -> str:
    """An action as a sentence for people ("Sent an invitation"); the code itself when new."""
    return PHRASES.get(action, action)


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
