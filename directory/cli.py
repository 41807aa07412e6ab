"""The `flask --app directory ...` commands (DESIGN.md, "Command line")."""

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from directory import vocabulary
from directory.db import db, writing
from directory.practitioners import transfer

vocabulary_cli = AppGroup("vocabulary", help="The conditions and modalities vocabulary.")
practitioners_cli = AppGroup("practitioners", help="Import and export practitioners.")
export_cli = AppGroup("export", help="Export the published directory in open formats.")


@vocabulary_cli.command("sync")
def vocabulary_sync() -> None:
    """Load the packaged vocabulary into the database (safe to repeat)."""
    with writing():
        added, updated = vocabulary.sync()
        db.session.commit()
    click.echo(f"Vocabulary: {added} added, {updated} updated.")


@practitioners_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def practitioners_import(file) -> None:
    """Import practitioners from JSON Lines (FILE, or - for stdin). All lines or none."""
    lines = file.readlines()
    try:
        with writing():
            result = transfer.import_lines(lines, source=file.name)
            db.session.commit()
    except transfer.ImportFailed as failed:
        db.session.rollback()
        for error in failed.errors:
            click.echo(str(error), err=True)
        click.echo(f"{len(failed.errors)} error(s) in {file.name}; nothing was imported.", err=True)
        sys.exit(1)
    click.echo(
        f"Imported {result.created + result.updated} practitioner(s) from {file.name}: "
        f"{result.created} created, {result.updated} updated, "
        f"{result.tenants_created} practice(s) created."
    )


@practitioners_cli.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", atomic=True))
def practitioners_export(file) -> None:
    """Export every practitioner as JSON Lines to FILE (or - for stdout)."""
    count = 0
    for line in transfer.export_lines():
        file.write(line)
        count += 1
    if file is not sys.stdout:
        click.echo(f"Exported {count} practitioner(s) to {file.name}.", err=True)


@export_cli.command("hsds")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--include-unclaimed", is_flag=True,
              help="Also export the unclaimed listings from public records (left out by "
                   "default: nobody asked to publish them).")  # fmt: skip
def export_hsds(folder: Path, include_unclaimed: bool) -> None:
    """Write the published directory as Open Referral HSDS 3.0 into FOLDER: organizations.json,
    services.json, service_at_locations.json and csv/ (the tabular data package)."""
    from directory.hsds import export

    def progress(done: int, total: int) -> None:
        click.echo(f"  {done:,} of {total:,} practices", err=True)

    try:
        counts = export.write(folder, progress=progress, include_unclaimed=include_unclaimed)
    except OSError as error:
        raise click.ClickException(f"Cannot write the export to {folder}: {error}") from None
    click.echo(
        f"Exported {counts.organizations:,} organization(s) (practices), {counts.services:,} "
        f"service(s) and {counts.locations:,} location(s) as HSDS 3.0 to {folder} (JSON, and "
        f"csv/ with its datapackage.json). Links are on PUBLIC_URL, "
        f"{current_app.config['PUBLIC_URL']}."
    )


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write a consistent backup of the database to FILE (safe while the site is running)."""
    from directory import backup

    try:
        backup.backup(file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up the database to {file} ({file.stat().st_size:,} bytes).")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: replace the database's contents.")
def restore_command(file: Path, yes: bool) -> None:
    """Replace the database with the backup FILE and rebuild the search index from it. Stop the
    web server and the indexer first."""
    from directory import backup

    if not yes:
        click.confirm("Replace everything in the database with this backup?", abort=True)
    try:
        indexed = backup.restore(file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {file}; the search index was rebuilt ({indexed} profiles).")


class Migrations(click.Command):
    """`flask db ...`: Flask-Migrate's commands, loaded when a command line names them.
    Flask-Migrate imports Alembic (11 MB of a process); a web worker never migrates, so it
    never imports either. Loading them registers the real `db` group in this one's place (and
    app.extensions["migrate"], which migrations/env.py reads), and the command line goes on
    with it."""

    def __init__(self, app: Flask, directory: Path) -> None:
        super().__init__("db", help="Perform database migrations.")
        self.app, self.directory = app, str(directory)

    def make_context(self, info_name, args, parent=None, **extra):
        from flask_migrate import Migrate

        Migrate(self.app, db, directory=self.directory)
        real = self.app.cli.commands["db"]
        return real.make_context(info_name, args, parent=parent, **extra)


def init_app(app: Flask, migrations: Path) -> None:
    """Register the command groups, and `db` for the migrations in the folder `migrations`."""
    from directory.admin.cli import users_cli
    from directory.demo import demo_cli
    from directory.expiry import licenses_cli
    from directory.inquiries.cli import inquiries_cli
    from directory.listings.cli import listings_cli
    from directory.mail import mail_cli
    from directory.rosters.cli import sync as roster_sync

    licenses_cli.add_command(roster_sync)
    app.cli.add_command(Migrations(app, migrations))
    app.cli.add_command(vocabulary_cli)
    app.cli.add_command(practitioners_cli)
    app.cli.add_command(export_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(licenses_cli)
    app.cli.add_command(inquiries_cli)
    app.cli.add_command(listings_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
