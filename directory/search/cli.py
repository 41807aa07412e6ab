"""`flask --app directory search ...`: rebuild, drain, status."""

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from directory.db import db
from directory.practitioners.profiles import visible
from directory.search import indexer, sync

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
@click.option(
    "--parent",
    type=int,
    metavar="PID",
    help="With --forever: stop when process PID (the server that started it) ends.",
)
def drain(forever: bool, interval: float, parent: int | None) -> None:
    """Apply pending search outbox rows to the index (once, or as a long-running indexer that
    survives database outages and keeps a heartbeat for /readyz and `search status`); an index
    that is missing or incomplete is rebuilt first."""
    if forever:
        if parent is not None and not indexer.tie_to_parent(parent):
            click.echo(f"Indexer not started: its server (pid {parent}) has ended.")
            return
        click.echo("Indexer running (Ctrl-C stops it).")
        try:
            with indexer.running(sync.store().root, parent=parent):
                chores = current_app.extensions["search_chores"]
                sync.serve(interval=interval, say=click.echo, chores=chores)
        except KeyboardInterrupt:  # Ctrl-C, or its server ended: a normal way to stop
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
    """Documents indexed, practitioners publishable, outbox rows pending, the indexer."""
    why = sync.problem()
    numbers = sync.status()
    click.echo(f"indexed:     {numbers['indexed']}")
    click.echo(f"publishable: {numbers['publishable']}")
    click.echo(f"pending:     {numbers['pending']}")
    beat = indexer.last_beat(sync.store().root)
    absent = indexer.problem(beat)
    click.echo(f"indexer:     {absent or f'running (pid {beat.pid})'}")
    if absent and current_app.config["SEARCH_INDEXER_EXPECTED"]:
        click.echo("  an indexer is expected here (SEARCH_INDEXER_EXPECTED): /readyz fails")
    if why:
        click.echo(f"needs a rebuild: {why} (the indexer does it; or run `search rebuild`)")
