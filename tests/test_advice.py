"""Safety advice: red flags that send a client to a doctor first, and each condition's advice."""

import re

import pytest

from directory import vocabulary
from directory.interpret import interpret
from tests.test_search import LATER, api, slugs, tag

#: Results-page markers.
URGENT = "See a doctor first"
INFO = "Good to know before you book"


@pytest.fixture
def clinic(make_practitioner):
    """Around Hoboken: a CLT who treats post-surgical swelling and sciatica, a spa therapist."""
    clt = tag(
        make_practitioner("lena-clt", setting="medical", credentials="LMT, CLT",
                          licenses=[("NJ", "verified", LATER)], offices=["07030"]),
        conditions=["post-surgical-swelling", "lymphedema", "sciatica"],
        modalities=["manual-lymphatic-drainage"],
    )  # fmt: skip
    spa = tag(
        make_practitioner("sol-spa", setting="spa",
                          licenses=[("NJ", "verified", LATER)], offices=["07302"]),
        conditions=["stress"], modalities=["swedish-massage"],
    )  # fmt: skip
    return {"clt": clt, "spa": spa}


def _page(client, **params) -> str:
    response = client.get("/search", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "need",
    [
        "blood clot in my leg",
        "my calf is swollen and warm",
        "chest pain",
        "lost bladder control",
        "numbness in my groin",
        "worst headache of my life",
        "I think it's broken, can't put weight on it",
    ],
)
def test_a_red_flag_alone_sends_to_a_doctor_and_lists_nobody(client, clinic, need):
    body = api(client, q=need, near="Hoboken, NJ").json
    assert body["total"] == 0 and body["results"] == []
    assert body["interpretation"]["red_flags"], need
    [first, *_] = body["advice"]
    assert first["condition"] is None and first["level"] == "see_doctor_first"
    assert first["text"]
    page = _page(client, q=need, near="Hoboken, NJ")
    assert URGENT in page and "We list no massage therapists for this" in page
    assert "lena-clt" not in page and "No massage therapists within" not in page


def test_a_red_flag_beside_a_treatable_need_warns_above_the_results(client, clinic):
    response = api(client, q="sciatica and a fever", near="Hoboken, NJ")
    body = response.json
    assert slugs(response) == ["lena-clt"]
    levels = [(a["condition"], a["level"]) for a in body["advice"]]
    assert levels == [(None, "see_doctor_first"), ("sciatica", "info")]
    page = _page(client, q="sciatica and a fever", near="Hoboken, NJ")
    assert page.index(URGENT) < page.index(INFO) < page.index("lena-clt")
    assert "for when a doctor says massage is safe" in page


def test_a_condition_chosen_as_a_filter_lists_therapists_beside_a_red_flag(client, clinic):
    response = api(client, q="chest pain", condition="sciatica", near="Hoboken, NJ")
    assert slugs(response) == ["lena-clt"]
    assert response.json["advice"][0]["level"] == "see_doctor_first"


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


def test_every_red_flag_is_recognised_cited_and_sends_to_a_doctor():
    flags = vocabulary.red_flags()
    assert len(flags) >= 8
    slugs_ = {f.slug for f in flags}
    for needed in ("blood-clot-signs", "chest-pain-or-breathlessness", "sudden-severe-headache",
                   "bladder-bowel-or-groin-numbness", "fever-or-feeling-unwell",
                   "cannot-bear-weight", "open-wound-or-infection"):  # fmt: skip
        assert needed in slugs_
    for flag in flags:
        assert flag.level == "see_doctor_first" and len(flag.text) > 40
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


def test_swelling_after_surgery_gets_the_surgeon_advice(client, clinic):
    response = api(client, q="swelling after surgery", near="Hoboken, NJ")
    assert slugs(response)[0] == "lena-clt"
    [advice] = response.json["advice"]
    assert advice["condition"] == "post-surgical-swelling" and "surgeon" in advice["text"]


def test_leg_pain_with_numbness_warns_and_lists_sciatica_therapists(client, clinic):
    response = api(client, q="leg pain with numbness", near="Hoboken, NJ")
    assert slugs(response) == ["lena-clt"]
    assert [a["level"] for a in response.json["advice"]] == ["see_doctor_first", "info"]
