"""Sandbox pages: activities, token view, step-through, generation, corpora, saved runs, editing.

Every page works with plain forms; prompts travel by POST so they never sit in a URL or a log.
"""

from __future__ import annotations

import math
from functools import lru_cache

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
from flask_babel import format_percent
from flask_limiter.util import get_remote_address
from flask_login import current_user
from markdown_it import MarkdownIt
from markupsafe import Markup
from wtforms import SelectChoice

from navigator import db
from navigator.errors import DomainError, Invalid, attach
from navigator.i18n import CODES, LANGUAGES, _, _l, language, ngettext
from navigator.sandbox import (
    edits,
    endpoints,
    forms,
    personal,
    prompt_runs,
    saved_runs,
    services,
    web,
)
from navigator.sandbox.caches import Sandbox
from navigator.sandbox.embed import lesson_embed
from navigator.sandbox.model.engine import TUNED_MIX
from navigator.sandbox.model.generation import SAMPLING_DEFAULTS, Settings
from navigator.sandbox.model.tokenizer import visible
from navigator.sandbox.scenarios import (
    INSIDE_KINDS,
    NETWORK_KINDS,
    NO_PROMPT_KINDS,
    SOURCE_LOCALE,
)
from navigator.security import limiter, role_required

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")

USERS = ("navigator", "trainer", "manager", "admin")
EDITORS = ("trainer", "manager", "admin")
# The learning capability reads this extension to embed activities in lessons.
EMBED_EXTENSION = "navigator.sandbox.embed"
LINES_PER_PAGE = 200


@bp.record_once
def _offer_embeds(state) -> None:
    state.app.extensions[EMBED_EXTENSION] = lesson_embed


@bp.app_template_filter("token_text")
def _token_text(piece: str) -> str:
    return visible(piece)


@bp.app_template_filter("percent")
def _percent(value: float | None, digits: int = 1) -> str:
    """A share as the locale writes a percentage, with `digits` decimals (one by default)."""
    return "" if value is None else format_percent(value, "#,##0." + "0" * digits + "%")


def _numbers(values) -> list[float]:
    if isinstance(values, dict):
        values = values.values()
    if isinstance(values, (int, float)):
        return [float(values)]
    return [n for v in values for n in _numbers(v)]


@bp.app_template_filter("percent_digits")
def _percent_digits(values) -> int:
    """One precision for a whole table of shares (nested lists and dicts of them): enough
    decimals for two significant digits of its smallest non-zero share, one to four."""
    smallest = min((abs(n) for n in _numbers(values) if n), default=1.0)
    return max(1, min(4, 1 - math.floor(math.log10(smallest * 100))))


# The shipped corpora's datasheet titles and the bias probe's word sets, written here so that
# they are extracted for translation. A title or set name the catalogue does not know (an
# edited datasheet, another package) is shown as written.
CORPUS_TITLES = (_l("Health: general health and mental-health text"),
                 _l("Instructions: example questions with careful answers"),
                 _l("Records: fictional patient records planted to show memorisation"),
                 _l("Skewed: patients, clinicians and technology, with deliberate bias"))
WORD_SETS = (_l("warm"), _l("cold"))


@bp.app_template_filter("corpus_title")
def corpus_title(datasheet: dict, name: str = "") -> str:
    """A corpus's datasheet title in the reader's language, where the catalogue has it."""
    title = str(datasheet.get("title") or "")
    return _(title) if title else name


@bp.app_template_filter("word_set")
def _word_set(name: str) -> str:
    return _(name) if name else name


@bp.app_template_global("page_direction")
def _page_direction() -> str:
    """'rtl' or 'ltr': for macros imported without the page's context (the bias chart)."""
    return language(web.locale()).dir


@bp.app_template_filter("language_name")
def _language_name(code: str) -> str:
    return language(code).native if code in CODES else code


@bp.app_template_filter("sandbox_segments")
def _segments(generation: dict) -> list[dict]:
    return prompt_runs.segments(generation)


def _user_key() -> str:
    """Rate limits count per person, wherever they connect from.

    The id comes from the signed session cookie rather than the database: loading the user
    here would open the request's write transaction before the limiter writes its counter.
    """
    ident = str(session.get("_user_id", "")).partition(".")[0]
    return f"sandbox:{ident}" if ident.isdigit() else get_remote_address()


# One budget for every page that runs the model, per person.
generation_limit = limiter.shared_limit(
    lambda: current_app.config["SANDBOX_RATE_LIMIT"], scope="sandbox-runs",
    key_func=_user_key, methods=["POST"])


def _me() -> int:
    return current_user.user.id


def _set(field, value) -> None:
    """Show a value the server chose (e.g. a seed) in a field that was posted."""
    field.data = value
    field.raw_data = None


def _page(template: str, **context):
    """A sandbox page with what every sandbox page shows."""
    context.setdefault("crisis", None)
    context.setdefault("programme", web.programme())
    return render_template(template, **context)


def _saved(row) -> object:
    flash(_("Saved. Only you can see your saved runs."), "success")
    return redirect(url_for("sandbox.saved_run", run_id=row.id))


# --- home and programme -------------------------------------------------------------------------

@bp.get("/")
@role_required(*USERS)
def index():
    s, box = db.session(), web.box()
    # The person's programmes first: the one chosen among them is then read without a query.
    mine = services.programmes_of(s, current_user)
    programme = web.programme()
    pid = programme.id if programme else None
    form = None  # a choice only for people in several programmes (it costs a CSRF token)
    if len(mine) > 1:
        form = forms.ProgrammeForm(programme=pid)
        form.programme.choices = [forms.SelectChoice(p.id, p.name) for p in mine]
    editable = services.programmes_in_role(current_user, mine, "trainer", "manager")
    if not current_user.has_any_role(*EDITORS):
        editable = []
    return _page("sandbox/index.html", form=form, programmes=mine, programme=programme,
                 editable=editable, overview=_overview(s, box, pid))


def _overview(s, box: Sandbox, pid: int | None) -> Markup:
    """The programme's part of the home page, rendered once per services.overview_key().

    It holds nothing personal (no form, no name), so everyone in the programme shares it;
    links are relative to the app's root, which is part of the key.
    """
    loc = web.locale()
    key = services.overview_key(s, box, pid, loc)
    return box.derived(("overview.html", request.script_root, key), lambda: Markup(
        render_template("sandbox/_overview.html", kind_names=forms.KIND_NAMES,
                        **services.overview(s, box, pid, loc, key))))


@bp.post("/programme")
@role_required(*USERS)
def choose_programme():
    s = db.session()
    form = forms.ProgrammeForm()
    form.programme.choices = [forms.SelectChoice(p.id, p.name)
                              for p in services.programmes_of(s, current_user)]
    if not form.validate_on_submit():
        abort(400)
    session[web.CHOSEN] = form.programme.data
    return redirect(url_for("sandbox.index"))


# --- tools ---------------------------------------------------------------------------------------

@bp.route("/tokens", methods=["GET", "POST"])
@generation_limit
@role_required(*USERS)
def tokens():
    s, box, loc = db.session(), web.box(), web.locale()
    samples = prompt_runs.sample_sentences(services.scenarios_for(s, box, web.programme_id()), loc)
    form = forms.TokenForm()
    if request.method == "GET":
        form.text.data = samples.get(loc) or samples.get(SOURCE_LOCALE, "")
    result = None
    if (request.method == "GET" and form.text.data) or form.validate_on_submit():
        result = prompt_runs.token_view(web.engine(), form.text.data, samples)
    return _page("sandbox/tokens.html", form=form, result=result,
                 crisis=web.crisis(form.text.data) if request.method == "POST" else None)


@bp.route("/step", methods=["GET", "POST"])
@generation_limit
@role_required(*USERS)
def step():
    s, box, loc = db.session(), web.box(), web.locale()
    engine = web.engine()
    form = forms.StepForm()
    note, table = None, None
    if request.method == "GET":
        example = next((sc for sc in services.scenarios_for(s, box, web.programme_id()).values()
                        if sc.kind == "step"), None)
        form.text.data = example.texts_for(loc)[1].get("prompt", "") if example else ""
    elif form.validate_on_submit():
        text, mix = form.text.data, form.mix.data or 0.0
        try:
            if form.pick.data is not None:
                piece = prompt_runs.piece_of(engine, text, form.pick.data, loc)
                note = None if piece is not None else _("The model would end the text here.")
                text += piece or ""
            elif request.form.get("action") == "sample":
                seed = form.seed.data if form.seed.data is not None else prompt_runs.new_seed()
                piece = prompt_runs.sample_next(engine, text, form.temperature.data, mix, seed,
                                             loc)
                note = None if piece is not None else _("The model chose to end the text here.")
                text += piece or ""
                _set(form.seed, (seed + 1) % 2**31)
        except DomainError as exc:
            attach(form, exc)
        _set(form.text, text[: services.MAX_PROMPT])
    if form.text.data and not form.errors:
        temperature = form.temperature.data if form.temperature.data is not None else 1.0
        table = prompt_runs.next_tokens(engine, form.text.data, temperature, form.mix.data or 0.0,
                                     loc)
    return _page("sandbox/step.html", form=form, table=table, note=note,
                 crisis=web.crisis(form.text.data) if request.method == "POST" else None)


@bp.route("/generate", methods=["GET", "POST"])
@generation_limit
@role_required(*USERS)
def generate():
    form = forms.GenerateForm()
    real_models = _real_model_choices(form)
    result = real = real_error = None
    if request.method == "GET":
        defaults = SAMPLING_DEFAULTS
        form.temperature.data, form.top_k.data = defaults["temperature"], defaults["top_k"]
        form.top_p.data = defaults["top_p"]
        form.max_tokens.data = 40
    elif form.validate_on_submit():
        settings = form.settings()
        if "seed" not in settings:
            settings["seed"] = prompt_runs.new_seed()
            _set(form.seed, settings["seed"])
        try:
            result = prompt_runs.generation(web.engine(), form.prompt.data, settings,
                                         form.mix.data or 0.0, web.locale())
            if request.form.get("action") == "save":
                row = saved_runs.save_run(db.session(), _me(), kind="generate", scenario="",
                                        title=_("Generation"), prompt=form.prompt.data,
                                        settings={**settings, "mix": form.mix.data or 0.0},
                                        result=result)
                db.session().commit()
                return _saved(row)
        except DomainError as exc:
            attach(form, exc)
            result = None
        if result is not None and form.endpoint.data:
            real, real_error = _run_real(form.endpoint.data, form.prompt.data, settings)
    return _page("sandbox/generate.html", form=form, result=result, real=real,
                 real_error=real_error, real_models=real_models,
                 crisis=web.crisis(form.prompt.data) if request.method == "POST" else None)


def _real_model_choices(form) -> list[dict]:
    """Offer the administrator's enabled real models on a run form; the list, for the page."""
    real_models = endpoints.enabled_endpoints(db.session())
    form.endpoint.choices = [SelectChoice(0, _("No, only the built-in model"))] + [
        SelectChoice(e["id"], f'{e["name"]} ({e["model"]})') for e in real_models]
    return real_models


def _run_real(endpoint_id: int, prompt: str, settings: dict) -> tuple[dict | None, str | None]:
    """The same prompt on the chosen real model; when it fails, a message, never a 500."""
    try:
        return endpoints.run_on_endpoint(
            db.session(), endpoint_id, prompt, Settings.from_mapping(settings),
            user_id=current_user.id), None
    except endpoints.EndpointError as exc:
        return None, endpoints.error_message(exc)
    except DomainError:
        return None, _("That model is not available any more. Choose another one.")


# --- activities ---------------------------------------------------------------------------------

def _run_overrides(form: forms.ScenarioRunForm, scenario) -> dict:
    overrides = form.settings()
    if scenario.kind == "temperature":
        overrides.pop("temperature", None)
    if (form.prompt.data or "").strip() and scenario.kind not in NO_PROMPT_KINDS:
        overrides["prompt"] = form.prompt.data.strip()
    elif scenario.kind == "tokens" and (form.prompt.data or "").strip():
        overrides["prompt"] = form.prompt.data.strip()
    if form.network.data and scenario.kind in NETWORK_KINDS:
        overrides["network"] = form.network.data
    if form.mix.data is not None and _has_mix(scenario):
        weight = round(float(form.mix.data), 2)
        overrides["mix"] = (sorted({*scenario.mix, weight}) if scenario.kind == "tuning"
                            else weight)
    return overrides


def _has_mix(scenario) -> bool:
    return scenario.kind == "tuning" or scenario.model == "tuned"


def _fill_run_form(form: forms.ScenarioRunForm, scenario, result: dict) -> None:
    settings = scenario.settings
    form.prompt.data = result.get("prompt") if scenario.kind not in ("bias",) else ""
    form.temperature.data, form.top_k.data = settings.temperature, settings.top_k
    form.top_p.data, form.max_tokens.data = settings.top_p, settings.max_tokens
    form.seed.data, form.stop.data = settings.seed, "\n".join(settings.stop)
    if scenario.kind == "tuning":
        form.mix.data = scenario.mix[len(scenario.mix) // 2] if scenario.mix else TUNED_MIX
    elif _has_mix(scenario):
        form.mix.data = services.default_mix(scenario)


@bp.route("/scenarios/<name>", methods=["GET", "POST"])
@generation_limit
@role_required(*USERS)
def scenario(name: str):
    s, box, loc = db.session(), web.box(), web.locale()
    pid = web.programme_id()
    found = services.scenario_for(s, box, pid, name)
    engine = services.engine_for(s, box, pid, _me())
    form = forms.ScenarioRunForm()
    real_models = _real_model_choices(form)
    result = real = real_error = None
    if request.method == "POST" and form.validate_on_submit():
        overrides = _run_overrides(form, found)
        if found.settings.seed is None and "seed" not in overrides:
            overrides["seed"] = prompt_runs.new_seed()
            _set(form.seed, overrides["seed"])
        try:
            result = services.run(engine, found, loc, networks=box.networks(), **overrides)
            if request.form.get("action") == "save":
                row = saved_runs.save_run(s, _me(), kind=found.kind, scenario=name,
                                        title=result.get("title") or name,
                                        prompt=result.get("prompt", ""),
                                        settings=result.get("settings", {}), result=result)
                s.commit()
                return _saved(row)
        except DomainError as exc:
            attach(form, exc)
        if result is not None and form.endpoint.data and result.get("prompt"):
            real, real_error = _run_real(form.endpoint.data, result["prompt"],
                                         result.get("settings") or {})
    if result is None:
        result = services.example_run(box, engine, found, loc)
        if request.method == "GET":
            _fill_run_form(form, found, result)
    bias = services.bias_comparison(s, box, pid, loc, _me()) if found.kind == "bias" else []
    own = (personal.PERSONAL_CORPORA[0], result.get("model_locale") or loc)
    return _page("sandbox/scenario.html", s=found, r=result, form=form, has_mix=_has_mix(found),
                 has_network=found.kind in NETWORK_KINDS,
                 own_corpus=own if found.kind == "bias" else None,
                 text_language=language(result["locale"]), bias=bias, real=real,
                 real_error=real_error,
                 real_models=real_models if found.kind not in NO_PROMPT_KINDS else [],
                 crisis=web.crisis(result.get("prompt"), form.prompt.data))


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

@lru_cache(maxsize=32)
def _markdown(text: str) -> Markup:
    """Datasheet prose from the course package, rendered with raw HTML off."""
    return Markup(MarkdownIt("commonmark", {"html": False}).render(text))


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
                 line=line, prose=_markdown(view.prose), text_language=language(locale))


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


# --- trainers: corpora and activities per programme ---------------------------------------------

def _show_programme(programme_id: int) -> None:
    """After an edit, the editor sees that programme's model on the sandbox pages."""
    session[web.CHOSEN] = programme_id


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


# The transformer's and the third training stage's pages add their routes to bp.
from navigator.sandbox import inside_views  # noqa: E402, F401
