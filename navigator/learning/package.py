"""The course package format in curricula/: load, validate with file:line messages, hash.

A package is read in parts, each in its own module: its YAML (`package_yaml`), lessons
(`package_lessons`), quizzes (`package_quiz`) and zip archives (`package_archive`). This module
reads the course and its modules, and keeps every name importable from here.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from navigator.i18n import CODES
from navigator.learning import audio
from navigator.learning.package_archive import (
    MAX_ZIP_BYTES,
    MAX_ZIP_FILES,
    BadArchive,
    read_zip,
    write_zip,
)
from navigator.learning.package_lessons import (
    IMAGE_SUFFIXES,
    LESSON_FILE,
    LINK,
    SANDBOX_BLOCK,
    LessonFile,
    _check_body,
    _check_references,
    _front_matter,
    _load_lessons,
    body_of,
    lesson_file,
    source_hash,
    split_front_matter,
)
from navigator.learning.package_quiz import (
    QUESTION_TYPES,
    QuizFile,
    _option_keys,
    load_quiz,
    normalise_quiz_texts,
    quiz_key_file,
    quiz_source_hash,
    quiz_text_file,
)
from navigator.learning.package_yaml import (
    LineDict,
    Problem,
    _check_locale,
    _Dumper,
    _line,
    _Loader,
    _locale_files,
    _read_yaml,
    dump_yaml,
)
from navigator.learning.render import SLUG

__all__ = [
    "IMAGE_SUFFIXES", "LESSON_FILE", "LINK", "MAX_ZIP_BYTES", "MAX_ZIP_FILES", "NARRATION",
    "QUESTION_TYPES", "SANDBOX_BLOCK", "SLUG", "BadArchive", "LessonFile", "LineDict",
    "ModuleFile", "Package", "Problem", "QuizFile", "_Dumper", "_Loader", "_check_body",
    "_check_locale", "_check_references", "_front_matter", "_line", "_load_lessons",
    "_locale_files", "_option_keys", "_read_yaml", "body_of", "dump_yaml", "extra_files",
    "find_packages", "lesson_file", "load_files", "load_package", "load_quiz",
    "normalise_quiz_texts", "quiz_key_file", "quiz_source_hash", "quiz_text_file", "read_zip",
    "source_hash", "split_front_matter", "translation_problems", "write_zip",
]


@dataclass
class ModuleFile:
    slug: str
    minutes: int
    texts: dict[str, dict]
    references: list
    lessons: list[LessonFile]
    quiz: QuizFile | None


@dataclass
class Package:
    """A course package read from disk, before it is stored in the database."""

    root: Path
    slug: str
    version: int
    default_locale: str
    texts: dict[str, dict]
    track: dict
    modules: list[ModuleFile]
    final: QuizFile | None
    problems: list[Problem] = field(default_factory=list)
    extras: dict[str, bytes] = field(default_factory=dict)  # path → bytes, kept as they are

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def load_package(root: Path, scenario_names: set[str] | None = None) -> Package:
    """Read and validate a course package folder; problems are collected, never raised."""
    problems: list[Problem] = []
    course_path = root / "course.yaml"
    course, slug, default_locale, version = _read_course(root, course_path, problems)
    texts = _course_texts(root, course, course_path, default_locale, problems)
    module_slugs = course.get("modules") or []
    if not isinstance(module_slugs, list) or not module_slugs:
        problems.append(Problem(course_path, _line(course, "modules"), "modules are missing"))
        module_slugs = []
    known = {m for m in module_slugs if isinstance(m, str)}
    if len(known) != len(module_slugs):
        problems.append(Problem(course_path, _line(course, "modules"),
                                "module names must be unique"))
    modules = []
    for mslug in module_slugs:
        module = _load_module(root, mslug, course, course_path, default_locale, known,
                              scenario_names, problems)
        if module is not None:
            modules.append(module)
    final = None
    if course.get("final_assessment"):
        fslug = str(course["final_assessment"])
        final = load_quiz(root / fslug, "quiz", fslug, default_locale, problems)
    track = dict(course.get("track") or {})
    _check_track(track, course_path, course, known, problems)
    final_folder = str(course.get("final_assessment") or "")
    extras = extra_files(root, known | ({final_folder} if final_folder else set()))
    _check_narrations(root, extras, modules, problems)
    return Package(root=root, slug=str(slug), version=version, default_locale=default_locale,
                   texts=texts, track=track, modules=modules, final=final, problems=problems,
                   extras=extras)


def _read_course(root: Path, course_path: Path, problems: list[Problem]) -> tuple:
    """course.yaml as a mapping, with its id, default locale and version checked."""
    course = _read_yaml(course_path, problems) or {}
    if not isinstance(course, dict):
        problems.append(Problem(course_path, 1, "course.yaml must be a mapping"))
        course = {}
    slug = course.get("id", root.name)
    if slug != root.name or not SLUG.match(str(slug)):
        problems.append(Problem(course_path, _line(course, "id"),
                                f"id must equal the folder name ({root.name}) and use a-z, 0-9, -"))
    default_locale = course.get("default_locale", "en")
    if default_locale not in CODES:
        problems.append(Problem(course_path, _line(course, "default_locale"),
                                f"unknown default_locale {default_locale!r}"))
        default_locale = "en"
    version = course.get("version", 1)
    if not isinstance(version, int) or version < 1:
        problems.append(Problem(course_path, _line(course, "version"),
                                "version must be a whole number, 1 or more"))
        version = 1
    return course, slug, default_locale, version


def _course_texts(root: Path, course: dict, course_path: Path, default_locale: str,
                  problems: list[Problem]) -> dict[str, dict]:
    """The course's title, description and track title in each locale."""
    texts = {default_locale: {"title": str(course.get("title", "")),
                              "description": str(course.get("description", "")),
                              "track_title": str((course.get("track") or {}).get("title", ""))}}
    if not texts[default_locale]["title"]:
        problems.append(Problem(course_path, 1, "title is missing"))
    for locale, path in _locale_files(root, "course").items():
        if _check_locale(locale, path, problems):
            data = _read_yaml(path, problems)
            if isinstance(data, dict):
                texts[locale] = {k: str(data.get(k, "")) for k in
                                 ("title", "description", "track_title")}
    return texts


def _load_module(root: Path, mslug, course: dict, course_path: Path, default_locale: str,
                 known: set[str], scenario_names: set[str] | None,
                 problems: list[Problem]) -> ModuleFile | None:
    """One module folder: module.yaml and its translations, lessons, references and quiz."""
    folder = root / str(mslug)
    if not SLUG.match(str(mslug)) or not folder.is_dir():
        problems.append(Problem(course_path, _line(course, "modules"),
                                f"module folder {mslug!r} does not exist"))
        return None
    mpath = folder / "module.yaml"
    mdata = _read_yaml(mpath, problems)
    if not isinstance(mdata, dict):
        return None
    mtexts = {default_locale: {"title": str(mdata.get("title", "")),
                               "summary": str(mdata.get("summary", ""))}}
    if not mtexts[default_locale]["title"]:
        problems.append(Problem(mpath, 1, "title is missing"))
    for locale, path in _locale_files(folder, "module").items():
        if _check_locale(locale, path, problems):
            data = _read_yaml(path, problems)
            if isinstance(data, dict):
                mtexts[locale] = {"title": str(data.get("title", "")),
                                  "summary": str(data.get("summary", ""))}
    references = mdata.get("references") or []
    lessons = _load_lessons(folder, mdata.get("lessons") or [], default_locale, root / "assets",
                            known, scenario_names, problems, mpath, _line(mdata, "lessons"))
    if not lessons:
        problems.append(Problem(mpath, _line(mdata, "lessons"), "a module needs lessons"))
    _check_references(lessons, references, default_locale, problems)
    quiz = None
    if mdata.get("quiz"):
        quiz = load_quiz(folder, str(mdata["quiz"]), f"{mslug}/{mdata['quiz']}",
                         default_locale, problems)
    return ModuleFile(slug=mslug, minutes=int(mdata.get("minutes") or 0), texts=mtexts,
                      references=[dict(r) for r in references if isinstance(r, dict)],
                      lessons=lessons, quiz=quiz)


NARRATION = re.compile(r"^narration/(?P<module>[^/]+)/(?P<lesson>[^/.]+)\.(?P<locale>[^/.]+)"
                       r"\.(?P<kind>[A-Za-z0-9]+)$")


def _check_narrations(root: Path, extras: dict[str, bytes], modules: list[ModuleFile],
                      problems: list[Problem]) -> None:
    """Recorded narrations (narration/<module>/<lesson>.<locale>.<kind>): real audio of a kind
    browsers play, not too large, for a lesson and language the course has."""
    lessons = {(m.slug, lesson.slug) for m in modules for lesson in m.lessons}
    limit = audio.MAX_RECORDING_BYTES // (1024 * 1024)
    for rel, data in extras.items():
        if not rel.startswith("narration/"):
            continue
        path = root / rel
        match = NARRATION.match(rel)
        if not match or match["kind"] not in audio.KINDS:
            problems.append(Problem(path, 1, "narration files are named narration/<module>/"
                                             "<lesson>.<locale>.<ogg|mp3|m4a|webm>"))
            continue
        found = audio.sniff(data)
        if found is None:
            problems.append(Problem(path, 1, "not an audio file of a kind browsers play "
                                             "(Ogg, MP3, M4A, WebM)"))
        elif found != match["kind"]:
            problems.append(Problem(path, 1, f"is {found} audio: name it .{found}"))
        if len(data) > audio.MAX_RECORDING_BYTES:
            problems.append(Problem(path, 1, f"larger than {limit} MB"))
        if match["locale"] not in CODES:
            problems.append(Problem(path, 1, f"unknown language {match['locale']!r}"))
        if (match["module"], match["lesson"]) not in lessons:
            problems.append(Problem(path, 1, "narration of a lesson the course does not have",
                                    "warning"))


def extra_files(root: Path, modelled_folders: set[str]) -> dict[str, bytes]:
    """Files the database does not model: everything outside course files and module folders."""
    extras = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or rel.parts[0] in modelled_folders or rel.parts[0].startswith("."):
            continue
        if len(rel.parts) == 1 and (rel.name == "course.yaml"
                                    or re.fullmatch(r"course\.[A-Za-z_]+\.yaml", rel.name)):
            continue
        extras[rel.as_posix()] = path.read_bytes()
    return extras



def _check_track(track: dict, path: Path, course: dict, modules: set[str],
                 problems: list[Problem]) -> None:
    if not track:
        return
    line = _line(course, "track")
    required = track.get("modules", "all")
    if required != "all" and (not isinstance(required, list) or set(required) - modules):
        problems.append(Problem(path, line, "track modules must be 'all' or modules of this "
                                            "course"))
    for key in ("final_pass_mark", "outreach_sessions", "valid_months", "chatbot_checks"):
        value = track.get(key, 0)
        if not isinstance(value, int) or value < 0:
            problems.append(Problem(path, line, f"track {key} must be a whole number"))


def translation_problems(package: Package) -> list[Problem]:
    """Translations that are missing or older than their source, for every platform locale."""
    problems = []
    src = package.default_locale
    for module in package.modules:
        for lesson in module.lessons:
            source = lesson.texts.get(src)
            if not source:
                continue
            folder = source["path"].parent
            for locale in CODES:
                if locale == src:
                    continue
                text = lesson.texts.get(locale)
                if text is None:
                    problems.append(Problem(folder / f"{lesson.slug}.{locale}.md", 1,
                                            "translation is missing"))
                elif text["source_hash"] != source["hash"]:
                    problems.append(Problem(text["path"], 1,
                                            "translation is outdated: the source changed since "
                                            "(source_hash differs)"))
        quizzes = [(module.quiz, package.root / module.slug)] if module.quiz else []
        for locale in CODES:
            if locale != src and locale not in module.texts:
                problems.append(Problem(package.root / module.slug / f"module.{locale}.yaml", 1,
                                        "translation is missing"))
        for quiz, folder in quizzes:
            problems += _quiz_translation_problems(quiz, folder, src)
    if package.final:
        problems += _quiz_translation_problems(package.final, package.root / package.final.slug,
                                               src)
    for locale in CODES:
        if locale != src and locale not in package.texts:
            problems.append(Problem(package.root / f"course.{locale}.yaml", 1,
                                    "translation is missing"))
    return problems


def _quiz_translation_problems(quiz: QuizFile, folder: Path, src: str) -> list[Problem]:
    problems = []
    source = quiz.texts.get(src, {})
    stem = quiz.slug.rsplit("/", 1)[-1] if "/" in quiz.slug else "quiz"
    for locale in CODES:
        if locale == src:
            continue
        path = folder / f"{stem}.{locale}.yaml"
        text = quiz.texts.get(locale)
        if text is None:
            problems.append(Problem(path, 1, "translation is missing"))
        elif text["source_hash"] != source.get("hash"):
            problems.append(Problem(path, 1, "translation is outdated: the source changed since "
                                             "(source_hash differs)"))
    return problems


def find_packages(curricula: Path) -> list[Path]:
    """Course package folders under curricula/ (those holding a course.yaml)."""
    return sorted(p.parent for p in curricula.glob("*/course.yaml"))



def load_files(files: dict[str, bytes], scenario_names: set[str] | None = None) -> Package:
    """Validate package files held in memory; problems name files relative to the package."""
    import tempfile

    course = yaml.safe_load(files.get("course.yaml", b"") or b"") if "course.yaml" in files else {}
    slug = str((course or {}).get("id", "course")) if isinstance(course, dict) else "course"
    slug = slug if SLUG.match(slug) else "course"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / slug
        for rel, data in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if scenario_names is None and (root / "sandbox" / "scenarios").is_dir():
            scenario_names = {p.stem for p in (root / "sandbox" / "scenarios").glob("*.yaml")
                              if "." not in p.stem}
        pkg = load_package(root, scenario_names)
        pkg.problems = [Problem(_relative(p.path, root), p.line, p.message, p.severity)
                        for p in pkg.problems]
    return pkg


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return Path(path.name)
