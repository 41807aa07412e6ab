"""What every response gets: security headers, error pages (JSON under /api/ and /hsds/), a last
resort."""

import contextlib
import functools
import logging
import re
import threading
import time
import zlib
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from flask import (
    Flask,
    Request,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import exc as orm_exc
from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
    TooManyRequests,
    UnsupportedMediaType,
)
from werkzeug.exceptions import Conflict as ConflictError
from werkzeug.routing import BaseConverter, ValidationError

from directory import audit, i18n, licensing, locales, paging, refusals
from directory.accounts import sessions
from directory.db import db, first_line, now_utc, unavailable
from directory.listings import seed
from directory.locales import ngettext
from directory.mail import public_url
from directory.validation import MAX_ID, SLUG_PATTERN, is_slug, row_id, whole_number

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def tile_source(tile_url: str) -> str | None:
    """The CSP source of a map tile URL ("https://tile.openstreetmap.org"; a "{s}." subdomain
    becomes "*."); None without a map."""
    parts = urlsplit(tile_url or "")
    if parts.scheme != "https" or not parts.netloc:
        return None
    return f"https://{parts.netloc.replace('{s}.', '*.')}"


def csp_for(app: Flask, frameable: bool = False) -> str:
    """The Content-Security-Policy: our own origin, and images from exactly the map's tile host."""
    policy = CSP
    if source := tile_source(app.config.get("MAP_TILE_URL", "")):
        policy += f"; img-src 'self' {source}"
    if frameable:
        policy = policy.replace("frame-ancestors 'none'", "frame-ancestors *")
    return policy


ERROR_CODES = (400, 403, 404, 405, 409, 413, 415, 429, 500, 503)
ERROR_TITLES = {
    400: _l("That request did not make sense"),
    403: _l("You may not do that"),
    404: _l("Page not found"),
    405: _l("Not allowed here"),
    409: _l("That changed meanwhile"),
    413: _l("That was too large"),
    415: _l("We could not read that"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("Back in a moment"),
}
#: What an error page says when the error came with no words of its own (Werkzeug's defaults
#: are English sentences written for developers).
ERROR_TEXTS = {
    400: _l("The browser sent something we could not understand. Go back and try again."),
    403: _l("You do not have permission to see or change this."),
    405: _l("This page cannot be used that way."),
    409: _l("Someone changed this at the same moment. Check the page as it is now."),
    415: _l("Send this as a form."),
    503: _l("The directory cannot reach its database for a moment. Please try again shortly."),
}


def described(error: HTTPException) -> str:
    """What the error says, in the page's language: its own words, or ERROR_TEXTS when it
    carries only Werkzeug's default description."""
    text = error.description or ""
    if text == type(error).description or not text:
        return str(ERROR_TEXTS.get(error.code or 500, text))
    return str(_(text))


class IdConverter(BaseConverter):
    """`<id:name>`: a row id (validation.row_id); anything else matches no route (a 404 on every
    database, before a query is made)."""

    regex = rf"[0-9]{{1,{len(str(MAX_ID))}}}"

    def to_python(self, value: str) -> int:
        number = row_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class SlugConverter(BaseConverter):
    """`<slug:name>`: a profile's or practice's slug (validation.is_slug);
    NUL, other control characters and anything else match no route."""

    regex = SLUG_PATTERN

    def to_python(self, value: str) -> str:
        if not is_slug(value):
            raise ValidationError()
        return value


class DirectoryRequest(Request):
    """Flask's request, with a query string of raw bytes that are not ASCII percent-encoded
    first, as a browser sends them: Werkzeug 3.1 raises UnicodeDecodeError on raw non-UTF-8
    bytes (in `args`, `full_path`, `url`), and a socket can send them. "q=\\xff" reads as
    "q=%FF", a value every parameter refuses as it refuses "%FF", never a 500."""

    def __init__(self, environ, *args, **kwargs):
        super().__init__(environ, *args, **kwargs)
        if not self.query_string.isascii():
            self.query_string = re.sub(
                rb"[\x80-\xff]", lambda m: b"%%%02X" % m[0][0], self.query_string
            )


#: The bodies our forms send. Nothing here reads JSON (the API only answers GETs).
FORM_TYPES = ("", "application/x-www-form-urlencoded", "multipart/form-data")


def refuse_unreadable_body() -> None:
    """A body that is not a form (JSON, plain text) is refused with a 415 before anything reads
    it: Flask-WTF would read a JSON body as form data, and a list or a nested object there is
    not something any form can take."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype not in FORM_TYPES:
        raise UnsupportedMediaType("Send this as a form (application/x-www-form-urlencoded).")


def client_ip() -> str:
    """The client's address (behind a proxy only right with PROXY_FIX_HOPS set to the number of
    proxies)."""
    return request.remote_addr or ""


def page_number() -> int:
    """The listing page asked for with ?page= (1 when absent): digits from 1 to
    paging.MAX_PAGE only; anything else is a 404, never a 500."""
    page = whole_number(request.args.get("page", "1"), 1, paging.MAX_PAGE)
    if page is None:
        abort(404)
    return page


def page_address(number: int) -> str:
    """This listing's address at page `number` (templates/_pager.html): the same route and the
    same other query parameters, `page` replaced, and left out for page 1 (one address for the
    first page)."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    if number > 1:
        args.append(("page", str(number)))
    path = url_for(request.endpoint, **(request.view_args or {}))
    return f"{path}?{urlencode(args, safe=i18n.QUERY_SAFE)}" if args else path


def without_blanks():
    """A redirect to this GET's own address without its blank parameters (`?q=&status=draft`
    becomes `?status=draft`), or None when it has none. A filter form submits every field,
    chosen or not; the server answers it with the one clean address a link to the same
    choice has, so the address bar, history and shared links stay short and stable, without
    any JavaScript. A blank parameter means "no choice" everywhere it is used."""
    pairs = request.args.items(multi=True)
    if request.method not in ("GET", "HEAD") or all(value.strip() for _key, value in pairs):
        return None
    args = [(k, v) for k, v in request.args.items(multi=True) if v.strip()]
    path = url_for(request.endpoint, **(request.view_args or {}))
    return redirect(f"{path}?{urlencode(args, safe=i18n.QUERY_SAFE)}" if args else path)


#: The public pages, and the query parameters that make another page of each (whatever else
#: a URL carries, a search's filters or a form's prefill, narrows or decorates the same page).
CANONICAL = {
    "public.index": (),
    "public.guide": (),
    "public.privacy": (),
    "practitioners.show": (),
    "practice_pages.show": ("page",),
    "search.index": ("q", "near", "page"),
    "landing.state": (),
    "landing.city": ("page",),
    "landing.city_need": ("page",),
}


def canonical_url() -> str | None:
    """This page's canonical address on PUBLIC_URL (page 1 without ?page=), or None for pages
    that are not public."""
    keep = CANONICAL.get(request.endpoint or "")
    if keep is None or request.method not in ("GET", "HEAD"):
        return None
    args = {k: request.args[k] for k in keep if request.args.get(k, "") not in ("", "1")}
    english = public_url(request.endpoint, **(request.view_args or {}), **args)
    return i18n.to_language(english, i18n.current())


def allow_framing(view):
    """Let any site show this view's pages in a frame; error pages and every other view refuse."""

    @functools.wraps(view)
    def framed(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.allow_framing = True
        return response

    return framed


def _security_headers(response):
    headers = response.headers
    frameable = getattr(response, "allow_framing", False)
    headers.setdefault("Content-Security-Policy", csp_for(current_app, frameable))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if not frameable:
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/hsds/"))


def render_error(error: HTTPException):
    """The error page (JSON under /api/ and /hsds/). When the database is away and the page
    needs it (who is signed in, for the menu), the 503 page instead."""
    try:
        return _rendered_error(error)
    except sa_exc.SQLAlchemyError as failure:
        if not unavailable(failure):
            raise
        return _unavailable(failure)


def _rendered_error(error: HTTPException):
    code = error.code or 500
    if _wants_json():
        body = {"error": {"code": _error_code(code), "message": described(error)}}
        response = make_response(jsonify(body), code)
    elif request_ctx.url_adapter is None:
        # Refused before routing (a Host header not in TRUSTED_HOSTS): no page can link back.
        title = ERROR_TITLES.get(code, error.name)
        response = make_response(f"{code} {title}\n", code, {"Content-Type": "text/plain"})
    else:
        title = ERROR_TITLES.get(code, error.name)
        page = render_template(
            "error.html", code=code, title=title, error=error, description=described(error)
        )
        response = make_response(page, code)
    # Keep what the exception says about itself (Allow on a 405, Retry-After on a 429).
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _error_code(status: int) -> str:
    return {
        400: "invalid_parameter",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        415: "unsupported_media_type",
        429: "rate_limited",
        503: "unavailable",
    }.get(status, "server_error")


def _refused(error: refusals.Refused):
    # Nothing of a refused operation is kept: whatever it flushed goes with the transaction.
    db.session.rollback()
    if isinstance(error, refusals.NotPermitted):
        return render_error(Forbidden())
    page = None if _wants_json() else refusals.page()
    throttled = isinstance(error, refusals.Throttled)
    if page is None or (throttled and isinstance(page, str)):
        if throttled:
            response = render_error(TooManyRequests(error.message, retry_after=error.retry_after))
        else:
            kind = ConflictError if isinstance(error, refusals.Conflict) else BadRequest
            response = render_error(kind(error.message))
    else:
        # The page again, with the rule's message: a form keeps what was typed.
        if not refusals.inline():
            flash(error.message, "error")
        if isinstance(page, str):
            return redirect(page)
        try:
            response = make_response(page(error))
        except orm_exc.ObjectDeletedError:
            # What the page shows was deleted meanwhile (a race lost to a deletion): the error
            # page says it, with the message flashed above or, when the page was to say it, here.
            db.session.rollback()
            described = error.message if refusals.inline() else None
            response = render_error(ConflictError(described))
        response.status_code = error.status
    if throttled:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _last_resort(error: Exception):
    # Whatever the view left half-done must not leak into the next request on this connection.
    try:
        db.session.rollback()
    except Exception:  # the database itself may be what failed
        log.exception("rollback failed")
    if isinstance(error, HTTPException):
        return render_error(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(InternalServerError())


#: What a change that lost a race to another request's says (PostgreSQL runs them side by side:
#: the row it updates was changed or deleted since it was read).
MEANWHILE = _l(
    "Someone else changed this at the same moment, so nothing was saved. "
    "Check the page as it is now and try again."
)
#: PostgreSQL's codes for a transaction that lost a race: serialization failure, deadlock.
RACE_CODES = {"40001", "40P01"}
#: How long a client waits before trying again while the database is away (seconds).
RETRY_AFTER = 5
#: Failures closer together than this (seconds) are one outage, logged once.
OUTAGE_QUIET = 30.0


class Outages:
    """One log line per database outage, not one traceback per request."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last = None  # monotonic time of the last failure

    def failed(self, error: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            new = self._last is None or now - self._last > OUTAGE_QUIET
            self._last = now
        if new:
            log.error("database unavailable, answering 503: %s", first_line(error))


outages = Outages()


def _changed_meanwhile(error: Exception):
    """A row this request updates was changed or deleted by another request since it was
    read: a 409 with the form as it was sent, as refusals.Conflict answers. Logged with its
    traceback: the same error from code that touched a row it deleted itself is a bug."""
    log.warning("concurrent change on %s %s", request.method, request.path, exc_info=error)
    return _refused(refusals.Conflict(MEANWHILE))


def _database_error(error: sa_exc.DBAPIError):
    """A race lost on PostgreSQL is a 409; the database away (db.unavailable) is a 503 with
    Retry-After; anything else (no such table, a syntax error) is the bug it is: a 500."""
    if getattr(error.orig, "sqlstate", None) in RACE_CODES:
        return _changed_meanwhile(error)
    if unavailable(error):
        return _unavailable(error)
    return _last_resort(error)


def _unavailable(error: Exception):
    with contextlib.suppress(Exception):  # the database is away: nothing to roll back
        db.session.rollback()
    outages.failed(error)
    # Who is signed in cannot be read now: the page is the one a visitor sees (Flask-Login
    # keeps the request's user in g._login_user; this sets its anonymous user there).
    current_app.login_manager._update_request_context_with_user()
    error = ServiceUnavailable(
        "The directory cannot reach its database for a moment. Please try again shortly.",
        retry_after=RETRY_AFTER,
    )
    try:
        response = _rendered_error(error)
    except Exception:  # a page that needed the database after all: plain text
        response = make_response(
            f"503 {ERROR_TITLES[503]}\n", 503, {"Content-Type": "text/plain; charset=utf-8"}
        )
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


SETTING_LABELS = {"spa": _l("Spa"), "medical": _l("Medical"), "both": _l("Spa & medical")}


def initials(name: str) -> str:
    """Up to two initials of a name, for an avatar: "Alexa Marie" -> "AM", "Bo" -> "B"."""
    words = [w for w in (name or "").split() if w[:1].isalpha()]
    if not words:
        return "?"
    picked = words[:1] + words[1:][-1:]
    return "".join(w[0] for w in picked).upper()


def tone(name: str) -> int:
    """A stable colour (0-5) for a name's avatar."""
    return zlib.crc32((name or "").encode()) % 6


def with_credentials(name: str, credentials: str | None) -> str:
    """A therapist's name as people write it: "Amara Liu, LMT" (no stray space or comma
    whatever the credentials line starts with), or the name alone."""
    credentials = (credentials or "").strip().lstrip(",").strip()
    return f"{name.strip()}, {credentials}" if credentials else name.strip()


def ago(moment, now=None) -> str:
    """A past moment as people say it: "just now", "12 minutes ago", "3 days ago", a date."""
    seconds = ((now or now_utc()) - moment).total_seconds()
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return ngettext("%(num)s minute ago", "%(num)s minutes ago", int(seconds // 60))
    if seconds < 86400:
        return ngettext("%(num)s hour ago", "%(num)s hours ago", int(seconds // 3600))
    if seconds < 30 * 86400:
        return ngettext("%(num)s day ago", "%(num)s days ago", int(seconds // 86400))
    return i18n.short_date(moment, "d MMM y")


def practice_kind(kind: str) -> str:
    """A practice's kind as the reader says it ("Clínica")."""
    from directory.practices.models import KIND_LABELS

    return locales.translated(KIND_LABELS.get(kind, kind))


def init_app(app: Flask) -> None:
    """Register the request class, headers, error handlers and template filters."""
    app.request_class = DirectoryRequest
    app.add_template_filter(lambda s: str(SETTING_LABELS.get(s, s)), "setting_label")
    app.add_template_filter(audit.describe, "audit_details")
    app.add_template_filter(audit.phrase, "audit_phrase")
    app.add_template_filter(ago, "ago")
    app.add_template_filter(sessions.said, "device")
    app.add_template_filter(practice_kind, "practice_kind")
    app.add_template_filter(with_credentials, "with_credentials")
    app.add_template_filter(initials, "initials")
    app.add_template_filter(datetime.fromisoformat, "fromiso")
    app.add_template_filter(tone, "tone")
    app.add_template_filter(licensing.verification_text, "checked")
    app.add_template_test(licensing.licenses_massage, "licensing_state")
    app.add_template_filter(licensing.state_name, "state_name")
    app.add_template_filter(seed.from_files, "from_files")
    app.add_template_global(canonical_url, "canonical_url")
    app.add_template_global(page_address, "page_address")
    app.after_request(_security_headers)
    for code in ERROR_CODES:
        app.register_error_handler(code, render_error)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(refusals.Refused, _refused)
    app.register_error_handler(orm_exc.StaleDataError, _changed_meanwhile)
    app.register_error_handler(orm_exc.ObjectDeletedError, _changed_meanwhile)
    app.register_error_handler(sa_exc.DBAPIError, _database_error)
    app.register_error_handler(sa_exc.TimeoutError, _unavailable)
    app.register_error_handler(Exception, _last_resort)
