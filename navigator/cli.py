"""Flask commands: database, first administrator, demo programme, translations."""

import dataclasses
import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlmodel import select

from navigator import config, db
from navigator.accounts import services as accounts
from navigator.accounts.models import Programme, User
from navigator.certification.badges.cli import badges_cli
from navigator.errors import DomainError
from navigator.learning import package, quizcheck
from navigator.learning import services as learning
from navigator.outreach.cli import cli as outreach_cli
from navigator.sandbox.cli import cli as sandbox_cli

db_cli = AppGroup("db", help="Database schema.")
curricula_cli = AppGroup("curricula", help="Course packages in curricula/: check, import, hash.")
i18n_cli = AppGroup("i18n", help="Translation catalogues: extract, update, compile.")
secrets_cli = AppGroup("secrets", help="Secrets stored encrypted (model endpoints' API keys).")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply all migrations to the configured database."""
    db.upgrade(config.database_url(current_app.config), Path(current_app.instance_path))
    click.echo("Database is up to date.")


@secrets_cli.command("rotate")
def secrets_rotate():
    """Re-encrypt stored secrets with the newest key (first in NAVIGATOR_ENCRYPTION_KEYS)."""
    from navigator import secretbox

    db.load_models()
    count = secretbox.rotate_all(db.engine())
    click.echo(f"{count} stored secret(s) re-encrypted with the newest key. The older keys can "
               "go once every server has the new one.")


@db_cli.command("revision")
@click.argument("message")
def db_revision(message: str):
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    db.load_models()
    command.revision(db.alembic_config(config.database_url(current_app.config)),
                     message=message, autogenerate=True)


@click.command("create-admin")
@click.option("--email", prompt=True, help="The administrator's e-mail address.")
@click.option("--name", prompt="Display name", help="The name shown on the platform.")
def create_admin(email: str, name: str):
    """Create an administrator; the password is asked for, never taken from the command line."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with db.write_session() as s:
        try:
            accounts.create_user(s, email=email, password=password, display_name=name,
                                 is_admin=True,
                                 min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"Administrator {email} created. Sign in and create the first programme.")


DEMO_USERS = (
    ("admin", "Ada Admin", None),
    ("manager", "Maya Manager", "manager"),
    ("trainer", "Tomás Trainer", "trainer"),
    ("navigator", "Nia Navigator", "navigator"),
)


def demo_credentials_path() -> Path:
    return Path(current_app.instance_path) / "demo-credentials.txt"


def seed_demo() -> list[tuple[str, str, str]] | None:
    """Create the demo programme with one user per role, once; None when already there."""
    with db.write_session() as s:
        if s.exec(select(User).limit(1)).first() is not None:
            return None
        programme = accounts.create_programme(s, name="Demo programme")
        credentials = []
        for role, name, membership in DEMO_USERS:
            email = f"{role}@example.org"
            password = "-".join(secrets.token_hex(3) for _ in range(3))
            user = accounts.create_user(s, email=email, password=password, display_name=name,
                                        is_admin=membership is None, min_length=8)
            if membership:
                accounts.add_role(s, user, programme, membership)
                if membership != "navigator":
                    accounts.add_role(s, user, programme, "navigator")
            credentials.append((role, email, password))
        credentials.append(("join code", programme.join_code, ""))
    path = demo_credentials_path()
    path.write_text("".join(f"{r}\t{e}\t{p}\n" for r, e, p in credentials))
    os.chmod(path, 0o600)
    # The demo programme gets every course in curricula/ at once.
    import_packages(package.find_packages(Path(current_app.config["CURRICULA_PATH"])),
                    [programme.id])
    return credentials


def print_demo_credentials() -> None:
    """Print the demo sign-in details kept in the instance folder."""
    path = demo_credentials_path()
    if not path.exists():
        return
    click.echo("\nDemo programme — sign in at " + current_app.config["BASE_URL"] + "/sign-in")
    for line in path.read_text().splitlines():
        role, email, password = (line.split("\t") + ["", ""])[:3]
        if password:
            click.echo(f"  {role:<10} {email:<26} password: {password}")
        else:
            click.echo(f"  {role:<10} {email}")
    click.echo("")


@click.command("seed-demo")
def seed_demo_command():
    """Create the demo programme and print its sign-in details."""
    if seed_demo() is None:
        click.echo("The database already has users; nothing was created.")
    print_demo_credentials()


def _package_paths(paths: tuple[str, ...]) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    return package.find_packages(Path(current_app.config["CURRICULA_PATH"]))


def _scenario_names(root: Path) -> set[str] | None:
    """Scenario names a package's lessons may embed, when it ships a sandbox."""
    folder = root / "sandbox" / "scenarios"
    if not folder.is_dir():
        return None
    return {p.stem for p in folder.glob("*.yaml") if "." not in p.stem}


def check_packages(paths: list[Path], strict: bool = False,
                   report: list | None = None) -> tuple[list, list]:
    """Validate packages: (errors, warnings); translation gaps, unbalanced quizzes: strict only."""
    errors, warnings = [], []
    for root in paths:
        pkg = package.load_package(root, _scenario_names(root))
        if report is not None:
            report += quizcheck.report_lines(pkg)
        for problem in pkg.problems + package.translation_problems(pkg) + \
                scenario_problems(root) + protocol_problems(root) + \
                quizcheck.balance_problems(pkg):
            lenient = not strict and problem.message.startswith(
                ("translation", quizcheck.PREFIX))
            if problem.severity == "error" and not lenient:
                errors.append(problem)
            else:
                warnings.append(dataclasses.replace(problem, severity="warning"))
    return errors, warnings


def scenario_problems(root: Path) -> list:
    """Problems in a package's sandbox scenarios, as package problems."""
    from navigator.sandbox import scenarios

    folder = root / "sandbox" / "scenarios"
    if not folder.is_dir():
        return []
    return [package.Problem(Path(path), max(line, 1), message)
            for path, line, message in scenarios.check_scenarios(folder)]


def protocol_problems(root: Path) -> list:
    """Problems in a package's chatbot check protocol (checks/), as package problems."""
    from navigator.checks import protocol

    folder = root / protocol.FOLDER
    if not folder.is_dir():
        return []
    # Every problem as an error: check_packages makes translation gaps warnings unless strict.
    _found, problems = protocol.check_protocol(folder)
    return [package.Problem(path, max(line, 1), message)
            for path, line, _severity, message in problems]


@curricula_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, file_okay=False))
@click.option("--strict", is_flag=True,
              help="Treat missing or outdated translations and unbalanced quizzes as errors.")
def curricula_check(paths: tuple[str, ...], strict: bool):
    """Validate course packages; prints file:line messages, exits non-zero on errors."""
    roots = _package_paths(paths)
    report: list[str] = []
    errors, warnings = check_packages(roots, strict, report)
    for line in report:
        click.echo(line)
    for problem in errors + warnings:
        click.echo(str(problem), err=True)
    click.echo(f"{len(roots)} package(s) checked: {len(errors)} error(s), "
               f"{len(warnings)} warning(s).")
    if errors:
        raise SystemExit(1)


def import_packages(paths: list[Path], programme_ids: list[int] = ()) -> list[str]:
    """Import valid packages (skipping versions already there) and offer them to programmes."""
    lines = []
    with db.write_session() as s:
        for root in paths:
            pkg = package.load_package(root, _scenario_names(root))
            if pkg.errors:
                lines.append(f"{root}: not imported, {len(pkg.errors)} error(s); "
                             "run flask curricula check")
                continue
            version, imported = learning.import_package(s, pkg)
            for pid in programme_ids:
                learning.offer_course(s, pid, version.course_id)
            lines.append(f"{pkg.slug}: version {version.number} "
                         + ("imported" if imported else "already present"))
    return lines


@curricula_cli.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, file_okay=False))
@click.option("--programme", "programmes", multiple=True,
              help="Offer the courses to this programme (its name); may repeat.")
def curricula_import(paths: tuple[str, ...], programmes: tuple[str, ...]):
    """Import course packages (all of curricula/ by default) into the database."""
    with db.write_session() as s:
        ids = []
        for name in programmes:
            found = s.exec(select(Programme).where(Programme.name == name)).first()
            if found is None:
                raise click.ClickException(f"no programme named {name!r}")
            ids.append(found.id)
    for line in import_packages(_package_paths(paths), ids):
        click.echo(line)


@curricula_cli.command("hash")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def curricula_hash(files: tuple[str, ...]):
    """Print the source_hash a translation of each file (lesson or quiz texts) should carry."""
    import yaml

    for name in files:
        text = Path(name).read_text(encoding="utf-8")
        if name.endswith(".md"):
            digest = package.source_hash(text)
        else:
            data = yaml.safe_load(text) or {}
            digest = package.quiz_source_hash(package.normalise_quiz_texts(
                data.get("questions") or {}))
        click.echo(f"{digest}  {name}")


@curricula_cli.command("format")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False))
def curricula_format(paths: tuple[str, ...]):
    """Rewrite packages in the canonical form the platform exports (translations kept current)."""
    from sqlmodel import Session, SQLModel, create_engine

    db.load_models()
    for name in paths:
        root = Path(name)
        pkg = package.load_package(root, _scenario_names(root))
        if pkg.errors:
            raise click.ClickException(f"{root}: fix the errors first (flask curricula check)")
        engine = create_engine("sqlite://")
        SQLModel.metadata.create_all(engine)
        with Session(engine) as s:
            files = learning.export_files(s, learning.store_package(s, pkg))
        changed = 0
        for rel, data in files.items():
            target = root / rel
            if not target.exists() or target.read_bytes() != data:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                changed += 1
        click.echo(f"{root}: {changed} file(s) rewritten")


def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "-q", *args])


@i18n_cli.command("extract")
def i18n_extract():
    """Collect translatable strings into translations/messages.pot."""
    root = config.ROOT
    _pybabel("extract", "-F", str(root / "babel.cfg"), "-k", "_l", "--no-location",
             "--sort-output", "-o", str(root / "translations" / "messages.pot"),
             "--project", "Navigator", str(root))


@i18n_cli.command("update")
def i18n_update():
    """Merge messages.pot into every language's catalogue."""
    i18n_extract.callback()
    root = config.ROOT / "translations"
    _pybabel("update", "-i", str(root / "messages.pot"), "-d", str(root), "--no-fuzzy-matching",
             "--ignore-obsolete")


@i18n_cli.command("compile")
def i18n_compile():
    """Compile every catalogue to the .mo files the app reads."""
    _pybabel("compile", "-d", str(config.ROOT / "translations"), "--statistics")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads running jobs.")
def worker(workers: int):
    """Run background jobs (exports) until stopped; use one or more beside gunicorn."""
    from navigator import jobs

    consumer = current_app.extensions["navigator.jobs"].create_consumer(
        workers=workers, worker_type="thread")
    jobs.bind_jobs(current_app)
    # Its heartbeat tells pages a worker is there; its sweepers recover work of dead workers.
    maintenance = jobs.Maintenance(current_app._get_current_object()).start()
    try:
        consumer.run()
    finally:
        maintenance.stop()


def init_app(app: Flask) -> None:
    """Register the commands on the app."""
    for command in (db_cli, curricula_cli, i18n_cli, secrets_cli, create_admin,
                    seed_demo_command, worker, outreach_cli, sandbox_cli, badges_cli):
        app.cli.add_command(command)
