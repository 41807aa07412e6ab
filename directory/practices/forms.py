"""Forms of the practice pages: settings, staff, invitations, roles, ownership, closing."""

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FileField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from directory import locales
from directory.accounts.forms import RegisterForm
from directory.practices.models import INVITABLE_ROLES, KIND_LABELS, ROLES, TENANT_KINDS
from directory.practitioners.forms import OneOf, Text
from directory.validation import check_email, check_url

ROLE_LABELS = {
    "owner": _l("Owner: everything, including ownership and closing the practice"),
    "manager": _l("Manager: practice details, members and every profile"),
    "therapist": _l("Therapist: their own profile"),
}


def _options(field, pairs):
    field.options = list(pairs)
    field.choices = field.options
    return field


class _WholeForm(FlaskForm):
    """A form that must arrive whole: a post cut off on the way (no sentinel) changes nothing."""

    form_complete = HiddenField(default="1")

    def is_complete(self) -> bool:
        # The field's default is "1" too: only the posted key tells that the end arrived.
        return request.form.get("form_complete") == "1"


class PracticeForm(_WholeForm):
    name = StringField(_l("Practice name"), validators=[Text(120, required=True)])
    kind = SelectField(_l("Kind"), validators=[OneOf()], validate_choice=False)
    website = StringField(_l("Website"), validators=[Text(300, check=check_url)])
    description = TextAreaField(_l("About the practice"), validators=[Text(3000, multiline=True)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _options(self.kind, [(k, locales.translated(KIND_LABELS[k])) for k in TENANT_KINDS])

    def changes(self) -> dict:
        return {name: self[name].data for name in ("name", "kind", "website", "description")}


class LogoForm(FlaskForm):
    logo = FileField(_l("Logo"))


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class StartPracticeForm(FlaskForm):
    name = StringField(_l("Name of the practice"), validators=[Text(120, required=True)])


class StaffProfileForm(FlaskForm):
    name = StringField(_l("Therapist's name"), validators=[Text(120, required=True)])


class InviteForm(FlaskForm):
    email = StringField(
        _l("Email address"), validators=[Text(254, required=True, check=check_email)]
    )
    role = SelectField(_l("Role"), validators=[OneOf()], validate_choice=False, default="therapist")
    # Only offered when the practice has unclaimed profiles; a form without it takes none.
    profile = SelectField(
        _l("Profile they take over"), validators=[OneOf()], validate_choice=False, default=""
    )

    def __init__(self, *args, unclaimed=(), **kwargs):
        super().__init__(*args, **kwargs)
        _options(self.role, [(r, ROLE_LABELS[r]) for r in INVITABLE_ROLES])
        _options(
            self.profile,
            [("", _("None: they create their own")), *((p.slug, p.name) for p in unclaimed)],
        )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[OneOf()], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _options(self.role, [(r, _(r.capitalize())) for r in ROLES])


class TransferForm(FlaskForm):
    member = SelectField(_l("New owner"), validators=[OneOf()], validate_choice=False)
    confirm = BooleanField(_l("I understand I will become a manager of this practice."))

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        _options(
            self.member,
            [
                ("", _("Choose a member")),
                *((str(m.id), f"{m.user.name} ({m.user.email})") for m in candidates),
            ],
        )

    def validate_member(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Choose the member who will own the practice."))

    def validate_confirm(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Tick the box to confirm."))


class DeletePracticeForm(FlaskForm):
    confirm_name = StringField(_l("Type the practice's name to confirm"), validators=[Text(120)])


class InvitedAccountForm(RegisterForm):
    """An account for the invited address: the address is fixed by the invitation."""

    def __init__(self, *args, invited_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        del self.practice_name
        del self.email
        self.invited_email = invited_email

    def _personal(self) -> tuple[str, str]:
        return self.invited_email, self.name.data or ""
