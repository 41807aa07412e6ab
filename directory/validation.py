"""Checks every text input shares, so forms, imports and the API agree on what is acceptable."""

import re
import unicodedata
from urllib.parse import urlsplit

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^[0-9+()\-. x]{7,40}$")


def clean_text(value: object, max_length: int, *, multiline: bool = False) -> str:
    """The value trimmed, or ValueError when it is not text, too long or has control characters.

    NUL and other control characters are refused on every database alike (PostgreSQL rejects
    NUL; SQLite would store it), tab and newlines only where multiline text is expected.
    """
    if not isinstance(value, str):
        raise ValueError("must be text")
    allowed = {"\n", "\r", "\t"} if multiline else set()
    for char in value:
        if char not in allowed and unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError("contains control characters")
    value = value.strip()
    if len(value) > max_length:
        raise ValueError(f"is longer than {max_length} characters")
    return value


def check_slug(value: str) -> str:
    """A slug: lowercase letters and digits in hyphen-separated words, at most 80 characters."""
    if not (isinstance(value, str) and SLUG.fullmatch(value) and len(value) <= 80):
        raise ValueError("must be lowercase letters, digits and single hyphens (at most 80)")
    return value


def check_url(value: str) -> str:
    """An http or https URL with a host; anything else (javascript:, data:) is refused."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError("must be a web address starting with http:// or https://")
    return value


def check_email(value: str) -> str:
    """A plausible email address."""
    if not EMAIL.fullmatch(value):
        raise ValueError("must be an email address like name@example.com")
    return value


def check_phone(value: str) -> str:
    """Digits with the usual separators."""
    if not PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < 7:
        raise ValueError("must be a phone number (digits, spaces, + ( ) - .)")
    return value
