"""Sandbox pages for the transformer and the third training stage.

Attention (which earlier words each head looks at), the navigator's own preference tuning
(pick the better of two answers; reset), and the three training stages side by side. Routes on
the sandbox blueprint (views.py imports this module); every page works without JavaScript.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import format_percent
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from navigator import db
from navigator.errors import DomainError, Invalid, attach
from navigator.i18n import _, _l, language, ngettext
from navigator.sandbox import ratings, services, web
from navigator.sandbox.charts import loss_chart
from navigator.sandbox.forms import REQUIRED, EmptyForm
from navigator.sandbox.scenarios import SOURCE_LOCALE
from navigator.sandbox.services import MAX_PROMPT
from navigator.sandbox.views_base import USERS, _me, _page, bp, generation_limit
from navigator.security import role_required

FEATURE_NAMES = {
    "agrees": _l("agrees"),
    "sure": _l("sounds sure"),
    "hedges": _l("hedges"),
    "disagrees": _l("disagrees"),
    "refers": _l("sends to a professional"),
}
CHECKPOINT_NAMES = {
    "just_trained": _l("Just trained"),
    "best": _l("Best on held-out text"),
    "last": _l("Memorised"),
}
STAGE_NAMES = {
    "pretrained": _l("Pretrained"),
    "instruction": _l("Instruction-tuned"),
    "preference": _l("Preference-tuned"),
}
STANCE_NAMES = {
    "agrees": _l("Agrees"),
    "disagrees": _l("Disagrees"),
    "neither": _l("Neither agrees nor disagrees"),
}
# Upper bounds of the attention shades: below 5 %, 15 %, 30 %, 50 %, 75 %, and the rest.
HEAT = (0.05, 0.15, 0.3, 0.5, 0.75)


class PromptForm(FlaskForm):
    prompt = TextAreaField(_l("Prompt"), render_kw={"rows": 3, "dir": "auto"},
                           validators=[DataRequired(REQUIRED), Length(max=MAX_PROMPT)])


class ChooseForm(FlaskForm):
    round = HiddenField(validators=[InputRequired(REQUIRED)])
    pick = IntegerField(validators=[Optional(), NumberRange(0, 1)])


@bp.app_template_filter("whole_percent")
def _whole_percent(value: float | None) -> str:
    return "" if value is None else format_percent(value, "#,##0%")


@bp.app_template_filter("heat")
def _heat(value: float) -> int:
    """The shade (0 to 5) of an attention share."""
    return next((i for i, high in enumerate(HEAT) if value < high), len(HEAT))


@bp.app_template_filter("feature_name")
def _feature_name(name: str) -> str:
    return str(FEATURE_NAMES.get(name, name))


@bp.app_template_filter("checkpoint_name")
def _checkpoint_name(name: str) -> str:
    return str(CHECKPOINT_NAMES.get(name, name))


@bp.app_template_filter("stage_name")
def _stage_name(name: str) -> str:
    return str(STAGE_NAMES.get(name, name))


@bp.app_template_filter("stance_name")
def _stance_name(name: str) -> str:
    return str(STANCE_NAMES.get(name, name))


@bp.app_template_global("training_chart")
def _training_chart(chart_id: str, log: list, steps_at: dict, title: str) -> Markup:
    """The loss chart of a training log with its checkpoints numbered in training order."""
    marks = sorted(((name, step) for name, step in steps_at.items()), key=lambda m: m[1])
    best = min(log, key=lambda row: row["heldout"]) if log else {"step": 0, "heldout": 0}
    last = log[-1] if log else best
    desc = _("Loss on training text and on held-out text, step by step. The held-out loss is "
             "lowest at step %(best)s (%(loss)s); at the last step, %(step)s, the training "
             "loss is %(train)s and the held-out loss %(held)s.",
             best=best["step"], loss=f"{best['heldout']:.2f}", step=last["step"],
             train=f"{last['train']:.2f}", held=f"{last['heldout']:.2f}")
    return loss_chart(chart_id, title, desc, log, marks, rtl=language(web.locale()).dir == "rtl",
                      axis=(_("steps"), _("loss")))


# --- attention --------------------------------------------------------------------------------

def _attention_scenarios(s, box, pid) -> list:
    return [sc for sc in services.scenarios_for(s, box, pid).values() if sc.kind == "attention"]


@bp.route("/attention", methods=["GET", "POST"])
@generation_limit
@role_required(*USERS)
def attention():
    s, box, loc = db.session(), web.box(), web.locale()
    found = _attention_scenarios(s, box, web.programme_id())
    if not found:
        return redirect(url_for("sandbox.index"))
    probes = []
    for sc in found:
        texts = sc.texts.get(loc) if web.box().networks().language(loc) else None
        texts = texts or sc.texts.get(SOURCE_LOCALE, {})
        probes.extend([texts.get("prompt", ""), *(texts.get("probes") or [])])
    probes = [p for p in dict.fromkeys(probes) if p]
    form = PromptForm()
    prompt = None
    if request.method == "GET":
        chosen = request.args.get("probe", type=int)
        prompt = probes[chosen] if chosen is not None and 0 <= chosen < len(probes) else None
    elif form.validate_on_submit():
        prompt = form.prompt.data.strip()
    result = None
    if not form.errors:
        try:
            result = services.run(services.engine_for(s, box, web.programme_id(), _me()),
                                  found[0], loc, networks=box.networks(),
                                  **({"prompt": prompt} if prompt else {}))
        except DomainError as exc:
            attach(form, exc)
    if result is not None:
        form.prompt.data = result["prompt"]
    return _page("sandbox/attention.html", form=form, r=result, probes=probes,
                 text_language=language(result["model_locale"] if result else SOURCE_LOCALE),
                 crisis=web.crisis(form.prompt.data) if request.method == "POST" else None)


# --- the navigator's own preference tuning ------------------------------------------------------

def _preference_setup():
    """The preference activity, its texts in the page's language, and that language's model."""
    s, box, loc = db.session(), web.box(), web.locale()
    pid = web.programme_id()
    scenario = ratings.preference_scenario(services.scenarios_for(s, box, pid))
    used, texts = scenario.texts_for(loc)
    engine = services.engine_for(s, box, pid, _me())
    return scenario, texts, engine.language(used)


@bp.get("/preferences")
@role_required(*USERS)
def preferences():
    s = db.session()
    scenario, texts, lang = _preference_setup()
    rows = ratings.choices(s, _me(), lang.locale)
    question, answers = ratings.pair(lang, scenario, texts, _me(), len(rows))
    lexicon = ratings.lexicon_of(texts)
    reward = ratings.reward_of(rows, lexicon)
    compared = ratings.three_stages(lang, scenario, texts, texts.get("prompt", ""), rows) \
        if rows else None
    return _page("sandbox/preferences.html", scenario=scenario, texts=texts, rows=rows,
                 question=question, answers=answers, round=len(rows), reward=reward,
                 compared=compared, choose_form=ChooseForm(), reset_form=EmptyForm(),
                 text_language=language(lang.locale))


@bp.post("/preferences/choose")
@generation_limit
@role_required(*USERS)
def choose_answer():
    form = ChooseForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the two answers."), "error")
        return redirect(url_for("sandbox.preferences"))
    s = db.session()
    scenario, texts, lang = _preference_setup()
    try:
        round_no = int(form.round.data)
        pick = int(request.form.get("pick", -1))
        ratings.record(s, lang, scenario, texts, _me(), round_no, pick)
    except (ValueError, DomainError) as exc:
        s.rollback()
        flash(str(exc) if isinstance(exc, DomainError) else _("Choose one of the two answers."),
              "error")
        return redirect(url_for("sandbox.preferences"))
    s.commit()
    done = len(ratings.choices(s, _me(), lang.locale))
    flash(ngettext("Saved. You have made %(num)d choice; your tuned model has learned from it.",
                   "Saved. You have made %(num)d choices; your tuned model has learned from them.",
                   done), "success")
    return redirect(url_for("sandbox.preferences") + "#pair")


@bp.post("/preferences/reset")
@role_required(*USERS)
def reset_preferences():
    if not EmptyForm().validate_on_submit():
        flash(_("Please reload the page and try again."), "error")
        return redirect(url_for("sandbox.preferences"))
    s = db.session()
    _scenario, _texts, lang = _preference_setup()
    removed = ratings.reset(s, _me(), lang.locale)
    s.commit()
    flash(_("Your choices were deleted. Your model is as before preference tuning.") if removed
          else _("You have not made any choices yet."), "success")
    return redirect(url_for("sandbox.preferences"))


# --- the three training stages side by side -----------------------------------------------------

@bp.route("/stages", methods=["GET", "POST"])
@generation_limit
@role_required(*USERS)
def stages():
    s = db.session()
    scenario, texts, lang = _preference_setup()
    form = PromptForm()
    prompt = texts.get("prompt", "")
    if request.method == "POST":
        if form.validate_on_submit():
            prompt = form.prompt.data.strip()
        else:
            prompt = None
    else:
        form.prompt.data = prompt
    result = None
    if prompt:
        rows = ratings.choices(s, _me(), lang.locale)
        try:
            result = ratings.three_stages(lang, scenario, texts, prompt, rows)
        except (ValueError, KeyError) as exc:
            attach(form, Invalid(_("The model cannot run with these settings: %(reason)s",
                                   reason=str(exc)), "prompt"))
    return _page("sandbox/stages.html", form=form, r=result, scenario=scenario,
                 text_language=language(lang.locale),
                 crisis=web.crisis(prompt) if request.method == "POST" else None)


__all__ = ["attention", "choose_answer", "preferences", "reset_preferences", "stages"]
