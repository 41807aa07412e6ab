"""The interface's languages: English at the site's own addresses, Spanish under /es/.

A page's language is its address: `/es/search?q=...` is the Spanish twin of `/search?q=...`.
LanguagePrefix moves "/es" from PATH_INFO to SCRIPT_NAME, so every route matches as it is and
every url_for() of a Spanish page keeps the prefix without being told. An address without a
prefix is English, unless the visitor's choice says Spanish: the `lang` cookie (set by the
switch on every page and by any visit to a Spanish page), else the signed-in account's
preference, else, on a first visit, Accept-Language; then it redirects (302) to /es/.
The API and HSDS keep English codes and field names; their `message` texts follow
Accept-Language. Dates, numbers and prices are formatted by Babel for LOCALES[language].
"""

from pathlib import Path
from urllib.parse import quote, urlencode

from flask import Flask, abort, current_app, g, has_request_context, redirect, request
from flask_babel import Babel, get_locale
from flask_login import current_user

from directory.locales import (
    date_time,
    day_month,
    long_date,
    money,
    number,
    short_date,
    term_label,
    term_name,
    term_text,
    translated,
)

#: The interface's languages, each named in itself (the switch shows the other one's name).
LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT = "en"
#: The Babel locale each language formats dates and numbers for.
LOCALES = {"en": "en_US", "es": "es_US"}
#: The cookie that remembers a browser's choice, and for how long (seconds).
COOKIE = "lang"
COOKIE_AGE = 365 * 86400
#: Characters a query string keeps as they are, as url_for (werkzeug) leaves them.
QUERY_SAFE = "!$'()*,/:;?@"
#: Where LanguagePrefix notes a prefixed request's language.
ENVIRON_KEY = "directory.language"
#: Blueprints that answer machines, not people: no prefix, no redirect (their messages follow
#: Accept-Language).
MACHINE_BLUEPRINTS = {"api", "hsds", "health", "seo"}
#: Endpoints that serve files, not pages.
FILE_ENDPOINTS = {"static", "editor.media"}


class LanguagePrefix:
    """WSGI middleware: "/es/..." is served as "/..." with SCRIPT_NAME ending in "/es"."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        for code in LANGUAGES:
            prefix = f"/{code}"
            if code != DEFAULT and (path == prefix or path.startswith(prefix + "/")):
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix) :] or "/"
                environ[ENVIRON_KEY] = code
                break
        return self.wsgi_app(environ, start_response)


def _for_machines() -> bool:
    return request.blueprint in MACHINE_BLUEPRINTS or request.path.startswith(("/api/", "/hsds/"))


def _is_page() -> bool:
    return (
        request.endpoint is not None
        and request.endpoint not in FILE_ENDPOINTS
        and not _for_machines()
    )


def current() -> str:
    """The language of this request ("en" outside a request)."""
    if not has_request_context():
        return DEFAULT
    prefixed = request.environ.get(ENVIRON_KEY)
    if prefixed:
        return prefixed
    if _for_machines():
        return accepted() or DEFAULT
    return DEFAULT


def _select_locale() -> str:
    return LOCALES[current()]


def _root() -> str:
    """SCRIPT_NAME without this request's language prefix."""
    root = request.script_root
    prefixed = request.environ.get(ENVIRON_KEY)
    return root[: -len(prefixed) - 1] if prefixed else root


def page_url(language: str, *, switch: bool = False) -> str:
    """This page's address in `language` (the same query, without the switch's ?lang=).
    `switch`: as the language switch links to it (to English, with ?lang=en so that the
    choice is remembered; a Spanish address remembers itself)."""
    prefix = "" if language == DEFAULT else f"/{language}"
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    if switch and language == DEFAULT:
        args.append(("lang", language))
    path = quote(request.path, safe="/:@!$&'()*+,;=-._~")
    query = urlencode(args, safe=QUERY_SAFE)
    return f"{_root()}{prefix}{path}" + (f"?{query}" if query else "")


def other() -> str:
    """The language the switch offers (the one this page is not in)."""
    here = current()
    return next(code for code in LANGUAGES if code != here)


def alternates(canonical: str | None) -> list[tuple[str, str]]:
    """(hreflang, address) of a public page's versions, from its canonical English address:
    each language and x-default (English)."""
    if not canonical:
        return []
    english = to_language(canonical, DEFAULT)
    found = [(code, to_language(english, code)) for code in LANGUAGES]
    return [*found, ("x-default", english)]


def to_language(address: str, language: str) -> str:
    """An absolute English address on PUBLIC_URL as `language` serves it (the prefix after
    PUBLIC_URL's own path)."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    rest = address[len(base) :] if address.startswith(base) else address
    for code in LANGUAGES:
        if code != DEFAULT and (rest == f"/{code}" or rest.startswith(f"/{code}/")):
            rest = rest[len(code) + 1 :] or "/"
    return base + ("" if language == DEFAULT else f"/{language}") + rest


def _preferred() -> str | None:
    """The language this browser chose: its cookie, the account's preference, else what
    Accept-Language asks (None when it asks for nothing we have)."""
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    if current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    return accepted()


def accepted() -> str | None:
    """The first language of Accept-Language, by quality, that the interface has ("es-MX" is
    Spanish). Not werkzeug's best_match: it prefers any exact match, so "en-US,es;q=0.5"
    would pick Spanish over the English asked for first."""
    for value, _quality in request.accept_languages:
        primary = value.split("-")[0].split("_")[0].lower()
        if primary in LANGUAGES:
            return primary
    return None


def choose():
    """Before each request: a prefix only on pages; the switch's ?lang=; the redirect of a
    page without a prefix to the visitor's language."""
    prefixed = request.environ.get(ENVIRON_KEY)
    if prefixed and not _is_page() and request.endpoint not in FILE_ENDPOINTS:
        abort(404)  # the API, HSDS, sitemaps and health checks have one address
    if request.method not in ("GET", "HEAD") or not _is_page():
        return None
    if prefixed:
        if request.cookies.get(COOKIE) != prefixed:
            g.language_cookie = prefixed
        return None
    g.vary_language = True
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        g.language_cookie = asked
        return redirect(page_url(asked), 302)
    preferred = _preferred()
    if preferred and preferred != DEFAULT:
        return redirect(page_url(preferred), 302)
    return None


def remember(response, language: str) -> None:
    """Set the cookie that remembers `language` for this browser."""
    response.set_cookie(
        COOKIE,
        language,
        max_age=COOKIE_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )


def _after(response):
    language = g.pop("language_cookie", None)
    if language:
        remember(response, language)
    if g.get("vary_language"):
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    if _is_page():
        response.headers.setdefault("Content-Language", current())
    return response


def language_name(name: str) -> str:
    """A language a profile lists (by its English name, "Spanish") as the page's language names
    it ("español"); the name itself when Babel does not know it."""
    if current() == DEFAULT or not name:
        return name
    import pycountry
    from babel import Locale

    found = pycountry.languages.get(name=name)
    code = found and (getattr(found, "alpha_2", None) or found.alpha_3)
    return Locale.parse(LOCALES[current()]).languages.get(code, name) if code else name


#: What of the vocabulary's data a client reads as sentences, and so is translated (its names
#: and synonyms are the vocabulary's own business: interpret.py, data/vocabulary.json).
VOCABULARY_TEXTS = (
    ("conditions", "advice"),
    ("red_flags", "advice"),
    ("populations", "advice"),
    ("specialties", "name"),
    ("specialties", "short"),
)


def extract_vocabulary(fileobj, keywords, comment_tags, options):
    """A pybabel extraction method (babel.cfg) for data/vocabulary.json: the advice, red flags
    and specialty names clients read, so the catalogue carries them."""
    import json

    data = json.load(fileobj)
    for kind, key in VOCABULARY_TEXTS:
        for entry in data.get(kind, []):
            if entry.get(key):
                yield 0, "gettext", entry[key], [f"vocabulary: {kind} {key}"]


def init_app(app: Flask) -> None:
    """The prefix middleware, Babel, the language choice and the templates' helpers."""
    app.wsgi_app = LanguagePrefix(app.wsgi_app)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LOCALES[DEFAULT])
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(Path(app.root_path).parent / "translations")
    )
    Babel(app, locale_selector=_select_locale)
    # {% trans %} blocks are written across lines; their msgids are one line of words.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.before_request(choose)
    app.after_request(_after)
    app.add_template_global(current, "language")
    app.add_template_global(other, "other_language")
    app.add_template_global(page_url, "language_url")
    app.add_template_global(alternates, "alternates")
    app.add_template_global(LANGUAGES, "LANGUAGES")
    app.add_template_global(get_locale, "get_locale")
    app.add_template_filter(short_date, "date")
    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(day_month, "day_month")
    app.add_template_filter(date_time, "date_time")
    app.add_template_filter(number, "number")
    app.add_template_filter(money, "money")
    app.add_template_filter(language_name, "language_name")
    app.add_template_filter(translated, "translated")
    app.add_template_filter(term_name, "term_name")
    app.add_template_filter(term_text, "term_text")
    app.add_template_filter(term_label, "term_label")
