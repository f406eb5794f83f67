"""Home pages that say what to do next, for each role; and a health check."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import text

from navigator import db
from navigator.accounts import services as accounts
from navigator.authoring import services as authoring
from navigator.certification import services as certification
from navigator.i18n import get_locale
from navigator.learning import services as learning

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("home/welcome.html")
    s = db.session()
    # Only managers and administrators see programmes by name: no statement for anyone else.
    named = current_user.has_any_role("manager", "admin")
    context: dict = {"programmes": accounts.list_programmes(s, current_user) if named else [],
                     "panels": []}
    if current_user.has_any_role("navigator"):
        # Modules carried over from a certified earlier version count as done, as certification
        # counts them.
        context.update(learning.home_panel_context(s, current_user.id, str(get_locale()),
                                                   certification.counted_versions))
        context.update(certification.home_panel_context(s, current_user.id, str(get_locale())))
        context["panels"] += ["certification/home_panel.html", "learning/home_panel.html",
                              "outreach/home_panel.html"]
    if current_user.has_any_role("trainer", "admin"):
        context.update(authoring.home_panel_context(s, current_user, str(get_locale())))
        context["panels"].append("authoring/home_panel.html")
    return render_template("home/index.html", **context)


@bp.get("/health")
def health():
    db.session().exec(text("SELECT 1"))
    return {"status": "ok"}
