"""A network's dashboard: search, filters, paging and bulk actions on its profiles, and its
roster exported and imported as CSV or JSON Lines (practices/staff.py,
practitioners/roster_files.py)."""

import io
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from directory import csvfile
from directory.audit import AuditEvent
from directory.db import db
from directory.practitioners import roster_files
from directory.practitioners.models import License, Practitioner
from tests.conftest import tag
from tests.people import build_crew, log_in
from tests.reading import text

LATER = date.today() + timedelta(days=365)
PAST = date.today() - timedelta(days=3)


@pytest.fixture
def crew(make_practitioner):
    return build_crew(make_practitioner)


def profiles_of(tenant) -> dict[str, Practitioner]:
    db.session.expire_all()
    rows = db.session.scalars(select(Practitioner).where(Practitioner.tenant_id == tenant.id))
    return {p.slug: p for p in rows}


def audit_actions(tenant) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.tenant_id == tenant.id)
            .order_by(AuditEvent.id)
        )
    )


# --- Search, filters, paging ----------------------------------------------------------------


@pytest.fixture
def network(crew, make_practitioner):
    """The Crafted Hand grown to 26 profiles: 23 staff profiles besides Alexa, Bo and a draft."""
    hand = crew["hand"]
    for i in range(22):
        make_practitioner(
            f"staff-{i:02d}", tenant=hand, name=f"Staff {i:02d}", headline="Deep tissue",
            licenses=[("NY", "verified" if i % 2 else "pending", LATER)], offices=["10001"],
            accepting_new_clients=i % 3 != 0, phone="2015550100",
        )  # fmt: skip
    make_practitioner("drafty", tenant=hand, name="Drafty Draft", published=False,
                      licenses=[("NJ", "rejected", LATER)], offices=["07030"])  # fmt: skip
    make_practitioner("lapsed", tenant=hand, name="Lapsed Lee",
                      licenses=[("NJ", "verified", PAST)], offices=["07030"])  # fmt: skip
    return crew


def names_on(client, path, **args) -> list[str]:
    response = client.get(path, query_string=args)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return [p.name for p in profiles_of_any() if f">{p.name}</a>" in page]


def profiles_of_any() -> list[Practitioner]:
    return list(db.session.scalars(select(Practitioner)))


def test_the_list_is_paged_with_counts(client, network):
    log_in(client, network["owner"])
    path = "/dashboard/practices/crafted-hand"
    first = names_on(client, path)
    second = names_on(client, path, page=2)
    assert len(first) == 20 and len(second) == 6
    assert not set(first) & set(second)
    assert "Showing 1\u201320 of 26 profiles" in text(client.get(path))
    assert "Showing 21\u201326 of 26 profiles" in text(client.get(path, query_string={"page": 2}))
    assert client.get(path, query_string={"page": 3}).status_code == 404
    assert "Zed" not in " ".join(first + second)


def test_the_counts_read_in_spanish(client, network):
    """The line over the list and the bulk bar's tick, in the reader's words and numbers."""
    log_in(client, network["owner"])
    path = "/es/dashboard/practices/crafted-hand"
    assert "Mostrando 21\u201326 de 26 perfiles." in text(
        client.get(path, query_string={"page": 2})
    )
    assert "los 6 de esta página" in text(client.get(path, query_string={"page": 2}))
    page = text(client.get(path, query_string={"status": "draft"}))
    assert "Mostrando 1\u20131 de 1 perfil que cumple estos filtros (26 en total)." in page
    empty = text(client.get(path, query_string={"q": "nobody-like-this"}))
    assert "Ninguno de sus 26 perfiles cumple estos filtros." in empty


def test_search_by_name_and_each_filter(client, network):
    log_in(client, network["owner"])
    path = "/dashboard/practices/crafted-hand"
    assert names_on(client, path, q="staff 0") == [f"Staff 0{i}" for i in range(10)]
    assert names_on(client, path, status="draft") == ["Drafty Draft"]
    assert set(names_on(client, path, license="attention")) == {
        "Bo Chen", "Drafty Draft", "Lapsed Lee",
    }  # fmt: skip
    verified = names_on(client, path, license="verified")
    assert "Alexa Marie" in verified and "Lapsed Lee" not in verified and "Staff 00" not in verified
    assert names_on(client, path, license="pending")[:2] == ["Staff 00", "Staff 02"]
    nj = names_on(client, path, state="NJ")
    assert set(nj) == {"Alexa Marie", "Drafty Draft", "Lapsed Lee"}
    not_accepting = names_on(client, path, accepting="no")
    assert set(not_accepting) == {f"Staff {i:02d}" for i in range(0, 22, 3)}
    combined = names_on(client, path, accepting="no", license="pending")
    assert set(combined) == {f"Staff {i:02d}" for i in range(0, 22, 6)}
    page = text(client.get(path, query_string={"status": "draft"}))
    assert "Draft (1)" in page and "Published (25)" in page and "NJ (3)" in page
    assert "Showing 1\u20131 of 1 profile matching these filters (26 in all)." in page
    empty = text(client.get(path, query_string={"q": "nobody-like-this"}))
    assert "No profile matches these filters." in empty
    assert "None of your 26 profiles matches these filters." in empty
    # An unknown filter value is no filter; a bad page is a 404, never a 500.
    assert len(names_on(client, path, status="deleted", state="ZZ")) == 20
    assert client.get(path, query_string={"page": "x"}).status_code == 404


def test_the_filter_form_lands_on_the_address_of_the_filters_chosen(client, network):
    """The form submits every field; the address it lands on names only those chosen, as the
    pager's and "Clear"'s links do."""
    log_in(client, network["owner"])
    path = "/dashboard/practices/crafted-hand"
    submitted = client.get(f"{path}?q=&status=draft&accepting=&state=&license=")
    assert submitted.status_code == 302
    assert submitted.headers["Location"] == f"{path}?status=draft"
    assert client.get(f"{path}?q=+&status=").headers["Location"] == path
    assert client.get("/dashboard?q=").headers["Location"] == "/dashboard"
    landed = client.get(submitted.headers["Location"])
    assert names_on(client, path, status="draft") == ["Drafty Draft"]
    assert f'href="{path}">' in landed.get_data(as_text=True)  # "Clear"
    # Someone else's practice stays a 404, blank fields or not.
    assert client.get("/dashboard/practices/other-spa?q=").status_code == 404


def test_create_my_profile_comes_first_only_in_a_practice_with_no_list_yet(client, network):
    """An owner of 26 profiles came for the list: the offer of their own profile follows it.
    In a new practice it is the first thing."""
    log_in(client, network["owner"])
    page = client.get("/dashboard/practices/crafted-hand").get_data(as_text=True)
    offer = page.index("Create my profile")
    assert page.index('class="profile-list"') < offer
    assert page.index("Add a profile for someone on your staff") > offer
    client.post("/dashboard/practices", data={"name": "Second Room"})
    page = client.get("/dashboard/practices/second-room").get_data(as_text=True)
    assert page.index("Create my profile") < page.index("Add a profile for someone on your")
    assert page.index("Create my profile") < page.index("Leave Second Room")
    assert page.count("Create my profile") == 1


def test_a_therapist_lists_only_their_own_profile(client, network):
    log_in(client, network["alexa"])
    path = "/dashboard/practices/crafted-hand"
    assert names_on(client, path) == ["Alexa Marie"]
    assert names_on(client, path, q="staff") == []


# --- Bulk actions ---------------------------------------------------------------------------


def bulk(client, action, *profiles, confirm=False, ids=None):
    data = {"action": action, "ids": ids or [str(p.id) for p in profiles]}
    if confirm:
        data["confirm"] = "1"
    return client.post("/dashboard/practices/crafted-hand/bulk", data=data)


def test_bulk_publish_asks_first_then_publishes_each_it_may(client, crew, make_practitioner):
    hand = crew["hand"]
    ready = make_practitioner("ready-one", tenant=hand, name="Ready One", published=False,
                              headline="Sports massage", phone="2015550100",
                              licenses=[("NJ", "pending", LATER)], offices=["07030"])  # fmt: skip
    bare = make_practitioner("bare-one", tenant=hand, name="Bare One", published=False)
    zed = crew["p_zed"]
    log_in(client, crew["owner"])
    asked = bulk(client, "publish", ready, bare, zed)
    page = text(asked)
    assert asked.status_code == 200 and "Publish 2 profiles?" in page
    assert "Bare One, Ready One" in page and "Zed" not in page
    assert not profiles_of(hand)["ready-one"].published  # nothing on the first click
    ids = ",".join(str(p.id) for p in (ready, bare, zed))
    done = bulk(client, "publish", confirm=True, ids=[ids])
    assert done.status_code == 302
    after = profiles_of(hand)
    assert after["ready-one"].published and not after["bare-one"].published
    flashed = text(client.get(done.headers["Location"]))
    assert "Published: Ready One." in flashed
    assert "Bare One was left as it was: Not published yet: Add a headline." in flashed
    assert "1 ticked profile(s) are not in this practice any more." in flashed
    assert "Zed" not in flashed
    assert audit_actions(hand).count("profile.published") == 1
    assert "profile.published" not in audit_actions(crew["other"])


@pytest.mark.parametrize(("action", "danger"), [("publish", False), ("accepting", False),
                                             ("unpublish", True)])  # fmt: skip
def test_the_confirmation_button_looks_like_what_it_does(client, crew, action, danger):
    """Publishing is confirmed too, but it is no danger: only taking away looks like one."""
    log_in(client, crew["owner"])
    page = bulk(client, action, crew["p_alexa"], crew["p_bo"]).get_data(as_text=True)
    button = re.search(r'<button class="([^"]*)" type="submit">[^<]* 2 profiles</button>', page)
    assert button, page
    assert ("button-danger" in button.group(1).split()) is danger


def test_a_removal_asks_with_a_danger_button(client, crew):
    log_in(client, crew["owner"])
    page = client.post(f"/dashboard/profiles/{crew['p_bo'].slug}/delete")
    assert page.status_code == 200 and "Delete this profile?" in page.get_data(as_text=True)
    assert '<button class="button button-danger" type="submit">' in page.get_data(as_text=True)


def test_a_therapist_cannot_bulk_change_a_colleague(client, crew):
    log_in(client, crew["alexa"])
    page = text(bulk(client, "unpublish", crew["p_alexa"], crew["p_bo"]))
    assert "Alexa Marie" in page and "Left as they are (you may not change them): Bo Chen" in page
    crew["p_bo"].published = True
    db.session.commit()
    response = bulk(client, "unpublish", crew["p_alexa"], crew["p_bo"], confirm=True)
    assert response.status_code == 302
    after = profiles_of(crew["hand"])
    assert not after["alexa-marie"].published and after["bo-chen"].published
    flashed = text(client.get(response.headers["Location"]))
    assert (
        "Bo Chen was left as it was: only its therapist or the practice's managers may" in flashed
    )


def test_bulk_confirms_accepting_and_audits_it(client, crew):
    hand = crew["hand"]
    crew["p_bo"].accepting_new_clients = False
    db.session.commit()
    log_in(client, crew["manager"])
    bulk(client, "accepting", crew["p_alexa"], crew["p_bo"], confirm=True)
    after = profiles_of(hand)
    assert after["bo-chen"].accepting_new_clients and after["bo-chen"].accepting_confirmed_at
    assert after["alexa-marie"].accepting_confirmed_recently
    assert audit_actions(hand).count("profile.accepting_confirmed") == 2
    log_in(client, crew["owner"])
    log = text(client.get("/dashboard/practices/crafted-hand/audit"))
    assert log.count("Confirmed a profile accepts new clients") == 2


def test_every_profile_on_the_page_at_once(client, network):
    log_in(client, network["owner"])
    page = client.get("/dashboard/practices/crafted-hand", query_string={"state": "NJ"})
    shown = re.search(r'name="shown" value="([0-9,]+)"', page.get_data(as_text=True)).group(1)
    data = {"action": "unpublish", "every": "1", "shown": shown}
    assert "Unpublish 3 profiles?" in text(
        client.post("/dashboard/practices/crafted-hand/bulk", data=data)
    )
    data = {"action": "unpublish", "ids": shown, "confirm": "1"}
    client.post("/dashboard/practices/crafted-hand/bulk", data=data)
    after = profiles_of(network["hand"])
    assert [s for s, p in sorted(after.items()) if not p.published] == [
        "alexa-marie", "drafty", "lapsed",
    ]  # fmt: skip


def test_a_bulk_action_without_ticks_or_with_an_unknown_action_changes_nothing(client, crew):
    log_in(client, crew["owner"])
    assert bulk(client, "publish", ids=[]).status_code == 302
    assert bulk(client, "delete", crew["p_alexa"], confirm=True).status_code == 302
    assert profiles_of(crew["hand"])["alexa-marie"].published


# --- Export ---------------------------------------------------------------------------------


def test_export_is_the_practices_own_profiles_only(client, crew):
    crew["p_bo"].name = '=HYPERLINK("http://evil.example")'
    crew["p_alexa"].phone = "+1 201 555 0100"
    db.session.commit()
    log_in(client, crew["owner"])
    csv_response = client.get("/dashboard/practices/crafted-hand/roster.csv")
    assert csv_response.status_code == 200
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_response.headers["Content-Disposition"]
    rows = list(csvfile.dict_reader(io.StringIO(csv_response.get_data(as_text=True))))
    assert {r["slug"] for r in rows} == {"alexa-marie", "bo-chen"}
    bo = next(r for r in rows if r["slug"] == "bo-chen")
    assert bo["name"].startswith("'=")
    alexa = next(r for r in rows if r["slug"] == "alexa-marie")
    assert alexa["phone"] == "'+1 201 555 0100"
    assert alexa["licenses"] == f"NJ 18KT01515000 {LATER.isoformat()} verified"
    assert alexa["offices"] == "1 Main St, Hoboken, NJ 07030"
    lines = client.get("/dashboard/practices/crafted-hand/roster.jsonl").get_data(as_text=True)
    slugs = [json.loads(line)["slug"] for line in lines.splitlines()]
    assert slugs == ["alexa-marie", "bo-chen"]
    assert "zed" not in lines and "zed" not in csv_response.get_data(as_text=True)


# --- Import ---------------------------------------------------------------------------------

HEADER = "slug,name,setting,headline,phone,published,conditions,licenses,offices\n"


def upload(client, body: str, name="roster.csv"):
    data = {"file": (io.BytesIO(body.encode()), name)}
    return client.post(
        "/dashboard/practices/crafted-hand/roster/preview", data=data,
        content_type="multipart/form-data",
    )  # fmt: skip


def carried_form(response) -> dict:
    page = response.get_data(as_text=True)

    def value(name):
        start = page.index(f'name="{name}" value="') + len(f'name="{name}" value="')
        return page[start : page.index('"', start)]

    return {"roster": value("roster"), "format": value("format"), "filename": value("filename")}


def test_a_network_owner_imports_a_csv_roster_from_the_dashboard(client, crew):
    hand = crew["hand"]
    log_in(client, crew["owner"])
    assert client.get("/dashboard/practices/crafted-hand/roster").status_code == 200
    body = HEADER + (
        f"new-one,New One,medical,Sports massage,2015550100,yes,sciatica,NJ 18KT01515001 {LATER},"
        '"51 Newark St, Hoboken, NJ 07030"\n'
        "new-two,New Two,spa,,,no,,,\n"
        f"bo-chen,Bo Chen,both,Relaxing massage,2015550111,,slipped disc,,\n"
    )
    previewed = upload(client, body)
    page = text(previewed)
    assert previewed.status_code == 200
    assert "2 profiles to create, 1 to update" in page
    assert "Line 2: New One" in page and "Line 4: Bo Chen" in page
    # What the update changes, column by column, old → new (columns it leaves are not named).
    assert "setting: medical → becomes both" in page
    assert "conditions: (empty) → becomes Herniated disc" in page
    assert "name:" not in page and "offices:" not in page
    assert "Import 3 profiles" in page
    assert "new-one" not in profiles_of(hand)  # a preview writes nothing
    imported = client.post("/dashboard/practices/crafted-hand/roster/import",
                           data=carried_form(previewed))  # fmt: skip
    assert imported.status_code == 302
    after = profiles_of(hand)
    assert after["new-one"].published and after["new-one"].offices[0].city == "Hoboken"
    assert [lic.status for lic in after["new-one"].licenses] == ["pending"]
    assert not after["new-two"].published and after["new-two"].setting == "spa"
    assert after["bo-chen"].setting == "both"
    assert [c.slug for c in after["bo-chen"].conditions] == ["herniated-disc"]
    assert "practitioners.import" in audit_actions(hand)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "practitioners.import"))
    assert event.actor_id == crew["owner"].id and event.details["created"] == 2
    said = text(client.get(imported.headers["Location"]))
    assert "Imported roster.csv: 2 profiles created, 1 updated, 0 unchanged." in said


def test_one_bad_line_and_nothing_is_imported(client, crew):
    hand = crew["hand"]
    log_in(client, crew["owner"])
    body = HEADER + (
        "fine-one,Fine One,medical,,,,,,\n"
        "bad-one,Bad One,sauna,,,,backache-of-doom,NJ 123 2020-01-01,\n"
        "zed-spa,Zed Taken,spa,,,,,,\n"
    )
    previewed = upload(client, body)
    page = text(previewed)
    assert "Nothing is imported while any line has one" in page
    assert "Line 3, setting: must be one of spa, medical, both" in page
    assert "Line 3, conditions[0]: unknown condition 'backache-of-doom'" in page
    assert "Line 3, licenses[0].number" in page
    assert "Line 4, slug: 'zed-spa' is taken by a profile of another practice" in page
    assert "other-spa" not in page and "Other Spa" not in page
    assert 'name="roster"' not in previewed.get_data(as_text=True)  # no import button
    # Posting the file anyway imports nothing.
    form = {"roster": roster_files.carry(body), "format": "csv", "filename": "x.csv"}
    refused = client.post("/dashboard/practices/crafted-hand/roster/import", data=form)
    assert refused.status_code == 400
    assert "fine-one" not in profiles_of(hand)
    assert db.session.get(Practitioner, crew["p_zed"].id).name != "Zed Taken"


def test_an_import_may_not_verify_nor_reach_another_practice(client, crew):
    log_in(client, crew["owner"])
    lines = [
        {"slug": "claims", "name": "Claims", "setting": "medical",
         "licenses": [{"state": "NJ", "number": "18KT01515009", "expires": str(LATER),
                       "status": "verified"}]},
        {"slug": "elsewhere", "tenant": "other-spa", "name": "Elsewhere", "setting": "spa"},
        {"slug": "unready", "name": "Unready", "setting": "spa", "published": True},
    ]  # fmt: skip
    page = text(upload(client, "\n".join(map(json.dumps, lines)), "roster.jsonl"))
    assert (
        "Line 1, licenses[0].status: only the directory's reviewers mark a license verified" in page
    )
    assert "Line 2, tenant: 'other-spa' is not this practice (crafted-hand)" in page
    # Line 3 alone would import, but not publish: the Publish button's checks.
    page = text(upload(client, json.dumps(lines[2]), "roster.jsonl"))
    assert "Line 1, published: Not published yet: Add a headline." in page
    assert "unready" not in profiles_of(crew["hand"])


def test_an_export_imports_back_unchanged_keeping_reviews(client, crew):
    log_in(client, crew["owner"])
    for fmt in ("csv", "jsonl"):
        exported = client.get(f"/dashboard/practices/crafted-hand/roster.{fmt}")
        page = text(upload(client, exported.get_data(as_text=True), f"roster.{fmt}"))
        assert "0 profiles to create, 0 to update, 2 unchanged" in page, fmt
        assert "Check before importing" in page and "Not imported" not in page, page[:3000]
        # Nothing to import: no button; the file posted anyway writes nothing and says so.
        assert "Nothing to import: every profile is already as the file says." in page
        assert "Import 2 profiles" not in page and "Import 0 profiles" not in page
        body = exported.get_data(as_text=True)
        form = {"roster": roster_files.carry(body), "format": fmt, "filename": f"roster.{fmt}"}
        done = client.post("/dashboard/practices/crafted-hand/roster/import", data=form)
        assert done.status_code == 302
        said = text(client.get(done.headers["Location"]))
        assert "0 profiles created, 0 updated, 2 unchanged." in said, fmt
        lic = db.session.scalar(
            select(License).where(License.practitioner_id == crew["p_alexa"].id)
        )
        db.session.refresh(lic)
        assert lic.status == "verified", fmt
        again = client.get(f"/dashboard/practices/crafted-hand/roster.{fmt}").get_data(as_text=True)
        assert again == exported.get_data(as_text=True), fmt


def test_a_file_too_large_or_not_text_is_refused(client, crew, monkeypatch):
    log_in(client, crew["owner"])
    monkeypatch.setattr(roster_files, "MAX_BYTES", 100)
    response = upload(client, HEADER + "x" * 200)
    assert response.status_code == 302
    assert "larger than" in text(client.get(response.headers["Location"]))
    monkeypatch.setattr(roster_files, "MAX_BYTES", 2 * 1024 * 1024)
    data = {"file": (io.BytesIO(b"\xff\xfe\x00bad"), "roster.csv")}
    response = client.post("/dashboard/practices/crafted-hand/roster/preview", data=data,
                           content_type="multipart/form-data")  # fmt: skip
    assert "not UTF-8 text" in text(client.get(response.headers["Location"]))
    tampered = {"roster": "not-base64!", "format": "csv", "filename": "x.csv"}
    response = client.post("/dashboard/practices/crafted-hand/roster/import", data=tampered)
    assert "upload the file again" in text(client.get(response.headers["Location"]))
    assert db.session.scalar(select(func.count()).select_from(Practitioner)) == 3


def test_a_change_is_shown_short_and_on_one_line(crew):
    before = roster_files.transfer.export_record(crew["p_alexa"])
    after = {**before, "bio": "Line one\r\n" + "word " * 40, "accepting_new_clients": False}
    found = {c.column: c for c in roster_files.changes(before, after)}
    assert set(found) == {"bio", "accepting_new_clients"}
    assert found["bio"].new.startswith("Line one word") and found["bio"].new.endswith("…")
    assert len(found["bio"].new) <= roster_files.SHORT and "\n" not in found["bio"].new
    assert (found["accepting_new_clients"].old, found["accepting_new_clients"].new) == ("yes", "no")


def test_the_import_counts_in_spanish(client, crew):
    log_in(client, crew["owner"])
    exported = client.get("/dashboard/practices/crafted-hand/roster.csv").get_data(as_text=True)
    row = io.StringIO()
    csvfile.writer(row, roster_files.CSV_COLUMNS).writerow(
        {"slug": "solo-uno", "name": "Solo Uno", "setting": "spa"}
    )
    body = exported + row.getvalue().partition("\n")[2]  # the row, not a second header
    form = {"roster": roster_files.carry(body), "format": "csv", "filename": "equipo.csv"}
    done = client.post("/es/dashboard/practices/crafted-hand/roster/import", data=form)
    assert done.status_code == 302
    said = text(client.get(done.headers["Location"]))
    assert "Se importó equipo.csv: 1 perfil creado, 0 actualizados, 2 sin cambios." in said


def test_a_blank_cell_keeps_the_value_on_file_in_every_kind_of_column(client, crew):
    """An exported file edited with cells emptied changes nothing: a blank yes/no is not "no",
    a blank text, number or list is not "clear it"; a new profile gets each column's default."""
    alexa = crew["p_alexa"]
    alexa.headline, alexa.languages, alexa.price_min = "Deep tissue", ["Spanish"], 80
    alexa.in_home = True
    tag(alexa, conditions=["sciatica"], modalities=["deep-tissue-massage"])
    assert alexa.published and alexa.accepting_new_clients
    log_in(client, crew["owner"])
    exported = client.get("/dashboard/practices/crafted-hand/roster.csv").get_data(as_text=True)
    rows = list(csvfile.dict_reader(io.StringIO(exported)))
    blank = (
        "published", "accepting_new_clients", "in_home", "headline", "phone", "languages",
        "price_min", "session_lengths", "conditions", "modalities", "licenses", "offices",
    )  # fmt: skip
    edited = io.StringIO()
    writer = csvfile.writer(edited, roster_files.CSV_COLUMNS)
    for row in rows:
        writer.writerow({**row, **dict.fromkeys(blank, "")})
    writer.writerow({"slug": "fresh-one", "name": "Fresh One", "setting": "spa", "in_home": ""})
    previewed = upload(client, edited.getvalue())
    page = text(previewed)
    assert "1 profile to create, 0 to update, 2 unchanged" in page, page[:2000]
    assert "→" not in page
    done = client.post("/dashboard/practices/crafted-hand/roster/import",
                       data=carried_form(previewed))  # fmt: skip
    assert done.status_code == 302
    after = profiles_of(crew["hand"])
    kept = after["alexa-marie"]
    assert kept.published and kept.accepting_new_clients and kept.in_home
    assert (kept.headline, kept.languages, kept.price_min) == ("Deep tissue", ["Spanish"], 80)
    assert kept.conditions and kept.modalities and kept.offices
    assert [lic.status for lic in kept.licenses] == ["verified"]
    fresh = after["fresh-one"]
    assert not fresh.published and fresh.accepting_new_clients and not fresh.in_home


def test_a_lone_dash_empties_a_column(client, crew):
    alexa = crew["p_alexa"]
    alexa.headline, alexa.languages, alexa.price_min = "Deep tissue", ["Spanish"], 80
    tag(alexa, conditions=["sciatica"])
    log_in(client, crew["owner"])
    body = (
        "slug,name,setting,headline,languages,price_min,conditions,offices\n"
        "alexa-marie,Alexa Marie,medical,-,-, - ,-,-\n"
    )
    previewed = upload(client, body)
    page = text(previewed)
    assert "headline: Deep tissue → becomes (empty)" in page, page[:3000]
    assert "price_min: 80 → becomes (empty)" in page
    client.post("/dashboard/practices/crafted-hand/roster/import", data=carried_form(previewed))
    cleared = profiles_of(crew["hand"])["alexa-marie"]
    assert (cleared.headline, cleared.languages, cleared.price_min) == ("", [], None)
    assert cleared.conditions == [] and cleared.offices == []
    # A yes/no has no empty value, and a required column may not be emptied.
    refused = text(upload(client, "slug,name,setting,published\nalexa-marie,-,spa,-\n"))
    assert "Line 2, name: is required" in refused and "Line 2, published:" in refused
    # Our export writes a headline that is a dash as "'-": it reads back as that text.
    upload_form = carried_form(upload(client, "slug,name,setting,headline\nalexa-marie,A,spa,'-\n"))
    client.post("/dashboard/practices/crafted-hand/roster/import", data=upload_form)
    assert profiles_of(crew["hand"])["alexa-marie"].headline == "-"
