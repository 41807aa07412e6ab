"""The JSON API, a thin layer over the same operations the pages use."""

from flask import Blueprint, jsonify, request

from directory.practitioners import profiles
from directory.search import engine

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/search")
def search():
    try:
        outcome = engine.search(engine.parse(request.args))
    except engine.SearchError as error:
        return jsonify(error.as_dict()), 400
    return jsonify(engine.as_json(outcome))


@bp.get("/practitioners/<slug>")
def show(slug: str):
    return jsonify(profiles.as_json(profiles.get_visible_or_404(slug)))
