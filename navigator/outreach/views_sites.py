"""Outreach pages for managers: a programme's sites, added, renamed, archived, deleted."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from navigator import db
from navigator.accounts import services as accounts
from navigator.accounts.forms import EmptyForm
from navigator.accounts.models import Programme
from navigator.errors import Conflict, DomainError, attach
from navigator.i18n import _
from navigator.outreach import forms, services
from navigator.outreach.views_base import bp
from navigator.security import role_required

# --- managers: sites --------------------------------------------------------------------------

@bp.route("/programmes/<int:programme_id>/sites", methods=["GET", "POST"])
@role_required("manager", "admin")
def sites(programme_id: int):
    s = db.session()
    programme = accounts.get_programme(s, current_user, programme_id, "manager")
    form = forms.SiteForm()
    if form.validate_on_submit():
        try:
            site = services.add_site(s, current_user, programme_id, form.name.data)
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            flash(_("Site “%(name)s” added.", name=site.name), "success")
            return redirect(url_for("outreach.sites", programme_id=programme_id))
    return render_template("outreach/sites.html", programme=programme, form=form,
                           sites=services.list_sites(s, programme_id))


@bp.route("/sites/<int:site_id>", methods=["GET", "POST"])
@role_required("manager", "admin")
def site(site_id: int):
    s = db.session()
    item = services.get_site(s, current_user, site_id)
    form = forms.SiteEditForm(obj=item)
    if form.validate_on_submit():
        try:
            services.update_site(s, item, name=form.name.data, archived=form.archived.data)
        except DomainError as exc:
            s.rollback()
            attach(form, exc)
        else:
            s.commit()
            flash(_("Site saved."), "success")
            return redirect(url_for("outreach.sites", programme_id=item.programme_id))
    return render_template("outreach/site.html", site=item, form=form,
                           programme=s.get(Programme, item.programme_id))


@bp.post("/sites/<int:site_id>/delete")
@role_required("manager", "admin")
def delete_site(site_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    item = services.get_site(s, current_user, site_id)
    try:
        services.delete_site(s, item)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("outreach.site", site_id=site_id))
    s.commit()
    flash(_("Site deleted."), "success")
    return redirect(url_for("outreach.sites", programme_id=item.programme_id))
