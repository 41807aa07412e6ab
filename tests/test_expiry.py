"""The daily license job: the expiry report, reminders once per license and date, the command."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from directory import expiry, licensing
from directory.db import db
from directory.mail import MailMessage
from directory.practitioners.models import License, LicenseNotice
from tests.people import join, new_user, practice

TODAY = date(2031, 3, 10)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def letters() -> list[MailMessage]:
    return list(db.session.scalars(select(MailMessage).order_by(MailMessage.id)))


def notices() -> list[LicenseNotice]:
    return list(db.session.scalars(select(LicenseNotice).order_by(LicenseNotice.id)))


def remind(on: date = TODAY) -> int:
    return expiry.remind(expiry.scan(on), on)


def therapist(make_practitioner, slug="alexa-marie", licenses=(), email=None):
    """A profile with its own account (a therapist of The Crafted Hand)."""
    user = new_user(email or f"{slug.split('-')[0]}@example.com")
    join(user, practice("crafted-hand", "The Crafted Hand"), "therapist")
    return make_practitioner(
        slug, tenant=practice("crafted-hand"), user_id=user.id, licenses=licenses
    )


def test_scan_sorts_licenses_into_expired_and_expiring_at_the_boundaries(make_practitioner):
    make_practitioner("alexa-marie", licenses=[
        ("NJ", "verified", days(-1)), ("NY", "verified", days(0)),
        ("FL", "verified", days(30)), ("CA", "verified", days(31)),
    ])  # fmt: skip
    report = expiry.scan(TODAY, 30)
    assert [(e.state, e.kind) for e in report.entries] == [
        ("NJ", "expired"), ("NY", "expiring"), ("FL", "expiring"),
    ]  # fmt: skip
    assert [e.state for e in report.expired] == ["NJ"]
    assert [e.state for e in report.expiring] == ["NY", "FL"]
    assert [e.state for e in expiry.scan(TODAY, 31).entries][-1] == "CA"


def test_pending_licenses_are_reported_and_rejected_ones_are_not(make_practitioner):
    make_practitioner("alexa-marie", licenses=[("NJ", "pending", days(3)),
                                               ("NY", "rejected", days(3))])  # fmt: skip
    assert [(e.state, e.status) for e in expiry.scan(TODAY).entries] == [("NJ", "pending")]


def test_profiles_of_deleted_practices_are_left_out(make_practitioner):
    gone = practice("gone-spa", status="deleted")
    make_practitioner("gina-gone", tenant=gone, licenses=[("NJ", "verified", days(3))])
    make_practitioner("alexa-marie", licenses=[("NJ", "verified", days(3))])
    assert [e.slug for e in expiry.scan(TODAY).entries] == ["alexa-marie"]


def test_the_therapists_own_account_is_reminded_and_nobody_else(make_practitioner):
    join(new_user("olivia@example.com"), practice("crafted-hand"), "owner")
    therapist(make_practitioner, licenses=[("NJ", "verified", days(10))])
    assert remind() == 1
    assert [m.to for m in letters()] == ["alexa@example.com"]
    [notice] = notices()
    assert (notice.kind, notice.expires_on, notice.sent_to) == (
        "expiring", days(10), "alexa@example.com",
    )  # fmt: skip


def test_a_profile_without_an_account_reminds_the_practices_owners_and_managers(
    make_practitioner,
):
    hand = practice("crafted-hand", "The Crafted Hand")
    for email, role in [("olivia@example.com", "owner"), ("max@example.com", "manager"),
                        ("bo@example.com", "therapist")]:  # fmt: skip
        join(new_user(email), hand, role)
    join(new_user("zed@example.com"), practice("other-spa"), "owner")
    make_practitioner("staff-sam", tenant=hand, licenses=[("NJ", "verified", days(-5))])
    assert remind() == 1
    assert sorted(m.to for m in letters()) == ["max@example.com", "olivia@example.com"]
    [notice] = notices()
    assert (notice.kind, notice.sent_to) == ("expired", "max@example.com, olivia@example.com")


@pytest.mark.parametrize(
    ("status", "expires", "subject", "effect"),
    [
        ("verified", days(10), "expires on March 20, 2031",
         "On March 21, 2031 the verified badge disappears from the profile"),
        ("verified", days(-1), "expired on March 9, 2031", "The verified badge has disappeared"),
        ("pending", days(10), "expires on March 20, 2031",
         "It has not been verified yet, so it earns no badge; from March 21, 2031"),
    ],
)  # fmt: skip
def test_the_letter_says_which_license_what_the_badge_does_and_how_to_update_it(
    make_practitioner, status, expires, subject, effect
):
    therapist(make_practitioner, licenses=[("NJ", status, expires)])
    remind()
    [message] = letters()
    assert f"NJ license 18KT01515000 {subject}" in message.subject
    body = " ".join(message.body.split())
    assert "The New Jersey license 18KT01515000 on the profile of Alexa Marie" in body
    assert subject in body and effect in body
    assert "http://127.0.0.1:5000/dashboard/profiles/alexa-marie/licenses" in body
    assert "A changed license goes back to pending verification" in body


def test_a_second_run_sends_nothing(make_practitioner):
    therapist(make_practitioner, licenses=[("NJ", "verified", days(10))])
    assert remind() == 1
    assert remind() == 0
    assert remind(days(1)) == 0
    assert len(letters()) == 1 and len(notices()) == 1


def test_an_expiring_reminder_is_followed_by_one_when_it_has_expired(make_practitioner):
    therapist(make_practitioner, licenses=[("NJ", "verified", days(10))])
    assert remind() == 1
    assert remind(days(11)) == 1
    assert remind(days(12)) == 0
    assert [n.kind for n in notices()] == ["expiring", "expired"]


def test_a_renewed_license_is_reminded_again_for_its_new_date(make_practitioner):
    alexa = therapist(make_practitioner, licenses=[("NJ", "verified", days(10))])
    assert remind() == 1
    alexa.licenses[0].expires_on = days(20)
    db.session.commit()
    assert remind() == 1
    assert [n.expires_on for n in notices()] == [days(10), days(20)]
    assert len(letters()) == 2


def test_expired_licenses_are_reminded_for_sixty_days_only(make_practitioner):
    therapist(make_practitioner, licenses=[("NJ", "verified", days(-60)),
                                           ("NY", "verified", days(-61))])  # fmt: skip
    assert [e.state for e in expiry.scan(TODAY).expired] == ["NY", "NJ"]
    assert remind() == 1
    [notice] = notices()
    assert db.session.get(License, notice.license_id).state == "NJ"


def test_a_reminder_another_run_sent_meanwhile_is_not_sent_again(make_practitioner):
    therapist(make_practitioner, licenses=[("NJ", "verified", days(10))])
    planned = expiry.due(expiry.scan(TODAY), TODAY)
    assert remind() == 1  # the other run, between this run's look and its sending
    assert expiry.send(planned) == 0
    assert len(letters()) == 1 and len(notices()) == 1


def test_dry_run_mails_nothing_and_records_nothing(runner, make_practitioner):
    therapist(make_practitioner, licenses=[("NJ", "verified", days(10))])
    result = runner.invoke(args=["licenses", "expire", "--dry-run", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Dry run: 1 reminder(s) would be sent (0 already sent earlier)." in result.output
    assert letters() == [] and notices() == []


def test_the_command_prints_counts_then_one_line_per_license(runner, make_practitioner):
    therapist(make_practitioner, licenses=[("NJ", "verified", days(-1))])
    therapist(make_practitioner, "bo-chen", licenses=[("NY", "pending", days(5))])
    therapist(make_practitioner, "cy-later", licenses=[("NJ", "verified", days(40))])
    result = runner.invoke(args=["licenses", "expire", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("1 expired, 1 expiring within 30 days")
    assert lines[1:3] == [
        "EXPIRED  NJ 18KT01515000  2031-03-09  alexa-marie (The Crafted Hand)",
        "EXPIRING NY 028941        2031-03-15  bo-chen (The Crafted Hand)  pending",
    ]
    assert "cy-later" not in result.output
    assert "Reminders sent: 2 (0 already sent earlier)" in result.output
    again = runner.invoke(args=["licenses", "expire", "--today", TODAY.isoformat()])
    assert "Reminders sent: 0 (2 already sent earlier)" in again.output


def test_today_and_days_options_set_the_day_and_window(runner, make_practitioner):
    therapist(make_practitioner, licenses=[("NJ", "verified", days(-1))])
    therapist(make_practitioner, "cy-later", licenses=[("NJ", "verified", days(40))])
    args = ["licenses", "expire", "--dry-run", "--today", days(-2).isoformat(), "--days", "42"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("0 expired, 2 expiring within 42 days (as of 2031-03-08)")
    assert runner.invoke(args=["licenses", "expire", "--today", "03/10/2031"]).exit_code == 2


def test_the_command_names_licenses_with_no_one_to_remind(runner, make_practitioner):
    make_practitioner("staff-sam", licenses=[("NJ", "verified", days(3))])
    result = runner.invoke(args=["licenses", "expire", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Reminders sent: 0" in result.output
    assert "No one to remind for 1 license(s)" in result.output and "staff-sam" in result.output
    # Nothing recorded: once the practice has an owner, the next run reminds them.
    assert notices() == []
    join(new_user("olivia@example.com"), practice("crafted-hand"), "owner")
    assert remind() == 1


def test_an_expired_license_loses_its_badge_the_next_day_without_running_anything(
    client, make_practitioner, monkeypatch
):
    last_day = date.today() + timedelta(days=10)
    make_practitioner("alexa-marie", licenses=[("NJ", "verified", last_day)], offices=["07030"])

    def profile_on(day: date):
        monkeypatch.setattr(licensing, "today", lambda: day)
        page = client.get("/p/alexa-marie")
        api = client.get("/api/v1/practitioners/alexa-marie")
        assert page.status_code == api.status_code == 200
        return page.text, api.json

    page, api = profile_on(last_day)
    assert "Verified NJ license" in page
    assert api["licenses"][0]["status"] == "verified" and api["offices"][0]["verified"] is True

    page, api = profile_on(last_day + timedelta(days=1))
    assert "Verified NJ license" not in page and "badge-expired" in page
    assert api["licenses"][0]["status"] == "expired"
    # Without a current NJ license the Hoboken office is not listed, so no badge anywhere.
    assert api["offices"] == []
    assert db.session.scalar(select(func.count()).select_from(LicenseNotice)) == 0
