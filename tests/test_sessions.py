"""Sessions per device: each sign-in is a record of its own; ending one leaves the others."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from directory.accounts import operations, sessions
from directory.accounts.models import User
from directory.accounts.sessions import UserSession, device_of, network_of
from directory.audit import AuditEvent
from directory.db import db, now_utc
from tests.conftest import PASSWORD, AuthActions

FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def _browser(app, user_agent: str, ip: str = "203.0.113.7"):
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    return client


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _records() -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(select(UserSession).order_by(UserSession.id)))


@pytest.fixture
def two_browsers(app, make_user):
    """Alexa signed in on a laptop (Firefox, macOS) and on a phone (Safari, iOS)."""
    make_user()
    laptop = _browser(app, FIREFOX_MAC, "203.0.113.7")
    phone = _browser(app, SAFARI_IPHONE, "2001:db8:5:6::9")
    for client in (laptop, phone):
        assert AuthActions(client).login().status_code == 302
    return laptop, phone


def _end_buttons(page: str) -> dict[str, str]:
    """The account page's "end" forms: action path -> button label."""
    found = re.findall(
        r'<form method="post" action="(/account/sessions/\d+/end)">'
        r".*?<button[^>]*>([^<]+)</button>",
        page,
        re.S,
    )
    return dict(found)


def test_signing_out_one_browser_leaves_the_other_signed_in(app, two_browsers):
    laptop, phone = two_browsers
    copied = laptop.get_cookie("session").value
    assert len(_records()) == 2

    AuthActions(laptop).logout()
    assert not _signed_in(laptop)
    assert _signed_in(phone)
    [left] = _records()
    assert left.device == "Safari on iOS"
    # The laptop's cookie, replayed after its sign-out, signs nobody in.
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert not _signed_in(thief)


def test_the_account_page_lists_each_device_and_ends_one(app, two_browsers):
    laptop, phone = two_browsers
    page = laptop.get("/account").get_data(as_text=True)
    assert "Where you are signed in" in page
    assert "Firefox on macOS" in page and "Safari on iOS" in page
    assert "from 203.0.113.x" in page and "from 2001:db8:5:…" in page
    assert "203.0.113.7" not in page  # the network, never the address
    assert page.index("This device") < page.index("Safari on iOS")  # this one first
    assert page.count("This device") == 1 and "just now" in page
    buttons = _end_buttons(page)
    laptop_record, phone_record = _records()
    assert buttons == {
        f"/account/sessions/{laptop_record.id}/end": "Sign out here",
        f"/account/sessions/{phone_record.id}/end": "End this one",
    }

    response = laptop.post(f"/account/sessions/{phone_record.id}/end")
    assert response.status_code == 302 and response.location == "/account"
    after = laptop.get("/account").get_data(as_text=True)
    assert "Signed out Safari on iOS." in after
    assert "Sign out everywhere" not in after  # one device left: "Sign out here" says it
    assert not _signed_in(phone)
    assert _signed_in(laptop)
    assert [r.id for r in _records()] == [laptop_record.id]


def test_ending_this_device_from_the_list_signs_it_out(app, two_browsers):
    laptop, phone = two_browsers
    laptop_record = _records()[0]
    response = laptop.post(f"/account/sessions/{laptop_record.id}/end")
    assert response.status_code == 302 and response.location == "/"
    assert not _signed_in(laptop) and _signed_in(phone)


def test_another_users_session_cannot_be_ended(app, two_browsers, make_user):
    laptop, _phone = two_browsers
    make_user("zed@example.com", name="Zed")
    other = _browser(app, FIREFOX_MAC)
    AuthActions(other).login("zed@example.com")
    zeds = db.session.scalar(select(UserSession).join(User).where(User.email == "zed@example.com"))
    assert laptop.post(f"/account/sessions/{zeds.id}/end").status_code == 404
    assert laptop.post("/account/sessions/999999/end").status_code == 404
    assert _signed_in(other) and len(_records()) == 3


def test_sign_out_everywhere_ends_every_session_and_is_audited(app, two_browsers):
    laptop, phone = two_browsers
    response = laptop.post("/account/sessions/end")
    assert response.status_code == 302 and response.location == "/"
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _records() == []
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.signed_out_everywhere")
    )
    assert event.details == {"sessions": 2}


def test_a_new_password_ends_every_other_session_and_renews_this_one(app, two_browsers):
    laptop, phone = two_browsers
    before = {r.key_hash for r in _records()}
    response = laptop.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "a-brand-new-passphrase-97"},
    )
    assert response.status_code == 302
    assert _signed_in(laptop) and not _signed_in(phone)
    [renewed] = _records()
    assert renewed.key_hash not in before and renewed.device == "Firefox on macOS"


def test_a_password_reset_ends_every_session(app, two_browsers):
    laptop, phone = two_browsers
    user = db.session.scalar(select(User))
    operations.reset_password(user, "a-brand-new-passphrase-97")
    db.session.commit()
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _records() == []


def test_promotion_to_admin_ends_every_session(app, two_browsers, runner):
    laptop, phone = two_browsers
    result = runner.invoke(args=["users", "create-admin", "alexa@example.com"])
    assert "their sessions were ended" in result.output
    assert not _signed_in(laptop) and not _signed_in(phone)


def test_deactivation_ends_every_session_and_stops_sign_in(app, two_browsers, runner):
    laptop, phone = two_browsers
    refused = runner.invoke(args=["users", "deactivate", "alexa@example.com", "--reason", " "])
    assert refused.exit_code == 1 and "say why" in refused.output
    assert _signed_in(laptop)

    result = runner.invoke(
        args=["users", "deactivate", "alexa@example.com", "--reason", "chargeback fraud"]
    )
    assert result.exit_code == 0, result.output
    assert "alexa@example.com is deactivated" in result.output
    assert not _signed_in(laptop) and not _signed_in(phone)
    page = AuthActions(laptop).login().get_data(as_text=True)
    assert "This account has been deactivated" in page
    assert not _signed_in(laptop) and _records() == []
    # A wrong password says only what it always says.
    wrong = AuthActions(laptop).login(password="not-the-password-at-all").get_data(as_text=True)
    assert "deactivated" not in wrong and "Email or password is incorrect." in wrong
    again = runner.invoke(args=["users", "deactivate", "alexa@example.com", "--reason", "x"])
    assert again.exit_code == 1 and "deactivated already" in again.output
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.deactivated")
    )
    assert event.actor_label == "cli"
    assert event.details == {"reason": "chargeback fraud", "sessions_ended": 2}

    back = runner.invoke(args=["users", "reactivate", "alexa@example.com", "--reason", "resolved"])
    assert back.exit_code == 0 and "can sign in again" in back.output
    AuthActions(laptop).login()
    assert _signed_in(laptop)
    unknown = runner.invoke(args=["users", "deactivate", "nobody@example.com", "--reason", "x"])
    assert unknown.exit_code == 1 and "no account uses nobody@example.com" in unknown.output


@pytest.mark.parametrize(
    ("idle_days", "age_days", "lives"),
    [(13, 13, True), (15, 15, False), (1, 59, True), (1, 61, False)],
    ids=["idle-13d", "idle-15d", "used-59d-old", "used-61d-old"],
)
def test_idle_and_absolute_lifetimes_are_the_servers(app, two_browsers, idle_days, age_days, lives):
    laptop, _phone = two_browsers
    record = _records()[0]
    record.last_seen_at = now_utc() - timedelta(days=idle_days)
    record.created_at = now_utc() - timedelta(days=age_days)
    db.session.commit()
    assert _signed_in(laptop) is lives


def test_the_remember_cookie_names_the_same_sign_in_and_dies_with_it(app, make_user):
    make_user()
    browser = _browser(app, FIREFOX_MAC)
    AuthActions(browser).login(remember="y")
    remembered = browser.get_cookie("remember_token").value
    restarted = _browser(app, FIREFOX_MAC)  # the browser closed: only the remember cookie left
    restarted.set_cookie("remember_token", remembered)
    assert _signed_in(restarted)
    assert len(_records()) == 1  # the same sign-in, not a new one
    record = _records()[0]
    record.last_seen_at = now_utc() - timedelta(days=15)
    db.session.commit()
    later = _browser(app, FIREFOX_MAC)
    later.set_cookie("remember_token", remembered)
    assert not _signed_in(later)


def test_a_remembered_sign_in_survives_a_new_network_and_browser_version(app, make_user):
    make_user()
    phone = _browser(app, SAFARI_IPHONE, "203.0.113.7")  # on the practice's Wi-Fi
    AuthActions(phone).login(remember="y")
    # On mobile data, after a browser update.
    phone.environ_base.update(
        HTTP_USER_AGENT=SAFARI_IPHONE.replace("Version/17.0", "Version/17.1"),
        REMOTE_ADDR="2001:db8:77::5",
    )
    assert _signed_in(phone)
    assert phone.get_cookie("remember_token") is not None
    # Still signed in, but sensitive actions ask for the password again.
    response = phone.post("/account/two-factor", data={"action": "start"})
    assert response.location.startswith("/account/confirm?")
    # The browser closed: the remember cookie alone signs in, from yet another network.
    remembered = phone.get_cookie("remember_token").value
    restarted = _browser(app, SAFARI_IPHONE, "198.51.100.4")
    restarted.set_cookie("remember_token", remembered)
    for _ in range(2):  # and it lasts beyond the first page
        assert _signed_in(restarted)
    assert len(_records()) == 1


def test_ending_a_device_kills_its_remember_cookie(app, make_user):
    make_user()
    laptop = _browser(app, FIREFOX_MAC, "203.0.113.7")
    AuthActions(laptop).login(remember="y")
    remembered = laptop.get_cookie("remember_token").value
    phone = _browser(app, SAFARI_IPHONE, "2001:db8:5:6::9")
    AuthActions(phone).login()
    [laptop_record] = [r for r in _records() if r.device == "Firefox on macOS"]
    assert phone.post(f"/account/sessions/{laptop_record.id}/end").status_code == 302
    assert not _signed_in(laptop)
    for ip in ("203.0.113.7", "198.51.100.4"):
        restarted = _browser(app, FIREFOX_MAC, ip)  # only the remember cookie left
        restarted.set_cookie("remember_token", remembered)
        assert not _signed_in(restarted)
    assert [r.device for r in _records()] == ["Safari on iOS"]


def test_last_seen_is_written_at_most_every_few_minutes(app, two_browsers):
    laptop, _phone = two_browsers
    record = _records()[0]
    seen = record.last_seen_at
    assert _signed_in(laptop)
    assert _records()[0].last_seen_at == seen  # just signed in: no write for a page view
    record = _records()[0]
    record.last_seen_at = now_utc() - timedelta(minutes=6)
    db.session.commit()
    assert _signed_in(laptop)
    assert now_utc() - _records()[0].last_seen_at < timedelta(seconds=30)


def test_cookies_carry_a_key_the_database_keeps_only_hashed(app, two_browsers):
    laptop, _phone = two_browsers
    cookie = laptop.get_cookie("session").value
    payload = app.session_interface.get_signing_serializer(app).loads(cookie)
    key = payload["_user_id"].removeprefix("s:")
    assert len(key) == 43
    stored = [r.key_hash for r in _records()]
    assert key not in stored and sessions._digest(key) in stored


def test_cookies_from_before_per_device_sessions_sign_nobody_in(app, client, make_user):
    user = make_user()
    for old in (f"{user.id}:{user.session_version}", "s:short", "s:" + "x" * 43, ""):
        assert sessions.user_for(old) is None
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:1"
        session["_fresh"] = True
    assert not _signed_in(client)


def test_sign_in_sweeps_the_accounts_dead_sessions(app, two_browsers):
    for record in _records():
        record.last_seen_at = now_utc() - timedelta(days=20)
    db.session.commit()
    AuthActions(_browser(app, FIREFOX_MAC)).login()
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX_MAC, "Firefox on macOS"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101", "A browser on Linux"),
        ("curl/8.5.0", "Script"),
        ("", "Unknown browser"),
        ("\x00" * 5000, "Unknown browser"),
    ],
)
def test_device_names(user_agent, device):
    assert device_of(user_agent) == device


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1:2::5", "2001:db8:1::/48"),
        ("::ffff:198.51.100.4", "198.51.100.0/24"),
        ("", ""),
        ("not an address", ""),
    ],
)
def test_networks_not_addresses(ip, network):
    assert network_of(ip) == network
