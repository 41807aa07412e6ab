"""The second step of every button that removes something: a page that names what goes, whose
own button (a POST with `confirm=1` and the CSRF token) is the only way to remove it.

A removal route loads and authorises its object first (so another practice's confirmation page
is the same 404 as its action), then answers `ask(...)` unless `given()`. It works without
JavaScript: the list's button posts without the field, or links to the route's GET, and both
show this page; nothing is removed on one click.
"""

from flask import render_template, request
from flask_babel import gettext as _

FIELD = "confirm"


def given() -> bool:
    """Whether this request is the confirmation page's own button."""
    return request.method == "POST" and request.form.get(FIELD) == "1"


def ask(*, title: str, what: str, action: str, back: str, detail: str = "",
        button: str = "", fields: dict | None = None, status: int = 200,
        destructive: bool = True):  # fmt: skip
    """The confirmation page: `what` names the object, `detail` what removing it means;
    `fields` are posted with the button (the profile's version, a secret key...). The button
    looks like a danger only when the action takes something away (`destructive`): publishing
    ticked profiles is confirmed too, but with the ordinary button."""
    page = render_template(
        "confirm.html", title=title, what=what, detail=detail, action=action, back=back,
        button=button or _("Remove"), fields=fields or {}, field=FIELD, destructive=destructive,
    )  # fmt: skip
    return page, status


def editor_fields(p) -> dict:
    """The profile editor's guards for a confirmed action: the version the page showed and the
    end-of-form sentinel (the editor refuses a post made on an older version, or cut off)."""
    return {"version": p.version, "form_complete": "1"}
