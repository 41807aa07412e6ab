"""Answering a search request: interpretation and place, the engine's selection, the page's rows
hydrated from the database (the truth), and the API's JSON shape."""

from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from directory import geo, licensing, locales, signs, specialties, vocabulary
from directory.db import db
from directory.interpret import Interpretation, interpret, mid_sentence
from directory.practices.models import Tenant
from directory.practitioners.models import (
    License,
    Office,
    Practitioner,
    Specialty,
    confirmed_recently,
    practitioner_condition,
    practitioner_modality,
)
from directory.practitioners.profiles import public_rule
from directory.search import engine, sync
from directory.search.params import (
    DEFAULT_RADIUS,
    MAX_RADIUS,
    RADIUS_CHOICES,
    Params,
    SearchError,
)
from directory.vocabulary import Condition, Modality


@dataclass(frozen=True)
class Alternative:
    """A search next to an empty one that lists somebody: what it changes, and how many it
    lists (exactly: the link gives that many)."""

    #: "radius" (a wider circle), "place" (the same search near another city), "setting".
    kind: str
    #: The parameters that change, as the request names them ({"radius": 25}).
    changes: dict
    total: int


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
    #: The engine's time guard fired: counts may be short (said on the page and in the JSON).
    truncated: bool = False
    candidates: int = 0
    #: What to know before booking, most urgent first: red flags ("emergency",
    #: "see_doctor_first"), then populations' and conditions' advice ("info").
    advice: list[dict] = field(default_factory=list)
    #: Why nobody is listed whatever the roster: "emergency" (go now), "see_doctor_first"
    #: (until the client says a doctor cleared them), else None.
    withheld: str | None = None
    #: When nobody within the radius matches: how far the nearest match is (miles), if any
    #: within MAX_RADIUS.
    nearest_miles: float | None = None
    #: When nobody is listed (and nothing is withheld): the nearest searches that list somebody.
    alternatives: list[Alternative] = field(default_factory=list)
    #: The profile ids of `results`, in order: the appearances this page counts (insights).
    shown: list[int] = field(default_factory=list)


def display_name(slug: str) -> str:
    """A vocabulary entry's name for people; the slug itself when it is unknown."""
    return locales.term_name(slug)


def advice_for(interpretation: Interpretation) -> list[dict]:
    """The advice a need calls for, most urgent first: its red flags, then the advice for the
    populations and conditions it names. An emergency says only where to go now."""
    terms = vocabulary.terms()
    advice = signs.advice(interpretation.red_flags)
    if any(a["level"] == "emergency" for a in advice):
        return advice
    populations = {p.slug: p for p in vocabulary.populations()}
    named = [populations[slug] for slug in interpretation.populations]
    advice += [
        {"condition": None, "level": "info", "text": locales.translated(p.advice)} for p in named
    ]
    # A population's advice says what its conditions' would ("book a prenatal therapist").
    said = {slug for p in named for slug in p.terms}
    advice += [
        {"condition": t.slug, "level": t.level or "info", "text": locales.translated(t.text)}
        for t in (terms[slug] for slug in interpretation.conditions)
        if t.text and t.slug not in said
    ]
    return sorted(advice, key=lambda a: vocabulary.ADVICE_LEVELS.index(a["level"]))


def withheld(interpretation: Interpretation, params: Params) -> str | None:
    """Why a need lists nobody whatever else it names (DESIGN.md, "Advice levels"): an
    emergency always; a see-a-doctor-first sign until the client says they were cleared."""
    levels = {vocabulary.terms()[slug].level for slug in interpretation.red_flags}
    if "emergency" in levels:
        return "emergency"
    if "see_doctor_first" in levels and not params.cleared:
        return "see_doctor_first"
    return None


def _resolve_location(params: Params, interpretation: Interpretation):
    near = params.near or (interpretation.place or "")
    if not near:
        return None
    try:
        # Words after "near" in the need may not be a place at all: never guessed at.
        return geo.resolve(near, correct=bool(params.near) and not params.near_exact)
    except geo.PlaceError as exc:
        # A place read from the need text ("... near Hoboken") is asked about only when it is
        # a real city in several states; anything else was probably not meant as a place.
        city = vocabulary.normalize(near)
        ambiguous = exc.suggestions and all(
            vocabulary.normalize(s.rsplit(",", 1)[0]) == city for s in exc.suggestions
        )
        if params.near or ambiguous:
            raise SearchError(
                "unknown_location", locales.say(exc.message), "near", exc.suggestions
            ) from exc
        return None


def _tenant_id(slug: str | None) -> int | None:
    if slug is None:
        return None
    found = db.session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    return -1 if found is None else found  # an unknown practice matches nobody


def search(params: Params, alternatives: bool = False) -> Outcome:
    """Run a search; SearchError for an unknown place. With `alternatives`, an empty answer
    comes with the nearest searches that list somebody (each one more search)."""
    interpretation = interpret(params.q)
    location = _resolve_location(params, interpretation)
    radius = None
    if location is not None and location.kind != "state":
        radius = params.radius or DEFAULT_RADIUS
    on = licensing.today()
    held = withheld(interpretation, params)
    selection = engine.nothing() if held else _select(params, interpretation, location, radius, on)
    nearest, others = None, []
    if not selection.total and radius and not held and radius < MAX_RADIUS:
        beyond = _beyond(params, interpretation, location, on)
        if beyond:
            nearest = round(beyond[0].distance, 1)
            if alternatives:
                others += _wider(params, interpretation, location, on, radius, beyond)
    if alternatives and not selection.total and not held:
        others += _other_settings(params, interpretation, location, radius, on)
    shown = []
    rows = (
        _hydrate(selection.hits, interpretation, on, _required(params, interpretation), shown)
        if selection.hits
        else []
    )
    return Outcome(
        params=params,
        interpretation=interpretation,
        location=location,
        radius=radius,
        total=selection.total,
        facets=selection.facets,
        results=rows,
        suggestion=interpretation.suggestion,
        truncated=selection.truncated,
        candidates=selection.candidates,
        advice=advice_for(interpretation),
        withheld=held,
        nearest_miles=nearest,
        alternatives=others,
        shown=shown,
    )


def _select(
    params: Params, interpretation: Interpretation, location, radius, on, facets: bool = True
):
    store = sync.store()
    with store.searcher() as searcher:
        return engine.select(
            searcher, store.columns, params, interpretation, location, radius, on,
            tenant_id=_tenant_id(params.tenant), facets=facets,
        )  # fmt: skip


#: How many of the nearest matches beyond the radius are looked at for their cities, and how
#: many cities are offered.
BEYOND, CITIES = 50, 3


def _beyond(params: Params, interpretation: Interpretation, location, on) -> list[engine.Hit]:
    """The nearest matches within MAX_RADIUS, nearest first (the radius had none)."""
    wider = replace(params, sort="distance", page=1, per_page=BEYOND)
    hits = _select(wider, interpretation, location, MAX_RADIUS, on, facets=False).hits
    return [hit for hit in hits if hit.distance is not None]


def _count(params: Params, interpretation: Interpretation, location, radius, on) -> int:
    only = replace(params, page=1, per_page=1)
    return _select(only, interpretation, location, radius, on, facets=False).total


def _wider(params, interpretation, location, on, radius, beyond) -> list[Alternative]:
    """The smallest offered radius that reaches the nearest match, and the cities of the nearest
    matches, each searched with the radius asked for; with their exact counts."""
    found = []
    reach = next(r for r in RADIUS_CHOICES if r >= beyond[0].distance)
    total = _count(params, interpretation, location, reach, on)
    if total:
        found.append(Alternative("radius", {"radius": reach}, total))
    offices = dict(
        db.session.execute(
            select(Office.id, Office.city + ", " + Office.state).where(
                Office.id.in_([hit.office_id for hit in beyond])
            )
        ).all()
    )
    cities = dict.fromkeys(offices[hit.office_id] for hit in beyond if hit.office_id in offices)
    places = []
    for near in list(cities)[: CITIES + 1]:
        try:
            place = geo.resolve(near, correct=not params.near_exact)
        except geo.PlaceError:
            continue
        if place.label != location.label and len(places) < CITIES:
            places.append((near, place))
    for near, place in places:
        # Counted as the link will search it: this city, the radius asked for.
        total = _count(params, interpretation, place, params.radius or DEFAULT_RADIUS, on)
        if total:
            found.append(Alternative("place", {"near": near}, total))
    return found


def _other_settings(params, interpretation, location, radius, on) -> list[Alternative]:
    """The setting the client did not choose, when a chosen setting lists nobody ("spa & medical"
    only: medical, then spa). A medical need is never offered spa therapists."""
    others = {"medical": ("spa",), "spa": ("medical",), "both": ("medical", "spa")}
    found = []
    for setting in others.get(params.setting, ()):
        if setting == "spa" and interpretation.setting == "medical":
            continue
        total = _count(replace(params, setting=setting), interpretation, location, radius, on)
        if total:
            found.append(Alternative("setting", {"setting": setting}, total))
    return found


def heading(outcome: Outcome) -> str:
    """What the page lists, in one line ("Medical massage for sciatica"): the need as
    understood, in the setting the client chose if they chose one ("relax" + sciatica with
    `setting=spa` lists spa therapists: never under a "Medical massage" heading)."""
    chosen = outcome.params.setting
    interpretation = outcome.interpretation
    if chosen in ("medical", "spa") and interpretation.setting not in (None, chosen):
        interpretation = replace(interpretation, setting=chosen)
    return describe(interpretation)


def _listed(items: list[str], word: str) -> str:
    """ "a", "a and b", "a, b and c" in the page's language (`word`: a translated "and"/"or");
    items that hold the word themselves are joined by commas alone."""
    if len(items) < 2:
        return "".join(items)
    if any(f" {word} " in item for item in items):  # "lower back pain, desk posture and tech neck"
        return ", ".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def describe(interpretation: Interpretation) -> str:
    """One line for people, in the page's language ("Medical massage for sciatica"); "" when
    nothing was understood."""
    if not (interpretation.conditions or interpretation.modalities or interpretation.setting):
        return ""
    kinds = {"medical": _("Medical massage"), "spa": _("Spa massage")}
    text = kinds.get(interpretation.setting or "", _("Massage"))
    names = [mid_sentence(display_name(slug)) for slug in interpretation.conditions]
    if names:
        text = _("%(massage)s for %(needs)s", massage=text, needs=_listed(names, _("and")))
    names = [mid_sentence(display_name(slug)) for slug in interpretation.modalities]
    if names:
        text = _("%(massage)s: %(modalities)s", massage=text, modalities=_listed(names, _("and")))
    return text


def need_phrase(interpretation: Interpretation) -> str:
    """What a match must do, for "No one within 10 miles ... treats sciatica": "" when the
    need named nothing."""
    conditions = [mid_sentence(display_name(s)) for s in interpretation.conditions]
    modalities = [mid_sentence(display_name(s)) for s in interpretation.modalities]
    either, both = " " + _("or") + " ", " " + _("and") + " "
    parts = []
    if conditions:
        parts.append(_("treats %(needs)s", needs=either.join(conditions)))
    if modalities:
        parts.append(_("offers %(modalities)s", modalities=either.join(modalities)))
    held = [specialties.short(kind) for kind in interpretation.specialties]
    if held:
        # A population's need: the credential is required, what else was named only ranks.
        return _("holds a verified %(credentials)s credential", credentials=both.join(held))
    return either.join(parts)


def _required(params: Params, interpretation: Interpretation) -> frozenset[str]:
    """The specialties every listed therapist must hold, verified: asked for or routed to."""
    return frozenset((*params.specialties, *interpretation.specialties))


#: The profile fields a result carries for the client to decide on (prices, lengths, languages,
#: home visits, HSA/FSA, referrals), named as the profile's JSON names them.
CARD_FACTS = (
    "price_min",
    "price_max",
    "session_lengths",
    "languages",
    "in_home",
    "hsa_fsa",
    "accepts_physician_referrals",
)


#: The fewest ids a hydration statement takes; a longer page takes twice, four times as many.
SLOTS = 20


def _slots(count: int) -> int:
    """How many ids the statements for a page of `count` rows take: SLOTS doubled until
    they fit, so a handful of statement shapes serve every page size."""
    slots = SLOTS
    while slots < count:
        slots *= 2
    return slots


def _padded(name: str, values: list[int], slots: int) -> dict:
    """Bound values name0 .. name{slots-1}: the values, the last repeated to fill every slot
    (a repeated id selects nothing more)."""
    values = values + values[-1:] * (slots - len(values))
    return {f"{name}{i}": value for i, value in enumerate(values)}


@cache
def _statements(slots: int) -> dict:
    """The hydration's statements for pages of up to `slots` rows, built once. Each id is a
    bound parameter of its own (IN (?, ?, ...), padded by _padded): the statement is compiled
    once and every later page runs it as cached, where building statements anew, or an
    expanding IN re-rendered for each page, cost several times what their SQL costs."""
    ids = [bindparam(f"id{i}") for i in range(slots)]
    tags = {
        kind: select(table.c.practitioner_id, model.slug, model.name)
        .join(model, model.id == table.c[f"{kind}_id"])
        .where(table.c.practitioner_id.in_(ids))
        .order_by(model.name)
        for kind, table, model in (
            ("condition", practitioner_condition, Condition),
            ("modality", practitioner_modality, Modality),
        )
    }
    return {
        # The same rows as visible(), read as columns.
        "rows": select(
            Practitioner.id, Practitioner.slug, Practitioner.name, Practitioner.credentials,
            Practitioner.headline, Practitioner.headline_es, Practitioner.setting,
            Practitioner.accepting_new_clients, Practitioner.accepting_confirmed_at,
            Practitioner.photo, Practitioner.updated_at, Practitioner.booking_url,
            Practitioner.claimed, *(getattr(Practitioner, name) for name in CARD_FACTS),
            Tenant.slug.label("tenant_slug"), Tenant.name.label("tenant_name"),
        )
        .join_from(Practitioner, Tenant, Practitioner.tenant)
        .where(public_rule(), Practitioner.id.in_(ids)),
        "offices": select(
            Office.id, Office.practitioner_id, Office.city, Office.state, Office.zip, Office.lat,
            Office.lon,
        ).where(Office.id.in_([bindparam(f"office{i}") for i in range(slots)])),
        "licenses": select(
            License.practitioner_id, License.state, License.status, License.expires_on,
            License.check_method, License.check_source, License.checked_on,
            License.roster_status,
        )
        .where(License.practitioner_id.in_(ids))
        .order_by(License.state),
        "specialties": select(
            Specialty.practitioner_id, Specialty.kind, Specialty.issuer, Specialty.status,
            Specialty.expires_on,
        ).where(Specialty.practitioner_id.in_(ids)),
        **tags,
    }  # fmt: skip


def _hydrate(
    hits: list[engine.Hit],
    interpretation: Interpretation,
    on: date,
    required: frozenset[str],
    shown: list[int],
) -> list[dict]:
    """The page's rows, read again from the database (a few Core queries for the whole page);
    their profile ids appended to `shown`."""
    slots = _slots(len(hits))
    statements = _statements(slots)
    ids = _padded("id", [hit.pid for hit in hits], slots)
    # The database is the truth: a row changed since it was indexed is judged as it is now.
    rows = {row.id: row for row in _run(statements["rows"], ids)}
    office_ids = _padded("office", [hit.office_id for hit in hits], slots)
    offices = {row.id: row for row in _run(statements["offices"], office_ids)}
    licenses = _grouped(statements["licenses"], ids)
    specialty_rows = _grouped(statements["specialties"], ids)
    tags = {kind: _grouped(statements[kind], ids) for kind in ("condition", "modality")}
    results = []
    for hit in hits:
        p, office = rows.get(hit.pid), offices.get(hit.office_id)
        licensed = licenses.get(hit.pid, [])
        if p is None or office is None or office.practitioner_id != hit.pid:
            continue
        if not licensing.may_list_office(office, licensed, on):
            continue
        # A certificate rejected or changed since it was indexed no longer routes to anyone.
        held = {r.kind for r in specialty_rows.get(hit.pid, []) if specialties.earns_badge(r, on)}
        if not required <= held:
            continue
        matched = {}
        listed = {}
        for kind, wanted in (
            ("condition", interpretation.conditions),
            ("modality", interpretation.modalities),
        ):
            entries = tags[kind].get(hit.pid, [])
            matched[kind] = [e.name for e in entries if e.slug in wanted]
            listed[kind] = matched[kind] + [e.name for e in entries if e.name not in matched[kind]]
        results.append(
            {
                "slug": p.slug,
                "name": p.name,
                "credentials": p.credentials,
                "headline": p.headline,
                "headline_es": p.headline_es,
                "tenant": {"slug": p.tenant_slug, "name": p.tenant_name},
                "setting": p.setting,
                "conditions": listed["condition"],
                "modalities": listed["modality"],
                "matched": {"conditions": matched["condition"], "modalities": matched["modality"]},
                # lat/lon: the centre of the office's ZIP code (the only geocoding we do).
                "office": {
                    "city": office.city,
                    "state": office.state,
                    "zip": office.zip,
                    "lat": None if office.lat is None else round(office.lat, 4),
                    "lon": None if office.lon is None else round(office.lon, 4),
                },
                "distance_miles": None if hit.distance is None else round(hit.distance, 1),
                "licenses": [
                    {
                        "state": lic.state,
                        "status": licensing.public_status(lic, on),
                        "expires": lic.expires_on.isoformat() if lic.expires_on else None,
                        "verification": licensing.verification(
                            lic.state,
                            lic.check_method,
                            lic.check_source,
                            lic.checked_on,
                            lic.roster_status,
                        )
                        if licensing.licenses_massage(lic.state)
                        else None,
                    }
                    for lic in licensed
                ],
                "verified": licensing.earns_badge(office, licensed, on),
                "specialties": specialties.shown(specialty_rows.get(hit.pid, []), on),
                # An unclaimed listing says nothing the records do not: null, not "no".
                "accepting_new_clients": p.accepting_new_clients if p.claimed else None,
                "claimed": p.claimed,
                "accepting_confirmed_at": _iso(p.accepting_confirmed_at),
                "accepting_confirmed_recently": confirmed_recently(p.accepting_confirmed_at),
                **{name: getattr(p, name) if p.claimed else None for name in CARD_FACTS},
                "photo": url_for("editor.media", name=p.photo) if p.photo else None,
                "updated_at": _iso(p.updated_at),
                "booking_url": p.booking_url or None,
                "url": f"/p/{p.slug}",
            }
        )
        shown.append(hit.pid)
    return results


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def _run(statement, params: dict):
    """Rows of a Core statement on the session's connection (its transaction), without the ORM's
    result handling: these rows are plain columns."""
    return db.session.connection().execute(statement, params)


def _grouped(query, params: dict) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in _run(query, params):
        grouped.setdefault(row.practitioner_id, []).append(row)
    return grouped


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
            "alternatives": list(place.alternatives),
            "chosen_because": place.chosen_because,
            "corrected_from": place.corrected_from,
        }
    interpretation = outcome.interpretation
    return {
        "total": outcome.total,
        "truncated": outcome.truncated,
        "page": outcome.params.page,
        "per_page": outcome.params.per_page,
        "location": location,
        "interpretation": {
            "conditions": list(interpretation.conditions),
            "modalities": list(interpretation.modalities),
            "setting": interpretation.setting,
            "red_flags": list(interpretation.red_flags),
            "populations": list(interpretation.populations),
            "specialties": list(interpretation.specialties),
            "choices": [list(group) for group in interpretation.choices],
            "text": describe(interpretation),
        },
        "suggestion": outcome.suggestion,
        "advice": outcome.advice,
        "withheld": outcome.withheld,
        "nearest_miles": outcome.nearest_miles,
        "alternatives": [
            {"kind": a.kind, "changes": a.changes, "total": a.total} for a in outcome.alternatives
        ],
        "facets": outcome.facets,
        "results": outcome.results,
    }
