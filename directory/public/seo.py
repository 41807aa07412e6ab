"""What search engines read: robots.txt, the sitemap index and its child sitemaps.

Only public, indexable pages are listed: publicly visible profiles (rule 1), active practices
with someone listed, and landing pages with at least landing.THIN results. Each child sitemap
holds at most SITEMAP_URLS (50,000, the protocol's limit) URLs; `lastmod` comes from the data.
"""

import math
from collections.abc import Iterator
from datetime import datetime
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, current_app, url_for
from sqlalchemy import func, select

from directory.db import db
from directory.mail import public_url
from directory.practices import roster
from directory.practices.models import Tenant
from directory.practitioners import profiles
from directory.practitioners.models import Practitioner
from directory.practitioners.profiles import visible
from directory.public import landing

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


def _profiles(start: int, size: int) -> list[tuple[str, datetime]]:
    rows = db.session.execute(
        visible()
        .with_only_columns(Practitioner.slug, Practitioner.updated_at)
        .order_by(Practitioner.id)
        .limit(size)
        .offset(start)
    )
    return [(url_for("practitioners.show", slug=slug), updated) for slug, updated in rows]


def _practices(start: int, size: int) -> list[tuple[str, datetime]]:
    # lastmod: the practice's own change, or its latest public profile's.
    latest = (
        select(func.max(Practitioner.updated_at))
        .where(Practitioner.tenant_id == Tenant.id, profiles.public_rule())
        .scalar_subquery()
    )
    rows = db.session.execute(
        roster.listed_practices()
        .with_only_columns(Tenant.slug, Tenant.updated_at, latest)
        .limit(size)
        .offset(start)
    )
    return [
        (url_for("practice_pages.show", slug=slug), max(updated, latest))
        for slug, updated, latest in rows
    ]


def _landing(start: int, size: int) -> list[tuple[str, datetime]]:
    entries = landing.indexable_now()[start : start + size]
    return [(entry.path, entry.lastmod) for entry in entries]


SOURCES = {"profiles": _profiles, "practices": _practices, "landing": _landing}


def _count(kind: str) -> int:
    if kind == "profiles":
        return db.session.scalar(select(func.count()).select_from(visible().subquery()))
    if kind == "practices":
        listed = roster.listed_practices().subquery()
        return db.session.scalar(select(func.count()).select_from(listed))
    return len(landing.indexable_now())


def _xml(body: Iterator[str]) -> Response:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return Response(head + "".join(body), mimetype="application/xml")


@bp.get("/sitemap.xml")
def index():
    base = _base()

    def body():
        yield '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        for kind in KINDS:
            for n in range(1, max(1, math.ceil(_count(kind) / _size())) + 1):
                loc = base + url_for(".sitemap", kind=kind, number=n)
                yield f"  <sitemap><loc>{escape(loc)}</loc></sitemap>\n"
        yield "</sitemapindex>\n"

    return _xml(body())


@bp.get("/sitemaps/<kind>-<int:number>.xml")
def sitemap(kind: str, number: int):
    if kind not in SOURCES or not 1 <= number <= 100_000:
        abort(404)
    size = _size()
    entries = SOURCES[kind]((number - 1) * size, size)
    if number > 1 and not entries:
        abort(404)
    base = _base()

    def body():
        yield '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        for path, lastmod in entries:
            yield (
                f"  <url><loc>{escape(base + path)}</loc>"
                f"<lastmod>{lastmod.date().isoformat()}</lastmod></url>\n"
            )
        yield "</urlset>\n"

    return _xml(body())
