"""Accounts: users, sign-up and sign-in, and how a browser session maps to a user."""

from flask_login import LoginManager

from directory.accounts import sessions
from directory.accounts.models import User
from directory.accounts.views import bp

__all__ = ["bp", "login_manager"]

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
# "basic": a session seen from another network or browser version stays signed in but is no
# longer fresh (sensitive actions ask for the password again). "strong" signed people out and
# deleted "keep me signed in" whenever a phone moved from Wi-Fi to mobile data. Each sign-in is
# a record of its own (accounts.sessions): ending it ends the session and its remember cookie.
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user whose sign-in the session cookie names, while that sign-in lasts."""
    return sessions.user_for(user_id)
