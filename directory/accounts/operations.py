"""What accounts do: register, confirm addresses, sign in, change and reset passwords,
deactivate. (Signed-in devices, and signing out, are accounts.sessions.)

Plain functions that add to the session and flush, never commit: the view commits once. Every
answer that reaches a visitor is the same whether an address has an account or not; what differs
goes to the address's owner by mail.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import and_, delete, func, or_, select, update

from directory import audit, i18n, mail
from directory.accounts import passwords, sessions, totp
from directory.accounts.models import LoginAttempt, ResetRequest, User
from directory.db import db, now_utc, serialize, without_write_lock
from directory.locales import ngettext
from directory.practices import operations as practices
from directory.refusals import Refused, Throttled
from directory.validation import email_is, email_key, is_row_id, same_email

#: Sign-in attempts and reset requests are kept at least this long (longer than any
#: throttle window).
ATTEMPT_RETENTION = timedelta(days=1)
#: An address without an account is told so at most this often, however often a reset is
#: asked for it: the note is not worth more, and the form is no tool to fill an inbox.
NOTE_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: `user` is set only when the password was right."""

    #: "ok" | "unconfirmed" (right password, address not confirmed) | "deactivated" (right
    #: password, account deactivated) | "wrong"
    status: str
    user: User | None = None


@dataclass(frozen=True)
class Confirmation:
    """A valid confirmation link: `address` is the one it confirms for `user`."""

    user: User
    address: str

    @property
    def is_change(self) -> bool:
        return not same_email(self.address, self.user.email)

    @property
    def is_done(self) -> bool:
        return not self.is_change and self.user.email_verified_at is not None


def find_user(email: str) -> User | None:
    """The account using `email`, whatever its capitalisation."""
    return db.session.scalar(select(User).where(email_is(User.email, email)))


def register(*, name: str, email: str, password: str, practice_name: str) -> User | None:
    """A new account owning a new practice, with a confirmation link mailed.

    When the address already has an account, nothing is created (None) and its owner is told.
    """
    with without_write_lock():
        existing = find_user(email)
        # The same work whether or not the address is taken: time tells nothing.
        password_hash = passwords.hash_password(password)
    if existing is not None:
        with mail.written_for(existing) as language:
            _send(
                existing.email,
                _("Someone tried to register with your address"),
                _("Hello %(name)s,", name=existing.name),
                _("Someone just tried to create a Kneaded account with this email address. You "
                  "already have one, so nothing was changed."),
                _("If it was you, sign in instead:") + "\n"
                + mail.link(language, "accounts.login"),
                _("Forgot your password? Choose a new one here:") + "\n"
                + mail.link(language, "accounts.reset_request"),
                _("If it was not you, you can ignore this message."),
            )  # fmt: skip
        return None
    # Signing up on a page in another language than English chooses it: the account's mail
    # and pages speak it (the switch changes it).
    language = i18n.current()
    user = User(name=name, email=email, password_hash=password_hash,
                language=None if language == i18n.DEFAULT else language)  # fmt: skip
    db.session.add(user)
    tenant = practices.start_practice(user, practice_name).tenant
    audit.record("account.register", actor=user, tenant=tenant, subject=tenant)
    send_confirmation(user)
    return user


def send_confirmation(user: User, address: str | None = None) -> None:
    """Mail a link confirming `address` (default: the account's own) for `user`."""
    address = address or user.email
    token = _dump("confirm", {"u": user.id, "e": address, "c": _fingerprint(email_key(user.email))})
    days = current_app.config["EMAIL_TOKEN_MAX_AGE"] // (24 * 3600)
    # A new address is read by the account's owner: in the account's language.
    with mail.written_for(user) as language:
        if same_email(address, user.email):
            subject, intro = _("Confirm your email address"), _("Welcome to Kneaded.")
        else:
            subject = _("Confirm your new email address")
            intro = _("You asked to use this address.")
        _send(
            address,
            subject,
            _("Hello %(name)s,", name=user.name),
            intro + " " + _("Please confirm the address by opening this link:") + "\n"
            + mail.link(language, "accounts.verify", token=token),
            _("The link works for %(days)s days. If you did not ask for this, you can ignore it.",
              days=days),
        )  # fmt: skip


def read_confirmation(token: str) -> Confirmation | None:
    """The confirmation a link stands for, or None when it is forged, expired or used up.

    A link names the account's address when it was made: once the address changes, every link
    made before is dead.
    """
    data = _load("confirm", token, current_app.config["EMAIL_TOKEN_MAX_AGE"])
    user = _user(data)
    if user is None or data.get("c") != _fingerprint(email_key(user.email)):
        return None
    address = data.get("e")
    if not isinstance(address, str):
        return None
    return Confirmation(user=user, address=address)


def confirm_email(confirmation: Confirmation) -> str:
    """Apply a confirmation: "confirmed", "changed", or "taken" (the new address has an account).

    The database's unique index has the last word: a race still ends in an IntegrityError.
    """
    user = confirmation.user
    if not confirmation.is_change:
        user.email_verified_at = user.email_verified_at or now_utc()
        return "confirmed"
    if find_user(confirmation.address) is not None:
        return "taken"
    user.email = confirmation.address
    user.email_verified_at = now_utc()
    db.session.flush()
    audit.record("account.email_changed", actor=user, subject=user)
    return "changed"


def sign_in(email: str, password: str, ip: str) -> SignIn:
    """Check a password, throttled by address and IP (raises Throttled before checking).

    A right password on an unconfirmed address does not sign in: a fresh link is mailed and the
    attempt counts as a failure, which also limits how often such links go out.
    """
    key = _email_key(email)
    with without_write_lock():
        _check_throttle(key, ip)
        user = find_user(key)
        if user is None:
            passwords.verify_nothing(password)
            right, rehashed = False, None
        else:
            right = passwords.verify(user.password_hash, password)
            stale = right and passwords.needs_rehash(user.password_hash)
            rehashed = passwords.hash_password(password) if stale else None
    if not right:
        _record_attempt(key, ip, success=False)
        return SignIn("wrong")
    if rehashed:
        user.password_hash = rehashed
    if not user.is_active:
        _record_attempt(key, ip, success=False)
        return SignIn("deactivated", user)
    if user.email_verified_at is None:
        _record_attempt(key, ip, success=False)
        send_confirmation(user)
        return SignIn("unconfirmed", user)
    _record_attempt(key, ip, success=True)
    return SignIn("ok", user)


def check_code(user: User, code: str, ip: str) -> bool:
    """The second step of a sign-in: whether `code` is the user's current one.

    Throttled and counted with the passwords (raises Throttled before checking).
    """
    key = _email_key(user.email)
    _check_throttle(key, ip)
    right = totp.verify(user, code)
    _record_attempt(key, ip, success=right)
    return right


def reauthenticate(user: User, password: str, code: str, ip: str) -> bool:
    """Whether the signed-in `user` proves who they are again: the password, and the code when
    the second factor is on. Throttled and counted like a sign-in."""
    key = _email_key(user.email)
    with without_write_lock():
        _check_throttle(key, ip)
        right = passwords.verify(user.password_hash, password)
    # The code is checked only after the password, so a wrong password uses up no code.
    right = right and (not user.totp_secret or totp.verify(user, code))
    _record_attempt(key, ip, success=right)
    return right


def set_language(user: User, language: str) -> None:
    """Remember the interface language the user chose (a code of i18n.LANGUAGES)."""
    from directory.i18n import LANGUAGES

    if language not in LANGUAGES:
        raise ValueError(f"no such language: {language!r}")
    user.language = language
    db.session.flush()


def sign_out_everywhere(user: User) -> None:
    """End every session of `user` (this browser's too). Flushes."""
    ended = sessions.end_all(user)
    audit.record(
        "account.signed_out_everywhere", actor=user, subject=user, details={"sessions": ended}
    )


def change_password(user: User, current: str, new: str, ip: str) -> bool:
    """Set a new password if `current` is right (False if not); every session ends (the
    browser that asked signs in again: accounts.sessions.start)."""
    key = _email_key(user.email)
    with without_write_lock():
        _check_throttle(key, ip)
        right = passwords.verify(user.password_hash, current)
        new_hash = passwords.hash_password(new) if right else None
    _record_attempt(key, ip, success=right)
    if not right:
        return False
    _set_password(user, new_hash)
    audit.record("account.password_changed", actor=user, subject=user)
    return True


def request_password_reset(email: str, ip: str) -> None:
    """Mail a reset link if `email` has an account, else a note that no account uses it (at most
    once a day, NOTE_EVERY). Raises Throttled past the limits, whichever the address
    (_check_reset_limits).

    Every request does the same database work: the same queries, its own row stored, and one
    more row written for what it mails: the message, or, when the address had its note already,
    a count on that note's request. The page takes as long either way, so its time does not
    tell which addresses have accounts (bench/accounts.py measures it).
    """
    key = _email_key(email)
    now = now_utc()
    had_note = _check_reset_limits(key, ip, now)
    user = find_user(key)
    if user is not None:
        mailed = "link"
        _send_reset_link(user)
    elif not had_note:
        mailed = "note"
        # No account uses it: the reader of the page it was asked from (no query).
        with mail.written_for(None) as language:
            _send(
                email.strip(),
                _("No Kneaded account uses this address"),
                _("Hello,"),
                _("Someone asked to reset the password of a Kneaded account with this email "
                  "address, but no account uses it, so there is no password to reset."),
                _("If it was you, perhaps you signed up with another address. Try that one "
                  "here:") + "\n" + mail.link(language, "accounts.reset_request"),
                _("If it was not you, you can ignore this message."),
            )  # fmt: skip
    else:
        mailed = ""
        db.session.execute(
            update(ResetRequest)
            .where(_note_of(key, now))
            .values(repeats=ResetRequest.repeats + 1)
            .execution_options(synchronize_session=False)
        )
    keep = max(ATTEMPT_RETENTION, NOTE_EVERY, _reset_window())
    db.session.execute(delete(ResetRequest).where(ResetRequest.created_at < now - keep))
    db.session.add(
        ResetRequest(
            email_key=key,
            ip=sessions.connection_of(ip),
            network=sessions.network_of(ip),
            mailed=mailed,
            created_at=now,
        )
    )
    db.session.flush()


def _note_of(email_key: str, now: datetime):
    """The condition for requests that mailed `email_key` its note within NOTE_EVERY."""
    return and_(
        ResetRequest.email_key == email_key,
        ResetRequest.mailed == "note",
        ResetRequest.created_at > now - NOTE_EVERY,
    )


def _send_reset_link(user: User) -> None:
    token = _reset_token(user)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    with mail.written_for(user) as language:
        _send(
            user.email,
            _("Reset your password"),
            _("Hello %(name)s,", name=user.name),
            _("To choose a new password for your Kneaded account, open this link:") + "\n"
            + mail.link(language, "accounts.reset", token=token),
            _("The link works for %(minutes)s minutes and only once. If you did not ask for it, "
              "you can ignore this message: your password stays as it is.", minutes=minutes),
        )  # fmt: skip


def _reset_window() -> timedelta:
    return timedelta(seconds=current_app.config["RESET_THROTTLE_SECONDS"])


def _check_reset_limits(email_key: str, ip: str, now: datetime) -> bool:
    """Raise Throttled when this address, this IP or this network has had as many reset
    requests as accepted within RESET_THROTTLE_SECONDS (an hour); else whether the address was
    sent its note within NOTE_EVERY (read in the same query).

    Counted are requests, whether or not an account uses the address: a refusal tells nothing.
    An IP is an IPv4 address or an IPv6 /64, a network an IPv4 /24 or an IPv6 /48 (as the
    sign-in throttle counts them). Concurrent requests with a key in common wait for each other
    here, so the limits hold on every database.

    - 3 per address: room to ask again for a mail that went astray, twice; an account's inbox
      gets at most 3 reset links an hour, whoever asks. (An address without an account gets
      one note a day, NOTE_EVERY, however often it is asked for.)
    - 10 per IP: a household rarely forgets 10 passwords in an hour; one connection cannot
      make us mail more than 10 addresses an hour.
    - 30 per network: rotating through a block (an IPv6 /48 holds 65,536 /64s) does not
      multiply the 10; an office or a campus behind one /24 still has room.
    """
    config = current_app.config
    window = _reset_window()
    connection, network = sessions.connection_of(ip), sessions.network_of(ip)
    serialize(f"reset:{email_key}", f"reset-ip:{connection}", f"reset-network:{network}")
    recently = ResetRequest.created_at > now - window
    keys = (
        (ResetRequest.email_key == email_key, config["RESET_REQUESTS_PER_ADDRESS"]),
        (ResetRequest.ip == connection, config["RESET_REQUESTS_PER_IP"] if connection else 0),
        (ResetRequest.network == network, config["RESET_REQUESTS_PER_NETWORK"] if network else 0),
    )
    # One pass: per key, the requests within the window and the oldest of them; and the note.
    counts = db.session.execute(
        select(
            *(
                column
                for key, _ in keys
                for column in (
                    func.count().filter(recently, key),
                    func.min(ResetRequest.created_at).filter(recently, key),
                )
            ),
            func.count().filter(_note_of(email_key, now)),
        ).where(
            ResetRequest.created_at > now - max(window, NOTE_EVERY),
            or_(*(key for key, _ in keys)),
        )
    ).one()
    for n, (_key, limit) in enumerate(keys):
        count, oldest = counts[2 * n], counts[2 * n + 1]
        if limit and count >= limit:
            wait = max(60, int((oldest + window - now).total_seconds()) + 1)
            minutes = math.ceil(wait / 60)
            raise Throttled(
                ngettext(
                    "Too many password reset requests for this address or from your "
                    "connection. Please wait %(num)s minute before asking again.",
                    "Too many password reset requests for this address or from your "
                    "connection. Please wait %(num)s minutes before asking again.",
                    minutes,
                ),
                retry_after=wait,
            )
    return counts[-1] > 0


def _reset_token(user: User) -> str:
    # The hash's fingerprint makes the link single-use: a new password changes the hash.
    return _dump("reset", {"u": user.id, "p": _fingerprint(user.password_hash)})


def user_for_reset_token(token: str) -> User | None:
    """The account a reset link is for, or None when it is forged, expired or already used."""
    data = _load("reset", token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    user = _user(data)
    if user is None or data.get("p") != _fingerprint(user.password_hash):
        return None
    return user


def reset_password(user: User, new: str) -> None:
    """Set the password from a reset link; every session of the account ends."""
    with without_write_lock():
        new_hash = passwords.hash_password(new)
    _set_password(user, new_hash)
    # The link reached the inbox, which is what confirming the address proves.
    user.email_verified_at = user.email_verified_at or now_utc()
    audit.record("account.password_reset", actor=user, subject=user)


def request_email_change(user: User, password: str, new_email: str, ip: str) -> bool:
    """Mail a confirmation link to `new_email` and tell the current address (False: bad password).

    The address changes only when the new one is confirmed.
    """
    key = _email_key(user.email)
    with without_write_lock():
        _check_throttle(key, ip)
        right = passwords.verify(user.password_hash, password)
    _record_attempt(key, ip, success=right)
    if not right:
        return False
    owner = find_user(new_email)
    if owner is None:
        send_confirmation(user, new_email)
    elif owner.id != user.id:
        with mail.written_for(owner):
            _send(
                owner.email,
                _("Your address was entered on another account"),
                _("Hello %(name)s,", name=owner.name),
                _("Someone asked to move another Kneaded account to this email address. It "
                  "already belongs to your account, so nothing was changed."),
            )  # fmt: skip
    with mail.written_for(user) as language:
        _send(
            user.email,
            _("Your email address is being changed"),
            _("Hello %(name)s,", name=user.name),
            _("Someone signed in to your Kneaded account asked to change its email address to "
              "%(email)s. It changes once that address is confirmed.", email=new_email),
            _("If this was not you, choose a new password now, which signs everyone else out:")
            + "\n" + mail.link(language, "accounts.reset_request"),
        )  # fmt: skip
    return True


def _set_password(user: User, new_hash: str) -> None:
    user.password_hash = new_hash
    sessions.end_all(user)
    with mail.written_for(user) as language:
        _send(
            user.email,
            _("Your password was changed"),
            _("Hello %(name)s,", name=user.name),
            _("The password of your Kneaded account was just changed, and every device signed "
              "in with the old one was signed out."),
            _("If this was not you, choose a new password now:") + "\n"
            + mail.link(language, "accounts.reset_request"),
        )  # fmt: skip


def _email_key(email: str) -> str:
    # Cut to the throttle columns' length (a form refuses longer addresses anyway).
    return email_key(email)[:254]


def _check_throttle(email_key: str, ip: str) -> None:
    """Raise Throttled when one more attempt at this address from this IP would be too many.

    Failures are counted within LOGIN_THROTTLE_SECONDS (15 minutes) unless said. An IP is an
    IPv4 address or an IPv6 /64 (sessions.connection_of: one subscriber), a network an IPv4 /24
    or an IPv6 /48 (sessions.network_of: one provider's block, one site), a known network one
    the account has a sign-in from (sessions.networks_of). Never by address alone: then a
    stranger's failures would lock the owner out from everywhere.

    - 5 failures on one address from one IP: room for a person's typos, and at most 5 guesses
      at an account per IP.
    - 20 failures from one IP, whatever the addresses: one connection trying many accounts
      stops there; people sharing one address rarely mistype 20 times in 15 minutes.
    - 50 failures on one address from everywhere (ten IPs' worth of typos: an attack): from
      then on each network gets one try at it, not each IP, so rotating through a block (an
      IPv6 /48 holds 65,536 /64s) does not multiply the tries. A known network keeps 5 for
      the whole network: the owner at home who mistypes once tries again.
    - 100 failures on one address from networks its account has no sign-in from, within
      LOGIN_CEILING_SECONDS (a day): from then on only known networks get tries. However many
      networks a stranger has (a botnet), guesses at one account stop at 100 a day, against
      passwords of at least 12 characters that are not common ones (accounts.passwords). The
      owner at home or at work (a device still signed in there) signs in as before; from a new
      network they wait. Nothing locks the account everywhere: that would be the stranger's
      to set.

    An address without an account has no known networks: it is throttled like an account
    strangers attack, so the answers tell nothing to anyone outside the owner's networks.
    """
    config = current_app.config
    now = now_utc()
    since = now - timedelta(seconds=config["LOGIN_THROTTLE_SECONDS"])
    ceiling_since = now - timedelta(seconds=config["LOGIN_CEILING_SECONDS"])
    connection = sessions.connection_of(ip)
    network = sessions.network_of(ip)
    failed = (LoginAttempt.success.is_(False),)

    here = per_ip = recent = from_network = from_strangers = 0
    if email_key:
        recently = LoginAttempt.created_at >= since
        # One pass over the address's failures: the counts the rules below compare.
        here, recent, from_network, from_strangers = db.session.execute(
            select(
                func.count().filter(recently, LoginAttempt.ip == connection),
                func.count().filter(recently),
                func.count().filter(recently, LoginAttempt.network == network),
                func.count().filter(
                    LoginAttempt.created_at >= ceiling_since,
                    LoginAttempt.network.not_in(sessions.networks_of(email_key)),
                ),
            ).where(
                LoginAttempt.email_key == email_key,
                LoginAttempt.created_at >= min(since, ceiling_since),
                *failed,
            )
        ).one()
    if connection:
        per_ip = db.session.scalar(
            select(func.count()).where(
                LoginAttempt.ip == connection, LoginAttempt.created_at >= since, *failed
            )
        )
    refused = here >= config["LOGIN_FAILURES_PER_ACCOUNT_AND_IP"] or (
        per_ip >= config["LOGIN_FAILURES_PER_IP"]
    )
    under_attack = recent >= config["LOGIN_FAILURES_UNDER_ATTACK"]
    at_ceiling = from_strangers >= config["LOGIN_FAILURES_CEILING"]
    if not refused and (under_attack or at_ceiling):
        known = bool(network) and db.session.scalar(
            select(
                sessions.networks_of(email_key)
                .where(sessions.UserSession.network == network)
                .exists()
            )
        )
        if known:
            refused = from_network >= config["LOGIN_FAILURES_PER_ACCOUNT_AND_IP"]
        else:
            refused = at_ceiling or from_network >= 1
    if refused:
        seconds = config["LOGIN_THROTTLE_SECONDS"]
        minutes = max(1, seconds // 60)
        raise Throttled(
            ngettext(
                "Too many failed sign-in attempts. For your security, please wait %(num)s "
                "minute before trying again, or reset your password.",
                "Too many failed sign-in attempts. For your security, please wait %(num)s "
                "minutes before trying again, or reset your password.",
                minutes,
            ),
            retry_after=seconds,
        )


def _record_attempt(email_key: str, ip: str, *, success: bool) -> None:
    now = now_utc()
    config = current_app.config
    keep = max(
        ATTEMPT_RETENTION,
        timedelta(seconds=config["LOGIN_THROTTLE_SECONDS"]),
        timedelta(seconds=config["LOGIN_CEILING_SECONDS"]),
    )
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < now - keep))
    attempt = LoginAttempt(
        email_key=email_key,
        ip=sessions.connection_of(ip),
        network=sessions.network_of(ip),
        success=success,
        created_at=now,
    )
    db.session.add(attempt)
    db.session.flush()


def _send(to: str, subject: str, *paragraphs: str) -> None:
    mail.letter(to, subject, *paragraphs)


def _fingerprint(value: str) -> str:
    # Tokens are signed, not encrypted: they carry a digest of the password hash, not the hash.
    return hashlib.sha256(value.encode()).hexdigest()[:20]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"accounts.{purpose}")


def _dump(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def _load(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    if len(token) > 1000:
        return {}
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except BadData:
        return {}
    return data if isinstance(data, dict) else {}


def _user(data: dict[str, Any]) -> User | None:
    uid = data.get("u")
    if not is_row_id(uid):
        return None
    return db.session.get(User, uid)


def deactivate(user: User, *, actor_label: str, reason: str) -> None:
    """Stop `user` from signing in: every session ends now. Their practices and profiles stay
    as they are (a practice's owners decide about those). Flushes."""
    if not user.is_active:
        raise Refused(_("%(email)s is deactivated already.", email=user.email))
    user.deactivated_at = now_utc()
    ended = sessions.end_all(user)
    audit.record(
        "account.deactivated",
        actor_label=actor_label,
        subject=user,
        details={"reason": reason, "sessions_ended": ended},
    )


def reactivate(user: User, *, actor_label: str, reason: str) -> None:
    """Let a deactivated `user` sign in again (with their password, as before). Flushes."""
    if user.is_active:
        raise Refused(_("%(email)s is not deactivated.", email=user.email))
    user.deactivated_at = None
    db.session.flush()
    audit.record(
        "account.reactivated", actor_label=actor_label, subject=user, details={"reason": reason}
    )
