"""Words, dates and numbers in the reader's language, for any module (no web imports): the
locale directory.i18n chose for the request, read back through Flask-Babel; en_US outside one."""

from datetime import date, datetime

from babel import Locale, dates, lists, numbers
from flask_babel import get_domain, get_locale, gettext

DEFAULT = Locale("en", "US")


def locale() -> Locale:
    """The reader's locale (Flask-Babel's; en_US outside an application context)."""
    return get_locale() or DEFAULT


def _day(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


def short_date(value, pattern: str = "medium") -> str:
    """A date as the reader writes it: "Mar 4, 2026", "4 mar 2026" (or a Babel `pattern`)."""
    day = _day(value)
    return "" if day is None else dates.format_date(day, pattern, locale=locale())


def date_time(value) -> str:
    """A moment as the reader writes it, to the minute: "Dec 7, 2026, 9:30 PM",
    "7 dic 2026, 9:30 p.m." (in the zone of `value`: the directory keeps UTC)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    when = dates.format_time(value, "short", locale=locale())
    return f"{short_date(value)}, {when}"


def day_month(value) -> str:
    """A day of the year without the year: "Dec 7", "7 dic"."""
    day = _day(value)
    return "" if day is None else dates.format_skeleton("MMMd", day, locale=locale())


def month_year(value) -> str:
    """A month in words: "November 2026", "noviembre de 2026"."""
    day = _day(value)
    return "" if day is None else dates.format_skeleton("yMMMM", day, locale=locale())


def joined(items, style: str = "standard") -> str:
    """Words in a list as the reader joins them: "A, B and C", "A, B y C" (style "or": "A, B
    or C", "A, B o C")."""
    return lists.format_list([str(item) for item in items], style=style, locale=locale())


def long_date(value) -> str:
    """A date in words: "March 4, 2026", "4 de marzo de 2026"."""
    return short_date(value, "long")


def number(value, digits: int = 0) -> str:
    """A number with the reader's separators and `digits` decimals."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return numbers.format_decimal(value, format=pattern, locale=locale())


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    """Flask-Babel's ngettext with its %(num)s said as the reader writes `n` ("1,234"); the
    plural form is still chosen by `n` itself. (Flask-Babel's own takes no `num=` of ours.)"""
    values.setdefault("num", number(n))
    return get_domain().get_translations().ungettext(singular, plural, n) % values


def money(value) -> str:
    """Whole dollars as a price: "$95", "$1,200"."""
    return "$" + number(value)


def N_(text: str) -> str:
    """Mark an English text for the catalogue where it is defined (pybabel extracts N_), to be
    said in the reader's language where it is shown (`translated`)."""
    return text


def translated(text: str) -> str:
    """A text from data (the vocabulary's advice, a specialty's name) in the reader's language,
    as it is when the catalogue lacks it."""
    return str(gettext(text)) if text else text


def say(message: str) -> str:
    """A message a module wrote in English with its template and values kept (geo.Said), in
    the reader's language; any other text as `translated` says it."""
    template = getattr(message, "template", None)
    if template is None:
        return translated(message)
    return str(gettext(template, **message.values))


def term_name(slug: str) -> str:
    """A condition's or modality's name in the reader's language: the vocabulary's Spanish
    wording for Spanish readers (data/vocabulary-es.json), else its English name."""
    from directory import vocabulary

    term = vocabulary.terms().get(slug)
    if term is None:
        return slug
    if locale().language == "es" and term.spanish is not None:
        return term.spanish.name
    return term.name


def term_text(slug: str) -> str:
    """What a page says about a condition or modality (its advice, its description) in the
    reader's language: a modality's Spanish description is the vocabulary's own, like its
    name (data/vocabulary-es.json); a condition's advice comes from the catalogue."""
    from directory import vocabulary

    term = vocabulary.terms().get(slug)
    if term is None:
        return ""
    if locale().language == "es" and term.spanish is not None and term.spanish.description:
        return term.spanish.description
    return translated(term.text)


def term_label(name: str) -> str:
    """`term_name` for an entry known by its English name (a result card's tags)."""
    from directory import vocabulary

    if locale().language == "en":
        return name
    found = next((t.slug for t in vocabulary.terms().values() if t.name == name), None)
    return term_name(found) if found else name
