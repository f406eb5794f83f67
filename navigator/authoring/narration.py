"""Recorded narrations: a trainer attaches one per lesson and language to a draft.

A recording is a package file of the draft (navigator.learning.narration names its path), so it
is published, exported, imported and copied into the next draft with the version. It is
checked here as the package checker does: real audio of a kind browsers play, never larger
than navigator.learning.audio.MAX_RECORDING_BYTES.
"""

from sqlmodel import Session, select

from navigator.errors import Conflict, Invalid
from navigator.i18n import CODES, _
from navigator.learning import audio, narration
from navigator.learning.models import CourseVersion, Lesson, Module, PackageFile


def _paths(module: Module, lesson: Lesson, locale: str) -> list[str]:
    return [narration.recording_path(module.slug, lesson.slug, locale, kind)
            for kind in audio.KINDS]


def recording(s: Session, version: CourseVersion, module: Module, lesson: Lesson,
              locale: str) -> PackageFile | None:
    """The lesson's recording in a language, if the version has one."""
    return s.exec(select(PackageFile).where(PackageFile.version_id == version.id,
                                            PackageFile.path.in_(_paths(module, lesson,
                                                                        locale)))).first()


def _editable(version: CourseVersion, locale: str) -> None:
    if version.status != "draft":
        raise Conflict(_("A published version cannot change. Start a new draft to edit."))
    if locale not in CODES:
        raise Invalid(_("Choose one of the listed languages."))


def attach(s: Session, version: CourseVersion, module: Module, lesson: Lesson, locale: str,
           data: bytes) -> PackageFile:
    """Keep a recording for a lesson in a language, in place of any earlier one."""
    _editable(version, locale)
    if len(data) > audio.MAX_RECORDING_BYTES:
        raise Invalid(_("This recording is too large (%(size)s MB). A recording may be at "
                        "most %(limit)s MB: export it at a lower quality, or in a compressed "
                        "format such as Ogg Opus or MP3.",
                        size=f"{len(data) / 1024 / 1024:.1f}",
                        limit=audio.MAX_RECORDING_BYTES // (1024 * 1024)), field="recording")
    kind = audio.sniff(data)
    if kind is None:
        raise Invalid(_("This file is not a recording a browser can play. Upload Ogg (Opus "
                        "or Vorbis), MP3, M4A or WebM audio."), field="recording")
    remove(s, version, module, lesson, locale)
    row = PackageFile(version_id=version.id, path=narration.recording_path(
        module.slug, lesson.slug, locale, kind), data=data)
    s.add(row)
    s.flush()
    return row


def remove(s: Session, version: CourseVersion, module: Module, lesson: Lesson,
           locale: str) -> bool:
    """Remove the lesson's recording in a language; True when there was one."""
    _editable(version, locale)
    rows = s.exec(select(PackageFile).where(PackageFile.version_id == version.id,
                                            PackageFile.path.in_(_paths(module, lesson,
                                                                        locale)))).all()
    for row in rows:
        s.delete(row)
    s.flush()
    return bool(rows)
