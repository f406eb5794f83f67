"""WTForms' own messages: in the page's language, from a catalogue read once per language."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice


class Choice(FlaskForm):
    class Meta:
        csrf = False

    key = HiddenField()  # no label: WTForms asks the catalogue for one
    pick = RadioField("Pick", choices=[SelectChoice("a", "A"), SelectChoice("b", "B")])


def _errors(app, language: str) -> tuple[list[str], object]:
    with app.test_request_context("/", method="POST", data={"pick": "z"},
                                  headers={"Accept-Language": language}):
        from flask import request

        form = Choice()
        form.validate()
        return form.pick.errors, request.wtforms_translations


def test_wtforms_messages_follow_the_language_and_are_read_once(app):
    spanish, catalogue = _errors(app, "es")
    assert spanish == ["Opción inválida."]
    french, _ = _errors(app, "fr")
    assert french == ["N'est pas un choix valide."]
    again, kept = _errors(app, "es")
    assert again == spanish
    assert kept is catalogue  # the same object: not read from disk again
