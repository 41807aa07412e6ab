"""The second factor (TOTP), the two-step sign-in, and recent authentication for sensitive
actions."""

import re
import time

import pyotp
import pytest
from flask_login import login_user
from sqlalchemy import func, select

from directory.accounts import freshness, sessions, totp
from directory.accounts.models import LoginAttempt, User
from directory.audit import AuditEvent
from directory.config import Defaults
from directory.db import db
from tests.conftest import PASSWORD, make_app
from tests.people import log_in

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#: The middle of a 30-second step, so that no test straddles a step boundary.
T0 = 1_800_000_015


class Clock:
    """The clock the second factor reads, moved by the test."""

    def __init__(self):
        self.now = float(T0)

    def code(self, secret: str = SECRET, *, steps: int = 0) -> str:
        return pyotp.TOTP(secret).at(self.now + steps * totp.STEP_SECONDS)

    def tick(self, steps: int = 1) -> None:
        self.now += steps * totp.STEP_SECONDS


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(totp, "_now", lambda: clock.now)
    return clock


def _user(email: str = "alexa@example.com") -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _text(response) -> str:
    return response.get_data(as_text=True)


def _failures() -> int:
    query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.success.is_(False))
    return db.session.scalar(query)


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _auth_at(client):
    with client.session_transaction() as session:
        return session.get("auth_at")


LONG_AGO = int(time.time()) - Defaults.FRESH_AUTH_SECONDS - 60


# --- codes ------------------------------------------------------------------------------------


def test_verify_accepts_one_step_either_side_and_no_further(app, make_user, clock):
    user = make_user(totp_secret=SECRET)
    assert not totp.verify(user, clock.code(steps=-2))
    assert not totp.verify(user, clock.code(steps=2))
    assert user.totp_last_step is None
    assert totp.verify(user, clock.code(steps=-1))
    assert totp.verify(user, clock.code())
    assert totp.verify(user, clock.code(steps=1))
    assert user.totp_last_step == T0 // 30 + 1


def test_a_code_is_never_accepted_twice(app, make_user, clock):
    user = make_user(totp_secret=SECRET)
    code = clock.code()
    assert totp.verify(user, code)
    assert user.totp_last_step == T0 // 30
    assert not totp.verify(user, code)
    # Nor an older code still inside the window, once a newer one was used.
    assert not totp.verify(user, clock.code(steps=-1))
    db.session.commit()
    assert not totp.verify(_user(), code)  # the step is stored with the user
    clock.tick()
    assert totp.verify(_user(), clock.code())


def test_spaces_in_a_code_are_ignored(app, make_user, clock):
    user = make_user(totp_secret=SECRET)
    code = clock.code()
    assert totp.verify(user, f" {code[:3]} {code[3:]} ")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:5],
        lambda c: c + "0",
        lambda c: c[:5] + "x",
        lambda c: c.translate(str.maketrans("0123456789", "０１２３４５６７８９")),  # noqa: RUF001
        lambda c: "",
    ],
    ids=["five-digits", "seven-digits", "letter", "full-width-digits", "empty"],
)
def test_codes_that_are_not_six_digits_are_refused(app, make_user, clock, mangle):
    user = make_user(totp_secret=SECRET)
    assert not totp.verify(user, mangle(clock.code()))
    assert user.totp_last_step is None


def test_no_code_works_without_a_secret(app, make_user, clock):
    user = make_user()
    assert not totp.verify(user, clock.code())


def test_enable_and_disable_are_audited_and_end_no_session(app, make_user, clock):
    user = make_user()
    secret = totp.new_secret()
    assert len(secret) >= 32 and secret != totp.new_secret()
    version = user.session_version
    assert not totp.enable(user, secret, clock.code(SECRET))
    assert user.totp_secret is None and not _events("account.totp_enabled")
    assert totp.enable(user, secret, clock.code(secret))
    db.session.commit()
    assert _user().totp_secret == secret
    [event] = _events("account.totp_enabled")
    assert event.actor_id == user.id and event.subject_id == str(user.id)

    totp.disable(_user())
    db.session.commit()
    assert _user().totp_secret is None
    [event] = _events("account.totp_disabled")
    assert event.actor_id == user.id
    assert _user().session_version == version


def test_provisioning_uri_names_the_site_and_the_account(app, make_user):
    user = make_user()
    uri = totp.provisioning_uri(user, SECRET)
    assert uri.startswith("otpauth://totp/Kneaded:alexa%40example.com?")
    assert f"secret={SECRET}" in uri and "issuer=Kneaded" in uri


def test_needs_totp_setup_follows_the_config(app, make_user):
    admin = make_user("root@example.com", name="Root", is_admin=True)
    secured = make_user("sec@example.com", name="Sec", is_admin=True, totp_secret=SECRET)
    therapist = make_user()
    assert Defaults.ADMIN_REQUIRE_TOTP is False
    assert not totp.needs_totp_setup(admin)
    app.config["ADMIN_REQUIRE_TOTP"] = True
    assert totp.needs_totp_setup(admin)
    assert not totp.needs_totp_setup(secured)
    assert not totp.needs_totp_setup(therapist)


# --- two-step sign-in -------------------------------------------------------------------------


def test_password_alone_does_not_sign_in_a_user_with_a_second_factor(client, auth, make_user):
    make_user(totp_secret=SECRET)
    response = auth.login()
    assert response.status_code == 302
    assert response.location == "/login/code"
    assert not _signed_in(client)
    assert _auth_at(client) is None
    page = client.get("/login/code")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in _text(page)


def test_right_code_signs_in_and_keeps_next(client, auth, make_user, clock):
    make_user(totp_secret=SECRET)
    auth.login(next="/account/password")
    response = client.post("/login/code", data={"code": clock.code()})
    assert response.status_code == 302
    assert response.location == "/account/password"
    assert _signed_in(client)
    assert abs(_auth_at(client) - time.time()) < 5
    assert client.get_cookie("remember_token") is None
    # The sign-in is used up: the page sends to /login (which sends the signed-in user on).
    assert client.get("/login/code").location == "/login"


def test_unsafe_next_is_dropped_after_the_code(client, auth, make_user, clock):
    make_user(totp_secret=SECRET)
    auth.login(next="//evil.example/account")
    assert client.post("/login/code", data={"code": clock.code()}).location == "/dashboard"


def test_remember_me_after_the_code_but_never_for_admins(app, make_user, clock):
    make_user(totp_secret=SECRET)
    make_user("root@example.com", name="Root", is_admin=True, totp_secret=SECRET)
    client = app.test_client()
    client.post(
        "/login", data={"email": "alexa@example.com", "password": PASSWORD, "remember": "y"}
    )
    client.post("/login/code", data={"code": clock.code()})
    assert client.get_cookie("remember_token") is not None

    clock.tick()
    admin = app.test_client()
    admin.post("/login", data={"email": "root@example.com", "password": PASSWORD, "remember": "y"})
    response = admin.post("/login/code", data={"code": clock.code()})
    assert response.status_code == 302
    assert _signed_in(admin)
    assert admin.get_cookie("remember_token") is None


def test_wrong_code_does_not_sign_in_and_is_counted(client, auth, make_user, clock):
    make_user(totp_secret=SECRET)
    auth.login()
    response = client.post("/login/code", data={"code": clock.code(steps=5)})
    assert response.status_code == 200
    assert "That code is not right" in _text(response)
    assert not _signed_in(client)
    assert _failures() == 1
    # A malformed code is a field error, not an attempt.
    response = client.post("/login/code", data={"code": "12ab"})
    assert "Enter the 6 digits" in _text(response)
    assert _failures() == 1


def test_wrong_codes_are_throttled_with_the_passwords(client, auth, make_user, clock):
    make_user(totp_secret=SECRET)
    auth.login()
    for _ in range(5):
        assert client.post("/login/code", data={"code": "000000"}).status_code == 200
    response = client.post("/login/code", data={"code": clock.code()})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "900"
    assert not _signed_in(client)
    assert _user().totp_last_step is None  # throttled requests check nothing
    # The same throttle guards the password.
    assert auth.login().status_code == 429


def test_pending_sign_in_expires(client, auth, make_user, clock):
    make_user(totp_secret=SECRET)
    auth.login()
    with client.session_transaction() as session:
        pending = session["pending_sign_in"]
        session["pending_sign_in"] = {**pending, "at": pending["at"] - 5 * 60 - 1}
    response = client.post("/login/code", data={"code": clock.code()})
    assert response.status_code == 302
    assert response.location == "/login"
    assert not _signed_in(client)
    assert _user().totp_last_step is None


def test_pending_sign_in_ends_with_the_sessions_of_the_account(client, auth, make_user, clock):
    user = make_user(totp_secret=SECRET)
    auth.login()
    user.session_version += 1  # e.g. the password was reset meanwhile
    db.session.commit()
    assert client.post("/login/code", data={"code": clock.code()}).location == "/login"
    assert not _signed_in(client)


def test_code_page_without_a_pending_sign_in_sends_to_login(client, make_user, clock):
    make_user(totp_secret=SECRET)
    assert client.get("/login/code").location == "/login"
    assert client.post("/login/code", data={"code": clock.code()}).location == "/login"
    assert not _signed_in(client)


def test_password_sign_in_without_a_second_factor_is_recent(client, auth, make_user):
    make_user()
    auth.login()
    assert abs(_auth_at(client) - time.time()) < 5
    auth.logout()
    assert _auth_at(client) is None


# --- setting it up and turning it off ---------------------------------------------------------


def test_enrollment_round_trip(client, auth, make_user, clock):
    make_user()
    auth.login()
    assert 'href="/account/two-factor"' in _text(client.get("/account"))
    assert "You sign in with your password alone" in _text(client.get("/account/two-factor"))

    assert client.post("/account/two-factor", data={"action": "start"}).status_code == 302
    page = _text(client.get("/account/two-factor"))
    grouped = re.search(r'class="totp-secret"[^>]*><code>([A-Z2-7 ]+)</code>', page).group(1)
    assert all(len(group) == 4 for group in grouped.split())
    secret = grouped.replace(" ", "")
    assert f"otpauth://totp/Kneaded:alexa%40example.com?secret={secret}" in page
    # Works without JavaScript: no inline script (the site's own deferred forms.js only).
    assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", page)), page
    assert _user().totp_secret is None  # nothing stored before a code proves the app has it

    response = client.post("/account/two-factor", data={"action": "confirm", "code": "000000"})
    assert response.status_code == 200
    assert "That code is not right" in _text(response)
    assert _user().totp_secret is None

    response = client.post(
        "/account/two-factor", data={"action": "confirm", "code": clock.code(secret)}
    )
    assert response.status_code == 302
    assert _user().totp_secret == secret
    assert len(_events("account.totp_enabled")) == 1
    assert "When you sign in, we ask for your password and a code" in _text(
        client.get("/account/two-factor")
    )

    auth.logout()
    assert auth.login().location == "/login/code"
    clock.tick()
    client.post("/login/code", data={"code": clock.code(secret)})
    assert _signed_in(client)


def test_cancelled_setup_stores_nothing(client, auth, make_user, clock):
    make_user()
    auth.login()
    client.post("/account/two-factor", data={"action": "start"})
    with client.session_transaction() as session:
        secret = session["totp_setup"]
    client.post("/account/two-factor", data={"action": "cancel"})
    client.post("/account/two-factor", data={"action": "confirm", "code": clock.code(secret)})
    assert _user().totp_secret is None


def test_unknown_action_is_a_bad_request(client, make_user):
    log_in(client, make_user())
    assert client.post("/account/two-factor", data={"action": "explode"}).status_code == 400


def test_turning_off_needs_a_recent_authentication(client, make_user):
    user = make_user(totp_secret=SECRET)
    log_in(client, user, fresh_at=LONG_AGO)
    response = client.post("/account/two-factor", data={"action": "disable"})
    assert response.status_code == 302
    assert response.location == "/account/confirm?next=/account/two-factor"
    assert _user().totp_secret == SECRET
    assert not _events("account.totp_disabled")

    log_in(client, user)
    response = client.post("/account/two-factor", data={"action": "disable"})
    assert response.location == "/account/two-factor"
    assert _user().totp_secret is None
    assert len(_events("account.totp_disabled")) == 1


def test_setting_up_needs_a_recent_authentication(client, make_user):
    log_in(client, make_user(), fresh_at=LONG_AGO)
    response = client.post("/account/two-factor", data={"action": "start"})
    assert response.location.startswith("/account/confirm?")
    with client.session_transaction() as session:
        assert "totp_setup" not in session


def test_admins_keep_it_when_the_instance_requires_it(app, client, make_user):
    admin = make_user("root@example.com", name="Root", is_admin=True, totp_secret=SECRET)
    app.config["ADMIN_REQUIRE_TOTP"] = True
    log_in(client, admin)
    client.post("/account/two-factor", data={"action": "disable"})
    assert _user("root@example.com").totp_secret == SECRET
    app.config["ADMIN_REQUIRE_TOTP"] = False
    client.post("/account/two-factor", data={"action": "disable"})
    assert _user("root@example.com").totp_secret is None


# --- confirming it is you ---------------------------------------------------------------------


def test_reauth_sets_freshness_and_honours_a_safe_next(client, make_user):
    user = make_user()
    log_in(client, user, fresh_at=LONG_AGO)
    page = client.get("/account/confirm", query_string={"next": "/account/two-factor"})
    assert page.status_code == 200
    assert 'name="next" type="hidden" value="/account/two-factor"' in _text(page)
    assert 'name="code"' not in _text(page)

    data = {"password": "wrong-password-1", "next": "/account/two-factor"}
    response = client.post("/account/confirm", data=data)
    assert response.status_code == 200
    assert "Password or code is incorrect" in _text(response)
    assert _auth_at(client) == LONG_AGO
    assert _failures() == 1

    response = client.post("/account/confirm", data={**data, "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == "/account/two-factor"
    assert abs(_auth_at(client) - time.time()) < 5


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x", "/\\evil.example"])
def test_reauth_refuses_an_external_next(client, make_user, target):
    log_in(client, make_user(), fresh_at=LONG_AGO)
    response = client.post("/account/confirm", data={"password": PASSWORD, "next": target})
    assert response.location == "/dashboard"


def test_reauth_asks_for_the_code_when_the_second_factor_is_on(client, make_user, clock):
    user = make_user(totp_secret=SECRET)
    log_in(client, user, fresh_at=LONG_AGO)
    assert 'name="code"' in _text(client.get("/account/confirm"))
    response = client.post("/account/confirm", data={"password": PASSWORD})
    assert "Enter the 6-digit code" in _text(response)
    response = client.post("/account/confirm", data={"password": PASSWORD, "code": "000000"})
    assert "Password or code is incorrect" in _text(response)
    assert _failures() == 1
    assert _auth_at(client) == LONG_AGO
    response = client.post("/account/confirm", data={"password": PASSWORD, "code": clock.code()})
    assert response.status_code == 302
    assert abs(_auth_at(client) - time.time()) < 5


def test_reauth_is_throttled(client, make_user):
    log_in(client, make_user(), fresh_at=LONG_AGO)
    for _ in range(5):
        assert client.post("/account/confirm", data={"password": "wrong-1"}).status_code == 200
    response = client.post("/account/confirm", data={"password": PASSWORD})
    assert response.status_code == 429
    assert _auth_at(client) == LONG_AGO


def test_reauth_needs_sign_in(client):
    response = client.get("/account/confirm")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert client.get("/account/two-factor").location.startswith("/login?next=")


def test_reauth_makes_a_remembered_session_fresh(client, make_user):
    log_in(client, make_user())
    with client.session_transaction() as session:
        session["_fresh"] = False  # as Flask-Login leaves a session restored from remember-me
    response = client.post("/account/two-factor", data={"action": "start"})
    assert response.location.startswith("/account/confirm?")
    client.post("/account/confirm", data={"password": PASSWORD})
    client.post("/account/two-factor", data={"action": "start"})
    with client.session_transaction() as session:
        assert "totp_setup" in session


@pytest.mark.parametrize("path", ["/login/code", "/account/confirm", "/account/two-factor"])
def test_csrf_on_the_new_forms(tmp_path, app, make_user, clock, path):
    user = make_user(totp_secret=SECRET)
    protected = make_app(
        tmp_path / "csrf",
        WTF_CSRF_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    browser = protected.test_client()
    log_in(browser, user)
    data = {"code": clock.code(), "password": PASSWORD, "action": "disable"}
    assert browser.post(path, data=data).status_code == 400
    assert _user().totp_secret == SECRET and _user().totp_last_step is None
    assert _failures() == 0


# --- freshness --------------------------------------------------------------------------------


def test_freshness_expires(app, make_user, monkeypatch):
    user = make_user()
    assert Defaults.FRESH_AUTH_SECONDS == 15 * 60
    with app.test_request_context():
        sessions.start(user)
        login_user(user)
        freshness.mark()
        assert freshness.is_recent()
        marked = time.time()
        monkeypatch.setattr(time, "time", lambda: marked + 15 * 60 - 5)
        assert freshness.is_recent()
        assert not freshness.is_recent(max_age=60)
        monkeypatch.setattr(time, "time", lambda: marked + 15 * 60 + 5)
        assert not freshness.is_recent()
        app.config["FRESH_AUTH_SECONDS"] = 30 * 60
        assert freshness.is_recent()


def test_freshness_needs_a_fresh_login_and_a_mark(app, make_user):
    user = make_user()
    with app.test_request_context():
        sessions.start(user)
        login_user(user)
        assert not freshness.is_recent()  # signed in, but no proof recorded
        freshness.mark()
        login_user(user, fresh=False)  # as when a remember-me cookie restores the session
        assert not freshness.is_recent()
