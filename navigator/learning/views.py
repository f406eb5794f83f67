"""The navigator's pages: catalogue, courses, modules, lessons, quizzes, results, PDFs."""

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user

from navigator import db, jobs
from navigator.errors import DomainError, NotFound, attach
from navigator.i18n import _, force_locale, get_locale, language
from navigator.learning import content, forms, narration, printing, quiz_page, services, study
from navigator.learning.package import IMAGE_SUFFIXES
from navigator.learning.render import Links, render
from navigator.security import limiter, role_required

bp = Blueprint("learning", __name__, url_prefix="/learn")

# The sandbox puts a function here that returns a scenario's pre-computed run as HTML.
EMBED_EXTENSION = "navigator.sandbox.embed"
# Certification puts a function here that says which earlier versions of a course count for
# carrying progress over (study.Counted): the course pages then show what it counts.
CARRY_EXTENSION = "navigator.learning.counted_versions"


def _me() -> int:
    return current_user.user.id


def _locale() -> str:
    return str(get_locale())


def links_for(slug: str) -> Links:
    """Where a course's `module:` links and images point."""
    module = url_for("learning.module", slug=slug, module_slug="MODULE")
    asset = url_for("learning.asset", slug=slug, name="ASSET")
    return Links(module=module.replace("MODULE", "{slug}"),
                 asset=asset.replace("ASSET", "{name}"))


def lesson_html(slug: str, text, links: Links | None = None, doc_id: str | None = None,
                embed: bool = True):
    """A lesson as safe HTML, its headings ("Try this") in the lesson's own language."""
    with force_locale(text.locale):
        return render(text.body, links=links or links_for(slug), doc_id=doc_id,
                      embed=current_app.extensions.get(EMBED_EXTENSION) if embed else None)


@bp.get("/")
@role_required("navigator")
def catalogue():
    cards = services.catalogue(db.session(), _me(), _locale(),
                               current_app.extensions.get(CARRY_EXTENSION))
    return render_template("learning/catalogue.html", cards=cards)


@bp.get("/<slug>/")
@role_required("navigator")
def course(slug: str):
    overview = study.course_overview(db.session(), _me(), slug, _locale(),
                                     current_app.extensions.get(CARRY_EXTENSION))
    return render_template("learning/course.html", o=overview)


@bp.post("/<slug>/switch")
@role_required("navigator")
def switch_version(slug: str):
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    number = study.switch_to_latest(s, _me(), slug)
    s.commit()
    flash(_("You are now following version %(number)s of this course. What you have already "
            "completed stays recorded.", number=number), "success")
    return redirect(url_for("learning.course", slug=slug))


@bp.get("/<slug>/modules/<module_slug>/")
@role_required("navigator")
def module(slug: str, module_slug: str):
    view = study.module_view(db.session(), _me(), slug, module_slug, _locale(),
                             current_app.extensions.get(CARRY_EXTENSION))
    return render_template("learning/module.html", v=view)


@bp.get("/<slug>/modules/<module_slug>/lessons/<lesson_slug>")
@role_required("navigator")
def lesson(slug: str, module_slug: str, lesson_slug: str):
    s = db.session()
    view = study.lesson_view(s, _me(), slug, module_slug, lesson_slug, _locale())
    listen = narration.for_lesson(s, content.of(s, view.place.version_id).version,
                                  module_slug, lesson_slug, view.text)
    page = render_template("learning/lesson.html", v=view, body=lesson_html(slug, view.text),
                           text_language=language(view.text.locale),
                           lesson_languages=[language(code) for code in view.locales],
                           narration=listen)
    study.remember(s, view)  # after the page's reads: a write, only when the navigator moved
    return page


@bp.get("/<slug>/modules/<module_slug>/lessons/<lesson_slug>/listen")
@role_required("navigator")
def listen(slug: str, module_slug: str, lesson_slug: str):
    """The lesson's narration in the language it is shown in (the player's ?v= only changes
    the address when the sound changes, so a kept copy is never stale)."""
    s = db.session()
    view = study.lesson_view(s, _me(), slug, module_slug, lesson_slug, _locale())
    found = narration.sound(s, content.of(s, view.place.version_id).version, module_slug,
                            lesson_slug, view.text)
    if found is None:
        raise NotFound()
    data, mimetype = found
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


@bp.post("/<slug>/modules/<module_slug>/lessons/<lesson_slug>/complete")
@role_required("navigator")
def complete(slug: str, module_slug: str, lesson_slug: str):
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    step = study.complete_and_continue(s, _me(), slug, module_slug, lesson_slug)
    s.commit()
    if step.kind == "lesson":
        return redirect(url_for("learning.lesson", slug=slug, module_slug=step.module_slug,
                                lesson_slug=step.lesson_slug))
    if step.kind == "quiz":
        return redirect(url_for("learning.quiz", slug=slug, module_slug=step.module_slug))
    if step.kind == "final":
        return redirect(url_for("learning.final", slug=slug))
    flash(_("You have read every lesson of this course."), "success")
    return redirect(url_for("learning.course", slug=slug))


def _quiz_template(context, form, shown, blank=None) -> str:
    return render_template("learning/quiz.html", c=context, form=form, questions=shown,
                           quiz_lang=language(context.language), blank=blank)


def _quiz_page(slug: str, module_slug: str | None):
    """Start an attempt (GET) or grade one (POST); a graded attempt always shows its result."""
    s = db.session()
    locale = _locale()
    context = study.quiz_context(s, _me(), slug, module_slug, locale)
    default = context.course.default_locale
    if request.method == "GET":
        attempt = services.start_attempt(s, _me(), context.quiz, locale)  # stored when sent
        shown = study.questions(context.quiz, attempt.order, locale, default)
        blank = quiz_page.blank_questions(context.quiz, context.language, shown)
        return _quiz_template(context, forms.blank_quiz_form(attempt.attempt_key), shown, blank)
    key = request.form.get("attempt_key", "")
    if not key:
        abort(400)
    attempt = study.attempt_for(s, _me(), context, key, locale)
    if attempt.submitted_at is None:
        shown = study.questions(context.quiz, attempt.order, locale, default)
        form = forms.quiz_form(shown)
        if not form.validate_on_submit():
            return _quiz_template(context, form, shown), 400
        try:
            services.submit_attempt(s, _me(), context.quiz, attempt, form.answers())
        except DomainError as exc:
            attach(form, exc)
            return _quiz_template(context, form, shown), 400
        s.commit()
    return redirect(url_for("learning.result", slug=slug, attempt_key=key), code=303)


@bp.route("/<slug>/modules/<module_slug>/quiz", methods=["GET", "POST"])
@role_required("navigator")
def quiz(slug: str, module_slug: str):
    return _quiz_page(slug, module_slug)


@bp.route("/<slug>/final", methods=["GET", "POST"])
@role_required("navigator")
def final(slug: str):
    return _quiz_page(slug, None)


@bp.get("/<slug>/results/<attempt_key>")
@role_required("navigator")
def result(slug: str, attempt_key: str):
    r = study.attempt_result(db.session(), _me(), slug, attempt_key, _locale())
    return render_template("learning/result.html", r=r, quiz_lang=language(r.context.language))


@bp.get("/<slug>/assets/<path:name>")
@role_required("navigator")
def asset(slug: str, name: str):
    services.find_place(db.session(), _me(), slug)  # NotFound unless offered to the navigator
    if not name.lower().endswith(IMAGE_SUFFIXES):
        raise NotFound()
    folder = Path(current_app.config["CURRICULA_PATH"]) / slug / "assets"
    response = send_from_directory(folder, name, max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    # An SVG opened on its own is a document: it may run nothing and load nothing.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    return response


def _print_setup(slug: str) -> tuple[str, Links, dict[str, Path]]:
    """The PDF's base URL, its links (absolute, to the site), and the folders it may read."""
    base = current_app.config["BASE_URL"].rstrip("/")
    links = links_for(slug)
    links = Links(module=base + links.module, asset=base + links.asset)
    static = base + url_for("static", filename="STATIC").removesuffix("STATIC")
    return base + "/", links, {
        static: Path(current_app.static_folder),
        links.asset.removesuffix("{name}"):
            Path(current_app.config["CURRICULA_PATH"]) / slug / "assets"}


def book_html(book: study.Book) -> tuple[str, str, dict[str, Path]]:
    """A book as HTML for the PDF renderer, with its base URL and the folders it may read."""
    slug = book.course.slug
    base, links, roots = _print_setup(slug)
    with force_locale(book.locale):
        html = render_template(
            "learning/print.html", book=book, lang=language(book.locale), language_of=language,
            lesson_html=lambda text, doc_id: lesson_html(slug, text, links, doc_id, embed=False))
    return html, base, roots


@bp.record_once
def _register_printing(state):
    state.app.extensions[printing.BOOK_HTML] = book_html


@bp.get("/<slug>/print")
@role_required("navigator")
@limiter.limit("60 per minute")  # the page waiting for a PDF asks again every few seconds
def print_pdf(slug: str):
    form = forms.PrintForm(formdata=request.args)
    if not form.validate():
        abort(400)
    wanted = printing.printout(db.session(), _me(), slug, form.language.data,
                               form.module.data or None, form.paper.data or "a4")
    response = printing.send(wanted)
    if response is None:
        printing.ask_for(wanted)  # run at once where jobs run in the request (tests)
        response = printing.send(wanted)
    if response is not None:
        return response
    return render_template("learning/printing.html", slug=slug,
                           no_worker=not jobs.workers_alive(current_app)), 202
