"""States that do not license massage (Kansas, Minnesota, Wyoming in states.json) never show a
license badge: not on the profile, not in its JSON, not in search, whatever a license's status
says (issue 26, item 4)."""

import re

import pytest

from directory import licensing


@pytest.mark.parametrize(("state", "zip_code"), [("KS", "66044"), ("MN", "55401"), ("WY", "82001")])
def test_no_license_badge_where_the_state_does_not_license(client, make_practitioner, state,
                                                           zip_code):  # fmt: skip
    assert not licensing.licenses_massage(state)
    make_practitioner("kay-plains", name="Kay Plains", licenses=[(state, "verified", None)],
                      offices=[zip_code])  # fmt: skip
    html = client.get("/p/kay-plains").get_data(as_text=True)
    assert f"Verified {state} license" not in html and ">Verified</span> expires" not in html
    assert "does not license massage therapists" in html
    found = client.get("/api/v1/search", query_string={"near": zip_code}).get_json()
    hits = [r for r in found["results"] if r["slug"] == "kay-plains"]
    assert hits and all(not r["verified"] for r in hits)
    assert client.get("/api/v1/search", query_string={"near": zip_code, "verified": "1"}
                      ).get_json()["results"] == []  # fmt: skip


def test_a_licensing_state_still_shows_its_badge(client, make_practitioner):
    make_practitioner("nia-jersey", name="Nia Jersey", licenses=[("NJ", "verified", None)],
                      offices=["07030"])  # fmt: skip
    html = client.get("/p/nia-jersey").get_data(as_text=True)
    assert "Verified NJ license" in html and "does not license" not in html
    found = client.get("/api/v1/search", query_string={"near": "07030", "verified": "1"}).get_json()
    assert [r["verified"] for r in found["results"]] == [True]


def _kansas(make_practitioner):
    from datetime import date

    from directory.db import db

    p = make_practitioner("kay-plains", name="Kay Plains", licenses=[("KS", "verified", None)],
                          offices=["66044"])  # fmt: skip
    licensing.record_check(p.licenses[0], method="staff", on=date(2026, 1, 5))
    db.session.commit()
    return p


def test_no_badge_on_the_search_card(client, make_practitioner):
    _kansas(make_practitioner)
    html = client.get("/search", query_string={"near": "66044"}).get_data(as_text=True)
    card = html[html.index('id="card-') :]
    assert "Kay Plains" in card
    assert "KS license verified" not in card and "Verified KS license" not in card
    assert "Checked by our staff" not in card
    assert "Kansas does not license massage therapists" in card


def test_no_badge_in_the_profile_json(client, make_practitioner):
    _kansas(make_practitioner)
    found = client.get("/api/v1/practitioners/kay-plains").get_json()
    assert [o["verified"] for o in found["offices"]] == [False]
    # What the license truly is: no "verified" status, no verification claimed.
    [lic] = found["licenses"]
    assert (lic["state"], lic["status"], lic["verification"]) == ("KS", "unregulated", None)
    [hit] = client.get("/api/v1/search", query_string={"near": "66044"}).get_json()["results"]
    assert [(x["status"], x["verification"]) for x in hit["licenses"]] == [("unregulated", None)]


def test_the_openapi_document_names_the_unregulated_status(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    profile = schemas["Profile"]["properties"]["licenses"]["items"]["properties"]["status"]
    assert "unregulated" in profile["enum"] and "does not license" in profile["description"]


def test_the_editor_says_the_state_does_not_license(client, make_practitioner, make_user):
    from tests.people import log_in

    p = _kansas(make_practitioner)
    log_in(client, make_user(tenant=p.tenant))
    page = client.get("/dashboard/profiles/kay-plains/licenses").get_data(as_text=True)
    row = page[page.index('<ul class="row-list">') : page.index("</ul>", page.index("row-list"))]
    assert "Kansas does not license massage therapists" in row and "Verified" not in row


def test_no_badge_in_hsds_nor_in_the_pages_structured_data(client, make_practitioner):
    p = _kansas(make_practitioner)
    record = client.get(f"/hsds/services/{p.public_id}").get_json()
    assert "assured_date" not in record or record["assured_date"] is None
    codes = [a["taxonomy_term"]["code"] for a in record["attributes"]
             if a["link_type"] == "license"]  # fmt: skip
    assert codes == ["KS"]  # the state's term, no status: there is no license to verify
    assert "verified" not in record["licenses"]
    assert "Kansas does not license massage therapists" in record["licenses"]
    page = client.get("/p/kay-plains").get_data(as_text=True)
    assert "Kansas massage therapy license" not in page  # no credential in the JSON-LD


def test_new_yorks_date_is_the_registrations_end_in_the_editor_and_on_the_profile(
    client, make_practitioner, make_user
):
    """NY licenses for life; its date is the end of the triennial registration."""
    from datetime import date

    from tests.people import log_in

    later = date(2029, 6, 30)
    held = [("NY", "verified", later), ("NJ", "pending", later)]
    ny = make_practitioner("nora-york", name="Nora York", offices=["10001"], licenses=held)

    def dates(path):
        page = " ".join(client.get(path).get_data(as_text=True).split())
        return sorted(re.findall(r"(registered until|expires) [A-Z][a-z]+ \d+, 2029", page))

    assert dates("/p/nora-york") == ["expires", "registered until"]
    log_in(client, make_user(tenant=ny.tenant))
    base = "/dashboard/profiles/nora-york/licenses"
    assert dates(base) == ["expires", "registered until"]
    by_state = {lic.state: lic.id for lic in ny.licenses}
    editing_ny = client.get(f"{base}/{by_state['NY']}/edit").get_data(as_text=True)
    assert "Registered until" in editing_ny and "Expires on" not in editing_ny
    editing_nj = client.get(f"{base}/{by_state['NJ']}/edit").get_data(as_text=True)
    assert "Expires on" in editing_nj and "Registered until" not in editing_nj
