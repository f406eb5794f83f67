"""Chatbot check pages for trainers: the review queue, approving a check, returning it with
comments. Routes hang on the checks blueprint."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from navigator import db
from navigator.checks import forms, services
from navigator.checks.views_base import _act, _page_context, _protocol, _refused, bp
from navigator.errors import DomainError
from navigator.i18n import _
from navigator.security import role_required

# Certification (above checks) puts here the function that issues what a navigator's approved
# check made due; it is absent when certification is not installed.
APPROVED_HOOK = "navigator.checks.approved"


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
        item = services.approve(s, current_user, check_id, form.note.data or "")
    except DomainError as exc:
        return _refused(s, exc, check_id)
    outcomes = _certify(s, item)
    s.commit()
    flash(_("Approved: the check is now in the programme's library."), "success")
    for kind, track in outcomes:
        if kind == "issued":
            flash(_("With this check the navigator has completed “%(track)s”: their "
                    "certificate is issued.", track=track), "success")
        else:
            flash(_("With this check the navigator has met the requirements of “%(track)s”: "
                    "their certificate now waits for a trainer's sign-off.", track=track),
                  "success")
    return redirect(url_for("checks.reviews"))


def _certify(s, item) -> list[tuple[str, str]]:
    """Issue the certificate the approval completed, in the approval's transaction:
    (issued or signoff, track title) for each; none when certification is not installed."""
    hook = current_app.extensions.get(APPROVED_HOOK)
    if hook is None:
        return []
    try:
        with s.begin_nested():
            return hook(s, item.author_id)
    except Exception:
        # The trainer's decision stands; the navigator's certificates page issues it instead.
        current_app.logger.exception("certification check failed after approving check %s",
                                     item.id)
        return []


@bp.post("/<int:check_id>/return")
@role_required("trainer", "admin")
def give_back(check_id: int):
    s = db.session()
    form = forms.ReturnForm(prefix="return")
    if form.validate_on_submit():
        return _act(s, check_id,
                    lambda: services.return_check(s, current_user, check_id, form.note.data or ""),
                    _("Returned: the navigator sees your comment."), url_for("checks.reviews"))
    proto = _protocol()
    item = services.get_check(s, current_user, check_id)
    context = _page_context(s, proto, item)
    return render_template("checks/check.html", run=None, watch=forms.WatchForm(),
                           button=forms.EmptyForm(), approve=forms.ApproveForm(prefix="approve"),
                           give_back=form, **context), 400
