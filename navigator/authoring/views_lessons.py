"""Authoring pages for lessons: adding and ordering them, editing a lesson's text in each
language with a preview, and recording a fluent reader's review. Routes hang on bp."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from navigator import db
from navigator.authoring import forms, services
from navigator.authoring.views_base import _check_post, _done, _saved, bp, lesson_place, trainers
from navigator.errors import DomainError, attach
from navigator.i18n import CODES, LANGUAGES, _
from navigator.learning import services as learning
from navigator.learning.render import render


@bp.post("/modules/<int:module_id>/lessons")
@trainers
def add_lesson(module_id: int):
    s = db.session()
    course, version, module = services.get_module(s, current_user, module_id)
    form = forms.NewItemForm()
    done = _saved(s, form, lambda: services.add_lesson(
        s, module, slug=form.slug.data.strip(), title=form.title.data,
        locale=course.default_locale),
        lambda lesson: url_for("authoring.lesson", lesson_id=lesson.id))
    if done:
        return done
    lessons = learning.lessons_of(s, [module.id])
    return render_template(
        "authoring/module.html", course=course, version=version, module=module,
        form=forms.ModuleForm(formdata=None, data={**module.texts.get(course.default_locale, {}),
                                                   "minutes": module.minutes}),
        locale=course.default_locale, lessons=lessons, lesson_form=form,
        titles=learning.lesson_titles(s, [x.id for x in lessons], course.default_locale,
                                      course.default_locale),
        languages=LANGUAGES), 400


@bp.post("/lessons/<int:lesson_id>/move")
@trainers
def move_lesson(lesson_id: int):
    _check_post()
    s = db.session()
    _course, _version_row, module, lesson = services.get_lesson(s, current_user, lesson_id)
    services.move_lesson(s, module, lesson, -1 if request.form.get("direction") == "up" else 1)
    return _done(s, None, url_for("authoring.module", module_id=module.id))


@bp.route("/lessons/<int:lesson_id>", methods=["GET", "POST"])
@trainers
def lesson(lesson_id: int):
    s = db.session()
    course, version, module, lesson, locale = lesson_place(s, lesson_id)
    texts = learning.lesson_texts(s, [lesson.id]).get(lesson.id, {})
    text, source = texts.get(locale), texts.get(course.default_locale)
    form = forms.LessonForm(data={"title": text.title if text else "",
                                  "body": text.body if text else "",
                                  "minutes": lesson.minutes})
    preview = None
    status = 200
    if form.validate_on_submit():
        if request.form.get("action") == "preview":
            preview = render(form.body.data or "")
        else:
            try:
                services.save_lesson_text(s, course, module, lesson, locale,
                                          title=form.title.data, body=form.body.data or "",
                                          minutes=form.minutes.data)
            except DomainError as exc:
                attach(form, exc)
                status = 400
            else:
                s.commit()
                flash(_("Saved."), "success")
                return redirect(url_for("authoring.lesson", lesson_id=lesson.id, locale=locale))
    elif request.method == "POST":
        status = 400
    return render_template(
        "authoring/lesson.html", course=course, version=version, module=module, lesson=lesson,
        locale=locale, form=form, text=text, source=source, preview=preview,
        source_html=render(source.body) if source and locale != course.default_locale else None,
        status=services.lesson_status(text, source) if locale != course.default_locale else None,
        review_form=forms.ReviewForm(formdata=None), languages=LANGUAGES,
        statuses={c: services.lesson_status(texts.get(c), source) for c in CODES}), status


@bp.post("/preview")
@trainers
def preview():
    """The server-rendered preview, for the editor's live update."""
    _check_post()
    body = request.form.get("body", "")[:60000]
    return Response(str(render(body)), mimetype="text/html")


@bp.post("/lessons/<int:lesson_id>/review")
@trainers
def review(lesson_id: int):
    s = db.session()
    _course, _version_row, module, lesson, locale = lesson_place(s, lesson_id)
    text = learning.lesson_texts(s, [lesson.id]).get(lesson.id, {}).get(locale)
    form = forms.ReviewForm()
    if text is None:
        abort(404)
    if form.validate_on_submit():
        try:
            services.mark_reviewed(s, module, text, form.reviewer.data)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            s.commit()
            flash(_("Marked as reviewed."), "success")
    else:
        flash(_("Say who reviewed the text."), "error")
    return redirect(url_for("authoring.lesson", lesson_id=lesson.id, locale=locale))
