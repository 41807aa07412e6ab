"""Mail in its reader's language, of every kind the directory writes besides inquiries
(test_i18n.py has those and license decisions): invitations, account links, specialty
decisions, expiry reminders and claim decisions. A reader whose account chose Spanish gets
Spanish, with Spanish dates and /es/ links; one who chose nothing gets English."""

import io
import re
from datetime import date, timedelta

from sqlalchemy import select

from directory import expiry
from directory.accounts import operations as accounts
from directory.accounts.models import User
from directory.admin import operations as admin_ops
from directory.db import db
from directory.mail import MailMessage
from directory.practices import operations as practices
from directory.practitioners.models import Specialty
from tests.authz import PDF
from tests.conftest import PASSWORD
from tests.people import join, new_user, practice
from tests.test_claims import alex, my_claim, people, prove, sign_in  # noqa: F401 (fixtures)

IP = "198.51.100.40"


def last_to(address: str) -> MailMessage:
    return db.session.scalar(
        select(MailMessage).where(MailMessage.to == address).order_by(MailMessage.id.desc())
    )


def spanish(user: User) -> User:
    user.language = "es"
    db.session.commit()
    return user


def test_an_invitation_reaches_a_spanish_speaking_account_in_spanish(app):
    hand = practice("crafted-hand", "The Crafted Hand")
    owner = join(new_user("olivia@example.com", "Olivia Owner"), hand, "owner")
    spanish(new_user("lucia@example.com", "Lucía"))
    practices.invite(owner, "lucia@example.com", "therapist")
    practices.invite(owner, "max@example.com", "manager")
    db.session.commit()
    letter = last_to("lucia@example.com")
    assert letter.subject == "Olivia Owner lo invita a unirse a The Crafted Hand en Kneaded"
    assert "como masajista en Kneaded, el directorio de masajistas" in letter.body
    assert "/es/invitations/" in letter.body and "invites" not in letter.body
    english = last_to("max@example.com")
    assert "invites you to join The Crafted Hand as a manager" in english.body
    assert "/es/" not in english.body


def test_account_links_reach_a_spanish_speaking_account_in_spanish(app, make_user):
    lucia = spanish(make_user("lucia@example.com", name="Lucía"))
    accounts.send_confirmation(lucia)
    confirm = last_to("lucia@example.com")
    assert confirm.subject == "Confirme su correo electrónico"
    assert "Le damos la bienvenida a Kneaded." in confirm.body
    assert "/es/verify/" in confirm.body

    accounts.request_password_reset("lucia@example.com", IP)
    reset = last_to("lucia@example.com")
    assert reset.subject == "Restablezca su contraseña"
    assert "abra este enlace" in reset.body and "minutos" in reset.body
    assert "/es/password/reset/" in reset.body and "choose a new password" not in reset.body

    assert accounts.request_email_change(lucia, PASSWORD, "nueva@example.com", IP)
    db.session.commit()
    # The new address is confirmed by Lucía: in her language, though no account uses it yet.
    new = last_to("nueva@example.com")
    assert new.subject == "Confirme su nueva dirección de correo electrónico"
    link = re.search(r"/es/verify/\S+", new.body).group(0)
    page = app.test_client().get(link).get_data(as_text=True)
    assert '<h1 id="verify-title">Confirme su nueva dirección de correo electrónico</h1>' in page
    told = last_to("lucia@example.com")
    assert told.subject == "Se está cambiando su dirección de correo electrónico"
    assert "nueva@example.com" in told.body and "/es/" in told.body

    # Someone without a chosen language reads English, with English links.
    make_user("max@example.com", name="Max")
    accounts.request_password_reset("max@example.com", IP)
    english = last_to("max@example.com")
    assert "To choose a new password" in english.body and "/es/" not in english.body


def test_signing_up_on_a_spanish_page_chooses_spanish_for_the_account_and_its_mail(client):
    form = {"name": "Lucía Pérez", "email": "lucia@example.com", "password": PASSWORD,
            "practice_name": "Manos de Lucía"}  # fmt: skip
    assert client.post("/es/register", data=form).status_code == 200
    assert client.post("/register", data={**form, "email": "max@example.com"}).status_code == 200
    lucia = db.session.scalar(select(User).where(User.email == "lucia@example.com"))
    max_ = db.session.scalar(select(User).where(User.email == "max@example.com"))
    assert (lucia.language, max_.language) == ("es", None)
    assert last_to("lucia@example.com").subject == "Confirme su correo electrónico"
    assert last_to("max@example.com").subject == "Confirm your email address"
    # The address already has an account: its owner is told, in the account's language.
    client.post("/register", data=form)
    assert last_to("lucia@example.com").subject == "Alguien intentó registrarse con su dirección"


def test_a_specialty_decision_reaches_a_spanish_speaking_therapist_in_spanish(
    app, make_practitioner
):
    lucia = spanish(new_user("lucia@example.com", "Lucía"))
    hand = practice("crafted-hand", "The Crafted Hand")
    join(lucia, hand, "therapist")
    profile = make_practitioner("lucia-b", tenant=hand, user_id=lucia.id, name="Lucía B")
    admin = new_user("ada@example.com", "Ada Admin", is_admin=True)
    later = date.today() + timedelta(days=400)
    verified = Specialty(kind="prenatal", issuer="Mothermassage", expires_on=later,
                         document="x.pdf")  # fmt: skip
    refused = Specialty(kind="clt", issuer="Klose Training", document="y.pdf")
    profile.specialties.extend([verified, refused])
    db.session.commit()
    admin_ops.approve_specialty(verified, admin)
    db.session.commit()
    letter = last_to("lucia@example.com")
    assert letter.subject.startswith("Su certificado de ") and "verificado" in letter.subject
    assert "emitido por Mothermassage" in letter.body and "hasta el " in letter.body
    assert f" de {later.year}" in letter.body and "/es/dashboard/" in letter.body
    admin_ops.reject_specialty(refused, admin, "El documento está borroso")
    db.session.commit()
    letter = last_to("lucia@example.com")
    assert letter.subject.startswith("No pudimos verificar su certificado de ")
    assert "El documento está borroso" in letter.body and "Corríjalo" in letter.body


def test_an_expiry_reminder_reaches_each_reader_in_their_language(app, make_practitioner):
    on = date(2031, 3, 10)
    hand = practice("crafted-hand", "The Crafted Hand")
    # A staff profile without an account: its practice's owner and manager are reminded.
    join(spanish(new_user("lucia@example.com", "Lucía")), hand, "owner")
    join(new_user("olivia@example.com", "Olivia"), hand, "manager")
    make_practitioner("lucia-b", tenant=hand, name="Lucía B",
                      licenses=[("NJ", "verified", on + timedelta(days=10))])  # fmt: skip
    assert expiry.remind(expiry.scan(on), on) == 1
    es, en = last_to("lucia@example.com"), last_to("olivia@example.com")
    assert es.subject == "Lucía B: la licencia de NJ 18KT01515000 vence el 20 de marzo de 2031"
    assert "El 21 de marzo de 2031 la insignia de verificada desaparece" in es.body
    assert "/es/dashboard/profiles/lucia-b/licenses" in es.body
    assert en.subject == "Lucía B: NJ license 18KT01515000 expires on March 20, 2031"
    assert "/es/" not in en.body


def test_a_claim_decision_reaches_a_spanish_speaking_claimant_in_spanish(
    client,
    auth,
    alex,  # noqa: F811 (a fixture)
    people,  # noqa: F811 (a fixture)
):
    spanish(people["robin"])
    sign_in(client, auth, "robin")
    prove(client, alex.slug)
    client.post(f"/p/{alex.slug}/claim/document",
                data={"document": (io.BytesIO(PDF), "license.pdf")})  # fmt: skip
    sign_in(client, auth, "admin")
    client.post(f"/admin/claims/{my_claim('robin@example.com').id}/refuse",
                data={"reason": "La licencia nombra a otra persona"})  # fmt: skip
    told = last_to("robin@example.com")
    assert told.subject == f"Su reclamo de la ficha de {alex.name}"
    assert "Un administrador no pudo aceptarlo: La licencia nombra a otra persona" in told.body
    assert told.body.startswith("Hola, Robin Fake:") and "Kneaded, el directorio" in told.body
