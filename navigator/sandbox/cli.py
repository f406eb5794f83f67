"""`flask sandbox …`: train the embedded model ahead of time so first pages are fast."""

import time

import click
from flask.cli import AppGroup
from sqlmodel import select

from navigator import db
from navigator.accounts import services as accounts
from navigator.sandbox import services, web
from navigator.sandbox.models import CorpusEdit

cli = AppGroup("sandbox", help="The embedded language model: training and its cache.")


@cli.command("train")
def train():
    """Train the shipped model and every programme's edited one, and cache them on disk."""
    box = web.box()
    start = time.perf_counter()
    engine = box.engine()
    click.echo(f"Shipped corpora: model {engine.content_hash[:12]} "
               f"({time.perf_counter() - start:.1f} s).")
    with db.write_session() as s:
        programmes = sorted(set(s.exec(select(CorpusEdit.programme_id)).all()))
        for programme_id in programmes:
            start = time.perf_counter()
            engine = services.engine_for(s, box, programme_id)
            click.echo(f"Programme {programme_id}: model {engine.content_hash[:12]} "
                       f"({time.perf_counter() - start:.1f} s).")


@cli.command("token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True,
              help="Shown on the person's account page, where they can revoke the token.")
def token(email: str, name: str):
    """Print a new token for the OpenAI-compatible API, for the person with this e-mail."""
    with db.write_session() as s:
        user = accounts.get_user_by_email(s, email)
        if user is None or not user.is_active:
            raise click.ClickException(f"No active account has the e-mail address {email}.")
        _row, raw = accounts.create_api_token(s, user, name)
    click.echo(raw)
