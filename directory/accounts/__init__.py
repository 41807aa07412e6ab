"""Accounts: users, sign-up and sign-in, and how a browser session maps to a user."""

from flask import session
from flask_login import LoginManager, user_loaded_from_cookie
from flask_login.utils import _create_identifier

from directory.accounts import sessions
from directory.accounts.models import User
from directory.accounts.views import bp

__all__ = ["bp", "login_manager"]

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user whose sign-in the session cookie names, while that sign-in lasts."""
    return sessions.user_for(user_id)


@user_loaded_from_cookie.connect
def _bind_restored_session(sender, user) -> None:
    """A session restored from the remember-me cookie carries no browser identifier, and
    "strong" session protection then wipes it, cookie included, on the very next request:
    "Keep me signed in" lasted one page. Bind the restored session to this browser as
    login_user() does. (It stays non-fresh: sensitive actions still ask for the password.)"""
    session["_id"] = _create_identifier()
