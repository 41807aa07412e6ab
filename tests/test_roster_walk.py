"""Issue 26's "Done when", walked in Chromium: a verified Texas license shows its badge on the
profile and in a search card; `licenses sync` applies a TDLR file in which that license is
listed as expired (TDLR publishes no status column: a past expiry date is the board saying the
license is no longer current); reloaded, the badge is gone from the profile and the listing
from Texas searches. Skipped, saying why, without chromium or Playwright (as test_browser)."""

from datetime import date
from pathlib import Path

from directory import licensing
from directory.db import db
from tests.conftest import add_practitioner
from tests.test_browser import _shot, live, page  # noqa: F401 (fixtures)

ROSTER = Path(__file__).parent / "data" / "rosters" / "tx-tdlr.csv"
BADGE = ".licenses .badge-verified"
CARD = ".result-list .result"


def test_a_license_the_roster_lapses_loses_its_badge_and_listing_in_chromium(
    live,  # noqa: F811 (the fixture imported above)
    page,  # noqa: F811
    tmp_path,
):
    app, base = live
    with app.app_context():
        p = add_practitioner("morgan-nguyen", name="Morgan Nguyen", offices=["77002"],
                             licenses=[("TX", "verified", date(2030, 1, 31))])  # fmt: skip
        # The number as the therapist typed it; the roster pads it (MT0022222).
        p.licenses[0].number = "MT-22222"
        licensing.record_check(p.licenses[0], method="staff", on=date(2026, 1, 5))
        db.session.commit()

    page.goto(f"{base}/p/morgan-nguyen")
    assert page.locator(BADGE).inner_text() == "Verified"
    assert "Checked by our staff on Jan 5, 2026" in page.inner_text(".licenses")
    _shot(page, tmp_path / "1-profile-before.png")
    page.goto(f"{base}/search?near=77002")
    card = page.locator(CARD, has_text="Morgan Nguyen")
    assert card.count() == 1
    assert card.locator(".badge-verified").inner_text() == "Verified TX license"
    _shot(page, tmp_path / "2-search-before.png")

    on = licensing.today().isoformat()
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["licenses", "sync", str(ROSTER), "--source", "tx-tdlr", "--file-date", on]
        )
    assert result.exit_code == 0, result.output
    assert "lapsed 1" in result.output

    page.reload()  # the search page, as the visitor left it
    assert page.locator(CARD, has_text="Morgan Nguyen").count() == 0
    _shot(page, tmp_path / "3-search-after.png")
    page.goto(f"{base}/p/morgan-nguyen")
    assert page.locator(BADGE).count() == 0
    said = page.inner_text(".licenses")
    assert "Could not be verified" in said
    day = date.fromisoformat(on)
    assert f"The Texas TDLR roster of {day:%b} {day.day}, {day.year} lists it as expired" in said
    # The profile stays; its Houston office is no longer listed.
    assert "No office is listed" in page.inner_text("main")
    _shot(page, tmp_path / "4-profile-after.png")
