"""The results page: the HTML twin of /api/v1/search."""

from flask import Blueprint, render_template, request, url_for

from directory.practices import roster
from directory.search import results, sync
from directory.search.params import RADIUS_CHOICES, SearchError, parse

bp = Blueprint("search", __name__)

RADII = RADIUS_CHOICES


def _url(args: dict, **changes) -> str:
    merged = {k: v for k, v in args.items() if k != "page"}
    merged.update(changes)
    return url_for("search.index", **{k: v for k, v in merged.items() if v not in (None, "", [])})


@bp.get("/search")
def index():
    args = {k: request.args.getlist(k) if k in ("condition", "modality") else request.args.get(k)
            for k in request.args}  # fmt: skip
    try:
        params = parse(request.args)
        sync.catch_up()
        outcome = results.search(params)
    except SearchError as error:
        return render_template("search/index.html", error=error, args=args, radii=RADII), 400
    return render_template(
        "search/index.html",
        outcome=outcome,
        scope=roster.active_tenant(params.tenant) if params.tenant else None,
        args=args,
        radii=RADII,
        url=lambda **changes: _url(args, **changes),
        name_of=results.display_name,
        description=outcome.interpretation.describe(results.display_name),
        need=results.need_phrase(outcome.interpretation),
    )
