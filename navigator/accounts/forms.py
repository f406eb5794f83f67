"""Forms for signing in, joining, passwords, profiles, people and programmes."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from navigator.i18n import LANGUAGES, _l

REQUIRED = _l("This field is required.")
EMAIL = _l("Enter an e-mail address like name@example.org.")


ROLE_NAMES = {"navigator": _l("Navigator"), "trainer": _l("Trainer"),
              "manager": _l("Programme manager")}


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def role_choices() -> list[SelectChoice]:
    return choices(ROLE_NAMES.items())


def language_choices(blank: bool = False) -> list[SelectChoice]:
    """Each language named in itself, marked with its language for screen readers."""
    options = [SelectChoice(lang.code, lang.native, render_kw={"lang": lang.code.replace("_", "-")})
               for lang in LANGUAGES]
    return ([SelectChoice("", _l("Use my browser's language"))] if blank else []) + options


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (no JavaScript, easy on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SignInForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(REQUIRED),
                                                        Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED),
                                                        Length(max=256)])


class NewAccountForm(FlaskForm):
    """Used when joining by invitation or join code."""

    display_name = StringField(_l("Your name"), validators=[DataRequired(REQUIRED),
                                                            Length(max=80)],
                               description=_l("How other people on the platform will see you."))
    email = EmailField(_l("E-mail address"), validators=[DataRequired(REQUIRED), Email(EMAIL),
                                                        Length(max=254)])
    password = PasswordField(_l("Choose a password"), validators=[DataRequired(REQUIRED)],
                             description=_l("At least 10 characters. A few unrelated words "
                                            "are easy to remember and hard to guess."))
    confirm = PasswordField(_l("Type the password again"),
                            validators=[DataRequired(REQUIRED),
                                        EqualTo("password", _l("The two passwords differ."))])


class JoinCodeForm(NewAccountForm):
    code = StringField(_l("Join code"), validators=[DataRequired(REQUIRED), Length(max=20)],
                       description=_l("Your programme gives you this code."))


class CodeOnlyForm(FlaskForm):
    code = StringField(_l("Join code"), validators=[DataRequired(REQUIRED), Length(max=20)])


class ForgotForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(REQUIRED), Email(EMAIL),
                                                        Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(_l("Type the new password again"),
                            validators=[DataRequired(REQUIRED),
                                        EqualTo("password", _l("The two passwords differ."))])


class ChangePasswordForm(ResetForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(REQUIRED),
                                                            Length(max=80)])
    certificate_name = StringField(
        _l("Name on certificates"), validators=[Optional(), Length(max=120)],
        description=_l("Exactly as it should be printed. Leave empty to use your name."))
    locale = SelectField(_l("Language"), choices=language_choices(blank=True),
                         validators=[Optional()])


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail address of the person"),
                       validators=[DataRequired(REQUIRED), Email(EMAIL), Length(max=254)])
    programme_id = SelectField(_l("Programme"), coerce=int,
                               validate_choice=False)  # checked against the manager's programmes
    role = SelectField(_l("Role"), choices=role_choices())


class RolesForm(FlaskForm):
    programme_id = SelectField(_l("Programme"), coerce=int, validate_choice=False)
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices())


class ProgrammeForm(FlaskForm):
    name = StringField(_l("Programme name"), validators=[DataRequired(REQUIRED),
                                                         Length(max=120)])
    default_locale = SelectField(_l("Main language"), choices=language_choices())
    join_code_enabled = BooleanField(_l("People may join with the join code"), default=True)
    crisis_resources = TextAreaField(
        _l("Crisis resources"), validators=[Optional(), Length(max=2000)],
        description=_l("Who to contact in a crisis, following your programme's protocol. Shown "
                       "to navigators when a sandbox prompt mentions a crisis."))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(REQUIRED), Length(max=60)],
                       description=_l("For example, the name of the program that will use it."))


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for buttons that change state."""
