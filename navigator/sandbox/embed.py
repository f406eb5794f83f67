"""Sandbox activities inside lessons: a pre-computed example run and a link to the sandbox."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from navigator import db
from navigator.errors import NotFound
from navigator.i18n import language
from navigator.sandbox import services, web


def embed(name: str, locale: str, programme_id: int | None = None) -> Markup | None:
    """An activity's example run, compact, with "Open in the sandbox"; None if it is unknown.

    The run is computed once per engine, activity and locale, then served from the cache.
    """
    s, box = db.session(), web.box()
    try:
        scenario = services.scenario_for(s, box, programme_id, name)
    except NotFound:
        return None
    engine = services.engine_for(s, box, programme_id)
    result = services.example_run(box, engine, scenario, locale)
    return Markup(render_template("sandbox/_embed.html", s=scenario, r=result,
                                  text_language=language(result["locale"])))


def lesson_embed(name: str) -> Markup | None:
    """embed() for the lesson renderer: the page's locale and the reader's programme."""
    try:
        return embed(name, web.locale(), web.programme_id())
    except NotFound:
        return None  # no package with a sandbox: the lesson links to the activity instead
