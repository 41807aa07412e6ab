"""The inquiry form a client fills in on a profile or practice page."""

import time

from flask import current_app, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import ValidationError

from directory import locales, vocabulary
from directory.db import db
from directory.inquiries.models import CONTACT_WAYS
from directory.practitioners.forms import OneOf, Text
from directory.validation import check_email, check_phone
from directory.vocabulary import Condition

MESSAGE_MAX = 2000
#: The session key of what a client just sent, shown once in place of the form.
SENT = "inquiry_sent"


def remember_sent(recipient, email: str, contact: str, about: str) -> None:
    """What the client sent, shown once on the page they return to instead of an empty form.
    Not the text: the session cookie is not the place for it (they have it in their mail)."""
    session[SENT] = {"to": recipient.key, "email": email, "contact": contact, "about": about}


def just_sent(recipient) -> dict | None:
    """What the client sent to `recipient`, once, on the page they were sent back to."""
    if request.method != "GET" or session.get(SENT, {}).get("to") != recipient.key:
        return None
    return session.pop(SENT)


def sent_headers(sent: dict | None) -> dict:
    """Headers of a page showing what `just_sent` returned: it names the client's address, so
    no cache may keep that copy."""
    return {"Cache-Control": "no-store"} if sent else {}


#: A form older than this is refused (and shown again, with what was typed, to send anew):
#: the life of its CSRF token (WTF_CSRF_TIME_LIMIT), which would refuse it anyway.
def form_max_age() -> int:
    return current_app.config["WTF_CSRF_TIME_LIMIT"] or 24 * 3600


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="inquiry.form")


def opened_stamp() -> str:
    """The signed moment the form was shown, carried by the form."""
    return _signer().sign("inquiry").decode()


def seconds_since(stamp: str | None) -> float | None:
    """Seconds since the form carrying `stamp` was shown; None if it is not ours or too old."""
    if not stamp or len(stamp) > 200:
        return None
    try:
        _, at = _signer().unsign(stamp, max_age=form_max_age(), return_timestamp=True)
    except (BadSignature, SignatureExpired):
        return None
    return time.time() - at.timestamp()


class InquiryForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[Text(120, required=True)])
    email = StringField(_l("Your email"), validators=[Text(254, required=True, check=check_email)])
    phone = StringField(_l("Your phone (optional)"), validators=[Text(40, check=check_phone)])
    about = StringField(_l("What it is about (optional)"), validators=[OneOf()])
    message = TextAreaField(
        _l("Your message"), validators=[Text(MESSAGE_MAX, multiline=True, required=True)]
    )
    preferred_contact = StringField(_l("How should they answer?"), validators=[OneOf()])
    consent = BooleanField(_l("I agree"))
    #: Left empty by people (it is hidden from them); filled in by form-filling robots. Not
    #: named like anything a browser's autofill knows.
    leave_empty = StringField(_l("Leave this empty"))
    opened = HiddenField()

    def __init__(self, *args, featured=(), featured_label="", **kwargs):
        super().__init__(*args, **kwargs)
        conditions = [(t.slug, locales.term_name(t.slug)) for t in vocabulary.conditions()]
        # The recipient's own conditions first (what a client most likely writes about), then
        # the rest: a client may ask about something not on the list, and a topic carried over
        # from their search (?about=) stays choosable.
        own = {c.slug for c in featured}
        mine = [c for c in conditions if c[0] in own]
        rest = [c for c in conditions if c[0] not in own]
        self.about.options = [("", _("Not specified")), *mine, *rest]
        #: The options in groups for the page: (label, options); one unlabelled group if none.
        self.about.groups = (
            [(featured_label, mine), (_("Other topics"), rest)] if mine else [("", conditions)]
        )
        ways = {"email": _("By email"), "phone": _("By phone")}
        self.preferred_contact.options = [(way, ways.get(way, way)) for way in CONTACT_WAYS]
        if not self.preferred_contact.data:
            self.preferred_contact.data = "email"
        if not self.about.data:
            self.about.data = ""
        if not self.opened.data or not self.is_submitted():
            self.opened.data = opened_stamp()

    def validate_message(self, field) -> None:
        if field.data and len(field.data.strip()) < 10:
            raise ValidationError(_("Please say a little more: what would you like to ask?"))

    def validate_preferred_contact(self, field) -> None:
        if field.data == "phone" and not (self.phone.data or "").strip():
            raise ValidationError(_("Add your phone number, or choose to be answered by email."))

    def validate_consent(self, field) -> None:
        if not field.data:
            raise ValidationError(
                _("Please tick the box: we can only pass your message on with your agreement.")
            )

    @property
    def first_invalid(self) -> str:
        """The name of the first field with an error, which takes the focus when shown."""
        return next((name for name, field in self._fields.items() if field.errors), "")

    def condition(self) -> Condition | None:
        slug = self.about.data
        return db.session.scalar(select(Condition).where(Condition.slug == slug)) if slug else None

    def fresh_stamp(self) -> None:
        """Shown again after a refusal: the next post is timed from now."""
        self.opened.data = opened_stamp()


def for_profile(practitioner, **kwargs) -> InquiryForm:
    """The inquiry form on a therapist's profile: their own conditions first in its topics."""
    label = _("%(name)s works with", name=practitioner.name)
    return InquiryForm(featured=practitioner.conditions, featured_label=label, **kwargs)
