"""The optional second factor: time-based one-time codes (TOTP) from an authenticator app.

Plain functions that change the user and flush, never commit: the view commits once.
"""

import hmac
import time

import pyotp
from flask import current_app

from directory import audit
from directory.accounts.models import User
from directory.db import db

ISSUER = "Kneaded"
#: Seconds per code, as every authenticator app assumes.
STEP_SECONDS = 30
#: Steps either side of the current one that are accepted (clocks drift, people type slowly).
VALID_WINDOW = 1


def new_secret() -> str:
    """A random base32 secret (160 bits) for a new authenticator."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code, or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def verify(user: User, code: str, secret: str | None = None) -> bool:
    """Whether `code` is right for `secret` (default: the user's) and not used before.

    The accepted step is recorded on the user, so the same code never works twice.
    """
    secret = secret or user.totp_secret
    code = normalize(code)
    if not secret or code is None:
        return False
    totp = pyotp.TOTP(secret)
    current = int(_now()) // STEP_SECONDS
    last = user.totp_last_step if user.totp_last_step is not None else -1
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if step > last and hmac.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            db.session.flush()
            return True
    return False


def normalize(code: str | None) -> str | None:
    """`code` without spaces when it is six ASCII digits, else None."""
    if not isinstance(code, str):
        return None
    code = "".join(code.split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    return code


def enable(user: User, secret: str, code: str) -> bool:
    """Turn the second factor on with `secret` if `code` proves the app has it (False if not)."""
    if not verify(user, code, secret):
        return False
    user.totp_secret = secret
    db.session.flush()
    audit.record("account.totp_enabled", actor=user, subject=user)
    return True


def disable(user: User) -> None:
    """Turn the second factor off."""
    user.totp_secret = None
    db.session.flush()
    audit.record("account.totp_disabled", actor=user, subject=user)


def needs_totp_setup(user: User) -> bool:
    """Whether `user` is an admin who must set up a second factor before going on."""
    return is_required(user) and not user.totp_secret


def is_required(user: User) -> bool:
    """Whether the instance requires a second factor of `user` (so it may not be turned off)."""
    return bool(current_app.config["ADMIN_REQUIRE_TOTP"] and user.is_admin)


def _now() -> float:
    # One place for the clock, so tests can move it.
    return time.time()
