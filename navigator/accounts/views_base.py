"""The accounts blueprint and what its pages share: loading the signed-in person and their own
language, signing a browser in and out."""

from flask import Blueprint, current_app, session
from flask_login import current_user, login_user, logout_user

from navigator import db, i18n
from navigator.accounts import services
from navigator.security import login_manager

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def _load_user(user_id: str):
    return services.load_principal(db.session(), user_id)


def _own_locale() -> str | None:
    """The signed-in person's own language setting ('' when they have none), else None."""
    return current_user.locale if current_user and current_user.is_authenticated else None


@bp.record_once
def _give_i18n_own_locale(state) -> None:
    i18n.prefer_locale_of(state.app, _own_locale)


def _sign_in(user) -> None:
    """Start a server-side session for the user; the cookie names it, signed."""
    s = db.session()
    signed_in = services.open_session(s, user, hours=current_app.config["SESSION_HOURS"])
    s.commit()
    # A fresh session at sign-in: nothing from before (e.g. a planted session) carries over.
    _keep_only_language()
    login_user(signed_in)
    session.permanent = True


def _forget_browser() -> None:
    """Drop the sign-in from this browser's cookie, keeping only its language."""
    logout_user()
    _keep_only_language()


def _keep_only_language() -> None:
    """Empty this browser's session cookie but for the language it chose."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def _clear_device(response):
    """Signing out leaves nothing personal in this browser: saved pages, forms kept to send
    and the service worker go (Clear-Site-Data; offline.js also clears them before it asks)."""
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response

