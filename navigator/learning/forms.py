"""Forms for the navigator's pages: quiz answers, buttons, and the PDF download."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, InputRequired, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from navigator.i18n import LANGUAGES, _l
from navigator.learning.study import Question


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes, for questions with several right answers."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class QuizForm(FlaskForm):
    """One attempt's answers; the questions are added per attempt by quiz_form()."""

    attempt_key = HiddenField(validators=[DataRequired()])

    def answers(self) -> dict[str, list[str]]:
        """Question id → the option ids chosen."""
        result = {}
        for qid, name in self.question_fields.items():
            data = self[name].data
            result[qid] = list(data) if isinstance(data, list) else [data] if data else []
        return result


def _chosen(message):
    """At least one box ticked; unlike DataRequired, no `required` on every checkbox."""

    def check(_form, field):
        if not field.data:
            raise StopValidation(str(message))

    return check


def field_name(index: int) -> str:
    """The field of the quiz's question at `index`: question ids are the author's, so field
    names stay plain (q0, q1…)."""
    return f"q{index}"


def blank_quiz_form(attempt_key: str) -> QuizForm:
    """The form of a quiz nobody has answered yet: its token and attempt key only. Its
    questions are drawn blank (learning.quiz_page), with no field objects to build."""
    form = QuizForm()
    form.attempt_key.data = attempt_key
    return form


def quiz_form(shown: list[Question], attempt_key: str | None = None) -> QuizForm:
    """A form with a field per question, options in the attempt's order; no answer key."""

    class Form(QuizForm):
        question_fields: dict[str, str] = {}

    for index, q in enumerate(shown):
        name = field_name(index)
        Form.question_fields[q.id] = name
        choices = [SelectChoice(oid, text) for oid, text in q.options]
        if q.type == "multiple":
            field = CheckboxesField(q.prompt, choices=choices, validators=[
                _chosen(_l("Choose at least one answer."))])
        else:
            field = RadioField(q.prompt, choices=choices, validators=[
                InputRequired(_l("Choose an answer."))])
        setattr(Form, name, field)
    form = Form()
    if attempt_key is not None:
        form.attempt_key.data = attempt_key
    return form


class PrintForm(FlaskForm):
    """The language and paper size of a PDF, and optionally one module; a GET form, so no
    CSRF token. A link without a paper size prints on A4."""

    class Meta:
        csrf = False

    language = SelectField(_l("Language"), validators=[DataRequired()], choices=[
        SelectChoice(lang.code, lang.native, render_kw={"lang": lang.code.replace("_", "-")})
        for lang in LANGUAGES])
    paper = SelectField(_l("Paper size"), validators=[Optional()], default="a4",
                        choices=[SelectChoice("a4", _l("A4")),
                                 SelectChoice("letter", _l("US Letter"))])
    module = HiddenField(validators=[Optional()])
