"""State licensing rules and the two questions the directory's honesty rests on: may this office
be listed, and does this result earn the verified badge."""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources

from flask_babel import gettext as _
from sqlalchemy import and_, or_

from directory import locales
from directory.locales import ngettext

#: Used where a state's number format is unknown: letters, digits and a few separators.
PERMISSIVE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9./]{2,29}$")
_SEPARATORS = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class StateRule:
    code: str
    name: str
    regulated: bool
    credential: str
    board: str | None
    lookup_url: str | None
    number_pattern: str | None
    number_example: str | None
    renewal: str | None
    notes: str | None
    #: What the expiry date of a license in this state is the end of: "registration" where the
    #: license is for life and the right to practise is a registration renewed on its own (New
    #: York's triennial registration), else None: the license's own expiry.
    expiry_of: str | None = None

    @property
    def expiry_label(self) -> str:
        """What the expiry date is called on admin pages and in the re-check's form."""
        return _("Registered until") if self.expiry_of == "registration" else _("Expires on")

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.number_pattern) if self.number_pattern else PERMISSIVE_PATTERN


@cache
def states() -> dict[str, StateRule]:
    """Every jurisdiction's rules (50 states, DC, PR) by two-letter code."""
    raw = json.loads(resources.files("directory").joinpath("data/states.json").read_text())
    return {
        code: StateRule(
            code=code,
            **{k: v.get(k) for k in StateRule.__dataclass_fields__ if k != "code"},
        )
        for code, v in raw.items()
    }


def dates_registration(state: str) -> bool:
    """Whether a license's date in this state is the end of a registration, not of the
    license (New York's triennial registration; states.json `expiry_of`)."""
    found = rule(state)
    return found is not None and found.expiry_of == "registration"


def rule(state: str) -> StateRule | None:
    """The rules of one jurisdiction, or None for an unknown code."""
    return states().get((state or "").upper())


def state_name(state: str) -> str:
    """The jurisdiction's name ("Kansas"), or the code as given when it is unknown."""
    found = rule(state)
    return found.name if found else state


def board_name(state: str) -> str:
    """The board that licenses massage in the state, as states.json names it; else "NJ
    licensing board", in the reader's language."""
    found = rule(state)
    return found.board if found and found.board else _("%(state)s licensing board", state=state)


def today() -> date:
    """The date licenses are judged against (UTC)."""
    return datetime.now(UTC).date()


def check_expiry(expires_on: date, on: date | None = None) -> str | None:
    """Why a license with this expiry date cannot be entered (it has passed), or None. An
    expired license lists no office and earns no badge: saying "pending" would mislead."""
    if expires_on < (on or today()):
        return (
            f"This license expired on {expires_on:%-d %B %Y}. Enter the expiry date of your "
            "renewed license; an expired license cannot be listed."
        )
    return None


def normalize_number(number: str) -> str:
    """The form a license number is stored and checked in: upper case, no spaces or hyphens."""
    return _SEPARATORS.sub("", number or "").upper()


def check_number(state: str, number: str) -> str | None:
    """Why a license number cannot be right for the state, or None when it fits its pattern."""
    state_rule = rule(state)
    if state_rule is None:
        return _("%(state)s is not a US state code.", state=repr(state))
    normalized = normalize_number(number)
    if not normalized:
        return _("Enter the license number.")
    if state_rule.pattern.fullmatch(normalized):
        return None
    if state_rule.number_example:
        return _(
            "%(number)s does not look like a %(state)s license number (for example %(example)s).",
            number=normalized,
            state=state_rule.name,
            example=state_rule.number_example,
        )
    return _(
        "%(number)s does not look like a license number (letters and digits, 3 to 30).",
        number=normalized,
    )


def status(license, on: date | None = None) -> str:
    """pending, verified, rejected or expired; expired is derived from expires_on, not stored."""
    return status_of(license.status, license.expires_on, on)


def status_of(stored: str, expires_on: date | None, on: date | None = None) -> str:
    """The status of a license (or a specialty certificate) stored as `stored` that expires on
    `expires_on` (None: never; see status)."""
    if stored == "rejected":
        return "rejected"
    if expires_on is not None and expires_on < (on or today()):
        return "expired"
    return stored


def status_in_sql(model, status: str, on: date | None = None):
    """`status_of(...) == status` as a SQL condition on `model` (License, or an alias of it:
    the caller names the model, so the rule stays here and this module knows no models)."""
    day = on or today()
    if status == "rejected":
        return model.status == "rejected"
    if status == "expired":
        return and_(model.status != "rejected", model.expires_on < day)
    return and_(model.status == status, _not_expired(model, day))


def _not_expired(model, day: date):
    # No expiry date (a listing's license from the NPPES file, which names none): not expired,
    # as status_of judges it.
    return or_(model.expires_on.is_(None), model.expires_on >= day)


def current_in_sql(model, on: date | None = None):
    """`is_current` as a SQL condition on `model` (License, as for status_in_sql): neither
    rejected nor expired."""
    return and_(model.status != "rejected", _not_expired(model, on or today()))


def is_current(license, on: date | None = None) -> bool:
    """Neither rejected nor expired: the license lets an office in its state be listed."""
    return status(license, on) in ("pending", "verified")


def may_list_office(office, licenses: Iterable, on: date | None = None) -> bool:
    """DESIGN rule 2: an office is listed only where the practitioner holds a current license."""
    return any(lic.state == office.state and is_current(lic, on) for lic in licenses)


def licenses_massage(state: str) -> bool:
    """Whether the state licenses massage therapists (states.json `regulated`): where it does
    not (Kansas, Minnesota, Wyoming), there is no license to verify, and no badge to show."""
    found = rule(state)
    return found is not None and found.regulated


#: The public status of a license in a state that licenses nobody: there is nothing to verify.
UNREGULATED = "unregulated"


def public_status(license, on: date | None = None) -> str:
    """The status the public reads (profile JSON, search results): `status`, except where the
    state does not license massage, where no stored "verified" may claim a verification."""
    return status(license, on) if licenses_massage(license.state) else UNREGULATED


def earns_badge(office, licenses: Iterable, on: date | None = None) -> bool:
    """DESIGN rule 3: verified means a verified, unexpired license in the shown office's state
    (never in a state that does not license massage)."""
    return licenses_massage(office.state) and any(
        lic.state == office.state and status(lic, on) == "verified" for lic in licenses
    )


def listed_offices(practitioner, on: date | None = None) -> list:
    """The practitioner's offices that may appear in search and on the public profile."""
    return [o for o in practitioner.offices if may_list_office(o, practitioner.licenses, on)]


# --- Checks against the official record ---------------------------------------------------------

#: What a board's roster may say of a license (DESIGN.md, "License verification against
#: official rosters"); each source's words are mapped onto these.
ROSTER_STATUSES = (
    "active", "expired", "inactive", "conditional", "suspended", "revoked", "surrendered",
    "deceased",
)  # fmt: skip
CHECK_METHODS = ("roster", "staff")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_PREFIX_AND_DIGITS = re.compile(r"^([A-Z]*)0*(\d.*)$")


def number_key(number: str) -> str:
    """The form in which a profile's license number and a roster's are compared: upper case,
    letters and digits only, and the zeros that pad the digits after a letter prefix dropped,
    so "MA 0011128", "MA11128" and "ma-11128" are one license, as are "028941" and "28941"
    (boards pad their numbers differently in their files and on their certificates)."""
    compact = _NOT_ALNUM.sub("", (number or "").upper())
    match = _PREFIX_AND_DIGITS.match(compact)
    return match.group(1) + match.group(2) if match else compact


@cache
def roster_sources() -> dict[str, dict]:
    """Every roster source by its name ("tx-tdlr"): the declared mapping of its file
    (data/rosters/<name>.json)."""
    folder = resources.files("directory").joinpath("data/rosters")
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            found[entry.name.removesuffix(".json")] = json.loads(entry.read_text())
    return dict(sorted(found.items()))


def roster_states() -> frozenset[str]:
    """The states whose board publishes a roster we sync (one per declared mapping)."""
    return frozenset(spec["state"] for spec in roster_sources().values())


def checked_by_lookup(state: str) -> bool:
    """Whether a license in this state is kept true by staff checking the board's lookup page
    (re-checks): the state licenses massage, and no roster of it is synced."""
    return licenses_massage(state) and state.upper() not in roster_states()


def lookup_only_states() -> list[str]:
    """The codes of the states whose licenses staff re-check (checked_by_lookup), sorted."""
    return sorted(code for code in states() if checked_by_lookup(code))


#: A verified license in a lookup-only state is due for a re-check this many days after it was
#: last checked...
RECHECK_EVERY_DAYS = 90
#: ...and from this many days before its expiry date (and once it has passed).
RECHECK_BEFORE_EXPIRY_DAYS = 30


def recheck_due_in_sql(model, on: date | None = None):
    """The licenses due for a staff re-check as a SQL condition on `model` (License): verified
    (whether or not its date has passed), in a lookup-only state, and expiring within
    RECHECK_BEFORE_EXPIRY_DAYS (or expired), never checked, or last checked
    RECHECK_EVERY_DAYS ago or more."""
    day = on or today()
    return and_(
        model.status == "verified",
        model.state.in_(lookup_only_states()),
        or_(
            model.expires_on <= day + timedelta(days=RECHECK_BEFORE_EXPIRY_DAYS),
            model.checked_on.is_(None),
            model.checked_on <= day - timedelta(days=RECHECK_EVERY_DAYS),
        ),
    )


def recheck_reason(lic, on: date | None = None) -> str:
    """Why a license is due for a re-check, in words (the queue shows it)."""
    day = on or today()
    found = rule(lic.state)
    registration = found is not None and found.expiry_of == "registration"
    when = _day(lic.expires_on)
    if lic.expires_on < day:
        if registration:
            return _("The registration expired on %(day)s", day=when)
        return _("The license expired on %(day)s", day=when)
    if lic.expires_on <= day + timedelta(days=RECHECK_BEFORE_EXPIRY_DAYS):
        if registration:
            return _("The registration expires on %(day)s", day=when)
        return _("The license expires on %(day)s", day=when)
    if lic.checked_on is None:
        return _("Never checked")
    return ngettext("Last checked %(num)s day ago", "Last checked %(num)s days ago",
                    (day - lic.checked_on).days)  # fmt: skip


def verification(state: str, method: str | None, source: str | None, checked_on: date | None,
                 roster_status: str | None) -> dict | None:  # fmt: skip
    """A license's `verification` as profile JSON and search results carry it (DESIGN.md): None
    when nobody checked it. `source_name` is the roster's name ("Texas TDLR"), or for a staff
    check the board whose lookup they used."""
    if method is None or checked_on is None:
        return None
    if source is not None:
        spec = roster_sources().get(source)
        source_name = spec["name"] if spec else source
    else:
        state_rule = rule(state)
        source_name = state_rule.board if state_rule else None
    return {
        "method": method,
        "source": source,
        "source_name": source_name,
        "checked_on": checked_on.isoformat(),
        "roster_status": roster_status,
    }


def _day(on: date) -> str:
    return locales.short_date(on)


def verification_text(found: dict | None) -> str:
    """How a page says what was checked: "Verified Dec 1, 2026 against the Texas TDLR roster",
    "Checked by our staff on Dec 1, 2026", or "" when nothing was."""
    if not found:
        return ""
    on = date.fromisoformat(found["checked_on"])
    if found["method"] == "staff":
        return _("Checked by our staff on %(day)s", day=_day(on))
    if found["roster_status"] == "active":
        return _("Verified %(day)s against the %(source)s roster",
                 day=_day(on), source=found["source_name"])  # fmt: skip
    return _("The %(source)s roster of %(day)s lists it as %(status)s",
             source=found["source_name"], day=_day(on), status=found["roster_status"])  # fmt: skip


def record_check(
    lic,
    *,
    method: str | None,
    on: date | None,
    source: str | None = None,
    roster_status: str | None = None,
    evidence: dict | None = None,
) -> None:
    """Note on a license what was checked, how and when (the record behind `verification`)."""
    lic.check_method = method
    lic.check_source = source
    lic.checked_on = on
    lic.roster_status = roster_status
    lic.roster_row = evidence


def forget_check(lic) -> None:
    """What was checked no longer describes the license (its facts changed, or it was
    refused)."""
    record_check(lic, method=None, on=None)
