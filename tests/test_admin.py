"""Platform admins: creating them, the license queue and its decisions, suspensions, the audit
log; and the verified badge agreeing across the API, the results page and the profile."""

import re
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from directory import licensing
from directory.accounts import passwords
from directory.accounts.models import User
from directory.admin import operations as ops
from directory.audit import AuditEvent
from directory.db import db
from directory.mail import MailMessage
from directory.practices.models import Tenant
from directory.practitioners import operations as editor_ops
from directory.practitioners.models import License, Practitioner
from tests.conftest import PASSWORD, tag
from tests.people import build_crew, join, log_in, new_user

LATER = date.today() + timedelta(days=365)


@pytest.fixture
def crew(make_practitioner):
    crew = build_crew(make_practitioner)
    crew["admin"] = new_user("ada@example.com", "Ada Admin", is_admin=True)
    tag(crew["p_alexa"], conditions=["sciatica"])
    # Bo: a pending NJ license and an office in Jersey City; a staff profile without account.
    bo = crew["p_bo"]
    bo.licenses.append(License(state="NJ", number="18KT01515001", status="pending",
                               expires_on=LATER))  # fmt: skip
    db.session.commit()
    crew["staff"] = make_practitioner(
        "casey-staff", tenant=crew["hand"], licenses=[("NY", "pending", LATER)]
    )
    zed = crew["p_zed"]
    zed.licenses.append(License(state="FL", number="MA20209", status="pending", expires_on=LATER))
    db.session.commit()
    return crew


def pending(p: Practitioner) -> License:
    return next(
        lic for lic in db.session.get(Practitioner, p.id).licenses if lic.status == "pending"
    )


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def mail_to(address: str) -> list[MailMessage]:
    return list(db.session.scalars(select(MailMessage).where(MailMessage.to == address)))


# --- who may enter ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/admin", "/admin/", "/admin/licenses", "/admin/audit", "/admin/nope"]
)
def test_admin_is_404_for_everyone_but_admins(client, crew, path):
    assert client.get(path).status_code == 404
    for who in ("owner", "alexa", "zed"):
        log_in(client, crew[who])
        assert client.get(path).status_code == 404
    log_in(client, crew["admin"])
    assert client.get(path).status_code == (404 if path == "/admin/nope" else 200)


def test_admin_routes_are_404_before_method_csrf_or_size_checks(app, client, crew):
    app.config.update(WTF_CSRF_ENABLED=True, MAX_CONTENT_LENGTH=1000)
    lic = crew["p_alexa"].licenses[0]
    approve = f"/admin/licenses/{lic.id}/approve"
    for who in (None, "owner"):
        if who:
            log_in(client, crew[who])
        # Would be 405 (Allow: POST), 400 (CSRF token missing) and 413 for anyone else.
        assert client.get(approve).status_code == 404
        assert "Allow" not in client.get(approve).headers
        assert client.post(approve).status_code == 404
        assert client.post(approve, data={"reason": "x" * 5000}).status_code == 404
    log_in(client, crew["admin"])
    assert client.get(approve).status_code == 405  # an admin learns what the route takes


def test_a_demoted_admin_loses_admin_on_the_next_request(client, crew):
    log_in(client, crew["admin"])
    assert client.get("/admin/licenses").status_code == 200
    crew["admin"].is_admin = False
    db.session.commit()
    assert client.get("/admin/licenses").status_code == 404


def test_decisions_need_a_recent_sign_in(client, crew):
    lic = pending(crew["p_bo"])
    log_in(client, crew["admin"], fresh_at=int(time.time()) - 3600)
    assert client.get("/admin/licenses").status_code == 200  # reading is fine
    response = client.post(
        f"/admin/licenses/{lic.id}/approve",
        headers={"Referer": "http://localhost/admin/licenses?state=NJ"},
    )
    assert response.status_code == 302
    assert response.location == "/account/confirm?next=/admin/licenses?state%3DNJ"
    assert db.session.get(License, lic.id).status == "pending"
    # After confirming the password, the admin is back on the queue page they were on.
    crew["admin"].password_hash = passwords.hash_password(PASSWORD)
    db.session.commit()
    confirmed = client.post(
        "/account/confirm", data={"password": PASSWORD, "next": "/admin/licenses?state=NJ"}
    )
    assert confirmed.status_code == 302 and confirmed.location == "/admin/licenses?state=NJ"


def test_admins_never_get_a_remember_me_cookie(client, crew):
    crew["admin"].password_hash = passwords.hash_password(PASSWORD)
    crew["admin"].email_verified_at = crew["admin"].created_at
    db.session.commit()
    response = client.post(
        "/login", data={"email": "ada@example.com", "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie"))


def _heading(page: str, link: str) -> str:
    """The words of the admin index's card heading that links to `link`."""
    found = re.search(rf'<h2><a href="(?:/es)?{link}">([^<]*)</a>', page)
    assert found, link
    return found.group(1)


def test_the_admin_index_counts_with_the_readers_separators(client, crew):
    # 1,234 suspended practices (rows built in one statement): the count reads "1,234" in
    # English and in Spanish (es_US writes it so too), and the plural follows the raw number.
    rows = [{"slug": f"shut-{i}", "name": f"Shut {i}", "status": "suspended"} for i in range(1234)]
    db.session.execute(insert(Tenant), rows)
    crew["p_zed"].suspended = True
    db.session.commit()
    log_in(client, crew["admin"])
    english = client.get("/admin").get_data(as_text=True)
    spanish = client.get("/es/admin").get_data(as_text=True)
    assert _heading(english, "/admin/practices") == "1,234 suspended practices"
    assert _heading(spanish, "/admin/practices") == "1,234 consultorios suspendidos"
    assert _heading(english, "/admin/profiles") == "1 suspended profile"
    assert "1234" not in english and "1234" not in spanish


# --- creating admins -------------------------------------------------------------------------


def test_create_admin_creates_with_a_prompted_password(runner):
    result = runner.invoke(
        args=["users", "create-admin", "root@example.com", "--name", "Root"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "root@example.com"))
    assert user.is_admin and user.email_verified_at is not None
    assert events("admin.created")[0].actor_label == "cli"


def test_create_admin_refuses_a_weak_password(runner):
    result = runner.invoke(
        args=["users", "create-admin", "root@example.com"], input="short\nshort\n"
    )
    assert result.exit_code == 1 and "Nothing changed" in result.output
    assert db.session.scalar(select(User).where(User.email == "root@example.com")) is None


def test_create_admin_promotes_and_ends_sessions(runner, crew):
    before = crew["owner"].session_version
    result = runner.invoke(args=["users", "create-admin", "OLIVIA@example.com"])
    assert result.exit_code == 0, result.output
    owner = db.session.get(User, crew["owner"].id)
    assert owner.is_admin and owner.session_version == before + 1
    assert events("admin.promoted")
    again = runner.invoke(args=["users", "create-admin", "olivia@example.com"])
    assert again.exit_code == 1 and "admin already" in again.output


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_lists_pending_oldest_first_and_filters(client, crew):
    log_in(client, crew["admin"])
    html = client.get("/admin/licenses").get_data(as_text=True)
    positions = [html.index(f"license-{pending(crew[k]).id}") for k in ("p_bo", "staff", "p_zed")]
    assert positions == sorted(positions)
    assert "Fits the NJ pattern" in html and "Public license lookup" in html
    only_fl = client.get("/admin/licenses?state=FL").get_data(as_text=True)
    assert f"license-{pending(crew['p_zed']).id}" in only_fl
    assert f"license-{pending(crew['p_bo']).id}" not in only_fl
    only_hand = client.get("/admin/licenses?practice=crafted-hand").get_data(as_text=True)
    assert f"license-{pending(crew['p_zed']).id}" not in only_hand
    assert f"license-{pending(crew['staff']).id}" in only_hand


def test_a_number_that_does_not_fit_the_state_pattern_is_flagged(client, crew):
    lic = pending(crew["p_bo"])
    lic.number = "12"
    db.session.commit()
    log_in(client, crew["admin"])
    assert "Pattern check failed" in client.get("/admin/licenses").get_data(as_text=True)


def test_approve_records_who_and_when_and_tells_the_therapist(client, crew):
    lic = pending(crew["p_bo"])
    log_in(client, crew["admin"])
    assert client.post(f"/admin/licenses/{lic.id}/approve").status_code == 302
    lic = db.session.get(License, lic.id)
    assert (lic.status, lic.reviewer_id) == ("verified", crew["admin"].id)
    assert lic.reviewed_at is not None
    event = events("license.verified")[0]
    assert event.actor_id == crew["admin"].id and event.details["license"] == lic.id
    told = mail_to("bo@example.com")[-1]
    assert "is verified" in told.subject
    board = licensing.rule(lic.state).board or f"{lic.state} licensing board"
    assert f"with the {board}." in " ".join(told.body.split())


def test_reject_needs_a_reason_which_the_staff_profiles_managers_read(client, crew):
    lic = pending(crew["staff"])
    log_in(client, crew["admin"])
    client.post(f"/admin/licenses/{lic.id}/reject", data={"reason": "  "})
    assert db.session.get(License, lic.id).status == "pending"
    client.post(f"/admin/licenses/{lic.id}/reject", data={"reason": "No such license in NY"})
    lic = db.session.get(License, lic.id)
    assert (lic.status, lic.note) == ("rejected", "No such license in NY")
    # Casey has no account: the practice's owner and manager are told, not its therapists.
    for address in ("olivia@example.com", "max@example.com"):
        assert "No such license in NY" in mail_to(address)[-1].body
    assert not [m for m in mail_to("alexa@example.com") if "verify" in m.subject]
    # The reason is on the profile's card in their dashboard too, not only "Rejected".
    log_in(client, crew["manager"])
    card = client.get("/dashboard").get_data(as_text=True)
    assert f"We could not verify the New York license #{lic.number}: No such license in NY" in card


def test_a_rejected_credential_gives_its_reason_on_the_dashboard(client, crew):
    from directory.practitioners.models import Specialty

    p = db.session.get(Practitioner, crew["p_alexa"].id)
    p.specialties.append(Specialty(kind="clt", issuer="Klose Training", status="rejected",
                                   note="The certificate is for someone else",
                                   expires_on=date.today() + timedelta(days=400)))  # fmt: skip
    db.session.commit()
    log_in(client, crew["alexa"])
    card = client.get("/dashboard").get_data(as_text=True)
    assert "credential: The certificate is for someone else" in card


def test_a_decided_license_is_not_decided_again(crew):
    lic = pending(crew["p_bo"])
    ops.approve(lic, crew["admin"])
    with pytest.raises(ops.Refused):
        ops.reject(lic, crew["admin"], "changed my mind")


def test_no_admin_decides_on_their_own_profile_or_practice(client, crew):
    join(crew["admin"], crew["other"], "manager")
    lic = pending(crew["p_zed"])
    with pytest.raises(ops.Refused, match="your own profile or practice"):
        ops.approve(lic, crew["admin"])
    own = crew["p_bo"]
    own.user_id = crew["admin"].id
    db.session.commit()
    with pytest.raises(ops.Refused, match="your own profile or practice"):
        ops.approve(pending(own), crew["admin"])
    log_in(client, crew["admin"])
    html = client.get("/admin/licenses").get_data(as_text=True)
    # Both the own profile and the one of the practice the admin manages: no buttons.
    assert html.count("another admin decides on it") == 2
    for refused in (lic, own.licenses[0]):
        assert f"/admin/licenses/{refused.id}/approve" not in html
    client.post(f"/admin/licenses/{lic.id}/approve")
    assert db.session.get(License, lic.id).status == "pending"


def test_bulk_approve_audits_each_and_skips_what_it_may_not(client, crew):
    join(crew["admin"], crew["other"], "therapist")
    ids = [pending(crew[k]).id for k in ("p_bo", "staff", "p_zed")]
    log_in(client, crew["admin"])
    response = client.post("/admin/licenses/approve", data={"ids": [str(i) for i in ids]})
    assert response.status_code == 302
    statuses = [db.session.get(License, i).status for i in ids]
    assert statuses == ["verified", "verified", "pending"]
    assert len(events("license.verified")) == 2


# --- suspensions -----------------------------------------------------------------------------


def found(client) -> list[str]:
    response = client.get("/api/v1/search", query_string={"q": "sciatica", "near": "07030"})
    return [r["slug"] for r in response.json["results"]]


def test_suspending_a_profile_hides_it_at_once_and_its_editor_sees_why(client, crew):
    assert "alexa-marie" in found(client)
    log_in(client, crew["admin"])
    client.post("/admin/profiles/alexa-marie/suspend", data={"reason": ""})
    assert "alexa-marie" in found(client)  # no reason, no suspension
    client.post("/admin/profiles/alexa-marie/suspend", data={"reason": "Complaint under review"})
    assert "alexa-marie" not in found(client)
    assert client.get("/p/alexa-marie").status_code == 404
    log_in(client, crew["alexa"])
    assert "Complaint under review" in client.get("/dashboard").get_data(as_text=True)
    log_in(client, crew["admin"])
    client.post("/admin/profiles/alexa-marie/unsuspend", data={"reason": "Cleared"})
    assert "alexa-marie" in found(client)
    assert [e.action for e in events("profile.suspended") + events("profile.unsuspended")] == [
        "profile.suspended", "profile.unsuspended",
    ]  # fmt: skip


def test_suspending_a_practice_hides_all_of_it_and_its_owners_see_why(client, crew):
    log_in(client, crew["admin"])
    client.post("/admin/practices/crafted-hand/suspend", data={"reason": "Unpaid fines"})
    assert "alexa-marie" not in found(client)
    assert client.get("/t/crafted-hand").status_code == 404
    assert client.get("/t/crafted-hand/embed").status_code == 404
    log_in(client, crew["owner"])
    assert "Unpaid fines" in client.get("/dashboard").get_data(as_text=True)
    log_in(client, crew["admin"])
    client.post("/admin/practices/crafted-hand/unsuspend", data={"reason": "Paid"})
    assert "alexa-marie" in found(client)


# --- the audit log ---------------------------------------------------------------------------


def test_the_audit_log_filters_and_is_read_only(client, crew, app):
    ops.approve(pending(crew["p_bo"]), crew["admin"])
    ops.suspend_practice(crew["other"], crew["admin"], "Spam")
    db.session.commit()
    log_in(client, crew["admin"])

    def rows(path: str) -> str:
        return client.get(path).get_data(as_text=True).split("<tbody>")[1]

    by_action = rows("/admin/audit?action=license.verified")
    # Shown as sentences (the code stays on hand as the title, and in the filter's values).
    assert "Verified a license" in by_action and "Suspended the practice" not in by_action
    assert 'title="license.verified"' in by_action
    by_practice = rows("/admin/audit?practice=other-spa")
    assert "Suspended the practice" in by_practice and "Verified a license" not in by_practice
    by_actor = client.get("/admin/audit?actor=nobody@").get_data(as_text=True)
    assert "No event matches" in by_actor
    future = (date.today() + timedelta(days=2)).isoformat()
    assert "No event matches" in client.get(f"/admin/audit?since={future}").get_data(as_text=True)
    today = date.today().isoformat()
    assert "Verified a license" in client.get(f"/admin/audit?until={today}").get_data(as_text=True)
    # Nothing under /admin edits or deletes an event.
    for rule in app.url_map.iter_rules():
        assert not (rule.rule.startswith("/admin/audit") and rule.methods & {"POST", "DELETE"})
    assert client.post("/admin/audit").status_code == 405


# --- one badge everywhere --------------------------------------------------------------------


def badge_everywhere(client, slug: str) -> dict[str, bool | None]:
    """Whether the API, the results page and the profile show the verified badge (None when
    the therapist is not listed there at all)."""
    api = client.get("/api/v1/search", query_string={"q": "sciatica", "near": "07030"}).json
    hit = next((r for r in api["results"] if r["slug"] == slug), None)
    page = client.get("/search", query_string={"q": "sciatica", "near": "07030"})
    html = page.get_data(as_text=True)
    # The card whole: it holds lists of its own (its facts), so up to the next card.
    card = re.search(rf'id="card-{slug}".*?(?=<li class="card result"|</ol>)', html, re.S)
    profile = client.get(f"/p/{slug}")
    return {
        "api": None if hit is None else hit["verified"],
        "results": None if card is None else "badge-verified" in card.group(0),
        "profile": None
        if profile.status_code == 404
        else "Verified NJ license" in profile.get_data(as_text=True),
    }


def test_the_badge_agrees_across_api_results_and_profile(client, crew, monkeypatch):
    alexa = db.session.get(Practitioner, crew["p_alexa"].id)
    lic = alexa.licenses[0]
    lic.status = "pending"
    db.session.commit()
    assert badge_everywhere(client, "alexa-marie") == {"api": False, "results": False,
                                                       "profile": False}  # fmt: skip
    ops.approve(lic, crew["admin"])
    db.session.commit()
    assert badge_everywhere(client, "alexa-marie") == {"api": True, "results": True,
                                                       "profile": True}  # fmt: skip
    # Expired: no badge, and no listing in NJ, without any job or reindex.
    monkeypatch.setattr(licensing, "today", lambda: LATER + timedelta(days=1))
    assert badge_everywhere(client, "alexa-marie") == {"api": None, "results": None,
                                                       "profile": False}  # fmt: skip
    monkeypatch.undo()
    # Edited: back to pending, so the badge goes until an admin checks it again.
    editor_ops.update_license(
        db.session.get(License, lic.id), state="NJ", number="18KT01515999", expires_on=LATER
    )
    db.session.commit()
    assert db.session.get(License, lic.id).status == "pending"
    assert badge_everywhere(client, "alexa-marie") == {"api": False, "results": False,
                                                       "profile": False}  # fmt: skip
    # Rejected: not listed in NJ at all.
    ops.reject(db.session.get(License, lic.id), crew["admin"], "Not on the board's list")
    db.session.commit()
    assert badge_everywhere(client, "alexa-marie") == {"api": None, "results": None,
                                                       "profile": False}  # fmt: skip


def test_a_license_in_another_state_never_badges_an_office(client, crew):
    alexa = db.session.get(Practitioner, crew["p_alexa"].id)
    alexa.licenses[0].state = "NY"
    alexa.licenses[0].number = "028941"
    db.session.commit()
    assert badge_everywhere(client, "alexa-marie")["api"] is None


def test_only_admins_see_the_admin_link(client, crew):
    log_in(client, crew["owner"])
    assert 'href="/admin"' not in client.get("/dashboard").get_data(as_text=True)
    log_in(client, crew["admin"])
    assert 'href="/admin"' in client.get("/dashboard").get_data(as_text=True)


def test_admins_set_up_a_second_factor_first_when_the_instance_requires_it(app, client, crew):
    log_in(client, crew["admin"])
    app.config["ADMIN_REQUIRE_TOTP"] = True
    try:
        response = client.get("/admin/licenses")
        assert response.status_code == 302 and response.location.endswith("/account/two-factor")
        crew["admin"].totp_secret = "JBSWY3DPEHPK3PXP"
        db.session.commit()
        assert client.get("/admin/licenses").status_code == 200
    finally:
        app.config["ADMIN_REQUIRE_TOTP"] = False


def test_the_suspension_pages_find_by_name_and_say_when_nothing_matches(client, crew):
    log_in(client, crew["admin"])
    practices = client.get("/admin/practices?q=crafted").get_data(as_text=True)
    assert "The Crafted Hand" in practices and "Other Spa" not in practices
    assert "Suspend practice" in practices
    profiles = client.get("/admin/profiles?q=zed").get_data(as_text=True)
    assert "Zed Spa" in profiles and "Alexa" not in profiles
    assert "No profile matches" in client.get("/admin/profiles?q=nobody").get_data(as_text=True)
    assert "No practice matches" in client.get("/admin/practices?q=nobody").get_data(as_text=True)


def _audit_actions_in_the_code() -> tuple[set[str], list[str]]:
    """Every audit action the code writes, found with ast: the literal (or either branch of a
    conditional) in the action's place of audit.record and of every function that passes one
    of its parameters there (found transitively: _record, _audit, _end_membership...). Returns
    those and the f-strings written as actions (expanded by hand in the test)."""
    import ast
    from pathlib import Path

    import directory

    trees = [ast.parse(p.read_text()) for p in Path(directory.__file__).parent.rglob("*.py")]
    calls = [(fn, node) for tree in trees for fn in ast.walk(tree)
             if isinstance(fn, ast.FunctionDef) for node in ast.walk(fn)
             if isinstance(node, ast.Call)]  # fmt: skip

    def name(call) -> str:
        f = call.func
        return f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")

    def params(fn) -> list[str]:  # as callers pass them: a method's self is not among them
        names = [a.arg for a in fn.args.args]
        return names[1:] if names[:1] in (["self"], ["cls"]) else names

    def actions_of(call) -> list:  # the arguments in an action's place, for each writer so named
        return [call.args[i] for i in writers.get(name(call), ()) if i < len(call.args)]

    #: Function name -> positions of the action among its arguments (two functions may share a
    #: name: a module's _audit and a class's).
    writers: dict[str, set[int]] = {"record": {0}}
    while True:
        more = {
            (fn.name, params(fn).index(arg.id))
            for fn, call in calls for arg in actions_of(call)
            if isinstance(arg, ast.Name) and arg.id in params(fn)
        } - {(n, i) for n, found in writers.items() for i in found}  # fmt: skip
        if not more:
            break
        for n, i in more:
            writers.setdefault(n, set()).add(i)

    def literals(node) -> list[str] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            both = (literals(node.body), literals(node.orelse))
            return None if None in both else both[0] + both[1]
        return None

    found, formatted = set(), []
    for _, call in calls:
        for arg in actions_of(call):
            if (words := literals(arg)) is not None:
                found.update(words)
            elif isinstance(arg, ast.JoinedStr):
                formatted.append(ast.unparse(arg))
    return found, sorted(set(formatted))


def test_every_audit_action_the_code_writes_reads_as_a_sentence():
    from directory.audit import PHRASES

    found, formatted = _audit_actions_in_the_code()
    assert {"invitation.sent", "member.removed", "license.added", "inquiry.not_spam"} <= found
    # The actions built from parts, each spelled out: a new one must be added here.
    assert formatted == ["f'specialty.{status}'", "f'{action}.{status}'"]
    found |= {f"{kind}.{status}" for kind in ("license", "specialty")
              for status in ("verified", "rejected")}  # fmt: skip
    missing = sorted(found - PHRASES.keys())
    assert not missing, f"audit actions with no phrase in directory/audit.py: {missing}"
    assert all(p[0].isupper() and not p.endswith(".") for p in PHRASES.values())
