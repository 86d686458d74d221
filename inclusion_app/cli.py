"""`flask` commands of DESIGN.md section 4; each command commits once, at its end."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app

from inclusion_app.auth.services import AccountError, create_token, create_user
from inclusion_app.extensions import db
from inclusion_app.models import ROLES, User
from inclusion_app.seed import seed_demo
from inclusion_app.territory.services import UnreadableGeoJSON, import_districts, read_feature_collection


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--structure", "structures", multiple=True, help="Structure name; repeat for several.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, name: str, role: str, structures: tuple[str, ...], password_stdin: bool) -> None:
    """Create a staff account (password from a prompt, or from stdin with --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, name, role, password, structures)
    except AccountError as error:
        raise click.BadParameter(error.message, param_hint=f"--{error.field}") from error
    db.session.commit()
    click.echo(f"Created user {user.id} ({user.role}).")


@click.command("create-token")
@click.option("--email", required=True)
@click.option("--label", default="", help="What the token is for.")
def create_token_command(email: str, label: str) -> None:
    """Create a personal API token; it is printed alone on the last line, once."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.BadParameter("no account has this email address", param_hint="--email")
    token = create_token(user, label)
    db.session.commit()
    click.echo("Personal API token (shown once; use it as 'Authorization: Bearer <token>'):")
    click.echo(token)


@click.command("import-districts")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--name-property", default="name", show_default=True)
@click.option("--population-property", default=None)
def import_districts_command(file: Path, name_property: str, population_property: str | None) -> None:
    """Upsert districts from a GeoJSON FeatureCollection; reports every rejected feature."""
    try:
        features = read_feature_collection(file)
    except UnreadableGeoJSON as error:
        raise click.ClickException(str(error)) from error
    report = import_districts(features, name_property, population_property)
    db.session.commit()
    for index, field_name, reason in report.rejected:
        click.echo(f"feature {index}: {field_name}: {reason}")
    click.echo(f"districts: {report.created} created, {report.updated} updated, "
               f"{report.unchanged} unchanged, {len(report.rejected)} reported")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Idempotent demo data: Grand Poitiers districts and one demo account per role."""
    credentials = seed_demo(demo_passwords=bool(current_app.config.get("DEMO_PASSWORDS")))
    db.session.commit()
    click.echo("Demo data ready.")
    if credentials:
        click.echo("Demo accounts (development only):")
        for role, email, password in credentials:
            click.echo(f"  {role:<12} {email:<32} {password}")


def configure_cli(app: Flask) -> None:
    """Register the commands on the app."""
    for command in (create_user_command, create_token_command, import_districts_command, seed_demo_command):
        app.cli.add_command(command)
