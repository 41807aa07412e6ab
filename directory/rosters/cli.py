"""`flask --app directory licenses sync FILE --source SOURCE [--file-date YYYY-MM-DD]`."""

import sys

import click

from directory import licensing
from directory.db import db, writing
from directory.rosters import sync as roster_sync


def _progress(rows: int, done: int, total: int) -> None:
    share = f" ({100 * done // total}%)" if total else ""
    click.echo(f"{rows} rows read{share}...", err=True)


@click.command("sync")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--source",
    required=True,
    help="The roster's source: " + ", ".join(licensing.roster_sources()) + ".",
)
@click.option(
    "--file-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the roster is as of (YYYY-MM-DD); default: the file's modification day.",
)
def sync(file: str, source: str, file_date) -> None:
    """Apply a state board's roster FILE: verify, lapse or queue the licenses of its state.

    Checks the whole file first (a malformed row or an unknown status word changes nothing),
    then applies it in one transaction and prints `rows N, verified V, lapsed L, queued Q,
    unchanged U`: N rows of massage therapists in the file; V licenses it verified, L it
    took the badge and listing from, Q it sent to the admin queue, U whose record already said
    what the file says."""
    try:
        roster_sync.spec_of(source)
    except roster_sync.UnknownSource as unknown:
        raise click.BadParameter(str(unknown), param_hint="--source") from None
    on = file_date.date() if file_date else roster_sync.file_day(file)
    if on > licensing.today():
        click.echo(f"Nothing changed: the file date {on.isoformat()} is in the future.", err=True)
        sys.exit(1)
    try:
        found = roster_sync.read(source, file, on, progress=_progress)
    except roster_sync.RosterError as error:
        db.session.rollback()
        click.echo(f"Nothing changed: {file}, {error}", err=True)
        sys.exit(1)
    with writing():
        try:
            run = roster_sync.apply(source, found, file_name=file, file_date=on)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    click.echo(run.summary())
