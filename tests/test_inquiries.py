"""Clients' messages: the form on profiles and practice pages, delivery with Reply-To, the
client's page and withdrawal, the inbox, spam and abuse limits, privacy and retention."""

import logging
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from directory import audit
from directory.db import db, now_utc
from directory.inquiries import forms, operations
from directory.inquiries.models import Inquiry, InquiryAttempt, SenderBlock
from directory.mail import MailMessage
from directory.practitioners.models import Practitioner
from tests.conftest import CONFIRMED
from tests.people import build_crew, log_in

MESSAGE = "Numbness in my left calf since Tuesday, quinceflower (a word only this test uses)."


@pytest.fixture
def crew(app, make_practitioner):
    world = build_crew(make_practitioner)
    p = db.session.get(Practitioner, world["p_alexa"].id)
    p.contact_email = "alexa.private@example.com"
    db.session.commit()
    return world


def stamp(seconds_ago: float = 60) -> str:
    """The form's signed "opened at", as if it was shown `seconds_ago`."""
    signer = forms._signer()
    signer.get_timestamp = lambda: int(time.time() - seconds_ago)
    return signer.sign("inquiry").decode()


def posted(**overrides) -> dict:
    data = {
        "name": "Casey Client",
        "email": "casey@example.com",
        "phone": "",
        "about": "sciatica",
        "message": MESSAGE,
        "preferred_contact": "email",
        "consent": "y",
        "leave_empty": "",
        "opened": stamp(),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def send(client, slug="alexa-marie", ip="198.51.100.7", **overrides):
    return client.post(
        f"/p/{slug}/inquiry", data=posted(**overrides), environ_base={"REMOTE_ADDR": ip}
    )


def inquiries() -> list[Inquiry]:
    db.session.expire_all()
    return list(db.session.scalars(select(Inquiry).order_by(Inquiry.id)))


def mails() -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(MailMessage).order_by(MailMessage.id)))


# --- The form ----------------------------------------------------------------------------------


def test_every_profile_has_the_form_naming_who_receives_it(client, crew):
    page = client.get("/p/alexa-marie").get_data(as_text=True)
    assert 'action="/p/alexa-marie/inquiry"' in page
    assert (
        "passes my name, contact details and message to Alexa Marie, and the owners and "
        "managers of The Crafted Hand" in page
    )
    assert 'href="/privacy"' in page
    for name in ("name", "email", "phone", "about", "message", "preferred_contact", "consent"):
        assert f'name="{name}"' in page
    # The honeypot is there for robots, hidden from people and screen readers.
    assert re.search(r'<div class="hp" aria-hidden="true">.*?name="leave_empty"', page, re.S)


def test_a_staff_profile_s_form_names_the_practice_s_managers(client, crew):
    p = db.session.get(Practitioner, crew["p_alexa"].id)
    p.user_id = None
    db.session.commit()
    page = client.get("/p/alexa-marie").get_data(as_text=True)
    assert "the owners and managers of The Crafted Hand, who answer for Alexa Marie" in page


def test_what_it_is_about_is_prefilled_from_the_search(client, crew):
    page = client.get("/p/alexa-marie?about=plantar-fasciitis").get_data(as_text=True)
    assert '<option value="plantar-fasciitis" selected>' in page
    ignored = client.get("/p/alexa-marie?about=not-a-condition").get_data(as_text=True)
    assert '<option value="" selected>' in ignored


def test_the_topics_offer_the_therapists_own_conditions_first(client, crew):
    from tests.conftest import tag

    tag(db.session.get(Practitioner, crew["p_alexa"].id), conditions=["sciatica", "tmj-disorder"])
    page = client.get("/p/alexa-marie").get_data(as_text=True)
    select = page[page.index('name="about"') : page.index("</select>", page.index('name="about"'))]
    own = select.index('<optgroup label="Alexa Marie works with">')
    others = select.index('<optgroup label="Other topics">')
    assert own < select.index('value="sciatica"') < select.index('value="tmj-disorder"') < others
    assert select.index('value="frozen-shoulder"') > others  # the rest stay choosable
    # A refused post shows the same order; a topic outside hers is still accepted.
    refused = send(client, name="")
    assert '<optgroup label="Alexa Marie works with">' in refused.get_data(as_text=True)
    assert send(client, about="frozen-shoulder").status_code == 302


def test_result_cards_carry_the_searched_condition_to_the_profile(client, crew):
    from tests.conftest import tag

    tag(db.session.get(Practitioner, crew["p_alexa"].id), conditions=["sciatica"])
    page = client.get("/search?q=sciatica&near=Hoboken,+NJ").get_data(as_text=True)
    assert 'href="/p/alexa-marie?about=sciatica"' in page


# --- Delivery ----------------------------------------------------------------------------------


def test_after_sending_the_page_shows_what_was_sent_not_an_empty_form(client, crew):
    """Once, in the form's place: the notice, what went and how they will answer, and a link
    to write another; the next visit shows the form again. The text itself stays out of the
    session cookie (the client has it in their mail)."""
    response = send(client)
    shown = client.get(response.location)
    page = shown.get_data(as_text=True)
    assert "Sent to Alexa Marie" in page and "Sciatica" in page
    assert 'action="/p/alexa-marie/inquiry"' not in page
    assert 'href="/p/alexa-marie#contact">Write another message</a>' in page
    assert shown.headers["Cache-Control"] == "no-store"
    with client.session_transaction() as session:
        assert MESSAGE not in repr(dict(session))
    again = client.get("/p/alexa-marie").get_data(as_text=True)
    assert 'action="/p/alexa-marie/inquiry"' in again and "Sent to Alexa Marie" not in again
    # Another page (another recipient) does not take it.
    send(client)
    assert "Sent to" not in client.get("/p/bo-chen").get_data(as_text=True)
    assert "Sent to Alexa Marie" in client.get("/p/alexa-marie").get_data(as_text=True)


def test_a_message_is_stored_and_mailed_with_the_client_as_reply_to(client, crew, runner):
    response = send(client, phone="201 555 0100")
    assert response.status_code == 302
    assert response.location.endswith("/p/alexa-marie#contact")
    page = client.get(response.location).get_data(as_text=True)
    assert "Your message is on its way to Alexa Marie" in page

    [inquiry] = inquiries()
    assert (inquiry.practitioner_id, inquiry.tenant_id) == (crew["p_alexa"].id, crew["hand"].id)
    assert inquiry.body == MESSAGE
    assert inquiry.condition.slug == "sciatica"
    assert inquiry.sender_phone == "201 555 0100"

    to_therapist, to_client = mails()
    # To the therapist's account, not the profile's contact address; replies go to the client.
    assert to_therapist.to == "alexa@example.com"
    assert to_therapist.reply_to == "casey@example.com"
    assert MESSAGE in to_therapist.body and "About: Sciatica" in to_therapist.body
    assert f"/dashboard/inquiries/{inquiry.id}" in to_therapist.body
    assert to_therapist.inquiry_id == inquiry.id
    # The client's confirmation links to their own page; it does not repeat the text.
    assert to_client.to == "casey@example.com" and to_client.reply_to == ""
    assert "/inquiries/yours?key=" in to_client.body
    assert MESSAGE not in to_client.body

    listed = runner.invoke(args=["mail", "list"]).output
    assert "Reply-To: casey@example.com" in listed


def test_a_staff_profile_s_messages_go_to_the_owners_and_managers(client, crew):
    p = db.session.get(Practitioner, crew["p_alexa"].id)
    p.user_id = None
    db.session.commit()
    send(client)
    to = sorted(m.to for m in mails() if m.reply_to)
    assert to == ["max@example.com", "olivia@example.com"]


def test_a_practice_page_takes_messages_for_the_practice(client, crew):
    page = client.get("/t/crafted-hand").get_data(as_text=True)
    assert 'action="/t/crafted-hand/inquiry"' in page
    response = client.post("/t/crafted-hand/inquiry", data=posted())
    assert response.status_code == 302
    [inquiry] = inquiries()
    assert inquiry.practitioner_id is None and inquiry.tenant_id == crew["hand"].id
    assert sorted(m.to for m in mails() if m.reply_to) == ["max@example.com", "olivia@example.com"]


def test_smtp_delivery_carries_the_reply_to_header(client, crew, app, monkeypatch):
    from tests.test_mail import FakeSMTP

    FakeSMTP.sent, FakeSMTP.calls, FakeSMTP.fail = [], [], False
    monkeypatch.setattr("directory.mail.smtplib.SMTP", FakeSMTP)
    app.config.update(MAIL_SMTP_HOST="smtp.example")
    send(client).close()  # mail goes once the response is done
    headers = [(m["To"], m["Reply-To"]) for m in FakeSMTP.sent]
    assert ("alexa@example.com", "casey@example.com") in headers
    assert ("casey@example.com", None) in headers


def test_the_audit_log_says_a_message_was_sent_and_to_whom_never_what(client, crew):
    send(client)
    [event] = db.session.scalars(
        select(audit.AuditEvent).where(audit.AuditEvent.action == "inquiry.received")
    ).all()
    assert event.details == {"to": "Alexa Marie", "mailed_to": 1}
    assert event.tenant_id == crew["hand"].id
    assert "quinceflower" not in repr(event.details) and "sciatica" not in repr(event.details)


def test_unpublished_profiles_and_closed_practices_take_no_messages(client, crew):
    p = db.session.get(Practitioner, crew["p_alexa"].id)
    p.published = False
    db.session.commit()
    assert send(client).status_code == 404
    crew["hand"].status = "suspended"
    db.session.commit()
    assert client.post("/t/crafted-hand/inquiry", data=posted()).status_code == 404
    assert inquiries() == []


# --- Validation: clear errors that keep what was typed ------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"name": ""}, "Your name is required."),
        ({"email": "casey-at-example"}, "must be an email address like name@example.com"),
        ({"message": ""}, "Your message is required."),
        ({"message": "hi"}, "Please say a little more"),
        ({"message": "x" * 2001}, "is longer than 2,000 characters"),
        ({"consent": None}, "Please tick the box"),
        ({"preferred_contact": "phone"}, "Add your phone number, or choose to be answered by"),
        ({"phone": "call me"}, "must be a phone number"),
        ({"about": "made-up"}, "Choose one of the"),
        ({"name": "Casey\x00"}, "contains control characters"),
    ],
)  # fmt: skip
def test_a_refused_form_says_why_and_keeps_what_was_typed(client, crew, overrides, error):
    response = send(client, **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error in page
    assert "Your message is not sent yet" in page
    if overrides.get("message") is None or "message" not in overrides:
        assert "quinceflower" in page  # the message the client typed is still in the form
    assert 'value="casey@example.com"' in page or "email" in overrides
    assert inquiries() == [] and mails() == []


# --- Spam and abuse ------------------------------------------------------------------------------


def test_a_filled_honeypot_looks_sent_and_is_dropped(client, crew):
    response = send(client, leave_empty="https://cheap-pills.example")
    assert response.status_code == 302
    assert "on its way" in client.get(response.location).get_data(as_text=True)
    assert inquiries() == [] and mails() == []
    assert db.session.scalar(select(func.count()).select_from(InquiryAttempt)) == 1


@pytest.mark.parametrize("opened", ["fast", "missing", "forged"])
def test_a_form_posted_faster_than_a_person_types_is_refused(client, crew, app, opened):
    # A minute's minimum: a slow machine cannot turn "1 s ago" into a person's pace.
    app.config["INQUIRY_MIN_SECONDS"] = 60
    value = {"fast": stamp(1), "missing": "", "forged": "inquiry.AAAA.BBBB"}[opened]
    response = send(client, opened=value)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "send it again" in page and "quinceflower" in page
    assert inquiries() == []
    # The page gives a fresh stamp: the person's next post goes through.
    fresh = re.search(r'name="opened" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="opened" name="opened" type="hidden" value="([^"]+)"', page
    )
    assert fresh and fresh.group(1) != value


def test_too_many_links_are_refused(client, crew):
    body = "See https://a.example/1 and https://b.example/2 and www.c.example/3 please"
    response = send(client, message=body)
    assert response.status_code == 400
    assert "at most 2 links" in response.get_data(as_text=True)
    one_link = send(client, message="My doctor's note is at https://clinic.example/n")
    assert one_link.status_code == 302


def test_a_scripted_flood_meets_the_limits_and_nothing_accepted_is_lost(client, crew):
    """50 posts in a row from one connection: the first five are stored and mailed, every
    later one is a 429 that shows the form again with the text, and nothing else is kept."""
    answers = [send(client, message=f"Message number {n}: {MESSAGE}") for n in range(50)]
    statuses = [r.status_code for r in answers]
    assert statuses == [302] * 5 + [429] * 45
    refused = answers[-1]
    assert int(refused.headers["Retry-After"]) > 0
    page = refused.get_data(as_text=True)
    assert "as many messages as we accept from one connection" in page
    assert "Message number 49" in page
    stored = inquiries()
    assert [i.body for i in stored] == [f"Message number {n}: {MESSAGE}" for n in range(5)]
    assert len(mails()) == 10  # each: the therapist's copy and the client's confirmation


def test_one_recipient_hears_at_most_so_many_an_hour_from_everyone(client, crew, app):
    limit = app.config["INQUIRY_LIMIT_PER_RECIPIENT"]
    statuses = [
        send(client, ip=f"203.0.113.{n}", email=f"client{n}@example.com").status_code
        for n in range(limit + 2)
    ]
    assert statuses == [302] * limit + [429, 429]
    # Another recipient still hears from the same people.
    assert send(client, slug="bo-chen", ip="203.0.113.1", email="c1@example.com").status_code == 302


def test_the_limits_count_an_hour_back(client, crew, app):
    for _ in range(5):
        send(client)
    assert send(client).status_code == 429
    hour_ago = now_utc() - timedelta(seconds=app.config["INQUIRY_LIMIT_SECONDS"] + 1)
    for attempt in db.session.scalars(select(InquiryAttempt)):
        attempt.created_at = hour_ago
    db.session.commit()
    assert send(client).status_code == 302


def test_ips_are_kept_only_as_keyed_fingerprints(client, crew):
    send(client, ip="198.51.100.7")
    [attempt] = db.session.scalars(select(InquiryAttempt)).all()
    assert "198.51.100.7" not in attempt.ip_key and len(attempt.ip_key) == 64


def test_a_blocked_sender_s_messages_look_sent_and_are_dropped(client, crew):
    send(client)
    [first] = inquiries()
    log_in(client, crew["alexa"])
    assert client.post(f"/dashboard/inquiries/{first.id}/block").status_code == 302
    client.post("/logout")
    response = send(client, email="CASEY@example.com", ip="198.51.100.8")
    assert response.status_code == 302
    assert len(inquiries()) == 1
    # Blocked on Alexa's profile only: Bo still hears from them.
    assert send(client, slug="bo-chen", ip="198.51.100.9").status_code == 302
    assert len(inquiries()) == 2


# --- The client's page and withdrawal ----------------------------------------------------------


def _client_link() -> str:
    confirmation = [m for m in mails() if m.to == "casey@example.com"][-1]
    return re.search(r"http://[^/]+(/inquiries/yours\?key=\S+)", confirmation.body).group(1)


def test_the_client_reads_and_withdraws_their_message(client, crew):
    send(client)
    link = _client_link()
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert "quinceflower" in text and "Withdraw my message" in text

    key = link.split("key=", 1)[1]
    # One click asks first, on a page as private as the message's own.
    asked = client.post("/inquiries/yours/withdraw", data={"key": key})
    assert asked.status_code == 200 and "Withdraw your message?" in asked.text
    assert asked.headers["Referrer-Policy"] == "no-referrer"
    assert inquiries()[0].withdrawn_at is None and 'name="confirm" value="1"' in asked.text
    response = client.post("/inquiries/yours/withdraw", data={"key": key, **CONFIRMED})
    assert response.status_code == 302
    [inquiry] = inquiries()
    assert inquiry.withdrawn_at is not None
    assert (inquiry.body, inquiry.sender_phone, inquiry.condition_id) == (None, "", None)
    # The stored copy of the therapist's mail no longer holds the text.
    copies = [m for m in mails() if m.inquiry_id == inquiry.id]
    assert copies and all("quinceflower" not in m.body for m in copies)
    # Nor does the stored confirmation hold the link's secret any more.
    assert all(key not in m.body for m in mails())
    assert any(m.subject == "Casey Client withdrew their message" for m in mails())
    after = client.get(link).get_data(as_text=True)
    assert "You withdrew this message" in after and "quinceflower" not in after


def test_a_wrong_or_missing_key_opens_nothing(client, crew):
    send(client)
    assert client.get("/inquiries/yours?key=not-the-key").status_code == 404
    assert client.get("/inquiries/yours").status_code == 404
    assert client.post("/inquiries/yours/withdraw", data={"key": "x" * 300}).status_code == 404
    assert inquiries()[0].body == MESSAGE


# --- The inbox ---------------------------------------------------------------------------------


def test_the_therapist_finds_it_in_the_inbox_and_handles_it(client, crew):
    send(client)
    [inquiry] = inquiries()
    log_in(client, crew["alexa"])
    inbox = client.get("/dashboard/inquiries").get_data(as_text=True)
    assert "Casey Client" in inbox and "1 new" in inbox and "Sciatica" in inbox
    shown = client.get(f"/dashboard/inquiries/{inquiry.id}").get_data(as_text=True)
    assert "quinceflower" in shown and 'href="mailto:casey@example.com"' in shown
    assert inquiries()[0].read_at is not None
    assert "1 new" not in client.get("/dashboard/inquiries").get_data(as_text=True)

    for action, folder in (
        ("replied", "inbox"),
        ("archived", "archived"),
        ("inbox", "inbox"),
        ("spam", "spam"),
        ("not_spam", "inbox"),
    ):
        response = client.post(f"/dashboard/inquiries/{inquiry.id}/mark", data={"action": action})
        assert response.status_code == 302, action
        assert inquiries()[0].folder == folder, action
    assert inquiries()[0].replied_at is not None
    shown = f"/dashboard/inquiries/{inquiry.id}"
    assert client.post(f"{shown}/mark", data={"action": "x"}).status_code == 302
    assert "Choose what to do" in client.get(shown).get_data(as_text=True)

    assert (
        client.post(f"/dashboard/inquiries/{inquiry.id}/delete", data=CONFIRMED).status_code == 302
    )
    assert inquiries() == []
    assert all("quinceflower" not in m.body for m in mails())


def test_folders_list_what_they_hold_with_pages(client, crew, app):
    app.config.update(
        INQUIRY_LIMIT_PER_IP=100, INQUIRY_LIMIT_PER_RECIPIENT=100, INQUIRY_LIMIT_PER_SENDER=100
    )
    for n in range(23):
        send(client, message=f"Question {n:02d} about my shoulder")
    log_in(client, crew["alexa"])
    first = client.get("/dashboard/inquiries").get_data(as_text=True)
    assert "Question 22" in first and "Question 02" not in first and "Page 1 of 2" in first
    second = client.get("/dashboard/inquiries?page=2").get_data(as_text=True)
    assert "Question 02" in second and "Question 00" in second and "Question 03" not in second
    assert client.get("/dashboard/inquiries?page=3").status_code == 404
    assert client.get("/dashboard/inquiries?folder=elsewhere").status_code == 404
    empty = client.get("/dashboard/inquiries?folder=spam").get_data(as_text=True)
    assert "No spam" in empty


def test_the_inbox_empty_state(client, crew):
    log_in(client, crew["alexa"])
    assert "No messages yet" in client.get("/dashboard/inquiries").get_data(as_text=True)


def test_the_practice_wide_view_shows_every_message_of_the_practice(client, crew):
    send(client)
    send(client, slug="bo-chen")
    client.post("/t/crafted-hand/inquiry", data=posted(name="Pat Practice"))
    send(client, slug="zed-spa", ip="198.51.100.99", name="Zoe Elsewhere")
    log_in(client, crew["manager"])
    page = client.get("/dashboard/practices/crafted-hand/inquiries").get_data(as_text=True)
    assert page.count('class="card inquiry-row') == 3
    assert "Pat Practice" in page and "Zoe Elsewhere" not in page
    # Alexa's own inbox has only hers.
    client.post("/logout")
    log_in(client, crew["alexa"])
    own = client.get("/dashboard/inquiries").get_data(as_text=True)
    assert own.count('class="card inquiry-row') == 1


def test_a_therapist_may_lift_a_block_on_their_profile(client, crew):
    send(client)
    [inquiry] = inquiries()
    log_in(client, crew["alexa"])
    client.post(f"/dashboard/inquiries/{inquiry.id}/block")
    [block] = db.session.scalars(select(SenderBlock)).all()
    assert "casey@example.com" in client.get("/dashboard/inquiries").get_data(as_text=True)
    assert client.post(f"/dashboard/inquiries/blocks/{block.id}/remove").status_code == 302
    assert db.session.scalars(select(SenderBlock)).all() == []


def test_usually_replies_within_is_computed_from_marked_replies(client, crew, app):
    app.config["INQUIRY_LIMIT_PER_IP"] = 100
    for _ in range(3):
        send(client)
    page = client.get("/p/alexa-marie").get_data(as_text=True)
    assert "Usually replies" not in page
    base = now_utc() - timedelta(days=10)
    for inquiry, hours in zip(inquiries(), (5, 30, 60), strict=True):
        inquiry.created_at = base
        inquiry.replied_at = base + timedelta(hours=hours)
    db.session.commit()
    # The median reply took 30 hours: within 2 days.
    assert "Usually replies within 2 days" in client.get("/p/alexa-marie").get_data(as_text=True)


# --- Email addresses are private by default ----------------------------------------------------


def test_the_profile_email_is_in_neither_page_nor_api_unless_opted_in(client, crew):
    page = client.get("/p/alexa-marie").get_data(as_text=True)
    api = client.get("/api/v1/practitioners/alexa-marie").get_json()
    assert "alexa.private@example.com" not in page
    assert "email" not in api["contact"]
    assert "alexa.private" not in repr(api)
    search = client.get("/api/v1/search?q=massage&near=07030").get_data(as_text=True)
    assert "alexa.private" not in search

    p = db.session.get(Practitioner, crew["p_alexa"].id)
    p.show_email = True
    db.session.commit()
    assert 'href="mailto:alexa.private@example.com"' in client.get("/p/alexa-marie").get_data(
        as_text=True
    )
    assert client.get("/api/v1/practitioners/alexa-marie").get_json()["contact"]["email"] == (
        "alexa.private@example.com"
    )


def test_the_editor_offers_the_opt_in_and_import_round_trips_it(client, crew):
    from directory.practitioners import transfer

    log_in(client, crew["alexa"])
    edit = "/dashboard/profiles/alexa-marie/edit"
    page = client.get(edit).get_data(as_text=True)
    assert 'name="show_email"' in page and "Off by default" in page
    version = db.session.get(Practitioner, crew["p_alexa"].id).version
    saved = client.post(edit, data={"show_email": ["0", "1"], "version": version,
                                    "form_complete": "1"})  # fmt: skip
    assert saved.status_code == 302
    assert db.session.get(Practitioner, crew["p_alexa"].id).show_email is True

    [line] = [line for line in transfer.export_lines() if '"alexa-marie"' in line]
    assert '"show_email": true' in line
    transfer.import_lines([line.replace('"show_email": true', '"show_email": false')])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Practitioner, crew["p_alexa"].id).show_email is False


# --- Privacy: never in logs, index or audit; retention; admins see metadata ---------------------


def test_message_text_appears_in_no_log_line(client, crew, caplog, monkeypatch, app):
    """Every log line of a message's life, with SQL logging on and a mail server failing:
    statements are logged without their values, and no line carries the text."""
    from tests.test_mail import FakeSMTP

    FakeSMTP.sent, FakeSMTP.calls, FakeSMTP.fail = [], [], True
    monkeypatch.setattr("directory.mail.smtplib.SMTP", FakeSMTP)
    app.config.update(MAIL_SMTP_HOST="smtp.example")
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    send(client).close()
    send(client, message="x" * 2001 + "quinceflower")  # refused: not logged either
    [inquiry] = inquiries()
    log_in(client, crew["alexa"])
    client.get(f"/dashboard/inquiries/{inquiry.id}")
    link = _client_link()
    client.get(link)
    client.post(
        "/inquiries/yours/withdraw", data={"key": link.split("key=")[1], **CONFIRMED}
    ).close()
    logged = list(caplog.records)
    assert any("INSERT INTO inquiry" in r.getMessage() for r in logged)
    assert any("was not sent" in r.getMessage() for r in logged)
    for record in logged:
        line = record.getMessage() + (record.exc_text or "") + repr(record.args)
        assert "quinceflower" not in line, record.getMessage()[:200]


def test_message_text_never_reaches_the_search_index(client, crew, app):
    from pathlib import Path

    from directory.search import sync

    send(client)
    sync.drain()
    assert client.get("/api/v1/search?q=quinceflower").get_json()["total"] == 0
    index_dir = Path(app.instance_path) / "search"
    blobs = b"".join(f.read_bytes() for f in index_dir.rglob("*") if f.is_file())
    assert blobs and b"quinceflower" not in blobs


def test_purge_deletes_text_past_the_retention_period(client, crew, runner, app):
    app.config["INQUIRY_LIMIT_PER_IP"] = 100
    send(client, phone="201 555 0100")
    send(client, message="A recent question about my neck, kept for now.")
    old, recent = inquiries()
    old.created_at = now_utc() - timedelta(days=app.config["INQUIRY_RETENTION_DAYS"] + 1)
    db.session.commit()

    result = runner.invoke(args=["inquiries", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted the text of 1 message sent before" in result.output
    old, recent = inquiries()
    assert (old.body, old.sender_phone, old.condition_id) == (None, "", None)
    assert old.purged_at is not None and old.sender_email == "casey@example.com"
    assert recent.body == "A recent question about my neck, kept for now."
    assert all("quinceflower" not in m.body for m in mails())
    assert any("neck" in m.body for m in mails() if m.inquiry_id == recent.id)
    # Run again: nothing more to do.
    assert "Deleted the text of 0 messages" in runner.invoke(args=["inquiries", "purge"]).output


def test_admins_see_reported_spam_without_its_text(client, crew, app):
    from tests.people import new_user

    send(client)
    send(client, slug="bo-chen", message="An ordinary, honest question about my hip.")
    spam, _ordinary = inquiries()
    log_in(client, crew["alexa"])
    client.post(f"/dashboard/inquiries/{spam.id}/mark", data={"action": "spam"})
    client.post("/logout")
    admin = new_user("admin@example.com", "Ada Admin", is_admin=True)
    log_in(client, admin)
    page = client.get("/admin/spam").get_data(as_text=True)
    assert "casey@example.com" in page and "Alexa Marie" in page
    assert f"{len(MESSAGE)} characters" in page
    assert "quinceflower" not in page and "hip" not in page


def test_the_privacy_page_says_what_we_keep_and_for_how_long(client, app):
    page = client.get("/privacy").get_data(as_text=True)
    assert f"{app.config['INQUIRY_RETENTION_DAYS']} days after you sent it" in page
    assert "Withdrawing" in page and "never the addresses themselves" in page


def test_operations_refuse_without_the_form(app, crew):
    """The rules hold for any caller, not only the view."""
    from directory.refusals import Refused

    recipient = operations.Recipient(crew["hand"], db.session.get(Practitioner, crew["p_alexa"].id))
    draft = operations.Draft(name="Casey", email="casey@example.com", message=MESSAGE)
    with pytest.raises(Refused):
        operations.send(recipient, draft, ip="198.51.100.1", seconds_on_form=None)
    with pytest.raises(Refused):
        operations.send(recipient, draft, ip="198.51.100.1", seconds_on_form=0.5)
    sent = operations.send(recipient, draft, ip="198.51.100.1", seconds_on_form=10)
    assert sent.inquiry is not None and operations.for_token(sent.token) is sent.inquiry


def test_a_practice_without_anyone_to_read_messages_offers_no_form(client, crew):
    """An imported practice with no members: nobody would read a message, so none is taken."""
    from directory.practices.models import Membership

    for membership in db.session.scalars(
        select(Membership).where(Membership.tenant_id == crew["hand"].id)
    ):
        db.session.delete(membership)
    p = db.session.get(Practitioner, crew["p_alexa"].id)
    p.user_id = None
    db.session.commit()
    page = client.get("/p/alexa-marie").get_data(as_text=True)
    assert "does not receive messages through Kneaded yet" in page
    assert 'action="/p/alexa-marie/inquiry"' not in page
    response = send(client)
    assert response.status_code == 400
    assert inquiries() == [] and mails() == []


def test_a_refusal_is_said_in_the_form_once_and_the_first_wrong_field_takes_focus(
    client, crew, app
):
    app.config["INQUIRY_MIN_SECONDS"] = 60
    refused = send(client, opened=stamp(1)).get_data(as_text=True)
    assert refused.count("faster than anyone can type") == 1
    assert 'class="flash flash-error"' not in refused
    invalid = send(client, email="nope", consent=None).get_data(as_text=True)
    tags = {
        re.search(r'name="(\w+)"', tag).group(1): tag
        for tag in re.findall(r"<input[^>]*>", invalid)
        if 'name="' in tag
    }
    assert "autofocus" in tags["email"]
    assert [name for name, tag in tags.items() if "autofocus" in tag] == ["email"]


def test_the_message_page_says_the_sender_is_blocked_and_unblocks_there(client, crew):
    send(client)
    [inquiry] = inquiries()
    log_in(client, crew["alexa"])
    shown = f"/dashboard/inquiries/{inquiry.id}"
    assert "Block this sender" in client.get(shown).get_data(as_text=True)
    client.post(f"{shown}/block")
    page = client.get(shown).get_data(as_text=True)
    assert "casey@example.com is blocked for Alexa Marie" in page
    assert "Block this sender" not in page
    [block] = db.session.scalars(select(SenderBlock)).all()
    back = client.post(f"/dashboard/inquiries/blocks/{block.id}/remove", data={"back": shown})
    assert back.location.endswith(shown)
    elsewhere = client.post(f"{shown}/block")
    assert elsewhere.status_code == 302
    [block] = db.session.scalars(select(SenderBlock)).all()
    off_site = client.post(
        f"/dashboard/inquiries/blocks/{block.id}/remove", data={"back": "https://evil.example/"}
    )
    assert off_site.location.endswith("/dashboard/inquiries")


# --- Who reads what -----------------------------------------------------------------------------


def test_a_message_is_for_the_therapist_it_was_written_to_not_a_later_holder(client, crew):
    """A staff profile's messages are the managers'; whoever takes the profile over later
    does not inherit them (the consent named the managers)."""
    from tests.people import join, new_user

    p = db.session.get(Practitioner, crew["p_alexa"].id)
    p.user_id = None
    db.session.commit()
    send(client)
    [inquiry] = inquiries()
    assert inquiry.recipient_user_id is None
    newcomer = new_user("new@example.com", "Nia New")
    join(newcomer, crew["hand"], "therapist")
    p = db.session.get(Practitioner, crew["p_alexa"].id)
    p.user_id = newcomer.id
    db.session.commit()
    log_in(client, newcomer)
    assert "Casey Client" not in client.get("/dashboard/inquiries").get_data(as_text=True)
    assert client.get(f"/dashboard/inquiries/{inquiry.id}").status_code == 403
    client.post("/logout")
    log_in(client, crew["manager"])
    assert client.get(f"/dashboard/inquiries/{inquiry.id}").status_code == 200


def test_a_manager_looking_leaves_a_therapist_s_message_new(client, crew):
    send(client)
    [inquiry] = inquiries()
    log_in(client, crew["manager"])
    assert client.get(f"/dashboard/inquiries/{inquiry.id}").status_code == 200
    assert inquiries()[0].read_at is None
    client.post("/logout")
    log_in(client, crew["alexa"])
    client.get(f"/dashboard/inquiries/{inquiry.id}")
    assert inquiries()[0].read_at is not None


def test_a_therapist_sees_only_their_own_blocks(client, crew, app):
    send(client)
    [inquiry] = inquiries()
    log_in(client, crew["alexa"])
    client.post(f"/dashboard/inquiries/{inquiry.id}/block")
    bo = app.test_client()
    log_in(bo, crew["bo"])
    page = bo.get("/dashboard/inquiries").get_data(as_text=True)
    assert "Blocked senders" not in page and "casey@example.com" not in page
    assert "Blocked senders" in client.get("/dashboard/inquiries").get_data(as_text=True)
    [block] = db.session.scalars(select(SenderBlock)).all()
    assert bo.post(f"/dashboard/inquiries/blocks/{block.id}/remove").status_code == 403


def test_inbox_pages_are_not_cached(client, crew):
    send(client)
    log_in(client, crew["alexa"])
    assert client.get("/dashboard/inquiries").headers["Cache-Control"] == "no-store"
    assert client.get("/dashboard/inquiries/1").headers["Cache-Control"] == "no-store"


# --- More abuse ---------------------------------------------------------------------------------


def test_one_address_is_written_to_at_most_so_many_times_an_hour(client, crew, app):
    """The form mails a confirmation to whatever address is typed: not a way to flood one."""
    limit = app.config["INQUIRY_LIMIT_PER_SENDER"]
    statuses = [
        send(client, ip=f"203.0.113.{n}", email="victim@example.com").status_code
        for n in range(limit + 1)
    ]
    assert statuses == [302] * limit + [429]
    assert "This email address has sent as many messages" in send(
        client, ip="203.0.113.99", email="VICTIM@example.com"
    ).get_data(as_text=True)


def test_ipv6_addresses_count_by_their_64(client, crew, app):
    app.config["INQUIRY_LIMIT_PER_SENDER"] = 100
    limit = app.config["INQUIRY_LIMIT_PER_IP"]
    statuses = [
        send(client, ip=f"2001:db8:1:2::{n:x}", email=f"c{n}@example.com").status_code
        for n in range(limit + 1)
    ]
    assert statuses == [302] * limit + [429]
    assert send(client, ip="2001:db8:1:3::1", email="other@example.com").status_code == 302


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"name": "Casey https://spam.example"}, "without a web address"),
        ({"name": "Casey\u2028Bcc: x"}, "contains control characters"),
        ({"email": "a,victim@example.com"}, "must be an email address"),
        ({"email": "=?utf-8?q?a?=@example.com"}, "must be an email address"),
    ],
)
def test_nothing_typed_can_break_a_mail_header(client, crew, overrides, error):
    response = send(client, **overrides)
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)
    assert inquiries() == []


def test_subjects_stay_on_one_line(app):
    from directory import mail

    message = mail.send("a@example.com", "New message from Casey\u2028\nBcc: x", "body")
    assert message.subject == "New message from Casey Bcc: x"


def test_a_form_whose_csrf_token_expired_is_shown_again_with_the_text(tmp_path):
    from tests.conftest import _prepare_database, add_practitioner, make_app

    app = make_app(tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    with app.app_context():
        _prepare_database(with_vocabulary=True)
        build_crew(add_practitioner)
        response = app.test_client().post("/p/alexa-marie/inquiry", data=posted(csrf_token="stale"))
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "This page was open a long time" in page and "quinceflower" in page
        assert db.session.scalar(select(func.count()).select_from(Inquiry)) == 0


def test_purge_refuses_a_day_in_the_future(runner, crew):
    future = (now_utc() + timedelta(days=2)).date().isoformat()
    result = runner.invoke(args=["inquiries", "purge", "--now", future])
    assert result.exit_code == 2 and "must not be in the future" in result.output


def test_concurrent_posts_cannot_pass_the_limits_together(app, crew, monkeypatch):
    """Posts at the same moment: each one counts, then records its attempt. Slowed between the
    two, six posts with room for two must still let only two through (SQLite's write lock,
    PostgreSQL's advisory lock)."""
    import threading

    app.config.update(INQUIRY_LIMIT_PER_IP=2)
    original = operations._record_attempt

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(operations, "_record_attempt", slow)
    db.session.commit()
    statuses: list[int] = []

    forms_posted = [posted(email=f"c{n}@example.com") for n in range(6)]

    def post(n: int) -> None:
        with app.app_context():
            response = app.test_client().post("/p/alexa-marie/inquiry", data=forms_posted[n])
            statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 302, 429, 429, 429, 429]
    assert len(inquiries()) == 2


def test_the_address_limit_counts_a_subscriber_once_and_a_mapped_ipv4_as_itself(app):
    from directory.inquiries.operations import _ip_key

    assert _ip_key("2001:db8:1:2::1") == _ip_key("2001:db8:1:2:ffff::9")  # one /64
    assert _ip_key("2001:db8:1:2::1") != _ip_key("2001:db8:1:3::1")
    assert _ip_key("::ffff:1.2.3.4") == _ip_key("1.2.3.4")
    assert _ip_key("::ffff:1.2.3.4") != _ip_key("::ffff:9.9.9.9")  # not one bucket for all
    assert _ip_key("1.2.3.4") != _ip_key("1.2.3.5")
