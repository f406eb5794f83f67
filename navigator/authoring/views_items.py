"""Trainer pages: item analysis of published quizzes, with charts and a CSV export.

Routes hang on the authoring blueprint (navigator.authoring.views imports this module).
"""

from flask import Response, abort, current_app, render_template, request
from flask_babel import format_percent
from flask_login import current_user

from navigator import db
from navigator.authoring import forms, items, services
from navigator.authoring.views_base import bp, trainers
from navigator.i18n import _, direction, format_decimal, get_locale, language
from navigator.outreach import charts
from navigator.outreach.exports import stream
from navigator.outreach.numbers import format_count


def _programme(programmes):
    """The programme named by ?programme=, else the first; 404 for one the actor may not see."""
    wanted = request.args.get("programme", type=int)
    if wanted is None:
        return programmes[0]
    chosen = next((p for p in programmes if p.id == wanted), None)
    if chosen is None:
        abort(404)
    return chosen


def _choices(s, course):
    programmes = items.programmes_for(s, current_user, course)
    if not programmes:
        abort(404)  # the course is offered to none of the actor's programmes
    return programmes


@bp.get("/courses/<int:course_id>/items")
@trainers
def items_index(course_id: int):
    s = db.session()
    course = services.get_course(s, current_user, course_id)
    programmes = items.programmes_for(s, current_user, course)
    if not programmes:  # an administrator's course that no programme offers yet
        return render_template("authoring/items.html", course=course, programmes=[])
    programme = _programme(programmes)
    versions = items.published_versions(s, course)
    version = versions[0] if versions else None
    wanted = request.args.get("version", type=int)
    if wanted is not None:
        version = next((v for v in versions if v.id == wanted), None)
        if version is None:
            abort(404)
    form = forms.ItemsForm(request.args, programme=programme.id,
                           version=version.id if version else None)
    form.programme.choices = [(p.id, p.name) for p in programmes]
    form.version.choices = [(v.id, _("Version %(n)d", n=v.number)) for v in versions]
    locale = str(get_locale())
    rows = items.overview(s, version, course, programme, locale) if version else []
    return render_template("authoring/items.html", course=course, form=form, rows=rows,
                           programme=programme, version=version, versions=versions,
                           programmes=programmes,
                           threshold=current_app.config["SUPPRESSION_THRESHOLD"],
                           count=lambda n: format_count(n, locale))


def _share(value) -> str:
    return format_percent(value) if value is not None else ""


def _charts(analysis: items.Analysis, locale: str) -> dict:
    """The quiz's share correct by question, and each question's options chosen: SVG."""
    rtl = direction() == "rtl"

    def as_percent(value: int) -> str:
        return format_percent(value / 100)

    overview = [(f"{item.number}. {item.prompt}",
                 None if item.overall.share is None else round(100 * item.overall.share),
                 item.overall.mark or "") for item in analysis.items]
    out = {"overview": charts.bar_chart(
        "chart-overview", _("Share correct by question"), overview, rtl=rtl,
        limit=len(overview) or 1, number=as_percent)}
    for item in analysis.items:
        group = item.overall
        bars = [(("✓ " if option.correct else "") + option.label,
                 None if group.hidden else group.chosen.get(option.id, 0), group.mark)
                for option in item.options]
        out[item.id] = charts.bar_chart(
            f"chart-{item.number}", _("Question %(number)d: how often each option was chosen",
                                      number=item.number),
            bars, rtl=rtl, limit=len(bars), number=lambda n: format_count(n, locale))
    return out


@bp.get("/courses/<int:course_id>/items/<int:quiz_id>")
@trainers
def item_analysis(course_id: int, quiz_id: int):
    s = db.session()
    course = services.get_course(s, current_user, course_id)
    programme = _programme(_choices(s, course))
    quiz, version = items.get_quiz(s, course, quiz_id)
    locale = str(get_locale())
    analysis = items.analyse(s, quiz, course, programme, locale=locale,
                             threshold=current_app.config["SUPPRESSION_THRESHOLD"])
    if request.args.get("format") == "csv":
        name = f"{course.slug}-v{version.number}-{quiz.slug.replace('/', '-')}-items.csv"
        return Response(stream(items.csv_header(), items.csv_rows(analysis)),
                        mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return render_template("authoring/item_analysis.html", course=course, version=version,
                           analysis=analysis, programme=programme, charts=_charts(analysis,
                                                                                  locale),
                           quiz_dir=language(analysis.text_locale).dir,
                           share=_share, count=lambda n: format_count(n, locale),
                           decimal=lambda v: format_decimal(v, "0.00"))
