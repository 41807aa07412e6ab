"""Accounts: sign-up, confirmation, sign-in and out, resets, changes, and the traps around them."""

import re
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import event, func, select
from werkzeug.security import generate_password_hash

from directory.accounts import operations, passwords
from directory.accounts.models import LoginAttempt, ResetRequest, User
from directory.accounts.sessions import connection_of, network_of
from directory.config import Defaults
from directory.db import db, now_utc
from directory.mail import MailMessage
from directory.practices import operations as practice_operations
from directory.practices.models import Membership, Tenant
from tests.conftest import PASSWORD, AuthActions, make_app

NEW_PASSWORD = "copper-kettle-morning-17"
LINK = re.compile(r"http://127\.0\.0\.1:5000(/\S+)")


def _mails(to: str | None = None) -> list[MailMessage]:
    query = select(MailMessage).order_by(MailMessage.id)
    if to is not None:
        query = query.where(MailMessage.to == to)
    return list(db.session.scalars(query))


def _link(to: str, prefix: str) -> str:
    """The path of the newest link starting with `prefix` mailed to `to`."""
    for message in reversed(_mails(to)):
        for path in LINK.findall(message.body):
            if path.startswith(prefix):
                return path
    raise AssertionError(f"no {prefix} link mailed to {to}")


def _user(email: str = "alexa@example.com") -> User | None:
    db.session.expire_all()
    return operations.find_user(email)


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- configuration ---------------------------------------------------------------------------


def test_cookie_flags_and_lifetimes(app, client, make_user):
    config = app.config  # as the app runs (the test settings leave these alone)
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_SAMESITE"] == config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=12)
    # The cookie may last as long as a sign-in can; the server ends idle ones sooner.
    assert (config["SESSION_IDLE_DAYS"], config["SESSION_MAX_DAYS"]) == (14, 60)
    assert config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=config["SESSION_MAX_DAYS"])

    make_user()
    response = client.post(
        "/login", data={"email": "alexa@example.com", "password": PASSWORD, "remember": "y"}
    )
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        assert "; Secure" in cookies[name] and "; HttpOnly" in cookies[name]
        assert "SameSite=Lax" in cookies[name]
    remembered = client.get_cookie("remember_token")
    assert remembered.expires - now_utc() <= timedelta(days=60, minutes=1)


def test_production_hash_method_and_rehash_of_weaker_hashes(tmp_path, app):
    assert Defaults.PASSWORD_HASH_METHOD == "scrypt:131072:8:1"
    prod = make_app(
        tmp_path / "prod",
        PASSWORD_HASH_METHOD=Defaults.PASSWORD_HASH_METHOD,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    weak = generate_password_hash(PASSWORD, method="scrypt:32768:8:1")
    db.session.add(
        User(email="old@example.com", name="Old", password_hash=weak, email_verified_at=now_utc())
    )
    db.session.commit()
    response = prod.test_client().post(
        "/login", data={"email": "old@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    stored = _user("old@example.com").password_hash
    assert stored.startswith("scrypt:131072:8:1$")
    assert passwords.verify(stored, PASSWORD)
    with prod.app_context():
        assert passwords.hash_password("x").startswith("scrypt:131072:8:1$")


@pytest.mark.parametrize(
    ("stored", "needed"),
    [
        ("scrypt:2048:8:1", False),  # the configured method in tests
        ("scrypt:131072:8:1", False),  # stronger: never downgraded
        ("scrypt:1024:8:1", True),
        ("scrypt:2048:4:1", True),
        ("pbkdf2:sha256:600000", True),
        ("plain", True),
    ],
)
def test_needs_rehash(app, stored, needed):
    assert passwords.needs_rehash(f"{stored}$salt$hash") is needed


def test_common_password_list_is_shipped():
    common = passwords.common_passwords()
    assert len(common) >= 1000
    assert {"password1234", "123456789012", "qwertyuiopas", "iloveyou1234"} <= common
    assert all(p == p.lower() and p.strip() == p for p in common)


# --- validation matrices ---------------------------------------------------------------------

REGISTER = {
    "name": "Alexa Marie",
    "email": "alexa@example.com",
    "password": PASSWORD,
    "practice_name": "The Crafted Hand",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter your name."),
        ({"name": "   "}, "name", "Enter your name."),
        ({"name": "x" * 121}, "name", "longer than 120"),
        ({"name": "Alexa\x00Marie"}, "name", "control characters"),
        ({"name": "Alexa\nMarie"}, "name", "control characters"),
        ({"email": ""}, "email", "Enter your email address."),
        ({"email": "not-an-address"}, "email", "name@example.com"),
        ({"email": "alexa@example"}, "email", "name@example.com"),
        ({"email": "a" * 250 + "@example.com"}, "email", "longer than 254"),
        ({"email": "alexa\x00@example.com"}, "email", "control characters"),
        ({"password": ""}, "password", "at least 12 characters"),
        ({"password": "short-pw"}, "password", "at least 12 characters"),
        ({"password": "x" * 201}, "password", "at most 200 characters"),
        ({"password": "aaaaaaaaaaaaaaaa"}, "password", "one character repeated"),
        ({"password": "password1234"}, "password", "too common"),
        ({"password": "PassWord1234"}, "password", "too common"),
        ({"password": "123456789012"}, "password", "too common"),
        ({"password": "qwertyuiopas"}, "password", "too common"),
        ({"password": "iloveyou1234"}, "password", "too common"),
        ({"password": "massagetherapy"}, "password", "too common"),
        ({"password": "lavender\x00table-42"}, "password", "control characters"),
        (
            {"email": "alexandra.marie@example.com", "password": "Alexandra.Marie@example.com"},
            "password",
            "your email address or your name",
        ),
        ({"email": "alexandramarie@example.com"}, None, None),  # control: accepted
        (
            {"email": "alexandramarie@example.com", "password": "alexandramarie"},
            "password",
            "your email address or your name",
        ),
        (
            {"name": "Alexandra Mariette", "password": "alexandra mariette"},
            "password",
            "your email address or your name",
        ),
        (
            {"name": "Alexandra Mariette", "password": "AlexandraMariette"},
            "password",
            "your email address or your name",
        ),
        ({"practice_name": ""}, "practice_name", "Enter the name of your practice."),
        ({"practice_name": "Spa\x07"}, "practice_name", "control characters"),
        ({"practice_name": "x" * 121}, "practice_name", "longer than 120"),
    ],
)
def test_register_validation(client, changes, field, message):
    response = client.post("/register", data={**REGISTER, **changes})
    assert response.status_code == 200
    page = _text(response)
    if field is None:
        assert "Check your email" in page
        return
    errors = re.search(rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', page, re.S)
    assert errors, page
    assert message in errors.group(1)
    assert f'aria-describedby="{field}-hint {field}-errors"' in page or (
        f'aria-describedby="{field}-errors"' in page
    )
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert _mails() == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "", "password": PASSWORD}, "email", "Enter your email address."),
        ({"email": "nope", "password": PASSWORD}, "email", "name@example.com"),
        ({"email": "a\x00@example.com", "password": PASSWORD}, "email", "control characters"),
        ({"email": "alexa@example.com", "password": ""}, "password", "Enter your password."),
        ({"email": "alexa@example.com", "password": "x\x00" * 7}, "password", "control"),
        ({"email": "alexa@example.com", "password": "x" * 201}, "password", "at most 200"),
        ({"email": "alexa@example.com"}, "password", "Enter your password."),
    ],
)
def test_login_validation(client, make_user, data, field, message):
    make_user()
    response = client.post("/login", data=data)
    assert response.status_code == 200
    assert message in _text(response)
    assert f'id="{field}-errors"' in _text(response)
    # Malformed input never reaches the password check, so it is not counted as an attempt.
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


@pytest.mark.parametrize(
    ("email", "message"),
    [("", "Enter your email address."), ("nope", "name@example.com"), ("\x00", "control")],
)
def test_reset_request_validation(client, email, message):
    response = client.post("/password/reset", data={"email": email})
    assert response.status_code == 200
    assert message in _text(response)
    assert 'id="email-errors"' in _text(response)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 12"),
        ("password1234", "too common"),
        ("alexa@example.com", "your email address or your name"),
        ("zzzzzzzzzzzzzz", "one character repeated"),
        ("lavender\x1b-table-42", "control characters"),
    ],
)
def test_reset_form_validation(client, make_user, password, message):
    make_user()
    operations.request_password_reset("alexa@example.com", "127.0.0.1")
    db.session.commit()
    path = _link("alexa@example.com", "/password/reset/")
    response = client.post(path, data={"password": password})
    assert response.status_code == 200
    assert message in _text(response)
    assert passwords.verify(_user().password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "alexa@example.com", "password": PASSWORD}, "email", "already your email"),
        ({"email": "ALEXA@example.com", "password": PASSWORD}, "email", "already your email"),
        ({"email": "nope", "password": PASSWORD}, "email", "name@example.com"),
        ({"email": "new\x00@example.com", "password": PASSWORD}, "email", "control"),
        ({"email": "new@example.com", "password": ""}, "password", "Enter your password."),
        ({"email": "new@example.com", "password": "wrong-password-1"}, "password", "incorrect"),
    ],
)
def test_change_email_validation(client, auth, make_user, data, field, message):
    make_user()
    auth.login()
    response = client.post("/account/email", data=data)
    assert response.status_code == 200
    assert message in _text(response)
    assert f'id="{field}-errors"' in _text(response)
    assert _user().email == "alexa@example.com"
    assert _mails() == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"current_password": "", "password": NEW_PASSWORD}, "current_password", "Enter"),
        ({"current_password": PASSWORD, "password": "short"}, "password", "at least 12"),
        ({"current_password": PASSWORD, "password": "iloveyou1234"}, "password", "too common"),
        ({"current_password": PASSWORD, "password": PASSWORD}, "password", "different"),
        (
            {"current_password": PASSWORD, "password": "Alexa@Example.com"},
            "password",
            "your email address or your name",
        ),
        ({"current_password": PASSWORD, "password": "\x00" * 12}, "password", "control"),
        (
            {"current_password": "wrong-password-1", "password": NEW_PASSWORD},
            "current_password",
            "Current password is incorrect.",
        ),
    ],
)
def test_change_password_validation(client, auth, make_user, data, field, message):
    make_user()
    auth.login()
    response = client.post("/account/password", data=data)
    assert response.status_code == 200
    assert message in _text(response)
    assert f'id="{field}-errors"' in _text(response)
    assert passwords.verify(_user().password_hash, PASSWORD)


@pytest.mark.parametrize("bad", ["\x00", "\x1b[31m", "\u0085", "\r\n"])
@pytest.mark.parametrize(
    ("path", "fields", "signed_in"),
    [
        ("/register", ("name", "email", "password", "practice_name"), False),
        ("/login", ("email", "password"), False),
        ("/password/reset", ("email",), False),
        ("/account/email", ("email", "password"), True),
        ("/account/password", ("current_password", "password"), True),
    ],
)
def test_control_characters_in_any_field_are_field_errors(
    client, auth, make_user, path, fields, signed_in, bad
):
    make_user()
    if signed_in:
        auth.login()
    valid = {
        **REGISTER,
        "email": "new@example.com",
        "current_password": PASSWORD,
        "password": NEW_PASSWORD,
    }
    for field in fields:
        data = {**valid, field: f"ok{bad}value-long-enough"}
        response = client.post(path, data=data)
        assert response.status_code == 200, (field, response.status_code)
        assert f'id="{field}-errors"' in _text(response), field


# --- register, confirm, sign in, sign out ----------------------------------------------------


def test_register_confirm_login_logout(client, auth):
    response = auth.register()
    assert response.status_code == 200
    assert "Check your email" in _text(response)
    user = _user()
    assert user.name == "Alexa Marie" and user.email_verified_at is None
    assert passwords.verify(user.password_hash, PASSWORD)
    (membership,) = user.memberships
    assert membership.role == "owner"
    assert (membership.tenant.slug, membership.tenant.name, membership.tenant.kind) == (
        "the-crafted-hand",
        "The Crafted Hand",
        "practice",
    )
    assert not _signed_in(client)

    # The right password on an unconfirmed address: no session, and a fresh link.
    response = auth.login()
    assert response.status_code == 200
    assert "confirm your email address first" in _text(response)
    assert not _signed_in(client)
    assert len(_mails("alexa@example.com")) == 2

    path = _link("alexa@example.com", "/verify/")
    page = client.get(path)
    assert page.status_code == 200 and "Confirm" in _text(page)
    assert _user().email_verified_at is None  # opening the link changes nothing
    response = client.post(path)
    assert response.status_code == 302 and response.location == "/login"
    assert _user().email_verified_at is not None
    assert "already confirmed" in _text(client.get(path))

    response = auth.login()
    assert response.status_code == 302
    assert response.location == "/dashboard"
    assert _signed_in(client)
    page = _text(client.get("/account"))
    assert "Sign out" in page and 'action="/logout"' in page and "Dashboard" in page
    assert "List your practice" not in page

    response = auth.logout()
    assert response.status_code == 302 and response.location == "/"
    assert not _signed_in(client)
    assert "List your practice" in _text(client.get("/"))


def test_register_gives_each_practice_its_own_slug(client, auth):
    for n in range(3):
        auth.register(email=f"owner{n}@example.com", practice_name="The Crafted Hand")
    slugs = db.session.scalars(select(Tenant.slug).order_by(Tenant.id)).all()
    assert slugs == ["the-crafted-hand", "the-crafted-hand-2", "the-crafted-hand-3"]
    assert practice_operations.unique_tenant_slug("Café Zoë & Co.!") == "cafe-zoe-co"
    assert practice_operations.unique_tenant_slug("!!!") == "practice"
    assert len(practice_operations.unique_tenant_slug("word " * 40)) <= 70


def test_signed_in_users_skip_register_and_login(client, auth, make_user):
    make_user()
    auth.login()
    assert client.get("/register").location == "/dashboard"
    assert client.get("/login?next=/account").location == "/account"
    assert client.get("/login?next=//evil.example").location == "/dashboard"


def test_the_header_links_to_the_account_page_once_signed_in(client, auth, make_user):
    """Devices, password and two-step sign-in are reachable from every page, not by URL only."""
    link = 'href="/account">Account</a>'
    assert link not in _text(client.get("/"))
    make_user()
    auth.login()
    for path in ("/", "/dashboard"):
        assert link in _text(client.get(path)), path


def test_pages_need_sign_in(client):
    for path in ("/account", "/account/email", "/account/password"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")


def test_logout_is_post_only(client, auth, make_user):
    make_user()
    auth.login()
    assert client.get("/logout").status_code == 405
    assert _signed_in(client)


def test_logout_leaves_no_message_for_the_next_person(client, auth, make_user):
    make_user()
    auth.login()
    with client.session_transaction() as browser:  # a message the leaver never saw
        browser["_flashes"] = [("success", "Alexa's two-step sign-in is on.")]
    auth.logout()
    page = client.get("/").get_data(as_text=True)
    assert "You are signed out." in page and "two-step sign-in is on" not in page


@pytest.mark.parametrize("token", ["nonsense", "a" * 5000, "eyJ1IjoxfQ.abc.def"])
def test_forged_links_are_refused(client, make_user, token):
    make_user(verified=False)
    for path in (f"/verify/{token}", f"/password/reset/{token}"):
        for method in (client.get, client.post):
            response = method(path, data={"password": NEW_PASSWORD})
            assert response.status_code == 400
            assert "This link no longer works" in _text(response)
    assert _user().email_verified_at is None
    assert passwords.verify(_user().password_hash, PASSWORD)


def test_confirmation_link_expires(client, auth, monkeypatch):
    days = Defaults.EMAIL_TOKEN_MAX_AGE + 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - days)
    auth.register()
    monkeypatch.undo()
    response = client.post(_link("alexa@example.com", "/verify/"))
    assert response.status_code == 400
    assert _user().email_verified_at is None


# --- sessions ---------------------------------------------------------------------------------


def test_session_cookie_copied_before_logout_is_dead_after(app, client, auth, make_user):
    make_user()
    auth.login()
    captured = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", captured)
    assert _signed_in(thief)  # the copy works while the session lives

    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", captured)
    assert not _signed_in(thief)


def test_remember_cookie_copied_before_logout_is_dead_after(app, client, auth, make_user):
    make_user()
    auth.login(remember="y")
    captured = client.get_cookie("remember_token").value
    thief = app.test_client()
    thief.set_cookie("remember_token", captured)
    assert _signed_in(thief)

    auth.logout()
    thief = app.test_client()
    thief.set_cookie("remember_token", captured)
    assert not _signed_in(thief)


def test_no_remember_cookie_without_the_box_or_for_admins(client, auth, make_user):
    make_user()
    auth.login()
    assert client.get_cookie("remember_token") is None
    auth.logout()
    make_user("root@example.com", name="Root", is_admin=True)
    response = auth.login("root@example.com", remember="y")
    assert response.status_code == 302
    assert _signed_in(client)
    assert client.get_cookie("remember_token") is None


def test_an_admin_of_no_practice_lands_on_the_admin_pages(client, auth, make_user):
    from tests.people import new_user

    root = new_user("root@example.com", "Root", is_admin=True, email_verified_at=now_utc())
    root.password_hash = passwords.hash_password(PASSWORD)
    db.session.commit()
    assert auth.login("root@example.com").location == "/admin"
    auth.logout()
    # Asked for a page, they get it; an admin who also runs a practice gets their dashboard.
    asked = client.post("/login", data={"email": "root@example.com", "password": PASSWORD,
                                        "next": "/account"})  # fmt: skip
    assert asked.location == "/account"
    auth.logout()
    make_user("owner@example.com", name="Olga Owner", is_admin=True)
    assert auth.login("owner@example.com").location == "/dashboard"


SAFE_NEXT = ["/account", "/p/alexa-marie?tab=licenses#top", "/search?q=back+pain&near=07030"]
UNSAFE_NEXT = [
    "//evil.example",
    "//evil.example/account",
    "https://evil.example",
    "http:/evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "/%0d%0aSet-Cookie:x=1\r\n",
    "account",
    "",
]


@pytest.mark.parametrize(("target", "expected"), [(t, t) for t in SAFE_NEXT])
def test_next_keeps_same_site_paths(client, make_user, target, expected):
    make_user()
    response = client.post(
        "/login", data={"email": "alexa@example.com", "password": PASSWORD, "next": target}
    )
    assert response.location == expected


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_next_never_leaves_the_site(client, make_user, target):
    make_user()
    page = client.get("/login", query_string={"next": target})
    assert page.status_code == 200
    response = client.post(
        "/login", data={"email": "alexa@example.com", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.location == "/dashboard"


def test_next_survives_the_login_form(client, make_user):
    make_user()
    response = client.get("/account")
    page = _text(client.get(response.location))
    assert 'name="next" type="hidden" value="/account"' in page
    response = client.post(
        "/login", data={"email": "alexa@example.com", "password": PASSWORD, "next": "/account"}
    )
    assert response.location == "/account"


# --- password reset ---------------------------------------------------------------------------


def test_reset_flow_single_use_and_ends_sessions(app, client, auth, make_user):
    make_user()
    other_device = app.test_client()
    other_device.post("/login", data={"email": "alexa@example.com", "password": PASSWORD})
    assert _signed_in(other_device)

    response = client.post("/password/reset", data={"email": "ALEXA@example.com"})
    assert response.status_code == 200
    path = _link("alexa@example.com", "/password/reset/")
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD})
    assert response.status_code == 302 and response.location == "/login"

    assert not _signed_in(other_device)
    assert auth.login(password=PASSWORD).status_code == 200
    assert auth.login(password=NEW_PASSWORD).location == "/dashboard"
    assert "Your password was changed" in [m.subject for m in _mails("alexa@example.com")]

    # Used once, dead after.
    for method in (client.get, client.post):
        response = method(path, data={"password": "another-fine-phrase-99"})
        assert response.status_code == 400
    assert passwords.verify(_user().password_hash, NEW_PASSWORD)


def test_reset_link_expires(client, make_user, monkeypatch):
    make_user()
    age = Defaults.PASSWORD_RESET_MAX_AGE + 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - age)
    client.post("/password/reset", data={"email": "alexa@example.com"})
    monkeypatch.undo()
    path = _link("alexa@example.com", "/password/reset/")
    assert client.get(path).status_code == 400
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 400
    assert passwords.verify(_user().password_hash, PASSWORD)


def test_reset_confirms_an_unconfirmed_address(client, make_user):
    make_user(verified=False)
    client.post("/password/reset", data={"email": "alexa@example.com"})
    client.post(_link("alexa@example.com", "/password/reset/"), data={"password": NEW_PASSWORD})
    assert _user().email_verified_at is not None


# --- changing email and password --------------------------------------------------------------


def test_change_email_notifies_the_old_address_and_confirms_the_new(client, auth, make_user):
    make_user()
    auth.login()
    operations.send_confirmation(_user())  # a link for the current address, made before
    db.session.commit()
    old_path = _link("alexa@example.com", "/verify/")
    response = client.post(
        "/account/email", data={"email": "alexa.new@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location == "/account"
    assert _user().email == "alexa@example.com"  # not until the new address is confirmed

    notice = _mails("alexa@example.com")[-1]
    assert notice.subject == "Your email address is being changed"
    assert "alexa.new@example.com" in notice.body and "/password/reset" in notice.body
    path = _link("alexa.new@example.com", "/verify/")
    page = client.get(path)
    assert "Your account will use" in _text(page)
    response = client.post(path)
    assert response.status_code == 302 and response.location == "/account"
    user = _user("alexa.new@example.com")
    assert user is not None and user.email_verified_at is not None
    assert _signed_in(client)

    assert client.post(path).status_code == 400  # the link named the old address: used up
    assert client.get(old_path).status_code == 400
    auth.logout()
    assert auth.login("alexa@example.com").status_code == 200
    assert auth.login("alexa.new@example.com").location == "/dashboard"


def test_change_email_to_a_taken_address(client, auth, make_user):
    make_user()
    make_user("taken@example.com", name="Other Owner")
    auth.login()
    response = client.post(
        "/account/email", data={"email": "Taken@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302  # the same answer as for a free address
    (owner_notice,) = _mails("taken@example.com")
    assert "/verify/" not in owner_notice.body
    assert _mails("Taken@example.com") == []
    assert _user().email == "alexa@example.com"


def test_confirming_an_address_taken_meanwhile(client, auth, make_user):
    make_user()
    auth.login()
    client.post("/account/email", data={"email": "late@example.com", "password": PASSWORD})
    path = _link("late@example.com", "/verify/")
    make_user("late@example.com", name="Quicker")
    response = client.post(path, follow_redirects=True)
    assert "belongs to another account" in _text(response)
    assert _user().email == "alexa@example.com"


def test_change_password_ends_other_sessions(app, client, auth, make_user):
    make_user()
    auth.login()
    other_device = app.test_client()
    other_device.post("/login", data={"email": "alexa@example.com", "password": PASSWORD})
    assert _signed_in(other_device)

    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response.location == "/account"
    assert _signed_in(client)
    assert not _signed_in(other_device)
    assert passwords.verify(_user().password_hash, NEW_PASSWORD)
    assert [m.subject for m in _mails()] == ["Your password was changed"]


# --- the same answer for known and unknown addresses ------------------------------------------


def _same(first, second, first_email: str, second_email: str) -> None:
    assert first.status_code == second.status_code
    assert _text(first).replace(first_email, "EMAIL") == _text(second).replace(
        second_email, "EMAIL"
    )


def test_login_answers_the_same_for_known_and_unknown_addresses(client, make_user):
    make_user("known@example.com")
    known = client.post("/login", data={"email": "known@example.com", "password": "wrong-pw-123"})
    unknown = client.post("/login", data={"email": "ghost@example.com", "password": "wrong-123"})
    _same(known, unknown, "known@example.com", "ghost@example.com")
    assert "Email or password is incorrect." in _text(known)
    # Unknown addresses are counted (and throttled) like known ones.
    keys = db.session.scalars(select(LoginAttempt.email_key)).all()
    assert sorted(keys) == ["ghost@example.com", "known@example.com"]


def test_register_answers_the_same_for_a_taken_address(client, auth, make_user):
    make_user("known@example.com", name="Known Owner")
    taken = auth.register(email="KNOWN@example.com", name="Intruder")
    fresh = auth.register(email="fresh@example.com", name="Intruder", practice_name="Fresh")
    _same(taken, fresh, "KNOWN@example.com", "fresh@example.com")
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    (warning,) = _mails("known@example.com")
    assert warning.subject == "Someone tried to register with your address"
    assert "/password/reset" in warning.body and "/verify/" not in warning.body
    assert _user("known@example.com").name == "Known Owner"


def test_reset_answers_the_same_for_known_and_unknown_addresses(client, make_user):
    make_user("known@example.com")
    known = client.post("/password/reset", data={"email": "known@example.com"})
    unknown = client.post("/password/reset", data={"email": "ghost@example.com"})
    _same(known, unknown, "known@example.com", "ghost@example.com")
    # Each address gets a message (the same work, so the same time); only an account gets a link.
    assert [m.to for m in _mails()] == ["known@example.com", "ghost@example.com"]
    _link("known@example.com", "/password/reset/")
    (note,) = _mails("ghost@example.com")
    assert note.subject == "No Kneaded account uses this address"
    assert "/password/reset/" not in note.body and "/password/reset" in note.body


def _reset(client, email: str, ip: str = "127.0.0.1"):
    return client.post("/password/reset", data={"email": email}, environ_base={"REMOTE_ADDR": ip})


def _backdate_resets(ago: timedelta) -> None:
    for request in db.session.scalars(select(ResetRequest)):
        request.created_at -= ago
    db.session.commit()


def test_reset_requests_are_limited_per_address_alike_for_known_and_unknown(client, make_user):
    make_user("known@example.com")
    refusals = []
    for email in ("known@example.com", "ghost@example.com"):
        for n in range(3):
            assert _reset(client, email, ip=f"198.51.{n}.1").status_code == 200
        refusals.append(_reset(client, email, ip="203.0.113.1"))
    known, unknown = refusals
    # The refusal tells nothing: the same answer, the same wait.
    assert known.status_code == unknown.status_code == 429
    assert _text(known) == _text(unknown)
    assert "Too many password reset requests" in _text(known)
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]
    assert 3540 <= int(known.headers["Retry-After"]) <= 3601
    # An inbox gets at most 3 links an hour; an address without an account, one note.
    assert len(_mails("known@example.com")) == 3
    assert len(_mails("ghost@example.com")) == 1
    _backdate_resets(timedelta(minutes=61))
    assert _reset(client, "known@example.com").status_code == 200
    assert len(_mails("known@example.com")) == 4


def test_an_unknown_address_gets_one_note_a_day(client):
    assert _reset(client, "ghost@example.com").status_code == 200
    _backdate_resets(timedelta(hours=2))
    for n in range(3):
        assert _reset(client, "Ghost@example.com", ip=f"198.51.{n}.1").status_code == 200
    assert len(_mails("ghost@example.com")) == 1
    note = db.session.scalar(select(ResetRequest).where(ResetRequest.mailed == "note"))
    assert note.repeats == 3
    _backdate_resets(timedelta(hours=23))
    assert _reset(client, "ghost@example.com").status_code == 200
    assert len(_mails("ghost@example.com")) == 2


@pytest.mark.parametrize(
    ("ips", "next_ip", "elsewhere"),
    [
        (["203.0.113.7"] * 10, "203.0.113.7", "203.0.113.8"),
        ([f"2001:db8:5:{n:x}::1" for n in range(30)], "2001:db8:5:ffff::1", "2001:db8:6::1"),
    ],
    ids=["per-ip", "per-ipv6-48"],
)
def test_reset_requests_are_limited_per_ip_and_network(client, ips, next_ip, elsewhere):
    for n, ip in enumerate(ips):
        assert _reset(client, f"someone{n}@example.com", ip=ip).status_code == 200
    response = _reset(client, "one.more@example.com", ip=next_ip)
    assert response.status_code == 429
    assert _mails("one.more@example.com") == []
    assert _reset(client, "one.more@example.com", ip=elsewhere).status_code == 200


def test_every_reset_request_does_the_same_database_work(app, client, make_user):
    """What the time of a request depends on: the statements it runs. A request for an account
    (a link), for an address without one (a note) and for that address again (no note) run as
    many of each kind, so the page's time does not tell them apart."""
    make_user("known@example.com")
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split(None, 1)[0].upper())

    work = {}
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for case, email in (
            ("link", "known@example.com"),
            ("note", "ghost@example.com"),
            ("nothing", "ghost@example.com"),
        ):
            statements.clear()
            assert _reset(client, email, ip=f"198.51.100.{len(work)}").status_code == 200
            work[case] = sorted(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(_mails("ghost@example.com")) == 1
    assert work["link"] == work["note"]
    # Where no note goes out, a count on the day's note is written instead of the message.
    instead = [*work["note"], "UPDATE"]
    instead.remove("INSERT")
    assert work["nothing"] == sorted(instead)


def test_an_unknown_address_costs_a_password_check(app, auth, make_user, monkeypatch):
    make_user()
    checked = []

    def verify(stored_hash, password):
        checked.append(stored_hash.split("$", 1)[0])
        return real(stored_hash, password)

    real = passwords.verify
    monkeypatch.setattr(passwords, "verify", verify)
    auth.login(password="not-the-password-at-all")
    auth.login("nobody@example.com", password="not-the-password-at-all")
    method = app.config["PASSWORD_HASH_METHOD"]
    assert checked == [method, method]


# --- throttling -------------------------------------------------------------------------------


def _fail(client, email: str, ip: str = "127.0.0.1"):
    return client.post(
        "/login",
        data={"email": email, "password": "wrong-password-1"},
        environ_base={"REMOTE_ADDR": ip},
    )


def _sign_in(client, ip: str, email: str = "alexa@example.com"):
    return client.post(
        "/login", data={"email": email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": ip}
    )


@pytest.mark.parametrize(
    ("stranger", "again"),
    [("198.51.100.9", "198.51.100.9"), ("2001:db8:1:2::a", "2001:db8:1:2:ffff::b")],
    ids=["ipv4", "ipv6-same-64"],
)
def test_a_stranger_is_throttled_and_the_owner_is_not(client, make_user, stranger, again):
    make_user()
    for _ in range(5):
        assert _fail(client, "Alexa@example.com", ip=stranger).status_code == 200
    # The stranger stays refused, even with the right password (another address of one /64
    # is the same connection).
    response = _sign_in(client, again)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in _text(response)
    assert response.headers["Retry-After"] == "900"
    assert "Content-Security-Policy" in response.headers
    assert not _signed_in(client)
    assert _fail(client, "alexa@example.com", ip=again).status_code == 429
    # Throttled requests check no password and are not recorded.
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 5
    # The owner, from another network, signs in.
    assert _sign_in(client, "203.0.113.7").location == "/dashboard"
    # Another account from the stranger's address is not affected.
    make_user("bo@example.com", name="Bo")
    AuthActions(client).logout()
    assert _sign_in(client, stranger, "bo@example.com").location == "/dashboard"


def _failed_before(ips, times: int = 1, ago: timedelta = timedelta(0)) -> None:
    """Record `times` failed sign-ins at alexa@example.com from each of `ips`, `ago`."""
    at = now_utc() - ago
    db.session.add_all(
        LoginAttempt(
            email_key="alexa@example.com",
            ip=connection_of(ip),
            network=network_of(ip),
            created_at=at,
        )
        for ip in ips
        for _ in range(times)
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("first", "same_network", "elsewhere"),
    [
        ("192.0.2.1", "192.0.2.200", "192.0.3.1"),
        ("2001:db8:1:1::1", "2001:db8:1:ffff::9", "2001:db8:2::1"),
    ],
    ids=["ipv4-24", "ipv6-48"],
)
def test_an_account_under_attack_gives_each_network_one_try(
    client, make_user, first, same_network, elsewhere
):
    make_user()
    _failed_before((f"198.51.{n}.1" for n in range(12)), times=4)
    # 48 failures in the window: an IP that failed once may try again.
    assert _fail(client, "alexa@example.com", ip=first).status_code == 200
    assert _fail(client, "alexa@example.com", ip=first).status_code == 200
    # 50: each network gets one try, however few it used...
    assert _fail(client, "alexa@example.com", ip=first).status_code == 429
    # ...and another IP of that network (another /64 of the /48, another address of the /24)
    # is the same network: rotating through a provider's block gains nothing.
    assert _fail(client, "alexa@example.com", ip=same_network).status_code == 429
    assert _sign_in(client, same_network).status_code == 429
    assert _fail(client, "alexa@example.com", ip=elsewhere).status_code == 200
    assert _fail(client, "alexa@example.com", ip=elsewhere).status_code == 429
    # The owner, from a network that has not failed, still signs in.
    assert _sign_in(client, "203.0.113.7").location == "/dashboard"


def test_the_ceiling_on_failures_from_new_networks_holds(app, client, make_user):
    make_user()
    home = app.test_client()
    assert _sign_in(home, "203.0.113.7").location == "/dashboard"
    # Spread over the day and over 99 networks (none under attack in the last 15 minutes);
    # the owner's typos at home do not count towards the ceiling.
    _failed_before((f"10.{n}.0.1" for n in range(99)), ago=timedelta(hours=2))
    _failed_before(["203.0.113.50"], times=30, ago=timedelta(hours=3))
    assert _fail(client, "alexa@example.com", ip="198.18.0.1").status_code == 200
    # 100 failures from networks the account has no sign-in from: no other new network gets a
    # try, however many a stranger has, not even with the right password...
    for ip in ("198.18.1.1", "2001:db8:7::1"):
        assert _fail(client, "alexa@example.com", ip=ip).status_code == 429
        assert _sign_in(client, ip).status_code == 429
    failures = select(func.count()).where(LoginAttempt.success.is_(False))
    assert db.session.scalar(failures) == 130  # refusals check and record nothing
    # ...while the owner at home signs in, from another address of the same network.
    assert _sign_in(client, "203.0.113.8").location == "/dashboard"
    # Other accounts are not affected.
    make_user("bo@example.com", name="Bo")
    assert _sign_in(app.test_client(), "198.18.1.1", "bo@example.com").location == "/dashboard"


def test_the_owner_signs_in_from_a_known_network_under_attack(app, client, make_user):
    make_user()
    home = app.test_client()
    assert _sign_in(home, "2001:db8:aa:1::5").location == "/dashboard"
    _failed_before(f"10.{n}.0.1" for n in range(150))  # a botnet, in the last 15 minutes
    assert _sign_in(client, "198.18.0.1").status_code == 429
    # At home, on a laptop with another /64 of the same /48: typos are allowed...
    for _ in range(4):
        assert _fail(client, "alexa@example.com", ip="2001:db8:aa:2::5").status_code == 200
    assert _sign_in(client, "2001:db8:aa:2::5").location == "/dashboard"
    # ...five failures for the whole network while the attack lasts, not five per /64.
    AuthActions(client).logout()
    assert _fail(client, "alexa@example.com", ip="2001:db8:aa:3::5").status_code == 200
    assert _sign_in(client, "2001:db8:aa:4::5").status_code == 429


def test_throttle_per_ip_and_shared_by_every_app_instance(tmp_path, app, client, make_user):
    make_user()
    for n in range(20):
        assert _fail(client, f"guess{n}@example.com", ip="203.0.113.7").status_code == 200
    second = make_app(
        tmp_path / "second", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]
    ).test_client()
    response = second.post(
        "/login",
        data={"email": "alexa@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == 429
    response = second.post(
        "/login",
        data={"email": "alexa@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.1"},
    )
    assert response.status_code == 302


def test_old_failures_expire(client, make_user):
    make_user()
    long_ago = now_utc() - timedelta(minutes=16)
    db.session.add_all(
        LoginAttempt(email_key="alexa@example.com", ip="127.0.0.1", created_at=long_ago)
        for _ in range(30)
    )
    db.session.commit()
    assert client.post(
        "/login", data={"email": "alexa@example.com", "password": PASSWORD}
    ).location == ("/dashboard")


def test_change_password_and_email_are_throttled_too(client, auth, make_user):
    make_user()
    auth.login()
    for _ in range(5):
        response = client.post(
            "/account/password",
            data={"current_password": "wrong-password-1", "password": NEW_PASSWORD},
        )
        assert response.status_code == 200
    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD}
    )
    assert response.status_code == 429
    response = client.post("/account/email", data={"email": "n@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert passwords.verify(_user().password_hash, PASSWORD)


def test_unconfirmed_sign_ins_are_counted(client, make_user):
    make_user(verified=False)
    for _ in range(5):
        response = client.post("/login", data={"email": "alexa@example.com", "password": PASSWORD})
        assert response.status_code == 200
    assert len(_mails("alexa@example.com")) == 5
    response = client.post("/login", data={"email": "alexa@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert len(_mails("alexa@example.com")) == 5


# --- forms: CSRF and mass assignment ----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/register",
        "/login",
        "/logout",
        "/password/reset",
        "/account/email",
        "/account/password",
        "/verify/x",
    ],
)
def test_csrf_on_every_form(tmp_path, app, make_user, path):
    make_user()
    protected = make_app(
        tmp_path / "csrf",
        WTF_CSRF_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    client = protected.test_client()
    data = {"email": "alexa@example.com", "password": PASSWORD}
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "CSRF" in _text(response) or "That request did not make sense" in _text(response)
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_csrf_token_from_the_page_works(tmp_path, app, make_user):
    make_user()
    protected = make_app(
        tmp_path / "csrf",
        WTF_CSRF_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    client = protected.test_client()
    page = _text(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"email": "alexa@example.com", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).location == "/dashboard"
    page = _text(client.get("/account"))
    logout_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": logout_token}).status_code == 302
    assert client.get("/account").status_code == 302


def test_register_ignores_fields_it_does_not_offer(client, auth, make_user):
    other = make_user("other@example.com", name="Other")
    other_tenant = other.memberships[0].tenant
    auth.register(
        is_admin="1",
        session_version="99",
        email_verified_at="2020-01-01",
        tenant_id=str(other_tenant.id),
        tenant=other_tenant.slug,
        role="manager",
        kind="network",
        slug="hijack",
        id="1",
    )
    user = _user()
    assert user.id != other.id
    assert user.is_admin is False and user.session_version == 1 and user.email_verified_at is None
    (membership,) = user.memberships
    assert membership.role == "owner"
    assert membership.tenant.id != other_tenant.id
    assert (membership.tenant.slug, membership.tenant.kind) == ("the-crafted-hand", "practice")
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.tenant_id == other_tenant.id)
        )
        == 1
    )


def test_account_changes_ignore_fields_they_do_not_offer(client, auth, make_user):
    make_user()
    auth.login()
    client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "is_admin": "1",
            "email": "x@example.com",
        },
    )
    user = _user()
    assert user.is_admin is False and user.email == "alexa@example.com"


def test_remember_me_keeps_the_user_signed_in_after_the_browser_closes(client, make_user):
    make_user()
    client.post(
        "/login", data={"email": "alexa@example.com", "password": PASSWORD, "remember": "y"}
    )
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")  # the browser was closed
    for _ in range(3):
        assert client.get("/account").status_code == 200
    assert client.get_cookie("remember_token") is not None


# --- no write transaction waits for a password hash -------------------------------------------


@pytest.mark.parametrize(
    "step",
    ["sign in", "wrong password", "unknown address", "register", "change password", "reauth"],
)
def test_password_hashing_holds_no_write_lock(app, client, auth, make_user, monkeypatch, step):
    import sqlite3

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite's database-wide write lock")
    path = db.engine.url.database
    make_user()
    if step in ("change password", "reauth"):
        auth.login()
    checked = []

    def another_writer_gets_in(real):
        def slow_step(*args):
            # A writer with no patience at all: "database is locked" if the lock were held.
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            finally:
                other.close()
            checked.append(step)
            return real(*args)

        return slow_step

    for name in ("verify", "verify_nothing", "hash_password"):
        monkeypatch.setattr(passwords, name, another_writer_gets_in(getattr(passwords, name)))
    if step == "sign in":
        response = auth.login()
    elif step == "wrong password":
        response = auth.login(password="not-the-password-at-all")
    elif step == "unknown address":
        response = auth.login(email="nobody@example.com")
    elif step == "register":
        response = auth.register(email="new@example.com")
    elif step == "change password":
        response = client.post(
            "/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD}
        )
    else:
        response = client.post("/account/confirm", data={"password": PASSWORD})
    assert response.status_code in (200, 302)
    assert checked  # the hash ran, and another writer could commit meanwhile
