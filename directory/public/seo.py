"""What search engines read: robots.txt, the sitemap index and its child sitemaps.

Only public, indexable pages are listed: publicly visible profiles (rule 1), active practices
with someone listed, and landing pages with at least landing.THIN results. Each child sitemap
holds at most SITEMAP_URLS (50,000, the protocol's limit) URLs; `lastmod` comes from the data.
Which pages exist and where each starts is the sitemaps module's plan, built off the requests;
a child of profiles or practices is the indexer's file, corrected for what changed since.
"""

from collections.abc import Iterator
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, current_app, url_for

from directory.mail import public_url
from directory.paging import MAX_PAGE
from directory.public import sitemaps

bp = Blueprint("seo", __name__)

#: Child sitemaps, in the index's order.
KINDS = ("profiles", "practices", "landing")
#: Never crawled: signed-in pages, the admin, the API's JSON, a client's own message.
PRIVATE_PATHS = (
    "/dashboard", "/account", "/admin", "/api/", "/hsds/", "/inquiries/", "/login/code",
)  # fmt: skip


def _size() -> int:
    return current_app.config["SITEMAP_URLS"]


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE_PATHS), "Allow: /", ""]
    lines.append(f"Sitemap: {public_url('seo.index')}")
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


def _xml(body: Iterator[str]) -> Response:
    return Response(sitemaps.HEAD + "".join(body), mimetype="application/xml")


@bp.get("/sitemap.xml")
def index():
    base = sitemaps.base()

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
    if kind not in sitemaps.SOURCES or not 1 <= number <= MAX_PAGE:
        abort(404)
    plan = sitemaps.current()
    filed = sitemaps.served(plan, kind, number)
    if filed is not None:  # the indexer's file, corrected for what changed since
        document, count = filed
        if number > 1 and not count:
            abort(404)
        return Response(document, mimetype="application/xml")
    entries = sitemaps.SOURCES[kind](plan, number, _size())
    if number > 1 and not entries:
        abort(404)
    base = sitemaps.base()

    def body():
        yield sitemaps.URLSET
        for path, lastmod in entries:
            yield sitemaps.url_line(base, path, lastmod)
        yield sitemaps.END

    return _xml(body())
