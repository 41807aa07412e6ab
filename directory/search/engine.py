"""Answering a search: need + place + filters in, ranked and faceted practitioners out.

Whoosh narrows the candidates (vocabulary tags, text, practice, state, geohash cells); the exact
radius, the licensing rules as of today, facets and the final ranking are applied in Python to
every candidate, and the page shown is re-checked against the database, which is the truth.
"""

import json
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from whoosh import qparser
from whoosh.collectors import TimeLimit, TimeLimitCollector
from whoosh.query import And, ConstantScoreQuery, Every, Not, Or, Term

from directory import geo, licensing, vocabulary
from directory.db import db
from directory.interpret import Interpretation, interpret
from directory.practitioners.models import Practitioner, whole_profile
from directory.search import geohash, sync
from directory.search.index import SCHEMA, TEXT_FIELDS

log = logging.getLogger(__name__)

MAX_Q = 200
MAX_TERMS = 12
MAX_FILTER_VALUES = 10
MAX_PAGE = 500
DEFAULT_RADIUS = 10
TIME_LIMIT_SECONDS = 2.0
SETTINGS = ("spa", "medical")
SORTS = ("relevance", "distance")
#: Conditions + modalities a focused practice lists; longer lists weigh a match down.
FOCUSED_LIST = 12


class SearchError(ValueError):
    """A request the search cannot answer; `code` is the API's error code."""

    def __init__(self, code: str, message: str, field: str, suggestions=()):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field
        self.suggestions = list(suggestions)

    def as_dict(self) -> dict:
        error = {"code": self.code, "message": self.message, "field": self.field}
        if self.suggestions:
            error["suggestions"] = self.suggestions
        return {"error": error}


@dataclass
class Params:
    q: str = ""
    near: str = ""
    radius: int | None = None
    setting: str | None = None
    conditions: list[str] = field(default_factory=list)
    modalities: list[str] = field(default_factory=list)
    verified: bool = False
    tenant: str | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20


def _clean(value: str, limit: int) -> str:
    # Control characters and NUL never reach the parser; length is capped, not refused.
    value = "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in value)
    return " ".join(value.split())[:limit]


def _int(args, name: str, low: int, high: int, default: int | None) -> int | None:
    raw = args.get(name, "")
    if raw in ("", None):
        return default
    if not re.fullmatch(r"\d{1,6}", raw.strip()) or not low <= int(raw) <= high:
        raise SearchError(
            "invalid_parameter", f"{name} must be a whole number from {low} to {high}.", name
        )
    return int(raw)


def _slugs(args, name: str, kind: str) -> list[str]:
    values = [v for v in args.getlist(name) if v]
    if len(values) > MAX_FILTER_VALUES:
        raise SearchError("invalid_parameter", f"At most {MAX_FILTER_VALUES} {name} filters.", name)
    slugs = []
    for value in values:
        term = vocabulary.terms().get(value)
        if term is None or term.kind != kind:
            raise SearchError("invalid_parameter", f"Unknown {kind} {value[:40]!r}.", name)
        if value not in slugs:
            slugs.append(value)
    return slugs


def parse(args) -> Params:
    """Validate a query string (a MultiDict); SearchError names the bad parameter."""
    setting = args.get("setting") or None
    if setting is not None and setting not in SETTINGS:
        raise SearchError("invalid_parameter", "setting must be spa or medical.", "setting")
    verified = args.get("verified", "")
    if verified not in ("", "0", "1", "true", "false"):
        raise SearchError("invalid_parameter", "verified must be 1 or 0.", "verified")
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        raise SearchError("invalid_parameter", "sort must be relevance or distance.", "sort")
    tenant = args.get("tenant") or None
    if tenant is not None and not re.fullmatch(r"[a-z0-9-]{1,80}", tenant):
        raise SearchError("invalid_parameter", "tenant must be a practice's slug.", "tenant")
    return Params(
        q=_clean(args.get("q", ""), MAX_Q),
        near=_clean(args.get("near", ""), geo.MAX_INPUT_LENGTH),
        radius=_int(args, "radius", 1, 250, None),
        setting=setting,
        conditions=_slugs(args, "condition", "condition"),
        modalities=_slugs(args, "modality", "modality"),
        verified=verified in ("1", "true"),
        tenant=tenant,
        sort=sort,
        page=_int(args, "page", 1, MAX_PAGE, 1),
        per_page=_int(args, "per_page", 1, 50, 20),
    )


@dataclass
class Candidate:
    pid: int
    score: float
    data: dict
    office: dict
    distance: float | None
    verified: bool
    rank: float = 0.0


@dataclass
class Outcome:
    params: Params
    interpretation: Interpretation
    location: geo.Place | None
    radius: int | None
    total: int
    facets: dict
    results: list[dict]
    suggestion: str | None


def _parser(fields=TEXT_FIELDS):
    parser = qparser.MultifieldParser(fields, SCHEMA, group=qparser.OrGroup.factory(0.9))
    # Visitors get words and phrases only: no field access, wildcards, ranges, boosts, groups.
    for plugin in (
        qparser.FieldsPlugin,
        qparser.WildcardPlugin,
        qparser.RangePlugin,
        qparser.BoostPlugin,
        qparser.GroupPlugin,
        qparser.PlusMinusPlugin,
        qparser.OperatorsPlugin,
        qparser.PhrasePlugin,
        qparser.SingleQuotePlugin,
    ):
        parser.remove_plugin_class(plugin)
    return parser


def _text_query(interpretation: Interpretation):
    clauses = [Term("conditions", slug, boost=4.0) for slug in interpretation.conditions]
    if interpretation.setting == "spa" or (
        interpretation.setting and not (interpretation.conditions or interpretation.modalities)
    ):
        # A need for relaxation ("a relaxing gift") is answered by the setting even when no
        # listed condition matches; a medical need naming a condition lists only therapists
        # who treat (or mention) it.
        clauses.append(Term("setting", interpretation.setting, boost=0.5))
        clauses.append(Term("setting", "both", boost=0.3))
    clauses += [Term("modalities", slug, boost=3.0) for slug in interpretation.modalities]
    # The names of what was recognised, looked for in headlines and bios too: a specialist
    # who writes "sciatica" in the headline outranks a profile that merely lists everything.
    named = [vocabulary.terms()[slug].name for slug in (*interpretation.conditions,
                                                        *interpretation.modalities)]  # fmt: skip
    if named:
        parser = _parser(("headline", "bio"))
        for name in named:
            clauses.append(parser.parse(vocabulary.normalize(name)))
    words = [w for w in interpretation.terms if re.fullmatch(r"[a-z0-9]+", w)][:MAX_TERMS]
    if words:
        parsed = _parser().parse(" ".join(words))
        if parsed is not None and parsed.__class__.__name__ != "NullQuery":
            clauses.append(parsed)
    return Or(clauses) if clauses else None


def _filters(params: Params, interpretation: Interpretation, location, radius):
    filters = []
    if params.setting:
        filters.append(Term("setting", params.setting))
    elif interpretation.setting == "medical":
        # A medical need is never answered with a spa-only therapist.
        filters.append(Not(Term("setting", "spa")))
    filters += [Term("conditions", slug) for slug in params.conditions]
    filters += [Term("modalities", slug) for slug in params.modalities]
    if params.tenant:
        filters.append(Term("tenant", params.tenant))
    if location is not None:
        if location.kind == "state":
            filters.append(Term("states", location.state))
        else:
            cells = geohash.covering_cells(location.lat, location.lon, radius)
            filters.append(Or([Term("geo", cell) for cell in cells]))
    return filters


def _choose_office(offices, location, radius, today: str):
    listed = [o for o in offices if o["listed_until"] >= today]
    if location is None:
        listed.sort(key=lambda o: (not (o["badge_until"] or "") >= today, o["id"]))
        return (listed[0], None) if listed else (None, None)
    if location.kind == "state":
        in_state = [o for o in listed if o["state"] == location.state]
        return (in_state[0], None) if in_state else (None, None)
    best, best_distance = None, None
    for office in listed:
        d = geo.distance_miles(location.lat, location.lon, office["lat"], office["lon"])
        if d <= radius and (best_distance is None or d < best_distance):
            best, best_distance = office, d
    return best, best_distance


def _fit(setting: str, intent: str | None) -> float:
    if intent is None:
        return 0.5
    if setting == intent:
        return 1.0
    return 0.7 if setting == "both" else 0.0


def _rank(candidates, interpretation, radius, top_score):
    wanted_c, wanted_m = set(interpretation.conditions), set(interpretation.modalities)
    wanted = len(wanted_c) + len(wanted_m)
    for c in candidates:
        matched = len(wanted_c & set(c.data["conditions"])) + len(
            wanted_m & set(c.data["modalities"])
        )
        coverage = matched / wanted if wanted else 0.0
        # A profile that lists everything is a weaker match than a focused one.
        listed = len(c.data["conditions"]) + len(c.data["modalities"])
        focus = min(1.0, FOCUSED_LIST / listed) if wanted and listed else 0.0
        text = c.score / top_score if top_score else 0.0
        proximity = 0.0 if c.distance is None else max(0.0, 1 - c.distance / max(radius, 1))
        c.rank = (
            2.0 * coverage
            + 0.4 * focus
            + 0.6 * text
            + 0.8 * _fit(c.data["setting"], interpretation.setting)
            + 0.3 * c.verified
            + 0.5 * proximity
        )


def _facets(candidates) -> dict:
    settings = Counter(c.data["setting"] for c in candidates)
    conditions = Counter(slug for c in candidates for slug in c.data["conditions"])
    modalities = Counter(slug for c in candidates for slug in c.data["modalities"])
    verified = Counter("true" if c.verified else "false" for c in candidates)
    return {
        "setting": dict(settings.most_common()),
        "conditions": dict(conditions.most_common()),
        "modalities": dict(modalities.most_common()),
        "verified": {"true": verified.get("true", 0), "false": verified.get("false", 0)},
    }


def _resolve_location(params: Params, interpretation: Interpretation):
    near = params.near or (interpretation.place or "")
    if not near:
        return None
    try:
        return geo.resolve(near)
    except geo.PlaceError as exc:
        # A place read from the need text ("... near Hoboken") is asked about only when it is
        # a real city in several states; anything else was probably not meant as a place.
        city = vocabulary.normalize(near)
        ambiguous = exc.suggestions and all(
            vocabulary.normalize(s.rsplit(",", 1)[0]) == city for s in exc.suggestions
        )
        if params.near or ambiguous:
            raise SearchError("unknown_location", exc.message, "near", exc.suggestions) from exc
        return None


def _candidates(searcher, query, location, radius, verified_only, today: str):
    # use_alarm=False: SIGALRM only works in the main thread, and web requests run elsewhere.
    collector = TimeLimitCollector(
        searcher.collector(limit=None), timelimit=TIME_LIMIT_SECONDS, use_alarm=False
    )
    try:
        searcher.search_with_collector(query, collector)
    except TimeLimit:
        log.warning("search hit its time limit; answering with partial results")
    results = collector.results()
    # Parsed stored data per document, kept with the (pooled) searcher it was read through:
    # docnums are only stable within one searcher.
    cache = searcher.__dict__.setdefault("_directory_data", {})
    candidates = []
    for hit in results:
        data = cache.get(hit.docnum)
        if data is None:
            data = cache[hit.docnum] = json.loads(searcher.stored_fields(hit.docnum)["data"])
        office, distance = _choose_office(data["offices"], location, radius, today)
        if office is None:
            continue
        verified = bool(office["badge_until"] and office["badge_until"] >= today)
        if verified_only and not verified:
            continue
        candidates.append(
            Candidate(data["pid"], hit.score or 0.0, data, office, distance, verified)
        )
    return candidates


def _hydrate(page: list[Candidate], interpretation: Interpretation, on: date) -> list[dict]:
    rows = {
        p.id: p
        for p in db.session.scalars(
            select(Practitioner)
            .where(Practitioner.id.in_([c.pid for c in page]))
            .options(*whole_profile())
        )
    }
    results = []
    for c in page:
        p = rows.get(c.pid)
        # The database is the truth: a row changed since it was indexed is judged as it is now.
        if p is None or not p.is_publicly_visible:
            continue
        office = next((o for o in p.offices if o.id == c.office["id"]), None)
        if office is None or not licensing.may_list_office(office, p.licenses, on):
            continue
        matched_c = [x.name for x in p.conditions if x.slug in interpretation.conditions]
        matched_m = [x.name for x in p.modalities if x.slug in interpretation.modalities]
        results.append(
            {
                "slug": p.slug,
                "name": p.name,
                "credentials": p.credentials,
                "headline": p.headline,
                "tenant": {"slug": p.tenant.slug, "name": p.tenant.name},
                "setting": p.setting,
                "conditions": matched_c + [x.name for x in p.conditions if x.name not in matched_c],
                "modalities": matched_m + [x.name for x in p.modalities if x.name not in matched_m],
                "matched": {"conditions": matched_c, "modalities": matched_m},
                "office": {"city": office.city, "state": office.state, "zip": office.zip},
                "distance_miles": None if c.distance is None else round(c.distance, 1),
                "licenses": [
                    {
                        "state": lic.state,
                        "status": licensing.status(lic, on),
                        "expires": lic.expires_on.isoformat(),
                    }
                    for lic in p.licenses
                ],
                "verified": licensing.earns_badge(office, p.licenses, on),
                "accepting_new_clients": p.accepting_new_clients,
                "url": f"/p/{p.slug}",
            }
        )
    return results


def search(params: Params) -> Outcome:
    """Run a search; SearchError for an unknown place."""
    interpretation = interpret(params.q)
    location = _resolve_location(params, interpretation)
    radius = None
    if location is not None and location.kind != "state":
        radius = params.radius or DEFAULT_RADIUS
    if sync.pending():
        # Without an indexer process the web process catches up itself, briefly.
        sync.drain(timeout=0.2, max_rows=2000)
    on = licensing.today()
    today = on.isoformat()
    text = _text_query(interpretation)
    filters = _filters(params, interpretation, location, radius)
    base = text if text is not None else Every()
    query = And([base, *(ConstantScoreQuery(f, 0.0) for f in filters)]) if filters else base
    with sync.store().searcher() as searcher:
        candidates = _candidates(searcher, query, location, radius, params.verified, today)
    top_score = max((c.score for c in candidates), default=0.0)
    _rank(candidates, interpretation, radius or DEFAULT_RADIUS, top_score)
    if params.sort == "distance" and location is not None and location.kind != "state":
        candidates.sort(key=lambda c: (c.distance, -c.rank, c.pid))
    else:
        candidates.sort(key=lambda c: (-c.rank, c.distance or 0.0, c.pid))
    start = (params.page - 1) * params.per_page
    page = candidates[start : start + params.per_page]
    return Outcome(
        params=params,
        interpretation=interpretation,
        location=location,
        radius=radius,
        total=len(candidates),
        facets=_facets(candidates),
        results=_hydrate(page, interpretation, on) if page else [],
        suggestion=interpretation.suggestion,
    )


def as_json(outcome: Outcome) -> dict:
    """The API's answer (DESIGN.md, "JSON API")."""
    location = None
    if outcome.location is not None:
        place = outcome.location
        location = {
            "label": place.label,
            "kind": place.kind,
            "state": place.state,
            "lat": round(place.lat, 4),
            "lon": round(place.lon, 4),
            "radius_miles": outcome.radius,
        }
    interpretation = outcome.interpretation
    return {
        "total": outcome.total,
        "page": outcome.params.page,
        "per_page": outcome.params.per_page,
        "location": location,
        "interpretation": {
            "conditions": list(interpretation.conditions),
            "modalities": list(interpretation.modalities),
            "setting": interpretation.setting,
            "text": interpretation.describe(_display_name),
        },
        "suggestion": outcome.suggestion,
        "facets": outcome.facets,
        "results": outcome.results,
    }


def _display_name(slug: str) -> str:
    term = vocabulary.terms().get(slug)
    return term.name if term else slug
