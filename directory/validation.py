"""Checks every text input shares, so forms, imports and the API agree on what is acceptable;
and the one way slugs are made from names."""

import re
import unicodedata
from collections.abc import Container
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select

from directory import vocabulary
from directory.db import db
from directory.locales import number

#: A slug's shape, unanchored (a URL converter's regex takes it as is): lowercase ASCII letters
#: and digits in words joined by single hyphens. Profiles, practices and vocabulary terms alike.
SLUG_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
SLUG = re.compile(rf"^{SLUG_PATTERN}$")
#: The longest slug (the columns are 80 characters).
MAX_SLUG = 80
#: The largest row id: ids are 32-bit integer columns on PostgreSQL (and SQLite takes the same).
MAX_ID = 2**31 - 1
_WHOLE = re.compile(r"[0-9]{1,18}")
#: No characters with a meaning in a mail header (a list, a display name, an encoded word).
EMAIL = re.compile(r'^[^@\s,;:<>()\[\]\\"=?]+@[^@\s,;:<>()\[\]\\"=?]+\.[A-Za-z]{2,}$')
PHONE = re.compile(r"^[0-9+()\-. x]{7,40}$")


def whole_number(raw: object, low: int, high: int) -> int | None:
    """`raw` as a whole number from `low` to `high`, else None. ASCII digits only: "²", "①" and
    other Unicode digits, signs, spaces and "1e3" are not numbers here."""
    if not isinstance(raw, str) or not _WHOLE.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def is_row_id(value: object) -> bool:
    """Whether `value` is an int that can be a row id (1 to MAX_ID; True and False are not): the
    one test of an id from outside (a URL, a form, a signed token, a session) before a query,
    where a larger one would overflow the database's integer."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def row_id(raw: object) -> int | None:
    """The row id written in `raw` (ASCII digits, is_row_id), else None."""
    return whole_number(raw, 1, MAX_ID)


def clean_text(value: object, max_length: int, *, multiline: bool = False) -> str:
    """The value trimmed, or ValueError when it is not text, too long or has control characters.

    NUL and other control characters are refused on every database alike (PostgreSQL rejects
    NUL; SQLite would store it), tab and newlines only where multiline text is expected.
    """
    if not isinstance(value, str):
        raise ValueError(_("must be text"))
    allowed = {"\n", "\r", "\t"} if multiline else set()
    # One line is one line: the Unicode line and paragraph separators break a mail header too.
    refused = ("Cc", "Cs") if multiline else ("Cc", "Cs", "Zl", "Zp")
    for char in value:
        if char not in allowed and unicodedata.category(char) in refused:
            raise ValueError(_("contains control characters"))
    if multiline:
        # Browsers send a textarea's line breaks as CRLF: stored as "\n", one way for every
        # source (form, import, API), and counted as one character as the browser counts it.
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.strip()
    if len(value) > max_length:
        raise ValueError(_("is longer than %(most)s characters", most=number(max_length)))
    return value


def is_slug(value: object) -> bool:
    """Whether `value` is a slug: text of SLUG's shape, at most MAX_SLUG characters. The one
    test of a slug from outside (a URL, a query string, a form, an import line)."""
    return isinstance(value, str) and len(value) <= MAX_SLUG and SLUG.fullmatch(value) is not None


def check_slug(value: str) -> str:
    """A slug (is_slug), else ValueError."""
    if not is_slug(value):
        raise ValueError(
            _(
                "must be lowercase letters, digits and single hyphens (at most %(most)s)",
                most=number(MAX_SLUG),
            )
        )
    return value


#: Longest slug made from a name, leaving room for a "-2"... suffix within MAX_SLUG.
MAX_SLUG_BASE = 70


def slug_base(text: str, fallback: str) -> str:
    """The name's words as a slug of whole words ("Café Zoë & Co.!" -> "cafe-zoe-co"), at most
    MAX_SLUG_BASE characters; `fallback` when no word is left."""
    base = ""
    for word in vocabulary.normalize(text).split():
        candidate = f"{base}-{word}" if base else word
        if len(candidate) > MAX_SLUG_BASE:
            break
        base = candidate
    return base or fallback


def numbered(base: str, taken: Container[str]) -> str:
    """`base`, else the first of base-2, base-3... that is not taken."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


#: How many numbered slugs unique_slug asks about at first (doubled while all are taken).
SLUG_PROBES = 8


def slugs_among(column, candidates: list[str]):
    """The rows' slugs in `column` that are one of `candidates` whatever their case (the
    lower(slug) index answers it)."""
    return select(column).where(func.lower(column).in_(candidates))


def unique_slug(column, text: str, fallback: str) -> str:
    """A slug from `text` that no row has in `column` yet ("ana-ruiz", else "ana-ruiz-2"...),
    whatever the case of the row's slug ("Ana-Ruiz-2" takes "ana-ruiz-2"). It asks for the
    candidates themselves, `lower(slug) IN (...)`, which the lower(slug) index answers; a
    LIKE 'ana-ruiz-%' read the whole table on SQLite (its LIKE ignores case, so no index
    serves it): 100,000 rows for each name already taken while a seed made listings."""
    base = slug_base(text, fallback)
    taken: set[str] = set()
    asked: set[str] = set()
    first, last = 1, 1 + SLUG_PROBES  # base is number 1; base-2, base-3... follow
    while True:
        batch = [base if n == 1 else f"{base}-{n}" for n in range(first, last + 1)]
        asked.update(batch)
        taken.update(slug.lower() for slug in db.session.scalars(slugs_among(column, batch)))
        made = numbered(base, taken)
        if made in asked:
            return made
        first, last = last + 1, last * 2


def check_url(value: str) -> str:
    """An http or https URL with a host; anything else (javascript:, data:) is refused."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError(_("must be a web address starting with http:// or https://"))
    return value


def check_https_url(value: str) -> str:
    """An https URL with a host (a booking page takes payment details: never plain http)."""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or " " in value:
        raise ValueError(_("must be a secure web address starting with https://"))
    return value


def check_email(value: str) -> str:
    """A plausible email address."""
    if not EMAIL.fullmatch(value):
        raise ValueError(_("must be an email address like name@example.com"))
    return value


def email_key(address: str) -> str:
    """An email address as the directory compares it: trimmed and lowercased, so "Ana@X.org "
    and "ana@x.org" are one address (accounts, invitations, sender blocks and limits alike)."""
    return address.strip().lower()


def same_email(a: str, b: str) -> bool:
    """Whether two addresses are one (email_key)."""
    return email_key(a) == email_key(b)


def email_is(column, address: str) -> ColumnElement[bool]:
    """SQL: the address stored in `column` is `address` (email_key). Stored addresses are
    trimmed when they are written; lower() is what the unique index on users' lower(email)
    holds, so the lookup uses it."""
    return func.lower(column) == email_key(address)


def check_phone(value: str) -> str:
    """Digits with the usual separators."""
    if not PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < 7:
        raise ValueError(_("must be a phone number (digits, spaces, + ( ) - .)"))
    return value
