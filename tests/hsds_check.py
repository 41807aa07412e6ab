"""Validation against the vendored, official HSDS 3.0 schemas (directory/data/hsds/), as the
specification's own CI validates its examples: the compiled schemas with
`additionalProperties: false` set everywhere (so a field HSDS does not define fails too), with
the formats checked (uuid, email, uri, date, date-time)."""

import gzip
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

VENDORED = Path(__file__).resolve().parent.parent / "directory" / "data" / "hsds"
#: Formats the export relies on; FormatChecker passes a format silently when its checker's
#: library is missing, so these must all be really checked (jsonschema[format-nongpl]).
FORMATS = ("uuid", "email", "uri", "date", "date-time")
BASE = "https://hsds.invalid/schema/"


def strict(node):
    """The schema with additionalProperties false on every object that lists its properties."""
    if isinstance(node, dict):
        node = {k: strict(v) for k, v in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
    elif isinstance(node, list):
        node = [strict(v) for v in node]
    return node


def load(name: str) -> dict:
    """A vendored schema by its upstream name: "compiled/service", "taxonomy"..."""
    path = VENDORED / f"{name}.json"
    if name.startswith("compiled/"):
        return json.loads(gzip.decompress(path.with_suffix(".json.gz").read_bytes()))
    return json.loads(path.read_text())


def format_checker() -> FormatChecker:
    checker = FormatChecker()
    missing = [f for f in FORMATS if f not in checker.checkers]
    assert not missing, f"formats not checked (install jsonschema[format-nongpl]): {missing}"
    return checker


@cache
def validator(name: str) -> Draft202012Validator:
    """A strict validator for one vendored schema; the modular ones' $refs resolve among the
    vendored files."""
    registry = Registry().with_resources(
        (BASE + f"{n}.json", Resource.from_contents(strict(load(n)), DRAFT202012))
        for n in ("taxonomy", "taxonomy_term", "metadata")
    )
    schema = strict(load(name)) if name.startswith("compiled/") else {"$ref": BASE + f"{name}.json"}
    return Draft202012Validator(schema, registry=registry, format_checker=format_checker())


def errors(name: str, record: dict) -> list[str]:
    """Every way `record` breaks the schema `name`, as "path: message" lines."""
    return [
        "/".join(map(str, e.absolute_path)) + ": " + e.message[:300]
        for e in validator(name).iter_errors(record)
    ]


def page_errors(answer: dict, contents_schema: str) -> list[str]:
    """A read API answer: the specification's Page wrapper (its components.schemas.Page, every
    field present) around contents that each match `contents_schema`."""
    page = load("openapi")["components"]["schemas"]["Page"]
    found = [f"Page: {e.message}" for e in Draft202012Validator(page).iter_errors(answer)]
    found += [f"Page lacks {key}" for key in page["properties"] if key not in answer]
    for i, item in enumerate(answer.get("contents", [])):
        found += [f"contents/{i}/{e}" for e in errors(contents_schema, item)]
    return found
