"""`licenses sync`: each board's roster file read as published, what a sync does to licenses
(verify, lapse, queue, unchanged), that it changes nothing twice or on a bad file, and the
evidence it leaves on profiles, in search and in the admin queue."""

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from directory import licensing
from directory.audit import AuditEvent
from directory.db import db
from directory.practitioners.models import License
from directory.rosters import files
from directory.rosters.models import LicenseReview, RosterSync
from directory.search.outbox import SearchOutbox
from tests.conftest import check_against_openapi

DATA = Path(__file__).parent / "data" / "rosters"
TODAY = date(2026, 12, 7)
FILE_DATE = "2026-12-01"
LATER = date(2028, 12, 31)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    # The sample files' dates are fixed; judge them on a fixed day.
    monkeypatch.setattr(licensing, "today", lambda: TODAY)


def sync(runner, name, source, *extra, file_date=FILE_DATE):
    args = ["licenses", "sync", str(DATA / name), "--source", source]
    if file_date:
        args += ["--file-date", file_date]
    return runner.invoke(args=[*args, *extra])


def licensed(make_practitioner, slug, name, state, number, status="verified", zip_code=None):
    p = make_practitioner(slug, name=name, offices=[zip_code] if zip_code else [],
                          licenses=[(state, status, LATER)])  # fmt: skip
    p.licenses[0].number = number
    if status == "verified":
        licensing.record_check(p.licenses[0], method="staff", on=date(2026, 1, 5))
    db.session.commit()
    return p.licenses[0]


def fresh(lic: License) -> License:
    db.session.expire_all()
    return db.session.get(License, lic.id)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def texas(make_practitioner):
    return {
        "current": licensed(make_practitioner, "alex-rivera", "Alex Rivera", "TX", "MT12345",
                            status="pending", zip_code="78701"),
        "lapsed": licensed(make_practitioner, "morgan-nguyen", "Morgan Nguyen", "TX",
                           "MT-0022222", zip_code="77002"),
        "other_name": licensed(make_practitioner, "jordan-lee", "Jordan Lee", "TX", "MT33333"),
        "missing": licensed(make_practitioner, "dana-cruz", "Dana Cruz", "TX", "MT55555"),
    }  # fmt: skip


# --- Reading each source's file as it is published -----------------------------------------


@pytest.mark.parametrize(
    ("source", "name", "expected"),
    [
        ("tx-tdlr", "tx-tdlr.csv", [
            ("MT12345", "active", date(2027, 11, 30), "ALEX M", "RIVERA"),
            ("MT22222", "expired", date(2025, 1, 31), "MORGAN", "NGUYEN"),
            ("MT33333", "active", date(2027, 8, 31), "SAM", "PATEL"),
            ("MT44444", "active", date(2028, 3, 31), "CASEY", "LEE"),
        ]),
        ("wa-doh", "wa-doh.csv", [
            ("MA60123456", "active", date(2028, 6, 1), "SIOBHAN", "O'BRIEN"),
            ("MA60999999", "revoked", date(2027, 1, 10), "TERRY", "WALSH"),
            ("MA60555555", "conditional", date(2028, 5, 5), "KIM", "PARK"),
        ]),
        ("fl-mqa", "fl-mqa.txt", [
            ("MA20209", "active", date(2027, 8, 31), "ALEXA", "MARIE"),
            ("MA11128", "conditional", date(2027, 8, 31), "ROSA", "DIAZ"),
        ]),
        ("mo-pr", "mo-pr.tsv", [
            ("2004012345", "active", date(2027, 1, 31), "LUIS", "GARCIA"),
            ("2010000001", "suspended", date(2027, 1, 31), "ERIN", "BROWN"),
        ]),
    ],
)  # fmt: skip
def test_each_source_reads_its_published_format(app, source, name, expected):
    spec = licensing.roster_sources()[source]
    with open(DATA / name, encoding="utf-8-sig", newline="") as handle:
        read = list(files.rows(spec, source, handle, date(2026, 12, 1)))
    assert [(r.key, r.status, r.expires_on, r.first_name, r.last_name) for r in read] == expected


def test_evidence_keeps_the_declared_columns_and_not_mailing_addresses(app):
    spec = licensing.roster_sources()["tx-tdlr"]
    with open(DATA / "tx-tdlr.csv", encoding="utf-8-sig", newline="") as handle:
        first = next(files.rows(spec, "tx-tdlr", handle, date(2026, 12, 1)))
    assert first.evidence["BUSINESS NAME"] == "HANDS ON HEALING, LLC"
    assert first.evidence["BUSINESS CITY, STATE ZIP"] == "AUSTIN, TX 78701"
    assert "MAILING ADDRESS LINE1" not in first.evidence and "OWNER TELEPHONE" not in first.evidence


def test_every_source_names_its_board_and_is_complete_where_the_issue_says(app):
    sources = licensing.roster_sources()
    assert {"tx-tdlr", "wa-doh", "fl-mqa", "mo-pr"} <= set(sources)
    assert sources["tx-tdlr"]["name"] == "Texas TDLR"
    assert [s for s, spec in sources.items() if spec.get("complete")] == ["tx-tdlr", "wa-doh"]
    for spec in sources.values():
        assert spec["board_url"].startswith("https://")
        assert set((spec.get("statuses") or {}).values()) <= set(licensing.ROSTER_STATUSES)


@pytest.mark.parametrize(
    ("a", "b"),
    [("MA 0011128", "ma-11128"), ("MT0012345", "MT12345"), ("028941", "28941"),
     ("18KT01515000", "18KT01515000"), ("MA.60123456", "MA60123456")],
)  # fmt: skip
def test_number_keys_ignore_separators_case_and_padding(a, b):
    assert licensing.number_key(a) == licensing.number_key(b)


@pytest.mark.parametrize("other", ["MA0011129", "MB0011128", "18KT01515001"])
def test_number_keys_keep_different_licenses_apart(other):
    assert licensing.number_key("MA0011128") != licensing.number_key(other)


@pytest.mark.parametrize(
    ("profile", "first", "last", "same"),
    [
        ("Alex Rivera", "ALEX M", "RIVERA", True),
        ("Siobhan O'Brien", "SIOBHAN", "O'BRIEN", True),
        ("María de la Cruz", "MARIA", "DE LA CRUZ", True),
        ("Dr. Jane Smith-Jones, LMT", "JANE", "SMITH-JONES", True),
        ("Jordan Lee", "SAM", "PATEL", False),
        ("Sam Lee", "SAM", "PATEL", False),
        ("Alex Rivera", "BLAKE", "RIVERA", False),  # same family, another person
        ("Jane Smith", "JANE", "SMITH-JONES", False),
        ("Rivera", "ALEX", "RIVERA", False),  # one word says too little
    ],
)  # fmt: skip
def test_names_match_on_last_name_and_first_initial(profile, first, last, same):
    row = files.RosterRow(1, "X1", "X1", "active", None, first, last, None, {})
    assert files.names_match(profile, row) is same


# --- What a sync does -------------------------------------------------------------------------


def test_a_texas_sync_verifies_lapses_and_queues_as_the_contract_says(runner, texas):
    result = sync(runner, "tx-tdlr.csv", "tx-tdlr")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "rows 4, verified 1, lapsed 1, queued 2, unchanged 0"

    current = fresh(texas["current"])
    assert current.status == "verified"
    assert current.expires_on == date(2027, 11, 30)  # the board's date, not the profile's
    assert current.verification == {
        "method": "roster", "source": "tx-tdlr", "source_name": "Texas TDLR",
        "checked_on": "2026-12-01", "roster_status": "active",
    }  # fmt: skip
    assert current.roster_row["OWNER NAME"] == "RIVERA, ALEX M"

    lapsed = fresh(texas["lapsed"])
    assert lapsed.status == "rejected" and lapsed.roster_status == "expired"
    assert "Texas TDLR roster of Dec 1, 2026 lists this license as expired" in lapsed.note

    other = fresh(texas["other_name"])
    assert other.status == "pending" and other.verification is None  # the badge waits
    missing = fresh(texas["missing"])
    assert missing.status == "pending"
    reviews = {r.license_id: r for r in db.session.scalars(select(LicenseReview))}
    assert reviews[other.id].reason == "name_mismatch"
    assert reviews[other.id].roster_row["OWNER NAME"] == "PATEL, SAM"  # both records
    assert reviews[missing.id].reason == "missing" and reviews[missing.id].roster_row is None

    run = db.session.scalar(select(RosterSync))
    assert (run.source, run.file_name, run.file_date) == ("tx-tdlr", "tx-tdlr.csv",
                                                           date(2026, 12, 1))  # fmt: skip
    assert run.summary() == result.stdout.strip()


def test_the_same_file_twice_changes_nothing(runner, texas):
    assert sync(runner, "tx-tdlr.csv", "tx-tdlr").exit_code == 0
    db.session.expire_all()
    before = {
        "licenses": [(lic.id, lic.status, lic.updated_at, lic.checked_on)
                     for lic in db.session.scalars(select(License).order_by(License.id))],
        "outbox": count(SearchOutbox), "audit": count(AuditEvent),
        "reviews": count(LicenseReview),
    }  # fmt: skip
    again = sync(runner, "tx-tdlr.csv", "tx-tdlr")
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == "rows 4, verified 0, lapsed 0, queued 0, unchanged 4"
    db.session.expire_all()
    after = {
        "licenses": [(lic.id, lic.status, lic.updated_at, lic.checked_on)
                     for lic in db.session.scalars(select(License).order_by(License.id))],
        "outbox": count(SearchOutbox), "audit": count(AuditEvent),
        "reviews": count(LicenseReview),
    }  # fmt: skip
    assert after == before
    assert count(RosterSync) == 2  # the history keeps each run


def test_a_newer_file_saying_the_same_moves_the_check_date_only(runner, texas):
    sync(runner, "tx-tdlr.csv", "tx-tdlr")
    outbox = count(SearchOutbox)
    later = sync(runner, "tx-tdlr.csv", "tx-tdlr", file_date="2026-12-05")
    assert later.stdout.strip() == "rows 4, verified 0, lapsed 0, queued 0, unchanged 4"
    assert fresh(texas["current"]).checked_on == date(2026, 12, 5)
    assert count(SearchOutbox) == outbox
    older = sync(runner, "tx-tdlr.csv", "tx-tdlr", file_date="2026-11-20")
    assert older.exit_code == 0
    assert fresh(texas["current"]).checked_on == date(2026, 12, 5)  # an older file changes nothing


def test_a_malformed_file_changes_nothing_and_names_the_row(runner, texas, tmp_path):
    broken = tmp_path / "tx-broken.csv"
    text = (DATA / "tx-tdlr.csv").read_text()
    broken.write_text(text.replace("03312028", "13452028"))
    result = runner.invoke(args=["licenses", "sync", str(broken), "--source", "tx-tdlr",
                                 "--file-date", FILE_DATE])  # fmt: skip
    assert result.exit_code == 1
    assert "Nothing changed" in result.output
    assert "line 6" in result.output and "'13452028'" in result.output
    assert fresh(texas["current"]).status == "pending"
    assert fresh(texas["lapsed"]).status == "verified"
    assert count(RosterSync) == 0 and count(LicenseReview) == 0


def test_a_row_with_a_missing_cell_is_malformed(runner, texas, tmp_path):
    broken = tmp_path / "short.csv"
    lines = (DATA / "tx-tdlr.csv").read_text().splitlines()
    broken.write_text("\n".join([*lines[:2], "Massage Therapist,MT0099999,TRAVIS", *lines[2:]]))
    result = runner.invoke(args=["licenses", "sync", str(broken), "--source", "tx-tdlr",
                                 "--file-date", FILE_DATE])  # fmt: skip
    assert result.exit_code == 1 and "line 3: fewer cells" in result.output
    assert fresh(texas["current"]).status == "pending"


def test_an_unmapped_status_word_stops_the_sync_naming_it(runner, make_practitioner, tmp_path):
    lic = licensed(make_practitioner, "luis-garcia", "Luis Garcia", "MO", "2004012345",
                   status="pending")  # fmt: skip
    odd = tmp_path / "mo.tsv"
    odd.write_text((DATA / "mo-pr.tsv").read_text().replace("\tSuspended\t", "\tCensured\t"))
    result = runner.invoke(args=["licenses", "sync", str(odd), "--source", "mo-pr",
                                 "--file-date", FILE_DATE])  # fmt: skip
    assert result.exit_code == 1
    assert "'Censured'" in result.output and "mo-pr" in result.output
    assert fresh(lic).status == "pending"  # the good row before it was not applied either


def test_a_file_of_another_format_is_refused_by_its_header(runner, texas):
    result = sync(runner, "wa-doh.csv", "tx-tdlr")
    assert result.exit_code == 1 and "LICENSE NUMBER" in result.output
    assert fresh(texas["current"]).status == "pending"


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--source", "xx-none"], 2, "not a roster source"),
        (["--source", "tx-tdlr", "--file-date", "2026-13-01"], 2, "file-date"),
        (["--source", "tx-tdlr", "--file-date", "2027-01-01"], 1, "in the future"),
    ],
)  # fmt: skip
def test_command_line_mistakes_exit_non_zero(runner, texas, args, code, said):
    result = runner.invoke(args=["licenses", "sync", str(DATA / "tx-tdlr.csv"), *args])
    assert result.exit_code == code and said in result.output
    assert count(RosterSync) == 0


def test_a_missing_file_exits_2(runner, app):
    result = runner.invoke(args=["licenses", "sync", "/nonexistent.csv", "--source", "tx-tdlr"])
    assert result.exit_code == 2


def test_the_file_date_defaults_to_the_files_day(runner, texas, tmp_path):
    import os

    copy = tmp_path / "tx.csv"
    shutil.copy(DATA / "tx-tdlr.csv", copy)
    stamp = 1764849600  # 2025-12-04 12:00 UTC
    os.utime(copy, (stamp, stamp))
    result = runner.invoke(args=["licenses", "sync", str(copy), "--source", "tx-tdlr"])
    assert result.exit_code == 0, result.output
    assert fresh(texas["current"]).checked_on == date(2025, 12, 4)


def test_a_sync_never_verifies_without_a_name_match(runner, make_practitioner):
    lic = licensed(make_practitioner, "sam-lee", "Sam Lee", "TX", "MT33333", status="pending")
    sync(runner, "tx-tdlr.csv", "tx-tdlr")
    assert fresh(lic).status == "pending" and fresh(lic).verification is None


def test_an_admins_refusal_is_not_overturned_by_a_file(runner, make_practitioner):
    lic = licensed(make_practitioner, "alex-rivera", "Alex Rivera", "TX", "MT12345",
                   status="rejected")  # fmt: skip
    result = sync(runner, "tx-tdlr.csv", "tx-tdlr")
    assert "queued 1" in result.stdout
    assert fresh(lic).status == "rejected"
    assert db.session.scalar(select(LicenseReview.reason)) == "staff_rejected"


def test_a_license_the_roster_lapsed_is_verified_again_when_it_says_active(
    runner, make_practitioner, tmp_path
):
    lic = licensed(make_practitioner, "alex-rivera", "Alex Rivera", "TX", "MT12345")
    lapsed = tmp_path / "tx.csv"
    lapsed.write_text((DATA / "tx-tdlr.csv").read_text().replace("11302027", "11302026"))
    runner.invoke(
        args=["licenses", "sync", str(lapsed), "--source", "tx-tdlr", "--file-date", FILE_DATE]
    )
    assert fresh(lic).status == "rejected"
    result = sync(runner, "tx-tdlr.csv", "tx-tdlr", file_date="2026-12-02")
    assert "verified 1" in result.stdout
    assert fresh(lic).status == "verified"


def test_a_washington_sync_revokes_queues_conditions_and_verifies(runner, make_practitioner):
    ok = licensed(make_practitioner, "siobhan-obrien", "Siobhan O'Brien", "WA", "MA60123456",
                  status="pending")  # fmt: skip
    revoked = licensed(make_practitioner, "terry-walsh", "Terry Walsh", "WA", "MA60999999")
    flagged = licensed(make_practitioner, "kim-park", "Kim Park", "WA", "MA60555555")
    result = sync(runner, "wa-doh.csv", "wa-doh")
    assert result.stdout.strip() == "rows 3, verified 1, lapsed 1, queued 1, unchanged 0"
    assert fresh(ok).status == "verified"
    assert fresh(ok).roster_row["BirthYear"] == "1984"
    assert (fresh(revoked).status, fresh(revoked).roster_status) == ("rejected", "revoked")
    assert fresh(flagged).status == "pending"
    review = db.session.scalar(select(LicenseReview))
    assert (review.license_id, review.reason) == (flagged.id, "conditional")
    assert review.roster_row["ActionTaken"] == "Y"


def test_florida_numbers_without_their_prefix_match(runner, make_practitioner):
    lic = licensed(make_practitioner, "alexa-marie", "Alexa Marie", "FL", "MA20209",
                   status="pending")  # fmt: skip
    cond = licensed(make_practitioner, "rosa-diaz", "Rosa Diaz", "FL", "MA11128")
    result = sync(runner, "fl-mqa.txt", "fl-mqa")
    assert result.stdout.strip() == "rows 2, verified 1, lapsed 0, queued 1, unchanged 0"
    assert fresh(lic).verification["source_name"] == "Florida MQA"
    assert fresh(cond).status == "pending"


def test_an_incomplete_roster_queues_nobody_it_does_not_list(runner, make_practitioner):
    absent = licensed(make_practitioner, "pat-jones", "Pat Jones", "MO", "2001999999")
    suspended = licensed(make_practitioner, "erin-brown", "Erin Brown", "MO", "2010000001")
    result = sync(runner, "mo-pr.tsv", "mo-pr")
    assert result.stdout.strip() == "rows 2, verified 0, lapsed 1, queued 0, unchanged 0"
    assert fresh(absent).status == "verified"
    assert fresh(suspended).status == "rejected"


def test_the_audit_log_names_the_sync_and_its_file(runner, texas):
    sync(runner, "tx-tdlr.csv", "tx-tdlr")
    events = {e.action: e for e in db.session.scalars(select(AuditEvent))}
    synced = events["roster.synced"]
    assert synced.details["file"] == "tx-tdlr.csv" and synced.details["source"] == "tx-tdlr"
    lapsed = events["license.lapsed"]
    assert lapsed.actor_label == "sync:tx-tdlr"
    assert lapsed.details["file"] == "tx-tdlr.csv" and lapsed.details["file_date"] == FILE_DATE
    assert lapsed.subject_id == "morgan-nguyen"


# --- What the public sees -----------------------------------------------------------------------


def test_a_revoked_license_loses_its_badge_and_its_listing_in_search(
    runner, client, make_practitioner
):
    lic = licensed(make_practitioner, "terry-walsh", "Terry Walsh", "WA", "MA60999999",
                   zip_code="98101")  # fmt: skip
    before = client.get("/api/v1/search", query_string={"near": "Seattle, WA"}).json
    assert [r["slug"] for r in before["results"]] == ["terry-walsh"]
    assert before["results"][0]["verified"] is True
    sync(runner, "wa-doh.csv", "wa-doh")
    after = client.get("/api/v1/search", query_string={"near": "Seattle, WA"}).json
    assert after["results"] == []
    assert db.session.scalar(
        select(func.count()).select_from(SearchOutbox)
        .where(SearchOutbox.practitioner_id == lic.practitioner_id)
    )  # fmt: skip
    assert client.get("/p/terry-walsh").status_code == 200  # the profile stays, unlisted there
    page = client.get("/p/terry-walsh").get_data(as_text=True)
    assert "Washington DOH roster of Dec 1, 2026 lists it as revoked" in page


def test_verification_is_in_search_results_and_profile_json(app, runner, client, make_practitioner):
    licensed(make_practitioner, "alex-rivera", "Alex Rivera", "TX", "MT12345",
             zip_code="78701")  # fmt: skip
    licensed(make_practitioner, "casey-lee", "Casey Lee", "NJ", "18KT01515000", zip_code="07030")
    sync(runner, "tx-tdlr.csv", "tx-tdlr")
    expected = {"method": "roster", "source": "tx-tdlr", "source_name": "Texas TDLR",
                "checked_on": "2026-12-01", "roster_status": "active"}  # fmt: skip
    response = client.get("/api/v1/search", query_string={"near": "Austin, TX"})
    check_against_openapi(app, response)
    assert response.json["results"][0]["licenses"][0]["verification"] == expected
    response = client.get("/api/v1/practitioners/alex-rivera")
    check_against_openapi(app, response)
    assert response.json["licenses"][0]["verification"] == expected
    staff = client.get("/api/v1/practitioners/casey-lee").json["licenses"][0]["verification"]
    assert staff["method"] == "staff" and staff["source"] is None
    assert staff["roster_status"] is None and staff["checked_on"] == "2026-01-05"


def test_a_license_nobody_checked_carries_null(client, make_practitioner):
    make_practitioner("new-one", offices=["07030"], licenses=[("NJ", "pending", LATER)])
    profile = client.get("/api/v1/practitioners/new-one").json
    assert profile["licenses"][0]["verification"] is None


def test_the_page_and_the_card_say_what_was_checked_and_when(runner, client, make_practitioner):
    licensed(make_practitioner, "alex-rivera", "Alex Rivera", "TX", "MT12345",
             zip_code="78701")  # fmt: skip
    licensed(make_practitioner, "casey-lee", "Casey Lee", "NJ", "18KT01515000", zip_code="07030")
    sync(runner, "tx-tdlr.csv", "tx-tdlr")
    page = client.get("/p/alex-rivera").get_data(as_text=True)
    assert "Verified Dec 1, 2026 against the Texas TDLR roster" in page
    card = client.get("/search", query_string={"near": "Austin, TX"}).get_data(as_text=True)
    assert "Verified Dec 1, 2026 against the Texas TDLR roster" in card
    staff = client.get("/p/casey-lee").get_data(as_text=True)
    assert "Checked by our staff on Jan 5, 2026" in staff


def test_an_admin_verifying_in_the_queue_records_a_staff_check(runner, make_practitioner):
    from directory.admin import operations as ops
    from tests.people import new_user

    lic = licensed(make_practitioner, "jordan-lee", "Jordan Lee", "TX", "MT33333")
    sync(runner, "tx-tdlr.csv", "tx-tdlr")
    assert fresh(lic).status == "pending"
    assert [r.reason for r in ops.open_reviews([fresh(lic)])[lic.id]] == ["name_mismatch"]
    admin = new_user("admin@example.com", is_admin=True)
    ops.approve(fresh(lic), admin)
    db.session.commit()
    checked = fresh(lic).verification
    assert checked["method"] == "staff" and checked["roster_status"] is None
    assert checked["checked_on"] == TODAY.isoformat()
    assert ops.open_reviews([fresh(lic)]) == {}


def test_the_admin_queue_shows_the_roster_row_beside_the_license(runner, client, make_practitioner):
    from tests.people import log_in, new_user

    lic = licensed(make_practitioner, "jordan-lee", "Jordan Lee", "TX", "MT33333")
    sync(runner, "tx-tdlr.csv", "tx-tdlr")
    log_in(client, new_user("admin@example.com", is_admin=True))
    html = client.get("/admin/licenses").get_data(as_text=True)
    assert f"license-{lic.id}" in html
    assert "The roster lists this number under another name" in html
    assert "Jordan Lee" in html and "PATEL, SAM" in html  # both records
    assert "Texas TDLR roster of Dec 1, 2026" in html


def test_a_long_file_reports_progress_on_stderr(runner, texas, monkeypatch):
    from directory.rosters import sync as roster_sync

    monkeypatch.setattr(roster_sync, "PROGRESS_EVERY", 2)
    result = sync(runner, "tx-tdlr.csv", "tx-tdlr")
    assert result.exit_code == 0
    assert "2 rows read (" in result.stderr and "4 rows read (" in result.stderr
    assert "rows read" not in result.stdout  # the summary line stays alone on stdout


def test_hsds_assures_the_record_as_of_the_rosters_day(runner, client, make_practitioner):
    lic = licensed(make_practitioner, "alex-rivera", "Alex Rivera", "TX", "MT12345",
                   status="pending", zip_code="78701")  # fmt: skip
    sync(runner, "tx-tdlr.csv", "tx-tdlr")
    record = client.get(f"/hsds/services/{fresh(lic).practitioner.public_id}").get_json()
    assert record["assured_date"] == FILE_DATE  # the file's day, not the day it was run


def test_a_refused_license_the_roster_says_is_active_waits_in_the_queue(
    runner, client, make_practitioner
):
    from directory.admin import operations as ops
    from tests.people import log_in, new_user

    lic = licensed(make_practitioner, "alex-rivera", "Alex Rivera", "TX", "MT12345",
                   status="rejected", zip_code="78701")  # fmt: skip
    sync(runner, "tx-tdlr.csv", "tx-tdlr")
    admin = new_user("admin@example.com", is_admin=True)
    log_in(client, admin)
    html = client.get("/admin/licenses").get_data(as_text=True)
    assert f"license-{lic.id}" in html
    assert "The roster says active, but an admin rejected this license" in html
    assert fresh(lic).status == "rejected"  # not listed until an admin decides
    ops.approve(fresh(lic), admin)
    db.session.commit()
    assert fresh(lic).status == "verified" and fresh(lic).check_method == "staff"
    assert f"license-{lic.id}" not in client.get("/admin/licenses").get_data(as_text=True)
    with pytest.raises(ops.Refused):
        ops.reject(fresh(lic), admin, "changed my mind")  # decided: not in the queue any more


# --- Cost: statements follow the chunks, not the rows ---------------------------------------


def _state_of(licenses: int, tmp_path) -> Path:
    """`licenses` Texas profiles in one commit, and a TDLR file of them: most listed under
    their names, every 10th with a past expiry (lapsed), every 10th another name (queued),
    every 10th left out (queued as missing), every 20th listed twice."""
    from directory.practices.models import Tenant
    from directory.practitioners.models import Practitioner

    tenant = Tenant(slug="big-spa", name="Big Spa")
    header = (DATA / "tx-tdlr.csv").read_text().splitlines()[0]
    lines = [header]
    for i in range(licenses):
        first, last = f"Avery{i}", f"Quinn{i}"
        db.session.add(Practitioner(
            slug=f"p-{i}", name=f"{first} {last}", tenant=tenant, setting="medical",
            published=True,
            licenses=[License(state="TX", number=f"MT{100000 + i}", status="pending",
                              expires_on=LATER)],
        ))  # fmt: skip
        if i % 10 == 3:
            continue
        owner = f"SMITH, {first.upper()}" if i % 10 == 5 else f"{last.upper()}, {first.upper()}"
        expires = "01312025" if i % 10 == 7 else "11302027"
        line = (f"Massage Therapist,MT{100000 + i},TRAVIS,,,,,,{expires},\"{owner}\","
                ",,,,,Massage Therapist,N")  # fmt: skip
        lines += [line, line] if i % 20 == 1 else [line]
    db.session.commit()
    path = tmp_path / f"tx-{licenses}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _statements(app, runner, path) -> tuple[int, dict[str, int]]:
    """The statements a sync of `path` sends (reading the file and applying it), and its
    writes by table."""
    import re

    from sqlalchemy import event

    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = runner.invoke(args=["licenses", "sync", str(path), "--source", "tx-tdlr",
                                     "--file-date", FILE_DATE])  # fmt: skip
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert result.exit_code == 0, result.output
    writes: dict[str, int] = {}
    for statement in seen:
        if found := re.match(r"\s*(?:INSERT INTO|UPDATE)\s+(\w+)", statement, re.I):
            writes[found.group(1)] = writes.get(found.group(1), 0) + 1
    return len(seen), writes


@pytest.mark.parametrize("licenses", [200, 2000])
def test_a_syncs_statements_do_not_grow_with_its_rows(app, runner, tmp_path, licenses):
    from directory.rosters import sync as roster_sync

    # A few statements a chunk of licenses (one read, one write of each kind), whatever it
    # decides: a statement per license or per decision would be hundreds more.
    chunks = -(-licenses // roster_sync.APPLY_CHUNK)
    path = _state_of(licenses, tmp_path)
    first, writes = _statements(app, runner, path)
    run = db.session.scalar(select(RosterSync))
    assert run.verified and run.lapsed and run.queued  # every kind of write happened
    assert first <= 20 + 8 * chunks, writes
    for table in ("license", "license_review", "search_outbox"):
        assert 1 <= writes.get(table, 0) <= chunks, writes
    assert writes["audit_event"] <= chunks + 1, writes  # and the run's own event
    # The same file again: only the history row is written, whatever the file's size.
    again, writes = _statements(app, runner, path)
    assert again <= 20 + 2 * chunks and writes == {"roster_sync": 2}, writes


def test_a_license_a_sync_changes_moves_its_updated_at_and_one_it_leaves_does_not(
    runner, make_practitioner, texas
):
    # The admin queue's waiting time and HSDS's changed-since read updated_at: the chunked
    # UPDATE moves it as a flush of the license did, and only for licenses it changed.
    elsewhere = licensed(make_practitioner, "kim-park", "Kim Park", "WA", "MA60555555")
    db.session.expire_all()
    before = {lic.id: lic.updated_at for lic in db.session.scalars(select(License))}
    assert sync(runner, "tx-tdlr.csv", "tx-tdlr").exit_code == 0
    db.session.expire_all()
    after = {lic.id: lic.updated_at for lic in db.session.scalars(select(License))}
    for changed in ("current", "lapsed", "missing"):  # verified, lapsed, back to pending
        assert after[texas[changed].id] > before[texas[changed].id], changed
    assert after[elsewhere.id] == before[elsewhere.id]
