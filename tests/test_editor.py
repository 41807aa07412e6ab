"""The profile editor: fields, offices, licenses, photos, publishing, and that nothing is lost."""

import io
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from directory import images
from directory.accounts.models import User
from directory.audit import AuditEvent
from directory.db import db, now_utc
from directory.practitioners import operations, photos
from directory.practitioners.models import License, Office, Practitioner
from directory.search.outbox import SearchOutbox
from tests.conftest import tag
from tests.html_forms import form_fields, with_values
from tests.people import build_crew, log_in
from tests.test_images import png_declaring

LATER = date.today() + timedelta(days=365)
SLUG = "alexa-marie"
BASE = f"/dashboard/profiles/{SLUG}"
EDIT = f"{BASE}/edit"


@pytest.fixture
def crew(make_practitioner):
    return build_crew(make_practitioner)


@pytest.fixture
def alexa(client, crew):
    """Alexa signed in, editing her own profile."""
    log_in(client, crew["alexa"])
    return crew["p_alexa"]


def text_of(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def opened(client, path: str, action: str | None = None):
    """The form on `path` (posting to `action`, default `path`) as a browser would send it."""
    response = client.get(path)
    assert response.status_code == 200
    return form_fields(response.get_data(as_text=True), action or path)


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def snapshot(p: Practitioner) -> dict:
    p = reload(p)
    return {
        **{c.key: getattr(p, c.key) for c in Practitioner.__table__.columns},
        "conditions": [c.slug for c in p.conditions],
        "modalities": [m.slug for m in p.modalities],
        "licenses": [(x.state, x.number, x.expires_on, x.status) for x in p.licenses],
        "offices": [(o.street, o.city, o.state, o.zip) for o in p.offices],
    }


# --- the profile form -------------------------------------------------------------------------


def test_every_public_field_is_saved(client, alexa):
    fields = with_values(
        opened(client, EDIT),
        name="Alexa Marie",
        credentials="LMT, NCBTMB",
        headline="Medical massage for sciatica",
        bio="First paragraph.\r\n\r\nSecond paragraph.",
        setting="both",
        conditions=["", "sciatica", "frozen-shoulder"],
        modalities=["", "myofascial-release"],
        languages="spanish, Portuguese, Spanish",
        accepting_new_clients=["0"],
        in_home=["0", "1"],
        price_min="90",
        price_max="140",
        session_lengths=["", "60", "90"],
        insurance_notes="PIP claims accepted",
        accepts_physician_referrals=["0", "1"],
        hsa_fsa=["0", "1"],
        contact_email="alexa@example.com",
        phone="(201) 555-0143",
        website="https://alexa.example.com/",
    )
    response = client.post(EDIT, data=fields)
    assert response.status_code == 302
    assert response.headers["Location"] == EDIT
    assert "Profile saved." in text_of(client.get(EDIT))
    p = reload(alexa)
    assert (p.credentials, p.headline, p.setting) == (
        "LMT, NCBTMB", "Medical massage for sciatica", "both",
    )  # fmt: skip
    assert p.bio == "First paragraph.\n\nSecond paragraph."  # sent as CRLF, stored as LF
    assert [c.slug for c in p.conditions] == ["frozen-shoulder", "sciatica"]
    assert [m.slug for m in p.modalities] == ["myofascial-release"]
    assert p.languages == ["Spanish", "Portuguese"]
    assert (p.accepting_new_clients, p.in_home) == (False, True)
    assert (p.price_min, p.price_max, p.session_lengths) == (90, 140, [60, 90])
    assert (p.accepts_physician_referrals, p.hsa_fsa) == (True, True)
    assert (p.contact_email, p.phone, p.website) == (
        "alexa@example.com", "(201) 555-0143", "https://alexa.example.com/",
    )  # fmt: skip
    assert p.version == 2
    # What was saved is what the form shows next time.
    again = opened(client, EDIT)
    assert again.getlist("conditions") == ["", "frozen-shoulder", "sciatica"]
    assert again["languages"] == "Spanish, Portuguese"
    assert again.getlist("accepting_new_clients") == ["0"]
    assert again.getlist("in_home") == ["0", "1"]
    assert again["version"] == "2"


@pytest.mark.parametrize("confirmed_days_ago", [None, 200])
def test_saving_the_profile_confirms_accepting_new_clients_today(client, alexa, confirmed_days_ago):
    """A save with "Accepting new clients" ticked, unchanged, is the therapist saying it today:
    the public page no longer says "not confirmed recently"."""
    p = reload(alexa)
    p.accepting_new_clients = True
    p.accepting_confirmed_at = (
        None if confirmed_days_ago is None else now_utc() - timedelta(days=confirmed_days_ago)
    )
    db.session.commit()
    assert "not confirmed recently" in text_of(client.get("/p/alexa-marie"))
    fields = opened(client, EDIT)
    assert fields.getlist("accepting_new_clients") == ["0", "1"]
    assert client.post(EDIT, data=fields).status_code == 302
    assert "Profile saved." in text_of(client.get(EDIT))
    page = text_of(client.get("/p/alexa-marie"))
    assert "not confirmed recently" not in page and "(confirmed just now)" in page
    # Saved again at once, it is still confirmed and nothing else changed.
    client.post(EDIT, data=opened(client, EDIT))
    assert "Nothing had changed." in text_of(client.get(EDIT))


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("a\r\nb", "a\nb"), ("a\rb", "a\nb"), ("a\n\r\nb\r\n", "a\n\nb"), ("a\tb", "a\tb")],
)
def test_long_text_is_stored_with_plain_newlines(sent, stored):
    """One rule for every multi-line field (bio, insurance notes, descriptions, messages)."""
    from directory.validation import clean_text

    assert clean_text(sent, 100, multiline=True) == stored
    # A browser counts a line break as one character against maxlength: so do we.
    assert clean_text("x" * 5 + "\r\n" + "y" * 4, 10, multiline=True) == "xxxxx\nyyyy"
    with pytest.raises(ValueError, match="control characters"):
        clean_text(sent, 100)  # one line stays one line


def test_the_form_groups_the_vocabulary_and_filters_without_inline_script(client, alexa):
    page = client.get(EDIT).get_data(as_text=True)
    assert "Usually medical" in page and "Usually spa" in page and "Spa or medical" in page
    assert 'value="sciatica"' in page and 'value="swedish-massage"' in page
    assert '<script src="/static/editor.js" defer></script>' in page
    assert "<script>" not in page and "onclick" not in page
    # The filter box is hidden until the script shows it: the page works without it.
    assert 'class="field checklist-filter" hidden' in page
    with client.get("/static/editor.js") as script:
        assert script.status_code == 200


def test_saving_an_unchanged_form_changes_nothing(client, alexa):
    # Accepting confirmed recently (else the save confirms it: the test below).
    reload(alexa).accepting_confirmed_at = now_utc() - timedelta(days=3)
    db.session.commit()
    before = snapshot(alexa)
    response = client.post(EDIT, data=opened(client, EDIT))
    assert response.status_code == 302
    assert "Nothing had changed." in text_of(client.get(EDIT))
    assert snapshot(alexa) == before


MATRIX = [
    ("name", "x" * 121, "Name is longer than 120 characters."),
    ("name", "", "Name is required."),
    ("name", "Alexa\x00Marie", "Name contains control characters."),
    ("credentials", "LMT\x1b", "Credentials contains control characters."),
    ("headline", "h" * 161, "Headline is longer than 160 characters."),
    ("headline", "line\nbreak", "Headline contains control characters."),
    ("bio", "b" * 5001, "About you is longer than 5,000 characters."),
    ("bio", "nul\x00byte", "About you contains control characters."),
    ("website", "javascript:alert(1)", "must be a web address starting with http:// or https://"),
    ("website", "data:text/html,hi", "must be a web address starting with http:// or https://"),
    ("website", "w" * 301, "Website is longer than 300 characters."),
    ("contact_email", "not-an-email", "Contact email must be an email address"),
    ("contact_email", "a@b\x00.com", "Contact email contains control characters."),
    ("phone", "call me maybe", "Phone must be a phone number"),
    ("phone", "1" * 41, "Phone is longer than 40 characters."),
    ("insurance_notes", "n" * 501, "Insurance notes is longer than 500 characters."),
    ("languages", "Klingon1", "is not a language name"),
    ("languages", ", ".join(["Lang"] * 21), "List at most 20 languages."),
    ("languages", "Spanish\x00", "Languages besides English contains control characters."),
    ("setting", "luxury", "Choose one of the setting options."),
    ("price_min", "cheap", "Not a valid integer value."),
    ("price_min", "-5", "Number must be between 0 and 10000."),
    ("price_max", "9" * 40, "Number must be between 0 and 10000."),
    ("conditions", ["", "no-such-thing"], "\u201cno-such-thing\u201d is not a condition we list."),
    ("modalities", ["", "reiki-laser"], "\u201creiki-laser\u201d is not a modality we list."),
    ("session_lengths", ["", "50"], "\u201c50\u201d is not a session length we list."),
    ("session_lengths", ["", "sixty"], "\u201csixty\u201d is not a session length we list."),
]


@pytest.mark.parametrize(("field", "value", "message"), MATRIX)
def test_profile_validation(client, alexa, field, value, message):
    before = snapshot(alexa)
    response = client.post(EDIT, data=with_values(opened(client, EDIT), **{field: value}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message.replace('"', "&#34;") in page or message in page
    assert "nothing was saved" in page
    assert snapshot(alexa) == before


def test_price_min_above_max_is_refused(client, alexa):
    before = snapshot(alexa)
    fields = with_values(opened(client, EDIT), price_min="200", price_max="100")
    response = client.post(EDIT, data=fields)
    assert response.status_code == 400
    assert "The highest price is below the lowest." in text_of(response)
    assert snapshot(alexa) == before


def test_invalid_input_is_kept_in_the_form(client, alexa):
    fields = with_values(opened(client, EDIT), headline="My new headline", website="ftp://x")
    response = client.post(EDIT, data=fields)
    again = form_fields(response.get_data(as_text=True), EDIT)
    assert again["headline"] == "My new headline"
    assert again["website"] == "ftp://x"


def test_only_submitted_fields_change(client, alexa):
    alexa.bio, alexa.hsa_fsa, alexa.languages = "Stays.", True, ["French"]
    db.session.commit()
    tag(alexa, conditions=["sciatica"])
    before = snapshot(alexa)
    response = client.post(
        EDIT, data={"version": before["version"], "headline": "Only this", "form_complete": "1"}
    )
    assert response.status_code == 302
    after = snapshot(alexa)
    assert after["headline"] == "Only this"
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"headline", "version", "updated_at"}


def test_unticking_is_told_apart_from_not_sending(client, alexa):
    tag(alexa, conditions=["sciatica"], modalities=["swedish-massage"])
    fields = with_values(
        opened(client, EDIT), conditions=[""], accepting_new_clients=["0"], session_lengths=[""]
    )
    assert client.post(EDIT, data=fields).status_code == 302
    p = reload(alexa)
    assert p.conditions == [] and p.accepting_new_clients is False
    assert [m.slug for m in p.modalities] == ["swedish-massage"]


@pytest.mark.parametrize("missing", ["form_complete", "version"])
def test_a_truncated_post_changes_nothing(client, alexa, missing):
    before = snapshot(alexa)
    fields = with_values(opened(client, EDIT), headline="New", bio="")
    fields.poplist(missing)
    response = client.post(EDIT, data=fields)
    assert response.status_code == 400
    assert "did not arrive complete" in text_of(response)
    assert snapshot(alexa) == before


def test_a_body_cut_off_halfway_changes_nothing(client, alexa):
    alexa.bio = "Keep me"
    db.session.commit()
    before = snapshot(alexa)
    fields = with_values(opened(client, EDIT), headline="New")
    items = list(fields.items(multi=True))
    # What arrives of a body cut off after the headline: everything after it is missing.
    cut = items[: [k for k, _ in items].index("headline") + 1]
    response = client.post(EDIT, data=MultiDict(cut))
    assert response.status_code == 400
    assert snapshot(alexa) == before


def test_someone_elses_save_is_not_overwritten(client, alexa, crew):
    mine = with_values(opened(client, EDIT), headline="Alexa's headline", bio="Alexa's bio")
    # Meanwhile the practice owner saves the profile from another browser.
    other = client.application.test_client()
    log_in(other, crew["owner"])
    theirs = with_values(opened(other, EDIT), headline="Owner's headline")
    assert other.post(EDIT, data=theirs).status_code == 302
    log_in(client, crew["alexa"])

    response = client.post(EDIT, data=mine)
    assert response.status_code == 409
    page = text_of(response)
    assert "Someone else saved this profile since you opened it" in page
    assert "Your input differs from the saved profile in: Headline, About you." in page
    kept = form_fields(response.get_data(as_text=True), EDIT)
    assert kept["headline"] == "Alexa's headline" and kept["bio"] == "Alexa's bio"
    p = reload(alexa)
    assert (p.headline, p.bio) == ("Owner's headline", "")
    # Saving the re-rendered form again is a deliberate choice, and it goes through.
    assert client.post(EDIT, data=kept).status_code == 302
    assert reload(alexa).headline == "Alexa's headline"


def test_an_office_change_also_invalidates_an_open_profile_form(client, alexa):
    stale = with_values(opened(client, EDIT), headline="Later")
    office = opened(client, f"{BASE}/offices")
    new = with_values(office, street="2 River St", state="NJ", zip="07030")
    assert client.post(f"{BASE}/offices", data=new).status_code == 302
    assert client.post(EDIT, data=stale).status_code == 409


def test_mass_assignment_changes_nothing_it_should_not(client, alexa, crew):
    before = snapshot(alexa)
    hostile = with_values(
        opened(client, EDIT),
        tenant_id=str(crew["other"].id), status="verified", verified="1", is_admin="1",
        slug="hijacked", suspended="1", published="0", user_id=str(crew["zed"].id),
        id="999", version_id="99", updated_at="2000-01-01", photo="../../etc/passwd",
    )  # fmt: skip
    assert client.post(EDIT, data=hostile).status_code == 302
    after = snapshot(alexa)
    for key in ("tenant_id", "slug", "suspended", "published", "user_id", "id", "photo"):
        assert after[key] == before[key], key
    assert after["licenses"] == before["licenses"]
    assert db.session.get(User, crew["alexa"].id).is_admin is False


# --- offices ----------------------------------------------------------------------------------


def test_add_edit_and_remove_an_office(client, alexa):
    fields = with_values(
        opened(client, f"{BASE}/offices"), street="51 Newark St", city="", state="NJ", zip="07302"
    )
    assert client.post(f"{BASE}/offices", data=fields).status_code == 302
    office = reload(alexa).offices[-1]
    assert (office.street, office.city, office.state, office.zip) == (
        "51 Newark St", "Jersey City", "NJ", "07302",
    )  # fmt: skip
    assert office.lat == pytest.approx(40.72, abs=0.05)

    edit = f"{BASE}/offices/{office.id}/edit"
    fields = with_values(opened(client, edit), city="Downtown JC", zip="07310")
    assert client.post(edit, data=fields).status_code == 302
    office = db.session.get(Office, office.id)
    assert (office.city, office.zip) == ("Downtown JC", "07310")

    office_id = office.id
    remove = f"{BASE}/offices/{office_id}/delete"
    assert f'href="{remove}"' in text_of(client.get(f"{BASE}/offices"))
    fields = opened(client, remove)  # the confirmation page's own button
    assert client.post(remove, data=fields).status_code == 302
    assert db.session.get(Office, office_id) is None
    assert len(reload(alexa).offices) == 1


OFFICE_MATRIX = [
    ({"zip": "10001"}, "ZIP 10001 is in NY, not NJ."),
    ({"zip": "abc"}, "is not a ZIP code"),
    ({"zip": "00000"}, "ZIP code 00000 was not found."),
    ({"street": ""}, "Street address is required."),
    ({"street": "s" * 201}, "Street address is longer than 200 characters."),
    ({"street": "1 Main\x00St"}, "Street address contains control characters."),
    ({"city": "c" * 101}, "City is longer than 100 characters."),
    ({"state": "ZZ"}, "Choose a state."),
]


@pytest.mark.parametrize(("change", "message"), OFFICE_MATRIX)
def test_office_validation(client, alexa, change, message):
    before = snapshot(alexa)
    base = {"street": "1 Main St", "city": "", "state": "NJ", "zip": "07030"}
    fields = with_values(opened(client, f"{BASE}/offices"), **{**base, **change})
    response = client.post(f"{BASE}/offices", data=fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(alexa) == before


def test_an_office_edit_must_keep_the_zip_in_the_state(client, alexa):
    office = alexa.offices[0]
    edit = f"{BASE}/offices/{office.id}/edit"
    before = snapshot(alexa)
    # Only the state is sent: the stored ZIP (07030, NJ) must still belong to it.
    response = client.post(
        edit, data={"version": alexa.version, "state": "NY", "form_complete": "1"}
    )
    assert response.status_code == 400
    assert "ZIP 07030 is in NJ, not NY." in response.get_data(as_text=True)
    assert snapshot(alexa) == before


# --- licenses ---------------------------------------------------------------------------------


def test_a_new_license_is_pending_and_normalized(client, alexa):
    fields = with_values(
        opened(client, f"{BASE}/licenses"), state="NY", number="028 941", expires_on="2030-01-31"
    )
    response = client.post(f"{BASE}/licenses", data=fields)
    assert response.status_code == 302
    lic = next(x for x in reload(alexa).licenses if x.state == "NY")
    assert (lic.number, lic.expires_on, lic.status) == ("028941", date(2030, 1, 31), "pending")
    assert "pending until we verify it" in text_of(client.get(f"{BASE}/licenses"))


LICENSE_MATRIX = [
    ({"state": "NJ", "number": "12345"}, "12345 does not look like a New Jersey license number"),
    ({"number": ""}, "License number is required."),
    ({"number": "18KT\x0001515000"}, "License number contains control characters."),
    ({"number": "9" * 41}, "License number is longer than 40 characters."),
    ({"expires_on": "next year"}, "Not a valid date value."),
    ({"expires_on": "2030-02-30"}, "Not a valid date value."),
    ({"expires_on": "1890-01-01"}, "Enter a real expiry date."),
    # Passed: refused with the reason, not accepted as "pending".
    (
        {"expires_on": (date.today() - timedelta(days=2)).isoformat()},
        f"This license expired on {date.today() - timedelta(days=2):%-d %B %Y}. Enter the "
        "expiry date of your renewed license",
    ),
    ({"state": "XX"}, "Choose a state."),
]


@pytest.mark.parametrize(("change", "message"), LICENSE_MATRIX)
def test_license_validation(client, alexa, change, message):
    before = snapshot(alexa)
    base = {"state": "NY", "number": "028941", "expires_on": "2030-01-31"}
    fields = with_values(opened(client, f"{BASE}/licenses"), **{**base, **change})
    response = client.post(f"{BASE}/licenses", data=fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(alexa) == before


def test_one_license_per_state(client, alexa):
    before = snapshot(alexa)
    fields = with_values(
        opened(client, f"{BASE}/licenses"),
        state="NJ", number="18KT01515001", expires_on="2030-01-31",
    )  # fmt: skip
    response = client.post(f"{BASE}/licenses", data=fields)
    assert response.status_code == 400
    assert "You already have a New Jersey license on file: edit that one instead." in text_of(
        response
    )
    assert snapshot(alexa) == before


@pytest.mark.parametrize(
    ("change", "pending"),
    [
        ({"number": "18KT01515999"}, True),
        ({"expires_on": (LATER + timedelta(days=400)).isoformat()}, True),
        ({}, False),
    ],
)
def test_changing_a_license_sends_it_back_to_verification(client, alexa, crew, change, pending):
    lic = alexa.licenses[0]
    lic.reviewer_id, lic.note = crew["zed"].id, "Checked on the board's site"
    db.session.commit()
    edit = f"{BASE}/licenses/{lic.id}/edit"
    fields = with_values(opened(client, edit), **change)
    assert client.post(edit, data=fields).status_code == 302
    lic = db.session.get(License, lic.id)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "license.changed"))
    if pending:
        assert (lic.status, lic.reviewer_id, lic.reviewed_at, lic.note) == (
            "pending", None, None, None,
        )  # fmt: skip
        (event,) = events
        assert (event.actor_id, event.tenant_id) == (crew["alexa"].id, crew["hand"].id)
        assert event.details["before"]["number"] == "18KT01515000"
    else:
        assert (lic.status, lic.reviewer_id) == ("verified", crew["zed"].id)
        assert list(events) == []


def test_moving_a_license_to_another_state_makes_it_pending(client, alexa):
    lic = alexa.licenses[0]
    edit = f"{BASE}/licenses/{lic.id}/edit"
    fields = with_values(opened(client, edit), state="NY", number="028941")
    assert client.post(edit, data=fields).status_code == 302
    lic = db.session.get(License, lic.id)
    assert (lic.state, lic.number, lic.status) == ("NY", "028941", "pending")


def test_a_therapist_can_never_set_a_license_status(client, alexa):
    fields = with_values(
        opened(client, f"{BASE}/licenses"),
        state="NY", number="028941", expires_on="2030-01-31", status="verified",
        reviewer_id="1", reviewed_at="2024-01-01", note="ok",
    )  # fmt: skip
    assert client.post(f"{BASE}/licenses", data=fields).status_code == 302
    lic = next(x for x in reload(alexa).licenses if x.state == "NY")
    assert (lic.status, lic.reviewer_id, lic.reviewed_at, lic.note) == (
        "pending", None, None, None,
    )  # fmt: skip


def test_remove_a_license(client, alexa):
    lic = alexa.licenses[0]
    remove = f"{BASE}/licenses/{lic.id}/delete"
    assert f'href="{remove}"' in text_of(client.get(f"{BASE}/licenses"))
    assert client.post(remove, data=opened(client, remove)).status_code == 302
    assert reload(alexa).licenses == []
    assert "No license on file" in text_of(client.get("/dashboard"))


@pytest.mark.parametrize("kind", ["licenses", "offices"])
def test_a_removal_asks_first_and_one_click_removes_nothing(client, alexa, kind):
    """The list's Remove button leads to a page that names what goes; a post without that
    page's confirmation (an old form, a replayed click) shows the same page and removes nothing."""
    record = getattr(alexa, kind)[0]
    remove = f"{BASE}/{kind}/{record.id}/delete"
    named = f"#{record.number}" if kind == "licenses" else record.street
    for response in (
        client.get(remove),
        client.post(remove, data={"version": alexa.version, "form_complete": "1"}),
    ):
        page = text_of(response)
        assert response.status_code == 200 and named in page
        assert f'href="{BASE}/{kind}">Keep it</a>' in page
        assert 'name="confirm" value="1"' in page and 'name="csrf_token"' in page
    assert len(getattr(reload(alexa), kind)) == 1


def test_a_truncated_remove_does_nothing(client, alexa):
    lic = alexa.licenses[0]
    remove = f"{BASE}/licenses/{lic.id}/delete"
    fields = opened(client, remove)
    fields.poplist("form_complete")
    client.post(remove, data=fields)
    assert db.session.get(License, lic.id) is not None


def test_another_profiles_records_are_not_found_through_this_one(client, alexa, crew):
    other = crew["p_zed"]
    other.licenses.append(License(state="NY", number="028941", expires_on=LATER))
    db.session.commit()
    lic_id = other.licenses[0].id
    assert client.get(f"{BASE}/licenses/{lic_id}/edit").status_code == 404
    assert client.post(f"{BASE}/licenses/{lic_id}/delete").status_code == 404
    assert client.get(f"{BASE}/licenses/{lic_id}/delete").status_code == 404
    huge = "9" * 25
    assert client.get(f"{BASE}/licenses/{huge}/edit").status_code == 404
    assert client.get(f"{BASE}/offices/{huge}/edit").status_code == 404
    assert client.post(f"{BASE}/offices/{huge}/delete").status_code == 404


# --- publishing and preview ------------------------------------------------------------------


def test_publishing_needs_the_essentials(client, alexa):
    alexa.published = False
    db.session.commit()
    response = client.post(f"{BASE}/publish", data={"version": alexa.version, "form_complete": "1"})
    assert response.status_code == 302
    page = text_of(client.get(EDIT))
    assert "Not published yet: Add a headline." in page
    assert reload(alexa).published is False


def test_publish_and_unpublish(client, alexa):
    alexa.published, alexa.headline, alexa.phone = False, "Sciatica relief", "201 555 0143"
    db.session.commit()
    assert client.get(f"/p/{SLUG}").status_code == 404
    publish = f"{BASE}/publish"
    assert client.post(publish, data=opened(client, EDIT, publish)).status_code == 302
    assert reload(alexa).published is True
    assert "Published: your profile is public." in text_of(client.get(EDIT))
    assert client.get(f"/p/{SLUG}").status_code == 200

    unpublish = f"{BASE}/unpublish"
    assert client.post(unpublish, data=opened(client, EDIT, unpublish)).status_code == 302
    assert reload(alexa).published is False
    assert client.get(f"/p/{SLUG}").status_code == 404


def test_publishing_a_profile_that_stays_hidden_says_why(client, alexa):
    alexa.published, alexa.headline, alexa.phone = False, "H", "201 555 0143"
    alexa.tenant.status = "suspended"
    db.session.commit()
    publish = f"{BASE}/publish"
    assert client.post(publish, data=opened(client, EDIT, publish)).status_code == 302
    page = text_of(client.get(EDIT))
    assert "Published, but not public yet" in page
    assert "Your practice The Crafted Hand is suspended." in page


def test_preview_shows_an_unpublished_profile_with_a_banner(client, alexa):
    alexa.published, alexa.headline = False, "Draft headline"
    db.session.commit()
    response = client.get(f"{BASE}/preview")
    assert response.status_code == 200
    page = text_of(response)
    assert "Preview — not public yet." in page
    assert "Draft headline" in page
    assert client.get(f"/p/{SLUG}").status_code == 404


# --- search -----------------------------------------------------------------------------------


def test_an_edit_reaches_search_at_once(client, alexa):
    def found(q):
        response = client.get("/api/v1/search", query_string={"q": q, "near": "07030"})
        assert response.status_code == 200
        return [r["slug"] for r in response.json["results"]]

    assert SLUG not in found("plantar fasciitis")
    fields = with_values(opened(client, EDIT), conditions=["", "plantar-fasciitis"])
    assert client.post(EDIT, data=fields).status_code == 302
    assert SLUG in found("plantar fasciitis")

    unpublish = f"{BASE}/unpublish"
    client.post(unpublish, data=opened(client, EDIT, unpublish))
    assert SLUG not in found("plantar fasciitis")


def test_every_editor_write_queues_the_profile_for_search(client, alexa):
    def queued() -> int:
        return db.session.scalar(
            select(db.func.count()).where(SearchOutbox.practitioner_id == alexa.id)
        )

    before = queued()
    fields = with_values(
        opened(client, f"{BASE}/offices"), street="9 Hudson St", state="NJ", zip="07030"
    )
    client.post(f"{BASE}/offices", data=fields)
    assert queued() > before


# --- photos -----------------------------------------------------------------------------------


def image_bytes(fmt="PNG", size=(40, 30), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 120, 90) if mode == "RGB" else 0).save(out, fmt, **save)
    return out.getvalue()


def with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (40.0, 44.0, 40.0)}  # GPSInfo
    return image_bytes("JPEG", exif=exif.tobytes())


def upload(client, data: bytes, filename="me.png", *, drop=()):
    fields = opened(client, EDIT, f"{BASE}/photo").to_dict()
    values = MultiDict({k: v for k, v in fields.items() if k != "form_complete"})
    values.add("photo", FileStorage(io.BytesIO(data), filename))
    values.add("form_complete", "1")  # last, after the file, as a browser sends it
    for key in drop:
        values.poplist(key)
    # Encoded here in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(values)
    return client.post(
        f"{BASE}/photo", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_a_photo_is_reencoded_without_metadata_and_served_through_a_view(client, alexa, app):
    original = with_gps()
    assert Image.open(io.BytesIO(original)).getexif()  # the upload does carry EXIF
    response = upload(client, original, "holiday.jpg")
    assert response.status_code == 302
    name = reload(alexa).photo
    assert photos.NAME.fullmatch(name) and name.endswith(".jpg")
    stored = (photos.folder() / name).read_bytes()
    assert stored != original
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (40, 30)
    assert not image.getexif() and "exif" not in image.info
    assert b"SpyCam" not in stored

    with client.get(f"/media/{name}") as served:
        assert served.status_code == 200
        assert served.headers["Content-Type"] == "image/jpeg"
        assert served.data == stored
    assert f'src="/media/{name}"' in client.get(f"/p/{SLUG}").get_data(as_text=True)


def test_a_png_stays_a_png_and_replacing_a_photo_deletes_the_old_file(client, alexa):
    assert upload(client, image_bytes("PNG")).status_code == 302
    first = reload(alexa).photo
    assert first.endswith(".png")
    assert upload(client, image_bytes("WEBP"), "me.webp").status_code == 302
    second = reload(alexa).photo
    assert second.endswith(".webp") and second != first
    assert not (photos.folder() / first).exists()
    remove = f"{BASE}/photo/delete"
    asked = client.post(remove, data=opened(client, EDIT, remove))
    assert asked.status_code == 200 and reload(alexa).photo == second  # a page that asks first
    fields = form_fields(text_of(asked), remove)
    assert client.post(remove, data=fields).status_code == 302
    assert reload(alexa).photo is None
    assert not (photos.folder() / second).exists()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><script>alert(1)</script></html>"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (image_bytes("GIF", mode="P"), "anim.gif", "not a JPEG, PNG or WebP photo"),
        (SVG, "me.svg", "not a JPEG, PNG or WebP photo"),
        (HTML, "me.png", "not a JPEG, PNG or WebP photo"),
        (b"just some text", "me.jpg", "not a JPEG, PNG or WebP photo"),
        (image_bytes("PNG")[:40], "cut.png", "not a JPEG, PNG or WebP photo"),
        (b"", "empty.png", "Choose a photo to upload."),
        (image_bytes("PNG", size=(6000, 5000), mode="1"), "bomb.png", "too many pixels"),
        (b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024), "big.jpg", "larger than 5 MB"),
    ],
    ids=["gif", "svg", "html", "text", "truncated", "empty", "bomb", "oversized"],
)
def test_unacceptable_uploads_are_refused(client, alexa, data, filename, message):
    before = snapshot(alexa)
    response = upload(client, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert 'field field-invalid">Upload a photo' in response.get_data(as_text=True)
    assert snapshot(alexa) == before
    assert not photos.folder().exists() or list(photos.folder().iterdir()) == []


def test_a_bomb_above_pillows_own_limit_is_a_field_error(client, alexa, monkeypatch):
    # Only Pillow's own guard is left.
    monkeypatch.setattr(images, "MAX_PIXELS", 10**12)
    monkeypatch.setattr(images, "DECODE_BUDGET", 10**12)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    response = upload(client, image_bytes("PNG", size=(100, 100)))
    assert response.status_code == 400
    assert "too many pixels" in response.get_data(as_text=True)


def test_a_photo_over_the_memory_budget_is_refused_saying_what_to_do(client, alexa):
    # 30 MP is under the pixel limit, but an RGBA PNG that size needs about 280 MB to scale.
    response = upload(client, png_declaring(6000, 5000))
    assert response.status_code == 400
    assert "too many pixels for us to process (30 megapixels)" in text_of(response)
    assert "2,000 pixels on its longest side" in text_of(response)
    assert reload(alexa).photo is None


def test_an_upload_that_waits_too_long_for_its_turn_is_refused_as_busy(client, alexa, monkeypatch):
    monkeypatch.setattr(images, "WAIT_SECONDS", 0)
    before = snapshot(alexa)
    with images._TURN:  # another upload of this process is being decoded
        response = upload(client, image_bytes())
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    page = response.get_data(as_text=True)
    assert "Many images are being processed right now" in page
    assert 'field field-invalid">Upload a photo' in page
    assert snapshot(alexa) == before
    assert upload(client, image_bytes()).status_code == 302  # its turn is free again


def test_a_truncated_upload_changes_nothing(client, alexa):
    response = upload(client, image_bytes(), drop=["form_complete"])
    assert response.status_code == 400
    assert "did not arrive complete" in text_of(response)
    assert reload(alexa).photo is None


def test_photos_of_hidden_profiles_are_only_shown_to_their_editors(client, alexa, crew):
    upload(client, image_bytes())
    name = reload(alexa).photo
    alexa.published = False
    db.session.commit()

    def status() -> int:
        with client.get(f"/media/{name}") as response:
            return response.status_code

    assert status() == 200
    log_in(client, crew["zed"])
    assert status() == 404
    log_in(client, crew["owner"])
    assert status() == 200
    client.post("/logout")
    assert status() == 404


@pytest.mark.parametrize(
    "name", ["../secret_key", "x.png", "0" * 32 + ".gif", "0" * 32 + ".png", "A" * 32 + ".jpg"]
)
def test_media_names_are_checked(client, name):
    assert client.get(f"/media/{name}").status_code == 404


# --- CSRF -------------------------------------------------------------------------------------


def test_forms_carry_a_working_csrf_token(client, alexa, app):
    app.config["WTF_CSRF_ENABLED"] = True
    fields = with_values(opened(client, EDIT), headline="With a token")
    assert fields["csrf_token"]
    assert client.post(EDIT, data=fields).status_code == 302
    fields.poplist("csrf_token")
    assert client.post(EDIT, data=with_values(fields, headline="No token")).status_code == 400
    assert reload(alexa).headline == "With a token"


# --- who may do what --------------------------------------------------------------------------

# Who may use each editor route (anonymous, a colleague, another practice, the profile's owner
# and its practice's staff), what a refusal changes (nothing), and that a malformed slug is a
# 404 are checked for every route by the authorization matrix (tests/authz_matrix.toml).


def test_a_stored_photo_stays_only_if_its_transaction_commits(app, alexa):
    upload_file = FileStorage(io.BytesIO(image_bytes("PNG")), "me.png")
    name = photos.save(upload_file)
    assert (photos.folder() / name).exists()
    db.session.rollback()
    assert not (photos.folder() / name).exists()

    first = photos.save(FileStorage(io.BytesIO(image_bytes("PNG")), "me.png"))
    operations.set_photo(alexa, first)
    db.session.commit()
    second = photos.save(FileStorage(io.BytesIO(image_bytes("WEBP")), "me.webp"))
    operations.set_photo(alexa, second)
    db.session.rollback()  # the replacement did not happen: the first photo stays
    assert (photos.folder() / first).exists() and not (photos.folder() / second).exists()
    assert reload(alexa).photo == first

    third = photos.save(FileStorage(io.BytesIO(image_bytes("PNG")), "me.png"))
    operations.set_photo(alexa, third)
    db.session.close()  # ended without a commit (the end of a request): nothing kept
    assert not (photos.folder() / third).exists() and (photos.folder() / first).exists()


def test_an_unpublished_profile_s_office_is_not_said_to_be_listed(client, crew):
    p = db.session.get(Practitioner, crew["p_alexa"].id)
    log_in(client, crew["alexa"])
    page = client.get(f"/dashboard/profiles/{p.slug}/offices").get_data(as_text=True)
    assert ">Listed in search<" in page
    p.published = False
    db.session.commit()
    page = client.get(f"/dashboard/profiles/{p.slug}/offices").get_data(as_text=True)
    assert (
        "Listed in search once the profile is public" in page and ">Listed in search<" not in page
    )
