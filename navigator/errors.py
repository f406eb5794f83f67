"""Domain exceptions, and the localized error pages they and HTTP errors turn into."""

from flask import Flask, render_template, request
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


def init_app(app: Flask) -> None:
    """Register handlers so no error reaches the user untranslated or as a bare 500."""

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
        return render_error(503)

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
