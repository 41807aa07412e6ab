"""What the public reads of a therapist's specialty certificates (issue 22; DESIGN.md,
"Specialty credentials"): the profile JSON and page, the profile's JSON-LD and the practice
page's cards. A verified, current certificate earns a badge; a pending one is said as pending,
never as a badge; a rejected or expired one is not shown at all, and no certificate number,
document or free-text credential earns anything."""

import json
import re
from datetime import date, timedelta

import pytest

from directory.db import db
from tests.people import practice

LAPSED = date.today() - timedelta(days=1)
LATER = date.today() + timedelta(days=400)


@pytest.fixture
def alexa(make_practitioner):
    """A therapist with one certificate in each state: verified (CLT), verified but expired
    (oncology), pending (prenatal) and rejected (geriatric), each from an issuer of its own."""
    hand = practice("crafted-hand", "The Crafted Hand", kind="clinic")
    p = make_practitioner(
        "alexa-marie", tenant=hand, name="Alexa Marie", credentials="LMT, CLT, NMT",
        licenses=[("NJ", "verified", LATER)], offices=["07030"],
        specialties=[("clt", "verified", LATER), ("oncology", "verified", LAPSED),
                     ("prenatal", "pending", None), ("geriatric", "rejected", None)],
    )  # fmt: skip
    issuers = {"clt": "Klose Training", "oncology": "Lapsed Oncology School",
               "prenatal": "Carole Osborne Pre- and Perinatal",
               "geriatric": "Rejected Academy"}  # fmt: skip
    for record in p.specialties:
        record.issuer = issuers[record.kind]
        record.number = f"SECRET-{record.kind.upper()}-4417"
        record.document = f"private-{record.kind}.pdf"
    db.session.commit()
    return p


HIDDEN = ("Lapsed Oncology School", "Oncology massage", "Rejected Academy", "Geriatric massage",
          "SECRET-", "private-")  # fmt: skip


def test_profile_json_carries_verified_and_pending_never_rejected_or_expired(client, alexa):
    body = client.get("/api/v1/practitioners/alexa-marie").get_json()
    assert body["specialties"] == [
        {"kind": "clt", "name": "Certified lymphedema therapist (CLT)", "issuer": "Klose Training",
         "verified": True},
        {"kind": "prenatal", "name": "Prenatal and postpartum massage",
         "issuer": "Carole Osborne Pre- and Perinatal", "verified": False},
    ]  # fmt: skip
    text = json.dumps(body)
    for hidden in HIDDEN:
        assert hidden not in text, hidden


def test_profile_json_without_specialties_says_so(client, make_practitioner):
    make_practitioner("bo-chen", licenses=[("NJ", "verified", None)], offices=["07030"])
    assert client.get("/api/v1/practitioners/bo-chen").get_json()["specialties"] == []


def _section(html: str, heading: str) -> str:
    start = html.index(f"<h2>{heading}</h2>")
    return html[start : html.index("</section>", start)]


def test_profile_page_badges_verified_and_labels_pending(client, alexa):
    html = client.get("/p/alexa-marie").get_data(as_text=True)
    shown = _section(html, "Specialty certificates")
    badge = r'<span class="badge badge-verified badge-specialty"[^>]*>([^<]+)</span>'
    badges = re.findall(badge, shown)
    assert badges == ["Certified lymphedema therapist (CLT) · verified"]
    assert "from Klose Training" in shown
    # Pending: said, with its issuer, and not as a badge.
    assert "<strong>Prenatal and postpartum massage</strong> · " in shown
    assert "pending check" in shown and "Carole Osborne Pre- and Perinatal" in shown
    assert "Prenatal and postpartum massage · verified" not in html
    # Near the licenses: the section follows theirs.
    assert html.index("<h2>Licenses</h2>") < html.index("<h2>Specialty certificates</h2>")
    for hidden in HIDDEN:
        assert hidden not in html, hidden


def test_profile_page_has_no_specialty_section_without_any_shown(client, make_practitioner):
    make_practitioner(
        "bo-chen", credentials="LMT, CLT", licenses=[("NJ", "verified", None)],
        offices=["07030"], specialties=[("clt", "rejected", None)],
    )  # fmt: skip
    html = client.get("/p/bo-chen").get_data(as_text=True)
    # The free-text credentials line is shown as written and earns nothing.
    assert "LMT, CLT" in html
    assert "Specialty certificates" not in html and "· verified" not in html


def _json_ld(html: str) -> dict:
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block)


def test_json_ld_has_a_certificate_only_for_the_verified_current_specialty(client, alexa):
    data = _json_ld(client.get("/p/alexa-marie").get_data(as_text=True))
    certificates = [c for c in data["hasCredential"] if c["credentialCategory"] == "certificate"]
    assert certificates == [
        {
            "@type": "EducationalOccupationalCredential",
            "credentialCategory": "certificate",
            "name": "Certified lymphedema therapist (CLT)",
            "recognizedBy": {"@type": "Organization", "name": "Klose Training"},
        }
    ]
    # The license is still there beside it.
    assert [c["credentialCategory"] for c in data["hasCredential"]] == ["license", "certificate"]


def test_practice_cards_badge_only_verified_specialties(client, alexa):
    for path in ("/t/crafted-hand", "/t/crafted-hand/embed"):
        html = client.get(path).get_data(as_text=True)
        assert "Certified lymphedema therapist (CLT) · verified" in html, path
        for hidden in ("Prenatal", "pending check", *HIDDEN):
            assert hidden not in html, (path, hidden)


def test_a_lapsed_or_reopened_certificate_loses_its_badge_everywhere(client, alexa):
    clt = next(s for s in alexa.specialties if s.kind == "clt")
    clt.expires_on = LAPSED
    db.session.commit()
    body = client.get("/api/v1/practitioners/alexa-marie").get_json()
    assert [s["kind"] for s in body["specialties"]] == ["prenatal"]
    html = client.get("/p/alexa-marie").get_data(as_text=True)
    assert "· verified" not in html and "Klose Training" not in html
    data = _json_ld(html)
    assert all(c["credentialCategory"] == "license" for c in data["hasCredential"])
    assert "· verified" not in client.get("/t/crafted-hand").get_data(as_text=True)
