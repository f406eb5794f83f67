"""Outreach pages for navigators: logging a session, their own list, an activity, editing it.

The blueprint lives in views_base; views_sites (managers' sites) and views_reports (reports,
exports and lists) add their pages to it when this module imports them.
"""

import secrets
from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlmodel import Session

from navigator import db
from navigator.accounts.models import Programme
from navigator.db import utcnow
from navigator.errors import DomainError, NotFound, attach
from navigator.i18n import _, format_date, ngettext

# The views_* modules are imported for the routes they add to bp.
from navigator.outreach import (
    forms,
    services,
    views_reports,  # noqa: F401
    views_sites,  # noqa: F401
)
from navigator.outreach.views_base import _locale, _site_names, bp
from navigator.outreach.vocabulary import (
    AGE_BANDS,
    DIGITAL_TASKS,
    FIELD_NAMES,
    GENDERS,
    REFERRAL_KINDS,
    SETTINGS,
    label,
    language_label,
)
from navigator.paging import PER_PAGE, requested_page
from navigator.security import role_required


def _describe(key: str, value, sites: dict[int, str], topics: dict[str, str]) -> str:
    """One side of a recorded change, in words."""
    if key == "held_on":
        return format_date(date.fromisoformat(value))
    if key == "setting":
        return label(SETTINGS, value)
    if key == "site_id":
        return sites.get(value, _("Another place, not on the list"))
    if key == "languages":
        return ", ".join(language_label(code) for code in value)
    if key == "topics":
        return ", ".join(topics.get(t, t) for t in value)
    if key == "tasks":
        return ", ".join(label(DIGITAL_TASKS, t) for t in value)
    if key in ("age", "gender", "referrals"):
        names = {"age": AGE_BANDS, "gender": GENDERS, "referrals": REFERRAL_KINDS}[key]
        return ", ".join(_("%(name)s: %(count)d", name=label(names, k), count=n)
                         for k, n in value.items()) or _("none")
    if key == "note":
        return ngettext("%(num)d character", "%(num)d characters", value["characters"])
    return str(value)


def describe_change(change, sites: dict[int, str], topics: dict[str, str]
                    ) -> list[tuple[str, str, str]]:
    """(what, before, after) for each fact an edit changed."""
    return [(str(FIELD_NAMES.get(key, key)),
             _describe(key, change.before.get(key), sites, topics),
             _describe(key, change.after[key], sites, topics)) for key in change.after]


# --- navigators: logging and their own list ------------------------------------------------

@bp.get("/")
@role_required("navigator")
def mine():
    s = db.session()
    page = requested_page(request.args)
    rows, total = services.own_activities(s, current_user.user.id, page=page)
    days = current_app.config["OUTREACH_EDIT_DAYS"]
    return render_template("outreach/mine.html", rows=rows, total=total, page=page,
                           per_page=PER_PAGE, deadline=lambda a: services.edit_deadline(a, days),
                           now=utcnow(), sites=_site_names(s, {a.programme_id for a in rows}))


def _offered(s: Session, programme_id: int, current=None
             ) -> tuple[list, list[tuple[str, str]]]:
    """The sites and topics a navigator may choose: archived sites only when already chosen."""
    keep = current.site_id if current else None
    sites = [site for site in services.list_sites(s, programme_id)
             if not site.archived or site.id == keep]
    return sites, services.topic_choices(s, programme_id, _locale(),
                                         current.topics if current else [])


def _activity_form(s: Session, programme_id: int, current=None) -> forms.ActivityForm:
    form = forms.ActivityForm()
    sites, topics = _offered(s, programme_id, current)
    form.set_sites(sites)
    form.set_topics(topics)
    return form


# Blank forms kept per app, at most this many (languages × days × distinct choice lists).
BLANK_FIELDS_KEPT = 256


def _blank_fields(s: Session, programme_id: int, sites: list) -> Markup:
    """A new form's fields (date to note) as HTML, rendered once per language, day and choices.

    The key holds the offered choices themselves (site ids and names, topic keys and titles):
    a site added, renamed or archived, or a course version published with other modules,
    makes a new key, so nothing stale is served, and two programmes share an entry only when
    they would show the very same HTML. Nothing personal is in it: no token, nothing typed.
    """
    topics = services.topic_choices(s, programme_id, _locale())
    today = utcnow().date()
    key = (_locale(), today, tuple((site.id, site.name) for site in sites), tuple(topics))
    kept = current_app.extensions.setdefault("navigator.outreach.blank_fields", {})
    html = kept.get(key)
    if html is None:
        form = forms.ActivityForm()
        form.set_sites(sites)
        form.set_topics(topics)
        form.held_on.data = today
        if len(kept) >= BLANK_FIELDS_KEPT:
            kept.clear()
        html = kept[key] = Markup(render_template("outreach/_activity_fields.html", form=form,
                                                  hints=[]))
    return html


def _hints(form) -> list[str]:
    """What the typed note seems to hold, so the form can ask before saving it."""
    return services.personal_data_hints(form.note.data or "") if request.method == "POST" else []


@bp.route("/new", methods=["GET", "POST"])
@role_required("navigator")
def new():
    s = db.session()
    # The programmes with their open sites, in one statement (sites are used on a GET).
    places = services.logging_places(s, current_user)
    programmes = {pid: place.name for pid, place in places.items()}
    programme_id = request.args.get("programme", type=int)
    if programme_id is None and len(programmes) == 1:
        programme_id = next(iter(programmes))
    if programme_id is None:
        return render_template("outreach/choose.html", programmes=programmes)
    if programme_id not in programmes:
        raise NotFound()
    action = url_for("outreach.new", programme=programme_id)
    if request.method == "GET":
        # The key travels with the form: sending it twice finds the first activity.
        return render_template("outreach/form.html",
                               blank_fields=_blank_fields(s, programme_id,
                                                          places[programme_id].sites),
                               submission_key=secrets.token_urlsafe(18),
                               programme_name=programmes[programme_id], editing=None,
                               role="owner", action=action)
    form = _activity_form(s, programme_id)
    if form.validate_on_submit():
        try:
            activity, created = services.log_activity(
                s, current_user, programme_id, form.submission_key.data or "",
                form.to_input(), confirm_note=form.confirm_note.data)
        except DomainError as exc:
            s.rollback()
            attach(form, exc)
        else:
            s.commit()
            flash(_("Your outreach session is saved. Thank you!") if created else
                  _("This session was already saved; here it is."), "success")
            return redirect(url_for("outreach.activity", activity_id=activity.id))
    if not services.SUBMISSION_KEY.match(form.submission_key.data or ""):
        form.submission_key.data = secrets.token_urlsafe(18)
    return render_template("outreach/form.html", form=form, hints=_hints(form),
                           programme_name=programmes[programme_id], editing=None,
                           role="owner", action=action)


@bp.get("/<int:activity_id>")
@login_required
def activity(activity_id: int):
    page = services.activity_page(db.session(), current_user, activity_id,
                                  edit_days=current_app.config["OUTREACH_EDIT_DAYS"],
                                  locale=_locale())
    return render_template(
        "outreach/activity.html", activity=page.activity, facts=page.facts, topics=page.topics,
        site_name=page.site_name, edit_role=page.edit_role, deadline=page.deadline,
        own=page.own, navigator=page.navigator, programme=page.programme,
        changes=[(change, name, describe_change(change, page.sites, page.topics))
                 for change, name in page.changes])


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(activity_id: int):
    s = db.session()
    item = services.get_activity(s, current_user, activity_id)
    days = current_app.config["OUTREACH_EDIT_DAYS"]
    role = services.check_editable(current_user, item, edit_days=days)
    current = services.facts(s, item)
    form = _activity_form(s, item.programme_id, current)
    if request.method == "GET":
        form.load(current)
    elif form.validate_on_submit():
        try:
            change = services.update_activity(
                s, current_user, item, form.to_input(), edit_days=days,
                reason=form.reason.data or "" if role == "manager" else "",
                confirm_note=form.confirm_note.data)
        except DomainError as exc:
            s.rollback()
            attach(form, exc)
        else:
            s.commit()
            flash(_("Your changes are saved.") if change else _("Nothing was changed."),
                  "success")
            return redirect(url_for("outreach.activity", activity_id=item.id))
    return render_template("outreach/form.html", form=form, hints=_hints(form), editing=item,
                           role=role, programme_name=s.get(Programme,
                                                           item.programme_id).name,
                           deadline=services.edit_deadline(item, days),
                           action=url_for("outreach.edit", activity_id=item.id))
