"""Home pages that say what to do next, for each role; and a health check."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import text

from navigator import db
from navigator.accounts import services as accounts

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("home/welcome.html")
    s = db.session()
    programmes = accounts.list_programmes(s, current_user)
    return render_template("home/index.html", programmes=programmes, panels=[])


@bp.get("/health")
def health():
    db.session().exec(text("SELECT 1"))
    return {"status": "ok"}
