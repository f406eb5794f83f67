"""Sandbox pages: home, token view, step-through, generation and the activities.

Every page works with plain forms; prompts travel by POST so they never sit in a URL or a log.
The blueprint lives in views_base; the other views_* modules and inside_views add their pages
to it when this module imports them.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, session, url_for
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectChoice

from navigator import db
from navigator.errors import DomainError, attach
from navigator.i18n import _, language

# inside_views and the views_* modules are imported for the routes they add to bp.
from navigator.sandbox import (
    endpoints,
    forms,
    inside_views,  # noqa: F401
    personal,
    prompt_runs,
    saved_runs,
    scenario_runs,
    services,
    views_corpora,  # noqa: F401
    views_manage,  # noqa: F401
    web,
)
from navigator.sandbox.caches import Sandbox
from navigator.sandbox.model.engine import TUNED_MIX
from navigator.sandbox.model.generation import SAMPLING_DEFAULTS, Settings
from navigator.sandbox.scenarios import NETWORK_KINDS, NO_PROMPT_KINDS, SOURCE_LOCALE
from navigator.sandbox.views_base import (
    EDITORS,
    USERS,
    _me,
    _page,
    _saved,
    _set,
    bp,
    generation_limit,
)
from navigator.security import role_required

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
        table = prompt_runs.next_tokens(engine, form.text.data, temperature,
                                        form.mix.data or 0.0, loc)
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

def _fill_run_form(form: forms.ScenarioRunForm, scenario, result: dict) -> None:
    settings = scenario.settings
    form.prompt.data = result.get("prompt") if scenario.kind not in ("bias",) else ""
    form.temperature.data, form.top_k.data = settings.temperature, settings.top_k
    form.top_p.data, form.max_tokens.data = settings.top_p, settings.max_tokens
    form.seed.data, form.stop.data = settings.seed, "\n".join(settings.stop)
    if scenario.kind == "tuning":
        form.mix.data = scenario.mix[len(scenario.mix) // 2] if scenario.mix else TUNED_MIX
    elif scenario_runs.has_mix(scenario):
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
        chosen = form.settings()
        overrides = scenario_runs.run_overrides(chosen, form.prompt.data, form.network.data,
                                                form.mix.data, found,
                                                fresh_seed=prompt_runs.new_seed())
        if "seed" in overrides and "seed" not in chosen:  # show the seed the server chose
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
    return _page("sandbox/scenario.html", s=found, r=result, form=form,
                 has_mix=scenario_runs.has_mix(found),
                 has_network=found.kind in NETWORK_KINDS,
                 own_corpus=own if found.kind == "bias" else None,
                 text_language=language(result["locale"]), bias=bias, real=real,
                 real_error=real_error,
                 real_models=real_models if found.kind not in NO_PROMPT_KINDS else [],
                 crisis=web.crisis(result.get("prompt"), form.prompt.data))
