"""Signed-in devices: one server-side record per sign-in, named by the cookie.

The browser's cookie (and its remember-me cookie) carries a random key; the database keeps only
the key's SHA-256, with when the sign-in began, when it was last used, what browser and which
network it came from. Signing out deletes the record, so a copied cookie dies with it; ending
every session (a new password, admin promotion, deactivation) deletes them all. A record not
used for SESSION_IDLE_DAYS, or older than SESSION_MAX_DAYS, no longer signs anyone in.
"""

import hashlib
import ipaddress
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context, request
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user
from sqlalchemy import ForeignKey, Index, Select, String, delete, select, update
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from directory.accounts import freshness
from directory.accounts.models import User
from directory.db import UTCDateTime, db, now_utc, short_write
from directory.validation import email_is

#: What a Flask-Login user id looks like: "s:" and the key (secrets.token_urlsafe(32)).
PREFIX = "s:"
_KEY = re.compile(r"[A-Za-z0-9_-]{43}")
#: A record's "last seen" is written at most this often (a write per request would be a write
#: lock per page view on SQLite).
TOUCH_EVERY = timedelta(minutes=5)


class UserSession(db.Model):
    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_id_last_seen_at", "user_id", "last_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    #: SHA-256 (hex) of the key the cookie carries: a copy of this table signs nobody in.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: "Firefox on macOS": enough to recognise a device, not the whole user agent.
    device: Mapped[str] = mapped_column(String(60), default="")
    #: The network, not the address: "203.0.113.0/24", "2001:db8:1::/48".
    network: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship()

    @property
    def network_label(self) -> str:
        """The network as people can read it: "203.0.113.x", "2001:db8:1:…"."""
        if self.network.endswith("/24"):
            return self.network[: -len("0/24")] + "x"
        if self.network.endswith("::/48"):
            return self.network[: -len("::/48")] + ":…"
        return self.network

    def expires_at(self) -> datetime:
        """When this sign-in stops working if nobody uses it again."""
        idle, longest = lifetimes()
        return min(self.last_seen_at + idle, self.created_at + longest)


def lifetimes() -> tuple[timedelta, timedelta]:
    """(idle, absolute): how long a sign-in lasts unused, and at most."""
    config = current_app.config
    return timedelta(days=config["SESSION_IDLE_DAYS"]), timedelta(days=config["SESSION_MAX_DAYS"])


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User, *, user_agent: str = "", ip: str = "") -> str:
    """A new sign-in of `user` on one device; returns the cookie's user id for it (and sets it
    on `user`, for Flask-Login's login_user). Flushes, never commits."""
    key = secrets.token_urlsafe(32)
    now = now_utc()
    idle, longest = lifetimes()
    # The account's dead sign-ins go when it signs in again (nothing else needs to sweep).
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            (UserSession.last_seen_at < now - idle) | (UserSession.created_at < now - longest),
        )
    )
    record = UserSession(
        user_id=user.id,
        key_hash=_digest(key),
        created_at=now,
        last_seen_at=now,
        device=device_of(user_agent),
        network=network_of(ip),
    )
    db.session.add(record)
    db.session.flush()
    user.session_key = PREFIX + key
    _remember(record)
    return user.session_key


def sign_in_browser(user: User, *, remember: bool = False) -> None:
    """This browser signs in as `user`: a session record of its own, Flask-Login's cookie (never
    a long-lived one for a platform admin) and a fresh proof of who it is. Commit afterwards."""
    start(user, user_agent=request.headers.get("User-Agent", ""), ip=request.remote_addr or "")
    login_user(user, remember=bool(remember) and not user.is_admin)
    freshness.mark()


def user_for(user_id: str) -> User | None:
    """The user a cookie's user id signs in, or None (unknown, ended, expired, deactivated)."""
    if not user_id.startswith(PREFIX) or not _KEY.fullmatch(user_id[len(PREFIX) :]):
        return None
    now = now_utc()
    idle, longest = lifetimes()
    # A database that does not answer is not a sign-out: the error reaches the app's 503.
    record = db.session.scalar(
        select(UserSession)
        .options(joinedload(UserSession.user))
        .where(UserSession.key_hash == _digest(user_id[len(PREFIX) :]))
    )
    if record is None or record.last_seen_at < now - idle or record.created_at < now - longest:
        return None
    if not record.user.is_active:
        return None
    record.user.session_key = user_id
    _remember(record)
    return record.user


def _remember(record: UserSession) -> None:
    if has_request_context():
        g.user_session_id = record.id
        g.user_session_seen = record.last_seen_at


def networks_of(email_key: str) -> Select:
    """The networks (IPv4 /24, IPv6 /48) the account using `email_key` (lowercased) has
    sign-ins from, as a subquery: by address, so an address without an account costs the same
    query (and has none). Signing out of a device forgets its network."""
    return (
        select(UserSession.network)
        .join(User, User.id == UserSession.user_id)
        .where(email_is(User.email, email_key), UserSession.network != "")
    )


def current_id() -> int | None:
    """The id of this browser's session record, when it is signed in."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return g.get("user_session_id")


def touch() -> None:
    """Note that this browser's session is in use (before the view runs, in a short write of
    its own, at most every TOUCH_EVERY)."""
    if request.endpoint in (None, "static") or not current_user.is_authenticated:
        return
    seen = g.get("user_session_seen")
    now = now_utc()
    if seen is None or now - seen < TOUCH_EVERY:
        return
    # Its own short write, whatever the view then does (and on a GET, which takes no write lock).
    with short_write():
        db.session.execute(
            update(UserSession).where(UserSession.id == g.user_session_id).values(last_seen_at=now)
        )
    g.user_session_seen = now


def active(user: User) -> list[UserSession]:
    """The user's sign-ins that still work: this browser's first, then the most recently used."""
    now = now_utc()
    idle, longest = lifetimes()
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.last_seen_at >= now - idle,
                UserSession.created_at >= now - longest,
            )
            .order_by(
                (UserSession.id == (current_id() or 0)).desc(),
                UserSession.last_seen_at.desc(),
                UserSession.id.desc(),
            )
        )
    )


def end(user: User, session_id: int) -> str | None:
    """End one of `user`'s sign-ins; returns its device name (None: not theirs, or already
    ended). Flushes."""
    record = db.session.scalar(
        select(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    if record is None:
        return None
    db.session.delete(record)
    db.session.flush()
    return record.device or "Unknown browser"


def end_all(user: User) -> int:
    """End every sign-in of `user`, and any sign-in waiting for its second step; returns how
    many sessions ended. Flushes."""
    result = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    user.session_version += 1  # a password accepted before, still waiting for its code
    db.session.flush()
    return result.rowcount or 0


# --- What a record shows of a device ----------------------------------------------------------

#: (pattern, name) in order: the first that matches names it ("Edg/" before "Chrome/", which
#: Edge's user agent also carries; "Chrome/" before "Safari/", likewise).
_BROWSERS = (
    (r"Edg(?:e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
    (r"curl/|python-requests|Wget/", "Script"),
)
_SYSTEMS = (
    (r"Windows", "Windows"),
    (r"iPhone|iPad|iPod", "iOS"),
    (r"Android", "Android"),
    (r"CrOS", "ChromeOS"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"Linux", "Linux"),
)


def device_of(user_agent: str) -> str:
    """A short, recognisable name for a browser: "Firefox on macOS", "Unknown browser"."""
    user_agent = (user_agent or "")[:512]
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown browser")


#: How device_of phrases a name (kept in English with the sign-in), and so how `said` reads it.
_DEVICE_ON = re.compile(r"^(.+) on (.+)$")


def said(device: str) -> str:
    """A device's name, as device_of kept it, in the reader's language ("Firefox en Linux")."""
    if not device or device == "Unknown browser":
        return _("Unknown browser")
    found = _DEVICE_ON.match(device)
    if found is None:
        return device
    browser, system = found.groups()
    if browser == "A browser":
        return _("A browser on %(system)s", system=system)
    return _("%(browser)s on %(system)s", browser=browser, system=system)


def connection_of(ip: str) -> str:
    """What a throttle counts as one client: an IPv4 address, or an IPv6 address's /64 (one
    subscriber holds a whole /64); what is not an address, as it is (at most 64 characters)."""
    return network_of(ip, v4=32, v6=64) or (ip or "")[:64]


def network_of(ip: str, *, v4: int = 24, v6: int = 48) -> str:
    """The network an address belongs to (/24 for IPv4, /48 for IPv6 unless said), never the
    address; "" for what is not an address. An IPv4 address mapped into IPv6 is IPv4."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return ""
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = v4 if address.version == 4 else v6
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
# "basic": a session seen from another network or browser version stays signed in but is no
# longer fresh (sensitive actions ask for the password again). "strong" signed people out and
# deleted "keep me signed in" whenever a phone moved from Wi-Fi to mobile data. Each sign-in is
# a record of its own (see above): ending it ends the session and its remember cookie.
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user whose sign-in the session cookie names, while that sign-in lasts."""
    return user_for(user_id)
