"""Choosing and ranking practitioners: a need, a place and filters in; ids, offices, distances,
scores and facet counts out (no API dicts, no database).

Whoosh answers what only it can, the postings of analysed text terms, scored with its BM25F;
everything else is array work over the decoded segments of `columns`: which documents match the
need, the filters, the licensing rules as of today, the nearest listed office within the exact
radius, the facet counts over every match, and the ranking. Only the page's rows leave the
engine. Totals and facets are exact; `truncated` says when the time guard cut the text part.
"""

import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache

import numpy as np

from directory import languages, vocabulary
from directory.geo import EARTH_RADIUS_MILES, Place
from directory.interpret import Interpretation
from directory.search import columns
from directory.search.columns import (
    CONDITIONS,
    GENDER_CODES,
    GENDER_NAMES,
    LANGUAGES,
    MODALITIES,
    SETTING_CODES,
    SPECIALTIES,
    STATES,
    UNSTATED,
)
from directory.search.index import SCHEMA, TEXT_FIELDS
from directory.search.params import FLAGS, MAX_TERMS, PRICE_STEPS, Params

#: The segment column of each yes/no filter.
FLAG_COLUMNS = {"accepting": "accepting", "in_home": "in_home", "hsa_fsa": "hsa_fsa",
                "referrals": "referrals"}  # fmt: skip
#: Conditions + modalities a focused practice lists; longer lists weigh a match down.
FOCUSED_LIST = 12
#: Weights of what a match scores as, besides text: each wanted condition / modality listed, and
#: for a need answered by its setting, the intended setting or "both".
CONDITION_BOOST, MODALITY_BOOST = 4.0, 3.0
SETTING_BOOST, BOTH_BOOST = 0.5, 0.3
#: A last-resort guard on reading postings for text terms; the answer says when it fired.
TIME_LIMIT_SECONDS = 2.0
_SPA, _BOTH = SETTING_CODES["spa"], SETTING_CODES["both"]


@dataclass
class Hit:
    pid: int
    office_id: int
    distance: float | None
    verified: bool
    score: float


@dataclass
class Selection:
    total: int
    facets: dict
    hits: list[Hit]
    #: Documents matching the need, the filters and the place (before `verified`): the work done.
    candidates: int = 0
    #: The time guard stopped reading text postings: totals and facets may be short.
    truncated: bool = False


def nothing() -> Selection:
    """The selection of a search that lists nobody (a red flag with no treatable need)."""
    return Selection(0, _facets([]), [])


@dataclass
class _Request:
    clauses: list[tuple[str, str, float]]
    conditions: list[int]
    modalities: list[int]
    #: The setting whose profiles match a need answered by its setting (spa needs), else None.
    setting_clause: int | None
    intent: int | None
    browse: bool
    setting_filter: int | None
    exclude_spa: bool
    condition_filters: list[int]
    modality_filters: list[int]
    #: Specialties that must be held, verified and current (asked for, or a population's).
    specialty_filters: list[int]
    #: A population's need (pregnancy...): every holder of its specialty is listed, and what
    #: else the need names only ranks them.
    rank_only: bool
    tenant_id: int | None
    verified_only: bool
    include_unclaimed: bool
    #: The yes/no client filters asked for (accepting, in_home, hsa_fsa, referrals).
    flags: tuple[str, ...]
    #: Per language asked for, the codes of its spellings (any one will do).
    languages: list[list[int]]
    gender: int | None
    price_max: int | None
    location: Place | None
    radius: float
    today: int
    deadline: float
    #: Count the facets (False: a count or the nearest hits are all that is wanted).
    facets: bool = True


@dataclass
class _Part:
    """Matches of one segment, one row per matching document."""

    pid: np.ndarray
    office_id: np.ndarray
    distance: np.ndarray
    verified: np.ndarray
    score: np.ndarray
    setting: np.ndarray
    listed: np.ndarray
    covered: np.ndarray
    accepting: np.ndarray
    unclaimed: np.ndarray
    facets: dict = field(default_factory=dict)


@lru_cache(maxsize=4096)
def _tokens(field_name: str, word: str) -> tuple[str, ...]:
    return tuple(t.text for t in SCHEMA[field_name].analyzer(word, mode="query"))


@cache
def generic_words() -> frozenset[str]:
    """Words in the names of three or more vocabulary entries ("massage", "therapy", "pain"):
    a bio that says "massage" does not mention couples massage."""
    counts: Counter = Counter()
    for term in vocabulary.terms().values():
        if term.kind != "red_flag":
            counts.update(set(vocabulary.normalize(term.name).split()))
    return frozenset(word for word, n in counts.items() if n >= 3)


@lru_cache(maxsize=16)
def _generic_tokens(field_name: str) -> frozenset[str]:
    """The generic words as a field's analyser indexes them: "massaging", "muscles" and
    "paining" are "massage", "muscle" and "pain" to a stemmed field."""
    return frozenset(t for word in generic_words() for t in _tokens(field_name, word))


def text_clauses(interpretation: Interpretation) -> list[tuple[str, str, float, bool]]:
    """(field, token, boost, widens) of the text a need is looked for in: the names of what was
    recognised in headlines and bios, and the other words in every text field. A clause that
    widens lists whoever matches it; the others only rank. Named entries' distinctive words
    widen (a profile that mentions "couples" in its bio); generic words ("massage", "pain", in
    any form the analyser gives the same token) and, once something was named, the other words
    only rank: "couples massage" never lists a profile whose bio merely says "massage", nor
    "my shoulder blades are paining me" one whose headline says "pain"."""
    clauses = []
    named = [vocabulary.terms()[slug].name for slug in (*interpretation.conditions,
                                                        *interpretation.modalities)]  # fmt: skip
    # A specialist who writes "sciatica" in the headline outranks one who merely lists it.
    for name in named:
        for word in vocabulary.normalize(name).split():
            clauses += [(f, t, 1.0, t not in _generic_tokens(f)) for f in ("headline", "bio")
                        for t in _tokens(f, word)]  # fmt: skip
    words = [w for w in interpretation.terms if re.fullmatch(r"[a-z0-9]+", w)][:MAX_TERMS]
    for word in words:
        clauses += [(f, t, 1.0, not named and t not in _generic_tokens(f)) for f in TEXT_FIELDS
                    for t in _tokens(f, word)]  # fmt: skip
    return clauses


def _request(params, interpretation, location, radius, on: date, tenant_id) -> _Request:
    intent = SETTING_CODES.get(interpretation.setting)
    clauses = text_clauses(interpretation)
    named = interpretation.conditions or interpretation.modalities
    # A medical need is only said by a pain or clinical word ("pain", "my doctor sent me"):
    # when it has words of its own ("pain in my pinky toe"), those list, never a pain word alone.
    own_words = interpretation.setting == "medical" and any(c[3] for c in clauses)
    spa_need = (interpretation.setting == "spa" and not interpretation.modalities) or (
        interpretation.setting is not None and not named and not own_words
    )
    # A need for relaxation ("a relaxing gift") is answered by the setting even when no listed
    # condition matches; a need naming a modality ("hot stone", "couples massage") lists only
    # therapists who offer (or mention) it, as a medical need naming a condition lists only
    # therapists who treat (or mention) it.
    setting_clause = intent if spa_need else None
    conditions = [CONDITIONS.get(s) for s in interpretation.conditions]
    modalities = [MODALITIES.get(s) for s in interpretation.modalities]
    return _Request(
        clauses=clauses,
        conditions=conditions,
        modalities=modalities,
        setting_clause=setting_clause,
        intent=intent,
        browse=not (clauses or conditions or modalities or setting_clause is not None),
        setting_filter=SETTING_CODES[params.setting] if params.setting else None,
        # A medical need is never answered with a spa-only therapist.
        exclude_spa=not params.setting and interpretation.setting == "medical",
        condition_filters=[CONDITIONS.get(s) for s in params.conditions],
        modality_filters=[MODALITIES.get(s) for s in params.modalities],
        specialty_filters=[
            SPECIALTIES.get(kind)
            for kind in dict.fromkeys((*params.specialties, *interpretation.specialties))
        ],
        rank_only=bool(interpretation.specialties),
        tenant_id=tenant_id,
        verified_only=params.verified,
        include_unclaimed=params.include_unclaimed,
        flags=tuple(name for name in FLAGS if getattr(params, name)),
        languages=[
            LANGUAGES.matching(name) for name in params.languages if not languages.is_english(name)
        ],
        gender=GENDER_CODES[params.gender] if params.gender else None,
        price_max=params.price_max,
        location=location,
        radius=float(radius or 0),
        today=on.toordinal(),
        deadline=time.monotonic() + TIME_LIMIT_SECONDS,
    )


def select(
    searcher,
    cache: columns.SegmentCache,
    params: Params,
    interpretation: Interpretation,
    location: Place | None,
    radius: int | None,
    on: date,
    tenant_id: int | None = None,
    facets: bool = True,
) -> Selection:
    """Every match of the request, counted and ranked; the hits of the requested page; the
    facet counts unless `facets` is False (then {})."""
    # Decoded first: decoding registers the codes the request is translated to.
    segments = cache.segments(searcher)
    if not segments or not searcher.doc_count():
        return Selection(0, _facets([]), [])
    req = _request(params, interpretation, location, radius, on, tenant_id)
    req.facets = facets
    stats = [
        (field_name, token, boost, widens, searcher.idf(field_name, token),
         searcher.avg_field_length(field_name) or 1)
        for field_name, token, boost, widens in req.clauses
    ]  # fmt: skip
    weighting = searcher.weighting
    parts, candidates, truncated = [], 0, False
    for key, segment, reader in segments:
        part, matched, cut = _segment(req, stats, weighting, cache, key, segment, reader)
        parts.append(part)
        candidates += matched
        truncated = truncated or cut
    return _ranked(req, parts, params, candidates, truncated, interpretation)


def _segment(req: _Request, stats, weighting, cache, key, seg, reader):
    size = seg.size
    mask = columns.live_mask(reader, seg) & _filters(req, seg)
    truncated = False
    score = np.zeros(size)
    covered = np.zeros(size, dtype=np.int32)
    if req.browse:
        matched = mask
    else:
        matched = np.zeros(size, dtype=bool)
        for codes, pairs, boost in (
            (req.conditions, seg.conditions, CONDITION_BOOST),
            (req.modalities, seg.modalities, MODALITY_BOOST),
        ):
            for code in codes:
                holders = pairs.holders(code)
                score[holders] += boost
                covered[holders] += 1
                matched[holders] = True
        if req.setting_clause is not None:
            for code, boost in ((req.setting_clause, SETTING_BOOST), (_BOTH, BOTH_BOOST)):
                has = seg.setting == code
                score[has] += boost
                matched |= has
        for field_name, token, boost, widens, idf, avgfl in stats:
            if time.monotonic() > req.deadline:
                truncated = True
                break
            post = cache.postings(key, reader, field_name, token)
            if post.size:
                score[post.doc] += boost * post.bm25(idf, avgfl, weighting)
                if widens:
                    matched[post.doc] = True
        matched = mask.copy() if req.rank_only else matched & mask
    # The place: the nearest office listed today within the exact radius (or in the state).
    place = req.location
    if place is None or place.kind == "state":
        office_ok = matched[seg.office_doc] & (seg.office_listed_until >= req.today)
        if place is not None:
            office_ok &= seg.office_state == STATES.get(place.state)
        rows = np.flatnonzero(office_ok)
        distance = None
        # Without a place, a practitioner is shown at a badge-earning office first.
        first_key = (seg.office_badge_until[rows] < req.today).astype(np.float64)
        if place is not None:
            first_key[:] = 0.0
    else:
        rows = _within_box(seg, place.lat, place.lon, req.radius)
        rows = rows[matched[seg.office_doc[rows]] & (seg.office_listed_until[rows] >= req.today)]
        distance = _haversine(place.lat, place.lon, seg.office_phi[rows],
                              seg.office_cos_phi[rows], seg.office_lon[rows])  # fmt: skip
        inside = distance <= req.radius
        rows, distance = rows[inside], distance[inside]
        first_key = distance
    chosen_rows = _first_per_document(seg.office_doc[rows], first_key)
    rows = rows[chosen_rows]
    distance = distance[chosen_rows] if distance is not None else np.full(len(rows), np.nan)
    docs = seg.office_doc[rows]
    placed = len(docs)
    verified = seg.office_badge_until[rows] >= req.today
    if req.verified_only:
        rows, docs, distance = rows[verified], docs[verified], distance[verified]
        verified = verified[verified]
    # The setting facet says what each choice would give: counted before the setting is applied.
    settings = seg.setting[docs].astype(np.int64)
    setting_counts = np.bincount(settings, minlength=UNSTATED + 1)[:UNSTATED]
    allowed = _setting_allows(req, settings)
    rows, docs, distance = rows[allowed], docs[allowed], distance[allowed]
    verified = verified[allowed]
    part = _Part(
        pid=seg.pid[docs],
        office_id=seg.office_id[rows],
        distance=distance,
        verified=verified,
        score=score[docs],
        setting=settings[allowed],
        listed=seg.listed[docs],
        covered=covered[docs],
        accepting=seg.accepting[docs],
        unclaimed=~seg.claimed[docs],
    )
    if not req.facets:
        return part, placed, truncated
    # The facets count the documents that add to them (the others add nothing but totals).
    docs = docs[seg.faceted[docs]]
    chosen = np.zeros(size, dtype=bool)
    chosen[docs] = True
    packed = columns.packed(chosen)
    prices = seg.price_min[docs]
    part.facets = {
        "setting": setting_counts,
        "conditions": seg.conditions.count(packed, len(CONDITIONS)),
        "modalities": seg.modalities.count(packed, len(MODALITIES)),
        "specialties": seg.specialty_counts(chosen, req.today, len(SPECIALTIES)),
        "languages": seg.languages.count(packed, len(LANGUAGES)),
        "gender": np.bincount(seg.gender[docs].astype(np.int64), minlength=len(GENDER_NAMES)),
        "flags": np.array([int(getattr(seg, FLAG_COLUMNS[n])[docs].sum()) for n in FLAGS]),
        "price": np.array([int(((prices >= 0) & (prices <= p)).sum()) for p in PRICE_STEPS]),
    }
    return part, placed, truncated


def _first_per_document(docs: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Positions of the row with the smallest key per document, the earliest among equals
    (rows grouped by document, in office-id order within each). Linear: no sort."""
    if not len(docs):
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
    smallest = np.repeat(np.minimum.reduceat(key, starts), np.diff(np.r_[starts, len(docs)]))
    best = np.flatnonzero(key == smallest)
    first = np.r_[True, docs[best][1:] != docs[best][:-1]]
    return best[first]


def _filters(req: _Request, seg) -> np.ndarray:
    """The documents the request's filters allow (practice, setting, tags)."""
    keep = np.ones(seg.size, dtype=bool)
    if req.tenant_id is not None:
        keep &= seg.tenant == req.tenant_id
    if not req.include_unclaimed:
        keep &= seg.claimed
    for name in req.flags:
        keep &= getattr(seg, FLAG_COLUMNS[name])
    for codes in req.languages:
        speaks = np.zeros(seg.size, dtype=bool)
        for code in codes:
            speaks |= seg.languages.having(code)
        keep &= speaks
    if req.gender is not None:
        keep &= seg.gender == req.gender
    if req.price_max is not None:
        keep &= (seg.price_min >= 0) & (seg.price_min <= req.price_max)
    for code in req.condition_filters:
        keep &= seg.conditions.having(code)
    for code in req.modality_filters:
        keep &= seg.modalities.having(code)
    for code in req.specialty_filters:
        keep &= seg.holding(code, req.today)
    return keep


def _setting_allows(req: _Request, settings: np.ndarray) -> np.ndarray:
    """Which settings the request lists: `setting=medical` is medical and both, `spa` spa and
    both, `both` only both; a medical need without a choice never lists spa-only."""
    if req.setting_filter == _BOTH:
        return settings == _BOTH
    if req.setting_filter is not None:
        return (settings == req.setting_filter) | (settings == _BOTH)
    if req.exclude_spa:
        return settings != _SPA
    return np.ones(len(settings), dtype=bool)


def _within_box(seg, lat: float, lon: float, miles: float) -> np.ndarray:
    """Offices in the bounding box of the circle (padded by 1%), grouped by document: a slice
    of the latitude-sorted offices, then longitude; the exact distance is computed on these."""
    angular = miles * 1.01 / EARTH_RADIUS_MILES
    dlat = math.degrees(angular)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = math.degrees(math.asin(min(1.0, math.sin(angular) / cos_lat)))
    low = np.searchsorted(seg.office_lat_sorted, lat - dlat, side="left")
    high = np.searchsorted(seg.office_lat_sorted, lat + dlat, side="right")
    lons = seg.office_lon_by_lat[low:high]
    rows = seg.office_by_lat[low:high][(lons >= lon - dlon) & (lons <= lon + dlon)]
    if len(rows) * 64 < len(seg.office_doc):
        rows.sort()
        return rows
    # Many rows (a dense place): marking them among all offices is linear, a sort is not.
    inside = np.zeros(len(seg.office_doc), dtype=bool)
    inside[rows] = True
    return np.flatnonzero(inside).astype(rows.dtype)


def _haversine(lat: float, lon: float, phi2: np.ndarray, cos_phi2: np.ndarray,
               lons: np.ndarray) -> np.ndarray:  # fmt: skip
    """geo.distance_miles over arrays (same formula, same order of operations, so the same
    miles), from the offices' latitudes in radians and their cosines (the segment's
    office_phi and office_cos_phi: computed once, not per search)."""
    phi1 = math.radians(lat)
    dphi = phi2 - phi1
    dlambda = np.radians(lons - lon)
    h = np.sin(dphi / 2) ** 2 + math.cos(phi1) * cos_phi2 * np.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def _ranked(req, parts, params, candidates, truncated, interpretation) -> Selection:
    pid = np.concatenate([p.pid for p in parts]) if parts else np.zeros(0, np.int64)
    total = len(pid)
    facets = _facets(parts) if req.facets else {}
    if not total:
        return Selection(0, facets, [], candidates, truncated)
    names = ("office_id", "distance", "verified", "score", "setting", "listed", "covered",
             "accepting", "unclaimed")  # fmt: skip
    cat = {name: np.concatenate([getattr(p, name) for p in parts]) for name in names}
    score, distance = cat["score"], cat["distance"]
    wanted = len(set(interpretation.conditions)) + len(set(interpretation.modalities))
    coverage = cat["covered"] / wanted if wanted else np.zeros(total)
    listed = cat["listed"]
    if wanted:
        focus = np.minimum(1.0, FOCUSED_LIST / np.maximum(listed, 1))
        focus[listed == 0] = 0.0
    else:
        focus = np.zeros(total)
    top = score.max()
    text = score / top if top else np.zeros(total)
    has_distance = ~np.isnan(distance)
    # The need's fit, in a few levels, so that how a profile happens to be written (a tag more,
    # a word more) never outweighs whether the therapist can take the client, and how far.
    need = (
        # What was asked: the share of named needs treated, or (none named) the text's match
        # in tenths, so that near-equal text counts as equal.
        2.0 * (coverage if wanted else np.round(text, 1))
        # A specialist (a short list of needs) over a catch-all list.
        + 0.4 * (_specialist(listed) if wanted else 0.0)
        # The setting the need calls for ("spa & medical" offers either).
        + 0.8 * _fit(cat["setting"], req.intent)
    )
    # Among equal needs: a claimed profile before an unclaimed listing (public records say
    # nothing of fit), then accepting new clients, then a verified license, then the nearer.
    unclaimed = cat["unclaimed"].astype(np.int8)
    level = np.round(need * 100) * 8 + 4 * (1 - unclaimed) + 2 * cat["accepting"] + cat["verified"]
    # Only then the exact text mentions and list length.
    detail = 0.4 * focus + 0.6 * text
    near_first = np.nan_to_num(distance)
    start = (params.page - 1) * params.per_page
    end = start + params.per_page
    if params.sort == "distance" and has_distance.any():
        keys = (pid, -detail, -level, unclaimed, near_first)
    else:
        # One key for level then distance (under MAX_RADIUS < 1000 miles): the page's rows
        # are found by partitioning it, with no ties beyond equal distances.
        keys = (pid, -detail, near_first - level * 1000.0)
    order = _top(keys, end)[start:end]
    hits = [
        Hit(
            pid=int(pid[i]),
            office_id=int(cat["office_id"][i]),
            distance=float(distance[i]) if has_distance[i] else None,
            verified=bool(cat["verified"][i]),
            score=float(score[i]),
        )
        for i in order
    ]
    return Selection(total, facets, hits, candidates, truncated)


def _top(keys: tuple, count: int) -> np.ndarray:
    """Row numbers of the first `count` rows in lexsort order of `keys` (last key first)."""
    primary = keys[-1]
    if count < len(primary) // 4:
        # Only rows that can reach the page are sorted: ties at the cut are all kept.
        cut = np.partition(primary, count - 1)[count - 1]
        rows = np.flatnonzero(primary <= cut)
        return rows[np.lexsort(tuple(k[rows] for k in keys))][:count]
    return np.lexsort(keys)[:count]


def _fit(setting: np.ndarray, intent: int | None) -> np.ndarray:
    """How a therapist's setting fits the need's: its own fully, the other not at all (a need
    with no setting: all alike). "Spa & medical" offers a spa need what a spa does, and a
    medical need a step less than a clinic: the clinical specialist (a lymphedema therapist
    over a body-wrap studio's drainage) comes first."""
    if intent is None:
        return np.full(len(setting), 0.5)
    both = 1.0 if intent == _SPA else 0.7
    return np.where(setting == intent, 1.0, np.where(setting == _BOTH, both, 0.0))


def _specialist(listed: np.ndarray) -> np.ndarray:
    """A short list of conditions and modalities (up to twice FOCUSED_LIST) 1, a catch-all one
    (over four times) 0, between them 0.5; none listed 0."""
    return np.where(
        (listed > 0) & (listed <= 2 * FOCUSED_LIST),
        1.0,
        np.where((listed > 0) & (listed <= 4 * FOCUSED_LIST), 0.5, 0.0),
    )


def _facets(parts) -> dict:
    def summed(name: str, size: int) -> np.ndarray:
        total = np.zeros(size, dtype=np.int64)
        for p in parts:
            counts = p.facets[name]
            total[: len(counts)] += counts
        return total

    def named(counts: np.ndarray, name_of) -> dict:
        # Most common first; equal counts in alphabetical order (stable whatever the index).
        items = [(name_of(code), int(n)) for code, n in enumerate(counts) if n]
        return dict(sorted(items, key=lambda item: (-item[1], item[0])))

    verified = sum(int(p.verified.sum()) for p in parts)
    total = sum(len(p.pid) for p in parts)
    raw = summed("setting", 3)
    # What choosing each would list: medical and spa include "both".
    choices = raw.copy()
    choices[_SPA] += raw[_BOTH]
    choices[SETTING_CODES["medical"]] += raw[_BOTH]
    # Spellings of one language count together, under the most common one.
    spoken: dict[str, tuple[str, int]] = {}
    for code, n in enumerate(summed("languages", len(LANGUAGES))):
        if n:
            name = LANGUAGES.name(code)
            key = name.casefold()
            best, count = spoken.get(key, (name, 0))
            spoken[key] = (best, count + int(n))
    genders = summed("gender", len(GENDER_NAMES))
    return {
        "setting": named(choices, columns.SETTING_NAMES.__getitem__),
        "conditions": named(summed("conditions", len(CONDITIONS)), CONDITIONS.name),
        "modalities": named(summed("modalities", len(MODALITIES)), MODALITIES.name),
        "specialties": named(summed("specialties", len(SPECIALTIES)), SPECIALTIES.name),
        "verified": {"true": verified, "false": total - verified},
        # Unclaimed listings among the matches (pages count them apart from therapists).
        "unclaimed": sum(int(p.unclaimed.sum()) for p in parts),
        "languages": dict(sorted(spoken.values(), key=lambda item: (-item[1], item[0]))),
        "gender": {GENDER_NAMES[c]: int(n) for c, n in enumerate(genders) if c and n},
        **{name: int(n) for name, n in zip(FLAGS, summed("flags", len(FLAGS)), strict=True)},
        "price_max": {
            str(step): int(n)
            for step, n in zip(PRICE_STEPS, summed("price", len(PRICE_STEPS)), strict=True)
        },
    }
