"""What the HSDS read API (`/hsds/`) answers: pages of services, organizations and taxonomy
terms, and single records, built by the same `records` as the export, from the same visibility
query as every public page (`profiles.visible()`)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache

from sqlalchemy import and_, false, func, or_, select, true

from directory import licensing, specialties, vocabulary
from directory.db import db
from directory.hsds import records
from directory.paging import MAX_PAGE, MAX_PER_PAGE, PER_PAGE, keyset_starts, page_count
from directory.practices import roster
from directory.practices.models import Tenant
from directory.practitioners import profiles
from directory.practitioners.models import License, Practitioner, Specialty
from directory.search import outbox, results, sync
from directory.search.params import Params, SearchError
from directory.validation import clean_text, whole_number
from directory.vocabulary import Condition, Modality

#: Fully nested organizations nest every service: fewer of them a page.
MAX_FULL_ORGANIZATIONS = 20
SEARCH_LENGTH = 200


class BadParameter(ValueError):
    """A query parameter the API cannot answer: 400, naming the parameter."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name, self.message = name, message

    def as_dict(self) -> dict:
        return {"error": {"code": "invalid_parameter", "message": self.message,
                          "field": self.name}}  # fmt: skip


@dataclass
class Query:
    page: int = 1
    per_page: int = PER_PAGE
    search: str = ""
    organization: uuid.UUID | None = None
    term: tuple[str, dict] | None = None  # (taxonomy key, term)
    taxonomy: str | None = None  # taxonomy key
    modified_after: datetime | None = None
    full: bool = False
    full_service: bool = False
    parent: str | None = None  # a taxonomy term's id
    top_only: bool = False
    #: A filter names a term or taxonomy that does not exist: the page is empty.
    nothing: bool = False


def _id(raw: str) -> uuid.UUID | None:
    """A record id from a path; None when it is not a UUID (then no record has it)."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _uuid(args, name: str) -> uuid.UUID | None:
    """The id a parameter gives (absent: None); BadParameter when it is not a UUID."""
    raw = args.get(name)
    if raw is None:
        return None
    if (found := _id(raw)) is None:
        raise BadParameter(name, f"{name} must be a UUID.")
    return found


def flag(args, name: str) -> bool:
    """A true/false parameter (absent: false)."""
    raw = args.get(name, "false").casefold()
    if raw not in ("true", "false", "1", "0"):
        raise BadParameter(name, f"{name} must be true or false.")
    return raw in ("true", "1")


def parse(args) -> Query:
    """The query of a list request; BadParameter for a value outside its shape."""
    q = Query()
    for name, low, high, default in (("page", 1, MAX_PAGE, 1),
                                     ("per_page", 1, MAX_PER_PAGE, PER_PAGE)):  # fmt: skip
        value = whole_number(args.get(name, str(default)), low, high)
        if value is None:
            raise BadParameter(name, f"{name} must be a whole number from {low} to {high}.")
        setattr(q, name, value)
    try:
        q.search = " ".join(clean_text(args.get("search", ""), SEARCH_LENGTH).split())
    except ValueError as error:
        raise BadParameter("search", f"search {error}.") from None
    q.organization = _uuid(args, "organization_id")
    # A malformed id is a 400; an id nothing has is a filter that matches nothing, as an
    # unknown organization_id is.
    if (term_id := _uuid(args, "taxonomy_term_id")) is not None:
        q.term = records.term_by_id(str(term_id))
        q.nothing |= q.term is None
    if (taxonomy_id := _uuid(args, "taxonomy_id")) is not None:
        keys = {records.taxonomy(key)["id"]: key for key in records.TAXONOMIES}
        q.taxonomy = keys.get(str(taxonomy_id))
        q.nothing |= q.taxonomy is None
    if (parent := _uuid(args, "parent_id")) is not None:
        q.parent = str(parent)
    q.top_only = flag(args, "top_only")
    if (raw := args.get("modified_after")) is not None:
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            moment = moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)
        except (ValueError, OverflowError):
            raise BadParameter("modified_after", "modified_after must be an ISO 8601 date "
                               "or date and time.") from None  # fmt: skip
        q.modified_after = moment
    q.full = flag(args, "full")
    q.full_service = flag(args, "full_service")
    if args.get("format", "json") != "json":
        raise BadParameter("format", "Only format=json is offered.")
    return q


def _paged(query, q: Query, whole: "_Whole | None" = None) -> tuple[int, list]:
    """(how many rows `query` selects, the rows of the page asked for), read in one transaction.
    `query` selects one entity without DISTINCT or GROUP BY; `whole`, for the unfiltered
    services list, knows its count and where its runs of STRIDE rows start."""
    offset = (q.page - 1) * q.per_page
    page = query.limit(q.per_page)
    if whole is not None and offset >= STRIDE:
        starts = whole.starts()
        run = min(offset // STRIDE, len(starts) - 1)
        page = page.where(Practitioner.id > starts[run]).offset(offset - run * STRIDE)
    else:
        page = page.offset(offset)
    rows = list(db.session.scalars(page).all())
    if len(rows) < q.per_page and (rows or offset == 0):
        # A page that is not full is the last: it says how many there are, and no count can
        # contradict it (a practice's services, a rare term, the last page of any list).
        return offset + len(rows), rows
    if whole is not None:
        return whole.total(), rows
    # Counted as it is, its order and columns dropped: a subquery of every column in order
    # made SQLite scan and copy every visible profile (2-11x slower at 100,000 profiles).
    counted = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    return db.session.scalar(counted), rows


def _page_of(items: list[dict], q: Query) -> dict:
    """The page asked for of a list already in memory (taxonomies and their terms)."""
    start = (q.page - 1) * q.per_page
    return _page(len(items), q, items[start : start + q.per_page])


def _page(total: int, q: Query, contents: list[dict]) -> dict:
    """The specification's `Page` wrapper around one page of contents."""
    pages = page_count(total, q.per_page)
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": q.page,
        "size": len(contents),
        "first_page": q.page == 1,
        "last_page": q.page >= pages,
        "empty": total == 0,
        "contents": contents,
    }


# Services.


def modified_since(moment: datetime):
    """Services whose record changed at or after `moment` (records.last_modified in SQL): the
    profile, its practice, a license or specialty certificate, or a license or verified
    certificate lapsing by its date since then."""
    today = licensing.today()
    midnight = moment.date() if moment.time() == time() else moment.date() + timedelta(days=1)
    lapsed = and_(licensing.status_in_sql(License, "expired", today),
                  License.expires_on >= midnight - timedelta(days=1))  # fmt: skip
    certificate_lapsed = and_(
        Specialty.status == "verified",
        Specialty.expires_on < today,
        Specialty.expires_on >= midnight - timedelta(days=1),
    )
    return or_(
        Practitioner.updated_at >= moment,
        Tenant.updated_at >= moment,
        Practitioner.licenses.any(or_(License.updated_at >= moment, lapsed)),
        Practitioner.specialties.any(or_(Specialty.updated_at >= moment, certificate_lapsed)),
    )


def _term_clause(key: str, code: str, on):
    """Which services a taxonomy term selects: those whose records carry it (records.service),
    for a state's top license term those carrying any of its children, for a kind of practice
    (an organization's term) the services of such practices."""
    if key == "setting":
        return Practitioner.setting.in_([s for s, terms in records.SETTING_OF.items()
                                         if code in terms])  # fmt: skip
    if key == "condition":
        return Practitioner.conditions.any(Condition.slug == code)
    if key == "modality":
        return Practitioner.modalities.any(Modality.slug == code)
    if key == "detail":
        flag = next(f for f, (c, _, _) in records.DETAIL_TERMS.items() if c == code)
        return getattr(Practitioner, flag).is_(True)
    if key == "practice_kind":
        return Tenant.kind == code.removeprefix("kind-")
    if key == "specialty":
        kind = code.removeprefix("specialty-")
        return Practitioner.specialties.any(
            and_(Specialty.kind == kind, specialties.verified_in_sql(Specialty, on))
        )
    state, _, status = code.partition("-")  # license: "NJ", or "NJ-verified"
    held = License.state == state
    if status:
        held = and_(held, licensing.status_in_sql(License, status, on))
    return Practitioner.licenses.any(held)


def _taxonomy_clause(key: str):
    """Which services carry any term of a taxonomy (every practice has a kind)."""
    if key == "condition":
        return Practitioner.conditions.any()
    if key == "modality":
        return Practitioner.modalities.any()
    if key == "license":
        return Practitioner.licenses.any()
    if key == "specialty":
        return Practitioner.specialties.any(specialties.verified_in_sql(Specialty))
    if key == "detail":
        return or_(*(getattr(Practitioner, flag).is_(True) for flag in records.DETAIL_TERMS))
    return true() if key in ("setting", "practice_kind") else false()


def _services(ps: list[Practitioner], full: bool, on) -> list[dict]:
    """Records of these profiles (in this order), each with its organization."""
    listed = roster.counts({p.tenant_id for p in ps})
    found = []
    for p in ps:
        org = records.organization(p.tenant, listed.get(p.tenant_id, 0))
        record = records.service(p, org, on)
        found.append({**(record if full else records.one_to_one(record)), "organization": org})
    return found


def _published():
    """The profiles HSDS lists: the public ones their therapists made or claimed (unclaimed
    listings from public records are not services anyone offered to publish)."""
    return profiles.visible().where(Practitioner.claimed.is_(True))


def services(q: Query) -> dict:
    """A page of services: one-to-one fields and their organization, or fully nested (full)."""
    on = licensing.today()
    if q.search:
        return _searched(q, on)
    if q.nothing:
        return _page(0, q, [])
    query = profiles_query = _published()
    if q.organization is not None:
        query = query.where(Tenant.public_id == q.organization)
    if q.term is not None:
        query = query.where(_term_clause(q.term[0], q.term[1]["code"], on))
    if q.taxonomy is not None:
        query = query.where(_taxonomy_clause(q.taxonomy))
    if q.modified_after is not None:
        query = query.where(modified_since(q.modified_after))
    whole = outbox.kept("hsds.services", _Whole) if query is profiles_query else None
    total, ps = _paged(query.order_by(Practitioner.id), q, whole)
    return _page(total, q, _services(ps, q.full, on))


#: Rows of the unfiltered services list between two kept starts: a deep page reads by keyset
#: from the nearest start and walks fewer than this many rows, not every row before it.
STRIDE = 1000


class _Whole:
    """The unfiltered services list as this process keeps it: its count and where each run of
    STRIDE rows starts, each read once when first asked for, kept (`outbox.kept`) until what
    is public changes: every change to a practitioner or a practice writes an outbox row.
    Counting every visible profile was 64 ms of the first page's 80 at 100,000 profiles;
    OFFSET to the last page walked them all."""

    def __init__(self):
        self._total: int | None = None
        self._starts: list[int] | None = None

    def total(self) -> int:
        if self._total is None:
            counted = _published().with_only_columns(func.count(), maintain_column_froms=True)
            self._total = db.session.scalar(counted.order_by(None))
        return self._total

    def starts(self) -> list[int]:
        if self._starts is None:
            ids = (
                select(Practitioner.id).join(Practitioner.tenant)
                .where(profiles.public_rule(), Practitioner.claimed.is_(True))
            )  # fmt: skip
            self._starts = keyset_starts(ids, STRIDE)
        return self._starts


def _searched(q: Query, on) -> dict:
    """`search`: the directory's own search (the need interpreter and its ranking), nationwide;
    like every search of the directory it lists only therapists with a listed office."""
    others = [name for name, value in (("organization_id", q.organization),
              ("taxonomy_term_id", q.term), ("taxonomy_id", q.taxonomy),
              ("modified_after", q.modified_after)) if value is not None]  # fmt: skip
    if others:
        raise BadParameter(others[0], f"search cannot be combined with {others[0]}.")
    sync.catch_up()
    try:
        outcome = results.search(Params(q=q.search, page=q.page, per_page=q.per_page))
    except SearchError as error:
        raise BadParameter("search", error.message) from None
    slugs = [row["slug"] for row in outcome.results]
    by_slug = {p.slug: p for p in db.session.scalars(
        _published().where(Practitioner.slug.in_(slugs)))}  # fmt: skip
    ps = [by_slug[s] for s in slugs if s in by_slug]
    return _page(outcome.total, q, _services(ps, q.full, on))


def service(service_id: str) -> dict | None:
    """The fully nested service with this id, or None (unknown, or not public)."""
    if (wanted := _id(service_id)) is None:
        return None
    p = db.session.scalar(_published().where(Practitioner.public_id == wanted))
    return _services([p], True, licensing.today())[0] if p is not None else None


# Organizations.


def _full_organizations(tenants: list[Tenant], full_service: bool) -> list[dict]:
    found = []
    for practice in records.load(tenants, licensing.today()):
        whole = practice.organization
        if not full_service:
            whole["services"] = [records.one_to_one(s) for s in whole["services"]]
        found.append(whole)
    return found


def organizations(q: Query) -> dict:
    """A page of listed practices: one-to-one fields, or fully nested (full)."""
    if q.full and q.per_page > MAX_FULL_ORGANIZATIONS:
        raise BadParameter("per_page", f"per_page is at most {MAX_FULL_ORGANIZATIONS} with "
                           "full=true.")  # fmt: skip
    query = roster.listed_practices()
    if q.search:
        query = query.where(func.lower(Tenant.name).contains(q.search.lower(), autoescape=True))
    total, tenants = _paged(query, q)
    if q.full:
        contents = _full_organizations(tenants, q.full_service)
    else:
        listed = roster.counts(t.id for t in tenants)
        contents = [records.organization(t, listed.get(t.id, 0)) for t in tenants]
    return _page(total, q, contents)


def organization(organization_id: str, full_service: bool) -> dict | None:
    """The fully nested listed practice with this id, or None."""
    if (wanted := _id(organization_id)) is None:
        return None
    tenant = db.session.scalar(roster.listed_practices().where(Tenant.public_id == wanted))
    return _full_organizations([tenant], full_service)[0] if tenant is not None else None


# Taxonomies.


def taxonomies(q: Query) -> dict:
    """A page of our taxonomies (`search` in their names)."""
    found = [t for t in records.taxonomies() if q.search.casefold() in t["name"].casefold()]
    return _page_of(found, q)


@cache
def _names() -> dict[str, str]:
    """Term id -> what `search` matches it by: its name and code, and for a vocabulary entry
    every way of naming it (synonyms, lay terms, misspellings), normalized."""
    found = {}
    for (key, code), term in records.terms().items():
        names = [term["name"], code]
        if key in ("condition", "modality"):
            names += vocabulary.terms()[code].phrases
        elif key == "specialty":
            names += [specialties.kinds()[code.removeprefix("specialty-")].short]
        found[term["id"]] = " | ".join(vocabulary.normalize(n) for n in names)
    return found


def taxonomy_terms(q: Query) -> dict:
    """A page of terms: of one taxonomy, top ones only, children of one, matching `search`."""
    wanted = vocabulary.normalize(q.search)
    found = [
        t
        for (key, _), t in records.terms().items()
        if not q.nothing
        and (q.taxonomy is None or key == q.taxonomy)
        and (not q.top_only or "parent_id" not in t)
        and (q.parent is None or t.get("parent_id") == q.parent)
        and wanted in _names()[t["id"]]
    ]
    return _page_of(found, q)
