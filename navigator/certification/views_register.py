"""Managers' pages: the certificate register, its exports, and revoking or reissuing."""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from navigator import db, jobs
from navigator.accounts import services as accounts
from navigator.accounts.models import User
from navigator.certification import certificates, exports, forms, verification
from navigator.certification import manage as managing  # the module; manage() is a view
from navigator.certification.views_base import _locale, bp
from navigator.errors import Conflict, DomainError, NotFound, attach
from navigator.i18n import _, language
from navigator.paging import PER_PAGE, requested_page
from navigator.security import role_required


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
    page = requested_page(request.args)
    rows, total = [], 0
    if form.validate():
        rows, total = managing.register(s, _filters(s, form), page=page)
    recent = [(e, exports.state(e, _stalled())) for e in exports.recent_exports(s, current_user)]
    args = {k: v for k, v in request.args.items() if k in forms.FILTERS and v}
    return render_template("certification/register.html", form=form, export_form=export_form,
                           rows=rows, total=total, page=page, per_page=PER_PAGE, exports=recent,
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
        "certification/certificate.html", cert=cert, state=certificates.status_of(cert),
        doc=verification.document(s, cert, current_app.config["BASE_URL"]),
        holder=s.get(User, cert.user_id), trail=managing.audit_trail(s, cert.id),
        language_name=language(cert.locale).native,
        revoke=revoke or forms.RevokeForm(), reissue=reissue), status


@bp.get("/manage/<int:cert_id>")
@role_required("manager", "admin")
def manage(cert_id: int):
    s = db.session()
    return _detail_page(s, managing.get_managed(s, current_user, cert_id))


def _change(s, cert, form, change, done: str, **page):
    """A revoke or reissue form sent: change() returns the certificate to show next; then commit
    and say done. Changed meanwhile (Conflict): back to the page, which now says how; another
    refusal: the page again, the form showing why (page names which form it is)."""
    if form.validate_on_submit():
        try:
            shown = change()
        except Conflict as exc:  # revoked or replaced meanwhile: the page now says which
            flash(exc.message, "error")
            return redirect(url_for("certification.manage", cert_id=cert.id))
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            flash(done, "success")
            return redirect(url_for("certification.manage", cert_id=shown.id))
    s.rollback()
    return _detail_page(s, cert, status=400, **page)


@bp.post("/manage/<int:cert_id>/revoke")
@role_required("manager", "admin")
def revoke(cert_id: int):
    s = db.session()
    cert = managing.get_managed(s, current_user, cert_id)
    form = forms.RevokeForm()
    return _change(s, cert, form,
                   lambda: managing.revoke(s, current_user, cert_id, form.reason.data),
                   _("The certificate is revoked."), revoke=form)


@bp.post("/manage/<int:cert_id>/reissue")
@role_required("manager", "admin")
def reissue(cert_id: int):
    s = db.session()
    cert = managing.get_managed(s, current_user, cert_id)
    form = forms.ReissueForm()
    return _change(s, cert, form,
                   lambda: managing.reissue(s, current_user, cert_id,
                                            printed_name=form.printed_name.data,
                                            locale=form.locale.data, reason=form.reason.data),
                   _("A new certificate replaces the old one, which is kept as replaced."),
                   reissue=form)


def _stalled() -> timedelta:
    """How long a running export may stay silent before it counts as failed."""
    return timedelta(seconds=current_app.config["EXPORT_STALLED_SECONDS"])
