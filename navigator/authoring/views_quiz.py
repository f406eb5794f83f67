"""Trainer pages: the question editor, which edits a quiz without YAML.

Every button posts the whole form: adding, removing or moving a question or an option, showing
the preview, saving. So it all works without JavaScript, and nothing typed is lost when a
message asks for a correction. Routes hang on the authoring blueprint.
"""

from flask import flash, redirect, render_template, request, url_for

from navigator import db
from navigator.authoring import forms, quizedit, services
from navigator.authoring.views_base import _locale_arg, bp, quiz_place, trainers
from navigator.errors import DomainError
from navigator.i18n import LANGUAGES, _, language


def _field_label(name: str, draft: quizedit.Draft) -> str:
    """Where a message belongs, in words, for the list at the top of the form."""
    if name == "pass_mark":
        return _("Pass mark")
    if not name:
        return _("Questions")
    parts = name.split("-")
    number = int(parts[0][1:]) + 1
    if len(parts) == 3:
        letter = _option_letter(int(parts[1][1:]))
        what = {"text": _("Option %(letter)s", letter=letter),
                "feedback": _("Feedback on option %(letter)s", letter=letter)}[parts[2]]
    else:
        what = {"prompt": _("the question"), "case": _("the case"),
                "explanation": _("the explanation"), "options": _("the options"),
                "correct": _("the correct answer")}.get(parts[1], parts[1])
    return _("Question %(number)d: %(what)s", number=number, what=what)


def _option_letter(index: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[index] if index < 26 else str(index + 1)


def _anchor(name: str) -> str:
    """The element a message links to: options and answers share the options' group."""
    if name.endswith(("-correct", "-options")) and name.count("-") == 1:
        return name.split("-")[0] + "-options"
    return name or "questions"


@bp.route("/versions/<int:version_id>/quiz", methods=["GET", "POST"])
@trainers
def quiz(version_id: int):
    s = db.session()
    course, version, module = quiz_place(s, version_id)
    default = course.default_locale
    locale = _locale_arg(default)
    translation = locale != default
    existing = services.quiz_of(s, version.id, module.id if module else None)
    source = services.quiz_draft(existing, default, default) if existing else None
    form = forms.QuestionsForm()
    errors: dict[str, list[str]] = {}
    problems: list = []
    preview, status = False, 200
    editable = version.status == "draft" and not (translation and existing is None)
    if request.method == "POST" and editable:
        draft = quizedit.from_form(request.form, source if translation else None)
        if source is not None and not translation:
            quizedit.keep_extras(draft, source)
        action = request.form.get("action", "save")
        if not form.validate_on_submit():
            status = 400  # an expired form: the summary says so; what was typed stays
        elif action == "preview":
            preview = True
        elif action != "save":
            # A question or option added, removed or moved, or a type changed: shown, not
            # saved yet (a translation's structure is its source's, so nothing moves there).
            if not translation:
                quizedit.apply(draft, action)
        else:
            errors = quizedit.validate(draft, translation)
            if not errors:
                try:
                    problems = services.save_questions(s, course, module, version.id, locale,
                                                       draft)
                except DomainError as exc:
                    problems = [exc.message]
                if not problems:
                    s.commit()
                    flash(_("Quiz saved."), "success")
                    return redirect(url_for("authoring.quiz", version_id=version.id,
                                            module=module.id if module else None,
                                            locale=locale))
                s.rollback()
            status = 400
    else:
        draft = services.quiz_draft(existing, locale, default) if existing or not translation \
            else quizedit.Draft()
    summary = [(_anchor(name), _field_label(name, draft), message)
               for name, messages in errors.items() for message in messages]
    return render_template(
        "authoring/quiz_editor.html", course=course, version=version, module=module,
        locale=locale, translation=translation, draft=draft, source=source, form=form,
        errors=errors, summary=summary, problems=problems, preview=preview, editable=editable,
        hints=quizedit.hints(draft, translation) if draft.questions else None,
        status=services.quiz_status(existing, locale, default) if translation else None,
        language=language(locale), source_language=language(default), languages=LANGUAGES,
        letter=_option_letter,
        here=url_for("authoring.quiz", version_id=version.id,
                     module=module.id if module else None, locale=locale)), status
