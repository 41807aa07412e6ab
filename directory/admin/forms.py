"""The admin pages' forms: a reason, a set of licenses to decide on, a roster file."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Optional, ValidationError

from directory import licensing
from directory.practitioners.forms import Text
from directory.validation import is_row_id


class ReasonForm(FlaskForm):
    """A decision's reason (required by the operation where a reason is owed)."""

    reason = TextAreaField(_l("Reason"), validators=[Text(500, multiline=True)])


class BulkForm(FlaskForm):
    ids = SelectMultipleField(_l("Licenses"), coerce=int, validate_choice=False)

    def validate_ids(self, field) -> None:
        if not field.data:
            raise ValidationError("Tick the licenses to approve.")
        if not all(is_row_id(value) for value in field.data):
            raise ValidationError("That is not a license.")


class RosterForm(FlaskForm):
    """A board's roster file to apply, as `licenses sync` takes it: its source and the day it is
    as of (default: today, the day it was downloaded)."""

    source = SelectField(_l("Source"), validate_choice=True)
    file = FileField(_l("Roster file"), validators=[FileRequired(_l("Choose the roster file."))])
    file_date = DateField(_l("As of (YYYY-MM-DD)"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source.choices = [
            (name, f"{spec['name']} ({name})") for name, spec in licensing.roster_sources().items()
        ]


class RecheckForm(FlaskForm):
    """What "Still current" takes: the expiry date the board's lookup shows (in New York the
    registration's end), when it differs from the one on file."""

    expires_on = DateField(_l("Expiry date the lookup shows (YYYY-MM-DD)"), validators=[Optional()])
