"""The public documents of Open Badges: the issuers, their keys, status lists, achievements.

Everything here is public and cached briefly; status lists are not cached, so a revocation
shows at once.
"""

from flask import Blueprint, Response, abort, current_app, json, request
from sqlmodel import select

from navigator import db
from navigator.accounts.models import Programme
from navigator.certification.badges import credential, keys
from navigator.certification.eligibility import Track
from navigator.db import utcnow
from navigator.learning.models import Course, CourseVersion

bp = Blueprint("badges", __name__, url_prefix="/badges")
JWT_TYPES = ("application/vc+jwt", "application/jwt")


def _json(data: dict, mimetype: str = "application/json", max_age: int = 300) -> Response:
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype=mimetype)
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers run in other sites
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response


def _base() -> str:
    return current_app.config["BASE_URL"]


def _keyring() -> keys.Keyring:
    return keys.keyring(current_app)


@bp.get("/jwks.json")
def jwks():
    return _json(_keyring().jwks(), "application/jwk-set+json")


@bp.get("/keys/<thumbprint>")
def key(thumbprint: str):
    found = _keyring().by_thumbprint(thumbprint)
    if found is None:
        abort(404)
    return _json(found.public_jwk(), "application/jwk+json")


@bp.get("/issuers/<int:programme_id>")
def issuer(programme_id: int):
    programme = db.session().get(Programme, programme_id)
    if programme is None:
        abort(404)
    return _json(credential.issuer_document(_base(), programme), "application/ld+json")


@bp.get("/status/<int:programme_id>/<int:number>")
def status_list(programme_id: int, number: int):
    s = db.session()
    if s.get(Programme, programme_id) is None or number < 1:
        abort(404)
    data, token = credential.status_list_credential(s, _keyring(), _base(), programme_id,
                                                    number, utcnow())
    wanted = request.accept_mimetypes.best_match(
        [*JWT_TYPES, "application/vc", "application/ld+json", "application/json"])
    if wanted in JWT_TYPES:
        response = Response(token, mimetype=credential.MEDIA_TYPE)
    else:
        response = _json(data, "application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept"
    response.cache_control.no_cache = True
    response.cache_control.max_age = 0
    return response


@bp.get("/achievements/<course_slug>/<track_id>/<int:number>")
def achievement(course_slug: str, track_id: str, number: int):
    s = db.session()
    course = s.exec(select(Course).where(Course.slug == course_slug)).first()
    version = course and s.exec(select(CourseVersion).where(
        CourseVersion.course_id == course.id, CourseVersion.number == number,
        CourseVersion.status != "draft")).first()
    track = version and Track.parse(version.track)
    if not track or track.id != track_id:
        abort(404)
    locale = request.args.get("lang", course.default_locale)
    body = credential.achievement(s, _base(), course, version, track, locale)
    return _json({"@context": credential.CONTEXTS, **body}, "application/ld+json")
