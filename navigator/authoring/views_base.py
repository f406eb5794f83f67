"""The authoring blueprint and what its pages share: the trainers' role, locale, draft and
lesson lookups, saving a form and saying so."""

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, request
from flask_login import current_user

from navigator.accounts import forms as account_forms
from navigator.authoring import services
from navigator.errors import DomainError, attach
from navigator.i18n import CODES
from navigator.security import role_required

bp = Blueprint("authoring", __name__, url_prefix="/author")
trainers = role_required("trainer", "admin")


def _locale_arg(default: str) -> str:
    locale = request.args.get("locale", default)
    return locale if locale in CODES else default


def _empty():
    return account_forms.EmptyForm()


def _check_post():
    if not _empty().validate_on_submit():
        abort(400)


def _version(s, version_id: int):
    version = s.get(services.CourseVersion, version_id)
    if version is None:
        abort(404)
    return services.get_course(s, current_user, version.course_id), version


def quiz_place(s, version_id: int):
    """The course, version and module (None: the final assessment) a quiz page edits."""
    course, version = _version(s, version_id)
    module_id = request.args.get("module", type=int)
    module = None
    if module_id is not None:
        course, version, module = services.get_module(s, current_user, module_id)
        if module.version_id != version_id:
            abort(404)
    return course, version, module


def lesson_place(s, lesson_id: int):
    """The course, version, module and lesson a lesson's page edits, and the language chosen."""
    course, version, module, lesson = services.get_lesson(s, current_user, lesson_id)
    return course, version, module, lesson, _locale_arg(course.default_locale)


def _done(s, message: str | None, url: str):
    """Commit the page's change, say so (when there is something to say) and go to url."""
    s.commit()
    if message:
        flash(message, "success")
    return redirect(url)


def _saved(s, form, save: Callable[[], object], page: Callable[[object], str],
           message: str | None = None):
    """A form sent and valid: save(), then commit, say message and go to page(what it saved).
    None when the form is not valid or the service refused (the form then says why)."""
    if form.validate_on_submit():
        try:
            made = save()
        except DomainError as exc:
            attach(form, exc)
        else:
            return _done(s, message, page(made))
    return None
