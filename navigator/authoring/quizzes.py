"""Authoring quizzes: a draft's quiz files as YAML, the question editor's drafts, saving both
as the package loader reads them, and each translation's status."""

import json
import tempfile

from sqlmodel import Session, select

from navigator.authoring import quizedit
from navigator.authoring.access import _draft, _locale
from navigator.i18n import CODES, _
from navigator.learning import package
from navigator.learning.models import Course, CourseVersion, Module, Quiz


def quiz_of(s: Session, version_id: int, module_id: int | None) -> Quiz | None:
    """A module's quiz, or the final assessment when module_id is None."""
    return s.exec(select(Quiz).where(Quiz.version_id == version_id,
                                     Quiz.module_id == module_id)).first()


def quiz_files(s: Session, quiz: Quiz, locale: str, default: str) -> tuple[str, str]:
    """A quiz's answer key and one locale's texts as the YAML a trainer edits."""
    texts = quiz.texts.get(locale, {})
    source_hash = texts.get("source_hash", "") if locale != default else ""
    return (package.quiz_key_file(quiz.pass_mark, quiz.key),
            package.quiz_text_file(texts.get("questions", {}), source_hash,
                                   texts.get("reviewed_by", "")))


def _check_quiz_files(s: Session, course: Course, module: Module | None, draft: CourseVersion,
                      key_yaml: str, texts: dict[str, str]
                      ) -> tuple[list[package.Problem], Quiz | None, package.QuizFile | None]:
    """Check a quiz's answer key and its texts (the given locales replacing the stored ones)
    as the package files they are, with the package loader; (problems, the quiz row, made if
    new, the quiz as loaded). Only the quiz's own files are read: publishing checks the rest."""
    quiz = quiz_of(s, draft.id, module.id if module else None)
    folder = module.slug if module else (draft.final_quiz_slug or "final")
    stem = quiz.slug.rsplit("/", 1)[-1] if quiz and module else "quiz"
    default = course.default_locale
    files = {f"{stem}.yaml": key_yaml}
    for locale, entry in (quiz.texts if quiz else {}).items():
        if locale not in texts:  # stored, and unchanged: read as it is
            files[f"{stem}.{locale}.yaml"] = _as_yaml({
                "source_hash": "" if locale == default else entry.get("source_hash", ""),
                "reviewed_by": entry.get("reviewed_by", ""),
                "questions": entry.get("questions") or {}})
    files.update({f"{stem}.{locale}.yaml": text for locale, text in texts.items()})
    if f"{stem}.{default}.yaml" not in files:
        return [package.Problem(package.Path(f"{folder}/{stem}.{default}.yaml"), 1,
                                _("Write the quiz in the course's main language first."))], \
            None, None
    found: list[package.Problem] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = package.Path(tmp) / folder
        root.mkdir(parents=True)
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
        loaded = package.load_quiz(root, stem, f"{module.slug}/{stem}" if module else folder,
                                   default, found)
        problems = [package.Problem(package.Path(folder) / p.path.relative_to(root), p.line,
                                    p.message) for p in found if p.severity == "error"]
    if problems or loaded is None:
        return problems or [package.Problem(package.Path(f"{folder}/{stem}.yaml"), 1,
                                            _("The quiz could not be read."))], None, None
    if quiz is None:
        quiz = Quiz(version_id=draft.id, module_id=module.id if module else None,
                    slug=f"{module.slug}/{stem}" if module else folder)
        if module is None:
            draft.final_quiz_slug = folder
    quiz.pass_mark, quiz.key = loaded.pass_mark, loaded.key
    return [], quiz, loaded


def _as_yaml(data) -> str:
    """Data for the package loader to read, quickly: JSON is YAML. Files a person reads are
    written by package.dump_yaml; this is only for checking, line numbers do not matter."""
    return json.dumps(data, ensure_ascii=False)


def save_quiz(s: Session, course: Course, module: Module | None, version_id: int,
              locale: str, *, key_yaml: str, texts_yaml: str) -> list[package.Problem]:
    """Validate and store a quiz's key and one locale's texts given as YAML; returns problems
    (none: saved)."""
    draft = _draft(s, version_id)
    _locale(locale)
    problems, quiz, loaded = _check_quiz_files(s, course, module, draft, key_yaml,
                                               {locale: texts_yaml})
    if problems:
        return problems
    texts = dict(quiz.texts)
    new = loaded.texts[locale]
    if locale != course.default_locale:
        new["source_hash"] = pkg_source_hash(loaded, course.default_locale)
    texts[locale] = new
    if locale == course.default_locale:
        texts[locale]["hash"] = loaded.texts[locale].get("hash", "")
    quiz.texts = texts
    s.add(quiz)
    s.flush()
    return []


def pkg_source_hash(quiz: package.QuizFile, default: str) -> str:
    return quiz.texts.get(default, {}).get("hash", "")


def stored_source_hash(quiz: Quiz, default: str) -> str:
    """The hash of a stored quiz's texts in its main language, as translations record it."""
    source = quiz.texts.get(default) or {}
    return source.get("hash") or package.quiz_source_hash(source.get("questions") or {})


def quiz_status(quiz: Quiz | None, locale: str, default: str) -> str:
    """missing / outdated / current / reviewed for one translation of a quiz."""
    text = quiz.texts.get(locale) if quiz else None
    if not text or default not in quiz.texts:
        return "missing"
    if text.get("source_hash") != stored_source_hash(quiz, default):
        return "outdated"
    return "reviewed" if text.get("reviewed_by") else "current"


def quiz_draft(quiz: Quiz | None, locale: str, default: str) -> quizedit.Draft:
    """A quiz as the question editor shows it in one language: the main language's structure
    with this language's texts (empty where there are none yet); a new quiz has one blank
    question."""
    if quiz is None:
        draft = quizedit.Draft()
        draft.questions.append(quizedit.blank_question(draft))
        return draft
    texts = (quiz.texts.get(locale) or {}).get("questions") or {}
    return quizedit.from_quiz(quiz.pass_mark, quiz.key, texts)


def save_questions(s: Session, course: Course, module: Module | None, version_id: int,
                   locale: str, edited: quizedit.Draft) -> list[package.Problem]:
    """Store a quiz edited in the question editor; returns problems (none: saved).

    In the main language the answer key and the texts are saved, and every translation is
    fitted to the new key (see quizedit.adapt_translation); in another language only its texts,
    recorded as following the current source. Either way the quiz is checked as the package
    files it becomes, and stored as the package loader reads them, so an exported package
    holds exactly what the editor saved.
    """
    draft = _draft(s, version_id)
    _locale(locale)
    default = course.default_locale
    quiz = quiz_of(s, draft.id, module.id if module else None)
    stored = dict(quiz.texts) if quiz else {}
    if locale == default:
        pass_mark, key, questions = quizedit.to_quiz(edited)
        files = {default: _as_yaml({"reviewed_by": (stored.get(default) or {})
                                    .get("reviewed_by", ""), "questions": questions})}
        for other, entry in stored.items():
            if other == default:
                continue
            before = entry.get("questions") or {}
            fitted = quizedit.adapt_translation(before, key, questions)
            if fitted != before:  # the key changed under it; else it stays as stored
                files[other] = _as_yaml({"source_hash": entry.get("source_hash", ""),
                                         "reviewed_by": "", "questions": fitted})
    else:
        if quiz is None or default not in stored:
            return [package.Problem(package.Path("quiz"), 1, _(
                "Write the quiz in the course's main language first."))]
        pass_mark, key = quiz.pass_mark, quiz.key
        _mark, _key, questions = quizedit.to_quiz(quizedit.Draft(str(pass_mark),
                                                                 edited.questions))
        current = stored.get(locale) or {}
        reviewed = current.get("reviewed_by", "") if current.get("questions") == questions \
            else ""
        files = {locale: _as_yaml({"source_hash": stored_source_hash(quiz, default),
                                   "reviewed_by": reviewed, "questions": questions})}
    problems, quiz, loaded = _check_quiz_files(
        s, course, module, draft, _as_yaml({"pass_mark": pass_mark, **key}), files)
    if problems:
        return problems
    quiz.texts = {code: loaded.texts[code] for code in CODES if code in loaded.texts}
    s.add(quiz)
    s.flush()
    return []

