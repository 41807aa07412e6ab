"""The search engine as it was before the column engine (issue 10), frozen as the reference the
parity test compares the new engine with: its schema, documents and candidate selection, ranking
and facets, copied unchanged except that it runs without its time limit. Delete with that test.
"""

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np
from whoosh import qparser
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.query import And, AndMaybe, ConstantScoreQuery, Every, Or, Term

from directory import geo, licensing, vocabulary
from directory.interpret import Interpretation
from directory.search.engine import generic_words
from tests import legacy_geohash as geohash

MAX_TERMS = 12
FOCUSED_LIST = 12


@dataclass
class Candidate:
    pid: int
    score: float
    data: dict
    office: dict
    distance: float | None
    verified: bool
    rank: float = 0.0
    fit: float = 0.0


_stem = StemmingAnalyzer()

SCHEMA = Schema(
    pid=ID(stored=True, unique=True),
    #: JSON of what ranking, facets and the honesty rules need per result, so no DB round trip.
    data=STORED(),
    name=TEXT(field_boost=1.5),
    headline=TEXT(analyzer=_stem),
    bio=TEXT(analyzer=_stem, field_boost=0.5),
    condition_text=TEXT(analyzer=_stem, field_boost=3.0),
    modality_text=TEXT(analyzer=_stem, field_boost=2.0),
    conditions=KEYWORD(commas=True),
    modalities=KEYWORD(commas=True),
    setting=ID(),
    tenant=ID(),
    states=KEYWORD(),
    geo=KEYWORD(),
)
TEXT_FIELDS = ("name", "headline", "bio", "condition_text", "modality_text")


def _vocabulary_text(items) -> str:
    # " | " keeps a phrase from matching across two entries.
    return " | ".join(" ; ".join((item.name, *item.synonyms)) for item in items)


def _office_entries(practitioner, on: date) -> list[dict]:
    entries = []
    for office in licensing.listed_offices(practitioner, on):
        current = [
            lic.expires_on
            for lic in practitioner.licenses
            if lic.state == office.state and licensing.is_current(lic, on)
        ]
        verified = [
            lic.expires_on
            for lic in practitioner.licenses
            if lic.state == office.state and licensing.status(lic, on) == "verified"
        ]
        entries.append(
            {
                "id": office.id,
                "lat": office.lat,
                "lon": office.lon,
                "city": office.city,
                "state": office.state,
                "zip": office.zip,
                # Judged again at query time, so an expiry takes effect without reindexing.
                "listed_until": max(current).isoformat(),
                "badge_until": max(verified).isoformat() if verified else None,
            }
        )
    return entries


def document(practitioner, on: date | None = None) -> dict | None:
    """The index document of a practitioner, or None when it must not be searchable."""
    on = on or licensing.today()
    if not practitioner.is_publicly_visible:
        return None
    offices = _office_entries(practitioner, on)
    if not offices:
        return None
    conditions = [c.slug for c in practitioner.conditions]
    modalities = [m.slug for m in practitioner.modalities]
    cells = sorted({cell for o in offices for cell in geohash.prefixes(o["lat"], o["lon"])})
    data = {
        "pid": practitioner.id,
        "setting": practitioner.setting,
        "tenant": practitioner.tenant.slug,
        "conditions": conditions,
        "modalities": modalities,
        "offices": offices,
        "accepting": practitioner.accepting_new_clients,
    }
    return {
        "pid": str(practitioner.id),
        "data": json.dumps(data, separators=(",", ":")),
        "name": f"{practitioner.name} {practitioner.credentials}",
        "headline": practitioner.headline,
        "bio": practitioner.bio,
        "condition_text": _vocabulary_text(practitioner.conditions),
        "modality_text": _vocabulary_text(practitioner.modalities),
        "conditions": ",".join(conditions),
        "modalities": ",".join(modalities),
        "setting": practitioner.setting,
        "tenant": practitioner.tenant.slug,
        "states": " ".join(sorted({o["state"] for o in offices})),
        "geo": " ".join(cells),
    }


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
    if (interpretation.setting == "spa" and not interpretation.modalities) or (
        interpretation.setting and not (interpretation.conditions or interpretation.modalities)
    ):
        # A need for relaxation ("a relaxing gift") is answered by the setting even when no
        # listed condition matches; a need naming a modality or a medical condition lists only
        # therapists who offer or treat (or mention) it.
        clauses.append(Term("setting", interpretation.setting, boost=0.5))
        clauses.append(Term("setting", "both", boost=0.3))
    clauses += [Term("modalities", slug, boost=3.0) for slug in interpretation.modalities]
    # The names of what was recognised, looked for in headlines and bios too: a specialist
    # who writes "sciatica" in the headline outranks a profile that merely lists everything.
    # Only their distinctive words widen the match; generic ones ("massage") and, once something
    # was named, the other words only rank (engine.text_clauses).
    named = [vocabulary.terms()[slug].name for slug in (*interpretation.conditions,
                                                        *interpretation.modalities)]  # fmt: skip
    generic = generic_words()
    ranking = []
    if named:
        parser = _parser(("headline", "bio"))
        for name in named:
            for word in vocabulary.normalize(name).split():
                parsed = parser.parse(word)
                (ranking if word in generic else clauses).append(parsed)
    words = [w for w in interpretation.terms if re.fullmatch(r"[a-z0-9]+", w)][:MAX_TERMS]
    if words:
        parsed = _parser().parse(" ".join(words))
        if parsed is not None and parsed.__class__.__name__ != "NullQuery":
            (ranking if named else clauses).append(parsed)
    if not clauses:
        return None
    return AndMaybe(Or(clauses), Or(ranking)) if ranking else Or(clauses)


def _filters(params, interpretation: Interpretation, location, radius):
    # The setting is applied after the setting facet is counted (see select()).
    filters = []
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


def _setting_allows(setting: str, params, interpretation: Interpretation) -> bool:
    if params.setting == "both":
        return setting == "both"
    if params.setting:
        return setting in (params.setting, "both")
    # A medical need is never answered with a spa-only therapist.
    return not (interpretation.setting == "medical" and setting == "spa")


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
        c.fit = float(
            np.round(
                # numpy's rounding, as the engine rounds (Python's round() differs at halves).
                2.0 * (coverage if wanted else float(np.round(text, 1)))
                + 0.4 * float(np.round(focus, 1))
                + 0.8 * _fit(c.data["setting"], interpretation.setting)
                + 0.3 * c.verified
                + 0.2 * bool(c.data["accepting"]),
                6,
            )
        )
        c.rank = 0.4 * focus + 0.6 * text


def _facets(candidates, settings: Counter) -> dict:
    """Facets of the candidates; `settings` counts each setting before the setting filter,
    and the facet says what choosing each would list (medical and spa include "both")."""
    settings = Counter(
        {
            "medical": settings["medical"] + settings["both"],
            "spa": settings["spa"] + settings["both"],
            "both": settings["both"],
        }
    )
    settings = +settings  # drop zeros
    conditions = Counter(slug for c in candidates for slug in c.data["conditions"])
    modalities = Counter(slug for c in candidates for slug in c.data["modalities"])
    verified = Counter("true" if c.verified else "false" for c in candidates)
    return {
        "setting": dict(settings.most_common()),
        "conditions": dict(conditions.most_common()),
        "modalities": dict(modalities.most_common()),
        "verified": {"true": verified.get("true", 0), "false": verified.get("false", 0)},
    }


@dataclass
class _Hit:
    docnum: int
    score: float


def _candidates(searcher, query, location, radius, verified_only, today: str):
    # The reference runs without the time limit, and walks the matcher plainly: Whoosh's
    # collector calls replace() every 10th match, and on OrGroup queries that loses matches
    # ("numb fingers when typing" near Brooklyn, 10k corpus: 2,033 matching, 1,371 collected).
    # The new engine has neither problem; the comparison is with what the old query meant.
    results = []
    matcher = query.matcher(searcher, searcher.context())
    while matcher.is_active():
        results.append(_Hit(matcher.id(), matcher.score()))
        matcher.next()
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


def select(searcher, params, interpretation, location, radius, on: date):
    """(candidates in the old engine's order, facets) for a request, as search() computed them."""
    today = on.isoformat()
    text = _text_query(interpretation)
    filters = _filters(params, interpretation, location, radius)
    base = text if text is not None else Every()
    query = And([base, *(ConstantScoreQuery(f, 0.0) for f in filters)]) if filters else base
    candidates = _candidates(searcher, query, location, radius, params.verified, today)
    settings = Counter(c.data["setting"] for c in candidates)
    candidates = [
        c for c in candidates if _setting_allows(c.data["setting"], params, interpretation)
    ]
    order(candidates, interpretation, radius, params.sort, location)
    return candidates, _facets(candidates, settings)


def order(candidates, interpretation, radius, sort, location):
    """Rank and sort candidates in place, by their `score`, as the old engine did."""
    top_score = max((c.score for c in candidates), default=0.0)
    _rank(candidates, interpretation, radius or 10, top_score)
    if sort == "distance" and location is not None and location.kind != "state":
        candidates.sort(key=lambda c: (c.distance, -c.fit, -c.rank, c.pid))
    else:
        # Best fit first; among equal fits the nearer; then specialists and text mentions.
        candidates.sort(key=lambda c: (-c.fit, c.distance or 0.0, -c.rank, c.pid))
