"""Every page at phone width (390 px) in Chromium: nothing may overflow sideways.

The pages are those of the authorization matrix that some actor may GET (each visited as the
first actor the matrix lets in, signed in through a session cookie made for them) plus the public
ones, in a world with results to show. Skipped, saying why, without chromium or Playwright.
"""

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests import authz
from tests.conftest import add_practitioner
from tests.people import log_in

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if not shutil.which("chromium"):
    pytest.skip(
        "phone-width tests skipped: Debian's chromium is not installed (apt-get install chromium)",
        allow_module_level=True,
    )

from tests.test_browser import _axe_violations  # noqa: E402

WIDTH = 390
#: Pages that are not HTML, or only answer a form.
NOT_PAGES = {"api.search", "api.show", "health.healthz", "health.readyz", "static", "editor.media",
             "credentials.document", "admin.specialty_document", "admin_claims.document",
             "dashboard.export_roster"}  # fmt: skip
PUBLIC = [
    "/",
    "/guide",
    "/search?q=sciatica&near=Hoboken%2C+NJ",
    "/search?q=couples+massage&near=Hoboken%2C+NJ",
    "/search?q=blood+clot+in+my+leg&near=Hoboken%2C+NJ",
    "/search?q=back+pain&near=Hoboken%2C+NJ&accepting=1",
    "/search?near=Nowhere+Special",
    "/login",
    "/register",
    "/password/reset",
    "/no-such-page",
]


def _visits(world: dict) -> list[tuple[str, str]]:
    """(actor, path) for every GET page some actor may see, once per route and target."""
    seen, visits = set(), [("anonymous", path) for path in PUBLIC]
    for case in authz.cases():
        if case.method != "GET" or case.expected != "ok" or case.endpoint in NOT_PAGES:
            continue
        key = (case.endpoint, case.target)
        if key in seen:
            continue
        seen.add(key)
        path = case.path.format(**authz.placeholders(world, case.target))
        visits.append((case.actor, path))
    return visits


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with authz.shared_world(
        tmp_path_factory.mktemp("phone"), SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_SECURE=False,
    ) as (app, world):  # fmt: skip
        # The longest badges there are: verified specialty certificates (profile and card).
        add_practitioner(
            "cora-certified", licenses=[("NJ", "verified", None)], offices=["07030"],
            specialties=[(kind, "verified", None) for kind in ("clt", "mld", "prenatal")],
        )  # fmt: skip
        _queue_from_a_roster()
        _reachable_three_ways()
        # Credentials longer than the name, wrapping at 390 px (a card of the 10k demo).
        add_practitioner(
            "tova-wrapped", name="Tova Shah", credentials="LMT, NMT",
            licenses=[("NJ", "verified", None)], offices=["07030"],
        )  # fmt: skip
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield app, world, f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()


#: The browser's user agent, also the one the session is bound to ("strong" protection binds it
#: to the address and the user agent).
AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"


def _cookie_for(app, world, actor: str) -> str | None:
    user = authz.actor_user(world, actor)
    if user is None:
        return None
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=AGENT, REMOTE_ADDR="127.0.0.1")
    log_in(client, user)
    return client.get_cookie("session").value


def _reachable_three_ways() -> None:
    """A Hoboken therapist with a phone, an online booking page and a long story: the profile
    whose facts a phone must not bury under the text and the message form."""
    from datetime import timedelta

    from sqlalchemy import select

    from directory.db import db, now_utc
    from directory.vocabulary import Condition

    story = "\n".join(["I trained in Hoboken and have worked with runners for years. " * 6] * 5)
    pat = add_practitioner(
        "pat-phone", name="Pat Phone", licenses=[("NJ", "verified", None)], offices=["07030"],
        phone="(201) 555-0199", booking_url="https://book.example.com/pat", bio=story,
        price_min=80, price_max=120, session_lengths=[60, 90], languages=["Spanish"],
        in_home=True, hsa_fsa=True, accepts_physician_referrals=True,
        accepting_confirmed_at=now_utc() - timedelta(days=21),
    )  # fmt: skip
    wanted = ("sciatica", "lower-back-pain")
    pat.conditions = list(db.session.scalars(select(Condition).where(Condition.slug.in_(wanted))))
    db.session.commit()


def _queue_from_a_roster() -> None:
    """A Texas roster naming someone else for a license: the admin queue shows both records
    side by side, and the sync history has a run (the widest admin pages)."""
    from datetime import date
    from pathlib import Path

    from directory.db import db
    from directory.rosters import sync

    p = add_practitioner("jordan-lee", name="Jordan Lee", licenses=[("TX", "verified", None)])
    p.licenses[0].number = "MT33333"
    db.session.commit()
    roster = Path(__file__).parent / "data" / "rosters" / "tx-tdlr.csv"
    found = sync.read("tx-tdlr", str(roster), date(2026, 12, 1))
    sync.apply("tx-tdlr", found, file_name="TDLR_All_Licenses_with_a_long_name.csv",
               file_date=date(2026, 12, 1))  # fmt: skip
    db.session.commit()


def test_no_page_overflows_a_phone(site, tmp_path, chromium):
    app, world, base = site
    visits = _visits(world)
    visits += [
        ("anonymous", "/p/cora-certified"),
        ("anonymous", "/search?specialty=clt&near=Hoboken%2C+NJ"),
        ("admin", "/admin/licenses?reason=name_mismatch"),
    ]
    assert len(visits) >= 30
    overflowing = []
    browser = chromium
    contexts = {}
    for actor, path in visits:
        if actor not in contexts:
            context = browser.new_context(
                viewport={"width": WIDTH, "height": 844}, user_agent=AGENT
            )
            if cookie := _cookie_for(app, world, actor):
                context.add_cookies([{"name": "session", "value": cookie, "url": base}])
            contexts[actor] = context.new_page()
        tab = contexts[actor]
        tab.goto(base + path)
        assert "/login" not in tab.url or actor == "anonymous", (actor, path, tab.url)
        width = tab.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            wide = tab.evaluate(
                """(limit) => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > limit + 1)
                    .filter(e => ![...e.children].some(
                      c => c.getBoundingClientRect().right > limit + 1))
                    .slice(0, 5).map(e => e.tagName.toLowerCase() +
                      (e.className ? '.' + String(e.className).split(' ')[0] : ''))""",
                WIDTH,
            )
            overflowing.append(f"{path} as {actor}: {width}px ({', '.join(wide)})")
            tab.screenshot(path=str(tmp_path / f"overflow-{len(overflowing)}.png"))
    assert overflowing == [], "\n".join(overflowing)


def test_the_results_page_puts_filters_above_results_on_a_phone(site, chromium):
    _app, _world, base = site
    browser = chromium
    tab = browser.new_context(viewport={"width": WIDTH, "height": 844}).new_page()
    tab.goto(f"{base}/search?near=Hoboken%2C+NJ")
    toggle = tab.locator("details.filters-phone > summary")
    first = tab.locator(".result-list .result").first
    assert toggle.is_visible() and first.is_visible()
    assert toggle.bounding_box()["y"] < first.bounding_box()["y"]
    assert not tab.locator("aside.facets-wide").is_visible()
    toggle.click()
    opened = tab.locator("details.filters-phone")
    assert opened.get_by_text("Accepting new clients").first.is_visible()
    # On a fresh page the first Tab lands on the skip link, which leads to the results.
    tab.reload()
    tab.keyboard.press("Tab")
    focused = tab.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    tab.keyboard.press("Enter")
    assert tab.url.endswith("#main")
    wide = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    wide.goto(f"{base}/search?near=Hoboken%2C+NJ")
    assert wide.locator("aside.facets-wide").is_visible()
    assert not wide.locator("details.filters-phone").is_visible()


def test_the_map_shows_the_pages_results_with_named_markers(site, chromium):
    _app, _world, base = site
    browser = chromium
    tab = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    # No network here: tiles fail to load, the markers and the list still stand.
    tab.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    response = tab.goto(f"{base}/search?near=Hoboken%2C+NJ")
    csp = response.headers["content-security-policy"]
    assert "img-src 'self' https://tile.openstreetmap.org" in csp
    tab.wait_for_selector("#results-map .leaflet-marker-icon")
    cards = tab.locator(".result-list .result")
    markers = tab.locator("#results-map .leaflet-marker-icon")
    assert markers.count() == cards.count() > 0
    names = [markers.nth(i).get_attribute("title") for i in range(markers.count())]
    first = cards.first.locator("h2 a").inner_text()
    assert names[0].startswith(f"1. {first}, ")
    assert "OpenStreetMap" in tab.inner_text(".leaflet-control-attribution")
    # A marker opens a popup whose link leads to (and focuses) its card.
    markers.first.click()
    tab.locator(".leaflet-popup-content a").click()
    assert tab.evaluate("document.activeElement.id").startswith("card-")


def _phone(browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, user_agent=AGENT)
    return context.new_page()


def _top(tab, selector: str) -> float:
    return tab.locator(selector).first.bounding_box()["y"]


def test_the_first_result_is_above_the_fold_under_a_one_line_search(site, chromium):
    """Issue 28: on a 390 x 844 screen the first result started at 1,115 px."""
    _app, _world, base = site
    browser = chromium
    tab = _phone(browser)
    tab.goto(f"{base}/search?q=sciatica&near=Hoboken%2C+NJ")
    assert tab.locator(".advice-info").is_visible()  # the advice still comes first
    assert _top(tab, ".result-list .result") < 500
    said = tab.locator("details.search-phone > summary")
    assert said.is_visible() and "sciatica" in said.inner_text()
    form = tab.locator("details.search-phone form[role=search]")
    assert not form.is_visible() and not tab.locator(".search-wide form").is_visible()
    said.click()  # no script needed: a <details>
    assert form.is_visible()
    tab.locator("details.filters-phone > summary").click()
    assert _axe_violations(tab) == []  # the form, the filters and the cards, open
    assert form.locator("input[name=near]").input_value() == "Hoboken, NJ"
    assert tab.evaluate("document.documentElement.scrollWidth") <= WIDTH
    wide = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    wide.goto(f"{base}/search?q=sciatica&near=Hoboken%2C+NJ")
    assert wide.locator(".search-wide form").is_visible()
    assert not wide.locator("details.search-phone").is_visible()
    assert _axe_violations(wide) == []


def test_filters_are_ticked_together_and_applied_once(site, chromium):
    _app, _world, base = site
    browser = chromium
    tab = _phone(browser)
    start = f"{base}/search?q=back+pain&near=Hoboken%2C+NJ&sort=distance&page=1"
    tab.goto(start)
    tab.locator("details.filters-phone > summary").click()
    panel = tab.locator("details.filters-phone")
    panel.get_by_label("Comes to your home").check()
    panel.get_by_label("HSA/FSA superbills").check()
    assert tab.url == start  # nothing reloaded yet
    panel.get_by_role("button", name="Show results").click()
    tab.wait_for_load_state()
    query = tab.url.split("?", 1)[1]
    for part in ("in_home=1", "hsa_fsa=1", "q=back+pain", "sort=distance"):
        assert part in query, query
    assert "page=" not in query  # new filters start at the first page
    # The form's untouched "Any" choices leave no blank parameter in the address.
    assert "=&" not in query and not query.endswith("="), query
    assert "Filters (2 on)" in tab.locator("details.filters-phone > summary").inner_text()
    names = tab.locator(".result-list .result h2 a").all_inner_texts()
    assert names == ["Pat Phone"]
    tab.locator("details.filters-phone > summary").click()
    assert panel.get_by_label("Comes to your home").is_checked()
    assert tab.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_a_phone_shows_the_list_or_the_map(site, chromium):
    _app, _world, base = site
    browser = chromium
    tab = _phone(browser)
    tab.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    tab.goto(f"{base}/search?near=Hoboken%2C+NJ")
    switch = tab.locator("#view-switch")
    switch.wait_for(state="visible")
    box, cards = tab.locator("#results-map"), tab.locator(".result-list")
    assert cards.is_visible() and not box.is_visible()
    switch.get_by_role("button", name="Map").click()
    assert box.is_visible() and not cards.is_visible()
    assert box.locator(".leaflet-marker-icon").count() > 0
    assert _axe_violations(tab) == []
    assert switch.get_by_role("button", name="Map").get_attribute("aria-pressed") == "true"
    # A marker's popup leads back to its card, in the list.
    box.locator(".leaflet-marker-icon").first.click()
    tab.locator(".leaflet-popup-content a").click()
    assert cards.is_visible() and not box.is_visible()
    assert tab.evaluate("document.activeElement.id").startswith("card-")


def test_a_profile_keeps_its_facts_before_the_form_and_contact_at_hand(site, chromium):
    """Issue 28: offices, licenses, phone and "Book online" sat 2,450-2,850 px down, below the
    whole message form."""
    _app, _world, base = site
    browser = chromium
    tab = _phone(browser)
    tab.goto(f"{base}/p/pat-phone")
    bar = tab.locator("nav.contact-bar")
    box = bar.bounding_box()
    assert bar.is_visible() and box["y"] >= 0 and box["y"] + box["height"] <= 844
    assert bar.locator("a").all_inner_texts() == ["Call", "Message", "Book"]
    assert bar.get_by_role("link", name="Call").get_attribute("href").startswith("tel:")
    form = _top(tab, "#contact")
    for heading in ("Offices", "Licenses", "Sessions", "Contact"):
        assert _top(tab, f"h2:text-is('{heading}')") < form, heading
    tab.mouse.wheel(0, 2000)
    assert bar.bounding_box()["y"] + bar.bounding_box()["height"] <= 844  # still there
    bar.get_by_role("link", name="Message").click()
    assert tab.url.endswith("#contact")
    assert tab.locator("#contact").bounding_box()["y"] < 844
    assert tab.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert _axe_violations(tab) == []
    # Only the ways that exist: no phone, no booking page, only Message.
    tab.goto(f"{base}/p/cora-certified")
    assert tab.locator("nav.contact-bar a").all_inner_texts() == ["Message"]
    wide = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    wide.goto(f"{base}/p/pat-phone")
    assert not wide.locator("nav.contact-bar").is_visible()
    side, form = wide.locator(".profile-side"), wide.locator("#contact")
    assert side.bounding_box()["x"] > form.bounding_box()["x"] + 300  # two columns


def test_a_card_whose_credentials_wrap_tells_its_name_link_apart(site, chromium):
    """axe `link-in-text-block` (serious) on the 10k demo at 390 px: a name link told from
    ", LMT, NMT" by its colour alone (2.3:1) once the line wraps."""
    _app, _world, base = site
    browser = chromium
    tab = _phone(browser)
    tab.goto(f"{base}/search?near=Hoboken%2C+NJ&sort=distance")
    card = tab.locator("#card-tova-wrapped")
    lines = card.locator("h2 .named").evaluate("e => e.getClientRects().length")
    assert lines > 1  # the case itself: the name and its credentials wrap
    assert _axe_violations(tab) == []


#: The pages of issue 28's walk (a client, a new therapist, a network owner, an admin): public
#: paths as they are, the others by endpoint, visited as the first actor the matrix lets in.
WALK = [
    "/", "/search?q=sciatica&near=Hoboken%2C+NJ",
    "/search?q=relaxing+gift+for+my+mom&near=Hoboken%2C+NJ&accepting=1", "/p/pat-phone",
    "/p/tova-wrapped", "/register", "/login",
    "dashboard.index", "editor.edit", "editor.licenses", "editor.offices", "insights.profile",
    "dashboard.practice", "dashboard.roster", "insights.practice", "inbox.index",
    "accounts.index", "admin.index", "admin.licenses", "admin.rechecks", "admin_claims.index",
]  # fmt: skip


def _walk_visit(world: dict, page: str) -> tuple[str, str]:
    if page.startswith("/"):
        return "anonymous", page
    for case in authz.cases():
        if case.endpoint == page and case.method == "GET" and case.expected == "ok":
            return case.actor, case.path.format(**authz.placeholders(world, case.target))
    raise AssertionError(f"{page}: no actor may GET it in the matrix")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_walks_pages_have_no_serious_or_critical_axe_finding(site, width, chromium):
    """Issue 28's "Done when": axe stays at 0 serious and 0 critical on every page of the walk,
    at a phone's width and a desktop's (one world, every page; the pages are listed so that a
    failure names them all)."""
    from axe_playwright_python.sync_playwright import Axe

    app, world, base = site
    found = []
    browser = chromium
    tabs = {}
    for page in WALK:
        actor, path = _walk_visit(world, page)
        if actor not in tabs:
            context = browser.new_context(
                viewport={"width": width, "height": 844}, user_agent=AGENT
            )
            if cookie := _cookie_for(app, world, actor):
                context.add_cookies([{"name": "session", "value": cookie, "url": base}])
            tabs[actor] = context.new_page()
        tab = tabs[actor]
        response = tab.goto(base + path)
        assert response.status < 400, (page, actor, response.status)
        assert actor == "anonymous" or "/login" not in tab.url, (page, actor, tab.url)
        results = Axe().run(tab, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a",
                                                      "wcag21aa"]})  # fmt: skip
        found += [
            f"{path} as {actor}: {v['impact']} {v['id']} ({v['nodes'][0]['target'][0]})"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    assert found == [], "\n".join(found)


#: Words of a list's definitions that a line break cuts in two: each word whose box spans two
#: lines (an email address or a long link may be cut; a word of a sentence may not).
CUT_WORDS = """(selector) => {
  const cut = [];
  for (const dd of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (/[@/]/.test(node.data)) continue;
      for (const m of node.data.matchAll(/[\\p{L}]+/gu)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) cut.push(m[0]);
      }
    }
  }
  return cut;
}"""


def test_the_spanish_claims_queue_wraps_its_facts_between_words(site, chromium, tmp_path):
    """At 390 px the claim's facts (longer in Spanish: "Carta a la dirección del consultorio")
    wrap between words, never inside one, and nothing scrolls sideways."""
    app, world, base = site
    actor, path = _walk_visit(world, "admin_claims.index")
    context = chromium.new_context(viewport={"width": WIDTH, "height": 844}, user_agent=AGENT)
    context.add_cookies([{"name": "session", "value": _cookie_for(app, world, actor),
                          "url": base}])  # fmt: skip
    tab = context.new_page()
    tab.goto(f"{base}/es{path}")
    assert tab.locator(".claimant .facts").count() > 0
    tab.screenshot(path=str(tmp_path / "claims-es.png"), full_page=True)
    assert tab.evaluate(CUT_WORDS, ".facts dd") == []
    assert tab.evaluate("document.documentElement.scrollWidth") <= WIDTH
