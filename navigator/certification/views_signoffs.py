"""Trainers' sign-off pages: the open requests, approving and declining."""


from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from navigator import db
from navigator.certification import forms, signoff
from navigator.certification.views_base import _locale, _mint, bp
from navigator.errors import DomainError, attach
from navigator.i18n import _
from navigator.security import role_required


def _signoff_page(declines: dict | None = None, status: int = 200):
    s = db.session()
    rows = signoff.list_signoffs(s, current_user, _locale())
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
        cert = signoff.approve_signoff(s, current_user, request_id)
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
    signoff.get_signoff(s, current_user, request_id)
    form = forms.DeclineForm(prefix=f"r{request_id}")
    if form.validate_on_submit():
        try:
            signoff.decline_signoff(s, current_user, request_id, form.note.data)
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
