"""Practices as tenants: roles, members, invitations, ownership, staff profiles, the owners'
activity log, and search following every change at once."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from directory import tenancy
from directory.accounts.models import User
from directory.audit import AuditEvent
from directory.db import db, now_utc
from directory.mail import MailMessage
from directory.practices import operations as ops
from directory.practices.models import Invitation, Membership
from directory.practitioners.models import Practitioner
from tests.conftest import CONFIRMED, PASSWORD, tag
from tests.people import build_crew, join, log_in, new_user


@pytest.fixture
def crew(make_practitioner):
    crew = build_crew(make_practitioner)
    tag(crew["p_alexa"], conditions=["sciatica"])
    db.session.commit()
    return crew


def member(crew, name: str) -> Membership:
    user = crew[name]
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.tenant_id.isnot(None))
    )


def actions(tenant) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.tenant_id == tenant.id)
            .order_by(AuditEvent.id)
        )
    )


def found(client, q="sciatica", near="Hoboken, NJ") -> list[str]:
    response = client.get("/api/v1/search", query_string={"q": q, "near": near})
    assert response.status_code == 200
    return [r["slug"] for r in response.json["results"]]


def last_link(to: str) -> str:
    message = db.session.scalar(
        select(MailMessage).where(MailMessage.to == to).order_by(MailMessage.id.desc())
    )
    assert message is not None, f"no mail to {to}"
    return re.search(r"http://\S+/invitations/\S+", message.body).group(0)


# --- roles, without HTTP ---------------------------------------------------------------------


def test_owner_changes_roles_and_it_is_audited(crew):
    assert ops.change_role(member(crew, "owner"), member(crew, "bo"), "manager")
    db.session.commit()
    assert member(crew, "bo").role == "manager"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.role_changed"))
    assert event.details["before"] == "therapist" and event.details["after"] == "manager"
    assert event.actor_id == crew["owner"].id and event.tenant_id == crew["hand"].id


def test_a_manager_never_grants_or_takes_ownership(crew):
    with pytest.raises(ops.NotPermitted):
        ops.change_role(member(crew, "manager"), member(crew, "bo"), "owner")
    with pytest.raises(ops.NotPermitted):
        ops.change_role(member(crew, "manager"), member(crew, "owner"), "therapist")
    with pytest.raises(ops.NotPermitted):
        ops.remove_member(member(crew, "manager"), member(crew, "owner"))
    assert member(crew, "owner").role == "owner"


def test_therapists_manage_nothing(crew):
    alexa = member(crew, "alexa")
    for attempt in (
        lambda: ops.change_role(alexa, member(crew, "bo"), "manager"),
        lambda: ops.remove_member(alexa, member(crew, "bo")),
        lambda: ops.invite(alexa, "new@example.com", "therapist"),
        lambda: ops.transfer_ownership(alexa, member(crew, "bo")),
        lambda: ops.update_practice(alexa, {"name": "Mine now"}),
        lambda: ops.create_staff_profile(alexa, "Someone"),
        lambda: ops.delete_profile(alexa, crew["p_bo"]),
    ):
        with pytest.raises(ops.NotPermitted):
            attempt()


def test_the_last_owner_can_be_neither_demoted_nor_removed_nor_leave(crew):
    owner = member(crew, "owner")
    with pytest.raises(ops.Refused, match="needs an owner"):
        ops.change_role(owner, owner, "manager")
    with pytest.raises(ops.Refused, match="needs an owner"):
        ops.leave(owner)
    with pytest.raises(ops.Refused, match="needs an owner"):
        ops.remove_member(owner, owner)
    # With a second owner, the first may step down.
    ops.change_role(owner, member(crew, "manager"), "owner")
    ops.change_role(owner, owner, "manager")
    db.session.commit()
    assert member(crew, "owner").role == "manager"


def test_transfer_hands_over_ownership(crew):
    with pytest.raises(ops.NotPermitted):
        ops.transfer_ownership(member(crew, "manager"), member(crew, "bo"))
    ops.transfer_ownership(member(crew, "owner"), member(crew, "bo"))
    db.session.commit()
    assert (member(crew, "owner").role, member(crew, "bo").role) == ("manager", "owner")
    assert "ownership.transferred" in actions(crew["hand"])


def test_a_transfer_with_the_box_ticked_and_no_member_says_so_in_the_form(client, crew):
    log_in(client, crew["owner"])
    path = f"/dashboard/practices/{crew['hand'].slug}/transfer"
    response = client.post(path, data={"member": "", "confirm": "y"})
    assert response.status_code == 400
    assert "Choose the member who will own the practice." in response.text
    assert (member(crew, "owner").role, member(crew, "bo").role) == ("owner", "therapist")


def test_removing_a_member_keeps_their_profile_private_and_detached(client, crew):
    assert "alexa-marie" in found(client)
    ops.remove_member(member(crew, "manager"), member(crew, "alexa"))
    db.session.commit()
    assert tenancy.role_in(crew["alexa"], crew["hand"].id) is None
    profile = db.session.get(Practitioner, crew["p_alexa"].id)
    assert profile.user_id is None and not profile.published
    assert "alexa-marie" not in found(client)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.removed"))
    assert event.details["unpublished"] == ["alexa-marie"]


def test_a_therapist_may_leave(crew):
    ops.leave(member(crew, "bo"))
    db.session.commit()
    assert tenancy.role_in(crew["bo"], crew["hand"].id) is None
    assert actions(crew["hand"])[-1] == "member.left"


def test_members_of_another_practice_are_out_of_reach(crew):
    with pytest.raises(ops.NotPermitted):
        ops.change_role(member(crew, "owner"), member(crew, "zed"), "therapist")
    with pytest.raises(ops.NotPermitted):
        ops.remove_member(member(crew, "owner"), member(crew, "zed"))
    with pytest.raises(ops.NotPermitted):
        ops.delete_profile(member(crew, "owner"), crew["p_zed"])


# --- invitations, without HTTP ----------------------------------------------------------------


def test_an_invitation_is_mailed_and_only_its_hash_is_stored(crew):
    invitation, token = ops.invite(member(crew, "manager"), "New@Example.com", "therapist")
    db.session.commit()
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert last_link("New@Example.com").endswith("/invitations/" + token)
    assert ops.invitation_for_token(token).invitation.id == invitation.id
    assert actions(crew["hand"])[-1] == "invitation.sent"


def test_an_invitation_is_bound_to_its_address_and_single_use(crew):
    invitation, token = ops.invite(member(crew, "owner"), "pat@example.com", "manager")
    with pytest.raises(ops.NotPermitted):
        ops.accept_invitation(invitation, crew["zed"])
    pat = new_user("PAT@example.com", "Pat")
    ops.accept_invitation(invitation, pat)
    db.session.commit()
    assert tenancy.role_in(pat, crew["hand"].id) == "manager"
    assert ops.invitation_for_token(token) is None
    with pytest.raises(ops.Refused):
        ops.accept_invitation(invitation, pat)
    assert pat.email_verified_at is not None


def test_expired_and_revoked_invitations_do_not_work(crew):
    expired, token1 = ops.invite(member(crew, "owner"), "a@example.com", "therapist")
    expired.expires_at = now_utc() - timedelta(seconds=1)
    revoked, token2 = ops.invite(member(crew, "owner"), "b@example.com", "therapist")
    ops.revoke_invitation(member(crew, "owner"), revoked)
    db.session.commit()
    assert ops.invitation_for_token(token1) is None
    assert ops.invitation_for_token(token2) is None
    with pytest.raises(ops.Refused):
        ops.accept_invitation(expired, new_user("a@example.com"))


def test_inviting_again_replaces_the_old_link(crew):
    _, old = ops.invite(member(crew, "owner"), "c@example.com", "therapist")
    _, new = ops.invite(member(crew, "owner"), "c@example.com", "manager")
    db.session.commit()
    assert ops.invitation_for_token(old) is None
    assert ops.invitation_for_token(new).invitation.role == "manager"
    assert len(ops.pending_invitations(crew["hand"].id)) == 1


def test_invitations_refuse_members_and_ownership(crew):
    with pytest.raises(ops.Refused, match="already a member"):
        ops.invite(member(crew, "owner"), "BO@example.com", "therapist")
    with pytest.raises(ops.Refused):
        ops.invite(member(crew, "owner"), "x@example.com", "owner")


def test_an_invitation_can_hand_over_a_staff_profile(crew):
    owner = member(crew, "owner")
    staff = ops.create_staff_profile(owner, "Casey Staff")
    invitation, _ = ops.invite(owner, "casey@example.com", "therapist", staff)
    casey = new_user("casey@example.com")
    ops.accept_invitation(invitation, casey)
    db.session.commit()
    assert db.session.get(Practitioner, staff.id).user_id == casey.id
    casey_membership = db.session.scalar(select(Membership).where(Membership.user_id == casey.id))
    assert [p.slug for p in tenancy.editable_profiles(casey, casey_membership)] == [staff.slug]
    with pytest.raises(ops.Refused, match="belongs to someone"):
        ops.invite(owner, "other@example.com", "therapist", crew["p_bo"])


# --- the practice's pages ---------------------------------------------------------------------


def test_invitation_flow_for_someone_without_an_account(client, crew):
    log_in(client, crew["manager"])
    response = client.post(
        "/dashboard/practices/crafted-hand/invitations",
        data={"email": "newbie@example.com", "role": "therapist", "profile": ""},
    )
    assert response.status_code == 302
    link = last_link("newbie@example.com")
    path = link.split("127.0.0.1:5000", 1)[1]
    client.post("/logout")
    page = client.get(path)
    assert page.status_code == 200 and "Create your account" in page.get_data(as_text=True)
    # A weak password is refused and nothing is created.
    weak = client.post(path, data={"name": "New Bie", "password": "short"})
    assert weak.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.accepted_at.isnot(None))) == 0  # fmt: skip
    done = client.post(path, data={"name": "New Bie", "password": PASSWORD})
    assert done.status_code == 302 and done.location.endswith("/dashboard/practices/crafted-hand")
    newbie = db.session.scalar(select(User).where(User.email == "newbie@example.com"))
    assert tenancy.role_in(newbie, crew["hand"].id) == "therapist"
    assert newbie.email_verified_at is not None
    # Single use: the same link now says it does not work.
    client.post("/logout")
    assert client.get(path).status_code == 404


def test_the_invitation_page_names_the_practice_and_the_invitee_where_known(client, crew):
    owner = member(crew, "owner")
    staff = ops.create_staff_profile(owner, "Casey Staff")
    _, token = ops.invite(owner, "casey@example.com", "therapist", staff)
    db.session.commit()
    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Hello Casey Staff," in page
    assert "Olivia Owner of The Crafted Hand invites you" in page
    # The name is filled in for the new account (it can be changed).
    assert re.search(r'name="name"[^>]*value="Casey Staff"', page)
    # Whoever sent it left the practice: the practice invites, not a blank.
    _, token = ops.invite(owner, "pat@example.com", "manager")
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == "pat@example.com"))
    invitation.invited_by_id = None
    db.session.commit()
    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "The Crafted Hand invites <strong>pat@example.com</strong>" in page
    assert "Hello" not in page


def test_the_invitation_page_reads_in_spanish(client, crew):
    """The Spanish invitation mail links to /es/invitations/...: the page it opens is Spanish."""
    from tests.test_i18n_matrix import english_left

    owner = member(crew, "owner")
    staff = ops.create_staff_profile(owner, "Casey Staff")
    _, token = ops.invite(owner, "casey@example.com", "therapist", staff)
    db.session.commit()
    page = client.get(f"/es/invitations/{token}").get_data(as_text=True)
    assert "<h1>Unirse a The Crafted Hand</h1>" in page and "Hola, Casey Staff:" in page
    assert (
        "Olivia Owner, de The Crafted Hand lo invita (<strong>casey@example.com</strong>)" in page
    )
    assert "Pasaría a encargarse del perfil de Casey Staff." in page
    assert "Cree su cuenta" in page and "Crear la cuenta y unirse" in page
    people = ["Olivia Owner", "The Crafted Hand", "Casey Staff", "casey@example.com", "Kneaded"]
    assert english_left(page, people, []) == []


def test_a_dead_invitation_link_says_so_in_spanish(client, crew):
    response = client.get("/es/invitations/no-such-token")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Este enlace de invitación no funciona" in page and "Iniciar sesión" in page
    assert "does not work" not in page


def test_an_invitation_is_not_accepted_by_another_signed_in_user(client, crew):
    _, token = ops.invite(member(crew, "owner"), "pat@example.com", "manager")
    db.session.commit()
    log_in(client, crew["zed"])
    page = client.get(f"/invitations/{token}")
    assert "this invitation is for pat@example.com" in page.get_data(as_text=True)
    assert client.post(f"/invitations/{token}").status_code == 400
    assert tenancy.role_in(crew["zed"], crew["hand"].id) is None
    assert ops.invitation_for_token(token) is not None


def test_an_existing_account_signs_in_then_accepts(client, crew):
    _, token = ops.invite(member(crew, "owner"), "zed@example.com", "therapist")
    db.session.commit()
    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Sign in to accept" in page and "Create your account" not in page
    log_in(client, crew["zed"])
    response = client.post(f"/invitations/{token}")
    assert response.status_code == 302
    assert tenancy.role_in(crew["zed"], crew["hand"].id) == "therapist"


def test_a_demoted_owner_loses_access_on_the_next_request(client, crew):
    log_in(client, crew["manager"])
    assert client.get("/dashboard/practices/crafted-hand/members").status_code == 200
    member(crew, "manager").role = "therapist"
    db.session.commit()
    assert client.get("/dashboard/practices/crafted-hand/members").status_code == 403


def test_the_dashboard_switches_between_practices(client, crew):
    join(crew["alexa"], crew["other"], "manager")
    log_in(client, crew["alexa"])
    first = client.get("/dashboard").get_data(as_text=True)
    assert "Your practices" in first
    other = client.get("/dashboard/practices/other-spa").get_data(as_text=True)
    assert "Zed" in other and "Alexa Marie</a>" not in other
    # The dashboard remembers the practice chosen last.
    assert "Zed" in client.get("/dashboard").get_data(as_text=True)
    log_in(client, crew["bo"])
    assert client.get("/dashboard/practices/other-spa").status_code == 404


def test_practice_details_are_saved_and_bad_input_is_kept(client, crew):
    log_in(client, crew["manager"])
    url = "/dashboard/practices/crafted-hand/settings"
    bad = client.post(url, data={"name": "The Crafted Hand", "kind": "clinic",
                                 "website": "javascript:alert(1)", "description": "Kept text",
                                 "form_complete": "1"})  # fmt: skip
    assert bad.status_code == 400
    body = bad.get_data(as_text=True)
    assert "Kept text" in body and "http" in body
    assert crew["hand"].kind == "practice"
    cut = client.post(url, data={"name": "Half", "kind": "clinic"})
    assert cut.status_code == 400 and db.session.get(type(crew["hand"]), crew["hand"].id).name == (
        "The Crafted Hand"
    )
    ok = client.post(url, data={"name": "The Crafted Hand Clinic", "kind": "clinic",
                                "website": "https://hand.example", "description": "We fix backs.",
                                "form_complete": "1"})  # fmt: skip
    assert ok.status_code == 302
    hand = db.session.get(type(crew["hand"]), crew["hand"].id)
    assert (hand.name, hand.kind, hand.website) == (
        "The Crafted Hand Clinic", "clinic", "https://hand.example",
    )  # fmt: skip
    assert actions(hand)[-1] == "practice.updated"


def test_owners_see_the_activity_log_and_managers_do_not(client, crew):
    ops.change_role(member(crew, "owner"), member(crew, "bo"), "manager")
    db.session.commit()
    log_in(client, crew["owner"])
    page = client.get("/dashboard/practices/crafted-hand/audit")
    assert page.status_code == 200 and "Changed a member&#39;s role" in page.get_data(as_text=True)
    log_in(client, crew["manager"])
    assert client.get("/dashboard/practices/crafted-hand/audit").status_code == 403
    log_in(client, crew["zed"])
    assert client.get("/dashboard/practices/crafted-hand/audit").status_code == 404


def test_managers_create_and_delete_staff_profiles(client, crew):
    log_in(client, crew["manager"])
    response = client.post("/dashboard/practices/crafted-hand/profiles", data={"name": "Dee Staff"})
    assert response.status_code == 302
    dee = db.session.scalar(select(Practitioner).where(Practitioner.name == "Dee Staff"))
    assert dee.user_id is None and dee.tenant_id == crew["hand"].id and not dee.published
    dee_id = dee.id
    assert client.post(f"/dashboard/profiles/{dee.slug}/delete", data=CONFIRMED).status_code == 302
    assert db.session.get(Practitioner, dee_id) is None
    log_in(client, crew["alexa"])
    assert client.post("/dashboard/profiles/bo-chen/delete", data=CONFIRMED).status_code == 403
    assert client.post("/dashboard/profiles/alexa-marie/delete", data=CONFIRMED).status_code == 403


# --- search follows every change at once -----------------------------------------------------


def test_closing_a_practice_takes_it_out_of_search_and_dashboards(client, crew):
    assert "alexa-marie" in found(client)
    log_in(client, crew["owner"])
    wrong = client.post("/dashboard/practices/crafted-hand/close", data={"confirm_name": "nope"})
    assert wrong.status_code == 400 and "alexa-marie" in found(client)
    done = client.post(
        "/dashboard/practices/crafted-hand/close", data={"confirm_name": "the crafted hand"}
    )
    assert done.status_code == 302
    assert "alexa-marie" not in found(client)
    assert client.get("/p/alexa-marie").status_code == 404
    assert client.get("/dashboard/practices/crafted-hand").status_code == 404
    assert "practice.deleted" in actions(crew["hand"])


def test_a_suspended_practice_leaves_search_at_once(client, crew):
    assert "alexa-marie" in found(client)
    crew["hand"].status = "suspended"
    db.session.commit()
    assert "alexa-marie" not in found(client)


def test_deleting_a_profile_takes_it_out_of_search_at_once(client, crew):
    assert "alexa-marie" in found(client)
    log_in(client, crew["owner"])
    client.post("/dashboard/profiles/alexa-marie/delete", data=CONFIRMED)
    assert "alexa-marie" not in found(client)


def test_audit_details_read_as_text():
    from directory.audit import describe

    assert describe({"fields": ["website"], "before": {"website": None}, "from_": "a@x.io"}) == (
        "fields: website; before: website: (none); from: a@x.io"
    )
    assert describe({"unpublished": [], "profile": None}) == ""


def test_anyone_signed_in_may_start_another_practice(client, crew):
    log_in(client, crew["alexa"])
    response = client.post("/dashboard/practices", data={"name": "Alexa Solo"})
    assert response.status_code == 302 and response.location.endswith("/practices/alexa-solo")
    assert {m.tenant.slug: m.role for m in tenancy.memberships_of(crew["alexa"])} == {
        "crafted-hand": "therapist", "alexa-solo": "owner",
    }  # fmt: skip
    assert client.post("/dashboard/practices", data={"name": "  "}).status_code == 302
    assert len(tenancy.memberships_of(crew["alexa"])) == 2


def test_one_account_owns_a_bounded_number_of_practices(crew, monkeypatch):
    monkeypatch.setattr(ops, "MAX_OWNED_PRACTICES", 2)
    ops.start_practice(crew["owner"], "Second")
    with pytest.raises(ops.Refused, match="the most one account may"):
        ops.start_practice(crew["owner"], "Third")


def test_settings_offer_the_embed_code(client, crew):
    log_in(client, crew["manager"])
    html = client.get("/dashboard/practices/crafted-hand/settings").get_data(as_text=True)
    assert '&lt;iframe src="http://127.0.0.1:5000/t/crafted-hand/embed"' in html


def test_an_unconfirmed_account_is_told_how_to_accept(client, crew):
    new_user("uma@example.com", "Uma")  # email_verified_at is None
    _, token = ops.invite(member(crew, "owner"), "uma@example.com", "therapist")
    db.session.commit()
    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "not confirmed yet" in page and "Sign in to accept" in page
    crew["zed"].email_verified_at = now_utc()
    _, token = ops.invite(member(crew, "owner"), "zed@example.com", "therapist")
    db.session.commit()
    assert "not confirmed yet" not in client.get(f"/invitations/{token}").get_data(as_text=True)


# --- one rule per action: pages show a button exactly where the rule allows it ---------------


@pytest.mark.parametrize("viewer", ["owner", "manager"])
def test_members_page_offers_each_action_exactly_where_may_allows_it(client, crew, viewer):
    actor = member(crew, viewer)
    log_in(client, crew[viewer])
    html = client.get(f"/dashboard/practices/{crew['hand'].slug}/members").get_data(as_text=True)
    for name in ("owner", "manager", "alexa", "bo"):
        target = member(crew, name)
        role_form = f"/members/{target.id}/role" in html
        remove_form = f"/members/{target.id}/remove" in html
        assert role_form == tenancy.may(actor, "change_role", target), name
        removable = target.id != actor.id and tenancy.may(actor, "remove_member", target)
        assert remove_form == removable, name
    owner_option = '<option value="owner"' in html
    assert owner_option == tenancy.may(actor, "grant_ownership")
    # What the page leaves out, the operation refuses too (and a manager sees no owner controls).
    if viewer == "manager":
        assert not owner_option and f"/members/{member(crew, 'owner').id}/role" not in html
        with pytest.raises(ops.NotPermitted):
            ops.remove_member(actor, member(crew, "owner"))


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("owner", {"see_practice", "manage_practice", "close_practice", "read_audit_log",
                   "transfer_ownership", "grant_ownership"}),
        ("manager", {"see_practice", "manage_practice"}),
        ("therapist", {"see_practice"}),
    ],
)  # fmt: skip
def test_practice_wide_actions_by_role(crew, role, allowed):
    actor = Membership(role=role, tenant_id=crew["hand"].id, user_id=crew["owner"].id)
    practice_wide = {
        "see_practice", "manage_practice", "close_practice", "read_audit_log",
        "transfer_ownership", "grant_ownership",
    }  # fmt: skip
    assert practice_wide <= set(tenancy.RULES)
    assert {a for a in practice_wide if tenancy.may(actor, a)} == allowed
    assert not tenancy.may(None, "see_practice")


def test_a_therapist_edits_only_their_own_profile_and_nobody_another_practices(crew):
    alexa, zed = member(crew, "alexa"), member(crew, "zed")
    assert tenancy.may(alexa, "edit_profile", crew["p_alexa"])
    assert not tenancy.may(alexa, "edit_profile", crew["p_bo"])
    assert not tenancy.may(alexa, "delete_profile", crew["p_alexa"])
    assert tenancy.may(member(crew, "manager"), "delete_profile", crew["p_bo"])
    assert not tenancy.may(zed, "edit_profile", crew["p_alexa"])  # an owner, of another practice
    assert not tenancy.may(zed, "remove_member", alexa)


def test_a_new_practice_invites_through_the_form_it_is_shown(client, make_user):
    # A brand-new practice has no unclaimed profile, so the page offers no profile choice:
    # the form as shown (email and role only) must still send the invitation.
    from tests.html_forms import form_fields, with_values

    log_in(client, make_user("solo@example.com", name="Solo"))
    members = "/dashboard/practices/solo-massage/members"
    action = "/dashboard/practices/solo-massage/invitations"
    fields = form_fields(client.get(members).get_data(as_text=True), action)
    assert "profile" not in fields
    fields = with_values(fields, email="sam@example.com", role="manager")
    response = client.post(action, data=fields)
    assert response.status_code == 302
    assert db.session.scalar(select(Invitation.email)) == "sam@example.com"
    # Inviting a member is refused on the email field, with what was typed kept.
    again = client.post(action, data=with_values(fields, email="solo@example.com"))
    assert again.status_code == 400
    page = again.get_data(as_text=True)
    assert 'class="field field-invalid"' in page and 'value="solo@example.com"' in page
    assert "solo@example.com is already a member of Solo Massage." in page
