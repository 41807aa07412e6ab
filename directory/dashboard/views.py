"""The dashboard: each of the user's practices, its profiles they may edit, and what each needs."""

from dataclasses import dataclass

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from directory import confirm, refusals, specialties, tenancy
from directory.db import db, unless_taken
from directory.insights import reports as insights
from directory.locales import ngettext, number
from directory.paging import Page
from directory.practices import staff
from directory.practices.models import Membership
from directory.practitioners import operations, readiness, roster_files
from directory.practitioners.models import Practitioner
from directory.practitioners.profiles import LicenseView, license_views
from directory.unit_of_work import unit_of_work
from directory.validation import clean_text
from directory.web import page_number, without_blanks

bp = Blueprint("dashboard", __name__)


@dataclass(frozen=True)
class ProfileSummary:
    practitioner: Practitioner
    visibility: readiness.Visibility
    completeness: readiness.Completeness
    licenses: list[LicenseView]
    #: (what, reason, where to correct it) of each license or specialty credential we could not
    #: verify: the card says why, not only "Rejected".
    rejections: list[tuple[str, str, str]]


def _rejections(p: Practitioner, licenses: list[LicenseView]) -> list[tuple[str, str, str]]:
    found = [
        (f"{view.state_name} license #{lic.number}", lic.note,
         url_for("editor.licenses", slug=p.slug))
        for lic, view in zip(p.licenses, licenses, strict=True)
        if view.status == "rejected" and lic.note
    ]  # fmt: skip
    found += [
        (f"{specialties.name(s.kind)} credential", s.note,
         url_for("credentials.index", slug=p.slug))
        for s in p.specialties
        if specialties.status(s) == "rejected" and s.note
    ]  # fmt: skip
    return found


def _profile_summary(p: Practitioner) -> ProfileSummary:
    licenses = license_views(p)
    return ProfileSummary(
        p, readiness.visibility(p), readiness.completeness(p), licenses, _rejections(p, licenses)
    )


@dataclass(frozen=True)
class PracticeSummary:
    membership: Membership
    profiles: list[ProfileSummary]
    #: The user owns or manages the practice and has no profile of their own in it yet.
    may_create_own: bool
    #: The page of profiles shown (their summaries above), the filters and their counts.
    page: Page
    filters: staff.Filters
    counts: staff.Counts
    #: Profile id -> (views, search appearances) this week so far, for the profiles shown.
    this_week: dict[int, tuple[int, int]]


def _summary(user, membership: Membership, f: staff.Filters, number: int) -> PracticeSummary:
    found = staff.find(user, membership, f, number)
    if found is None:
        abort(404)
    has_own = db.session.scalar(
        select(Practitioner.id).where(
            Practitioner.tenant_id == membership.tenant_id, Practitioner.user_id == user.id
        )
    )
    return PracticeSummary(
        membership=membership,
        profiles=[_profile_summary(p) for p in found.items],
        may_create_own=tenancy.may(membership, "manage_practice") and has_own is None,
        page=found,
        filters=f,
        counts=staff.counts(user, membership),
        this_week=insights.this_week_of([p.id for p in found.items]),
    )


#: Session key of the practice the dashboard showed last (a convenience; access is re-checked).
CURRENT = "dashboard.practice"


def _render(memberships: list[Membership], current: Membership | None):
    practice = None
    if current is not None:
        session[CURRENT] = current.tenant.slug
        f = staff.filters_from(request.args)
        practice = _summary(current_user, current, f, page_number())
    return render_template(
        "dashboard/index.html",
        memberships=memberships,
        practice=practice,
        statuses=staff.STATUSES,
        accepting=staff.ACCEPTING,
        license_filters=staff.LICENSES,
        actions=staff.ACTIONS,
        per_page=staff.PER_PAGE,
    )


@bp.get("/dashboard")
@login_required
def index():
    """The practice shown last (when the user still belongs to it), else their first."""
    if clean := without_blanks():
        return clean
    memberships = tenancy.memberships_of(current_user)
    remembered = session.get(CURRENT)
    current = next((m for m in memberships if m.tenant.slug == remembered), None)
    return _render(memberships, current or (memberships[0] if memberships else None))


@bp.get("/dashboard/practices/<slug:tenant_slug>")
@login_required
def practice(tenant_slug: str):
    """One of the user's practices: its profiles they may edit, and what each needs."""
    current = tenancy.membership_or_404(tenant_slug)
    return without_blanks() or _render(tenancy.memberships_of(current_user), current)


@bp.post("/dashboard/practices/<slug:tenant_slug>/profile")
@login_required
@unit_of_work
def create(tenant_slug: str):
    membership = tenancy.membership_or_404(tenant_slug, "manage_practice")
    own = db.session.scalar(
        select(Practitioner).where(
            Practitioner.tenant_id == membership.tenant_id,
            Practitioner.user_id == current_user.id,
        )
    )
    if own is not None:
        flash(_("You already have a profile in this practice."), "info")
        return redirect(url_for("editor.edit", slug=own.slug))
    practitioner = unless_taken(None, operations.create_draft, membership.tenant, current_user)
    if practitioner is None:
        # Another request took the same slug a moment ago.
        flash(_("That did not work this time; please try again."), "error")
        return redirect(url_for(".practice", tenant_slug=tenant_slug))
    flash(_("Your draft profile is ready. It stays private until you publish it."), "success")
    return redirect(url_for("editor.edit", slug=practitioner.slug))


def _list_back(tenant_slug: str) -> str:
    """Where a bulk action returns: the list it was made on (the form's `back`, filters and
    page kept), else the practice's list; never anywhere else."""
    home = url_for(".practice", tenant_slug=tenant_slug)
    target = request.form.get("back", "")
    return target if target.startswith(home) else home


def _names(profiles) -> str:
    return ", ".join(p.name for p in profiles)


@bp.post("/dashboard/practices/<slug:tenant_slug>/bulk")
@login_required
@unit_of_work
def bulk(tenant_slug: str):
    """Publish, unpublish or confirm "accepting" for the ticked profiles: a confirmation page
    names each one and those the actor may not change; its button applies it."""
    membership = tenancy.membership_or_404(tenant_slug)
    back = _list_back(tenant_slug)
    action = request.form.get("action", "")
    ticked = request.form.getlist("ids")
    if request.form.get("every") == "1":
        ticked += request.form.getlist("shown")  # every profile the page showed
    ids = staff.ids_from(ticked)
    if action not in staff.ACTIONS or not ids:
        flash(_("Tick the profiles, then choose what to do with them."), "error")
        return redirect(back)
    _offer, verb, done = staff.ACTIONS[action]
    if not confirm.given():
        judged = staff.judge(membership, ids)
        if not judged.allowed:
            flash(_("You may not change any of the ticked profiles."), "error")
            return redirect(back)
        n = len(judged.allowed)
        profiles = ngettext("%(num)s profile", "%(num)s profiles", n)
        detail = _names(judged.allowed) + "."
        if judged.refused:
            detail += " " + _("Left as they are (you may not change them): %(names)s.",
                              names=_names(p for p, _why in judged.refused))  # fmt: skip
        return confirm.ask(
            title=_("Check the ticked profiles"),
            what=_("%(verb)s %(profiles)s?", verb=verb, profiles=profiles),
            detail=detail, action=url_for(".bulk", tenant_slug=tenant_slug), back=back,
            button=_("%(verb)s %(profiles)s", verb=str(verb).rstrip(":"), profiles=profiles),
            destructive=action in staff.DESTRUCTIVE,
            fields={"action": action, "ids": ",".join(str(p.id) for p in judged.allowed),
                    "back": back},
        )  # fmt: skip
    result = staff.bulk(membership, action, ids, current_user)
    if result.done:
        flash(_("%(done)s: %(names)s.", done=done, names=_names(result.done)), "success")
    if result.unchanged:
        flash(_("Already so, nothing to do: %(names)s.", names=_names(result.unchanged)), "info")
    for p, why in result.refused:
        flash(_("%(name)s was left as it was: %(why)s", name=p.name, why=why), "error")
    if result.unknown:
        flash(
            _(
                "%(count)s ticked profile(s) are not in this practice any more.",
                count=number(result.unknown),
            ),
            "error",
        )
    return redirect(back)


# --- The roster as a file: export, and import with a preview ---------------------------------


@bp.get("/dashboard/practices/<slug:tenant_slug>/roster")
@login_required
def roster(tenant_slug: str):
    """Export the practice's profiles, or upload a file of them to preview and import."""
    membership = tenancy.membership_or_404(tenant_slug, "manage_practice")
    return render_template(
        "dashboard/roster.html", m=membership, outcome=None, max_mb=roster_files.MAX_BYTES >> 20
    )


@bp.get("/dashboard/practices/<slug:tenant_slug>/roster.<any(csv, jsonl):fmt>")
@login_required
def export_roster(tenant_slug: str, fmt: str):
    """The practice's own profiles as CSV or JSON Lines, downloaded."""
    membership = tenancy.membership_or_404(tenant_slug, "manage_practice")
    tenant = membership.tenant
    if fmt == "csv":
        body, mimetype = roster_files.export_csv(tenant), "text/csv"
    else:
        body, mimetype = "".join(roster_files.export_jsonl(tenant)), "application/jsonl"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{tenant.slug}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _filename(raw: str) -> str:
    """An uploaded file's name as the pages and the activity log show it."""
    try:
        return clean_text(raw.rpartition("/")[2].rpartition("\\")[2], 120) or "upload"
    except ValueError:
        return "upload"


def _roster_page(membership: Membership, outcome, *, carried="", filename="", status=200):
    page = render_template(
        "dashboard/roster.html", m=membership, outcome=outcome, carried=carried,
        filename=filename, max_mb=roster_files.MAX_BYTES >> 20,
    )  # fmt: skip
    return page, status


@bp.post("/dashboard/practices/<slug:tenant_slug>/roster/preview")
@login_required
@unit_of_work
def preview_roster(tenant_slug: str):
    """An uploaded roster file, tried and undone: what importing it would create, update or
    refuse, by line."""
    membership = tenancy.membership_or_404(tenant_slug, "manage_practice")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV or JSON Lines file to import."), "error")
        return redirect(url_for(".roster", tenant_slug=tenant_slug))
    refusals.show_on(url_for(".roster", tenant_slug=tenant_slug))
    fmt, text = roster_files.read(upload.read(roster_files.MAX_BYTES + 1), upload.filename)
    filename = _filename(upload.filename)
    outcome = roster_files.preview(membership.tenant, fmt, text, current_user, filename)
    return _roster_page(membership, outcome, carried=roster_files.carry(text), filename=filename)


@bp.post("/dashboard/practices/<slug:tenant_slug>/roster/import")
@login_required
@unit_of_work
def import_roster(tenant_slug: str):
    """The previewed file imported: every line, or (any error now) none."""
    membership = tenancy.membership_or_404(tenant_slug, "manage_practice")
    refusals.show_on(url_for(".roster", tenant_slug=tenant_slug))
    text = roster_files.carried(request.form.get("roster", ""))
    fmt = request.form.get("format", "")
    if fmt not in roster_files.FORMATS:
        raise BadRequest()
    filename = _filename(request.form.get("filename", ""))
    outcome = roster_files.apply(membership.tenant, fmt, text, current_user, filename)
    if outcome.errors:
        # Nothing is kept (a status of 400 rolls the unit of work back): the errors, by line.
        return _roster_page(
            membership, outcome, carried=roster_files.carry(text), filename=filename, status=400
        )
    counts = [
        ngettext(
            "%(num)s profile created",
            "%(num)s profiles created",
            len(outcome.created),
        ),
        ngettext(
            "%(num)s updated",
            "%(num)s updated",
            len(outcome.updated),
        ),
        ngettext(
            "%(num)s unchanged",
            "%(num)s unchanged",
            len(outcome.unchanged),
        ),
    ]
    flash(_("Imported %(file)s: %(counts)s.", file=filename, counts=", ".join(counts)), "success")
    return redirect(url_for(".practice", tenant_slug=tenant_slug))
