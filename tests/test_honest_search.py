"""Honest totals and order: a named modality lists only who offers it, a setting lists its own
and "spa & medical", an empty answer says how far the nearest match is, equal fits come nearest
first."""

import pytest

from tests.test_search import LATER, api, slugs, tag


@pytest.fixture
def spas(make_practitioner):
    """Around Hoboken, three spa therapists, none offering couples massage; one 30 miles out."""
    for slug, zip_code in (("ivy-spa", "07030"), ("jo-spa", "07302"), ("kai-both", "07086")):
        tag(
            make_practitioner(slug, setting="both" if "both" in slug else "spa",
                              licenses=[("NJ", "verified", LATER)], offices=[zip_code]),
            conditions=["relaxation"], modalities=["swedish-massage", "hot-stone-massage"],
        )  # fmt: skip
    far = tag(
        make_practitioner("lee-couples", setting="spa",
                          licenses=[("NJ", "verified", LATER)], offices=["08540"]),
        modalities=["couples-massage"],
    )  # fmt: skip
    return far


def test_a_named_spa_modality_lists_only_who_offers_it(client, spas):
    need = "couples massage for our anniversary"
    near = api(client, q=need, near="Hoboken, NJ")
    assert near.json["interpretation"]["modalities"] == ["couples-massage"]
    assert near.json["total"] == 0 and slugs(near) == []
    assert 30 < near.json["nearest_miles"] < 50  # Princeton
    page = client.get("/search", query_string={"q": need, "near": "Hoboken, NJ"})
    text = page.get_data(as_text=True)
    assert "No one within 10 miles of Hoboken, NJ offers couples massage." in text
    assert "The nearest is" in text and "radius=50" in text
    assert "ivy-spa" not in text
    wider = api(client, q=need, near="Hoboken, NJ", radius=50)
    assert slugs(wider) == ["lee-couples"]
    card = client.get("/search", query_string={"q": need, "near": "Hoboken, NJ", "radius": 50})
    assert "Offers <mark>Couples massage</mark>" in card.get_data(as_text=True)
    assert "Treats offers" not in card.get_data(as_text=True)


def test_a_spa_need_without_a_modality_lists_spa_and_both(client, spas):
    found = api(client, q="relaxing gift", near="Hoboken, NJ")
    assert set(slugs(found)) == {"ivy-spa", "jo-spa", "kai-both"}
    hot = api(client, q="hot stone", near="Hoboken, NJ")
    assert set(slugs(hot)) == {"ivy-spa", "jo-spa", "kai-both"}


def test_nobody_at_all_says_so(client, spas):
    found = api(client, q="couples massage", near="Seattle, WA")
    assert found.json["total"] == 0 and found.json["nearest_miles"] is None
    text = client.get("/search", query_string={"q": "couples massage", "near": "Seattle, WA"})
    assert "No one within 250 miles either." in text.get_data(as_text=True)


def test_setting_choices_include_both_and_say_what_they_give(client, spas):
    body = api(client, near="Hoboken, NJ", radius=5).json
    assert body["facets"]["setting"] == {"spa": 3, "both": 1, "medical": 1}
    assert set(slugs(api(client, near="Hoboken, NJ", setting="medical"))) == {"kai-both"}
    assert api(client, near="Hoboken, NJ", setting="everything").status_code == 400


@pytest.fixture
def equals(make_practitioner):
    """Four therapists alike in every way the ranking weighs (the same condition, setting,
    badge, accepting), at different distances from Hoboken."""
    made = {}
    for slug, zip_code in (("far-a", "07086"), ("near-b", "07030"), ("mid-c", "07302"),
                           ("farther-d", "07047")):  # fmt: skip
        made[slug] = tag(
            make_practitioner(slug, credentials="LMT, CLT", setting="medical",
                              licenses=[("NJ", "verified", LATER)], offices=[zip_code],
                              specialties=[("clt", "verified", LATER)]),
            conditions=["lymphedema"], modalities=["manual-lymphatic-drainage"],
        )  # fmt: skip
    # Different bios, mentioning lymphedema more or less: text alone never puts a farther
    # one above a nearer equal.
    made["farther-d"].bio = "Lymphedema, lymphedema, lymphedema: only lymphedema."
    from directory.db import db

    db.session.commit()
    return made


def test_equal_fits_come_nearest_first(client, equals):
    found = api(client, q="lymphedema", near="Hoboken, NJ").json["results"]
    distances = [r["distance_miles"] for r in found]
    assert len(found) == 4 and distances == sorted(distances)
    assert found[0]["slug"] == "near-b"


def test_a_better_fit_outranks_a_nearer_one(client, equals, make_practitioner):
    # Nearer but unverified (pending): a worse fit, listed after the verified ones.
    tag(
        make_practitioner("pending-p", credentials="LMT, CLT", setting="medical",
                          licenses=[("NJ", "pending", LATER)], offices=["07030"],
                          specialties=[("clt", "verified", LATER)]),
        conditions=["lymphedema"], modalities=["manual-lymphatic-drainage"],
    )  # fmt: skip
    found = slugs(api(client, q="lymphedema", near="Hoboken, NJ"))
    assert found[-1] == "pending-p"


def test_a_bio_saying_massage_is_not_a_mention_of_couples_massage(client, make_practitioner):
    offers = tag(
        make_practitioner("pat-pairs", setting="spa", licenses=[("NJ", "verified", LATER)],
                          offices=["07030"]),
        modalities=["couples-massage"],
    )  # fmt: skip
    make_practitioner("mo-massage", setting="both", licenses=[("NJ", "verified", LATER)],
                      offices=["07030"], bio="Massage for every body: relaxing massage, "
                      "deep massage, massage therapy for two friends.")  # fmt: skip
    writes = make_practitioner(
        "wes-writes",
        setting="spa",
        licenses=[("NJ", "verified", LATER)],
        offices=["07030"],
        bio="Couples sessions in a double suite.",
    )
    found = set(slugs(api(client, q="couples massage for our anniversary", near="Hoboken, NJ")))
    # Whoever lists it, or writes its distinctive word; not whoever writes "massage".
    assert found == {offers.slug, writes.slug}
    # Nothing named: the words themselves are the need, and match wherever they are.
    assert "mo-massage" in set(slugs(api(client, q="friends", near="Hoboken, NJ")))
