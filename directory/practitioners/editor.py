"""The profile editor: profile fields, photo, offices, licenses, publishing and a preview.

Every view loads through tenancy.practitioner_for_edit_or_404 -> validates its form -> calls an
operation -> flashes -> redirects; @unit_of_work commits once it has answered. A post that
arrived cut off, or that was made on a version of the profile someone has saved over since,
changes nothing.
"""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from directory import confirm, licensing, refusals, tenancy
from directory.db import db
from directory.listings import claims
from directory.listings import forms as claim_forms
from directory.practices.models import Tenant
from directory.practitioners import fields, operations, photos, profiles, readiness
from directory.practitioners.forms import (
    ActionForm,
    EditForm,
    LicenseForm,
    OfficeForm,
    PhotoForm,
    ProfileForm,
)
from directory.practitioners.models import License, Office, Practitioner
from directory.practitioners.views import render_profile
from directory.unit_of_work import unit_of_work
from directory.vocabulary import Condition, Modality

editor_bp = Blueprint("editor", __name__)

INCOMPLETE = _l(
    "Your changes did not arrive complete (the connection may have dropped), so nothing was "
    "saved. Please try again."
)
CONFLICT = operations.CONFLICT
ACTION_CONFLICT = _l(
    "Someone else saved this profile since you opened it, so nothing was done. "
    "Check the profile below and try again."
)
#: Vocabulary groups in the pickers, by the setting an entry usually calls for.
GROUPS = (
    ("medical", _l("Usually medical")),
    ("either", _l("Spa or medical")),
    ("spa", _l("Usually spa")),
)


def _grouped(rows) -> list[tuple[str, list]]:
    return [(label, [r for r in rows if r.setting == key]) for key, label in GROUPS]


def _vocabulary() -> tuple[list[Condition], list[Modality]]:
    conditions = list(db.session.scalars(select(Condition).order_by(Condition.name)))
    modalities = list(db.session.scalars(select(Modality).order_by(Modality.name)))
    return conditions, modalities


def _profile_form(p: Practitioner, **kwargs) -> ProfileForm:
    conditions, modalities = _vocabulary()
    return ProfileForm(
        data=operations.profile_values(p), conditions=conditions, modalities=modalities, **kwargs
    )


def submit(p: Practitioner, form: EditForm, render, apply, back: str, refused_field=""):
    """The editor's one way to take a form post: refuse one that arrived cut off (nothing of it
    is shown again) or was made on an older version (shown again to compare, 409), show the
    fields to correct (400), else apply() the change, flash what apply() returns and redirect
    to `back` (the view's @unit_of_work commits it). render(form, status) shows the page again;
    form None shows it as stored. A refusal of the operation is shown on the page with the input
    kept (and on the form's `refused_field`, when the refusal is about it)."""
    if not form.is_complete():
        flash(str(INCOMPLETE), "error")
        return render(None, 400)
    valid = form.validate()
    if form.version.data != p.version:
        message = str(CONFLICT if isinstance(form, ProfileForm) else ACTION_CONFLICT)
        if isinstance(form, ProfileForm) and (differ := operations.differences(p, form.changes())):
            labels = ", ".join(str(form[name].label.text) for name in differ)
            message += " " + _(
                "Your input differs from the saved profile in: %(labels)s.", labels=labels
            )
        flash(message, "error")
        # Saving again after reading the message is a deliberate overwrite of the newer version.
        form.version.data = p.version
        return render(form, 409)
    if not valid:
        flash(_("Please correct the fields marked below; nothing was saved."), "error")
        return render(form, 400)

    def again(_):
        form.version.data = p.version  # after a conflict: the version now on file
        return render(form, 400)

    refusals.show_on(again, form[refused_field] if refused_field else None)
    flash(apply(), "success")
    return redirect(back)


def _render_edit(p: Practitioner, form=None, photo_form=None, status: int = 200):
    form = form or _profile_form(p, formdata=None)
    photo_form = photo_form or PhotoForm(formdata=None, data={"version": p.version})
    return (
        render_template(
            "practitioners/edit.html",
            p=p,
            form=form,
            photo_form=photo_form,
            condition_groups=_grouped(form.conditions_rows),
            modality_groups=_grouped(form.modalities_rows),
            profile_fields=fields.in_section,
            visibility=readiness.visibility(p),
            completeness=readiness.completeness(p),
            blockers=readiness.publish_blockers(p),
            # A claimed listing's therapist may ask to join the claimed practice its record
            # places them at, here as on its claim page.
            join_offer=claims.join_offer(p, current_user),
            joining=claims.pending_join(p) if p.claimed else None,
            join_form=claim_forms.ActionForm(formdata=None),
        ),
        status,
    )


@editor_bp.route("/dashboard/profiles/<slug:slug>/edit", methods=["GET", "POST"])
@login_required
@unit_of_work
def edit(slug: str):
    p = tenancy.practitioner_for_edit_or_404(slug)
    if request.method == "GET":
        return _render_edit(p)
    form = _profile_form(p)

    def save():
        changed = operations.update_profile(p, form.changes(), restates=True)
        return _("Profile saved.") if changed else _("Nothing had changed.")

    return submit(
        p, form, lambda f, status: _render_edit(p, form=f, status=status), save,
        url_for(".edit", slug=p.slug),
    )  # fmt: skip


@editor_bp.post("/dashboard/profiles/<slug:slug>/photo")
@login_required
@unit_of_work
def upload_photo(slug: str):
    p = tenancy.practitioner_for_edit_or_404(slug)
    form = PhotoForm(data={"version": p.version})

    def save():
        operations.set_photo(p, photos.save(form.photo.data))
        return "Photo saved."

    return submit(
        p, form, lambda f, status: _render_edit(p, photo_form=f, status=status), save,
        url_for(".edit", slug=p.slug), refused_field="photo",
    )  # fmt: skip


@editor_bp.post("/dashboard/profiles/<slug:slug>/photo/delete")
@login_required
@unit_of_work
def delete_photo(slug: str):
    p = tenancy.practitioner_for_edit_or_404(slug)
    if not confirm.given():
        return confirm.ask(
            title=_("Remove your photo?"), what=_("The photo on %(name)s's profile", name=p.name),
            detail=_("It is deleted for good; you can upload another at any time."),
            action=url_for(".delete_photo", slug=slug), back=url_for(".edit", slug=slug),
            fields=confirm.editor_fields(p),
        )  # fmt: skip
    if not action_allowed(p):
        return redirect(url_for(".edit", slug=slug))
    operations.set_photo(p, None)
    flash(_("Photo removed."), "success")
    return redirect(url_for(".edit", slug=slug))


def action_allowed(p: Practitioner) -> bool:
    """Whether a one-button action (publish, remove...) on `p` may go ahead; says why not."""
    form = ActionForm()
    if not form.is_complete():
        flash(str(INCOMPLETE), "error")
        return False
    if form.version.data != p.version:
        flash(str(ACTION_CONFLICT), "error")
        return False
    return form.validate()


@editor_bp.post("/dashboard/profiles/<slug:slug>/publish")
@login_required
@unit_of_work
def publish(slug: str):
    p = tenancy.practitioner_for_edit_or_404(slug)
    if not action_allowed(p):
        return redirect(url_for(".edit", slug=slug))
    refusals.show_on(url_for(".edit", slug=slug))
    operations.publish(p, actor=current_user)
    if readiness.visibility(p).public:
        flash(_("Published: your profile is public."), "success")
    else:
        flash(_("Published, but not public yet: see below why."), "info")
    return redirect(url_for(".edit", slug=slug))


@editor_bp.post("/dashboard/profiles/<slug:slug>/accepting")
@login_required
@unit_of_work
def confirm_accepting(slug: str):
    """The dashboard's question answered: still accepting new clients (yes or no), today."""
    p = tenancy.practitioner_for_edit_or_404(slug)
    answer = request.form.get("accepting", "")
    if answer not in ("yes", "no"):
        raise BadRequest()
    operations.confirm_accepting(p, answer == "yes", actor=current_user)
    if answer == "yes":
        flash(
            _("Thank you: %(name)s shows as accepting new clients, confirmed today.", name=p.name),
            "success",
        )
    else:
        flash(_("%(name)s now shows as not accepting new clients.", name=p.name), "success")
    return redirect(url_for("dashboard.index"))


@editor_bp.post("/dashboard/profiles/<slug:slug>/unpublish")
@login_required
@unit_of_work
def unpublish(slug: str):
    p = tenancy.practitioner_for_edit_or_404(slug)
    if not action_allowed(p):
        return redirect(url_for(".edit", slug=slug))
    operations.unpublish(p, actor=current_user)
    flash(_("Unpublished: your profile is no longer public or in search."), "success")
    return redirect(url_for(".edit", slug=slug))


@editor_bp.get("/dashboard/profiles/<slug:slug>/preview")
@login_required
def preview(slug: str):
    p = tenancy.practitioner_for_edit_or_404(slug)
    return render_profile(p, preview=readiness.visibility(p))


def _office_or_404(p: Practitioner, office_id: int) -> Office:
    # Looked up among the profile's own offices: no query, so no id from elsewhere, and no
    # huge integer ever reaches the database.
    office = next((o for o in p.offices if o.id == office_id), None)
    if office is None:
        abort(404)
    return office


def _license_or_404(p: Practitioner, license_id: int) -> License:
    lic = next((lic for lic in p.licenses if lic.id == license_id), None)
    if lic is None:
        abort(404)
    return lic


def _render_offices(p: Practitioner, form=None, editing: Office | None = None, status=200):
    form = form or OfficeForm(formdata=None, data={"version": p.version})
    listed = {view.office.id for view in profiles.office_views(p)}
    return (
        render_template(
            "practitioners/edit_offices.html",
            p=p,
            form=form,
            editing=editing,
            listed=listed,
            visibility=readiness.visibility(p),
        ),
        status,
    )


def _office_values(office: Office) -> dict:
    return {"street": office.street, "city": office.city, "state": office.state, "zip": office.zip}


@editor_bp.route("/dashboard/profiles/<slug:slug>/offices", methods=["GET", "POST"])
@login_required
@unit_of_work
def offices(slug: str):
    p = tenancy.practitioner_for_edit_or_404(slug)
    if request.method == "GET":
        return _render_offices(p)
    form = OfficeForm(data={"version": p.version})

    def add():
        operations.add_office(p, **form.values())
        return _("Office added.")

    return submit(
        p, form, lambda f, status: _render_offices(p, f, status=status), add,
        url_for(".offices", slug=p.slug),
    )  # fmt: skip


@editor_bp.route(
    "/dashboard/profiles/<slug:slug>/offices/<id:office_id>/edit", methods=["GET", "POST"]
)
@login_required
@unit_of_work
def edit_office(slug: str, office_id: int):
    p = tenancy.practitioner_for_edit_or_404(slug)
    office = _office_or_404(p, office_id)
    stored = {**_office_values(office), "version": p.version}
    if request.method == "GET":
        return _render_offices(p, OfficeForm(formdata=None, data=stored), editing=office)
    form = OfficeForm(data=stored)

    def render(f, status):
        return _render_offices(p, f or OfficeForm(formdata=None, data=stored), office, status)

    def save():
        operations.update_office(office, **form.values())
        return _("Office saved.")

    return submit(p, form, render, save, url_for(".offices", slug=p.slug))


@editor_bp.route(
    "/dashboard/profiles/<slug:slug>/offices/<id:office_id>/delete", methods=["GET", "POST"]
)
@login_required
@unit_of_work
def delete_office(slug: str, office_id: int):
    """GET (or a POST without the confirmation) asks first; the confirmed POST removes."""
    p = tenancy.practitioner_for_edit_or_404(slug)
    office = _office_or_404(p, office_id)
    if not confirm.given():
        return confirm.ask(
            title=_("Remove this office?"),
            what=f"{office.street}, {office.city}, {office.state} {office.zip}",
            detail=_("Clients stop finding you at this address in search at once."),
            action=url_for(".delete_office", slug=slug, office_id=office.id),
            back=url_for(".offices", slug=slug), fields=confirm.editor_fields(p),
        )  # fmt: skip
    if action_allowed(p):
        operations.remove_office(office)
        flash(_("Office removed."), "success")
    return redirect(url_for(".offices", slug=slug))


def _render_licenses(p: Practitioner, form=None, editing: License | None = None, status=200):
    if form is None:
        form = LicenseForm(
            formdata=None, data={"version": p.version}, other_states=[x.state for x in p.licenses]
        )
    registration = editing is not None and licensing.dates_registration(editing.state)
    if registration:  # New York's date is the end of the triennial registration
        form.expires_on.label.text = _("Registered until")
    return (
        render_template(
            "practitioners/edit_licenses.html",
            p=p,
            form=form,
            editing=editing,
            registration=registration,
            licenses=list(zip(p.licenses, profiles.license_views(p), strict=True)),
            visibility=readiness.visibility(p),
        ),
        status,
    )


def _license_form(p: Practitioner, lic: License | None, **kwargs) -> LicenseForm:
    stored = {"version": p.version}
    if lic is not None:
        stored.update(state=lic.state, number=lic.number, expires_on=lic.expires_on)
    others = [x.state for x in p.licenses if x is not lic]
    return LicenseForm(data=stored, other_states=others, **kwargs)


def _save_license(p: Practitioner, lic: License | None):
    form = _license_form(p, lic)

    def render(f, status):
        return _render_licenses(p, f or _license_form(p, lic, formdata=None), lic, status)

    def save():
        if lic is None:
            operations.add_license(p, **form.values(), actor=current_user)
            return _("License added. It shows as pending until we verify it.")
        if operations.update_license(lic, **form.values(), actor=current_user):
            return _("License saved. It shows as pending until we verify it again.")
        return _("Nothing had changed.")

    return submit(p, form, render, save, url_for(".licenses", slug=p.slug))


@editor_bp.route("/dashboard/profiles/<slug:slug>/licenses", methods=["GET", "POST"])
@login_required
@unit_of_work
def licenses(slug: str):
    p = tenancy.practitioner_for_edit_or_404(slug)
    if request.method == "GET":
        return _render_licenses(p)
    return _save_license(p, None)


@editor_bp.route(
    "/dashboard/profiles/<slug:slug>/licenses/<id:license_id>/edit", methods=["GET", "POST"]
)
@login_required
@unit_of_work
def edit_license(slug: str, license_id: int):
    p = tenancy.practitioner_for_edit_or_404(slug)
    lic = _license_or_404(p, license_id)
    if request.method == "GET":
        return _render_licenses(p, _license_form(p, lic, formdata=None), lic)
    return _save_license(p, lic)


@editor_bp.route(
    "/dashboard/profiles/<slug:slug>/licenses/<id:license_id>/delete", methods=["GET", "POST"]
)
@login_required
@unit_of_work
def delete_license(slug: str, license_id: int):
    """GET (or a POST without the confirmation) asks first; the confirmed POST removes."""
    p = tenancy.practitioner_for_edit_or_404(slug)
    lic = _license_or_404(p, license_id)
    if not confirm.given():
        view = profiles.license_views(p)[p.licenses.index(lic)]
        detail = _("Your offices in that state leave search until a license there is verified.")
        if view.status == "verified":
            detail = (
                _(
                    "It is verified: removing it takes the badge off your profile at once, and "
                    "adding it back means waiting for our check again."
                )
                + " "
                + detail
            )
        return confirm.ask(
            title=_("Remove this license?"),
            what=_("%(state)s license #%(number)s", state=view.state_name, number=lic.number),
            detail=detail, action=url_for(".delete_license", slug=slug, license_id=lic.id),
            back=url_for(".licenses", slug=slug), fields=confirm.editor_fields(p),
        )  # fmt: skip
    if action_allowed(p):
        operations.remove_license(lic, actor=current_user)
        flash(_("License removed."), "success")
    return redirect(url_for(".licenses", slug=slug))


@editor_bp.get("/media/<name>")
def media(name: str):
    """A profile photo or practice logo: to anyone while its profile or practice is public,
    else only to those who may edit it."""
    if not photos.is_valid_name(name):
        abort(404)
    public, allowed = False, False
    p = db.session.scalar(select(Practitioner).where(Practitioner.photo == name))
    if p is not None:
        public = p.is_publicly_visible
        allowed = public or tenancy.may_view_photo(p)
    else:
        tenant = db.session.scalar(select(Tenant).where(Tenant.logo == name))
        if tenant is not None:
            public = tenant.is_active
            allowed = public or tenancy.may_view_logo(tenant)
    if not allowed:
        abort(404)
    ext = name.rsplit(".", 1)[1]
    response = send_from_directory(photos.folder(), name, mimetype=photos.MIMETYPES[ext])
    response.headers["Cache-Control"] = "public, max-age=86400" if public else "private, no-store"
    return response
