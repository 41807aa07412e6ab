"""The admin pages' forms: a reason, and a set of licenses to approve."""

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import ValidationError

from directory.practitioners.forms import Text
from directory.validation import is_row_id


class ReasonForm(FlaskForm):
    """A decision's reason (required by the operation where a reason is owed)."""

    reason = TextAreaField("Reason", validators=[Text(500, multiline=True)])


class BulkForm(FlaskForm):
    ids = SelectMultipleField("Licenses", coerce=int, validate_choice=False)

    def validate_ids(self, field) -> None:
        if not field.data:
            raise ValidationError("Tick the licenses to approve.")
        if not all(is_row_id(value) for value in field.data):
            raise ValidationError("That is not a license.")
