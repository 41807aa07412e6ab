"""The claim pages' forms: they check shape; listings.claims decides."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional, ValidationError

from directory.listings.models import CLAIM_PURPOSES
from directory.practitioners.forms import OneOf, Text
from directory.validation import check_email


class ProofForm(FlaskForm):
    """The license number and legal name (and birth year) the record must show."""

    purpose = HiddenField(default="claim")
    number = StringField(_l("Your license number"), validators=[Text(40, required=True)])
    legal_name = StringField(_l("Legal name, as on your license"),
                             validators=[Text(120, required=True)])  # fmt: skip
    birth_year = IntegerField(_l("Birth year"), validators=[Optional(),
                                                        NumberRange(1900, 2015, _l("Enter a year "
                                                                    "like 1984."))])  # fmt: skip

    def validate_purpose(self, field) -> None:
        if field.data not in CLAIM_PURPOSES:
            raise ValidationError(_("Choose whether to claim or remove the listing."))


class OrganizationProofForm(FlaskForm):
    """An NPPES organization's NPI and its authorized official's legal name."""

    npi = StringField(_l("The practice's NPI (10 digits)"), validators=[Text(14, required=True)])
    legal_name = StringField(_l("Your legal name, as the NPPES record lists its authorized "
                                "official"), validators=[Text(120, required=True)])  # fmt: skip


class CodeForm(FlaskForm):
    code = StringField(_l("One-time code"), validators=[Text(20, required=True)])


class DocumentForm(FlaskForm):
    document = FileField(_l("Your license (a PDF, JPEG or PNG file)"))


class RequestForm(FlaskForm):
    note = TextAreaField(_l("Anything the admins should know (optional)"),
                         validators=[Text(1000, multiline=True)])  # fmt: skip


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


class _Requester(FlaskForm):
    """Who asks for a removal without an account, and where the answer goes."""

    name = StringField(_l("Your name"), validators=[Text(120, required=True)])
    email = StringField(_l("Your email, for our answer"),
                        validators=[Text(254, required=True, check=check_email)])  # fmt: skip
    #: The inquiry form's honeypot: hidden from people, filled in by robots.
    leave_empty = StringField(_l("Leave this empty"))


class RemovalRequestForm(_Requester):
    note = TextAreaField(_l("Anything the admins should know (optional)"),
                         validators=[Text(1000, multiline=True)])  # fmt: skip


class RemovalCodeRequestForm(_Requester):
    number = StringField(_l("Your license number"), validators=[Text(40, required=True)])
    legal_name = StringField(_l("Legal name, as on your license"),
                             validators=[Text(120, required=True)])  # fmt: skip
    birth_year = IntegerField(_l("Birth year"), validators=[Optional(), NumberRange(1900, 2015)])
    channel = StringField(_l("Send the code by"), validators=[OneOf()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.options = [
            ("sms", _("a text to the business phone of record")),
            ("letter", _("a letter to the practice address of record")),
        ]
        if not self.channel.data:
            self.channel.data = "sms"


class RemovalCodeForm(_Requester):
    code = StringField(_l("The code of record"), validators=[Text(20, required=True)])
