"""Text messages through an SMS provider: a small interface (`send(to, text)`) with one
backend per provider, chosen by SMS_BACKEND. "logging", for development and tests, sends
nothing: it writes the text to the log and stores it in the mail outbox (`flask mail list`
shows it, addressed to "sms:+1..."), where a developer or a test reads the code.

A provider's backend (Twilio, Vonage...) is a class with the same `send`, added to BACKENDS
with the config keys it reads; none is bundled, so production must name one deliberately.
"""

import logging
from typing import Protocol

from flask import current_app

from directory.db import db
from directory.mail import MailMessage

log = logging.getLogger(__name__)


class Backend(Protocol):
    def send(self, to: str, text: str) -> None:
        """Send `text` to the phone number `to` (E.164, "+15125550100")."""


class LoggingBackend:
    """Development and tests: the text goes to the log and the mail outbox, nowhere else."""

    def send(self, to: str, text: str) -> None:
        log.info("SMS to %s: %s", to, text)
        db.session.add(MailMessage(to=f"sms:{to}", subject="Text message", body=text))
        db.session.flush()


BACKENDS: dict[str, type] = {"logging": LoggingBackend}


class UnknownBackend(RuntimeError):
    pass


def backend() -> Backend:
    """The backend SMS_BACKEND names."""
    name = current_app.config["SMS_BACKEND"]
    if name not in BACKENDS:
        raise UnknownBackend(f"SMS_BACKEND {name!r} is not one of {', '.join(BACKENDS)}")
    return BACKENDS[name]()
