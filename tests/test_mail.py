"""Outgoing mail: stored always, sent by SMTP after the commit, links from PUBLIC_URL only."""

import logging
import smtplib

import pytest
from sqlalchemy import select

from directory import mail
from directory.db import db
from directory.mail import MailMessage


class FakeSMTP:
    """Stands in for smtplib.SMTP and records what a server would have received."""

    sent: list = []
    calls: list = []
    fail = False

    def __init__(self, host, port, timeout=None):
        self.calls.append(("connect", host, port))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self, context=None):
        self.calls.append(("starttls",))

    def login(self, username, password):
        self.calls.append(("login", username, password))

    def send_message(self, message):
        if self.fail:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"no")})
        self.sent.append(message)


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.sent, FakeSMTP.calls, FakeSMTP.fail = [], [], False
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    app.config.update(
        MAIL_SMTP_HOST="smtp.example",
        MAIL_SMTP_PORT=2525,
        MAIL_SMTP_USERNAME="mailer",
        MAIL_SMTP_PASSWORD="s3cret",
        MAIL_SENDER="Kneaded <hello@kneaded.example>",
    )
    return FakeSMTP


def _messages() -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(MailMessage).order_by(MailMessage.id)))


def test_without_smtp_messages_are_stored(app):
    mail.send("alexa@example.com", "Hello", "Body")
    db.session.commit()
    (message,) = _messages()
    assert (message.to, message.subject, message.body) == ("alexa@example.com", "Hello", "Body")
    assert message.created_at is not None and message.sent_at is None


def test_mail_list_prints_newest_first_with_readable_links(app, runner):
    mail.send("a@example.com", "First", "Open http://127.0.0.1:5000/verify/abc.def")
    mail.send("b@example.com", "Second", "Open http://127.0.0.1:5000/password/reset/xyz")
    db.session.commit()
    output = runner.invoke(args=["mail", "list"]).output
    assert output.index("Second") < output.index("First")
    assert "To: b@example.com" in output
    assert "\nOpen http://127.0.0.1:5000/password/reset/xyz\n" in output
    assert "not sent" in output

    limited = runner.invoke(args=["mail", "list", "--limit", "1"]).output
    assert "Second" in limited and "First" not in limited
    assert runner.invoke(args=["mail", "list", "--limit", "0"]).exit_code != 0


def test_mail_list_when_empty(runner):
    assert "No messages." in runner.invoke(args=["mail", "list"]).output


def test_links_come_from_public_url_never_from_the_host_header(app, client, make_user):
    make_user()
    client.post(
        "/password/reset", data={"email": "alexa@example.com"}, headers={"Host": "evil.example"}
    )
    client.post(
        "/register",
        data={
            "name": "Bo",
            "email": "bo@example.com",
            "password": "lavender-table-stretch-42",
            "practice_name": "Bo's",
        },
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    reset, confirm = _messages()
    assert "http://127.0.0.1:5000/password/reset/" in reset.body
    assert "http://127.0.0.1:5000/verify/" in confirm.body
    assert not any("evil.example" in m.body for m in (reset, confirm))


def test_public_url_keeps_its_scheme_host_and_path(app):
    app.config["PUBLIC_URL"] = "https://kneaded.example/directory/"
    assert mail.public_url("accounts.login") == "https://kneaded.example/directory/login"
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert mail.public_url("accounts.verify", token="t") == (
            "https://kneaded.example/directory/verify/t"
        )


def test_smtp_sends_after_the_response_and_records_it(client, make_user, smtp):
    make_user()
    response = client.post("/password/reset", data={"email": "alexa@example.com"})
    assert response.status_code == 200
    assert smtp.sent == []  # nothing is sent while the visitor waits
    response.close()
    (sent,) = smtp.sent
    assert sent["To"] == "alexa@example.com"
    assert sent["From"] == "Kneaded <hello@kneaded.example>"
    assert sent["Subject"] == "Reset your password"
    assert "http://127.0.0.1:5000/password/reset/" in sent.get_content()
    assert smtp.calls == [
        ("connect", "smtp.example", 2525),
        ("starttls",),
        ("login", "mailer", "s3cret"),
    ]
    (stored,) = _messages()
    assert stored.sent_at is not None


def test_a_failed_send_is_logged_and_stays_stored(client, make_user, smtp, caplog):
    make_user()
    smtp.fail = True
    with caplog.at_level(logging.ERROR, logger="directory.mail"):
        response = client.post("/password/reset", data={"email": "alexa@example.com"})
        response.close()
    assert response.status_code == 200  # the visitor's answer does not change
    (stored,) = _messages()
    assert stored.sent_at is None
    assert f"mail {stored.id} was not sent" in caplog.text


def test_nothing_is_sent_for_a_rolled_back_transaction(app, smtp):
    mail.send("alexa@example.com", "Hello", "Body")
    db.session.rollback()
    mail.send("bo@example.com", "Hi", "Body")
    db.session.commit()
    assert [m["To"] for m in smtp.sent] == ["bo@example.com"]
    assert [(m.to, m.sent_at is not None) for m in _messages()] == [("bo@example.com", True)]


def test_outside_a_request_mail_goes_out_at_commit(app, smtp):
    app.config.update(MAIL_SMTP_STARTTLS=False, MAIL_SMTP_USERNAME=None)
    mail.send("alexa@example.com", "Hello", "Body")
    assert smtp.sent == []
    db.session.commit()
    assert [m["Subject"] for m in smtp.sent] == ["Hello"]
    assert smtp.calls == [("connect", "smtp.example", 2525)]
