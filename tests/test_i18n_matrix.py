"""No English left behind, on every page the authorization matrix lets someone see: each
readable GET route of tests/authz_matrix.toml (a new route is walked as soon as the matrix
has it), asked for in Spanish as the first actor allowed to read it, on the matrix's own world
(one per module, as test_authz_matrix.py builds it). A page fails on the English of a
translated message (test_i18n's check) and on any English word left in what a reader sees,
once the world's own data (names, messages, addresses: what people typed) is set aside."""

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import String, Text, select

from directory.db import db
from directory.i18n import MACHINE_BLUEPRINTS
from tests import authz
from tests.people import log_in
from tests.test_i18n import _english_fragments, _html_lang, _visible

#: Words that are English and never Spanish: one of them in a Spanish page's text is a string
#: that did not go through gettext.
ENGLISH_WORDS = [
    "the", "your", "you", "and", "with", "this", "that", "please", "have", "has", "was", "will",
    "are", "is", "not", "from", "our", "their", "what", "which", "been", "can", "must",
    "should", "would", "here", "there", "when", "of", "to", "in", "on", "for", "by", "an", "be",
    "or", "who", "yet", "any", "each", "every", "its", "it",
]  # fmt: skip
#: Lowercase or capitalised, not "IN" or "OR": states' codes.
ENGLISH = re.compile(
    r"\b(?:{})\b".format("|".join(w for word in ENGLISH_WORDS for w in (word, word.capitalize())))
)
DATA = Path(__file__).resolve().parent.parent / "directory" / "data"
_STATES = json.loads((DATA / "states.json").read_text()).values()
#: Names a Spanish page shows as they are: the brand, states, their boards and the rosters'
#: sources (the world's own data is added to these from its database).
NAMES = {
    "Kneaded", "HSA/FSA",
    *(state["name"] for state in _STATES), *(state["board"] for state in _STATES if state["board"]),
    *(json.loads(f.read_text())["name"] for f in (DATA / "rosters").glob("*.json")),
}  # fmt: skip
#: Tables whose text is the vocabulary's, not people's: a Spanish page must name it in Spanish.
VOCABULARY_TABLES = {"condition", "modality"}
#: A code kept in a row ("verified", "therapist"): a page must say it in words.
CODE = re.compile(r"^[a-z0-9_-]{0,40}$")
#: Pages not yet in Spanish, by endpoint: each is expected to fail (strict: a page that passes
#: must leave this list).
NOT_YET: set[str] = set()


#: What a readable route may answer that is not a page to read (images too, by "image/"):
#: a file a browser saves or a program reads; any other answer than a page fails the walk.
DOWNLOADS = {"text/csv", "application/json", "text/calendar", "application/pdf"}
#: Redirects a walk follows before it gives up (a dashboard sends a member to their practice).
HOPS = 4


def read_in_spanish(browser, path: str):
    """The page a Spanish reader lands on from `path`, following the site's redirects: each
    must stay on this site and on its /es/ addresses (an English page is a failure too)."""
    for _hop in range(HOPS):
        response = browser.get(path)
        if response.status_code not in (301, 302, 303, 307, 308):
            return response, path
        target = urlsplit(response.location)
        assert target.netloc in ("", "localhost"), f"{path} leaves the site: {response.location}"
        assert target.path == "/es" or target.path.startswith("/es/"), (
            f"{path} sends a Spanish reader to an English page: {response.location}"
        )
        path = target.path + (f"?{target.query}" if target.query else "")
    raise AssertionError(f"{path}: more than {HOPS} redirects")


def readable_cases() -> list[authz.Case]:
    """One readable GET case per endpoint: its first actor allowed to see it."""
    found = {}
    for case in authz.cases():
        if case.method == "GET" and case.expected == "ok" and case.endpoint not in found:
            found[case.endpoint] = case
    return list(found.values())


def _param(case: authz.Case):
    marks = [pytest.mark.xfail(strict=True, reason="not yet in Spanish")] * (
        case.endpoint in NOT_YET
    )
    return pytest.param(case, id=case.endpoint, marks=marks)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with authz.shared_world(tmp_path_factory.mktemp("i18n-matrix")) as found:
        yield found


@pytest.fixture(scope="module")
def people_wrote(world) -> list[str]:
    """Every text of the world's rows (names, addresses, messages, user agents), longest first:
    what people typed is shown as they typed it."""
    found = set(NAMES)
    for table in db.metadata.sorted_tables:
        if table.name in VOCABULARY_TABLES:
            continue
        columns = [c for c in table.c if isinstance(c.type, String | Text)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            found.update(value for value in row if isinstance(value, str) and not CODE.match(value))
    return sorted(found, key=len, reverse=True)


@pytest.fixture(scope="module")
def fragments() -> list[str]:
    return _english_fragments()


def english_left(page: str, people_wrote: list[str], fragments: list[str]) -> list[str]:
    """The English a Spanish page shows: translated messages in English, and English words
    outside what people wrote (each with a few words around it)."""
    seen = " ".join(_visible(page).split())
    left = [english for english in fragments if english in seen]
    for text in people_wrote:
        seen = seen.replace(text, " ")
    for match in ENGLISH.finditer(seen):
        left.append(seen[max(0, match.start() - 30) : match.end() + 30])
    return left


@pytest.mark.parametrize("case", [_param(c) for c in readable_cases()])
def test_every_readable_page_in_spanish_shows_no_english(world, people_wrote, fragments, case):
    app, people = world
    browser = app.test_client()
    user = authz.actor_user(people, case.actor)
    if user is not None:
        log_in(browser, user, fresh_at=0 if case.setup == "password" else None)
    path = case.path.format(**authz.placeholders(people, case.target))
    if case.endpoint.split(".")[0] in MACHINE_BLUEPRINTS:
        # Programs read the API at its one address, in the language they accept.
        response = browser.get(path, headers={"Accept-Language": "es"})
    else:
        response, path = read_in_spanish(browser, "/es" + path)
    if response.mimetype in DOWNLOADS or response.mimetype.startswith("image/"):
        assert response.status_code == 200, f"{path}: {response.status_code}"
        pytest.skip(f"{path}: {response.mimetype}, a download")
    assert (response.status_code, response.mimetype) == (200, "text/html"), path
    page = response.get_data(as_text=True)
    assert _html_lang(page) == "es", path
    left = english_left(page, people_wrote, fragments)
    assert not left, f"{path} ({case.actor}) still shows English: {left[:12]}"


def test_the_walk_covers_the_matrix_and_sees_english(world, people_wrote, fragments):
    """Every readable route is walked, admin pages too; and the check sees English: the
    English twin of a walked page fails it."""
    endpoints = {case.endpoint for case in readable_cases()}
    assert {"admin.index", "admin.audit", "inbox.index", "practices.members"} <= endpoints
    assert "practitioners.show" in endpoints and "editor.edit" in endpoints
    app, _people = world
    english = app.test_client().get("/p/alexa-marie").get_data(as_text=True)
    assert english_left(english, people_wrote, fragments)


def test_every_public_page_in_spanish_shows_no_english(world, people_wrote, fragments):
    """The matrix's public endpoints (sign-in, sign-up, the guide...), each address of theirs
    that needs no value, as a visitor reads them; pages with values (landing pages, profiles)
    are walked by test_i18n.py."""
    app, _ = world
    left = {}
    walked = 0
    for rule in app.url_map.iter_rules():
        public = rule.endpoint in authz.MATRIX["public"]
        if not public or rule.arguments or "GET" not in rule.methods:
            continue
        response = app.test_client().get("/es" + rule.rule)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        walked += 1
        found = english_left(response.get_data(as_text=True), people_wrote, fragments)
        if found:
            left[rule.rule] = found[:6]
    assert walked >= 6
    assert not left, f"public pages still show English: {left}"


class _Hops:
    """A browser whose answers are given: each path redirects where `moves` says, else a page."""

    def __init__(self, moves: dict[str, str]):
        self.moves, self.asked = moves, []

    def get(self, path):
        from werkzeug.wrappers import Response

        self.asked.append(path)
        if path in self.moves:
            return Response(status=302, headers={"Location": self.moves[path]})
        return Response("<html lang=es></html>", mimetype="text/html")


def test_the_walk_follows_redirects_only_on_the_spanish_site():
    browser = _Hops(
        {"/es/dashboard": "/es/dashboard/practices/x", "/es/a": "http://localhost/es/b?page=2"}
    )
    response, path = read_in_spanish(browser, "/es/dashboard")
    assert (response.status_code, path) == (200, "/es/dashboard/practices/x")
    assert read_in_spanish(browser, "/es/a")[1] == "/es/b?page=2"
    for moves in ({"/es/c": "/c"}, {"/es/c": "https://elsewhere.example/es/c"}, {"/es/c": "/es/c"}):
        with pytest.raises(AssertionError):
            read_in_spanish(_Hops(moves), "/es/c")


def test_an_unclaimed_listing_in_spanish_shows_no_english(world, people_wrote, fragments):
    """The matrix reads practitioners.show on a therapist's own profile; a listing from public
    records has a page of its own (practitioners/listing.html), read here."""
    app, _ = world
    response = app.test_client().get("/es/p/lena-record-austin")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Aún sin reclamar" in page and "¿Es usted? Reclame esta ficha" in page
    assert english_left(page, people_wrote, fragments) == []
