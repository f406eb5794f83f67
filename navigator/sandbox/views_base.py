"""The sandbox blueprint and what its pages share: roles, the run limit, helpers, filters."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import format_percent
from flask_limiter.util import get_remote_address
from flask_login import current_user

from navigator.accounts.sessions import person_of
from navigator.i18n import CODES, _, _l, language
from navigator.sandbox import prompt_runs, web
from navigator.sandbox.embed import lesson_embed
from navigator.sandbox.model.tokenizer import visible
from navigator.security import limiter

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")

USERS = ("navigator", "trainer", "manager", "admin")
EDITORS = ("trainer", "manager", "admin")
# The learning capability reads this extension to embed activities in lessons.
EMBED_EXTENSION = "navigator.sandbox.embed"


@bp.record_once
def _offer_embeds(state) -> None:
    state.app.extensions[EMBED_EXTENSION] = lesson_embed


@bp.app_template_filter("token_text")
def _token_text(piece: str) -> str:
    return visible(piece)


@bp.app_template_filter("percent")
def _percent(value: float | None, digits: int = 1) -> str:
    """A share as the locale writes a percentage, with `digits` decimals (one by default)."""
    return "" if value is None else format_percent(value, "#,##0." + "0" * digits + "%")


def _numbers(values) -> list[float]:
    if isinstance(values, dict):
        values = values.values()
    if isinstance(values, (int, float)):
        return [float(values)]
    return [n for v in values for n in _numbers(v)]


@bp.app_template_filter("percent_digits")
def _percent_digits(values) -> int:
    """One precision for a whole table of shares (nested lists and dicts of them): enough
    decimals for two significant digits of its smallest non-zero share, one to four."""
    smallest = min((abs(n) for n in _numbers(values) if n), default=1.0)
    return max(1, min(4, 1 - math.floor(math.log10(smallest * 100))))


# The shipped corpora's datasheet titles and the bias probe's word sets, written here so that
# they are extracted for translation. A title or set name the catalogue does not know (an
# edited datasheet, another package) is shown as written.
CORPUS_TITLES = (_l("Health: general health and mental-health text"),
                 _l("Instructions: example questions with careful answers"),
                 _l("Records: fictional patient records planted to show memorisation"),
                 _l("Skewed: patients, clinicians and technology, with deliberate bias"))
WORD_SETS = (_l("warm"), _l("cold"))


@bp.app_template_filter("corpus_title")
def corpus_title(datasheet: dict, name: str = "") -> str:
    """A corpus's datasheet title in the reader's language, where the catalogue has it."""
    title = str(datasheet.get("title") or "")
    return _(title) if title else name


@bp.app_template_filter("word_set")
def _word_set(name: str) -> str:
    return _(name) if name else name


@bp.app_template_global("page_direction")
def _page_direction() -> str:
    """'rtl' or 'ltr': for macros imported without the page's context (the bias chart)."""
    return language(web.locale()).dir


@bp.app_template_filter("language_name")
def _language_name(code: str) -> str:
    return language(code).native if code in CODES else code


@bp.app_template_filter("sandbox_segments")
def _segments(generation: dict) -> list[dict]:
    return prompt_runs.segments(generation)


def _user_key() -> str:
    """Rate limits count per person, wherever they connect from.

    The id comes from the signed session cookie rather than the database: loading the user
    here would open the request's write transaction before the limiter writes its counter.
    """
    person = person_of(str(session.get("_user_id", "")))  # Flask-Login's key for the id
    return f"sandbox:{person}" if person is not None else get_remote_address()


# One budget for every page that runs the model, per person.
generation_limit = limiter.shared_limit(
    lambda: current_app.config["SANDBOX_RATE_LIMIT"], scope="sandbox-runs",
    key_func=_user_key, methods=["POST"])


def _me() -> int:
    return current_user.user.id


def _set(field, value) -> None:
    """Show a value the server chose (e.g. a seed) in a field that was posted."""
    field.data = value
    field.raw_data = None


def _page(template: str, **context):
    """A sandbox page with what every sandbox page shows."""
    context.setdefault("crisis", None)
    context.setdefault("programme", web.programme())
    return render_template(template, **context)


def _saved(row) -> object:
    flash(_("Saved. Only you can see your saved runs."), "success")
    return redirect(url_for("sandbox.saved_run", run_id=row.id))


def _show_programme(programme_id: int) -> None:
    """After an edit, the editor sees that programme's model on the sandbox pages."""
    session[web.CHOSEN] = programme_id
