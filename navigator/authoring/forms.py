"""Forms for trainers: courses, modules, lessons, quizzes, reviews and package uploads."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from navigator.accounts.forms import REQUIRED, language_choices
from navigator.i18n import _l

SLUG_HINT = _l("Lower-case letters, digits and hyphens, e.g. 10-talking-about-ai. It appears "
               "in addresses and file names and cannot change later.")


class CourseForm(FlaskForm):
    slug = StringField(_l("Course id"), validators=[DataRequired(REQUIRED), Length(max=80)],
                       description=SLUG_HINT)
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    programme_id = SelectField(_l("Offer it to"), coerce=int, validate_choice=False)
    default_locale = SelectField(_l("Main language"), choices=language_choices())


class ImportForm(FlaskForm):
    package = FileField(_l("Course package (.zip)"),
                        validators=[FileRequired(REQUIRED),
                                    FileAllowed(["zip"], _l("Choose a .zip file."))])
    programme_id = SelectField(_l("Offer it to"), coerce=int, validate_choice=False)


class CourseTextsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    track_title = StringField(_l("Certificate title"), validators=[Optional(), Length(max=200)])


class NewItemForm(FlaskForm):
    slug = StringField(_l("Id"), validators=[DataRequired(REQUIRED), Length(max=80)],
                       description=SLUG_HINT)
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])


class ModuleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=4000)])
    minutes = IntegerField(_l("Estimated minutes"), validators=[
        Optional(), NumberRange(0, 1000, _l("Enter a number from 0 to 1000."))])


class LessonForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    minutes = IntegerField(_l("Estimated minutes"), validators=[
        Optional(), NumberRange(1, 240, _l("Enter a number from 1 to 240."))])
    body = TextAreaField(_l("Lesson text (markdown)"),
                         validators=[Length(max=60000, message=_l("The text is too long."))])


class ReviewForm(FlaskForm):
    reviewer = StringField(_l("Reviewed by"), validators=[DataRequired(REQUIRED),
                                                          Length(max=100)],
                           description=_l("The name of the fluent reader who checked this "
                                          "translation."))


class QuizForm(FlaskForm):
    key_yaml = TextAreaField(_l("Answer key (quiz.yaml)"),
                             validators=[DataRequired(REQUIRED), Length(max=60000)])
    texts_yaml = TextAreaField(_l("Texts in this language"),
                               validators=[DataRequired(REQUIRED), Length(max=120000)])


class ItemsForm(FlaskForm):
    """Which programme's attempts, and which published version, an item analysis reads; a GET
    form, so no CSRF token."""

    class Meta:
        csrf = False

    programme = SelectField(_l("Programme"), coerce=int, validate_choice=False)
    version = SelectField(_l("Version"), coerce=int, validate_choice=False)


class QuestionsForm(FlaskForm):
    """The question editor's CSRF token; its fields are read by navigator.authoring.quizedit,
    since questions and options come and go as the trainer edits."""


class NarrationForm(FlaskForm):
    """A recorded narration of a lesson in one language."""

    recording = FileField(_l("Recording"), validators=[FileRequired(REQUIRED)],
                          render_kw={"accept": "audio/ogg,audio/mpeg,audio/mp4,audio/webm,"
                                               ".ogg,.opus,.oga,.mp3,.m4a,.webm"},
                          description=_l("Ogg (Opus or Vorbis), MP3, M4A or WebM, at most 6 MB. "
                                         "Read the lesson as it is written: navigators follow "
                                         "the text while they listen."))
