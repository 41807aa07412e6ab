"""Language names and ISO 639 codes, for the search's `language=` filter.

Profiles list languages by name, as the therapist types them ("Spanish", "Cantonese"); a client
may ask by name or by ISO 639-1 code ("es"). ISO names come from pycountry; a name ISO does not
know (a dialect, a sign language) is still a name.
"""

import re
from functools import cache

import pycountry

#: A language name: letters, with single spaces, apostrophes, hyphens or dots inside (the
#: profile field's rule too: practitioners/fields.py).
NAME = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*$")
MAX_NAME = 40


@cache
def _iso_names() -> dict[str, str]:
    return {language.name.casefold(): language.name for language in pycountry.languages}


def name(value: str) -> str | None:
    """The language a filter value asks for, spelt as profiles spell it; None when it is
    neither a known two-letter code nor a language name."""
    value = " ".join(value.split())
    if len(value) == 2 and value.isascii() and value.isalpha():
        found = pycountry.languages.get(alpha_2=value.lower())
        return found.name if found is not None else None
    if len(value) > MAX_NAME or not NAME.fullmatch(value):
        return None
    return _iso_names().get(value.casefold(), value[0].upper() + value[1:])


def is_english(value: str) -> bool:
    """Every therapist here works in English: profiles list the languages besides it."""
    return value.casefold() == "english"


def code(value: str) -> str | None:
    """A language name's ISO 639-1 code ("Spanish": "es"), else its ISO 639-3 code ("Yue
    Chinese": "yue"); None when ISO does not know the name ("Cantonese")."""
    found = pycountry.languages.get(name=_iso_names().get(" ".join(value.split()).casefold(), ""))
    if found is None:
        return None
    return getattr(found, "alpha_2", None) or found.alpha_3
