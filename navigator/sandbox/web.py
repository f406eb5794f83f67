"""What sandbox pages and lesson embeds read from the app and the request."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, g, session
from flask_login import current_user

from navigator import db
from navigator.accounts.models import Programme
from navigator.errors import NotFound
from navigator.i18n import _, get_locale
from navigator.sandbox import caches, services
from navigator.sandbox.model.engine import SandboxEngine
from navigator.sandbox.safety import crisis_resources, mentions_crisis

EXTENSION = "navigator.sandbox"
CHOSEN = "sandbox_programme"  # the programme whose model a person in several chose


def box() -> caches.Sandbox:
    """The app's sandbox, made on first use (nothing is trained until a page needs the model)."""
    app = current_app._get_current_object()
    found = app.extensions.get(EXTENSION)
    if found is None:
        root = caches.find_sandbox(app.config["CURRICULA_PATH"])
        if root is None:
            raise NotFound(_("No course package with a sandbox is installed."))
        found = app.extensions.setdefault(
            EXTENSION, caches.Sandbox(root, Path(app.instance_path) / "sandbox-cache"))
    return found


def locale() -> str:
    """The page's locale code."""
    return str(get_locale())


def programme() -> Programme | None:
    """The programme whose model the signed-in person sees."""
    if not current_user.is_authenticated:
        return None
    if "sandbox_programme" not in g:
        g.sandbox_programme = services.programme_for(db.session(), current_user,
                                                     session.get(CHOSEN))
    return g.sandbox_programme


def programme_id() -> int | None:
    """The id of programme(), or None."""
    chosen = programme()
    return chosen.id if chosen else None


def engine() -> SandboxEngine:
    """The model in force for the signed-in person's programme."""
    user_id = current_user.id if current_user.is_authenticated else None
    return services.engine_for(db.session(), box(), programme_id(), user_id)


def crisis(*texts: str | None) -> str | None:
    """The crisis resources to show when a prompt contains crisis language, else None."""
    if not mentions_crisis(*texts):
        return None
    chosen = programme()
    return crisis_resources(chosen.crisis_resources if chosen else "")
