"""Outreach pages for managers and trainers: programmes, reports, CSV exports, lists, training."""

from flask import Response, current_app, render_template, request, stream_with_context
from flask_login import current_user
from sqlmodel import Session

from navigator import db
from navigator.accounts import services as accounts
from navigator.errors import Invalid, NotFound
from navigator.i18n import _, direction
from navigator.outreach import charts, exports, forms, reports, services
from navigator.outreach.numbers import format_count
from navigator.outreach.views_base import (
    CERTIFIED_HOOK,
    REPORT_ROLES,
    _locale,
    _site_names,
    bp,
    outreach_number,
)
from navigator.paging import PER_PAGE, requested_page
from navigator.security import role_required

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


def _report_request(programme_id: int):
    """What every report page starts from: the session, the programme (the person may see its
    reports, or NotFound), the filter form and the filters read from the address."""
    s = db.session()
    programme = _report_programme(s, programme_id)
    form, filters = _filters(s, programme_id)
    return s, programme, form, filters


def _build(s: Session, programme_id: int, form: forms.ReportFilterForm,
           filters: reports.Filters, number=str) -> reports.Report:
    """The report the filter form asks for, shared (suppressed) when it says so."""
    return reports.build(s, programme_id, filters, locale=_locale(), share=bool(form.share.data),
                         threshold=current_app.config["SUPPRESSION_THRESHOLD"],
                         by=form.by.data or "month", number=number)


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
    s, programme, form, filters = _report_request(programme_id)
    locale = _locale()
    result = _build(s, programme_id, form, filters,
                    number=lambda value: format_count(value, locale))
    rtl = direction() == "rtl"
    return render_template("outreach/report.html", programme=programme, form=form,
                           report=result, charts={t.key: _chart(t, rtl) for t in result.tables},
                           args=_filter_args())


@bp.get("/programmes/<int:programme_id>/export/<kind>.csv")
@role_required("manager", "trainer", "admin")
def export(programme_id: int, kind: str):
    s, _programme, form, filters = _report_request(programme_id)
    share = bool(form.share.data)
    if kind == "summary":
        result = _build(s, programme_id, form, filters)
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
    s, programme, form, filters = _report_request(programme_id)
    page = requested_page(request.args)
    rows, total = services.programme_activities(s, programme_id, filters, page=page)
    return render_template("outreach/activities.html", programme=programme, form=form,
                           rows=rows, total=total, page=page, per_page=PER_PAGE,
                           sites=_site_names(s, {programme_id}), args=_filter_args())


@bp.get("/programmes/<int:programme_id>/training")
@role_required("manager", "trainer", "admin")
def training(programme_id: int):
    s, programme, form, filters = _report_request(programme_id)
    certified = _certified(s, programme_id)
    return render_template(
        "outreach/training.html", programme=programme, form=form,
        links=reports.training_links(s, programme_id, filters, locale=_locale()),
        split=(reports.certification_split(s, programme_id, filters, certified)
               if certified is not None else None), args=_filter_args())
