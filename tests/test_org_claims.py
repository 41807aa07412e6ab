"""Claiming an NPPES organization (issue 27, item 3 for organizations): its plain page while
unclaimed, its authorized official's claim through the channels of record, the link from a
listing to the organization the same file places at its address and phone, joining that
practice with a claimed listing (its managers approve), withdrawing a claim, and tenant
isolation. On small NPPES files in the published format (tests.test_listings.write_nppes)."""

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from directory.audit import AuditEvent
from directory.db import db
from directory.listings import claims
from directory.listings.models import ListingClaim, ListingSource, PracticeJoin
from directory.practices.models import Membership, Tenant
from tests.test_claims import print_batch, texted_code
from tests.test_listings import listing, nppes_row, seed, write_nppes

ORG_NPI = "1234567927"
ORG = nppes_row(ORG_NPI, entity="2", org="HANDS ON HEALING, LLC",
                slots=(("225700000X", "", "", "Y"),))  # fmt: skip
ORG |= {"Authorized Official First Name": "JORDAN", "Authorized Official Last Name": "LEE",
        "Authorized Official Title or Position": "OWNER",
        "Authorized Official Telephone Number": "5125559876"}  # fmt: skip
#: At the organization's practice address and phone: linked.
ALEX = nppes_row("1234567893", last="RIVERA", first="ALEX", credential="LMT")
#: The same phone at another address: not linked.
ROBIN = nppes_row("1234567968", last="PARK", first="ROBIN", street="200 MAIN ST",
                  slots=(("225700000X", "MT0077777", "TX", "Y"),))  # fmt: skip
PROOF = {"npi": ORG_NPI, "legal_name": "Jordan Lee"}


def practice() -> Tenant:
    db.session.expire_all()
    return db.session.scalar(select(Tenant).where(Tenant.name == "Hands On Healing, Llc"))


@pytest.fixture
def world(app, runner, tmp_path, make_user):
    path = write_nppes(tmp_path / "npidata_pfile.csv", [ORG, ALEX, ROBIN])
    result = seed(runner, path)
    assert result.exit_code == 0, result.output
    assert "linked 1" in result.output
    return {
        "path": path,
        "jordan": make_user("jordan@example.com", name="Jordan Lee"),
        "alex": make_user("alex@example.com", name="Alex Rivera"),
        "robin": make_user("robin@example.com", name="Robin Park"),
        "mallory": make_user("mallory@example.com", name="Mallory Fake"),
        "admin": make_user("admin@example.com", name="Ada Admin", is_admin=True),
    }


def sign_in(auth, who):
    auth.logout()
    assert auth.login(f"{who}@example.com").status_code == 302


def claim_practice(client, auth, slug, who="jordan"):
    """Jordan proves the NPI and their name, then enters the code texted to the business phone."""
    sign_in(auth, who)
    assert client.post(f"/t/{slug}/claim", data=PROOF).status_code == 302
    assert client.post(f"/t/{slug}/claim/text").status_code == 302
    return client.post(f"/t/{slug}/claim/code", data={"code": texted_code()})


def actions(*names):
    return list(db.session.scalars(select(AuditEvent.action)
                                   .where(AuditEvent.action.in_(names))
                                   .order_by(AuditEvent.id)))  # fmt: skip


def test_the_seed_keeps_the_official_for_the_claim_and_never_shows_them(client, world):
    tenant = practice()
    record = claims.organization_record(tenant)
    assert (
        record["official_first"],
        record["official_last"],
        record["official_title"],
        record["official_phone"],
    ) == ("JORDAN", "LEE", "OWNER", "(512) 555-9876")
    page = client.get(f"/t/{tenant.slug}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Hands On Healing, Llc" in text and "Not yet claimed" in text
    assert "Is this your practice? Claim it" in text and f"/t/{tenant.slug}/claim" in text
    assert "100 Congress Ave" in text and "(512) 555-0100" in text
    assert "555-9876" not in text and "Jordan" not in text and "JORDAN" not in text
    claim_page = client.get(f"/t/{tenant.slug}/claim").get_data(as_text=True)
    assert "555-9876" not in claim_page and "Sign in to claim it" in claim_page
    # The practice holding every unclaimed listing has no such page.
    assert client.get("/t/public-records").status_code == 404
    assert client.get("/t/public-records/claim").status_code == 404


def test_an_organization_claimed_end_to_end_by_a_texted_code(client, auth, world):
    slug = practice().slug
    sign_in(auth, "jordan")
    wrong = client.post(f"/t/{slug}/claim", data={**PROOF, "legal_name": "Pat Lee"})
    assert wrong.status_code == 200 and "do not match" in wrong.get_data(as_text=True)
    assert client.post(f"/t/{slug}/claim", data={**PROOF, "npi": "1234567893"}).status_code == 200
    done = claim_practice(client, auth, slug)
    assert done.status_code == 302 and f"/dashboard/practices/{slug}/settings" in done.location
    tenant = practice()
    assert tenant.claimed
    [owner] = tenant.memberships
    assert (owner.user_id, owner.role) == (world["jordan"].id, "owner")
    assert actions("organization.claimed") == ["organization.claimed"]
    # Its page is the practice's own page now, and a reseed leaves it as its owner has it.
    assert "Not yet claimed" not in client.get(f"/t/{slug}").get_data(as_text=True)
    tenant.name = "Hands On Healing Austin"
    db.session.commit()
    from tests.test_listings import seed as reseed

    assert reseed(client.application.test_cli_runner(), world["path"]).exit_code == 0
    assert practice() is None  # the name is the owner's, not the file's
    assert db.session.scalar(select(Tenant).where(Tenant.slug == slug)).name == (
        "Hands On Healing Austin"
    )


def test_an_organization_claim_by_a_printed_letter(client, auth, world):
    slug = practice().slug
    sign_in(auth, "jordan")
    client.post(f"/t/{slug}/claim", data=PROOF)
    client.post(f"/t/{slug}/claim/letter")
    assert "with our next batch" in client.get(f"/t/{slug}/claim").get_data(as_text=True)
    sign_in(auth, "admin")
    pdf, codes = print_batch(client)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Hands On Healing, Llc" in text and "100 Congress Ave" in text
    assert f"/t/{slug}/claim" in text
    sign_in(auth, "jordan")
    client.post(f"/t/{slug}/claim/code", data={"code": codes[0]})
    assert practice().claimed


def test_contested_organization_claims_go_to_the_admins(client, auth, world):
    slug = practice().slug
    for who in ("jordan", "mallory"):
        sign_in(auth, who)
        client.post(f"/t/{slug}/claim", data=PROOF)
    found = db.session.scalars(
        select(ListingClaim).where(ListingClaim.tenant_id.is_not(None))
    ).all()
    assert len(found) == 2 and all(c.contested for c in found)
    # Jordan's right code of record sends their claim to the admins too: nothing changes yet.
    sign_in(auth, "jordan")
    client.post(f"/t/{slug}/claim/text")
    client.post(f"/t/{slug}/claim/code", data={"code": texted_code()})
    assert not practice().claimed
    sign_in(auth, "admin")
    queue = client.get("/admin/claims").get_data(as_text=True)
    assert "Practices from the NPPES file" in queue and "mallory@example.com" in queue
    assert "authorized official Jordan" in queue or "JORDAN" in queue
    mallory = next(c for c in found if c.user_id == world["mallory"].id)
    assert client.post(f"/admin/claims/{mallory.id}/refuse", data={"reason": "Not the official"}
                       ).status_code == 302  # fmt: skip
    jordan = next(c for c in found if c.user_id == world["jordan"].id)
    assert client.post(f"/admin/claims/{jordan.id}/approve").status_code == 302
    assert practice().claimed and practice().memberships[0].user_id == world["jordan"].id


def mail_to(address):
    from directory.mail import MailMessage

    return db.session.scalars(select(MailMessage).where(MailMessage.to == address)
                              .order_by(MailMessage.id)).all()  # fmt: skip


def test_an_admin_gives_a_claimed_practice_to_its_contester_the_earlier_owner_goes(
    client, auth, world
):
    slug = practice().slug
    claim_practice(client, auth, slug)  # Jordan owns it
    # Jordan made a co-owner; Robin works there as a therapist.
    tenant = practice()
    db.session.add_all([Membership(user_id=world["alex"].id, tenant_id=tenant.id, role="owner"),
                        Membership(user_id=world["robin"].id, tenant_id=tenant.id,
                                   role="therapist")])  # fmt: skip
    world["jordan"].language = "es"
    db.session.commit()
    sign_in(auth, "mallory")
    client.post(f"/t/{slug}/claim", data=PROOF)
    mallory = db.session.scalar(select(ListingClaim).where(
        ListingClaim.user_id == world["mallory"].id))  # fmt: skip
    assert mallory.status == "review" and mallory.contested
    sign_in(auth, "admin")
    assert client.post(f"/admin/claims/{mallory.id}/approve").status_code == 302
    roles = dict(db.session.execute(
        select(Membership.user_id, Membership.role).where(Membership.tenant_id == tenant.id)
    ).all())  # fmt: skip
    # The decision names who keeps the practice: Mallory alone owns it; its therapist stays.
    assert roles == {world["mallory"].id: "owner", world["robin"].id: "therapist"}
    dismissed = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "member.dismissed").order_by(AuditEvent.id)).all()  # fmt: skip
    assert [e.details["email"] for e in dismissed] == ["jordan@example.com", "alex@example.com"]
    assert {e.actor_id for e in dismissed} == {world["admin"].id}
    [told] = mail_to("jordan@example.com")[-1:]
    assert "Ya no es dueño" in told.subject and "Hands On Healing" in told.subject
    assert "You no longer own" in mail_to("alex@example.com")[-1].subject
    # Jordan sees nothing of it any more.
    sign_in(auth, "jordan")
    assert client.get(f"/es/dashboard/practices/{slug}/members").status_code == 404


# --- The link, and joining the practice -------------------------------------------------------


def test_the_link_rule_same_file_same_address_and_phone(world):
    tenant = practice()
    linked = dict(db.session.execute(
        select(ListingSource.key, ListingSource.organization_id)
        .where(ListingSource.practitioner_id.is_not(None))
    ).all())  # fmt: skip
    assert linked["1234567893"] == tenant.id  # Alex: same street, ZIP and phone
    assert linked["1234567968"] is None  # Robin: the same phone at another address


def test_two_organizations_at_one_place_link_nobody(app, runner, tmp_path):
    twin = nppes_row("1234567976", entity="2", org="OTHER HANDS LLC",
                     slots=(("225700000X", "", "", "Y"),))  # fmt: skip
    result = seed(runner, write_nppes(tmp_path / "npidata_pfile.csv", [ORG, twin, ALEX]))
    assert result.exit_code == 0 and "linked 0" in result.output


def claim_listing(client, auth, name, number, who):
    sign_in(auth, who)
    slug = listing(name).slug
    client.post(f"/p/{slug}/claim", data={"number": number, "legal_name": name,
                                         "purpose": "claim"})  # fmt: skip
    client.post(f"/p/{slug}/claim/text")
    return slug, client.post(f"/p/{slug}/claim/code", data={"code": texted_code()})


def test_a_claimed_listing_may_join_the_claimed_practice_its_owner_approves(client, auth, world):
    org_slug = practice().slug
    claim_practice(client, auth, org_slug)
    slug, done = claim_listing(client, auth, "Alex Rivera", "MT0012345", "alex")
    # The claim page offers the practice (rather than the editor straight away).
    assert done.location.endswith(f"/p/{slug}/claim")
    page = client.get(f"/p/{slug}/claim").get_data(as_text=True)
    assert "Ask to join Hands On Healing, Llc" in page and "Keep my own practice" in page
    before = len(mail_to("jordan@example.com"))
    assert client.post(f"/p/{slug}/join").status_code == 302
    assert "waits for its owner" in client.get(f"/p/{slug}/claim").get_data(as_text=True)
    # Its owner is mailed, with the Members page where they decide.
    [asked] = mail_to("jordan@example.com")[before:]
    assert asked.subject == "Alex Rivera asks to join Hands On Healing, Llc"
    assert f"/dashboard/practices/{org_slug}/members" in asked.body
    # Not approved yet: Alex sees nothing of the practice, and asks only once.
    assert client.get(f"/dashboard/practices/{org_slug}/members").status_code == 404
    assert client.get(f"/dashboard/practices/{org_slug}").status_code == 404
    assert client.post(f"/p/{slug}/join").status_code == 404
    [request] = db.session.scalars(select(PracticeJoin)).all()
    # Alex cannot approve their own request.
    assert client.post(f"/dashboard/practices/{org_slug}/joins/{request.id}/approve"
                       ).status_code == 404  # fmt: skip

    sign_in(auth, "jordan")
    members = client.get(f"/dashboard/practices/{org_slug}/members").get_data(as_text=True)
    assert "Therapists asking to join" in members and "alex@example.com" in members
    assert client.post(f"/dashboard/practices/{org_slug}/joins/{request.id}/approve"
                       ).status_code == 302  # fmt: skip
    alex = listing("Alex Rivera")
    assert alex.tenant_id == practice().id
    role = db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == world["alex"].id, Membership.tenant_id == practice().id
        )
    )
    assert role == "therapist"
    assert actions("practice.join_requested", "practice.join_approved") == [
        "practice.join_requested",
        "practice.join_approved",
    ]


def test_the_editor_offers_to_join_the_practice_too(client, auth, world):
    org_slug = practice().slug
    claim_practice(client, auth, org_slug)
    slug, _done = claim_listing(client, auth, "Alex Rivera", "MT0012345", "alex")
    editor = client.get(f"/dashboard/profiles/{slug}/edit").get_data(as_text=True)
    assert "Ask to join Hands On Healing, Llc" in editor and f"/p/{slug}/join" in editor
    asked = client.post(f"/p/{slug}/join", data={"back": "editor"})
    assert asked.status_code == 302 and asked.location.endswith(f"/dashboard/profiles/{slug}/edit")
    assert db.session.scalar(select(PracticeJoin.status)) == "pending"
    editor = client.get(f"/dashboard/profiles/{slug}/edit").get_data(as_text=True)
    assert "Ask to join" not in editor and "waits for its owner" in editor
    # A listing at another address is offered nothing in its editor.
    other, _done = claim_listing(client, auth, "Robin Park", "MT0077777", "robin")
    editor = client.get(f"/dashboard/profiles/{other}/edit").get_data(as_text=True)
    assert "Ask to join" not in editor and "waits for its owner" not in editor


def test_a_declined_joiner_keeps_their_own_practice(client, auth, world):
    org_slug = practice().slug
    claim_practice(client, auth, org_slug)
    slug, _done = claim_listing(client, auth, "Alex Rivera", "MT0012345", "alex")
    own = listing("Alex Rivera").tenant_id
    client.post(f"/p/{slug}/join")
    request = db.session.scalar(select(PracticeJoin))
    sign_in(auth, "jordan")
    client.post(f"/dashboard/practices/{org_slug}/joins/{request.id}/decline")
    assert listing("Alex Rivera").tenant_id == own
    assert db.session.scalar(select(PracticeJoin.status)) == "declined"
    sign_in(auth, "alex")
    assert client.get(f"/dashboard/practices/{org_slug}/members").status_code == 404


def test_a_listing_at_another_address_is_not_offered_the_practice(client, auth, world):
    claim_practice(client, auth, practice().slug)
    slug, done = claim_listing(client, auth, "Robin Park", "MT0077777", "robin")
    assert "/edit" in done.location  # straight to the editor: nothing to join
    assert "Ask to join" not in client.get(f"/p/{slug}/claim").get_data(as_text=True)
    assert client.post(f"/p/{slug}/join").status_code == 404


def test_an_unclaimed_practice_offers_nothing_to_join(client, auth, world):
    slug, done = claim_listing(client, auth, "Alex Rivera", "MT0012345", "alex")
    assert "/edit" in done.location
    assert client.post(f"/p/{slug}/join").status_code == 404


def test_claiming_an_organization_gives_no_access_to_other_practices(client, auth, world,
                                                                     make_user):  # fmt: skip
    other = make_user("zed@example.com", name="Zed Other")
    other_slug = db.session.scalar(
        select(Tenant.slug)
        .join(Membership)
        .where(Membership.user_id == other.id, Membership.role == "owner")
    )
    claim_practice(client, auth, practice().slug)
    for path in (
        f"/dashboard/practices/{other_slug}/members",
        f"/dashboard/practices/{other_slug}/settings",
    ):
        assert client.get(path).status_code == 404
    assert client.get("/t/public-records").status_code == 404


# --- Withdrawing a claim ----------------------------------------------------------------------


def test_a_claim_is_withdrawn_after_a_confirmation_and_its_code_dies(client, auth, world):
    slug = practice().slug
    sign_in(auth, "jordan")
    client.post(f"/t/{slug}/claim", data=PROOF)
    client.post(f"/t/{slug}/claim/text")
    code = texted_code()
    asked = client.post(f"/t/{slug}/claim/withdraw")
    assert asked.status_code == 200 and "Withdraw your claim?" in asked.get_data(as_text=True)
    assert db.session.scalar(select(ListingClaim.status)) == "open"
    client.post(f"/t/{slug}/claim/withdraw", data={"confirm": "1"})
    db.session.expire_all()
    claim = db.session.scalar(select(ListingClaim))
    assert (claim.status, claim.code_hash) == ("withdrawn", None)
    # The code no longer works: there is no claim under way to enter it on.
    client.post(f"/t/{slug}/claim/code", data={"code": code})
    assert not practice().claimed
    assert actions("listing.claim_withdrawn") == ["listing.claim_withdrawn"]


def test_a_listing_claim_is_withdrawn_too(client, auth, world):
    sign_in(auth, "alex")
    slug = listing("Alex Rivera").slug
    client.post(f"/p/{slug}/claim", data={"number": "MT0012345", "legal_name": "Alex Rivera",
                                         "purpose": "claim"})  # fmt: skip
    page = client.get(f"/p/{slug}/claim").get_data(as_text=True)
    assert "Withdraw my claim" in page
    client.post(f"/p/{slug}/claim/withdraw", data={"confirm": "1"})
    assert db.session.scalar(select(ListingClaim.status)) == "withdrawn"
    assert "Check my details" in client.get(f"/p/{slug}/claim").get_data(as_text=True)


# --- Removal without an account ---------------------------------------------------------------


def removal_form(prefix, **fields):
    return {f"{prefix}-{k}": v for k, v in fields.items()}


WHO = {"name": "Alex Rivera", "email": "alex.r@example.net"}


def test_a_removal_request_without_an_account_an_admin_approves(client, auth, world):
    from directory.mail import MailMessage

    slug = listing("Alex Rivera").slug
    page = client.get(f"/p/{slug}/remove").get_data(as_text=True)
    assert "Ask the admins to remove it" in page and "Remove it with your code of record" in page
    bad = client.post(f"/p/{slug}/remove/request", data=removal_form("request", name="Alex"))
    assert bad.status_code == 400 and db.session.scalar(select(ListingClaim)) is None
    sent = client.post(f"/p/{slug}/remove/request",
                       data=removal_form("request", note="I retired.", **WHO))  # fmt: skip
    assert sent.status_code == 302
    claim = db.session.scalar(select(ListingClaim))
    assert (claim.user_id, claim.status, claim.channel, claim.requester_email) == (
        None,
        "review",
        "request",
        "alex.r@example.net",
    )
    # Asking again adds no second request.
    client.post(f"/p/{slug}/remove/request", data=removal_form("request", **WHO))
    assert len(db.session.scalars(select(ListingClaim)).all()) == 1

    sign_in(auth, "admin")
    queue = client.get("/admin/claims").get_data(as_text=True)
    assert "alex.r@example.net" in queue and "I retired." in queue
    assert client.post(f"/admin/claims/{claim.id}/approve").status_code == 302
    assert listing("Alex Rivera") is None
    told = db.session.scalar(select(MailMessage).where(MailMessage.to == "alex.r@example.net"))
    assert told is not None and "removed the listing" in told.body
    assert actions("listing.removal_requested_anonymously", "listing.removed") == [
        "listing.removal_requested_anonymously",
        "listing.removed",
    ]


def test_an_admin_declines_a_request_with_a_reason_the_requester_is_told(client, auth, world):
    from directory.mail import MailMessage

    slug = listing("Alex Rivera").slug
    client.post(f"/p/{slug}/remove/request", data=removal_form("request", **WHO))
    claim = db.session.scalar(select(ListingClaim))
    sign_in(auth, "admin")
    client.post(f"/admin/claims/{claim.id}/refuse", data={"reason": "Not the person named"})
    assert listing("Alex Rivera") is not None
    told = db.session.scalar(select(MailMessage).where(MailMessage.to == "alex.r@example.net"))
    assert "Not the person named" in told.body


def test_a_filled_honeypot_is_dropped_and_requests_are_rate_limited(client, app, world):
    slug = listing("Alex Rivera").slug
    robot = client.post(
        f"/p/{slug}/remove/request", data=removal_form("request", leave_empty="http://spam", **WHO)
    )
    assert robot.status_code == 302 and db.session.scalar(select(ListingClaim)) is None
    limit = app.config["INQUIRY_LIMIT_PER_IP"]
    answers = [client.post(f"/p/{slug}/remove/request",
                           data=removal_form("request", name="Someone",
                                             email=f"x{n}@example.net")).status_code
               for n in range(limit + 1)]  # fmt: skip
    assert answers[-1] == 429


def test_a_removal_request_needs_the_csrf_token(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        fresh = app.test_client()
        slug = listing("Alex Rivera").slug
        answer = fresh.post(f"/p/{slug}/remove/request", data=removal_form("request", **WHO))
        assert answer.status_code == 400 and db.session.scalar(select(ListingClaim)) is None
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_removal_without_an_account_by_the_code_of_record(client, world):
    from directory.listings.models import ListingRemoval
    from directory.mail import MailMessage

    slug = listing("Alex Rivera").slug
    wrong = client.post(
        f"/p/{slug}/remove/send-code",
        data=removal_form(
            "send", number="MT0012345", legal_name="Pat Rivera", channel="sms", **WHO
        ),
    )
    assert wrong.status_code == 200 and "do not match" in wrong.get_data(as_text=True)
    sent = client.post(
        f"/p/{slug}/remove/send-code",
        data=removal_form(
            "send", number="mt-12345", legal_name="Alex Rivera", channel="sms", **WHO
        ),
    )
    assert sent.status_code == 302
    code = texted_code()
    bad = client.post(f"/p/{slug}/remove/code", data=removal_form("code", code="000000", **WHO))
    assert bad.status_code == 200 and "does not work" in bad.get_data(as_text=True)
    asked = client.post(f"/p/{slug}/remove/code", data=removal_form("code", code=code, **WHO))
    assert asked.status_code == 200 and "Remove this listing?" in asked.get_data(as_text=True)
    assert listing("Alex Rivera") is not None  # nothing removed before the confirmation
    done = client.post(
        f"/p/{slug}/remove/code", data={**removal_form("code", code=code, **WHO), "confirm": "1"}
    )
    assert done.status_code == 302 and listing("Alex Rivera") is None
    assert db.session.scalar(select(ListingRemoval.npi).where(ListingRemoval.npi.is_not(None))
                             ) == "1234567893"  # fmt: skip
    assert db.session.scalar(
        select(MailMessage.subject).where(MailMessage.to == "alex.r@example.net")
    ).startswith("The listing of Alex Rivera")
    # The code worked once.
    assert client.get(f"/p/{slug}/remove").status_code == 404


def test_who_asked_is_forgotten_past_the_retention_period(client, auth, runner, world):
    from datetime import timedelta

    from directory.db import now_utc
    from tests.authz import PDF

    for name in ("Alex Rivera", "Robin Park"):
        client.post(f"/p/{listing(name).slug}/remove/request",
                    data=removal_form("request", note="Please.", name=name,
                                      email=f"{name.split()[0].lower()}@example.net"))  # fmt: skip
    slug = practice().slug
    sign_in(auth, "mallory")
    client.post(f"/t/{slug}/claim", data=PROOF)
    client.post(f"/t/{slug}/claim/document",
                data={"document": (io.BytesIO(PDF), "license.pdf")})  # fmt: skip
    # One more request about Alex, still waiting for the admins: kept however old.
    client.post(f"/p/{listing('Alex Rivera').slug}/remove/request",
                data=removal_form("request", name="Al", email="al@example.net"))  # fmt: skip
    by = {c.requester_email or c.user_id: c for c in db.session.scalars(select(ListingClaim))}
    sign_in(auth, "admin")
    for key in ("alex@example.net", "robin@example.net", world["mallory"].id):
        client.post(f"/admin/claims/{by[key].id}/refuse", data={"reason": "No"})
    long_ago = now_utc() - timedelta(days=181)
    db.session.execute(
        ListingClaim.__table__.update()
        .where(ListingClaim.id.in_([by["alex@example.net"].id, by[world["mallory"].id].id]))
        .values(decided_at=long_ago)
    )
    db.session.execute(ListingClaim.__table__.update().where(
        ListingClaim.id == by["al@example.net"].id).values(updated_at=long_ago))  # fmt: skip
    db.session.commit()

    result = runner.invoke(args=["inquiries", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted who asked in 2 claims and removal requests decided before" in result.output
    db.session.expire_all()
    old, document = by["alex@example.net"], by[world["mallory"].id]
    assert (old.requester_email, old.requester_name, old.note, old.status) == (
        None, "", "", "refused")  # fmt: skip
    assert document.document is None and document.user_id == world["mallory"].id
    assert client.get(f"/admin/claims/{document.id}/document").status_code == 404
    # Decided lately, or still waiting: who asked stays (the admins answer them by mail).
    assert (by["robin@example.net"].requester_email, by["robin@example.net"].note) == (
        "robin@example.net", "Please.")  # fmt: skip
    assert by["al@example.net"].requester_email == "al@example.net"
    assert "Deleted who asked in 0 claims" in runner.invoke(args=["inquiries", "purge"]).output


def test_an_abandoned_removal_without_an_account_is_closed_and_forgotten(client, auth, runner,
                                                                         world):  # fmt: skip
    """A removal asked without an account whose code died long ago (expired, or void) can
    never be finished: the daily purge closes it and forgets who asked; a recent one, and a
    letter still waiting to be printed, keep everything."""
    from datetime import timedelta

    from directory.db import now_utc

    alex = listing("Alex Rivera")
    sent = client.post(f"/p/{alex.slug}/remove/send-code", data=removal_form(
        "send", number="mt-12345", legal_name="Alex Rivera", channel="sms", **WHO))  # fmt: skip
    assert sent.status_code == 302
    expired = db.session.scalar(select(ListingClaim))
    long_ago, lately = now_utc() - timedelta(days=181), now_utc() - timedelta(days=10)

    def anonymous(email, **values):
        claim = ListingClaim(practitioner_id=alex.id, listing_name=alex.name, purpose="remove",
                             requester_email=email, requester_name="Someone", **values)  # fmt: skip
        db.session.add(claim)
        db.session.flush()
        return claim

    void = anonymous("void@example.net", channel="sms")
    recent = anonymous("recent@example.net", channel="sms", code_hash="x" * 64,
                       code_expires_at=lately)  # fmt: skip
    waiting = anonymous("waiting@example.net", channel="letter")
    table = ListingClaim.__table__
    db.session.execute(table.update().where(table.c.id == expired.id)
                       .values(code_expires_at=long_ago, updated_at=long_ago))  # fmt: skip
    db.session.execute(table.update().where(table.c.id.in_([void.id, waiting.id]))
                       .values(updated_at=long_ago))  # fmt: skip
    db.session.commit()
    # While open, the dead claim contests anyone else's claim of the listing.
    assert claims._others(recent) and expired.id in [c.id for c in claims._others(recent)]

    result = runner.invoke(args=["inquiries", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted who asked in 2 claims" in result.output
    db.session.expire_all()
    for gone in (expired, void):
        assert (gone.status, gone.requester_email, gone.requester_name) == ("withdrawn", None, "")
        assert gone.code_hash is None and gone.decided_at < now_utc() - timedelta(days=180)
    assert {c.id for c in claims._others(recent)} == {waiting.id}
    for kept in (recent, waiting):
        assert kept.status == "open" and kept.requester_email.endswith("@example.net")
    events = list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "listing.claim_abandoned")))  # fmt: skip
    assert sorted(e.details["claim"] for e in events) == sorted([expired.id, void.id])
    assert {e.actor_label for e in events} == {"cli:purge"}
    assert "alex.r@example.net" not in str([e.details for e in events])
    assert "Deleted who asked in 0 claims" in runner.invoke(args=["inquiries", "purge"]).output
