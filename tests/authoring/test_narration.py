"""Recorded narrations: a trainer uploads one per lesson and language; only real audio of a
modest size is taken, with a message that says why not; it travels with the version."""

import io
import zipfile

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from navigator.accounts.services import principal
from navigator.authoring import services
from navigator.learning import audio, package
from navigator.learning import services as learning
from navigator.learning.models import PackageFile
from tests.conftest import login
from tests.test_curricula import tiny

OGG = b"OggS\x00\x02" + bytes(2000)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(2000)


@pytest.fixture
def draft_lesson(app, session, tmp_path, make_programme, make_user):
    programme = make_programme("Authors")
    trainer = make_user("trainer", programme)
    version, _new = learning.import_package(session, package.load_package(tiny(tmp_path)))
    learning.offer_course(session, programme.id, version.course_id)
    session.commit()
    with app.app_context():
        course = services.get_course(session, principal(session, trainer), version.course_id)
        draft = services.start_draft(session, course)
        session.commit()
    module = learning.modules_of(session, draft.id)[0]
    lesson = learning.lessons_of(session, [module.id])[0]
    client = login(app.test_client(), trainer)
    return client, draft, module, lesson


def _upload(client, lesson, data: bytes, name: str = "voice.ogg", locale: str = "en"):
    # The body is built in memory: a large one would otherwise sit in an unclosed temp file.
    boundary, body = encode_multipart({"csrf_token": client.csrf(),
                                       "recording": FileStorage(io.BytesIO(data), name)})
    return client.post(f"/author/lessons/{lesson.id}/narration?locale={locale}", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_a_recording_is_kept_with_the_draft_and_exported(draft_lesson, session):
    client, draft, module, lesson = draft_lesson
    page = client.get(f"/author/lessons/{lesson.id}/narration?locale=es")
    assert page.status_code == 200 and "Upload a recording" in page.get_data(as_text=True)
    response = _upload(client, lesson, OGG, locale="es")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The recording is saved." in html and "Recorded narration (OGG, 2 KB)." in html
    heard = client.get(f"/author/lessons/{lesson.id}/narration/audio?locale=es")
    assert heard.data == OGG and heard.mimetype == "audio/ogg"
    path = f"narration/{module.slug}/{lesson.slug}.es.ogg"
    # A second upload replaces the first (an MP3 now), never two files for one language.
    _upload(client, lesson, b"ID3\x04" + bytes(500), name="voice.mp3", locale="es")
    session.expire_all()
    rows = session.exec(PackageFile.__table__.select()
                        .where(PackageFile.version_id == draft.id)).all()
    narrations = [row.path for row in rows if row.path.startswith("narration/")]
    assert narrations == [path.replace(".ogg", ".mp3")]
    files = learning.export_files(session, draft)
    assert files[path.replace(".ogg", ".mp3")].startswith(b"ID3")
    archive = client.get(f"/author/versions/{draft.id}/package.zip").data
    assert any(n.endswith(path.replace(".ogg", ".mp3"))
               for n in zipfile.ZipFile(io.BytesIO(archive)).namelist())
    removed = client.form(f"/author/lessons/{lesson.id}/narration/remove?locale=es")
    assert removed.status_code == 302
    assert client.get(f"/author/lessons/{lesson.id}/narration/audio?locale=es").status_code \
        == 404


def test_a_file_that_is_not_audio_is_refused_with_a_reason(draft_lesson):
    client, _draft, _module, lesson = draft_lesson
    response = _upload(client, lesson, PNG, name="voice.ogg")  # the name does not decide
    assert response.status_code == 400
    assert "This file is not a recording a browser can play. Upload Ogg (Opus or Vorbis), " \
           "MP3, M4A or WebM audio." in response.get_data(as_text=True)


def test_a_recording_too_large_is_refused_with_a_reason(draft_lesson):
    client, _draft, _module, lesson = draft_lesson
    big = b"OggS" + bytes(audio.MAX_RECORDING_BYTES + 1024)
    response = _upload(client, lesson, big)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "This recording is too large (6.0 MB). A recording may be at most 6 MB" in text
    # Beyond what any request may carry, the server's own page says so.
    huge = client.post(f"/author/lessons/{lesson.id}/narration?locale=en",
                       data=b"OggS" + bytes(9 * 1024 * 1024), content_type="audio/ogg")
    assert huge.status_code == 413
    assert "What you sent is too large" in huge.get_data(as_text=True)


def test_a_published_version_keeps_its_recordings(draft_lesson, session):
    client, draft, _module, lesson = draft_lesson
    draft.status = "published"
    session.add(draft)
    session.commit()
    response = _upload(client, lesson, OGG)
    assert response.status_code == 400
    assert "This version is published and cannot change." in response.get_data(as_text=True)
    assert session.exec(PackageFile.__table__.select().where(
        PackageFile.version_id == draft.id, PackageFile.path.like("narration/%"))).all() == []
