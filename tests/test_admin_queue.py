"""The admin license queue at national scale (issue 26, item 5): filtered by state, reason,
roster source and age; bulk decisions with one reason; a roster file uploaded by an admin, with
the command's validation and summary; the history of syncs."""

import io
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from directory import licensing
from directory.audit import AuditEvent
from directory.db import db, now_utc
from directory.practitioners.models import License
from directory.rosters.models import RosterSync
from tests.people import log_in, new_user

DATA = Path(__file__).parent / "data" / "rosters"
TODAY = date(2026, 12, 7)
LATER = date(2028, 12, 31)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(licensing, "today", lambda: TODAY)


def licensed(make_practitioner, slug, name, state, number, status="verified"):
    p = make_practitioner(slug, name=name, licenses=[(state, status, LATER)])
    p.licenses[0].number = number
    if status == "verified":
        licensing.record_check(p.licenses[0], method="staff", on=date(2026, 1, 5))
    db.session.commit()
    return p.licenses[0].id


@pytest.fixture
def admin(client):
    user = new_user("admin@example.com", is_admin=True)
    log_in(client, user)
    return user


def upload(client, name="tx-tdlr.csv", content=None, follow_redirects=False, **fields):
    body = content if content is not None else (DATA / name).read_bytes()
    data = {"source": "tx-tdlr", "file_date": "2026-12-01", **fields,
            "file": (io.BytesIO(body), name)}  # fmt: skip
    return client.post("/admin/rosters", data=data, content_type="multipart/form-data",
                       follow_redirects=follow_redirects)  # fmt: skip


def shown(client, **args) -> set[int]:
    html = client.get("/admin/licenses", query_string=args).get_data(as_text=True)
    ids = db.session.scalars(select(License.id)).all()
    return {i for i in ids if f'id="license-{i}"' in html}


def status(lic_id: int) -> str:
    db.session.expire_all()
    return db.session.get(License, lic_id).status


@pytest.fixture
def queued(client, admin, make_practitioner):
    """A Texas sync queued two licenses (another name; not listed), and one waits unchecked."""
    ids = {
        "other_name": licensed(make_practitioner, "jordan-lee", "Jordan Lee", "TX", "MT33333"),
        "missing": licensed(make_practitioner, "dana-cruz", "Dana Cruz", "TX", "MT55555"),
        "unchecked": licensed(make_practitioner, "ny-pat", "Pat Quinn", "NY", "028941",
                              status="pending"),
    }  # fmt: skip
    assert upload(client).status_code == 302
    return ids


def test_the_queue_filters_by_reason_source_state_and_age(client, queued):
    everyone = set(queued.values())
    assert shown(client) == everyone
    assert shown(client, reason="name_mismatch") == {queued["other_name"]}
    assert shown(client, reason="missing") == {queued["missing"]}
    assert shown(client, reason="unchecked") == {queued["unchecked"]}
    assert shown(client, source="tx-tdlr") == {queued["other_name"], queued["missing"]}
    assert shown(client, source="wa-doh") == set()
    assert shown(client, state="NY") == {queued["unchecked"]}
    assert shown(client, age="7") == set()  # all of them came in today
    db.session.execute(
        update(License)
        .where(License.id == queued["unchecked"])
        .values(updated_at=now_utc() - timedelta(days=8))
    )
    db.session.commit()
    assert shown(client, age="7") == {queued["unchecked"]}
    assert shown(client, age="30") == set()
    # A value the filter does not know is left out, not an error.
    assert shown(client, reason="<script>", age="5", source="xx") == everyone


def test_a_filtered_page_links_its_next_page_with_the_same_filters(client, admin, monkeypatch,
                                                                  make_practitioner):  # fmt: skip
    from directory.admin import operations as ops

    monkeypatch.setattr(ops, "QUEUE_PER_PAGE", 1)
    for n in range(2):
        licensed(make_practitioner, f"p-{n}", f"Pat Doe{n}", "NY", f"02894{n}", status="pending")
    html = client.get("/admin/licenses?reason=unchecked&state=NY").get_data(as_text=True)
    assert "Page 1 of 2" in html
    nxt = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(nxt).query) == {"page": ["2"], "state": ["NY"],
                                             "reason": ["unchecked"]}  # fmt: skip
    # Back to page 1: the same filters, and no ?page=1 (the first page has one address).
    second = client.get(nxt).get_data(as_text=True)
    assert "Page 2 of 2" in second and 'rel="next"' not in second
    prev = re.search(r'<a href="([^"]+)" rel="prev">', second).group(1).replace("&amp;", "&")
    assert urlsplit(prev).path == "/admin/licenses"
    assert parse_qs(urlsplit(prev).query) == {"state": ["NY"], "reason": ["unchecked"]}
    assert client.get("/admin/licenses?reason=unchecked&page=3").status_code == 404


def test_the_roster_row_is_beside_each_queued_license(client, queued):
    html = client.get("/admin/licenses", query_string={"reason": "name_mismatch"}).get_data(
        as_text=True
    )
    assert "Jordan Lee" in html and "PATEL, SAM" in html


def test_bulk_reject_refuses_each_ticked_license_with_one_reason(client, queued):
    ids = [queued["other_name"], queued["unchecked"]]
    response = client.post(
        "/admin/licenses/reject", data={"ids": ids, "reason": "Not on the board's lookup"}
    )
    assert response.status_code == 302
    assert [status(i) for i in ids] == ["rejected", "rejected"]
    assert status(queued["missing"]) == "pending"
    reasons = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "license.rejected")
    ).all()
    assert sorted(d["license"] for d in reasons) == sorted(ids)
    assert {d["reason"] for d in reasons} == {"Not on the board's lookup"}
    assert shown(client) == {queued["missing"]}


def test_bulk_reject_without_a_reason_changes_nothing(client, queued):
    ids = [queued["other_name"], queued["unchecked"]]
    response = client.post("/admin/licenses/reject", data={"ids": ids, "reason": " "},
                           follow_redirects=True)  # fmt: skip
    assert "Give a reason" in response.get_data(as_text=True)
    assert [status(i) for i in ids] == ["pending", "pending"]


def test_bulk_approve_still_verifies_the_ticked_licenses(client, queued):
    response = client.post("/admin/licenses/approve", data={"ids": [queued["unchecked"]]})
    assert response.status_code == 302 and status(queued["unchecked"]) == "verified"


def test_an_uploaded_roster_is_applied_as_the_command_applies_it(client, admin, make_practitioner):
    current = licensed(make_practitioner, "alex-rivera", "Alex Rivera", "TX", "MT12345",
                       status="pending")  # fmt: skip
    lapsed = licensed(make_practitioner, "morgan-nguyen", "Morgan Nguyen", "TX", "MT22222")
    response = upload(client, follow_redirects=True)
    html = response.get_data(as_text=True)
    said = "4 rows, 1 verified, 1 lapsed, 0 queued, and 0 unchanged"
    assert f"tx-tdlr.csv (Texas TDLR, as of Dec 1, 2026): {said}" in html
    assert status(current) == "verified" and status(lapsed) == "rejected"
    run = db.session.scalar(select(RosterSync))
    assert (run.file_name, run.file_date, run.actor_label) == (
        "tx-tdlr.csv",
        date(2026, 12, 1),
        "admin@example.com",
    )
    # The history says which file, of when, what it did, who ran it.
    page = client.get("/admin/rosters").get_data(as_text=True)
    assert f'id="sync-{run.id}"' in page
    assert said in page
    assert "by admin@example.com" in page and "as of Dec 1, 2026" in page
    # The same file again changes nothing.
    again = upload(client, follow_redirects=True).get_data(as_text=True)
    assert "4 rows, 0 verified, 0 lapsed, 0 queued, and 2 unchanged" in again


def test_a_malformed_upload_changes_nothing_and_names_the_row(client, admin, make_practitioner):
    current = licensed(make_practitioner, "alex-rivera", "Alex Rivera", "TX", "MT12345",
                       status="pending")  # fmt: skip
    lines = (DATA / "tx-tdlr.csv").read_text().splitlines()
    lines[4] = lines[4].replace("08312027", "31082027")  # not MMDDCCYY
    response = upload(client, content="\n".join(lines).encode())
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing changed: tx-tdlr.csv, line 5: the expiry date" in html
    assert status(current) == "pending"
    assert db.session.scalar(select(func.count()).select_from(RosterSync)) == 0


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"file_date": "2026-12-08"}, "is in the future"),
        ({"source": "nowhere"}, "Not a valid choice"),
    ],
)
def test_an_upload_with_a_wrong_source_or_date_changes_nothing(client, admin, fields, said):
    response = upload(client, **fields)
    assert response.status_code == 400 and said in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RosterSync)) == 0


def test_an_upload_over_the_size_limit_is_refused(app, client, admin):
    app.config["ROSTER_UPLOAD_MAX_BYTES"] = 1024
    body = (DATA / "tx-tdlr.csv").read_bytes()
    padding = b'Barber,X1,,,,,,,01012030,"DOE, JO",,,,,,,N\n' * 40
    assert upload(client, content=body + padding).status_code == 413
    assert db.session.scalar(select(func.count()).select_from(RosterSync)) == 0


def test_a_roster_larger_than_other_uploads_is_accepted(app, client, admin):
    app.config["MAX_CONTENT_LENGTH"] = 1024  # every other form
    body = (DATA / "tx-tdlr.csv").read_bytes()
    padding = b'Barber,X1,,,,,,,01012030,"DOE, JO",,,,,,,N\n' * 40
    assert upload(client, content=body + padding).status_code == 302


def test_the_upload_is_refused_to_everyone_but_admins(client, make_practitioner):
    assert upload(client).status_code == 404
    log_in(client, new_user("someone@example.com"))
    assert upload(client).status_code == 404
    assert client.get("/admin/rosters").status_code == 404
