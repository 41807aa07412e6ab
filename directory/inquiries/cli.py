"""`flask --app directory inquiries purge`: the daily job that deletes old messages' text."""

from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from directory.db import db, writing
from directory.inquiries import operations
from directory.listings import claims

inquiries_cli = AppGroup("inquiries", help="Clients' messages: the daily retention job.")


@inquiries_cli.command("purge")
@click.option(
    "--now",
    "moment",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Judge as of this day (YYYY-MM-DD, UTC midnight) instead of now.",
)
def purge(moment) -> None:
    """Delete the text, phone and topic of messages older than INQUIRY_RETENTION_DAYS, here and
    in the stored mail that carried them (sender, recipient and dates stay); and who asked in
    claims and removal requests decided more than CLAIM_RETENTION_DAYS ago (a removal asked
    without an account whose code died that long ago is closed first)."""
    now = moment.replace(tzinfo=UTC) if moment else datetime.now(UTC)
    if now > datetime.now(UTC):
        # A day in the future would delete messages before their time.
        raise click.BadParameter("must not be in the future", param_hint="--now")
    days = current_app.config["INQUIRY_RETENTION_DAYS"]
    kept = current_app.config["CLAIM_RETENTION_DAYS"]
    with writing():
        count = operations.purge(now)
        emptied = claims.purge(now)
        db.session.commit()
    before = (now - timedelta(days=days)).date().isoformat()
    click.echo(
        f"Deleted the text of {count} message{'' if count == 1 else 's'} sent before {before} "
        f"(kept {days} days)."
    )
    decided = (now - timedelta(days=kept)).date().isoformat()
    click.echo(
        f"Deleted who asked in {emptied} claim{'' if emptied == 1 else 's'} and removal "
        f"request{'' if emptied == 1 else 's'} decided before {decided} (kept {kept} days)."
    )
