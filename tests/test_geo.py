"""Tests for directory.geo: place resolution, ZIP lookup and distances."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import math
import sys
from importlib import resources
from pathlib import Path

import pytest

from directory import geo
from directory.geo import Place, PlaceError, distance_miles, normalize_state, resolve, zip_location

HOBOKEN = (40.7445, -74.0329)
TOLERANCE_DEG = 0.05
GEO_PATH = Path(geo.__file__)
STATE_CODES = set(geo.STATE_NAMES)


def near(lat: float, lon: float, target: tuple[float, float], tol: float = TOLERANCE_DEG) -> bool:
    return abs(lat - target[0]) <= tol and abs(lon - target[1]) <= tol


def raises_place_error(text: str, correct: bool = True) -> PlaceError:
    with pytest.raises(PlaceError) as info:
        resolve(text, correct=correct)
    return info.value


# --- accepted forms -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hoboken, NJ",
        "hoboken nj",
        "Hoboken, New Jersey",
        "hoboken new jersey",
        "HOBOKEN  ,  nj",
        "  Hoboken,NJ  ",
        "Hoboken, N.J.",
        "Hoboken, NJ, USA",
        "hoboken nj us",
    ],
)
def test_hoboken_city_forms(text: str) -> None:
    place = resolve(text)
    assert place.kind == "city"
    assert (place.city, place.state, place.zip) == ("Hoboken", "NJ", "07030")
    assert place.label == "Hoboken, NJ"
    assert near(place.lat, place.lon, HOBOKEN)


@pytest.mark.parametrize(
    "text",
    [
        "07030",
        " 07030 ",
        "07030-1234",
        "070301234",
        "Hoboken, NJ 07030",
        "hoboken nj 07030-1234",
        "NJ 07030",
        "07030 Hoboken",
        "123 Washington St, Hoboken, NJ 07030",
    ],
)
def test_hoboken_zip_forms(text: str) -> None:
    place = resolve(text)
    assert place.kind == "zip"
    assert (place.city, place.state, place.zip) == ("Hoboken", "NJ", "07030")
    assert place.label == "Hoboken, NJ 07030"
    assert (place.lat, place.lon) == HOBOKEN


@pytest.mark.parametrize(
    ("text", "city", "state"),
    [
        ("Jersey City, NJ", "Jersey City", "NJ"),
        ("jersey city nj", "Jersey City", "NJ"),
        ("Jersey City", "Jersey City", "NJ"),
        ("Weehawken", "Weehawken", "NJ"),
        ("New York, NY", "New York", "NY"),
        ("new york new york", "New York", "NY"),
        ("new york ny", "New York", "NY"),
        ("New York, New York", "New York", "NY"),
        ("St. Louis, MO", "Saint Louis", "MO"),
        ("Saint Louis, MO", "Saint Louis", "MO"),
        ("st louis missouri", "Saint Louis", "MO"),
        ("Mt Vernon, NY", "Mount Vernon", "NY"),
        ("Mount Vernon NY", "Mount Vernon", "NY"),
        ("Ft. Lee, NJ", "Fort Lee", "NJ"),
        ("Fort Lee NJ", "Fort Lee", "NJ"),
        ("Ste. Genevieve, MO", "Sainte Genevieve", "MO"),
        ("Washington, DC", "Washington", "DC"),
        ("washington d.c.", "Washington", "DC"),
        ("Raleigh, North Carolina", "Raleigh", "NC"),
        ("charleston west virginia", "Charleston", "WV"),
        ("Kansas City, Kansas", "Kansas City", "KS"),
        ("kansas city mo", "Kansas City", "MO"),
        ("McLean, VA", "Mc Lean", "VA"),
        ("N Las Vegas, NV", "North Las Vegas", "NV"),
        ("Cañon City, CO", "Canon City", "CO"),
        ("Winston-Salem, NC", "Winston Salem", "NC"),
        ("San Juan, PR", "San Juan", "PR"),
        ("Los Angeles", "Los Angeles", "CA"),
    ],
)
def test_city_forms(text: str, city: str, state: str) -> None:
    place = resolve(text)
    assert place.kind == "city"
    assert (place.city, place.state) == (city, state)
    assert place.label == f"{city}, {state}"
    assert place.zip is not None and len(place.zip) == 5


@pytest.mark.parametrize(
    ("text", "city"),
    [
        ("Manhattan, NY", "New York"),
        ("Manhattan", "New York"),
        ("manhattan new york", "New York"),
        ("NYC", "New York"),
        ("NY, NY", "New York"),
        ("New York City", "New York"),
        ("Brooklyn, NY", "Brooklyn"),
        ("Brooklyn", "Brooklyn"),
        ("Queens, NY", "Queens"),
        ("Queens", "Queens"),
        ("Bronx, NY", "Bronx"),
        ("The Bronx", "Bronx"),
        ("Staten Island", "Staten Island"),
        ("Astoria, NY", "Astoria"),
    ],
)
def test_nyc_boroughs(text: str, city: str) -> None:
    place = resolve(text)
    assert (place.kind, place.city, place.state) == ("city", city, "NY")
    # Every borough centre is within ~20 miles of Midtown.
    assert distance_miles(place.lat, place.lon, 40.7549, -73.9840) < 20


def test_borough_names_elsewhere_still_work() -> None:
    assert resolve("Manhattan, KS").state == "KS"
    assert resolve("Brooklyn, CT").state == "CT"


def test_city_centroids() -> None:
    nyc = resolve("New York, NY")
    # Mean of Manhattan's STANDARD ZIPs lands in Manhattan.
    assert 40.70 < nyc.lat < 40.88 and -74.02 < nyc.lon < -73.90
    assert nyc.zip == "10001"
    queens = resolve("Queens")
    assert 40.54 < queens.lat < 40.80 and -73.96 < queens.lon < -73.70


@pytest.mark.parametrize(
    ("text", "code", "name"),
    [
        ("NJ", "NJ", "New Jersey"),
        ("nj", "NJ", "New Jersey"),
        ("N.J.", "NJ", "New Jersey"),
        ("New Jersey", "NJ", "New Jersey"),
        ("new jersey", "NJ", "New Jersey"),
        ("NEW  JERSEY", "NJ", "New Jersey"),
        ("new york", "NY", "New York"),
        ("New York", "NY", "New York"),
        ("North Carolina", "NC", "North Carolina"),
        ("District of Columbia", "DC", "District of Columbia"),
        ("Washington", "WA", "Washington"),
        ("Calif.", "CA", "California"),
        ("Puerto Rico", "PR", "Puerto Rico"),
    ],
)
def test_state_forms(text: str, code: str, name: str) -> None:
    place = resolve(text)
    assert place.kind == "state"
    assert (place.state, place.label, place.city, place.zip) == (code, name, None, None)


def test_state_centre_is_inside_state() -> None:
    nj = resolve("NJ")
    assert 38.9 < nj.lat < 41.4 and -75.6 < nj.lon < -73.9


@pytest.mark.parametrize(
    "text",
    ["Hoboken, NJ", "07030", "New Jersey", "Queens", "Manhattan", "St. Louis, MO", "Bronx"],
)
def test_labels_resolve_back_to_the_same_place(text: str) -> None:
    place = resolve(text)
    assert resolve(place.label) == place


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "   ", "x" * 101, "Hoboken\x00, NJ", "Hoboken\n, NJ", "*", ",,,", "😀"]
)
def test_unusable_input_gets_generic_message(text: str) -> None:
    error = raises_place_error(text)
    assert error.message == geo.GENERIC_MESSAGE
    assert str(error) == error.message
    assert error.suggestions == []


def test_unknown_zip() -> None:
    error = raises_place_error("00000")
    assert "00000" in error.message


@pytest.mark.parametrize(("text", "suggestion"), [("7030", "Hoboken, NJ 07030"), ("070301", None)])
def test_malformed_zip_in_resolve(text: str, suggestion: str | None) -> None:
    error = raises_place_error(text)
    assert "ZIP" in error.message
    if suggestion:
        assert error.suggestions == [suggestion]


def test_zip_in_another_state_than_typed() -> None:
    error = raises_place_error("Hoboken, NY 07030")
    assert error.message == "ZIP 07030 is in NJ, not NY."
    assert error.suggestions == ["Hoboken, NJ 07030"]


def test_two_zips() -> None:
    assert "one ZIP" in raises_place_error("07030 10001").message


@pytest.mark.parametrize(
    ("text", "label", "first_others"),
    [
        ("springfield", "Springfield, MO", ["Springfield, MA", "Springfield, IL"]),
        ("Springfield", "Springfield, MO", ["Springfield, MA", "Springfield, IL"]),
        ("portland", "Portland, OR", ["Portland, ME"]),
        # Hoboken, GA (531 people) has as many ZIP codes as Hoboken, NJ (53,635).
        ("hoboken", "Hoboken, NJ", ["Hoboken, GA"]),
        ("columbus", "Columbus, OH", ["Columbus, GA"]),
        ("kansas city", "Kansas City, MO", ["Kansas City, KS"]),
        ("harlem", "Harlem, Manhattan, NY", ["Harlem, GA"]),
    ],
)
def test_a_name_several_places_share_is_the_most_populous(
    text: str, label: str, first_others: list[str]
) -> None:
    place = resolve(text)
    assert place.label == label
    assert place.chosen_because == geo.MOST_POPULOUS
    # The others are offered, most populous first, each a place of its own.
    assert list(place.alternatives[: len(first_others)]) == first_others
    assert label not in place.alternatives
    assert 0 < len(place.alternatives) <= geo.MAX_SUGGESTIONS
    for other in place.alternatives:
        assert resolve(other).label == other


@pytest.mark.parametrize("text", ["Springfield, IL", "Jersey City", "Hoboken, NJ", "07030", "NJ"])
def test_a_place_named_exactly_offers_no_others(text: str) -> None:
    place = resolve(text)
    assert place.alternatives == () and place.chosen_because is None
    assert place.corrected_from is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hobokn, NJ", ["Hoboken, NJ"]),
        ("hobokn nj", ["Hoboken, NJ"]),
        ("Sacremento, CA", ["Sacramento, CA"]),
    ],
)
def test_typo_in_city_with_state(text: str, expected: list[str]) -> None:
    error = raises_place_error(text, correct=False)
    assert error.suggestions == expected


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("hobokn nj", "Hoboken, NJ"),
        ("Hobokin, NJ", "Hoboken, NJ"),
        ("Sacremento, CA", "Sacramento, CA"),
        ("jersy city", "Jersey City, NJ"),
        ("brookyln", "Brooklyn, NY"),
        ("Philadelpia", "Philadelphia, PA"),
    ],
)
def test_a_clear_misspelling_is_corrected_and_says_so(text: str, label: str) -> None:
    place = resolve(text)
    assert place.label == label
    assert place.corrected_from == text


@pytest.mark.parametrize(
    "text",
    [
        "Hoboken, NY",  # a real town, in another state: asked about, never moved
        "town",  # too short to guess at
        "Hobokn, New Jersy",  # two misspellings
        "Xyzzyq, NJ",
    ],
)
def test_unclear_or_real_names_are_not_corrected(text: str) -> None:
    raises_place_error(text)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Wicker Park, Chicago", "Wicker Park, Chicago, IL"),
        ("wicker park chicago il", "Wicker Park, Chicago, IL"),
        ("Wicker Park, IL", "Wicker Park, Chicago, IL"),
        ("Williamsburg, Brooklyn", "Williamsburg, Brooklyn, NY"),
        ("williamsburg brooklyn ny", "Williamsburg, Brooklyn, NY"),
        ("Williamsburg, NYC", "Williamsburg, Brooklyn, NY"),
        ("Upper West Side", "Upper West Side, Manhattan, NY"),
        ("SoHo, NYC", "SoHo, Manhattan, NY"),
        ("downtown Chicago", "Downtown Chicago, IL"),
        ("Chicago downtown", "Downtown Chicago, IL"),
        ("Downtown Los Angeles", "Downtown Los Angeles, CA"),
        ("downtown LA", "Downtown Los Angeles, CA"),
        ("Capitol Hill, Seattle", "Capitol Hill, Seattle, WA"),
        ("Mission District, San Francisco", "Mission District, San Francisco, CA"),
        ("South Beach, Miami", "South Beach, Miami, FL"),
        ("Astoria, Queens", "Astoria, Queens, NY"),
    ],
)
def test_neighbourhoods_of_large_cities(text: str, label: str) -> None:
    place = resolve(text)
    assert (place.kind, place.label) == ("neighbourhood", label)
    city = resolve(f"{place.city}, {place.state}")
    assert distance_miles(place.lat, place.lon, city.lat, city.lon) < 15
    assert resolve(place.label) == place


def test_a_neighbourhood_never_moves_to_another_state() -> None:
    assert resolve("Williamsburg, Brooklyn").state == "NY"
    assert resolve("Williamsburg, VA").state == "VA"
    # Capitol Hill is in three of the largest cities: each city keeps its own.
    assert resolve("Capitol Hill, Denver").state == "CO"
    assert resolve("Capitol Hill, DC").state == "DC"


def test_downtown_of_a_city_without_neighbourhood_data_is_its_centre() -> None:
    assert resolve("downtown Hoboken, NJ") == resolve("Hoboken, NJ")


def test_a_usps_town_stays_the_town() -> None:
    # Astoria is a Queens neighbourhood and also the name of its post office.
    place = resolve("Astoria")
    assert (place.kind, place.label) == ("city", "Astoria, NY")


def test_neighbourhood_data_is_in_its_city() -> None:
    data = json.loads(resources.files("directory").joinpath("data/neighbourhoods.json").read_text())
    assert "CC BY 4.0" in data["about"]
    cities = {(entry["city"], entry["state"]) for entry in data["cities"]}
    assert len(cities) >= 50
    for entry in data["cities"]:
        centre = resolve(f"{entry['city']}, {entry['state']}")
        items = [*entry["neighbourhoods"], *([entry["downtown"]] if "downtown" in entry else [])]
        for item in items:
            for code in item["zips"]:
                lat, lon, _city, state = zip_location(code)
                assert state == entry["state"], (entry["city"], item, code)
                assert distance_miles(lat, lon, centre.lat, centre.lon) < 25, (item, code)


def test_population_data_says_where_it_comes_from() -> None:
    text = resources.files("directory").joinpath("data/populations.txt").read_text()
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("GeoNames" in line for line in header)
    assert any("CC BY 4.0" in line for line in header)


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("Hobokn", "Hoboken, NJ"),
        ("Sacremento", "Sacramento, CA"),
        ("Hoboken, New Jersy", "Hoboken, NJ"),
        ("hoboken new jersy", "Hoboken, NJ"),
        ("New Jersy", "New Jersey"),
        ("Philadelpia, Pensylvania", "Philadelphia, PA"),
    ],
)
def test_typo_suggestions(text: str, suggestion: str) -> None:
    assert suggestion in raises_place_error(text, correct=False).suggestions


def test_city_in_wrong_state() -> None:
    error = raises_place_error("Hoboken, NY")
    assert "Hoboken" in error.message and "New York" in error.message
    # Nearest same-name city first.
    assert error.suggestions[0] == "Hoboken, NJ"


@pytest.mark.parametrize("text", ["Hobokn", "Hoboken, NY", "Sacremento", "7030"])
def test_suggestions_resolve(text: str) -> None:
    suggestions = raises_place_error(text, correct=False).suggestions
    assert 0 < len(suggestions) <= geo.MAX_SUGGESTIONS
    for label in suggestions:
        assert resolve(label).label == label


@pytest.mark.parametrize(
    "text",
    [
        "\x00",
        "a\x00b",
        "😀",
        "x" * 5000,
        "a:b",
        "*",
        "-",
        "07030-",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "%s%s%n",
        "../../etc/passwd",
        "\u202enj",
        "\ud800",
        "\ufeffHoboken",
        "NJ" * 60,
        "1" * 50,
        "ÅÄÖ, ÆØ",
        "中国",
        "a b c d e f g h i j k",
        "NJ, NJ, NJ, NJ",
    ],
)
def test_hostile_input_only_raises_place_error(text: str) -> None:
    try:
        resolve(text)
    except PlaceError as error:
        assert isinstance(error.message, str) and error.message
        assert len(error.message) < 200
        assert all(isinstance(s, str) for s in error.suggestions)
        assert len(error.suggestions) <= geo.MAX_SUGGESTIONS
    else:
        pytest.fail(f"{text!r} resolved")


def test_symbols_around_a_name_are_ignored_like_punctuation() -> None:
    assert resolve("Hoboken 😀😀").label == "Hoboken, NJ"


def test_place_error_is_value_error() -> None:
    error = PlaceError("msg", [f"s{i}" for i in range(9)])
    assert isinstance(error, ValueError)
    assert str(error) == error.message == "msg"
    assert len(error.suggestions) == geo.MAX_SUGGESTIONS
    assert PlaceError("m").suggestions == []


def test_place_is_frozen() -> None:
    place = resolve("Hoboken, NJ")
    assert isinstance(place, Place)
    with pytest.raises(dataclasses.FrozenInstanceError):
        place.lat = 0.0  # type: ignore[misc]


# --- normalize_state ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("nj", "NJ"),
        ("NJ", "NJ"),
        ("N.J.", "NJ"),
        (" n.j ", "NJ"),
        ("New Jersey", "NJ"),
        ("new jersey", "NJ"),
        ("NEW JERSEY", "NJ"),
        ("north carolina", "NC"),
        ("District of Columbia", "DC"),
        ("D.C.", "DC"),
        ("Mass.", "MA"),
        ("guam", None),  # no license rules there: not a place the directory lists
        ("", None),
        ("XX", None),
        ("Jersey", None),
        ("New", None),
        ("Hoboken", None),
        ("n" * 500, None),
    ],
)
def test_normalize_state(text: str, code: str | None) -> None:
    assert normalize_state(text) == code


def test_state_names_table() -> None:
    required = {"NJ", "NY", "CA", "TX", "DC", "PR", "AK", "HI", "WY"}
    assert required <= STATE_CODES
    assert len(STATE_CODES) >= 52
    assert geo.STATE_NAMES["NJ"] == "New Jersey"
    for code, name in geo.STATE_NAMES.items():
        assert len(code) == 2 and code.isupper()
        assert normalize_state(code) == code
        assert normalize_state(code.lower()) == code
        assert normalize_state(name) == code
        assert normalize_state(name.upper()) == code


# --- zip_location ---------------------------------------------------------------------------


@pytest.mark.parametrize("state", [None, "NJ", "nj", "New Jersey"])
def test_zip_location(state: str | None) -> None:
    assert zip_location("07030", state) == (40.7445, -74.0329, "Hoboken", "NJ")


def test_zip_location_accepts_zip_plus_four() -> None:
    assert zip_location(" 07030-1234 ")[2:] == ("Hoboken", "NJ")


def test_zip_location_rejects_other_state() -> None:
    with pytest.raises(PlaceError) as info:
        zip_location("07030", "NY")
    assert str(info.value) == "ZIP 07030 is in NJ, not NY."


def test_zip_location_rejects_unknown_state() -> None:
    with pytest.raises(PlaceError):
        zip_location("07030", "Narnia")


@pytest.mark.parametrize(
    "bad", ["7030", "abcde", "070301", "", "0703O", "07030-12", "\x00", "00000"]
)
def test_zip_location_rejects_bad_zips(bad: str) -> None:
    with pytest.raises(PlaceError):
        zip_location(bad)


# --- distance_miles -------------------------------------------------------------------------


def test_distance_hoboken_to_manhattan() -> None:
    hoboken = zip_location("07030")
    chelsea = zip_location("10001")
    # The two ZIP centroids are 1.9 miles apart across the Hudson.
    assert 1.5 <= distance_miles(hoboken[0], hoboken[1], chelsea[0], chelsea[1]) <= 4
    # And Hoboken to the Manhattan (New York, NY) centroid is a few miles.
    manhattan = resolve("Manhattan")
    assert 2 <= distance_miles(*HOBOKEN, manhattan.lat, manhattan.lon) <= 4


def test_distance_nyc_to_la() -> None:
    miles = distance_miles(40.7128, -74.0060, 34.0522, -118.2437)
    assert miles == pytest.approx(2445, rel=0.01)


def test_distance_properties() -> None:
    assert distance_miles(*HOBOKEN, *HOBOKEN) == 0
    a, b = (40.0, -74.0), (34.0, -118.0)
    assert distance_miles(*a, *b) == pytest.approx(distance_miles(*b, *a))
    # Antipodes: half the Earth's circumference, no math domain error.
    assert distance_miles(0, 0, 0, 180) == pytest.approx(math.pi * geo.EARTH_RADIUS_MILES)


# --- module hygiene ---------------------------------------------------------------


def test_geo_imports_only_stdlib_and_zipcodes() -> None:
    tree = ast.parse(GEO_PATH.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "geo.py must not import from its own package"
            imported.add((node.module or "").split(".")[0])
    allowed = {"__future__", "difflib", "functools", "math", "re", "unicodedata", "collections"}
    allowed |= {"dataclasses", "typing", "zipcodes", "json", "importlib", "rapidfuzz"}
    # The tables' file: see use_cache.
    allowed |= {"fcntl", "hashlib", "os", "pathlib", "shutil", "sqlite3", "tempfile", "threading"}
    assert imported <= allowed


def test_index_is_not_built_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh copy of the module, loaded from its file, has an empty cache until first use.
    spec = importlib.util.spec_from_file_location("geo_fresh_copy", GEO_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up in sys.modules while the class bodies run.
    monkeypatch.setitem(sys.modules, "geo_fresh_copy", module)
    spec.loader.exec_module(module)
    assert module._loaded is None


# --- the tables' file ---------------------------------------------------------------

_HOBOKEN_ONLY = geo._Index(
    zips={"07030": geo._Zip("07030", "Hoboken", "NJ", *HOBOKEN)}, cities={}, compact={},
    by_name={}, alias_by_name={}, state_keys={}, keys_by_letter={}, states={}, hoods={},
    populous_keys={},
)  # fmt: skip


@pytest.fixture
def new_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Tables kept in tmp_path, built as _HOBOKEN_ONLY (counted); calling it forgets the
    opened tables, as a new process starts without them."""
    builds = []
    monkeypatch.setattr(geo, "_build", lambda: builds.append(1) or _HOBOKEN_ONLY)
    monkeypatch.setattr(geo, "_cache_folder", tmp_path)

    def start() -> list:
        monkeypatch.setattr(geo, "_loaded", None)
        return builds

    return start


def test_tables_are_built_once_and_opened_by_every_later_process(new_process, tmp_path) -> None:
    new_process()
    assert zip_location("07030") == (*HOBOKEN, "Hoboken", "NJ")
    builds = new_process()
    assert zip_location("07030") == (*HOBOKEN, "Hoboken", "NJ")
    with pytest.raises(PlaceError):
        zip_location("10001")  # only what the file holds: nothing was built again
    assert len(builds) == 1
    assert len(list(tmp_path.glob("places-*.sqlite3"))) == 1


def test_new_sources_build_new_tables_and_drop_the_old(
    new_process, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_process()
    zip_location("07030")
    (old,) = tmp_path.glob("places-*.sqlite3")
    monkeypatch.setattr(geo, "_digest", lambda: "changed")  # this module or its data edited
    builds = new_process()
    zip_location("07030")
    assert len(builds) == 2
    assert [p.name for p in tmp_path.glob("places-*.sqlite3")] == ["places-changed.sqlite3"]
    assert not old.exists()


def test_a_folder_that_cannot_be_written_to_still_resolves(
    new_process, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setattr(geo, "_cache_folder", tmp_path / "a-file" / "cache")
    new_process()
    assert zip_location("07030") == (*HOBOKEN, "Hoboken", "NJ")  # built for this process


def test_the_tables_version_follows_their_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    before = geo._digest()
    monkeypatch.setattr(geo, "_FILE_FORMAT", geo._FILE_FORMAT + 1)
    assert geo._digest() != before


def test_places_and_license_rules_know_the_same_states() -> None:
    from directory import licensing

    assert {code: rule.name for code, rule in licensing.states().items()} == geo.STATE_NAMES
