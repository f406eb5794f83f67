"""Forms for logging outreach, managing sites, and filtering reports."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from navigator.accounts.forms import REQUIRED, MultiCheckboxField, choices
from navigator.i18n import _, _l
from navigator.outreach.activity_input import MAX_MINUTES, MAX_PEOPLE, NOTE_LENGTH, ActivityInput
from navigator.outreach.vocabulary import (
    AGE_BANDS,
    DIGITAL_TASKS,
    GENDERS,
    LANGUAGE_CODES,
    REFERRAL_KINDS,
    SETTINGS,
    language_label,
)

DATE = _l("Enter a date like 2024-05-31.")
WHOLE = _l("Enter a whole number.")
OTHER_SITE = "other"


class WholeNumberField(IntegerField):
    """A whole number; anything else gets one plain message instead of two."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError(str(WHOLE)) from None
        elif valuelist:
            self.data = None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # the range checks have nothing to check


def _count(label) -> WholeNumberField:
    return WholeNumberField(label, validators=[Optional(), NumberRange(
        min=0, max=MAX_PEOPLE, message=_l("Give a number from 0 to %(max)s."))],
        render_kw={"min": 0})


class ActivityForm(FlaskForm):
    """One outreach session. Counts only: nothing about who the people were."""

    submission_key = HiddenField()
    held_on = DateField(_l("Date of the session"), validators=[InputRequired(DATE)],
                        format="%Y-%m-%d")
    minutes = WholeNumberField(_l("Length in minutes"), validators=[
        InputRequired(WHOLE), NumberRange(min=1, max=MAX_MINUTES,
                                          message=_l("Give a number from 1 to %(max)s."))],
        render_kw={"min": 1})
    setting = SelectField(_l("Setting"), validators=[DataRequired(REQUIRED)])
    site = SelectField(_l("Site"), validators=[DataRequired(REQUIRED)])
    languages = MultiCheckboxField(_l("Languages used"), validators=[DataRequired(
        _l("Choose at least one language."))])
    people = WholeNumberField(_l("Number of people reached"), validators=[
        InputRequired(WHOLE), NumberRange(min=1, max=MAX_PEOPLE,
                                          message=_l("Give a number from 1 to %(max)s."))],
        render_kw={"min": 1},
        description=_l("Everyone who took part, counted once."))
    topics = MultiCheckboxField(_l("Topics covered"))
    tasks = MultiCheckboxField(_l("Digital tasks you helped with"))
    note = TextAreaField(
        _l("Short note"), validators=[Optional(), Length(max=NOTE_LENGTH)],
        description=_l("What went well, what was hard. Do not write names, phone numbers, "
                       "addresses or anything else that could identify the people you met."))
    confirm_note = BooleanField(_l("I checked: the note has no personal data. Save it anyway."))
    reason = StringField(_l("What you corrected and why"), validators=[Optional(),
                                                                        Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setting.choices = choices([("", _("Choose a setting")), *SETTINGS.items()])
        self.languages.choices = choices((code, language_label(code))
                                         for code in LANGUAGE_CODES)
        self.tasks.choices = choices(DIGITAL_TASKS.items())
        self.breakdown_errors: dict[str, str] = {}

    def set_sites(self, sites) -> None:
        self.site.choices = choices([("", _("Choose a site")),
                                     *((str(site.id), site.name) for site in sites),
                                     (OTHER_SITE, _("Another place, not on the list"))])

    def set_topics(self, topics: list[tuple[str, str]]) -> None:
        self.topics.choices = choices(topics)

    def age_fields(self):
        return [self[f"age_{band}"] for band in AGE_BANDS]

    def gender_fields(self):
        return [self[f"gender_{band}"] for band in GENDERS]

    def referral_fields(self):
        return [self[f"referral_{kind}"] for kind in REFERRAL_KINDS]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        people = self.people.data if not self.people.errors else None
        for dimension, fields in (("age", self.age_fields()), ("gender", self.gender_fields())):
            total = sum(f.data or 0 for f in fields if not f.errors)
            if people is not None and total > people:
                message = (_("The age groups add up to %(sum)d, more than the %(total)d people "
                             "reached.", sum=total, total=people) if dimension == "age" else
                           _("The genders add up to %(sum)d, more than the %(total)d people "
                             "reached.", sum=total, total=people))
                self.breakdown_errors[dimension] = message
                self.form_errors.append(message)
                valid = False
        return valid

    def to_input(self) -> ActivityInput:
        """The typed values as the service's input."""
        return ActivityInput(
            held_on=self.held_on.data, minutes=self.minutes.data, setting=self.setting.data,
            site_id=None if self.site.data == OTHER_SITE else int(self.site.data),
            languages=list(self.languages.data), people=self.people.data,
            age={band: self[f"age_{band}"].data for band in AGE_BANDS
                 if self[f"age_{band}"].data is not None},
            gender={band: self[f"gender_{band}"].data for band in GENDERS
                    if self[f"gender_{band}"].data is not None},
            topics=list(self.topics.data or []), tasks=list(self.tasks.data or []),
            referrals={kind: self[f"referral_{kind}"].data for kind in REFERRAL_KINDS
                       if self[f"referral_{kind}"].data},
            note=(self.note.data or "").strip())

    def load(self, data: ActivityInput) -> None:
        """Fill the form with an activity's facts, for editing."""
        self.held_on.data = data.held_on
        self.minutes.data = data.minutes
        self.setting.data = data.setting
        self.site.data = OTHER_SITE if data.site_id is None else str(data.site_id)
        self.languages.data = list(data.languages)
        self.people.data = data.people
        for band in AGE_BANDS:
            self[f"age_{band}"].data = data.age.get(band)
        for band in GENDERS:
            self[f"gender_{band}"].data = data.gender.get(band)
        self.topics.data = list(data.topics)
        self.tasks.data = list(data.tasks)
        for kind in REFERRAL_KINDS:
            self[f"referral_{kind}"].data = data.referrals.get(kind)
        self.note.data = data.note


def _add_counts(prefix: str, labels: dict) -> None:
    """One optional count field per band or kind: age_under_18, referral_crisis, …"""
    for key, label in labels.items():
        setattr(ActivityForm, f"{prefix}_{key}", _count(label))


_add_counts("age", AGE_BANDS)
_add_counts("gender", GENDERS)
_add_counts("referral", REFERRAL_KINDS)


class SiteForm(FlaskForm):
    name = StringField(_l("Site name"), validators=[DataRequired(REQUIRED), Length(max=120)],
                       description=_l("A place, not a person: for example “Eastside library”."))


class SiteEditForm(SiteForm):
    archived = BooleanField(_l("Archived: keep it in reports, stop offering it for new "
                               "activities"))


class ReportFilterForm(FlaskForm):
    """Filters read from the address, so a report can be bookmarked and shared as a link."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()], format="%Y-%m-%d")
    date_to = DateField(_l("To"), validators=[Optional()], format="%Y-%m-%d")
    site = SelectField(_l("Site"), validators=[Optional()])
    setting = SelectField(_l("Setting"), validators=[Optional()])
    navigator = SelectField(_l("Navigator"), validators=[Optional()])
    by = SelectField(_l("Break age and gender down by"), validators=[Optional()])
    share = BooleanField(_l("Prepare for sharing outside the programme (hides small numbers)"))

    def __init__(self, *args, sites=(), navigators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.site.choices = choices([("", _("All sites")),
                                     *((str(site.id), site.name) for site in sites),
                                     (OTHER_SITE, _("Other places"))])
        self.setting.choices = choices([("", _("All settings")), *SETTINGS.items()])
        self.navigator.choices = choices([("", _("All navigators")),
                                          *((str(uid), name) for uid, name in navigators)])
        self.by.choices = choices([("month", _("Month")), ("site", _("Site")),
                                   ("setting", _("Setting"))])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.date_from.data and self.date_to.data and self.date_from.data > self.date_to.data:
            self.date_to.errors = [*self.date_to.errors,
                                   _("The end date is before the start date.")]
            valid = False
        return valid
