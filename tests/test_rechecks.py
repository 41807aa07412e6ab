"""Lookup-only states stay true (issue 26, item 4): verified licenses in states without a synced
roster come back to admins for a check on the board's lookup page (at expiry and every 90
days, the longest due first); "Still current" records a dated staff check, New York's with its
registration's end; "Not current" removes the badge and the listing in that state, asked
first; the admin home and the daily job say how many are due."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from directory import licensing
from directory.admin import operations as ops
from directory.audit import AuditEvent, phrase
from directory.db import db
from directory.mail import MailMessage
from directory.practices.models import Tenant
from directory.practitioners.models import License
from tests.people import log_in, new_user

TODAY = date(2026, 12, 7)
LATER = date(2028, 12, 31)
#: The profile's license badge (the page's footer names the badge's class too).
BADGE = 'badge-verified">Verified</span> expires'
ZIPS = {"NJ": "07030", "NY": "10001", "TX": "78701", "KS": "66044", "CA": "90012"}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(licensing, "today", lambda: TODAY)


@pytest.fixture
def admin(client):
    user = new_user("admin@example.com", name="Ada Admin", is_admin=True)
    log_in(client, user)
    return user


def licensed(make_practitioner, slug, state, *, status="verified", expires=LATER,
             checked: date | None = None, number=None) -> License:  # fmt: skip
    p = make_practitioner(slug, licenses=[(state, status, expires)], offices=[ZIPS[state]])
    lic = p.licenses[0]
    if number:
        lic.number = number
    if checked:
        licensing.record_check(lic, method="staff", on=checked)
    db.session.commit()
    return lic


def shown(client, **args) -> list[int]:
    """The license ids the queue shows, in its order."""
    html = client.get("/admin/rechecks", query_string=args).get_data(as_text=True)
    return [int(i) for i in re.findall(r'id="recheck-(\d+)"', html)]


def fresh(lic: License) -> License:
    db.session.expire_all()
    return db.session.get(License, lic.id)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def searched(client, near: str) -> list[dict]:
    return client.get("/api/v1/search", query_string={"near": near}).get_json()["results"]


# --- Which licenses are due, in which order ---------------------------------------------------


def test_the_queue_holds_due_verified_licenses_of_lookup_only_states_longest_due_first(
    client, admin, make_practitioner
):
    days = lambda n: TODAY + timedelta(days=n)  # noqa: E731
    never = licensed(make_practitioner, "never-checked", "NJ")
    stale = licensed(make_practitioner, "stale-check", "NJ", checked=days(-120))  # due day -30
    expiring = licensed(make_practitioner, "expiring-soon", "NY", expires=days(10),
                        checked=days(-5))  # due day -20  # fmt: skip
    lapsed = licensed(make_practitioner, "registration-passed", "NY", expires=days(-3),
                      checked=days(-200))  # due day -110  # fmt: skip
    just_due = licensed(make_practitioner, "just-due", "NJ", checked=days(-90))  # due today
    # Not due: checked lately and far from expiry; a roster state; a state licensing nobody;
    # California (voluntary certification, no state license); pending and rejected licenses.
    licensed(make_practitioner, "recent-check", "NJ", checked=days(-89))
    licensed(make_practitioner, "texas-roster", "TX")
    licensed(make_practitioner, "kansas-none", "KS")
    licensed(make_practitioner, "california-camtc", "CA")
    licensed(make_practitioner, "pending-one", "NJ", status="pending")
    licensed(make_practitioner, "rejected-one", "NJ", status="rejected")
    assert shown(client) == [never.id, lapsed.id, stale.id, expiring.id, just_due.id]
    assert ops.recheck_count() == 5
    assert shown(client, state="NY") == [lapsed.id, expiring.id]
    # A state that is not lookup-only is no filter at all.
    assert shown(client, state="TX") == shown(client)


def test_a_license_of_a_closed_practice_is_not_due(client, admin, make_practitioner):
    lic = licensed(make_practitioner, "gone-away", "NJ")
    assert shown(client) == [lic.id]
    db.session.get(Tenant, lic.practitioner.tenant_id).status = "deleted"
    db.session.commit()
    assert shown(client) == []
    assert "No license is due for a re-check" in client.get("/admin/rechecks").get_data(True)


def test_each_item_shows_the_number_to_copy_the_lookup_link_and_the_last_check(
    client, admin, make_practitioner
):
    licensed(make_practitioner, "nia-jersey", "NJ", checked=TODAY - timedelta(days=100))
    html = client.get("/admin/rechecks").get_data(as_text=True)
    assert 'value="18KT01515000" readonly' in html
    assert 'href="https://newjersey.mylicense.com/verification/"' in html
    assert "Checked by our staff on Aug 29, 2026" in html
    assert "Last checked 100 days ago" in html
    assert "Nia Jersey" in html and "New Jersey (NJ)" in html


def test_new_york_says_registration(client, admin, make_practitioner):
    licensed(make_practitioner, "ny-reg", "NY", expires=TODAY - timedelta(days=1))
    html = client.get("/admin/rechecks").get_data(as_text=True)
    assert "Registered until" in html
    assert "The registration expired on Dec 6, 2026" in html


def test_the_queue_pages(client, admin, make_practitioner, monkeypatch):
    monkeypatch.setattr(ops, "RECHECKS_PER_PAGE", 2)
    ids = [licensed(make_practitioner, f"nj-{n}", "NJ").id for n in range(3)]
    assert shown(client) == ids[:2]
    assert shown(client, page=2) == ids[2:]
    assert client.get("/admin/rechecks", query_string={"page": 3}).status_code == 404


# --- Still current ----------------------------------------------------------------------------


def test_still_current_records_a_staff_check_shown_on_the_profile(client, admin, make_practitioner):
    lic = licensed(make_practitioner, "nia-jersey", "NJ", checked=TODAY - timedelta(days=100))
    response = client.post(f"/admin/rechecks/{lic.id}/current", data={"back": "/admin/rechecks"})
    assert response.status_code == 302 and response.location.endswith("/admin/rechecks")
    lic = fresh(lic)
    assert lic.verification == {"method": "staff", "source": None,
                                "source_name": "New Jersey Board of Massage and Bodywork Therapy",
                                "checked_on": "2026-12-07", "roster_status": None}  # fmt: skip
    assert lic.reviewer_id == admin.id and lic.status == "verified" and lic.expires_on == LATER
    assert "Checked by our staff on Dec 7, 2026" in client.get("/p/nia-jersey").get_data(True)
    assert shown(client) == []
    [event] = events("license.rechecked")
    assert event.actor_label == "admin@example.com" and event.details["state"] == "NJ"
    assert phrase("license.rechecked") != "license.rechecked"
    # It comes back 90 days later.
    assert ops.recheck_count(TODAY + timedelta(days=90)) == 1
    assert ops.recheck_count(TODAY + timedelta(days=89)) == 0


def test_new_york_still_current_stores_the_registration_date(client, admin, make_practitioner):
    lic = licensed(make_practitioner, "ny-reg", "NY", expires=TODAY - timedelta(days=2))
    # A registration whose date passed shows no badge, and is due.
    page = client.get("/p/ny-reg").get_data(as_text=True)
    # Dates people read are written by Babel (en_US: "Dec 5, 2026").
    assert BADGE not in page and "Expired</span> on Dec 5, 2026" in page
    assert shown(client) == [lic.id]
    # "Still current" without the new date is refused: the one on file has passed.
    client.post(f"/admin/rechecks/{lic.id}/current", data={})
    assert fresh(lic).checked_on is None
    said = client.get("/admin/rechecks").get_data(as_text=True)
    assert "has passed: enter the new date the board" in said
    # A date in the past is refused too.
    client.post(f"/admin/rechecks/{lic.id}/current", data={"expires_on": "2026-11-30"})
    assert fresh(lic).expires_on == TODAY - timedelta(days=2)
    client.post(f"/admin/rechecks/{lic.id}/current", data={"expires_on": "2029-11-30"})
    lic = fresh(lic)
    assert lic.expires_on == date(2029, 11, 30) and lic.checked_on == TODAY
    page = client.get("/p/ny-reg").get_data(as_text=True)
    assert "Verified</span> registered until Nov 30, 2029" in page
    assert "Checked by our staff on Dec 7, 2026" in page
    [event] = events("license.rechecked")
    assert event.details["expires"] == "2029-11-30"
    assert event.details["was"] == (TODAY - timedelta(days=2)).isoformat()


def test_a_date_that_is_not_a_date_is_said(client, admin, make_practitioner):
    lic = licensed(make_practitioner, "ny-reg", "NY")
    response = client.post(f"/admin/rechecks/{lic.id}/current", data={"expires_on": "soon"},
                           follow_redirects=True)  # fmt: skip
    assert "Not a valid date value" in response.get_data(as_text=True)
    assert fresh(lic).checked_on is None


# --- Not current ------------------------------------------------------------------------------


def test_not_current_asks_first_then_removes_the_badge_and_the_listing(
    client, admin, make_practitioner
):
    lic = licensed(make_practitioner, "nia-jersey", "NJ")
    lic.practitioner.user = new_user("nia@example.com")
    db.session.commit()
    assert [r["verified"] for r in searched(client, "Hoboken, NJ")] == [True]
    reason = "The board's lookup shows it suspended"
    asked = client.post(f"/admin/rechecks/{lic.id}/not-current", data={"reason": reason})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Mark this license not current?" in page
    assert 'name="confirm" value="1"' in page and reason.replace("'", "&#39;") in page
    assert fresh(lic).status == "verified"
    done = client.post(f"/admin/rechecks/{lic.id}/not-current",
                       data={"reason": reason, "confirm": "1"})  # fmt: skip
    assert done.status_code == 302
    lic = fresh(lic)
    assert lic.status == "rejected" and lic.note == reason and lic.verification is None
    assert searched(client, "Hoboken, NJ") == []
    profile = client.get("/p/nia-jersey").get_data(as_text=True)
    assert BADGE not in profile and "Could not be verified" in profile
    [event] = events("license.not_current")
    assert event.details["reason"] == reason
    assert "Found a license not current" in client.get("/admin/audit").get_data(as_text=True)
    [told] = db.session.scalars(select(MailMessage).where(MailMessage.to == "nia@example.com"))
    assert reason in told.body and "no longer listed" in told.body
    assert shown(client) == []


def test_not_current_needs_a_reason(client, admin, make_practitioner):
    lic = licensed(make_practitioner, "nia-jersey", "NJ")
    response = client.post(f"/admin/rechecks/{lic.id}/not-current",
                           data={"reason": " ", "confirm": "1"}, follow_redirects=True)  # fmt: skip
    assert "give the reason the license is not current" in response.get_data(as_text=True)
    assert fresh(lic).status == "verified" and events("license.not_current") == []


# --- What is refused --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "status", "said"),
    [
        ("TX", "verified", "checked against the board&#39;s roster"),
        ("KS", "verified", "does not license massage therapists"),
        ("NJ", "pending", "only a verified license is re-checked"),
    ],
)
def test_only_verified_licenses_of_lookup_only_states_are_rechecked(
    client, admin, make_practitioner, state, status, said
):
    lic = licensed(make_practitioner, "some-one", state, status=status)
    for action, data in (("current", {}), ("not-current", {"reason": "x", "confirm": "1"})):
        response = client.post(f"/admin/rechecks/{lic.id}/{action}", data=data,
                               follow_redirects=True)  # fmt: skip
        assert said in response.get_data(as_text=True)
        assert fresh(lic).status == status and fresh(lic).checked_on is None


def test_an_admin_does_not_check_their_own_profile(client, admin, make_practitioner):
    lic = licensed(make_practitioner, "ada-admin", "NJ")
    lic.practitioner.user_id = admin.id
    db.session.commit()
    html = client.get("/admin/rechecks").get_data(as_text=True)
    assert "another admin checks it" in html
    client.post(f"/admin/rechecks/{lic.id}/current", data={})
    assert fresh(lic).checked_on is None


# --- Counts -----------------------------------------------------------------------------------


def test_the_admin_home_counts_them_and_links_to_the_queue(client, admin, make_practitioner):
    for n in range(2):
        licensed(make_practitioner, f"nj-{n}", "NJ")
    html = client.get("/admin").get_data(as_text=True)
    assert re.search(r'href="/admin/rechecks">2 licenses due for a re-check</a>', html)


def test_the_daily_job_reports_the_due_count(app, make_practitioner):
    licensed(make_practitioner, "nj-one", "NJ")
    result = app.test_cli_runner().invoke(args=["licenses", "expire", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "1 license due for a re-check on the board's lookup page" in result.output


# --- Every lookup-only state has somewhere to look -------------------------------------------


def test_lookup_only_states_derive_from_the_roster_mappings():
    synced = {spec["state"] for spec in licensing.roster_sources().values()}
    assert synced >= {"TX", "WA", "FL", "MO"}
    only = set(licensing.lookup_only_states())
    assert not only & synced and {"NY", "NJ"} <= only
    assert not only & {"KS", "MN", "WY", "CA"}
    missing = [code for code in only if not licensing.rule(code).lookup_url]
    assert missing == ["AR"]  # no online lookup was found for Arkansas (states.json notes)
