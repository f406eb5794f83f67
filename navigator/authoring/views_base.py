"""The authoring blueprint and what its pages share: the trainers' role, locale, draft lookups."""

from flask import Blueprint, abort, request
from flask_login import current_user

from navigator.accounts import forms as account_forms
from navigator.authoring import services
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
