"""Lessons you can listen to: a trainer's recording, else a computer voice made once.

- A **recording** is a file of the course version, like its images: in a course package it is
  `narration/<module>/<lesson>.<locale>.<ogg|mp3|m4a|webm>`, stored as a package file, so it is
  exported, imported and copied into a new draft with everything else. Trainers upload one per
  lesson and language (navigator.authoring.narration).
- Where a lesson has none in the language shown, a **computer voice** reads it: espeak-ng
  (which speaks all seven platform languages) makes the sound from what navigator.learning.speech
  says, opusenc compresses it (Opus speech at 12 kbit/s, about 90 KB a minute), in the job
  queue. The file is named after what is said, voice and settings included, so it is made
  once per lesson version and language, and stored through navigator.storage, where every
  server reads it. Without espeak-ng or opusenc on the machine (or with NAVIGATOR_NARRATION=off)
  lessons simply have no computer voice.

The lesson page never waits for a voice: it shows the player once the file exists and asks the
queue for it otherwise. Nothing here adds a statement to a warm lesson page: recordings are
listed once per published version, and a computer voice, once stored, is remembered.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from weakref import WeakKeyDictionary

from cachetools import LRUCache
from flask import current_app
from sqlmodel import Session, select

from navigator import jobs, storage
from navigator.learning import audio, speech
from navigator.learning.content import TextRow, VersionRow
from navigator.learning.models import PackageFile

log = logging.getLogger(__name__)

FOLDER = "narration"
RECORDING = re.compile(r"^narration/(?P<module>[a-z0-9][a-z0-9-]{0,79})/"
                       r"(?P<lesson>[a-z0-9][a-z0-9-]{0,79})\.(?P<locale>[A-Za-z_]+)"
                       r"\.(?P<ext>ogg|mp3|m4a|webm)$")
# espeak-ng's voice for each platform language.
VOICES = {"en": "en", "es": "es", "pt_BR": "pt-br", "fr": "fr", "ar": "ar", "sw": "sw",
          "hi": "hi"}
RATE = 160     # words a minute: a little slower than espeak-ng's 175, for learners
BITRATE = 12   # kbit/s of Opus speech
ASK_AGAIN = 600  # seconds before a voice asked for and still missing is asked for again
SYNTH_TIMEOUT = 600


@dataclass(frozen=True)
class Narration:
    """What the lesson page offers to listen to, in the language of the text shown."""

    kind: str       # "recording" (a trainer's) | "computer" (espeak-ng)
    locale: str
    ready: bool     # False: the computer voice is being made
    token: str      # changes whenever the sound does; the player's URL carries it
    mimetype: str


def recording_path(module_slug: str, lesson_slug: str, locale: str, kind: str) -> str:
    return f"{FOLDER}/{module_slug}/{lesson_slug}.{locale}.{kind}"


# --- recordings: package files of the version --------------------------------------------------

_lists: WeakKeyDictionary = WeakKeyDictionary()  # engine pool → LRU(version id → recordings)
_lock = threading.Lock()


def recordings(s: Session, version: VersionRow) -> dict[tuple[str, str, str], str]:
    """(module, lesson, locale) → package path of each recording of a version.

    Read once per published version (it never changes); a draft is read afresh.
    """
    pool = s.get_bind().pool
    with _lock:
        cache = _lists.get(pool)
        if cache is None:
            cache = _lists[pool] = LRUCache(maxsize=16)
        found = cache.get(version.id)
    if found is not None:
        return found
    paths = s.exec(select(PackageFile.path).where(PackageFile.version_id == version.id,
                                                 PackageFile.path.startswith(FOLDER + "/")))
    found = {}
    for path in paths:
        match = RECORDING.match(path)
        if match:
            found[(match["module"], match["lesson"], match["locale"])] = path
    if version.status != "draft":
        with _lock:
            cache[version.id] = found
    return found


def recording_data(s: Session, version_id: int, path: str) -> bytes | None:
    return s.exec(select(PackageFile.data).where(PackageFile.version_id == version_id,
                                                 PackageFile.path == path)).first()


# --- the computer voice ----------------------------------------------------------------------

@lru_cache(maxsize=1)
def _tools_present() -> bool:
    return bool(shutil.which("espeak-ng") and shutil.which("opusenc"))


def synthesis_on() -> bool:
    """Whether this machine makes computer voices (espeak-ng and opusenc, and not switched off)."""
    if str(current_app.config.get("NARRATION", "auto")).lower() == "off":
        return False
    return _tools_present()


@lru_cache(maxsize=512)  # a course of 40 lessons in seven languages: 280
def _computer(title: str, body: str, locale: str) -> tuple[str, str, str]:
    voice = VOICES.get(locale, "en")
    ssml = speech.ssml(speech.parts(title, body, locale), voice)
    digest = hashlib.sha256(
        f"{speech.VERSION}|{voice}|{RATE}|{BITRATE}|{ssml}".encode()).hexdigest()[:32]
    return f"narration-{digest}.ogg", ssml, voice


def computer_voice(text: TextRow) -> tuple[str, str, str]:
    """(stored file name, SSML, espeak-ng voice) of a lesson text's computer voice."""
    return _computer(text.title, text.body, text.locale)


# Per storage: names known to be stored (a stored voice never changes). Per queue: when each
# voice was asked for. Kept in this process only, so a page need not look twice.
_stored: WeakKeyDictionary = WeakKeyDictionary()
_asked: WeakKeyDictionary = WeakKeyDictionary()


def _memo(memos: WeakKeyDictionary, owner) -> LRUCache:
    with _lock:
        found = memos.get(owner)
        if found is None:
            found = memos[owner] = LRUCache(maxsize=8192)
        return found


def _is_stored(name: str) -> bool:
    store = storage.storage()
    known = _memo(_stored, store)
    if name in known:
        return True
    if store.size(name) is None:
        return False
    known[name] = True
    return True


def ask_for(name: str, ssml: str, voice: str) -> None:
    """Queue the making of a computer voice, unless asked for a little while ago."""
    asked = _memo(_asked, current_app.extensions["navigator.jobs"])
    now = time.monotonic()
    with _lock:
        if now - asked.get(name, -ASK_AGAIN) < ASK_AGAIN:
            return
        asked[name] = now
    try:
        jobs.enqueue(synthesise, name, ssml, voice)
    except Exception:  # noqa: BLE001 - a page must not fail because the queue did
        log.exception("could not queue the narration %s", name)
        with _lock:
            asked.pop(name, None)


def for_lesson(s: Session, version: VersionRow, module_slug: str, lesson_slug: str,
               text: TextRow) -> Narration | None:
    """What there is to listen to for a lesson text: a recording, a computer voice, or None."""
    path = recordings(s, version).get((module_slug, lesson_slug, text.locale))
    if path is not None:
        kind = path.rsplit(".", 1)[1]
        return Narration("recording", text.locale, True, f"v{version.id}{kind}",
                         audio.KINDS[kind])
    if not synthesis_on():
        return None
    name, ssml, voice = computer_voice(text)
    ready = _is_stored(name)
    if not ready:
        ask_for(name, ssml, voice)
    return Narration("computer", text.locale, ready, name.split("-", 1)[1][:12], "audio/ogg")


def sound(s: Session, version: VersionRow, module_slug: str, lesson_slug: str,
          text: TextRow) -> tuple[bytes, str] | None:
    """The narration's bytes and type, or None while there is none (or it is being made)."""
    path = recordings(s, version).get((module_slug, lesson_slug, text.locale))
    if path is not None:
        data = recording_data(s, version.id, path)
        return (data, audio.KINDS[path.rsplit(".", 1)[1]]) if data is not None else None
    if not synthesis_on():
        return None
    name, ssml, voice = computer_voice(text)
    if not _is_stored(name):
        ask_for(name, ssml, voice)
        return None
    try:
        return storage.storage().read(name), "audio/ogg"
    except OSError:  # removed meanwhile: made again
        _memo(_stored, storage.storage()).pop(name, None)
        return None


def make_sound(ssml: str, voice: str, target: Path) -> None:
    """espeak-ng reads the SSML; opusenc compresses its WAV into Ogg Opus speech at target."""
    # At a low priority: pages being served come first, a voice can wait a few seconds.
    speak = subprocess.Popen(["nice", "-n", "10", "espeak-ng", "-m", "-b", "1", "-v", voice,
                              "-s", str(RATE), "--stdin", "--stdout"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    encode = subprocess.Popen(["nice", "-n", "10", "opusenc", "--quiet", "--speech",
                               "--bitrate", str(BITRATE), "--downmix-mono", "-", str(target)],
                              stdin=speak.stdout, stderr=subprocess.PIPE)
    speak.stdout.close()  # opusenc alone reads it now
    speak.stdin.write(ssml.encode())
    speak.stdin.close()
    try:
        _out, errors = encode.communicate(timeout=SYNTH_TIMEOUT)
        speak.wait(timeout=10)
    except subprocess.TimeoutExpired:
        speak.kill()
        encode.kill()
        raise
    if speak.returncode or encode.returncode or not target.is_file():
        raise RuntimeError(f"espeak-ng/opusenc failed ({speak.returncode}, "
                           f"{encode.returncode}): {errors.decode(errors='replace')[:200]}")


@jobs.job
def synthesise(name: str, ssml: str, voice: str) -> None:
    """Make one computer voice and store it; nothing to do when it is there already."""
    store = storage.storage()
    if store.size(name) is not None:
        return
    with tempfile.TemporaryDirectory(prefix="navigator-voice-") as folder:
        target = Path(folder) / name
        make_sound(ssml, voice, target)
        store.put(name, target)
    _memo(_stored, store)[name] = True
