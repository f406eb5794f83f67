"""`flask badges …`: list the Open Badges signing keys, add a new one."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from navigator.certification.badges import keys

badges_cli = AppGroup("badges", help="Open Badges: signing keys.")


@badges_cli.command("keys")
def list_keys():
    """Print each key's id (public), oldest first; the last one signs."""
    ring = keys.keyring(current_app)
    for key in ring.keys:
        mark = "signs" if key is ring.signing else "verifies"
        click.echo(f"{key.kid}  {key.alg}  {mark}")


@badges_cli.command("rotate-key")
@click.option("--type", "key_type", type=click.Choice(sorted(keys.KEY_TYPES)),
              default=None, help="Key type (default: NAVIGATOR_BADGE_KEY_TYPE).")
def rotate_key(key_type: str | None):
    """Add a new signing key; credentials signed before keep verifying with the older keys."""
    if current_app.config["BADGE_KEYS"].strip():
        raise click.ClickException(
            "The keys come from NAVIGATOR_BADGE_KEYS: append a new PEM key to it instead "
            "(keep the old ones), e.g. from: flask badges new-key")
    folder = keys.keys_folder(current_app.config, current_app.instance_path)
    keys.load_pems("", folder, current_app.config["BADGE_KEY_TYPE"])  # the first one, if none
    path = keys.rotate(Path(folder), key_type or current_app.config["BADGE_KEY_TYPE"])
    click.echo(f"New signing key: {path}. Back it up with the others.")


@badges_cli.command("new-key")
@click.option("--type", "key_type", type=click.Choice(sorted(keys.KEY_TYPES)),
              default="P-256", show_default=True)
def new_key(key_type: str):
    """Print a new private key (PEM) to add to NAVIGATOR_BADGE_KEYS; nothing is stored."""
    click.echo(keys.generate(key_type).decode(), nl=False)
