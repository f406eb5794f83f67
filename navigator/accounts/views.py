"""Sign-in, joining, passwords, profile, API tokens, people and programmes."""

import math
import secrets
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from navigator import db
from navigator.accounts import forms, mailing, services
from navigator.accounts.models import ROLES, Programme, User
from navigator.errors import DomainError, attach
from navigator.i18n import CODES, _, force_locale
from navigator.security import hashed, limiter, login_manager, role_required

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def _load_user(user_id: str):
    return services.load_principal(db.session(), user_id)


def _safe_next(target: str | None) -> str:
    """A local path to continue to after signing in; never another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


def _sign_in(user) -> None:
    """Start a server-side session for the user; the cookie names it, signed."""
    s = db.session()
    key = services.start_session(s, user, hours=current_app.config["SESSION_HOURS"])
    s.commit()
    # A fresh session at sign-in: nothing from before (e.g. a planted session) carries over.
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    signed_in = services.principal(s, user)
    signed_in.session_key = key
    login_user(signed_in)
    session.permanent = True


def _forget_browser() -> None:
    """Drop the sign-in from this browser's cookie, keeping only its language."""
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def _clear_device(response):
    """Signing out leaves nothing personal in this browser: saved pages, forms kept to send
    and the service worker go (Clear-Site-Data; offline.js also clears them before it asks)."""
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


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
    return render_template("accounts/profile.html", form=form, user=user,
                           tokens=services.list_api_tokens(s, user),
                           token_form=forms.TokenForm(formdata=None),
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
        return render_template("accounts/profile.html", form=forms.ProfileForm(obj=user),
                               user=user, tokens=services.list_api_tokens(s, user),
                               token_form=form, sessions=services.count_sessions(s, user)), 400
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


# --- people (managers and administrators) ---------------------------------------------------

def _managed_programmes(s) -> dict[int, str]:
    """Programmes the current person manages, id → name."""
    return {p.id: p.name for p in services.list_programmes(s, current_user)
            if current_user.is_admin or p.id in current_user.programme_ids("manager")}


@bp.get("/people")
@role_required("manager", "admin")
def people():
    s = db.session()
    programme_id = request.args.get("programme", type=int)
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = services.list_people(s, current_user, programme_id=programme_id,
                                       query=request.args.get("q", "")[:80],
                                       role=request.args.get("role", ""), page=page)
    return render_template("accounts/people.html", rows=rows, total=total, page=page,
                           per_page=50, programmes=_managed_programmes(s),
                           roles=ROLES, role_names=forms.ROLE_NAMES)


@bp.route("/people/invite", methods=["GET", "POST"])
@role_required("manager", "admin")
def invite():
    s = db.session()
    form = forms.InviteForm()
    managed = _managed_programmes(s)
    form.programme_id.choices = forms.choices(managed.items())
    if request.method == "GET" and request.args.get("programme", type=int):
        form.programme_id.data = request.args.get("programme", type=int)
    if form.validate_on_submit():
        try:
            invitation, raw = services.invite(
                s, current_user, programme_id=form.programme_id.data, role=form.role.data,
                email=form.email.data, days=current_app.config["INVITATION_DAYS"])
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            link = current_app.config["BASE_URL"].rstrip("/") + url_for(
                "accounts.accept_invitation", token=raw)
            programme = s.get(Programme, invitation.programme_id)
            mailing.send(invitation.email, _("You are invited to %(programme)s on Navigator",
                                             programme=programme.name),
                         render_template("accounts/email_invitation.txt", link=link,
                                         programme=programme, invitation=invitation))
            return render_template("accounts/invitation_sent.html", invitation=invitation,
                                   link=link, programme=programme)
    invitations = services.list_invitations(s, current_user, set(managed))
    return render_template("accounts/invite.html", form=form, invitations=invitations,
                           programmes=managed, role_names=forms.ROLE_NAMES)


@bp.post("/people/invitations/<int:invitation_id>/revoke")
@role_required("manager", "admin")
def revoke_invitation(invitation_id: int):
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    services.revoke_invitation(s, current_user, invitation_id)
    s.commit()
    flash(_("The invitation is withdrawn."), "success")
    return redirect(url_for("accounts.invite"))


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@role_required("manager", "admin")
def person(user_id: int):
    s = db.session()
    user, memberships = services.get_person(s, current_user, user_id)
    form = forms.RolesForm()
    managed = _managed_programmes(s)
    form.programme_id.choices = forms.choices(managed.items())
    if form.validate_on_submit():
        try:
            services.set_roles(s, current_user, user_id=user_id,
                               programme_id=form.programme_id.data, roles=set(form.roles.data))
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            flash(_("Roles saved."), "success")
            return redirect(url_for("accounts.person", user_id=user_id))
    by_programme: dict[int, list[str]] = {}
    for m in memberships:
        by_programme.setdefault(m.programme_id, []).append(m.role)
    return render_template("accounts/person.html", person=user, form=form,
                           by_programme=by_programme, programmes=managed,
                           role_names=forms.ROLE_NAMES)


@bp.post("/people/<int:user_id>/active")
@role_required("manager", "admin")
def set_active(user_id: int):
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    active = request.form.get("active") == "1"
    services.set_active(s, current_user, user_id=user_id, active=active)
    s.commit()
    flash(_("The account is active again.") if active else
          _("The account is deactivated and its sessions have ended."), "success")
    return redirect(url_for("accounts.person", user_id=user_id))


# --- programmes (administrators; managers see their own) ------------------------------------

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
                programme = services.create_programme(s, name=form.name.data,
                                                      default_locale=form.default_locale.data)
                programme.crisis_resources = (form.crisis_resources.data or "").strip()
                programme.join_code_enabled = form.join_code_enabled.data
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
            services.update_programme(s, prog, name=form.name.data,
                                      default_locale=form.default_locale.data,
                                      join_code_enabled=form.join_code_enabled.data,
                                      crisis_resources=form.crisis_resources.data or "")
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
    services.regenerate_join_code(services.get_programme(s, current_user, programme_id,
                                                         "manager"))
    s.commit()
    flash(_("A new join code is ready. The old one no longer works."), "success")
    return redirect(url_for("accounts.programme", programme_id=programme_id))
