"""A practice's public page (/t/<slug>) and its embeddable roster (/t/<slug>/embed)."""

import re
from datetime import date, timedelta

import pytest

from directory.db import db
from directory.practices import roster
from tests.people import practice

LATER = date.today() + timedelta(days=365)
YESTERDAY = date.today() - timedelta(days=1)
HUGE = "x" * 500


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture
def hand(make_practitioner):
    """The Crafted Hand with one therapist of each kind of visibility, and another spa."""
    hand = practice("crafted-hand", "The Crafted Hand", kind="clinic")
    other = practice("other-spa", "Other Spa", kind="spa")
    make_practitioner(
        "alexa-marie", tenant=hand, name="Alexa Marie", credentials="LMT",
        licenses=[("NJ", "verified", LATER)], offices=["07030"],
    )  # fmt: skip
    make_practitioner("bo-chen", tenant=hand, name="Bo Chen", setting="spa")
    make_practitioner("hidden-draft", tenant=hand, published=False)
    make_practitioner("suspended-one", tenant=hand, suspended=True, suspended_reason="x")
    make_practitioner(
        "zed-other", tenant=other, licenses=[("NJ", "verified", LATER)], offices=["07030"]
    )
    return hand


def test_page_lists_the_practices_public_profiles_by_name(client, hand):
    html = page(client, "/t/crafted-hand")
    assert "<h1>The Crafted Hand</h1>" in html
    assert "Clinic" in html
    assert "2 massage therapists listed" in html
    assert html.index("/p/alexa-marie") < html.index("/p/bo-chen")
    assert "LMT" in html and "Hoboken, NJ" in html
    for hidden in ("hidden-draft", "suspended-one", "zed-other", "Other Spa"):
        assert hidden not in html


def test_page_title(client, hand):
    assert "<title>The Crafted Hand · Kneaded</title>" in page(client, "/t/crafted-hand")


def test_page_has_a_meta_description(client, hand):
    html = page(client, "/t/crafted-hand")
    head = html.split("</head>")[0]
    assert '<meta name="description" content="The Crafted Hand: clinic with 2 massage' in head


def test_summary_prefers_the_practices_own_words(app, hand):
    assert roster.summary(hand, 2) == "The Crafted Hand: clinic with 2 massage therapists listed."
    hand.description = "Medical massage in Hoboken.\n\n" + "Word " * 100
    summary = roster.summary(hand, 2)
    assert summary.startswith("Medical massage in Hoboken. Word") and len(summary) <= 160


def test_roster_is_read_without_http(app, hand):
    listing = roster.page(hand)
    assert [e.practitioner.slug for e in listing.entries] == ["alexa-marie", "bo-chen"]
    assert listing.total == 2 and listing.pages == 1
    assert listing.entries[0].office.verified is True and listing.entries[1].office is None
    assert roster.page(hand, 2) is None


@pytest.mark.parametrize("status", ["suspended", "deleted"])
@pytest.mark.parametrize("path", ["/t/crafted-hand", "/t/crafted-hand/embed"])
def test_suspended_and_deleted_practices_disappear(client, hand, status, path):
    hand.status = status
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 404
    assert b"Alexa Marie" not in response.data


@pytest.mark.parametrize(
    "path",
    [
        "/t/nobody-here",
        "/t/nobody-here/embed",
        "/t/" + HUGE,
        "/t/" + HUGE + "/embed",
        "/t/Crafted-Hand",
        "/t/crafted--hand",
        "/t/crafted_hand/embed",
    ],
)
def test_unknown_or_malformed_slugs_are_404(client, hand, path):
    assert client.get(path).status_code == 404


def test_empty_practice_says_so(client):
    practice("quiet-spa", "Quiet Spa", kind="spa")
    html = page(client, "/t/quiet-spa")
    assert "No one is listed yet" in html
    assert "0 massage therapists listed" in html
    assert "No one is listed yet" in page(client, "/t/quiet-spa/embed")
    assert client.get("/t/quiet-spa?page=2").status_code == 404


def test_pagination_24_per_page(client, make_practitioner):
    big = practice("big-network", "Big Network", kind="network")
    for n in range(26):
        make_practitioner(f"therapist-{n:02d}", tenant=big, name=f"Therapist {n:02d}")
    first = page(client, "/t/big-network")
    assert "Therapist 00" in first and "Therapist 23" in first and "Therapist 24" not in first
    assert "Page 1 of 2" in first
    assert 'href="/t/big-network?page=2" rel="next"' in first
    second = page(client, "/t/big-network?page=2")
    assert "Therapist 24" in second and "Therapist 25" in second and "Therapist 23" not in second
    assert 'href="/t/big-network" rel="prev"' in second
    assert "26 massage therapists listed" in second
    # The Spanish page's pager speaks Spanish and stays on Spanish addresses.
    spanish = page(client, "/es/t/big-network")
    assert '<nav class="pagination" aria-label="Páginas">' in spanish
    assert "Página 1 de 2" in spanish
    assert 'href="/es/t/big-network?page=2" rel="next">Siguiente →</a>' in spanish


@pytest.mark.parametrize("number", ["0", "3", "-1", "abc", "", "1.5", "9" * 25])
def test_bad_or_out_of_range_pages_are_404(client, make_practitioner, number):
    big = practice("big-network", "Big Network", kind="network")
    for n in range(25):
        make_practitioner(f"therapist-{n:02d}", tenant=big)
    assert client.get(f"/t/big-network?page={number}").status_code == 404


def test_search_form_is_scoped_to_the_practice(client, hand):
    html = page(client, "/t/crafted-hand")
    form = re.search(
        r'<form class="search-form" action="/search" method="get".*?</form>', html, re.S
    )
    assert form is not None
    assert 'name="q"' in form[0] and 'name="near"' in form[0]
    assert '<input type="hidden" name="tenant" value="crafted-hand">' in form[0]


def test_scoped_search_finds_only_the_practices_therapists(client, hand, make_practitioner):
    make_practitioner(
        "carla-diaz", tenant=hand, licenses=[("NJ", "pending", LATER)], offices=["07086"]
    )
    html = page(client, "/search?tenant=crafted-hand&near=Hoboken%2C+NJ&per_page=1")
    assert "2 therapists" in html
    assert "/p/alexa-marie" in html or "/p/carla-diaz" in html
    assert "/p/zed-other" not in html
    # Refining and paging keep the practice: the form, the facets and the next page.
    assert '<input type="hidden" name="tenant" value="crafted-hand">' in html
    next_page = re.search(r'href="([^"]*)" rel="next"', html)
    assert next_page and "tenant=crafted-hand" in next_page[1]
    # Every link keeps the scope but the one that widens it on purpose.
    links = re.findall(r'href="(/search\?[^"]*)">([^<]*)', html)
    assert all(
        "tenant=crafted-hand" in url for url, text in links if text != "Search every practice"
    )
    everyone = page(client, "/search?near=Hoboken%2C+NJ")
    assert "/p/zed-other" in everyone


@pytest.mark.parametrize(
    ("license", "badge", "listed_place"),
    [
        (("NJ", "verified", LATER), True, True),
        (("NJ", "verified", YESTERDAY), False, False),
        (("NJ", "pending", LATER), False, True),
        (("NJ", "rejected", LATER), False, False),
        (("NY", "verified", LATER), False, False),
    ],
)
def test_verified_badge_only_for_a_verified_current_license_in_the_offices_state(
    client, make_practitioner, license, badge, listed_place
):
    solo = practice("solo-practice", "Solo Practice")
    make_practitioner("alexa-marie", tenant=solo, licenses=[license], offices=["07030"])
    html = page(client, "/t/solo-practice")
    embed = page(client, "/t/solo-practice/embed")
    assert ("Verified NJ license" in html) is badge
    assert ("embed-verified" in embed) is badge
    assert ("Hoboken, NJ" in html) is listed_place
    assert ("Hoboken, NJ" in embed) is listed_place
    state, status, _ = license
    expected = {
        "verified": f"{state} license verified",
        "pending": f"{state} license pending verification",
        "rejected": f"{state} license not verified",
    }[status]
    if license[2] == YESTERDAY:
        expected = f"{state} license expired"
    if not badge:
        assert expected in html


def test_description_is_escaped_and_split_into_paragraphs(client, hand):
    hand.description = "<script>alert(1)</script> We treat <b>backs</b>.\nSecond paragraph."
    db.session.commit()
    html = page(client, "/t/crafted-hand")
    assert "<script>" not in html and "<b>backs</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<p>Second paragraph.</p>" in html


@pytest.mark.parametrize(
    ("website", "linked"),
    [
        ("https://crafted-hand.example.com", True),
        ("http://crafted-hand.example.com", True),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("crafted-hand.example.com", False),
    ],
)
def test_only_web_addresses_are_linked(client, hand, website, linked):
    hand.website = website
    db.session.commit()
    html = page(client, "/t/crafted-hand")
    assert (f'href="{website}"' in html) is linked
    assert "javascript:" not in html


def test_the_headers_separator_goes_with_the_website_it_leads_into(client, hand):
    """The header's parts wrap as flex items: "· site" is one, so no line ends on "·"."""
    assert "·" not in page(client, "/t/crafted-hand").split('class="meta">')[1].split("</p>")[0]
    hand.website = "https://crafted-hand.example.com"
    db.session.commit()
    meta = page(client, "/t/crafted-hand").split('class="meta">')[1].split("</p>")[0]
    assert not re.search(r"listed\s*·", meta)
    assert '<span class="meta-part">· <a href="https://crafted-hand.example.com"' in meta


def test_logo_is_shown_when_set(client, hand):
    assert "practice-logo" not in page(client, "/t/crafted-hand")
    hand.logo = "abcdef0123456789.png"
    db.session.commit()
    html = page(client, "/t/crafted-hand")
    assert re.search(r'<img class="practice-logo" src="[^"]*/abcdef0123456789\.png"', html)


def test_embed_is_a_bare_roster_linking_out(client, hand):
    html = page(client, "/t/crafted-hand/embed")
    assert "site-header" not in html and "site-footer" not in html and "<nav" not in html
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == ["/static/embed.css"]
    assert (
        '<a class="embed-name" href="/p/alexa-marie" target="_blank" rel="noopener">Alexa Marie</a>'
    ) in html
    assert ", LMT" in html and "Medical" in html and "Spa" in html
    assert "Hoboken, NJ" in html
    assert 'Listed on <a href="/t/crafted-hand" target="_blank" rel="noopener">Kneaded</a>' in html
    for hidden in ("hidden-draft", "suspended-one", "zed-other"):
        assert hidden not in html


def test_a_name_and_its_credentials_are_one_item_with_no_space_before_the_comma(client, hand):
    """In the embed's flex row a gap fell between "Amara Liu" and ", LMT"; one element now,
    written by one formatter on every page."""
    credentialed = re.compile(
        r'<span class="named"><a [^>]*>Alexa Marie</a>'
        r'<span class="[a-z-]*credentials">, LMT</span></span>'
    )
    for path in ("/t/crafted-hand/embed", "/t/crafted-hand", "/p/alexa-marie"):
        html = page(client, path)
        assert credentialed.search(html) or '<h1><span class="named">Alexa Marie<span' in html, path
        assert " , LMT" not in html, path
    assert "<title>Alexa Marie, LMT · Kneaded</title>" in page(client, "/p/alexa-marie")


@pytest.mark.parametrize(
    ("credentials", "written"),
    [
        ("LMT", "Amara Liu, LMT"),
        (" , LMT ", "Amara Liu, LMT"),
        ("", "Amara Liu"),
        (None, "Amara Liu"),
    ],
)
def test_with_credentials(credentials, written):
    from directory.web import with_credentials

    assert with_credentials("Amara Liu ", credentials) == written


def test_only_the_embed_may_be_framed(client, hand):
    embed = client.get("/t/crafted-hand/embed")
    csp = embed.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "frame-ancestors 'none'" not in csp
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "X-Frame-Options" not in embed.headers
    assert embed.headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/t/crafted-hand", "/", "/t/nobody-here/embed", "/static/embed.css"):
        with client.get(path) as response:
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
            assert response.headers["X-Frame-Options"] == "DENY", path


def test_scoped_results_say_so_and_offer_every_practice(client, hand):
    html = page(client, "/search?q=massage&near=07030&tenant=crafted-hand")
    assert "Only therapists of" in html and 'href="/t/crafted-hand"' in html
    assert 'href="/search?q=massage&amp;near=07030">Search every practice' in html
    assert "Only therapists of" not in page(client, "/search?q=massage&near=07030")


def test_profiles_and_results_link_to_the_practice_page(client, hand):
    assert 'href="/t/crafted-hand"' in page(client, "/p/alexa-marie")
    assert 'href="/t/crafted-hand"' in page(client, "/search?q=massage&near=07030")


def test_the_roster_and_the_embed_say_what_a_client_decides_on(client, make_practitioner):
    """Issue 28: the cards' facts (templates/_facts.html) on the practice page and its embed."""
    from directory.db import now_utc

    solo = practice("solo-practice", "Solo Practice")
    make_practitioner(
        "ana-facts", tenant=solo, licenses=[("NJ", "verified", LATER)], offices=["07030"],
        price_min=90, price_max=130, session_lengths=[60, 90], languages=["Spanish", "Tagalog"],
        in_home=True, hsa_fsa=True, accepts_physician_referrals=True,
        accepting_confirmed_at=now_utc() - timedelta(days=3),
    )  # fmt: skip
    make_practitioner("ben-closed", tenant=solo, accepting_new_clients=False)
    for path in ("/t/solo-practice", "/t/solo-practice/embed"):
        text = " ".join(re.sub(r"<[^>]+>", " ", page(client, path)).split())
        for fact in ("Accepting new clients · confirmed 3 days ago", "$90\u2013$130 · 60/90 min",
                     "Speaks Spanish and Tagalog", "Comes to you", "HSA/FSA",
                     "Takes physician referrals", "Not accepting new clients"):  # fmt: skip
            assert fact in text, (path, fact)
