"""What platform admins do: decide on licenses, suspend and reinstate, read the audit log.

Plain functions that flush and never commit. Every decision is an audit event with the admin,
the time and (for refusals and suspensions) the reason, written in the same transaction as the
change; the therapist is told by mail. An admin never decides on a license of a profile that is
their own, nor of a practice they belong to. A decision that cannot be taken raises
`refusals.Refused`, whose message the admin reads.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from directory import audit, licensing, mail, specialties, validation
from directory.accounts.models import User
from directory.audit import AuditEvent
from directory.db import days_after, db, now_utc
from directory.locales import long_date, number
from directory.paging import Page, page_of
from directory.practices.models import Membership, Tenant
from directory.practices.operations import people_to_tell
from directory.practitioners.models import License, Practitioner, Specialty
from directory.refusals import Refused
from directory.rosters.models import REVIEW_REASONS, LicenseReview, RosterSync

QUEUE_PER_PAGE = 50
AUDIT_PER_PAGE = 100
MAX_REASON = 500
MAX_BULK = 200
#: A decision refused because one was made already, a whole sentence per kind and status: each
#: language says it with its own grammar ("Esta licencia ya fue verificada").
_ALREADY = {
    (License, "verified"): _l("This license was already verified."),
    (License, "rejected"): _l("This license was already rejected."),
    (Specialty, "verified"): _l("This certificate was already verified."),
    (Specialty, "rejected"): _l("This certificate was already rejected."),
}
_NOT_YOURS = {
    License: _l("You may not decide on a license of your own profile or practice."),
    Specialty: _l("You may not decide on a certificate of your own profile or practice."),
}


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Give a reason: the therapist reads it."))
    if len(reason) > MAX_REASON:
        raise Refused(_("Keep the reason under %(count)s characters.", count=number(MAX_REASON)))
    return reason


def conflicted(admin: User, practitioner: Practitioner) -> bool:
    """Whether the profile is the admin's own or of a practice they belong to (another admin
    decides on it)."""
    if practitioner.user_id == admin.id:
        return True
    return (
        db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == admin.id, Membership.tenant_id == practitioner.tenant_id
            )
        )
        is not None
    )


# --- The license queue -----------------------------------------------------------------------


#: Why a license waits, as the queue filters it: what a roster sync queued it for
#: (rosters.models.REVIEW_REASONS), or "unchecked": pending with nothing from a roster (a
#: therapist added or changed it).
QUEUE_REASONS = (*REVIEW_REASONS, "unchecked")
#: The queue's age filter: waiting at least this many days.
QUEUE_AGES = (1, 7, 30, 90)


@dataclass(frozen=True)
class QueueFilter:
    state: str = ""
    practice: str = ""  # a tenant slug
    reason: str = ""  # one of QUEUE_REASONS
    source: str = ""  # a roster source that queued it (licensing.roster_sources())
    age: int = 0  # waiting at least this many days (one of QUEUE_AGES), 0 for any
    page: int = 1


def _waiting():
    """A license waits for an admin when it is pending, or when a roster sync queued it (an
    active roster entry for a license an admin rejected stays rejected until one decides)."""
    return or_(
        License.status == "pending",
        License.id.in_(select(LicenseReview.license_id).where(LicenseReview.resolved_at.is_(None))),
    )


def _queue_query(f: QueueFilter):
    query = (
        select(License)
        .join(License.practitioner)
        .join(Practitioner.tenant)
        # An unclaimed listing's licenses wait for its claim, not for an admin: the NPPES file
        # names thousands, none of them asserted by the person (a claim brings them here).
        .where(_waiting(), Tenant.status != "deleted", Practitioner.claimed.is_(True))
    )
    if f.state:
        query = query.where(License.state == f.state)
    if f.practice:
        query = query.where(Tenant.slug == f.practice)
    open_review = select(LicenseReview.license_id).where(LicenseReview.resolved_at.is_(None))
    if f.reason == "unchecked":
        query = query.where(License.status == "pending", License.id.not_in(open_review))
    elif f.reason:
        query = query.where(License.id.in_(open_review.where(LicenseReview.reason == f.reason)))
    if f.source:
        query = query.where(License.id.in_(open_review.where(LicenseReview.source == f.source)))
    if f.age:
        query = query.where(License.updated_at <= now_utc() - timedelta(days=f.age))
    return query


def queue(f: QueueFilter) -> Page | None:
    """Pending licenses, oldest first (the longest waiting), one page (None past the last)."""
    return page_of(
        _queue_query(f)
        .options(
            selectinload(License.practitioner).selectinload(Practitioner.tenant),
            selectinload(License.practitioner).selectinload(Practitioner.user),
        )
        .order_by(License.updated_at, License.id),
        f.page,
        QUEUE_PER_PAGE,
    )


def queue_practices() -> list[tuple[str, str, int]]:
    """(slug, name, pending count) of the practices with licenses waiting, for the filter."""
    rows = db.session.execute(
        select(Tenant.slug, Tenant.name, func.count(License.id))
        .join(Practitioner, Practitioner.tenant_id == Tenant.id)
        .join(License, License.practitioner_id == Practitioner.id)
        .where(_waiting(), Tenant.status != "deleted")
        .group_by(Tenant.slug, Tenant.name)
        .order_by(Tenant.name)
    )
    return [tuple(row) for row in rows]


def history(lic: License) -> list[AuditEvent]:
    """What happened to this license and its profile's licenses in its state, newest first."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.subject_type == "practitioner",
            AuditEvent.subject_id == lic.practitioner.slug,
            AuditEvent.action.like("license.%"),
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(50)
    )
    return [e for e in events if (e.details or {}).get("state") in (None, lic.state)]


def _tell(practitioner: Practitioner, subject: str, *paragraphs: str, page: str) -> None:
    """Mail the people who look after a profile about a decision, with the editor `page`
    (an endpoint) where they can act on it; each in their language (texts given as lazy
    gettext are said in it)."""
    for address in people_to_tell(practitioner):
        with mail.written_for(address) as language:
            mail.letter(
                address, str(subject), _("Hello,"), *map(str, paragraphs),
                _("On your profile:") + "\n" + mail.link(language, page, slug=practitioner.slug),
            )  # fmt: skip


def _decide(record: License | Specialty, admin: User, status: str, reason: str | None) -> None:
    """Record an admin's decision on a pending license or specialty certificate, audited."""
    kind = type(record)
    if conflicted(admin, record.practitioner):
        raise Refused(_NOT_YOURS[kind])
    if record.status != "pending" and not (isinstance(record, License) and _queued(record)):
        raise Refused(_ALREADY[kind, record.status])
    record.status = status
    record.reviewer_id = admin.id
    record.reviewed_at = now_utc()
    record.note = reason
    if isinstance(record, License):
        if status == "verified":
            licensing.record_check(record, method="staff", on=licensing.today())
        else:
            licensing.forget_check(record)
        _resolve_reviews(record)
    db.session.flush()
    if isinstance(record, License):
        action, details = "license", {"license": record.id, "state": record.state}
    else:
        action, details = "specialty", {"specialty": record.id, "kind": record.kind,
                                        "issuer": record.issuer}  # fmt: skip
    expires = record.expires_on.isoformat() if record.expires_on else None
    audit.record(
        f"{action}.{status}", actor=admin, tenant=record.practitioner.tenant,
        subject=record.practitioner,
        details={**details, "number": record.number, "expires": expires, "reason": reason},
    )  # fmt: skip


def _queued(lic: License) -> bool:
    return (
        db.session.scalar(
            select(LicenseReview.id).where(
                LicenseReview.license_id == lic.id, LicenseReview.resolved_at.is_(None)
            )
        )
        is not None
    )


def _resolve_reviews(lic: License) -> None:
    """An admin's decision answers what a roster sync queued the license for."""
    for review in db.session.scalars(
        select(LicenseReview).where(
            LicenseReview.license_id == lic.id, LicenseReview.resolved_at.is_(None)
        )
    ):
        review.resolved_at = now_utc()


def open_reviews(licenses: list[License]) -> dict[int, list[LicenseReview]]:
    """What roster syncs queued these licenses for (open items, oldest first), by license id:
    the queue shows the roster's row beside the profile's license."""
    found: dict[int, list[LicenseReview]] = {}
    if licenses:
        for review in db.session.scalars(
            select(LicenseReview)
            .where(
                LicenseReview.license_id.in_([lic.id for lic in licenses]),
                LicenseReview.resolved_at.is_(None),
            )
            .order_by(LicenseReview.created_at, LicenseReview.id)
        ):
            found.setdefault(review.license_id, []).append(review)
    return found


def approve(lic: License, admin: User) -> None:
    """Verify a pending license: the badge shows where it is current (until it expires)."""
    _decide(lic, admin, "verified", None)
    _tell(
        lic.practitioner,
        _l("Your %(state)s license is verified", state=lic.state),
        _l(
            "We checked license %(number)s of %(name)s with the %(board)s. It is "
            "verified%(until)s; your offices in %(state)s now show the verified badge.",
            number=lic.number,
            name=lic.practitioner.name,
            state=lic.state,
            board=LazyString(licensing.board_name, lic.state),
            until=_l(" until it expires on %(day)s", day=LazyString(long_date, lic.expires_on))
            if lic.expires_on
            else "",
        ),
        _l(
            "If the license changes (a renewal, a new number), update it: it goes back to pending "
            "until we check it again."
        ),
        page="editor.licenses",
    )


def reject(lic: License, admin: User, reason: str) -> None:
    """Refuse a pending license, with the reason the therapist is told."""
    reason = _check_reason(reason)
    _decide(lic, admin, "rejected", reason)
    _tell(
        lic.practitioner,
        _l("We could not verify your %(state)s license", state=lic.state),
        _l(
            "We could not verify license %(number)s of %(name)s: %(reason)s",
            number=lic.number,
            name=lic.practitioner.name,
            reason=reason,
        ),
        _l(
            "Until a license in %(state)s is verified or pending, offices in %(state)s are not "
            "listed. Correct the license (state, number or expiry) and it goes back to pending.",
            state=lic.state,
        ),
        page="editor.licenses",
    )


# --- Re-checks of licenses in lookup-only states -------------------------------------------------

RECHECKS_PER_PAGE = 50


def _rechecks_query(state: str = "", on: date | None = None):
    query = (
        select(License)
        .join(License.practitioner)
        .join(Practitioner.tenant)
        .where(licensing.recheck_due_in_sql(License, on), Tenant.status != "deleted")
    )
    return query.where(License.state == state) if state else query


def rechecks(state: str = "", page: int = 1, on: date | None = None) -> Page | None:
    """Verified licenses in states without a synced roster that are due for a staff check
    against the board's lookup page (licensing.recheck_due_in_sql), the longest due first: a
    license never checked, then by the day it fell due (RECHECK_BEFORE_EXPIRY_DAYS before its
    expiry, or RECHECK_EVERY_DAYS after its last check, whichever comes first). One page, None
    past the last."""
    before = days_after(License.expires_on, -licensing.RECHECK_BEFORE_EXPIRY_DAYS)
    after = days_after(License.checked_on, licensing.RECHECK_EVERY_DAYS)
    due_on = case((after < before, after), else_=before)
    return page_of(
        _rechecks_query(state, on)
        .options(
            selectinload(License.practitioner).selectinload(Practitioner.tenant),
            selectinload(License.practitioner).selectinload(Practitioner.user),
        )
        .order_by(License.checked_on.is_not(None), due_on, License.id),
        page,
        RECHECKS_PER_PAGE,
    )


def recheck_count(on: date | None = None) -> int:
    """How many licenses are due for a re-check (the admin home and `licenses expire` say it)."""
    return db.session.scalar(select(func.count()).select_from(_rechecks_query("", on).subquery()))


def recheck_states(on: date | None = None) -> list[tuple[str, str, int]]:
    """(code, name, due count) of every lookup-only state, for the queue's filter."""
    due = dict(
        db.session.execute(
            _rechecks_query("", on)
            .with_only_columns(License.state, func.count(License.id))
            .group_by(License.state)
        ).all()
    )
    rules = licensing.states()
    return sorted(
        ((code, rules[code].name, due.get(code, 0)) for code in licensing.lookup_only_states()),
        key=lambda row: row[1],
    )


def user_emails(ids: set) -> dict[int, str]:
    """The addresses of these accounts by id (who made a staff check); a deleted one is absent."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def _recheckable(lic: License, admin: User) -> None:
    if conflicted(admin, lic.practitioner):
        raise Refused(_("You may not check a license of your own profile or practice."))
    if not licensing.checked_by_lookup(lic.state):
        rule = licensing.rule(lic.state)
        name = rule.name if rule else lic.state
        raise Refused(
            _(
                "%(state)s licenses are checked against the board's roster, not by staff "
                "re-checks.",
                state=name,
            )
            if licensing.licenses_massage(lic.state)
            else _(
                "%(state)s does not license massage therapists: there is nothing to check.",
                state=name,
            )
        )
    if lic.status == "pending":
        raise Refused(
            _(
                "This license is pending: only a verified license is re-checked (a pending one "
                "waits in the license queue)."
            )
        )
    if lic.status != "verified":
        raise Refused(_("This license was rejected: only a verified license is re-checked."))


def still_current(lic: License, admin: User, expires_on: date | None = None) -> None:
    """Record that the board's lookup page shows the license current today: a staff check
    (the profile then says "Checked by our staff on <date>"). `expires_on` is the date the
    lookup shows (in New York the registration's end), stored when given; it is required once
    the stored date has passed."""
    _recheckable(lic, admin)
    today = licensing.today()
    if expires_on is not None:
        if licensing.check_expiry(expires_on, today):
            raise Refused(
                _(
                    "The date entered (%(day)s) has passed: a current license's date is to "
                    "come. Enter the date the board's lookup shows, or mark the license not "
                    "current.",
                    day=long_date(expires_on),
                )
            )
    elif lic.expires_on < today:
        raise Refused(
            _(
                "The date on file (%(day)s) has passed: enter the new date the board's lookup "
                "shows, or mark the license not current.",
                day=long_date(lic.expires_on),
            )
        )
    before = lic.expires_on
    if expires_on is not None:
        lic.expires_on = expires_on
    licensing.record_check(lic, method="staff", on=today)
    lic.reviewer_id, lic.reviewed_at = admin.id, now_utc()
    db.session.flush()
    audit.record(
        "license.rechecked", actor=admin, tenant=lic.practitioner.tenant, subject=lic.practitioner,
        details={"license": lic.id, "state": lic.state, "number": lic.number,
                 "expires": lic.expires_on.isoformat() if lic.expires_on else None,
                 "was": before.isoformat() if before != lic.expires_on else None},
    )  # fmt: skip


def not_current(lic: License, admin: User, reason: str) -> None:
    """Record that the board's lookup page does not show the license current: its badge and the
    listing of its offices in that state go at once, with the reason the therapist reads."""
    reason = _check_reason(reason)
    _recheckable(lic, admin)
    lic.status, lic.note = "rejected", reason
    lic.reviewer_id, lic.reviewed_at = admin.id, now_utc()
    licensing.forget_check(lic)
    db.session.flush()
    audit.record(
        "license.not_current", actor=admin, tenant=lic.practitioner.tenant,
        subject=lic.practitioner,
        details={"license": lic.id, "state": lic.state, "number": lic.number,
                 "expires": lic.expires_on.isoformat() if lic.expires_on else None,
                 "reason": reason},
    )  # fmt: skip
    _tell(
        lic.practitioner,
        _l("Your %(state)s license could not be confirmed as current", state=lic.state),
        _l(
            "We checked license %(number)s of %(name)s on the lookup page of the %(board)s, "
            "and it is not shown as current: %(reason)s",
            number=lic.number,
            name=lic.practitioner.name,
            board=LazyString(licensing.board_name, lic.state),
            reason=reason,
        ),
        _l(
            "Its verified badge is removed, and offices in %(state)s are no longer listed. If "
            "the license was renewed or restored, enter it again (its number and new expiry "
            "date): it goes back to pending until we check it.",
            state=lic.state,
        ),
        page="editor.licenses",
    )


# --- Specialty credentials --------------------------------------------------------------------


def _specialty_queue_query():
    return (
        select(Specialty)
        .join(Specialty.practitioner)
        .join(Practitioner.tenant)
        .where(Specialty.status == "pending", Tenant.status != "deleted")
    )


def specialty_queue(page: int = 1) -> Page | None:
    """Pending specialty credentials, the longest waiting first, one page (None past the
    last)."""
    return page_of(
        _specialty_queue_query()
        .options(
            selectinload(Specialty.practitioner).selectinload(Practitioner.tenant),
            selectinload(Specialty.practitioner).selectinload(Practitioner.user),
        )
        .order_by(Specialty.updated_at, Specialty.id),
        page,
        QUEUE_PER_PAGE,
    )


def approve_specialty(record: Specialty, admin: User, *, seen: str | None = None) -> None:
    """Verify a pending specialty credential, checked against its uploaded document; `seen`
    names the document the admin opened (a replaced one is refused, never verified unseen)."""
    if not record.document:
        raise Refused(_("There is no document to check: ask the therapist to upload it."))
    if seen is not None and seen != record.document:
        raise Refused(
            _(
                "The therapist replaced the certificate after this page was opened: "
                "open the new one before verifying."
            )
        )
    if specialties.status(record) == "expired":
        raise Refused(_("This certificate has expired: it cannot be verified."))
    _decide(record, admin, "verified", None)
    # Said in each reader's language (specialties.name translates the kind's name).
    name = LazyString(specialties.name, record.kind)
    if record.expires_on:
        shows = _l(
            "It shows as verified on your profile and in search until %(day)s.",
            day=LazyString(long_date, record.expires_on),
        )
    else:
        shows = _l("It shows as verified on your profile and in search.")
    _tell(
        record.practitioner,
        _l("Your %(name)s credential is verified", name=name),
        _l(
            "We checked the %(name)s certificate of %(who)s from %(issuer)s.",
            name=name,
            who=record.practitioner.name,
            issuer=record.issuer,
        ),
        shows,
        page="credentials.index",
    )


def reject_specialty(record: Specialty, admin: User, reason: str) -> None:
    """Refuse a pending specialty credential, with the reason the therapist is told."""
    reason = _check_reason(reason)
    _decide(record, admin, "rejected", reason)
    name = LazyString(specialties.name, record.kind)
    _tell(
        record.practitioner,
        _l("We could not verify your %(name)s credential", name=name),
        _l(
            "We could not verify the %(name)s certificate of %(who)s: %(reason)s",
            name=name,
            who=record.practitioner.name,
            reason=reason,
        ),
        _l("Correct it (or upload a clearer document) and it goes back to our queue."),
        page="credentials.index",
    )


@dataclass(frozen=True)
class BulkResult:
    approved: list[License]
    skipped: list[tuple[License | None, str]]


def bulk_approve(ids: list[int], admin: User) -> BulkResult:
    """Approve several pending licenses (e.g. a network's roster); each one is its own audited
    decision, and any that may not be approved is skipped with the reason."""
    if len(ids) > MAX_BULK:
        raise Refused(_("Approve at most %(count)s licenses at once.", count=number(MAX_BULK)))
    return _bulk(ids, lambda lic: approve(lic, admin))


def bulk_reject(ids: list[int], admin: User, reason: str) -> BulkResult:
    """Refuse several waiting licenses with one reason (each therapist reads it); each one is
    its own audited decision, and any that may not be refused is skipped with the reason."""
    if len(ids) > MAX_BULK:
        raise Refused(_("Reject at most %(count)s licenses at once.", count=number(MAX_BULK)))
    reason = _check_reason(reason)
    return _bulk(ids, lambda lic: reject(lic, admin, reason))


def _bulk(ids: list[int], decide) -> BulkResult:
    found = {
        lic.id: lic
        for lic in db.session.scalars(
            select(License).where(License.id.in_(ids)).options(selectinload(License.practitioner))
        )
    }
    approved, skipped = [], []
    for lic_id in dict.fromkeys(ids):
        lic = found.get(lic_id)
        if lic is None:
            skipped.append((None, f"license {lic_id} does not exist"))
            continue
        try:
            decide(lic)
        except Refused as why:
            skipped.append((lic, str(why)))
        else:
            approved.append(lic)
    return BulkResult(approved, skipped)


# --- Suspensions -----------------------------------------------------------------------------


def suspend_profile(p: Practitioner, admin: User, reason: str) -> None:
    """Hide a profile from search and public pages at once; its editors see the reason."""
    reason = _check_reason(reason)
    if conflicted(admin, p):
        raise Refused(_("You may not suspend your own profile or practice's."))
    p.suspended, p.suspended_reason = True, reason
    db.session.flush()
    audit.record("profile.suspended", actor=admin, tenant=p.tenant, subject=p,
                 details={"reason": reason})  # fmt: skip


def unsuspend_profile(p: Practitioner, admin: User, reason: str) -> None:
    reason = _check_reason(reason)
    if not p.suspended:
        raise Refused(_("That profile is not suspended."))
    p.suspended, p.suspended_reason = False, None
    db.session.flush()
    audit.record("profile.unsuspended", actor=admin, tenant=p.tenant, subject=p,
                 details={"reason": reason})  # fmt: skip


def suspend_practice(t: Tenant, admin: User, reason: str) -> None:
    """Hide a whole practice (page, embed, every profile) at once; its owners see the reason."""
    reason = _check_reason(reason)
    if t.status == "deleted":
        raise Refused(_("That practice is closed."))
    if db.session.scalar(
        select(Membership.id).where(Membership.user_id == admin.id, Membership.tenant_id == t.id)
    ):
        raise Refused(_("You may not suspend a practice you belong to."))
    t.status, t.status_reason = "suspended", reason
    db.session.flush()
    audit.record("practice.suspended", actor=admin, tenant=t, subject=t, details={"reason": reason})


def unsuspend_practice(t: Tenant, admin: User, reason: str) -> None:
    reason = _check_reason(reason)
    if t.status != "suspended":
        raise Refused(_("That practice is not suspended."))
    t.status, t.status_reason = "active", None
    db.session.flush()
    audit.record(
        "practice.unsuspended", actor=admin, tenant=t, subject=t, details={"reason": reason}
    )


def find_practices(q: str, page: int) -> Page | None:
    """Practices whose name or slug contains `q` (all when empty), by name: one page (None past
    the last)."""
    query = select(Tenant).where(Tenant.status != "deleted")
    if q:
        like = f"%{q.lower()}%"
        query = query.where(func.lower(Tenant.name).like(like) | Tenant.slug.like(like))
    return page_of(query.order_by(Tenant.name, Tenant.id), page, QUEUE_PER_PAGE)


def find_profiles(q: str, page: int) -> Page | None:
    """Profiles whose name or slug contains `q` (all when empty), by name: one page (None past
    the last)."""
    query = select(Practitioner).join(Practitioner.tenant).where(Tenant.status != "deleted")
    if q:
        like = f"%{q.lower()}%"
        query = query.where(func.lower(Practitioner.name).like(like) | Practitioner.slug.like(like))
    return page_of(
        query.options(selectinload(Practitioner.tenant)).order_by(
            Practitioner.name, Practitioner.id
        ),
        page,
        QUEUE_PER_PAGE,
    )


# --- The audit log ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # an email, or a part of one, or a label such as "cli"
    practice: str = ""  # a tenant slug
    action: str = ""  # exact ("license.verified") or a prefix ending in "." ("license.")
    since: date | None = None
    until: date | None = None
    page: int = 1


def audit_events(f: AuditFilter) -> Page | None:
    """Audit events matching the filter, newest first, one page (None past the last)."""
    query = select(AuditEvent)
    if f.actor:
        query = query.where(func.lower(AuditEvent.actor_label).like(f"%{f.actor.lower()}%"))
    if f.practice:
        query = query.join(Tenant, Tenant.id == AuditEvent.tenant_id).where(
            Tenant.slug == f.practice
        )
    if f.action:
        if f.action.endswith("."):
            query = query.where(AuditEvent.action.like(f"{f.action}%"))
        else:
            query = query.where(AuditEvent.action == f.action)
    if f.since:
        query = query.where(AuditEvent.created_at >= datetime.combine(f.since, time(), UTC))
    if f.until:
        end = datetime.combine(f.until + timedelta(days=1), time(), UTC)
        query = query.where(AuditEvent.created_at < end)
    return page_of(
        query.options(selectinload(AuditEvent.tenant)).order_by(
            AuditEvent.created_at.desc(), AuditEvent.id.desc()
        ),
        f.page,
        AUDIT_PER_PAGE,
    )


def audit_actions() -> list[str]:
    """The actions that occur in the log, for the filter's choices."""
    return list(
        db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )


def counts() -> dict[str, int]:
    """The admin home's numbers."""
    return {
        "pending": db.session.scalar(
            select(func.count()).select_from(_queue_query(QueueFilter()).subquery())
        ),
        "specialties": db.session.scalar(
            select(func.count()).select_from(_specialty_queue_query().subquery())
        ),
        "suspended_profiles": db.session.scalar(
            select(func.count()).select_from(Practitioner).where(Practitioner.suspended)
        ),
        "rechecks": recheck_count(),
        "suspended_practices": db.session.scalar(
            select(func.count()).select_from(Tenant).where(Tenant.status == "suspended")
        ),
    }


# --- Roster syncs ----------------------------------------------------------------------------

SYNCS_PER_PAGE = 50


def roster_syncs(page: int = 1) -> Page | None:
    """The history of roster syncs, newest first, one page (None past the last)."""
    return page_of(
        select(RosterSync).order_by(RosterSync.started_at.desc(), RosterSync.id.desc()),
        page,
        SYNCS_PER_PAGE,
    )


# --- Admins ----------------------------------------------------------------------------------


def create_admin(email: str, *, name: str = "", password: str | None = None) -> tuple[User, bool]:
    """Make `email` a platform admin: a new account (with `password`) or a promoted one.

    Returns (user, created). Promotion ends the account's sessions: it signs in again, and an
    admin never keeps a remember-me cookie."""
    from directory.accounts import operations as accounts
    from directory.accounts import passwords, sessions

    email = email.strip()
    if not validation.EMAIL.fullmatch(email) or len(email) > 254:
        raise Refused(_("%(email)s is not an email address.", email=repr(email)))
    user = accounts.find_user(email)
    if user is not None:
        if user.is_admin:
            raise Refused(_("%(email)s is an admin already.", email=user.email))
        user.is_admin = True
        sessions.end_all(user)
        audit.record("admin.promoted", actor_label="cli", subject=user, details={"email": email})
        return user, False
    if password is None:
        raise Refused(_("A new admin needs a password."))
    name = name.strip() or email.split("@")[0]
    if problem := passwords.problem(password, email=email, name=name):
        raise Refused(problem)
    user = User(
        email=email,
        name=name[:120],
        password_hash=passwords.hash_password(password),
        is_admin=True,
        email_verified_at=now_utc(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("admin.created", actor_label="cli", subject=user, details={"email": email})
    return user, True
