"""The results page: the HTML twin of /api/v1/search."""

from urllib.parse import urlencode

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from directory import paging, specialties
from directory.insights import visits
from directory.practices import roster
from directory.search import results, sync
from directory.search.params import FLAGS, PRICE_STEPS, RADIUS_CHOICES, SearchError, parse
from directory.web import CANONICAL, without_blanks

bp = Blueprint("search", __name__)

RADII = RADIUS_CHOICES
#: Parameters that repeat.
LISTS = ("condition", "modality", "language", "specialty")
#: The yes/no client filters as the results page names them.
FLAG_LABELS = (
    ("accepting", _l("Accepting new clients")),
    ("in_home", _l("Comes to your home")),
    ("hsa_fsa", _l("HSA/FSA superbills")),
    ("referrals", _l("Takes physician referrals")),
)
#: The setting facet's choices: each counts who offers it ("spa & medical" counts in each).
SETTING_LABELS = (
    ("medical", _l("Offers medical massage")),
    ("spa", _l("Offers spa massage")),
    ("both", _l("Offers both")),
)
GENDER_LABELS = (("woman", _l("Woman")), ("man", _l("Man")), ("nonbinary", _l("Nonbinary")))
#: The parameters the filters set (the phone's filter form has an input for each).
FACET_KEYS = ("setting", "verified", "specialty", *FLAGS, "price_max", "gender", "language",
              "condition", "modality")  # fmt: skip
#: Single-valued parameters a new search from the form keeps.
FILTER_KEYS = ("setting", "verified", "tenant", "sort", *FLAGS, "gender", "price_max",
               "include_unclaimed")  # fmt: skip


#: Characters a query string keeps as they are: werkzeug's, so a link reads as url_for's.
QUERY_SAFE = "!$'()*,/:;?@"


def _url(args: dict, **changes) -> str:
    """This search's URL with `changes` (None removes a parameter), as
    url_for("search.index", ...) builds it: the path is built once per request, the query
    encoded here (a results page has a hundred facet links; url_for for each was a tenth of
    the page's CPU)."""
    merged = {k: v for k, v in args.items() if k != "page"}
    merged.update(changes)
    items = [
        (key, item)
        for key, value in merged.items()
        if value not in (None, "", [])
        for item in (value if isinstance(value, list | tuple | set) else (value,))
        if item is not None
    ]
    path = _search_path()
    return f"{path}?{urlencode(items, safe=QUERY_SAFE)}" if items else path


def _search_path() -> str:
    path = g.get("search_path")
    if path is None:
        path = g.search_path = url_for("search.index")
    return path


@bp.get("/search")
def index():
    if clean := without_blanks():
        return clean
    args = {k: request.args.getlist(k) if k in LISTS else request.args.get(k)
            for k in request.args}  # fmt: skip
    try:
        params = parse(request.args)
        sync.catch_up()
        outcome = results.search(params, alternatives=True)
    except SearchError as error:
        # The suggestions keep the client's filters: links are built by _url, as on results.
        return render_template("search/index.html", error=error, args=args, radii=RADII,
                               filters=FILTER_KEYS, robots="noindex, follow",
                               url=lambda **changes: _url(args, **changes)), 400  # fmt: skip
    visits.results_shown(outcome)
    return render_template(
        "search/index.html",
        outcome=outcome,
        paged=paging.counted(outcome.results, params.page, outcome.total, params.per_page),
        robots=_robots(),
        # A profile opened from the results prefills its inquiry form's "what it is about".
        about=next(iter((*outcome.interpretation.conditions, *params.conditions)), None),
        scope=roster.active_tenant(params.tenant) if params.tenant else None,
        args=args,
        radii=RADII,
        filters=FILTER_KEYS,
        flag_labels=FLAG_LABELS,
        setting_labels=SETTING_LABELS,
        gender_labels=GENDER_LABELS,
        price_steps=PRICE_STEPS,
        chosen_languages=params.languages,
        url=lambda **changes: _url(args, **changes),
        name_of=results.display_name,
        specialty_name=specialties.name,
        specialty_short=specialties.short,
        description=results.heading(outcome),
        need=results.need_phrase(outcome.interpretation),
        map_pins=_pins(outcome),
        filters_on=_filters_on(params),
        kept=_kept(args),
        cleared_filters=dict.fromkeys(FACET_KEYS),
    )


#: The parameters of a search worth indexing (its canonical URL's); more is a facet combination.
INDEXED_ARGS = set(CANONICAL["search.index"])


def _robots() -> str | None:
    """Facet combinations are followed but not indexed (thousands of near-copies)."""
    return "noindex, follow" if set(request.args) - INDEXED_ARGS else None


def _filters_on(params) -> int:
    """How many filters narrow this search (said on the phone's collapsed "Filters")."""
    single = [params.setting, params.verified, params.gender, params.price_max,
              not params.include_unclaimed]  # fmt: skip
    single += [getattr(params, name) for name in FLAGS]
    lists = (params.conditions, params.modalities, params.languages, params.specialties)
    return sum(1 for value in single if value) + sum(len(values) for values in lists)


#: What the phone's filter form carries unchanged, as hidden fields (not the page: new filters
#: start at page 1).
KEPT_KEYS = ("q", "near", "near_exact", "radius", "tenant", "sort", "cleared", "per_page")


def _kept(args: dict) -> list[tuple[str, str]]:
    """The search's KEPT_KEYS as (name, value) pairs, in the order of the query string."""
    return [(key, args[key]) for key in args if key in KEPT_KEYS and args[key]]


def _pins(outcome) -> list[dict]:
    """The page's results as the map shows them (those whose office has coordinates)."""
    return [
        {
            "slug": r["slug"],
            "name": r["name"],
            "lat": r["office"]["lat"],
            "lon": r["office"]["lon"],
            "place": f"{r['office']['city']}, {r['office']['state']}",
            "miles": r["distance_miles"],
        }
        for r in outcome.results
        if r["office"]["lat"] is not None and r["office"]["lon"] is not None
    ]
