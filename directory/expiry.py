"""The daily license job: which licenses expired or expire soon, and reminding the people who
can renew them. Nothing here changes a badge: expiry is derived from `expires_on` on every read
(licensing.status); this only tells people, once per license, kind and expiry date."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from directory import licensing, locales, mail
from directory.accounts.models import User
from directory.admin import operations as admin_ops
from directory.db import db, writing
from directory.practices import operations as practices
from directory.practices.models import Tenant
from directory.practitioners.models import License, LicenseNotice, Practitioner

#: An expired license is reminded about only while its expiry is this recent: the first run
#: must not mail about licenses that lapsed years ago (their holders have long moved on).
REMIND_EXPIRED_FOR_DAYS = 60
#: Fits LicenseNotice.sent_to.
_SENT_TO_LENGTH = 1000


@dataclass(frozen=True)
class Entry:
    """One license in a report, with what a line and a letter need (no ORM objects, so the
    reminders can commit one by one without reloading anything)."""

    license_id: int
    state: str
    number: str
    expires_on: date
    #: As stored: verified or pending (rejected licenses are never in a report).
    status: str
    #: expired (expires_on before the report's day) or expiring (within the window).
    kind: str
    slug: str
    name: str
    tenant_id: int
    tenant_name: str
    #: The therapist's own account, when the profile has one.
    user_email: str | None

    def line(self, number_width: int = 0) -> str:
        """`EXPIRED  NJ 18KT01515000  2026-10-01  alexa-marie (The Crafted Hand)`."""
        text = (
            f"{self.kind.upper():<8} {self.state} {self.number:<{number_width}}  "
            f"{self.expires_on.isoformat()}  {self.slug} ({self.tenant_name})"
        )
        return text + ("  pending" if self.status == "pending" else "")


@dataclass(frozen=True)
class Report:
    today: date
    window_days: int
    #: Ordered by expiry date, then state.
    entries: tuple[Entry, ...]

    @property
    def expired(self) -> list[Entry]:
        return [e for e in self.entries if e.kind == "expired"]

    @property
    def expiring(self) -> list[Entry]:
        return [e for e in self.entries if e.kind == "expiring"]

    def lines(self) -> list[str]:
        """One aligned line per license."""
        width = max((len(e.number) for e in self.entries), default=0)
        return [e.line(width) for e in self.entries]


@dataclass(frozen=True)
class Reminder:
    entry: Entry
    #: The therapist's account, else the practice's owners and managers; empty when nobody.
    recipients: tuple[str, ...]
    already_sent: bool


def scan(today: date, window_days: int = 30) -> Report:
    """Licenses already expired, and expiring within `window_days`, as of `today`.

    Verified and pending licenses both count (a pending one still keeps the offices in its
    state listed, and its holder should renew it either way); rejected ones never list anything
    and are left out, as are profiles of deleted practices. Unpublished and suspended profiles
    are included: their therapists will want a current license when they come back.
    """
    last = today + timedelta(days=window_days)
    rows = db.session.execute(
        select(
            License.id,
            License.state,
            License.number,
            License.expires_on,
            License.status,
            Practitioner.slug,
            Practitioner.name,
            Tenant.id,
            Tenant.name,
            User.email,
        )
        .join(Practitioner, License.practitioner_id == Practitioner.id)
        .join(Tenant, Practitioner.tenant_id == Tenant.id)
        .outerjoin(User, Practitioner.user_id == User.id)
        .where(
            License.expires_on <= last,
            License.status != "rejected",
            Tenant.status != "deleted",
        )
        .order_by(License.expires_on, License.state, License.id)
    )
    entries = tuple(
        Entry(
            license_id=row[0],
            state=row[1],
            number=row[2],
            expires_on=row[3],
            status=row[4],
            kind="expired" if row[3] < today else "expiring",
            slug=row[5],
            name=row[6],
            tenant_id=row[7],
            tenant_name=row[8],
            user_email=row[9],
        )
        for row in rows
    )
    return Report(today=today, window_days=window_days, entries=entries)


def due(report: Report, today: date) -> list[Reminder]:
    """The reminders a report calls for: every expiring license, and the expired ones whose
    expiry is at most REMIND_EXPIRED_FOR_DAYS old; each with its recipients and whether it was
    already sent (a reminder is sent once per license, kind and expiry date)."""
    oldest = today - timedelta(days=REMIND_EXPIRED_FOR_DAYS)
    entries = [e for e in report.entries if e.kind == "expiring" or e.expires_on >= oldest]
    if not entries:
        return []
    # A notice matches an entry only on its own expiry date, so the date range finds them all.
    rows = db.session.execute(
        select(LicenseNotice.license_id, LicenseNotice.kind, LicenseNotice.expires_on).where(
            LicenseNotice.expires_on.between(
                min(e.expires_on for e in entries), max(e.expires_on for e in entries)
            )
        )
    )
    sent = {tuple(row) for row in rows}
    managers = practices.managers_emails({e.tenant_id for e in entries if e.user_email is None})
    return [
        Reminder(
            entry=e,
            recipients=(e.user_email,) if e.user_email else managers.get(e.tenant_id, ()),
            already_sent=(e.license_id, e.kind, e.expires_on) in sent,
        )
        for e in entries
    ]


def send(reminders: Sequence[Reminder], progress: Callable[[int], None] | None = None) -> int:
    """Mail the reminders not sent before; returns how many were sent.

    Each reminder is its own transaction: its LicenseNotice and its letters commit together,
    so a crash loses nothing already sent and sends nothing twice. Two runs at once are safe:
    the notice's unique constraint lets one of them through and the other skips it. Call it
    with no unsaved changes in the session (it commits). `progress` gets the count done.
    """
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("send() commits: call it with no unsaved changes")
    db.session.rollback()  # end the read transaction: each reminder begins its own, as a writer
    sent = 0
    with writing():
        fresh = [r for r in reminders if r.recipients and not r.already_sent]
        for done, reminder in enumerate(fresh, 1):
            sent += _send_one(reminder)
            if progress:
                progress(done)
    return sent


def remind(report: Report, today: date) -> int:
    """Mail every reminder the report calls for that was not sent before; returns how many."""
    return send(due(report, today))


def _send_one(reminder: Reminder) -> bool:
    entry = reminder.entry
    db.session.add(
        LicenseNotice(
            license_id=entry.license_id,
            kind=entry.kind,
            expires_on=entry.expires_on,
            sent_to=_joined(reminder.recipients),
        )
    )
    try:
        db.session.flush()
    except IntegrityError:
        # Another run sent it since `due` looked (or the license was deleted meanwhile).
        db.session.rollback()
        return False
    for address in reminder.recipients:
        # Each reader in their own language.
        with mail.written_for(address) as language:
            subject, paragraphs = _letter(entry, language)
            mail.letter(address, subject, *paragraphs)
    db.session.commit()
    return True


def _joined(addresses: Sequence[str]) -> str:
    text = ", ".join(addresses)
    if len(text) <= _SENT_TO_LENGTH:
        return text
    return text[: _SENT_TO_LENGTH - 4].rsplit(", ", 1)[0] + ", ..."


def _letter(entry: Entry, language: str) -> tuple[str, list[str]]:
    """The reminder's subject and paragraphs, in the reader's `language` (within
    mail.written_for: gettext and the dates speak it)."""
    state_rule = licensing.rule(entry.state)
    state_name = state_rule.name if state_rule else entry.state
    when = locales.long_date(entry.expires_on)
    day_after = locales.long_date(entry.expires_on + timedelta(days=1))
    which = {"state_name": state_name, "number": entry.number, "name": entry.name,
             "practice": entry.tenant_name, "day": when}  # fmt: skip
    listed = _("An office in %(state)s is listed only while a current %(state)s license is on "
               "file.", state=state_name)  # fmt: skip
    if entry.kind == "expiring":
        subject = _("%(name)s: %(state)s license %(number)s expires on %(day)s",
                    name=entry.name, state=entry.state, number=entry.number, day=when)  # fmt: skip
        opening = _("The %(state_name)s license %(number)s on the profile of %(name)s "
                    "(%(practice)s) expires on %(day)s.", **which)  # fmt: skip
        if entry.status == "verified":
            effect = _("On %(day)s the verified badge disappears from the profile and from "
                       "search results by itself.", day=day_after)  # fmt: skip
        else:
            effect = _("It has not been verified yet, so it earns no badge; from %(day)s it no "
                       "longer counts at all.", day=day_after)  # fmt: skip
    else:
        subject = _("%(name)s: %(state)s license %(number)s expired on %(day)s",
                    name=entry.name, state=entry.state, number=entry.number, day=when)  # fmt: skip
        opening = _("The %(state_name)s license %(number)s on the profile of %(name)s "
                    "(%(practice)s) expired on %(day)s.", **which)  # fmt: skip
        if entry.status == "verified":
            effect = _("The verified badge has disappeared from the profile and from search "
                       "results.")  # fmt: skip
        else:
            effect = _("It had not been verified yet, and now it no longer counts.")
    paragraphs = [
        _("Hello,"),
        opening,
        effect + " " + listed,
        _("If the license was renewed, enter its new expiry date (and number, if it changed) on "
          "the profile's license page:") + "\n"
        + mail.link(language, "editor.licenses", slug=entry.slug),
        _("A changed license goes back to pending verification until we have checked it with "
          "the state board; the verified badge shows again once it is verified."),
    ]  # fmt: skip
    return subject, paragraphs


licenses_cli = AppGroup("licenses", help="Licenses: the daily expiry report and reminders.")


@licenses_cli.command("expire")
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(0, 366),
    help="Report and remind licenses expiring within this many days.",
)
@click.option("--dry-run", is_flag=True, help="Report only: mail nothing, record nothing.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Judge as of this day (YYYY-MM-DD) instead of today (UTC).",
)
def expire(days: int, dry_run: bool, today) -> None:
    """Report expired and expiring licenses and remind the people who can renew them."""
    on = today.date() if today else licensing.today()
    report = scan(on, days)
    click.echo(
        f"{len(report.expired)} expired, {len(report.expiring)} expiring within "
        f"{days} day{'' if days == 1 else 's'} (as of {on.isoformat()})"
    )
    for line in report.lines():
        click.echo(line)
    reminders = due(report, on)
    already = sum(r.already_sent for r in reminders)
    nobody = [r for r in reminders if not r.recipients and not r.already_sent]
    fresh = len(reminders) - already - len(nobody)
    click.echo()
    if dry_run:
        click.echo(f"Dry run: {fresh} reminder(s) would be sent ({already} already sent earlier).")
    else:
        sent = send(reminders, progress=_progress(fresh))
        # A reminder another run sent meanwhile was sent earlier, as far as this run goes.
        click.echo(f"Reminders sent: {sent} ({already + fresh - sent} already sent earlier)")
    if nobody:
        names = sorted({r.entry.slug for r in nobody})
        slugs = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        click.echo(
            f"No one to remind for {len(nobody)} license(s) (no account on the profile, no owner "
            f"or manager in the practice): {slugs}"
        )
    rechecks = admin_ops.recheck_count(on)
    click.echo(
        f"{rechecks} license{'' if rechecks == 1 else 's'} due for a re-check on the board's "
        "lookup page (states without a synced roster): /admin/rechecks"
    )
    expired_long_ago = len(report.expired) - sum(r.entry.kind == "expired" for r in reminders)
    if expired_long_ago:
        click.echo(
            f"{expired_long_ago} license(s) expired more than {REMIND_EXPIRED_FOR_DAYS} days ago "
            "are listed but not reminded."
        )


def _progress(total: int) -> Callable[[int], None] | None:
    if total <= 1000:
        return None

    def report(done: int) -> None:
        if done % 1000 == 0 or done == total:
            click.echo(f"{done} of {total} reminders done...", err=True)

    return report
