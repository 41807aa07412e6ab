"""Outgoing mail: every message is stored; with an SMTP host configured it is also sent.

Messages are sent only once the transaction that wrote them commits (a rolled-back sign-up sends
nothing) and, during a request, after the response has gone out, so how long a page takes does
not tell whether it sent mail. A message that could not be sent stays stored with no `sent_at`
and the failure is logged: nothing is dropped silently.
"""

import logging
import smtplib
import ssl
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlsplit

import click
from flask import Flask, after_this_request, current_app, has_request_context
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from directory.db import UTCDateTime, db, now_utc

log = logging.getLogger(__name__)

#: Key in Session.info for the messages waiting for their transaction to commit.
_PENDING = "mail.pending"


class MailMessage(db.Model):
    __tablename__ = "mail_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: Where a reply goes, when not to the sender (a client's address on an inquiry).
    reply_to: Mapped[str] = mapped_column(String(254), default="", server_default="")
    #: The inquiry whose text this message carries: the copy is emptied with the inquiry's
    #: text (withdrawn, deleted, past retention; directory.inquiries).
    inquiry_id: Mapped[int | None] = mapped_column(
        ForeignKey("inquiry.id", ondelete="SET NULL"), index=True
    )
    #: When the SMTP server accepted it; NULL when only stored (no server, or sending failed).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class _Outgoing:
    id: int
    to: str
    subject: str
    body: str
    reply_to: str = ""


def public_url(endpoint: str, **values) -> str:
    """An absolute link to `endpoint` on PUBLIC_URL (never on the Host a request claimed)."""
    app = current_app
    base = urlsplit(app.config["PUBLIC_URL"])
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def signature() -> str:
    """What closes every letter the directory writes, in the letter's language."""
    return "\n\n-- \n" + _("Kneaded, the massage therapist directory") + "\n"


def letter(to: str, subject: str, *paragraphs: str, **options) -> MailMessage:
    """Send plain-text paragraphs, signed (see `send`)."""
    return send(to, subject, "\n\n".join(paragraphs) + signature(), **options)


def language_of(reader) -> str:
    """The language mail to `reader` is written in: the language its account chose (English
    when it chose none); without an account, the language of this request's page (a client
    reads the language they wrote in; English outside a request). `reader` is an address, an
    account (its language read without a query), or None for someone known to have no account
    (no query either: a page whose database work must not tell whether an address has one)."""
    from directory import i18n
    from directory.accounts.models import User
    from directory.validation import email_is

    if reader is None:
        return i18n.current()
    if isinstance(reader, User):
        chosen = reader.language
    else:
        account = db.session.execute(
            select(User.id, User.language).where(email_is(User.email, reader))
        ).first()
        if account is None:
            return i18n.current()
        chosen = account.language
    return chosen if chosen in i18n.LANGUAGES else i18n.DEFAULT


@contextmanager
def written_for(reader):
    """Within it, gettext, dates and numbers speak the language of `reader` (an address, an
    account or None: `language_of`); yields that language, for `link`."""
    from directory import i18n

    language = language_of(reader)
    with force_locale(i18n.LOCALES[language]):
        yield language


def link(language: str, endpoint: str, **values) -> str:
    """`public_url` of a page, in `language` (its /es/ address for a Spanish reader)."""
    from directory import i18n

    return i18n.to_language(public_url(endpoint, **values), language)


def send(to: str, subject: str, body: str, *, reply_to: str = "", inquiry=None) -> MailMessage:
    """Store a plain-text message (flushed, not committed); it is sent after the commit.
    `reply_to` is an address replies go to; `inquiry` the inquiry whose text it carries."""
    # A subject is one line whatever it quotes (a client's name).
    subject = " ".join(subject.split())[:200]
    message = MailMessage(
        to=to,
        subject=subject,
        body=body,
        reply_to=reply_to,
        inquiry_id=getattr(inquiry, "id", None),
    )
    db.session.add(message)
    db.session.flush()
    if current_app.config.get("MAIL_SMTP_HOST"):
        outgoing = _Outgoing(message.id, to, subject, body, reply_to)
        db.session.info.setdefault(_PENDING, []).append(outgoing)
    return message


def send_after_commit(session) -> None:
    """Send what the committed transaction wrote: after the response in a request, else now
    (one of extensions.LISTENERS)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    app = current_app._get_current_object()
    if has_request_context():

        @after_this_request
        def _after_response(response):
            response.call_on_close(lambda: _deliver(app, pending))
            return response

    else:
        _deliver(app, pending)


def forget_after_rollback(session) -> None:
    """Send nothing a rolled-back transaction wrote (one of extensions.LISTENERS)."""
    session.info.pop(_PENDING, None)


def _deliver(app: Flask, pending: list[_Outgoing]) -> None:
    with app.app_context():
        for outgoing in pending:
            try:
                _smtp_send(app.config, outgoing)
            except Exception:
                log.exception("mail %s was not sent; it stays stored unsent", outgoing.id)
                continue
            # Its own connection: this may run inside the commit hook of the request's session.
            with db.engine.begin() as conn:
                conn.execute(
                    update(MailMessage)
                    .where(MailMessage.id == outgoing.id)
                    .values(sent_at=now_utc())
                )


def _smtp_send(config, outgoing: _Outgoing) -> None:
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = outgoing.to
    message["Subject"] = outgoing.subject
    if outgoing.reply_to:
        message["Reply-To"] = outgoing.reply_to
    message.set_content(outgoing.body)
    with smtplib.SMTP(config["MAIL_SMTP_HOST"], config["MAIL_SMTP_PORT"], timeout=30) as smtp:
        if config["MAIL_SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_SMTP_USERNAME"):
            smtp.login(config["MAIL_SMTP_USERNAME"], config["MAIL_SMTP_PASSWORD"] or "")
        smtp.send_message(message)


mail_cli = AppGroup("mail", help="Outgoing mail.")


@mail_cli.command("list")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 10_000))
def mail_list(limit: int) -> None:
    """Print the stored messages, newest first."""
    messages = db.session.scalars(
        select(MailMessage)
        .order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
        .limit(limit)
    ).all()
    if not messages:
        click.echo("No messages.")
    for message in messages:
        status = f"sent {message.sent_at:%Y-%m-%d %H:%M:%S}" if message.sent_at else "not sent"
        click.echo("=" * 72)
        click.echo(f"#{message.id}  {message.created_at:%Y-%m-%d %H:%M:%S} UTC  ({status})")
        click.echo(f"To: {message.to}")
        if message.reply_to:
            click.echo(f"Reply-To: {message.reply_to}")
        click.echo(f"Subject: {message.subject}")
        click.echo()
        click.echo(message.body)
