"""Reading a board's roster file through its declared mapping
(directory/data/rosters/<source>.json): one row at a time (the csv module over the open file,
never the whole file in memory), each turned into a RosterRow or refused with the line and
the reason.

A mapping says, as data: the delimiter; whether the first line is a header; which rows are
massage therapists (`only`: a column and its values; the Texas and Washington files hold every
profession); which columns hold the number, status, expiry date and names (`name` "LAST, FIRST"
or `first_name` + `last_name`), and birth year; the date formats; the board's status words and
the contract status each means; or `status_from_expiry` for a roster without a status column
(Texas: a license in the file is current until its expiry date); `conditional_when` (a column
flagging board action on an otherwise active license); `number_prefix` for numbers written
without their letters; whether the roster is `complete` (a license it does not list is not
current); and which columns are kept as `evidence` (never the mailing addresses or private
telephone numbers some files carry); and, for a roster that `listings seed` may read, the
`listing` columns of the business address of record (never the mailing address).
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import TextIO

from flask_babel import gettext as _

from directory import csvfile, licensing, locales
from directory.locales import joined, ngettext

#: Longer cells than any roster has: a file that has them is not a roster (or is broken).
MAX_CELL = 1000
_LETTERS = re.compile(r"[^a-z]+")
#: Words in names that say nothing about who someone is.
_NOT_NAMES = frozenset(
    ("jr", "sr", "ii", "iii", "iv", "v", "dr", "mr", "mrs", "ms", "miss", "mx", "lmt", "cmt",
     "rmt", "lmbt", "lmp")
)  # fmt: skip


class RosterError(Exception):
    """Why the file cannot be applied, naming the line; the message in the reader's language
    (the admin's page), English on the command line."""

    def __init__(self, line: int, message: str):
        super().__init__(_("line %(line)s: %(message)s", line=line, message=message))
        self.line = line
        self.message = message


class Problems:
    """The rows a first pass over a file found it cannot read: every one counted, the first
    KEEP kept with their line and reason. A reader given one reads on past a bad row (and
    yields nothing for it), so one pass names every bad row and a fixed file goes in whole."""

    KEEP = 20

    def __init__(self) -> None:
        self.count = 0
        self.first: list[RosterError] = []

    def add(self, error: RosterError) -> None:
        self.count += 1
        if len(self.first) < self.KEEP:
            self.first.append(error)

    def __bool__(self) -> bool:
        return self.count > 0

    def report(self) -> list[str]:
        """Lines saying what is wrong: each kept row's line and reason, then how many more."""
        said = [str(error) for error in self.first]
        if self.count > len(self.first):
            more = self.count - len(self.first)
            said.append(
                ngettext(
                    "... and %(num)s more bad row",
                    "... and %(num)s more bad rows",
                    more,
                )
            )
        return said


class UnmappedStatus(RosterError):
    """A status word the source's mapping does not name: the sync stops rather than guess."""

    def __init__(self, line: int, word: str, source: str):
        super().__init__(
            line,
            _(
                'the status %(word)s is not in the %(source)s mapping (%(path)s, "statuses"): '
                "add what it means and run the sync again",
                word=repr(word),
                source=source,
                path=f"directory/data/rosters/{source}.json",
            ),
        )
        self.word = word


@dataclass(frozen=True)
class RosterRow:
    line: int
    #: licensing.number_key of the number (with the source's prefix).
    key: str
    number: str
    #: One of licensing.ROSTER_STATUSES.
    status: str
    expires_on: date | None
    first_name: str
    last_name: str
    birth_year: int | None
    #: The row's declared evidence columns, as written in the file.
    evidence: dict = field(compare=False)
    #: The mapping's `listing` columns (business street, "city, state zip", telephone) by
    #: their role: what `listings seed` shows of a roster's therapist. Empty without them.
    listing: dict = field(default_factory=dict, compare=False)


def _cell(row: dict, column: str | None) -> str:
    if column is None:
        return ""
    return (row.get(column) or "").strip()


@lru_cache(maxsize=8192)
def _date(text: str, formats: tuple[str, ...]) -> date | None:
    # Cached: a roster's half million rows hold a few thousand dates (strptime was a fifth of
    # reading a Texas file).
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _split_name(full: str, name_format: str) -> tuple[str, str]:
    """(first, last) of a name written in one cell."""
    if name_format == "last, first" and "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    words = full.split()
    return (words[0], " ".join(words[1:])) if len(words) > 1 else ("", full)


def rows(spec: dict, source: str, handle: TextIO, file_date: date,
         problems: Problems | None = None) -> Iterator[RosterRow]:  # fmt: skip
    """The massage therapists' rows of an open roster file, in order; raises RosterError at the
    first row that cannot be read (UnmappedStatus for an unknown status word), or, given
    `problems`, adds it there and reads on. A header it cannot read always raises."""
    columns = spec["columns"]
    fieldnames = None if spec.get("header", True) else spec["fields"]
    reader = csvfile.dict_reader(
        handle, delimiter=spec.get("delimiter", ","), fieldnames=fieldnames
    )
    header = reader.fieldnames or []
    wanted = [
        c
        for c in (
            *columns.values(),
            (spec.get("only") or {}).get("column"),
            (spec.get("conditional_when") or {}).get("column"),
            *(spec.get("listing") or {}).values(),
        )
        if c
    ]
    if missing := [c for c in wanted if c not in header]:
        raise RosterError(
            1,
            ngettext(
                "the header lacks the column %(columns)s that the %(source)s mapping reads "
                "(is this a %(board)s file?)",
                "the header lacks the columns %(columns)s that the %(source)s mapping reads "
                "(is this a %(board)s file?)",
                len(missing),
                columns=joined(map(repr, missing)),
                source=source,
                board=spec["name"],
            ),
        )
    only = spec.get("only")
    only_values = {v.upper() for v in only["values"]} if only else None
    statuses = {word.upper(): status for word, status in (spec.get("statuses") or {}).items()}
    flagged = spec.get("conditional_when")
    flagged_values = {v.upper() for v in flagged["values"]} if flagged else set()
    formats = tuple(spec["date_formats"])
    prefix = spec.get("number_prefix", "")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except (csvfile.Error, UnicodeDecodeError) as broken:
            error = RosterError(reader.line_num + 1, _("unreadable (%(why)s)", why=broken))
            if problems is None:
                raise error from None
            problems.add(error)
            continue
        try:
            line = reader.line_num
            if None in row:
                raise RosterError(
                    line,
                    _("more cells than the header's %(count)s", count=locales.number(len(header))),
                )
            if only_values is not None and _cell(row, only["column"]).upper() not in only_values:
                continue
            values = row.values()
            if None in values:
                raise RosterError(
                    line,
                    _("fewer cells than the header's %(count)s", count=locales.number(len(header))),
                )
            if max(map(len, values)) > MAX_CELL or "\x00" in "".join(values):
                raise RosterError(line, _("a cell is too long or holds a NUL character"))
            number = _cell(row, columns["number"]).upper()
            if prefix and number[:1].isdigit():
                number = prefix + number
            key = licensing.number_key(number)
            if not key:
                raise RosterError(
                    line, _("no license number in %(column)s", column=repr(columns["number"]))
                )
            expires_text = _cell(row, columns.get("expires"))
            expires_on = _date(expires_text, formats) if expires_text else None
            if expires_text and expires_on is None:
                raise RosterError(
                    line,
                    _(
                        "the expiry date %(value)s is not in the format %(formats)s",
                        value=repr(expires_text),
                        formats=joined(formats, "or"),
                    ),
                )
            if spec.get("status_from_expiry"):
                if expires_on is None:
                    raise RosterError(
                        line,
                        _(
                            "no expiry date in %(column)s: this roster has no status column, "
                            "the date is the status",
                            column=repr(columns["expires"]),
                        ),
                    )
                status = "active" if expires_on >= file_date else "expired"
            else:
                word = _cell(row, columns["status"])
                if not word:
                    raise RosterError(
                        line, _("no status in %(column)s", column=repr(columns["status"]))
                    )
                status = statuses.get(word.upper())
                if status is None:
                    raise UnmappedStatus(line, word, source)
                if status not in licensing.ROSTER_STATUSES:
                    raise RosterError(
                        line,
                        _(
                            "the mapping sends %(word)s to %(status)s, which is not a contract "
                            "status",
                            word=repr(word),
                            status=repr(status),
                        ),
                    )
                # An "active" license past its expiry date is not current, whatever the word says.
                if status == "active" and expires_on is not None and expires_on < file_date:
                    status = "expired"
            if (
                status == "active"
                and flagged
                and _cell(row, flagged["column"]).upper() in flagged_values
            ):
                status = "conditional"
            if "name" in columns:
                first, last = _split_name(_cell(row, columns["name"]), spec.get("name_format", ""))
            else:
                first = _cell(row, columns.get("first_name"))
                last = _cell(row, columns["last_name"])
            if not last:
                raise RosterError(line, _("no last name"))
            year_text = _cell(row, columns.get("birth_year"))
            if year_text and not (year_text.isdigit() and 1900 <= int(year_text) <= 2100):
                raise RosterError(
                    line, _("the birth year %(value)s is not a year", value=repr(year_text))
                )
            found = RosterRow(
                line=line,
                key=key,
                number=number,
                status=status,
                expires_on=expires_on,
                first_name=first,
                last_name=last,
                birth_year=int(year_text) if year_text else None,
                evidence={c: row.get(c, "") for c in spec.get("evidence", header) if c in row},
                listing={role: _cell(row, c) for role, c in (spec.get("listing") or {}).items()},
            )
        except RosterError as error:
            if problems is None:
                raise
            problems.add(error)
            continue
        yield found


def _words(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return [w for w in _LETTERS.split(plain.replace("'", "")) if w and w not in _NOT_NAMES]


def name_words(name: str) -> list[str]:
    """A name's words as the matching compares them: ASCII, lower case, titles dropped."""
    return _words(name)


def names_match(profile_name: str, row: RosterRow) -> bool:
    """Whether a profile's name is the roster's person: every word of the roster's last name is
    among the profile's words after the first, the profile's last word is one of them, and the
    first initials agree (when the roster gives a first name). A profile has no birth year, so
    the roster's is kept as evidence but not compared."""
    words = _words(profile_name)
    last = _words(row.last_name)
    if len(words) < 2 or not last:
        return False
    if not set(last) <= set(words[1:]) or words[-1] not in last:
        return False
    first = _words(row.first_name)
    return not first or first[0][0] == words[0][0]
