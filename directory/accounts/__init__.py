"""Accounts: users, sign-up and sign-in, and how a browser session maps to a user."""

from flask_login import LoginManager
from sqlalchemy.exc import SQLAlchemyError

from directory.accounts.models import User
from directory.accounts.views import bp
from directory.db import db

__all__ = ["bp", "login_manager"]

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user a session cookie names, if its session version is still current."""
    uid, _, version = user_id.partition(":")
    if not (uid.isdigit() and version.isdigit()) or len(uid) > 18:
        return None
    try:
        user = db.session.get(User, int(uid))
    except SQLAlchemyError:
        return None
    if user is None or str(user.session_version) != version:
        return None
    return user
