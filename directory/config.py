"""Configuration: defaults, then instance/config.py, then the environment."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask


class Defaults:
    #: Set from the instance folder when not given; see load().
    SQLALCHEMY_DATABASE_URI: str | None = None
    #: Files derived from the code and its data, kept so a new process opens them instead of
    #: building them (warmup.py); `<instance>/cache` when not given.
    CACHE_FOLDER: str | None = None
    #: hide_parameters: a database error (logged with its traceback) or SQL echo never shows
    #: the values of a statement, which may be a client's message or a password hash.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    #: SQLite's `PRAGMA synchronous` on every connection (extensions.listen_to_engines). FULL:
    #: a commit is on disk before it is acknowledged, surviving power loss too (WAL with NORMAL
    #: survives only a crash of the process; OFF not even that). The tests relax it: their
    #: databases are thrown away.
    SQLITE_SYNCHRONOUS = "FULL"
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    #: An admin's roster upload (/admin/rosters): larger than any other body, and applied in
    #: the request, so kept to what a worker applies well within its timeout (gunicorn.conf.py);
    #: a whole board's file goes through `licenses sync` instead.
    ROSTER_UPLOAD_MAX_BYTES = 32 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Secure cookies everywhere but plain-HTTP local development (see load()).
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    #: The cookie may live as long as a sign-in can; the server ends it sooner (below).
    REMEMBER_COOKIE_DURATION = timedelta(days=60)
    #: A sign-in ends after this many days unused, and this many days after it began, whatever
    #: the cookies say (accounts.sessions).
    SESSION_IDLE_DAYS = 14
    SESSION_MAX_DAYS = 60
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = 3600 * 4
    #: Whether an indexer process (`search drain --forever`) keeps this node's search index:
    #: then /readyz fails while its heartbeat is missing or stale (directory/search/indexer.py).
    #: gunicorn.conf.py sets it when it starts the indexer; set it where the indexer is a
    #: service of its own. Off (tests, `make dev`): searches catch the index up themselves.
    SEARCH_INDEXER_EXPECTED = False
    #: Per-page size of public listings.
    PER_PAGE = 20
    #: URLs per child sitemap (the sitemap protocol allows 50,000).
    SITEMAP_URLS = 50_000
    #: Seconds between rebuilds of the sitemaps' plan (which landing pages are listed, where each
    #: child sitemap starts) and of the child sitemap files of profiles by the indexer, and that
    #: a worker without a fresh plan file keeps the one it built (0: never kept, no files, every
    #: request reads the data; directory/public/sitemaps.py).
    SITEMAP_CACHE_SECONDS = 600
    #: werkzeug hash method for new passwords; weaker stored hashes are upgraded at sign-in.
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"
    #: The site's address as visitors reach it: links in mail are built from it, never from Host.
    PUBLIC_URL = "http://127.0.0.1:5000"
    #: Seconds an email-confirmation link and a password-reset link stay valid.
    EMAIL_TOKEN_MAX_AGE = 3 * 24 * 3600
    PASSWORD_RESET_MAX_AGE = 3600
    #: How long an invitation link into a practice works (seconds).
    INVITATION_MAX_AGE = 7 * 24 * 3600
    #: Days a claim letter's code works (it travels by post), and minutes a texted code works.
    CLAIM_LETTER_DAYS = 30
    CLAIM_SMS_MINUTES = 15
    #: Days a decided claim or removal request keeps who asked (a requester's name, email and
    #: note, a license document): `flask inquiries purge`, the daily job, deletes them after.
    CLAIM_RETENTION_DAYS = 180
    #: The SMS provider's backend (directory.listings.sms.BACKENDS): "logging" writes texts
    #: to the log and the mail outbox instead of sending them (development and tests).
    SMS_BACKEND = "logging"
    #: Failed sign-ins allowed within LOGIN_THROTTLE_SECONDS before a 429: on one address from
    #: one IP (an IPv6 /64), and from one IP on any addresses. Failures on an address from all
    #: IPs together that mark it as under attack: from then on each network (an IPv4 /24, an
    #: IPv6 /48) gets one try at it. Failures on an address from networks its account has no
    #: sign-in from within LOGIN_CEILING_SECONDS, above which only networks it has sign-ins
    #: from get tries.
    #: Why these numbers: accounts.operations._check_throttle.
    LOGIN_FAILURES_PER_ACCOUNT_AND_IP = 5
    LOGIN_FAILURES_PER_IP = 20
    LOGIN_FAILURES_UNDER_ATTACK = 50
    LOGIN_FAILURES_CEILING = 100
    LOGIN_THROTTLE_SECONDS = 15 * 60
    LOGIN_CEILING_SECONDS = 24 * 3600
    #: Password-reset requests accepted within RESET_THROTTLE_SECONDS before a 429: for one
    #: address (with an account or not: the refusal tells nothing), from one IP (an IPv6 /64),
    #: and from one network (an IPv4 /24, an IPv6 /48). An address without an account is sent
    #: its note at most once a day whatever these say. Why these numbers:
    #: accounts.operations._check_reset_limits.
    RESET_REQUESTS_PER_ADDRESS = 3
    RESET_REQUESTS_PER_IP = 10
    RESET_REQUESTS_PER_NETWORK = 30
    RESET_THROTTLE_SECONDS = 3600
    #: Days an inquiry's text is kept (`flask inquiries purge` deletes it after that).
    INQUIRY_RETENTION_DAYS = 180
    #: Seconds a person needs at least to fill in the inquiry form; faster posts are refused.
    INQUIRY_MIN_SECONDS = 3
    #: Inquiries accepted per IP (an IPv6 /64), per recipient, and per sender's address, within
    #: INQUIRY_LIMIT_SECONDS.
    INQUIRY_LIMIT_PER_IP = 5
    INQUIRY_LIMIT_PER_RECIPIENT = 20
    INQUIRY_LIMIT_PER_SENDER = 5
    INQUIRY_LIMIT_SECONDS = 3600
    #: Links a message may carry (spam carries many).
    INQUIRY_MAX_LINKS = 2
    #: Replies marked on a profile's inquiries before it says "Usually replies within N days".
    INQUIRY_REPLIES_FOR_TYPICAL = 3
    #: Seconds between each process's writes of the profile views and search appearances it
    #: counted (directory/insights/tally.py); 0: written only when asked (tests).
    INSIGHTS_FLUSH_SECONDS = 5
    #: Seconds between the indexer's writes of what the web processes counted: each is a short
    #: write transaction, so few of them (the insights pages are at most this much behind).
    INSIGHTS_FOLD_SECONDS = 30
    #: Seconds a sign-in counts as recent: sensitive actions (turning off the second factor)
    #: ask for the password, and the code if there is one, again after that.
    FRESH_AUTH_SECONDS = 15 * 60
    #: Whether platform admins must use a second factor (TOTP). Set True in instance/config.py
    #: to require it: admins without one are sent to set it up and may not turn it off.
    ADMIN_REQUIRE_TOTP = False
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted
    #: (ProxyFix); 0 trusts none. Set it to exactly the number of proxies: one more lets a
    #: client pick its own IP address (and escape the sign-in throttle).
    PROXY_FIX_HOPS = 0
    #: Without a host, mail is only stored (see `flask mail list`); with one it is also sent.
    MAIL_SMTP_HOST: str | None = None
    MAIL_SMTP_PORT = 587
    MAIL_SMTP_USERNAME: str | None = None
    MAIL_SMTP_PASSWORD: str | None = None
    MAIL_SMTP_STARTTLS = True
    MAIL_SENDER = "Kneaded <no-reply@localhost>"
    #: The results page's map: tiles from here ({z}/{x}/{y}; "" shows no map). OpenStreetMap's
    #: tile policy asks for the attribution below and a light load; a busy site uses its own
    #: tile server or a provider's. The Content-Security-Policy allows exactly this host.
    MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    #: The tiles' credit (HTML), shown as set in every language; None: OpenStreetMap's credit
    #: in the reader's language (templates/search/index.html), for OpenStreetMap's tiles.
    MAP_ATTRIBUTION: str | None = None


#: Keys this version no longer reads, and what to set instead: an instance still setting one
#: would silently lose what it asked for, so the app refuses to start (load()).
RETIRED = {
    "LOGIN_FAILURES_PER_ACCOUNT": (
        "the sign-in throttle no longer counts an address's failures from everywhere (a "
        "stranger could lock its owner out): set LOGIN_FAILURES_PER_ACCOUNT_AND_IP (failures "
        "on one address from one IP), LOGIN_FAILURES_PER_IP, LOGIN_FAILURES_UNDER_ATTACK or "
        "LOGIN_FAILURES_CEILING instead; the README's section on sign-ins says what each does"
    ),
}


def _refuse_retired(config) -> None:
    for key, instead in RETIRED.items():
        if key in config:
            raise RuntimeError(
                f"{key} is set (in instance/config.py or as FLASK_{key}) but no longer read: "
                f"{instead}."
            )


#: The values SQLITE_SYNCHRONOUS may take (SQLite's own names).
SQLITE_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def _sqlite_synchronous(value) -> str:
    name = str(value).upper()
    if name not in SQLITE_SYNCHRONOUS:
        raise RuntimeError(
            f"SQLITE_SYNCHRONOUS is {value!r}: use one of {', '.join(SQLITE_SYNCHRONOUS)}."
        )
    return name


def _database_url(url: str) -> str:
    # Heroku-style and bare PostgreSQL URLs get the driver we ship (psycopg 3).
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _secret_key(instance: Path) -> str:
    path = instance / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def load(app: Flask, overrides: dict | None = None) -> None:
    """Fill app.config: defaults, instance/config.py, the environment, then test overrides."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    # FLASK_<KEY> variables, JSON-decoded (FLASK_SESSION_COOKIE_SECURE=false for plain local HTTP).
    app.config.from_prefixed_env()
    if url := os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if key := os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = key
    app.config.update(overrides or {})
    _refuse_retired(app.config)
    app.config["SQLITE_SYNCHRONOUS"] = _sqlite_synchronous(app.config["SQLITE_SYNCHRONOUS"])
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'directory.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)
    app.config["CACHE_FOLDER"] = app.config.get("CACHE_FOLDER") or str(instance / "cache")
    if app.debug or app.config.get("DEV_INSECURE_COOKIES"):
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = False
