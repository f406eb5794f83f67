"""Administrators' pages for real models' endpoints: list, add, edit, test, remove."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from navigator import db
from navigator.errors import DomainError, attach
from navigator.i18n import _, _l, ngettext
from navigator.sandbox import endpoints as services
from navigator.sandbox.client import EndpointError
from navigator.security import role_required

bp = Blueprint("sandbox_endpoints", __name__, url_prefix="/admin/llm-endpoints")
REQUIRED = _l("This field is required.")


class EndpointForm(FlaskForm):
    name = StringField(_l("Name"), [DataRequired(REQUIRED), Length(max=80)],
                       description=_l("Shown to navigators beside the model's answers."))
    base_url = StringField(_l("Address (base URL)"), [DataRequired(REQUIRED), Length(max=500)],
                           description=_l("The OpenAI-compatible API, usually ending in /v1: "
                                          "for example http://localhost:11434/v1 for Ollama "
                                          "or http://localhost:8080/v1 for llama.cpp."))
    model = StringField(_l("Model"), [DataRequired(REQUIRED), Length(max=200)],
                        description=_l("The model's name as the service knows it, for "
                                       "example llama3.2."))
    # A PasswordField never sends a stored or typed key back to the browser.
    api_key = PasswordField(_l("API key"), [Optional(), Length(max=500)])
    clear_key = BooleanField(_l("Remove the stored API key"))
    paid = BooleanField(_l("The service charges for each use"),
                        description=_l("Each person can then use it less often."))
    enabled = BooleanField(_l("Navigators can use it in the sandbox"), default=True)


def _save(form: EndpointForm, endpoint=None):
    """Save the form through the service; None (errors attached to the form) when it fails."""
    key = "" if form.clear_key.data else (form.api_key.data or None)
    try:
        return services.save_endpoint(
            db.session(), current_user, endpoint, name=form.name.data,
            base_url=form.base_url.data, model=form.model.data, paid=form.paid.data,
            enabled=form.enabled.data, api_key=key)
    except DomainError as exc:
        attach(form, exc)
        return None


@bp.get("")
@role_required("admin")
def endpoints():
    rows = [(e, bool(e.api_key)) for e in services.list_endpoints(db.session(), current_user)]
    return render_template("sandbox/endpoints.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    form = EndpointForm()
    if form.validate_on_submit() and (endpoint := _save(form)) is not None:
        db.session().commit()
        flash(_("Endpoint added. Test the connection to check its settings."), "success")
        return redirect(url_for(".edit", endpoint_id=endpoint.id))
    form.api_key.description = _("Leave empty if the service needs no key.")
    return render_template("sandbox/endpoint_form.html", form=form, endpoint=None)


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@role_required("admin")
def edit(endpoint_id: int):
    s = db.session()
    endpoint = services.get_endpoint(s, current_user, endpoint_id)
    # Filled field by field, so the stored key never becomes the form's data.
    form = EndpointForm(data={"name": endpoint.name, "base_url": endpoint.base_url,
                              "model": endpoint.model, "paid": endpoint.paid,
                              "enabled": endpoint.enabled})
    if form.validate_on_submit() and _save(form, endpoint) is not None:
        s.commit()
        flash(_("Endpoint saved."), "success")
        return redirect(url_for(".edit", endpoint_id=endpoint_id))
    s.rollback()  # a failed save leaves the stored endpoint (and its key) as it was
    key_set = bool(services.get_endpoint(s, current_user, endpoint_id).api_key)
    form.api_key.description = (_("A key is stored. Type a new one to replace it, or leave "
                                  "this empty to keep it.") if key_set else
                                _("No key is stored. Leave empty if the service needs none."))
    return render_template("sandbox/endpoint_form.html", form=form, endpoint=endpoint,
                           key_set=key_set)


@bp.post("/<int:endpoint_id>/test")
@role_required("admin")
def check(endpoint_id: int):
    try:
        report = services.check_connection(db.session(), current_user, endpoint_id)
    except EndpointError as exc:
        flash(_("The connection failed: %(reason)s", reason=services.error_message(exc)),
              "error")
    else:
        count, model = report["models"], report["model"]
        if report["listed"]:
            flash(ngettext("Connected. The service lists %(num)d model, including %(model)s.",
                           "Connected. The service lists %(num)d models, including %(model)s.",
                           count, model=model), "success")
        else:
            flash(ngettext("Connected, but %(model)s is not the model the service lists: check "
                           "the model's name.",
                           "Connected, but %(model)s is not among the %(num)d models the "
                           "service lists: check the model's name.", count, model=model),
                  "warning")
    return redirect(url_for(".edit", endpoint_id=endpoint_id))


@bp.post("/<int:endpoint_id>/delete")
@role_required("admin")
def delete(endpoint_id: int):
    s = db.session()
    services.delete_endpoint(s, current_user, endpoint_id)
    s.commit()
    flash(_("Endpoint removed, with its key."), "success")
    return redirect(url_for(".endpoints"))
