"""Trainer pages: courses, drafts, modules, the quiz as YAML, translations, packages, learners.

The blueprint lives in views_base; views_items, views_lessons, views_narration and views_quiz
add their pages to it when this module imports them.
"""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from navigator import db
from navigator.accounts import forms as account_forms
from navigator.accounts.services import list_programmes

# The views_* modules are imported for the routes they add to bp.
from navigator.authoring import (
    forms,
    services,
    views_items,  # noqa: F401
    views_lessons,  # noqa: F401
    views_narration,  # noqa: F401
    views_quiz,  # noqa: F401
)
from navigator.authoring.views_base import (
    _check_post,
    _done,
    _locale_arg,
    _saved,
    _version,
    bp,
    quiz_place,
    trainers,
)
from navigator.errors import DomainError
from navigator.i18n import LANGUAGES, _, get_locale
from navigator.learning import services as learning


def _programme_choices(s):
    ids = services.trainer_programme_ids(s, current_user)
    return account_forms.choices((p.id, p.name) for p in list_programmes(s, current_user)
                                 if p.id in ids or current_user.is_admin)


@bp.get("/")
@trainers
def index():
    s = db.session()
    course_form, import_form = forms.CourseForm(formdata=None), forms.ImportForm(formdata=None)
    course_form.programme_id.choices = import_form.programme_id.choices = _programme_choices(s)
    return _index(s, course_form, import_form)


def _index(s, course_form, import_form, problems=(), status=200):
    courses = [(c, learning.published_version(s, c.id), services.draft_of(s, c.id))
               for c in services.authorable_courses(s, current_user)]
    locale = str(get_locale())
    return render_template("authoring/index.html", courses=courses, course_form=course_form,
                           import_form=import_form, problems=problems, locale=locale,
                           pick=learning.pick), status


@bp.post("/courses")
@trainers
def create_course():
    s = db.session()
    form = forms.CourseForm()
    form.programme_id.choices = _programme_choices(s)
    done = _saved(s, form, lambda: services.create_course(
        s, current_user, slug=form.slug.data.strip(), title=form.title.data,
        programme_id=form.programme_id.data, default_locale=form.default_locale.data),
        lambda draft: url_for("authoring.course", course_id=draft.course_id),
        _("Course created as a draft. Add its first module."))
    if done:
        return done
    import_form = forms.ImportForm(formdata=None)
    import_form.programme_id.choices = form.programme_id.choices
    return _index(s, form, import_form, status=400)


@bp.post("/import")
@trainers
def import_package():
    s = db.session()
    form = forms.ImportForm()
    form.programme_id.choices = _programme_choices(s)
    problems = []
    if form.validate_on_submit():
        version, problems = services.import_zip(s, current_user, form.package.data.read(),
                                                form.programme_id.data)
        if version is not None:
            s.commit()
            flash(_("Package imported as a draft. Check it, then publish."), "success")
            return redirect(url_for("authoring.course", course_id=version.course_id))
        s.rollback()
    course_form = forms.CourseForm(formdata=None)
    course_form.programme_id.choices = form.programme_id.choices
    return _index(s, course_form, form, problems=problems, status=400)


@bp.get("/courses/<int:course_id>")
@trainers
def course(course_id: int):
    s = db.session()
    course = services.get_course(s, current_user, course_id)
    locale = _locale_arg(course.default_locale)
    draft = services.draft_of(s, course.id)
    shown = draft or learning.published_version(s, course.id)
    form = forms.CourseTextsForm(formdata=None, data=(shown.texts.get(locale, {}) if shown
                                                      else {}))
    return _course_page(s, course, draft, shown, locale, form=form,
                        problems=services.version_problems(s, draft) if draft else [])


def _course_page(s, course, draft, shown, locale, *, form=None, module_form=None,
                 problems=(), status=200):
    """The course page, with whichever of its forms is being corrected."""
    if form is None:
        form = forms.CourseTextsForm(formdata=None, data=shown.texts.get(locale, {}))
    return render_template(
        "authoring/course.html", course=course, draft=draft, shown=shown, locale=locale,
        versions=services.versions(s, course.id), form=form,
        module_form=module_form or forms.NewItemForm(formdata=None),
        modules=learning.modules_of(s, shown.id) if shown else [], problems=problems,
        pick=learning.pick, languages=LANGUAGES), status


@bp.post("/courses/<int:course_id>/draft")
@trainers
def start_draft(course_id: int):
    _check_post()
    s = db.session()
    services.start_draft(s, services.get_course(s, current_user, course_id))
    return _done(s, _("A new draft is ready. Navigators keep the published version until you "
                      "publish."), url_for("authoring.course", course_id=course_id))


@bp.post("/versions/<int:version_id>/publish")
@trainers
def publish(version_id: int):
    _check_post()
    s = db.session()
    course, _version_row = _version(s, version_id)
    try:
        published = services.publish(s, current_user, version_id)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        s.commit()
        flash(_("Version %(n)d is published.", n=published.number), "success")
    return redirect(url_for("authoring.course", course_id=course.id))


@bp.post("/versions/<int:version_id>/discard")
@trainers
def discard(version_id: int):
    _check_post()
    s = db.session()
    course, _version_row = _version(s, version_id)
    services.discard_draft(s, version_id)
    return _done(s, _("The draft is discarded."), url_for("authoring.course", course_id=course.id))


@bp.post("/versions/<int:version_id>/texts")
@trainers
def course_texts(version_id: int):
    s = db.session()
    course, version = _version(s, version_id)
    locale = _locale_arg(course.default_locale)
    form = forms.CourseTextsForm()
    if form.validate_on_submit():
        services.update_course_texts(s, version_id, locale, title=form.title.data,
                                     description=form.description.data or "",
                                     track_title=form.track_title.data or "")
        return _done(s, _("Saved."), url_for("authoring.course", course_id=course.id,
                                              locale=locale))
    return _course_page(s, course, version, version, locale, form=form, status=400)


@bp.post("/versions/<int:version_id>/modules")
@trainers
def add_module(version_id: int):
    s = db.session()
    course, version = _version(s, version_id)
    form = forms.NewItemForm()
    done = _saved(s, form, lambda: services.add_module(
        s, version_id, slug=form.slug.data.strip(), title=form.title.data,
        locale=course.default_locale),
        lambda module: url_for("authoring.module", module_id=module.id))
    if done:
        return done
    return _course_page(s, course, version, version, course.default_locale, module_form=form,
                        status=400)


@bp.route("/modules/<int:module_id>", methods=["GET", "POST"])
@trainers
def module(module_id: int):
    s = db.session()
    course, version, module = services.get_module(s, current_user, module_id)
    locale = _locale_arg(course.default_locale)
    form = forms.ModuleForm(data={**module.texts.get(locale, {}), "minutes": module.minutes})
    done = _saved(s, form, lambda: services.update_module(
        s, module, locale, title=form.title.data, summary=form.summary.data or "",
        minutes=form.minutes.data),
        lambda _none: url_for("authoring.module", module_id=module.id, locale=locale), _("Saved."))
    if done:
        return done
    lessons = learning.lessons_of(s, [module.id])
    return render_template(
        "authoring/module.html", course=course, version=version, module=module, form=form,
        locale=locale, lessons=lessons, lesson_form=forms.NewItemForm(formdata=None),
        titles=learning.lesson_titles(s, [x.id for x in lessons], locale,
                                      course.default_locale),
        languages=LANGUAGES), 200 if request.method == "GET" else 400


@bp.post("/modules/<int:module_id>/move")
@trainers
def move_module(module_id: int):
    _check_post()
    s = db.session()
    course, _version_row, module = services.get_module(s, current_user, module_id)
    services.move_module(s, module, -1 if request.form.get("direction") == "up" else 1)
    return _done(s, None, url_for("authoring.course", course_id=course.id))


@bp.post("/modules/<int:module_id>/remove")
@trainers
def remove_module(module_id: int):
    _check_post()
    s = db.session()
    course, _version_row, module = services.get_module(s, current_user, module_id)
    services.remove_module(s, module)
    return _done(s, _("The module is removed from the draft."),
                 url_for("authoring.course", course_id=course.id))


@bp.route("/versions/<int:version_id>/quiz/yaml", methods=["GET", "POST"])
@trainers
def quiz_yaml(version_id: int):
    """The quiz as its two YAML files, for those who prefer them to the question editor."""
    s = db.session()
    course, version, module = quiz_place(s, version_id)
    locale = _locale_arg(course.default_locale)
    existing = services.quiz_of(s, version.id, module.id if module else None)
    if existing:
        key_yaml, texts_yaml = services.quiz_files(s, existing, locale, course.default_locale)
    else:
        key_yaml, texts_yaml = "pass_mark: 70\nquestions: []\n", "questions: {}\n"
    form = forms.QuizForm(data={"key_yaml": key_yaml, "texts_yaml": texts_yaml})
    problems, status = [], 200
    if form.validate_on_submit():
        try:
            problems = services.save_quiz(s, course, module, version_id, locale,
                                          key_yaml=form.key_yaml.data,
                                          texts_yaml=form.texts_yaml.data)
        except DomainError as exc:
            problems = [exc.message]
        if not problems:
            s.commit()
            flash(_("Quiz saved."), "success")
            return redirect(request.full_path)
        s.rollback()
        status = 400
    elif request.method == "POST":
        status = 400
    source_texts = (services.quiz_files(s, existing, course.default_locale,
                                        course.default_locale)[1]
                    if existing and locale != course.default_locale else None)
    return render_template("authoring/quiz.html", course=course, version=version, module=module,
                           locale=locale, form=form, problems=problems, languages=LANGUAGES,
                           source_texts=source_texts), status


@bp.get("/versions/<int:version_id>/package.zip")
@trainers
def export(version_id: int):
    s = db.session()
    _course, version = _version(s, version_id)
    name, data = services.export_zip(s, version)
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/courses/<int:course_id>/translations")
@trainers
def translations(course_id: int):
    s = db.session()
    course = services.get_course(s, current_user, course_id)
    version = services.draft_of(s, course.id) or learning.published_version(s, course.id)
    if version is None:
        abort(404)
    rows = services.translation_matrix(s, version, course.default_locale, str(get_locale()))
    return render_template("authoring/translations.html", course=course, version=version,
                           rows=rows, languages=LANGUAGES)


@bp.get("/courses/<int:course_id>/learners")
@trainers
def learners(course_id: int):
    s = db.session()
    course = services.get_course(s, current_user, course_id)
    version = learning.published_version(s, course.id)
    locale = str(get_locale())
    titles = [learning.pick(m.texts, locale, course.default_locale)[1].get("title", m.slug)
              for m in (learning.modules_of(s, version.id) if version else [])]
    rows = services.learners(s, current_user, course)
    if request.args.get("format") == "csv":
        return Response(services.learners_csv(rows, titles), mimetype="text/csv",
                        headers={"Content-Disposition":
                                 f'attachment; filename="{course.slug}-learners.csv"'})
    return render_template("authoring/learners.html", course=course, rows=rows, titles=titles)
