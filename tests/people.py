"""People for dashboard and editor tests: users, memberships, and signing in without the
accounts pages (the Flask-Login session keys set directly)."""

import time
from datetime import date, timedelta

from flask_login.utils import _create_identifier

from directory.accounts.models import User
from directory.db import db
from directory.practices.models import Membership, Tenant


def new_user(email: str, name: str = "", **fields) -> User:
    user = User(email=email, name=name or email.split("@")[0].title(), password_hash="x", **fields)
    db.session.add(user)
    db.session.commit()
    return user


def practice(slug: str, name: str = "", **fields) -> Tenant:
    found = db.session.query(Tenant).filter_by(slug=slug).one_or_none()
    if found is None:
        found = Tenant(slug=slug, name=name or slug.replace("-", " ").title(), **fields)
        db.session.add(found)
        db.session.commit()
    return found


def join(user: User, practice: Tenant, role: str) -> Membership:
    membership = Membership(user=user, tenant=practice, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership


def log_in(client, user: User, *, fresh_at: int | None = None) -> None:
    """Sign `user` in on `client`, authenticated just now (or at epoch second `fresh_at`)."""
    # The session carries the browser's identifier, as login_user() writes it: without it,
    # session protection would count the session as not fresh.
    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    from directory.accounts import sessions

    user_id = sessions.start(user, user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
        session["_id"] = identifier
        # What directory.accounts.freshness.mark() stores: sensitive actions ask for it.
        session["auth_at"] = int(time.time()) if fresh_at is None else fresh_at


def build_crew(make_practitioner) -> dict:
    """The Crafted Hand: an owner, a manager, two therapists with profiles; and another spa.

    Alexa's profile is published with a verified NJ license and an office in Hoboken.
    """
    hand = practice("crafted-hand", "The Crafted Hand")
    other = practice("other-spa", "Other Spa")
    people = {
        "owner": new_user("olivia@example.com", "Olivia Owner"),
        "manager": new_user("max@example.com", "Max Manager"),
        "alexa": new_user("alexa@example.com", "Alexa Marie"),
        "bo": new_user("bo@example.com", "Bo Chen"),
        "zed": new_user("zed@example.com", "Zed Other"),
    }
    join(people["owner"], hand, "owner")
    join(people["manager"], hand, "manager")
    join(people["alexa"], hand, "therapist")
    join(people["bo"], hand, "therapist")
    join(people["zed"], other, "owner")
    later = date.today() + timedelta(days=365)
    alexa = make_practitioner(
        "alexa-marie", tenant=hand, user_id=people["alexa"].id,
        licenses=[("NJ", "verified", later)], offices=["07030"],
    )  # fmt: skip
    bo = make_practitioner("bo-chen", tenant=hand, user_id=people["bo"].id)
    zed = make_practitioner("zed-spa", tenant=other, user_id=people["zed"].id)
    return {**people, "hand": hand, "other": other, "p_alexa": alexa, "p_bo": bo, "p_zed": zed}
