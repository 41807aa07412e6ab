"""Search input that must be refused or survived: invalid parameters are a 400 naming the
field, hostile needs and places never fail. Every test here only searches, so the module
shares one world (on PostgreSQL a module of its own: worlds there share one database)."""

import html

import pytest

from tests.conftest import add_practitioner, module_world
from tests.test_search import api, build_roster


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_world(
        tmp_path_factory.mktemp("search-input"), lambda: build_roster(add_practitioner)
    ) as found:
        yield found


@pytest.fixture
def reader(world):
    """A client of the shared world."""
    return world[0].test_client()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": 51}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": "x"}, "page"),
        ({"radius": 0}, "radius"),
        ({"radius": 251}, "radius"),
        ({"radius": "1e9"}, "radius"),
        ({"setting": "sauna"}, "setting"),
        ({"condition": "werewolf-bite"}, "condition"),
        ({"modality": "sciatica"}, "modality"),
        ({"verified": "maybe"}, "verified"),
        ({"sort": "price"}, "sort"),
        ({"tenant": "Not A Slug"}, "tenant"),
    ],
)
def test_invalid_parameters_are_400_with_a_code(reader, params, field):
    response = api(reader, **params)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid_parameter" and error["field"] == field
    assert error["message"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"price_max": "lots"},
            "The highest price must be a whole number of dollars from 1 to 10,000.",
        ),
        ({"radius": 251}, "The distance must be a whole number of miles from 1 to 250."),
        ({"per_page": 0}, "The number of results on a page must be a whole number from 1 to 50."),
        ({"in_home": "maybe"}, "“Comes to you” is either on (1) or off (0)."),
        ({"sort": "price"}, "Results are sorted by relevance or by distance."),
        ({"condition": "werewolf-bite"}, "We do not know the condition “werewolf-bite”."),
    ],
)
def test_messages_are_plain_words_and_codes_stay(reader, params, message):
    """People read `message` (on the 400 page too); programs keep the code and field names."""
    [(name, _)] = params.items()
    error = api(reader, **params).json["error"]
    assert (error["code"], error["field"], error["message"]) == ("invalid_parameter", name, message)
    page = reader.get("/search", query_string=params)
    assert page.status_code == 400 and html.escape(message, quote=False) in page.text
    assert name not in message or "_" not in name


HOSTILE = [
    '"unbalanced quote',
    "*",
    "*a*",
    "a:b",
    "name:x pid:1 published:false",
    "[a TO z]",
    "{a TO}",
    "x" * 5000,
    "sciatica\x00\x01\x1f",
    "🙂💆‍♀️ massage",
    "'; DROP TABLE practitioner; --",
    "sciatica^100",
    "(((((",
    "AND OR NOT",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_never_fail(reader, q):
    response = api(reader, q=q, near="Hoboken, NJ")
    assert response.status_code in (200, 400)
    page = reader.get("/search", query_string={"q": q, "near": "Hoboken, NJ"})
    assert page.status_code in (200, 400)


@pytest.mark.parametrize("near", HOSTILE)
def test_hostile_places_never_fail(reader, near):
    assert api(reader, q="sciatica", near=near).status_code in (200, 400)
