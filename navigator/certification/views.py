"""Certificate pages: the navigator's tracks, PDFs and badges, and the check after progress.

The blueprint lives in views_base; views_signoffs (trainers) and views_register (managers) add
their pages to it when this module imports them.
"""

from flask import Response, current_app, flash, json, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from navigator import db

# The views_* modules are imported for the routes they add to bp.
from navigator.certification import (
    forms,
    issuing,
    pdf,
    tracks,
    verification,
    views_register,  # noqa: F401
    views_signoffs,  # noqa: F401
)
from navigator.certification import manage as managing  # the module; manage() is a view
from navigator.certification.badges import baking, credential, keys
from navigator.certification.views_base import _locale, _mint, bp
from navigator.i18n import _, language
from navigator.security import role_required

# Outreach's reports split navigators into certified and not; it sits below certification,
# so certification hands it this function instead of being imported there.
CERTIFIED_HOOK = "navigator.outreach.certified_ids"
# A successful POST to these blueprints may complete a requirement: a lesson read, a quiz
# passed, an outreach session logged. Neither may import certification, so it looks after them.
PROGRESS_BLUEPRINTS = frozenset({"learning", "outreach"})
# The course and module pages show modules whose progress carries over from an earlier version
# as certification counts them; learning asks which earlier versions count through this.
CARRY_HOOK = "navigator.learning.counted_versions"
# A trainer approving a navigator's chatbot check may complete the navigator's track; checks
# sit below certification, so certification hands its approval page this function.
CHECK_APPROVED_HOOK = "navigator.checks.approved"


@bp.record_once
def _register_hooks(state):
    state.app.extensions[CERTIFIED_HOOK] = managing.certified_ids
    state.app.extensions[CARRY_HOOK] = tracks.counted_versions
    state.app.extensions[CHECK_APPROVED_HOOK] = _after_check_approved


def _writing_session():
    """The request's session for a GET page that writes (a badge minted on first download).

    The read that loaded the signed-in user is ended first, so the transaction can begin
    IMMEDIATE on SQLite and concurrent requests queue instead of failing.
    """
    s = db.session()
    s.commit()
    s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    return s


def _check(s, user_id: int) -> list[issuing.Outcome]:
    """Issue, or ask a trainer to sign off, what has become due for the navigator.

    It looks first in a plain read, holding no lock: nearly always nothing is due. Only then
    does it begin again IMMEDIATE on SQLite (concurrent checks queue instead of failing) and
    check once more before writing; the caller commits.
    """
    s.rollback()  # whatever the request read or the view committed is done with
    s.connection(execution_options={"sqlite_begin": "DEFERRED"})
    if not issuing.anything_due(s, user_id):
        s.rollback()
        return []
    s.rollback()
    s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    outcomes = issuing.check_navigator(s, user_id)
    _mint(s, [o.certificate for o in outcomes if o.kind == "issued"])
    return outcomes


def _after_check_approved(s, user_id: int) -> list[tuple[str, str]]:
    """Issue, or ask a trainer to sign off, what has become due for the navigator whose check
    was just approved, in the approval's own transaction (a POST's: it holds the write lock);
    (kind, track title in the page's language) for each, kind being issued or signoff."""
    outcomes = issuing.check_navigator(s, user_id)
    _mint(s, [o.certificate for o in outcomes if o.kind == "issued"])
    return [(o.kind, issuing.outcome_title(o, _locale())) for o in outcomes]


def _announce(outcomes: list[issuing.Outcome]) -> None:
    for outcome in outcomes:
        title = issuing.outcome_title(outcome, _locale())
        if outcome.kind == "issued":
            flash(_("Well done: your certificate for “%(track)s” is ready on your "
                    "certificates page.", track=title), "success")
        else:
            flash(_("You have met the requirements of “%(track)s”. A trainer will now sign "
                    "off your certificate.", track=title), "success")


@bp.after_app_request
def _check_after_progress(response):
    """After a navigator's successful POST to learning or outreach, issue what became due."""
    if (request.method != "POST" or request.blueprint not in PROGRESS_BLUEPRINTS
            or response.status_code >= 400 or not current_user.is_authenticated
            or not current_user.has_any_role("navigator")):
        return response
    s = db.session()
    try:
        outcomes = _check(s, current_user.user.id)  # the view committed what it meant to keep
        s.commit()
    except Exception:
        # The navigator's own action succeeded; the certificates page checks again.
        s.rollback()
        current_app.logger.exception("certification check failed after %s", request.endpoint)
        return response
    _announce(outcomes)
    return response


def _url_or_none(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:  # that capability is not installed
        return None


# --- navigators -----------------------------------------------------------------------------

@bp.get("/")
@role_required("navigator")
def mine():
    s = db.session()
    me, locale = current_user.user.id, _locale()
    # Read first, holding no lock: nearly always nothing has become due. Only then check again
    # under the write lock, issue, and read the page afresh.
    views = tracks.track_views(s, me, locale)
    if tracks.due(views):
        outcomes = _check(s, me)
        s.commit()
        _announce(outcomes)
        views = tracks.track_views(s, me, locale)
    return render_template("certification/mine.html", views=views,
                           outreach_url=_url_or_none("outreach.new"))


@bp.get("/<int:cert_id>/certificate.pdf")
@role_required("navigator", "manager", "admin")
def certificate_pdf(cert_id: int):
    s = db.session()
    cert = managing.printable(s, current_user, cert_id)
    form = forms.PaperForm(request.args)
    valid = form.validate()
    paper = form.paper.data if valid and form.paper.data else "a4"
    # Any platform language, chosen at download; the certificate's own language by default.
    locale = form.lang.data if valid and form.lang.data else cert.locale
    data = pdf.render(verification.document(s, cert, current_app.config["BASE_URL"], locale), paper)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="certificate-{cert.code}-{locale}-{paper}.pdf"')
    return response


BADGE_FILES = {"jwt": credential.MEDIA_TYPE, "json": "application/json",
               "png": "image/png", "svg": "image/svg+xml"}


@bp.get("/<int:cert_id>/badge.<any(jwt, json, png, svg):kind>")
@role_required("navigator", "manager", "admin")
def badge(cert_id: int, kind: str):
    """The certificate as a signed Open Badges 3.0 credential: the compact JWS, the same
    wrapped as JSON, or a badge image with it baked in."""
    s = db.session()
    cert = managing.printable(s, current_user, cert_id)
    row = credential.stored(s, cert.id)  # signed when the certificate was issued
    if row is None:  # issued before credentials were signed at issue: sign it now, once
        s = _writing_session()
        cert = managing.printable(s, current_user, cert_id)
        row = credential.get_or_mint(s, cert, keys.keyring(current_app),
                                     current_app.config["BASE_URL"])
        s.commit()
    if kind == "jwt":
        body = row.jws
    elif kind == "json":
        body = json.dumps(credential.envelope(row.jws), indent=2)
    elif kind == "png":
        body = baking.png(row.jws)
    else:
        data = credential.credential_of(row)
        lang = language(cert.locale)
        body = baking.svg(row.jws, data["name"], data["issuer"]["name"],
                          lang.code.replace("_", "-"), lang.dir)
    response = Response(body, mimetype=BADGE_FILES[kind])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="open-badge-{cert.code}.{kind}"')
    return response
