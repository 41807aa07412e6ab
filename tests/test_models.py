"""Database constraints do the enforcing; the outbox is written with every searchable change."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError

from directory.accounts.models import User
from directory.db import db
from directory.practices.models import Membership, Tenant
from directory.practitioners.models import License, Office, Practitioner
from directory.search.outbox import SearchOutbox, pending_count


def _user(email: str) -> User:
    return User(email=email, name="A", password_hash="x")


def _clear_outbox() -> None:
    db.session.execute(SearchOutbox.__table__.delete())
    db.session.commit()


def _outbox_ids() -> list[int]:
    return sorted(db.session.scalars(select(SearchOutbox.practitioner_id)))


def test_emails_are_unique_whatever_their_case(app):
    db.session.add(_user("Alexa@Example.com"))
    db.session.commit()
    db.session.add(_user("alexa@example.COM"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_slugs_are_unique(app, make_practitioner):
    make_practitioner("alexa-marie")
    with pytest.raises(IntegrityError):
        make_practitioner("alexa-marie")
    db.session.rollback()
    db.session.add(Tenant(slug="crafted-hand", name="Copy"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_foreign_keys_are_enforced(app):
    db.session.add(Membership(user_id=999, tenant_id=999, role="owner"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_not_null_is_enforced(app):
    db.session.add(Tenant(slug="x", name=None))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(
    "model",
    [
        lambda t: Tenant(slug="y", name="Y", kind="casino"),
        lambda t: Practitioner(slug="z", name="Z", tenant=t, setting="sauna"),
        lambda t: Membership(user=_user("m@example.com"), tenant=t, role="king"),
    ],
)
def test_enumerations_are_checked_by_the_database(app, model):
    tenant = Tenant(slug="t", name="T")
    db.session.add(tenant)
    db.session.flush()
    db.session.add(model(tenant))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_license_status_is_checked_and_one_per_state(app, make_practitioner):
    p = make_practitioner("alexa-marie", licenses=[("NJ", "verified", None)])
    p.licenses.append(License(state="NJ", number="18KT00000001", expires_on=date(2030, 1, 1)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    p.licenses[0].status = "expired"  # derived, never stored
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_deleting_a_tenant_removes_its_profiles_and_their_rows(app, make_practitioner):
    make_practitioner("alexa-marie", licenses=[("NJ", "verified", None)], offices=["07030"])
    db.session.delete(db.session.scalar(select(Tenant)))
    db.session.commit()
    for model in (Practitioner, License, Office):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_timestamps_are_aware_utc_and_naive_ones_are_refused(app, make_practitioner):
    p = make_practitioner("alexa-marie")
    db.session.expire_all()
    assert p.created_at.tzinfo is not None and p.created_at.utcoffset().total_seconds() == 0
    p.updated_at = datetime(2026, 1, 1)
    with pytest.raises(StatementError):
        db.session.commit()
    db.session.rollback()


def test_every_searchable_change_writes_an_outbox_row_in_the_same_transaction(
    app, make_practitioner
):
    p = make_practitioner("alexa-marie", licenses=[("NJ", "pending", None)], offices=["07030"])
    assert _outbox_ids() == [p.id]
    _clear_outbox()

    p.headline = "Medical massage"
    db.session.commit()
    assert _outbox_ids() == [p.id]
    _clear_outbox()

    p.licenses[0].status = "verified"
    db.session.commit()
    assert _outbox_ids() == [p.id]
    _clear_outbox()

    p.offices.pop()
    db.session.commit()
    assert _outbox_ids() == [p.id]
    _clear_outbox()

    from directory.vocabulary import Condition

    p.conditions.append(db.session.scalar(select(Condition).limit(1)))
    db.session.commit()
    assert _outbox_ids() == [p.id]


def test_tenant_status_change_queues_all_its_practitioners(app, make_practitioner):
    a = make_practitioner("alexa-marie")
    b = make_practitioner("bo-chen")
    _clear_outbox()
    a.tenant.status = "suspended"
    db.session.commit()
    assert _outbox_ids() == [a.id, b.id]


def test_deleting_a_practitioner_queues_it_for_removal(app, make_practitioner):
    p = make_practitioner("alexa-marie")
    pid = p.id
    _clear_outbox()
    db.session.delete(p)
    db.session.commit()
    assert _outbox_ids() == [pid]


def test_a_rollback_leaves_no_outbox_row(app, make_practitioner):
    p = make_practitioner("alexa-marie")
    _clear_outbox()
    p.bio = "changed"
    db.session.flush()
    assert pending_count() == 1
    db.session.rollback()
    assert pending_count() == 0
    assert db.session.get(Practitioner, p.id).bio == ""


def test_reading_writes_no_outbox_row(app, make_practitioner):
    p = make_practitioner("alexa-marie", licenses=[("NJ", "verified", None)])
    _clear_outbox()
    _ = p.licenses, p.offices, p.tenant.name
    p.name = p.name  # assigned but unchanged
    db.session.commit()
    assert pending_count() == 0


def test_version_is_bumped_on_every_update(app, make_practitioner):
    p = make_practitioner("alexa-marie")
    assert p.version == 1
    p.bio = "x"
    db.session.commit()
    assert p.version == 2
