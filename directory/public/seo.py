"""What search engines read: robots.txt, the sitemap index and its child sitemaps.

Only public, indexable pages are listed: publicly visible profiles (rule 1), active practices
with someone listed, and landing pages with at least landing.THIN results. Each child sitemap
holds at most SITEMAP_URLS (50,000, the protocol's limit) URLs; `lastmod` comes from the data.
Which pages exist and where each starts is the sitemaps module's plan, built off the requests.
"""

from collections.abc import Iterator
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, current_app, url_for
from sqlalchemy import func, select

from directory.db import db
from directory.mail import public_url
from directory.practices import roster
from directory.practices.models import Tenant
from directory.practitioners import profiles
from directory.practitioners.models import Practitioner
from directory.public import sitemaps
from directory.validation import is_slug

bp = Blueprint("seo", __name__)

#: Child sitemaps, in the index's order.
KINDS = ("profiles", "practices", "landing")
#: Never crawled: signed-in pages, the admin, the API's JSON, a client's own message.
PRIVATE_PATHS = (
    "/dashboard", "/account", "/admin", "/api/", "/hsds/", "/inquiries/", "/login/code",
)  # fmt: skip


def _size() -> int:
    return current_app.config["SITEMAP_URLS"]


def _base() -> str:
    return public_url("public.index").rstrip("/")


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE_PATHS), "Allow: /", ""]
    lines.append(f"Sitemap: {public_url('seo.index')}")
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


def _pages(endpoint: str, rows) -> list[tuple[str, str]]:
    """(path, lastmod) for (slug, day) rows: what url_for(endpoint, slug=...) builds, with
    the route's prefix built once and each slug quoted by the route's own converter (one
    url_for per row cost 450 ms in a sitemap of 50,000)."""
    marker = "0"
    prefix, _, suffix = url_for(endpoint, slug=marker).rpartition(marker)
    quote = current_app.url_map.converters["slug"](current_app.url_map).to_url

    def quoted(slug: str) -> str:  # a slug of its own shape needs no quoting (the usual case)
        return slug if is_slug(slug) else quote(slug)

    return [(f"{prefix}{quoted(slug)}{suffix}", _day(updated)) for slug, updated in rows]


def _day(value) -> str:
    """YYYY-MM-DD of a day SQL's date() gave from a stored UTC timestamp: text on SQLite, a date
    on PostgreSQL (a datetime object for each of 50,000 rows cost a third of a sitemap)."""
    return str(value)[:10]


def _range(column, plan: sitemaps.Plan, kind: str, number: int) -> list | None:
    """Keyset conditions on `column` for child sitemap `number` of `kind` (None: no such page)."""
    starts = plan.starts[kind]
    if number > len(starts):
        return None
    where = [column > starts[number - 1]]
    if number < len(starts):
        where.append(column <= starts[number])
    return where


def _profiles(plan: sitemaps.Plan, number: int, size: int) -> list[tuple[str, str]]:
    where = _range(Practitioner.id, plan, "profiles", number)
    if where is None:
        return []
    rows = db.session.execute(
        select(Practitioner.slug, func.date(Practitioner.updated_at))
        .join(Practitioner.tenant)
        .where(profiles.public_rule(), *where)
        .order_by(Practitioner.id)
        .limit(size)
    )
    return _pages("practitioners.show", rows)


def _practices(plan: sitemaps.Plan, number: int, size: int) -> list[tuple[str, str]]:
    where = _range(Tenant.id, plan, "practices", number)
    if where is None:
        return []
    # lastmod: the practice's own change, or its latest public profile's.
    latest = (
        select(func.date(func.max(Practitioner.updated_at)))
        .where(Practitioner.tenant_id == Tenant.id, profiles.public_rule())
        .scalar_subquery()
    )
    rows = db.session.execute(
        roster.listed_practices()
        .with_only_columns(Tenant.slug, func.date(Tenant.updated_at), latest)
        .where(*where)
        .limit(size)
    )
    days = ((slug, max(_day(updated), _day(latest))) for slug, updated, latest in rows)
    return _pages("practice_pages.show", days)


def _landing(plan: sitemaps.Plan, number: int, size: int) -> list[tuple[str, str]]:
    start = (number - 1) * size
    return plan.landing[start : start + size]


SOURCES = {"profiles": _profiles, "practices": _practices, "landing": _landing}


def _xml(body: Iterator[str]) -> Response:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return Response(head + "".join(body), mimetype="application/xml")


@bp.get("/sitemap.xml")
def index():
    base = _base()

    def body():
        yield '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        plan = sitemaps.current()
        for kind in KINDS:
            for n in range(1, plan.count(kind) + 1):
                loc = base + url_for(".sitemap", kind=kind, number=n)
                yield f"  <sitemap><loc>{escape(loc)}</loc></sitemap>\n"
        yield "</sitemapindex>\n"

    return _xml(body())


@bp.get("/sitemaps/<kind>-<int:number>.xml")
def sitemap(kind: str, number: int):
    if kind not in SOURCES or not 1 <= number <= 100_000:
        abort(404)
    size = _size()
    entries = SOURCES[kind](sitemaps.current(), number, size)
    if number > 1 and not entries:
        abort(404)
    base = _base()

    def body():
        yield '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        for path, lastmod in entries:
            yield (f"  <url><loc>{escape(base + path)}</loc><lastmod>{lastmod}</lastmod></url>\n")
        yield "</urlset>\n"

    return _xml(body())
