"""The Open Referral HSDS 3.0 read API under /hsds/ (DESIGN.md, "Paths"): thin views over
`reads`, answering with the specification's paginated `Page` wrapper; its own OpenAPI document
is the specification's, with our details filled in."""

import copy
import json
from functools import cache
from importlib import resources

from flask import Blueprint, abort, jsonify, request

from directory.hsds import reads, records
from directory.mail import public_url

bp = Blueprint("hsds", __name__, url_prefix="/hsds")

#: The specification's paths this API answers (the others it defines are optional).
PATHS = (
    "/", "/services", "/services/{id}", "/organizations", "/organizations/{id}",
    "/taxonomies", "/taxonomies/{id}", "/taxonomy_terms", "/taxonomy_terms/{id}",
)  # fmt: skip


#: Parameters of the specification's paths this API does not answer: left out of its document.
UNANSWERED = ("#/components/parameters/minimal",)


@bp.errorhandler(reads.BadParameter)
def bad_parameter(error: reads.BadParameter):
    return jsonify(error.as_dict()), 400


def _query() -> reads.Query:
    return reads.parse(request.args)


@bp.get("/")
def index():
    return jsonify(
        {
            "version": records.VERSION,
            "profile": "https://docs.openreferral.org/en/3.0/",
            "openapi_url": public_url("hsds.openapi_document"),
        }
    )


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(document(public_url("hsds.index")))


@bp.get("/services")
def services():
    return jsonify(reads.services(_query()))


@bp.get("/services/<string(length=36):service_id>")
def service(service_id: str):
    return _found(reads.service(service_id))


@bp.get("/organizations")
def organizations():
    return jsonify(reads.organizations(_query()))


@bp.get("/organizations/<string(length=36):organization_id>")
def organization(organization_id: str):
    return _found(reads.organization(organization_id, _query().full_service))


@bp.get("/taxonomies")
def taxonomies():
    return jsonify(reads.taxonomies(_query()))


@bp.get("/taxonomies/<string(length=36):taxonomy_id>")
def taxonomy(taxonomy_id: str):
    found = [t for t in records.taxonomies() if t["id"] == taxonomy_id]
    return _found(found[0] if found else None)


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    parent = request.args.get("parent_id")
    return jsonify(reads.taxonomy_terms(_query(), reads.flag(request.args, "top_only"), parent))


@bp.get("/taxonomy_terms/<string(length=36):term_id>")
def taxonomy_term(term_id: str):
    found = records.term_by_id(term_id)
    return _found(found[1] if found else None)


def _found(record: dict | None):
    if record is None:
        abort(404)
    return jsonify(record)


@cache
def _specification() -> dict:
    path = resources.files("directory").joinpath("data/hsds/openapi.json")
    return json.loads(path.read_text(encoding="utf-8"))


def document(base: str) -> dict:
    """The specification's OpenAPI document for the paths we answer, served from `base`."""
    spec = copy.deepcopy(_specification())
    spec["info"] = {
        "title": "Massage therapist directory: Open Referral HSDS 3.0 API",
        "version": records.VERSION,
        "summary": "Practices, each listed therapist's massage and their offices, as HSDS 3.0.",
        "description": "Organizations are practices; a service is one listed therapist's "
        "massage (setting, conditions treated, modalities and state licenses are "
        "attributes); locations are their listed offices. `search` runs the directory's own "
        "search and cannot be combined with the other filters. A state's top license term "
        "selects the services with any of its status terms, and a kind of practice (an "
        "organization's term) the services of such practices. `top_only` gives the terms "
        "without a parent; `format` is json only; `minimal` is not offered; fully nested "
        "organizations come at most 20 a page.",
    }
    spec["servers"] = [{"url": base.rstrip("/")}]
    spec["paths"] = {path: item for path, item in spec["paths"].items() if path in PATHS}
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p for p in operation["parameters"] if p.get("$ref") not in UNANSWERED
                ]
    return spec
