"""A profile's fields, declared once.

Each entry says what a field is (its `Practitioner` attribute, kind and limits), whether the
editor offers it, its key in the import/export format and in the public JSON. The editor's form
(`forms.ProfileForm`), the operations' list of fields, the importer's validation, the exporter
and `profiles.as_json` are all derived from this table, so whatever the editor saves, export
writes and import reads back. Adding a field: one entry here plus a migration for its column.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from directory import languages
from directory.locales import number
from directory.validation import check_email, check_https_url, check_phone, check_url, clean_text
from directory.vocabulary import SETTINGS

#: What a therapist may choose to show ("" shows nothing).
GENDERS = ("", "woman", "man", "nonbinary")


@dataclass(frozen=True)
class ProfileField:
    name: str
    #: What the editor calls it.
    label: str
    #: text | bool | int | choice | languages | minutes
    kind: str
    #: text: characters; languages: characters a name; ignored otherwise.
    max_length: int = 0
    multiline: bool = False
    required: bool = False
    #: text: a check of the cleaned value (email, phone, web address).
    check: Callable[[str], str] | None = None
    #: int and minutes: the range of a value.
    low: int = 0
    high: int = 0
    #: languages and minutes: how many values at most.
    max_items: int = 0
    choices: tuple[str, ...] = ()
    #: choice: (value, label) as the editor offers them; default the values themselves.
    labels: tuple[tuple[str, str], ...] = ()
    #: Offered by the editor (else only import and export touch it).
    editable: bool = True
    #: Key in the import/export format; default the name.
    key: str = ""
    #: Key in the public JSON ("contact.email" nests); "" keeps it out of the JSON.
    public: str = ""
    #: A bool field that must be on for this one to be public (page and JSON alike).
    public_if: str = ""
    #: Where the editor shows it: about | sessions | contact ("" for fields it does not offer).
    section: str = ""
    hint: str = ""
    #: The HTML input type of a one-line text or number (email, tel, url, number).
    input: str = "text"
    autocomplete: str = ""

    @property
    def options(self) -> list[tuple[str, str]]:
        """A choice's (value, label) pairs."""
        return list(self.labels) or [(value, value) for value in self.choices]

    @property
    def io_key(self) -> str:
        return self.key or self.name

    def parse(self, value: Any) -> Any:
        """The import's value for this field, or ValueError saying what is wrong with it."""
        if self.kind == "text":
            return parse_text(self, value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(_("must be true or false"))
            return value
        if self.kind == "int":
            if value is None:
                return None
            if not _whole(value) or not self.low <= value <= self.high:
                raise ValueError(
                    _(
                        "must be a whole number from %(low)s to %(high)s",
                        low=self.low,
                        high=self.high,
                    )
                )
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(_("must be one of %(choices)s", choices=", ".join(self.choices)))
            return value
        if not isinstance(value, list):
            raise ValueError(_("must be a list"))
        if self.kind == "languages":
            return parse_languages(self, value)
        return parse_minutes(self, value)


def parse_text(field: ProfileField, value: Any) -> str:
    """Trimmed text within the field's limits (ValueError says why not)."""
    value = clean_text(value, field.max_length, multiline=field.multiline)
    if value and field.check:
        value = field.check(value)
    if field.required and not value:
        raise ValueError(_("is required"))
    return value


def parse_languages(field: ProfileField, names: list) -> list[str]:
    """Language names, each capitalised once; a second spelling of one is dropped."""
    if len(names) > field.max_items:
        raise ValueError(_("list at most %(most)s languages", most=number(field.max_items)))
    seen: dict[str, str] = {}
    for name in names:
        if not isinstance(name, str):
            raise ValueError(_("must be a list of language names"))
        name = name.strip()
        if len(name) > field.max_length or not languages.NAME.fullmatch(name):
            raise ValueError(
                _(
                    "\u201c%(name)s\u201d is not a language name "
                    "(letters; separate languages with commas)",
                    name=name[:40],
                )
            )
        seen.setdefault(name.casefold(), name[0].upper() + name[1:])
    return list(seen.values())


def parse_minutes(field: ProfileField, values: list) -> list[int]:
    """Session lengths in minutes, each once, in order."""
    if len(values) > field.max_items:
        raise ValueError(_("list at most %(most)s session lengths", most=number(field.max_items)))
    lengths: list[int] = []
    for value in values:
        if not _whole(value) or not field.low <= value <= field.high:
            raise ValueError(
                _("must be minutes from %(low)s to %(high)s", low=field.low, high=field.high)
            )
        if value not in lengths:
            lengths.append(value)
    return sorted(lengths)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: In the import/export format's order; the editor shows each section in this order too.
FIELDS = (
    ProfileField("name", _l("Name"), "text", max_length=120, required=True, public="name",
                 section="about", autocomplete="name"),
    ProfileField("credentials", _l("Credentials"), "text", max_length=80, public="credentials",
                 section="about", hint=_l("For example LMT, CMT, NCBTMB.")),
    ProfileField("contact_email", _l("Contact email"), "text", max_length=254, check=check_email,
                 key="email", public="contact.email", public_if="show_email", section="contact",
                 input="email", autocomplete="email",
                 hint=_l("Shown to clients only if you tick the box below. Messages sent through "
                      "your profile's form come to your account's address and your inbox.")),
    ProfileField("show_email", _l("Show this email address on my public profile"), "bool",
                 section="contact",
                 hint=_l("Off by default: clients write to you through the form on your profile, "
                      "and scrapers never see your address.")),
    ProfileField("phone", _l("Phone"), "text", max_length=40, check=check_phone,
                 public="contact.phone", section="contact", input="tel", autocomplete="tel"),
    ProfileField("website", _l("Website"), "text", max_length=300, check=check_url,
                 public="contact.website", section="contact", input="url", autocomplete="url",
                 hint=_l("Starting with https:// or http://")),
    ProfileField("booking_url", _l("Online booking page"), "text", max_length=300,
                 check=check_https_url, public="booking_url", section="contact", input="url",
                 hint=_l("Your own booking page, starting with https://. Clients see a "
                      "“Book online” button; we do not take bookings.")),
    ProfileField("headline", _l("Headline"), "text", max_length=160, public="headline",
                 section="about", hint=_l("One line clients see in search results.")),
    ProfileField("bio", _l("About you"), "text", max_length=5000, multiline=True, public="bio",
                 section="about", hint=_l("Plain text; blank lines start a new paragraph.")),
    # Shown on the Spanish pages instead of the English ones; empty: the English, marked so.
    ProfileField("headline_es", _l("Headline in Spanish (optional)"), "text", max_length=160,
                 public="headline_es", section="about",
                 hint=_l("Spanish-speaking clients see it instead of your headline. Left empty, "
                      "they see the English one, marked as English.")),
    ProfileField("bio_es", _l("About you, in Spanish (optional)"), "text", max_length=5000,
                 multiline=True, public="bio_es", section="about",
                 hint=_l("Shown on the Spanish page of your profile instead of “About you”.")),
    ProfileField("setting", _l("Setting"), "choice", choices=SETTINGS, public="setting",
                 section="about",
                 labels=(("medical", _l("Medical: treatment of pain, injury, conditions")),
                         ("spa", _l("Spa: relaxation and wellbeing")), ("both", _l("Both")))),
    # Publishing is an action with its own checks, not a field of the editor's form.
    ProfileField("published", _l("Published"), "bool", editable=False),
    ProfileField("accepting_new_clients", _l("Accepting new clients"), "bool",
                 public="accepting_new_clients", section="sessions"),
    ProfileField("in_home", _l("Comes to the client's home (mobile)"), "bool", public="in_home",
                 section="sessions"),
    ProfileField("languages", _l("Languages besides English"), "languages", max_length=40,
                 max_items=20, public="languages", section="about",
                 hint=_l("Comma-separated, for example: Spanish, Portuguese.")),
    ProfileField("price_min", _l("Lowest price ($)"), "int", high=10_000, public="price_min",
                 section="sessions", input="number"),
    ProfileField("price_max", _l("Highest price ($)"), "int", high=10_000, public="price_max",
                 section="sessions", input="number"),
    ProfileField("session_lengths", _l("Session lengths (minutes)"), "minutes", low=10, high=480,
                 max_items=20, public="session_lengths", section="sessions"),
    ProfileField("insurance_notes", _l("Insurance notes"), "text", max_length=500, multiline=True,
                 public="insurance_notes", section="sessions",
                 hint=_l("For example: auto-accident (PIP) claims accepted; "
                         "no network insurance.")),
    ProfileField("accepts_physician_referrals", _l("Accepts physician referrals"), "bool",
                 public="accepts_physician_referrals", section="sessions"),
    ProfileField("hsa_fsa", _l("Provides HSA/FSA superbills"), "bool", public="hsa_fsa",
                 section="sessions"),
    ProfileField("gender", _l("Your gender, shown to clients"), "choice", choices=GENDERS,
                 public="gender", section="about",
                 labels=(("", _l("Not shown")), ("woman", _l("Woman")), ("man", _l("Man")),
                         ("nonbinary", _l("Nonbinary"))),
                 hint=_l("Optional. Some clients look for a therapist of a gender they are "
                      "comfortable with.")),
)  # fmt: skip
BY_NAME = {f.name: f for f in FIELDS}
#: The fields the editor's profile form offers (the operations change only these).
EDITABLE = tuple(f.name for f in FIELDS if f.editable)


@dataclass(frozen=True)
class TextRule:
    """The limits of a text that is not a profile field (an office's address, a practice's
    name), read by `parse_text` like a field's."""

    max_length: int
    required: bool = False
    multiline: bool = False
    check: Callable[[str], str] | None = None


#: An office's address as the editor and the import take it (the state is a choice of codes).
OFFICE = {
    "street": TextRule(200, required=True),
    "city": TextRule(100),
    "state": TextRule(2, required=True),
    "zip": TextRule(10, required=True),
}
TENANT_NAME = TextRule(120, required=True)


def in_section(section: str) -> list[ProfileField]:
    """The editable fields the editor shows in a section, in the table's order."""
    return [f for f in FIELDS if f.editable and f.section == section]


def check_prices(price_min: int | None, price_max: int | None) -> str | None:
    """Why a price range cannot be right, or None."""
    if price_min is not None and price_max is not None and price_min > price_max:
        return "The highest price is below the lowest."
    return None


#: What an unclaimed listing (seeded from public records: directory.listings) shows of the
#: field table: the records say these and nothing else, so the other fields are null in its
#: JSON and absent from its page until its therapist claims it.
RECORD_FIELDS = frozenset(("name", "credentials", "phone"))


def stated(practitioner, field: ProfileField) -> bool:
    """Whether the profile's value of this field was said by someone: always on a claimed
    profile; on an unclaimed listing, only for the RECORD_FIELDS."""
    return getattr(practitioner, "claimed", True) or field.name in RECORD_FIELDS


def shown(practitioner, field: ProfileField) -> bool:
    """Whether the public may see this field of the profile (its `public_if` switch is on)."""
    return not field.public_if or bool(getattr(practitioner, field.public_if))


def shown_named(practitioner, name: str) -> bool:
    """`shown` for a field named by its name, as templates do (`shown(p, "phone")`)."""
    return shown(practitioner, BY_NAME[name])


def public_values(practitioner) -> dict:
    """The public JSON's part for the table's fields ("contact.email" nests)."""
    values: dict = {}
    for f in FIELDS:
        if f.public and shown(practitioner, f):
            *parents, leaf = f.public.split(".")
            target = values
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = getattr(practitioner, f.name) if stated(practitioner, f) else None
    return values
