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

#: Endpoint -> the specification's path it answers (the others it defines are optional).
ENDPOINT_PATHS = {
    "hsds.index": "/", "hsds.services": "/services", "hsds.service": "/services/{id}",
    "hsds.organizations": "/organizations", "hsds.organization": "/organizations/{id}",
    "hsds.taxonomies": "/taxonomies", "hsds.taxonomy": "/taxonomies/{id}",
    "hsds.taxonomy_terms": "/taxonomy_terms", "hsds.taxonomy_term": "/taxonomy_terms/{id}",
    "hsds.openapi_document": None,
}  # fmt: skip
PATHS = tuple(path for path in ENDPOINT_PATHS.values() if path is not None)
#: Parameters of the specification's paths this API does not answer: left out of its document.
UNANSWERED = ("#/components/parameters/minimal",)
#: What each kind of record is called in a 404.
NOT_FOUND = {
    "hsds.service": "No public service has this id.",
    "hsds.organization": "No listed organization has this id.",
    "hsds.taxonomy": "No taxonomy has this id.",
    "hsds.taxonomy_term": "No taxonomy term has this id.",
}


@bp.errorhandler(reads.BadParameter)
def bad_parameter(error: reads.BadParameter):
    return jsonify(error.as_dict()), 400


@bp.before_request
def only_its_parameters():
    """A parameter the path does not take is a 400 naming it, not a filter silently ignored
    (a misspelt organisation_id would otherwise answer with everything)."""
    path = ENDPOINT_PATHS.get(request.endpoint or "")
    taken = parameters(path) if path else frozenset()
    for name in request.args:
        if name not in taken:
            offered = ", ".join(sorted(taken)) or "no parameters"
            raise reads.BadParameter(name, f"{name} is not a parameter here (this takes "
                                     f"{offered}).")  # fmt: skip


@bp.after_request
def any_origin(response):
    """Public data, read without cookies: any site's browser client may read it."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


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
    return jsonify(reads.taxonomy_terms(_query()))


@bp.get("/taxonomy_terms/<string(length=36):term_id>")
def taxonomy_term(term_id: str):
    found = records.term_by_id(term_id)
    return _found(found[1] if found else None)


def _found(record: dict | None):
    if record is None:
        abort(404, description=NOT_FOUND[request.endpoint])
    return jsonify(record)


@cache
def _specification() -> dict:
    path = resources.files("directory").joinpath("data/hsds/openapi.json")
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def parameters(path: str) -> frozenset[str]:
    """The query parameters the served document gives `path` (the specification's, less
    UNANSWERED)."""
    spec = document("/")
    named = spec["components"]["parameters"]
    found = set()
    for operation in spec["paths"][path].values():
        for p in operation.get("parameters", []) if isinstance(operation, dict) else ():
            p = named[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
            if p["in"] == "query":
                found.add(p["name"])
    return frozenset(found)


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
