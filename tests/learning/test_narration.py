"""Lessons you can listen to: what the voice says and in which order, a computer voice of
plausible length in every language, a trainer's recording before it, and the player on the page
without any script."""

import shutil

import pytest
import sqlalchemy as sa

from navigator.i18n import CODES
from navigator.learning import audio, content, narration, package, speech
from navigator.learning import services as learning
from navigator.learning.models import PackageFile
from tests.conftest import login
from tests.learning.packages import write_package

LESSON = "/learn/demo/modules/m1/lessons/l1"
TOOLS = shutil.which("espeak-ng") and shutil.which("opusenc")
needs_voice = pytest.mark.skipif(not TOOLS, reason="espeak-ng and opusenc: bash .ci/install")

BODY = """\
Intro with **bold** and a [link](https://example.org)[^1].

## First heading

- one item,
- two item

1. Step
2. Next step

![A nurse reads a phone](../assets/pic.png)

| Word | Tokens |
|------|--------|
| the  | 1      |
| token| 2      |

```python
print("not read")
```

```sandbox
token-view
```

::: watch
Careful now
:::

[^1]: A source nobody hears.
"""

# A short lesson in every platform language, to be read aloud.
SAY = {
    "en": "A chatbot writes one word at a time. It does not look facts up. Check what it says.",
    "es": "Un chatbot escribe una palabra cada vez. No busca datos. Compruebe lo que dice.",
    "pt_BR": "Um chatbot escreve uma palavra de cada vez. Ele não busca fatos. Confira o que diz.",
    "fr": "Un chatbot écrit un mot à la fois. Il ne cherche pas les faits. Vérifiez ce qu'il dit.",
    "ar": "يكتب روبوت الدردشة كلمة واحدة في كل مرة. لا يبحث عن الحقائق. تحقق مما يقوله.",
    "sw": "Chatbot huandika neno moja kwa wakati. Haitafuti ukweli. Hakikisha inachosema.",
    "hi": "चैटबॉट एक बार में एक शब्द लिखता है। वह तथ्य नहीं खोजता। वह जो कहता है उसे जाँचें।",
}


def test_the_voice_reads_the_page_in_its_order(app):
    with app.app_context():
        parts = speech.parts("Tokens and text", BODY, "en")
    said = [p.text for p in parts]
    assert said[0] == "Tokens and text."
    assert said[1] == "Intro with bold and a link."  # the footnote mark is not read
    assert said.index("First heading.") < said.index("one item.") < said.index("two item.")
    assert said[said.index("1."):said.index("1.") + 4] == ["1.", "Step.", "2.", "Next step."]
    assert "Picture: A nurse reads a phone." in said
    assert "A table with 2 rows is on the page here. Its columns: Word, Tokens." in said
    assert "An example in code is on the page here; it is not read aloud." in said
    assert "A sandbox activity is on the page here." in said
    assert said.index("Watch out.") + 1 == said.index("Careful now.")
    text = " ".join(said)
    assert "not read\")" not in text and "nobody hears" not in text and "print" not in text
    ssml = speech.ssml(parts, "en")
    assert ssml.startswith('<speak xml:lang="en">') and '<break time="700ms"/>' in ssml


def test_what_the_voice_adds_is_said_in_the_lessons_language(app):
    with app.app_context():
        spanish = speech.parts("Tokens", "::: try\nCuente los tokens.\n:::\n", "es")
        swahili = speech.parts("Tokens", "::: try\nHesabu.\n:::\n", "sw")
    assert [p.text for p in spanish] == ["Tokens.", "Pruébalo.", "Cuente los tokens."]
    assert swahili[1].text == "Jaribu hili."


def test_a_text_is_escaped_for_the_speech_engine():
    ssml = speech.ssml([speech.Part('Use <b> & "quotes"', 0)], "en")
    assert "&lt;b&gt; &amp;" in ssml and "<b>" not in ssml


@needs_voice
@pytest.mark.parametrize("locale", CODES)
def test_every_language_is_spoken_at_a_plausible_length(app, tmp_path, locale):
    with app.app_context():
        parts = speech.parts("Tokens", SAY[locale], locale)
    voice = narration.VOICES[locale]
    target = tmp_path / "voice.ogg"
    narration.make_sound(speech.ssml(parts, voice), voice, target)
    data = target.read_bytes()
    assert audio.sniff(data) == "ogg"
    seconds = audio.ogg_seconds(data)
    words = speech.words(parts)
    assert 0.2 * words <= seconds <= 1.0 * words + 2, (locale, words, seconds)
    assert len(data) / 1024 / (seconds / 60) < 120  # compressed speech: KB per minute


def test_audio_files_are_known_by_their_bytes():
    assert audio.sniff(b"OggS\x00\x02" + bytes(30)) == "ogg"
    assert audio.sniff(b"ID3\x04\x00" + bytes(10)) == "mp3"
    assert audio.sniff(b"\xff\xfb\x90\x00" + bytes(10)) == "mp3"
    assert audio.sniff(b"\x00\x00\x00\x20ftypM4A \x00") == "m4a"
    assert audio.sniff(b"\x1a\x45\xdf\xa3" + bytes(10)) == "webm"
    assert audio.sniff(b"\x89PNG\r\n\x1a\n" + bytes(10)) is None
    assert audio.sniff(b"RIFF\x00\x00\x00\x00WAVE") is None  # uncompressed: too large
    assert audio.sniff(b"<html>") is None


@needs_voice
@pytest.mark.parametrize("store", ["local", "database"])
def test_the_computer_voice_is_made_once_in_the_queue_then_played(app_factory, curricula,
                                                                  demo, session, store):
    # "database": the storage every server reads, with no shared disk.
    app = app_factory(CURRICULA_PATH=str(curricula), JOBS_IMMEDIATE=True, STORAGE=store)
    client = login(app.test_client(), demo.navigator)
    first = client.get(LESSON).get_data(as_text=True)
    assert "Computer voice: read by a machine, not a person" in first
    # The page never waits: the voice was asked for (and, with an immediate queue, made).
    assert "is being prepared" in first and "<audio" not in first
    page = client.get(LESSON).get_data(as_text=True)
    assert '<audio controls preload="none"' in page and "being prepared" not in page
    src = page.split('<audio controls preload="none" src="')[1].split('"')[0].replace("&amp;",
                                                                                       "&")
    heard = client.get(src)
    assert heard.status_code == 200 and heard.mimetype == "audio/ogg"
    assert heard.headers["Accept-Ranges"] == "bytes"
    assert audio.ogg_seconds(heard.data) > 5
    part = client.get(src, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100
    # Stored through the storage every server reads, once per lesson version and language.
    with app.app_context():
        text = content.of(session, demo.version.id).texts
        lesson_id = next(iter(text))
        name = narration.computer_voice(text[lesson_id]["en"])[0]
        assert app.extensions["navigator.storage"].size(name) == len(heard.data)


def test_without_a_speech_engine_there_is_no_player(app_factory, curricula, demo):
    app = app_factory(CURRICULA_PATH=str(curricula), NARRATION="off")
    client = login(app.test_client(), demo.navigator)
    page = client.get(LESSON).get_data(as_text=True)
    assert "Listen to this lesson" not in page
    assert client.get(LESSON + "/listen").status_code == 404


RECORDING = b"OggS\x00\x02" + bytes(200)  # enough of an Ogg file for the platform


def test_a_recording_comes_before_the_computer_voice(curricula, session, demo, learner):
    version_two = _with_recording(curricula, session, demo)
    page = learner.get(LESSON).get_data(as_text=True)
    assert "Recorded by a person." in page and "Computer voice" not in page
    src = page.split('<audio controls preload="none" src="')[1].split('"')[0].replace("&amp;",
                                                                                       "&")
    heard = learner.get(src)
    assert heard.data == RECORDING and heard.mimetype == "audio/ogg"
    # The Spanish text has no recording: a computer voice (or none) reads it.
    assert version_two


def _with_recording(curricula, session, demo):
    """Version 2 of the demo course with an English recording of m1/l1; the navigator on it."""
    from navigator.learning import study

    root = write_package(curricula, version=2)
    (root / "narration" / "m1").mkdir(parents=True)
    (root / "narration" / "m1" / "l1.en.ogg").write_bytes(RECORDING)
    pkg = package.load_package(root)
    assert not pkg.errors, [str(p) for p in pkg.errors]
    assert "narration/m1/l1.en.ogg" in pkg.extras
    version, _imported = learning.import_package(session, pkg)
    session.commit()
    study.switch_to_latest(session, demo.navigator.id, "demo")
    session.commit()
    return version


def test_a_recording_travels_with_the_package(curricula, session, demo):
    version = _with_recording(curricula, session, demo)
    files = learning.export_files(session, version)
    assert files["narration/m1/l1.en.ogg"] == RECORDING
    again = package.load_files(files)
    assert not again.errors and again.extras["narration/m1/l1.en.ogg"] == RECORDING


def test_the_package_check_names_bad_narration_files(curricula):
    root = write_package(curricula)
    folder = root / "narration" / "m1"
    folder.mkdir(parents=True)
    (folder / "l1.en.ogg").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))  # not audio
    (folder / "l1.es.mp3").write_bytes(RECORDING)  # Ogg named .mp3
    (folder / "l1.xx.ogg").write_bytes(RECORDING)  # no such language
    (folder / "nope.en.ogg").write_bytes(RECORDING)  # no such lesson
    (folder / "l1.en.wav").write_bytes(b"RIFF")  # not a kind we play
    (folder / "l2.en.ogg").write_bytes(RECORDING[:4] + bytes(audio.MAX_RECORDING_BYTES))
    problems = {p.path.name: p for p in package.load_package(root).problems
                if "narration" in str(p.path)}
    assert "not an audio file" in problems["l1.en.ogg"].message
    assert "is ogg audio" in problems["l1.es.mp3"].message
    assert "language" in problems["l1.xx.ogg"].message
    assert problems["nope.en.ogg"].severity == "warning"
    assert "named" in problems["l1.en.wav"].message
    assert "MB" in problems["l2.en.ogg"].message


def test_recordings_of_a_published_version_are_listed_once(curricula, session, demo, app):
    version = _with_recording(curricula, session, demo)
    row = content.of(session, version.id).version
    seen = []
    engine = app.extensions["navigator.db"]
    sa.event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    first = narration.recordings(session, row)
    count = len(seen)
    assert narration.recordings(session, row) == first and len(seen) == count
    assert first == {("m1", "l1", "en"): "narration/m1/l1.en.ogg"}
    assert session.exec(sa.select(PackageFile.path).where(
        PackageFile.version_id == version.id, PackageFile.path.like("narration/%"))).all()
