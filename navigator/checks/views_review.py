"""Chatbot check pages for trainers: the review queue, approving a check, returning it with
comments. Routes hang on the checks blueprint."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from navigator import db
from navigator.checks import forms, services
from navigator.checks.views import _page_context, _protocol, bp
from navigator.errors import DomainError
from navigator.i18n import _
from navigator.security import role_required


@bp.get("/reviews")
@role_required("trainer", "admin")
def reviews():
    s = db.session()
    return render_template("checks/reviews.html", rows=services.review_queue(s, current_user))


@bp.post("/<int:check_id>/approve")
@role_required("trainer", "admin")
def approve(check_id: int):
    s = db.session()
    form = forms.ApproveForm(prefix="approve")
    if not form.validate_on_submit():
        abort(400)
    try:
        services.approve(s, current_user, check_id, form.note.data or "")
    except DomainError as exc:
        if exc.status == 404:
            raise
        s.rollback()
        flash(exc.message, "error")
        return redirect(url_for("checks.check", check_id=check_id))
    s.commit()
    flash(_("Approved: the check is now in the programme's library."), "success")
    return redirect(url_for("checks.reviews"))


@bp.post("/<int:check_id>/return")
@role_required("trainer", "admin")
def give_back(check_id: int):
    s = db.session()
    form = forms.ReturnForm(prefix="return")
    if form.validate_on_submit():
        try:
            services.return_check(s, current_user, check_id, form.note.data or "")
        except DomainError as exc:
            if exc.status == 404:
                raise
            s.rollback()
            flash(exc.message, "error")
            return redirect(url_for("checks.check", check_id=check_id))
        s.commit()
        flash(_("Returned: the navigator sees your comment."), "success")
        return redirect(url_for("checks.reviews"))
    proto = _protocol()
    item = services.get_check(s, current_user, check_id)
    context = _page_context(s, proto, item)
    return render_template("checks/check.html", run=None, watch=forms.WatchForm(),
                           button=forms.EmptyForm(), approve=forms.ApproveForm(prefix="approve"),
                           give_back=form, **context), 400
