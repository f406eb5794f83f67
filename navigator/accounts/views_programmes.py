"""Programme pages: the list and creating one (administrators), a programme's settings and its
join code. Routes hang on the accounts blueprint."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from navigator import db
from navigator.accounts import forms, services
from navigator.accounts.views_base import bp
from navigator.errors import DomainError, attach
from navigator.i18n import _
from navigator.security import role_required


def _settings(form) -> dict:
    """A programme's settings as the form gives them."""
    return {"name": form.name.data, "default_locale": form.default_locale.data,
            "join_code_enabled": form.join_code_enabled.data,
            "crisis_resources": form.crisis_resources.data or ""}


@bp.route("/programmes", methods=["GET", "POST"])
@role_required("manager", "admin")
def programmes():
    s = db.session()
    form = forms.ProgrammeForm()
    if request.method == "POST":
        if not current_user.is_admin:
            abort(403)
        if form.validate_on_submit():
            try:
                programme = services.create_programme(s, **_settings(form))
            except DomainError as exc:
                attach(form, exc)
            else:
                s.commit()
                flash(_("Programme created. Invite its managers next."), "success")
                return redirect(url_for("accounts.programme", programme_id=programme.id))
    return render_template("accounts/programmes.html", form=form,
                           programmes=services.list_programmes(s, current_user))


@bp.route("/programmes/<int:programme_id>", methods=["GET", "POST"])
@role_required("manager", "admin")
def programme(programme_id: int):
    s = db.session()
    prog = services.get_programme(s, current_user, programme_id, "manager")
    form = forms.ProgrammeForm(obj=prog)
    if form.validate_on_submit():
        try:
            services.update_programme(s, prog, **_settings(form))
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            flash(_("Programme saved."), "success")
            return redirect(url_for("accounts.programme", programme_id=programme_id))
    return render_template("accounts/programme.html", programme=prog, form=form)


@bp.post("/programmes/<int:programme_id>/join-code")
@role_required("manager", "admin")
def new_join_code(programme_id: int):
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    services.renew_join_code(s, current_user, programme_id)
    s.commit()
    flash(_("A new join code is ready. The old one no longer works."), "success")
    return redirect(url_for("accounts.programme", programme_id=programme_id))

