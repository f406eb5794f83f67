"""Platform languages, locale selection, and the translation functions everyone imports."""

from dataclasses import dataclass

from flask import Flask, has_request_context, request, session
from flask_babel import (
    Babel,
    force_locale,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    ngettext,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

__all__ = ["LANGUAGES", "CODES", "_", "_l", "ngettext", "get_locale", "format_date",
           "format_datetime", "format_decimal", "force_locale", "init_app", "direction", "language"]


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


def select_locale() -> str:
    """The signed-in user's preference, else the switcher's choice, else Accept-Language."""
    if not has_request_context():
        return "en"  # CLI commands and jobs choose their locale with force_locale
    if current_user and current_user.is_authenticated and current_user.locale in _BY_CODE:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in _BY_CODE:
        return chosen
    # Babel matches "pt-BR" and "pt_BR" alike; browsers send hyphens.
    accepted = request.accept_languages.best_match([c.replace("_", "-") for c in CODES])
    return accepted.replace("-", "_") if accepted else "en"


def direction() -> str:
    """'rtl' or 'ltr' for the current locale."""
    return language(str(get_locale())).dir


def init_app(app: Flask) -> None:
    """Attach flask-babel with our selector and catalogues."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.config["TRANSLATIONS_PATH"]))
    Babel(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt)
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt)
    app.jinja_env.filters["number"] = format_decimal

    @app.context_processor
    def _i18n_context():
        code = str(get_locale())
        return {"LANGUAGES": LANGUAGES, "current_language": language(code),
                "text_dir": language(code).dir}
