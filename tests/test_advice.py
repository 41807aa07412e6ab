"""Safety advice: red flags that send a client to a doctor first, and each condition's advice."""

import html
import re

import pytest

from directory import vocabulary
from directory.interpret import interpret
from tests.conftest import add_practitioner, module_world
from tests.test_search import LATER, api, slugs, tag

#: Results-page markers.
URGENT = "See a doctor first"
INFO = "Good to know before you book"


def _clinic():
    """Around Hoboken: a CLT who treats post-surgical swelling and sciatica, a spa therapist."""
    clt = tag(
        add_practitioner("lena-clt", setting="medical", credentials="LMT, CLT",
                         licenses=[("NJ", "verified", LATER)], offices=["07030"]),
        conditions=["post-surgical-swelling", "lymphedema", "sciatica"],
        modalities=["manual-lymphatic-drainage"],
    )  # fmt: skip
    spa = tag(
        add_practitioner("sol-spa", setting="spa",
                         licenses=[("NJ", "verified", LATER)], offices=["07302"]),
        conditions=["stress"], modalities=["swedish-massage"],
    )  # fmt: skip
    return {"clt": clt, "spa": spa}


@pytest.fixture(scope="module")
def clinic_app(tmp_path_factory):
    with module_world(tmp_path_factory.mktemp("clinic"), _clinic) as (app, _):
        yield app


@pytest.fixture
def clinic(clinic_app):
    """The clinic's app: built once a module, as the searches of the tests using it only read."""
    return clinic_app


@pytest.fixture
def client(request):
    """A browser of the clinic for the tests that search it, else of the test's own app."""
    return request.getfixturevalue(
        "clinic" if "clinic" in request.fixturenames else "app"
    ).test_client()


def _page(client, **params) -> str:
    response = client.get("/search", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


#: Emergencies list nobody, whatever else the need names, and say where to go now.
EMERGENCY = "Get medical help now, not a massage"


@pytest.mark.parametrize(
    "need",
    [
        "blood clot in my leg",
        "my calf is swollen and warm",
        "chest pain",
        "lost bladder control",
        "numbness in my groin",
        "worst headache of my life",
    ],
)
def test_an_emergency_lists_nobody_and_says_where_to_go(client, clinic, need):
    body = api(client, q=need, near="Hoboken, NJ").json
    assert body["total"] == 0 and body["results"] == []
    assert body["interpretation"]["red_flags"], need
    assert body["withheld"] == "emergency"
    assert {a["level"] for a in body["advice"]} == {"emergency"}
    assert all(a["condition"] is None and a["text"] for a in body["advice"])
    assert re.search(r"911|emergency room", " ".join(a["text"] for a in body["advice"]))
    # Saying a doctor cleared you changes nothing: an emergency is not for a massage.
    assert api(client, q=need, near="Hoboken, NJ", cleared="1").json["total"] == 0
    page = _page(client, q=need, near="Hoboken, NJ")
    assert EMERGENCY in page and "We list no massage therapists" in page
    assert "<h1>\n    Please get medical help first\n" in page  # not "massage for...", no place
    assert 'href="tel:911"' in page and "A doctor has cleared me" not in page
    assert "lena-clt" not in page and "No massage therapists within" not in page


def test_see_a_doctor_first_lists_nobody_until_the_client_is_cleared(client, clinic):
    need = "I think it's broken, can't put weight on it"
    body = api(client, q=need, near="Hoboken, NJ").json
    assert body["total"] == 0 and body["withheld"] == "see_doctor_first"
    assert body["advice"][0]["level"] == "see_doctor_first"
    page = _page(client, q=need, near="Hoboken, NJ")
    assert URGENT in page and "A doctor has cleared me: show therapists" in page
    cleared = html.unescape(re.search(r'href="([^"]*cleared=1[^"]*)"', page).group(1))
    assert "near=Hoboken" in cleared  # the link keeps the search
    after = client.get(cleared).get_data(as_text=True)
    assert URGENT in after and "You said a doctor has cleared you" in after


@pytest.mark.parametrize(
    ("need", "level"),
    [
        ("sciatica and numbness in my groin", "emergency"),
        ("sciatica, and I can't control my bladder", "emergency"),
        ("my sciatica is back and my calf is swollen and warm after the flight", "emergency"),
        ("sciatica and a fever", "see_doctor_first"),
        ("back pain with a fever", "see_doctor_first"),
    ],
)
def test_a_red_flag_beside_a_treatable_need_still_lists_nobody(client, clinic, need, level):
    body = api(client, q=need, near="Hoboken, NJ").json
    assert body["interpretation"]["conditions"], need  # the treatable need was read
    assert body["total"] == 0 and body["results"] == [] and body["withheld"] == level
    assert body["advice"][0]["level"] == level
    page = _page(client, q=need, near="Hoboken, NJ")
    assert "lena-clt" not in page


def test_once_cleared_a_see_doctor_first_need_lists_with_the_notice_kept(client, clinic):
    response = api(client, q="sciatica and a fever", near="Hoboken, NJ", cleared="1")
    body = response.json
    assert slugs(response) == ["lena-clt"] and body["withheld"] is None
    levels = [(a["condition"], a["level"]) for a in body["advice"]]
    assert levels == [(None, "see_doctor_first"), ("sciatica", "info")]
    page = _page(client, q="sciatica and a fever", near="Hoboken, NJ", cleared="1")
    assert page.index(URGENT) < page.index(INFO) < page.index("lena-clt")


def test_a_condition_chosen_as_a_filter_does_not_list_beside_an_emergency(client, clinic):
    response = api(client, q="chest pain", condition="sciatica", near="Hoboken, NJ")
    assert slugs(response) == [] and response.json["withheld"] == "emergency"


def test_condition_advice_is_shown_beside_results(client, clinic):
    response = api(client, q="post-surgical swelling", near="Hoboken, NJ")
    assert slugs(response) == ["lena-clt"]
    [advice] = response.json["advice"]
    assert advice["condition"] == "post-surgical-swelling" and advice["level"] == "info"
    assert "surgeon's clearance" in advice["text"] and "(CLT)" in advice["text"]
    page = _page(client, q="post-surgical swelling", near="Hoboken, NJ")
    assert INFO in page and URGENT not in page
    assert "surgeon&#39;s clearance" in page or "surgeon's clearance" in page


def test_a_need_without_advice_has_none(client, clinic):
    response = api(client, q="swedish massage", near="Hoboken, NJ")
    assert response.json["advice"] == [] and "sol-spa" in slugs(response)
    page = _page(client, q="swedish massage", near="Hoboken, NJ")
    assert URGENT not in page and INFO not in page


#: DESIGN.md, "Advice levels": the level of each flag the contract names.
CONTRACT_LEVELS = {
    "blood-clot-signs": "emergency",
    "chest-pain-or-breathlessness": "emergency",
    "stroke-signs": "emergency",
    "sudden-severe-headache": "emergency",
    "bladder-bowel-or-groin-numbness": "emergency",
    "fever-or-feeling-unwell": "see_doctor_first",
    "unexplained-weight-loss": "see_doctor_first",
    "cannot-bear-weight": "see_doctor_first",
    "open-wound-or-infection": "see_doctor_first",
    "new-pain-after-cancer": "see_doctor_first",
    "new-leg-numbness-or-weakness": "see_doctor_first",
}


def test_every_red_flag_is_recognised_cited_and_has_the_contracts_level():
    flags = vocabulary.red_flags()
    assert {f.slug: f.level for f in flags} == CONTRACT_LEVELS
    for flag in flags:
        assert len(flag.text) > 40
        assert flag.sources and all(re.fullmatch(r"https://\S+", s) for s in flag.sources)
        for phrase in (flag.name, *flag.synonyms, *flag.lay_terms):
            found = interpret(phrase)
            assert flag.slug in found.red_flags, phrase
            assert not found.conditions, (phrase, found.conditions)


def test_condition_advice_has_a_level():
    for term in vocabulary.conditions():
        if term.text:
            assert term.level in ("info", "see_doctor_first"), term.slug
        else:
            assert term.level == "", term.slug


def test_swelling_after_surgery_gets_the_surgeon_advice(client, clinic):
    response = api(client, q="swelling after surgery", near="Hoboken, NJ")
    assert slugs(response)[0] == "lena-clt"
    [advice] = response.json["advice"]
    assert advice["condition"] == "post-surgical-swelling" and "surgeon" in advice["text"]


def test_leg_pain_with_numbness_asks_for_a_doctor_then_lists_sciatica_therapists(client, clinic):
    assert api(client, q="leg pain with numbness", near="Hoboken, NJ").json["total"] == 0
    response = api(client, q="leg pain with numbness", near="Hoboken, NJ", cleared="1")
    assert slugs(response) == ["lena-clt"]
    assert [a["level"] for a in response.json["advice"]] == ["see_doctor_first", "info"]


# -- red flags told in Spanish (issue 29): the same advice as in English ------------------------

#: One Spanish need per red flag, beside an English need that names the same flag.
SPANISH_RED_FLAGS = [
    ("pantorrilla hinchada y caliente", "my calf is swollen and warm"),
    ("dolor en el pecho", "chest pain"),
    ("me falta el aire", "short of breath"),
    ("el peor dolor de cabeza de mi vida", "worst headache of my life"),
    ("se me cae la cara y tengo el habla arrastrada", "face drooping and slurred speech"),
    ("entumecimiento en ambas piernas", "numbness in both legs"),
    ("perdí el control de la vejiga", "lost bladder control"),
    ("pierna entumecida", "numb leg"),
    ("fiebre", "fever"),
    ("me caí y no puedo apoyar el pie", "i fell and cant put weight on it"),
    ("herida abierta", "open wound"),
    ("bajé de peso sin querer", "lost weight without trying"),
    ("dolor nuevo después del cáncer", "new pain after cancer"),
    ("ciática con entumecimiento en la ingle", "sciatica with numbness in the groin"),
    ("hernia de disco y fiebre", "herniated disc and fever"),
]


def _api_in(client, language: str, **params):
    """The search API asked by a browser that prefers `language`."""
    response = client.get(
        "/api/v1/search", query_string=params, headers={"Accept-Language": language}
    )
    assert response.status_code == 200
    return response


def test_every_red_flag_has_a_spanish_need_in_the_table():
    named = {flag for spanish, _ in SPANISH_RED_FLAGS for flag in interpret(spanish).red_flags}
    assert named == {flag.slug for flag in vocabulary.red_flags()}


@pytest.mark.parametrize(("spanish", "english"), SPANISH_RED_FLAGS)
def test_a_red_flag_told_in_spanish_gets_the_english_advice(client, clinic, spanish, english):
    es = api(client, q=spanish, near="Hoboken, NJ").json
    en = api(client, q=english, near="Hoboken, NJ").json
    assert es["interpretation"]["red_flags"] == en["interpretation"]["red_flags"] != []
    assert es["withheld"] == en["withheld"] in ("emergency", "see_doctor_first")
    assert es["advice"] == en["advice"] and es["advice"]
    assert es["total"] == en["total"] == 0
    # Whatever the language the page is asked in: the same codes, the text in Spanish.
    asked_in_spanish = _api_in(client, "es", q=spanish, near="Hoboken, NJ").json["interpretation"]
    text = asked_in_spanish.pop("text")
    assert asked_in_spanish == {k: v for k, v in es["interpretation"].items() if k != "text"}
    english = es["interpretation"]["text"]
    assert (text.startswith("Masaje") and text != english) if english else text == ""


# Tests with worlds of their own come last: on PostgreSQL each empties the one database, which
# the clinic's shared world lives in (README, "Tests").


def test_dolor_de_espalda_finds_the_back_pain_therapists_in_either_language(
    client, make_practitioner
):
    low = tag(
        make_practitioner("lou-low", licenses=[("NJ", "verified", LATER)], offices=["07030"]),
        conditions=["lower-back-pain"],
    )
    up = tag(
        make_practitioner("uma-up", licenses=[("NJ", "verified", LATER)], offices=["07030"]),
        conditions=["upper-back-pain"],
    )
    tag(
        make_practitioner("sam-sciatica", licenses=[("NJ", "verified", LATER)], offices=["07030"]),
        conditions=["sciatica"],
    )
    english = slugs(api(client, q="back pain", near="07030"))
    assert sorted(english) == sorted([low.slug, up.slug])
    for need in ("dolor de espalda", "Dolor de Espalda", "me duele la espalda"):
        for language in ("en", "es"):
            found = _api_in(client, language, q=need, near="07030")
            assert slugs(found) == english, (need, language)
    assert slugs(api(client, q="ciatica", near="07030")) == ["sam-sciatica"]
    page = _page(client, q="dolor de espalda", near="07030")
    assert "lou-low" in page and "uma-up" in page and "sam-sciatica" not in page


def test_red_flags_are_never_stored_or_searched_as_conditions(app):
    from sqlalchemy import select

    from directory.db import db
    from directory.vocabulary import Condition

    stored = set(db.session.scalars(select(Condition.slug)))
    assert stored and not stored & {f.slug for f in vocabulary.red_flags()}


def test_back_pain_is_either_back_and_offers_each_alone(client, make_practitioner):
    low = tag(
        make_practitioner("lou-low", licenses=[("NJ", "verified", LATER)], offices=["07030"]),
        conditions=["lower-back-pain"],
    )
    up = tag(
        make_practitioner("uma-up", licenses=[("NJ", "verified", LATER)], offices=["07030"]),
        conditions=["upper-back-pain"],
    )
    both = api(client, q="back pain", near="Hoboken, NJ")
    assert sorted(slugs(both)) == sorted([low.slug, up.slug])
    page = _page(client, q="back pain", near="Hoboken, NJ")
    assert "Showing both Lower back pain and Upper back pain. Narrow it to:" in page
    only = re.search(r'href="([^"]*condition=upper-back-pain[^"]*)"', page).group(1)
    narrowed = client.get(only.replace("&amp;", "&")).get_data(as_text=True)
    assert "uma-up" in narrowed and "lou-low" not in narrowed
    assert "Narrow it to" not in narrowed  # narrowed already
