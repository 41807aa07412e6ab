"""State rules, derived license status, and the listing and badge rules of DESIGN.md."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from directory import licensing
from directory.practitioners.models import LICENSE_STATUSES

TODAY = date(2026, 11, 26)


@dataclass
class Lic:
    state: str
    status: str
    expires_on: date


@dataclass
class Off:
    state: str


def test_every_state_dc_and_pr_have_rules():
    states = licensing.states()
    assert len(states) == 52
    assert {"NJ", "NY", "FL", "DC", "PR", "CA", "TX"} <= set(states)
    for rule in states.values():
        assert rule.name
        assert isinstance(rule.regulated, bool)
        assert rule.regulated == (rule.board is not None) or rule.code == "CA"
        if rule.lookup_url:
            assert rule.lookup_url.startswith("https://")
    assert not states["KS"].regulated and not states["WY"].regulated
    assert states["NJ"].board == "New Jersey Board of Massage and Bodywork Therapy"


@pytest.mark.parametrize(
    ("state", "number", "ok"),
    [
        ("NJ", "18KT01515000", True),
        ("NJ", "18kt 0151-5000", True),  # case, spaces and hyphens are not significant
        ("NJ", "18KT0151500", False),
        ("NJ", "MA20209", False),
        ("NY", "028941", True),
        ("NY", "28941", False),
        ("NY", "0289411", False),
        ("FL", "MA20209", True),
        ("FL", "MA0011128", True),
        ("FL", "MM004301", False),  # an establishment, not a therapist
        ("TX", "MT123456", True),  # no known pattern: permissive
        ("TX", "!!", False),
        ("TX", "", False),
        ("ZZ", "123456", False),
    ],
)
def test_license_numbers_are_checked_against_the_state_pattern(state, number, ok):
    problem = licensing.check_number(state, number)
    assert (problem is None) == ok, problem


def test_number_error_gives_an_example():
    assert "18KT01515000" in licensing.check_number("NJ", "123")


@pytest.mark.parametrize(
    ("stored", "expires", "derived"),
    [
        ("verified", TODAY + timedelta(days=1), "verified"),
        ("verified", TODAY, "verified"),  # valid through its expiry date
        ("verified", TODAY - timedelta(days=1), "expired"),
        ("pending", TODAY - timedelta(days=1), "expired"),
        ("pending", TODAY + timedelta(days=30), "pending"),
        ("rejected", TODAY + timedelta(days=30), "rejected"),
        ("rejected", TODAY - timedelta(days=30), "rejected"),
    ],
)
def test_expired_is_derived(stored, expires, derived):
    assert licensing.status(Lic("NJ", stored, expires), TODAY) == derived


LATER = TODAY + timedelta(days=100)
EARLIER = TODAY - timedelta(days=1)


@pytest.mark.parametrize(
    ("licenses", "office_state", "listed", "badge"),
    [
        ([Lic("NJ", "verified", LATER)], "NJ", True, True),
        ([Lic("NJ", "pending", LATER)], "NJ", True, False),
        ([Lic("NJ", "rejected", LATER)], "NJ", False, False),
        ([Lic("NJ", "verified", EARLIER)], "NJ", False, False),
        ([Lic("NY", "verified", LATER)], "NJ", False, False),  # wrong state
        ([Lic("NY", "verified", LATER), Lic("NJ", "pending", LATER)], "NJ", True, False),
        ([Lic("NY", "verified", LATER), Lic("NJ", "verified", LATER)], "NY", True, True),
        ([], "NJ", False, False),
    ],
)
def test_listing_and_badge_rules(licenses, office_state, listed, badge):
    office = Off(office_state)
    assert licensing.may_list_office(office, licenses, TODAY) is listed
    assert licensing.earns_badge(office, licenses, TODAY) is badge


def test_listed_offices_on_a_real_profile(app, make_practitioner):
    p = make_practitioner(
        "alexa-marie", licenses=[("NJ", "verified", None)], offices=["07030", "10001"]
    )
    assert [o.zip for o in licensing.listed_offices(p)] == ["07030"]


def test_today_follows_the_clock_in_a_long_running_process(monkeypatch):
    from datetime import UTC, datetime

    from directory import licensing

    first = licensing.today()

    class Tomorrow(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(UTC) + timedelta(days=1)

    monkeypatch.setattr(licensing, "datetime", Tomorrow)
    assert licensing.today() == first + timedelta(days=1)


def test_the_sql_status_is_the_derived_status(app, make_practitioner):
    from sqlalchemy import select

    from directory.db import db
    from directory.practitioners.models import License

    today = date.today()
    for n, (stored, expires) in enumerate(
        [(s, today + timedelta(days=d)) for s in LICENSE_STATUSES
         for d in (-1, 0, 1)]
    ):  # fmt: skip
        make_practitioner(f"p-{n}", licenses=[("NJ", stored, expires)])
    every = db.session.scalars(select(License)).all()
    assert len(every) == 9
    for status in ("pending", "verified", "rejected", "expired"):
        where = licensing.status_in_sql(License, status)
        found = set(db.session.scalars(select(License.id).where(where)))
        assert found == {lic.id for lic in every if licensing.status(lic) == status}, status
    current = set(db.session.scalars(select(License.id).where(licensing.current_in_sql(License))))
    assert current == {lic.id for lic in every if licensing.is_current(lic)}
