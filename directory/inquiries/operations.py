"""What inquiries do: a client writes to a profile or a practice, the recipients handle it in
their inbox, the client may withdraw it, and its text is deleted after the retention period.

Plain functions that add to the session and flush, never commit: the view commits once, and the
mail goes after the commit. The text of a message is never logged, indexed or audited: the
audit log says that a message was sent and to whom.
"""

import hashlib
import hmac
import math
import re
import secrets
import statistics
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from directory import audit, i18n, locales, mail, validation
from directory.accounts import sessions
from directory.db import db, now_utc, serialize
from directory.inquiries.models import Inquiry, InquiryAttempt, SenderBlock
from directory.locales import ngettext
from directory.mail import MailMessage
from directory.paging import PER_PAGE, Page, page_of
from directory.practices import operations as practices
from directory.practices.models import Membership, Tenant
from directory.practitioners.models import Practitioner
from directory.refusals import Refused, Throttled
from directory.vocabulary import Condition

#: Attempts are kept this long (longer than any limit's window).
ATTEMPT_RETENTION = timedelta(days=1)
#: What a stored mail says once the inquiry text it carried is gone.
REMOVED = "[This message's text was deleted: {why}.]"
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|ru|cn|info|biz|xyz|top)/\S*",
                   re.IGNORECASE)  # fmt: skip
FOLDERS = ("inbox", "archived", "spam")
#: The inbox's marks: action -> (column, value it sets: "now" or None).
MARKS = {
    "replied": ("replied_at", "now"),
    "unreplied": ("replied_at", None),
    "archived": ("archived_at", "now"),
    "inbox": ("archived_at", None),
    "spam": ("spam_at", "now"),
    "not_spam": ("spam_at", None),
}


@dataclass(frozen=True)
class Recipient:
    """Who a message is for: a profile (its therapist, or its practice's managers when the
    profile has no account) or a practice as a whole (its owners and managers)."""

    tenant: Tenant
    practitioner: Practitioner | None = None

    @property
    def key(self) -> str:
        if self.practitioner is not None:
            return f"p:{self.practitioner.id}"
        return f"t:{self.tenant.id}"

    @property
    def name(self) -> str:
        return self.practitioner.name if self.practitioner is not None else self.tenant.name

    @property
    def receivers(self) -> str:
        """Who reads it, as the consent line names them."""
        p = self.practitioner
        managers = _("the owners and managers of %(practice)s", practice=self.tenant.name)
        if p is not None and p.user_id is not None:
            return _("%(name)s, and %(managers)s", name=p.name, managers=managers)
        if p is not None:
            return _("%(managers)s, who answer for %(name)s", managers=managers, name=p.name)
        return managers

    @property
    def reachable(self) -> bool:
        """Whether anyone can receive its messages (a practice imported without members
        cannot: its form is not offered)."""
        return bool(self.addresses())

    def addresses(self) -> list[str]:
        if self.practitioner is not None:
            return practices.people_to_tell(self.practitioner)
        return list(practices.managers_emails([self.tenant.id]).get(self.tenant.id, ()))


@dataclass(frozen=True)
class Draft:
    """What the client typed (already validated by the form)."""

    name: str
    email: str
    message: str
    phone: str = ""
    preferred_contact: str = "email"
    condition: Condition | None = None


@dataclass(frozen=True)
class Sent:
    """A message that was accepted: `inquiry` is None when it was dropped without a word (the
    honeypot was filled in, or the recipient blocked the sender); `token` opens the client's
    page."""

    inquiry: Inquiry | None
    token: str = ""


def links_in(text: str) -> int:
    return len(_LINK.findall(text))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _keyed(kind: str, value: str) -> str:
    # Keyed, so the table holds no address anyone could read back or look up.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"inquiry-{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _ip_key(ip: str) -> str:
    """An IPv4 address, or an IPv6 address's /64 (one subscriber's whole allocation)."""
    return _keyed("ip", sessions.network_of(ip, v4=32, v6=64) or ip)


def _sender_key(email: str) -> str:
    return _keyed("sender", validation.email_key(email))


def _retention() -> timedelta:
    return timedelta(days=current_app.config["INQUIRY_RETENTION_DAYS"])


def check_limits(recipient: Recipient, ip: str, sender: str, now: datetime | None = None) -> None:
    """Raise Throttled when this connection, this recipient or this sender's address had as
    many messages as the limits allow within the window. Concurrent posts with a key in
    common wait for each other here, so the limits hold on every database."""
    config = current_app.config
    now = now or now_utc()
    window = timedelta(seconds=config["INQUIRY_LIMIT_SECONDS"])
    keys = (_ip_key(ip), recipient.key, _sender_key(sender))
    serialize(*(f"inquiry-limit:{key}" for key in keys))
    recent = select(func.count(), func.min(InquiryAttempt.created_at)).where(
        InquiryAttempt.created_at > now - window
    )
    checks = (
        (InquiryAttempt.ip_key == keys[0], config["INQUIRY_LIMIT_PER_IP"],
         _("You have sent as many messages as we accept from one connection in an hour.")),
        (InquiryAttempt.recipient == keys[1], config["INQUIRY_LIMIT_PER_RECIPIENT"],
         _("%(name)s has had as many messages as we pass on in an hour.",
           name=recipient.name)),
        (InquiryAttempt.sender_key == keys[2], config["INQUIRY_LIMIT_PER_SENDER"],
         _("This email address has sent as many messages as we accept in an hour.")),
    )  # fmt: skip
    for condition, limit, why in checks:
        count, oldest = db.session.execute(recent.where(condition)).one()
        if count >= limit:
            wait = max(60, int((oldest + window - now).total_seconds()) + 1)
            minutes = math.ceil(wait / 60)
            raise Throttled(
                ngettext(
                    "%(why)s Your message is not sent yet and is still below: please send it "
                    "again in %(num)s minute.",
                    "%(why)s Your message is not sent yet and is still below: please send it "
                    "again in %(num)s minutes.",
                    minutes,
                    why=why,
                ),
                retry_after=wait,
            )


def count_post(recipient, ip: str, sender: str) -> None:
    """The inquiry form's limits on another form anyone may post (a removal request without
    an account): Throttled past them, else this post is counted. `recipient` has a `key`
    (24 characters at most) and a `name`."""
    now = now_utc()
    check_limits(recipient, ip, sender, now)
    _record_attempt(recipient, ip, sender, now)


def _record_attempt(recipient: Recipient | None, ip: str, sender: str, now: datetime) -> None:
    """Count a post: against its connection and sender always, against its recipient only
    when it was passed on (dropped posts must not close a therapist's form)."""
    db.session.execute(
        delete(InquiryAttempt).where(InquiryAttempt.created_at < now - ATTEMPT_RETENTION)
    )
    db.session.add(
        InquiryAttempt(
            ip_key=_ip_key(ip),
            recipient=recipient.key if recipient is not None else "",
            sender_key=_sender_key(sender),
            created_at=now,
        )
    )
    db.session.flush()


def _blocks(tenant_id: int, practitioner_id: int | None, email: str) -> Select:
    """Blocks of this address for a recipient: its profile's own, or its whole practice's."""
    for_whom = SenderBlock.practitioner_id.is_(None)
    if practitioner_id is not None:
        for_whom = or_(for_whom, SenderBlock.practitioner_id == practitioner_id)
    return select(SenderBlock).where(
        SenderBlock.tenant_id == tenant_id,
        SenderBlock.email_key == validation.email_key(email),
        for_whom,
    )


def is_blocked(recipient: Recipient, email: str) -> bool:
    """Whether the recipient (or, for a profile, its practice) blocked this address."""
    profile_id = recipient.practitioner.id if recipient.practitioner else None
    return db.session.scalar(_blocks(recipient.tenant.id, profile_id, email).limit(1)) is not None


def send(
    recipient: Recipient,
    draft: Draft,
    *,
    ip: str,
    seconds_on_form: float | None,
    honeypot: str = "",
) -> Sent:
    """Store a client's message and mail it to the recipient (Reply-To: the client) and a
    confirmation to the client. Refused (nothing kept) when it came faster than a person
    types, carries too many links, or exceeds the limits; silently dropped (but counted)
    when the honeypot was filled in or the sender is blocked."""
    config = current_app.config
    if seconds_on_form is None:
        raise Refused(
            _(
                "This form was open too long, or did not come from our page. Please check your "
                "message below and send it again."
            )
        )
    if seconds_on_form < config["INQUIRY_MIN_SECONDS"]:
        raise Refused(
            _(
                "That was sent faster than anyone can type. Please check your message below and "
                "send it again."
            )
        )
    if links_in(draft.message) > config["INQUIRY_MAX_LINKS"]:
        raise Refused(
            _(
                "Please include at most %(most)s links in your message.",
                most=locales.number(config["INQUIRY_MAX_LINKS"]),
            )
        )
    addresses = recipient.addresses()
    if not addresses:
        raise Refused(
            _("%(name)s cannot receive messages through Kneaded yet.", name=recipient.name)
        )
    if links_in(draft.name):
        raise Refused(_("Please write your name without a web address."))
    now = now_utc()
    check_limits(recipient, ip, draft.email, now)
    if honeypot or is_blocked(recipient, draft.email):
        _record_attempt(None, ip, draft.email, now)
        return Sent(None)
    _record_attempt(recipient, ip, draft.email, now)

    token = secrets.token_urlsafe(32)
    inquiry = Inquiry(
        tenant_id=recipient.tenant.id,
        practitioner_id=recipient.practitioner.id if recipient.practitioner else None,
        recipient_user_id=recipient.practitioner.user_id if recipient.practitioner else None,
        token_hash=_hash(token),
        sender_name=draft.name,
        sender_email=draft.email,
        sender_phone=draft.phone,
        preferred_contact=draft.preferred_contact,
        condition_id=draft.condition.id if draft.condition else None,
        body=draft.message,
        created_at=now,
    )
    db.session.add(inquiry)
    db.session.flush()
    for address in addresses:
        _mail_recipient(address, recipient, inquiry, draft)
    _mail_client(recipient, inquiry, draft, token)
    audit.record(
        "inquiry.received",
        actor_label="visitor",
        tenant=recipient.tenant,
        subject=inquiry,
        details={"to": recipient.name, "mailed_to": len(addresses)},
    )
    return Sent(inquiry, token)


def _mail_recipient(address: str, recipient: Recipient, inquiry: Inquiry, draft: Draft) -> None:
    """The therapist's (or manager's) notice, in their language."""
    with mail.written_for(address) as language:
        if recipient.practitioner:
            wrote = _(
                "%(sender)s wrote to you through your profile (%(name)s) on Kneaded.",
                sender=draft.name,
                name=recipient.name,
            )
        else:
            wrote = _(
                "%(sender)s wrote to you through your practice page on Kneaded.", sender=draft.name
            )
        facts = [_("From: %(name)s <%(email)s>", name=draft.name, email=draft.email)]
        if draft.phone:
            facts.append(_("Phone: %(phone)s", phone=draft.phone))
        if draft.preferred_contact == "phone":
            facts.append(_("Prefers to be contacted by phone."))
        else:
            facts.append(_("Prefers to be contacted by email."))
        if draft.condition:
            facts.append(_("About: %(need)s", need=locales.term_name(draft.condition.slug)))
        days = current_app.config["INQUIRY_RETENTION_DAYS"]
        mail.letter(
            address,
            _("New message from %(name)s", name=draft.name),
            wrote,
            "\n".join(facts),
            f"---\n{draft.message}\n---",
            _(
                "Reply to this email to answer %(name)s directly: your reply goes to %(email)s, "
                "not to us.",
                name=draft.name,
                email=draft.email,
            ),
            _("Mark it replied, archive it or block the sender in your inbox:")
            + "\n"
            + mail.link(language, "inbox.show", inquiry_id=inquiry.id),
            _(
                "This is health information: please keep it private. We delete its text %(days)s "
                "days after it was sent, or as soon as the sender withdraws it.",
                days=days,
            ),
            reply_to=draft.email,
            inquiry=inquiry,
        )


def _mail_client(recipient: Recipient, inquiry: Inquiry, draft: Draft, token: str) -> None:
    days = current_app.config["INQUIRY_RETENTION_DAYS"]
    # The client's mail is in the language of the page they wrote from.
    if draft.preferred_contact == "phone":
        answer = _("They will answer you by phone.")
    else:
        answer = _("They will answer you at %(email)s.", email=draft.email)
    mail.letter(
        draft.email,
        _("Your message to %(name)s", name=recipient.name),
        _("Hello,"),
        _("We passed your message to %(receivers)s.", receivers=recipient.receivers) + " " + answer,
        _("Read your message, or withdraw it (this deletes it from our records at once):")
        + "\n"
        + i18n.to_language(mail.public_url("inquiries.mine", key=token), i18n.current()),
        _(
            "We delete the text of your message %(days)s days after you sent it. If you did not "
            "write to them, someone used your address: withdraw it with the link above.",
            days=days,
        ),
        # Its link opens the message: emptied with it (withdrawn, deleted, past retention).
        inquiry=inquiry,
    )


def _empty_copies(inquiry_ids, why: str) -> None:
    """Empty the stored mails that carried these inquiries' text."""
    db.session.execute(
        update(MailMessage)
        .where(MailMessage.inquiry_id.in_(inquiry_ids))
        .values(body=REMOVED.format(why=why)),
        execution_options={"synchronize_session": False},
    )


def _forget_text(inquiry: Inquiry) -> None:
    inquiry.body = None
    inquiry.sender_phone = ""
    inquiry.condition_id = None


def for_token(token: str) -> Inquiry | None:
    """The inquiry a client's link opens, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Inquiry).where(Inquiry.token_hash == _hash(token)))


def withdraw(inquiry: Inquiry) -> None:
    """The client takes their message back: its text, phone and topic are deleted now, here and
    in the stored mail; the recipients are told (without the text)."""
    if inquiry.withdrawn_at is not None:
        return
    _forget_text(inquiry)
    inquiry.withdrawn_at = now_utc()
    _empty_copies([inquiry.id], "the sender withdrew it")
    recipient = Recipient(inquiry.tenant, inquiry.practitioner)
    for address in recipient.addresses():
        with mail.written_for(address):
            mail.letter(
                address,
                _("%(name)s withdrew their message", name=inquiry.sender_name),
                _(
                    "%(name)s withdrew the message they sent to %(recipient)s on %(day)s. We "
                    "deleted its text; please delete the email that carried it too.",
                    name=inquiry.sender_name,
                    recipient=inquiry.recipient_name,
                    day=locales.long_date(inquiry.created_at),
                ),
            )
    audit.record("inquiry.withdrawn", actor_label="visitor", tenant=inquiry.tenant, subject=inquiry)
    db.session.flush()


def mark(inquiry: Inquiry, action: str, actor) -> None:
    """Set one of the inbox's marks (MARKS); reporting spam is audited."""
    if action not in MARKS:
        raise Refused(_("Choose what to do with this message."))
    column, value = MARKS[action]
    now = now_utc()
    setattr(inquiry, column, now if value == "now" else None)
    if action == "replied" and inquiry.read_at is None:
        inquiry.read_at = now
    if action in ("spam", "not_spam"):
        audit.record(
            "inquiry.reported_spam" if action == "spam" else "inquiry.not_spam",
            actor=actor,
            tenant=inquiry.tenant,
            subject=inquiry,
        )
    db.session.flush()


def reads_it_first(inquiry: Inquiry, user) -> bool:
    """Whether `user` opening it makes it read: the therapist it was written to, or (for a
    message to the practice, or to a profile without an account) any of its managers. A
    manager looking at a therapist's message leaves it new for the therapist."""
    return inquiry.read_at is None and inquiry.recipient_user_id in (None, user.id)


def mark_read(inquiry: Inquiry) -> None:
    """Note that its recipient opened it (the first time only)."""
    db.session.execute(
        update(Inquiry)
        .where(Inquiry.id == inquiry.id, Inquiry.read_at.is_(None))
        .values(read_at=now_utc())
    )


def remove(inquiry: Inquiry, actor) -> None:
    """Delete the inquiry for good, and its text in the stored mail."""
    _empty_copies([inquiry.id], "the recipient deleted it")
    audit.record("inquiry.deleted", actor=actor, tenant=inquiry.tenant, subject=inquiry)
    db.session.delete(inquiry)
    db.session.flush()


def block_of(inquiry: Inquiry) -> SenderBlock | None:
    """The block that stops this inquiry's sender from writing to its recipient, if any."""
    found = _blocks(inquiry.tenant_id, inquiry.practitioner_id, inquiry.sender_email)
    return db.session.scalar(found.order_by(SenderBlock.id).limit(1))


def block_sender(inquiry: Inquiry, actor) -> SenderBlock:
    """Hear no more from this inquiry's sender: for its profile, or for the practice when it
    was sent to the practice. Their later messages look sent to them and are dropped."""
    email_key = validation.email_key(inquiry.sender_email)
    existing = db.session.scalar(
        select(SenderBlock).where(
            SenderBlock.tenant_id == inquiry.tenant_id,
            SenderBlock.email_key == email_key,
            SenderBlock.practitioner_id.is_(None)
            if inquiry.practitioner_id is None
            else SenderBlock.practitioner_id == inquiry.practitioner_id,
        )
    )
    if existing is not None:
        return existing
    block = SenderBlock(
        tenant_id=inquiry.tenant_id,
        practitioner_id=inquiry.practitioner_id,
        email_key=email_key,
        created_by_id=actor.id,
    )
    db.session.add(block)
    db.session.flush()
    audit.record(
        "inquiry.sender_blocked",
        actor=actor,
        tenant=inquiry.tenant,
        subject=inquiry,
        details={"for": inquiry.practitioner.name if inquiry.practitioner else "the practice"},
    )
    return block


def unblock(block: SenderBlock, actor) -> None:
    audit.record(
        "inquiry.sender_unblocked",
        actor=actor,
        tenant=db.session.get(Tenant, block.tenant_id),
        details={"for": block.practitioner.name if block.practitioner else "the practice"},
    )
    db.session.delete(block)
    db.session.flush()


# --- Reading the inbox -----------------------------------------------------------------------


def of_user(user) -> Select:
    """Inquiries written to the user (as their profile's therapist), in practices they still
    belong to that still exist."""
    return (
        select(Inquiry)
        .join(Tenant, Inquiry.tenant_id == Tenant.id)
        .join(
            Membership,
            (Membership.tenant_id == Inquiry.tenant_id) & (Membership.user_id == user.id),
        )
        .where(Inquiry.recipient_user_id == user.id, Tenant.status != "deleted")
    )


def of_practice(tenant_id: int) -> Select:
    """Every inquiry to a practice and its profiles."""
    return select(Inquiry).where(Inquiry.tenant_id == tenant_id)


def in_folder(query: Select, folder: str) -> Select:
    if folder == "spam":
        return query.where(Inquiry.spam_at.is_not(None))
    query = query.where(Inquiry.spam_at.is_(None))
    if folder == "archived":
        return query.where(Inquiry.archived_at.is_not(None))
    return query.where(Inquiry.archived_at.is_(None))


@dataclass(frozen=True)
class Listing:
    inquiries: list[Inquiry]
    page: int
    pages: int
    total: int
    #: Per folder: how many it holds.
    counts: dict[str, int]
    unread: int


def listing(query: Select, folder: str, page: int, per_page: int = PER_PAGE) -> Listing | None:
    """One page of a folder, newest first; None for a page past the last (page 1 always is)."""
    counts = {
        name: db.session.scalar(select(func.count()).select_from(in_folder(query, name).subquery()))
        for name in FOLDERS
    }
    unread = db.session.scalar(
        select(func.count()).select_from(
            in_folder(query, "inbox").where(Inquiry.read_at.is_(None)).subquery()
        )
    )
    found = page_of(
        in_folder(query, folder)
        .options(
            selectinload(Inquiry.practitioner),
            selectinload(Inquiry.tenant),
            selectinload(Inquiry.condition),
        )
        .order_by(Inquiry.created_at.desc(), Inquiry.id.desc()),
        page,
        per_page,
        total=counts[folder],
    )
    if found is None:
        return None
    return Listing(found.items, found.number, found.pages, found.total, counts, unread)


def blocks_for(user, managed_tenant_ids: list[int]) -> list[SenderBlock]:
    """The blocks the user may lift: on their own profiles, and on the practices they manage."""
    own = select(Practitioner.id).where(Practitioner.user_id == user.id)
    return list(
        db.session.scalars(
            select(SenderBlock)
            .join(Tenant, SenderBlock.tenant_id == Tenant.id)
            .where(
                Tenant.status != "deleted",
                or_(
                    SenderBlock.practitioner_id.in_(own),
                    SenderBlock.tenant_id.in_(managed_tenant_ids or [-1]),
                ),
            )
            .order_by(SenderBlock.email_key, SenderBlock.id)
        )
    )


def typical_reply_days(practitioner: Practitioner) -> int | None:
    """Days within which this profile usually replies (the median of its replies marked within
    the retention period, rounded up), once enough are marked; else None."""
    since = now_utc() - _retention()
    rows = db.session.execute(
        select(Inquiry.created_at, Inquiry.replied_at)
        .where(
            Inquiry.practitioner_id == practitioner.id,
            Inquiry.replied_at.is_not(None),
            Inquiry.created_at >= since,
        )
        .order_by(Inquiry.created_at.desc())
        .limit(100)
    ).all()
    if len(rows) < current_app.config["INQUIRY_REPLIES_FOR_TYPICAL"]:
        return None
    days = statistics.median((replied - sent).total_seconds() / 86400 for sent, replied in rows)
    return max(1, math.ceil(days))


@dataclass(frozen=True)
class SpamReport:
    """What platform admins see of a message reported as spam: who, to whom, when, how long and
    how many links; never its text."""

    id: int
    received: datetime
    reported: datetime
    sender_name: str
    sender_email: str
    to: str
    tenant_slug: str
    characters: int
    links: int


#: Spam reports on a page of the admin's list.
SPAM_PER_PAGE = 50


def reported_spam(page: int) -> Page | None:
    """Messages reported as spam, newest report first: one page of SpamReport (None past the
    last)."""
    found = page_of(
        select(Inquiry)
        .where(Inquiry.spam_at.is_not(None))
        .order_by(Inquiry.spam_at.desc(), Inquiry.id.desc()),
        page,
        SPAM_PER_PAGE,
    )
    if found is None:
        return None
    reports = [
        SpamReport(
            id=i.id,
            received=i.created_at,
            reported=i.spam_at,
            sender_name=i.sender_name,
            sender_email=i.sender_email,
            to=i.recipient_name,
            tenant_slug=i.tenant.slug,
            characters=len(i.body or ""),
            links=links_in(i.body or ""),
        )
        for i in found.items
    ]
    return replace(found, items=reports)


# --- Retention -------------------------------------------------------------------------------


def purge(now: datetime | None = None) -> int:
    """Delete the text (and phone and topic) of every inquiry older than the retention period,
    and of the stored mail that carried it. Returns how many inquiries lost their text."""
    now = now or now_utc()
    cutoff = now - _retention()
    ids = list(
        db.session.scalars(
            select(Inquiry.id).where(
                Inquiry.created_at < cutoff,
                or_(Inquiry.body.is_not(None), Inquiry.sender_phone != ""),
            )
        )
    )
    days = current_app.config["INQUIRY_RETENTION_DAYS"]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        db.session.execute(
            update(Inquiry)
            .where(Inquiry.id.in_(chunk))
            .values(body=None, sender_phone="", condition_id=None, purged_at=now),
            execution_options={"synchronize_session": False},
        )
        _empty_copies(chunk, f"kept for {days} days")
    db.session.execute(
        delete(InquiryAttempt).where(InquiryAttempt.created_at < now - ATTEMPT_RETENTION)
    )
    db.session.expire_all()
    return len(ids)
