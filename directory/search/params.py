"""Reading a search request: the query string in, validated `Params` (or a SearchError) out."""

import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from directory import geo, languages, signs, vocabulary
from directory.interpret import MAX_NEED_LENGTH, red_flags_in
from directory.locales import number
from directory.paging import PER_PAGE
from directory.validation import is_slug, whole_number

MAX_Q = MAX_NEED_LENGTH
#: Longer than any query string a server accepts: a bound on the work of cleaning one.
_MAX_URL = 65_536
MAX_TERMS = 12
MAX_FILTER_VALUES = 10
#: The search's own limits, narrower than paging's (the API documents them): pages past 500
#: and more than 50 results a page are refused.
MAX_PAGE = 500
DEFAULT_RADIUS = 10
MAX_RADIUS = 250
#: The radii the results page offers.
RADIUS_CHOICES = (5, 10, 25, 50, 100, 250)
SORTS = ("relevance", "distance")
MAX_PER_PAGE = 50


class SearchError(ValueError):
    """A request the search cannot answer; `code` is the API's error code."""

    def __init__(self, code: str, message: str, field: str, suggestions=(), advice=()):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field
        self.suggestions = list(suggestions)
        #: Red-flag advice a refused need still carries (a story too long to search may
        #: describe an emergency).
        self.advice = list(advice)

    def as_dict(self) -> dict:
        error = {"code": self.code, "message": str(self.message), "field": self.field}
        if self.suggestions:
            error["suggestions"] = self.suggestions
        if self.advice:
            error["advice"] = self.advice
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
    per_page: int = PER_PAGE
    #: Client filters (DESIGN.md, "JSON API"): each narrows, all combine.
    accepting: bool = False
    in_home: bool = False
    hsa_fsa: bool = False
    referrals: bool = False
    #: Language names as profiles spell them (an ISO 639-1 code is read as its name).
    languages: list[str] = field(default_factory=list)
    gender: str | None = None
    #: Dollars: therapists whose lowest listed price is at most this (no price listed: out).
    price_max: int | None = None
    #: Specialty kinds the therapist must hold, verified ("clt", "prenatal"...).
    specialties: list[str] = field(default_factory=list)
    #: The client says a doctor cleared them: a see-a-doctor-first need lists therapists.
    cleared: bool = False
    #: `near` exactly as typed: no misspelling corrected (the "search for what I typed" undo).
    near_exact: bool = False
    #: List unclaimed listings from public records (below claimed profiles of equal fit). On
    #: unless `include_unclaimed=0`: a directory seeded from the records is mostly listings.
    include_unclaimed: bool = True


def _clean(value: str, limit: int) -> str:
    # Control characters and NUL never reach the parser; length is capped, not refused.
    value = "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in value)
    return " ".join(value.split())[:limit]


#: What each parameter is, in the words of the page, for the messages people read (the API's
#: `field` keeps the parameter's name; the `message` is for people).
WORDS = {
    "radius": (_l("The distance"), _l("miles")),
    "page": (_l("The page number"), ""),
    "per_page": (_l("The number of results on a page"), ""),
    "price_max": (_l("The highest price"), _l("dollars")),
    "accepting": (_l("Accepting new clients"), ""),
    "in_home": (_l("Comes to you"), ""),
    "hsa_fsa": (_l("Takes HSA or FSA cards"), ""),
    "referrals": (_l("Takes physician referrals"), ""),
    "cleared": (_l("Cleared by a doctor"), ""),
    "near_exact": (_l("The place as typed"), ""),
    "verified": (_l("Verified only"), ""),
    "include_unclaimed": (_l("Listings not yet claimed"), ""),
}


def _int(args, name: str, low: int, high: int, default: int | None) -> int | None:
    raw = args.get(name, "")
    if raw in ("", None):
        return default
    value = whole_number(raw.strip(), low, high)
    if value is None:
        label, unit = WORDS[name]
        bounds = {"label": label, "low": number(low), "high": number(high)}
        if unit:
            message = _("%(label)s must be a whole number of %(unit)s from %(low)s to %(high)s.",
                        unit=unit, **bounds)  # fmt: skip
        else:
            message = _("%(label)s must be a whole number from %(low)s to %(high)s.", **bounds)
        raise SearchError("invalid_parameter", message, name)
    return value


def _need(args) -> str:
    """The need, cleaned; longer than MAX_Q is refused, never cut: a story's last words may be
    the ones that matter."""
    need = _clean(args.get("q", ""), _MAX_URL)
    if len(need) > MAX_Q:
        raise SearchError(
            "need_too_long",
            _(
                "Please describe your need in at most %(most)s characters (this has %(has)s): "
                "the condition and where it hurts are enough.",
                most=number(MAX_Q),
                has=number(len(need)),
            ),
            "q",
            advice=signs.advice(red_flags_in(need)),
        )
    return need


def _specialties(args) -> list[str]:
    values = [v for v in args.getlist("specialty") if v]
    if len(values) > MAX_FILTER_VALUES:
        raise SearchError(
            "invalid_parameter",
            _("Choose at most %(most)s specialties at a time.", most=number(MAX_FILTER_VALUES)),
            "specialty",
        )  # fmt: skip
    kinds = vocabulary.specialties()
    for value in values:
        if value not in kinds:
            raise SearchError(
                "invalid_parameter",
                _(
                    "Unknown specialty %(value)r: use one of %(kinds)s.",
                    value=value[:40],
                    kinds=", ".join(kinds),
                ),
                "specialty",
            )
    return list(dict.fromkeys(values))


def _slugs(args, name: str, kind: str) -> list[str]:
    values = [v for v in args.getlist(name) if v]
    if len(values) > MAX_FILTER_VALUES:
        most = {"condition": _l("Choose at most %(most)s conditions at a time."),
                "modality": _l("Choose at most %(most)s modalities at a time.")}[kind]  # fmt: skip
        raise SearchError("invalid_parameter", str(most) % {"most": MAX_FILTER_VALUES}, name)
    slugs = []
    for value in values:
        term = vocabulary.terms().get(value)
        if term is None or term.kind != kind:
            unknown = {
                "condition": _l("We do not know the condition \u201c%(value)s\u201d."),
                "modality": _l("We do not know the modality \u201c%(value)s\u201d."),
            }[kind]
            raise SearchError("invalid_parameter", str(unknown) % {"value": value[:40]}, name)
        if value not in slugs:
            slugs.append(value)
    return slugs


#: The yes/no filters: parameter -> what it means, for messages.
FLAGS = ("accepting", "in_home", "hsa_fsa", "referrals")
GENDERS = ("woman", "man", "nonbinary")
#: The budgets the results page offers (dollars), with how many each would list.
PRICE_STEPS = (60, 80, 100, 120, 150, 200)
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _flag(args, name: str, default: bool = False) -> bool:
    """A switch: on or off as given; absent or blank is its default, for the API as for the
    page (whose form redirects a blank parameter away: web.without_blanks)."""
    value = (args.get(name) or "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SearchError(
        "invalid_parameter",
        _("\u201c%(label)s\u201d is either on (1) or off (0).", label=WORDS[name][0]),
        name,
    )


def _languages(args) -> list[str]:
    values = [v.strip() for v in args.getlist("language") if v.strip()]
    if len(values) > MAX_FILTER_VALUES:
        raise SearchError(
            "invalid_parameter",
            _("Choose at most %(most)s languages at a time.", most=number(MAX_FILTER_VALUES)),
            "language",
        )  # fmt: skip
    names: list[str] = []
    for value in values:
        name = languages.name(value)
        if name is None:
            raise SearchError(
                "invalid_parameter",
                _(
                    "Unknown language %(value)r: use a name (Spanish) or a two-letter ISO 639-1 "
                    "code (es).",
                    value=value[:40],
                ),
                "language",
            )
        if name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return names


def parse(args) -> Params:
    """Validate a query string (a MultiDict); SearchError names the bad parameter."""
    setting = args.get("setting") or None
    if setting is not None and setting not in vocabulary.SETTINGS:
        raise SearchError("invalid_parameter", _("The setting is spa, medical or both."), "setting")
    verified = args.get("verified", "")
    if verified not in ("", "0", "1", "true", "false"):
        raise SearchError(
            "invalid_parameter",
            _("\u201c%(label)s\u201d is either on (1) or off (0).", label=WORDS["verified"][0]),
            "verified",
        )
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        raise SearchError(
            "invalid_parameter", _("Results are sorted by relevance or by distance."), "sort"
        )
    tenant = args.get("tenant") or None
    if tenant is not None and not is_slug(tenant):
        raise SearchError(
            "invalid_parameter", _("That is not the address of a practice on Kneaded."), "tenant"
        )
    gender = args.get("gender") or None
    if gender is not None and gender not in GENDERS:
        raise SearchError(
            "invalid_parameter", _("The therapist's gender is woman, man or nonbinary."), "gender"
        )
    return Params(
        q=_need(args),
        near=_clean(args.get("near", ""), geo.MAX_INPUT_LENGTH),
        radius=_int(args, "radius", 1, MAX_RADIUS, None),
        setting=setting,
        conditions=_slugs(args, "condition", "condition"),
        modalities=_slugs(args, "modality", "modality"),
        verified=verified in ("1", "true"),
        tenant=tenant,
        sort=sort,
        page=_int(args, "page", 1, MAX_PAGE, 1),
        per_page=_int(args, "per_page", 1, MAX_PER_PAGE, PER_PAGE),
        **{name: _flag(args, name) for name in FLAGS},
        languages=_languages(args),
        gender=gender,
        price_max=_int(args, "price_max", 1, 10_000, None),
        specialties=_specialties(args),
        cleared=_flag(args, "cleared"),
        near_exact=_flag(args, "near_exact"),
        include_unclaimed=_flag(args, "include_unclaimed", default=True),
    )
