"""Password hashing and the password policy."""

import unicodedata
from functools import cache
from importlib import resources

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from directory.locales import number
from directory.validation import email_key

MIN_LENGTH = 12
MAX_LENGTH = 200


def hash_password(password: str) -> str:
    """A salted hash of `password` with the configured method."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify(stored_hash: str, password: str) -> bool:
    """Whether `password` matches `stored_hash` (False for a malformed hash)."""
    try:
        return check_password_hash(stored_hash, password)
    except ValueError:  # an unknown method or a damaged hash
        return False


def verify_nothing(password: str) -> None:
    """Spend the time a real check takes, so an unknown address answers as slowly as a known one."""
    verify(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not a password anyone has", method=method)


def needs_rehash(stored_hash: str) -> bool:
    """Whether `stored_hash` is weaker than the configured method (never when it is stronger)."""
    stored = stored_hash.split("$", 1)[0].split(":")
    wanted = current_app.config["PASSWORD_HASH_METHOD"].split(":")
    if stored[0] != wanted[0] or len(stored) != len(wanted):
        return True
    for have, want in zip(stored[1:], wanted[1:], strict=True):
        # scrypt's n, r, p and pbkdf2's iterations: a larger number is a stronger hash.
        if have.isdigit() and want.isdigit():
            if int(have) < int(want):
                return True
        elif have != want:  # another digest, e.g. pbkdf2:sha1 against pbkdf2:sha256
            return True
    return False


@cache
def common_passwords() -> frozenset[str]:
    """The packaged list of common passwords, lowercased."""
    text = resources.files("directory").joinpath("data/common-passwords.txt").read_text()
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why `password` is not acceptable for this user, or None when it is."""
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in password):
        return _("Password must not contain control characters.")
    if len(password) < MIN_LENGTH:
        return _("Password must be at least %(count)s characters long.", count=number(MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return _("Password must be at most %(count)s characters long.", count=number(MAX_LENGTH))
    lowered = password.lower()
    if len(set(lowered)) == 1:
        return _("Password must not be one character repeated.")
    if lowered in common_passwords():
        return _("That password is too common; choose one that is harder to guess.")
    if lowered in _personal_words(email, name):
        return _("Password must not be your email address or your name.")
    return None


def _personal_words(email: str, name: str) -> set[str]:
    email, name = email_key(email), name.strip().lower()
    words = {email, email.partition("@")[0], name, name.replace(" ", "")}
    return {w for w in words if w}
