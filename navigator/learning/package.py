"""The course package format in curricula/: load, validate with file:line messages, hash."""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from navigator.i18n import CODES
from navigator.learning import audio
from navigator.learning.render import LINK_SCHEMES, SLUG, scheme_of

QUESTION_TYPES = ("single", "multiple", "true_false", "scenario")
LESSON_FILE = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]*)\.(?P<locale>[A-Za-z_]+)\.md$")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".webp")


class LineDict(dict):
    """A YAML mapping that remembers the line of each key."""

    lines: dict


# libyaml's parser when the system has it (PyYAML's wheels bundle it): much faster, same nodes.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):
    """Safe YAML that records line numbers for error messages."""


def _construct_mapping(loader, node):
    value = LineDict(loader.construct_mapping(node, deep=True))
    value.lines = {loader.construct_object(k): k.start_mark.line + 1 for k, _v in node.value}
    value.line = node.start_mark.line + 1
    return value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Dumper(yaml.SafeDumper):
    """Safe YAML output that also writes the loader's line-aware mappings."""


def _represent_list(dumper, data):
    # Short lists of plain values (option ids, answers) read best on one line: [a, b, c].
    flow = all(isinstance(item, (str, int, float, bool)) for item in data) and \
        sum(len(str(item)) + 2 for item in data) < 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(LineDict, yaml.representer.SafeRepresenter.represent_dict)
_Dumper.add_representer(list, _represent_list)


@dataclass
class Problem:
    """A problem found in a package, reported as file:line: message."""

    path: Path
    line: int
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


def _front_matter(text: str) -> tuple[str | None, str]:
    """A lesson's front matter as YAML text (None if it has none, or it is not closed), its body."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[4:end], text[end + 5:]
    return None, text


def body_of(text: str, markdown: bool = True) -> str:
    """The part of a file its source_hash covers: a lesson's body, or a whole YAML file."""
    return (_front_matter(text)[1] if markdown else text).strip()


def source_hash(text: str, markdown: bool = True) -> str:
    """First 12 hex characters of the SHA-256 of a source's body."""
    return hashlib.sha256(body_of(text, markdown).encode()).hexdigest()[:12]


def split_front_matter(text: str) -> tuple[dict, str, int]:
    """A lesson's front matter, its body, and the line the body starts on."""
    front, body = _front_matter(text)
    if front is None:
        if text.startswith("---\n"):
            raise ValueError("front matter is not closed with ---")
        return {}, text, 1
    meta = yaml.load(front, Loader=_Loader) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a mapping")
    return meta, body, front.count("\n") + 4  # the two --- lines, then the body


@dataclass
class LessonFile:
    slug: str
    minutes: int
    texts: dict[str, dict] = field(default_factory=dict)  # locale → title, body, hashes, review


@dataclass
class QuizFile:
    slug: str
    pass_mark: int
    key: dict
    texts: dict[str, dict] = field(default_factory=dict)  # locale → {"questions", "source_hash"}


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


def _read_yaml(path: Path, problems: list[Problem]):
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except FileNotFoundError:
        problems.append(Problem(path, 1, "file is missing"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(path, mark.line + 1 if mark else 1, f"invalid YAML: {exc}"))
    except UnicodeDecodeError:
        problems.append(Problem(path, 1, "file is not UTF-8 text"))
    return None


def _line(data, key) -> int:
    return getattr(data, "lines", {}).get(key, getattr(data, "line", 1))


def _locale_files(folder: Path, stem: str) -> dict[str, Path]:
    """Other-locale companions of a file: stem.<locale>.yaml."""
    found = {}
    for path in folder.glob(f"{stem}.*.yaml"):
        locale = path.name[len(stem) + 1:-len(".yaml")]
        found[locale] = path
    return found


def _check_locale(locale: str, path: Path, problems: list[Problem]) -> bool:
    if locale not in CODES:
        problems.append(Problem(path, 1, f"unknown locale {locale!r}; use one of "
                                         f"{', '.join(CODES)}"))
        return False
    return True


def load_quiz(folder: Path, stem: str, slug: str, default_locale: str,
              problems: list[Problem]) -> QuizFile | None:
    """Read a quiz's answer key and the texts of each locale, checking ids agree."""
    key_path = folder / f"{stem}.yaml"
    key = _read_yaml(key_path, problems)
    if not isinstance(key, dict):
        if key is not None:
            problems.append(Problem(key_path, 1, "a quiz must be a mapping"))
        return None
    pass_mark = key.get("pass_mark", 70)
    if not isinstance(pass_mark, int) or not 0 < pass_mark <= 100:
        problems.append(Problem(key_path, _line(key, "pass_mark"),
                                "pass_mark must be a whole number from 1 to 100"))
        pass_mark = 70
    questions = key.get("questions")
    if not isinstance(questions, list) or not questions:
        problems.append(Problem(key_path, _line(key, "questions"), "a quiz needs questions"))
        return None
    clean, seen = [], set()
    for q in questions:
        line = getattr(q, "line", 1)
        if not isinstance(q, dict) or not isinstance(q.get("id"), str):
            problems.append(Problem(key_path, line, "each question needs an id"))
            continue
        qid, qtype = q["id"], q.get("type")
        if qid in seen:
            problems.append(Problem(key_path, line, f"question id {qid!r} is used twice"))
        seen.add(qid)
        if qtype not in QUESTION_TYPES:
            problems.append(Problem(key_path, _line(q, "type"),
                                    f"question {qid}: type must be one of "
                                    f"{', '.join(QUESTION_TYPES)}"))
            continue
        options = ["true", "false"] if qtype == "true_false" else q.get("options")
        correct = [str(c).lower() if isinstance(c, bool) else c for c in q.get("correct") or []]
        if not isinstance(options, list) or len(options) < 2:
            problems.append(Problem(key_path, _line(q, "options"),
                                    f"question {qid}: needs at least two options"))
            continue
        options = [str(o) for o in options]
        if len(set(options)) != len(options):
            problems.append(Problem(key_path, _line(q, "options"),
                                    f"question {qid}: option ids must be unique"))
        unknown = [c for c in correct if c not in options]
        if not correct or unknown:
            problems.append(Problem(key_path, _line(q, "correct"),
                                    f"question {qid}: correct must name options of this "
                                    f"question" + (f" (unknown: {unknown})" if unknown else "")))
            continue
        if qtype != "multiple" and len(correct) != 1:
            problems.append(Problem(key_path, _line(q, "correct"),
                                    f"question {qid}: a {qtype} question has exactly one "
                                    f"correct option"))
        clean.append({"id": qid, "type": qtype, "options": options, "correct": correct})
    quiz = QuizFile(slug=slug, pass_mark=pass_mark, key={"questions": clean})
    for locale, path in sorted(_locale_files(folder, stem).items()):
        if not _check_locale(locale, path, problems):
            continue
        data = _read_yaml(path, problems)
        if not isinstance(data, dict):
            continue
        texts = data.get("questions")
        if not isinstance(texts, dict):
            problems.append(Problem(path, _line(data, "questions"), "questions are missing"))
            continue
        for q in clean:
            text = texts.get(q["id"])
            if not isinstance(text, dict) or not text.get("prompt"):
                problems.append(Problem(path, _line(texts, q["id"]),
                                        f"question {q['id']}: prompt is missing"))
                continue
            opts = _option_keys(text.get("options") or {})
            text["options"] = opts
            for option in q["options"]:
                value = opts.get(option)
                if q["type"] != "true_false" and not (isinstance(value, dict)
                                                      and value.get("text")):
                    problems.append(Problem(path, _line(text, "options"),
                                            f"question {q['id']}: option {option} has no text"))
            extra = set(opts) - set(q["options"])
            if extra:
                problems.append(Problem(path, _line(text, "options"),
                                        f"question {q['id']}: options {sorted(extra)} are not "
                                        f"in the answer key"))
            if q["type"] == "scenario" and not text.get("case"):
                problems.append(Problem(path, _line(text, "prompt"),
                                        f"question {q['id']}: a scenario question needs a case"))
        extra = {str(k) for k in texts} - seen
        if extra:
            problems.append(Problem(path, _line(data, "questions"),
                                    f"questions {sorted(extra)} are not in the answer key"))
        quiz.texts[locale] = {"questions": {str(k): dict(v) for k, v in texts.items()
                                            if isinstance(v, dict)},
                              "source_hash": str(data.get("source_hash", "")),
                              "reviewed_by": str(data.get("reviewed_by", ""))}
    if default_locale not in quiz.texts:
        problems.append(Problem(key_path, 1, f"texts in the default locale "
                                             f"({stem}.{default_locale}.yaml) are missing"))
    else:
        quiz.texts[default_locale]["hash"] = quiz_source_hash(
            quiz.texts[default_locale]["questions"])
    return quiz


def _option_keys(options: dict) -> dict:
    """Option ids as strings; YAML reads true/false keys as booleans."""
    return {str(k).lower() if isinstance(k, bool) else str(k): v for k, v in options.items()}


def normalise_quiz_texts(questions: dict) -> dict:
    """Quiz texts as the loader keeps them, for hashing a file outside a package."""
    return {str(qid): {**text, "options": _option_keys(text.get("options") or {})}
            for qid, text in questions.items() if isinstance(text, dict)}


def quiz_source_hash(questions: dict) -> str:
    """The hash of a quiz's texts, independent of how the file is laid out."""
    canonical = json.dumps(questions, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return source_hash(canonical, markdown=False)


def _load_lessons(folder: Path, slugs: list, default_locale: str, assets: Path,
                  module_slugs: set[str], scenario_names: set[str] | None,
                  problems: list[Problem], list_path: Path, list_line: int) -> list[LessonFile]:
    lessons_dir = folder / "lessons"
    files: dict[str, dict[str, Path]] = {}
    for path in sorted(lessons_dir.glob("*.md")) if lessons_dir.is_dir() else []:
        match = LESSON_FILE.match(path.name)
        if not match:
            problems.append(Problem(path, 1, "lesson files are named <lesson>.<locale>.md"))
            continue
        files.setdefault(match["slug"], {})[match["locale"]] = path
    lessons = []
    for slug in slugs:
        if not isinstance(slug, str) or slug not in files:
            problems.append(Problem(list_path, list_line,
                                    f"lesson {slug!r} is listed but lessons/{slug}."
                                    f"{default_locale}.md does not exist"))
            continue
        lesson = LessonFile(slug=slug, minutes=0)
        for locale, path in sorted(files[slug].items()):
            if not _check_locale(locale, path, problems):
                continue
            text = path.read_text(encoding="utf-8")
            try:
                meta, body, body_line = split_front_matter(text)
            except (ValueError, yaml.YAMLError) as exc:
                problems.append(Problem(path, 1, f"front matter: {exc}"))
                continue
            if not meta.get("title"):
                problems.append(Problem(path, 1, "front matter needs a title"))
            if locale == default_locale:
                lesson.minutes = int(meta.get("minutes") or 0)
            lesson.texts[locale] = {
                "title": str(meta.get("title", slug)), "body": body.strip(),
                "source_hash": str(meta.get("source_hash", "")),
                "reviewed_by": str(meta.get("reviewed_by", "")),
                "hash": source_hash(text), "path": path, "body_line": body_line,
            }
            _check_body(body, body_line, path, assets, module_slugs, scenario_names, problems)
        if default_locale not in lesson.texts:
            problems.append(Problem(lessons_dir, 1, f"lesson {slug}: the default-locale file "
                                                    f"{slug}.{default_locale}.md is missing"))
        lessons.append(lesson)
    for slug in sorted(set(files) - {s for s in slugs if isinstance(s, str)}):
        problems.append(Problem(next(iter(files[slug].values())), 1,
                                f"lesson {slug!r} is not listed in module.yaml", "warning"))
    return lessons


LINK = re.compile(r"(!?)\[[^\]]*\]\(([^)\s]+)")
SANDBOX_BLOCK = re.compile(r"^```sandbox\s*\n(.*?)\n```", re.M | re.S)


def _check_body(body: str, first_line: int, path: Path, assets: Path, module_slugs: set[str],
                scenario_names: set[str] | None, problems: list[Problem]) -> None:
    """Links, images and embedded scenarios in a lesson body."""
    for match in LINK.finditer(body):
        line = first_line + body[:match.start()].count("\n")
        is_image, url = match.group(1) == "!", match.group(2)
        # The schemes as a browser reads them, by the rules render.py applies when it renders.
        scheme = scheme_of(url)
        if is_image:
            if scheme or url.startswith(("/", "\\")):
                problems.append(Problem(path, line, f"images must be files in assets/: {url}"))
            elif not (assets / Path(url).name).is_file():
                problems.append(Problem(path, line, f"image {url} is not in assets/"))
            elif not url.lower().endswith(IMAGE_SUFFIXES):
                problems.append(Problem(path, line, f"unsupported image type: {url}"))
        elif scheme == "module":
            if url.split(":", 1)[1].split("#")[0] not in module_slugs:
                problems.append(Problem(path, line, f"link to an unknown module: {url}"))
        elif scheme and scheme not in LINK_SCHEMES:
            problems.append(Problem(path, line, f"links of this kind are not allowed: {url}"))
    if scenario_names is not None:
        for match in SANDBOX_BLOCK.finditer(body):
            name = match.group(1).strip()
            if name not in scenario_names:
                line = first_line + body[:match.start()].count("\n")
                problems.append(Problem(path, line, f"unknown sandbox scenario {name!r}"))


def load_package(root: Path, scenario_names: set[str] | None = None) -> Package:
    """Read and validate a course package folder; problems are collected, never raised."""
    problems: list[Problem] = []
    course_path = root / "course.yaml"
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
    module_slugs = course.get("modules") or []
    if not isinstance(module_slugs, list) or not module_slugs:
        problems.append(Problem(course_path, _line(course, "modules"), "modules are missing"))
        module_slugs = []
    known = {m for m in module_slugs if isinstance(m, str)}
    if len(known) != len(module_slugs):
        problems.append(Problem(course_path, _line(course, "modules"),
                                "module names must be unique"))
    assets = root / "assets"
    modules = []
    for mslug in module_slugs:
        folder = root / str(mslug)
        if not SLUG.match(str(mslug)) or not folder.is_dir():
            problems.append(Problem(course_path, _line(course, "modules"),
                                    f"module folder {mslug!r} does not exist"))
            continue
        mpath = folder / "module.yaml"
        mdata = _read_yaml(mpath, problems)
        if not isinstance(mdata, dict):
            continue
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
        lessons = _load_lessons(folder, mdata.get("lessons") or [], default_locale, assets,
                                known, scenario_names, problems, mpath, _line(mdata, "lessons"))
        if not lessons:
            problems.append(Problem(mpath, _line(mdata, "lessons"), "a module needs lessons"))
        _check_references(lessons, references, default_locale, problems)
        quiz = None
        if mdata.get("quiz"):
            quiz = load_quiz(folder, str(mdata["quiz"]), f"{mslug}/{mdata['quiz']}",
                             default_locale, problems)
        modules.append(ModuleFile(slug=mslug, minutes=int(mdata.get("minutes") or 0),
                                  texts=mtexts, references=[dict(r) for r in references
                                                            if isinstance(r, dict)],
                                  lessons=lessons, quiz=quiz))
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


def dump_yaml(data) -> str:
    """YAML in the package's canonical style: keys in order, Unicode as is, wide lines."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100,
                     default_flow_style=False)


def lesson_file(title: str, minutes: int, body: str, source_hash: str = "",
                reviewed_by: str = "") -> str:
    """A lesson file in canonical form: front matter, a blank line, the body."""
    meta = {"title": title, "minutes": minutes}
    if source_hash:
        meta["source_hash"] = source_hash
    if reviewed_by:
        meta["reviewed_by"] = reviewed_by
    return f"---\n{dump_yaml(meta)}---\n\n{body.strip()}\n"


def quiz_key_file(pass_mark: int, key: dict) -> str:
    """A quiz's answer key file (quiz.yaml)."""
    questions = []
    for q in key["questions"]:
        entry = {"id": q["id"], "type": q["type"]}
        if q["type"] != "true_false":
            entry["options"] = list(q["options"])
        entry["correct"] = [c == "true" if q["type"] == "true_false" else c
                            for c in q["correct"]]
        questions.append(entry)
    return dump_yaml({"pass_mark": pass_mark, "questions": questions})


def quiz_text_file(texts: dict, source_hash: str = "", reviewed_by: str = "") -> str:
    """A quiz's texts in one locale (quiz.<locale>.yaml)."""
    data = {}
    if source_hash:
        data["source_hash"] = source_hash
    if reviewed_by:
        data["reviewed_by"] = reviewed_by
    data["questions"] = texts
    return dump_yaml(data)


def _check_references(lessons: list[LessonFile], references: list, default_locale: str,
                      problems: list[Problem]) -> None:
    keys = {r.get("key") for r in references if isinstance(r, dict)}
    for lesson in lessons:
        text = lesson.texts.get(default_locale)
        if not text:
            continue
        for key in set(re.findall(r"\[\^([^\]]+)\](?!:)", text["body"])):
            if key not in keys:
                problems.append(Problem(text["path"], text["body_line"],
                                        f"footnote [^{key}] is not in the module's references",
                                        "warning"))


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


MAX_ZIP_FILES = 3000
MAX_ZIP_BYTES = 64 * 1024 * 1024


class BadArchive(ValueError):
    """An uploaded package archive that cannot be read safely."""


def read_zip(data: bytes) -> dict[str, bytes]:
    """The files of a package zip, path → bytes; one top-level folder, if any, is dropped."""
    import io
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadArchive("not a zip file") from exc
    if len(entries) > MAX_ZIP_FILES:
        raise BadArchive(f"more than {MAX_ZIP_FILES} files")
    if sum(i.file_size for i in entries) > MAX_ZIP_BYTES:
        raise BadArchive("larger than 64 MB when unpacked")
    names = []
    for info in entries:
        parts = PurePosixPath(info.filename).parts
        if info.filename.startswith("/") or ".." in parts or "\\" in info.filename:
            raise BadArchive(f"unsafe path in archive: {info.filename}")
        names.append(parts)
    tops = {p[0] for p in names}
    strip = len(tops) == 1 and all(len(p) > 1 for p in names)
    files = {}
    for info, parts in zip(entries, names, strict=True):
        rel = "/".join(parts[1:] if strip else parts)
        if not rel.startswith("__MACOSX/") and not PurePosixPath(rel).name.startswith("."):
            files[rel] = archive.read(info)
    return files


def write_zip(files: dict[str, bytes], folder: str) -> bytes:
    """A zip of package files under one folder named after the course."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel, data in sorted(files.items()):
            info = zipfile.ZipInfo(f"{folder}/{rel}", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


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
