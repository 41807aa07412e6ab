"""`flask --app directory listings seed FILE --source nppes|<roster> [--file-date YYYY-MM-DD]
[--increment]`."""

import sys

import click
from flask.cli import AppGroup

from directory import licensing
from directory.db import db, writing
from directory.listings import seed as seeding
from directory.rosters.sync import file_day

listings_cli = AppGroup("listings", help="Listings from public records.")


def _progress(rows: int, done: int, total: int) -> None:
    share = f" ({100 * done // total}%)" if total else ""
    click.echo(f"{rows:,} rows read{share}...", err=True)


@listings_cli.command("seed")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", required=True,
              help="nppes (the CMS NPPES data dissemination file), or a roster with business "
                   "addresses: " + ", ".join(s for s in seeding.sources() if s != "nppes")
                   + ".")  # fmt: skip
@click.option(
    "--file-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the file is as of (YYYY-MM-DD); default: the file's modification day.",
)
@click.option("--increment", is_flag=True,
              help="The file is a weekly NPPES increment: only the rows it holds change (a full "
                   "file also hides the unclaimed listings it no longer lists).")  # fmt: skip
def seed(file: str, source: str, file_date, increment: bool) -> None:
    """Create or update unclaimed listings from a public-record FILE.

    Streams the file, a chunk of people per transaction, printing progress; seeding the same
    file again changes nothing. Never touches a claimed profile, never lists anyone in the
    removal registry. Prints one summary line of what it did."""
    try:
        seeding.check_source(source)
    except seeding.UnknownSource as unknown:
        raise click.BadParameter(str(unknown), param_hint="--source") from None
    on = file_date.date() if file_date else file_day(file)
    if on > licensing.today():
        click.echo(f"Nothing changed: the file date {on.isoformat()} is in the future.", err=True)
        sys.exit(1)
    seeder = seeding.Seeder(source, on, increment=increment)
    found = seeding.people(source, file, on, progress=_progress, run=seeder.run)
    try:
        for chunk in seeding.chunks(found):
            with writing():
                try:
                    seeder.apply(chunk)
                    db.session.commit()
                except BaseException:
                    db.session.rollback()
                    raise
        with writing():
            if not increment:
                seeder.hide_absent()
            seeding.record_run(seeder, file)
            db.session.commit()
    except seeding.RosterError as error:
        db.session.rollback()
        click.echo(
            f"Stopped at {file}, {error}. The rows before it are applied; fix the file and "
            "seed it again (what is applied stays as it is).",
            err=True,
        )
        click.echo(seeder.run.summary(), err=True)
        sys.exit(1)
    click.echo(seeder.run.summary())
