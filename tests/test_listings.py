"""`listings seed`: the NPPES file (in its published format) and a roster with business
addresses seeded into unclaimed listings; idempotence, one listing per person across sources,
claimed profiles untouched, the removal registry; and what the public sees of a listing."""

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from directory import licensing
from directory.audit import AuditEvent
from directory.db import db
from directory.listings import records
from directory.listings.models import ListingRemoval, ListingSource
from directory.practices.models import Tenant
from directory.practitioners.models import License, Practitioner
from directory.search.outbox import SearchOutbox

ROSTERS = Path(__file__).parent / "data" / "rosters"
TODAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(licensing, "today", lambda: TODAY)


def nppes_row(npi, *, entity="1", last="", first="", middle="", credential="", org="",
              street="100 CONGRESS AVE", street2="", city="AUSTIN", state="TX",
              postal="787011234", phone="5125550100", sex="", deactivated="",
              reactivated="", slots=(("225700000X", "MT0012345", "TX", "Y"),)) -> dict:  # fmt: skip
    row = {
        records.NPI: npi, records.ENTITY: entity, records.LAST: last, records.FIRST: first,
        records.MIDDLE: middle, records.CREDENTIAL: credential, records.ORGANIZATION: org,
        records.STREET: street, records.STREET_2: street2, records.CITY: city,
        records.STATE: state, records.POSTAL: postal, records.PHONE: phone,
        records.DEACTIVATED: deactivated, records.REACTIVATED: reactivated,
        "Provider Sex Code": sex,
    }  # fmt: skip
    for n, (taxonomy, number, lic_state, primary) in enumerate(slots, start=1):
        row[records.TAXONOMY.format(n)] = taxonomy
        row[records.LICENSE.format(n)] = number
        row[records.LICENSE_STATE.format(n)] = lic_state
        row[records.PRIMARY.format(n)] = primary
    return row


def write_nppes(path: Path, rows: list[dict]) -> Path:
    """A file in the published format: the full header, every value double-quoted."""
    header = records.full_header()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        out.writerow(header)
        for row in rows:
            out.writerow([row.get(column, "") for column in header])
    return path


ALEX = {"last": "RIVERA", "first": "ALEX", "middle": "M", "credential": "LMT"}
SAMPLE = [
    nppes_row("1234567893", **ALEX),
    # A second taxonomy slot holds massage: kept, with that slot's license.
    nppes_row("1234567901", last="OKAFOR", first="DANA", credential="LMT, CMT", city="HOUSTON",
              postal="77002", phone="7135550111",
              slots=(("363LF0000X", "RN123", "TX", "Y"), ("225700000X", "MT0099999", "TX", "N"))),
    # A nurse: not kept.
    nppes_row("1234567919", last="SMITH", first="PAT", slots=(("163W00000X", "RN9", "TX", "Y"),)),
    # A massage organization: a practice.
    nppes_row("1234567927", entity="2", org="HANDS ON HEALING, LLC",
              slots=(("225700000X", "", "", "Y"),)),
    # Deactivated: not listed.
    nppes_row("1234567935", last="GONE", first="LEE", deactivated="01/15/2026"),
    # Deactivated, then reactivated: listed.
    nppes_row("1234567943", last="BACK", first="SAM", deactivated="01/15/2025",
              reactivated="03/01/2025", slots=(("225700000X", "MT0055555", "TX", "Y"),)),
]  # fmt: skip


def seed(runner, path, source="nppes", *extra, file_date="2026-11-30"):
    args = ["listings", "seed", str(path), "--source", source]
    if file_date:
        args += ["--file-date", file_date]
    return runner.invoke(args=[*args, *extra])


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def listing(slug_or_name) -> Practitioner | None:
    db.session.expire_all()
    return db.session.scalar(select(Practitioner).where(Practitioner.name == slug_or_name))


def test_the_nppes_file_seeds_unclaimed_listings_of_public_record_facts(app, runner, tmp_path):
    result = seed(runner, write_nppes(tmp_path / "npidata_pfile.csv", SAMPLE))
    assert result.exit_code == 0, result.output
    assert "rows 6, kept 5, created 3" in result.output
    assert "practices created 1" in result.output
    alex = listing("Alex M Rivera")
    assert alex is not None and not alex.claimed and alex.published
    assert alex.tenant.slug == "public-records" and not alex.tenant.claimed
    assert alex.credentials == "LMT"
    assert alex.setting is None  # not stated: nothing invented
    assert alex.accepting_new_clients is False
    assert alex.headline == alex.bio == "" and alex.conditions == [] and alex.modalities == []
    assert alex.phone == "(512) 555-0100"
    [office] = alex.offices
    assert (office.street, office.city, office.state, office.zip) == (
        "100 Congress Ave", "Austin", "TX", "78701")  # fmt: skip
    [lic] = alex.licenses
    assert (lic.state, lic.number, lic.status) == ("TX", "MT0012345", "pending")
    assert lic.expires_on is None
    dana = listing("Dana Okafor")
    assert [(lic.state, lic.number) for lic in dana.licenses] == [("TX", "MT0099999")]
    assert listing("Pat Smith") is None and listing("Lee Gone") is None
    assert listing("Sam Back") is not None
    practice = db.session.scalar(select(Tenant).where(Tenant.name == "Hands On Healing, Llc"))
    assert practice is not None and not practice.claimed and practice.memberships == []
    assert count(ListingSource, ListingSource.source == "nppes") == 4


def test_seeding_the_same_file_twice_changes_nothing(app, runner, tmp_path):
    path = write_nppes(tmp_path / "npidata_pfile.csv", SAMPLE)
    assert seed(runner, path).exit_code == 0
    before = (count(Practitioner), count(License), count(ListingSource), count(SearchOutbox),
              count(AuditEvent))  # fmt: skip
    again = seed(runner, path)
    assert again.exit_code == 0, again.output
    assert "created 0, updated 0, unchanged 4, hidden 0" in again.output
    after = (count(Practitioner), count(License), count(ListingSource), count(SearchOutbox),
             count(AuditEvent))  # fmt: skip
    assert after == before


def test_the_sex_code_never_feeds_the_gender_field(app, runner, tmp_path):
    rows = [nppes_row("1234567893", sex="F", **ALEX)]
    assert seed(runner, write_nppes(tmp_path / "f.csv", rows)).exit_code == 0
    assert listing("Alex M Rivera").gender == ""


def test_a_header_without_the_nppes_columns_changes_nothing(app, runner, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text('"NPI","Name"\n"1234567893","X"\n')
    result = seed(runner, path)
    assert result.exit_code == 1
    assert "line 1" in result.output and "Entity Type Code" in result.output
    assert count(Practitioner) == 0


def test_a_malformed_row_changes_nothing_and_every_bad_row_is_named(app, runner, tmp_path,
                                                                    monkeypatch):  # fmt: skip
    from directory.listings import seed as seeding

    assert seed(runner, write_nppes(tmp_path / "nov.csv", SAMPLE)).exit_code == 0
    before = (count(Practitioner), count(Tenant), count(ListingSource), count(AuditEvent))
    # Two people a chunk: without the check, the chunks before the first bad row would apply.
    monkeypatch.setattr(seeding, "CHUNK", 2)
    people = [nppes_row(f"19999999{n:02d}", last="NEW", first=f"P{n}",
                        slots=(("225700000X", f"MT00777{n:02d}", "TX", "Y"),))
              for n in range(6)]  # fmt: skip
    rows = [
        nppes_row("1234567893", street="9 MOVED ST", **ALEX),
        *people[:4],
        nppes_row("12345", last="BAD", first="X"),  # line 7
        *people[4:],
        nppes_row("1234567950", entity="3", last="ODD", first="Y"),  # line 10
        nppes_row("1234567968", last="LATE", first="Z", deactivated="someday"),  # line 11
    ]
    result = seed(runner, write_nppes(tmp_path / "dec.csv", rows), file_date="2026-12-05")
    assert result.exit_code == 1
    assert "Nothing changed" in result.output and "3 row(s) that cannot be read" in result.output
    assert "line 7: the NPI '12345' is not 10 digits" in result.output
    assert "line 10: the entity type '3' is neither 1 nor 2" in result.output
    assert "line 11: the deactivation date 'someday' is not a date" in result.output
    assert (count(Practitioner), count(Tenant), count(ListingSource),
            count(AuditEvent)) == before  # fmt: skip
    assert listing("Alex M Rivera").offices[0].street == "100 Congress Ave"
    # Fixed, the file goes in whole.
    fixed = [row for n, row in enumerate(rows) if n not in (5, 8, 9)]
    result = seed(runner, write_nppes(tmp_path / "dec.csv", fixed), file_date="2026-12-05")
    assert result.exit_code == 0, result.output
    assert "created 6" in result.output
    assert listing("Alex M Rivera").offices[0].street == "9 Moved St"


def test_a_seed_names_at_most_twenty_bad_rows_and_counts_the_rest(app, runner, tmp_path):
    rows = [nppes_row(f"{n:05d}", last="BAD", first="X") for n in range(25)]
    result = seed(runner, write_nppes(tmp_path / "bad.csv", rows))
    assert result.exit_code == 1
    assert "25 row(s) that cannot be read" in result.output
    assert "line 21: " in result.output and "line 22: " not in result.output
    assert "... and 5 more bad rows" in result.output
    assert count(Practitioner) == 0


def test_a_bad_roster_row_changes_nothing(app, runner, tmp_path):
    text = (ROSTERS / "tx-tdlr.csv").read_text()
    lines = text.splitlines(keepends=True)
    # Line 5 (Sam Patel, a massage therapist) loses its expiry date: Texas's date is its status.
    lines[4] = lines[4].replace("08312027", "")
    path = tmp_path / "tx.csv"
    path.write_text("".join(lines))
    result = seed(runner, path, "tx-tdlr", file_date="2026-12-01")
    assert result.exit_code == 1
    assert "line 5: no expiry date" in result.output
    assert count(Practitioner) == 0 and listing("Alex M Rivera") is None


def test_an_unknown_source_is_refused(app, runner, tmp_path):
    result = seed(runner, write_nppes(tmp_path / "f.csv", SAMPLE), "wa-doh")
    assert result.exit_code == 2
    assert "name no business address" in result.output


def test_a_claimed_profile_is_never_touched_by_a_reseed(app, runner, tmp_path):
    path = write_nppes(tmp_path / "f.csv", SAMPLE)
    assert seed(runner, path).exit_code == 0
    alex = listing("Alex M Rivera")
    alex.claimed = True
    alex.name, alex.phone, alex.setting = "Alex Rivera", "", "medical"
    alex.offices.clear()
    db.session.commit()
    changed = [nppes_row("1234567893", street="9 OTHER ST", phone="5125550999", **ALEX)]
    result = seed(runner, write_nppes(tmp_path / "g.csv", changed), file_date="2026-12-01")
    assert result.exit_code == 0, result.output
    assert "claimed 1" in result.output
    alex = listing("Alex Rivera")
    assert (alex.phone, alex.setting, alex.offices) == ("", "medical", [])
    # Nor hidden by a full file that no longer lists them.
    assert alex.published


def test_an_increment_updates_the_rows_it_holds_and_hides_deactivations(app, runner, tmp_path):
    assert seed(runner, write_nppes(tmp_path / "full.csv", SAMPLE)).exit_code == 0
    increment = [
        nppes_row("1234567893", street="200 CONGRESS AVE", **ALEX),
        # The full file blanks a deactivated row's other columns, taxonomy included.
        nppes_row("1234567901", deactivated="12/01/2026", slots=()),
    ]
    result = seed(runner, write_nppes(tmp_path / "weekly.csv", increment), "nppes",
                  "--increment", file_date="2026-12-05")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "updated 1" in result.output and "hidden 1" in result.output
    assert listing("Alex M Rivera").offices[0].street == "200 Congress Ave"
    assert not listing("Dana Okafor").published
    # An increment says nothing of the rows it lacks.
    assert listing("Sam Back").published


def test_a_full_file_hides_the_listings_it_no_longer_holds(app, runner, tmp_path):
    assert seed(runner, write_nppes(tmp_path / "nov.csv", SAMPLE)).exit_code == 0
    result = seed(runner, write_nppes(tmp_path / "dec.csv", SAMPLE[:1]), file_date="2026-12-05")
    assert result.exit_code == 0, result.output
    assert listing("Alex M Rivera").published
    assert not listing("Sam Back").published and not listing("Dana Okafor").published


def test_the_removal_registry_is_honoured(app, runner, tmp_path):
    db.session.add(ListingRemoval(npi="1234567893", reason="asked by phone"))
    db.session.add(ListingRemoval(state="TX", number_key="MT99999", reason="by letter"))
    db.session.commit()
    result = seed(runner, write_nppes(tmp_path / "f.csv", SAMPLE))
    assert result.exit_code == 0, result.output
    assert "removed 2" in result.output
    assert listing("Alex M Rivera") is None and listing("Dana Okafor") is None
    assert listing("Sam Back") is not None


def test_one_person_in_nppes_and_a_roster_is_one_listing(app, runner, tmp_path):
    # Alex Rivera (TX MT0012345) is in the TDLR sample too, with a business address.
    nppes = write_nppes(tmp_path / "f.csv", SAMPLE[:1])
    assert seed(runner, nppes).exit_code == 0
    result = seed(runner, ROSTERS / "tx-tdlr.csv", "tx-tdlr", file_date="2026-12-01")
    assert result.exit_code == 0, result.output
    alexes = db.session.scalars(select(Practitioner).where(Practitioner.name.like("Alex%"))).all()
    assert len(alexes) == 1
    [lic] = alexes[0].licenses
    # The roster's license arrives with the roster's verification record.
    assert lic.status == "verified"
    assert lic.verification["source"] == "tx-tdlr"
    assert lic.verification["checked_on"] == "2026-12-01"
    assert lic.expires_on == date(2027, 11, 30)
    sources = {s.source for s in db.session.scalars(select(ListingSource))}
    assert sources == {"nppes", "tx-tdlr"}
    # The other way round: NPPES after the roster joins the roster's listing.
    again = seed(runner, nppes, file_date="2026-12-02")
    assert again.exit_code == 0
    assert count(Practitioner, Practitioner.name.like("Alex%")) == 1


def test_a_roster_seeds_listings_with_their_business_address(app, runner):
    result = seed(runner, ROSTERS / "tx-tdlr.csv", "tx-tdlr", file_date="2026-12-01")
    assert result.exit_code == 0, result.output
    alex = listing("Alex M Rivera")
    assert alex is not None and not alex.claimed
    assert alex.offices[0].city == "Austin" and alex.offices[0].street.startswith("100 Congress")
    # An expired roster entry lists nobody.
    assert listing("Morgan Nguyen") is None
    again = seed(runner, ROSTERS / "tx-tdlr.csv", "tx-tdlr", file_date="2026-12-01")
    assert "created 0, updated 0" in again.output


def test_a_license_held_under_another_name_is_a_conflict(app, runner, tmp_path, make_practitioner):
    other = make_practitioner("jo-bloggs", name="Jo Bloggs", licenses=[("TX", "verified", None)])
    other.licenses[0].number = "MT0012345"
    db.session.commit()
    result = seed(runner, write_nppes(tmp_path / "f.csv", SAMPLE[:1]))
    assert "conflicts 1" in result.output
    assert listing("Alex M Rivera") is None


def test_a_claimed_profile_with_the_license_is_not_listed_twice(app, runner, tmp_path,
                                                                make_practitioner):  # fmt: skip
    mine = make_practitioner("alex-rivera", name="Alex Rivera", licenses=[("TX", "verified", None)])
    mine.licenses[0].number = "MT-0012345"
    db.session.commit()
    result = seed(runner, write_nppes(tmp_path / "f.csv", SAMPLE[:1]))
    assert "claimed 1" in result.output
    assert count(Practitioner) == 1


# --- What the public sees of a listing --------------------------------------------------------


@pytest.fixture
def seeded(app, runner, tmp_path):
    """Alex Rivera seeded from NPPES (Austin, TX), beside a claimed profile in Austin."""
    from tests.conftest import add_practitioner

    result = seed(runner, write_nppes(tmp_path / "npidata_pfile.csv", SAMPLE[:1]))
    assert result.exit_code == 0, result.output
    claimed = add_practitioner("kim-lee", name="Kim Lee", setting="spa", offices=["78701"],
                               licenses=[("TX", "pending", None)])  # fmt: skip
    claimed.licenses[0].number = "MT0077777"
    db.session.commit()
    return listing("Alex M Rivera"), claimed


def test_the_listing_page_says_where_it_comes_from_and_offers_a_claim(client, seeded):
    alex, _ = seeded
    page = client.get(f"/p/{alex.slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Not yet claimed: from the NPPES file of November 2026." in html
    assert f'href="/p/{alex.slug}/claim"' in html and "Is this you? Claim this listing" in html
    assert "Remove this listing" in html
    assert "100 Congress Ave" in html and "(512) 555-0100" in html and "MT0012345" in html
    # No message form, and nothing the record does not say.
    assert "<form" not in html.split("<main", 1)[-1]
    for invented in ("Conditions treated", "Accepting new clients", "Not accepting",
                     "Spa", "Medical"):  # fmt: skip
        assert invented not in html.split("<main", 1)[-1]


def test_the_claim_page_explains_claiming_and_removal(client, seeded):
    alex, claimed = seeded
    page = client.get(f"/p/{alex.slug}/claim")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Claiming your listing" in html and 'id="remove"' in html
    assert "<form" not in html.split("<main", 1)[-1]
    assert client.get(f"/p/{claimed.slug}/claim").status_code == 404


def test_a_listing_takes_no_messages(client, seeded):
    alex, _ = seeded
    sent = client.post(f"/p/{alex.slug}/inquiry", data={"name": "A", "email": "a@example.com",
                                                         "message": "Hello there"})  # fmt: skip
    assert sent.status_code == 404


def test_the_profile_json_says_claimed_and_sources(client, seeded):
    alex, claimed = seeded
    body = client.get(f"/api/v1/practitioners/{alex.slug}").get_json()
    assert body["claimed"] is False
    assert body["sources"] == [{"source": "nppes", "source_name": "NPPES",
                                "file_date": "2026-11-30"}]  # fmt: skip
    assert body["setting"] is None and body["accepting_new_clients"] is None
    assert body["headline"] is None and body["name"] == "Alex M Rivera"
    assert body["licenses"][0]["expires"] is None
    mine = client.get(f"/api/v1/practitioners/{claimed.slug}").get_json()
    assert mine["claimed"] is True and mine["sources"] == []


def test_search_lists_listings_by_place_below_claimed_profiles(client, seeded):
    alex, claimed = seeded
    body = client.get("/api/v1/search?near=Austin,+TX").get_json()
    slugs = [r["slug"] for r in body["results"]]
    assert slugs == [claimed.slug, alex.slug]
    assert [r["claimed"] for r in body["results"]] == [True, False]
    # A listing's card states nothing of how its therapist works.
    assert body["results"][1]["in_home"] is None and body["results"][1]["hsa_fsa"] is None
    assert body["facets"]["unclaimed"] == 1
    # Their setting is unknown: no setting filter lists them, and the facet leaves them out.
    assert body["facets"]["setting"] == {"spa": 1}
    spa = client.get("/api/v1/search?near=Austin,+TX&setting=spa").get_json()
    assert [r["slug"] for r in spa["results"]] == [claimed.slug]
    hidden = client.get("/api/v1/search?near=Austin,+TX&include_unclaimed=0").get_json()
    assert [r["slug"] for r in hidden["results"]] == [claimed.slug]
    # A blank is the default, as on the page (whose form redirects a blank away): shown.
    blank = client.get("/api/v1/search?near=Austin,+TX&include_unclaimed=").get_json()
    assert [r["slug"] for r in blank["results"]] == [claimed.slug, alex.slug]
    # They name no conditions until claimed: a need lists nobody of them.
    need = client.get("/api/v1/search?near=Austin,+TX&q=sciatica").get_json()
    assert alex.slug not in [r["slug"] for r in need["results"]]


def test_facet_counting_skips_listings_and_counts_them_the_same(client, seeded):
    """Facets pass over documents that add to no facet (a listing states no setting, tag,
    language, gender, fact or price), never over a claimed profile: the facets with listings
    are those without, besides the listings' own counts."""
    from directory.search import sync

    alex, claimed = seeded
    body = client.get("/api/v1/search?near=Austin,+TX").get_json()
    store = sync.store()
    with store.searcher() as searcher:
        segments = [segment for _key, segment, _reader in store.columns.segments(searcher)]
    faceted = {
        int(pid): bool(flag)
        for s in segments
        for pid, flag, written in zip(s.pid, s.faceted, s.written, strict=True)
        if written
    }
    assert faceted[alex.id] is False and faceted[claimed.id] is True
    hidden = client.get("/api/v1/search?near=Austin,+TX&include_unclaimed=0").get_json()
    apart = ("unclaimed", "verified")
    assert {k: v for k, v in body["facets"].items() if k not in apart} == {
        k: v for k, v in hidden["facets"].items() if k not in apart
    }
    assert body["facets"]["verified"]["false"] == hidden["facets"]["verified"]["false"] + 1


def test_the_results_page_has_a_toggle_for_listings(client, seeded):
    alex, claimed = seeded
    page = client.get("/search?near=Austin,+TX").get_data(as_text=True)
    assert "Not yet claimed" in page and alex.slug in page
    assert "include_unclaimed=0" in page and "Hide listings not yet claimed</a> <span" in page
    # No listing among the results: nothing to hide, no toggle.
    spa = client.get("/search?near=Austin,+TX&setting=spa").get_data(as_text=True)
    assert f"/p/{claimed.slug}" in spa and "include_unclaimed=0" not in spa
    hidden = client.get("/search?near=Austin,+TX&include_unclaimed=0").get_data(as_text=True)
    assert f"/p/{alex.slug}" not in hidden and "✓ Hide listings not yet claimed" in hidden


def test_the_results_heading_counts_listings_apart_from_therapists(client, seeded):
    import re

    def heading(path):
        page = client.get(path).get_data(as_text=True)
        return " ".join(re.search(r'<p class="count">(.*?)</p>', page, re.S).group(1).split())

    assert heading("/search?near=Austin,+TX").startswith(
        "1 therapist and 1 listing not yet claimed"
    )
    hidden = heading("/search?near=Austin,+TX&include_unclaimed=0")
    assert hidden.startswith("1 therapist") and "not yet claimed" not in hidden
    # No listing among the results: no word about them.
    spa = heading("/search?near=Austin,+TX&setting=spa")
    assert spa.startswith("1 therapist") and "not yet claimed" not in spa
    # (Last: the Spanish page keeps the reader in Spanish.)
    assert heading("/es/search?near=Austin,+TX").startswith(
        "1 masajista y 1 ficha aún sin reclamar"
    )


def test_landing_pages_count_listings_apart(client, seeded):
    state = client.get("/massage/tx").get_data(as_text=True)
    assert "1 massage therapist with an office" in state
    assert "and 1 unclaimed listing from public records" in state
    city = client.get("/massage/tx/austin").get_data(as_text=True)
    assert "1 massage therapist within" in city
    assert "and 1 unclaimed listing from public records" in city


def test_the_hsds_export_leaves_listings_out_unless_asked(app, runner, seeded, tmp_path):
    import json

    _alex, _claimed = seeded
    plain = runner.invoke(args=["export", "hsds", str(tmp_path / "plain")])
    assert plain.exit_code == 0, plain.output
    names = [s["name"] for s in json.loads((tmp_path / "plain" / "services.json").read_text())]
    assert names == ["Spa massage with Kim Lee"]
    asked = runner.invoke(args=["export", "hsds", str(tmp_path / "all"), "--include-unclaimed"])
    assert asked.exit_code == 0, asked.output
    names = [s["name"] for s in json.loads((tmp_path / "all" / "services.json").read_text())]
    assert sorted(names) == ["Massage with Alex M Rivera, LMT", "Spa massage with Kim Lee"]


def test_the_hsds_api_and_practice_pages_leave_listings_out(client, seeded):
    alex, _ = seeded
    services = client.get("/hsds/services").get_json()
    assert [s["name"] for s in services["contents"]] == ["Spa massage with Kim Lee"]
    assert client.get(f"/t/{alex.tenant.slug}").status_code == 404
    practice = db.session.scalar(select(Tenant).where(Tenant.claimed.is_(False),
                                                     Tenant.slug != alex.tenant.slug))  # fmt: skip
    assert practice is None  # no NPPES organization in this sample


@pytest.mark.parametrize("role", ["owner", "manager", "therapist"])
def test_no_practice_member_can_edit_a_listing(app, client, auth, make_user, seeded, role):
    alex, claimed = seeded
    make_user(email=f"{role}@example.com", tenant=claimed.tenant, role=role)
    auth.login(f"{role}@example.com")
    assert client.get(f"/dashboard/profiles/{alex.slug}/edit").status_code == 404
    before = listing("Alex M Rivera").name
    client.post(f"/dashboard/profiles/{alex.slug}/edit", data={"name": "Taken Over"})
    assert listing(before) is not None


def test_the_listing_and_claim_pages_fit_a_phone(app, seeded, tmp_path, request):
    import shutil
    import threading

    from werkzeug.serving import make_server

    pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed")
    chromium = request.getfixturevalue("chromium")

    alex, _ = seeded
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        tab = chromium.new_page(viewport={"width": 390, "height": 844})
        for name, path in (("listing", f"/p/{alex.slug}"),
                           ("claim", f"/p/{alex.slug}/claim"),
                           ("results", "/search?near=Austin%2C+TX")):  # fmt: skip
            tab.goto(base + path)
            tab.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
            assert tab.evaluate("document.documentElement.scrollWidth") <= 390, path
    finally:
        server.shutdown()
