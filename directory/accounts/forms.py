"""The sign-up, sign-in and account forms. They check shape; operations do the rest."""

import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import StopValidation

from directory.accounts import passwords, totp
from directory.locales import number
from directory.validation import check_email, clean_text, same_email


class _Text:
    """Trim the value and refuse control characters, overlong and (if required) empty input."""

    def __init__(self, max_length: int, *, required: str | None = None):
        self.max_length = max_length
        self.required = required
        self.field_flags = {"required": True} if required else {}

    def __call__(self, form, field) -> None:
        try:
            field.data = clean_text(field.data or "", self.max_length)
        except ValueError as error:
            said = _("%(label)s %(problem)s.", label=field.label.text, problem=error)
            raise StopValidation(said) from None
        if self.required and not field.data:
            raise StopValidation(str(self.required))


def _email(form, field) -> None:
    try:
        check_email(field.data)
    except ValueError:
        raise StopValidation(_("Enter an email address like name@example.com.")) from None


def _password_shape(form, field) -> None:
    # Shape only: a password being typed to sign in is never judged against the policy.
    value = field.data or ""
    if not value:
        raise StopValidation(_("Enter your password."))
    if len(value) > passwords.MAX_LENGTH:
        raise StopValidation(
            _(
                "Password must be at most %(count)s characters long.",
                count=number(passwords.MAX_LENGTH),
            )
        )
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise StopValidation(_("Password must not contain control characters."))


_password_shape.field_flags = {"required": True}


def _code_shape(form, field) -> None:
    # Shape only: whether the code is right is the operation's question (and it is counted).
    if field.data and totp.normalize(field.data) is None:
        raise StopValidation(_("Enter the 6 digits your authenticator app shows."))


def _code_field(*, required: bool = True) -> StringField:
    return StringField(
        _l("Code from your authenticator app"),
        validators=[
            _Text(20, required=_l("Enter the 6-digit code from your app.") if required else None),
            _code_shape,
        ],
        render_kw={
            "maxlength": 20,
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "spellcheck": "false",
        },
    )


def _email_field(label: str = _l("Email")) -> EmailField:
    return EmailField(
        label,
        validators=[_Text(254, required=_l("Enter your email address.")), _email],
        render_kw={"maxlength": 254},
    )


def _new_password_field(label: str = _l("Password")) -> PasswordField:
    return PasswordField(
        label,
        render_kw={
            "required": True,
            "minlength": passwords.MIN_LENGTH,
            "maxlength": passwords.MAX_LENGTH,
        },
    )


class _NewPasswordForm(FlaskForm):
    """A form whose `password` is a new password, judged against the policy for `account`."""

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def _personal(self) -> tuple[str, str]:
        if self.account is not None:
            return self.account.email, self.account.name
        return "", ""

    def validate_password(self, field) -> None:
        email, name = self._personal()
        if problem := passwords.problem(field.data or "", email=email, name=name):
            raise StopValidation(problem)


class RegisterForm(_NewPasswordForm):
    name = StringField(
        _l("Your name"),
        validators=[_Text(120, required=_l("Enter your name."))],
        render_kw={"maxlength": 120},
    )
    email = _email_field()
    password = _new_password_field()
    practice_name = StringField(
        _l("Name of your practice"),
        validators=[_Text(120, required=_l("Enter the name of your practice."))],
        render_kw={"maxlength": 120},
    )
    #: Where to come back to after the first sign-in (a listing's claim page).
    next = HiddenField()

    def _personal(self) -> tuple[str, str]:
        return self.email.data or "", self.name.data or ""


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[_password_shape])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = _email_field()


class PasswordResetForm(_NewPasswordForm):
    password = _new_password_field(_l("New password"))


class ChangePasswordForm(_NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[_password_shape])
    password = _new_password_field(_l("New password"))

    def validate_password(self, field) -> None:
        super().validate_password(field)
        if field.data == self.current_password.data:
            raise StopValidation(_("Choose a password different from your current one."))


class ChangeEmailForm(FlaskForm):
    email = _email_field(_l("New email address"))
    password = PasswordField(_l("Current password"), validators=[_password_shape])

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def validate_email(self, field) -> None:
        if self.account is not None and same_email(field.data, self.account.email):
            raise StopValidation(_("That is already your email address."))


class CodeForm(FlaskForm):
    """A code from the authenticator app: the second step of a sign-in, or setting it up."""

    code = _code_field()


class ReauthForm(FlaskForm):
    """The password again, and the code when the second factor is on, for a sensitive action."""

    password = PasswordField(_l("Password"), validators=[_password_shape])
    code = _code_field(required=False)
    next = HiddenField()

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def validate_code(self, field) -> None:
        if self.account is not None and self.account.totp_secret and not field.data:
            raise StopValidation(_("Enter the 6-digit code from your app."))
