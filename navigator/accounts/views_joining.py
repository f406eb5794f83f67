"""Joining: with an invitation link or a programme's join code, making an account if need be.
Routes hang on the accounts blueprint."""

from functools import partial

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from navigator import db
from navigator.accounts import forms, services
from navigator.accounts.models import User
from navigator.accounts.views_base import _sign_in, bp
from navigator.errors import DomainError, attach
from navigator.i18n import _
from navigator.security import limiter


def _new_account(form) -> dict:
    """The new account the form describes, in the language chosen so far."""
    return {"email": form.email.data, "password": form.password.data,
            "display_name": form.display_name.data, "locale": session.get("locale", ""),
            "min_length": current_app.config["PASSWORD_MIN_LENGTH"]}


def _welcome(form, sign_up):
    """Make the account and join with `sign_up`, then sign in and welcome the person; None,
    with the reason beside the form, when that cannot be done."""
    s = db.session()
    try:
        user, programme = sign_up(**_new_account(form))
    except DomainError as exc:
        s.rollback()
        attach(form, exc)
        return None
    s.commit()
    _sign_in(user)
    flash(_("Welcome! You have joined %(programme)s.", programme=programme.name), "success")
    return redirect(url_for("home.index"))


def _invitation_page(form, invitation, programme, *, signed_in: bool) -> str:
    return render_template("accounts/invitation.html", form=form, programme=programme,
                           invitation=invitation, signed_in=signed_in,
                           role_name=forms.ROLE_NAMES[invitation.role])


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def accept_invitation(token: str):
    s = db.session()
    invitation, programme = services.open_invitation(s, token)
    if current_user.is_authenticated:
        form = forms.EmptyForm()
        if form.validate_on_submit():
            services.accept_invitation(s, token, s.get(User, current_user.user.id))
            s.commit()
            flash(_("You have joined %(programme)s.", programme=programme.name), "success")
            return redirect(url_for("home.index"))
        return _invitation_page(form, invitation, programme, signed_in=True)
    form = forms.NewAccountForm()
    if request.method == "GET":
        form.email.data = invitation.email
    if form.validate_on_submit():
        done = _welcome(form, partial(services.sign_up_with_invitation, s, token))
        if done:
            return done
    return _invitation_page(form, invitation, programme, signed_in=False)


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
        done = _welcome(form, partial(services.sign_up_with_code, s, form.code.data))
        if done:
            return done
    return render_template("accounts/join.html", form=form, signed_in=False)
