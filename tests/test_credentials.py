"""Specialty credentials end to end: the editor's page, the private documents, the admin queue,
and search following the decisions. (Who may use each route: tests/authz_matrix.toml.)"""

import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from directory.audit import AuditEvent
from directory.db import db
from directory.locales import short_date
from directory.mail import MailMessage
from directory.practitioners import documents
from directory.practitioners.models import Practitioner, Specialty
from tests.authz import PDF
from tests.conftest import CONFIRMED
from tests.html_forms import form_fields, with_values
from tests.people import build_crew, log_in, new_user
from tests.test_images import png_declaring

SLUG = "alexa-marie"
PAGE = f"/dashboard/profiles/{SLUG}/specialties"
LATER = date.today() + timedelta(days=365)


@pytest.fixture
def crew(make_practitioner):
    crew = build_crew(make_practitioner)
    crew["admin"] = new_user("ada@example.com", "Ada Admin", is_admin=True)
    return crew


@pytest.fixture
def alexa(client, crew):
    """Alexa signed in, on her own profile (published, NJ license verified, office in Hoboken)."""
    log_in(client, crew["alexa"])
    return crew["p_alexa"]


def text_of(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def image_bytes(fmt="PNG", size=(40, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 90)).save(out, fmt, **save)
    return out.getvalue()


def with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (40.0, 44.0, 40.0)}  # GPSInfo
    return image_bytes("JPEG", exif=exif.tobytes())


def post_form(client, page: str, action: str, document=None, filename="cert.pdf", **values):
    """The form on `page` posting to `action`, filled with `values` and a file, as a browser
    sends it (the file before the end sentinel)."""
    response = client.get(page)
    assert response.status_code == 200
    fields = with_values(form_fields(response.get_data(as_text=True), action), **values)
    sent = MultiDict([(k, v) for k, v in fields.items(multi=True) if k != "form_complete"])
    if document is not None:
        sent.add("document", FileStorage(io.BytesIO(document), filename))
    sent.add("form_complete", "1")
    boundary, body = encode_multipart(sent)
    return client.post(action, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def add(client, document=PDF, filename="cert.pdf", **values):
    values = {"kind": "clt", "issuer": "Klose Training", "number": "K-1234",
              "issued_on": "2021-05-01", "expires_on": LATER.isoformat(), **values}  # fmt: skip
    return post_form(client, PAGE, PAGE, document, filename, **values)


def records(p: Practitioner) -> list[Specialty]:
    db.session.expire_all()
    return list(db.session.get(Practitioner, p.id).specialties)


def stored_files() -> list[str]:
    where = documents.folder()
    return sorted(f.name for f in where.iterdir()) if where.exists() else []


# --- the editor -------------------------------------------------------------------------------


def test_the_page_is_linked_from_the_editor_and_says_the_credentials_line_earns_nothing(
    client, alexa
):
    edit = client.get(f"/dashboard/profiles/{SLUG}/edit").get_data(as_text=True)
    assert f'href="{PAGE}"' in edit
    page = text_of(client.get(PAGE))
    assert "earns no badge" in page and "Only a verified record on this page does" in page
    # Kinds by name, and the known issuers offered while typing.
    assert "Certified lymphedema therapist (CLT)" in page
    assert '<option value="Norton School of Lymphatic Therapy"' in page


def test_adding_a_credential_stores_its_document_privately_and_waits_for_review(client, alexa, app):
    response = add(client)
    assert response.status_code == 302
    [record] = records(alexa)
    assert (record.kind, record.issuer, record.number) == ("clt", "Klose Training", "K-1234")
    assert (record.issued_on, record.expires_on, record.status) == (date(2021, 5, 1), LATER,
                                                                    "pending")  # fmt: skip
    assert documents.is_valid_name(record.document) and record.document.endswith(".pdf")
    stored = documents.folder() / record.document
    assert stored.read_bytes() == PDF
    # Private: under the instance folder, outside static/ and the public uploads.
    assert documents.folder() == __import__("pathlib").Path(app.instance_path) / "credentials"
    assert "uploads" not in stored.parts and "static" not in stored.parts
    page = text_of(client.get(PAGE))
    assert "Pending review" in page and "pending until we check" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "specialty.added"))


def test_a_credential_that_does_not_expire(client, alexa):
    assert add(client, expires_on="", never_expires=["0", "1"]).status_code == 302
    assert records(alexa)[0].expires_on is None
    assert "does not expire" in text_of(client.get(PAGE))


#: (change to a valid form, the field marked, its message). Each is refused as a whole.
INVALID = [
    ({"kind": ""}, "kind", "Choose a specialty."),
    ({"kind": "reiki"}, "kind", "Choose one of the specialty options."),
    ({"issuer": "  "}, "issuer", "Issued by is required"),
    ({"issuer": "x" * 121}, "issuer", "longer than 120 characters"),
    ({"number": "n" * 61}, "number", "longer than 60 characters"),
    ({"issuer": "Klose\x00"}, "issuer", "control characters"),
    ({"expires_on": ""}, "expires_on", "Enter the expiry date, or tick"),
    ({"expires_on": "2020-01-01"}, "expires_on", "This certificate has expired"),
    ({"expires_on": "31/12/2030"}, "expires_on", "Not a valid date value"),
    ({"issued_on": "2999-01-01"}, "issued_on", "not a future one"),
    ({"issued_on": LATER.isoformat(), "expires_on": LATER.isoformat()}, "issued_on",
     "not a future one"),
    ({"never_expires": ["0", "1"]}, "expires_on", "Leave the expiry date empty"),
    ({"issued_on": "2024-01-01", "expires_on": "2023-06-01"}, "expires_on", "expired"),
]  # fmt: skip


def test_validation_names_the_field_and_keeps_what_was_typed(client, alexa):
    # One app for the whole matrix: a refused post changes nothing for the next case.
    for change, field, message in INVALID:
        response = add(client, **{"issuer": "Norton School of Lymphatic Therapy", **change})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, change
        assert message in html, (change, message)
        assert f'aria-describedby="{field}-error"' in html, change
        if field != "issuer":
            assert 'value="Norton School of Lymphatic Therapy"' in html  # nothing typed is lost
        assert "Choose the file again" in html  # the browser drops the chosen file
        assert records(alexa) == [] and stored_files() == [], change


def test_the_document_is_required_when_adding(client, alexa):
    response = add(client, document=None)
    assert response.status_code == 400
    assert "Upload the certificate" in text_of(response)
    assert records(alexa) == []


def test_one_record_per_kind(client, alexa):
    assert add(client).status_code == 302
    response = add(client, issuer="Norton School of Lymphatic Therapy")
    assert response.status_code == 400
    assert "Certified lymphedema therapist (CLT) is already on file: edit that one instead." in (
        text_of(response)
    )
    assert len(records(alexa)) == 1 and len(stored_files()) == 1


# --- what is accepted as a document -----------------------------------------------------------

HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
PDF_WITH_HTML = b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n%%EOF\n"
PDF_WITH_JS = b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n%%EOF"
PDF_WITH_HIDDEN_JS = b"%PDF-1.4\n1 0 obj << /OpenAction << /S /J#61vaScript >> >>\n%%EOF"
PDF_WITH_FILE = b"%PDF-1.4\n1 0 obj << /Names << /EmbeddedFiles 2 0 R >> >>\n%%EOF"
#: An action run on opening, whatever it does (here: go to a page; it could start anything).
PDF_WITH_OPEN_ACTION = b"%PDF-1.4\n1 0 obj << /OpenAction 2 0 R >>\n%%EOF"


#: Uploads refused whatever their name says: (bytes, the message).
REFUSED = {
    "html": (HTML, "not a PDF, JPEG or PNG file"),
    "svg": (SVG, "not a PDF, JPEG or PNG file"),
    "gif": (image_bytes("GIF"), "not a PDF, JPEG or PNG file"),
    "webp": (image_bytes("WEBP"), "not a PDF, JPEG or PNG file"),
    "png-html-polyglot": (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script>", "not a PDF"),
    "pdf-html-polyglot": (PDF_WITH_HTML, "contains scripts, actions or attachments"),
    "pdf-javascript": (PDF_WITH_JS, "contains scripts, actions or attachments"),
    "pdf-escaped-javascript": (PDF_WITH_HIDDEN_JS, "contains scripts, actions or attachments"),
    "pdf-attachment": (PDF_WITH_FILE, "contains scripts, actions or attachments"),
    "pdf-open-action": (PDF_WITH_OPEN_ACTION, "contains scripts, actions or attachments"),
    "pdf-cut-off": (PDF[:-7], "That PDF is incomplete"),
    "empty": (b"", "Choose the certificate to upload"),
    "oversized": (b"%PDF-" + b"0" * (7 * 1024 * 1024), "larger than 7 MB"),
    "too-many-pixels": (image_bytes("PNG", size=(4001, 3001)), "too many pixels"),
    "strip": (image_bytes("PNG", size=(10_001, 10)), "too many pixels"),
    # A tiny file whose header claims 180 MP: past Pillow's own bomb guard (a 500 before).
    "bomb-header": (png_declaring(9999, 18000), "too many pixels"),
    "bomb-header-warning": (png_declaring(9999, 9000), "too many pixels"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_documents_are_judged_by_content(case):
    data, message = REFUSED[case]
    with pytest.raises(documents.DocumentError, match=message):
        documents.accepted(io.BytesIO(data))


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (HTML, "certificate.pdf", "not a PDF, JPEG or PNG file"),
        (PDF_WITH_HTML, "certificate.pdf", "contains scripts, actions or attachments"),
        (image_bytes("PNG"), "certificate.pdf", None),  # a PNG named .pdf: judged as a PNG
    ],
    ids=["html-named-pdf", "pdf-html-polyglot", "png-named-pdf"],
)
def test_an_upload_is_refused_on_the_field_or_stored_as_what_it_is(
    client, alexa, data, filename, message
):
    response = add(client, document=data, filename=filename)
    if message is None:
        assert response.status_code == 302
        [record] = records(alexa)
        assert record.document.endswith(".png")  # stored (and later served) as what it is
        served = client.get(f"{PAGE}/{record.id}/document")
        assert served.headers["Content-Type"] == "image/png"
        return
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert 'aria-describedby="document-error"' in response.get_data(as_text=True)
    assert records(alexa) == [] and stored_files() == []


def test_an_image_is_reencoded_without_its_exif(client, alexa):
    original = with_gps()
    assert Image.open(io.BytesIO(original)).getexif()
    assert add(client, document=original, filename="scan.jpg").status_code == 302
    stored = (documents.folder() / records(alexa)[0].document).read_bytes()
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (40, 30)
    assert not image.getexif() and b"SpyCam" not in stored


# --- reading a document -----------------------------------------------------------------------


def _document_url(p: Practitioner) -> str:
    return f"/dashboard/profiles/{p.slug}/specialties/{records(p)[0].id}/document"


def test_a_pdf_is_a_private_download_and_an_image_is_shown_inline(client, alexa):
    add(client)
    response = client.get(_document_url(alexa))
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="credential.pdf"'
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]

    edit = f"{PAGE}/{records(alexa)[0].id}/edit"
    assert post_form(client, edit, edit, image_bytes("PNG"), "scan.png").status_code == 302
    response = client.get(_document_url(alexa))
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["Cache-Control"] == "private, no-store"


def test_who_may_read_a_document(client, crew, alexa):
    """Alexa's certificate: Alexa, her practice's owner and manager, and admins (through
    /admin); her colleague Bo gets a 403, another practice and strangers a 404 or sign-in."""
    add(client)
    record = records(alexa)[0]
    url = _document_url(alexa)
    admin_url = f"/admin/specialties/{record.id}/document"

    def status(who, path) -> int:
        client.post("/logout")
        if who:
            log_in(client, crew[who])
        return client.get(path).status_code

    assert [status(w, url) for w in ("alexa", "owner", "manager")] == [200, 200, 200]
    assert status("bo", url) == 403
    assert status("zed", url) == 404
    assert status("admin", url) == 404  # not a member: admins read it through /admin
    assert status(None, url) == 302
    assert [status(w, admin_url) for w in ("alexa", "owner", "zed", None)] == [404] * 4
    assert status("admin", admin_url) == 200


def test_replacing_or_removing_deletes_the_old_file_after_the_commit(client, alexa, crew):
    add(client)
    record = records(alexa)[0]
    first = record.document
    edit = f"{PAGE}/{record.id}/edit"
    assert post_form(client, edit, edit, image_bytes("PNG"), "scan.png").status_code == 302
    second = records(alexa)[0].document
    assert second != first and stored_files() == [second]

    # Removing asks first: the list links to a confirmation page, which holds the form.
    remove = f"{PAGE}/{record.id}/delete"
    assert f'href="{remove}"' in client.get(PAGE).get_data(as_text=True)
    confirm = client.get(remove)
    assert "Remove the Certified lymphedema therapist (CLT) credential?" in text_of(confirm)
    assert records(alexa) and stored_files() == [second]
    fields = form_fields(confirm.get_data(as_text=True), remove)
    assert client.post(remove, data=fields).status_code == 302
    assert records(alexa) == [] and stored_files() == []


def test_deleting_the_profile_deletes_its_documents(client, alexa, crew):
    add(client)
    assert stored_files()
    profile_id = alexa.id
    log_in(client, crew["owner"])
    response = client.post(f"/dashboard/profiles/{SLUG}/delete", data=CONFIRMED)
    assert response.status_code == 302
    assert db.session.get(Practitioner, profile_id) is None
    assert stored_files() == []


# --- edits, conflicts and cut-off posts ---------------------------------------------------------


def test_an_edit_goes_back_to_pending_and_keeps_the_document(client, alexa, crew):
    add(client)
    record = records(alexa)[0]
    record.status = "verified"
    db.session.commit()
    edit = f"{PAGE}/{record.id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert 'value="Klose Training"' in page and "Replace the certificate (optional)" in page
    response = post_form(client, edit, edit, number="K-9999")
    assert response.status_code == 302
    after = records(alexa)[0]
    assert (after.number, after.status, after.document) == ("K-9999", "pending", record.document)
    # Saving it unchanged changes nothing.
    assert post_form(client, edit, edit).status_code == 302
    assert records(alexa)[0].updated_at == after.updated_at


def test_a_save_over_someone_elses_is_refused_with_the_input_kept(client, alexa, crew):
    add(client)
    record = records(alexa)[0]
    edit = f"{PAGE}/{record.id}/edit"
    fields = form_fields(client.get(edit).get_data(as_text=True), edit)
    p = db.session.get(Practitioner, alexa.id)
    p.headline = "Changed by the manager meanwhile"
    db.session.commit()
    response = client.post(edit, data=with_values(fields, number="MINE-1"))
    assert response.status_code == 409
    assert "Someone else saved this profile" in text_of(response)
    assert 'value="MINE-1"' in response.get_data(as_text=True)
    assert records(alexa)[0].number == "K-1234"
    # A removal from a stale page is refused too.
    remove = f"{PAGE}/{record.id}/delete"
    stale = form_fields(client.get(remove).get_data(as_text=True), remove)
    p = db.session.get(Practitioner, alexa.id)
    p.headline = "Changed again"
    db.session.commit()
    client.post(remove, data=stale)
    assert len(records(alexa)) == 1


@pytest.mark.parametrize("missing", ["version", "form_complete"])
def test_a_cut_off_post_changes_nothing(client, alexa, missing):
    response = client.get(PAGE)
    fields = with_values(form_fields(response.get_data(as_text=True), PAGE), kind="clt",
                         issuer="Klose Training", expires_on=LATER.isoformat())  # fmt: skip
    fields.poplist(missing)
    fields.add("document", (io.BytesIO(PDF), "cert.pdf"))
    response = client.post(PAGE, data=fields)
    assert response.status_code == 400 and "did not arrive complete" in text_of(response)
    assert records(alexa) == [] and stored_files() == []


def test_forms_carry_a_working_csrf_token(client, alexa, app):
    app.config["WTF_CSRF_ENABLED"] = True
    assert add(client).status_code == 302  # the page's token
    remove = f"{PAGE}/{records(alexa)[0].id}/delete"
    fields = form_fields(client.get(remove).get_data(as_text=True), remove)
    assert fields["csrf_token"]
    fields.poplist("csrf_token")
    assert client.post(remove, data=fields).status_code == 400
    assert len(records(alexa)) == 1


# --- the admin queue --------------------------------------------------------------------------


def test_the_queue_shows_the_record_and_its_document_and_home_counts_it(client, alexa, crew):
    add(client)
    record = records(alexa)[0]
    log_in(client, crew["admin"])
    assert "1 specialty credential waiting" in text_of(client.get("/admin"))
    page = text_of(client.get("/admin/specialties"))
    for shown in ("Alexa Marie", "The Crafted Hand", "Certified lymphedema therapist (CLT)",
                  "Klose Training", "A known issuer", "K-1234", "May 1, 2021",
                  short_date(LATER)):  # fmt: skip
        assert shown in page
    assert f'href="/admin/specialties/{record.id}/document"' in page
    assert f"/admin/specialties/{record.id}/approve" in page


def test_approving_without_a_document_shows_why(client, crew):
    p = crew["p_bo"]
    p.specialties.append(Specialty(kind="prenatal", issuer="Mothermassage", expires_on=LATER))
    db.session.commit()
    record = records(p)[0]
    log_in(client, crew["admin"])
    assert "No document uploaded" in text_of(client.get("/admin/specialties"))
    response = client.post(f"/admin/specialties/{record.id}/approve", follow_redirects=True)
    assert "There is no document to check" in text_of(response)
    assert records(p)[0].status == "pending"


def test_reject_needs_a_reason_the_therapist_reads(client, alexa, crew):
    add(client)
    record = records(alexa)[0]
    log_in(client, crew["admin"])
    response = client.post(f"/admin/specialties/{record.id}/reject", data={"reason": " "},
                           follow_redirects=True)  # fmt: skip
    assert "Give a reason" in text_of(response)
    assert records(alexa)[0].status == "pending"
    client.post(f"/admin/specialties/{record.id}/reject", data={"reason": "Name differs"})
    after = records(alexa)[0]
    assert (after.status, after.note, after.reviewer_id) == ("rejected", "Name differs",
                                                             crew["admin"].id)  # fmt: skip
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "specialty.rejected"))
    assert event.actor_id == crew["admin"].id and event.details["reason"] == "Name differs"
    mail = db.session.scalars(select(MailMessage).where(MailMessage.to == "alexa@example.com"))
    assert any("Name differs" in m.body for m in mail)
    log_in(client, crew["alexa"])
    assert 'badge-rejected">Rejected</span>: Name differs' in text_of(client.get(PAGE))


def test_no_admin_decides_on_their_own_practice_and_decisions_need_a_fresh_sign_in(
    client, alexa, crew
):
    from tests.people import join

    add(client)
    record = records(alexa)[0]
    join(crew["admin"], crew["hand"], "manager")
    log_in(client, crew["admin"])
    page = text_of(client.get("/admin/specialties"))
    assert "another admin decides on it" in page
    assert f"/admin/specialties/{record.id}/approve" not in page
    response = client.post(f"/admin/specialties/{record.id}/approve", follow_redirects=True)
    assert "your own profile or practice" in text_of(response)
    assert records(alexa)[0].status == "pending"

    other = new_user("eve@example.com", "Eve Admin", is_admin=True)
    log_in(client, other, fresh_at=0)
    response = client.post(f"/admin/specialties/{record.id}/approve")
    assert response.status_code == 302 and response.location.startswith("/account/confirm")
    assert records(alexa)[0].status == "pending"


def test_the_queue_asks_for_a_second_factor_when_required(app, client, crew):
    log_in(client, crew["admin"])
    app.config["ADMIN_REQUIRE_TOTP"] = True
    try:
        for path in ("/admin/specialties", "/admin/specialties/1/document"):
            response = client.get(path)
            assert response.status_code == 302 and response.location.endswith("/two-factor")
    finally:
        app.config["ADMIN_REQUIRE_TOTP"] = False


# --- search follows the decisions ---------------------------------------------------------------


def search(client, **params) -> dict:
    response = client.get(
        "/api/v1/search", query_string={"near": "Hoboken, NJ", "specialty": "clt", **params}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return {r["slug"]: r for r in response.json["results"]}


def test_a_credential_added_in_the_editor_and_verified_in_the_queue_is_found(client, crew):
    log_in(client, crew["alexa"])
    assert add(client).status_code == 302
    assert SLUG not in search(client)  # pending: shown on the profile, never matched
    record = records(crew["p_alexa"])[0]

    log_in(client, crew["admin"])
    queue = client.get("/admin/specialties").get_data(as_text=True)
    document = f"/admin/specialties/{record.id}/document"
    assert document in queue
    opened = client.get(document)
    assert opened.status_code == 200 and opened.data == PDF
    response = client.post(f"/admin/specialties/{record.id}/approve",
                           data={"back": "/admin/specialties"})  # fmt: skip
    assert response.status_code == 302 and response.location == "/admin/specialties"
    assert records(crew["p_alexa"])[0].status == "verified"

    client.post("/logout")
    found = search(client)
    assert SLUG in found
    assert found[SLUG]["specialties"] == [
        {"kind": "clt", "name": "Certified lymphedema therapist (CLT)", "issuer": "Klose Training",
         "verified": True}
    ]  # fmt: skip


def test_rejected_records_never_show_and_expired_ones_stop_matching(client, crew, monkeypatch):
    from directory import licensing

    p = crew["p_alexa"]
    p.specialties.append(Specialty(kind="clt", issuer="Klose Training", status="verified",
                                   expires_on=date.today() + timedelta(days=3)))  # fmt: skip
    p.specialties.append(Specialty(kind="prenatal", issuer="Mothermassage", status="rejected",
                                   expires_on=LATER))  # fmt: skip
    db.session.commit()
    found = search(client)
    assert [s["kind"] for s in found[SLUG]["specialties"]] == ["clt"]  # never the rejected one
    assert SLUG not in search(client, specialty="prenatal")

    # A week later the CLT certificate has lapsed: no match, no badge.
    monkeypatch.setattr(licensing, "today", lambda: date.today() + timedelta(days=7))
    assert SLUG not in search(client)
    found = search(client, specialty=None)
    assert found[SLUG]["specialties"] == []


def test_a_certificate_replaced_after_the_queue_was_opened_is_not_verified_unseen(
    client, alexa, crew
):
    add(client)
    record = records(alexa)[0]
    log_in(client, crew["admin"])
    page = client.get("/admin/specialties").get_data(as_text=True)
    shown = re.search(r'name="document" value="([^"]+)"', page).group(1)
    assert shown == record.document
    # The therapist uploads another certificate while the admin reads the first one.
    record.document = "f" * 32 + ".pdf"
    db.session.commit()
    response = client.post(
        f"/admin/specialties/{record.id}/approve", data={"document": shown}, follow_redirects=True
    )
    assert "replaced the certificate after this page was opened" in text_of(response)
    assert records(alexa)[0].status == "pending"
    client.post(f"/admin/specialties/{record.id}/approve", data={"document": record.document})
    assert records(alexa)[0].status == "verified"
