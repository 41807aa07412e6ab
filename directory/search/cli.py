"""`flask --app directory search ...`: rebuild, drain, status."""

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from directory.db import db
from directory.practitioners.profiles import visible
from directory.search import sync

search_cli = AppGroup("search", help="The search index.")


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
    """Apply pending search outbox rows to the index (once, or as a long-running indexer that
    survives database outages); an index that is missing or incomplete is rebuilt first."""
    if forever:
        click.echo("Indexer running (Ctrl-C stops it).")
        try:
            sync.serve(interval=interval, say=click.echo)
        except KeyboardInterrupt:  # Ctrl-C: a normal way to stop, not a failure
            click.echo("Indexer stopped.")
        return
    why = sync.problem()
    if why:
        click.echo(f"{why[0].upper()}{why[1:]}: building it from the database.")
        click.get_current_context().invoke(rebuild)
    applied = sync.drain()
    db.session.rollback()
    click.echo(f"Applied {applied} outbox row(s).")


@search_cli.command("status")
def status() -> None:
    """Documents indexed, practitioners publishable, outbox rows pending."""
    why = sync.problem()
    numbers = sync.status()
    click.echo(f"indexed:     {numbers['indexed']}")
    click.echo(f"publishable: {numbers['publishable']}")
    click.echo(f"pending:     {numbers['pending']}")
    if why:
        click.echo(f"needs a rebuild: {why} (the indexer does it; or run `search rebuild`)")
