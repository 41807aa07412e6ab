"""Public-record files read into people, one row at a time: the CMS NPPES data dissemination
file (npidata_pfile_*.csv, and its weekly increments), and a board's roster with business
addresses through its declared mapping (rosters.files: the same reader as `licenses sync`).

NPPES: every value is double-quoted; a header names its 330 columns. Massage therapists are
the rows holding taxonomy 225700000X in any of the 15 taxonomy slots; the license in the same
slot is theirs (a pair of state and number). Entity type 1 is a person, 2 an organization.
A row with a deactivation date and no later reactivation date is deactivated: the full file
blanks such rows' other columns (taxonomies included), so they are yielded whatever their
taxonomy, for the seed to hide the listing they name. `Provider Sex Code` (formerly `Provider
Gender Code`) is never read: a therapist's gender is theirs to state.
"""

import json
import re
from collections.abc import Container, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import TextIO

from directory import csvfile, licensing
from directory.rosters import files
from directory.rosters.files import Problems, RosterError

MASSAGE_TAXONOMY = "225700000X"
SLOTS = range(1, 16)
#: The columns read, as CMS's readme names them (checked against published headers: see
#: README, "Listings from public records").
NPI = "NPI"
ENTITY = "Entity Type Code"
LAST = "Provider Last Name (Legal Name)"
FIRST = "Provider First Name"
MIDDLE = "Provider Middle Name"
CREDENTIAL = "Provider Credential Text"
ORGANIZATION = "Provider Organization Name (Legal Business Name)"
STREET = "Provider First Line Business Practice Location Address"
STREET_2 = "Provider Second Line Business Practice Location Address"
CITY = "Provider Business Practice Location Address City Name"
STATE = "Provider Business Practice Location Address State Name"
POSTAL = "Provider Business Practice Location Address Postal Code"
PHONE = "Provider Business Practice Location Address Telephone Number"
DEACTIVATED = "NPI Deactivation Date"
REACTIVATED = "NPI Reactivation Date"
TAXONOMY = "Healthcare Provider Taxonomy Code_{}"
LICENSE = "Provider License Number_{}"
LICENSE_STATE = "Provider License Number State Code_{}"
PRIMARY = "Healthcare Provider Primary Taxonomy Switch_{}"
#: An organization's authorized official (kept for its claim: the official proves their name;
#: the phone is never shown).
OFFICIAL_LAST = "Authorized Official Last Name"
OFFICIAL_FIRST = "Authorized Official First Name"
OFFICIAL_TITLE = "Authorized Official Title or Position"
OFFICIAL_PHONE = "Authorized Official Telephone Number"
COLUMNS = (NPI, ENTITY, LAST, FIRST, MIDDLE, CREDENTIAL, ORGANIZATION, STREET, STREET_2, CITY,
           STATE, POSTAL, PHONE, DEACTIVATED, REACTIVATED, OFFICIAL_LAST, OFFICIAL_FIRST,
           OFFICIAL_TITLE, OFFICIAL_PHONE,
           *(name.format(n) for n in SLOTS for name in (TAXONOMY, LICENSE, LICENSE_STATE,
                                                         PRIMARY)))  # fmt: skip


def full_header() -> list[str]:
    """The 330 columns of the NPPES file in order, as its readme names them (the test samples
    and the bench write files with it). Checked against published copies of the header; that
    the mailing and practice Country Code columns end "(If outside U.S.)", the sex column is
    "Provider Sex Code" (formerly "Provider Gender Code") and the last is "Certification Date"
    follows the current readme (README, "Listings from public records")."""
    address = ("First Line {} Address", "Second Line {} Address", "{} Address City Name",
               "{} Address State Name", "{} Address Postal Code",
               "{} Address Country Code (If outside U.S.)", "{} Address Telephone Number",
               "{} Address Fax Number")  # fmt: skip

    def place(kind: str) -> list[str]:
        return [f"Provider {a.format(kind)}" for a in address]

    return [
        NPI, ENTITY, "Replacement NPI", "Employer Identification Number (EIN)", ORGANIZATION,
        LAST, FIRST, MIDDLE, "Provider Name Prefix Text", "Provider Name Suffix Text",
        CREDENTIAL, "Provider Other Organization Name",
        "Provider Other Organization Name Type Code", "Provider Other Last Name",
        "Provider Other First Name", "Provider Other Middle Name",
        "Provider Other Name Prefix Text", "Provider Other Name Suffix Text",
        "Provider Other Credential Text", "Provider Other Last Name Type Code",
        *place("Business Mailing"), *place("Business Practice Location"),
        "Provider Enumeration Date", "Last Update Date", "NPI Deactivation Reason Code",
        DEACTIVATED, REACTIVATED, "Provider Sex Code", OFFICIAL_LAST, OFFICIAL_FIRST,
        "Authorized Official Middle Name", OFFICIAL_TITLE, OFFICIAL_PHONE,
        *(name.format(n) for n in SLOTS for name in (TAXONOMY, LICENSE, LICENSE_STATE, PRIMARY)),
        *(name.format(n) for n in range(1, 51)
          for name in ("Other Provider Identifier_{}", "Other Provider Identifier Type Code_{}",
                       "Other Provider Identifier State_{}",
                       "Other Provider Identifier Issuer_{}")),
        "Is Sole Proprietor", "Is Organization Subpart", "Parent Organization LBN",
        "Parent Organization TIN", "Authorized Official Name Prefix Text",
        "Authorized Official Name Suffix Text", "Authorized Official Credential Text",
        *(f"Healthcare Provider Taxonomy Group_{n}" for n in SLOTS),
        "Certification Date",
    ]  # fmt: skip


_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d")
_NPI = re.compile(r"^\d{10}$")
_DIGITS = re.compile(r"\D+")


@dataclass
class RecordLicense:
    state: str
    number: str
    #: licensing.number_key of the number: how sources are joined.
    key: str
    #: What the source says of it: "pending" (NPPES checks nothing), "verified" (an active
    #: roster entry) or "rejected" (the roster lists it otherwise).
    status: str = "pending"
    expires_on: date | None = None
    #: A roster's check: its status word mapped (licensing.ROSTER_STATUSES) and its row.
    roster_status: str | None = None
    evidence: dict | None = None


@dataclass
class Person:
    """One row of a public-record file, as a listing (or an NPPES organization) would show it."""

    line: int
    #: How the source keys the row: the NPI, or "TX:MT12345".
    key: str
    npi: str | None
    first_name: str
    middle_name: str
    last_name: str
    credentials: str = ""
    organization: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    phone: str = ""
    licenses: list[RecordLicense] = field(default_factory=list)
    #: False: deactivated (NPPES) or no longer current (a roster): the listing is hidden.
    active: bool = True
    #: An NPPES organization's authorized official: first, last, title, phone (else empty).
    official: tuple[str, str, str, str] = ("", "", "", "")

    @property
    def is_organization(self) -> bool:
        return bool(self.organization) and not self.last_name

    @property
    def name(self) -> str:
        """The name as the listing shows it, in ordinary capitals."""
        words = (self.first_name, self.middle_name, self.last_name)
        return display(" ".join(w for w in words if w))


def display(text: str) -> str:
    """A record's UPPER CASE text in ordinary capitals ("MARY-JO O'NEIL" -> "Mary-Jo O'Neil");
    text already in mixed case is left as written."""
    text = " ".join(text.split())
    if not text.isupper():
        return text
    return re.sub(r"[A-Za-z]+", lambda m: m.group(0).capitalize(), text.lower())


def phone_of(text: str) -> str:
    """A US phone number as pages write it ("(512) 555-0100"), or "" if it is not one."""
    digits = _DIGITS.sub("", text or "")
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10:
        return ""
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def _day(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@dataclass
class Tally:
    """How many rows a reader has read so far (people are yielded for a few of them)."""

    rows: int = 0


def _records(handle: TextIO, tally: Tally, known: Container[str] | None) -> Iterator[str]:
    """The text of each record worth parsing: the header, and the rows that name the massage
    taxonomy or (when `known` is given) an NPI in it (a deactivation can only concern those).
    A physical line is joined with the next while a quoted value is open (a newline in a
    value). Most of an 8-million-row file is other professions: found in the text, they are
    counted and skipped without being split into their 330 cells."""
    pending = ""
    first = True
    for text in handle:
        if pending:
            text = pending + text
        if text.count('"') % 2:
            pending = text
            continue
        pending = ""
        if first:
            first = False
            yield text
            continue
        tally.rows += 1
        if known is not None and MASSAGE_TAXONOMY not in text:
            npi = text[1:11] if text.startswith('"') else text[:10]
            if npi not in known:
                continue
        yield text
    if pending:
        tally.rows += 1
        yield pending


def nppes_people(handle: TextIO, tally: Tally | None = None,
                 known: Container[str] | None = None,
                 problems: Problems | None = None) -> Iterator[Person]:  # fmt: skip
    """The massage therapists (and their organizations) of an NPPES file, and its deactivated
    rows (only those of the NPIs in `known`, when given); RosterError names the line of a row
    that cannot be read (given `problems`, it is added there and the reading goes on; a header
    it cannot read always raises)."""
    tally = tally or Tally()
    # Line numbers as the file counts them: the header is line 1.
    reader = csvfile.reader(_records(handle, tally, known))
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError(1, "the file is empty") from None
    except (csvfile.Error, UnicodeDecodeError) as broken:
        raise RosterError(1, f"unreadable ({broken})") from None
    where = {name: i for i, name in enumerate(header)}
    if missing := [c for c in COLUMNS if c not in where]:
        shown = ", ".join(map(repr, missing[:4])) + (" ..." if len(missing) > 4 else "")
        raise RosterError(
            1, f"the header lacks the column(s) {shown} of the NPPES file (is this an "
               "npidata_pfile?)",
        )  # fmt: skip
    width = len(header)
    at = [where[c] for c in COLUMNS]
    slots = [tuple(at[19 + 4 * k : 23 + 4 * k]) for k in range(len(SLOTS))]
    taxonomy_columns = [s[0] for s in slots]
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except (csvfile.Error, UnicodeDecodeError) as broken:
            error = RosterError(tally.rows + 1, f"unreadable ({broken})")
            if problems is None:
                raise error from None
            problems.add(error)
            continue
        line = tally.rows + 1
        if not row:
            continue
        try:
            found = _person(row, line, width, at, slots, taxonomy_columns)
        except RosterError as error:
            if problems is None:
                raise
            problems.add(error)
            continue
        if found is not None:
            yield found


def _person(row: list[str], line: int, width: int, at: list[int], slots: list[tuple],
            taxonomy_columns: list[int]) -> Person | None:  # fmt: skip
    """The person of one NPPES row (None: not a massage therapist, nor a deactivation);
    RosterError says why the row cannot be read."""
    if len(row) != width:
        raise RosterError(line, f"{len(row)} cells, the header has {width}")
    (i_npi, i_entity, i_last, i_first, i_middle, i_cred, i_org, i_street, i_street2, i_city,
     i_state, i_postal, i_phone, i_deact, i_react, i_o_last, i_o_first, i_o_title,
     i_o_phone) = at[:19]  # fmt: skip
    deactivated = row[i_deact]
    massage = [s for s, col in zip(slots, taxonomy_columns, strict=True)
               if row[col] == MASSAGE_TAXONOMY]  # fmt: skip
    if not massage and not deactivated:
        return None
    npi = row[i_npi].strip()
    if not _NPI.fullmatch(npi):
        raise RosterError(line, f"the NPI {npi!r} is not 10 digits")
    active = True
    if deactivated:
        off, back = _day(deactivated), _day(row[i_react]) if row[i_react] else None
        if off is None:
            raise RosterError(line, f"the deactivation date {deactivated!r} is not a date")
        active = back is not None and back >= off
    if not massage:
        if active:
            return None
        return Person(line=line, key=npi, npi=npi, first_name="", middle_name="",
                      last_name="", active=False)  # fmt: skip
    if any(len(row[i]) > files.MAX_CELL or "\x00" in row[i] for i in at):
        raise RosterError(line, "a cell is too long or holds a NUL character")
    entity = row[i_entity]
    if entity not in ("1", "2"):
        raise RosterError(line, f"the entity type {entity!r} is neither 1 nor 2")
    licenses: dict[str, RecordLicense] = {}
    # The primary taxonomy's license first: one license per state.
    for _tax, i_number, i_lic_state, _primary in sorted(massage, key=lambda s: row[s[3]] != "Y"):
        state = row[i_lic_state].strip().upper()
        number = licensing.normalize_number(row[i_number])
        if number and licensing.rule(state) is not None and state not in licenses:
            licenses[state] = RecordLicense(state, number, licensing.number_key(number))
    return Person(
        line=line,
        key=npi,
        npi=npi,
        first_name=row[i_first].strip() if entity == "1" else "",
        middle_name=row[i_middle].strip() if entity == "1" else "",
        last_name=row[i_last].strip() if entity == "1" else "",
        credentials=row[i_cred].strip() if entity == "1" else "",
        organization=row[i_org].strip() if entity == "2" else "",
        street=", ".join(x for x in (row[i_street].strip(), row[i_street2].strip()) if x),
        city=row[i_city].strip(),
        state=row[i_state].strip().upper(),
        zip=row[i_postal].strip()[:5],
        phone=phone_of(row[i_phone]),
        licenses=list(licenses.values()),
        active=active,
        official=(
            row[i_o_first].strip(),
            row[i_o_last].strip(),
            row[i_o_title].strip(),
            phone_of(row[i_o_phone]),
        )
        if entity == "2"
        else ("", "", "", ""),
    )


def roster_people(spec: dict, source: str, handle: TextIO, file_date: date,
                  tally: Tally | None = None,
                  problems: Problems | None = None) -> Iterator[Person]:  # fmt: skip
    """The people of a roster with business addresses, through its declared mapping's
    `listing` columns (street, "city, state zip", telephone) and the roster reader. Its rows
    are those of massage therapists (as `licenses sync` counts them)."""
    tally = tally or Tally()
    for row in files.rows(spec, source, handle, file_date, problems):
        tally.rows += 1
        where = row.listing
        city, state, zip_code = _city_state_zip(where.get("city_state_zip", ""))
        status = "verified" if row.status == "active" else "rejected"
        yield Person(
            line=row.line,
            key=f"{spec['state']}:{row.key}",
            npi=None,
            first_name=row.first_name,
            middle_name="",
            last_name=row.last_name,
            street=", ".join(x for x in (where.get("street", ""), where.get("street_2", "")) if x),
            city=city,
            state=state or spec["state"],
            zip=zip_code,
            phone=phone_of(where.get("phone", "")),
            licenses=[
                RecordLicense(
                    spec["state"],
                    row.number,
                    row.key,
                    status,
                    row.expires_on,
                    roster_status=row.status,
                    evidence=row.evidence,
                )
            ],
            active=row.status == "active",
        )


def _city_state_zip(text: str) -> tuple[str, str, str]:
    """("Austin", "TX", "78701") of "AUSTIN, TX 78701"; blanks where the text does not say."""
    match = re.fullmatch(r"\s*(.*?),\s*([A-Za-z]{2})\s+(\d{5})(?:-?\d{4})?\s*", text or "")
    if match is None:
        return "", "", ""
    return match.group(1), match.group(2).upper(), match.group(3)


def to_text(person: Person) -> str:
    """A person as one line of JSON (from_text reads it back): how a checked file's people wait
    in a spool between the check and the seed."""
    return json.dumps(asdict(person), default=date.isoformat, separators=(",", ":"))


def from_text(text: str) -> Person:
    """The person to_text wrote."""
    fields = json.loads(text)
    licenses = []
    for lic in fields.pop("licenses"):
        if lic["expires_on"]:
            lic["expires_on"] = date.fromisoformat(lic["expires_on"])
        licenses.append(RecordLicense(**lic))
    fields["official"] = tuple(fields.get("official") or ("", "", "", ""))
    return Person(**fields, licenses=licenses)
