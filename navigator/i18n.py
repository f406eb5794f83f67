"""Platform languages, locale selection, and the translation functions everyone imports."""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import (
    Babel,
    force_locale,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    get_translations,
    ngettext,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import pass_eval_context
from markupsafe import Markup

__all__ = ["LANGUAGES", "CODES", "_", "_l", "ngettext", "get_locale", "format_date",
           "format_datetime", "format_decimal", "force_locale", "init_app", "direction", "language",
           "prefer_locale_of"]

# Where the signed-in person's own language comes from: accounts, which sits above i18n, puts
# it here (prefer_locale_of), so i18n never needs to know what a person looks like.
PREFERRED = "navigator.i18n.preferred_locale"


@dataclass(frozen=True)
class Language:
    """A platform language: its code, its name in itself, and its writing direction."""

    code: str
    native: str
    dir: str = "ltr"


LANGUAGES = (
    Language("en", "English"),
    Language("es", "Español"),
    Language("pt_BR", "Português (Brasil)"),
    Language("fr", "Français"),
    Language("ar", "العربية", "rtl"),
    Language("sw", "Kiswahili"),
    Language("hi", "हिन्दी"),
)
CODES = tuple(lang.code for lang in LANGUAGES)
_BY_CODE = {lang.code: lang for lang in LANGUAGES}


def language(code: str) -> Language:
    """The language for a code, English when unknown."""
    return _BY_CODE.get(code, LANGUAGES[0])


def prefer_locale_of(app: Flask, preferred: Callable[[], str | None]) -> None:
    """Have locale selection ask `preferred` first: the signed-in person's own language, or
    None."""
    app.extensions[PREFERRED] = preferred


def select_locale() -> str:
    """The signed-in person's preference, else the switcher's choice, else Accept-Language."""
    if not has_request_context():
        return "en"  # CLI commands and jobs choose their locale with force_locale
    preferred = current_app.extensions.get(PREFERRED)
    own = preferred() if preferred else None
    if own in _BY_CODE:
        return own
    chosen = session.get("locale")
    if chosen in _BY_CODE:
        return chosen
    # Babel matches "pt-BR" and "pt_BR" alike; browsers send hyphens.
    accepted = request.accept_languages.best_match([c.replace("_", "-") for c in CODES])
    return accepted.replace("-", "_") if accepted else "en"


def direction() -> str:
    """'rtl' or 'ltr' for the current locale."""
    return language(str(get_locale())).dir


def text_direction(text: str) -> str:
    """'ltr' or 'rtl' from a text's first strongly directional letter; 'auto' when it has none.

    Written out rather than left to dir="auto": WeasyPrint lays such text out in the page's
    direction, so an English reference in an Arabic PDF ended its sentence on the left.
    """
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "auto"


def _catalogue():
    """The catalogue for the locale in force, found once per request and locale.

    flask-babel looks it up again on every call (three context look-ups and a Locale turned
    into a string), which a page with thirty strings pays thirty times. force_locale() puts a
    new Locale in place, so the catalogue kept is checked against the Locale object itself.
    """
    ctx = getattr(g, "_flask_babel", None) if has_app_context() else None
    locale = getattr(ctx, "babel_locale", None)
    if locale is None:
        return get_translations()
    kept = getattr(ctx, "navigator_catalogue", None)
    if kept is not None and kept[0] is locale:
        return kept[1]
    found = get_translations()
    ctx.navigator_catalogue = (locale, found)
    return found


@pass_eval_context
def _template_gettext(eval_ctx, string: str, **variables) -> str:
    """`_()` in a template: translated, trusted as markup where autoescaping, then filled in
    (the values escaped), as jinja2.ext's new-style gettext does."""
    found = _catalogue().ugettext(string)
    if eval_ctx.autoescape:
        found = Markup(found)
    return found % variables if variables or "%" in found else found


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    """`ngettext()` in a template, as jinja2.ext's new-style ngettext does: `num` filled in."""
    variables.setdefault("num", num)
    found = _catalogue().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        found = Markup(found)
    return found % variables


def init_app(app: Flask) -> None:
    """Attach flask-babel with our selector and catalogues."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.config["TRANSLATIONS_PATH"]))
    Babel(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(  # flask-babel's, with the catalogue kept
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
        newstyle=True)
    # What templates call: the same strings as Jinja's new-style wrappers give, from one call
    # instead of two nested context calls each (a page asks for thirty to fifty strings).
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext,
                                 ngettext=_template_ngettext)
    # A constant, so imported macros see it without `with context` (which re-runs the imported
    # template on every render).
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt)
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt)
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["direction_of"] = text_direction

    @app.context_processor
    def _i18n_context():
        code = str(get_locale())
        return {"LANGUAGES": LANGUAGES, "current_language": language(code),
                "text_dir": language(code).dir}
