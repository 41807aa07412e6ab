"""Claiming a listing from public records and having it removed (issue 27, items 3-4): the
proof of license and name, the channels of record (a printed letter's code, a text, a document
for the admins), contested claims, rate limits, codes that expire and work once, removal into
the registry, and the admin pages."""

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from directory.audit import PHRASES, AuditEvent
from directory.db import db, now_utc
from directory.listings import claims
from directory.listings.models import ClaimAttempt, ListingClaim, ListingRemoval
from directory.mail import MailMessage
from directory.practices.models import Membership
from directory.practitioners.models import Practitioner
from tests.authz import PDF
from tests.test_listings import SAMPLE, listing, seed, write_nppes

NAME = "Alex M Rivera"
NUMBER = "MT0012345"  # Alex's TX license in the sample NPPES file
PROOF = {"number": "mt-12345", "legal_name": "Alex Rivera", "purpose": "claim"}


@pytest.fixture
def alex(app, runner, tmp_path):
    """Alex Rivera's unclaimed listing (NPPES: Austin, TX, a business phone of record)."""
    path = write_nppes(tmp_path / "npidata_pfile.csv", SAMPLE[:1])
    result = seed(runner, path)
    assert result.exit_code == 0, result.output
    found = listing(NAME)
    found.sample = path
    return found


@pytest.fixture
def people(make_user):
    """Alex (who the listing names), Robin (someone else) and an admin, each signed up."""
    return {
        "alex": make_user("alex@example.com", name="Alex Rivera"),
        "robin": make_user("robin@example.com", name="Robin Fake"),
        "admin": make_user("admin@example.com", name="Ada Admin", is_admin=True),
    }


def sign_in(client, auth, who: str):
    auth.logout()
    response = auth.login(f"{who}@example.com")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def prove(client, slug, **changes):
    return client.post(f"/p/{slug}/claim", data={**PROOF, **changes})


def my_claim(email="alex@example.com") -> ListingClaim | None:
    db.session.expire_all()
    return db.session.scalar(
        select(ListingClaim)
        .join(ListingClaim.user)
        .where(ListingClaim.user.property.mapper.class_.email == email)
        .order_by(ListingClaim.id.desc())
    )


def texted_code(phone="+15125550100") -> str:
    body = db.session.scalars(
        select(MailMessage.body).where(MailMessage.to == f"sms:{phone}")
        .order_by(MailMessage.id.desc())
    ).first()  # fmt: skip
    return re.search(r"is (\d{6})\.", body).group(1)


def print_batch(client) -> tuple[bytes, list[str]]:
    """The admin downloads the batch of letters; the codes read from the PDF's text."""
    response = client.post("/admin/claims/letters.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    return response.data, re.findall(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", text)


def actions(*names) -> list[str]:
    return list(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.in_(names)).order_by(AuditEvent.id)
    ))  # fmt: skip


# --- The whole claim, by each channel ---------------------------------------------------------


def test_a_claim_by_the_code_of_a_printed_letter(client, auth, alex, people):
    page = client.get(f"/p/{alex.slug}/claim").get_data(as_text=True)
    assert "Sign in to claim it" in page and "Claiming your listing" in page
    sign_in(client, auth, "alex")
    assert "Check my details" in client.get(f"/p/{alex.slug}/claim").get_data(as_text=True)
    assert prove(client, alex.slug).status_code == 302
    client.post(f"/p/{alex.slug}/claim/letter")
    claim = my_claim()
    assert (claim.channel, claim.status, claim.code_hash) == ("letter", "open", None)
    assert "with our next batch" in client.get(f"/p/{alex.slug}/claim").get_data(as_text=True)

    sign_in(client, auth, "admin")
    waiting = client.get("/admin/claims/letters").get_data(as_text=True)
    assert NAME in waiting and "100 Congress Ave" in waiting and "Download PDF" in waiting
    pdf, codes = print_batch(client)
    assert len(codes) == 1 and b"/Type /Page" in pdf
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "100 Congress Ave" in text and "Austin, TX" in text and "expires on" in text
    # Stored hashed: the plain code is nowhere in the database.
    claim = my_claim()
    plain = codes[0].replace("-", "")
    assert claim.code_hash == claims.code_digest(plain) and plain not in claim.code_hash
    assert claim.code_expires_at - now_utc() > timedelta(days=29)
    assert "No letter is waiting" in client.get("/admin/claims/letters").get_data(as_text=True)

    sign_in(client, auth, "alex")
    done = client.post(f"/p/{alex.slug}/claim/code", data={"code": codes[0].lower()})
    assert done.status_code == 302
    assert done.location.endswith(f"/dashboard/profiles/{alex.slug}/edit")
    mine = listing(NAME)
    assert mine.claimed and mine.user_id == people["alex"].id
    # In a practice of their own: the one their sign-up made, which they own.
    assert (
        db.session.scalar(
            select(Membership.role).where(
                Membership.user_id == people["alex"].id, Membership.tenant_id == mine.tenant_id
            )
        )
        == "owner"
    )
    # They edit everything in the normal editor now.
    editor = client.get(f"/dashboard/profiles/{alex.slug}/edit")
    assert editor.status_code == 200 and "Setting" in editor.get_data(as_text=True)
    assert my_claim().status == "done"
    said = actions(
        "listing.claim_started",
        "listing.claim_letter_asked",
        "listing.claim_letters_printed",
        "listing.claim_code_entered",
        "listing.claimed",
    )
    assert said == [
        "listing.claim_started",
        "listing.claim_letter_asked",
        "listing.claim_letters_printed",
        "listing.claim_code_entered",
        "listing.claimed",
    ]
    assert all(PHRASES[action] for action in said)


def test_a_claim_by_a_texted_code(client, auth, alex, people, app):
    sign_in(client, auth, "alex")
    prove(client, alex.slug)
    assert client.post(f"/p/{alex.slug}/claim/text").status_code == 302
    code = texted_code()
    claim = my_claim()
    assert claim.channel == "sms" and claim.code_hash == claims.code_digest(code)
    minutes = app.config["CLAIM_SMS_MINUTES"]
    assert (
        timedelta(minutes=minutes - 1)
        < claim.code_expires_at - now_utc()
        <= timedelta(minutes=minutes)
    )
    client.post(f"/p/{alex.slug}/claim/code", data={"code": code})
    assert listing(NAME).claimed and listing(NAME).user_id == people["alex"].id


def test_a_claim_by_a_document_an_admin_approves(client, auth, alex, people):
    sign_in(client, auth, "alex")
    prove(client, alex.slug)
    sent = client.post(f"/p/{alex.slug}/claim/document",
                       data={"document": (io.BytesIO(PDF), "license.pdf")})  # fmt: skip
    assert sent.status_code == 302
    claim = my_claim()
    assert (claim.channel, claim.status) == ("document", "review") and claim.document
    assert "With the admins" in client.get(f"/p/{alex.slug}/claim").get_data(as_text=True)
    assert not listing(NAME).claimed

    sign_in(client, auth, "admin")
    queue = client.get("/admin/claims").get_data(as_text=True)
    assert NAME in queue and "alex@example.com" in queue and "License document" in queue
    assert client.get(f"/admin/claims/{claim.id}/document").data == PDF
    assert client.post(f"/admin/claims/{claim.id}/approve").status_code == 302
    assert listing(NAME).claimed and listing(NAME).user_id == people["alex"].id
    told = db.session.scalar(select(MailMessage).where(MailMessage.to == "alex@example.com")
                             .order_by(MailMessage.id.desc()))  # fmt: skip
    assert "accepted" in told.body
    assert actions("listing.claim_approved") == ["listing.claim_approved"]


# --- The proof ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong",
    [
        {"number": "MT0012346"},
        {"legal_name": "Alexis Rivera"},
        {"legal_name": "Alex Rivers"},
        {"legal_name": "Rivera"},
    ],
)
def test_a_wrong_number_or_name_is_refused_without_saying_which(client, auth, alex, people, wrong):
    sign_in(client, auth, "alex")
    page = prove(client, alex.slug, **wrong)
    assert page.status_code == 200
    assert str(claims.NOT_MATCHED) in page.get_data(as_text=True)
    assert my_claim() is None
    assert db.session.scalar(select(func.count()).select_from(ClaimAttempt)) == 1
    assert not listing(NAME).claimed


def test_the_birth_year_is_asked_where_a_roster_lists_one(app, alex):
    lic = alex.licenses[0]
    lic.check_source, lic.roster_row = "wa-doh", {"BirthYear": "1984"}
    db.session.commit()
    assert claims.birth_years(alex) == {1984}
    assert not claims.matches(alex, NUMBER, "Alex Rivera", None)
    assert not claims.matches(alex, NUMBER, "Alex Rivera", 1985)
    assert claims.matches(alex, NUMBER, "Alex Rivera", 1984)


def test_proofs_are_rate_limited_per_account_and_per_listing(client, auth, alex, people, make_user):
    sign_in(client, auth, "robin")
    for _ in range(claims.PROOF_FAILURES_PER_ACCOUNT):
        assert prove(client, alex.slug, number="MT999").status_code == 200
    # Even the right details are refused now: guessing stops.
    refused = prove(client, alex.slug)
    assert refused.status_code == 429 and my_claim("robin@example.com") is None
    # Per listing: many accounts' failures stop every try at it.
    for _ in range(claims.PROOF_FAILURES_PER_LISTING - claims.PROOF_FAILURES_PER_ACCOUNT):
        db.session.add(ClaimAttempt(user_id=people["admin"].id, practitioner_id=alex.id,
                                    success=False))  # fmt: skip
    db.session.commit()
    sign_in(client, auth, "alex")
    assert prove(client, alex.slug).status_code == 429


# --- Codes: expiry, single use, wrong tries ---------------------------------------------------


def test_a_code_expires(client, auth, alex, people):
    sign_in(client, auth, "alex")
    prove(client, alex.slug)
    client.post(f"/p/{alex.slug}/claim/text")
    code = texted_code()
    claim = my_claim()
    claim.code_expires_at = now_utc() - timedelta(seconds=1)
    db.session.commit()
    page = client.post(f"/p/{alex.slug}/claim/code", data={"code": code})
    assert "That code has expired" in page.get_data(as_text=True)
    assert not listing(NAME).claimed


def test_a_code_works_once_and_dies_after_too_many_wrong_tries(client, auth, alex, people):
    sign_in(client, auth, "alex")
    prove(client, alex.slug)
    client.post(f"/p/{alex.slug}/claim/text")
    code = texted_code()
    for _ in range(claims.MAX_CODE_FAILURES - 1):
        page = client.post(f"/p/{alex.slug}/claim/code", data={"code": "000000"})
        assert "That code is not right" in page.get_data(as_text=True)
    page = client.post(f"/p/{alex.slug}/claim/code", data={"code": "000001"})
    assert "no longer works" in page.get_data(as_text=True)
    # The right code is void now too.
    page = client.post(f"/p/{alex.slug}/claim/code", data={"code": code})
    assert "No code is out" in page.get_data(as_text=True) and not listing(NAME).claimed
    client.post(f"/p/{alex.slug}/claim/text")
    code = texted_code()
    claim = my_claim()
    assert claims.enter_code(claim, code) == "done"
    db.session.commit()
    assert claim.code_hash is None
    # Single use: the same code again reaches no claim.
    with pytest.raises(claims.Refused):
        claims.enter_code(claim, code)


def test_another_user_cannot_take_over_a_pending_claim(client, auth, alex, people):
    sign_in(client, auth, "alex")
    prove(client, alex.slug)
    client.post(f"/p/{alex.slug}/claim/text")
    code = texted_code()
    sign_in(client, auth, "robin")
    robbed = client.post(f"/p/{alex.slug}/claim/code", data={"code": code})
    assert robbed.status_code == 302 and robbed.location.endswith(f"/p/{alex.slug}/claim")
    page = client.get(f"/p/{alex.slug}/claim").get_data(as_text=True)
    assert "Check my details" in page and "your details match the record" not in page
    assert not listing(NAME).claimed and my_claim().code_hash is not None


def test_signed_out_steps_go_to_sign_in_and_back(client, alex):
    step = client.post(f"/p/{alex.slug}/claim/letter")
    assert step.status_code == 302 and "/login?next=" in step.location
    assert client.post(f"/p/{alex.slug}/claim", data=PROOF).location.startswith("/login")
    assert db.session.scalar(select(func.count()).select_from(ListingClaim)) == 0


def test_a_sign_up_from_the_claim_page_comes_back_to_it(client, auth, alex, make_user):
    page = client.get(f"/p/{alex.slug}/claim").get_data(as_text=True)
    assert f"/register?next=/p/{alex.slug}/claim" in page
    client.post("/register", data={"name": "Alex Rivera", "email": "new@example.com",
                                   "password": "lavender-table-stretch-42",
                                   "practice_name": "Rivera Massage",
                                   "next": f"/p/{alex.slug}/claim"})  # fmt: skip
    from directory.accounts.models import User

    user = db.session.scalar(select(User).where(User.email == "new@example.com"))
    user.email_verified_at = now_utc()
    db.session.commit()
    signed = auth.login("new@example.com", password="lavender-table-stretch-42")
    assert signed.location.endswith(f"/p/{alex.slug}/claim")


# --- Contested claims ---------------------------------------------------------------------------


def test_a_contested_claim_waits_for_an_admin_who_sees_both(client, auth, alex, people):
    sign_in(client, auth, "alex")
    prove(client, alex.slug)
    client.post(f"/p/{alex.slug}/claim/text")
    code = texted_code()
    sign_in(client, auth, "robin")
    prove(client, alex.slug)  # Robin knows the public facts too
    robin = my_claim("robin@example.com")
    assert robin.status == "review" and robin.contested
    assert "Someone else has claimed" in client.get(f"/p/{alex.slug}/claim").get_data(as_text=True)
    sign_in(client, auth, "alex")
    client.post(f"/p/{alex.slug}/claim/code", data={"code": code})
    # Nothing changes until an admin decides.
    assert not listing(NAME).claimed and my_claim().status == "review"

    sign_in(client, auth, "admin")
    queue = client.get("/admin/claims").get_data(as_text=True)
    assert "alex@example.com" in queue and "robin@example.com" in queue
    assert "2 claimants" in queue and "Entered right" in queue
    client.post(f"/admin/claims/{my_claim().id}/approve")
    assert listing(NAME).user_id == people["alex"].id
    assert my_claim("robin@example.com").status == "refused"
    assert "No claim is waiting" in client.get("/admin/claims").get_data(as_text=True)


def test_claiming_a_claimed_listing_is_contested_and_changes_nothing(client, auth, alex, people):
    claims.take_over(alex, people["alex"], actor=people["alex"])
    alex.headline, alex.setting, alex.published = "Sports massage", "spa", True
    db.session.commit()
    sign_in(client, auth, "robin")
    assert "has been claimed" in client.get(f"/p/{alex.slug}/claim").get_data(as_text=True)
    prove(client, alex.slug)
    assert my_claim("robin@example.com").status == "review"
    assert listing(NAME).user_id == people["alex"].id


def test_an_admin_refuses_a_claim_and_the_claimant_is_told(client, auth, alex, people):
    sign_in(client, auth, "robin")
    prove(client, alex.slug)
    client.post(f"/p/{alex.slug}/claim/document",
                data={"document": (io.BytesIO(PDF), "license.pdf")})  # fmt: skip
    sign_in(client, auth, "admin")
    client.post(f"/admin/claims/{my_claim('robin@example.com').id}/refuse",
                data={"reason": "The license names someone else"})  # fmt: skip
    assert my_claim("robin@example.com").status == "refused" and not listing(NAME).claimed
    told = db.session.scalar(select(MailMessage).where(MailMessage.to == "robin@example.com")
                             .order_by(MailMessage.id.desc()))  # fmt: skip
    assert "The license names someone else" in told.body


def test_a_claimed_profile_is_untouched_by_a_reseed(client, auth, alex, people, runner):
    sign_in(client, auth, "alex")
    prove(client, alex.slug)
    client.post(f"/p/{alex.slug}/claim/text")
    client.post(f"/p/{alex.slug}/claim/code", data={"code": texted_code()})
    mine = listing(NAME)
    mine.name, mine.headline, mine.phone = "Alex Rivera", "Sports massage", "5125550999"
    db.session.commit()
    result = seed(runner, alex.sample, file_date="2026-12-05")
    assert result.exit_code == 0 and "claimed 1" in result.output, result.output
    mine = listing("Alex Rivera")
    assert (mine.headline, mine.phone, mine.claimed) == ("Sports massage", "5125550999", True)
    assert db.session.scalar(select(func.count()).select_from(Practitioner)) == 1


# --- Removal --------------------------------------------------------------------------------


def _gone(client, slug, sample, runner):
    assert listing(NAME) is None
    # Counted nowhere, listed in no sitemap.
    assert "unclaimed listing" not in client.get("/massage/tx").get_data(as_text=True)
    index = client.get("/sitemap.xml").get_data(as_text=True)
    parts = re.findall(r"<loc>https?://[^/]+(/sitemaps/[^<]+)</loc>", index)
    assert parts and not any(slug in client.get(p).get_data(as_text=True) for p in parts)
    assert client.get(f"/p/{slug}").status_code == 404
    assert NAME not in client.get("/search?near=Austin%2C+TX").get_data(as_text=True)
    registry = db.session.scalars(select(ListingRemoval)).all()
    assert {r.npi for r in registry} >= {"1234567893"}
    assert ("TX", "MT12345") in {(r.state, r.number_key) for r in registry}
    # Reseeding the same file never lists them again.
    result = seed(runner, sample)
    assert result.exit_code == 0 and "removed 1" in result.output, result.output
    assert listing(NAME) is None


def test_removal_by_the_code_of_record(client, auth, alex, people, runner):
    slug = alex.slug
    assert "and 1 unclaimed listing" in client.get("/massage/tx").get_data(as_text=True)
    index = client.get("/sitemap.xml").get_data(as_text=True)
    parts = re.findall(r"<loc>https?://[^/]+(/sitemaps/[^<]+)</loc>", index)
    assert any(slug in client.get(p).get_data(as_text=True) for p in parts)
    assert client.get(f"/p/{alex.slug}").get_data(as_text=True).count(f"/p/{alex.slug}/remove")
    sign_in(client, auth, "alex")
    page = client.get(f"/p/{alex.slug}/remove").get_data(as_text=True)
    assert "Remove your listing" in page and 'value="remove"' in page
    prove(client, alex.slug, purpose="remove")
    client.post(f"/p/{alex.slug}/claim/text")
    code = texted_code()
    asked = client.post(f"/p/{alex.slug}/claim/code", data={"code": code})
    # One step, confirmed: the right code asks before anything goes.
    assert asked.status_code == 200 and "Remove the listing" in asked.get_data(as_text=True)
    assert listing(NAME) is not None
    done = client.post(f"/p/{alex.slug}/claim/code", data={"code": code, "confirm": "1"})
    assert done.status_code == 302
    assert actions("listing.removed") == ["listing.removed"]
    _gone(client, slug, alex.sample, runner)


def test_removal_by_a_request_admins_act_on(client, auth, alex, people, runner):
    slug = alex.slug
    sign_in(client, auth, "alex")
    prove(client, alex.slug, purpose="remove")
    client.post(f"/p/{alex.slug}/claim/request", data={"note": "I retired in 2024."})
    claim = my_claim()
    assert (claim.channel, claim.status) == ("request", "review")
    sign_in(client, auth, "admin")
    queue = client.get("/admin/claims").get_data(as_text=True)
    assert "I retired in 2024." in queue and "Remove the listing" in queue
    client.post(f"/admin/claims/{claim.id}/approve")
    assert my_claim().status == "done" and my_claim().practitioner_id is None
    _gone(client, slug, alex.sample, runner)


def test_a_claimed_profile_has_no_removal_page(client, auth, alex, people):
    claims.take_over(alex, people["alex"], actor=people["alex"])
    db.session.commit()
    assert client.get(f"/p/{alex.slug}/remove").status_code == 404


# --- Admin pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/claims", "/admin/claims/letters"])
def test_admin_pages_are_404_for_everyone_else(client, auth, alex, people, path):
    assert client.get(path).status_code == 404
    sign_in(client, auth, "alex")
    assert client.get(path).status_code == 404
    assert client.post("/admin/claims/letters.pdf").status_code == 404


def test_the_admin_pages_say_when_nothing_waits(client, auth, alex, people):
    sign_in(client, auth, "admin")
    assert "No claim is waiting" in client.get("/admin/claims").get_data(as_text=True)
    assert "No letter is waiting" in client.get("/admin/claims/letters").get_data(as_text=True)
    empty = client.post("/admin/claims/letters.pdf")
    assert empty.status_code == 302
    home = client.get("/admin").get_data(as_text=True)
    assert "0 listing claims waiting" in home and "0 claim letters to print" in home


def test_a_claimed_listing_s_license_without_an_expiry_shows_everywhere(client, auth, alex, people):
    """The NPPES file names no expiry: the claimed profile's pages, its editor and the admin
    license queue (where a claim brings its licenses) say so instead of failing."""
    claims.take_over(alex, people["alex"], actor=people["alex"])
    alex.headline, alex.setting, alex.published = "Sports massage", "spa", True
    db.session.commit()
    assert alex.licenses[0].expires_on is None
    sign_in(client, auth, "alex")
    for path in (
        "/dashboard",
        f"/dashboard/profiles/{alex.slug}/licenses",
        f"/dashboard/profiles/{alex.slug}/edit",
        f"/p/{alex.slug}",
    ):
        assert client.get(path).status_code == 200, path
    edit = client.get(f"/dashboard/profiles/{alex.slug}/licenses").get_data(as_text=True)
    assert "no expiry date on file" in edit
    sign_in(client, auth, "admin")
    queue = client.get("/admin/licenses")
    assert queue.status_code == 200 and NUMBER in queue.get_data(as_text=True)
    assert "not on file" in queue.get_data(as_text=True)
