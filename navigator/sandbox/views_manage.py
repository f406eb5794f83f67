"""Sandbox pages where trainers edit a programme's corpora and activities."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from navigator import db
from navigator.errors import DomainError, Invalid, attach
from navigator.i18n import LANGUAGES, _, language
from navigator.sandbox import edits, forms, services, web
from navigator.sandbox.scenarios import INSIDE_KINDS, SOURCE_LOCALE
from navigator.sandbox.views_base import EDITORS, _me, _page, _show_programme, bp, corpus_title
from navigator.security import role_required

# --- trainers: corpora and activities per programme ---------------------------------------------

@bp.get("/programmes/<int:programme_id>/manage")
@role_required(*EDITORS)
def manage(programme_id: int):
    s, box, loc = db.session(), web.box(), web.locale()
    programme = edits.editable_programme(s, current_user, programme_id)
    corpora = services.corpora_in_force(s, box, programme.id)
    latest = services.latest_corpus_edits(s, programme.id)
    rows = [{"name": c.name, "locale": c.locale, "lines": len(c.lines),
             "title": corpus_title(c.datasheet, c.name), "edit": latest.get((c.name, c.locale))}
            for c in corpora]
    present = {(c.name, c.locale) for c in corpora}
    missing = {name: [lang for lang in LANGUAGES if (name, lang.code) not in present]
               for name in services.shipped_corpus_names(box)}
    scenarios = services.scenario_list(services.scenarios_for(s, box, programme.id), loc)
    return _page("sandbox/manage.html", managed=programme, corpora=rows, missing=missing,
                 scenarios=scenarios, status=edits.scenario_status(s, box, programme.id),
                 bias=services.bias_comparison(s, box, programme.id, loc))


@bp.route("/programmes/<int:programme_id>/corpora/<corpus>/<locale>", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_corpus(programme_id: int, corpus: str, locale: str):
    s, box, loc = db.session(), web.box(), web.locale()
    programme = edits.editable_programme(s, current_user, programme_id)
    view = services.corpus_view(s, box, programme.id, corpus, locale, allow_new=True)
    form = forms.CorpusForm()
    current = view.edit.version if view.edit else 0
    if form.validate_on_submit():
        try:
            base = int(form.base_version.data or 0)
        except ValueError:
            base = -1
        try:
            row = edits.save_corpus(s, box, _me(), programme.id, corpus, locale,
                                    form.text.data or "", base)
        except DomainError as exc:
            attach(form, exc)
        else:
            s.commit()
            _show_programme(programme.id)
            flash(_("Saved as version %(n)d. The programme's model now learns from this text.",
                    n=row.version), "success")
            return redirect(url_for("sandbox.edit_corpus", programme_id=programme.id,
                                    corpus=corpus, locale=locale))
    elif request.method == "GET":
        form.text.data = services.corpus_text(view, box)
        form.base_version.data = str(current)
    return _page("sandbox/edit_corpus.html", managed=programme, view=view, form=form,
                 reset_form=forms.EmptyForm(),
                 history=edits.corpus_history(s, programme.id, corpus, locale),
                 bias=services.bias_comparison(s, box, programme.id, loc),
                 text_language=language(locale))


@bp.post("/programmes/<int:programme_id>/corpora/<corpus>/<locale>/reset")
@role_required(*EDITORS)
def reset_corpus(programme_id: int, corpus: str, locale: str):
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    s = db.session()
    programme = edits.editable_programme(s, current_user, programme_id)
    row = edits.reset_corpus(s, web.box(), _me(), programme.id, corpus, locale)
    s.commit()
    _show_programme(programme.id)
    flash(_("The shipped text is in force again. Earlier versions are kept.") if row else
          _("This corpus already uses the shipped text."), "success")
    return redirect(url_for("sandbox.edit_corpus", programme_id=programme.id, corpus=corpus,
                            locale=locale))


def _fill_scenario_form(form: forms.ScenarioForm, document: dict, locale: str) -> None:
    base = document.get("base") or {}
    settings = base.get("settings") or {}
    texts = (document.get("texts") or {}).get(locale) or {}
    form.kind.data, form.model.data = base.get("kind"), base.get("model", "base")
    for name in ("temperature", "top_k", "top_p", "max_tokens", "seed"):
        if name in settings:
            form[name].data = settings[name]
    form.stop.data = "\n".join(settings.get("stop") or [])
    form.temperatures.data = ", ".join(f"{v:g}" for v in base.get("temperatures") or [])
    form.mix.data = ", ".join(f"{v:g}" for v in base.get("mix") or [])
    for name in ("title", "prompt", "notice", "explanation", "reflect", "template"):
        form[name].data = texts.get(name, "")
    form.groups.data = edits.format_pairs(texts.get("groups"))
    form.word_sets.data = edits.format_pairs(texts.get("word_sets"))
    form.samples.data = edits.format_pairs(texts.get("samples"))


def _scenario_input(form: forms.ScenarioForm) -> tuple[dict, dict]:
    """The document's base and texts from the form; Invalid names the field at fault."""
    lists = {}
    for name, high in (("temperatures", 2.0), ("mix", 1.0)):
        try:
            lists[name] = form.numbers(name, high)
        except ValueError as exc:
            raise Invalid(str(exc), name) from None
    settings = {name: form[name].data for name in ("temperature", "top_k", "top_p", "max_tokens",
                                                   "seed")}
    settings["stop"] = [line for line in (form.stop.data or "").splitlines() if line]
    base = edits.settings_base(form.kind.data, form.model.data, settings, lists["temperatures"],
                               lists["mix"])
    texts = {name: (form[name].data or "").strip()
             for name in ("title", "prompt", "notice", "explanation", "reflect", "template")}
    texts["groups"] = edits.parse_pairs(form.groups.data or "", "groups")
    texts["word_sets"] = {k: [w.strip() for w in v.split(",") if w.strip()]
                          for k, v in edits.parse_pairs(form.word_sets.data or "",
                                                        "word_sets").items()}
    texts["samples"] = edits.parse_pairs(form.samples.data or "", "samples")
    return base, texts


def _save_scenario_form(form, programme, name: str, locale: str, creating: bool):
    """Check and store the form; the redirect on success, None when the form shows errors."""
    s, box = db.session(), web.box()
    try:
        base, texts = _scenario_input(form)
        base_version = int(form.base_version.data or 0)
        row = edits.save_scenario(s, box, _me(), programme.id, name, base=base, locale=locale,
                                  texts=texts, base_version=base_version, creating=creating)
    except edits.EditProblems as exc:
        for field, message in exc.problems:
            attach(form, Invalid(message, field))
        return None
    except DomainError as exc:
        attach(form, exc)
        return None
    except ValueError:
        attach(form, Invalid(_("Please reload the page and try again.")))
        return None
    s.commit()
    _show_programme(programme.id)
    flash(_("Saved as version %(n)d.", n=row.version), "success")
    return redirect(url_for("sandbox.edit_scenario", programme_id=programme.id, name=name,
                            locale=locale))


@bp.route("/programmes/<int:programme_id>/scenarios/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def new_scenario(programme_id: int):
    programme = edits.editable_programme(db.session(), current_user, programme_id)
    form = forms.ScenarioForm()
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        done = _save_scenario_form(form, programme, name, SOURCE_LOCALE, creating=True)
        if done is not None:
            return done
    elif request.method == "GET":
        form.kind.data, form.model.data, form.base_version.data = "generate", "base", "0"
    form.locale.data = SOURCE_LOCALE
    return _page("sandbox/edit_scenario.html", managed=programme, form=form, name=None,
                 creating=True, locale=SOURCE_LOCALE, reset_form=forms.EmptyForm())


@bp.route("/programmes/<int:programme_id>/scenarios/<name>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_scenario(programme_id: int, name: str):
    s, box = db.session(), web.box()
    programme = edits.editable_programme(s, current_user, programme_id)
    document, version = edits.scenario_document(s, box, programme.id, name)
    if (document.get("base") or {}).get("kind") in INSIDE_KINDS:
        # Their texts hold word lists and probes the form has no fields for.
        flash(_("This activity is edited in the course package, not here."), "error")
        return redirect(url_for("sandbox.manage", programme_id=programme.id))
    locale = request.values.get("locale", SOURCE_LOCALE)
    if locale not in {lang.code for lang in LANGUAGES}:
        locale = SOURCE_LOCALE
    form = forms.ScenarioForm()
    if form.validate_on_submit():
        done = _save_scenario_form(form, programme, name, locale, creating=False)
        if done is not None:
            return done
    elif request.method == "GET":
        _fill_scenario_form(form, document, locale)
        form.base_version.data = str(version)
    form.locale.data = locale
    status = edits.scenario_status(s, box, programme.id).get(name, "shipped")
    return _page("sandbox/edit_scenario.html", managed=programme, form=form, name=name,
                 creating=False, locale=locale, status=status, version=version,
                 has_texts=locale in (document.get("texts") or {}),
                 reset_form=forms.EmptyForm())


@bp.post("/programmes/<int:programme_id>/scenarios/<name>/reset")
@role_required(*EDITORS)
def reset_scenario(programme_id: int, name: str):
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    s, box = db.session(), web.box()
    programme = edits.editable_programme(s, current_user, programme_id)
    row = edits.reset_scenario(s, box, _me(), programme.id, name)
    s.commit()
    _show_programme(programme.id)
    if name in box.shipped_scenarios():
        flash(_("The shipped activity is in force again. Earlier versions are kept.") if row
              else _("This activity is already as shipped."), "success")
        return redirect(url_for("sandbox.edit_scenario", programme_id=programme.id, name=name))
    flash(_("The activity was removed. Earlier versions are kept."), "success")
    return redirect(url_for("sandbox.manage", programme_id=programme.id))
