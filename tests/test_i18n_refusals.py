"""What an operation refuses with reaches a reader of the Spanish pages in Spanish: the rule's
own message (directory/refusals.py), not its English, through the page it is shown on."""

import io
from datetime import date
from pathlib import Path

import pytest

from directory import licensing
from directory.db import db
from directory.practitioners import forms
from directory.practitioners.models import License
from tests.html_forms import form_fields, with_values
from tests.people import build_crew, log_in, new_user
from tests.reading import text

ROSTERS = Path(__file__).parent / "data" / "rosters"


@pytest.fixture
def crew(make_practitioner):
    crew = build_crew(make_practitioner)
    crew["admin"] = new_user("ada@example.com", "Ada Admin", is_admin=True)
    return crew


def test_a_license_decided_already_is_refused_in_spanish(client, crew):
    lic = crew["p_alexa"].licenses[0]
    assert lic.status == "verified"
    log_in(client, crew["admin"])
    response = client.post(f"/es/admin/licenses/{lic.id}/approve", follow_redirects=True)
    said = text(response)
    assert "Esta licencia ya fue verificada." in said
    assert "already" not in said
    # The same refusal on the English pages keeps its English.
    response = client.post(f"/admin/licenses/{lic.id}/approve", follow_redirects=True)
    assert "This license was already verified." in text(response)


def test_a_second_license_for_a_state_is_refused_in_spanish(client, crew, monkeypatch):
    # The form knows the states on file; a save that lands between its check and the flush is
    # the database's to refuse (one license per state), and the operation says so.
    form_init = forms.LicenseForm.__init__

    def not_knowing(self, *args, other_states=(), **kwargs):
        form_init(self, *args, other_states=(), **kwargs)

    monkeypatch.setattr(forms.LicenseForm, "__init__", not_knowing)
    log_in(client, crew["alexa"])
    page = "/es/dashboard/profiles/alexa-marie/licenses"
    opened = client.get(page)
    assert opened.status_code == 200
    fields = with_values(
        form_fields(opened.get_data(as_text=True), page),
        state="NJ", number="18KT01515999", expires_on="2030-01-31",
    )  # fmt: skip
    response = client.post(page, data=fields)
    assert response.status_code == 409
    assert "Ya hay una licencia registrada para este estado." in text(response)
    db.session.expire_all()
    assert db.session.query(License).filter_by(practitioner_id=crew["p_alexa"].id).count() == 1


def test_a_duplicate_specialty_is_refused_in_spanish(client, crew):
    from tests.test_credentials import PAGE, add

    log_in(client, crew["alexa"])
    assert add(client).status_code == 302
    response = add(client, issuer="Norton School")
    assert response.status_code == 400
    # add() posts the English page's form; the Spanish page's says the same in Spanish.
    es = client.get(f"/es{PAGE}")
    fields = with_values(
        form_fields(es.get_data(as_text=True), f"/es{PAGE}"),
        kind="clt", issuer="Norton School", expires_on="2030-01-31",
    )  # fmt: skip
    response = client.post(f"/es{PAGE}", data=fields)
    said = text(response)
    assert response.status_code == 400
    assert "Terapeuta certificado en linfedema (CLT) ya está registrado: modifique ese" in said
    assert "is already on file" not in said


def test_an_empty_roster_file_is_refused_in_spanish(client, crew):
    log_in(client, crew["owner"])
    data = {"file": (io.BytesIO(b"  \n"), "roster.csv")}
    response = client.post(
        "/es/dashboard/practices/crafted-hand/roster/preview", data=data,
        content_type="multipart/form-data", follow_redirects=True,
    )  # fmt: skip
    said = text(response)
    assert "Ese archivo está vacío." in said
    assert "That file is empty" not in said


@pytest.fixture
def texas(crew, make_practitioner, monkeypatch):
    """Two Texas licenses the board's file of 2026-12-01 decides: one pending it verifies, one
    verified it lapses."""
    monkeypatch.setattr(licensing, "today", lambda: date(2026, 12, 7))
    later = date(2028, 12, 31)
    for slug, name, number, status in (
        ("alex-rivera", "Alex Rivera", "MT12345", "pending"),
        ("morgan-nguyen", "Morgan Nguyen", "MT22222", "verified"),
    ):
        p = make_practitioner(slug, name=name, licenses=[("TX", status, later)])
        p.licenses[0].number = number
    db.session.commit()
    return crew


def upload_roster(client, content: bytes, path="/es/admin/rosters"):
    data = {"source": "tx-tdlr", "file_date": "2026-12-01",
            "file": (io.BytesIO(content), "tx-tdlr.csv")}  # fmt: skip
    return client.post(path, data=data, content_type="multipart/form-data",
                       follow_redirects=True)  # fmt: skip


def test_an_uploaded_rosters_summary_is_said_in_spanish_with_plurals(client, texas):
    log_in(client, texas["admin"])
    said = text(upload_roster(client, (ROSTERS / "tx-tdlr.csv").read_bytes()))
    assert (
        "tx-tdlr.csv (Texas TDLR, al 1 dic 2026): "
        "4 filas, 1 verificada, 1 caducada, 0 en cola y 0 sin cambios"
    ) in said
    # The history says the same words; the same file again changes nothing.
    again = text(upload_roster(client, (ROSTERS / "tx-tdlr.csv").read_bytes()))
    assert "4 filas, 0 verificadas, 0 caducadas, 0 en cola y 2 sin cambios" in again
    assert "rows" not in again and "unchanged" not in again


def test_a_malformed_rosters_row_is_named_in_spanish(client, texas):
    log_in(client, texas["admin"])
    lines = (ROSTERS / "tx-tdlr.csv").read_text().splitlines()
    lines[4] = lines[4].replace("08312027", "31082027")  # not MMDDCCYY
    said = text(upload_roster(client, "\n".join(lines).encode()))
    assert "línea 5: la fecha de vencimiento '31082027' no tiene el formato" in said
