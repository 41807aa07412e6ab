"""The profile editor's forms. Each lists only the fields its user may change; none of them can
bind tenant, slug, status, verification, suspension or ownership.

Every form carries the profile `version` it was opened at and ends with a `form_complete`
sentinel: a post without both arrived truncated and is refused whole. A field whose key was not
sent is neither validated nor changed, so a partial post never blanks stored data. Checkboxes are
sent with a hidden companion (a "0" before a flag, an empty value before a list) so that
"unticked" can be told apart from "not sent".
"""

from datetime import date

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.fields import DateField
from wtforms.validators import NumberRange, Optional, ValidationError

from directory import geo, licensing, locales, specialties
from directory.practitioners import fields
from directory.validation import clean_text

#: The session lengths offered as checkboxes, in minutes.
SESSION_LENGTHS = (30, 45, 60, 75, 90, 120)
SENTINELS = ("version", "form_complete")


def state_choices() -> list[tuple[str, str]]:
    """US states, DC and PR: the jurisdictions whose licenses the directory knows."""
    states = sorted(
        ((code, f"{rule.name} ({code})") for code, rule in licensing.states().items()),
        key=lambda choice: choice[1],
    )
    return [("", _("Choose a state")), *states]


class Text:
    """Trimmed text within a length limit, without control characters; then an optional check.

    The same rule as the import's (`fields.parse_text`): this is its form validator."""

    def __init__(self, max_length: int, *, multiline=False, required=False, check=None):
        self.max_length = max_length
        self.multiline = multiline
        self.required = required
        self.check = check

    @classmethod
    def of(cls, rule: fields.TextRule) -> "Text":
        return cls(rule.max_length, multiline=rule.multiline, required=rule.required,
                   check=rule.check)  # fmt: skip

    def __call__(self, form, field) -> None:
        try:
            field.data = fields.parse_text(self, field.data or "")
        except ValueError as error:
            raise ValidationError(
                _("%(label)s %(problem)s.", label=field.label.text, problem=error)
            ) from None


class OneOf:
    """One of the options the form offers (a select or radio group rendered from `options`)."""

    def __call__(self, form, field) -> None:
        if field.data not in {value for value, _ in field.options}:
            raise ValidationError(
                _("Choose one of the %(label)s options.", label=str(field.label.text).lower())
            )


class Flag(Field):
    """A checkbox rendered with a hidden "0" before it: unticked sends "0", not sent keeps data."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = any(v in ("1", "y", "on", "true") for v in valuelist)

    def process_data(self, value):
        self.data = bool(value)


class Checklist(Field):
    """A list of checkboxes with a hidden empty value first: nothing ticked still sends the key."""

    def __init__(self, label=None, validators=None, coerce=str, unknown=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.coerce = coerce
        #: The whole sentence saying a value is not one of the list's (%(value)s placeholder).
        self.unknown_message = unknown or _l("“%(value)s” is not a choice we list.")
        self.choices: list[tuple] = []

    def process_data(self, value):
        self.data = list(value or [])

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        values = []
        self.unknown = []
        for raw in valuelist:
            if raw == "":
                continue
            try:
                value = self.coerce(raw)
            except ValueError:
                self.unknown.append(raw)
                continue
            if value not in values:
                values.append(value)
        self.data = values

    def pre_validate(self, form):
        allowed = {value for value, _ in self.choices}
        unknown = list(getattr(self, "unknown", [])) + [v for v in self.data if v not in allowed]
        if unknown:
            shown = str(unknown[0])[:40]
            raise ValidationError(self.unknown_message % {"value": shown})


class Languages(StringField):
    """Comma-separated language names, kept as a list (the table's rule for them)."""

    def process_data(self, value):
        self.data = list(value or [])

    def process_formdata(self, valuelist):
        if valuelist:
            self.raw = valuelist[0]
            self.data = [part.strip() for part in valuelist[0].split(",") if part.strip()]

    def _value(self):
        return ", ".join(self.data or [])

    def pre_validate(self, form):
        # The text as typed (control characters, length) is judged as every text field is, its
        # message after the field's label; the names' own messages are whole sentences.
        raw = getattr(self, "raw", None)
        try:
            if raw is not None:
                clean_text(raw, 300)
        except ValueError as error:
            raise ValidationError(
                _("%(label)s %(problem)s.", label=self.label.text, problem=error)
            ) from None
        try:
            self.data = fields.parse_languages(fields.BY_NAME[self.name], self.data)
        except ValueError as error:
            message = str(error)
            raise ValidationError(f"{message[0].upper()}{message[1:]}.") from None


class EditForm(FlaskForm):
    """Changes only what was sent; knows whether the post arrived whole."""

    version = IntegerField("Version", validators=[Optional()])
    form_complete = HiddenField(default="1")

    #: Field names that may change the record (everything but the guards).
    EDITABLE: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound = self.is_submitted() and kwargs.get("formdata", True) is not None
        #: The keys the request carried: only these fields are judged and applied.
        self.sent = (set(request.form) | set(request.files)) if bound else set()

    def is_complete(self) -> bool:
        """Whether the post carried its version and end sentinel (else it was cut off)."""
        return all(name in self.sent for name in SENTINELS) and isinstance(self.version.data, int)

    def validate(self, extra_validators=None) -> bool:
        ok = True
        for name, field in self._fields.items():
            # Fields not sent keep their stored value and are not judged; the CSRF token always is.
            if name not in self.sent and name != "csrf_token":
                continue
            if not field.validate(self):
                ok = False
        return self.validate_together() and ok

    def validate_together(self) -> bool:
        """Checks that need several fields (their stored values stand in for unsent ones)."""
        return True

    def changes(self) -> dict:
        """The submitted editable fields and their cleaned values."""
        return {name: self[name].data for name in self.EDITABLE if name in self.sent}

    def values(self) -> dict:
        """Every editable field: submitted, else its stored value."""
        return {name: self[name].data for name in self.EDITABLE}


def _form_field(f: fields.ProfileField) -> Field:
    """The editor's input for a field of the table."""
    if f.kind == "text":
        field_class = TextAreaField if f.multiline else StringField
        return field_class(
            f.label,
            validators=[Text(f.max_length, multiline=f.multiline, required=f.required,
                             check=f.check)],
        )  # fmt: skip
    if f.kind == "bool":
        return Flag(f.label)
    if f.kind == "int":
        return IntegerField(f.label, validators=[Optional(), NumberRange(f.low, f.high)])
    if f.kind == "choice":
        return StringField(f.label, validators=[OneOf()])
    if f.kind == "languages":
        return Languages(f.label)
    return Checklist(
        f.label, coerce=int, unknown=_l("“%(value)s” is not a session length we list.")
    )


class _ProfileFormBase(EditForm):
    conditions = Checklist(
        _l("Conditions you treat"), unknown=_l("“%(value)s” is not a condition we list.")
    )
    modalities = Checklist(_l("Modalities"), unknown=_l("“%(value)s” is not a modality we list."))

    def __init__(self, *args, conditions=(), modalities=(), **kwargs):
        super().__init__(*args, **kwargs)
        #: Vocabulary rows, for the grouped pickers.
        self.conditions_rows, self.modalities_rows = list(conditions), list(modalities)
        for spec in fields.FIELDS:
            if spec.kind == "choice" and spec.editable:
                getattr(self, spec.name).options = spec.options
        self.conditions.choices = [(c.slug, c.name) for c in conditions]
        self.modalities.choices = [(m.slug, m.name) for m in modalities]
        # Lengths already on the profile (an import may hold 50 minutes) stay choosable.
        stored = [v for v in (self.session_lengths.object_data or []) if isinstance(v, int)]
        lengths = sorted({*SESSION_LENGTHS, *stored})
        self.session_lengths.choices = [(n, f"{n} min") for n in lengths]

    def validate_together(self) -> bool:
        problem = fields.check_prices(self.price_min.data, self.price_max.data)
        if problem and not self.price_max.errors:
            self.price_max.errors = [problem]
            return False
        return True


#: The profile editor's form: one input per editable field of the table, plus the vocabulary.
ProfileForm = type(
    "ProfileForm",
    (_ProfileFormBase,),
    {
        **{f.name: _form_field(f) for f in fields.FIELDS if f.editable},
        "EDITABLE": (*fields.EDITABLE, "conditions", "modalities"),
    },
)


class PhotoForm(EditForm):
    photo = FileField(_l("Photo"))
    EDITABLE = ("photo",)


class ActionForm(EditForm):
    """A button that changes state (publish, remove...): only the guards."""


class OfficeForm(EditForm):
    street = StringField(_l("Street address"), validators=[Text.of(fields.OFFICE["street"])])
    city = StringField(_l("City"), validators=[Text.of(fields.OFFICE["city"])])
    state = StringField(_l("State"))
    zip = StringField(_l("ZIP code"), validators=[Text.of(fields.OFFICE["zip"])])

    EDITABLE = ("street", "city", "state", "zip")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state.options = state_choices()
        self.location: tuple[float, float, str, str] | None = None

    def validate_together(self) -> bool:
        state, zip_code = self.state.data or "", (self.zip.data or "").strip()
        if licensing.rule(state) is None:
            self.state.errors = [*self.state.errors, _("Choose a state.")]
            return False
        if self.zip.errors:
            return False
        try:
            self.location = geo.zip_location(zip_code, state)
        except geo.PlaceError as error:
            self.zip.errors = [*self.zip.errors, locales.say(error.message)]
            return False
        self.zip.data = zip_code
        return True


class LicenseForm(EditForm):
    state = StringField(_l("State"))
    number = StringField(_l("License number"), validators=[Text(40, required=True)])
    expires_on = DateField(_l("Expires on"), format="%Y-%m-%d")

    EDITABLE = ("state", "number", "expires_on")
    EARLIEST = date(2000, 1, 1)
    LATEST = date(2100, 12, 31)

    def __init__(self, *args, other_states=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.state.options = state_choices()
        #: States of the practitioner's other licenses (one license per state).
        self.other_states = set(other_states)

    def validate_together(self) -> bool:
        ok = True
        state = self.state.data or ""
        state_rule = licensing.rule(state)
        if state_rule is None:
            self.state.errors = [*self.state.errors, _("Choose a state.")]
            return False
        if state in self.other_states:
            self.state.errors = [
                *self.state.errors,
                _(
                    "You already have a %(state)s license on file: edit that one instead.",
                    state=state_rule.name,
                ),
            ]
            ok = False
        if not self.number.errors:
            problem = licensing.check_number(state, self.number.data or "")
            if problem:
                self.number.errors = [*self.number.errors, problem]
                ok = False
            else:
                self.number.data = licensing.normalize_number(self.number.data)
        expires = self.expires_on.data
        if expires is None and not self.expires_on.errors:
            self.expires_on.errors = [_("Enter the expiry date.")]
            ok = False
        elif expires is not None and not self.EARLIEST <= expires <= self.LATEST:
            self.expires_on.errors = [*self.expires_on.errors, _("Enter a real expiry date.")]
            ok = False
        elif expires is not None and (problem := licensing.check_expiry(expires)):
            self.expires_on.errors = [*self.expires_on.errors, problem]
            ok = False
        return ok and not self.expires_on.errors


class SpecialtyForm(EditForm):
    """A specialty credential: its kind (chosen when it is added, fixed after), issuer, number,
    dates and the certificate itself (required when adding, optional when editing)."""

    kind = StringField(_l("Specialty"), validators=[OneOf()])
    issuer = StringField(_l("Issued by"), validators=[Text(120, required=True)])
    number = StringField(_l("Certificate number"), validators=[Text(60)])
    issued_on = DateField(_l("Issued on"), format="%Y-%m-%d", validators=[Optional()])
    expires_on = DateField(_l("Expires on"), format="%Y-%m-%d", validators=[Optional()])
    never_expires = Flag(_l("It does not expire"))
    document = FileField(_l("Certificate (PDF, JPEG or PNG)"))

    EDITABLE = ("issuer", "number", "issued_on", "expires_on")
    EARLIEST = date(1950, 1, 1)
    LATEST = date(2100, 12, 31)

    def __init__(self, *args, other_kinds=(), adding=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.options = [("", _("Choose a specialty"))] + [
            (k.kind, specialties.name(k.kind)) for k in specialties.kinds().values()
        ]
        #: Kinds already on the profile (one record per kind).
        self.other_kinds = set(other_kinds)
        self.adding = adding

    def has_document(self) -> bool:
        """Whether a file was chosen (a browser sends an empty file part when none was)."""
        return bool(getattr(self.document.data, "filename", None))

    def validate_together(self) -> bool:
        ok = True
        if self.adding:
            kind = self.kind.data or ""
            if not kind:
                self.kind.errors = [_("Choose a specialty.")]
                ok = False
            elif kind in self.other_kinds and not self.kind.errors:
                self.kind.errors = [
                    _(
                        "%(specialty)s is already on file: edit that one instead.",
                        specialty=specialties.name(kind),
                    )
                ]
                ok = False
            if not self.has_document():
                self.document.errors = [_("Upload the certificate: we check it before it counts.")]
                ok = False
        today = licensing.today()
        issued, expires = self.issued_on.data, self.expires_on.data
        if self.issued_on.errors or self.expires_on.errors:
            return False
        if issued is not None and not self.EARLIEST <= issued <= today:
            self.issued_on.errors = [
                "Enter the date printed on the certificate (not a future one)."
            ]
            ok = False
        if self.never_expires.data:
            if expires is not None:
                self.expires_on.errors = [
                    "Leave the expiry date empty, or untick \u201cIt does not expire\u201d."
                ]
                ok = False
        elif expires is None:
            self.expires_on.errors = [
                "Enter the expiry date, or tick \u201cIt does not expire\u201d."
            ]
            ok = False
        elif expires < today:
            self.expires_on.errors = [
                "This certificate has expired: add it once it is renewed, with the new date."
            ]
            ok = False
        elif expires > self.LATEST:
            self.expires_on.errors = [_("Enter a real expiry date.")]
            ok = False
        elif issued is not None and expires <= issued:
            self.expires_on.errors = [_("The expiry date must come after the issue date.")]
            ok = False
        return ok

    def values(self) -> dict:
        found = super().values()
        if self.never_expires.data:
            found["expires_on"] = None
        return found
