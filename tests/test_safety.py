"""Safety for every client: red flags told in everyday words, and populations (pregnancy,
cancer treatment, lymphedema) routed to therapists whose specialty credential is verified."""

import html
import re
from datetime import date, timedelta

import pytest

from directory import signs
from directory.interpret import interpret
from tests.safety_phrasings import HELD_OUT, TUNED_POPULATIONS, TUNED_RED_FLAGS
from tests.test_search import LATER, api, slugs, tag

YESTERDAY = date.today() - timedelta(days=1)


def _read(need: str) -> set[str]:
    found = interpret(need)
    return {*found.red_flags, *found.populations}


def _right(need: str, expected: tuple[str, ...]) -> bool:
    found = _read(need)
    return set(expected) <= found if expected else not found


@pytest.mark.parametrize(("need", "expected"), TUNED_RED_FLAGS + TUNED_POPULATIONS)
def test_signs_in_everyday_words_are_read(need, expected):
    assert _right(need, expected), (need, _read(need))


def test_held_out_phrasings_are_mostly_read_right():
    # Written before the rules ran on them and never tuned on: a floor, not case by case.
    right = sum(_right(need, expected) for need, expected in HELD_OUT)
    assert len(HELD_OUT) >= 50 and right / len(HELD_OUT) >= 0.9, right


@pytest.mark.parametrize(
    ("need", "negated"),
    [
        ("back pain, no fever", True),
        ("i do not have a fever", True),
        ("fever and back pain", False),
    ],
)
def test_a_denied_sign_is_not_read(need, negated):
    assert ("fever-or-feeling-unwell" in interpret(need).red_flags) is not negated


def test_sign_words_must_be_close_together():
    rule = signs.Rule(groups=((("calf",),), (("swollen",),)))
    assert signs.fires(rule, ["my", "calf", "is", "swollen"])
    far = ["calf", *["word"] * signs.WINDOW, "swollen"]
    assert not signs.fires(rule, far)


def test_lymphedema_after_cancer_surgery_needs_a_clt_not_also_oncology():
    found = interpret("arm swelling after breast cancer surgery")
    assert found.populations == ("lymphedema",) and found.specialties == ("clt",)


@pytest.fixture
def specialists(make_practitioner):
    """Around Hoboken: prenatal therapists verified, pending, rejected and lapsed; an oncology
    therapist; a deep-tissue therapist with no specialty; a CLT in Philadelphia (about 80 mi)."""
    nj = [("NJ", "verified", LATER)]
    made = {
        "pia-prenatal-back": tag(
            make_practitioner("pia-prenatal-back", licenses=nj, offices=["07030"],
                              specialties=[("prenatal", "verified", LATER),
                                           ("oncology", "rejected", LATER)]),
            conditions=["lower-back-pain", "pregnancy-discomfort"],
        ),
        "pam-prenatal": tag(
            make_practitioner("pam-prenatal", licenses=nj, offices=["07302"],
                              specialties=[("prenatal", "verified", None)]),
            modalities=["prenatal-massage"],
        ),
        "dee-deep": tag(
            make_practitioner("dee-deep", licenses=nj, offices=["07030"]),
            conditions=["lower-back-pain"], modalities=["deep-tissue-massage"],
        ),
        "pen-pending": tag(
            make_practitioner("pen-pending", licenses=nj, offices=["07030"],
                              specialties=[("prenatal", "pending", LATER)]),
            conditions=["lower-back-pain", "pregnancy-discomfort"],
        ),
        "rex-rejected": tag(
            make_practitioner("rex-rejected", licenses=nj, offices=["07030"],
                              specialties=[("prenatal", "rejected", LATER)]),
            conditions=["lower-back-pain"],
        ),
        "lou-lapsed": tag(
            make_practitioner("lou-lapsed", licenses=nj, offices=["07030"],
                              specialties=[("prenatal", "verified", YESTERDAY)]),
            conditions=["lower-back-pain"],
        ),
        "oli-oncology": tag(
            make_practitioner("oli-oncology", licenses=nj, offices=["07030"],
                              specialties=[("oncology", "verified", LATER)]),
            conditions=["cancer-related-fatigue"],
        ),
        "cara-clt": tag(
            make_practitioner("cara-clt", licenses=[("PA", "verified", LATER)],
                              offices=["19103"], specialties=[("clt", "verified", LATER)]),
            conditions=["lymphedema"],
        ),
    }  # fmt: skip
    return made


def test_a_pregnancy_lists_only_verified_prenatal_therapists_back_pain_first(client, specialists):
    response = api(client, q="28 weeks pregnant, lower back aching", near="Hoboken, NJ")
    body = response.json
    assert slugs(response) == ["pia-prenatal-back", "pam-prenatal"]
    assert body["total"] == 2
    assert body["interpretation"]["specialties"] == ["prenatal"]
    assert "lower-back-pain" in body["interpretation"]["conditions"]  # the body part is kept
    assert any("prenatal" in a["text"] for a in body["advice"] if a["condition"] is None)
    # Said once: the population's advice, not again as pregnancy discomfort's.
    assert "pregnancy-discomfort" not in [a["condition"] for a in body["advice"]]
    first = body["results"][0]
    # A rejected record is never shown; the verified one is.
    assert first["specialties"] == [
        {"kind": "prenatal", "name": "Prenatal and postpartum massage",
         "issuer": "Klose Training", "verified": True}
    ]  # fmt: skip


@pytest.mark.parametrize(
    "need", ["im 28 weeks and my lower back aches", "second trimester, lower back pain"]
)
def test_a_pregnancy_told_in_weeks_or_trimesters_keeps_the_need(client, specialists, need):
    response = api(client, q=need, near="Hoboken, NJ")
    assert slugs(response)[0] == "pia-prenatal-back"
    assert set(slugs(response)) == {"pia-prenatal-back", "pam-prenatal"}


def test_chemotherapy_is_sent_to_a_verified_oncology_therapist(client, specialists):
    response = api(client, q="going through chemo and want a gentle massage", near="Hoboken, NJ")
    assert slugs(response) == ["oli-oncology"]
    assert response.json["interpretation"]["specialties"] == ["oncology"]
    assert any("oncology team" in a["text"] for a in response.json["advice"])


def test_when_no_specialist_is_near_the_answer_says_how_far_the_nearest_is(client, specialists):
    need = "arm swelling after breast cancer surgery"
    body = api(client, q=need, near="Hoboken, NJ").json
    assert body["total"] == 0 and body["interpretation"]["specialties"] == ["clt"]
    assert 70 < body["nearest_miles"] < 100
    page = client.get("/search", query_string={"q": need, "near": "Hoboken, NJ"})
    text = html.unescape(re.sub(r"<[^>]+>", "", page.get_data(as_text=True)))
    assert "Only therapists with a verified CLT (lymphedema) credential are listed" in text
    assert re.search(r"The nearest is \d+\.\d miles away", text)
    assert "holds a verified CLT (lymphedema) credential" in text


def test_the_specialty_filter_lists_verified_current_holders_only(client, specialists):
    response = api(client, specialty="prenatal", near="Hoboken, NJ")
    assert sorted(slugs(response)) == ["pam-prenatal", "pia-prenatal-back"]
    assert response.json["facets"]["specialties"] == {"prenatal": 2}
    both = api(client, specialty=["prenatal", "oncology"], near="Hoboken, NJ")
    assert slugs(both) == []
    bad = api(client, specialty="reiki-master", near="Hoboken, NJ")
    assert bad.status_code == 400 and bad.json["error"]["field"] == "specialty"


def test_cards_show_verified_specialty_badges_and_the_facet(client, specialists):
    page = client.get("/search", query_string={"q": "lower back pain", "near": "Hoboken, NJ"})
    text = page.get_data(as_text=True)

    def card(slug: str) -> str:  # the card whole: it holds lists of its own, up to the next
        return re.search(rf'id="card-{slug}".*?(?=<li class="card result"|</ol>)', text, re.S)[0]

    assert "badge-specialty" in card("pia-prenatal-back")
    assert "Prenatal and postpartum massage" in card("pia-prenatal-back")
    assert "badge-specialty" not in card("pen-pending") and "licenses-line" in card("pen-pending")
    assert "Verified specialty" in text and "specialty=prenatal" in text


def test_a_need_over_the_limit_is_refused_with_the_limit_never_cut(client, specialists):
    story = "I have been to many doctors over the years. " * 46 + "Now it is sciatica."
    assert len(story) > 2000
    response = api(client, q=story, near="Hoboken, NJ")
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "need_too_long" and error["field"] == "q" and "500" in error["message"]
    page = client.get("/search", query_string={"q": story, "near": "Hoboken, NJ"})
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 400 and "at most 500 characters" in text
    assert "Now it is sciatica." in text  # what was typed is kept to edit, not cut
    fits = "x " * 200 + "sciatica"
    assert api(client, q=fits, near="Hoboken, NJ").status_code == 200


def test_no_search_box_cuts_a_long_need_silently(client, specialists):
    # A browser drops what goes past maxlength without a word: the server says the limit.
    for path in ("/", "/search?q=sciatica", "/t/crafted-hand"):
        page = client.get(path).get_data(as_text=True)
        boxes = re.findall(r'<input[^>]*name="q"[^>]*>', page)
        assert boxes, path
        assert not any("maxlength" in box for box in boxes), (path, boxes)


def test_a_certificate_rejected_since_indexing_routes_to_no_one(client, specialists):
    from sqlalchemy import update

    from directory.db import db
    from directory.practitioners.models import Specialty

    need = {"q": "28 weeks pregnant, lower back aching", "near": "Hoboken, NJ"}
    assert "pam-prenatal" in slugs(api(client, **need))
    # Changed behind the outbox's back (as on another node before its indexer catches up):
    # the index still says verified, the database is the truth.
    db.session.execute(
        update(Specialty)
        .where(Specialty.practitioner_id == specialists["pam-prenatal"].id)
        .values(status="rejected")
    )
    db.session.commit()
    assert slugs(api(client, **need)) == ["pia-prenatal-back"]
    assert slugs(api(client, specialty="prenatal", near="Hoboken, NJ")) == ["pia-prenatal-back"]


def test_a_story_too_long_to_search_still_carries_its_emergency(client, specialists):
    story = "It started years ago with my back. " * 20 + (
        "Now my calf is swollen, warm and red since the flight and I have sciatica."
    )
    assert len(story) > 500
    response = api(client, q=story, near="Hoboken, NJ")
    error = response.json["error"]
    assert response.status_code == 400 and error["code"] == "need_too_long"
    assert [a["level"] for a in error["advice"]] == ["emergency"]
    page = client.get("/search", query_string={"q": story, "near": "Hoboken, NJ"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "Get medical help now, not a massage" in text
    assert 'href="tel:911"' in text and "at most 500 characters" in html.unescape(text)
    calm = api(client, q="My lower back aches after long days at the desk. " * 12)
    assert calm.status_code == 400 and "advice" not in calm.json["error"]


@pytest.mark.parametrize(
    ("need", "populations", "specialties"),
    [
        ("tengo 20 semanas de embarazo y me duele la espalda", ("pregnancy",), ("prenatal",)),
        ("estoy esperando un bebé", ("pregnancy",), ("prenatal",)),
        ("acabo de dar a luz", ("pregnancy",), ("prenatal",)),
        ("estoy en quimioterapia", ("cancer-treatment",), ("oncology",)),
        # lymphedema after cancer: a CLT, not also an oncology therapist, as in English
        ("brazo hinchado después de que me quitaron los ganglios por cáncer de mama",
         ("lymphedema",), ("clt",)),
        ("masaje relajante para mi esposa", (), ()),
    ],
)  # fmt: skip
def test_populations_are_read_in_spanish(need, populations, specialties):
    found = interpret(need)
    assert (found.populations, found.specialties) == (populations, specialties)
