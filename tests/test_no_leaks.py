"""Nothing private leaks through what crawlers and developers read (issue 15, item 6): a world
with an unpublished, a suspended and a deleted-practice profile, a suspended practice, an email
not opted in, a rejected license, and specialty certificates rejected, expired or with a number
and a private document; then every page the sitemaps list, the landing pages, the
search page and API, the profile JSON, the practice page and its embed, robots.txt, the
OpenAPI document, the HSDS export's files and the /hsds/ API are read, and none may name any of
them."""

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from directory.db import db
from directory.practices.models import Tenant
from directory.practitioners.models import License, Practitioner, Specialty
from tests.conftest import add_practitioner, module_world, tag

#: Strings that must appear nowhere public.
SECRETS = (
    "una-unpublished", "Una Unpublished",
    "sam-suspended", "Sam Suspended",
    "dee-deleted", "Dee Deleted", "gone-spa",
    "pat-paused", "Pat Paused", "paused-clinic", "Gone Spa", "Paused Clinic",
    "Hidden Lane",  # the hidden profiles' offices (each on a street of its own)
    "vera.private@example.com",
    "913577",  # Vera's rejected New York license number
    # Specialty certificates: never a number or a document; never a rejected or expired one;
    # nothing of a hidden profile's.
    "CLT-5150", "clt-evidence-5150.pdf", "Refused Weekend Prenatal Course",
    "Lapsed Oncology Training", "Hidden Profile Geriatric School",
)  # fmt: skip


def _build() -> None:
    hand = Tenant(slug="open-hand", name="Open Hand")
    gone = Tenant(slug="gone-spa", name="Gone Spa", status="deleted")
    paused = Tenant(slug="paused-clinic", name="Paused Clinic", status="suspended")
    nj = [("NJ", "verified", None)]
    people = [
        ("vera-visible", hand, {"contact_email": "vera.private@example.com"}),
        ("viv-visible", hand, {}),
        ("val-visible", hand, {}),
        ("una-unpublished", hand, {"published": False}),
        ("sam-suspended", hand, {"suspended": True, "suspended_reason": "complaint"}),
        ("dee-deleted", gone, {}),
        ("pat-paused", paused, {}),
    ]
    for number, (slug, tenant, extra) in enumerate(people):
        p = add_practitioner(slug, tenant=tenant, licenses=nj, offices=["07030"], **extra)
        if not p.is_publicly_visible:
            p.offices[0].street = f"{number} Hidden Lane"
        tag(p, conditions=["sciatica"], modalities=["deep-tissue-massage"])
    vera = db.session.scalar(select(Practitioner).filter_by(slug="vera-visible"))
    vera.specialties += [
        Specialty(kind="clt", issuer="Klose Training", number="CLT-5150", status="verified",
                  document="clt-evidence-5150.pdf"),
        Specialty(kind="prenatal", issuer="Refused Weekend Prenatal Course", status="rejected"),
        Specialty(kind="oncology", issuer="Lapsed Oncology Training", status="verified",
                  expires_on=date.today() - timedelta(days=2)),
    ]  # fmt: skip
    una = db.session.scalar(select(Practitioner).filter_by(slug="una-unpublished"))
    una.specialties.append(
        Specialty(kind="geriatric", issuer="Hidden Profile Geriatric School", status="verified")
    )
    vera.licenses.append(
        License(state="NY", number="913577", status="rejected",
                expires_on=date.today() + timedelta(days=300))
    )  # fmt: skip
    db.session.commit()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("leaks")
    with module_world(folder, _build, PUBLIC_URL="https://kneaded.example") as (app, _):
        yield app


def _public_paths(client) -> list[str]:
    """Every path the sitemaps list, and the other public reads of the same data."""
    paths = [
        "/", "/robots.txt", "/sitemap.xml", "/massage/nj", "/massage/nj/hoboken",
        "/massage/nj/hoboken/sciatica", "/massage/nj/hoboken/deep-tissue-massage",
        "/search?q=sciatica&near=Hoboken,+NJ", "/search?near=07030&per_page=50",
        "/api/v1/search?q=sciatica&near=Hoboken,+NJ&per_page=50", "/api/v1/search?near=NJ",
        "/api/v1/openapi.json", "/t/open-hand", "/t/open-hand/embed",
        "/p/vera-visible", "/api/v1/practitioners/vera-visible",
    ]  # fmt: skip
    index = client.get("/sitemap.xml").get_data(as_text=True)
    for child in re.findall(r"<loc>https://kneaded\.example([^<]+)</loc>", index):
        paths.append(child)
        urls = client.get(child).get_data(as_text=True)
        paths += re.findall(r"<loc>https://kneaded\.example([^<]+)</loc>", urls)
    return paths


def test_no_public_page_or_answer_names_anything_private(world):
    client = world.test_client()
    paths = _public_paths(client)
    assert "/p/vera-visible" in paths and "/sitemaps/profiles-1.xml" in paths
    assert len(paths) > 20
    # Not vacuous: Vera's verified certificate is shown, by name and issuer.
    profile = client.get("/p/vera-visible").get_data(as_text=True)
    assert "Certified lymphedema therapist (CLT) · verified" in profile
    assert "Klose Training" in profile
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in body, f"{path} shows {secret!r}"


def test_the_hsds_export_and_api_name_nothing_private(world, tmp_path):
    out = tmp_path / "hsds"
    result = world.test_cli_runner().invoke(args=["export", "hsds", str(out)])
    assert result.exit_code == 0, result.output
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 20
    client = world.test_client()
    services = client.get("/hsds/services?full=true&per_page=100").get_json()["contents"]
    assert {s["url"].rsplit("/", 1)[1] for s in services} == {
        "vera-visible", "viv-visible", "val-visible",
    }  # fmt: skip
    answers = {
        path: client.get(path).get_data(as_text=True)
        for path in (
            "/hsds/", "/hsds/services?per_page=100", "/hsds/services?full=true&per_page=100",
            "/hsds/services?search=sciatica", "/hsds/organizations?full=true&full_service=true",
            *(f"/hsds/services/{s['id']}" for s in services),
            *(f"/hsds/organizations/{s['organization_id']}?full_service=true"
              for s in services),
        )
    }  # fmt: skip
    answers |= {str(p): p.read_text(encoding="utf-8") for p in files}
    hidden = db.session.scalars(select(Practitioner).where(Practitioner.slug.in_(
        ("una-unpublished", "sam-suspended", "dee-deleted", "pat-paused")))).all()  # fmt: skip
    hidden_ids = {str(p.public_id) for p in hidden}
    hidden_ids |= {str(t.public_id) for t in db.session.scalars(
        select(Tenant).where(Tenant.slug.in_(("gone-spa", "paused-clinic"))))}  # fmt: skip
    assert len(hidden_ids) == 6
    for where, body in answers.items():
        for secret in (*SECRETS, *hidden_ids):
            assert secret not in body, f"{where} shows {secret!r}"
    # Open Hand's summary counts its 3 public therapists, not the 5 it has.
    organizations = json.loads((out / "organizations.json").read_text())
    assert [o["description"] for o in organizations] == [
        "Open Hand: private practice with 3 massage therapists listed."
    ]


def test_hidden_profiles_and_practices_are_404_everywhere(world):
    client = world.test_client()
    for slug in ("una-unpublished", "sam-suspended", "dee-deleted", "pat-paused"):
        assert client.get(f"/p/{slug}").status_code == 404
        assert client.get(f"/api/v1/practitioners/{slug}").status_code == 404
    for slug in ("gone-spa", "paused-clinic"):
        assert client.get(f"/t/{slug}").status_code == 404
    hidden = db.session.scalars(
        select(Practitioner).where(Practitioner.slug.in_(
            ("una-unpublished", "sam-suspended", "dee-deleted", "pat-paused")))
    ).all()  # fmt: skip
    assert len(hidden) == 4
    for p in hidden:
        assert client.get(f"/hsds/services/{p.public_id}").status_code == 404
        assert client.get(f"/hsds/organizations/{p.tenant.public_id}").status_code == (
            200 if p.tenant.slug == "open-hand" else 404
        )
