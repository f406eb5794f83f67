"""Small wording rules of the learning pages: the multiple-answer hint said once, and a course's
description stating its study time from the same figure as the duration beside it."""

from types import SimpleNamespace

from flask_babel import force_locale


def _macros(app):
    return app.jinja_env.get_template("learning/_macros.html").module


def test_the_multiple_answer_hint_is_said_once(app):
    def hint(prompt: str, kind: str = "multiple") -> str:
        return str(_macros(app).choose_all(SimpleNamespace(prompt=prompt, type=kind))).strip()

    with app.test_request_context():
        assert hint("Which of these are red lines?") == (
            '<span class="hint">Choose all that apply.</span>')
        assert hint("Which of these are red lines? Choose all that apply.") == ""
        assert hint("Which of these are red lines? Tick every one that does.") == ""
        assert hint("أي مما يلي صحيح؟ اختر كل ما ينطبق.") == ""
        assert hint("Which one is right?", "single") == ""
        with force_locale("es"):
            assert "Elige todas" in hint("¿Cuáles son ciertas?")


def test_a_course_description_states_the_duration_it_is_shown_with(app):
    with app.test_request_context():
        macros = _macros(app)
        text = "Nine short modules. {duration}, with a sandbox model."
        shown = str(macros.blurb(text, 403))
        assert shown == "Nine short modules. About 7 hours, with a sandbox model."
        assert str(macros.duration(403)).strip() == "About 7 hours"
        assert str(macros.blurb("No time stated <here>.", 403)) == "No time stated &lt;here&gt;."
