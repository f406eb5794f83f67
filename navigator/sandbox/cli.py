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


@cli.command("train-transformer")
@click.option("--locale", "locales", multiple=True,
              help="A language to train (repeat for several); default: every language with a "
                   "recipe.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Where to write <locale>.npz; default: the package's sandbox/models folder.")
@click.option("--size", type=click.Choice(["full", "tiny"]), default="full", show_default=True,
              help="tiny: a small network for a quick check (tests use it).")
@click.option("--limit", type=int, default=None, hidden=True,
              help="Learn from only the first lines of each corpus (tests).")
def train_transformer(locales: tuple[str, ...], out_dir: str | None, size: str,
                      limit: int | None):
    """Train the transformers from the shipped corpora: seeded, so the same text gives the same
    weights (on another machine, within 1 % of the same held-out loss). English takes about
    ten minutes on one core; set OPENBLAS_NUM_THREADS=1 on a busy machine."""
    from pathlib import Path

    from navigator.sandbox.model import networks
    from navigator.sandbox.model.corpora import load_corpora
    from navigator.sandbox.model.engine import by_locale

    box = web.box()
    out = Path(out_dir) if out_dir else box.models_dir
    groups = by_locale(load_corpora(box.corpora_dir))
    chosen = locales or tuple(networks.RECIPES)
    unknown = [loc for loc in chosen if loc not in groups]
    if unknown:
        raise click.ClickException(f"No corpora for {', '.join(unknown)}.")
    for locale in chosen:
        recipe = networks.TINY if size == "tiny" else networks.RECIPES.get(locale)
        if recipe is None:
            raise click.ClickException(f"No recipe for {locale}: its text is too small for a "
                                       "transformer (see RECIPES in model/networks.py).")
        path = out / f"{locale}.npz"
        before = None
        if path.is_file():
            try:
                before = networks.load(path).heldout["transformer"]
            except (OSError, ValueError, KeyError):
                before = None

        def progress(run: str, row: dict, locale: str = locale) -> None:
            click.echo(f"{locale} {run:10} step {row['step']:>5}  training loss "
                       f"{row['train']:.3f}  held-out loss {row['heldout']:.3f}")

        trained = networks.train_language(locale, groups[locale], recipe, limit=limit,
                                          progress=progress)
        networks.save(trained, path)
        loss, ngram = trained.comparison["transformer"], trained.comparison["ngram"]
        click.echo(f"{locale}: held-out loss {loss:.4f} nats per word (n-gram {ngram:.4f}); "
                   f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB).")
        if before is not None:
            click.echo(f"{locale}: the file it replaced had {before:.4f}, a difference of "
                       f"{abs(loss - before) / before:.2%}.")


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
