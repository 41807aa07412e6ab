"""The real-browser test: Debian's chromium driven by Playwright against a live server.

A new therapist registers, confirms the email, fills the profile, adds an NJ license and a
Hoboken office, publishes, and then finds themself by searching "sciatica" near "Hoboken, NJ".
Skipped, saying why, when chromium or Playwright is not installed (`.ci/run` installs both).
"""

import re
import shutil
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from directory.db import db
from tests.conftest import PASSWORD, _prepare_database, make_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if not shutil.which("chromium"):
    pytest.skip(
        "real-browser tests skipped: Debian's chromium is not installed (apt-get install chromium)",
        allow_module_level=True,
    )

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def live(tmp_path):
    """The app on a real HTTP server in a thread, with CSRF on as in production."""
    server = make_server("127.0.0.1", 0, None, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app = make_app(
        tmp_path,
        WTF_CSRF_ENABLED=True,
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_SECURE=False,
        PUBLIC_URL=base,
    )
    server.app = app
    with app.app_context():
        _prepare_database(with_vocabulary=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, base
    finally:
        server.shutdown()
        app.extensions["search_store"].close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def page(chromium):
    tab = chromium.new_context().new_page()
    tab.set_default_timeout(15_000)
    return tab


def _shot(page, path) -> None:
    """A screenshot for whoever debugs a failure; headless Chromium sometimes cannot take one,
    which is not what this test is about."""
    try:
        page.screenshot(path=str(path), full_page=True)
    except playwright.Error as error:
        print(f"screenshot {path.name} skipped: {error.message.splitlines()[0]}")


def _last_link(app, to: str) -> str:
    from directory.mail import MailMessage

    with app.app_context():
        message = db.session.scalar(
            select(MailMessage).where(MailMessage.to == to).order_by(MailMessage.id.desc())
        )
        return re.search(r"https?://\S+", message.body).group(0)


def test_a_new_therapist_goes_from_register_to_being_found(live, page, tmp_path):
    app, base = live
    email = "zoe.nunez@example.com"
    password = "harbor lights and sea salt"

    page.goto(f"{base}/register")
    page.fill("input[name=name]", "Zoe Nunez")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.fill("input[name=practice_name]", "Harbor Light Massage")
    page.click("button:has-text('Create my account')")
    _shot(page, tmp_path / "1-registered.png")

    page.goto(_last_link(app, email))
    page.click("button:has-text('Confirm')")
    if "/login" in page.url or page.locator("input[name=password]").count():
        page.goto(f"{base}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("button:has-text('Sign in')")

    page.goto(f"{base}/dashboard")
    page.click("button:has-text('Create my profile')")
    page.goto(f"{base}/dashboard")
    page.click("a.button:has-text('Edit')")
    page.fill("input[name=credentials]", "LMT")
    page.fill("input[name=headline]", "Medical massage for sciatica and low back pain")
    page.fill("textarea[name=bio]", "Clinical massage in Hoboken for nerve pain and back pain.")
    page.check("input[name=setting][value=medical]")
    page.check("input[name=conditions][value=sciatica]")
    page.check("input[name=modalities][value=myofascial-release]")
    page.fill("input[name=contact_email]", email)
    page.fill("input[name=phone]", "(201) 555-0143")
    page.click("button:has-text('Save profile')")
    _shot(page, tmp_path / "2-profile.png")
    edit_url = page.url.split("?")[0]
    slug = re.search(r"/dashboard/profiles/([^/]+)/", edit_url).group(1)

    page.goto(f"{base}/dashboard/profiles/{slug}/licenses")
    page.select_option("select[name=state]", "NJ")
    page.fill("input[name=number]", "18KT01515000")
    page.fill("input[name=expires_on]", (date.today() + timedelta(days=700)).isoformat())
    page.click("button:has-text('Add license')")

    page.goto(f"{base}/dashboard/profiles/{slug}/offices")
    page.fill("input[name=street]", "51 Newark St")
    page.fill("input[name=city]", "Hoboken")
    page.select_option("select[name=state]", "NJ")
    page.fill("input[name=zip]", "07030")
    page.click("button:has-text('Add office')")

    page.goto(f"{base}/dashboard/profiles/{slug}/edit")
    page.click("button:has-text('Publish')")
    _shot(page, tmp_path / "3-published.png")

    page.goto(base + "/")
    page.fill("input[name=q]", "sciatica")
    page.fill("input[name=near]", "Hoboken, NJ")
    page.click("button:has-text('Search')")
    _shot(page, tmp_path / "4-found.png")
    results = page.locator(".result")
    assert "Medical massage for sciatica" in page.inner_text("h1")
    assert results.filter(has_text="Zoe Nunez").count() == 1
    card = results.filter(has_text="Zoe Nunez")
    # Pending, not verified: no badge until an admin checks the license.
    assert "NJ license pending verification" in card.inner_text()
    assert card.locator(".badge-verified").count() == 0

    page.click("a:has-text('Zoe Nunez')")
    assert "Harbor Light Massage" in page.inner_text("main")
    assert "51 Newark St" in page.inner_text("main")


def test_an_admin_clears_the_license_queue(live, page, tmp_path):
    from directory.admin import operations as admin_ops
    from directory.practices.models import Tenant
    from tests.conftest import PASSWORD, add_practitioner

    app, base = live
    later = date.today() + timedelta(days=400)
    with app.app_context():
        network = Tenant(slug="shore-network", name="Shore Network", kind="network")
        for n, zip_code in enumerate(["07030", "07302", "07086"]):
            add_practitioner(f"therapist-{n}", tenant=network, licenses=[("NJ", "pending", later)],
                             offices=[zip_code])  # fmt: skip
        admin_ops.create_admin("ada@example.com", name="Ada Admin", password=PASSWORD)
        db.session.commit()

    page.goto(f"{base}/login")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.click("header >> text=Admin")
    page.click("text=3 licenses waiting")
    _shot(page, tmp_path / "admin-queue.png")

    first = page.locator(".queue-item").first
    first.locator("input[name=reason]").fill("No such number on the NJ board's lookup")
    first.get_by_role("button", name="Reject").click()
    assert "Rejected: NJ" in page.inner_text("main")
    page.locator(".queue-item").first.get_by_role("button", name="Approve").click()
    assert "Verified: NJ" in page.inner_text("main")
    page.locator(".queue-item input[type=checkbox]").first.check()
    page.get_by_role("button", name="Approve the ticked licenses").click()
    assert "Verified 1 license." in page.inner_text("main")
    assert "No license is waiting" in page.inner_text("main")
    _shot(page, tmp_path / "admin-queue-empty.png")

    with app.app_context():
        from directory.practitioners.models import License

        statuses = sorted(lic.status for lic in db.session.scalars(select(License)))
    assert statuses == ["rejected", "verified", "verified"]
    page.goto(f"{base}/admin/audit?action=license.rejected")
    assert "No such number on the NJ board" in page.inner_text("main")


def test_an_owner_invites_a_therapist_who_joins_and_takes_over_a_profile(live, page, tmp_path):
    from directory.accounts import passwords
    from directory.accounts.models import User
    from directory.db import now_utc
    from directory.practices.models import Membership, Tenant
    from tests.conftest import PASSWORD

    app, base = live
    with app.app_context():
        hand = Tenant(slug="crafted-hand", name="The Crafted Hand")
        owner = User(email="olivia@example.com", name="Olivia Owner", email_verified_at=now_utc(),
                     password_hash=passwords.hash_password(PASSWORD))  # fmt: skip
        db.session.add_all([hand, owner, Membership(user=owner, tenant=hand, role="owner")])
        db.session.commit()

    page.goto(f"{base}/login")
    page.fill("input[name=email]", "olivia@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.goto(f"{base}/dashboard")
    page.fill("input[name=name]", "Casey Staff")
    page.get_by_role("button", name="Create draft profile").click()
    page.goto(f"{base}/dashboard/practices/crafted-hand/members")
    page.fill("input[name=email]", "casey@example.com")
    page.select_option("select[name=profile]", label="Casey Staff")
    page.get_by_role("button", name="Send invitation").click()
    assert "Invitation sent to casey@example.com" in page.inner_text("main")
    _shot(page, tmp_path / "members.png")

    link = _last_link(app, "casey@example.com")
    other = page.context.browser.new_context().new_page()
    other.goto(link)
    other.fill("input[name=name]", "Casey Staff")
    other.fill("input[name=password]", "tide pools at low water")
    other.get_by_role("button", name="Create account and join").click()
    assert "Welcome to The Crafted Hand" in other.inner_text("main")
    assert "Casey Staff" in other.inner_text("main") and "Therapist" in other.inner_text("main")
    other.goto(link)
    assert "does not work" in other.inner_text("main")

    page.goto(f"{base}/dashboard/practices/crafted-hand/audit")
    log = page.inner_text("main")
    assert "Sent an invitation" in log and "Joined the practice" in log
    assert "invitation.sent" not in log  # sentences, not codes


def _axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it is now (WCAG A and AA rules)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]


def test_a_visitor_writes_to_a_therapist_who_finds_it_and_the_visitor_withdraws_it(
    live, page, tmp_path
):
    """Issue 14's walk: the form (axe-clean, errors that keep the text), the therapist's inbox
    with the client's Reply-To in the stored mail, and the client's withdrawal. The profile's
    email is in neither the page nor the API."""
    from directory.accounts import passwords
    from directory.inquiries.models import Inquiry
    from directory.mail import MailMessage
    from directory.practitioners.models import Practitioner
    from tests.conftest import add_practitioner
    from tests.people import build_crew

    app, base = live
    app.config["INQUIRY_MIN_SECONDS"] = 1
    with app.app_context():
        crew = build_crew(add_practitioner)
        profile = db.session.get(Practitioner, crew["p_alexa"].id)
        profile.contact_email = "alexa.private@example.com"
        profile.user.password_hash = passwords.hash_password(PASSWORD)
        profile.user.email_verified_at = profile.created_at
        db.session.commit()

    page.goto(f"{base}/p/alexa-marie?about=sciatica")
    assert "alexa.private@example.com" not in page.content()
    api = page.request.get(f"{base}/api/v1/practitioners/alexa-marie").text()
    assert "alexa.private" not in api
    assert _axe_violations(page) == []
    page.fill("input[name=name]", "Casey Client")
    page.fill("input[name=email]", "casey@example")  # a mistake, and no consent yet
    page.fill("textarea[name=message]", "Shooting pain down my left leg since a long drive.")
    page.wait_for_timeout(1100)
    page.click("button:has-text('Send message')")
    assert "must be an email address" in page.inner_text("#contact")
    assert "Please tick the box" in page.inner_text("#contact")
    assert page.input_value("textarea[name=message]").startswith("Shooting pain")
    assert page.input_value("select[name=about]") == "sciatica"
    assert _axe_violations(page) == []
    _shot(page, tmp_path / "1-form-errors.png")

    page.fill("input[name=email]", "casey@example.com")
    page.check("input[name=consent]")
    page.wait_for_timeout(1100)
    page.click("button:has-text('Send message')")
    assert "Your message is on its way to Alexa Marie" in page.inner_text("main")
    with app.app_context():
        to_therapist = db.session.scalar(
            select(MailMessage).where(MailMessage.to == "alexa@example.com")
        )
        assert to_therapist.reply_to == "casey@example.com"
        inquiry_id = db.session.scalar(select(Inquiry.id))

    page.goto(f"{base}/login")
    page.fill("input[name=email]", "alexa@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{base}/dashboard/inquiries")
    assert "1 new" in page.inner_text("main")
    assert _axe_violations(page) == []
    page.click("a:has-text('Casey Client')")
    assert "Shooting pain down my left leg" in page.inner_text("main")
    assert _axe_violations(page) == []
    page.click("button:has-text('Mark as replied')")
    assert "Marked as replied." in page.inner_text("main")
    _shot(page, tmp_path / "2-inbox.png")
    page.click("button:has-text('Sign out')")

    page.goto(_last_link(app, "casey@example.com"))
    assert "Shooting pain" in page.inner_text("main")
    page.click("button:has-text('Withdraw my message')")
    assert "Withdraw your message?" in page.inner_text("main")  # asked first
    page.click("button:has-text('Withdraw it')")
    assert "You withdrew this message" in page.inner_text("main")
    with app.app_context():
        assert db.session.get(Inquiry, inquiry_id).body is None


def test_a_search_with_a_blank_field_lands_on_the_clean_address_without_a_redirect(live, page):
    """static/forms.js leaves blank fields out of a GET form: the home search with no need
    typed goes straight to `/search?near=...` (the server's redirect for a blank parameter is
    for browsers without the script), and the fields work again on the way back."""
    from urllib.parse import parse_qsl, urlsplit

    def sent(url):
        return parse_qsl(urlsplit(url).query, keep_blank_values=True)

    _app, base = live
    answers = []
    page.on("response", lambda r: answers.append((r.status, r.url)))
    page.goto(f"{base}/")
    page.fill("form.search-form input[name=near]", "Hoboken, NJ")
    with page.expect_navigation() as landed:
        page.click("form.search-form button[type=submit]")
    searches = [(status, url) for status, url in answers if "/search" in url]
    assert searches == [(200, page.url)], searches
    assert landed.value.status == 200 and landed.value.request.redirected_from is None
    assert sent(page.url) == [("near", "Hoboken, NJ")]
    # The results page's own search form, need typed and place emptied: the need alone.
    page.fill(".search-wide form input[name=q]", "sciatica")
    page.fill(".search-wide form input[name=near]", "")
    with page.expect_navigation():
        page.click(".search-wide form button[type=submit]")
    assert [s for s, url in answers if "/search" in url] == [200, 200], answers
    assert sent(page.url) == [("q", "sciatica"), ("radius", "10")]
    page.go_back()
    assert sent(page.url) == [("near", "Hoboken, NJ")]
    disabled = "fields => fields.filter(f => f.disabled).length"
    assert page.eval_on_selector_all(".search-wide form input", disabled) == 0
