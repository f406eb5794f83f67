"""Trainer pages: a lesson's recorded narration per language (upload, listen, remove).

Routes hang on the authoring blueprint (navigator.authoring.views imports this module).
"""

from flask import Response, flash, redirect, render_template, request, url_for

from navigator import db
from navigator.authoring import forms, narration
from navigator.authoring.views_base import _check_post, _done, _empty, bp, lesson_place, trainers
from navigator.errors import DomainError, NotFound, attach
from navigator.i18n import LANGUAGES, _, language
from navigator.learning import audio
from navigator.learning import narration as voices
from navigator.learning import services as learning


def _page(s, lesson_id: int, form, status: int = 200):
    course, version, module, lesson, locale = lesson_place(s, lesson_id)
    found = narration.recording(s, version, module, lesson, locale)
    text = learning.lesson_texts(s, [lesson.id]).get(lesson.id, {}).get(locale)
    return render_template(
        "authoring/narration.html", course=course, version=version, module=module,
        lesson=lesson, locale=locale, lang=language(locale),
        title=text.title if text else lesson.slug, form=form,
        recording=found, kind=found.path.rsplit(".", 1)[1] if found else None,
        computer=voices.synthesis_on(), languages=LANGUAGES,
        remove_form=_empty()), status


@bp.get("/lessons/<int:lesson_id>/narration")
@trainers
def narration_page(lesson_id: int):
    return _page(db.session(), lesson_id, forms.NarrationForm(formdata=None))


@bp.post("/lessons/<int:lesson_id>/narration")
@trainers
def narration_upload(lesson_id: int):
    s = db.session()
    form = forms.NarrationForm()
    if not form.validate_on_submit():
        return _page(s, lesson_id, form, 400)
    _course, version, module, lesson, locale = lesson_place(s, lesson_id)
    upload = form.recording.data
    try:
        data = upload.read(audio.MAX_RECORDING_BYTES + 1)  # enough to tell "too large"
        upload.close()
        narration.attach(s, version, module, lesson, locale, data)
    except DomainError as exc:
        s.rollback()
        attach(form, exc)
        return _page(s, lesson_id, form, 400)
    return _done(s, _("The recording is saved. Navigators hear it once this draft is published."),
                 url_for("authoring.narration_page", lesson_id=lesson_id, locale=locale))


@bp.post("/lessons/<int:lesson_id>/narration/remove")
@trainers
def narration_remove(lesson_id: int):
    _check_post()
    s = db.session()
    _course, version, module, lesson, locale = lesson_place(s, lesson_id)
    try:
        narration.remove(s, version, module, lesson, locale)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        s.commit()
        flash(_("The recording is removed."), "success")
    return redirect(url_for("authoring.narration_page", lesson_id=lesson_id, locale=locale))


@bp.get("/lessons/<int:lesson_id>/narration/audio")
@trainers
def narration_audio(lesson_id: int):
    s = db.session()
    _course, version, module, lesson, locale = lesson_place(s, lesson_id)
    found = narration.recording(s, version, module, lesson, locale)
    if found is None:
        raise NotFound()
    response = Response(found.data, mimetype=audio.KINDS[found.path.rsplit(".", 1)[1]])
    return response.make_conditional(request, accept_ranges=True,
                                     complete_length=len(found.data))
