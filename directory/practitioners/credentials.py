"""The profile editor's specialty credentials: list, add (with the certificate), edit, remove
after a confirmation, and read a credential's document.

Loaded like the rest of the editor (tenancy.practitioner_for_edit_or_404: the therapist whose
profile it is and their practice's owners and managers; 404 for other practices, 403 for a
colleague) and taken through the editor's own form handling (editor.submit): a post cut off
or made on an older version of the profile changes nothing, and a refused one keeps what was
typed. Admins read documents through /admin (admin/views.py), where their own rules apply.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from directory import confirm, specialties, tenancy
from directory.practitioners import documents, operations, readiness
from directory.practitioners.editor import action_allowed, submit
from directory.practitioners.forms import ActionForm, SpecialtyForm
from directory.practitioners.models import Practitioner, Specialty
from directory.unit_of_work import unit_of_work

bp = Blueprint("credentials", __name__)

BASE = "/dashboard/profiles/<slug:slug>/specialties"


def _specialty_or_404(p: Practitioner, specialty_id: int) -> Specialty:
    # Among the profile's own records: no id from another profile, no huge id in a query.
    record = next((s for s in p.specialties if s.id == specialty_id), None)
    if record is None:
        abort(404)
    return record


def _form(p: Practitioner, record: Specialty | None, **kwargs) -> SpecialtyForm:
    stored: dict = {"version": p.version}
    if record is not None:
        stored.update(
            kind=record.kind, issuer=record.issuer, number=record.number,
            issued_on=record.issued_on, expires_on=record.expires_on,
            never_expires=record.expires_on is None,
        )  # fmt: skip
    others = [s.kind for s in p.specialties if s is not record]
    return SpecialtyForm(data=stored, other_kinds=others, adding=record is None, **kwargs)


def _render(p: Practitioner, form=None, editing: Specialty | None = None, status=200):
    form = form or _form(p, editing, formdata=None)
    return (
        render_template(
            "practitioners/edit_specialties.html",
            p=p,
            form=form,
            editing=editing,
            records=[(s, specialties.status(s)) for s in p.specialties],
            kinds=specialties.kinds(),
            # A file chosen in a form shown again is not kept by the browser: say so.
            chosen_again=form.has_document() and request.method == "POST",
            visibility=readiness.visibility(p),
        ),
        status,
    )


def _save(p: Practitioner, record: Specialty | None):
    form = _form(p, record)

    def render(f, status):
        return _render(p, f or _form(p, record, formdata=None), record, status)

    def save():
        # Checked and stored only now that the form is valid; a refusal rolls back and the
        # new file goes with the transaction.
        document = None
        if form.has_document():
            try:
                document = documents.save(form.document.data)
            except documents.DocumentError as error:
                form.document.errors = [error.message]
                raise
        if record is None:
            operations.add_specialty(
                p, kind=form.kind.data, **form.values(), document=document, actor=current_user
            )
            return _("Credential added. It shows as pending until we check the certificate.")
        if operations.update_specialty(record, **form.values(), document=document,
                                       actor=current_user):  # fmt: skip
            return _("Credential saved. It shows as pending until we check it again.")
        return _("Nothing had changed.")

    return submit(p, form, render, save, url_for(".index", slug=p.slug))


@bp.route(BASE, methods=["GET", "POST"])
@login_required
@unit_of_work
def index(slug: str):
    p = tenancy.practitioner_for_edit_or_404(slug)
    if request.method == "GET":
        return _render(p)
    return _save(p, None)


@bp.route(f"{BASE}/<id:specialty_id>/edit", methods=["GET", "POST"])
@login_required
@unit_of_work
def update(slug: str, specialty_id: int):
    p = tenancy.practitioner_for_edit_or_404(slug)
    record = _specialty_or_404(p, specialty_id)
    if request.method == "GET":
        return _render(p, editing=record)
    return _save(p, record)


@bp.route(f"{BASE}/<id:specialty_id>/delete", methods=["GET", "POST"])
@login_required
@unit_of_work
def delete(slug: str, specialty_id: int):
    """GET (or a POST without the confirmation) asks first: a credential is lost with its
    document; the confirmed POST removes it."""
    p = tenancy.practitioner_for_edit_or_404(slug)
    record = _specialty_or_404(p, specialty_id)
    if not confirm.given():
        form = ActionForm(formdata=None, data={"version": p.version})
        return render_template(
            "practitioners/delete_specialty.html", p=p, record=record, form=form,
            status=specialties.status(record), kinds=specialties.kinds(),
        )  # fmt: skip
    back = url_for(".index", slug=slug)
    if not action_allowed(p):
        return redirect(back)
    said = _("%(name)s removed.", name=specialties.name(record.kind))
    operations.remove_specialty(record, actor=current_user)
    flash(said, "success")
    return redirect(back)


@bp.get(f"{BASE}/<id:specialty_id>/document")
@login_required
def document(slug: str, specialty_id: int):
    """The credential's certificate, to those who may edit the profile."""
    p = tenancy.practitioner_for_edit_or_404(slug)
    return documents.send(_specialty_or_404(p, specialty_id).document)
