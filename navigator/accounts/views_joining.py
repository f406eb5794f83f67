"""Joining: with an invitation link or a programme's join code, making an account if need be.
Routes hang on the accounts blueprint."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from navigator import db
from navigator.accounts import forms, services
from navigator.accounts.models import Programme, User
from navigator.accounts.views_base import _sign_in, bp
from navigator.errors import DomainError, attach
from navigator.i18n import _
from navigator.security import limiter


def _create_account(form, s):
    return services.create_user(
        s, email=form.email.data, password=form.password.data,
        display_name=form.display_name.data, locale=session.get("locale", ""),
        min_length=current_app.config["PASSWORD_MIN_LENGTH"])


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def accept_invitation(token: str):
    s = db.session()
    invitation = services.get_invitation(s, token)
    programme = s.get(Programme, invitation.programme_id)
    if current_user.is_authenticated:
        form = forms.EmptyForm()
        if form.validate_on_submit():
            services.accept_invitation(s, token, s.get(User, current_user.user.id))
            s.commit()
            flash(_("You have joined %(programme)s.", programme=programme.name), "success")
            return redirect(url_for("home.index"))
        return render_template("accounts/invitation.html", form=form, programme=programme,
                               invitation=invitation, signed_in=True,
                               role_name=forms.ROLE_NAMES[invitation.role])
    form = forms.NewAccountForm()
    if request.method == "GET":
        form.email.data = invitation.email
    if form.validate_on_submit():
        try:
            user = _create_account(form, s)
            services.accept_invitation(s, token, user)
        except DomainError as exc:
            s.rollback()
            attach(form, exc)
        else:
            s.commit()
            _sign_in(user)
            flash(_("Welcome! You have joined %(programme)s.", programme=programme.name),
                  "success")
            return redirect(url_for("home.index"))
    return render_template("accounts/invitation.html", form=form, programme=programme,
                           invitation=invitation, signed_in=False,
                           role_name=forms.ROLE_NAMES[invitation.role])


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def join():
    s = db.session()
    if current_user.is_authenticated:
        form = forms.CodeOnlyForm()
        if form.validate_on_submit():
            try:
                programme = services.join_with_code(
                    s, s.get(User, current_user.user.id), form.code.data)
            except DomainError as exc:
                attach(form, exc)
            else:
                s.commit()
                flash(_("You have joined %(programme)s.", programme=programme.name), "success")
                return redirect(url_for("home.index"))
        return render_template("accounts/join.html", form=form, signed_in=True)
    form = forms.JoinCodeForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"][:20]
    if form.validate_on_submit():
        try:
            services.find_programme_by_code(s, form.code.data)
            user = _create_account(form, s)
            programme = services.join_with_code(s, user, form.code.data)
        except DomainError as exc:
            s.rollback()
            attach(form, exc)
        else:
            s.commit()
            _sign_in(user)
            flash(_("Welcome! You have joined %(programme)s.", programme=programme.name),
                  "success")
            return redirect(url_for("home.index"))
    return render_template("accounts/join.html", form=form, signed_in=False)

