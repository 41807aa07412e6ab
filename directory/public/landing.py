"""Landing pages for search engines: a state's cities, a city, and a city x need.

Each page is a search (`results.search`, the same operation and honesty rules as /search):
`/massage/nj/hoboken/sciatica` lists what `/search?q=Sciatica&near=Hoboken, NJ` lists. The
cities a state page offers are those where a publicly visible therapist has a listed office
(rule 2: a current license in the office's state). A page with fewer than THIN results is
`noindex` and left out of the sitemap.
"""

import math
from dataclasses import dataclass

from flask import Blueprint, abort, render_template, url_for
from sqlalchemy import exists, func, select
from werkzeug.datastructures import MultiDict

from directory import geo, licensing, vocabulary
from directory.db import db
from directory.mail import public_url
from directory.practices.models import Tenant
from directory.practitioners.models import License, Office, Practitioner
from directory.search import results, sync
from directory.search.params import parse
from directory.validation import slug_base
from directory.web import page_number

bp = Blueprint("landing", __name__)

#: Fewer results than this: the page is thin (noindex, not in the sitemap).
THIN = 3
#: Cities within this many miles are "nearby".
NEARBY_MILES = 25
#: How many related needs and nearby cities a page links to.
LINKS = 8


@dataclass(frozen=True)
class City:
    name: str
    slug: str
    state: str
    #: Publicly visible therapists with a listed office in it.
    therapists: int
    lat: float
    lon: float

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


def _listed_here():
    """Offices that may be listed (rule 2) of publicly visible practitioners (rule 1)."""
    current = exists().where(
        License.practitioner_id == Practitioner.id,
        License.state == Office.state,
        License.status != "rejected",
        License.expires_on >= licensing.today(),
    )
    return (
        select(Office)
        .join(Practitioner, Office.practitioner_id == Practitioner.id)
        .join(Tenant, Practitioner.tenant_id == Tenant.id)
        .where(
            Practitioner.published.is_(True),
            Practitioner.suspended.is_(False),
            Tenant.status == "active",
            current,
        )
    )


def cities(state: str) -> list[City]:
    """The state's cities with listed therapists, most therapists first."""
    listed = _listed_here().where(Office.state == state).subquery()
    rows = db.session.execute(
        select(
            listed.c.city,
            func.count(func.distinct(listed.c.practitioner_id)),
            func.avg(listed.c.lat),
            func.avg(listed.c.lon),
        ).group_by(listed.c.city)
    ).all()
    merged: dict[str, City] = {}
    for name, count, lat, lon in sorted(rows, key=lambda row: -row[1]):
        slug = slug_base(name, "")
        if not slug:
            continue
        # Two spellings of one city ("Saint Paul", "Saint  Paul") are one page, under the
        # spelling most offices use.
        known = merged.get(slug)
        if known is not None:
            count += known.therapists
            name, lat, lon = known.name, known.lat, known.lon
        merged[slug] = City(name, slug, state, count, lat, lon)
    return sorted(merged.values(), key=lambda c: (-c.therapists, c.name))


def states_listed() -> list[tuple[str, int]]:
    """(state code, therapists) for every state with a listed therapist."""
    listed = _listed_here().subquery()
    rows = db.session.execute(
        select(listed.c.state, func.count(func.distinct(listed.c.practitioner_id)))
        .group_by(listed.c.state)
        .order_by(listed.c.state)
    )
    return [(state, count) for state, count in rows]


def nearby(city: City, among: list[City]) -> list[City]:
    """Other cities of the list within NEARBY_MILES, nearest first."""
    found = [
        (geo.distance_miles(city.lat, city.lon, other.lat, other.lon), other)
        for other in among
        if other.slug != city.slug
    ]
    return [c for miles, c in sorted(found, key=lambda pair: pair[0]) if miles <= NEARBY_MILES][
        :LINKS
    ]


def _state_or_404(code: str) -> licensing.StateRule:
    rule = licensing.rule(code.upper()) if code == code.lower() and len(code) == 2 else None
    if rule is None:
        abort(404)
    return rule


def _city_or_404(state: str, slug: str) -> tuple[City, list[City]]:
    found = cities(state)
    city = next((c for c in found if c.slug == slug), None)
    if city is None:
        abort(404)
    return city, found


def _term_or_404(slug: str) -> vocabulary.Term:
    term = vocabulary.terms().get(slug)
    if term is None or term.kind not in ("condition", "modality"):
        abort(404)
    return term


def _search(city: City, term: vocabulary.Term | None, page: int):
    """The search this page is: the need's name near the city (the /search twin)."""
    args = MultiDict({"near": city.label, "page": str(page)})
    if term is not None:
        args["q"] = term.name
    sync.catch_up()
    outcome = results.search(parse(args))
    pages = max(1, math.ceil(outcome.total / outcome.params.per_page))
    if page > pages:
        abort(404)
    return outcome, pages


def _setting_counts(outcome) -> dict[str, int]:
    """How many of the results work in each setting, each therapist counted once (the facet
    counts what each filter would list: "medical" includes "both")."""
    facet = outcome.facets.get("setting", {})
    both = facet.get("both", 0)
    counts = {
        "medical": facet.get("medical", 0) - both,
        "spa": facet.get("spa", 0) - both,
        "both": both,
    }
    # A need that calls for a setting lists that setting and "both" only.
    listed = outcome.params.setting or outcome.interpretation.setting
    if listed == "medical":
        counts.pop("spa")
    elif listed == "spa":
        counts.pop("medical")
    elif listed == "both":
        counts = {"both": both}
    return {setting: n for setting, n in counts.items() if n > 0}


@bp.get("/massage/<state>")
def state(state: str):
    rule = _state_or_404(state)
    found = cities(rule.code)
    if not found:
        abort(404)
    total = sum(c.therapists for c in found)
    return render_template(
        "public/landing_state.html", rule=rule, cities=found, total=total,
        canonical=public_url("landing.state", state=state),
    )  # fmt: skip


@bp.get("/massage/<state>/<slug:city>")
def city(state: str, city: str):
    rule = _state_or_404(state)
    place, found = _city_or_404(rule.code, city)
    return _render(rule, place, found, None)


@bp.get("/massage/<state>/<slug:city>/<slug:need>")
def city_need(state: str, city: str, need: str):
    rule = _state_or_404(state)
    term = _term_or_404(need)
    place, found = _city_or_404(rule.code, city)
    return _render(rule, place, found, term)


def _render(rule, place: City, found: list[City], term):
    page = page_number()
    outcome, pages = _search(place, term, page)
    endpoint, values = ("landing.city", {"state": rule.code.lower(), "city": place.slug})
    if term is not None:
        endpoint, values = "landing.city_need", {**values, "need": term.slug}
    related = [
        (slug, count)
        for slug, count in sorted(
            outcome.facets.get("conditions", {}).items(), key=lambda kv: (-kv[1], kv[0])
        )
        if count and (term is None or slug != term.slug)
    ][:LINKS]
    return render_template(
        "public/landing_city.html",
        rule=rule,
        city=place,
        term=term,
        o=outcome,
        page=page,
        pages=pages,
        settings=_setting_counts(outcome),
        verified=outcome.facets.get("verified", {}).get("true", 0),
        nearby=nearby(place, found),
        related=related,
        thin=outcome.total < THIN,
        page_url=lambda n: url_for(endpoint, **values, page=n if n > 1 else None),
        canonical=public_url(endpoint, **values, page=page if page > 1 else None),
        search_url=url_for("search.index", q=term.name if term else None, near=place.label),
        name_of=results.display_name,
        about=term.slug if term is not None and term.kind == "condition" else None,
    )
