"""`flask --app directory listings seed FILE --source nppes|<roster> [--file-date YYYY-MM-DD]
[--increment]`."""

import sys

import click
from flask.cli import AppGroup

from directory import licensing
from directory.db import db, writing
from directory.listings import seed as seeding
from directory.rosters.sync import file_day

#: People applied between two progress reports.
APPLIED_EVERY = 10_000

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

    Reads the whole file first and checks every row: a file with a bad row changes nothing (each
    bad row is named with its line). Then applies it a chunk of people per transaction,
    printing progress; seeding the same file again changes nothing. Never touches a claimed
    profile, never lists anyone in the removal registry. Prints one summary line of what it
    did."""
    try:
        seeding.check_source(source)
    except seeding.UnknownSource as unknown:
        raise click.BadParameter(str(unknown), param_hint="--source") from None
    on = file_date.date() if file_date else file_day(file)
    if on > licensing.today():
        click.echo(f"Nothing changed: the file date {on.isoformat()} is in the future.", err=True)
        sys.exit(1)
    seeder = seeding.Seeder(source, on, increment=increment)
    with seeding.Spool() as spool:
        try:
            problems = seeding.check(source, file, on, spool, progress=_progress, run=seeder.run)
        except seeding.RosterError as error:
            db.session.rollback()
            click.echo(f"Nothing changed: {file}, {error}", err=True)
            sys.exit(1)
        if problems:
            click.echo(f"Nothing changed: {file} has {problems.count:,} row(s) that cannot be "
                       "read. Fix them and seed the file again:", err=True)  # fmt: skip
            for said in problems.report():
                click.echo(f"  {said}", err=True)
            sys.exit(1)
        click.echo(f"{seeder.run.rows:,} rows checked, {spool.count:,} to apply...", err=True)
        applied = 0
        for chunk in seeding.chunks(spool, seeding.CHUNK):
            with writing():
                try:
                    seeder.apply(chunk)
                    db.session.commit()
                except BaseException:
                    db.session.rollback()
                    raise
            applied += len(chunk)
            if applied % APPLIED_EVERY < len(chunk) and applied < spool.count:
                click.echo(f"{applied:,} of {spool.count:,} applied...", err=True)
    with writing():
        if not increment:
            seeder.hide_absent()
        if source == seeding.NPPES:
            click.echo("Linking listings to the organizations at their address...", err=True)
            seeder.run.linked = seeder.link_organizations()
        seeding.record_run(seeder, file)
        db.session.commit()
    click.echo(seeder.run.summary())
