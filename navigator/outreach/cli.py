"""Flask commands for outreach: `flask outreach generate` makes sample data for load tests."""

import time

import click
from flask.cli import AppGroup

from navigator import db
from navigator.outreach import sample

cli = AppGroup("outreach", help="Outreach: sample data for load tests.")


@cli.command("generate")
@click.option("--activities", default=1000, show_default=True, type=click.IntRange(1))
@click.option("--navigators", default=50, show_default=True, type=click.IntRange(1))
@click.option("--programme", required=True,
              help="The programme's name; it is created when there is none by that name.")
@click.option("--months", default=12, show_default=True, type=click.IntRange(1, 120),
              help="Spread the activities over this many past months.")
@click.option("--seed", default=1, show_default=True, help="The same seed gives the same data.")
def generate(activities: int, navigators: int, programme: str, months: int, seed: int):
    """Add random outreach activities by sample navigators (who cannot sign in)."""
    started = time.perf_counter()
    with db.write_session() as s:
        made = sample.generate(s, programme_name=programme, activities=activities,
                               navigators=navigators, months=months, seed=seed)
        programme_id = made.id
    click.echo(f"Added {activities} activities by {navigators} navigators to {programme!r} "
               f"(programme {programme_id}) in {time.perf_counter() - started:.1f} s.")
