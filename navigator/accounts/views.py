"""Signing in and out, the language switcher, and forgotten passwords.

The blueprint lives in views_base; views_joining, views_profile, views_people and
views_programmes add their pages to it when this module imports them.
"""

import math
import secrets
import time
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from navigator import db

# The views_* modules are imported for the routes they add to bp.
from navigator.accounts import (
    forms,
    mailing,
    services,
    views_joining,  # noqa: F401
    views_people,  # noqa: F401
    views_profile,  # noqa: F401
    views_programmes,  # noqa: F401
)
from navigator.accounts.models import User
from navigator.accounts.views_base import _clear_device, _forget_browser, _sign_in, bp
from navigator.errors import DomainError, attach
from navigator.i18n import CODES, _, force_locale
from navigator.security import hashed, limiter


def _safe_next(target: str | None) -> str:
    """A local path to continue to after signing in; never another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


def _failed_sign_in(response) -> bool:
    return response.status_code == 200  # the form shown again: a failed attempt


# --- sign-in limits: by client and account together ------------------------------------------
#
# A browser where someone signed in successfully keeps a signed "device" cookie naming (as
# digests) the accounts that signed in on it. Guesses are then limited three ways, counting
# failed attempts only:
#   - per account and client (the device cookie if the account signed in on it before, else
#     the address): one client cannot guess fast at one account;
#   - per account, for clients it never signed in on: many addresses together cannot guess
#     fast either, yet hitting this limit cannot lock out the owner's own devices;
#   - per address, unknown devices only: one client cannot spray many accounts.
# The owner locked out on a new device is offered a password reset, which trusts the device.

DEVICE_COOKIE = "navigator_device"
DEVICE_DAYS = 365
SIGN_IN_PER_CLIENT = "5 per 15 minutes"
SIGN_IN_PER_ACCOUNT_UNKNOWN_DEVICES = "20 per 15 minutes"
SIGN_IN_PER_ADDRESS = "30 per 15 minutes"


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="navigator-device")


def _device() -> dict:
    """This browser's device cookie: its id and the accounts that signed in on it."""
    raw = request.cookies.get(DEVICE_COOKIE, "")
    if raw:
        try:
            data = _device_signer().loads(raw, max_age=DEVICE_DAYS * 86400)
            if isinstance(data, dict) and isinstance(data.get("accounts"), list):
                return data
        except BadSignature:
            pass
    return {"id": "", "accounts": []}


def _account_key() -> str:
    return hashed(request.form.get("email", ""))


def _known_device() -> bool:
    """Has the account being signed in to signed in on this browser before?"""
    device = _device()
    return bool(device["id"]) and _account_key() in device["accounts"]


def _client_and_account() -> str:
    client = "device:" + _device()["id"] if _known_device() else "addr:" + get_remote_address()
    return f"sign-in:{_account_key()}:{hashed(client)}"


def _trust_device(response, email: str):
    """Remember on this browser that the account signed in here (or proved its e-mail)."""
    device = _device()
    accounts = [a for a in device["accounts"] if a != hashed(email)] + [hashed(email)]
    value = _device_signer().dumps({"id": device["id"] or secrets.token_urlsafe(12),
                                    "accounts": accounts[-5:]})
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_DAYS * 86400, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def _sign_in_refused(limit):
    """The sign-in form again, with what to do, when a sign-in limit is reached."""
    form = forms.SignInForm()
    seconds = max(1, math.ceil(limit.window.reset_time - time.time()))
    minutes = math.ceil(seconds / 60)
    form.form_errors.append(_("Too many failed attempts to sign in to this account from here. "
                              "Try again in %(minutes)d minutes, or reset your password: the "
                              "link we e-mail you lets this browser sign in again.",
                              minutes=minutes))
    response = current_app.make_response(
        (render_template("accounts/sign_in.html", form=form), 429))
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_PER_CLIENT, methods=["POST"], deduct_when=_failed_sign_in,
               key_func=_client_and_account, on_breach=_sign_in_refused)
@limiter.limit(SIGN_IN_PER_ACCOUNT_UNKNOWN_DEVICES, methods=["POST"],
               deduct_when=_failed_sign_in, exempt_when=_known_device,
               key_func=lambda: "sign-in-account:" + _account_key(),
               on_breach=_sign_in_refused)
@limiter.limit(SIGN_IN_PER_ADDRESS, methods=["POST"], deduct_when=_failed_sign_in,
               exempt_when=_known_device, on_breach=_sign_in_refused)
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = forms.SignInForm()
    if form.validate_on_submit():
        s = db.session()
        try:
            user = services.authenticate(s, form.email.data, form.password.data)
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            _sign_in(user)
            return _trust_device(redirect(_safe_next(request.args.get("next"))), user.email)
    return render_template("accounts/sign_in.html", form=form)


@bp.post("/sign-out")
def sign_out():
    if current_user.is_authenticated:
        # Ended on the server too: a copy of the cookie (a shared computer, a stolen
        # cookie) stops working now, not when it would have expired.
        s = db.session()
        services.end_session(s, current_user.session_key)
        s.commit()
    _forget_browser()
    flash(_("You are signed out."), "info")
    return _clear_device(redirect(url_for("accounts.sign_in")))


@bp.post("/language")
def set_language():
    code = request.form.get("locale", "")
    if code not in CODES:
        abort(400)
    session["locale"] = code
    if current_user.is_authenticated:
        s = db.session()
        user = s.get(User, current_user.user.id)
        services.set_locale(user, code)
        s.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"],
               key_func=lambda: "reset:" + hashed(request.form.get("email", "")))
@limiter.limit("20 per hour", methods=["POST"])
def forgot_password():
    form = forms.ForgotForm()
    if form.validate_on_submit():
        s = db.session()
        found = services.start_password_reset(s, form.email.data,
                                              hours=current_app.config["RESET_HOURS"])
        s.commit()
        if found:
            user, raw = found
            with force_locale(user.locale or "en"):
                link = current_app.config["BASE_URL"].rstrip("/") + url_for(
                    "accounts.reset_password", token=raw)
                mailing.send(user.email, _("Reset your Navigator password"), render_template(
                    "accounts/email_reset.txt", user=user, link=link,
                    hours=current_app.config["RESET_HOURS"]))
        # The same answer whether or not the address has an account.
        return render_template("accounts/forgot_sent.html")
    return render_template("accounts/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def reset_password(token: str):
    s = db.session()
    services.check_reset_token(s, token)
    form = forms.ResetForm()
    if form.validate_on_submit():
        try:
            user = services.finish_password_reset(
                s, token, form.password.data,
                min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            logout_user()
            flash(_("Your password is changed. Please sign in with it."), "success")
            # The link came by e-mail: this browser is the owner's, sign-in limits included.
            return _trust_device(redirect(url_for("accounts.sign_in")), user.email)
    return render_template("accounts/reset.html", form=form)

