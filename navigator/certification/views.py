"""Certificate pages: the navigator's tracks, PDFs, trainers' sign-offs, managers' register."""

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    json,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.routing import BuildError

from navigator import db, jobs
from navigator.accounts import services as accounts
from navigator.accounts.models import User
from navigator.certification import codes, exports, forms, pdf, services
from navigator.certification import manage as managing  # the module; manage() is a view
from navigator.certification.badges import baking, credential, keys
from navigator.errors import Conflict, DomainError, NotFound, attach
from navigator.i18n import _, get_locale, language
from navigator.security import role_required

bp = Blueprint("certification", __name__, url_prefix="/certificates")

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
    state.app.extensions[CARRY_HOOK] = services.counted_versions
    state.app.extensions[CHECK_APPROVED_HOOK] = _after_check_approved


def _locale() -> str:
    return str(get_locale())


def _writing_session():
    """The request's session for a GET page that writes (a badge minted on first download).

    The read that loaded the signed-in user is ended first, so the transaction can begin
    IMMEDIATE on SQLite and concurrent requests queue instead of failing.
    """
    s = db.session()
    s.commit()
    s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    return s


def _check(s, user_id: int) -> list[services.Outcome]:
    """Issue, or ask a trainer to sign off, what has become due for the navigator.

    It looks first in a plain read, holding no lock: nearly always nothing is due. Only then
    does it begin again IMMEDIATE on SQLite (concurrent checks queue instead of failing) and
    check once more before writing; the caller commits.
    """
    s.rollback()  # whatever the request read or the view committed is done with
    s.connection(execution_options={"sqlite_begin": "DEFERRED"})
    if not services.anything_due(s, user_id):
        s.rollback()
        return []
    s.rollback()
    s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    outcomes = services.check_navigator(s, user_id)
    _mint(s, [o.certificate for o in outcomes if o.kind == "issued"])
    return outcomes


def _mint(s, certificates) -> None:
    """Sign each newly issued certificate's Open Badge in the transaction that issues it, so
    that its first download is a read, like every later one."""
    if not certificates:
        return
    ring, base_url = keys.keyring(current_app), current_app.config["BASE_URL"]
    for cert in certificates:
        try:
            with s.begin_nested():
                credential.get_or_mint(s, cert, ring, base_url)
        except Exception:
            # The certificate stands without it: its first download signs it instead.
            current_app.logger.exception("could not sign certificate %s's Open Badge", cert.id)


def _after_check_approved(s, user_id: int) -> list[tuple[str, str]]:
    """Issue, or ask a trainer to sign off, what has become due for the navigator whose check
    was just approved, in the approval's own transaction (a POST's: it holds the write lock);
    (kind, track title in the page's language) for each, kind being issued or signoff."""
    outcomes = services.check_navigator(s, user_id)
    _mint(s, [o.certificate for o in outcomes if o.kind == "issued"])
    return [(o.kind, services.outcome_title(o, _locale())) for o in outcomes]


def _announce(outcomes: list[services.Outcome]) -> None:
    for outcome in outcomes:
        title = services.outcome_title(outcome, _locale())
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
    views = services.track_views(s, me, locale)
    if services.due(views):
        outcomes = _check(s, me)
        s.commit()
        _announce(outcomes)
        views = services.track_views(s, me, locale)
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
    data = pdf.render(services.document(s, cert, current_app.config["BASE_URL"], locale), paper)
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


# --- trainers -------------------------------------------------------------------------------

def _signoff_page(declines: dict | None = None, status: int = 200):
    s = db.session()
    rows = services.list_signoffs(s, current_user, _locale())
    declines = declines or {}
    for row in rows:
        declines.setdefault(row.request.id, forms.DeclineForm(prefix=f"r{row.request.id}"))
    return render_template("certification/signoffs.html", rows=rows, declines=declines,
                           approve=forms.EmptyForm()), status


@bp.get("/signoffs")
@role_required("trainer", "admin")
def signoffs():
    return _signoff_page()


@bp.post("/signoffs/<int:request_id>/approve")
@role_required("trainer", "admin")
def approve(request_id: int):
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    try:
        cert = services.approve_signoff(s, current_user, request_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        s.rollback()
        flash(exc.message, "error")
        return redirect(url_for("certification.signoffs"))
    _mint(s, [cert])
    s.commit()
    flash(_("Signed off: the certificate is issued."), "success")
    return redirect(url_for("certification.signoffs"))


@bp.post("/signoffs/<int:request_id>/decline")
@role_required("trainer", "admin")
def decline(request_id: int):
    s = db.session()
    services.get_signoff(s, current_user, request_id)
    form = forms.DeclineForm(prefix=f"r{request_id}")
    if form.validate_on_submit():
        try:
            services.decline_signoff(s, current_user, request_id, form.note.data)
        except DomainError as exc:
            if exc.status == 404:
                raise
            attach(form, exc)
        else:
            s.commit()
            flash(_("Your note was sent to the navigator."), "success")
            return redirect(url_for("certification.signoffs"))
    s.rollback()
    return _signoff_page({request_id: form}, 400)


# --- managers -------------------------------------------------------------------------------

def _filter_form(s, formdata):
    """The register's filters; another programme's id in the address is NotFound."""
    managed = managing.managed_programme_ids(s, current_user)
    chosen = formdata.get("programme", "")
    if chosen.isdigit() and int(chosen) not in managed:
        raise NotFound()
    programmes = [p for p in accounts.list_programmes(s, current_user) if p.id in managed]
    tracks = managing.track_choices(s, {p.id for p in programmes}, _locale())
    return forms.FilterForm(formdata, programmes=programmes, tracks=tracks)


def _filters(s, form) -> managing.Filters:
    return managing.filters_for(
        s, current_user, programme_id=form.programme_id(), track_id=form.track.data or "",
        status=form.status.data or "", issued_from=form.issued_from.data,
        issued_to=form.issued_to.data)


def _register_page(s, form, export_form, status: int = 200):
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = [], 0
    if form.validate():
        rows, total = managing.register(s, _filters(s, form), page=page)
    recent = [(e, exports.state(e, _stalled())) for e in exports.recent_exports(s, current_user)]
    args = {k: v for k, v in request.args.items() if k in forms.FILTERS and v}
    return render_template("certification/register.html", form=form, export_form=export_form,
                           rows=rows, total=total, page=page, per_page=50, exports=recent,
                           args=args), status


@bp.get("/register")
@role_required("manager", "admin")
def register():
    s = db.session()
    export_form = forms.ExportForm(formdata=None,
                                   data={k: request.args.get(k, "") for k in forms.FILTERS})
    return _register_page(s, _filter_form(s, request.args), export_form)


@bp.post("/exports")
@role_required("manager", "admin")
def export():
    s = db.session()
    filter_form = _filter_form(s, request.form)
    form = forms.ExportForm()
    if form.validate_on_submit() and filter_form.validate():
        try:
            job = exports.create_export(s, current_user, _filters(s, filter_form),
                                        kind=form.kind.data, locale=_locale(),
                                        paper=form.paper.data)
            exports.purge_old(s)
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            jobs.enqueue(exports.run_export, job.id)
            return redirect(url_for("certification.export_status", export_id=job.id))
    s.rollback()
    return _register_page(s, filter_form, form, 400)


@bp.get("/exports/<int:export_id>")
@role_required("manager", "admin")
def export_status(export_id: int):
    s = db.session()
    job = exports.get_export(s, current_user, export_id)
    state = exports.state(job, _stalled())
    # Queued work waits for a job worker: say so when none is there to pick it up.
    no_worker = state in ("queued", "restarting") and not jobs.workers_alive(current_app)
    return render_template("certification/export.html", job=job, state=state,
                           no_worker=no_worker, retry_form=forms.EmptyForm()
                           if state == "failed" else None)


@bp.post("/exports/<int:export_id>/retry")
@role_required("manager", "admin")
def retry_export(export_id: int):
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    job = exports.get_export(s, current_user, export_id)
    if exports.state(job, _stalled()) != "failed":
        return redirect(url_for("certification.export_status", export_id=export_id))
    again = exports.retry_export(s, current_user, job)
    s.commit()
    jobs.enqueue(exports.run_export, again.id)
    return redirect(url_for("certification.export_status", export_id=again.id))


@bp.get("/exports/<int:export_id>/download")
@role_required("manager", "admin")
def download(export_id: int):
    s = db.session()
    job = exports.get_export(s, current_user, export_id)
    return exports.download(job)


def _detail_page(s, cert, revoke=None, reissue=None, status: int = 200):
    reissue = reissue or forms.ReissueForm(data={"printed_name": cert.printed_name,
                                                 "locale": cert.locale})
    return render_template(
        "certification/certificate.html", cert=cert, state=services.status_of(cert),
        doc=services.document(s, cert, current_app.config["BASE_URL"]),
        holder=s.get(User, cert.user_id), trail=managing.audit_trail(s, cert.id),
        language_name=language(cert.locale).native,
        revoke=revoke or forms.RevokeForm(), reissue=reissue), status


@bp.get("/manage/<int:cert_id>")
@role_required("manager", "admin")
def manage(cert_id: int):
    s = db.session()
    return _detail_page(s, managing.get_managed(s, current_user, cert_id))


@bp.post("/manage/<int:cert_id>/revoke")
@role_required("manager", "admin")
def revoke(cert_id: int):
    s = db.session()
    cert = managing.get_managed(s, current_user, cert_id)
    form = forms.RevokeForm()
    if form.validate_on_submit():
        try:
            managing.revoke(s, current_user, cert_id, form.reason.data)
        except Conflict as exc:  # revoked or replaced meanwhile: the page now says which
            flash(exc.message, "error")
            return redirect(url_for("certification.manage", cert_id=cert_id))
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            flash(_("The certificate is revoked."), "success")
            return redirect(url_for("certification.manage", cert_id=cert_id))
    s.rollback()
    return _detail_page(s, cert, revoke=form, status=400)


@bp.post("/manage/<int:cert_id>/reissue")
@role_required("manager", "admin")
def reissue(cert_id: int):
    s = db.session()
    cert = managing.get_managed(s, current_user, cert_id)
    form = forms.ReissueForm()
    if form.validate_on_submit():
        try:
            new = managing.reissue(s, current_user, cert_id,
                                   printed_name=form.printed_name.data,
                                   locale=form.locale.data, reason=form.reason.data)
        except Conflict as exc:
            flash(exc.message, "error")
            return redirect(url_for("certification.manage", cert_id=cert_id))
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            flash(_("A new certificate replaces the old one, which is kept as replaced."),
                  "success")
            return redirect(url_for("certification.manage", cert_id=new.id))
    s.rollback()
    return _detail_page(s, cert, reissue=form, status=400)


@bp.app_template_filter("certificate_code")
def certificate_code(code: str) -> str:
    """A stored code as printed: ABCDE-FGHJK."""
    return codes.display(code)


def _stalled() -> timedelta:
    """How long a running export may stay silent before it counts as failed."""
    return timedelta(seconds=current_app.config["EXPORT_STALLED_SECONDS"])
