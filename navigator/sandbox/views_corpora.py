"""Sandbox pages for training texts and saved runs: a navigator's own copy, a corpus, runs."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from navigator import db, markdown
from navigator.errors import DomainError, attach
from navigator.i18n import _, language, ngettext
from navigator.sandbox import forms, personal, saved_runs, services, web
from navigator.sandbox.scenarios import SOURCE_LOCALE
from navigator.sandbox.views_base import USERS, _me, _page, bp
from navigator.security import role_required

LINES_PER_PAGE = 200


# --- a navigator's own copy of a training text --------------------------------------------------

def _bias_groups(locale: str) -> dict:
    """The two groups the bias activity swaps in a locale (its English ones if it has none)."""
    scenarios = services.scenarios_for(db.session(), web.box(), web.programme_id())
    for found in scenarios.values():
        if found.kind == "bias":
            texts = found.texts.get(locale) or {}
            if "groups" not in texts:
                texts = found.texts.get(SOURCE_LOCALE) or {}
            return dict(texts.get("groups") or {})
    return {}


@bp.route("/my-corpora/<corpus>/<locale>", methods=["GET", "POST"])
@role_required(*USERS)
def my_corpus(corpus: str, locale: str):
    s, box = db.session(), web.box()
    pid, me = web.programme_id(), _me()
    text, version, mine = personal.personal_text(s, box, pid, me, corpus, locale)
    form = forms.CorpusForm()
    action = request.form.get("action")
    if form.validate_on_submit():
        try:
            base = int(form.base_version.data or 0)
        except ValueError:
            base = -1
        try:
            if action == "reset":
                row = personal.reset_copy(s, box, me, corpus, locale)
                message = _("Your sandbox uses the programme's text again. Your versions are "
                            "kept.")
            else:
                typed, added = form.text.data or "", 0
                if action == "balance":
                    typed, added = personal.balance(typed, _bias_groups(locale))
                row = personal.save_copy(s, box, me, corpus, locale, typed, base)
                message = ngettext(
                    "Added %(num)d sentence and retrained your model. Compare the gap below.",
                    "Added %(num)d sentences and retrained your model. Compare the gap below.",
                    added) if action == "balance" else _("Saved. Your model now learns from "
                                                          "your copy.")
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            flash(message if row is not None else _("Your sandbox already uses the programme's "
                                                    "text."), "success")
            return redirect(url_for("sandbox.my_corpus", corpus=corpus, locale=locale))
    elif request.method == "GET":
        form.text.data = text
        form.base_version.data = str(version)
    bias_name = next((n for n, sc in services.scenarios_for(s, box, pid).items()
                      if sc.kind == "bias"), None)
    return _page("sandbox/my_corpus.html", form=form, corpus=corpus, locale=locale, mine=mine,
                 version=version, bias_name=bias_name, text_language=language(locale),
                 bias=services.bias_comparison(s, box, pid, web.locale(), me))


# --- corpora ------------------------------------------------------------------------------------

@bp.get("/corpora/<corpus>/<locale>")
@role_required(*USERS)
def corpus(corpus: str, locale: str):
    s, box = db.session(), web.box()
    view = services.corpus_view(s, box, web.programme_id(), corpus, locale)
    lines = view.corpus.lines
    line = request.args.get("line", type=int)
    page = request.args.get("page", type=int) or 1
    if line is not None:
        index = next((i for i, ln in enumerate(lines) if ln.number >= line), 0)
        page = index // LINES_PER_PAGE + 1
    pages = max(1, -(-len(lines) // LINES_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = lines[(page - 1) * LINES_PER_PAGE: page * LINES_PER_PAGE]
    return _page("sandbox/corpus.html", view=view, lines=shown, page=page, pages=pages,
                 line=line, prose=markdown.render(view.prose), text_language=language(locale))


# --- saved runs ---------------------------------------------------------------------------------

@bp.get("/runs")
@role_required(*USERS)
def runs():
    return _page("sandbox/runs.html", runs=saved_runs.list_runs(db.session(), _me()),
                 form=forms.EmptyForm())


@bp.get("/runs/<int:run_id>")
@role_required(*USERS)
def saved_run(run_id: int):
    row = saved_runs.get_run(db.session(), _me(), run_id)
    return _page("sandbox/run.html", row=row, r=row.result)


@bp.post("/runs/<int:run_id>/delete")
@role_required(*USERS)
def delete_run(run_id: int):
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    saved_runs.delete_run(s, _me(), run_id)
    s.commit()
    flash(_("The saved run was deleted."), "success")
    return redirect(url_for("sandbox.runs"))
