import json
import re
from collections import Counter
from datetime import date

import pytest
from flask import current_app
from sqlalchemy import func, select

from directory import demo, geo, licensing, specialties, vocabulary
from directory.audit import AuditEvent
from directory.db import db
from directory.demo import MAX_COUNT, generate, license_status, specialty_status
from directory.practices.models import Tenant
from directory.practitioners import documents, transfer
from directory.practitioners.models import (
    License,
    Office,
    Practitioner,
    Specialty,
    practitioner_condition,
    practitioner_modality,
)
from directory.search.outbox import SearchOutbox
from tests.conftest import module_world

TODAY = date(2026, 1, 15)
HOBOKEN = geo.zip_location("07030")[:2]


@pytest.fixture(scope="module")
def records():
    return list(generate(300, 42, TODAY))


def _settings(kind: str) -> dict[str, str]:
    return {t.slug: t.setting for t in vocabulary.terms().values() if t.kind == kind}


def _count(table) -> int:
    return db.session.scalar(select(func.count()).select_from(table))


def test_same_seed_same_records():
    assert list(generate(120, 7, TODAY)) == list(generate(120, 7, TODAY))


def test_different_seed_different_records():
    first = [r["slug"] for r in generate(120, 7, TODAY)]
    assert first != [r["slug"] for r in generate(120, 8, TODAY)]


def test_expiry_dates_follow_the_reference_date():
    later = date(2027, 3, 1)
    shifted = list(generate(40, 7, later))
    for before, after in zip(generate(40, 7, TODAY), shifted, strict=True):
        for a, b in zip(before["licenses"], after["licenses"], strict=True):
            delta = date.fromisoformat(b["expires"]) - date.fromisoformat(a["expires"])
            assert delta == later - TODAY


def test_existing_tenant_slugs_are_not_reused():
    first = next(iter(generate(1, 3, TODAY)))
    again = next(iter(generate(1, 3, TODAY, taken_tenant_slugs={first["tenant"]})))
    assert again["tenant"] == first["tenant"] + "-2"
    assert again["tenant_name"] == first["tenant_name"]


def test_count_slugs_and_practices(records):
    assert len(records) == 300
    assert len({r["slug"] for r in records}) == 300
    by_tenant = {}
    for r in records:
        by_tenant.setdefault(r["tenant"], []).append(r)
    for members in by_tenant.values():
        # One practice reads as one business: one name, one kind.
        assert len({(m["tenant_name"], m["tenant_kind"]) for m in members}) == 1
        if members[0]["tenant_kind"] == "practice":
            assert len(members) == 1  # a solo practice is one therapist
        else:
            assert len(members) >= 3  # a clinic, spa or network has a team
    assert {r["tenant_kind"] for r in records} == {"practice", "clinic", "spa", "network"}
    networks = [m for m in by_tenant.values() if m[0]["tenant_kind"] == "network"]
    assert all(len({o["state"] for r in m for o in r["offices"]}) >= 2 for m in networks)


def test_settings_mix(records):
    shares = Counter(r["setting"] for r in records)
    # A client finds plenty of each kind of therapist, whichever they look for.
    assert all(shares[setting] >= 0.15 * len(records) for setting in ("medical", "spa", "both"))
    for kind, main in (("spa", "spa"), ("clinic", "medical")):
        staff = Counter(r["setting"] for r in records if r["tenant_kind"] == kind)
        assert staff.most_common(1)[0][0] == main


def test_spa_therapists_offer_no_medical_only_work(records):
    modality_settings, condition_settings = _settings("modality"), _settings("condition")
    spa = [r for r in records if r["setting"] == "spa"]
    assert spa
    for r in spa:
        assert 2 <= len(r["modalities"]) <= 5
        assert 1 <= len(r["conditions"]) <= 4
        assert {modality_settings[m] for m in r["modalities"]} <= {"spa", "either"}
        assert {condition_settings[c] for c in r["conditions"]} <= {"spa", "either"}
        assert not {"lymphedema", "post-surgical-swelling"} & set(r["conditions"])


def test_medical_therapists_treat_medical_conditions(records):
    modality_settings, condition_settings = _settings("modality"), _settings("condition")
    medical = [r for r in records if r["setting"] == "medical"]
    for r in medical:
        assert 3 <= len(r["modalities"]) <= 7
        assert 3 <= len(r["conditions"]) <= 8
        assert {modality_settings[m] for m in r["modalities"]} <= {"medical", "either"}
        assert {condition_settings[c] for c in r["conditions"]} <= {"medical", "either"}
    lymphatic = [r for r in medical if "CLT" in r["credentials"]]
    assert lymphatic
    for r in lymphatic:
        assert "manual-lymphatic-drainage" in r["modalities"]
        assert {"lymphedema", "post-surgical-swelling"} <= set(r["conditions"])
    # Lymphatic work is left to the certified therapists.
    others = [r for r in records if "CLT" not in r["credentials"]]
    assert not any("lymphedema" in r["conditions"] for r in others)


def test_headline_and_bio_mention_their_work_and_city(records):
    phrases = {t.slug: t.name.lower() for t in vocabulary.terms().values()}
    for r in records:
        bio = r["bio"].lower()
        assert r["offices"][0]["city"].lower() in bio
        assert any(phrases[s] in bio for s in r["modalities"] + r["conditions"])
        assert 2 <= r["bio"].count(". ") + 1 <= 4
        assert 0 < len(r["headline"]) <= 160


def test_license_numbers_fit_their_state(records):
    numbers = [lic for r in records for lic in r["licenses"]]
    assert {"NJ", "NY"} <= {lic["state"] for lic in numbers}
    for lic in numbers:
        assert licensing.check_number(lic["state"], lic["number"]) is None, lic
    nj = [lic["number"] for lic in numbers if lic["state"] == "NJ"]
    assert all(re.fullmatch(r"18KT\d{8}", n) for n in nj)


def test_offices_are_real_zips_in_their_state(records):
    for r in records:
        assert 1 <= len(r["offices"]) <= 2
        for office in r["offices"]:
            _lat, _lon, city, state = geo.zip_location(office["zip"], office["state"])
            assert (city, state) == (office["city"], office["state"])
            assert re.fullmatch(r"\d+ [A-Z][a-z]+ (St|Ave|Blvd|Way)", office["street"])


def test_a_cluster_around_hoboken(records):
    offices = [o for r in records for o in r["offices"]]
    near = [
        o for o in offices if geo.distance_miles(*HOBOKEN, *geo.zip_location(o["zip"])[:2]) <= 10
    ]
    assert len(near) >= 0.25 * len(offices)
    assert len({o["state"] for o in offices}) >= 10


def test_license_status_mix(records):
    statuses = Counter(license_status(lic, TODAY) for r in records for lic in r["licenses"])
    # Most therapists carry a verified badge, and every honest-licensure case shows up.
    assert statuses["verified"] > sum(statuses.values()) / 2
    assert all(statuses[s] > 0 for s in ("pending", "rejected", "expired"))
    for r in records:
        for lic in r["licenses"]:
            expires = date.fromisoformat(lic["expires"])
            if license_status(lic, TODAY) != "expired" and lic["status"] != "rejected":
                # Nothing that is current is about to lapse within the month (no flicker).
                assert (expires - TODAY).days >= 28


def test_specialty_certificates_mix(records):
    holders = [r for r in records if r["specialties"]]
    # A realistic share holds one; every kind and every state of a certificate shows up.
    assert 0.1 * len(records) <= len(holders) <= 0.5 * len(records)
    certificates = [c for r in records for c in r["specialties"]]
    assert {c["kind"] for c in certificates} == set(vocabulary.specialties())
    statuses = Counter(specialty_status(c, TODAY) for c in certificates)
    assert statuses["verified"] > sum(statuses.values()) / 2
    assert all(statuses[s] > 0 for s in ("pending", "rejected", "expired"))
    for r in holders:
        assert len({c["kind"] for c in r["specialties"]}) == len(r["specialties"])
        for c in r["specialties"]:
            assert c["issuer"] in vocabulary.specialties()[c["kind"]].issuers
            assert date.fromisoformat(c["issued"]) < TODAY
            if c["expires"] and specialty_status(c, TODAY) != "expired":
                assert (date.fromisoformat(c["expires"]) - TODAY).days >= 28  # no flicker
        # A CLT certificate is the lymphatic specialists' (their credentials line says so);
        # oncology is not a spa therapist's.
        kinds = {c["kind"] for c in r["specialties"]}
        assert "clt" not in kinds or "CLT" in r["credentials"]
        assert "oncology" not in kinds or r["setting"] != "spa"


def test_certificate_dates_follow_the_reference_date_and_the_rest_stays():
    later = date(2027, 3, 1)
    for before, after in zip(generate(60, 7, TODAY), generate(60, 7, later), strict=True):
        for a, b in zip(before["specialties"], after["specialties"], strict=True):
            for key in ("issued", "expires"):
                if a[key]:
                    delta = date.fromisoformat(b[key]) - date.fromisoformat(a[key])
                    assert delta == later - TODAY


def test_a_few_profiles_lack_a_license_where_they_work(records):
    unlicensed = [
        r
        for r in records
        if {o["state"] for o in r["offices"]} != {lic["state"] for lic in r["licenses"]}
    ]
    # Enough to see the "not licensed in this state" case, few enough to stay the exception.
    assert 1 <= len(unlicensed) <= 0.1 * len(records)
    assert any(not r["published"] for r in records) and any(r["suspended"] for r in records)


def test_contact_details_are_fictional(records):
    for r in records:
        assert r["email"].rsplit("@", 1)[1] in {"example.com", "example.org", "example.net"}
        assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", r["phone"])
        assert r["website"] == "" or re.fullmatch(r"https://[a-z0-9-]+\.example\.com", r["website"])
        assert 70 <= r["price_min"] <= r["price_max"] <= 220
        assert r["session_lengths"] and set(r["session_lengths"]) <= {30, 60, 75, 90, 120}


def test_records_are_valid_import_lines(app, records):
    lines = [
        json.dumps({k: v for k, v in r.items() if k in transfer.KNOWN_FIELDS}) for r in records
    ]
    assert len(transfer.validate(lines)) == len(records)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """One demo of 300, loaded and indexed once (2 to 3 s): the tests using it only read."""

    def load() -> None:
        runner = current_app.test_cli_runner()
        result = runner.invoke(args=["demo", "load", "--count", "300"])
        assert result.exit_code == 0, result.output
        assert runner.invoke(args=["search", "drain"]).exit_code == 0

    with module_world(tmp_path_factory.mktemp("demo"), load) as (app, _):
        yield app


def _search(app, **query) -> list[dict]:
    results, page = [], 1
    while True:
        answer = app.test_client().get("/api/v1/search", query_string={**query, "page": page})
        assert answer.status_code == 200, answer.json
        results += answer.json["results"]
        if page * answer.json["per_page"] >= answer.json["total"]:
            return results
        page += 1


def test_a_client_near_hoboken_finds_licensed_sciatica_therapists(loaded):
    results = _search(loaded, q="sciatica", near="Hoboken, NJ")
    assert len(results) >= 3
    assert results[0]["distance_miles"] <= 3
    for r in results:
        assert "Sciatica" in r["matched"]["conditions"]
        held = {lic["state"]: lic["status"] for lic in r["licenses"]}
        # Every listed office has a current license in its state; the badge means verified.
        assert held.get(r["office"]["state"]) in ("verified", "pending"), r
        assert r["verified"] == (held[r["office"]["state"]] == "verified")
    assert any(r["verified"] for r in results)


def test_spa_therapists_are_not_offered_for_lymphedema(loaded):
    results = _search(loaded, q="lymphedema", near="Hoboken, NJ")
    assert results
    assert all(r["setting"] != "spa" for r in results)
    assert all("CLT" in (r["credentials"] or "") for r in results)


def _verified_holders(results: list[dict], kind: str) -> list[dict]:
    return [r for r in results
            if any(s["kind"] == kind and s["verified"] for s in r["specialties"])]  # fmt: skip


def test_the_cluster_has_verified_specialists_the_search_routes_to(loaded):
    for kind, need, least in (("prenatal", "massage while pregnant", 3),
                              ("oncology", "massage during chemotherapy", 3),
                              ("clt", "lymphedema", 2)):  # fmt: skip
        held = _search(loaded, near="Hoboken, NJ", radius=25, specialty=kind)
        assert len(held) >= least, kind
        assert _verified_holders(held, kind) == held
        routed = _search(loaded, q=need, near="Hoboken, NJ", radius=25)
        answer = loaded.test_client().get(
            "/api/v1/search", query_string={"q": need, "near": "Hoboken, NJ", "radius": 25}
        )
        assert kind in answer.json["interpretation"]["specialties"], need
        assert routed and _verified_holders(routed, kind) == routed


def test_demo_profiles_show_specialties_as_the_rules_say(loaded):
    client = loaded.test_client()
    with loaded.app_context():
        held = db.session.scalars(select(Specialty)).all()
        # Staff-checked ones have no file; a few pending ones a generated certificate to try
        # the admin queue with (a real, stored PNG the queue can open).
        assert all(s.document is None for s in held if s.status != "pending")
        with_files = [s for s in held if s.document]
        assert 0 < len(with_files) <= demo.DEMO_DOCUMENTS
        assert all(documents.is_valid_name(s.document) for s in with_files)
        for s in with_files:
            assert (documents.folder() / s.document).read_bytes().startswith(b"\x89PNG")
        visible = {(s.practitioner.slug, s.kind, specialties.status(s)) for s in held
                   if s.practitioner.is_publicly_visible}  # fmt: skip
    states = {state for _, _, state in visible}
    assert {"verified", "pending", "rejected", "expired"} <= states
    for state in ("verified", "pending", "rejected", "expired"):
        slug, kind, _ = next(v for v in sorted(visible) if v[2] == state)
        shown = {s["kind"]: s for s in client.get(f"/api/v1/practitioners/{slug}").json[
            "specialties"]}  # fmt: skip
        if state in ("rejected", "expired"):
            assert kind not in shown
        else:
            assert shown[kind]["verified"] == (state == "verified")


def test_load_command(app, runner):
    result = runner.invoke(args=["demo", "load", "--count", "50"])
    assert result.exit_code == 0, result.output
    assert "Loading demo practitioners" in result.output
    assert "50 practitioners" in result.output

    expected = list(generate(50, 42, licensing.today()))
    slugs = set(db.session.scalars(select(Practitioner.slug)))
    assert slugs == {r["slug"] for r in expected}
    assert _count(Tenant) == len({r["tenant"] for r in expected})
    assert _count(License) == sum(len(r["licenses"]) for r in expected)
    assert _count(Specialty) == sum(len(r["specialties"]) for r in expected)
    assert "specialty certificates (" in result.output
    assert _count(Office) == sum(len(r["offices"]) for r in expected)
    assert _count(practitioner_condition) == sum(len(r["conditions"]) for r in expected)
    assert _count(practitioner_modality) == sum(len(r["modalities"]) for r in expected)
    assert _count(SearchOutbox) == 50
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "demo.load")).one()
    assert event.actor_label == "cli:demo"
    assert event.details["count"] == 50 and event.details["seed"] == 42

    record = expected[0]
    practitioner = db.session.scalars(
        select(Practitioner).where(Practitioner.slug == record["slug"])
    ).one()
    assert practitioner.tenant.slug == record["tenant"]
    assert sorted(c.slug for c in practitioner.conditions) == sorted(record["conditions"])
    assert [o.zip for o in practitioner.offices] == [o["zip"] for o in record["offices"]]
    assert practitioner.offices[0].lat == pytest.approx(
        geo.zip_location(record["offices"][0]["zip"])[0]
    )


def test_every_demo_practice_has_an_owner_who_signs_in_and_gets_its_messages(app, client, runner):
    from directory.accounts.models import User
    from directory.demo import DEMO_OWNER_PASSWORD, demo_owner_email
    from directory.mail import MailMessage
    from directory.practices.models import Membership
    from tests.test_inquiries import posted

    assert runner.invoke(args=["demo", "load", "--count", "20"]).exit_code == 0
    tenants = db.session.scalars(select(Tenant)).all()
    owners = db.session.scalars(select(Membership).where(Membership.role == "owner")).all()
    assert sorted(m.tenant_id for m in owners) == sorted(t.id for t in tenants)
    assert _count(User) == len(tenants)
    profile = db.session.scalars(
        select(Practitioner).where(
            Practitioner.published.is_(True), Practitioner.suspended.is_(False)
        )
    ).first()
    owner = demo_owner_email(profile.tenant.slug)
    signed_in = client.post("/login", data={"email": owner, "password": DEMO_OWNER_PASSWORD})
    assert signed_in.status_code == 302 and "/login" not in signed_in.location
    client.post("/logout")
    assert client.post(f"/p/{profile.slug}/inquiry", data=posted()).status_code == 302
    assert db.session.scalar(select(MailMessage.to).where(MailMessage.reply_to != "")) == owner


def test_ordinary_inserts_work_after_a_load(app, runner, make_practitioner):
    assert runner.invoke(args=["demo", "load", "--count", "20"]).exit_code == 0
    practitioner = make_practitioner(
        "new-therapist", licenses=[("NJ", "pending", None)], offices=["07030"]
    )
    assert practitioner.id > 20
    assert _count(Practitioner) == 21


def test_if_empty_skips_a_second_load(app, runner):
    assert runner.invoke(args=["demo", "load", "--count", "50"]).exit_code == 0
    result = runner.invoke(args=["demo", "load", "--count", "50", "--if-empty"])
    assert result.exit_code == 0
    assert "Database already has 50 practitioner(s); demo data not loaded." in result.output
    assert _count(Practitioner) == 50


def test_second_load_without_if_empty_fails_and_adds_nothing(app, runner):
    assert runner.invoke(args=["demo", "load", "--count", "30"]).exit_code == 0
    result = runner.invoke(args=["demo", "load", "--count", "30", "--seed", "9"])
    assert result.exit_code == 1
    assert "Database already has 30 practitioner(s)" in result.output
    assert _count(Practitioner) == 30
    assert _count(SearchOutbox) == 30


def test_if_empty_loads_into_an_empty_directory(app, runner):
    result = runner.invoke(args=["demo", "load", "--count", "5", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert _count(Practitioner) == 5


@pytest.mark.parametrize("count", ["0", str(MAX_COUNT + 1), "many"])
def test_count_out_of_range(app, runner, count):
    result = runner.invoke(args=["demo", "load", "--count", count])
    assert result.exit_code == 2
    assert _count(Practitioner) == 0


def test_a_few_demo_profiles_have_a_drawn_photo_served_while_public(app, client, runner):
    from directory.practitioners import photos
    from directory.practitioners.models import Practitioner

    result = runner.invoke(args=["demo", "load", "--count", "80", "--seed", "3"])
    assert result.exit_code == 0, result.output
    with_photo = list(
        db.session.scalars(select(Practitioner).where(Practitioner.photo.is_not(None)))
    )
    assert 2 <= len(with_photo) <= 20
    for p in with_photo:
        assert (photos.folder() / p.photo).exists()
    shown = next(p for p in with_photo if p.is_publicly_visible)
    with client.get(f"/media/{shown.photo}") as served:
        assert served.status_code == 200 and served.mimetype == "image/png"
    page = client.get(f"/p/{shown.slug}").get_data(as_text=True)
    assert f"/media/{shown.photo}" in page
