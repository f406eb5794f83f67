"""A course package's quizzes: the answer key, the texts of each locale, their files and hashes."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from navigator.learning.package_lessons import source_hash
from navigator.learning.package_yaml import (
    Problem,
    _check_locale,
    _line,
    _locale_files,
    _read_yaml,
    dump_yaml,
)

QUESTION_TYPES = ("single", "multiple", "true_false", "scenario")


@dataclass
class QuizFile:
    slug: str
    pass_mark: int
    key: dict
    texts: dict[str, dict] = field(default_factory=dict)  # locale → {"questions", "source_hash"}


def load_quiz(folder: Path, stem: str, slug: str, default_locale: str,
              problems: list[Problem]) -> QuizFile | None:
    """Read a quiz's answer key and the texts of each locale, checking ids agree."""
    key_path = folder / f"{stem}.yaml"
    key = _read_key(key_path, problems)
    if key is None:
        return None
    pass_mark, clean, seen = key
    quiz = QuizFile(slug=slug, pass_mark=pass_mark, key={"questions": clean})
    for locale, path in sorted(_locale_files(folder, stem).items()):
        if not _check_locale(locale, path, problems):
            continue
        texts = _read_texts(path, clean, seen, problems)
        if texts is not None:
            quiz.texts[locale] = texts
    if default_locale not in quiz.texts:
        problems.append(Problem(key_path, 1, f"texts in the default locale "
                                             f"({stem}.{default_locale}.yaml) are missing"))
    else:
        quiz.texts[default_locale]["hash"] = quiz_source_hash(
            quiz.texts[default_locale]["questions"])
    return quiz


def _read_key(key_path: Path, problems: list[Problem]) -> tuple[int, list, set] | None:
    """A quiz's pass mark, its well-formed questions, and every question id it names."""
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
        question = _key_question(q, key_path, seen, problems)
        if question is not None:
            clean.append(question)
    return pass_mark, clean, seen


def _key_question(q, key_path: Path, seen: set, problems: list[Problem]) -> dict | None:
    """One question of the answer key, checked; None when it cannot be used."""
    line = getattr(q, "line", 1)
    if not isinstance(q, dict) or not isinstance(q.get("id"), str):
        problems.append(Problem(key_path, line, "each question needs an id"))
        return None
    qid, qtype = q["id"], q.get("type")
    if qid in seen:
        problems.append(Problem(key_path, line, f"question id {qid!r} is used twice"))
    seen.add(qid)
    if qtype not in QUESTION_TYPES:
        problems.append(Problem(key_path, _line(q, "type"),
                                f"question {qid}: type must be one of "
                                f"{', '.join(QUESTION_TYPES)}"))
        return None
    options = ["true", "false"] if qtype == "true_false" else q.get("options")
    correct = [str(c).lower() if isinstance(c, bool) else c for c in q.get("correct") or []]
    if not isinstance(options, list) or len(options) < 2:
        problems.append(Problem(key_path, _line(q, "options"),
                                f"question {qid}: needs at least two options"))
        return None
    options = [str(o) for o in options]
    if len(set(options)) != len(options):
        problems.append(Problem(key_path, _line(q, "options"),
                                f"question {qid}: option ids must be unique"))
    unknown = [c for c in correct if c not in options]
    if not correct or unknown:
        problems.append(Problem(key_path, _line(q, "correct"),
                                f"question {qid}: correct must name options of this "
                                f"question" + (f" (unknown: {unknown})" if unknown else "")))
        return None
    if qtype != "multiple" and len(correct) != 1:
        problems.append(Problem(key_path, _line(q, "correct"),
                                f"question {qid}: a {qtype} question has exactly one "
                                f"correct option"))
    return {"id": qid, "type": qtype, "options": options, "correct": correct}


def _read_texts(path: Path, clean: list, seen: set, problems: list[Problem]) -> dict | None:
    """A quiz's texts in one locale, checked against the answer key; None if unreadable."""
    data = _read_yaml(path, problems)
    if not isinstance(data, dict):
        return None
    texts = data.get("questions")
    if not isinstance(texts, dict):
        problems.append(Problem(path, _line(data, "questions"), "questions are missing"))
        return None
    for q in clean:
        _check_text(q, texts, path, problems)
    extra = {str(k) for k in texts} - seen
    if extra:
        problems.append(Problem(path, _line(data, "questions"),
                                f"questions {sorted(extra)} are not in the answer key"))
    return {"questions": {str(k): dict(v) for k, v in texts.items() if isinstance(v, dict)},
            "source_hash": str(data.get("source_hash", "")),
            "reviewed_by": str(data.get("reviewed_by", ""))}


def _check_text(q: dict, texts: dict, path: Path, problems: list[Problem]) -> None:
    """One question's text: a prompt, a text for each option, a case for a scenario."""
    text = texts.get(q["id"])
    if not isinstance(text, dict) or not text.get("prompt"):
        problems.append(Problem(path, _line(texts, q["id"]),
                                f"question {q['id']}: prompt is missing"))
        return
    opts = _option_keys(text.get("options") or {})
    text["options"] = opts
    for option in q["options"]:
        value = opts.get(option)
        if q["type"] != "true_false" and not (isinstance(value, dict) and value.get("text")):
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

