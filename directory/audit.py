"""The audit log: who did what to which tenant's data, and when. Append-only."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
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
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label or (actor.email if actor is not None else ""),
        tenant_id=getattr(tenant, "id", None),
        subject_type=type(subject).__name__.lower() if subject is not None else "",
        subject_id=str(getattr(subject, "slug", None) or getattr(subject, "id", "") or "")
        if subject is not None
        else "",
        details=details or {},
    )
    db.session.add(event)
    return event


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
