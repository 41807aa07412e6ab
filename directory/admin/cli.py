"""`flask --app directory users create-admin EMAIL`, `users deactivate EMAIL`, `users reactivate
EMAIL`."""

import sys

import click
from flask.cli import AppGroup

from directory.accounts import operations as accounts
from directory.admin import operations as ops
from directory.db import db, writing

users_cli = AppGroup("users", help="Accounts: platform admins, deactivation.")


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


def _change_activation(change, email: str, reason: str) -> None:
    user = accounts.find_user(email)
    if user is None:
        click.echo(f"Nothing changed: no account uses {email}.", err=True)
        sys.exit(1)
    if not reason.strip():
        click.echo("Nothing changed: say why (--reason).", err=True)
        sys.exit(1)
    try:
        with writing():
            change(user, actor_label="cli", reason=reason.strip()[:500])
            db.session.commit()
    except ops.Refused as refused:
        db.session.rollback()
        click.echo(f"Nothing changed: {refused}", err=True)
        sys.exit(1)


@users_cli.command("deactivate")
@click.argument("email")
@click.option("--reason", required=True, help="Why, for the audit log.")
def deactivate(email: str, reason: str) -> None:
    """Stop EMAIL's account from signing in, and end every session it has now."""
    _change_activation(accounts.deactivate, email, reason)
    click.echo(f"{email} is deactivated: it cannot sign in, and its sessions were ended.")


@users_cli.command("reactivate")
@click.argument("email")
@click.option("--reason", required=True, help="Why, for the audit log.")
def reactivate(email: str, reason: str) -> None:
    """Let a deactivated account sign in again."""
    _change_activation(accounts.reactivate, email, reason)
    click.echo(f"{email} can sign in again.")
