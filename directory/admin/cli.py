"""`flask --app directory users create-admin EMAIL`."""

import sys

import click
from flask.cli import AppGroup

from directory.accounts import operations as accounts
from directory.admin import operations as ops
from directory.db import db, writing

users_cli = AppGroup("users", help="Accounts: platform admins.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="The admin's name, for a new account.")
def create_admin(email: str, name: str) -> None:
    """Make EMAIL a platform admin: promote its account, or create one (asks for a password)."""
    password = None
    if accounts.find_user(email) is None:
        password = click.prompt("Password for the new admin", hide_input=True,
                                confirmation_prompt=True)  # fmt: skip
    try:
        with writing():
            user, created = ops.create_admin(email, name=name, password=password)
            db.session.commit()
    except ops.Refused as refused:
        db.session.rollback()
        click.echo(f"Nothing changed: {refused}", err=True)
        sys.exit(1)
    if created:
        click.echo(f"Created the admin account {user.email}. Sign in at /login, then open /admin.")
    else:
        click.echo(f"{user.email} is now an admin; their sessions were ended (sign in again).")
