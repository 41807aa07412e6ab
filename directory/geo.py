"""Turn what people type into a location box into coordinates, using the offline `zipcodes` data.

Everything here is plain Python so it can be used (and tested) without the Flask app.

Besides the ZIP data: `data/populations.txt` (GeoNames, CC BY 4.0) says which of several places
of one name people most likely mean, and `data/neighbourhoods.json` places the neighbourhoods of
the largest cities ("Wicker Park, Chicago") by the ZIP codes that cover them. Both files say
where they come from.

Building the lookup tables from these takes about 2 s and 90 MB, so they are built once into a
small SQLite file (`use_cache` names its folder; the app uses `<instance>/cache`) that every
later process opens and reads on demand: a new web worker answers its first search at once and
holds none of it in memory. The file's name carries a hash of its sources (this module, the data
files, the zipcodes release), so new data or code builds a new one.
"""

from __future__ import annotations

import difflib
import fcntl
import hashlib
import json
import math
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import zipcodes
from rapidfuzz.distance import OSA

__all__ = [
    "STATE_NAMES",
    "Place",
    "PlaceError",
    "distance_miles",
    "normalize_state",
    "preload",
    "resolve",
    "use_cache",
    "zip_location",
]

#: Every jurisdiction the directory lists therapists in: those with license rules, read from the
#: rules' own file (data/states.json; geo stays free of the package's modules).
STATE_NAMES: dict[str, str] = {
    code: rule["name"]
    for code, rule in json.loads(
        resources.files("directory").joinpath("data/states.json").read_text()
    ).items()
}

# Other spellings people use for states: AP-style abbreviations and a few common variants.
# Keys are compact keys (lowercase letters and digits only, no spaces) like normalize_state builds.
_STATE_ALIASES: dict[str, str] = {
    "ala": "AL",
    "alas": "AK",
    "ariz": "AZ",
    "ark": "AR",
    "cal": "CA",
    "calif": "CA",
    "colo": "CO",
    "conn": "CT",
    "del": "DE",
    "fla": "FL",
    "ida": "ID",
    "ill": "IL",
    "ills": "IL",
    "ind": "IN",
    "kan": "KS",
    "kans": "KS",
    "mass": "MA",
    "mich": "MI",
    "minn": "MN",
    "miss": "MS",
    "mont": "MT",
    "neb": "NE",
    "nebr": "NE",
    "nev": "NV",
    "okla": "OK",
    "ore": "OR",
    "oreg": "OR",
    "penn": "PA",
    "penna": "PA",
    "tenn": "TN",
    "tex": "TX",
    "wash": "WA",
    "wva": "WV",
    "wis": "WI",
    "wisc": "WI",
    "wyo": "WY",
}


class Said(str):
    """An English message that keeps its template and values, so that a page can say it in
    its reader's language (directory.locales.say); geo itself knows no languages."""

    template: str
    values: dict

    def __new__(cls, template: str, **values) -> Said:
        said = super().__new__(cls, template % values if values else template)
        said.template, said.values = template, values
        return said


#: Marks a message for the catalogue (pybabel extracts `_`); it stays English here.
_ = Said


GENERIC_MESSAGE = _("Enter a city and state, a ZIP code or a state.")
MAX_INPUT_LENGTH = 100
MAX_SUGGESTIONS = 5
EARTH_RADIUS_MILES = 3958.8

_ZIP_RE = re.compile(r"(\d{5})(?:-?\d{4})?")
# A ZIP or ZIP+4 inside longer text ("Hoboken, NJ 07030"), not part of a longer number.
_ZIP_IN_TEXT_RE = re.compile(r"(?<![\d-])(\d{5})(?:-?\d{4})?(?![\d-])")
# Something that was probably meant as a ZIP code but has the wrong number of digits.
_ZIPLIKE_RE = re.compile(r"[\s-]*\d[\d\s-]*")
# City-name abbreviations, from people ("St. Louis", "Mt Vernon") and from USPS, whose alias
# names are often abbreviated ("N Las Vegas", "Palm Bch"). Both the data and the input go
# through this so either spelling matches.
_CITY_WORDS = {
    "st": "saint",
    "ste": "sainte",
    "ft": "fort",
    "mt": "mount",
    "mtn": "mountain",
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "bch": "beach",
    "ctr": "center",
    "crk": "creek",
    "fls": "falls",
    "gdns": "gardens",
    "hbr": "harbor",
    "hgts": "heights",
    "hts": "heights",
    "hls": "hills",
    "jct": "junction",
    "lk": "lake",
    "pt": "point",
    "spgs": "springs",
    "twp": "township",
    "vlg": "village",
    "vly": "valley",
}
# Trailing country names people add ("Hoboken, NJ, USA").
_COUNTRY_SUFFIXES = (
    ("united", "states", "of", "america"),
    ("united", "states"),
    ("usa",),
    ("us",),
    ("u", "s", "a"),
    ("u", "s"),
)
# Longest state names in words: "District of Columbia".
_MAX_STATE_WORDS = 3

# NYC boroughs: USPS names the post offices differently (Manhattan is "New York", Queens is split
# into Astoria, Flushing, Jamaica, ...), so zipcodes alone would not understand them.
_BOROUGH_COUNTIES = {"queens": "Queens County"}
_BOROUGH_ALIASES = {
    "manhattan": "new york",
    "nyc": "new york",
    "ny": "new york",  # "NY, NY"; a bare "NY" is still the state, which is checked first
    "new york city": "new york",
    "the bronx": "bronx",
}
# Bare names that mean the NYC borough even though small towns elsewhere share them.
_PREFER_NY = frozenset({"manhattan", "brooklyn", "queens", "bronx", "the bronx", "nyc"})
# A neighbourhood of one of these boroughs may also be qualified by the city ("SoHo, NYC").
_NYC_BOROUGHS = frozenset({"Manhattan", "Brooklyn", "Queens", "Bronx"})
_NYC_FORMS = ("new york", "new york city", "nyc")
_DOWNTOWN = "downtown"
#: Why a place was chosen among several of the same name (Place.chosen_because).
MOST_POPULOUS = "most populous"
# A misspelling without a state is only corrected to a place at least this big: guessing at
# hamlets turns too many odd words into somewhere nobody meant.
_CORRECT_ANYWHERE_MIN_POPULATION = 10_000


class PlaceError(ValueError):
    """A location that could not be resolved, with a human message and "did you mean" labels."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions or [])[:MAX_SUGGESTIONS]

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Place:
    """A resolved location: a ZIP code, a city, a neighbourhood of a large city or a state."""

    kind: Literal["zip", "city", "neighbourhood", "state"]
    label: str
    city: str | None
    state: str
    zip: str | None
    lat: float
    lon: float
    # How the place was reached, not which place it is: left out of equality.
    #: Labels of the other places of this name, most populous first, when this one was chosen
    #: among them.
    alternatives: tuple[str, ...] = field(default=(), compare=False)
    #: Why this place of several: MOST_POPULOUS, or None when the text named only this one.
    chosen_because: str | None = field(default=None, compare=False)
    #: What was typed, when it was read as a misspelling of this place ("hobokn nj").
    corrected_from: str | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        """The place's own name, as in "the largest Springfield"."""
        return self.label.split(",")[0]


@dataclass(frozen=True)
class _City:
    name: str
    state: str
    lat: float
    lon: float
    zip: str
    zip_count: int
    #: People living there (GeoNames), 0 when unknown (places under 1,000 are not listed).
    population: int = 0

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"

    def place(self) -> Place:
        return Place("city", self.label, self.name, self.state, self.zip, self.lat, self.lon)


@dataclass(frozen=True)
class _Hood:
    """A neighbourhood (or the downtown) of a large city, from data/neighbourhoods.json."""

    name: str
    city: str
    state: str
    lat: float
    lon: float
    zip: str
    population: int
    #: Keys of the names that may follow it: the city's ("chicago", "la", "nyc").
    cities: frozenset[str]
    #: "Downtown" means nothing without its city.
    downtown: bool = False

    @property
    def label(self) -> str:
        if self.downtown:
            return f"Downtown {self.city}, {self.state}"
        return f"{self.name}, {self.city}, {self.state}"

    def place(self) -> Place:
        return Place(
            "neighbourhood", self.label, self.city, self.state, self.zip, self.lat, self.lon
        )


@dataclass(frozen=True)
class _Zip:
    code: str
    city: str
    state: str
    lat: float
    lon: float


class _Acc:
    """Accumulates the ZIPs of one city (or state) while the index is built."""

    # Running sums rather than lists: ~50k of these are built, so this is the hot loop.
    __slots__ = ("count", "lat", "lon", "name", "std_count", "std_lat", "std_lon", "std_zip", "zip")

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = self.std_count = 0
        self.std_lat = self.std_lon = self.lat = self.lon = 0.0
        self.std_zip = self.zip = "99999"

    def add(self, code: str, lat: float, lon: float, standard: bool) -> None:
        self.count += 1
        self.lat += lat
        self.lon += lon
        self.zip = min(self.zip, code)
        if standard:
            self.std_count += 1
            self.std_lat += lat
            self.std_lon += lon
            self.std_zip = min(self.std_zip, code)

    def build(self, state: str, population: int = 0) -> _City:
        # Centre on STANDARD (street delivery) ZIPs; PO boxes and single-company ZIPs sit at
        # post offices and office parks, so they are only a fallback.
        if self.std_count:
            n, lat, lon, code = self.std_count, self.std_lat, self.std_lon, self.std_zip
        else:
            n, lat, lon, code = self.count, self.lat, self.lon, self.zip
        return _City(self.name, state, lat / n, lon / n, code, self.count, population)


@dataclass(frozen=True)
class _Index:
    """The lookup tables: dicts as _build makes them; as the tables' file is read
    (_Stored.index), each a _Table answering the same get, [] and in."""

    zips: dict[str, _Zip]
    # (state, city key) -> city; city keys are space-separated words, see _city_key.
    cities: dict[tuple[str, str], _City]
    # (state, compact key) -> city key, so "McLean" finds "Mc Lean" and "LaPorte" "La Porte".
    compact: dict[tuple[str, str], str]
    # city key -> cities with that name as a USPS primary name, biggest first.
    by_name: dict[str, list[_City]]
    # city key -> cities that only know that name as an alias, biggest first.
    alias_by_name: dict[str, list[_City]]
    state_keys: dict[str, list[str]]
    # first letter -> all city keys starting with it, to keep difflib's candidate list small.
    keys_by_letter: dict[str, list[str]]
    states: dict[str, tuple[float, float]]
    # name key -> neighbourhoods of that name (or alias), most populous first.
    hoods: dict[str, list[_Hood]]
    # first letter -> keys of places big enough to correct a misspelling to without a state.
    populous_keys: dict[str, list[str]]


def _words(text: str) -> list[str]:
    """Lowercase ASCII words of `text`, with accents stripped and punctuation treated as space."""
    if text.isascii():
        plain = text.lower()  # fast path: nearly all input and all of the zipcodes data
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    # Apostrophes join rather than split so "O'Fallon" matches "OFallon" and "O Fallon" via compact.
    plain = plain.replace("'", "").replace("\u2019", "")
    return re.findall(r"[a-z0-9]+", plain)


def _city_key(words: list[str] | str) -> str:
    if isinstance(words, str):
        words = _words(words)
    return " ".join(_CITY_WORDS.get(w, w) for w in words)


def _state_lookup() -> dict[str, str]:
    table = {code.lower(): code for code in STATE_NAMES}
    for code, name in STATE_NAMES.items():
        table["".join(_words(name))] = code
    table.update({key: code for key, code in _STATE_ALIASES.items() if code in STATE_NAMES})
    return table


_STATE_LOOKUP = _state_lookup()
# Full names as word strings for fuzzy matching a misspelt state ("new jersy").
_STATE_NAME_KEYS = {" ".join(_words(name)): code for code, name in STATE_NAMES.items()}


def normalize_state(text: str) -> str | None:
    """Return the two-letter code for a state code or name ("N.J.", "new jersey"), else None."""
    if not isinstance(text, str) or len(text) > MAX_INPUT_LENGTH:
        return None
    return _state_from_words(_words(text))


def _state_from_words(words: list[str]) -> str | None:
    if not words:
        return None
    return _STATE_LOOKUP.get("".join(words))


@dataclass(frozen=True)
class ZipRecord:
    """One ZIP code of the offline data (the zipcodes package)."""

    code: str
    city: str
    state: str
    lat: float
    lon: float
    kind: str  # STANDARD | PO BOX | UNIQUE
    active: bool
    acceptable_cities: tuple[str, ...]
    county: str
    area_codes: tuple[str, ...]


def zip_records() -> Iterator[ZipRecord]:
    """Every ZIP code with a location in a state we know (military APO/FPO codes have none).

    The one reader of the zipcodes data, ten first digits at a time: list_all() keeps ~100 MB of
    dicts cached, and one list of all 42k rows leaves the heap fragmented; by prefix, a worker
    holds ~90 MB less (measured: 126 vs 214 MB).
    """
    for digit in "0123456789":
        for row in zipcodes.similar_to(digit):
            if row["zip_code_type"] == "MILITARY" or row["state"] not in STATE_NAMES:
                continue
            try:
                lat, lon = float(row["lat"]), float(row["long"])
            except (TypeError, ValueError):
                continue
            yield ZipRecord(
                row["zip_code"], row["city"], row["state"], lat, lon, row["zip_code_type"],
                bool(row["active"]), tuple(row["acceptable_cities"] or ()), row["county"] or "",
                tuple(row["area_codes"] or ()),
            )  # fmt: skip


def _populations(key_of) -> dict[tuple[str, str], int]:
    """(state, city key) -> people, from data/populations.txt (GeoNames)."""
    found: dict[tuple[str, str], int] = {}
    text = resources.files("directory").joinpath("data/populations.txt").read_text()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        state, name, people = line.split("\t")
        if state in STATE_NAMES:
            key = (state, key_of(name))
            found[key] = max(found.get(key, 0), int(people))
    return found


def _by_size(place: _City | _Hood) -> tuple:
    """Sort key: most populous first; then most ZIP codes (a city's size when its population is
    unknown), then by label so the order never depends on the data's."""
    return (-place.population, -getattr(place, "zip_count", 0), place.label)


def _hoods(zips: dict[str, _Zip]) -> dict[str, list[_Hood]]:
    """Name key -> the neighbourhoods of data/neighbourhoods.json of that name or alias."""
    data = json.loads(resources.files("directory").joinpath("data/neighbourhoods.json").read_text())
    found: dict[str, list[_Hood]] = defaultdict(list)
    for entry in data["cities"]:
        city, state = entry["city"], entry["state"]
        forms = {_city_key(city), *(_city_key(a) for a in entry.get("aliases", ()))}
        if city in _NYC_BOROUGHS:
            forms.update(_NYC_FORMS)
        listed = [dict(item) for item in entry["neighbourhoods"]]
        if "downtown" in entry:
            listed.append({"name": "Downtown", **entry["downtown"], "downtown": True})
        for item in listed:
            located = [zips[code] for code in item["zips"]]
            lat = sum(z.lat for z in located) / len(located)
            lon = sum(z.lon for z in located) / len(located)
            hood = _Hood(
                item["name"], city, state, lat, lon, min(item["zips"]), item.get("population", 0),
                frozenset(forms | {_city_key(c) for c in item.get("also_in", ())}),
                item.get("downtown", False),
            )  # fmt: skip
            for key in {_city_key(n) for n in (item["name"], *item.get("aliases", ()))}:
                found[key].append(hood)
    for listed_hoods in found.values():
        listed_hoods.sort(key=_by_size)
    return dict(found)


def _build() -> _Index:
    """The lookup tables, built from the sources (~2 s): see _index for how they are kept."""
    zips: dict[str, _Zip] = {}
    primary: dict[tuple[str, str], _Acc] = {}
    aliases: dict[tuple[str, str], _Acc] = {}
    boroughs: dict[str, _Acc] = {}
    state_acc: dict[str, _Acc] = {}
    key_memo: dict[str, str] = {}  # ~55k names but far fewer distinct ones

    def acc_for(table: dict, key: object, name: str) -> _Acc:
        acc = table.get(key)
        if acc is None:
            acc = table[key] = _Acc(name)
        return acc

    for row in zip_records():
        state, kind, code = row.state, row.kind, row.code
        lat, lon = row.lat, row.lon
        # Retired ZIPs still appear in old addresses, so they resolve on their own...
        zips[code] = _Zip(code, row.city, state, lat, lon)
        # ...but do not pull city or state centres around.
        if not row.active:
            continue
        std = kind == "STANDARD"

        name = row.city
        key = key_memo.get(name) or key_memo.setdefault(name, _city_key(name))
        acc_for(primary, (state, key), name).add(code, lat, lon, std)
        # UNIQUE ZIPs list company names ("At&t") as acceptable cities; only real post offices
        # carry useful neighbourhood aliases.
        if kind in ("STANDARD", "PO BOX"):
            for alias in row.acceptable_cities:
                akey = key_memo.get(alias) or key_memo.setdefault(alias, _city_key(alias))
                acc_for(aliases, (state, akey), alias).add(code, lat, lon, std)
        if state == "NY":
            for borough, county in _BOROUGH_COUNTIES.items():
                if row.county == county:
                    acc_for(boroughs, borough, borough.title()).add(code, lat, lon, std)
        acc_for(state_acc, state, state).add(code, lat, lon, std)

    people = _populations(lambda name: key_memo.get(name) or _city_key(name))
    cities: dict[tuple[str, str], _City] = {}
    by_name: dict[str, list[_City]] = defaultdict(list)
    alias_by_name: dict[str, list[_City]] = defaultdict(list)
    for (state, key), acc in primary.items():
        city = acc.build(state, people.get((state, key), 0))
        cities[(state, key)] = city
        by_name[key].append(city)
    primary_compact = {(state, key.replace(" ", "")) for state, key in cities}
    for (state, key), acc in aliases.items():
        if (state, key.replace(" ", "")) in primary_compact:
            # A USPS primary name beats an alias spelt the same or spaced differently
            # ("Mclean" is an alias of ZIPs whose post office is "Mc Lean").
            continue
        city = acc.build(state, people.get((state, key), 0))
        cities[(state, key)] = city
        alias_by_name[key].append(city)
    for borough, acc in boroughs.items():
        city = acc.build("NY", people.get(("NY", borough), 0))
        cities[("NY", borough)] = city
        by_name[borough].append(city)
    for alias, target in _BOROUGH_ALIASES.items():
        city = cities[("NY", target)]
        cities[("NY", alias)] = city
        by_name[alias].append(city)

    for lists in (by_name, alias_by_name):
        for found in lists.values():
            found.sort(key=_by_size)

    compact: dict[tuple[str, str], str] = {}
    state_keys: dict[str, list[str]] = defaultdict(list)
    keys_by_letter: dict[str, set[str]] = defaultdict(set)
    for state, key in cities:
        compact.setdefault((state, key.replace(" ", "")), key)
        state_keys[state].append(key)
        if key:
            keys_by_letter[key[0]].add(key)

    states = {}
    for state, acc in state_acc.items():
        centre = acc.build(state)
        states[state] = (centre.lat, centre.lon)

    hoods = _hoods(zips)
    populous: dict[str, set[str]] = defaultdict(set)
    for (_state, key), city in cities.items():
        if key and city.population >= _CORRECT_ANYWHERE_MIN_POPULATION:
            populous[key[0]].add(key)
    for key, found_hoods in hoods.items():
        if not found_hoods[0].downtown:
            populous[key[0]].add(key)

    return _Index(
        zips=zips,
        cities=cities,
        compact=compact,
        by_name=dict(by_name),
        alias_by_name=dict(alias_by_name),
        state_keys={s: sorted(keys) for s, keys in state_keys.items()},
        keys_by_letter={k: sorted(v) for k, v in keys_by_letter.items()},
        states=states,
        hoods=hoods,
        populous_keys={k: sorted(v) for k, v in populous.items()},
    )


#: How a stored value becomes what _Index holds (JSON keeps lists; the rest is as stored).
_DECODE = {
    "zips": lambda code, v: _Zip(code, *v),
    "cities": lambda _key, v: _City(*v),
    "by_name": lambda _key, v: [_City(*c) for c in v],
    "alias_by_name": lambda _key, v: [_City(*c) for c in v],
    "states": lambda _key, v: tuple(v),
    "hoods": lambda _key, v: [_Hood(*h[:7], frozenset(h[7]), h[8]) for h in v],
}
#: Bumped when the file's layout changes (its sources are hashed: see _digest).
_FILE_FORMAT = 1
# Where the tables are kept between processes (use_cache); None: each process builds its own.
_cache_folder: Path | None = None
# (process id, tables): a process forked from one that had them opens its own connection.
_loaded: tuple[int, _Index] | None = None
_load_lock = threading.Lock()


def use_cache(folder: str | os.PathLike | None) -> None:
    """Keep the place tables in `folder` (created when missing), for every later process to
    open instead of building; None builds them per process. A process that has them already
    keeps them: they are the same wherever they are kept."""
    global _cache_folder
    _cache_folder = Path(folder) if folder is not None else None


def _encode(name: str, value: Any) -> Any:
    if name == "cities":
        return _city_row(value)
    if name in ("by_name", "alias_by_name"):
        return [_city_row(c) for c in value]
    if name == "zips":
        return [value.city, value.state, value.lat, value.lon]
    if name == "hoods":
        return [
            [h.name, h.city, h.state, h.lat, h.lon, h.zip, h.population, sorted(h.cities),
             h.downtown]
            for h in value
        ]  # fmt: skip
    return value


def _city_row(city: _City) -> list:
    return [city.name, city.state, city.lat, city.lon, city.zip, city.zip_count, city.population]


class _Table:
    """One table of _Index read from the file on demand: `get`, `[]` and `in`, as the dict the
    builder made (keys of several parts are tuples, as there)."""

    def __init__(self, stored: _Stored, name: str) -> None:
        self._stored = stored
        self._name = name
        self._decode = _DECODE.get(name, lambda _key, value: value)

    def get(self, key: Any, default: Any = None) -> Any:
        text = "\t".join(key) if isinstance(key, tuple) else key
        found = self._stored.value(self._name, text)
        return default if found is None else self._decode(key, found)

    def __getitem__(self, key: Any) -> Any:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None


class _Stored:
    """The tables' file, open read-only: one connection for the process (a lookup takes
    microseconds; the lock makes it safe for a worker's threads)."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(
            f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        self._lock = threading.Lock()

    def value(self, table: str, key: str) -> Any:
        with self._lock:
            row = self._connection.execute(
                "SELECT value FROM entry WHERE tbl = ? AND key = ?", (table, key)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def index(self) -> _Index:
        return _Index(**{name: _Table(self, name) for name in _Index.__dataclass_fields__})


def _digest() -> str:
    """Names a version of the tables: a hash of everything they are built from."""
    sha = hashlib.sha256(f"{_FILE_FORMAT} {zipcodes.__version__}".encode())
    sha.update(Path(__file__).read_bytes())
    for name in ("populations.txt", "neighbourhoods.json", "states.json"):
        sha.update(resources.files("directory").joinpath(f"data/{name}").read_bytes())
    return sha.hexdigest()[:16]


def _write(index: _Index, path: Path) -> None:
    """Store the tables at `path`, atomically (readers see the whole file or none)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(tmp) as connection:
        connection.execute(
            "CREATE TABLE entry (tbl TEXT, key TEXT, value TEXT, PRIMARY KEY (tbl, key))"
            " WITHOUT ROWID"
        )
        connection.executemany(
            "INSERT INTO entry VALUES (?, ?, ?)",
            (
                (name, "\t".join(key) if isinstance(key, tuple) else key,
                 json.dumps(_encode(name, value), separators=(",", ":")))
                for name in _Index.__dataclass_fields__
                for key, value in getattr(index, name).items()
            ),
        )  # fmt: skip
    connection.close()
    os.replace(tmp, path)


def _open() -> _Stored:
    """The tables' file for this version of the sources, built first when there is none."""
    if _cache_folder is not None:
        try:
            return _Stored(_kept(_cache_folder))
        except (OSError, sqlite3.Error):
            pass  # a folder we cannot write to: this process builds its own, as below
    # Nowhere to keep them: a private file, gone once open (this process keeps reading it).
    private = Path(tempfile.mkdtemp(prefix="directory-places-"))
    try:
        _write(_build(), private / "places.sqlite3")
        return _Stored(private / "places.sqlite3")
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _kept(folder: Path) -> Path:
    """The tables' file in `folder`, built by one process (the others wait for it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"places-{_digest()}.sqlite3"
    if not path.exists():
        with open(folder / ".places.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                _write(_build(), path)
                for old in folder.glob("places-*.sqlite3"):
                    if old != path:  # processes still reading it keep their open file
                        old.unlink(missing_ok=True)
    return path


def _index() -> _Index:
    # Opened on first use, never at import.
    global _loaded
    loaded = _loaded
    if loaded is None or loaded[0] != os.getpid():
        with _load_lock:
            loaded = _loaded
            if loaded is None or loaded[0] != os.getpid():
                loaded = _loaded = (os.getpid(), _open().index())
    return loaded[1]


def _zip_place(record: _Zip) -> Place:
    label = f"{record.city}, {record.state} {record.code}"
    return Place("zip", label, record.city, record.state, record.code, record.lat, record.lon)


def _state_place(code: str) -> Place:
    lat, lon = _index().states[code]
    return Place("state", STATE_NAMES[code], None, code, None, lat, lon)


def _lookup_zip(zip_code: str) -> _Zip:
    if not isinstance(zip_code, str):
        raise PlaceError(_("Enter a 5-digit ZIP code."))
    text = zip_code.strip()
    match = _ZIP_RE.fullmatch(text)
    if match is None:
        raise PlaceError(
            _("%(text)s is not a ZIP code: ZIP codes have 5 digits.", text=_quoted(text))
        )
    record = _index().zips.get(match.group(1))
    if record is None:
        raise PlaceError(_("ZIP code %(zip)s was not found.", zip=match.group(1)))
    return record


def zip_location(zip_code: str, state: str | None = None) -> tuple[float, float, str, str]:
    """Return (lat, lon, city, state) for a ZIP code, optionally checking it is in `state`."""
    record = _lookup_zip(zip_code)
    if state is not None:
        wanted = normalize_state(state)
        if wanted is None:
            raise PlaceError(_("%(state)s is not a US state.", state=_quoted(state)))
        if wanted != record.state:
            raise PlaceError(
                _(
                    "ZIP %(zip)s is in %(state)s, not %(wanted)s.",
                    zip=record.code,
                    state=record.state,
                    wanted=wanted,
                )
            )
    return record.lat, record.lon, record.city, record.state


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in statute miles."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    # min() guards against rounding pushing h a hair above 1 for antipodal points.
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def _shown(text: str, limit: int = 40) -> str:
    """Shorten user text for echoing it back in a message."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _quoted(text: str) -> str:
    """User text in curly quotes, shortened, with control characters dropped, for messages."""
    clean = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return f"\u201c{_shown(clean.strip())}\u201d"


def _is_bad_input(text: object) -> bool:
    if not isinstance(text, str):
        return True
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_INPUT_LENGTH:
        return True
    # Control, format, surrogate and unassigned characters never belong in a place name.
    return any(unicodedata.category(ch)[0] == "C" for ch in stripped)


def _strip_country(words: list[str]) -> list[str]:
    for suffix in _COUNTRY_SUFFIXES:
        n = len(suffix)
        if len(words) > n and tuple(words[-n:]) == suffix:
            return words[:-n]
    return words


def _find_city(state: str, words: list[str]) -> _City | None:
    idx = _index()
    key = _city_key(words)
    city = idx.cities.get((state, key))
    if city is None:
        full = idx.compact.get((state, key.replace(" ", "")))
        city = idx.cities.get((state, full)) if full is not None else None
    return city


def _bare_candidates(words: list[str]) -> list:
    """Every place with this name, most populous first: cities, and neighbourhoods of large
    cities unless a city of that name in their state is listed ("Astoria" is the USPS town)."""
    idx = _index()
    key = _city_key(words)
    cities = _bare_cities(words)
    named = {(c.state, _city_key(c.name)) for c in cities}
    hoods = [
        h for h in idx.hoods.get(key, ())
        if not h.downtown and (h.state, key) not in named
    ]  # fmt: skip
    return sorted([*cities, *hoods], key=_by_size) if hoods else cities


def _bare_cities(words: list[str]) -> list[_City]:
    idx = _index()
    key = _city_key(words)
    found = idx.by_name.get(key) or idx.alias_by_name.get(key) or []
    if not found:
        # Same name with different spacing ("McLean" / "Mc Lean"), in any state.
        compact = key.replace(" ", "")
        seen: set[_City] = set()
        for state in STATE_NAMES:
            full = idx.compact.get((state, compact))
            if full is not None:
                seen.add(idx.cities[(state, full)])
        found = sorted(seen, key=_by_size)
    return found


def _close_keys(key: str, candidates: list[str], n: int = MAX_SUGGESTIONS) -> list[str]:
    if not key:
        return []
    return difflib.get_close_matches(key, candidates, n=n, cutoff=0.75)


def _in_state_suggestions(state: str, words: list[str]) -> list[str]:
    idx = _index()
    key = _city_key(words)
    labels = []
    for match in _close_keys(key, idx.state_keys.get(state, [])):
        labels.append(idx.cities[(state, match)].label)
    return labels


def _anywhere_suggestions(words: list[str]) -> list[str]:
    idx = _index()
    key = _city_key(words)
    if not key:
        return []
    labels: list[str] = []
    for match in _close_keys(key, idx.keys_by_letter.get(key[0], [])):
        for city in idx.by_name.get(match) or idx.alias_by_name.get(match) or []:
            labels.append(city.label)
    return labels


def _fuzzy_state(words: list[str]) -> str | None:
    """Return the code of a state whose full name looks like a misspelling of `words`."""
    key = " ".join(words)
    if len(key) < 4:
        return None  # two-letter typos ("NK") match too many codes to guess
    match = difflib.get_close_matches(key, list(_STATE_NAME_KEYS), n=1, cutoff=0.8)
    return _STATE_NAME_KEYS[match[0]] if match else None


def _dedupe(labels: list[str]) -> list[str]:
    return list(dict.fromkeys(labels))[:MAX_SUGGESTIONS]


def _split_parts(text: str) -> list[list[str]]:
    """Split on commas into word lists, dropping empty parts and a trailing country."""
    parts = [_words(part) for part in text.split(",")]
    parts = [p for p in parts if p]
    if len(parts) > 1 and tuple(parts[-1]) in _COUNTRY_SUFFIXES:
        parts.pop()
    elif parts:
        parts[-1] = _strip_country(parts[-1])
    return parts


def _state_splits(parts: list[list[str]]) -> list[tuple[list[str], str]]:
    """All readings of the input as (city words, state code), most specific first."""
    splits: list[tuple[list[str], str]] = []
    if len(parts) >= 2:
        state = _state_from_words(parts[-1])
        if state is not None:
            # "123 Main St, Hoboken, NJ": the city is the part right before the state.
            for part in reversed(parts[:-1]):
                splits.append((part, state))
    words = [w for part in parts for w in part]
    for n in range(min(_MAX_STATE_WORDS, len(words) - 1), 0, -1):
        state = _state_from_words(words[-n:])
        if state is not None:
            splits.append((words[:-n], state))
    return splits


def _resolve_zip(zip_code: str, parts: list[list[str]]) -> Place:
    record = _lookup_zip(zip_code)
    # The ZIP decides the place; the rest only has to agree about the state.
    claimed = None
    if parts and len(parts) >= 2:
        claimed = _state_from_words(parts[-1])
    if claimed is None and parts:
        words = [w for part in parts for w in part]
        for n in range(min(_MAX_STATE_WORDS, len(words)), 0, -1):
            claimed = _state_from_words(words[-n:])
            if claimed is not None:
                break
    if claimed is not None and claimed != record.state:
        place = _zip_place(record)
        raise PlaceError(
            _(
                "ZIP %(zip)s is in %(state)s, not %(wanted)s.",
                zip=record.code,
                state=record.state,
                wanted=claimed,
            ),
            [place.label],
        )
    return _zip_place(record)


def resolve(text: str, correct: bool = True) -> Place:
    """Resolve free text (city and state, ZIP code, neighbourhood, or state) to a Place, or raise
    PlaceError. A name several places share is the most populous of them (with the others in
    `alternatives`); with `correct`, a clear misspelling of one place is read as that place
    (`corrected_from` says what was typed)."""
    if _is_bad_input(text):
        raise PlaceError(GENERIC_MESSAGE)
    stripped = text.strip()

    zips = {m.group(1) for m in _ZIP_IN_TEXT_RE.finditer(stripped)}
    if len(zips) > 1:
        raise PlaceError(_("Enter just one ZIP code."))
    if zips:
        zip_code = zips.pop()
        rest = _ZIP_IN_TEXT_RE.sub(" ", stripped)
        return _resolve_zip(zip_code, _split_parts(rest))
    if _ZIPLIKE_RE.fullmatch(stripped):
        digits = re.sub(r"\D", "", stripped)
        suggestions = []
        # Spreadsheets drop leading zeros ("7030" for 07030); offer the padded ZIP.
        if 3 <= len(digits) < 5 and digits.zfill(5) in _index().zips:
            suggestions.append(_zip_place(_index().zips[digits.zfill(5)]).label)
        raise PlaceError(
            _("%(text)s is not a ZIP code: ZIP codes have 5 digits.", text=_quoted(stripped)),
            suggestions,
        )

    parts = _split_parts(stripped)
    words = [w for part in parts for w in part]
    if not words:
        raise PlaceError(GENERIC_MESSAGE)

    state = _state_from_words(words)
    if state is not None:
        return _state_place(state)

    # "Wicker Park, Chicago" before "Chicago": a street or a neighbourhood before the city is
    # otherwise skipped ("123 Main St, Hoboken, NJ").
    by_city, by_state = _hood_matches(words)
    if by_city:
        return _chosen(by_city)

    splits = _state_splits(parts)
    for city_words, state in splits:
        city = _find_city(state, city_words)
        if city is not None:
            return city.place()
    if by_state:
        return _chosen(by_state)
    if words[0] == _DOWNTOWN and len(words) > 1:
        # The downtown of a city we have no neighbourhood data for: its centre.
        try:
            return resolve(", ".join(" ".join(p) for p in _without_downtown(parts)), correct)
        except PlaceError:
            pass

    candidates = _bare_candidates(words)
    key = _city_key(words)
    if key in _PREFER_NY:
        candidates = [c for c in candidates if c.state == "NY"] or candidates
    if candidates and (len(candidates) == 1 or candidates[0].population):
        return _chosen(candidates)
    if candidates:
        name = candidates[0].name
        raise PlaceError(
            _("There is a %(name)s in several states: which one?", name=name),
            [c.label for c in candidates],
        )
    if correct:
        corrected = _correction(words, splits)
        if corrected is not None:
            return replace(resolve(corrected, correct=False), corrected_from=stripped)
    raise _not_found(stripped, parts, words, splits)


def _chosen(found: list) -> Place:
    """The first of several places of one name (sorted by _by_size), the others offered."""
    place = found[0].place()
    others = _dedupe([c.label for c in found[1:]])
    if not others:
        return place
    return replace(place, alternatives=tuple(others), chosen_because=MOST_POPULOUS)


def _without_downtown(parts: list[list[str]]) -> list[list[str]]:
    parts = [list(p) for p in parts]
    parts[0] = parts[0][1:]
    return [p for p in parts if p]


def _hood_matches(words: list[str]) -> tuple[list[_Hood], list[_Hood]]:
    """Neighbourhoods the words name with their city ("Wicker Park, Chicago, IL"), and those
    they name with only a state ("Wicker Park, IL"), most populous first."""
    hoods = _index().hoods
    if len(words) > 1 and words[-1] == _DOWNTOWN:
        words = [_DOWNTOWN, *words[:-1]]  # "Chicago downtown"
    by_city: list[_Hood] = []
    by_state: list[_Hood] = []
    for n in range(len(words) - 1, 0, -1):
        found = hoods.get(_city_key(words[:n]))
        if not found:
            continue
        rest = words[n:]
        for hood in found:
            if _names_city(hood, rest):
                by_city.append(hood)
            elif not hood.downtown and _state_from_words(rest) == hood.state:
                by_state.append(hood)
    return sorted(by_city, key=_by_size), sorted(by_state, key=_by_size)


def _names_city(hood: _Hood, words: list[str]) -> bool:
    """Whether `words` are the neighbourhood's city, with or without its state."""
    if _city_key(words) in hood.cities:
        return True
    for n in range(1, len(words)):
        if _city_key(words[:n]) in hood.cities and _state_from_words(words[n:]) == hood.state:
            return True
    return False


def _budget(letters: int) -> int:
    """Edits a misspelt name of this many letters may have (as for the need's typos)."""
    if letters < 5:
        return 0
    return 1 if letters <= 7 else 2


def _closest(typed: str, keys: list[str]) -> str | None:
    """The one key `typed` is a misspelling of: within the edit budget and strictly closer
    than every other key (a tie is no answer)."""
    budget = _budget(len(typed.replace(" ", "")))
    if not budget:
        return None
    best: list[tuple[int, str]] = []
    for key in keys:
        d = OSA.distance(typed, key, score_cutoff=budget)
        if d <= budget:
            best.append((d, key))
    if not best:
        return None
    least = min(d for d, _ in best)
    winners = [key for d, key in best if d == least]
    return winners[0] if len(winners) == 1 else None


def _correction(words: list[str], splits: list[tuple[list[str], str]]) -> str | None:
    """What a misspelt place most clearly means, as text to resolve; None when unclear.

    A name that is a real place somewhere is never corrected ("Hoboken, NY" is asked about,
    not changed into another New York town)."""
    idx = _index()
    if splits:
        city_words, state = splits[0]
        typed = _city_key(city_words)
        if not typed or _bare_candidates(city_words) or idx.hoods.get(typed):
            return None
        keys = [k for k in idx.state_keys.get(state, ()) if k[:1] == typed[0]]
        match = _closest(typed, keys)
        return None if match is None else idx.cities[(state, match)].label
    typed = _city_key(words)
    if not typed:
        return None
    return _closest(typed, idx.populous_keys.get(typed[0], []))


def _not_found(
    text: str, parts: list[list[str]], words: list[str], splits: list[tuple[list[str], str]]
) -> PlaceError:
    """Build the error for input that matched nothing, with the best guesses we can make."""
    if splits:
        # A state was recognised but the city is not in it.
        city_words, state = splits[0]
        # Same-name cities elsewhere, nearest to the state typed first: someone who typed
        # "Hoboken, NY" more likely means Hoboken, NJ than Hoboken, GA.
        lat, lon = _index().states[state]
        others = [c for c in _bare_candidates(city_words) if c.state != state]
        others.sort(key=lambda c: distance_miles(lat, lon, c.lat, c.lon))
        elsewhere = [c.label for c in others]
        suggestions = _dedupe(elsewhere + _in_state_suggestions(state, city_words))
        shown = _shown(" ".join(city_words).title())
        return PlaceError(
            _("We couldn't find %(place)s in %(state)s.", place=shown, state=STATE_NAMES[state]),
            suggestions,
        )

    suggestions: list[str] = []
    whole_state = _fuzzy_state(words)
    if whole_state is not None:
        suggestions.append(STATE_NAMES[whole_state])
    # A misspelt state name after the city: "Hoboken, New Jersy" or "hoboken new jersy".
    fuzzy_splits = []
    if len(parts) >= 2:
        fuzzy_splits.append((parts[-2], parts[-1]))
    for n in range(min(_MAX_STATE_WORDS, len(words) - 1), 0, -1):
        fuzzy_splits.append((words[:-n], words[-n:]))
    for city_words, state_words in fuzzy_splits:
        state = _fuzzy_state(state_words)
        if state is None:
            continue
        city = _find_city(state, city_words)
        if city is not None:
            suggestions.append(city.label)
        else:
            suggestions.extend(_in_state_suggestions(state, city_words))
    if not suggestions:
        suggestions = _anywhere_suggestions(words)
    return PlaceError(_("We couldn't find %(place)s.", place=_quoted(text)), _dedupe(suggestions))


def preload() -> None:
    """Open the lookup tables now (building them when no process has) instead of on the first
    request."""
    _index()
