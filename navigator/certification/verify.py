"""The public verification pages: anyone, signed in or not, checks a certificate by its code.

Rate limited per address (one limit shared by the page, the form and the JSON view), so codes
cannot be guessed in bulk. An unknown or malformed code gets the same plain "not found".
"""

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from navigator import db
from navigator.certification import codes, forms, verification
from navigator.certification.badges import check, keys
from navigator.errors import NotFound
from navigator.i18n import _, get_locale
from navigator.security import limiter

bp = Blueprint("verify", __name__, url_prefix="/verify")
LIMIT = limiter.shared_limit("30 per minute;300 per hour", scope="verify")


def _missing(form=None):
    """The one answer for every code that is not a certificate's."""
    return render_template("certification/verify_missing.html",
                           form=form or forms.VerifyForm(formdata=None)), 404


@bp.get("/")
@LIMIT
def index():
    form = forms.VerifyForm(request.args)
    if "code" not in request.args:
        return render_template("certification/verify_index.html", form=forms.VerifyForm(
            formdata=None), credential_form=forms.CredentialForm(formdata=None))
    if not form.validate():
        return render_template("certification/verify_index.html", form=form,
                               credential_form=forms.CredentialForm(formdata=None)), 400
    code = codes.normalise(form.code.data)
    if code is None:
        return _missing(form)
    return redirect(url_for("verify.certificate", code=codes.display(code)), code=303)


@bp.get("/<code>")
@LIMIT
def certificate(code: str):
    wants_json = request.accept_mimetypes.best_match(["text/html", "application/json"]) \
        == "application/json"
    try:
        result = verification.verify(db.session(), code, str(get_locale()))
    except NotFound:
        if wants_json:
            return {"status": "not_found"}, 404
        return _missing()
    if wants_json:
        return result.as_json()
    return render_template("certification/verify.html", v=result)


@bp.get("/<code>.json")
@LIMIT
def certificate_json(code: str):
    try:
        return verification.verify(db.session(), code, str(get_locale())).as_json()
    except NotFound:
        return {"status": "not_found"}, 404


@bp.post("/credential")
@LIMIT
def credential():
    """Check an Open Badges credential: its signature, its dates, and its status here."""
    form = forms.CredentialForm()
    presented = form.presented() if form.validate_on_submit() else None
    if presented is None:
        if form.is_submitted() and not form.errors:
            form.credential.errors = [*form.credential.errors,
                                      _("Paste a credential or choose a file.")]
        return render_template("certification/verify_index.html",
                               form=forms.VerifyForm(formdata=None), credential_form=form), 400
    result = check.check(db.session(), keys.keyring(current_app), presented)
    return render_template("certification/verify_credential.html", result=result,
                           code=codes.display(result.certificate.code)
                           if result.certificate else None)
