"""`flask` commands of DESIGN.md section 4; each command commits once, at its end."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app

from inclusion_app.auth.services import AccountError, create_token, create_user
from inclusion_app.extensions import db
from inclusion_app.lieux import export, formats
from inclusion_app.lieux.importer import import_lieux, summary
from inclusion_app.models import ROLES, User
from inclusion_app.seed import seed_demo
from inclusion_app.territory.services import (
    UnreadableGeoJSON,
    assign_all_help_points,
    import_districts,
    read_feature_collection,
)


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


@click.command("unlock-login")
@click.option("--email", required=True)
def unlock_login_command(email: str) -> None:
    """Lift the lockout of a login name (for an admin locked out of the web page)."""
    from inclusion_app.auth.services import unlock

    if unlock(email):
        db.session.commit()
        click.echo("Unlocked.")
    else:
        click.echo("This login was not locked.")


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
    moved = assign_all_help_points()
    db.session.commit()
    for index, field_name, reason in report.rejected:
        click.echo(f"feature {index}: {field_name}: {reason}")
    click.echo(f"districts: {report.created} created, {report.updated} updated, "
               f"{report.unchanged} unchanged, {len(report.rejected)} reported")
    click.echo(f"help points re-assigned to another district: {moved}")


@click.command("import-lieux")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", default="auto", show_default=True,
              type=click.Choice(["auto", *formats.FORMATS]))
@click.option("--dry-run", is_flag=True, help="Read and report, write nothing.")
def import_lieux_command(file: Path, fmt: str, dry_run: bool) -> None:
    """Upsert help points from a file; one line per rejected, repaired or flagged record.

    Exit 0 whenever the file could be read, whatever was rejected; 1 for an unreadable file or an
    unknown format.
    """
    try:
        report = import_lieux(file, fmt, file.name, progress=_progress)
    except (formats.UnreadableFile, formats.UnknownFormat, OSError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    for line in report.lines:
        click.echo(f"{report.location_kind} {line.location}: {line.field}: {line.severity}: {line.message}")
    if dry_run:
        db.session.rollback()
        click.echo("dry run: nothing written")
    else:
        db.session.commit()
    click.echo(summary(report))


def _progress(count: int) -> None:
    click.echo(f"… {count} records", err=True)


@click.command("export-lieux")
@click.option("--format", "fmt", required=True, type=click.Choice(export.FORMATS))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="File to write (default: standard output).")
def export_lieux_command(fmt: str, output: Path | None) -> None:
    """Write the open data of help points in the national standard v1.0.2."""
    text = export.render(fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"written {output}", err=True)


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


@click.command("generate-synthetic")
@click.option("--scale", type=click.Choice(["city", "national"]), default="city", show_default=True)
@click.option("--seed", type=int, default=86, show_default=True)
def generate_synthetic_command(scale: str, seed: int) -> None:
    """Fill an empty database with synthetic load data for the benchmarks (DESIGN.md section 7)."""
    from inclusion_app.synthetic import generate

    def progress(what: str, done: int, total: int) -> None:
        click.echo(f"\r{what}: {done:,}/{total:,}", nl=done >= total, err=True)

    try:
        counts = generate(scale, seed, progress)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(", ".join(f"{name}: {count:,}" for name, count in counts.items()))


@click.command("send-due-messages")
@click.option("--batch-size", type=click.IntRange(1, 5000), default=200, show_default=True)
def send_due_messages_command(batch_size: int) -> None:
    """One pass over the outbox: expire, reconcile rows left in sending, send what is due."""
    from inclusion_app.messaging.sender import send_due_messages

    report = send_due_messages(batch_size=batch_size)
    click.echo(f"outbox pass: {report}")


@click.command("scheduler")
def scheduler_command() -> None:
    """Long-running: sends the outbox every minute and runs the periodic jobs (stop: SIGTERM)."""
    from inclusion_app.messaging.scheduler import run_scheduler

    run_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command("rebuild-report-facts")
def rebuild_report_facts_command() -> None:
    """Recompute every precomputed count of the managers' reports (after a bulk load or a fix)."""
    from inclusion_app.reports.facts import rebuild_all

    bounds = rebuild_all()
    db.session.commit()
    click.echo("no data" if bounds is None else f"report counts rebuilt from {bounds[0]} to {bounds[1]}")


def configure_cli(app: Flask) -> None:
    """Register the commands on the app."""
    commands = (create_user_command, create_token_command, unlock_login_command, import_districts_command,
                import_lieux_command, export_lieux_command, seed_demo_command, generate_synthetic_command,
                send_due_messages_command, scheduler_command, rebuild_report_facts_command)
    for command in commands:
        app.cli.add_command(command)
