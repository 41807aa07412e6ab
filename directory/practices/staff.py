"""A practice's profiles as its dashboard works on them: searched by name, filtered, one page
at a time, and the bulk actions on the ones ticked (publish, unpublish, confirm "accepting new
clients"), each judged profile by profile by the role rules (tenancy.RULES)."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, not_, or_, select

from directory import licensing, tenancy
from directory.db import db
from directory.paging import Page, page_of
from directory.practices.models import Membership
from directory.practitioners import operations
from directory.practitioners.models import License, Office, Practitioner, whole_profile
from directory.refusals import Refused
from directory.validation import clean_text, row_id

PER_PAGE = 20
#: The most profiles one bulk action takes (a page holds fewer; a crafted post gets no more).
MAX_BULK = 200

#: Filter value -> label, in the order the filters offer them.
STATUSES = {"published": _l("Published"), "draft": _l("Draft"), "suspended": _l("Suspended")}
ACCEPTING = {"yes": _l("Accepting new clients"), "no": _l("Not accepting")}
LICENSES = {
    "verified": _l("Verified license"),
    "pending": _l("License waiting for review"),
    "attention": _l("Needs attention (no license, rejected or expired)"),
}
#: Bulk action -> (what the list offers, what the confirmation asks of "N profiles", what it
#: says it did).
ACTIONS = {
    "publish": (_l("Publish"), _l("Publish"), _l("Published")),
    "unpublish": (_l("Unpublish"), _l("Unpublish"), _l("Unpublished")),
    "accepting": (
        _l("Confirm accepting new clients"),
        _l("Mark as accepting new clients, confirmed today:"),
        _l("Confirmed as accepting new clients"),
    ),
}
#: The bulk actions that take something away (from the public): their confirmation's button
#: looks like a danger; the others' is an ordinary button.
DESTRUCTIVE = frozenset({"unpublish"})


@dataclass(frozen=True)
class Filters:
    """What the dashboard's list is narrowed to; every value empty lists every profile."""

    q: str = ""
    status: str = ""
    accepting: str = ""
    state: str = ""
    license: str = ""

    def args(self) -> dict[str, str]:
        """The filters that are set, as query-string arguments."""
        return {k: v for k, v in asdict(self).items() if v}


def filters_from(args: Mapping[str, str]) -> Filters:
    """Filters from a query string: an unknown value is no filter (the form offers only
    known ones), a name search is trimmed text."""

    def known(key: str, allowed) -> str:
        value = args.get(key, "")
        return value if value in allowed else ""

    try:
        q = clean_text(args.get("q", ""), 120)
    except ValueError:
        q = ""
    state = args.get("state", "").strip().upper()
    return Filters(
        q=q,
        status=known("status", STATUSES),
        accepting=known("accepting", ACCEPTING),
        state=state if licensing.rule(state) else "",
        license=known("license", LICENSES),
    )


def _current_license(*statuses: str):
    today = licensing.today()
    return exists().where(
        License.practitioner_id == Practitioner.id,
        License.status.in_(statuses),
        License.expires_on >= today,
    )


#: Each filter's SQL condition, by value.
def _status(value: str):
    return {
        "published": and_(Practitioner.published, not_(Practitioner.suspended)),
        "draft": and_(not_(Practitioner.published), not_(Practitioner.suspended)),
        "suspended": Practitioner.suspended,
    }[value]


def _license(value: str):
    if value == "verified":
        return _current_license("verified")
    if value == "pending":
        return _current_license("pending")
    today = licensing.today()
    return or_(
        not_(exists().where(License.practitioner_id == Practitioner.id)),
        exists().where(
            License.practitioner_id == Practitioner.id,
            or_(License.status == "rejected", License.expires_on < today),
        ),
    )


def _editable(user, membership: Membership):
    """The profiles of the practice the user may edit: all for owners and managers, their own
    otherwise (tenancy.editable_profiles' rule, as a query)."""
    query = select(Practitioner).where(Practitioner.tenant_id == membership.tenant_id)
    if not tenancy.may(membership, "manage_practice"):
        query = query.where(Practitioner.user_id == user.id)
    return query


def find(user, membership: Membership, f: Filters, number: int) -> Page | None:
    """One page of the practice's profiles the user may edit, narrowed by `f`, by name (None
    past the last page)."""
    query = _editable(user, membership)
    if f.q:
        like = f"%{f.q.lower()}%"
        query = query.where(func.lower(Practitioner.name).like(like) | Practitioner.slug.like(like))
    if f.status:
        query = query.where(_status(f.status))
    if f.accepting:
        wanted = f.accepting == "yes"
        query = query.where(Practitioner.accepting_new_clients.is_(wanted))
    if f.state:
        query = query.where(
            exists().where(Office.practitioner_id == Practitioner.id, Office.state == f.state)
        )
    if f.license:
        query = query.where(_license(f.license))
    query = query.options(*whole_profile()).order_by(Practitioner.name, Practitioner.id)
    return page_of(query, number, PER_PAGE)


@dataclass(frozen=True)
class Counts:
    """How many of the user's editable profiles each filter value selects (unfiltered), and
    the states their offices are in."""

    total: int
    by_status: dict[str, int]
    by_license: dict[str, int]
    accepting: dict[str, int]
    states: list[tuple[str, int]]


def counts(user, membership: Membership) -> Counts:
    """The counts the filters show beside each choice."""
    ids = _editable(user, membership).with_only_columns(Practitioner.id).subquery()
    mine = Practitioner.id.in_(select(ids.c.id))

    def count(condition) -> int:
        return db.session.scalar(select(func.count()).where(mine, condition)) or 0

    states = db.session.execute(
        select(Office.state, func.count(func.distinct(Office.practitioner_id)))
        .where(Office.practitioner_id.in_(select(ids.c.id)))
        .group_by(Office.state)
        .order_by(Office.state)
    ).all()
    return Counts(
        total=db.session.scalar(select(func.count()).select_from(ids)) or 0,
        by_status={v: count(_status(v)) for v in STATUSES},
        by_license={v: count(_license(v)) for v in LICENSES},
        accepting={
            "yes": count(Practitioner.accepting_new_clients.is_(True)),
            "no": count(Practitioner.accepting_new_clients.is_(False)),
        },
        states=[(state, n) for state, n in states],
    )


# --- Bulk actions ---------------------------------------------------------------------------


def ids_from(values) -> list[int]:
    """The ticked profile ids that are row ids, each once, in order (at most MAX_BULK)."""
    found: list[int] = []
    for value in values:
        # The list posts one id per box; the confirmation page posts them joined by commas.
        for part in str(value).split(","):
            number = row_id(part.strip())
            if number is not None and number not in found:
                found.append(number)
    return found[:MAX_BULK]


@dataclass
class Judged:
    """The ticked profiles sorted by the role rules: those the actor may change, those they
    may not (named: they are the actor's own practice's), and how many ids were no profile of
    this practice (not named: another practice's profiles are never revealed)."""

    allowed: list[Practitioner] = field(default_factory=list)
    refused: list[tuple[Practitioner, str]] = field(default_factory=list)
    unknown: int = 0


def judge(membership: Membership, ids: list[int]) -> Judged:
    """Which of the ticked profiles the member may act on."""
    found = {
        p.id: p
        for p in db.session.scalars(
            select(Practitioner)
            .where(Practitioner.tenant_id == membership.tenant_id, Practitioner.id.in_(ids))
            .options(*whole_profile())
        )
    }
    judged = Judged(unknown=len([i for i in ids if i not in found]))
    for p in sorted(found.values(), key=lambda p: (p.name, p.id)):
        if tenancy.may(membership, "edit_profile", p):
            judged.allowed.append(p)
        else:
            judged.refused.append((p, "only its therapist or the practice's managers may"))
    return judged


@dataclass
class BulkResult:
    done: list[Practitioner] = field(default_factory=list)
    #: Already as asked: nothing to change.
    unchanged: list[Practitioner] = field(default_factory=list)
    refused: list[tuple[Practitioner, str]] = field(default_factory=list)
    unknown: int = 0


def bulk(membership: Membership, action: str, ids: list[int], actor) -> BulkResult:
    """Apply `action` (a key of ACTIONS) to each ticked profile the member may change; each
    change is audited as its one-profile twin is. A profile a rule refuses (publishing one that
    lacks a license...) is named with the reason and the others go ahead."""
    if action not in ACTIONS:
        raise Refused(_l("Choose what to do with the ticked profiles."))
    judged = judge(membership, ids)
    result = BulkResult(refused=list(judged.refused), unknown=judged.unknown)
    for p in judged.allowed:
        if action == "publish":
            if p.published:
                result.unchanged.append(p)
                continue
            try:
                operations.publish(p, actor=actor)
            except Refused as refused:
                result.refused.append((p, refused.message))
                continue
        elif action == "unpublish":
            if not p.published:
                result.unchanged.append(p)
                continue
            operations.unpublish(p, actor=actor)
        else:
            operations.confirm_accepting(p, True, actor=actor)
        result.done.append(p)
    return result
