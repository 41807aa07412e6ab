"""Users: people who sign in (therapists, practice staff, platform admins)."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.db import UTCDateTime, db, now_utc, one_of


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        # One account per address whatever its capitalisation, enforced by the database.
        Index("uq_user_email_lower", text("lower(email)"), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Bumped whenever every session ends (accounts.sessions.end_all): a password accepted
    #: before, still waiting for its second step, no longer completes a sign-in.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Base32 secret of the user's authenticator app (TOTP); None when the second factor is off.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: The last 30-second TOTP step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: Set by a platform operator (`flask users deactivate`): the account cannot sign in.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The interface language the user chose with the switch ("en", "es"; None: not chosen).
    language: Mapped[str | None] = mapped_column(String(8))

    #: The cookie's user id of the sign-in this object was loaded for (accounts.sessions): not
    #: a column; one user has a sign-in per device.
    session_key = None

    memberships: Mapped[list["Membership"]] = relationship(  # noqa: F821
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None

    def get_id(self) -> str:
        if self.session_key is None:
            raise RuntimeError("sign in through accounts.sessions.start() first")
        return self.session_key

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class LoginAttempt(db.Model):
    """One password check at sign-in; failures within a window throttle further attempts."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_key_created_at", "email_key", "created_at"),
        Index("ix_login_attempt_ip_created_at", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    #: The address as typed, lowercased: unknown addresses are throttled like known ones.
    email_key: Mapped[str] = mapped_column(String(254), default="")
    #: The client as the throttle counts it: an IPv4 address, an IPv6 /64
    #: (accounts.sessions.connection_of).
    ip: Mapped[str] = mapped_column(String(64), default="")
    #: The network around it: an IPv4 /24, an IPv6 /48, as sign-in records name networks
    #: (accounts.sessions.network_of); "" for what is not an address.
    network: Mapped[str] = mapped_column(String(64), default="", server_default="")
    success: Mapped[bool] = mapped_column(Boolean, default=False)


#: What a password-reset request mailed: a reset link (the address has an account), a note that
#: no account uses the address, or nothing (the address had its note within the day).
MAILED = ("link", "note", "")


class ResetRequest(db.Model):
    """One accepted password-reset request: the limits per address and per network count
    these (every worker reads them here), and an address without an account is sent its note
    at most once a day."""

    __tablename__ = "reset_request"
    __table_args__ = (
        one_of("mailed", MAILED),
        Index("ix_reset_request_email_key_created_at", "email_key", "created_at"),
        Index("ix_reset_request_ip_created_at", "ip", "created_at"),
        Index("ix_reset_request_network_created_at", "network", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    #: The address as typed, lowercased, whether or not an account uses it.
    email_key: Mapped[str] = mapped_column(String(254), default="")
    #: An IPv4 address or an IPv6 /64, and its IPv4 /24 or IPv6 /48 (as in LoginAttempt).
    ip: Mapped[str] = mapped_column(String(64), default="")
    network: Mapped[str] = mapped_column(String(64), default="")
    #: What went to the address (MAILED).
    mailed: Mapped[str] = mapped_column(String(8), default="")
    #: Requests for a note's address within the day that mailed nothing (the write they make
    #: instead of storing a message, so they take as long as a request that mails).
    repeats: Mapped[int] = mapped_column(Integer, default=0)
