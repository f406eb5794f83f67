"""Forms for the register and its exports, revoking, reissuing, sign-offs and verification."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from navigator.accounts.forms import REQUIRED, choices, language_choices
from navigator.i18n import _, _l

FILTERS = ("programme", "track", "status", "issued_from", "issued_to")


def status_choices():
    return choices([("", _("Any status")), ("valid", _("Valid")), ("expired", _("Expired")),
                    ("revoked", _("Revoked")), ("superseded", _("Replaced"))])


class FilterForm(FlaskForm):
    """Which certificates the register shows and an export holds; read from the address."""

    class Meta:
        csrf = False

    programme = SelectField(_l("Programme"), validators=[Optional()])
    track = SelectField(_l("Track"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    issued_from = DateField(_l("Issued from"), validators=[Optional()], format="%Y-%m-%d",
                            description=_l("For example 2024-05-31."))
    issued_to = DateField(_l("Issued until"), validators=[Optional()], format="%Y-%m-%d")

    def __init__(self, *args, programmes=(), tracks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.programme.choices = choices([("", _("All my programmes")),
                                          *((str(p.id), p.name) for p in programmes)])
        self.track.choices = choices([("", _("All tracks")), *tracks])
        self.status.choices = status_choices()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.issued_from.data and self.issued_to.data \
                and self.issued_from.data > self.issued_to.data:
            self.issued_to.errors = [*self.issued_to.errors,
                                     _("The end date is before the start date.")]
            valid = False
        return valid

    def programme_id(self) -> int | None:
        return int(self.programme.data) if (self.programme.data or "").isdigit() else None


class ExportForm(FlaskForm):
    """An export of the register as filtered: the filters ride along as hidden fields."""

    programme = HiddenField()
    track = HiddenField()
    status = HiddenField()
    issued_from = HiddenField()
    issued_to = HiddenField()
    kind = SelectField(_l("Format"), validators=[DataRequired(REQUIRED)])
    paper = SelectField(_l("Paper size for the PDFs"), validators=[DataRequired(REQUIRED)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices([("csv", _("Register (CSV spreadsheet)")),
                                     ("zip", _("Certificates as PDF, with the register (ZIP)"))])
        self.paper.choices = choices([("a4", _("A4")), ("letter", _("US Letter"))])


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=500)],
                           description=_l("Kept in the certificate's history; not shown in "
                                          "public."))


class ReissueForm(FlaskForm):
    printed_name = StringField(_l("Name to print"), validators=[DataRequired(REQUIRED),
                                                                Length(max=120)])
    locale = SelectField(_l("Language of the certificate"), validators=[DataRequired(REQUIRED)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=500)],
                           description=_l("For example: the name was misspelt."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices()


class DeclineForm(FlaskForm):
    note = TextAreaField(_l("What is still needed"), validators=[DataRequired(REQUIRED),
                                                                 Length(max=500)],
                         description=_l("The navigator sees this note."))


class PaperForm(FlaskForm):
    """The paper and language a certificate is printed in; read from the address."""

    class Meta:
        csrf = False

    lang = SelectField(_l("Language of the certificate"), validators=[Optional()])
    paper = SelectField(_l("Paper size"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.paper.choices = choices([("a4", _("A4")), ("letter", _("US Letter"))])
        self.lang.choices = [("", ""), *language_choices()]


class VerifyForm(FlaskForm):
    """A code typed by anyone: any case, with or without spaces and dashes."""

    class Meta:
        csrf = False

    code = StringField(_l("Verification code"), validators=[DataRequired(REQUIRED),
                                                            Length(max=40)],
                       description=_l("Ten letters and digits, printed on the certificate, "
                                      "for example ABCDE-FGH23."))


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class CredentialForm(FlaskForm):
    """A digital credential to check: pasted, or a file (.jwt, .json, or a badge image)."""

    credential = TextAreaField(_l("Paste the credential"), validators=[Optional(),
                                                                     Length(max=200_000)],
                               description=_l("The text of an Open Badge: it starts with "
                                              "“eyJ”, or with “{” for the JSON file."),
                               render_kw={"rows": 4, "spellcheck": "false", "dir": "ltr"})
    upload = FileField(_l("Or choose the file"),
                       description=_l("A .jwt or .json file, or a PNG or SVG badge image."),
                       render_kw={"accept": ".jwt,.json,.png,.svg,application/json,image/png,"
                                            "image/svg+xml"})

    def presented(self) -> bytes | str | None:
        """What was given: the file's bytes, else the pasted text; None when neither."""
        storage = self.upload.data
        if storage is not None and getattr(storage, "filename", ""):
            return storage.read(1 << 20)
        return (self.credential.data or "").strip() or None
