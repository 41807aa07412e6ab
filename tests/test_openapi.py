"""The OpenAPI 3.1 document: valid, complete, and true (every API answer of the whole suite is
validated against it by tests/conftest.py's client)."""

import re

import pytest
from openapi_spec_validator import validate

from directory.api import openapi
from tests import conftest


def test_the_document_is_valid_openapi_3_1(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_every_api_route_is_in_the_document(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        assert rule.endpoint in openapi.PATHS, f"{rule.rule} is not in the OpenAPI document"
        path = openapi.PATHS[rule.endpoint]
        assert "/api/v1" + re.sub(r"\{(\w+)\}", r"<slug:\1>", path) == rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], (rule.rule, method)


def test_the_profile_schema_follows_the_field_table(client):
    from directory.practitioners import fields

    profile = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Profile"]
    for f in fields.FIELDS:
        if f.public:
            *parents, leaf = f.public.split(".")
            node = profile
            for parent in parents:
                node = node["properties"][parent]
            assert leaf in node["properties"], f.name
    # The opt-in email is documented but not required.
    assert "email" not in profile["properties"]["contact"].get("required", [])


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/search?q=sciatica&near=Hoboken,+NJ",
        "/api/v1/search?near=Atlantis",
        "/api/v1/search?radius=9000",
        "/api/v1/search?q=blood+clot+in+my+leg",
        "/api/v1/practitioners/alexa-marie",
        "/api/v1/practitioners/nobody-here",
    ],
)
def test_real_answers_are_checked_against_the_document(client, make_practitioner, path):
    make_practitioner(
        "alexa-marie", licenses=[("NJ", "verified", None)], offices=["07030"],
        contact_email="private@example.com", languages=["Spanish"],
    )  # fmt: skip
    before = conftest.API_ANSWERS_CHECKED[0]
    response = client.get(path)
    assert response.status_code in (200, 400, 404)
    assert conftest.API_ANSWERS_CHECKED[0] == before + 1


def test_an_answer_the_document_does_not_allow_fails(app, client, monkeypatch):
    """The check can fail: an answer with a field of the wrong type is refused."""
    from jsonschema import ValidationError

    from directory.search import results

    real = results.as_json
    monkeypatch.setattr(results, "as_json", lambda outcome: {**real(outcome), "total": "many"})
    with pytest.raises(ValidationError):
        client.get("/api/v1/search?q=sciatica")
