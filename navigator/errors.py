"""Domain exceptions, and the localized error pages they and HTTP errors turn into."""

import time

from flask import Flask, current_app, flash, g, render_template, request, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from navigator import db
from navigator.i18n import _l


class DomainError(Exception):
    """Base of errors services raise; views turn them into pages."""

    status = 400

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing does not exist, or the user may not know it exists."""

    status = 404


class Forbidden(DomainError):
    """The user is known but may not do this."""

    status = 403


class Invalid(DomainError):
    """The input breaks a rule; message says which, field names the form field."""

    status = 400


class Conflict(DomainError):
    """The request clashes with the current state (e.g. already used)."""

    status = 409


TITLES = {
    400: _l("Something in the request was not right"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("That action is not allowed here"),
    409: _l("This was already done"),
    413: _l("What you sent is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("The platform is busy"),
}
EXPLANATIONS = {
    400: _l("Please go back, check what you entered and try again."),
    403: _l("If you think you should have access, ask your programme manager."),
    404: _l("The address may be mistyped, or the page may have moved."),
    405: _l("Please use the buttons and links on the page."),
    409: _l("Nothing was lost. Go back to see the current state."),
    413: _l("Please send a smaller file or a shorter text."),
    429: _l("Please wait a little and try again."),
    500: _l("Nothing you sent was lost. Please try again in a moment."),
    503: _l("Nothing was saved yet. Please go back and send it again in a moment."),
}


def render_error(status: int, message: str = ""):
    """A localized error page for an HTTP status."""
    status = status if status in TITLES else (500 if status >= 500 else 400)
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/v1/"):
        return {"error": {"message": message or str(TITLES[status]), "code": status}}, status
    return render_template("errors/error.html", status=status, title=TITLES[status],
                           explanation=message or EXPLANATIONS[status]), status


BUSY_RETRY_SECONDS = 5  # what a 503 "busy" answer asks the browser, and the person, to wait
_validate_on_submit = FlaskForm.validate_on_submit


def _not_while_replaying(form: FlaskForm, extra_validators=None) -> bool:
    """FlaskForm.validate_on_submit, except False while a busy POST's page is drawn again."""
    if g.get("busy_replay"):
        return False
    return _validate_on_submit(form, extra_validators)


def _replay_as_page():
    """The POSTed page drawn again, reading only: the view runs once more with its forms bound
    to what was sent but not submitted, so it renders them filled in, as after a mistake.

    None when the view cannot draw its page so (it redirects, aborts or needs to write).
    """
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None
    s = db.session()  # read_only() made it a plain reader: WAL lets it read past the writer
    sqlite = s.get_bind().dialect.name == "sqlite"
    g.busy_replay = True
    try:
        if sqlite:  # a write on the way fails at once, instead of waiting for the lock again
            s.connection().exec_driver_sql("PRAGMA query_only = ON")
        flash(_l("The platform is busy, so nothing was saved yet. What you typed is kept "
                 "below: please send it again in about %(num)d seconds.",
                 num=BUSY_RETRY_SECONDS), "error")
        response = current_app.make_response(view(**(request.view_args or {})))
    except Exception:  # noqa: BLE001 - any failure means the plain busy page instead
        return None
    finally:
        g.busy_replay = False
        session.pop("_flashes", None)  # shown on the page, or not at all
        if sqlite:
            try:
                s.connection().exec_driver_sql("PRAGMA query_only = OFF")
            except Exception:  # noqa: BLE001
                s.invalidate()  # never hand a read-only connection back to the pool
        db.read_only()
    if response.status_code not in (200, 400) or response.mimetype != "text/html":
        return None
    response.status_code = 503
    return response


def busy_response(exc: BaseException | None = None):
    """The 503 answer, with Retry-After; to a form, the same page with the form filled in."""
    headers = {"Retry-After": str(BUSY_RETRY_SECONDS)}
    wants_json = (request.accept_mimetypes.best == "application/json"
                  or request.path.startswith("/v1/"))
    if request.method == "POST" and not wants_json:
        page = _replay_as_page()
        if page is not None:
            page.headers.update(headers)
            return page
    body, status = render_error(503)
    return body, status, headers


def init_app(app: Flask) -> None:
    """Register handlers so no error reaches the user untranslated or as a bare 500."""
    # One hook in Flask-WTF, so a busy POST's page can be drawn again (see _replay_as_page);
    # it changes nothing unless that is under way.
    FlaskForm.validate_on_submit = _not_while_replaying

    @app.before_request
    def _started():
        # When the request began: waits on slow services (a model) end in time for the page
        # to answer well inside the server's worker timeout, whatever came before them.
        g.request_started = time.monotonic()

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return render_error(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf(_exc):
        return render_error(400, str(_l("The form had expired. Please go back, reload the page "
                                       "and send it again.")))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.response is not None:
            return exc.response  # a page made for this case (e.g. sign-in's own limit page)
        response = render_error(exc.code or 500)
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            body, status = response
            return body, status, {"Allow": ", ".join(exc.valid_methods)}
        return response

    @app.errorhandler(OperationalError)
    def _database_busy(exc: OperationalError):
        # SQLite's write lock held longer than the busy timeout, or a database restarting:
        # the request was rolled back whole, so asking again is safe.
        app.logger.warning("database unavailable in %s %s", request.method, request.endpoint)
        db.read_only()
        return busy_response(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # The endpoint name, never the path: paths can carry tokens.
        app.logger.exception("unhandled error in %s %s", request.method, request.endpoint)
        return render_error(500)


def attach(form, exc: DomainError) -> None:
    """Show a service's error beside the field it names, or at the top of the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)
