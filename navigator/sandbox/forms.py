"""Forms for the sandbox: prompts and settings, the step-through, and trainers' edits."""

from flask_wtf import FlaskForm
from wtforms import (
    FloatField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import NumberInput, RangeInput

from navigator.i18n import LANGUAGES, _l
from navigator.sandbox.model.generation import MAX_STOPS, MAX_TEMPERATURE
from navigator.sandbox.scenarios import KINDS
from navigator.sandbox.services import MAX_PROMPT

REQUIRED = _l("This field is required.")
MAX_GENERATED = 200  # tokens per run from a page: enough to see the effect, cheap to compute
KIND_NAMES = {
    "tokens": _l("Token view"),
    "step": _l("Next-token step-through"),
    "generate": _l("Generation"),
    "temperature": _l("Temperature side by side"),
    "bias": _l("Bias probe"),
    "language_gap": _l("Language gap"),
    "memorisation": _l("Memorisation"),
    "tuning": _l("Base versus tuned"),
    "attention": _l("Attention inside a transformer"),
    "training": _l("Training you can watch"),
    "preference": _l("Learning from preferences"),
}


def _number(label, low, high, step, description=None, default=None, required=False):
    return FloatField(label, default=default, description=description,
                      widget=NumberInput(step=step, min=low, max=high),
                      validators=[InputRequired(REQUIRED) if required else Optional(),
                                  NumberRange(low, high, _l("Enter a number from %(min)s to "
                                                            "%(max)s."))])


def _whole(label, low, high, description=None, default=None, required=False):
    return IntegerField(label, default=default, description=description,
                        widget=NumberInput(step=1, min=low, max=high),
                        validators=[InputRequired(REQUIRED) if required else Optional(),
                                    NumberRange(low, high, _l("Enter a whole number from "
                                                              "%(min)s to %(max)s."))])


def _mix(default=None):
    return FloatField(_l("Mixing weight (0 = base model, 1 = tuned examples only)"),
                      default=default, widget=RangeInput(step="0.05", min=0, max=1),
                      validators=[Optional(), NumberRange(0, 1, _l("Enter a number from "
                                                                   "%(min)s to %(max)s."))])


def _prompt(label, required=True, description=None):
    return TextAreaField(label, description=description, render_kw={"rows": 3},
                         validators=[DataRequired(REQUIRED) if required else Optional(),
                                     Length(max=MAX_PROMPT)])


TEMPERATURE_HINT = _l("0 always takes the likeliest token; higher values flatten the choice.")
SEED_HINT = _l("The same seed and settings give the same text. Empty: a new seed each run.")


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ProgrammeForm(FlaskForm):
    """Which programme's model to use, for people in several."""

    programme = SelectField(_l("Programme"), coerce=int, validators=[InputRequired(REQUIRED)])


class TokenForm(FlaskForm):
    text = _prompt(_l("Text to cut into tokens"))


class StepForm(FlaskForm):
    text = _prompt(_l("Text so far"))
    temperature = _number(_l("Temperature"), 0, MAX_TEMPERATURE, "0.1", TEMPERATURE_HINT,
                          default=1.0, required=True)
    mix = _mix(default=0.0)
    seed = _whole(_l("Seed"), 0, 2**31 - 1, SEED_HINT)
    pick = IntegerField(validators=[Optional()])


class RunSettings(FlaskForm):
    """Decoding settings shared by the generation page and scenario runs."""

    temperature = _number(_l("Temperature"), 0, MAX_TEMPERATURE, "0.1", TEMPERATURE_HINT)
    top_k = _whole(_l("Top-k"), 0, 1000, _l("Only the k likeliest tokens; 0 = all."))
    top_p = _number(_l("Top-p"), 0.01, 1, "0.05",
                    _l("Only the likeliest tokens that together reach this probability."))
    max_tokens = _whole(_l("Maximum tokens"), 1, MAX_GENERATED)
    seed = _whole(_l("Seed"), 0, 2**31 - 1, SEED_HINT)
    stop = TextAreaField(_l("Stop sequences"), render_kw={"rows": 2},
                         description=_l("One per line, at most %(n)d: the text ends before "
                                        "any of them.", n=MAX_STOPS),
                         validators=[Optional(), Length(max=250)])

    def settings(self) -> dict:
        """The settings filled in, as the engine names them."""
        out = {name: self[name].data for name in ("temperature", "top_k", "top_p", "max_tokens",
                                                  "seed")
               if self[name].data is not None}
        stops = [s for s in (self.stop.data or "").splitlines() if s]
        if stops:
            out["stop"] = stops
        return out

    def validate_stop(self, field) -> None:
        stops = [s for s in (field.data or "").splitlines() if s]
        if len(stops) > MAX_STOPS or any(len(s) > 50 for s in stops):
            raise ValueError(_l("Use at most %(n)d stop sequences of up to 50 characters.",
                                n=MAX_STOPS))


def _endpoint_field() -> SelectField:
    # Choices are the administrator's enabled endpoints, set by the view; 0 means none.
    return SelectField(_l("Also run it on a real model"), coerce=int, default=0,
                       validate_choice=False,
                       description=_l("The same prompt and settings, sent to a real language "
                                      "model, shown beside the built-in one."))


class GenerateForm(RunSettings):
    prompt = _prompt(_l("Prompt"), description=_l("The model continues this text."))
    mix = _mix(default=0.0)
    endpoint = _endpoint_field()


class ScenarioRunForm(RunSettings):
    """Change an activity's prompt or settings and run it again; empty fields keep its own."""

    prompt = _prompt(_l("Prompt"), required=False)
    mix = _mix()
    endpoint = _endpoint_field()
    network = SelectField(_l("Kind of model"), default="", validators=[Optional()], choices=[
        SelectChoice("", _l("The activity's own")),
        SelectChoice("ngram", _l("n-gram: every word traceable to its training lines")),
        SelectChoice("transformer", _l("Tiny transformer: attention, where its text is large "
                                       "enough"))])


class CorpusForm(FlaskForm):
    text = TextAreaField(_l("Training text"), render_kw={"rows": 20, "dir": "auto"},
                         description=_l("One training sentence per line. Lines starting with # "
                                        "are notes the model does not learn from."))
    base_version = HiddenField()


def language_choices() -> list[SelectChoice]:
    return [SelectChoice(lang.code, lang.native, render_kw={"lang": lang.code.replace("_", "-")})
            for lang in LANGUAGES]


def numbers_field(label, description):
    return StringField(label, description=description, validators=[Optional(), Length(max=200)])


class ScenarioForm(FlaskForm):
    """An activity's settings and its texts in one language."""

    name = StringField(_l("Short name"), validators=[Length(max=60)],
                       description=_l("Lower-case letters, digits and hyphens; used in the "
                                      "address and to embed the activity in a lesson."))
    locale = SelectField(_l("Language of the texts"), choices=language_choices)
    kind = SelectField(_l("Kind of activity"), validators=[InputRequired(REQUIRED)],
                       choices=lambda: [SelectChoice(k, KIND_NAMES[k]) for k in KINDS])
    model = SelectField(_l("Model"), choices=lambda: [
        SelectChoice("base", _l("Base model")), SelectChoice("tuned", _l("Tuned model"))])
    temperature = _number(_l("Temperature"), 0, MAX_TEMPERATURE, "0.1", default=1.0,
                          required=True)
    top_k = _whole(_l("Top-k"), 0, 1000, default=40)
    top_p = _number(_l("Top-p"), 0.01, 1, "0.05", default=1.0)
    max_tokens = _whole(_l("Maximum tokens"), 1, MAX_GENERATED, default=40, required=True)
    seed = _whole(_l("Seed"), 0, 2**31 - 1, SEED_HINT)
    stop = TextAreaField(_l("Stop sequences"), render_kw={"rows": 2},
                         description=_l("One per line."), validators=[Optional(), Length(max=250)])
    temperatures = numbers_field(_l("Temperatures to compare"),
                                 _l("For “temperature side by side”: numbers from 0 to 2, "
                                    "separated by commas."))
    mix = numbers_field(_l("Mixing weights to compare"),
                        _l("For “base versus tuned”: numbers from 0 to 1, separated by commas."))
    title = StringField(_l("Title"), validators=[Length(max=200)])
    prompt = TextAreaField(_l("Prompt"), render_kw={"rows": 3},
                           validators=[Length(max=MAX_PROMPT)])
    notice = TextAreaField(_l("What to notice"), render_kw={"rows": 3},
                           validators=[Length(max=4000)])
    explanation = TextAreaField(_l("Explanation"), render_kw={"rows": 5},
                                validators=[Length(max=4000)])
    reflect = TextAreaField(_l("Question to reflect on"), render_kw={"rows": 2},
                            validators=[Length(max=4000)])
    template = StringField(_l("Sentence with a {group} slot"), validators=[Length(max=300)],
                           description=_l("Bias probe only: the group word is put in place of "
                                          "{group}."))
    groups = TextAreaField(_l("Groups"), render_kw={"rows": 3}, validators=[Length(max=1000)],
                           description=_l("Bias probe only: one per line, e.g. “a: younger”."))
    word_sets = TextAreaField(_l("Word sets"), render_kw={"rows": 3},
                              validators=[Length(max=2000)],
                              description=_l("Bias probe only: one set per line, e.g. “warm: "
                                             "kindly, gently”. The first set is the one "
                                             "compared."))
    samples = TextAreaField(_l("The same sentence in several languages"), render_kw={"rows": 4},
                            validators=[Length(max=4000)],
                            description=_l("Token view only: one per line, e.g. “en: Sleep "
                                           "matters.”, using language codes (en, es, pt_BR, fr, "
                                           "ar, sw, hi)."))
    base_version = HiddenField()

    def numbers(self, name: str, high: float) -> list[float]:
        """A comma-separated list of numbers from 0 to high; ValueError names the problem."""
        raw = (self[name].data or "").replace(";", ",")
        out = []
        for part in (p.strip() for p in raw.split(",")):
            if not part:
                continue
            try:
                value = float(part)
            except ValueError:
                raise ValueError(str(_l("“%(value)s” is not a number.", value=part))) from None
            if not 0 <= value <= high:
                raise ValueError(str(_l("Use numbers from 0 to %(max)s.", max=high)))
            out.append(value)
        return out
