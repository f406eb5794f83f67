"""Outreach pages: logging sessions, a navigator's own list, sites, reports and exports."""

import secrets
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlmodel import Session

from navigator import db
from navigator.accounts import services as accounts
from navigator.accounts.forms import EmptyForm
from navigator.accounts.models import Programme, User
from navigator.db import utcnow
from navigator.errors import Conflict, DomainError, Invalid, NotFound, attach
from navigator.i18n import _, direction, format_date, get_locale, ngettext
from navigator.outreach import charts, exports, forms, reports, services
from navigator.outreach.numbers import format_count
from navigator.outreach.vocabulary import (
    AGE_BANDS,
    DIGITAL_TASKS,
    FIELD_NAMES,
    GENDERS,
    HINT_LABELS,
    REFERRAL_KINDS,
    SETTINGS,
    label,
    language_label,
)
from navigator.security import role_required

bp = Blueprint("outreach", __name__, url_prefix="/outreach")
REPORT_ROLES = ("manager", "trainer")
# Certification registers a function (session, programme id) → ids of certified navigators
# here; outreach sits below certification and never imports it.
CERTIFIED_HOOK = "navigator.outreach.certified_ids"


def _locale() -> str:
    return str(get_locale())


@bp.app_template_global("outreach_this_month")
def outreach_this_month() -> int:
    """The signed-in navigator's activities held this month, for the home panel."""
    return services.count_since(db.session(), current_user.user.id,
                                utcnow().date().replace(day=1))


@bp.app_template_filter("outreach_number")
def outreach_number(value: int) -> str:
    """A count written the reader's way (fast: reports print thousands)."""
    return format_count(value, _locale())


@bp.app_context_processor
def _vocabulary():
    return {"outreach_labels": {"setting": SETTINGS, "task": DIGITAL_TASKS,
                                "referral": REFERRAL_KINDS, "age": AGE_BANDS,
                                "gender": GENDERS},
            "outreach_label": label, "language_label": language_label,
            "hint_labels": HINT_LABELS}


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
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = services.own_activities(s, current_user.user.id, page=page)
    days = current_app.config["OUTREACH_EDIT_DAYS"]
    return render_template("outreach/mine.html", rows=rows, total=total, page=page, per_page=50,
                           deadline=lambda a: services.edit_deadline(a, days),
                           now=utcnow(), sites=_site_names(s, {a.programme_id for a in rows}))


def _site_names(s: Session, programme_ids: set[int]) -> dict[int, str]:
    return {site.id: site.name for pid in programme_ids
            for site in services.list_sites(s, pid)}


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
    s = db.session()
    item = services.get_activity(s, current_user, activity_id)
    days = current_app.config["OUTREACH_EDIT_DAYS"]
    facts = services.facts(s, item)
    topics = dict(services.topic_choices(s, item.programme_id, _locale(), facts.topics))
    site = services.list_sites(s, item.programme_id)
    return render_template(
        "outreach/activity.html", activity=item, facts=facts, topics=topics,
        site_name=next((x.name for x in site if x.id == item.site_id), None),
        edit_role=services.edit_role(current_user, item, edit_days=days),
        deadline=services.edit_deadline(item, days), own=item.navigator_id == current_user.id,
        changes=[(change, name, describe_change(change, {x.id: x.name for x in site}, topics))
                 for change, name in services.changes(s, item.id)],
        navigator=s.get(User, item.navigator_id),
        programme=s.get(Programme, item.programme_id))


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


# --- managers: sites --------------------------------------------------------------------------

@bp.route("/programmes/<int:programme_id>/sites", methods=["GET", "POST"])
@role_required("manager", "admin")
def sites(programme_id: int):
    s = db.session()
    programme = accounts.get_programme(s, current_user, programme_id, "manager")
    form = forms.SiteForm()
    if form.validate_on_submit():
        try:
            site = services.add_site(s, current_user, programme_id, form.name.data)
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            flash(_("Site “%(name)s” added.", name=site.name), "success")
            return redirect(url_for("outreach.sites", programme_id=programme_id))
    return render_template("outreach/sites.html", programme=programme, form=form,
                           sites=services.list_sites(s, programme_id))


@bp.route("/sites/<int:site_id>", methods=["GET", "POST"])
@role_required("manager", "admin")
def site(site_id: int):
    s = db.session()
    item = services.get_site(s, current_user, site_id)
    form = forms.SiteEditForm(obj=item)
    if form.validate_on_submit():
        try:
            services.update_site(s, item, name=form.name.data, archived=form.archived.data)
        except DomainError as exc:
            s.rollback()
            attach(form, exc)
        else:
            s.commit()
            flash(_("Site saved."), "success")
            return redirect(url_for("outreach.sites", programme_id=item.programme_id))
    return render_template("outreach/site.html", site=item, form=form,
                           programme=s.get(Programme, item.programme_id))


@bp.post("/sites/<int:site_id>/delete")
@role_required("manager", "admin")
def delete_site(site_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    item = services.get_site(s, current_user, site_id)
    try:
        services.delete_site(s, item)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("outreach.site", site_id=site_id))
    s.commit()
    flash(_("Site deleted."), "success")
    return redirect(url_for("outreach.sites", programme_id=item.programme_id))


# --- managers and trainers: reports ------------------------------------------------------------

@bp.get("/programmes")
@role_required("manager", "trainer", "admin")
def programmes():
    s = db.session()
    visible = [p for p in accounts.list_programmes(s, current_user)
               if current_user.is_admin or p.id in current_user.programme_ids(*REPORT_ROLES)]
    return render_template("outreach/programmes.html", programmes=visible,
                           managed=current_user.programme_ids("manager"))


def _report_programme(s: Session, programme_id: int):
    return accounts.get_programme(s, current_user, programme_id, *REPORT_ROLES)


def _filters(s: Session, programme_id: int) -> tuple[forms.ReportFilterForm, reports.Filters]:
    """The filter form read from the address; filters with errors are left out."""
    form = forms.ReportFilterForm(formdata=request.args or None,
                                  sites=services.list_sites(s, programme_id),
                                  navigators=services.programme_navigators(s, programme_id))
    if request.args:
        form.validate()
    filters = reports.Filters()
    if not form.date_from.errors:
        filters.date_from = form.date_from.data
    if not form.date_to.errors:
        filters.date_to = form.date_to.data
    if form.site.data and not form.site.errors:
        filters.site = (reports.OTHER_SITE if form.site.data == forms.OTHER_SITE
                        else int(form.site.data))
    if form.setting.data and not form.setting.errors:
        filters.setting = form.setting.data
    if form.navigator.data and not form.navigator.errors:
        filters.navigator_id = int(form.navigator.data)
    return form, filters


def _filter_args() -> dict:
    return {k: v for k, v in request.args.items() if k in (
        "date_from", "date_to", "site", "setting", "navigator", "by", "share") and v}


def _chart(table: reports.Table, rtl: bool):
    if not table.chart:
        return None
    column = table.columns[table.chart_column]
    items = [(row.label, row.cells[table.chart_column].shown, str(row.cells[table.chart_column]))
             for row in table.rows]
    title = _("%(measure)s: %(table)s", measure=column, table=table.title)
    draw = charts.line_chart if table.chart == "line" else charts.bar_chart
    return draw(f"chart-{table.key}", title, items, rtl=rtl, number=outreach_number)


def _certified(s: Session, programme_id: int) -> set[int] | None:
    hook = current_app.extensions.get(CERTIFIED_HOOK)
    return set(hook(s, programme_id)) if hook else None


@bp.get("/programmes/<int:programme_id>/report")
@role_required("manager", "trainer", "admin")
def report(programme_id: int):
    s = db.session()
    programme = _report_programme(s, programme_id)
    form, filters = _filters(s, programme_id)
    share = bool(form.share.data)
    locale = _locale()
    result = reports.build(s, programme_id, filters, locale=locale, share=share,
                           threshold=current_app.config["SUPPRESSION_THRESHOLD"],
                           by=form.by.data or "month",
                           number=lambda value: format_count(value, locale))
    rtl = direction() == "rtl"
    return render_template("outreach/report.html", programme=programme, form=form,
                           report=result, charts={t.key: _chart(t, rtl) for t in result.tables},
                           args=_filter_args())


@bp.get("/programmes/<int:programme_id>/export/<kind>.csv")
@role_required("manager", "trainer", "admin")
def export(programme_id: int, kind: str):
    s = db.session()
    _report_programme(s, programme_id)
    form, filters = _filters(s, programme_id)
    share = bool(form.share.data)
    if kind == "summary":
        result = reports.build(s, programme_id, filters, locale=_locale(), share=share,
                               threshold=current_app.config["SUPPRESSION_THRESHOLD"],
                               by=form.by.data or "month")
        body = exports.stream(exports.summary_header(), exports.summary_rows(result))
    elif kind == "activities":
        if share:
            raise Invalid(_("A list of single activities cannot be prepared for sharing "
                            "outside the programme. Share the summary instead."))
        titles = dict(services.topic_choices(s, programme_id, _locale()))

        def rows():
            # The request's session is released before a streamed body is sent: read with
            # a session of its own, closed when the last line is out.
            with Session(db.engine()) as own:
                yield from exports.stream(exports.activity_header(),
                                          exports.activity_rows(own, programme_id, filters,
                                                                titles))

        body = stream_with_context(rows())
    else:
        raise NotFound()
    name = f"outreach-{programme_id}-{kind}{'-shared' if share else ''}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/programmes/<int:programme_id>/activities")
@role_required("manager", "trainer", "admin")
def activities(programme_id: int):
    s = db.session()
    programme = _report_programme(s, programme_id)
    form, filters = _filters(s, programme_id)
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = services.programme_activities(s, programme_id, filters, page=page)
    return render_template("outreach/activities.html", programme=programme, form=form,
                           rows=rows, total=total, page=page, per_page=50,
                           sites=_site_names(s, {programme_id}), args=_filter_args())


@bp.get("/programmes/<int:programme_id>/training")
@role_required("manager", "trainer", "admin")
def training(programme_id: int):
    s = db.session()
    programme = _report_programme(s, programme_id)
    form, filters = _filters(s, programme_id)
    certified = _certified(s, programme_id)
    return render_template(
        "outreach/training.html", programme=programme, form=form,
        links=reports.training_links(s, programme_id, filters, locale=_locale()),
        split=(reports.certification_split(s, programme_id, filters, certified)
               if certified is not None else None), args=_filter_args())
