"""The JSON API routes: search, a public profile, and the OpenAPI document."""

from flask import Blueprint, jsonify, request

from directory.api import openapi as spec
from directory.practitioners import profiles
from directory.search import results, sync
from directory.search.params import SearchError, parse

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/search")
def search():
    try:
        params = parse(request.args)
        sync.catch_up()
        outcome = results.search(params, alternatives=True)
    except SearchError as error:
        return jsonify(error.as_dict()), 400
    return jsonify(results.as_json(outcome))


@bp.get("/practitioners/<slug:slug>")
def show(slug: str):
    return jsonify(profiles.as_json(profiles.get_visible_or_404(slug)))


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 document of every /api/ route."""
    return jsonify(spec.served())
