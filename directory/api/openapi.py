"""The OpenAPI 3.1 document of every /api/ route, served at /api/v1/openapi.json.

The profile's schema is derived from the field table (practitioners/fields.py) like the JSON it
describes; the tests validate the document and every API answer the suite receives against it,
and fail on an /api/ route it does not describe.
"""

from flask import current_app

from directory import licensing, vocabulary
from directory.geo import MOST_POPULOUS
from directory.mail import public_url
from directory.practitioners import fields
from directory.practitioners.models import ACCEPTING_FRESH_DAYS, LICENSE_STATUSES
from directory.search.params import (
    FLAGS,
    GENDERS,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_Q,
    MAX_RADIUS,
    SORTS,
)
from directory.search.results import CARD_FACTS
from directory.validation import SLUG
from directory.vocabulary import SETTINGS

#: Endpoint -> the path the document gives it (under the server's /api/v1).
PATHS = {
    "api.search": "/search",
    "api.show": "/practitioners/{slug}",
    "api.openapi_document": "/openapi.json",
}

_NULLABLE_STRING = {"type": ["string", "null"]}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}


def _error(codes: list[str]) -> dict:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": codes},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                    "suggestions": {"type": "array", "items": {"type": "string"}},
                    "advice": {
                        "type": "array",
                        "description": "Red-flag advice a refused need still carries.",
                        "items": {"$ref": "#/components/schemas/Advice"},
                    },
                },
            }
        },
    }


def _field_schema(f: fields.ProfileField) -> dict:
    if f.kind == "text":
        return {"type": "string", "maxLength": f.max_length}
    if f.kind == "bool":
        return {"type": "boolean"}
    if f.kind == "int":
        return {"type": ["integer", "null"], "minimum": f.low, "maximum": f.high}
    if f.kind == "choice":
        return {"type": "string", "enum": list(f.choices)}
    if f.kind == "languages":
        return {"type": "array", "items": {"type": "string"}, "maxItems": f.max_items}
    return {"type": "array", "items": {"type": "integer"}, "maxItems": f.max_items}


def _stated_schema(f: fields.ProfileField) -> dict:
    """A field's schema, null allowed unless the public records state it (fields.RECORD_FIELDS):
    an unclaimed listing's JSON says null for what the records do not say."""
    schema = _field_schema(f)
    if f.name not in fields.RECORD_FIELDS:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema["type"] = kinds if "null" in kinds else [*kinds, "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def _profile_fields() -> tuple[dict, list[str]]:
    """The field table's public part as JSON Schema properties ("contact.email" nests)."""
    properties: dict = {}
    required: list[str] = []
    for f in fields.FIELDS:
        if not f.public:
            continue
        *parents, leaf = f.public.split(".")
        target, needs = properties, required
        for parent in parents:
            holder = target.setdefault(parent, {"type": "object", "properties": {}})
            if parent not in needs:
                needs.append(parent)
            target, needs = holder["properties"], holder.setdefault("required", [])
        target[leaf] = _stated_schema(f)
        if not f.public_if:
            needs.append(leaf)
    return properties, required


def _schemas() -> dict:
    profile_properties, profile_required = _profile_fields()
    license_status = {
        "type": "string",
        "enum": [*LICENSE_STATUSES, "expired", licensing.UNREGULATED],
        "description": f"{licensing.UNREGULATED}: the state does not license massage "
        "therapists, so there is nothing to verify (and the verification is null)",
    }
    return {
        "Error": _error(
            [
                "invalid_parameter",
                "need_too_long",
                "unknown_location",
                "not_found",
                "method_not_allowed",
                "rate_limited",
                "server_error",
                "unavailable",
            ]
        ),
        "Advice": {
            "type": "object",
            "required": ["condition", "level", "text"],
            "properties": {
                "condition": _NULLABLE_STRING,
                "level": {"type": "string", "enum": list(vocabulary.ADVICE_LEVELS)},
                "text": {"type": "string"},
            },
        },
        "Verification": {
            "type": ["object", "null"],
            "description": "What was checked about the license, how and when; null when nobody "
            "checked it as it now stands. `roster`: matched by state, number and name in the "
            "board's roster file of `checked_on`; `staff`: an admin checked it (with the board's "
            "lookup) on `checked_on`.",
            "required": ["method", "source", "source_name", "checked_on", "roster_status"],
            "properties": {
                "method": {"type": "string", "enum": list(licensing.CHECK_METHODS)},
                "source": {
                    **_NULLABLE_STRING,
                    "description": "The roster source (e.g. tx-tdlr); null for a staff check.",
                },
                "source_name": {
                    **_NULLABLE_STRING,
                    "description": "The roster's name (e.g. Texas TDLR), or the board whose "
                    "lookup our staff used.",
                },
                "checked_on": {"type": "string", "format": "date"},
                "roster_status": {
                    "type": ["string", "null"],
                    "enum": [*licensing.ROSTER_STATUSES, None],
                    "description": "What the roster said; null for a staff check.",
                },
            },
        },
        "Specialties": {
            "type": "array",
            "description": "Specialty credentials, verified and pending (never rejected or "
            "expired); `verified` is true only for one an admin checked that has not expired.",
            "items": {
                "type": "object",
                "required": ["kind", "name", "issuer", "verified"],
                "properties": {
                    "kind": {"type": "string", "enum": list(vocabulary.specialties())},
                    "name": {"type": "string"},
                    "issuer": {"type": "string"},
                    "verified": {"type": "boolean"},
                },
            },
        },
        "Result": {
            "type": "object",
            "required": [
                "slug",
                "name",
                "tenant",
                "setting",
                "office",
                "licenses",
                "verified",
                "specialties",
                "url",
                "accepting_confirmed_recently",
                *CARD_FACTS,
            ],
            "properties": {
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "credentials": {"type": "string"},
                "headline": {"type": "string"},
                "headline_es": {
                    "type": "string",
                    "description": "The headline in Spanish; empty when the therapist wrote none.",
                },
                "tenant": {
                    "type": "object",
                    "required": ["slug", "name"],
                    "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
                },
                "setting": {
                    "type": ["string", "null"],
                    "enum": [*SETTINGS, None],
                    "description": "null: not stated (an unclaimed listing)",
                },
                "conditions": {"type": "array", "items": {"type": "string"}},
                "modalities": {"type": "array", "items": {"type": "string"}},
                "matched": {
                    "type": "object",
                    "properties": {
                        "conditions": {"type": "array", "items": {"type": "string"}},
                        "modalities": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "office": {
                    "type": "object",
                    "required": ["city", "state", "zip"],
                    "properties": {
                        "city": {"type": "string"},
                        "state": {"type": "string"},
                        "zip": {"type": "string"},
                        "lat": {"type": ["number", "null"]},
                        "lon": {"type": ["number", "null"]},
                    },
                },
                "distance_miles": {"type": ["number", "null"]},
                "licenses": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["state", "status", "expires", "verification"],
                        "properties": {
                            "state": {"type": "string"},
                            "status": license_status,
                            "expires": {
                                "type": ["string", "null"],
                                "format": "date",
                                "description": "null when the source does not say (a "
                                "listing's license from the NPPES file)",
                            },
                            "verification": {"$ref": "#/components/schemas/Verification"},
                        },
                    },
                },
                "verified": {"type": "boolean"},
                "specialties": {"$ref": "#/components/schemas/Specialties"},
                "accepting_new_clients": {"type": ["boolean", "null"]},
                "claimed": {
                    "type": "boolean",
                    "description": "false for a listing from public records not yet claimed",
                },
                "accepting_confirmed_at": _NULLABLE_STRING,
                "accepting_confirmed_recently": {
                    "type": "boolean",
                    "description": "Whether the therapist said within "
                    f"{ACCEPTING_FRESH_DAYS} days whether they accept new clients.",
                },
                **{name: _stated_schema(fields.BY_NAME[name]) for name in CARD_FACTS},
                "photo": _NULLABLE_STRING,
                "updated_at": _NULLABLE_STRING,
                "booking_url": _NULLABLE_STRING,
                "url": {"type": "string"},
            },
        },
        "SearchAnswer": {
            "type": "object",
            "required": [
                "total",
                "page",
                "per_page",
                "location",
                "interpretation",
                "suggestion",
                "advice",
                "withheld",
                "alternatives",
                "facets",
                "results",
            ],
            "properties": {
                "total": {"type": "integer", "minimum": 0},
                "truncated": {"type": "boolean"},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                "location": {
                    "oneOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "required": ["label", "kind", "state", "lat", "lon"],
                            "properties": {
                                "label": {"type": "string"},
                                "kind": {
                                    "type": "string",
                                    "enum": ["zip", "city", "neighbourhood", "state"],
                                },
                                "state": {"type": "string"},
                                "lat": {"type": "number"},
                                "lon": {"type": "number"},
                                "radius_miles": {"type": ["integer", "null"]},
                                "alternatives": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "description": "Other places of this name, most populous "
                                    "first, when this one was chosen among them.",
                                },
                                "chosen_because": {
                                    "type": ["string", "null"],
                                    "enum": [MOST_POPULOUS, None],
                                },
                                "corrected_from": {
                                    **_NULLABLE_STRING,
                                    "description": "What was typed, when it was read as a "
                                    "misspelling of this place.",
                                },
                            },
                        },
                    ]
                },
                "interpretation": {
                    "type": "object",
                    "required": ["conditions", "modalities", "setting"],
                    "properties": {
                        "conditions": {"type": "array", "items": {"type": "string"}},
                        "modalities": {"type": "array", "items": {"type": "string"}},
                        "setting": {"type": ["string", "null"]},
                        "red_flags": {"type": "array", "items": {"type": "string"}},
                        "populations": {"type": "array", "items": {"type": "string"}},
                        "specialties": {
                            "type": "array",
                            "items": {"type": "string", "enum": list(vocabulary.specialties())},
                        },
                        "choices": {
                            "type": "array",
                            "items": {"type": "array", "items": {"type": "string"}},
                        },
                        "text": {"type": "string"},
                    },
                },
                "suggestion": _NULLABLE_STRING,
                "advice": {"type": "array", "items": {"$ref": "#/components/schemas/Advice"}},
                "withheld": {
                    "type": ["string", "null"],
                    "enum": ["emergency", "see_doctor_first", None],
                    "description": "Why nobody is listed whatever the roster: an emergency, or "
                    "a sign to see a doctor about first (until `cleared=1`).",
                },
                "nearest_miles": {"type": ["number", "null"]},
                "alternatives": {
                    "type": "array",
                    "description": "When nobody is listed (and nothing is withheld): the nearest "
                    "searches that list somebody, each this search with `changes` applied "
                    "(a wider `radius`, the same need `near` another city with the same radius, "
                    "the other `setting`; never spa for a medical need), and the exact `total` "
                    "it gives. Empty otherwise.",
                    "items": {
                        "type": "object",
                        "required": ["kind", "changes", "total"],
                        "additionalProperties": False,
                        "properties": {
                            "kind": {"type": "string", "enum": ["radius", "place", "setting"]},
                            "changes": {
                                "type": "object",
                                "additionalProperties": False,
                                "minProperties": 1,
                                "maxProperties": 1,
                                "properties": {
                                    "radius": {"type": "integer", "minimum": 1},
                                    "near": {"type": "string"},
                                    "setting": {"type": "string", "enum": ["medical", "spa"]},
                                },
                            },
                            "total": {"type": "integer", "minimum": 1},
                        },
                    },
                },
                "facets": {
                    "type": "object",
                    "properties": {
                        "setting": _COUNTS,
                        "unclaimed": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "unclaimed listings from public records among them",
                        },
                        "conditions": _COUNTS,
                        "modalities": _COUNTS,
                        "specialties": _COUNTS,
                        "verified": _COUNTS,
                        "languages": _COUNTS,
                        "gender": _COUNTS,
                        "price_max": _COUNTS,
                        **{name: {"type": "integer", "minimum": 0} for name in FLAGS},
                    },
                },
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}},
            },
        },
        "Profile": {
            "type": "object",
            "required": [
                *profile_required,
                "slug",
                "tenant",
                "conditions",
                "modalities",
                "offices",
                "licenses",
                "specialties",
                "claimed",
                "sources",
                "updated_at",
                "url",
            ],
            "properties": {
                **profile_properties,
                "slug": {"type": "string"},
                "tenant": {
                    "type": "object",
                    "required": ["slug", "name", "kind"],
                    "properties": {
                        "slug": {"type": "string"},
                        "name": {"type": "string"},
                        "kind": {"type": "string"},
                    },
                },
                "conditions": {"$ref": "#/components/schemas/Terms"},
                "modalities": {"$ref": "#/components/schemas/Terms"},
                "offices": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["street", "city", "state", "zip", "verified"],
                        "properties": {
                            "street": {"type": "string"},
                            "city": {"type": "string"},
                            "state": {"type": "string"},
                            "zip": {"type": "string"},
                            "verified": {"type": "boolean"},
                        },
                    },
                },
                "licenses": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["state", "number", "status", "expires", "verification"],
                        "properties": {
                            "state": {"type": "string"},
                            "number": {
                                **_NULLABLE_STRING,
                                "description": "null for a license that could not be verified",
                            },
                            "status": license_status,
                            "expires": {
                                "type": ["string", "null"],
                                "format": "date",
                                "description": "null when the source does not say (a "
                                "listing's license from the NPPES file)",
                            },
                            "board": _NULLABLE_STRING,
                            "lookup_url": _NULLABLE_STRING,
                            "verification": {"$ref": "#/components/schemas/Verification"},
                        },
                    },
                },
                "specialties": {"$ref": "#/components/schemas/Specialties"},
                "claimed": {
                    "type": "boolean",
                    "description": "false for a listing seeded from public records that its "
                    "therapist has not claimed: it shows only what the records say",
                },
                "sources": {
                    "type": "array",
                    "description": "The public-record files the listing came from, newest first",
                    "items": {
                        "type": "object",
                        "required": ["source", "source_name", "file_date"],
                        "properties": {
                            "source": {"type": "string"},
                            "source_name": {"type": "string"},
                            "file_date": {"type": "string", "format": "date"},
                        },
                    },
                },
                "updated_at": {"type": "string"},
                "url": {"type": "string"},
            },
        },
        "Terms": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["slug", "name"],
                "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
            },
        },
    }


def _query(name: str, schema: dict, description: str, repeat: bool = False) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "description": description}
    if repeat:
        parameter |= {
            "schema": {"type": "array", "items": schema},
            "style": "form",
            "explode": True,
        }
    else:
        parameter["schema"] = schema
    return parameter


def _json(description: str, schema: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def served() -> dict:
    """The document as served: built once per app (it reads the app's PUBLIC_URL), then kept."""
    found = current_app.extensions.get("openapi.document")
    if found is None:
        found = current_app.extensions["openapi.document"] = document()
    return found


def document() -> dict:
    flag = {"type": "string", "enum": ["1", "0", "true", "false"]}
    search_parameters = [
        _query("q", {"type": "string", "maxLength": MAX_Q}, "The need, in the client's words."),
        _query(
            "near",
            {"type": "string"},
            "A place: city and state, ZIP code, neighbourhood of a large city, or state.",
        ),
        _query(
            "near_exact",
            flag,
            "1: search `near` as typed, without correcting a misspelling.",
        ),
        _query(
            "radius",
            {"type": "integer", "minimum": 1, "maximum": MAX_RADIUS},
            "Miles (default 10 for a city or ZIP).",
        ),
        _query(
            "setting",
            {"type": "string", "enum": list(SETTINGS)},
            "medical lists medical and both; spa lists spa and both; both only both.",
        ),
        _query("condition", {"type": "string"}, "A condition's slug.", repeat=True),
        _query("modality", {"type": "string"}, "A modality's slug.", repeat=True),
        _query("verified", flag, "1: only verified, current licenses in the office's state."),
        _query(
            "include_unclaimed",
            flag,
            "0: leave out listings from public records that no therapist has claimed yet "
            "(default 1, also when blank: they are listed, below claimed profiles of equal "
            "fit).",
        ),
        _query("tenant", {"type": "string"}, "A practice's slug."),
        _query("sort", {"type": "string", "enum": list(SORTS)}, "The order."),
        _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "From 1."),
        _query(
            "per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Default 20."
        ),
        *(
            _query(name, flag, f"1: only therapists with {name.replace('_', ' ')}.")
            for name in FLAGS
        ),
        _query(
            "language",
            {"type": "string"},
            "A language name or ISO 639-1 code; each must be spoken.",
            repeat=True,
        ),
        _query(
            "gender",
            {"type": "string", "enum": list(GENDERS)},
            "Only therapists who chose to show it.",
        ),
        _query(
            "price_max",
            {"type": "integer", "minimum": 0},
            "Dollars: the lowest listed price is at most this.",
        ),
        _query(
            "specialty",
            {"type": "string", "enum": list(vocabulary.specialties())},
            "A specialty credential the therapist holds, verified and current.",
            repeat=True,
        ),
        _query(
            "cleared",
            flag,
            "1: the client says a doctor cleared them; a see-a-doctor-first need then lists.",
        ),
    ]
    error = _json("An error, as JSON.", "Error")
    unavailable = {
        **_json(
            "The database is away for a moment (unavailable): retry after Retry-After.", "Error"
        ),
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kneaded directory API",
            "version": "1",
            "description": "Search licensed spa and medical massage therapists by need and "
            "place, and read their public profiles. Licenses are shown as the state boards "
            "issue them; `verified` is true only for a verified, current license in the state "
            "of the office shown.",
        },
        "servers": [{"url": public_url("public.index").rstrip("/") + "/api/v1"}],
        "paths": {
            "/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search therapists by need and place",
                    "parameters": search_parameters,
                    "responses": {
                        "200": _json("Matching therapists, best fit first.", "SearchAnswer"),
                        "400": _json(
                            "A bad parameter (invalid_parameter) or an unknown place "
                            "(unknown_location, with suggestions).",
                            "Error",
                        ),
                        "500": error,
                        "503": unavailable,
                    },
                }
            },
            "/practitioners/{slug}": {
                "get": {
                    "operationId": "getPractitioner",
                    "summary": "A public profile",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": SLUG.pattern},
                        }
                    ],
                    "responses": {
                        "200": _json("The profile, as its public page shows it.", "Profile"),
                        "404": _json("No publicly visible profile has this slug.", "Error"),
                        "500": error,
                        "503": unavailable,
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": _schemas()},
    }
