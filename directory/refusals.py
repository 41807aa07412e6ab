"""The one way an operation says no: an exception that carries its HTTP meaning.

Operations raise one of these and never commit, render or flash. The app's handler (web.py)
rolls the request's transaction back and answers: a rule's message on the page the view named
with `show_on` (else on an error page of the exception's status), a 403 for what the actor may
not do at all, a 409 for a change someone else made first, a 429 with Retry-After, or the API's
JSON error.
"""

from collections.abc import Callable

from flask import g
from werkzeug.wrappers import Response


class Refused(Exception):
    """A rule refuses this now; the message says why and is shown to the user as it is."""

    status = 400

    def __init__(self, message: str):
        message = str(message)  # a lazy_gettext message, in the language of this request
        super().__init__(message)
        self.message = message


class NotPermitted(Refused):
    """The actor may not do this at all (a 403); the message is for logs and tests only."""

    status = 403


class Conflict(Refused):
    """Someone else changed the same thing first (a 409); the message says what to do."""

    status = 409


class Throttled(Refused):
    """Too many attempts; the client should wait `retry_after` seconds (a 429)."""

    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


Page = str | Callable[[Refused], Response | tuple | str]


def show_on(page: Page, field=None, *, inline: bool = False) -> None:
    """Where a refusal of this request is shown: a URL to redirect to, or a callable that
    renders the page again from the refusal (the message is flashed either way, unless
    `inline`: the callable shows it itself, beside the form). With a form `field`, a re-rendered
    page also marks that field with the message."""

    def marked(error: Refused):
        field.errors = [*(field.errors or ()), error.message]
        return page(error)

    g._refusal_page = marked if field is not None and callable(page) else page
    g._refusal_inline = inline and callable(page)


def inline() -> bool:
    """Whether the page named with `show_on` says the refusal's message itself."""
    return g.get("_refusal_inline", False)


def page() -> Page | None:
    """The page the view named with `show_on`, if any."""
    return g.get("_refusal_page")
