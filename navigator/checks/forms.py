"""Forms for chatbot checks: starting one, the product questions, a probe, running probes,
reviewing, the library's filters and review period, the handout's language."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from navigator.accounts.forms import REQUIRED, choices
from navigator.checks import services
from navigator.checks.protocol import Protocol
from navigator.i18n import _, _l, language

RATING_LABELS = {"met": _l("Met"), "partly": _l("Partly met"), "not_met": _l("Not met"),
                 "untested": _l("Could not test")}
FINDING_LABELS = {"reassuring": _l("Reassuring"), "concern": _l("A concern"),
                  "unknown": _l("Could not find out")}
STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Waiting for a trainer"),
                 "returned": _l("Returned for changes"), "approved": _l("Approved")}


def locale_choices(codes) -> list[SelectChoice]:
    """Languages named in themselves, marked with their language for screen readers."""
    return [SelectChoice(code, language(code).native,
                         render_kw={"lang": code.replace("_", "-")}) for code in codes]


class StartForm(FlaskForm):
    """A new check: which chatbot, where, and the two languages the probes are sent in."""

    programme = SelectField(_l("Programme"), validators=[DataRequired(REQUIRED)])
    chatbot = StringField(_l("The chatbot's name"), validators=[
        DataRequired(REQUIRED), Length(max=services.NAME_LENGTH)],
        description=_l("As people know it, for example the app's name."))
    details = StringField(_l("Where and which version (optional)"), validators=[
        Optional(), Length(max=services.DETAILS_LENGTH)],
        description=_l("For example: Android app, version 4.2; or the website's address."))
    locale = SelectField(_l("Language of the check"), validators=[DataRequired(REQUIRED)],
                         description=_l("The probes are sent in this language."))
    second_locale = SelectField(_l("Second language"), validators=[DataRequired(REQUIRED)],
                                description=_l("The language probe asks the same question "
                                               "in this language too."))
    from_check = HiddenField()

    def __init__(self, *args, programmes=(), locales=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.programme.choices = choices((str(p.id), p.name) for p in programmes)
        self.locale.choices = locale_choices(locales)
        self.second_locale.choices = locale_choices(locales)


def product_form(protocol: Protocol, locale: str, formdata=None, data=None) -> FlaskForm:
    """One answer, source and finding per question about the product, in protocol order."""

    class ProductForm(FlaskForm):
        pass

    for question in protocol.questions:
        texts = protocol.question_text(question.id, locale)
        setattr(ProductForm, f"{question.id}_answer", TextAreaField(
            texts.get("question", question.id), validators=[
                Optional(), Length(max=services.ANSWER_LENGTH)]))
        setattr(ProductForm, f"{question.id}_source", StringField(
            _l("Where you looked"), validators=[Optional(), Length(max=services.SOURCE_LENGTH)],
            description=texts.get("look", "")))
        setattr(ProductForm, f"{question.id}_finding", RadioField(
            _l("What you found"), validators=[Optional()],
            choices=choices(FINDING_LABELS.items())))
    return ProductForm(formdata=formdata, data=data) if formdata is not None or data \
        else ProductForm()


class ProbeForm(FlaskForm):
    """The chatbot's answers typed or pasted in, the rating and a note."""

    rating = RadioField(_l("Does the answer meet the criteria?"), validators=[Optional()],
                        choices=choices(RATING_LABELS.items()))
    note = TextAreaField(_l("A short note (optional)"), validators=[
        Optional(), Length(max=services.NOTE_LENGTH)],
        description=_l("What the answer did well or badly, in a sentence or two. Needed for "
                       "“could not test”."))
    confirm_personal = BooleanField(_l("I checked: these are a public helpline or a service's "
                                       "details, not anyone's own. Save them."))


def add_answer_fields(form_class, messages) -> None:
    for message in messages:
        setattr(form_class, f"answer_{message.key}", TextAreaField(
            _l("The chatbot's answer"), validators=[
                Optional(), Length(max=services.PROBE_ANSWER_LENGTH)]))


def probe_form(messages, formdata=None, data=None) -> ProbeForm:
    class Form(ProbeForm):
        pass

    add_answer_fields(Form, messages)
    return Form(formdata=formdata, data=data) if formdata is not None or data else Form()


class RunForm(FlaskForm):
    """Send the unanswered probes to a model."""

    target = SelectField(_l("Model"), validators=[DataRequired(REQUIRED)])
    probe = HiddenField()

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.target.choices = choices(targets)


class WatchForm(FlaskForm):
    watch_for = TextAreaField(_l("What to watch for, in your own words (optional)"), validators=[
        Optional(), Length(max=services.WATCH_LENGTH)],
        description=_l("Printed on the handout for the people you support. Plain words, no "
                       "names."))


class ReturnForm(FlaskForm):
    note = TextAreaField(_l("What to change"), validators=[
        DataRequired(REQUIRED), Length(max=services.COMMENT_LENGTH)],
        description=_l("The navigator sees this comment."))


class ApproveForm(FlaskForm):
    note = TextAreaField(_l("A comment (optional)"), validators=[
        Optional(), Length(max=services.COMMENT_LENGTH)])


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class LibraryFilter(FlaskForm):
    """Which approved checks the library lists; read from the address."""

    class Meta:
        csrf = False

    q = StringField(_l("Chatbot"), validators=[Optional(), Length(max=120)])
    programme = SelectField(_l("Programme"), validators=[Optional()])

    def __init__(self, *args, programmes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.programme.choices = choices([("", _("All my programmes")),
                                          *((str(p.id), p.name) for p in programmes)])

    def programme_id(self) -> int | None:
        return int(self.programme.data) if (self.programme.data or "").isdigit() else None


class PeriodForm(FlaskForm):
    months = IntegerField(_l("Re-check after (months)"), validators=[
        DataRequired(REQUIRED), NumberRange(min=1, max=60)])


class HandoutForm(FlaskForm):
    """The handout's language; read from the address."""

    class Meta:
        csrf = False

    lang = SelectField(_l("Language"), validators=[Optional()])

    def __init__(self, *args, locales=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lang.choices = locale_choices(locales)
