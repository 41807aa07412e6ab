"""A request is the unit of work: a view that writes is marked `@unit_of_work`, and its changes
commit once, after it answered with a success (a status below 400).

Nothing else commits during a request but the named helpers in `directory.db`
(`without_write_lock`, `short_write`), each saying why. A refusal, an error or an error status
commits nothing: such a response is rolled back here, the error handlers (directory.web) roll
back before their page is drawn, and the request's teardown rolls back whatever is left
(Flask-SQLAlchemy removes the session).
What hangs off the commit happens only when it commits: mail is sent (directory.mail), stored
files are kept or removed (directory.stored), and the browser learns the newest search outbox
id its change wrote (read your writes, directory.search.outbox.SEEN).

Why a decorator on each write view, not an app-wide after-request step: a reader of the view
sees that it writes (STYLE.md: load, validate, call an operation, commit once, redirect); a GET
cannot commit by accident; and the commit runs inside the view's dispatch, so a commit that
fails reaches the same error handlers as the view (a race lost is a 409, the database away a
503) and mail can still wait for the response (after_this_request), neither of which holds
once Flask is running its after-request functions. tests/test_unit_of_work.py checks that
every route taking a POST carries it and that no view module calls commit() itself.
"""

import functools

from flask import make_response, session

from directory.db import db
from directory.search import outbox

#: Flask's session key for flashed messages (flask.helpers.flash).
_FLASHES = "_flashes"


def unit_of_work(view):
    """Commit the view's changes once, when it answers below 400 (see the module's docstring)."""

    @functools.wraps(view)
    def committing(*args, **kwargs):
        told = list(session.get(_FLASHES, ()))
        response = make_response(view(*args, **kwargs))
        if response.status_code >= 400:
            db.session.rollback()  # a page that refuses keeps nothing of what was tried
            return response
        try:
            seen = outbox.last_written(db.session)
            db.session.commit()
        except Exception:
            # The success the view announced did not happen: the error's page says what did.
            if told:
                session[_FLASHES] = told
            else:
                session.pop(_FLASHES, None)
            raise
        if seen:
            session[outbox.SEEN] = seen
        return response

    committing.unit_of_work = True
    return committing
