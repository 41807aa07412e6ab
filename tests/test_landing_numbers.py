"""Counts on a landing page in the reader's language: a state with more than a thousand
therapists (its own app, not test_landing's module world, which a fresh database would wipe)."""

import html as html_module
from uuid import uuid4

from sqlalchemy import insert

from directory.db import db
from directory.practitioners.models import License, Office, Practitioner


def _copies(model, template, rows: int, **changed) -> list[int]:
    """`rows` copies of `template`'s row in one statement, their ids in order (the database
    gives them); each changed column is a function of the copy's number."""
    columns = {c.key: getattr(template, c.key) for c in model.__table__.columns if c.key != "id"}
    made = db.session.execute(
        insert(model).returning(model.id, sort_by_parameter_order=True),
        [columns | {k: f(i) for k, f in changed.items()} for i in range(rows)],
    )
    return list(made.scalars())


def test_a_state_page_counts_with_the_readers_separators(app, make_practitioner):
    # 1,200 therapists in Hoboken (copies of one, inserted in three statements): the state
    # page and its description say "1,200" in English and in Spanish (es_US writes it so too).
    one = make_practitioner("ana-one", licenses=[("NJ", "verified", None)], offices=["07030"])
    ids = _copies(Practitioner, one, 1199, slug=lambda i: f"ana-{i}", public_id=lambda i: uuid4())
    owner = {"practitioner_id": lambda i: ids[i]}
    _copies(Office, one.offices[0], len(ids), **owner)
    _copies(License, one.licenses[0], len(ids), **owner)
    db.session.commit()
    client = app.test_client()
    english = html_module.unescape(client.get("/massage/nj").get_data(as_text=True))
    spanish = html_module.unescape(client.get("/es/massage/nj").get_data(as_text=True))
    assert "1,200 massage therapists with an office in 1 city of New Jersey" in english
    assert '<meta name="description" content="1,200 massage therapists in 1 city' in english
    assert 'Hoboken</a> <span class="muted small">1,200 therapists' in english
    assert "1,200 masajistas con consultorio en 1 ciudad de New Jersey" in spanish
    assert 'content="1,200 masajistas en 1 ciudad de New Jersey' in spanish
    assert 'Hoboken</a> <span class="muted small">1,200 masajistas' in spanish
    assert "1200" not in english and "1200" not in spanish
