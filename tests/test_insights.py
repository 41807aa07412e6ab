"""Therapist insights: profile views, search appearances and messages per week, counted in
aggregate without turning a page view or a search into a write (directory/insights/)."""

import html
import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import event, select

from directory.db import db, now_utc
from directory.inquiries.models import Inquiry
from directory.insights import reports, tally
from directory.insights.models import InsightCount
from tests.conftest import tag
from tests.people import build_crew, log_in

#: A browser's user agent, and a crawler's.
PERSON = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}
CRAWLER = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}
#: A search that finds Alexa (sciatica, office in Hoboken) and says more than the need.
SEARCH = {"q": "my sciatica flared up after moving house", "near": "07030"}


@pytest.fixture
def crew(make_practitioner):
    found = build_crew(make_practitioner)
    tag(found["p_alexa"], conditions=["sciatica"])
    return found


def flushed() -> int:
    """Hand this process's counts to the indexer, and fold them in as the indexer does."""
    handed = tally.of(current_app).flush()
    assert tally.fold() == handed
    return handed


def counts() -> list[tuple]:
    db.session.rollback()  # a new snapshot: what the flush wrote is seen
    return [
        (r.practitioner_id, r.kind, r.need, r.place, r.n)
        for r in db.session.scalars(select(InsightCount).order_by(InsightCount.kind))
    ]


def text(response) -> str:
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return html.unescape(" ".join(words.split()))


def test_views_and_appearances_are_counted_by_week_need_and_place(app, client, crew):
    alexa = crew["p_alexa"]
    for _ in range(3):
        assert client.get("/p/alexa-marie", headers=PERSON).status_code == 200
    for _ in range(2):
        response = client.get("/search", query_string=SEARCH, headers=PERSON)
        assert response.status_code == 200 and "Alexa Marie" in response.get_data(as_text=True)
    assert counts() == []  # nothing written until the flush
    assert flushed() == 5
    assert counts() == [
        (alexa.id, "appearance", "sciatica", "ZIP 070xx", 2),
        (alexa.id, "view", "", "", 3),
    ]
    client.get("/p/alexa-marie", headers=PERSON)
    flushed()
    assert (alexa.id, "view", "", "", 4) in counts()  # added to, not replaced
    rows = db.session.scalars(select(InsightCount)).all()
    assert {r.week for r in rows} == {tally.this_week()}
    assert tally.this_week().weekday() == 0


def test_a_place_is_counted_as_a_city_or_the_first_three_digits_of_a_zip(client, crew):
    client.get("/search", query_string={"q": "sciatica", "near": "07030"}, headers=PERSON)
    client.get("/search", query_string={"q": "sciatica", "near": "hoboken nj"}, headers=PERSON)
    client.get("/search", query_string={"q": "sciatica", "near": "NJ"}, headers=PERSON)
    flushed()
    places = {place for _, kind, _, place, _ in counts() if kind == "appearance"}
    assert places == {"ZIP 070xx", "Hoboken, NJ", "NJ"}


def test_the_table_holds_no_text_of_the_search(client, crew):
    client.get("/search", query_string=SEARCH, headers=PERSON)
    flushed()
    stored = " ".join(str(value) for row in counts() for value in row).lower()
    for word in ("flared", "moving", "house", "07030", "my sciatica"):
        assert word not in stored
    columns = {c.name for c in InsightCount.__table__.columns}
    assert columns == {"practitioner_id", "week", "kind", "need", "place", "n"}


def test_only_the_page_of_results_shown_counts(client, make_practitioner, crew):
    for i in range(3):
        p = make_practitioner(f"extra-{i}", tenant=crew["hand"], offices=["07030"],
                              licenses=[("NJ", "verified", None)])  # fmt: skip
        tag(p, conditions=["sciatica"])
    response = client.get("/search", query_string={**SEARCH, "per_page": "2"}, headers=PERSON)
    assert response.status_code == 200
    flushed()
    shown = [row for row in counts() if row[1] == "appearance"]
    assert len(shown) == 2 and all(row[4] == 1 for row in shown)


def test_bots_and_the_warm_up_do_not_count(app, client, crew):
    client.get("/p/alexa-marie", headers=CRAWLER)
    client.get("/search", query_string=SEARCH, headers=CRAWLER)
    client.get("/search", query_string=SEARCH, environ_base={"directory.warmup": True})
    from directory import warmup

    warmup.warm(app)
    assert flushed() == 0 and counts() == []


def test_the_practice_own_team_does_not_count(client, crew):
    log_in(client, crew["bo"])  # a colleague of Alexa's
    client.get("/p/alexa-marie", headers=PERSON)
    client.get("/search", query_string=SEARCH, headers=PERSON)
    assert flushed() == 0
    log_in(client, crew["zed"])  # another practice's owner is a visitor like any other
    client.get("/p/alexa-marie", headers=PERSON)
    client.get("/search", query_string=SEARCH, headers=PERSON)
    assert flushed() == 2


@pytest.fixture
def statements(app):
    """The SQL statements run while the block is active."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.lstrip().split(None, 1)[0].upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("path", ["/p/alexa-marie", "/search"])
def test_a_view_or_a_search_writes_nothing(client, crew, statements, path):
    client.get(path, query_string=SEARCH if path == "/search" else None, headers=PERSON)
    statements.clear()  # the first search caught the index up (a write of its own)
    response = client.get(path, query_string=SEARCH if path == "/search" else None,
                          headers=PERSON)  # fmt: skip
    assert response.status_code == 200
    assert statements and "SELECT" in statements
    assert not {"INSERT", "UPDATE", "DELETE"} & set(statements), statements
    assert tally.of(current_app).pending() == 2
    tally.of(current_app).flush()
    assert not {"INSERT", "UPDATE", "DELETE"} & set(statements)  # a file, not a write
    tally.fold()
    assert "INSERT" in statements


def test_a_deleted_profile_takes_its_unwritten_counts_with_it(client, crew):
    client.get("/p/alexa-marie", headers=PERSON)
    client.get("/p/bo-chen", headers=PERSON)
    db.session.delete(db.session.get(type(crew["p_bo"]), crew["p_bo"].id))
    db.session.commit()
    assert flushed() == 2
    assert [row[0] for row in counts()] == [crew["p_alexa"].id]


def _inquiry(practitioner, *, days_ago: int, reply_hours: float | None, spam=False):
    sent = now_utc() - timedelta(days=days_ago)
    db.session.add(
        Inquiry(
            tenant_id=practitioner.tenant_id, practitioner_id=practitioner.id,
            token_hash=f"{practitioner.id}-{days_ago}-{reply_hours}-{spam}".ljust(64, "0"),
            sender_name="A Client", sender_email="client@example.com", body="Hello",
            created_at=sent,
            replied_at=None if reply_hours is None else sent + timedelta(hours=reply_hours),
            spam_at=sent if spam else None,
        )
    )  # fmt: skip
    db.session.commit()


def test_messages_per_week_with_the_median_reply_time(app, crew):
    alexa = crew["p_alexa"]
    weekday = now_utc().weekday()  # days since Monday: messages of this week
    _inquiry(alexa, days_ago=0, reply_hours=2)
    _inquiry(alexa, days_ago=0, reply_hours=6)
    _inquiry(alexa, days_ago=0, reply_hours=None)
    _inquiry(alexa, days_ago=0, reply_hours=1, spam=True)
    _inquiry(alexa, days_ago=weekday + 7, reply_hours=30)  # last week
    found = reports.for_profile(alexa)
    assert len(found.weeks) == reports.WEEKS
    now, last = found.weeks[-1], found.weeks[-2]
    assert (now.inquiries, now.replied, now.median_reply_hours) == (3, 2, 4.0)
    assert (last.inquiries, last.replied, last.median_reply_hours) == (1, 1, 30.0)
    assert reports.for_profile(crew["p_bo"]).totals()["inquiries"] == 0
    assert reports.for_practice(crew["hand"].id).totals()["inquiries"] == 4


def test_the_dashboard_shows_this_week_and_the_insights_page_the_weeks(client, crew):
    for _ in range(3):
        client.get("/p/alexa-marie", headers=PERSON)
    client.get("/search", query_string=SEARCH, headers=PERSON)
    flushed()
    log_in(client, crew["alexa"])
    dashboard = text(client.get("/dashboard"))
    assert "This week: 3 profile views · 1 search appearance" in dashboard
    page = client.get("/dashboard/profiles/alexa-marie/insights")
    assert page.status_code == 200
    words = text(page)
    assert "3 this week" in words and "Sciatica 1" in words and "ZIP 070xx 1" in words
    assert "No messages yet this week" in words
    assert "<svg" in page.get_data(as_text=True)
    # The practice's page adds up its profiles; a colleague's profile is the colleague's.
    log_in(client, crew["owner"])
    assert "3 this week" in text(client.get("/dashboard/practices/crafted-hand/insights"))
    log_in(client, crew["alexa"])
    assert client.get("/dashboard/profiles/bo-chen/insights").status_code == 403


def test_an_empty_week_says_so(client, crew):
    log_in(client, crew["alexa"])
    words = text(client.get("/dashboard/profiles/alexa-marie/insights"))
    assert "No views yet this week." in words
    assert "No search appearances yet this week." in words
    assert "Nothing counted in the last 12 weeks yet." in words
    # Counts are folded in every half minute or so: the page says a visit shows up later.
    assert "Counts are updated about once a minute" in words
    assert "no views yet" in text(client.get("/dashboard"))


def test_a_practice_sees_only_its_own_profiles_numbers(client, crew):
    client.get("/p/zed-spa", headers=PERSON)
    client.get("/p/alexa-marie", headers=PERSON)
    flushed()
    zed = crew["p_zed"]
    assert reports.for_practice(crew["other"].id).totals()["views"] == (1 if zed.published else 0)
    log_in(client, crew["zed"])
    assert client.get("/dashboard/practices/crafted-hand/insights").status_code == 404
    assert client.get("/dashboard/profiles/alexa-marie/insights").status_code == 404


def test_counts_wait_for_the_next_fold_when_the_database_refuses(client, crew, monkeypatch):
    client.get("/p/alexa-marie", headers=PERSON)
    client.get("/p/alexa-marie", headers=PERSON)
    assert tally.of(current_app).flush() == 2
    from sqlalchemy.exc import OperationalError

    def refuse(counts):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(tally, "_write", refuse)
    with pytest.raises(OperationalError):  # the indexer logs it and tries again
        tally.fold()
    monkeypatch.undo()
    assert tally.fold() == 2 and counts()[0][-1] == 2
    assert tally.fold() == 0  # folded once only


def test_the_indexer_folds_the_spool_in_each_poll(app, client, crew):
    client.get("/p/alexa-marie", headers=PERSON)
    tally.of(app).flush()
    (tally.spool(app) / "garbage.json").write_text("not json")
    app.extensions["search_chores"]()
    assert counts() == [(crew["p_alexa"].id, "view", "", "", 1)]
    assert [p.name for p in tally.spool(app).iterdir()] == ["garbage.bad"]
    client.get("/p/alexa-marie", headers=PERSON)
    tally.of(app).flush()
    app.extensions["search_chores"]()  # within INSIGHTS_FOLD_SECONDS: left for later
    assert counts() == [(crew["p_alexa"].id, "view", "", "", 1)]
    assert tally.fold() == 1


def test_a_process_that_cannot_write_its_spool_keeps_its_counts(app, client, crew):
    client.get("/p/alexa-marie", headers=PERSON)
    tally.spool(app).parent.mkdir(parents=True, exist_ok=True)
    tally.spool(app).write_text("a file where the folder should be")
    assert tally.of(app).flush() == 0 and tally.of(app).pending() == 1
    tally.spool(app).unlink()
    assert flushed() == 1
