"""/admin: the license and specialty queues, suspensions and the audit log, for platform admins
only.

Everyone else gets a 404 for every path under /admin (its existence is not revealed). Admins'
roles are re-read with the user on every request; every decision also needs a recent sign-in
(accounts.freshness) and, when the instance requires it, a second factor.
"""

import os
import tempfile
from datetime import date
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from directory import confirm, licensing, refusals, specialties
from directory.accounts import freshness, totp
from directory.admin import operations as ops
from directory.admin.forms import BulkForm, ReasonForm, RecheckForm, RosterForm
from directory.db import db, without_write_lock
from directory.inquiries import operations as inquiries
from directory.listings import claims
from directory.locales import ngettext, short_date
from directory.paging import Page
from directory.practices.models import Tenant
from directory.practitioners import documents
from directory.practitioners.models import License, Practitioner, Specialty
from directory.rosters import sync as roster_sync
from directory.unit_of_work import unit_of_work
from directory.validation import clean_text, is_slug
from directory.web import page_number

bp = Blueprint("admin", __name__, url_prefix="/admin")


def hide_from_non_admins():
    """Every /admin path is a 404 for anyone but an admin, before anything else looks at the
    request: no 405 naming the methods, no CSRF 400, no 413 (registered ahead of them)."""
    under_admin = request.path == "/admin" or request.path.startswith("/admin/")
    if under_admin and not (current_user.is_authenticated and current_user.is_admin):
        abort(404)
    if request.endpoint == "admin.upload_roster":
        # A roster is larger than any other upload: its own limit, for admins only, set before
        # the CSRF check reads the body.
        request.max_content_length = current_app.config["ROSTER_UPLOAD_MAX_BYTES"]


@bp.before_request
def _admins_only():
    if totp.needs_totp_setup(current_user):
        flash(_("Set up a second factor before using the admin pages."), "info")
        return redirect(url_for("accounts.two_factor"))
    if request.method == "POST" and not freshness.is_recent():
        flash(_("Confirm your password to continue: decisions need a recent sign-in."), "info")
        return redirect(url_for("accounts.reauth", next=_back_path()))
    return None


def _back_path() -> str:
    """The admin page the decision was made on, as a relative path (sign-in's `next` accepts
    nothing else); the admin home when the browser sent no same-site referrer."""
    referrer = request.referrer or ""
    if not referrer.startswith(request.host_url):
        return url_for(".index")
    parts = urlsplit(referrer)
    if not parts.path.startswith("/admin"):
        return url_for(".index")
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _text_arg(name: str, max_length: int) -> str:
    """A text filter as typed (cut to `max_length`); one with control characters (a NUL, which
    PostgreSQL refuses) is left out, and the page says so."""
    try:
        return clean_text(request.args.get(name, "")[:max_length], max_length)
    except ValueError:
        flash(_("The %(name)s filter had characters we cannot search for; it was left out.",
                name=name), "error")  # fmt: skip
        return ""


def _slug_arg(name: str) -> str:
    value = request.args.get(name, "").strip()
    return value if is_slug(value) else ""


def _page_or_404(found: Page | None) -> Page:
    if found is None:
        abort(404)
    return found


def _slugged_or_404(model, slug: str):
    found = None
    if is_slug(slug):
        found = db.session.scalar(db.select(model).where(model.slug == slug))
    if found is None:
        abort(404)
    return found


def _queue_back(queue: str = ".licenses") -> str:
    """Where a decision returns: the queue page it was made on (the form's `back`), else the
    queue itself; never anywhere else."""
    home = url_for(queue)
    target = request.form.get("back", "")
    return target if target.startswith(home) else home


@bp.get("/spam")
def spam():
    """Messages therapists reported as spam: their metadata, never their text."""
    found = _page_or_404(inquiries.reported_spam(page_number()))
    return render_template(
        "admin/spam.html", reports=found.items, total=found.total, paged=found
    )  # fmt: skip


@bp.get("", strict_slashes=False)
def index():
    counts = ops.counts() | {"claims": claims.review_count(),
                             "letters": claims.pending_letter_count()}  # fmt: skip
    return render_template("admin/index.html", counts=counts)


# --- Licenses --------------------------------------------------------------------------------


@bp.get("/licenses")
def licenses():
    state = request.args.get("state", "").strip().upper()
    state = state if licensing.rule(state) else ""
    reason = request.args.get("reason", "")
    source = request.args.get("source", "")
    age = request.args.get("age", "")
    f = ops.QueueFilter(
        state=state,
        practice=_slug_arg("practice"),
        reason=reason if reason in ops.QUEUE_REASONS else "",
        source=source if source in licensing.roster_sources() else "",
        age=int(age) if age in {str(days) for days in ops.QUEUE_AGES} else 0,
        page=page_number(),
    )
    found = _page_or_404(ops.queue(f))
    reviews = ops.open_reviews(found.items)
    args = {k: v for k, v in vars(f).items() if k != "page" and v}
    return render_template(
        "admin/licenses.html",
        rows=[_review(lic, reviews.get(lic.id, [])) for lic in found.items],
        total=found.total,
        f=f,
        args=args,
        paged=found,
        states=sorted(licensing.states().values(), key=lambda r: r.name),
        practices=ops.queue_practices(),
        reasons=[(r, QUEUE_REASON_LABELS[r]) for r in ops.QUEUE_REASONS],
        sources=[(name, spec["name"]) for name, spec in licensing.roster_sources().items()],
        ages=ops.QUEUE_AGES,
        today=licensing.today(),
    )


def _review(lic: License, roster_reviews: list) -> dict:
    rule = licensing.rule(lic.state)
    return {
        "license": lic,
        # What roster syncs queued it for, each with the roster's row (the queue shows both).
        "roster": [_side_by_side(lic, r) for r in roster_reviews],
        "rule": rule,
        "number_problem": licensing.check_number(lic.state, lic.number),
        "status": licensing.status(lic),
        "history": ops.history(lic),
        "own": ops.conflicted(current_user, lic.practitioner),
    }


def _side_by_side(lic: License, review) -> dict:
    """A queued license and the roster's row for it, field by field."""
    spec = licensing.roster_sources().get(review.source, {})
    columns, row = spec.get("columns", {}), review.roster_row or {}

    def cell(*keys: str) -> str:
        said = " ".join(row.get(columns[k], "") for k in keys if k in columns).strip()
        return said or ("—" if row else _("not listed"))

    return {
        "review": review,
        "reason": ROSTER_REASONS[review.reason],
        "source_name": spec.get("name", review.source),
        "pairs": [
            (_("Name"), lic.practitioner.name, cell("name", "first_name", "last_name")),
            (_("Number"), lic.number, cell("number")),
            (
                _("Status"),
                LICENSE_STATUS[licensing.status(lic)],
                review.roster_status or _("not listed"),
            ),
            (
                _("Expires"),
                lic.expires_on.isoformat() if lic.expires_on else _("not on file"),
                cell("expires"),
            ),
        ],
    }


#: How the queue says why a roster sync queued a license (rosters.models.REVIEW_REASONS).
ROSTER_REASONS = {
    "name_mismatch": _l("The roster lists this number under another name"),
    "conditional": _l("The roster lists this license with conditions"),
    "missing": _l("The roster, which lists every license of the state, does not list this "
                  "number"),
    "staff_rejected": _l("The roster says active, but an admin rejected this license"),
}  # fmt: skip
#: The queue's reason filter (ops.QUEUE_REASONS), in a word or two.
QUEUE_REASON_LABELS = {
    "name_mismatch": _l("Roster: another name"),
    "conditional": _l("Roster: conditions"),
    "missing": _l("Roster: not listed"),
    "staff_rejected": _l("Roster: active, rejected by us"),
    "unchecked": _l("Not from a roster (a therapist's entry)"),
}
#: A license's status (licensing.status) in words.
LICENSE_STATUS = {
    "pending": _l("Pending verification"),
    "verified": _l("Verified"),
    "rejected": _l("Rejected"),
    "expired": _l("Expired"),
}


@bp.post("/licenses/<id:license_id>/approve")
@unit_of_work
def approve(license_id: int):
    lic = db.get_or_404(License, license_id)
    if not ReasonForm().validate():
        abort(400)
    back = _queue_back()
    said = _("Verified: %(license)s.", license=_license_words(lic))
    refusals.show_on(back)
    ops.approve(lic, current_user)
    flash(said, "success")
    return redirect(back)


@bp.post("/licenses/<id:license_id>/reject")
@unit_of_work
def reject(license_id: int):
    lic = db.get_or_404(License, license_id)
    form = ReasonForm()
    if not form.validate():
        abort(400)
    back = _queue_back()
    said = _("Rejected: %(license)s.", license=_license_words(lic))
    refusals.show_on(back)
    ops.reject(lic, current_user, form.reason.data or "")
    flash(said, "success")
    return redirect(back)


@bp.post("/licenses/approve")
@unit_of_work
def bulk_approve():
    form = BulkForm()
    if not form.validate():
        flash(_("Tick the licenses to approve."), "error")
        return redirect(_queue_back())
    refusals.show_on(_queue_back())
    _say_what_was_decided(ops.bulk_approve(form.ids.data, current_user), approved=True)
    return redirect(_queue_back())


def _license_words(lic: License) -> str:
    """A license as a message names it: "TX MT12345 of Ana Ruiz"."""
    return _("%(state)s %(number)s of %(name)s", state=lic.state, number=lic.number,
             name=lic.practitioner.name)  # fmt: skip


def _say_what_was_decided(result, *, approved: bool) -> None:
    """Flash how many licenses a bulk decision decided, and each it skipped with why."""
    if result.approved:
        n = len(result.approved)
        if approved:
            flash(ngettext("Verified %(num)s license.", "Verified %(num)s licenses.", n),
                  "success")  # fmt: skip
        else:
            flash(ngettext("Rejected %(num)s license.", "Rejected %(num)s licenses.", n),
                  "success")  # fmt: skip
    for lic, why in result.skipped:
        name = _license_words(lic) if lic else _("One license")
        if approved:
            flash(_("%(license)s was not approved: %(why)s", license=name, why=why), "error")
        else:
            flash(_("%(license)s was not rejected: %(why)s", license=name, why=why), "error")


@bp.post("/licenses/reject")
@unit_of_work
def bulk_reject():
    """Reject the ticked licenses with one reason, each its own audited decision."""
    form = BulkForm()
    if not form.validate():
        flash(_("Tick the licenses to reject."), "error")
        return redirect(_queue_back())
    refusals.show_on(_queue_back())
    reason = ReasonForm()
    if not reason.validate():
        abort(400)
    result = ops.bulk_reject(form.ids.data, current_user, reason.reason.data or "")
    _say_what_was_decided(result, approved=False)
    return redirect(_queue_back())


# --- Re-checks: licenses in states without a synced roster -------------------------------------


@bp.get("/rechecks")
def rechecks():
    """Verified licenses in lookup-only states due for a check on the board's lookup page, the
    longest due first, with the number to paste and the lookup's link."""
    state = request.args.get("state", "").strip().upper()
    state = state if licensing.checked_by_lookup(state) else ""
    found = _page_or_404(ops.rechecks(state, page_number()))
    today = licensing.today()
    by = ops.user_emails({lic.reviewer_id for lic in found.items if lic.check_method == "staff"})
    return render_template(
        "admin/rechecks.html",
        rows=[
            {
                "license": lic,
                "rule": licensing.rule(lic.state),
                "why": licensing.recheck_reason(lic, today),
                "checked": licensing.verification_text(lic.verification),
                "by": by.get(lic.reviewer_id) if lic.check_method == "staff" else None,
                "status": licensing.status(lic, today),
                "own": ops.conflicted(current_user, lic.practitioner),
            }
            for lic in found.items
        ],
        total=found.total,
        state=state,
        paged=found,
        states=ops.recheck_states(today),
        every=licensing.RECHECK_EVERY_DAYS,
        before=licensing.RECHECK_BEFORE_EXPIRY_DAYS,
    )


@bp.post("/rechecks/<id:license_id>/current")
@unit_of_work
def still_current(license_id: int):
    """The board's lookup shows the license current: a staff check, dated today."""
    lic = db.get_or_404(License, license_id)
    form = RecheckForm()
    back = _queue_back(".rechecks")
    if not form.validate():
        for error in form.expires_on.errors:
            flash(_("%(license)s: %(error)s", license=_license_words(lic), error=error), "error")
        return redirect(back)
    refusals.show_on(back)
    ops.still_current(lic, current_user, form.expires_on.data)
    flash(_("Still current: %(license)s, checked today.", license=_license_words(lic)),
          "success")  # fmt: skip
    return redirect(back)


@bp.post("/rechecks/<id:license_id>/not-current")
@unit_of_work
def not_current(license_id: int):
    """The board's lookup does not show the license current: asked first (confirm.py), then
    the badge and the listing in that state go, with the reason the therapist reads."""
    lic = db.get_or_404(License, license_id)
    form = ReasonForm()
    if not form.validate():
        abort(400)
    back = _queue_back(".rechecks")
    reason = (form.reason.data or "").strip()
    if not reason:
        flash(_("%(license)s: give the reason the license is not current (the therapist reads "
                "it).", license=_license_words(lic)), "error")  # fmt: skip
        return redirect(back)
    if not confirm.given():
        rule = licensing.rule(lic.state)
        return confirm.ask(
            title=_("Mark this license not current?"),
            what=_(
                "%(name)s: %(state)s license %(number)s",
                name=lic.practitioner.name,
                state=rule.name if rule else lic.state,
                number=lic.number,
            ),
            detail=_(
                "Its verified badge goes, and the offices of %(name)s in %(state)s are no "
                "longer listed, at once. The therapist is told why: “%(reason)s”.",
                name=lic.practitioner.name,
                state=lic.state,
                reason=reason,
            ),
            action=url_for(".not_current", license_id=lic.id),
            back=back,
            button=_("Mark not current"),
            fields={"reason": reason, "back": back},
        )
    refusals.show_on(back)
    ops.not_current(lic, current_user, reason)
    flash(_("Not current: %(license)s; its badge and its %(state)s listing are removed.",
            license=_license_words(lic), state=lic.state), "success")  # fmt: skip
    return redirect(back)


# --- Roster files ----------------------------------------------------------------------------


@bp.get("/rosters")
def rosters():
    """Upload a board's roster file, and the history of syncs (the command's too)."""
    return _rosters_page(RosterForm())


def _rosters_page(form: RosterForm, status: int = 200):
    found = _page_or_404(ops.roster_syncs(page_number()))
    sources = licensing.roster_sources()
    limit_mb = current_app.config["ROSTER_UPLOAD_MAX_BYTES"] // 2**20
    return render_template(
        "admin/rosters.html", form=form, syncs=found.items, total=found.total,
        paged=found, sources=sources, limit_mb=limit_mb,
    ), status  # fmt: skip


@bp.post("/rosters")
@unit_of_work
def upload_roster():
    """Apply an uploaded roster file as `licenses sync` does: the whole file checked first (a
    malformed row changes nothing, and the page names it), then applied in this request's
    transaction; the summary line is flashed and the run joins the history."""
    form = RosterForm()
    if not form.validate():
        return _rosters_page(form, 400)
    upload = form.file.data
    name = os.path.basename(upload.filename or "roster")[:255]
    on = form.file_date.data or licensing.today()
    if on > licensing.today():
        form.file_date.errors = [_("The file date %(day)s is in the future.", day=on.isoformat())]
        return _rosters_page(form, 400)
    with tempfile.NamedTemporaryFile(prefix="roster-", suffix=".upload") as saved:
        upload.save(saved)
        saved.flush()
        try:
            with without_write_lock():
                found = roster_sync.read(form.source.data, saved.name, on)
        except roster_sync.RosterError as error:
            form.file.errors = [_("Nothing changed: %(file)s, %(error)s", file=name, error=error)]
            return _rosters_page(form, 400)
    run = roster_sync.apply(
        form.source.data, found, file_name=name, file_date=on, actor_label=current_user.email
    )
    board = licensing.roster_sources()[form.source.data]["name"]
    flash(
        _("%(file)s (%(board)s, as of %(day)s): %(summary)s",
          file=name, board=board, day=short_date(on), summary=run.said()),
        "success",
    )  # fmt: skip
    return redirect(url_for(".rosters"))


# --- Specialty credentials -------------------------------------------------------------------


@bp.get("/specialties")
def specialties_queue():
    """Specialty credentials waiting for a check of their document, the longest waiting first."""
    found = _page_or_404(ops.specialty_queue(page_number()))
    kinds = specialties.kinds()
    return render_template(
        "admin/specialties.html",
        rows=[
            {
                "record": s,
                "kind": kinds.get(s.kind),
                "status": specialties.status(s),
                "known_issuer": s.kind in kinds and s.issuer in kinds[s.kind].issuers,
                "own": ops.conflicted(current_user, s.practitioner),
            }
            for s in found.items
        ],
        total=found.total,
        paged=found,
    )


@bp.get("/specialties/<id:specialty_id>/document")
def specialty_document(specialty_id: int):
    """A credential's certificate, for the admin checking it (never cached, PDFs downloaded)."""
    return documents.send(db.get_or_404(Specialty, specialty_id).document)


@bp.post("/specialties/<id:specialty_id>/approve")
@unit_of_work
def approve_specialty(specialty_id: int):
    record = db.get_or_404(Specialty, specialty_id)
    if not ReasonForm().validate():
        abort(400)
    back = _queue_back(".specialties_queue")
    said = f"Verified: {specialties.name(record.kind)} of {record.practitioner.name}."
    refusals.show_on(back)
    ops.approve_specialty(record, current_user, seen=request.form.get("document"))
    flash(said, "success")
    return redirect(back)


@bp.post("/specialties/<id:specialty_id>/reject")
@unit_of_work
def reject_specialty(specialty_id: int):
    record = db.get_or_404(Specialty, specialty_id)
    form = ReasonForm()
    if not form.validate():
        abort(400)
    back = _queue_back(".specialties_queue")
    said = f"Rejected: {specialties.name(record.kind)} of {record.practitioner.name}."
    refusals.show_on(back)
    ops.reject_specialty(record, current_user, form.reason.data or "")
    flash(said, "success")
    return redirect(back)


# --- Suspensions -----------------------------------------------------------------------------


@bp.get("/practices")
def practices():
    q = _text_arg("q", 120)
    found = _page_or_404(ops.find_practices(q, page_number()))
    return render_template(
        "admin/suspensions.html", kind="practices", rows=found.items, total=found.total, q=q
    )


@bp.get("/profiles")
def profiles():
    q = _text_arg("q", 120)
    found = _page_or_404(ops.find_profiles(q, page_number()))
    return render_template(
        "admin/suspensions.html", kind="profiles", rows=found.items, total=found.total, q=q
    )


def _reason() -> str:
    form = ReasonForm()
    if not form.validate():
        abort(400)
    return form.reason.data or ""


#: (kind, action) -> the record type, the operation, and what to say when it is done.
SUSPENSIONS = {
    ("practices", "suspend"): (Tenant, ops.suspend_practice, "{} is suspended."),
    ("practices", "unsuspend"): (Tenant, ops.unsuspend_practice, "{} is active again."),
    ("profiles", "suspend"): (Practitioner, ops.suspend_profile, "{} is suspended."),
    ("profiles", "unsuspend"): (Practitioner, ops.unsuspend_profile, "{} is reinstated."),
}


@bp.post("/<any(practices, profiles):kind>/<slug:slug>/<any(suspend, unsuspend):action>")
@unit_of_work
def suspension(kind: str, slug: str, action: str):
    """Suspend or reinstate a practice or a profile, with the reason its people will read."""
    model, operation, said = SUSPENSIONS[kind, action]
    record = _slugged_or_404(model, slug)
    back, said = url_for(f".{kind}", q=record.slug), said.format(record.name)
    refusals.show_on(back)
    operation(record, current_user, _reason())
    flash(said, "success")
    return redirect(back)


# --- The audit log ---------------------------------------------------------------------------


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        flash(_("“%(value)s” is not a date (YYYY-MM-DD); that filter was left out.",
                value=raw[:20]), "error")  # fmt: skip
        return None


@bp.get("/audit")
def audit():
    f = ops.AuditFilter(
        actor=_text_arg("actor", 254),
        practice=_slug_arg("practice"),
        action=_text_arg("action", 40),
        since=_date_arg("since"),
        until=_date_arg("until"),
        page=page_number(),
    )
    found = _page_or_404(ops.audit_events(f))
    return render_template(
        "admin/audit.html",
        events=found.items,
        total=found.total,
        f=f,
        paged=found,
        actions=ops.audit_actions(),
    )
