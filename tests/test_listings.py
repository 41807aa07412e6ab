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


ALEX = dict(last="RIVERA", first="ALEX", middle="M", credential="LMT")
SAMPLE = [
    nppes_row("1234567893", **ALEX),
    # A second taxonomy slot holds massage: kept, with that slot's license.
    nppes_row("1234567901", last="OKAFOR", first="DANA", credential="LMT, CMT", city="HOUSTON",
              postal="77002", phone="7135550111",
              slots=(("363LF0000X", "RN123", "TX", "Y"), ("225700000X", "MT0099999", "TX", "N"))),
    # A nurse: not kept.
    nppes_row("1234567919", last="SMITH", first="PAT", slots=(("163W00000X", "RN9", "TX", "Y"),)),
    # A massage organization: a practice.
    nppes_row("1234567927", entity="2", org="HANDS ON HEALING, LLC", slots=(("225700000X", "", "", "Y"),)),
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
    assert (lic.state, lic.number, lic.status, lic.expires_on) == ("TX", "MT0012345", "pending", None)
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


def test_a_malformed_row_stops_the_seed_naming_its_line(app, runner, tmp_path):
    rows = [nppes_row("1234567893", **ALEX), nppes_row("12345", last="BAD", first="X")]
    result = seed(runner, write_nppes(tmp_path / "bad.csv", rows))
    assert result.exit_code == 1
    assert "line 3" in result.output and "not 10 digits" in result.output


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
