"""Managers' and administrators' pages for people: the list, inviting, roles, deactivating.
Routes hang on the accounts blueprint."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from navigator import db
from navigator.accounts import forms, mailing, services
from navigator.accounts.models import ROLES, Programme
from navigator.accounts.views_base import bp
from navigator.errors import DomainError, attach
from navigator.i18n import _
from navigator.paging import PER_PAGE, requested_page
from navigator.security import role_required


@bp.get("/people")
@role_required("manager", "admin")
def people():
    s = db.session()
    programme_id = request.args.get("programme", type=int)
    page = requested_page(request.args)
    rows, total = services.list_people(s, current_user, programme_id=programme_id,
                                       query=request.args.get("q", "")[:80],
                                       role=request.args.get("role", ""), page=page)
    return render_template("accounts/people.html", rows=rows, total=total, page=page,
                           per_page=PER_PAGE,
                           programmes=services.managed_programmes(s, current_user), roles=ROLES,
                           role_names=forms.ROLE_NAMES,
                           filters={k: request.args[k] for k in ("q", "programme", "role")
                                    if request.args.get(k)})


@bp.route("/people/invite", methods=["GET", "POST"])
@role_required("manager", "admin")
def invite():
    s = db.session()
    form = forms.InviteForm()
    managed = services.managed_programmes(s, current_user)
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
    managed = services.managed_programmes(s, current_user)
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

