"""`flask --app directory search ...`: rebuild, drain, status."""

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from directory.db import db, writing
from directory.practitioners.profiles import visible
from directory.search import sync

search_cli = AppGroup("search", help="The search index.")

#: Outbox rows older than this are deleted by the indexer; an index further behind is rebuilt.
PRUNE_AFTER_DAYS = 7
PRUNE_EVERY_SECONDS = 3600


@search_cli.command("rebuild")
def rebuild() -> None:
    """Rebuild the index from the database into a new directory and swap it in."""
    total = db.session.scalar(select(db.func.count()).select_from(visible().subquery())) or 0
    started = time.perf_counter()
    with click.progressbar(length=total, label="Indexing practitioners") as bar:
        count = sync.rebuild(progress=bar.update)
    db.session.rollback()
    click.echo(
        f"Indexed {count} of {total} publicly visible practitioner(s) "
        f"in {time.perf_counter() - started:.1f} s."
    )


@search_cli.command("drain")
@click.option("--forever", is_flag=True, help="Keep running as the indexer process.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
def drain(forever: bool, interval: float) -> None:
    """Apply pending search outbox rows to the index (once, or as a long-running indexer)."""
    if not sync.store().exists():
        click.echo("No index yet: building it from the database.")
        click.get_current_context().invoke(rebuild)
    last_prune = 0.0
    while True:
        applied = sync.drain()
        db.session.rollback()  # end the read transaction so the next poll sees new commits
        if applied or not forever:
            click.echo(f"Applied {applied} outbox row(s).")
        if not forever:
            return
        if time.monotonic() - last_prune > PRUNE_EVERY_SECONDS:
            with writing():
                pruned = sync.prune(older_than_days=PRUNE_AFTER_DAYS)
                db.session.commit()
            if pruned:
                click.echo(f"Pruned {pruned} outbox row(s) older than {PRUNE_AFTER_DAYS} days.")
            last_prune = time.monotonic()
        time.sleep(interval)


@search_cli.command("status")
def status() -> None:
    """Documents indexed, practitioners publishable, outbox rows pending."""
    numbers = sync.status()
    click.echo(f"indexed:     {numbers['indexed']}")
    click.echo(f"publishable: {numbers['publishable']}")
    click.echo(f"pending:     {numbers['pending']}")
