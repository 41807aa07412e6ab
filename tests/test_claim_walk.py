"""Issue 27's "Done when", walked in Chromium: a therapist finds their unclaimed listing in a
search, claims it with the code of a printed letter (an admin downloads the batch of letters
as a PDF, the code is read from its text as from the paper), and edits it in the normal
editor. Screenshots of each step land in the test's folder. Skipped, saying why, without
chromium or Playwright (as test_browser)."""

import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from directory.db import db
from directory.practitioners.models import Practitioner
from tests.test_browser import _shot, live, page  # noqa: F401 (fixtures)
from tests.test_listings import SAMPLE, write_nppes

PASSWORD = "lavender-table-stretch-42"


def _sign_in(tab, email: str) -> None:
    tab.fill("#email", email)
    tab.fill("#password", PASSWORD)
    tab.get_by_role("button", name="Sign in").click()


def test_a_therapist_claims_their_listing_with_a_printed_letter_and_edits_it(
    live,  # noqa: F811 (the fixture imported above)
    page,  # noqa: F811
    tmp_path,
):
    app, base = live
    with app.app_context():
        sample = write_nppes(tmp_path / "npidata_pfile.csv", SAMPLE[:1])
        result = app.test_cli_runner().invoke(
            args=["listings", "seed", str(sample), "--source", "nppes",
                  "--file-date", "2026-11-30"]
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        from directory.accounts import passwords
        from directory.accounts.models import User
        from directory.db import now_utc
        from directory.practices.operations import start_practice

        for email, name, admin in (("alex@example.com", "Alex Rivera", False),
                                   ("admin@example.com", "Ada Admin", True)):  # fmt: skip
            user = User(email=email, name=name, password_hash=passwords.hash_password(PASSWORD),
                        email_verified_at=now_utc(), is_admin=admin)  # fmt: skip
            db.session.add(user)
            if not admin:
                start_practice(user, "Rivera Massage")
        db.session.commit()

    # Alex finds the listing in a search of Austin, and opens it.
    page.goto(f"{base}/search?near=Austin%2C+TX")
    page.get_by_role("link", name=re.compile("Alex M Rivera")).first.click()
    assert "Not yet claimed: from the NPPES file of November 2026" in page.inner_text("main")
    _shot(page, tmp_path / "1-listing.png")
    page.get_by_role("link", name="Is this you? Claim this listing").click()
    page.get_by_role("link", name="Sign in to claim it").click()
    _sign_in(page, "alex@example.com")
    # Back on the claim page, signed in: the license number and legal name of the record.
    assert page.url.endswith("/claim")
    page.fill("#number", "MT0012345")
    page.fill("#legal_name", "Alex Rivera")
    _shot(page, tmp_path / "2-proof.png")
    page.get_by_role("button", name="Check my details").click()
    assert "Those details match the record" in page.inner_text("main")
    page.get_by_role("button", name="Send a letter to the practice address").click()
    assert "with our next batch" in page.inner_text("main")
    _shot(page, tmp_path / "3-letter-asked.png")

    # An admin, in another browser, prints the batch of letters.
    admin = page.context.browser.new_context().new_page()
    admin.goto(f"{base}/login")
    _sign_in(admin, "admin@example.com")
    admin.goto(f"{base}/admin/claims/letters")
    assert "100 Congress Ave" in admin.inner_text("main")
    _shot(admin, tmp_path / "4-admin-letters.png")
    with admin.expect_download() as download:
        admin.get_by_role("button", name="Download PDF").click()
    pdf = tmp_path / "letters.pdf"
    download.value.save_as(pdf)
    letter = PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text()
    assert "Dear Alex M Rivera" in letter and "100 Congress Ave" in letter
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", letter).group(1)

    # The letter arrives: Alex enters its code, and the listing is theirs to edit.
    page.reload()
    assert "A letter with your code went to the practice address" in page.inner_text("main")
    page.fill("#code", code)
    _shot(page, tmp_path / "5-code.png")
    page.get_by_role("button", name="Claim the listing").click()
    assert page.url.endswith("/edit")
    assert "The listing is yours" in page.inner_text("main")
    page.fill("#headline", "Sports and medical massage in downtown Austin")
    setting = page.locator('[name="setting"]')
    if setting.first.evaluate("e => e.tagName") == "SELECT":
        setting.select_option("medical")
    else:
        page.check('[name="setting"][value="medical"]')
    page.get_by_role("button", name="Save profile").click()
    _shot(page, tmp_path / "6-edited.png")
    with app.app_context():
        mine = db.session.scalar(select(Practitioner).where(Practitioner.name == "Alex M Rivera"))
        assert mine.claimed and mine.user.email == "alex@example.com"
        assert (mine.headline, mine.setting) == ("Sports and medical massage in downtown Austin",
                                                 "medical")  # fmt: skip


def test_the_claim_and_admin_claim_pages_fit_a_phone_and_are_axe_clean(
    live,  # noqa: F811
    page,  # noqa: F811
    tmp_path,
):
    from datetime import timedelta

    from directory.accounts import passwords
    from directory.accounts.models import User
    from directory.db import now_utc
    from directory.listings import claims
    from directory.listings.models import ListingClaim
    from directory.practices.operations import start_practice
    from tests.test_browser import _axe_violations

    app, base = live
    with app.app_context():
        sample = write_nppes(tmp_path / "npidata_pfile.csv", SAMPLE[:1])
        app.test_cli_runner().invoke(args=["listings", "seed", str(sample), "--source",
                                           "nppes", "--file-date", "2026-11-30"])  # fmt: skip
        users = {}
        for key, name, admin in (("alex", "Alex Rivera", False), ("robin", "Robin Fake", False),
                                 ("admin", "Ada Admin", True)):  # fmt: skip
            users[key] = User(email=f"{key}@example.com", name=name, is_admin=admin,
                              password_hash=passwords.hash_password(PASSWORD),
                              email_verified_at=now_utc())  # fmt: skip
            db.session.add(users[key])
            if not admin:
                start_practice(users[key], f"{name} Massage")
        listing = db.session.scalar(select(Practitioner).where(Practitioner.name ==
                                                               "Alex M Rivera"))  # fmt: skip
        slug = listing.slug
        db.session.add_all([
            ListingClaim(user=users["alex"], practitioner_id=listing.id, listing_name=listing.name,
                         channel="letter", printed_at=now_utc(), contested=True,
                         code_hash=claims.code_digest("ABCDEFGH"),
                         code_expires_at=now_utc() + timedelta(days=30)),
            ListingClaim(user=users["robin"], practitioner_id=listing.id,
                         listing_name=listing.name, status="review", contested=True),
        ])  # fmt: skip
        db.session.commit()

    tab = page.context.browser.new_context(viewport={"width": 390, "height": 844}).new_page()

    def check(name: str, path: str) -> None:
        tab.goto(base + path)
        _shot(tab, tmp_path / f"phone-{name}.png")
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390, path
        assert _axe_violations(tab) == [], path

    check("claim-visitor", f"/p/{slug}/claim")
    check("remove-visitor", f"/p/{slug}/remove")
    tab.goto(f"{base}/login")
    _sign_in(tab, "alex@example.com")
    check("claim-code", f"/p/{slug}/claim")
    # In Spanish too: longer words must still fit, and the code's expiry is a Spanish date.
    check("claim-code-es", f"/es/p/{slug}/claim")
    assert "Su código sirve hasta el " in tab.inner_text("main")
    tab.context.clear_cookies()
    tab.goto(f"{base}/login")
    _sign_in(tab, "admin@example.com")
    check("proof", f"/p/{slug}/claim")
    check("admin-claims", "/admin/claims")
    assert "2 claimants" in tab.inner_text("main")
    check("admin-letters", "/admin/claims/letters")
    for name in ("claims", "claims/letters", "licenses", "rechecks"):
        check(f"admin-{name.replace('/', '-')}-es", f"/es/admin/{name}")
    assert "Licencias verificadas en estados cuya junta" in tab.inner_text("main")
