"""Claiming a listing from public records, and having it removed (DESIGN.md, "Listings from
public records, and claims"): plain operations that flush and never commit.

1. `prove`: a signed-in person gives the license number and legal name (and the birth year,
   where a roster lists one); they must match the listing's record, normalised as the roster
   matching does (licensing.number_key, rosters.files.names_match). Tries are counted per
   account and per listing (ClaimAttempt) and refused past the limits. A refusal says the
   details do not match the record, never which one.
2. A channel of record carries a one-time code: a letter to the practice address (its code is
   issued when an admin prints the batch: `print_letters`), or a text to the business phone
   (listings.sms). Or a document goes to the admins (`submit_document`), or, for a removal,
   a request (`request_removal`). Codes are stored as keyed hashes, expire, are single use,
   and die after MAX_CODE_FAILURES wrong tries.
3. The right code (or an admin's approval) completes it: the listing becomes the person's
   profile in a practice of their own (`take_over`), or is removed and remembered in the
   removal registry (`remove_listing`). When someone else claims the same listing (or it is
   claimed already), nothing changes: every claim on it goes to the admins (`contested`).
Every step writes an audit event.
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, select

from directory import audit, licensing, locales, mail
from directory.accounts.models import User
from directory.db import db, now_utc
from directory.listings.models import (
    ClaimAttempt,
    ListingClaim,
    ListingRemoval,
    ListingSource,
    PracticeJoin,
)
from directory.listings.records import display
from directory.paging import Page, page_of
from directory.practices import operations as practices
from directory.practices.models import Membership, Tenant
from directory.practitioners import documents, readiness
from directory.practitioners.models import Practitioner
from directory.refusals import Refused, Throttled
from directory.rosters import files
from directory.validation import is_slug

#: Letters and digits nobody misreads on paper (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
LETTER_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LETTER_CODE_LENGTH = 8
SMS_CODE_LENGTH = 6
#: Wrong codes one claim may enter before its code is void (a new one must be sent).
MAX_CODE_FAILURES = 5
#: Wrong license/name tries: per account within an hour, per listing within a day.
PROOF_FAILURES_PER_ACCOUNT = 5
PROOF_FAILURES_PER_LISTING = 10
ACCOUNT_WINDOW = timedelta(hours=1)
LISTING_WINDOW = timedelta(days=1)
#: Letters in one printed batch (a PDF an office printer takes in one go).
LETTERS_PER_BATCH = 200

NOT_MATCHED = _l(
    "Those details do not match the public record of this listing. Give the license number "
    "as the board issued it and your legal name as the license shows it."
)
NOT_MATCHED_WITH_YEAR = _l(
    "Those details do not match the public record of this listing. Give the license number "
    "as the board issued it, your legal name as the license shows it and your birth year."
)
TOO_MANY = _l("Too many tries at this listing's details. Please wait and try again later.")


def code_digest(code: str) -> str:
    """The stored form of a one-time code: HMAC-SHA256 under the app's secret key, so a copy
    of the database alone cannot test guesses against it."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalize_code(code).encode(), hashlib.sha256).hexdigest()


def normalize_code(code: str) -> str:
    """A code as typed, in the form it was issued: upper case, no spaces or dashes."""
    return "".join(c for c in (code or "").upper() if c.isalnum())[:20]


def _new_code(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def claimable_or_none(listing: Practitioner) -> bool:
    """Whether a profile came from public records (so it has a claim page): unclaimed, or
    claimed through a claim (someone else may contest it)."""
    return db.session.scalar(
        select(ListingSource.id).where(ListingSource.practitioner_id == listing.id).limit(1)
    ) is not None  # fmt: skip


# A claim's subject is a listing (a Practitioner) or an NPPES organization (a Tenant nobody
# owns yet): the same steps, channels and decisions serve both.
Subject = Practitioner | Tenant


def subject_of(claim: ListingClaim) -> Subject | None:
    """What the claim is of; None once the listing is removed."""
    return claim.listing if claim.tenant_id is None else claim.organization


def _of(subject: Subject):
    """The claims of this subject (a condition)."""
    if isinstance(subject, Tenant):
        return ListingClaim.tenant_id == subject.id
    return ListingClaim.practitioner_id == subject.id


@dataclass(frozen=True)
class OfRecord:
    """What the public record says of a claim's subject that a channel of record uses."""

    name: str
    #: The practice address of record as a letter's lines after the name; [] when none.
    address: list[str]
    phone: str
    claimed: bool


def of_record(subject: Subject) -> OfRecord:
    if isinstance(subject, Tenant):
        rec = organization_record(subject) or {}
        street, city = display(rec.get("street") or ""), display(rec.get("city") or "")
        address = ([street, f"{city}, {rec.get('state', '')} {rec.get('zip', '')}"]
                   if street and city else [])  # fmt: skip
        return OfRecord(subject.name, address, rec.get("phone") or "", subject.claimed)
    office = subject.offices[0] if subject.offices else None
    address = [office.street, f"{office.city}, {office.state} {office.zip}"] if office else []
    return OfRecord(subject.name, address, subject.phone or "", subject.claimed)


def organization_record(tenant: Tenant) -> dict | None:
    """What the NPPES file said of an organization (seed keeps it for its claim); None for a
    practice no file made."""
    return db.session.scalar(
        select(ListingSource.record).where(ListingSource.tenant_id == tenant.id,
                                           ListingSource.source == "nppes").limit(1)
    )  # fmt: skip


def organization_or_none(slug: str) -> Tenant | None:
    """The active practice an NPPES file made with this slug (claimed or not); None for any
    other practice (the one holding unclaimed listings included)."""
    if not is_slug(slug):
        return None
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None or not tenant.is_active or organization_record(tenant) is None:
        return None
    return tenant


def organization_sources(tenant: Tenant) -> list[dict]:
    """The contract's `sources` of an organization's practice (as seed.sources_of)."""
    from directory.listings.seed import source_name

    rows = db.session.execute(
        select(ListingSource.source, ListingSource.file_date)
        .where(ListingSource.tenant_id == tenant.id)
        .order_by(ListingSource.file_date.desc(), ListingSource.id)
    )
    return [{"source": source, "source_name": source_name(source),
             "file_date": on.isoformat()} for source, on in rows]  # fmt: skip


def claim_of(user: User, subject: Subject) -> ListingClaim | None:
    """The user's claim on this listing (or organization) still under way (open or with the
    admins)."""
    return db.session.scalar(
        select(ListingClaim).where(
            ListingClaim.user_id == user.id,
            _of(subject),
            ListingClaim.status.in_(("open", "review")),
        )
    )


def _others(claim: ListingClaim) -> list[ListingClaim]:
    subject = subject_of(claim)
    if subject is None:
        return []
    return list(db.session.scalars(
        select(ListingClaim).where(
            _of(subject),
            ListingClaim.id != claim.id,
            ListingClaim.status.in_(("open", "review")),
        )
    ))  # fmt: skip


def _record(action: str, claim: ListingClaim, actor=None, **details) -> None:
    subject = subject_of(claim)
    tenant = subject if isinstance(subject, Tenant) else getattr(subject, "tenant", None)
    if actor is None:
        actor = claim.user or f"visitor:{claim.requester_email}"[:120]
    audit.record(
        action, actor=actor, tenant=tenant,
        subject=subject, details={"claim": claim.id, "name": claim.listing_name,
                                  "purpose": claim.purpose, **details},
    )  # fmt: skip


# --- 1. Proving the license and the name ----------------------------------------------------


def birth_years(listing: Practitioner) -> set[int]:
    """The birth years state rosters list for this listing's licenses (most list none)."""
    found = set()
    for lic in listing.licenses:
        spec = licensing.roster_sources().get(lic.check_source or "")
        column = spec and spec.get("columns", {}).get("birth_year")
        value = str((lic.roster_row or {}).get(column) or "") if column else ""
        if value[:4].isdigit():
            found.add(int(value[:4]))
    return found


def matches(listing: Practitioner, number: str, legal_name: str, birth_year: int | None) -> bool:
    """Whether the license number and the legal name (and the birth year, where a roster lists
    one) are this listing's, normalised as the roster matching does."""
    key = licensing.number_key(number)
    if not key or not any(lic.number_key == key for lic in listing.licenses):
        return False
    words = files.name_words(listing.name)
    typed = files.name_words(legal_name)
    if len(words) < 2 or len(typed) < 2 or words[0] != typed[0]:
        return False
    if not files.names_match(legal_name, _Named(first_name=words[0], last_name=words[-1])):
        return False
    years = birth_years(listing)
    return not years or birth_year in years


@dataclass(frozen=True)
class _Named:
    """A listing's name as the roster matching reads a roster's row."""

    first_name: str
    last_name: str


def _check_limits(user: User, subject: Subject) -> None:
    now = now_utc()
    failed = ClaimAttempt.success.is_(False)
    by_user = db.session.scalar(select(func.count()).where(
        ClaimAttempt.user_id == user.id, ClaimAttempt.created_at >= now - ACCOUNT_WINDOW, failed
    ))  # fmt: skip
    tried = (ClaimAttempt.tenant_id == subject.id if isinstance(subject, Tenant)
             else ClaimAttempt.practitioner_id == subject.id)  # fmt: skip
    by_listing = db.session.scalar(select(func.count()).where(
        tried,
        ClaimAttempt.created_at >= now - LISTING_WINDOW, failed,
    ))  # fmt: skip
    if by_user >= PROOF_FAILURES_PER_ACCOUNT:
        raise Throttled(TOO_MANY, retry_after=int(ACCOUNT_WINDOW.total_seconds()))
    if by_listing >= PROOF_FAILURES_PER_LISTING:
        raise Throttled(TOO_MANY, retry_after=int(LISTING_WINDOW.total_seconds()))


@dataclass
class Proof:
    claim: ListingClaim | None
    #: Why it was refused, as the page says it (None: proven).
    refusal: str | None = None


def prove(user: User, listing: Practitioner, *, number: str, legal_name: str,
          birth_year: int | None, purpose: str) -> Proof:  # fmt: skip
    """Start (or continue) a claim or removal when the details match the record; a refusal
    otherwise, counted (the caller commits it: a refusal is a try). Throttled past the
    limits, before anything is compared."""
    _check_limits(user, listing)
    right = matches(listing, number, legal_name, birth_year)
    db.session.add(ClaimAttempt(user_id=user.id, practitioner_id=listing.id, success=right))
    if not right:
        audit.record("listing.claim_not_matched", actor=user, tenant=listing.tenant,
                     subject=listing, details={"purpose": purpose})  # fmt: skip
        db.session.flush()
        return Proof(None, str(NOT_MATCHED_WITH_YEAR if birth_years(listing) else NOT_MATCHED))
    return _proven(user, listing, purpose)


def _proven(user: User, subject: Subject, purpose: str) -> Proof:
    """The details matched: the user's claim on the subject, started or continued (or
    contested when someone else claims it too, or holds it)."""
    claim = claim_of(user, subject)
    if claim is None:
        claim = ListingClaim(user_id=user.id, listing_name=subject.name, purpose=purpose)
        if isinstance(subject, Tenant):
            claim.tenant_id, claim.organization = subject.id, subject
        else:
            claim.practitioner_id, claim.listing = subject.id, subject
        db.session.add(claim)
        db.session.flush()
        _record("listing.claim_started", claim)
    elif claim.status == "open" and claim.purpose != purpose and claim.channel is None:
        claim.purpose = purpose
    others = _others(claim)
    if purpose == "claim" and (others or subject.claimed):
        _contest(claim, others)
    db.session.flush()
    return Proof(claim)


def official_matches(tenant: Tenant, npi: str, legal_name: str) -> bool:
    """Whether the NPI is the organization's and the name is its authorized official's, as
    the NPPES file lists them (names normalised as the roster matching does)."""
    rec = organization_record(tenant) or {}
    key = db.session.scalar(
        select(ListingSource.key).where(ListingSource.tenant_id == tenant.id,
                                        ListingSource.source == "nppes").limit(1)
    )  # fmt: skip
    first, last = rec.get("official_first") or "", rec.get("official_last") or ""
    digits = "".join(c for c in npi or "" if c.isdigit())
    if not key or digits != key or not first or not last:
        return False
    typed = files.name_words(legal_name)
    if len(typed) < 2 or typed[0] != files.name_words(first)[0]:
        return False
    return files.names_match(legal_name, _Named(first_name=first, last_name=last))


NOT_MATCHED_ORGANIZATION = _l(
    "Those details do not match the public record of this practice. Give its NPI and the "
    "legal name of its authorized official as the NPPES record lists them."
)


def prove_organization(user: User, tenant: Tenant, *, npi: str, legal_name: str) -> Proof:
    """As `prove`, for an NPPES organization: its NPI and its authorized official's legal
    name."""
    _check_limits(user, tenant)
    right = official_matches(tenant, npi, legal_name)
    db.session.add(ClaimAttempt(user_id=user.id, tenant_id=tenant.id, success=right))
    if not right:
        audit.record("listing.claim_not_matched", actor=user, tenant=tenant, subject=tenant,
                     details={"purpose": "claim"})  # fmt: skip
        db.session.flush()
        return Proof(None, str(NOT_MATCHED_ORGANIZATION))
    return _proven(user, tenant, "claim")


def _contest(claim: ListingClaim, others: list[ListingClaim]) -> None:
    """Someone else claims this listing too, or holds it: every claim on it waits for an
    admin, who sees them side by side. Nothing changes until they decide."""
    for each in (claim, *others):
        if not each.contested:
            each.contested = True
            _record("listing.claim_contested", each, actor=claim.user)
    # The newcomer's proof so far is a match of public facts: an admin decides.
    claim.status = "review"


# --- 2. The channels of record --------------------------------------------------------------


def channels(subject: Subject) -> dict[str, bool]:
    """Which channels of record a listing (or organization) has: a letter needs an address,
    a text a phone."""
    found = of_record(subject)
    return {"letter": bool(found.address), "sms": bool(_phone_digits(found.phone))}


def _phone_digits(phone: str) -> str:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return digits if len(digits) == 10 else ""


def _open_or_refuse(claim: ListingClaim) -> None:
    if claim.status != "open" or subject_of(claim) is None:
        raise Refused(_("This claim is with the admins now: they will write to you."))


def ask_for_letter(claim: ListingClaim) -> None:
    """A letter with a code will go to the practice address of record (in the next batch)."""
    _open_or_refuse(claim)
    if not channels(subject_of(claim))["letter"]:
        raise Refused(_("The record names no practice address to write to: choose another way."))
    claim.channel, claim.code_hash, claim.code_expires_at = "letter", None, None
    claim.printed_at, claim.code_failures = None, 0
    _record("listing.claim_letter_asked", claim)
    db.session.flush()


def send_text(claim: ListingClaim, backend) -> None:
    """Text a code to the business phone of record through the SMS provider (`backend`)."""
    _open_or_refuse(claim)
    phone = _phone_digits(of_record(subject_of(claim)).phone)
    if not phone:
        raise Refused(_("The record names no business phone to text: choose another way."))
    code = _new_code("0123456789", SMS_CODE_LENGTH)
    minutes = current_app.config["CLAIM_SMS_MINUTES"]
    claim.channel, claim.code_hash = "sms", code_digest(code)
    claim.code_expires_at = now_utc() + timedelta(minutes=minutes)
    claim.code_failures, claim.printed_at = 0, None
    backend.send(
        f"+1{phone}",
        f"Kneaded: your code to {_verb(claim)} "
        f"{'the practice' if claim.tenant_id else 'the listing of'} "
        f"{claim.listing_name} is {code}. It expires in {minutes} "
        f"minutes. If you did not ask for it, ignore this text.",
    )
    _record("listing.claim_code_texted", claim, phone_ending=phone[-4:])
    db.session.flush()


def _verb(claim: ListingClaim) -> str:
    return "claim" if claim.purpose == "claim" else "remove"


def submit_document(claim: ListingClaim, upload) -> None:
    """A license image or PDF for an admin to compare with the record (the fallback)."""
    _open_or_refuse(claim)
    if claim.purpose != "claim":
        raise Refused(_("A removal is asked for with a request to the admins."))
    name = documents.save(upload)
    documents.release(claim.document)
    claim.channel, claim.document, claim.status = "document", name, "review"
    claim.code_hash = claim.code_expires_at = None
    _record("listing.claim_document_sent", claim)
    db.session.flush()


def request_removal(claim: ListingClaim, note: str) -> None:
    """Ask the admins to remove the listing (when no code of record can reach the person)."""
    _open_or_refuse(claim)
    if claim.purpose != "remove":
        raise Refused(_("Only a removal is asked for with a request."))
    claim.channel, claim.note, claim.status = "request", note[:1000], "review"
    claim.code_hash = claim.code_expires_at = None
    _record("listing.removal_requested", claim)
    db.session.flush()


# --- Removal without an account ---------------------------------------------------------------


@dataclass(frozen=True)
class _RemovalOf:
    """A listing as the inquiry form's limits count posts to it (inquiries.count_post)."""

    listing: Practitioner

    @property
    def key(self) -> str:
        return f"r:{self.listing.id}"

    @property
    def name(self) -> str:
        return self.listing.name


def _anonymous_claim(listing: Practitioner, name: str, email: str) -> ListingClaim:
    """The removal under way that this reply address asked for without an account, or a new
    one."""
    claim = db.session.scalar(
        select(ListingClaim).where(
            ListingClaim.practitioner_id == listing.id, ListingClaim.user_id.is_(None),
            ListingClaim.requester_email == email, ListingClaim.status.in_(("open", "review")),
        ).limit(1)
    )  # fmt: skip
    if claim is None:
        claim = ListingClaim(practitioner_id=listing.id, listing=listing, purpose="remove",
                             listing_name=listing.name, requester_email=email)  # fmt: skip
        db.session.add(claim)
    claim.requester_name = name[:120]
    return claim


def removal_request(listing: Practitioner, *, name: str, email: str, note: str, ip: str,
                    honeypot: str = "") -> ListingClaim | None:  # fmt: skip
    """Someone the listing names asks the admins, without an account, to remove it; they
    answer by mail. Limited as the inquiry form is (Throttled); a filled honeypot is dropped
    without a word (None). One request per reply address and listing."""
    from directory.inquiries import operations as inquiries

    inquiries.count_post(_RemovalOf(listing), ip, email)
    if honeypot:
        return None
    claim = _anonymous_claim(listing, name, email)
    if claim.status == "review" and claim.channel == "request":
        claim.note = note[:1000] or claim.note
        db.session.flush()
        return claim
    claim.channel, claim.note, claim.status = "request", note[:1000], "review"
    claim.code_hash = claim.code_expires_at = None
    db.session.flush()
    _record("listing.removal_requested_anonymously", claim)
    db.session.flush()
    return claim


def removal_code(listing: Practitioner, *, name: str, email: str, number: str,
                 legal_name: str, birth_year: int | None, channel: str, ip: str, backend,
                 honeypot: str = "") -> ListingClaim | None:  # fmt: skip
    """Someone without an account proves the license number and legal name, and a code of
    record goes out for the removal (a text now, or a letter with the next batch). None when
    the details do not match (or the honeypot was filled); limited as the inquiry form is."""
    from directory.inquiries import operations as inquiries

    inquiries.count_post(_RemovalOf(listing), ip, email)
    if honeypot:
        return None
    if not matches(listing, number, legal_name, birth_year):
        audit.record(
            "listing.claim_not_matched",
            actor=f"visitor:{email}"[:120],
            tenant=listing.tenant,
            subject=listing,
            details={"purpose": "remove"},
        )
        db.session.flush()
        return None
    claim = _anonymous_claim(listing, name, email)
    if claim.id is None:
        db.session.flush()
        _record("listing.claim_started", claim)
    if claim.status != "open":
        raise Refused(_("Your request is with the admins already: they will write to you."))
    if channel == "sms":
        send_text(claim, backend)
    else:
        ask_for_letter(claim)
    return claim


def count_removal_post(listing: Practitioner, ip: str, email: str) -> None:
    """Count a code entered without an account against the inquiry form's limits
    (Throttled past them): guesses are as limited as messages."""
    from directory.inquiries import operations as inquiries

    inquiries.count_post(_RemovalOf(listing), ip, email)


def removal_by_code(listing: Practitioner, code: str) -> ListingClaim | None:
    """The removal without an account that this code of record was sent for, while it works
    (the code is its only key: whoever holds it received it at the record's address or
    phone)."""
    if not normalize_code(code):
        return None
    claim = db.session.scalar(
        select(ListingClaim).where(
            ListingClaim.practitioner_id == listing.id, ListingClaim.user_id.is_(None),
            ListingClaim.purpose == "remove", ListingClaim.status == "open",
            ListingClaim.code_hash == code_digest(code),
        ).limit(1)
    )  # fmt: skip
    if claim is None or claim.code_expires_at is None or claim.code_expires_at <= now_utc():
        return None
    return claim


# --- Letters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    """One printed letter: what its page says. The code exists only here and on paper."""

    claim_id: int
    name: str
    address: list[str]
    code: str
    expires_on: date
    purpose: str
    where: str


def pending_letters(page: int) -> Page | None:
    """Letters waiting to be printed, the oldest first."""
    return page_of(
        select(ListingClaim).where(*_waiting_letter())
        .order_by(ListingClaim.updated_at, ListingClaim.id), page,
    )  # fmt: skip


def _waiting_letter():
    return (
        ListingClaim.channel == "letter",
        ListingClaim.status == "open",
        ListingClaim.printed_at.is_(None),
        (ListingClaim.practitioner_id.is_not(None) | ListingClaim.tenant_id.is_not(None)),
    )


def pending_letter_count() -> int:
    return db.session.scalar(select(func.count()).where(*_waiting_letter()))


def print_letters(actor: User, link: Callable[[ListingClaim], str]) -> list[Letter]:
    """Issue the codes of the letters waiting (up to LETTERS_PER_BATCH) and return their
    pages: each code is stored hashed, and exists in plain text only in what this returns.
    `link(claim)` is the address of its claim page, printed on its letter."""
    days = current_app.config["CLAIM_LETTER_DAYS"]
    now = now_utc()
    batch = []
    for claim in db.session.scalars(
        select(ListingClaim).where(*_waiting_letter())
        .order_by(ListingClaim.updated_at, ListingClaim.id).limit(LETTERS_PER_BATCH)
    ):  # fmt: skip
        found = of_record(subject_of(claim))
        if not found.address:
            continue
        code = _new_code(LETTER_ALPHABET, LETTER_CODE_LENGTH)
        claim.code_hash, claim.code_expires_at = code_digest(code), now + timedelta(days=days)
        claim.printed_at, claim.code_failures = now, 0
        batch.append(Letter(
            claim.id, found.name, [found.name, *found.address],
            f"{code[:4]}-{code[4:]}", claim.code_expires_at.date(), claim.purpose,
            link(claim),
        ))  # fmt: skip
    if batch:
        audit.record(
            "listing.claim_letters_printed",
            actor=actor,
            details={"letters": len(batch), "claims": [x.claim_id for x in batch]},
        )
    db.session.flush()
    return batch


# --- 3. The code, and the decisions ---------------------------------------------------------


def enter_code(claim: ListingClaim, code: str, *, commit_to_removal: bool = True) -> str:
    """Check a code: "wrong" (counted), "void" (too many wrong: a new one is needed),
    "expired", "none" (no code out), "right" (for a removal not yet confirmed: nothing used),
    "review" (right, but the listing is contested: the admins decide) or "done"."""
    _open_or_refuse(claim)
    if claim.code_hash is None:
        return "none"
    if claim.code_expires_at is None or claim.code_expires_at <= now_utc():
        return "expired"
    if not hmac.compare_digest(claim.code_hash, code_digest(code)):
        claim.code_failures += 1
        if claim.code_failures >= MAX_CODE_FAILURES:
            claim.code_hash = claim.code_expires_at = None
            _record("listing.claim_code_void", claim)
            db.session.flush()
            return "void"
        db.session.flush()
        return "wrong"
    if claim.purpose == "remove" and not commit_to_removal:
        return "right"
    # Single use: the code is gone whatever follows.
    claim.code_hash = claim.code_expires_at = None
    claim.confirmed_at = now_utc()
    _record("listing.claim_code_entered", claim, channel=claim.channel)
    if claim.purpose == "claim" and (claim.contested or _others(claim)
                                     or subject_of(claim).claimed):  # fmt: skip
        _contest(claim, _others(claim))
        db.session.flush()
        return "review"
    complete(claim, actor=claim.user)
    return "done"


def complete(claim: ListingClaim, *, actor: User | None) -> None:
    """The claim succeeded: the listing is theirs (or gone), and every other claim on it is
    refused."""
    listing = subject_of(claim)
    for other in _others(claim):
        _decide(other, "refused", actor, "Another person's claim on this listing was accepted.")
    _decide(claim, "done", actor, "")
    if isinstance(listing, Tenant):
        take_over_practice(listing, claim.user, actor=actor, claim=claim)
    elif claim.purpose == "claim":
        take_over(listing, claim.user, actor=actor, claim=claim)
    else:
        who = actor if actor is not None else f"visitor:{claim.requester_email}"[:120]
        remove_listing(listing, actor=who, reason="Removed at the request of the person it "
                                                  "names")  # fmt: skip
    db.session.flush()


def _decide(claim: ListingClaim, status: str, actor: User | None, reason: str) -> None:
    claim.status, claim.decided_at = status, now_utc()
    claim.decided_by_id = actor.id if actor is not None else None
    claim.reason = reason[:500]
    claim.code_hash = claim.code_expires_at = None
    if status == "refused":
        _record("listing.claim_refused", claim, actor=actor, reason=reason)


def refuse(claim: ListingClaim, actor: User, reason: str) -> None:
    """An admin refuses a claim (or a removal request)."""
    if not claim.is_active:
        raise Refused(_("This claim was decided already."))
    _decide(claim, "refused", actor, reason or "Refused by an admin")
    db.session.flush()


def approve(claim: ListingClaim, actor: User) -> None:
    """An admin accepts a claim in review (its document, its request, or the one of a contested
    listing they judged right): it completes as a right code would."""
    if claim.status != "review" or subject_of(claim) is None:
        raise Refused(_("Only a claim waiting for review can be approved."))
    if claim.user_id is not None and claim.user_id == actor.id:
        raise Refused(_("Another admin decides your own claim."))
    if claim.channel == "document" and claim.confirmed_at is None:
        claim.confirmed_at = now_utc()
    _record("listing.claim_approved", claim, actor=actor)
    complete(claim, actor=actor)


def own_practice(user: User, name: str) -> Tenant:
    """The practice a claimed listing moves into: the oldest the user owns (sign-up made one),
    else a new one named after them."""
    tenant = db.session.scalar(
        select(Tenant).join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user.id, Membership.role == "owner",
               Tenant.status == "active")
        .order_by(Membership.created_at, Membership.id).limit(1)
    )  # fmt: skip
    return tenant or practices.start_practice(user, name).tenant


def take_over(listing: Practitioner, user: User, *, actor: User,
              claim: ListingClaim | None = None) -> None:  # fmt: skip
    """The listing becomes the user's profile in a practice of their own: its seeds never
    touch it again, and its editor is theirs. It stays public if it is complete enough to
    publish, else it waits as a draft for what only they can say (its setting...)."""
    tenant = own_practice(user, listing.name)
    listing.tenant_id, listing.tenant = tenant.id, tenant
    listing.user_id, listing.claimed = user.id, True
    if listing.published and readiness.publish_blockers(listing):
        listing.published = False
    db.session.flush()
    audit.record("listing.claimed", actor=actor, tenant=tenant, subject=listing,
                 details={"claim": claim.id if claim else None, "by": user.email})  # fmt: skip


def take_over_practice(tenant: Tenant, user: User, *, actor: User,
                       claim: ListingClaim | None = None) -> None:  # fmt: skip
    """An NPPES organization's official proved it: they own the practice now, its page is
    public, its seeds never touch it again, and the listings the seed linked to it are offered
    to join it when their therapists claim them."""
    # Claimed already: an admin judged a contested claim, and their decision names who keeps
    # the practice. Every other owner (the earlier claimant, and owners they made) goes.
    previous = [m for m in tenant.memberships if m.role == "owner" and m.user_id != user.id]
    tenant.claimed = True
    member = next((m for m in tenant.memberships if m.user_id == user.id), None)
    if member is None:
        db.session.add(Membership(user_id=user.id, tenant_id=tenant.id, role="owner"))
    else:
        member.role = "owner"
    db.session.flush()
    audit.record("organization.claimed", actor=actor, tenant=tenant, subject=tenant,
                 details={"claim": claim.id if claim else None, "by": user.email})  # fmt: skip
    for owner in previous:
        _dismiss_owner(owner, tenant, actor)


def _dismiss_owner(owner: Membership, tenant: Tenant, admin: User) -> None:
    """An admin gave the practice to another claimant: this owner's membership ends, and they
    are told why, in their language."""
    address = owner.user.email
    practices.dismiss(owner, admin, "An admin gave the practice to another claimant.")
    with mail.written_for(address):
        mail.letter(
            address,
            _("You no longer own %(practice)s on Kneaded", practice=tenant.name),
            _("Hello %(name)s,", name=owner.user.name),
            _("Someone else claimed %(practice)s too, as the authorized official the NPPES "
              "record names. An admin compared the claims and gave the practice to them, so "
              "your membership of it has ended.", practice=tenant.name),
            _("If you think this is wrong, reply to this message."),
        )  # fmt: skip


# --- Joining the organization a listing's record places it at --------------------------------


def linked_organization(listing: Practitioner) -> Tenant | None:
    """The NPPES organization the seed linked this listing to (same file, same practice
    address and business phone), when its official has claimed it and it is active."""
    tenant = db.session.scalar(
        select(Tenant).join(ListingSource, ListingSource.organization_id == Tenant.id)
        .where(ListingSource.practitioner_id == listing.id).limit(1)
    )  # fmt: skip
    return tenant if tenant is not None and tenant.claimed and tenant.is_active else None


def own_listing(user, slug: str) -> Practitioner | None:
    """The listing with this slug when `user` claimed it (published or not)."""
    if not getattr(user, "is_authenticated", False) or not is_slug(slug):
        return None
    return db.session.scalar(
        select(Practitioner).where(Practitioner.slug == slug, Practitioner.user_id == user.id,
                                   Practitioner.claimed.is_(True))
    )  # fmt: skip


def pending_join(listing: Practitioner) -> PracticeJoin | None:
    return db.session.scalar(
        select(PracticeJoin).where(PracticeJoin.practitioner_id == listing.id,
                                   PracticeJoin.status == "pending")
    )  # fmt: skip


def join_offer(listing: Practitioner, user) -> Tenant | None:
    """The claimed practice the therapist who claimed this listing may ask to join: None when
    there is none, they are in it already, or a request waits."""
    if not getattr(user, "is_authenticated", False) or listing.user_id != user.id:
        return None
    if not listing.claimed:
        return None
    tenant = linked_organization(listing)
    if tenant is None or tenant.id == listing.tenant_id or pending_join(listing) is not None:
        return None
    member = db.session.scalar(
        select(Membership.id).where(Membership.user_id == user.id,
                                    Membership.tenant_id == tenant.id)
    )  # fmt: skip
    return None if member is not None else tenant


def ask_to_join(listing: Practitioner, user: User, tenant: Tenant) -> PracticeJoin:
    """Ask the practice's owner to let the listing's therapist (and the profile) in."""
    request = PracticeJoin(user_id=user.id, tenant_id=tenant.id, practitioner_id=listing.id)
    db.session.add(request)
    db.session.flush()
    audit.record("practice.join_requested", actor=user, tenant=tenant, subject=listing,
                 details={"request": request.id})  # fmt: skip
    for address in practices.managers_emails([tenant.id]).get(tenant.id, ()):
        with mail.written_for(address) as language:
            mail.letter(
                address,
                _("%(name)s asks to join %(practice)s", name=user.name, practice=tenant.name),
                _("Hello,"),
                _("%(name)s claimed their listing from the public record, which places them at "
                  "%(practice)s, and asks to join the practice with it. Until you approve, "
                  "they see nothing of the practice.", name=user.name, practice=tenant.name),
                _("Approve or decline on the Members page:") + "\n"
                + mail.link(language, "practices.members", tenant_slug=tenant.slug),
            )  # fmt: skip
    return request


def join_requests(tenant_id: int) -> list[PracticeJoin]:
    """The requests to join this practice that wait for its owner, oldest first."""
    return list(db.session.scalars(
        select(PracticeJoin).where(PracticeJoin.tenant_id == tenant_id,
                                   PracticeJoin.status == "pending")
        .order_by(PracticeJoin.created_at, PracticeJoin.id)
    ))  # fmt: skip


def decide_join(request: PracticeJoin, actor: Membership, *, approve: bool) -> None:
    """The owner lets the therapist in (a therapist's membership; the profile moves into the
    practice, as an accepted invitation's would) or declines."""
    if request.status != "pending" or request.tenant_id != actor.tenant_id:
        raise Refused(_("This request was decided already."))
    request.status = "approved" if approve else "declined"
    request.decided_by_id, request.decided_at = actor.user_id, now_utc()
    listing = request.practitioner
    if approve:
        db.session.add(Membership(user_id=request.user_id, tenant_id=request.tenant_id,
                                  role="therapist"))  # fmt: skip
        listing.tenant_id, listing.tenant = request.tenant_id, request.tenant
    audit.record("practice.join_approved" if approve else "practice.join_declined",
                 actor=actor.user, tenant=request.tenant, subject=listing,
                 details={"request": request.id, "by": request.user.email})  # fmt: skip
    db.session.flush()


def withdraw(claim: ListingClaim, actor) -> None:
    """The claimant gives up a claim under way: its codes stop working at once, its document
    is deleted, and any contest it was part of goes on without it."""
    if not claim.is_active:
        raise Refused(_("This claim was decided already."))
    claim.status = "withdrawn"
    claim.code_hash = claim.code_expires_at = None
    documents.release(claim.document)
    claim.document = None
    _record("listing.claim_withdrawn", claim, actor=actor)
    db.session.flush()


#: How the daily purge is named in the audit log.
PURGE = "cli:purge"


def _abandon(cutoff: datetime) -> None:
    """Close the removals asked without an account whose code stopped working (expired, or
    void) before the cutoff: nobody can finish one (its code is dead, and the same person
    coming back starts anew), yet while open it would keep its requester's name and email for
    ever and contest every later claim of the listing. Closed as withdrawn (its requester gave
    up in deed), then emptied by the purge with the rest."""
    for claim in db.session.scalars(
        select(ListingClaim).where(
            ListingClaim.status == "open", ListingClaim.purpose == "remove",
            ListingClaim.user_id.is_(None),
            (ListingClaim.code_expires_at < cutoff)
            | (ListingClaim.code_expires_at.is_(None) & ListingClaim.code_hash.is_(None)
               & (ListingClaim.updated_at < cutoff) & ~and_(*_waiting_letter())),
        )
    ):  # fmt: skip
        # Given up when its code stopped working: so the purge that follows empties it now.
        claim.status = "withdrawn"
        claim.decided_at = claim.code_expires_at or claim.updated_at
        claim.code_hash = claim.code_expires_at = None
        _record("listing.claim_abandoned", claim, actor=PURGE)
    db.session.flush()


def purge(now: datetime | None = None) -> int:
    """Forget who asked, once a claim or removal request was decided (or withdrawn) more than
    CLAIM_RETENTION_DAYS ago: the requester's name, email and note, and a license document;
    a removal asked without an account and left with a dead code that long is closed first.
    The claim stays (the listing's name, the outcome and dates, its account, if any), and so
    do the tries the limits count for a day. Returns how many claims were emptied."""
    now = now or now_utc()
    cutoff = now - timedelta(days=current_app.config["CLAIM_RETENTION_DAYS"])
    _abandon(cutoff)
    emptied = 0
    for claim in db.session.scalars(
        select(ListingClaim).where(
            ListingClaim.status.not_in(("open", "review")),
            func.coalesce(ListingClaim.decided_at, ListingClaim.updated_at) < cutoff,
            (ListingClaim.requester_email.is_not(None) | (ListingClaim.requester_name != "")
             | (ListingClaim.note != "") | ListingClaim.document.is_not(None)),
        )
    ):  # fmt: skip
        documents.release(claim.document)
        claim.requester_email, claim.requester_name = None, ""
        claim.note, claim.document = "", None
        emptied += 1
    db.session.execute(
        delete(ClaimAttempt).where(ClaimAttempt.created_at < now - max(ACCOUNT_WINDOW,
                                                                       LISTING_WINDOW))
    )  # fmt: skip
    db.session.flush()
    return emptied


def remove_listing(listing: Practitioner, *, actor, reason: str) -> None:
    """Remove a listing for good and remember its NPI and licenses, so no seed lists the
    person again (listings.seed reads the registry)."""
    npis = db.session.scalars(
        select(ListingSource.key).where(ListingSource.practitioner_id == listing.id,
                                        ListingSource.source == "nppes")
    ).all()  # fmt: skip
    for npi in npis:
        db.session.add(ListingRemoval(npi=npi, reason=reason[:500]))
    for lic in listing.licenses:
        if lic.number_key:
            db.session.add(ListingRemoval(state=lic.state, number_key=lic.number_key,
                                          reason=reason[:500]))  # fmt: skip
    audit.record(
        "listing.removed",
        actor=actor,
        tenant=listing.tenant,
        subject=listing,
        details={
            "name": listing.name,
            "npi": list(npis),
            "licenses": [f"{x.state} {x.number}" for x in listing.licenses],
        },
    )
    for record in listing.specialties:
        documents.release(record.document)
    db.session.delete(listing)
    db.session.flush()


# --- The admins' queue ------------------------------------------------------------------------


def _longest_waiting_first(key, model, page: int) -> Page | None:
    """`model` rows (by `key`, the claim's column naming them) with a claim waiting for an
    admin, the longest waiting first."""
    first = (
        select(key, func.min(ListingClaim.updated_at).label("since"))
        .where(ListingClaim.status == "review", key.is_not(None))
        .group_by(key)
        .subquery()
    )
    return page_of(
        select(model).join(first, first.c[key.name] == model.id)
        .order_by(first.c.since, model.id), page,
    )  # fmt: skip


def review_queue(page: int) -> Page | None:
    """Listings with a claim waiting for an admin, the longest waiting first; each with every
    active claim on it (side by side when contested)."""
    return _longest_waiting_first(ListingClaim.practitioner_id, Practitioner, page)


def organization_queue(page: int) -> Page | None:
    """NPPES organizations with a claim waiting for an admin, the longest waiting first."""
    return _longest_waiting_first(ListingClaim.tenant_id, Tenant, page)


def active_claims(subject: Subject) -> list[ListingClaim]:
    return list(db.session.scalars(
        select(ListingClaim).where(_of(subject),
                                   ListingClaim.status.in_(("open", "review")))
        .order_by(ListingClaim.created_at, ListingClaim.id)
    ))  # fmt: skip


def review_count() -> int:
    """Listings and organizations with a claim waiting for an admin."""
    waiting = ListingClaim.status == "review"
    return db.session.scalar(
        select(func.count(func.distinct(ListingClaim.practitioner_id))).where(waiting)
    ) + db.session.scalar(select(func.count(func.distinct(ListingClaim.tenant_id))).where(waiting))


def expires_in_words(at: datetime | None) -> str:
    """When a code expires, as a page says it, in the reader's language ("March 4, 2026",
    "4 de marzo de 2026")."""
    return locales.long_date(at)
