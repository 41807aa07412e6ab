"""The one way we write CSV: every CSV file the directory produces goes through `writer`, so no
cell of therapist or practice text is run as a formula by the spreadsheet that opens it. (The
one module that imports csv: state boards' roster files are read through `dict_reader`, and
files as wide as NPPES's (330 columns) as plain rows through `reader`.)

A spreadsheet (Excel, LibreOffice Calc, Google Sheets) runs a cell as a formula when its text
begins with `=`, `+`, `-` or `@`; a leading tab, carriage return or line feed can hide one.
OWASP's rule (owasp.org/www-community/attacks/CSV_Injection) is to give such a cell a leading
single quote and quote it; ASVS 5.0 (1.2.10) adds NUL to the characters. OWASP names no
full-width look-alikes (U+FF1D for =, U+FF0B for +...), so they are written as given.

- Text is escaped by what it begins with, whatever it looks like: "-5" or a phone number
  "+1 201 555 0100" in a text column is text, and is written "'-5" and "'+1 201 555 0100" (a
  spreadsheet would otherwise compute -5 or drop the plus). To a program reading the file the
  quote is part of the text; the HSDS export's JSON files carry the values unescaped.
- Numbers stay numbers: an int, float or Decimal is written as it is (a negative longitude
  stays -74.03), so a typed numeric column, such as the HSDS package's latitude and longitude,
  still holds valid numbers. Numbers are digits, so no formula can hide in one.
- Every text cell is quoted (csv.QUOTE_NONNUMERIC), numbers are not: separators and quotes
  inside a value cannot start a new cell, and importers that keep quoted cells as text do so.

The library defusedcsv does the same over the csv module but was not used: it leaves a leading
tab or carriage return as it is (OWASP lists both) and rewrites every `|` of an escaped cell.
"""

import csv
from collections.abc import Iterable, Mapping
from numbers import Number
from typing import Any, TextIO

#: What a cell may not begin with unescaped: OWASP's list and ASVS's NUL.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def escape(value: Any) -> Any:
    """The cell to write for `value`: text beginning like a formula gets a leading single
    quote; numbers and None (an empty cell) are kept as they are."""
    # Text first: most cells are, and the Number check is an abstract class's (slower).
    if value is None or (not isinstance(value, str) and isinstance(value, Number)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class DictWriter(csv.DictWriter):
    """csv.DictWriter whose every cell is escaped, text quoted (see the module's docstring)."""

    def __init__(self, handle: TextIO, fieldnames: Iterable[str]) -> None:
        super().__init__(handle, fieldnames=list(fieldnames), quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row: Mapping[str, Any]):
        return super().writerow({key: escape(value) for key, value in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: TextIO, fieldnames: Iterable[str]) -> DictWriter:
    """A CSV writer of rows (dicts) in these columns, its header written."""
    out = DictWriter(handle, fieldnames)
    out.writeheader()
    return out


#: What a malformed file raises while it is read.
Error = csv.Error


def dict_reader(
    handle: TextIO, *, delimiter: str = ",", fieldnames: list[str] | None = None
) -> csv.DictReader:
    """Rows of a CSV file as dicts, one at a time (the first line is the header unless
    `fieldnames` are given). Reading runs nothing: what is read is data, whatever it begins
    with, so no escape is undone or applied."""
    return csv.DictReader(handle, fieldnames=fieldnames, delimiter=delimiter)


def reader(handle: TextIO, *, delimiter: str = ","):
    """Rows of a CSV file as lists of cells, one at a time, header included: for files so wide
    that a dict per row costs more than the row (NPPES). Reading runs nothing, as above."""
    return csv.reader(handle, delimiter=delimiter)
