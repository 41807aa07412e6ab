"""What an action says back, on Spanish pages: the admin queues' flash messages and
confirmations, and the dashboard's bulk actions (their menu, confirmation and result)."""

from sqlalchemy import select

from directory.db import db
from directory.practitioners.models import License, Practitioner
from tests.people import log_in
from tests.test_admin import crew, pending  # noqa: F401 (a fixture)
from tests.test_network_dashboard import text


def test_admin_decisions_on_licenses_are_said_in_spanish(client, crew):  # noqa: F811
    lic = pending(crew["p_bo"])
    log_in(client, crew["admin"])
    done = client.post(f"/es/admin/licenses/{lic.id}/approve", data={"back": "/es/admin/licenses"})
    assert done.status_code == 302
    page = text(client.get(done.headers["Location"]))
    assert f"Verificada: NJ {lic.number} de Bo" in page and "Verified:" not in page
    # A re-check found not current: the confirmation, then what it did, in Spanish.
    lic = db.session.get(License, lic.id)
    asked = text(client.post(f"/es/admin/rechecks/{lic.id}/not-current",
                             data={"reason": "La consulta muestra que venció"}))  # fmt: skip
    assert "¿Marcar esta licencia como no vigente?" in asked
    assert "Al masajista se le dice por qué: “La consulta muestra que venció”" in asked
    assert "Mark not current" not in asked
    done = client.post(f"/es/admin/rechecks/{lic.id}/not-current",
                       data={"reason": "La consulta muestra que venció", "confirm": "1",
                             "back": "/es/admin/rechecks"})  # fmt: skip
    page = text(client.get(done.headers["Location"]))
    assert f"No vigente: NJ {lic.number} de Bo" in page


def test_the_dashboard_s_bulk_actions_speak_spanish(client, crew):  # noqa: F811
    hand = crew["hand"]
    log_in(client, crew["owner"])
    listed = client.get("/es/dashboard/practices/crafted-hand").get_data(as_text=True)
    assert ">Confirmar que aceptan clientes nuevos</option>" in listed
    assert ">Dejar de publicar</option>" in listed
    profiles = list(db.session.scalars(select(Practitioner).where(Practitioner.tenant == hand)))
    ids = [str(p.id) for p in profiles]
    path = "/es/dashboard/practices/crafted-hand/bulk"
    asked = text(client.post(path, data={"action": "unpublish", "ids": ids}))
    assert f"¿Dejar de publicar {len(ids)} perfiles?" in asked
    assert "Revise los perfiles marcados" in asked and "profiles" not in asked
    done = client.post(path, data={"action": "unpublish", "confirm": "1",
                                   "ids": [",".join(ids)]})  # fmt: skip
    page = text(client.get(done.headers["Location"]))
    assert "Sin publicar: " in page and "Unpublished" not in page
