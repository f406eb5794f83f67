"""Item analysis for trainers: how each question of a published quiz worked, per language.

For each question, over the submitted attempts of one programme's navigators:

- answered: attempts that answered it (every submitted attempt answers every question);
- share correct (the item's difficulty, "p"): the share of those that got it right;
- discrimination: the point-biserial correlation between getting this question right (1/0)
  and the score on the rest of the quiz (questions right, this one left out). Near +1: the
  people who know the rest answer this right; near 0: it tells strong and weak apart no better
  than chance; below 0: the stronger the rest of the answers, the more often this one is wrong;
- how often each option was chosen;
- all of these per language of the attempt, since a question much harder in one language is
  often a translation problem.

Figures come from the tallies in navigator.learning.items (a few hundred rows, whatever the
number of attempts). Groups smaller than the suppression threshold are shown as "<N", as in the
outreach reports, with the same secondary suppression (navigator.outreach.suppression) so that
a small language cannot be worked out from the total and the other languages; every figure of
a hidden group is hidden with its count.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from navigator.accounts.models import Programme
from navigator.accounts.services import Principal
from navigator.errors import NotFound
from navigator.i18n import CODES, _, language
from navigator.learning import items as tallies
from navigator.learning import services as learning
from navigator.learning.models import Course, CourseVersion, Module, ProgrammeCourse, Quiz
from navigator.outreach import suppression

TOO_EASY = 0.90        # more than this share correct
TOO_HARD = 0.30        # less than this share correct
LANGUAGE_GAP = 0.20    # a language this much below the others (share correct)
MIN_TO_JUDGE = 20      # answers a group needs before a question is flagged from it
ALL = "all"


@dataclass
class Group:
    """One question's figures over a group of attempts: all of them, or one language's."""

    key: str                 # ALL or a locale
    label: str
    answered: int
    correct: int = 0
    chosen: dict[str, int] = field(default_factory=dict)  # option id → attempts choosing it
    discrimination: float | None = None
    mark: str = ""           # "<N" or "*" when hidden for privacy; every figure is hidden then

    @property
    def hidden(self) -> bool:
        return bool(self.mark)

    @property
    def share(self) -> float | None:
        """Share correct, 0 to 1; None when nobody answered or the group is hidden."""
        return None if self.hidden or not self.answered else self.correct / self.answered


@dataclass
class Option:
    id: str
    label: str
    correct: bool


@dataclass
class Flag:
    kind: str    # too_easy | too_hard | negative | language
    title: str
    reason: str


@dataclass
class Item:
    """One question: its texts, its figures overall and per language, and what to look at."""

    number: int
    id: str
    type: str
    prompt: str
    case: str
    options: list[Option]
    overall: Group
    languages: list[Group]
    flags: list[Flag]


@dataclass
class Analysis:
    quiz: Quiz
    title: str
    programme: Programme
    threshold: int
    attempts: Group                 # the quiz's attempts overall (answered = attempts)
    languages: list[Group]          # attempts per language, suppressed together
    items: list[Item]
    text_locale: str                # the language the question texts are shown in

    @property
    def flagged(self) -> int:
        return sum(1 for item in self.items if item.flags)


# --- access -----------------------------------------------------------------------------------

def programmes_for(s: Session, actor: Principal, course: Course) -> list[Programme]:
    """Programmes offered the course whose item analysis the actor may read: those they train
    in (every one for administrators)."""
    offered = set(s.exec(select(ProgrammeCourse.programme_id)
                         .where(ProgrammeCourse.course_id == course.id)))
    if not actor.user.is_admin:
        offered &= actor.programme_ids("trainer")
    return list(s.exec(select(Programme).where(Programme.id.in_(offered or {-1}))
                       .order_by(Programme.name)))


def published_versions(s: Session, course: Course) -> list[CourseVersion]:
    """Versions navigators have taken or can take (published or retired), newest first."""
    return list(s.exec(select(CourseVersion).where(CourseVersion.course_id == course.id,
                                                   CourseVersion.status != "draft")
                       .order_by(CourseVersion.number.desc())))


def quizzes_of(s: Session, version: CourseVersion) -> list[tuple[Quiz, str]]:
    """A version's quizzes in course order, final assessment last, with their module's slug."""
    modules = {m.id: m for m in learning.modules_of(s, version.id)}
    quizzes = list(s.exec(select(Quiz).where(Quiz.version_id == version.id)))
    quizzes.sort(key=lambda q: (q.module_id is None,
                                modules[q.module_id].position if q.module_id in modules else 0))
    return [(q, modules[q.module_id].slug if q.module_id in modules else "") for q in quizzes]


def get_quiz(s: Session, course: Course, quiz_id: int) -> tuple[Quiz, CourseVersion]:
    """A quiz of a published (or retired) version of the course; NotFound otherwise."""
    quiz = s.get(Quiz, quiz_id)
    version = s.get(CourseVersion, quiz.version_id) if quiz else None
    if version is None or version.course_id != course.id or version.status == "draft":
        raise NotFound()
    return quiz, version


def quiz_title(s: Session, quiz: Quiz, course: Course, locale: str) -> str:
    if quiz.module_id is None:
        return _("Final assessment")
    module = s.get(Module, quiz.module_id)
    title = learning.pick(module.texts, locale, course.default_locale)[1].get("title")
    return title or module.slug


# --- figures ----------------------------------------------------------------------------------

def point_biserial(n: int, right: int, rest_sum: float, rest_right_sum: float,
                   rest_squares: float) -> float | None:
    """Pearson correlation of a 0/1 item with the rest score, from sums: n attempts, `right`
    of them right, Σrest, Σrest over the right ones, Σrest². None when either side does not
    vary (everyone right, everyone wrong, or the same rest score for all)."""
    item_var = n * right - right * right
    rest_var = n * rest_squares - rest_sum * rest_sum
    if n < 2 or item_var <= 0 or rest_var <= 1e-9:
        return None
    return (n * rest_right_sum - right * rest_sum) / math.sqrt(item_var * rest_var)


def _group(key: str, label: str, patterns: dict[str, list[int]], correct_key: str) -> Group:
    """Figures of one question over one group, from its answer patterns:
    chosen → [attempts, Σ score, Σ score²] (score: questions right in the whole attempt)."""
    n = right = 0
    score_sum = score_squares = right_score_sum = 0
    chosen: dict[str, int] = defaultdict(int)
    for answer, (count, total, squares) in patterns.items():
        n += count
        score_sum += total
        score_squares += squares
        if answer == correct_key:
            right += count
            right_score_sum += total
        for option in filter(None, answer.split(",")):
            chosen[option] += count
    # The rest score leaves this question out: score - 1 for those who got it right.
    rest_sum = score_sum - right
    rest_right_sum = right_score_sum - right
    rest_squares = score_squares - 2 * right_score_sum + right
    return Group(key, label, n, right, dict(chosen),
                 point_biserial(n, right, rest_sum, rest_right_sum, rest_squares))


def _mark(mark: str | None, threshold: int) -> str:
    if not mark:
        return ""
    return f"<{threshold}" if mark == suppression.PRIMARY else "*"


def _percent(share: float) -> str:
    return f"{round(100 * share)}%"


def _flags(overall: Group, languages: list[Group]) -> list[Flag]:
    """What a trainer should look at, with the reason in plain words."""
    flags: list[Flag] = []
    share = overall.share
    if share is None or overall.answered < MIN_TO_JUDGE:
        return flags
    if share > TOO_EASY:
        flags.append(Flag("too_easy", _("Too easy"), _(
            "%(share)s of navigators answered it correctly. A question nearly everyone gets "
            "right tells you little about who understood the lesson: make the wrong options "
            "mistakes a navigator might really make, or ask about something harder.",
            share=_percent(share))))
    if share < TOO_HARD:
        flags.append(Flag("too_hard", _("Too hard"), _(
            "Only %(share)s of navigators answered it correctly. Check that the answer key is "
            "right, that the question is clear, and that the lessons teach it.",
            share=_percent(share))))
    if overall.discrimination is not None and overall.discrimination < 0:
        flags.append(Flag("negative", _("Misleads those who know"), _(
            "Navigators who did well on the rest of the quiz got this question wrong more "
            "often than those who did poorly. The answer key may be wrong, or the question "
            "may mislead people who know the subject.")))
    for group in languages:
        others = overall.answered - group.answered
        if group.share is None or group.answered < MIN_TO_JUDGE or others < MIN_TO_JUDGE:
            continue
        rest = (overall.correct - group.correct) / others
        if rest - group.share >= LANGUAGE_GAP:
            flags.append(Flag("language", _("Harder in %(language)s", language=group.label), _(
                "In %(language)s, %(share)s answered it correctly, against %(others)s in the "
                "other languages. Check the translation of the question and its options.",
                language=group.label, share=_percent(group.share), others=_percent(rest))))
    return flags


def analyse(s: Session, quiz: Quiz, course: Course, programme: Programme, *, locale: str,
            threshold: int) -> Analysis:
    """The item analysis of one quiz for one programme, texts in `locale` where translated."""
    rows = tallies.tallies(s, quiz.id, programme.id)
    # question → locale → chosen → [attempts, Σ score, Σ score²]
    data: dict[str, dict[str, dict[str, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: [0, 0, 0])))
    for loc, qid, chosen, n, total, squares in rows:
        cell = data[qid][loc][chosen]
        cell[0] += n
        cell[1] += total
        cell[2] += squares
    per_locale: dict[str, int] = defaultdict(int)
    for by_locale in data.values():
        for loc, patterns in by_locale.items():
            per_locale[loc] = max(per_locale[loc], sum(p[0] for p in patterns.values()))
    locales = sorted(per_locale, key=lambda c: (CODES.index(c) if c in CODES else len(CODES), c))
    counts = [[per_locale[c]] for c in locales]
    full, marks = suppression.grid(counts, threshold, row_sums=False, col_sums=True) \
        if counts else ([[0]], {})
    language_marks = {c: _mark(marks.get((i, 0)), threshold) for i, c in enumerate(locales)}
    overall_mark = _mark(marks.get((len(locales), 0)), threshold)
    labels = {c: language(c).native if c in CODES else c for c in locales}
    attempts = Group(ALL, _("All languages"), full[-1][0], mark=overall_mark)
    by_language = [Group(c, labels[c], per_locale[c], mark=language_marks[c]) for c in locales]

    text_locale, texts = learning.pick(quiz.texts, locale, course.default_locale)
    questions = texts.get("questions") or {}
    boolean = {"true": _("True"), "false": _("False")}
    out = []
    for number, q in enumerate(quiz.key["questions"], start=1):
        text = questions.get(q["id"]) or {}
        option_texts = text.get("options") or {}
        options = [Option(o, str((option_texts.get(o) or {}).get("text") or boolean.get(o, o)),
                          o in q["correct"]) for o in q["options"]]
        correct_key = tallies.chosen_key(q["correct"])
        by_locale = data.get(q["id"], {})
        merged: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for patterns in by_locale.values():
            for answer, sums in patterns.items():
                for i in range(3):
                    merged[answer][i] += sums[i]
        overall = _group(ALL, _("All languages"), merged, correct_key)
        overall.mark = overall_mark
        groups = []
        for c in locales:
            group = _group(c, labels[c], by_locale.get(c, {}), correct_key)
            group.mark = language_marks[c]
            groups.append(group)
        out.append(Item(number, q["id"], q["type"], str(text.get("prompt", "")),
                        str(text.get("case", "")), options, overall, groups,
                        _flags(overall, groups) if not overall.hidden else []))
    return Analysis(quiz, quiz_title(s, quiz, course, locale), programme, threshold, attempts,
                    by_language, out, text_locale)


def overview(s: Session, version: CourseVersion, course: Course, programme: Programme,
             locale: str) -> list[tuple[Quiz, str, int]]:
    """Each quiz of a version with its title and the programme's submitted attempts at it."""
    quizzes = quizzes_of(s, version)
    counts = tallies.attempt_counts(s, [q.id for q, _slug in quizzes], programme.id)
    return [(q, quiz_title(s, q, course, locale), counts.get(q.id, 0)) for q, _slug in quizzes]


# --- export -----------------------------------------------------------------------------------

def csv_header() -> list[str]:
    return [_("Question"), _("Language"), _("Measure"), _("Value")]


def csv_rows(analysis: Analysis):
    """Every figure of the analysis, one per line, as the page shows it (marks included)."""
    for item in analysis.items:
        name = f"{item.number}. {item.prompt}"
        for group in [item.overall, *item.languages]:
            if group.hidden:
                yield [name, group.label, _("Answered"), group.mark]
                continue
            yield [name, group.label, _("Answered"), group.answered]
            if group.share is not None:
                yield [name, group.label, _("Share correct (%)"), round(100 * group.share)]
            yield [name, group.label, _("Discrimination"),
                   "" if group.discrimination is None else round(group.discrimination, 2)]
            for option in item.options:
                measure = _("Chose %(option)s", option=option.label)
                if option.correct:
                    measure += " " + _("(correct)")
                yield [name, group.label, measure, group.chosen.get(option.id, 0)]
        for flag in item.flags:
            yield [name, _("All languages"), flag.title, flag.reason]
