"""Recent authentication: whether this browser proved who it is (password, and code if any)
recently enough for a sensitive action."""

import time

from flask import current_app, session
from flask_login import login_fresh

#: Session key: when (UTC epoch seconds) this browser last proved who it is.
KEY = "auth_at"


def mark() -> None:
    """Record that the signed-in user proved who they are just now."""
    session[KEY] = int(time.time())


def forget() -> None:
    """Forget when the user last proved who they are (on sign-out)."""
    session.pop(KEY, None)


def is_recent(max_age: int | None = None) -> bool:
    """Whether the user proved who they are within `max_age` seconds (default: the config's).

    A session restored from a remember-me cookie is never recent.
    """
    if max_age is None:
        max_age = current_app.config["FRESH_AUTH_SECONDS"]
    at = session.get(KEY)
    if not login_fresh() or not isinstance(at, int) or isinstance(at, bool):
        return False
    return time.time() - at <= max_age
