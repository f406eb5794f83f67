"""A small course package written to disk, to test the learning pages with real content."""

import base64
from pathlib import Path

import yaml

from navigator.learning import package, package_store

# A 1×1 transparent PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwAD"
                       "hgGAWjR9awAAAABJRU5ErkJggg==")

LESSON_ONE = """\
A model reads **tokens**[^ref1]. See also [the next module](module:m2).

![A tiny picture](../assets/pic.png)

::: try
Count the tokens in your name.
:::

```sandbox
token-view
```

{extra}

[^ref1]: Ref One, 2024.
"""

QUIZ_KEY = {"pass_mark": 75, "questions": [
    {"id": "q1", "type": "single", "options": ["a", "b", "c", "d", "e"], "correct": ["b"]},
    {"id": "q2", "type": "true_false", "correct": [False]},
    {"id": "q3", "type": "multiple", "options": ["a", "b", "c", "d"], "correct": ["a", "d"]},
    {"id": "q4", "type": "scenario", "options": ["a", "b", "c"], "correct": ["c"]},
]}
QUIZ_EN = {"questions": {
    "q1": {"prompt": "What does a model read?", "options": {
        "a": {"text": "Letters", "feedback": "No: pieces."},
        "b": {"text": "Tokens", "feedback": "Yes: tokens."},
        "c": {"text": "Feelings", "feedback": "No: only text."},
        "d": {"text": "Minds", "feedback": "No."},
        "e": {"text": "Pictures", "feedback": "No."}},
        "explanation": "Models read tokens, small pieces of text."},
    "q2": {"prompt": "A fluent answer is a true answer.", "options": {
        "true": {"feedback": "Not so."}, "false": {"feedback": "Right."}},
        "explanation": "Fluent is not true."},
    "q3": {"prompt": "Which are safe habits?", "options": {
        "a": {"text": "Check the source", "feedback": "Good."},
        "b": {"text": "Trust the tone", "feedback": "No."},
        "c": {"text": "Share the full name", "feedback": "No."},
        "d": {"text": "Ask a professional", "feedback": "Good."}},
        "explanation": "Check, and ask."},
    "q4": {"case": "Amina shows you a chatbot's citation.", "prompt": "What first?",
           "options": {"a": {"text": "Believe it"}, "b": {"text": "Ignore it"},
                       "c": {"text": "Look the study up", "feedback": "Yes."}},
           "explanation": "Look it up."},
}}
FINAL_KEY = {"pass_mark": 50, "questions": [
    {"id": "f1", "type": "single", "options": ["a", "b"], "correct": ["a"]}]}
FINAL_EN = {"questions": {"f1": {"prompt": "Final question?", "options": {
    "a": {"text": "Right one"}, "b": {"text": "Wrong one"}}, "explanation": "Because."}}}


def _yaml(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _lesson(path: Path, title: str, body: str, **meta) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    head = yaml.safe_dump({"title": title, **meta}, allow_unicode=True, sort_keys=False)
    path.write_text(f"---\n{head}---\n{body}", encoding="utf-8")


def write_package(curricula: Path, *, slug: str = "demo", version: int = 1,
                  extra: str = "", title: str = "Demo course") -> Path:
    """A two-module course: a quiz, a final assessment, an image, es (unreviewed) and ar."""
    root = curricula / slug
    _yaml(root / "course.yaml", {
        "id": slug, "version": version, "default_locale": "en", "title": title,
        "description": "A short course for tests.", "modules": ["m1", "m2"],
        "final_assessment": "final"})
    _yaml(root / "course.es.yaml", {"title": "Curso de prueba", "description": "Un curso."})
    _yaml(root / "course.ar.yaml", {"title": "دورة تجريبية", "description": "دورة قصيرة."})
    _yaml(root / "m1" / "module.yaml", {
        "title": "First module", "summary": "Tokens.", "minutes": 12,
        "lessons": ["l1", "l2"], "quiz": "quiz",
        "references": [{"key": "ref1", "text": "Ref One. A study of tokens. 2024."}]})
    _yaml(root / "m1" / "module.es.yaml", {"title": "Primer módulo", "summary": "Tokens."})
    english = LESSON_ONE.format(extra=extra)
    _lesson(root / "m1" / "lessons" / "l1.en.md", "Tokens and text", english, minutes=5)
    en_hash = package.source_hash((root / "m1" / "lessons" / "l1.en.md").read_text())
    _lesson(root / "m1" / "lessons" / "l1.es.md", "Tokens y texto",
            "Un modelo lee **tokens**[^ref1].\n\n[^ref1]: Ref One, 2024.\n",
            source_hash=en_hash)
    _lesson(root / "m1" / "lessons" / "l1.ar.md", "الرموز والنص",
            "يقرأ النموذج **الرموز**[^ref1].\n\n[^ref1]: Ref One, 2024.\n",
            source_hash=en_hash, reviewed_by="Reviewer, 2026-01-01")
    _lesson(root / "m1" / "lessons" / "l2.en.md", "Fluent is not true",
            "A sure voice is not a true answer.\n", minutes=4)
    _yaml(root / "m1" / "quiz.yaml", QUIZ_KEY)
    _yaml(root / "m1" / "quiz.en.yaml", QUIZ_EN)
    _yaml(root / "m2" / "module.yaml", {"title": "Second module", "summary": "Privacy.",
                                        "minutes": 5, "lessons": ["l1"]})
    _lesson(root / "m2" / "lessons" / "l1.en.md", "Keep details out",
            "Never paste a name.\n", minutes=5)
    _yaml(root / "final" / "quiz.yaml", FINAL_KEY)
    _yaml(root / "final" / "quiz.en.yaml", FINAL_EN)
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "pic.png").write_bytes(PNG)
    return root


def import_and_offer(s, root: Path, programme_id: int):
    """Load, import and offer a package; the course's published version."""
    pkg = package.load_package(root)
    assert not pkg.errors, [str(p) for p in pkg.errors]
    version, _imported = package_store.import_package(s, pkg)
    package_store.offer_course(s, programme_id, version.course_id)
    s.commit()
    return version
