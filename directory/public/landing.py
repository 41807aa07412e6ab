"""Landing pages for search engines: a state's cities, a city, and a city x need.

Each page is a search (`results.search`, the same operation and honesty rules as /search):
`/massage/nj/hoboken/sciatica` lists what `/search?q=Sciatica&near=Hoboken, NJ` lists. The
cities a state page offers are those where a publicly visible therapist has a listed office
(rule 2: a current license in the office's state). A page with fewer than THIN results is
`noindex` and left out of the sitemap.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from directory import geo, licensing, vocabulary
from directory.db import db
from directory.interpret import interpret, mid_sentence
from directory.paging import Page, page_count
from directory.practitioners.models import Office, Practitioner
from directory.public import counts
from directory.public.counts import City, Listing
from directory.search import outbox, results, sync
from directory.search.params import DEFAULT_RADIUS, SearchError, parse
from directory.validation import slug_base
from directory.web import page_number

bp = Blueprint("landing", __name__)

# Counting lives in `counts` (the indexer counts too); these names are the page's view of it.
_listed_here = counts.listed_here
_count = counts.count

#: Fewer results than this: the page is thin (noindex, not in the sitemap).
THIN = 3
#: Cities within this many miles are "nearby".
NEARBY_MILES = 25
#: How many related needs and nearby cities a page links to.
LINKS = 8


def cities(state: str) -> list[City]:
    """The state's cities with listed therapists, most therapists first."""
    return listing(state).cities


def listing(state: str) -> Listing:
    """`Listing` of the state: the indexer's (`counts.kept`) while an indexer keeps it, else
    counted here once and kept in each process until what search lists changes
    (`outbox.generation`: every change that can list or unlist a therapist writes an outbox
    row) or the day does (licenses expire by date). The key is read before the counts, so
    counts kept under it are never older than it. A state page's total and its cities' counts
    come from one count, so they always agree."""
    found = counts.kept(state)
    if found is not None:
        return found
    states = outbox.kept("landing.listing", dict, licensing.today())
    found = states.get(state)
    if found is None:
        found = states[state] = _count(state)
    return found


def states_listed() -> list[str]:
    """The codes of the states with a listed therapist, in order."""
    listed = _listed_here().subquery()
    return list(db.session.scalars(select(listed.c.state).distinct().order_by(listed.c.state)))


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
    try:
        outcome = results.search(parse(args))
    except SearchError:
        abort(404)  # a city name the place index does not know (typed into an old office)
    pages = page_count(outcome.total, outcome.params.per_page)
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
    # A medical need leaves spa-only therapists out (the engine's exclude_spa); a landing page
    # sets no setting filter of its own.
    if outcome.interpretation.setting == "medical":
        counts.pop("spa")
    return {setting: n for setting, n in counts.items() if n > 0}


@bp.get("/massage/<state>")
def state(state: str):
    rule = _state_or_404(state)
    found = listing(rule.code)
    if not found.cities:
        abort(404)
    return render_template(
        "public/landing_state.html",
        rule=rule,
        cities=found.cities,
        total=found.therapists,
        unclaimed=found.unclaimed,
    )


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


def need_heading(term) -> str:
    """How a landing page names its need, the one rule for its title and heading: "Hot stone
    massage" (a modality named with "massage" once, never "... massage massage"), "Massage for
    sciatica", or "Massage therapists" without a need."""
    if term is None:
        return _("Massage therapists")
    if term.kind == "modality":
        named = "massage" in term.name.lower().split()
        return term.name if named else _("%(name)s massage", name=term.name)
    return _("Massage for %(need)s", need=mid_sentence(term.name))


def _render(rule, place: City, found: list[City], term):
    page = page_number()
    outcome, pages = _search(place, term, page)
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
        heading=need_heading(term),
        o=outcome,
        page=page,
        paged=Page(outcome.results, page, pages, outcome.total),
        settings=_setting_counts(outcome),
        verified=outcome.facets.get("verified", {}).get("true", 0),
        nearby=nearby(place, found),
        related=related,
        robots="noindex, follow" if outcome.total < THIN else None,
        search_url=url_for("search.index", q=term.name if term else None, near=place.label),
        name_of=results.display_name,
        about=term.slug if term is not None and term.kind == "condition" else None,
    )


# --- For the sitemap ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A landing page worth indexing: its URL path and when what it lists last changed."""

    path: str
    lastmod: datetime


def indexable() -> Iterator[Entry]:
    """Every landing page that has at least THIN results, for the sitemap, without running
    the searches: a page is listed when THIN therapists are certain to be on it (a listed office
    in the city itself, within the search's radius of the city's place, listing the need, and
    not a spa-only therapist for a medical need: each of them the search lists). A page it
    leaves out may still have THIN results and is not noindex then; a page it lists never is."""
    medical = {t.slug: interpret(t.name).setting == "medical" for t in _needs()}
    for state in states_listed():
        rows = _state_rows(state)
        found = cities(state)
        if not found:
            continue
        needs = _needs_of({row.practitioner_id for row in rows})
        yield Entry(f"/massage/{state.lower()}", max(row.updated_at for row in rows))
        in_city: dict[str, list] = {}
        for row in rows:
            in_city.setdefault(slug_base(row.city, ""), []).append(row)
        for city in found:
            try:
                place = geo.resolve(city.label)
            except geo.PlaceError:
                continue
            near = {}
            for row in in_city.get(city.slug, ()):
                miles = geo.distance_miles(place.lat, place.lon, row.lat, row.lon)
                if miles <= DEFAULT_RADIUS:
                    near[row.practitioner_id] = row
            base = f"/massage/{state.lower()}/{city.slug}"
            if len(near) >= THIN:
                yield Entry(base, max(row.updated_at for row in near.values()))
            counted: dict[str, list] = {}
            for pid, row in near.items():
                for need in needs.get(pid, ()):
                    if medical.get(need) and row.setting == "spa":
                        continue
                    counted.setdefault(need, []).append(row)
            for need, listed in sorted(counted.items()):
                if len(listed) >= THIN:
                    yield Entry(f"{base}/{need}", max(row.updated_at for row in listed))


def _needs() -> list[vocabulary.Term]:
    return [t for t in vocabulary.terms().values() if t.kind in ("condition", "modality")]


def _state_rows(state: str) -> list:
    """The state's listed offices: city, lat, lon, practitioner_id, setting, updated_at."""
    listed = _listed_here().where(Office.state == state).subquery()
    return db.session.execute(
        select(
            listed.c.city,
            listed.c.lat,
            listed.c.lon,
            listed.c.practitioner_id,
            Practitioner.setting,
            Practitioner.updated_at,
        ).join(Practitioner, Practitioner.id == listed.c.practitioner_id)
    ).all()


def _needs_of(practitioner_ids: set[int]) -> dict[int, set[str]]:
    """Each practitioner's conditions and modalities (slugs), in chunks of ids."""
    from directory.practitioners.models import practitioner_condition, practitioner_modality
    from directory.vocabulary import Condition, Modality

    found: dict[int, set[str]] = {}
    ids = sorted(practitioner_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for link, model, column in (
            (practitioner_condition, Condition, practitioner_condition.c.condition_id),
            (practitioner_modality, Modality, practitioner_modality.c.modality_id),
        ):
            rows = db.session.execute(
                select(link.c.practitioner_id, model.slug)
                .join(model, model.id == column)
                .where(link.c.practitioner_id.in_(chunk))
            )
            for pid, slug in rows:
                found.setdefault(pid, set()).add(slug)
    return found
