"""The dashboard, the readiness messages behind it, and the one tenancy check."""

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from directory import tenancy
from directory.db import db
from directory.practices.models import Membership
from directory.practitioners import readiness
from directory.practitioners.models import Practitioner
from tests.conftest import tag
from tests.people import build_crew, log_in, new_user

LATER = date.today() + timedelta(days=365)
YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def crew(make_practitioner):
    return build_crew(make_practitioner)


def page(client, path="/dashboard") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return " ".join(response.get_data(as_text=True).split())


# --- readiness, without HTTP -------------------------------------------------------------------


def codes(practitioner) -> list[str]:
    return [issue.code for issue in readiness.visibility(practitioner).issues]


def messages(practitioner) -> str:
    return " ".join(issue.message for issue in readiness.visibility(practitioner).issues)


def test_a_complete_published_profile_is_public_and_searchable(make_practitioner):
    p = make_practitioner("ok", licenses=[("NJ", "verified", LATER)], offices=["07030"])
    vis = readiness.visibility(p)
    assert (vis.public, vis.searchable, vis.issues) == (True, True, [])
    assert vis.summary == "Public and in search"


def test_unpublished_says_so(make_practitioner):
    p = make_practitioner("draft", published=False, licenses=[("NJ", "verified", LATER)],
                          offices=["07030"])  # fmt: skip
    assert codes(p) == ["unpublished"]
    assert "Not published" in messages(p)
    assert not readiness.visibility(p).public


def test_suspended_gives_the_reason(make_practitioner):
    p = make_practitioner("sus", suspended=True, suspended_reason="License under review",
                          licenses=[("NJ", "verified", LATER)], offices=["07030"])  # fmt: skip
    assert codes(p) == ["suspended"]
    assert "Suspended by the directory: License under review." in messages(p)


def test_practice_suspended_names_the_practice(make_practitioner):
    p = make_practitioner("in-sus", licenses=[("NJ", "verified", LATER)], offices=["07030"])
    p.tenant.status, p.tenant.status_reason = "suspended", "unpaid invoices"
    db.session.commit()
    assert codes(p) == ["practice_suspended"]
    assert "Your practice The Crafted Hand is suspended: unpaid invoices." in messages(p)


def test_no_license_on_file(make_practitioner):
    p = make_practitioner("nolic", offices=["07030"])
    assert codes(p) == ["no_license", "no_current_license"]
    assert "No license on file" in messages(p)
    vis = readiness.visibility(p)
    assert vis.public and not vis.searchable
    assert vis.summary == "Public page only: not in search"


def test_office_in_a_state_without_a_license_names_the_state(make_practitioner):
    p = make_practitioner(
        "two-states", licenses=[("NJ", "verified", LATER)], offices=["07030", "10001"]
    )
    assert codes(p) == ["no_current_license"]
    assert "No current license for New York (no New York license on file)" in messages(p)
    assert "New York" in messages(p) and "is not listed in search" in messages(p)
    assert readiness.visibility(p).searchable  # the NJ office still is


def test_expired_and_rejected_licenses_say_which(make_practitioner):
    p = make_practitioner(
        "lapsed", licenses=[("NJ", "verified", YESTERDAY), ("NY", "rejected", LATER)],
        offices=["07030", "10001"],
    )  # fmt: skip
    text = messages(p)
    assert f"your New Jersey license expired on {YESTERDAY.isoformat()}" in text
    assert "your New York license could not be verified" in text
    assert not readiness.visibility(p).searchable


def test_pending_license_only_affects_the_badge(make_practitioner):
    p = make_practitioner("pend", licenses=[("NJ", "pending", LATER)], offices=["07030"])
    assert codes(p) == ["pending"]
    issue = readiness.visibility(p).issues[0]
    assert issue.effect == readiness.BADGE
    assert "only affects the Verified badge" in issue.message
    vis = readiness.visibility(p)
    assert vis.public and vis.searchable


def test_no_office(make_practitioner):
    p = make_practitioner("nowhere", licenses=[("NJ", "verified", LATER)])
    assert codes(p) == ["no_office"]
    assert not readiness.visibility(p).searchable


def test_completeness_lists_what_is_missing(make_practitioner):
    p = make_practitioner("bare")
    result = readiness.completeness(p)
    assert (result.done, result.total) == (0, 7)
    assert result.missing == [
        "a headline", "a bio", "at least one condition", "at least one modality", "an office",
        "a license", "a way to contact you (email, phone or website)",
    ]  # fmt: skip
    full = tag(
        make_practitioner("full", headline="H", bio="B", phone="201 555 0143",
                          licenses=[("NJ", "pending", LATER)], offices=["07030"]),
        conditions=["sciatica"], modalities=["swedish-massage"],
    )  # fmt: skip
    assert readiness.completeness(full).missing == []
    assert readiness.completeness(full).percent == 100


def test_publish_blockers(make_practitioner):
    p = make_practitioner("blocked", published=False)
    assert readiness.publish_blockers(p) == [
        "Add a headline.",
        "Add your license.",
        "Add a way to contact you (email, phone or website).",
    ]
    ready = make_practitioner(
        "ready", published=False, headline="H", website="https://x.example",
        licenses=[("NJ", "pending", LATER)],
    )  # fmt: skip
    assert readiness.publish_blockers(ready) == []
    ready.suspended = True
    assert readiness.publish_blockers(ready) == ["It is suspended by the directory."]


# --- the tenancy module -----------------------------------------------------------------------


def test_memberships_and_editable_profiles(crew):
    owner = crew["owner"]
    (membership,) = tenancy.memberships_of(owner)
    assert membership.tenant.slug == "crafted-hand" and membership.role == "owner"
    assert [p.slug for p in tenancy.editable_profiles(owner, membership)] == [
        "alexa-marie", "bo-chen",
    ]  # fmt: skip
    (mine,) = tenancy.memberships_of(crew["alexa"])
    assert [p.slug for p in tenancy.editable_profiles(crew["alexa"], mine)] == ["alexa-marie"]


def test_deleted_practices_are_not_listed(crew):
    crew["hand"].status = "deleted"
    db.session.commit()
    assert tenancy.memberships_of(crew["owner"]) == []


# --- the dashboard page -----------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/dashboard"]


def test_a_therapist_sees_their_own_profile_with_what_it_needs(client, crew):
    log_in(client, crew["alexa"])
    text = page(client)
    assert "The Crafted Hand" in text and "Therapist" in text
    assert "/dashboard/profiles/alexa-marie/edit" in text
    assert "bo-chen" not in text and "zed-spa" not in text
    assert "Public and in search" in text
    assert "Missing: a headline, a bio" in text
    assert 'NJ <span class="badge badge-verified">Verified</span>' in text
    # Dates people read are written by Babel for the page's language (en_US: "Dec 7, 2027").
    assert f"expires {LATER:%b} {LATER.day}, {LATER.year}" in text
    assert "Last updated" in text
    assert "Create my profile" not in text


def test_the_dashboard_says_why_a_profile_is_not_visible(client, crew):
    p = crew["p_alexa"]
    p.published = False
    p.suspended, p.suspended_reason = True, "complaint under review"
    db.session.commit()
    log_in(client, crew["alexa"])
    text = page(client)
    assert "Not public" in text
    assert "Not published" in text
    assert "Suspended by the directory: complaint under review." in text


def test_owner_sees_every_profile_and_may_create_their_own(client, crew):
    log_in(client, crew["owner"])
    text = page(client)
    assert "alexa-marie" in text and "bo-chen" in text and "zed-spa" not in text
    assert "Create my profile" in text
    assert 'action="/dashboard/practices/crafted-hand/profile"' in text


def test_create_my_profile_makes_a_private_draft(client, crew):
    crew["owner"].name = "Alexa Marie"  # the slug is taken: a suffix makes it unique
    db.session.commit()
    log_in(client, crew["owner"])
    response = client.post("/dashboard/practices/crafted-hand/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/profiles/alexa-marie-2/edit"
    draft = db.session.scalar(select(Practitioner).where(Practitioner.slug == "alexa-marie-2"))
    assert draft.user_id == crew["owner"].id
    assert draft.tenant_id == crew["hand"].id
    assert (draft.name, draft.setting, draft.published) == ("Alexa Marie", "medical", False)
    assert client.get("/p/alexa-marie-2").status_code == 404
    # A second press goes to the same draft instead of making another.
    again = client.post("/dashboard/practices/crafted-hand/profile")
    assert again.headers["Location"] == "/dashboard/profiles/alexa-marie-2/edit"
    assert db.session.query(Practitioner).filter_by(user_id=crew["owner"].id).count() == 1
    assert "Create my profile" not in page(client)


def test_only_owners_and_managers_create_profiles(client, crew):
    log_in(client, crew["alexa"])
    assert client.post("/dashboard/practices/crafted-hand/profile").status_code == 403
    assert client.post("/dashboard/practices/other-spa/profile").status_code == 404
    assert client.post("/dashboard/practices/" + "x" * 300 + "/profile").status_code == 404
    log_in(client, crew["manager"])
    assert client.post("/dashboard/practices/crafted-hand/profile").status_code == 302


def test_anonymous_create_is_sent_to_sign_in(client, crew):
    response = client.post("/dashboard/practices/crafted-hand/profile")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert db.session.query(Practitioner).count() == 3


def test_roles_are_read_again_on_every_request(client, crew):
    log_in(client, crew["manager"])
    assert client.get("/dashboard/profiles/bo-chen/edit").status_code == 200
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == crew["manager"].id)
    )
    membership.role = "therapist"
    db.session.commit()
    assert client.get("/dashboard/profiles/bo-chen/edit").status_code == 403
    db.session.delete(membership)
    db.session.commit()
    assert client.get("/dashboard/profiles/bo-chen/edit").status_code == 404
    assert "Crafted Hand" not in page(client)


def test_a_user_without_practices_gets_an_explanation(client, app):
    log_in(client, new_user("lonely@example.com"))
    assert "not a member of any practice" in page(client)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Zoë Ñúñez", "zoe-nunez"),
        ("", "new-therapist"),
        ("李小龙", "therapist"),
        ("Bo Chen", "bo-chen-2"),
    ],
)
def test_draft_slugs_come_from_the_name_and_are_unique(crew, name, slug):
    from directory.practitioners import operations

    crew["owner"].name = name
    draft = operations.create_draft(crew["hand"], crew["owner"])
    db.session.commit()
    assert draft.slug == slug
    assert draft.name == (name or "New therapist")


def test_accepting_new_clients_is_confirmed_from_the_dashboard_and_shown_honestly(
    app, client, crew
):
    from datetime import timedelta

    from directory.db import now_utc
    from directory.practitioners.models import Practitioner
    from tests.people import log_in

    alexa = db.session.get(Practitioner, crew["p_alexa"].id)
    alexa.accepting_confirmed_at = now_utc() - timedelta(days=91)
    db.session.commit()
    profile = client.get("/p/alexa-marie").get_data(as_text=True)
    assert "Accepting new clients" in profile and "(not confirmed recently)" in profile

    log_in(client, crew["alexa"])
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Are you accepting new clients?" in dashboard and "3 months" not in dashboard
    assert client.post("/dashboard/profiles/alexa-marie/accepting",
                       data={"accepting": "maybe"}).status_code == 400  # fmt: skip
    response = client.post("/dashboard/profiles/alexa-marie/accepting", data={"accepting": "yes"})
    assert response.status_code == 302
    profile = client.get("/p/alexa-marie").get_data(as_text=True)
    assert "(confirmed just now)" in profile
    assert "Are you accepting new clients?" not in client.get("/dashboard").get_data(as_text=True)

    client.post("/dashboard/profiles/alexa-marie/accepting", data={"accepting": "no"})
    profile = client.get("/p/alexa-marie").get_data(as_text=True)
    assert "Not accepting new clients" in profile and "(confirmed just now)" in profile
    # Each answer is in the practice's audit log, by whom and what it said before.
    from directory.audit import AuditEvent

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.subject_id == "alexa-marie").order_by(AuditEvent.id)
    ).all()
    answers = [(e.action, e.actor_id, e.tenant_id, e.details["before"]) for e in events
               if e.action.endswith("accepting_confirmed")]  # fmt: skip
    assert answers == [
        ("profile.accepting_confirmed", crew["alexa"].id, alexa.tenant_id, "accepting"),
        ("profile.not_accepting_confirmed", crew["alexa"].id, alexa.tenant_id, "accepting"),
    ]


def test_changing_accepting_in_the_editor_confirms_it(app, crew):
    from directory.practitioners import operations
    from directory.practitioners.models import Practitioner

    alexa = db.session.get(Practitioner, crew["p_alexa"].id)
    assert alexa.accepting_confirmed_at is None and not alexa.accepting_confirmed_recently
    operations.update_profile(alexa, {"headline": "New headline"})
    assert alexa.accepting_confirmed_at is None  # another field: nothing confirmed
    operations.update_profile(alexa, {"accepting_new_clients": False})
    assert alexa.accepting_confirmed_recently
