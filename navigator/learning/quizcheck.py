"""Quiz balance: can a test-wise guesser pass on surface cues? Figures and rules per quiz.

A certificate is worth its assessment, so `flask curricula check` measures, for every quiz and
every locale that has its texts:

- longest: single and scenario questions whose correct option is the longest, counted in
  characters of that locale's text (stripped). A tie counts as longest: the correct option is
  "not the longest" only when another option is strictly longer, so a guesser who picks the
  longest never gains from the rule.
- shortest: likewise, the correct option is the shortest (ties count), so that shortening the
  right answers does not just move the cue to the other end.
- first, last: single and scenario questions whose correct option stands first or last in the
  answer key's option order (quiz.yaml; the same in every locale). Attempts shuffle the options,
  but the files are also read, printed and exported in this order.
- true: true/false items whose answer is true.

Rules (each a problem; warnings normally, errors under `--strict`):

- longest: at most 30% of a quiz's single/scenario questions, but one is always allowed (a quiz
  of three may have one), and at most 30% over the whole course in each locale.
- shortest: at most 40% per quiz (one always allowed) and over the course, in each locale.
- first, last: at most 40% each per quiz (again one always allowed), and 40% over the course.
- true: 40-60% true in a quiz with 4 or more true/false items; a quiz with 2 or 3 must have at
  least one true and one false; over the whole course (module quizzes and final) 40-60% true.

Per-question problems point at the question (quiz.<locale>.yaml for lengths, quiz.yaml for
positions and true/false); course-wide problems point at course.yaml.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from navigator.learning import package

LONGEST_MAX = 0.30
SHORTEST_MAX = 0.40
POSITION_MAX = 0.40
TRUE_MIN, TRUE_MAX = 0.40, 0.60
TRUE_PER_QUIZ_MIN_ITEMS = 4
PREFIX = "quiz balance:"
CHOICE = ("single", "scenario")


@dataclass
class QuizStats:
    """One quiz's figures in one locale (positions and true/false are the same in every locale)."""

    quiz: str
    locale: str
    pass_mark: int
    choice: int = 0
    longest: list[str] = field(default_factory=list)
    shortest: list[str] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)
    true_false: int = 0
    true: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)


def option_length(text: dict, option: str) -> int:
    """Characters in one option's text (stripped); 0 when the text is missing."""
    entry = (text.get("options") or {}).get(option) or {}
    return len(str(entry.get("text", "") if isinstance(entry, dict) else entry).strip())


def correct_is_longest(question: dict, text: dict, shortest: bool = False) -> bool:
    """True unless some other option is strictly longer (shorter) than the correct one."""
    sign = -1 if shortest else 1
    lengths = {o: sign * option_length(text, o) for o in question["options"]}
    right = lengths[question["correct"][0]]
    return all(length <= right for o, length in lengths.items() if o != question["correct"][0])


def quiz_stats(quiz: package.QuizFile, locale: str) -> QuizStats:
    """The figures of one quiz in one locale."""
    texts = quiz.texts.get(locale, {}).get("questions", {})
    stats = QuizStats(quiz.slug, locale, quiz.pass_mark)
    for q in quiz.key["questions"]:
        if q["type"] == "true_false":
            stats.true_false += 1
            (stats.true if q["correct"] == ["true"] else stats.false).append(q["id"])
        elif q["type"] in CHOICE:
            stats.choice += 1
            right = q["options"].index(q["correct"][0])
            if right == 0:
                stats.first.append(q["id"])
            if right == len(q["options"]) - 1:
                stats.last.append(q["id"])
            if correct_is_longest(q, texts.get(q["id"], {})):
                stats.longest.append(q["id"])
            if correct_is_longest(q, texts.get(q["id"], {}), shortest=True):
                stats.shortest.append(q["id"])
    return stats


def allowed(share: float, count: int) -> int:
    """How many of count may have a property held to at most share (one is always allowed)."""
    return max(1, math.floor(share * count + 1e-9))


def quizzes(pkg: package.Package) -> list[tuple[package.QuizFile, Path, str]]:
    """Each quiz of a package with its folder and file stem."""
    found = [(m.quiz, pkg.root / m.slug, m.quiz.slug.rsplit("/", 1)[-1])
             for m in pkg.modules if m.quiz]
    if pkg.final:
        found.append((pkg.final, pkg.root / pkg.final.slug, "quiz"))
    return found


def package_stats(pkg: package.Package) -> list[QuizStats]:
    """Figures for every quiz of a package in every locale that has its texts."""
    return [quiz_stats(quiz, locale) for quiz, _folder, _stem in quizzes(pkg)
            for locale in sorted(quiz.texts, key=lambda c: (c != pkg.default_locale, c))]


def _question_lines(path: Path) -> dict[str, int]:
    """Line of each question in a quiz key (a list) or a locale's texts (a mapping)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=package._Loader)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return {}
    questions = data.get("questions") if isinstance(data, dict) else None
    if isinstance(questions, list):
        return {q.get("id"): getattr(q, "line", 1) for q in questions if isinstance(q, dict)}
    if isinstance(questions, dict):
        return {str(k): line for k, line in getattr(questions, "lines", {}).items()}
    return {}


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({round(100 * part / whole) if whole else 0}%)"


def quiz_problems(quiz: package.QuizFile, folder: Path, stem: str) -> list[package.Problem]:
    """Problems of one quiz: lengths per locale, positions and true/false in its key."""
    problems = []
    key_path = folder / f"{stem}.yaml"
    key_lines = _question_lines(key_path)
    for locale in sorted(quiz.texts):
        stats = quiz_stats(quiz, locale)
        path = folder / f"{stem}.{locale}.yaml"
        for where, ids, share in (("longest", stats.longest, LONGEST_MAX),
                                  ("shortest", stats.shortest, SHORTEST_MAX)):
            if len(ids) > allowed(share, stats.choice):
                lines = _question_lines(path)
                for qid in ids:
                    problems.append(package.Problem(path, lines.get(qid, 1), (
                        f"{PREFIX} question {qid}: the correct option is the {where}, as in "
                        f"{_pct(len(ids), stats.choice)} single/scenario questions of "
                        f"this quiz; at most {allowed(share, stats.choice)} may be")))
    stats = quiz_stats(quiz, next(iter(quiz.texts), ""))
    for where, ids in (("first", stats.first), ("last", stats.last)):
        if len(ids) > allowed(POSITION_MAX, stats.choice):
            for qid in ids:
                problems.append(package.Problem(key_path, key_lines.get(qid, 1), (
                    f"{PREFIX} question {qid}: the correct option is {where}, as in "
                    f"{_pct(len(ids), stats.choice)} single/scenario questions of this quiz; "
                    f"at most {allowed(POSITION_MAX, stats.choice)} may be")))
    n = stats.true_false
    if n >= TRUE_PER_QUIZ_MIN_ITEMS:
        low, high = math.ceil(TRUE_MIN * n - 1e-9), math.floor(TRUE_MAX * n + 1e-9)
        if not low <= len(stats.true) <= high:
            heavy = stats.true if len(stats.true) > high else stats.false
            answer = "true" if heavy is stats.true else "false"
            problems.append(package.Problem(key_path, key_lines.get(heavy[0], 1), (
                f"{PREFIX} {_pct(len(stats.true), n)} true/false items are true; keep "
                f"{low if low == high else f'{low} to {high}'} true "
                f"(too many {answer}: {', '.join(heavy)})")))
    elif n >= 2 and not (stats.true and stats.false):
        ids = stats.true or stats.false
        problems.append(package.Problem(key_path, key_lines.get(ids[0], 1), (
            f"{PREFIX} all {n} true/false items are {'true' if stats.true else 'false'}; "
            f"a quiz with 2 or 3 needs at least one of each ({', '.join(ids)})")))
    return problems


def course_problems(pkg: package.Package) -> list[package.Problem]:
    """Course-wide shares: longest per locale, positions and true/false over every quiz."""
    problems, path = [], pkg.root / "course.yaml"
    stats = package_stats(pkg)
    for locale in sorted({s.locale for s in stats}):
        mine = [s for s in stats if s.locale == locale]
        choice = sum(s.choice for s in mine)
        for where, share in (("longest", LONGEST_MAX), ("shortest", SHORTEST_MAX)):
            count = sum(len(getattr(s, where)) for s in mine)
            if choice and count > math.floor(share * choice + 1e-9):
                problems.append(package.Problem(path, 1, (
                    f"{PREFIX} [{locale}] the correct option is the {where} in "
                    f"{_pct(count, choice)} single/scenario questions of the course; "
                    f"at most {round(100 * share)}%")))
    source = [s for s in stats if s.locale == pkg.default_locale]
    choice = sum(s.choice for s in source)
    for where in ("first", "last"):
        count = sum(len(getattr(s, where)) for s in source)
        if choice and count > math.floor(POSITION_MAX * choice + 1e-9):
            problems.append(package.Problem(path, 1, (
                f"{PREFIX} the correct option is {where} in {_pct(count, choice)} "
                f"single/scenario questions of the course; at most "
                f"{round(100 * POSITION_MAX)}%")))
    n, true = sum(s.true_false for s in source), sum(len(s.true) for s in source)
    if n and not TRUE_MIN <= true / n <= TRUE_MAX:
        problems.append(package.Problem(path, 1, (
            f"{PREFIX} {_pct(true, n)} true/false items of the course are true; keep "
            f"{round(100 * TRUE_MIN)}-{round(100 * TRUE_MAX)}%")))
    return problems


def balance_problems(pkg: package.Package) -> list[package.Problem]:
    """Every quiz-balance problem of a package (severity error; the CLI decides strictness)."""
    problems = []
    for quiz, folder, stem in quizzes(pkg):
        problems += quiz_problems(quiz, folder, stem)
    return problems + course_problems(pkg)


def _worst(stats: list[QuizStats], where: str) -> tuple[int, str]:
    """The highest count of one length cue over locales, and the locale that has it."""
    counts: dict[str, int] = {}
    for s in stats:
        counts[s.locale] = counts.get(s.locale, 0) + len(getattr(s, where))
    locale = max(sorted(counts), key=lambda c: counts[c])
    return counts[locale], locale


def _summary(name: str, stats: list[QuizStats], default_locale: str) -> str:
    source = [s for s in stats if s.locale == default_locale] or stats[:1]
    choice = sum(s.choice for s in source)
    tf = sum(s.true_false for s in source)
    count = {w: sum(len(getattr(s, w)) for s in source) for w in ("first", "last", "true")}
    longest, shortest = _worst(stats, "longest"), _worst(stats, "shortest")
    def cue(found: tuple[int, str]) -> str:
        return _pct(found[0], choice) + (f" (worst: {found[1]})" if found[0] else "")

    return (f"{name}: correct is longest {cue(longest)}, shortest {cue(shortest)}, "
            f"first {_pct(count['first'], choice)}, last {_pct(count['last'], choice)}; "
            f"true {_pct(count['true'], tf)}")


def report_lines(pkg: package.Package) -> list[str]:
    """One line per quiz and one for the course: worst locale's length cues, positions, true."""
    stats = package_stats(pkg)
    lines = []
    for quiz, _folder, _stem in quizzes(pkg):
        mine = [s for s in stats if s.quiz == quiz.slug]
        if mine:
            lines.append(_summary(f"{pkg.slug}/{quiz.slug}", mine, pkg.default_locale))
    if stats:
        lines.append(_summary(f"{pkg.slug} (all quizzes)", stats, pkg.default_locale))
    return lines
