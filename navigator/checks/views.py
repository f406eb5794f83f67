"""Chatbot check pages: start, the two parts, running probes, submitting, deleting.

The blueprint lives in views_base; views_library (the library and the handout) and views_review
(the trainers' review) add their pages to it when this module imports them.
"""

from __future__ import annotations

import time

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from navigator import db

# The views_* modules are imported for the routes they add to bp.
from navigator.checks import (
    forms,
    runner,
    services,
    views_library,  # noqa: F401
    views_review,  # noqa: F401
)
from navigator.checks.views_base import (
    MEMBERS,
    _act,
    _crisis,
    _locale,
    _page_context,
    _protocol,
    _saved,
    bp,
)
from navigator.errors import DomainError, NotFound, attach
from navigator.i18n import _
from navigator.sandbox import endpoints
from navigator.sandbox.safety import mentions_crisis
from navigator.security import limiter, role_required

# --- a navigator's checks ----------------------------------------------------------------------

@bp.get("/")
@role_required(*MEMBERS)
def index():
    s = db.session()
    proto = _protocol()
    reviews = len(services.review_queue(s, current_user)) \
        if current_user.has_any_role("trainer", "admin") else 0
    return render_template("checks/index.html", checks=services.my_checks(s, current_user),
                           protocol=proto, locale=_locale(), reviews=reviews,
                           can_start=bool(services.author_programmes(s, current_user)))


@bp.route("/new", methods=["GET", "POST"])
@role_required("navigator")
def new():
    s = db.session()
    proto = _protocol()
    programmes = services.author_programmes(s, current_user)
    form = forms.StartForm(programmes=programmes, locales=proto.locales())
    source = None
    from_id = request.values.get("from_check", type=int)
    if from_id is not None:
        source = services.get_check(s, current_user, from_id)
        if source.status != "approved":
            raise NotFound()
    if request.method == "GET":
        mine = _locale() if _locale() in proto.locales() else "en"
        form.locale.data = source.locale if source else mine
        form.second_locale.data = "en" if form.locale.data != "en" else "es"
        if source:
            form.chatbot.data, form.details.data = source.chatbot, source.details
            form.programme.data = str(source.programme_id)
            form.from_check.data = str(source.id)
    elif form.validate_on_submit():
        done = _saved(s, form, lambda: services.start_check(
            s, current_user, proto, programme_id=int(form.programme.data),
            chatbot=form.chatbot.data or "", details=form.details.data or "",
            locale=form.locale.data, second_locale=form.second_locale.data,
            from_check_id=source.id if source else None),
            _("Your check is started. Nothing is shared until you submit it."),
            lambda check: url_for("checks.check", check_id=check.id))
        if done:
            return done
    status = 400 if form.errors else 200
    return render_template("checks/new.html", form=form, source=source,
                           intro=proto.title(_locale())), status


def _targets(s) -> list[tuple[str, str]]:
    """Who can answer automatically: the embedded model, then the administrators' endpoints."""
    found = [(runner.EMBEDDED, _("The platform's own sandbox model (for practice)"))]
    found += [(str(e["id"]), e["name"]) for e in endpoints.enabled_endpoints(s)]
    return found


@bp.get("/<int:check_id>")
@role_required(*MEMBERS)
def check(check_id: int):
    s = db.session()
    proto = _protocol()
    item = services.get_check(s, current_user, check_id)
    context = _page_context(s, proto, item)
    run = forms.RunForm(targets=_targets(s)) if context["editable"] else None
    return render_template("checks/check.html", run=run,
                           watch=forms.WatchForm(watch_for=item.watch_for),
                           button=forms.EmptyForm(), approve=forms.ApproveForm(prefix="approve"),
                           give_back=forms.ReturnForm(prefix="return"), **context)


# --- part 1 -------------------------------------------------------------------------------------

@bp.route("/<int:check_id>/product", methods=["GET", "POST"])
@role_required("navigator")
def product(check_id: int):
    s = db.session()
    proto = _protocol()
    item = services.editable_check(s, current_user, check_id)
    locale = _locale()
    if request.method == "GET":
        stored = services.product_answers(s, item.id)
        data = {}
        for q in proto.questions:
            row = stored.get(q.id)
            if row:
                data.update({f"{q.id}_answer": row.answer, f"{q.id}_source": row.source,
                             f"{q.id}_finding": row.finding or None})
        form = forms.product_form(proto, locale, data=data or None)
    else:
        form = forms.product_form(proto, locale, formdata=request.form)
        if form.validate_on_submit():
            answers = {q.id: services.ProductInput(
                form[f"{q.id}_answer"].data or "", form[f"{q.id}_source"].data or "",
                form[f"{q.id}_finding"].data or "") for q in proto.questions}
            done = _saved(s, form, lambda: services.save_product(
                s, current_user, proto, item.id, answers),
                _("Your answers about the product are saved."),
                lambda _none: url_for("checks.check", check_id=item.id) + "#part-1")
            if done:
                return done
    return render_template("checks/product.html", form=form, check=item, protocol=proto,
                           locale=locale), 400 if form.errors or form.form_errors else 200


# --- part 2 -------------------------------------------------------------------------------------

@bp.route("/<int:check_id>/probes/<probe_id>", methods=["GET", "POST"])
@role_required("navigator")
def probe(check_id: int, probe_id: str):
    s = db.session()
    proto = _protocol()
    item = services.editable_check(s, current_user, check_id)
    found = proto.probe(probe_id)
    if found is None:
        raise NotFound()
    messages = services.messages_of(proto, item, found)
    warning = None
    if request.method == "GET":
        stored = services.probe_answers(s, item.id)
        rated = services.ratings(s, item.id).get(found.id)
        data = {f"answer_{m.key}": stored[(found.id, m.key)].answer
                for m in messages if (found.id, m.key) in stored}
        if rated:
            data.update(rating=rated.rating, note=rated.note)
        form = forms.probe_form(messages, data=data or None)
    else:
        form = forms.probe_form(messages, formdata=request.form)
        if form.validate_on_submit():
            data = services.ProbeInput(
                answers={m.key: form[f"answer_{m.key}"].data or "" for m in messages},
                rating=form.rating.data or "", note=form.note.data or "",
                confirm_personal=bool(form.confirm_personal.data))
            try:
                services.save_probe(s, current_user, proto, item.id, found.id, data)
            except services.PersonalDataWarning as exc:
                s.rollback()
                warning = exc
                form.form_errors.append(exc.message)
            except DomainError as exc:
                s.rollback()
                attach(form, exc)
            else:
                s.commit()
                flash(_("Saved."), "success")
                return redirect(url_for("checks.check", check_id=item.id)
                                + f"#probe-{found.id}")
    answers = services.probe_answers(s, item.id)
    context = {"check": item, "probe": found, "texts": proto.probe_text(found.id, _locale()),
               "messages": messages, "answers": answers, "warning": warning,
               "hints": services.hints_for(proto, item, found, answers),
               "run": forms.RunForm(targets=_targets(s), probe=found.id),
               # Crisis language in what the navigator is about to send: care for them first.
               "crisis": _crisis(item.programme_id)
               if mentions_crisis(*(m.text for m in messages)) else None}
    return render_template("checks/probe.html", form=form, **context), \
        400 if form.errors or form.form_errors else 200


@bp.post("/<int:check_id>/run")
@role_required("navigator")
@limiter.limit("20 per minute")
def run(check_id: int):
    s = db.session()
    proto = _protocol()
    item = services.editable_check(s, current_user, check_id)
    form = forms.RunForm(targets=_targets(s))
    if not form.validate_on_submit():
        abort(400)
    probe_id = form.probe.data or None
    if probe_id and proto.probe(probe_id) is None:
        raise NotFound()
    back = url_for("checks.probe", check_id=item.id, probe_id=probe_id) if probe_id else \
        url_for("checks.check", check_id=item.id) + "#part-2"
    wait = float(current_app.config["MODEL_WAIT_SECONDS"])
    if form.target.data == runner.EMBEDDED:
        from navigator.sandbox import services as sandbox
        from navigator.sandbox import web

        try:
            engine = sandbox.engine_for(s, web.box(), item.programme_id, None)
        except NotFound:
            flash(_("The sandbox model is not available on this server."), "error")
            return redirect(back)
        # Counted from here: training the model on its first use is not the model's answer.
        until = time.monotonic() + wait
        ask, source = runner.embedded_asker(engine, until=until), "navigator-sandbox-tuned"
    else:
        until = time.monotonic() + wait
        endpoint_id = int(form.target.data)
        name = dict(_targets(s)).get(form.target.data, "")
        ask, source = runner.endpoint_asker(s, endpoint_id, current_user.id, until=until), name
    result = runner.run_automatically(s, current_user, proto, item.id, ask, source,
                                        probe_id=probe_id, until=until)
    s.commit()
    if result.answered:
        flash(_("Answers received: %(num)d. Read each one and rate it yourself.",
                num=result.answered), "success")
    if result.error is not None:
        flash(_("The model stopped answering: %(reason)s What was answered is kept; run it "
                "again later for the rest (%(num)d left).",
                reason=endpoints.error_message(result.error), num=result.remaining), "error")
    elif result.out_of_time:
        flash(_("The model was slow, so the rest was not sent yet (%(num)d left). What was "
                "answered is kept: run it again for the rest.", num=result.remaining), "error")
    elif not result.answered:
        flash(_("Every message already has an answer. Remove one to send it again."), "success")
    return redirect(back)


@bp.post("/<int:check_id>/watch")
@role_required("navigator")
def watch(check_id: int):
    s = db.session()
    form = forms.WatchForm()
    if not form.validate_on_submit():
        abort(400)
    services.save_watch_for(s, current_user, check_id, form.watch_for.data or "")
    s.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("checks.check", check_id=check_id) + "#summary")


@bp.post("/<int:check_id>/submit")
@role_required("navigator")
def submit(check_id: int):
    s = db.session()
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    return _act(s, check_id, lambda: services.submit(s, current_user, _protocol(), check_id),
                _("Submitted: a trainer of your programme will review your check."))


@bp.post("/<int:check_id>/delete")
@role_required("navigator")
def delete(check_id: int):
    s = db.session()
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    return _act(s, check_id, lambda: services.delete_draft(s, current_user, check_id),
                _("The draft is deleted, with everything in it."), url_for("checks.index"))
