"""A person's own account pages: the profile, changing the password, API tokens, signing out
everywhere. Routes hang on the accounts blueprint."""

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required

from navigator import db
from navigator.accounts import forms, services
from navigator.accounts.models import User
from navigator.accounts.views_base import _clear_device, _forget_browser, _sign_in, bp
from navigator.errors import DomainError, attach
from navigator.i18n import _


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    services.end_all_sessions(s, _me(s))
    s.commit()
    _forget_browser()
    flash(_("You are signed out on every device and browser."), "info")
    return _clear_device(redirect(url_for("accounts.sign_in")))


def _me(s):
    return s.get(User, current_user.user.id)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    s = db.session()
    user = _me(s)
    form = forms.ProfileForm(obj=user)
    if form.validate_on_submit():
        try:
            services.update_profile(user, display_name=form.display_name.data,
                                    certificate_name=form.certificate_name.data,
                                    locale=form.locale.data)
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            if user.locale:
                session["locale"] = user.locale
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(s, user, form, forms.TokenForm(formdata=None))


def _profile_page(s, user, form, token_form) -> str:
    """The profile page: its form, the person's API tokens and how many sessions they have."""
    return render_template("accounts/profile.html", form=form, user=user,
                           tokens=services.list_api_tokens(s, user), token_form=token_form,
                           sessions=services.count_sessions(s, user))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    s = db.session()
    user = _me(s)
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(user, current=form.current_password.data,
                                     new=form.password.data,
                                     min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            _sign_in(user)  # the nonce changed: other sessions end, this one carries on
            flash(_("Your password is changed."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)


@bp.post("/account/tokens")
@login_required
def create_token():
    s = db.session()
    user = _me(s)
    form = forms.TokenForm()
    if not form.validate_on_submit():
        return _profile_page(s, user, forms.ProfileForm(obj=user), form), 400
    token, raw = services.create_api_token(s, user, form.name.data)
    s.commit()
    return render_template("accounts/token_created.html", token=token, raw=raw)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    form = forms.EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    s = db.session()
    services.revoke_api_token(s, _me(s), token_id)
    s.commit()
    flash(_("The token is revoked."), "success")
    return redirect(url_for("accounts.profile"))

