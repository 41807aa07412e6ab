"""The published directory as Open Referral HSDS 3.0 records (issue 15; DESIGN.md, "Command
line" and "Paths").

- An **organization** is a practice with at least one profile the public may see (rule 1).
- A **service** is one listed therapist's massage: its setting, the conditions and modalities
  they list, their state licenses and their verified, current specialty certificates are
  attributes; the therapist is its **contact**. One service per therapist, not one per
  practice, so a referral for sciatica never lands on the practice's spa therapist, and each
  license stays with the person who holds it.
- A **location** is a distinct address among the practice's listed offices (rule 2), with the
  ZIP code's centre as its coordinates; a **service at location** links a therapist to it and
  says whether their license in that state is verified (rule 3).

Only what the public pages show goes in: contact details through the field table's public rule
(`fields.public_values`, so an email not opted in stays out), a rejected license without its
number, a specialty certificate only while verified and current (never its number or
document). Ids are UUIDs: practices and profiles carry a random `public_id`; everything else is
derived from those and public data (uuid5), so the same record keeps its id in every export.
"""

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from directory import languages, licensing, specialties, vocabulary
from directory.db import db
from directory.mail import public_url
from directory.practices import roster
from directory.practices.models import KIND_LABELS, Tenant
from directory.practitioners import fields, profiles
from directory.practitioners.models import Office, Practitioner

#: The HSDS version the records follow (and the vendored schemas are: data/hsds/README.md).
VERSION = "3.0"
#: The namespace of every derived id; never change it, or every consumer sees new records.
NAMESPACE = uuid.UUID("5d7f0c1e-8f43-4c2e-9a61-0b7d3e2c9a15")

#: Our taxonomies: key -> (name, description).
TAXONOMIES = {
    "setting": (
        "Massage setting",
        "Whether a therapist's massage aims at relaxation (spa) or at solving a "
        "musculoskeletal problem (medical). A therapist working in both has both terms.",
    ),
    "condition": (
        "Conditions treated",
        "The conditions a therapist lists as ones they treat, from the directory's vocabulary.",
    ),
    "modality": (
        "Massage modalities",
        "The techniques a therapist lists, from the directory's vocabulary.",
    ),
    "license": (
        "State massage therapy licenses",
        "A therapist's license in a US state or territory (a top term per state) and its "
        "status on the day of the export (a child term); an attribute's value is the license "
        "number, left out when the board did not confirm the license.",
    ),
    "specialty": (
        "Specialty certificates",
        "A certificate in a specialty of massage (lymphedema, pregnancy, cancer care...) that "
        "the directory checked and that had not expired on the day of the export; an "
        "attribute's value is the school or body that issued it. Certificates not yet checked, "
        "refused or expired are not listed.",
    ),
    "detail": ("Service details", "How a therapist works with clients."),
    "practice_kind": ("Kind of practice", "What kind of business a practice is."),
}

SETTING_TERMS = {
    "spa": ("Spa massage", "Massage for relaxation: even pressure, flowing whole-body work."),
    "medical": (
        "Medical massage",
        "Massage aimed at a musculoskeletal problem, often beside physical therapists and doctors.",
    ),
}
#: Which setting terms a profile's setting carries.
SETTING_OF = {"spa": ("spa",), "medical": ("medical",), "both": ("medical", "spa")}
SETTING_NAMES = {
    "spa": "Spa massage",
    "medical": "Medical massage",
    "both": "Medical and spa massage",
}

#: License status -> (name after the state's name, description).
LICENSE_STATUS_TERMS = {
    "verified": ("license, verified", "The directory checked this license with the state's "
                 "board, and it had not expired when the record was made."),
    "pending": ("license, not yet verified", "The therapist entered this license; the "
                "directory has not checked it with the board yet."),
    "expired": ("license, expired", "The license's expiry date has passed; the therapist's "
                "offices in this state are not listed."),
    "rejected": ("license, not confirmed", "The state's board did not confirm this license; "
                 "its number is not published."),
}  # fmt: skip

#: Profile flag -> (term code, name, description).
DETAIL_TERMS = {
    "accepting_new_clients": ("accepting-new-clients", "Accepting new clients",
                              "The therapist says they take new clients."),
    "in_home": ("in-home", "Visits clients at home", "The therapist comes to the client's home."),
    "accepts_physician_referrals": ("physician-referrals", "Takes physician referrals",
                                    "The therapist accepts referrals from physicians."),
    "hsa_fsa": ("hsa-fsa", "Provides HSA/FSA superbills",
                "The therapist provides superbills for health savings and flexible spending "
                "accounts."),
}  # fmt: skip


def derived_id(*parts: str) -> str:
    """A stable UUID for a record identified by `parts` (uuid5 in our namespace)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _clean(record: dict) -> dict:
    """Leave out what is unknown: HSDS fields are typed, and null is not a string."""
    return {k: v for k, v in record.items() if v is not None and v != ""}


# Taxonomies and their terms: built from the vocabulary and the state rules, the same for every
# export (ids derived from the codes).


def taxonomy(key: str) -> dict:
    """One of our taxonomies (TAXONOMIES) as an HSDS taxonomy."""
    name, description = TAXONOMIES[key]
    return {"id": derived_id("taxonomy", key), "name": name, "description": description}


def _term(key: str, code: str, name: str, description: str, parent: str | None = None) -> dict:
    return _clean(
        {
            "id": derived_id("taxonomy_term", key, code),
            "code": code,
            "name": name,
            "description": description or name,
            "parent_id": derived_id("taxonomy_term", key, parent) if parent else None,
            "taxonomy": TAXONOMIES[key][0],
            "taxonomy_id": derived_id("taxonomy", key),
            "language": "en",
        }
    )


@cache
def terms() -> dict[tuple[str, str], dict]:
    """Every term of every taxonomy by (taxonomy key, code), in a stable order."""
    found: dict[tuple[str, str], dict] = {}

    def add(key: str, code: str, *rest, parent: str | None = None) -> None:
        found[(key, code)] = _term(key, code, *rest, parent=parent)

    for code, (name, description) in SETTING_TERMS.items():
        add("setting", code, name, description)
    for t in vocabulary.conditions():
        add("condition", t.slug, t.name, _condition_description(t))
    for t in vocabulary.modalities():
        add("modality", t.slug, t.name, t.text)
    for state in licensing.states().values():
        about = f"A massage therapy license issued in {state.name}"
        about += f" by the {state.board}." if state.board else "."
        add("license", state.code, f"{state.name} massage therapy license", about)
        for status, (suffix, description) in LICENSE_STATUS_TERMS.items():
            add("license", f"{state.code}-{status}", f"{state.name} {suffix}", description,
                parent=state.code)  # fmt: skip
    for kind, about in specialties.kinds().items():
        add("specialty", specialty_code(kind), specialties.name(kind), about.description)
    for code, name, description in DETAIL_TERMS.values():
        add("detail", code, name, description)
    for kind, label in KIND_LABELS.items():
        add("practice_kind", f"kind-{kind}", label, f"The practice is a {label.lower()}.")
    codes = [t["code"] for t in found.values()]
    if len(set(codes)) != len(codes):  # the tabular package's taxonomy_term.code is unique
        raise ValueError("two taxonomy terms share a code")
    return found


def specialty_code(kind: str) -> str:
    """A specialty's term code ("specialty-clt"): prefixed, as term codes are unique across
    taxonomies and a kind ("sports") could be another term's code."""
    return f"specialty-{kind}"


def _condition_description(t: vocabulary.Term) -> str:
    """What a condition term means: who lists it, and the ICD-10-CM codes a referral for it
    may carry (the vocabulary's advice is for clients, not a definition)."""
    text = f"{t.name}: a condition a therapist lists as one they treat."
    if t.icd10:
        codes = "; ".join(f"{code} {name}" for code, name in t.icd10)
        text += f" A referral may name it as ICD-10-CM {codes}."
    return text


def taxonomies() -> list[dict]:
    """Every taxonomy of ours, in TAXONOMIES' order."""
    return [taxonomy(key) for key in TAXONOMIES]


def term_by_id(term_id: str) -> tuple[str, dict] | None:
    """(taxonomy key, term) for a term id; None for an unknown one."""
    return _terms_by_id().get(term_id)


@cache
def _terms_by_id() -> dict[str, tuple[str, dict]]:
    return {t["id"]: (key, t) for (key, _code), t in terms().items()}


def _attribute(link_id: str, entity: str, key: str, code: str, value: str | None = None) -> dict:
    term = terms()[(key, code)]
    return _clean(
        {
            "id": derived_id("attribute", link_id, term["id"]),
            "link_id": link_id,
            "taxonomy_term_id": term["id"],
            "link_type": key,
            "link_entity": entity,
            "value": value,
            "taxonomy_term": term,
        }
    )


# Organizations, locations, services.


def organization_id(tenant: Tenant) -> str:
    """A practice's organization id: its random public id."""
    return str(tenant.public_id)


def organization(tenant: Tenant, listed: int) -> dict:
    """The practice's one-to-one fields (listed: how many profiles the public sees)."""
    # The whole description (roster.summary shortens it to a meta description's 160
    # characters), else the summary's sentence from the data.
    description = (tenant.description or "").strip() or roster.summary(tenant, listed)
    return _clean(
        {
            "id": organization_id(tenant),
            "name": tenant.name,
            "description": description,
            "website": roster.website(tenant),
            "logo": public_url("editor.media", name=tenant.logo) if tenant.logo else None,
            "uri": public_url("practice_pages.show", slug=tenant.slug),
        }
    )


def _address_key(office: Office) -> str:
    return "|".join(" ".join(part.casefold().split()) for part in
                    (office.street, office.city, office.state, office.zip))  # fmt: skip


def location(tenant: Tenant, office: Office) -> dict:
    """The place of an office, shared by every therapist of the practice at that address."""
    location_id = derived_id("location", organization_id(tenant), _address_key(office))
    return {
        "id": location_id,
        "location_type": "physical",
        "organization_id": organization_id(tenant),
        "name": f"{tenant.name}, {office.street}, {office.city}",
        "description": f"The coordinates are the centre of ZIP code {office.zip}, not the "
        "building.",
        "latitude": office.lat,
        "longitude": office.lon,
        "addresses": [
            {
                "id": derived_id("address", location_id),
                "location_id": location_id,
                "address_1": office.street,
                "city": office.city,
                "state_province": office.state,
                "postal_code": office.zip,
                "country": "US",
                "address_type": "physical",
            }
        ],
    }


def _money(low: int | None, high: int | None) -> str:
    if low is not None and high is not None and low != high:
        return f"${low} to ${high} a session"
    if low is not None or high is not None:
        return f"${low if low is not None else high} a session"
    return ""


def _fees(values: dict) -> str:
    parts = []
    if price := _money(values.get("price_min"), values.get("price_max")):
        parts.append(price[0].upper() + price[1:] + ".")
    if lengths := values.get("session_lengths"):
        minutes = ", ".join(str(n) for n in lengths[:-1])
        minutes = f"{minutes} or {lengths[-1]}" if minutes else str(lengths[-1])
        parts.append(f"Sessions of {minutes} minutes.")
    if notes := values.get("insurance_notes"):
        parts.append(f"Insurance: {notes}")
    return " ".join(parts)


def _license_text(lic: profiles.LicenseView) -> str:
    if not lic.regulated:
        number = f" {lic.public_number}" if lic.public_number else ""
        return (f"{lic.state_name} license{number} ({lic.state_name} does not license massage "
                "therapists: there is nothing to verify)")  # fmt: skip
    said = {
        "verified": "verified by the directory",
        "pending": "not yet verified",
        "expired": "expired",
        "rejected": "not confirmed by the board",
    }[lic.status]
    number = f" {lic.public_number}" if lic.public_number else ""
    when = lic.expires_on.isoformat() if lic.expires_on else None
    until = {"rejected": "", "expired": f" on {when}"}.get(lic.status, f", expires {when}")
    if when is None:
        until = ""  # the source names no expiry (a listing's license from the NPPES file)
    return f"{lic.state_name} massage therapy license{number} ({said}{until})"


def _accreditations(p: Practitioner, certified: list) -> str | None:
    """The credentials line as the therapist writes it, then the specialty certificates the
    directory verified (the line itself is their own words, checked by nobody)."""
    checked = [f"{specialties.name(s.kind)} from {s.issuer}" for s in certified]
    said = [p.credentials] if p.credentials else []
    if checked:
        said.append("Verified by the directory: " + "; ".join(checked) + ".")
    return ". ".join(said) or None


def _assured(practitioner: Practitioner) -> str | None:
    """The day one of their licenses was last verified (against a board's roster, by an admin,
    or an import recorded as one): the day the facts were checked as of (a roster file's date),
    else the day of the decision."""
    verified = [lic.checked_on or lic.reviewed_at.date() for lic in practitioner.licenses
                if lic.status == "verified" and (lic.checked_on or lic.reviewed_at)
                and licensing.licenses_massage(lic.state)]  # fmt: skip
    return max(verified).isoformat() if verified else None


def lapsed_at(expires_on: date) -> datetime:
    """When a license or certificate expiring on this day stops being current: the next
    midnight (UTC)."""
    return datetime.combine(expires_on + timedelta(days=1), time(), tzinfo=UTC)


def last_modified(p: Practitioner, on: date | None = None) -> datetime:
    """When the record last changed: the profile, its practice, a license or specialty
    certificate (a decision, an edit), or a license or verified certificate lapsing by its
    date, whichever is latest (reads.modified_since asks the same in SQL)."""
    today = on or licensing.today()
    moments = [p.updated_at, p.tenant.updated_at]
    moments += [lic.updated_at for lic in p.licenses]
    moments += [lapsed_at(lic.expires_on) for lic in p.licenses
                if lic.status != "rejected" and lic.expires_on is not None
                and lic.expires_on < today]  # fmt: skip
    moments += [s.updated_at for s in p.specialties]
    moments += [lapsed_at(s.expires_on) for s in p.specialties
                if s.status == "verified" and s.expires_on is not None
                and s.expires_on < today]  # fmt: skip
    return max(moments)


def _alert(p: Practitioner, links: list[dict]) -> str | None:
    said = []
    if not links:
        # As the directory's search does, a therapist with no listed office is not offered.
        said.append("No office is listed: the therapist holds no current license in the "
                    "state of any of their offices." if p.offices
                    else "No office is listed: the profile names none.")  # fmt: skip
    if not p.accepting_new_clients:
        said.append("Not accepting new clients.")
    return " ".join(said) or None


def _spoken(names: list[str]) -> list[str]:
    """English first (everyone here works in it), then each other language once."""
    spoken = {"english": "English"}
    for name in names:
        spoken.setdefault(name.casefold(), name)
    return list(spoken.values())


def service_id(practitioner: Practitioner) -> str:
    """A therapist's service id: their profile's random public id."""
    return str(practitioner.public_id)


@dataclass(frozen=True)
class Practice:
    """One organization's worth of records, each fully nested as its file holds it."""

    organization: dict
    services: list[dict]
    service_at_locations: list[dict]


def one_to_one(record: dict) -> dict:
    """A record's own fields, without what is nested in lists (the specification's "list"
    shape of a service)."""
    return {k: v for k, v in record.items() if not isinstance(v, list)}


def service(p: Practitioner, org: dict, on: date | None = None) -> dict:
    """The therapist's service, fully nested but without its organization (`org`'s id is its
    organization_id); each service at location nests its location."""
    values = fields.public_values(p)
    contact_values = values.get("contact", {})
    sid = service_id(p)
    url = public_url("practitioners.show", slug=p.slug)
    licenses = profiles.license_views(p, on)
    certified = [s for s in p.specialties if specialties.earns_badge(s, on)]
    contact_id = derived_id("contact", sid)

    ways = [f"Book online at {values['booking_url']}."] if values.get("booking_url") else []
    if phone := contact_values.get("phone"):
        ways.append(f"Call {phone}.")
    if email := contact_values.get("email"):
        ways.append(f"Email {email}.")
    ways.append(f"Their profile, with every way to reach them: {url}")

    # An unclaimed listing states no setting: none is exported.
    attributes = [_attribute(sid, "service", "setting", s) for s in SETTING_OF.get(p.setting, ())]
    attributes += [_attribute(sid, "service", "condition", c.slug) for c in p.conditions]
    attributes += [_attribute(sid, "service", "modality", m.slug) for m in p.modalities]
    attributes += [
        # A state licensing nobody has its term, never a status: there is nothing to verify.
        _attribute(
            sid,
            "service",
            "license",
            f"{lic.state}-{lic.status}" if lic.regulated else lic.state,
            lic.public_number,
        )
        for lic in licenses
        if licensing.rule(lic.state) is not None
    ]
    attributes += [
        _attribute(sid, "service", "specialty", specialty_code(s.kind), s.issuer) for s in certified
    ]
    attributes += [
        _attribute(sid, "service", "detail", code)
        for flag, (code, _, _) in DETAIL_TERMS.items()
        if values.get(flag)
    ]

    links = []
    for ov in profiles.office_views(p, on):
        place = location(p.tenant, ov.office)
        if place["id"] in {link["location_id"] for link in links}:
            continue  # two offices of theirs at one address
        state = licensing.rule(ov.office.state)
        state_name = state.name if state else ov.office.state
        links.append(
            {
                "id": derived_id("service_at_location", sid, place["id"]),
                "service_id": sid,
                "location_id": place["id"],
                "description": f"{p.name} works here. Their {state_name} license is "
                + ("verified by the directory." if ov.verified else "not yet verified."),
                "location": place,
            }
        )

    record = _clean(
        {
            "id": sid,
            "organization_id": org["id"],
            "name": f"{SETTING_NAMES.get(p.setting, 'Massage')} with {p.name}"
            + (f", {p.credentials}" if p.credentials else ""),
            "description": "\n\n".join(x for x in (p.headline, p.bio) if x) or None,
            "url": url,
            "email": contact_values.get("email"),
            "status": "active" if links else "inactive",
            "application_process": " ".join(ways),
            "fees_description": _fees(values),
            "accreditations": _accreditations(p, certified),
            "assured_date": _assured(p),
            "licenses": "; ".join(_license_text(lic) for lic in licenses) or None,
            "alert": _alert(p, links),
            "last_modified": last_modified(p, on).isoformat(timespec="seconds"),
        }
    )
    phones = [{"id": derived_id("phone", sid), "service_id": sid, "contact_id": contact_id,
               "number": phone, "type": "voice"}] if phone else []  # fmt: skip
    record["phones"] = phones
    record["service_at_locations"] = links
    record["languages"] = [
        _clean(
            {
                "id": derived_id("language", sid, name.casefold()),
                "service_id": sid,
                "name": name,
                "code": languages.code(name),
            }
        )
        for name in _spoken(p.languages)
    ]
    record["contacts"] = [
        _clean(
            {
                "id": contact_id,
                "organization_id": org["id"],
                "service_id": sid,
                "name": p.name,
                "title": f"Massage therapist, {p.credentials}"
                if p.credentials
                else "Massage therapist",
                "email": contact_values.get("email"),
            }
        )
    ]
    record["attributes"] = attributes
    return record


def practice(tenant: Tenant, practitioners: Iterable[Practitioner], on: date | None = None):
    """Every record of one practice from its publicly visible profiles (profiles.visible(),
    loaded with whole_profile)."""
    practitioners = list(practitioners)
    org = organization(tenant, len(practitioners))
    services, links, places = [], [], {}
    for p in practitioners:
        record = service(p, org, on)
        for link in record["service_at_locations"]:
            places.setdefault(link["location_id"], link["location"])
        services.append(record)
        links += record["service_at_locations"]
    whole = {
        **org,
        "locations": list(places.values()),
        "services": services,
        "attributes": [
            _attribute(org["id"], "organization", "practice_kind", f"kind-{tenant.kind}")
        ],
    }
    return Practice(
        organization=whole,
        services=[{**s, "organization": org} for s in services],
        service_at_locations=links,
    )


def load(tenants: list[Tenant], on: date | None = None) -> Iterator[Practice]:
    """The records of these practices, one practice at a time, their public profiles loaded
    together in a few queries."""
    by_tenant: dict[int, list[Practitioner]] = {t.id: [] for t in tenants}
    found = db.session.scalars(
        profiles.visible()
        .where(Practitioner.tenant_id.in_(by_tenant))
        .order_by(Practitioner.name, Practitioner.id)
    )
    for p in found:
        by_tenant[p.tenant_id].append(p)
    for tenant in tenants:
        yield practice(tenant, by_tenant.pop(tenant.id), on)
