"""A course package's lessons: front matter, source hashes, the lesson files and their bodies."""

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from navigator.learning.package_yaml import Problem, _check_locale, _Loader, dump_yaml
from navigator.learning.render import LINK_SCHEMES, scheme_of

LESSON_FILE = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]*)\.(?P<locale>[A-Za-z_]+)\.md$")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".webp")


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



def lesson_file(title: str, minutes: int, body: str, source_hash: str = "",
                reviewed_by: str = "") -> str:
    """A lesson file in canonical form: front matter, a blank line, the body."""
    meta = {"title": title, "minutes": minutes}
    if source_hash:
        meta["source_hash"] = source_hash
    if reviewed_by:
        meta["reviewed_by"] = reviewed_by
    return f"---\n{dump_yaml(meta)}---\n\n{body.strip()}\n"



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

