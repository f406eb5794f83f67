"""The question editor's model: a quiz as a trainer edits it in a form, without YAML.

A quiz is stored as the package has it (an answer key of ids, and texts per language). The
editor turns it into a list of questions with their options, as typed, and back:

- `from_quiz` reads a quiz (key and one language's texts) into a `Draft`;
- `from_form` reads a posted form, keeping everything typed, even what is not valid yet;
- `apply` adds, removes or moves a question or an option (the buttons work without
  JavaScript: each is a submit of the whole form, so nothing typed is lost);
- `validate` gives field-level messages, keyed by the name of the field they belong to;
- `to_quiz` writes the key and the texts back in the package's canonical order (case, prompt,
  options, explanation; text, feedback), leaving out what is empty, so that a quiz read and
  written again without changes gives the same YAML, byte for byte.

A translation is edited against its source: the questions, options and which are right come
from the main language (the key is language independent); only texts are typed.

Field names: `pass_mark`; per question i (from 0) `q{i}-id`, `q{i}-type`, `q{i}-case`,
`q{i}-prompt`, `q{i}-explanation`, `q{i}-correct` (the option id, for one right answer); per
option j `q{i}-o{j}-id`, `q{i}-o{j}-text`, `q{i}-o{j}-feedback`, `q{i}-o{j}-correct` (for
several right answers).
"""

import copy
import math
import re
import string
from dataclasses import dataclass, field

from navigator.i18n import _
from navigator.learning import package, quizcheck

MAX_QUESTIONS = 100
MAX_OPTIONS = 12
LIMITS = {"prompt": 2000, "case": 4000, "explanation": 4000, "text": 1000, "feedback": 2000}
ONE_RIGHT = ("single", "scenario", "true_false")
TRUE_FALSE = ["true", "false"]
ACTION = re.compile(r"^(add|remove|up|down)-(question|option)(?::(\d{1,3}))?(?::(\d{1,3}))?$")


@dataclass
class Option:
    id: str
    text: str = ""
    feedback: str = ""
    correct: bool = False
    extra: dict = field(default_factory=dict)  # keys the editor does not show, kept as they are


@dataclass
class Question:
    id: str
    type: str = "single"
    case: str = ""
    prompt: str = ""
    explanation: str = ""
    options: list[Option] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


@dataclass
class Draft:
    pass_mark: str = "70"  # as typed
    questions: list[Question] = field(default_factory=list)


# --- ids --------------------------------------------------------------------------------------

def new_question_id(draft: Draft) -> str:
    used = {q.id for q in draft.questions}
    n = 1
    while f"q{n}" in used:
        n += 1
    return f"q{n}"


def new_option_id(question: Question) -> str:
    used = {o.id for o in question.options}
    for letter in string.ascii_lowercase:
        if letter not in used:
            return letter
    n = 27
    while f"o{n}" in used:
        n += 1
    return f"o{n}"


def blank_question(draft: Draft) -> Question:
    return Question(new_question_id(draft), "single", options=[Option("a"), Option("b"),
                                                               Option("c")])


# --- reading ----------------------------------------------------------------------------------

def _str(value) -> str:
    return "" if value is None else str(value)


def from_quiz(pass_mark: int, key: dict, texts: dict) -> Draft:
    """A stored quiz as the editor shows it: the key, with one language's texts."""
    draft = Draft(str(pass_mark))
    for q in key.get("questions", []):
        text = dict(texts.get(q["id"]) or {})
        options = package.normalise_quiz_texts({"x": text})["x"]["options"] if text else {}
        question = Question(q["id"], q["type"], _str(text.pop("case", "")),
                            _str(text.pop("prompt", "")), _str(text.pop("explanation", "")))
        text.pop("options", None)
        question.extra = text
        for oid in q["options"]:
            entry = dict(options.get(oid) or {}) if isinstance(options.get(oid), dict) else {}
            shown = "" if q["type"] == "true_false" else _str(entry.pop("text", ""))
            question.options.append(Option(oid, shown, _str(entry.pop("feedback", "")),
                                           oid in q["correct"], entry))
        draft.questions.append(question)
    return draft


def from_form(form, source: Draft | None = None) -> Draft:
    """The quiz as posted. With a source (a translation), structure and answers come from it
    and only texts from the form."""
    def text(name: str) -> str:
        return (form.get(name) or "").replace("\r\n", "\n")

    if source is not None:
        draft = copy.deepcopy(source)
        for i, q in enumerate(draft.questions):
            q.case, q.prompt, q.explanation = (text(f"q{i}-case"), text(f"q{i}-prompt"),
                                               text(f"q{i}-explanation"))
            for j, o in enumerate(q.options):
                o.text, o.feedback = text(f"q{i}-o{j}-text"), text(f"q{i}-o{j}-feedback")
        return draft
    draft = Draft(text("pass_mark").strip())
    for i in range(MAX_QUESTIONS):
        if f"q{i}-id" not in form:
            break
        qtype = form.get(f"q{i}-type")
        question = Question(_clean_id(form.get(f"q{i}-id")) or new_question_id(draft),
                            qtype if qtype in package.QUESTION_TYPES else "single",
                            text(f"q{i}-case"), text(f"q{i}-prompt"),
                            text(f"q{i}-explanation"))
        one = form.get(f"q{i}-correct")
        for j in range(MAX_OPTIONS + 1):
            if f"q{i}-o{j}-id" not in form:
                break
            oid = _clean_id(form.get(f"q{i}-o{j}-id")) or new_option_id(question)
            if any(o.id == oid for o in question.options):
                oid = new_option_id(question)
            question.options.append(Option(oid, text(f"q{i}-o{j}-text"),
                                           text(f"q{i}-o{j}-feedback"),
                                           oid == one or bool(form.get(f"q{i}-o{j}-correct"))))
        _fit_type(question)
        draft.questions.append(question)
    return draft


def keep_extras(draft: Draft, previous: Draft) -> None:
    """Carry texts the editor does not show (keys it does not know) over from the stored quiz,
    by question and option id, so that saving never drops them."""
    before = {q.id: q for q in previous.questions}
    for q in draft.questions:
        old = before.get(q.id)
        if old is None:
            continue
        q.extra = dict(old.extra)
        old_options = {o.id: o for o in old.options}
        for o in q.options:
            if o.id in old_options:
                o.extra = dict(old_options[o.id].extra)


def _clean_id(value) -> str:
    value = (value or "").strip()
    return value if re.fullmatch(r"[A-Za-z0-9_-]{1,40}", value) else ""


def _fit_type(question: Question) -> None:
    """Options that suit the question's type: true/false has exactly those two; a question
    that was true/false starts again from three empty options."""
    ids = [o.id for o in question.options]
    if question.type == "true_false":
        if ids != TRUE_FALSE:
            kept = {o.id: o for o in question.options}
            question.options = [kept.get(oid) or Option(oid) for oid in TRUE_FALSE]
            for o in question.options:
                o.text = ""
    elif ids == TRUE_FALSE:
        question.options = [Option("a"), Option("b"), Option("c")]


# --- changing the structure -------------------------------------------------------------------

def apply(draft: Draft, action: str) -> str | None:
    """Carry out an editing button; the anchor to show afterwards (None: not an action)."""
    match = ACTION.match(action or "")
    if not match:
        return None
    verb, what, i, j = match[1], match[2], match[3], match[4]
    questions = draft.questions
    if what == "question":
        if verb == "add":
            if len(questions) < MAX_QUESTIONS:
                questions.append(blank_question(draft))
            return f"q-{len(questions)}"
        i = int(i) if i is not None else -1
        if not 0 <= i < len(questions):
            return ""
        if verb == "remove":
            del questions[i]
            return f"q-{min(i, len(questions) - 1) + 1}" if questions else "questions"
        other = i - 1 if verb == "up" else i + 1
        if 0 <= other < len(questions):
            questions[i], questions[other] = questions[other], questions[i]
            return f"q-{other + 1}"
        return f"q-{i + 1}"
    i = int(i) if i is not None else -1
    if not 0 <= i < len(questions) or questions[i].type == "true_false":
        return f"q-{i + 1}" if 0 <= i < len(questions) else ""
    options = questions[i].options
    if verb == "add":
        if len(options) < MAX_OPTIONS:
            options.append(Option(new_option_id(questions[i])))
        return f"q-{i + 1}-o-{len(options)}"
    j = int(j) if j is not None else -1
    if not 0 <= j < len(options):
        return f"q-{i + 1}"
    if verb == "remove":
        del options[j]
        return f"q-{i + 1}-options"
    other = j - 1 if verb == "up" else j + 1
    if 0 <= other < len(options):
        options[j], options[other] = options[other], options[j]
        return f"q-{i + 1}-o-{other + 1}"
    return f"q-{i + 1}-o-{j + 1}"


# --- checking ---------------------------------------------------------------------------------

def validate(draft: Draft, translation: bool = False) -> dict[str, list[str]]:
    """Messages by field name ('' for the quiz as a whole); empty when the quiz can be saved."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    def length(name: str, value: str, kind: str) -> None:
        if len(value) > LIMITS[kind]:
            add(name, _("Keep it under %(n)d characters.", n=LIMITS[kind]))

    if not translation:
        if not re.fullmatch(r"\d{1,3}", draft.pass_mark) or not 1 <= int(draft.pass_mark) <= 100:
            add("pass_mark", _("Enter a whole number from 1 to 100."))
        if not draft.questions:
            add("", _("Add at least one question."))
    for i, q in enumerate(draft.questions):
        p = f"q{i}"
        if not q.prompt.strip():
            add(f"{p}-prompt", _("Write the question."))
        length(f"{p}-prompt", q.prompt, "prompt")
        if q.type == "scenario" and not q.case.strip():
            add(f"{p}-case", _("A scenario question starts with a short case: write it."))
        length(f"{p}-case", q.case, "case")
        length(f"{p}-explanation", q.explanation, "explanation")
        if q.type != "true_false":
            if len(q.options) < 2:
                add(f"{p}-options", _("Give at least two options."))
            for j, o in enumerate(q.options):
                if not o.text.strip():
                    add(f"{p}-o{j}-text", _("Write the option, or remove it."))
                length(f"{p}-o{j}-text", o.text, "text")
            texts = [o.text.strip().casefold() for o in q.options if o.text.strip()]
            if len(set(texts)) != len(texts):
                add(f"{p}-options", _("Two options have the same text."))
        for j, o in enumerate(q.options):
            length(f"{p}-o{j}-feedback", o.feedback, "feedback")
        if translation:
            continue
        right = sum(o.correct for o in q.options)
        if right == 0:
            add(f"{p}-correct", _("Mark the correct answer."))
        elif q.type in ONE_RIGHT and right > 1:
            add(f"{p}-correct", _("This type of question has exactly one correct answer. "
                                  "Mark one, or make it a question with several answers."))
    return errors


# --- writing ----------------------------------------------------------------------------------

def _texts(q: Question) -> dict:
    """One question's texts in canonical order, without empty entries."""
    entry: dict = {}
    if q.case.strip():
        entry["case"] = q.case.strip()
    entry["prompt"] = q.prompt.strip()
    options = {}
    for o in q.options:
        value: dict = {}
        if q.type != "true_false" and o.text.strip():
            value["text"] = o.text.strip()
        if o.feedback.strip():
            value["feedback"] = o.feedback.strip()
        value.update(o.extra)
        options[o.id] = value
    entry["options"] = options
    if q.explanation.strip():
        entry["explanation"] = q.explanation.strip()
    entry.update(q.extra)
    return entry


def to_quiz(draft: Draft) -> tuple[int, dict, dict]:
    """(pass mark, answer key, texts of the edited language), as the package stores them."""
    key = {"questions": [{"id": q.id, "type": q.type, "options": [o.id for o in q.options],
                          "correct": [o.id for o in q.options if o.correct]}
                         for q in draft.questions]}
    return int(draft.pass_mark), key, {q.id: _texts(q) for q in draft.questions}


def adapt_translation(texts: dict, key: dict, source: dict) -> dict:
    """A translation's texts fitted to a changed key: questions and options no longer in it
    are dropped; new ones take the source's text until a translator replaces it (the
    translation then shows as outdated, and the file stays a valid package file)."""
    out = {}
    for q in key["questions"]:
        mine, theirs = texts.get(q["id"]), source.get(q["id"]) or {}
        if not isinstance(mine, dict):
            out[q["id"]] = copy.deepcopy(theirs)
            continue
        entry = copy.deepcopy(mine)
        if q["type"] == "scenario" and not entry.get("case") and theirs.get("case"):
            entry = {"case": theirs["case"], **entry}
        options = package.normalise_quiz_texts({"x": entry})["x"]["options"]
        source_options = package.normalise_quiz_texts({"x": theirs})["x"]["options"]
        entry["options"] = {oid: copy.deepcopy(options[oid]) if oid in options
                            else copy.deepcopy(source_options.get(oid) or {})
                            for oid in q["options"]}
        out[q["id"]] = entry
    return out


# --- hints: surface cues a test-wise guesser could use ----------------------------------------

@dataclass
class Hints:
    quiz: list[str]                 # sentences about the whole quiz
    questions: dict[str, list[str]]  # question id → short notes


def hints(draft: Draft, translation: bool = False) -> Hints:
    """The balance check of `flask curricula check` (navigator.learning.quizcheck), in words,
    for the quiz as typed. A translation can only change lengths: positions and true/false
    answers are the source's."""
    _mark, key, _texts_unused = to_quiz(Draft("70", draft.questions))
    key["questions"] = [q for q in key["questions"] if q["correct"]
                        and all(c in q["options"] for c in q["correct"])]
    texts = {q.id: _texts(q) for q in draft.questions}
    stats = quizcheck.quiz_stats(package.QuizFile("editor", 70, key, {"x": {"questions": texts}}),
                                 "x")
    sentences: list[str] = []
    notes: dict[str, list[str]] = {}
    n = stats.choice
    for ids, share, message, note in (
            (stats.longest, quizcheck.LONGEST_MAX,
             _("The correct answer is the longest option in %(count)d of %(total)d "
               "single-choice and scenario questions; keep it to %(allowed)d at most, or a "
               "guesser who picks the longest option passes."), _("the correct answer is the "
                                                                 "longest option")),
            (stats.shortest, quizcheck.SHORTEST_MAX,
             _("The correct answer is the shortest option in %(count)d of %(total)d "
               "single-choice and scenario questions; keep it to %(allowed)d at most."),
             _("the correct answer is the shortest option")),
            *(() if translation else (
                (stats.first, quizcheck.POSITION_MAX,
                 _("The correct answer is the first option in %(count)d of %(total)d "
                   "single-choice and scenario questions; keep it to %(allowed)d at most."),
                 _("the correct answer is the first option")),
                (stats.last, quizcheck.POSITION_MAX,
                 _("The correct answer is the last option in %(count)d of %(total)d "
                   "single-choice and scenario questions; keep it to %(allowed)d at most."),
                 _("the correct answer is the last option"))))):
        allowed = quizcheck.allowed(share, n)
        if n and len(ids) > allowed:
            sentences.append(message % {"count": len(ids), "total": n, "allowed": allowed})
            for qid in ids:
                notes.setdefault(qid, []).append(note)
    tf = stats.true_false
    if not translation and tf >= quizcheck.TRUE_PER_QUIZ_MIN_ITEMS:
        low = math.ceil(quizcheck.TRUE_MIN * tf - 1e-9)
        high = math.floor(quizcheck.TRUE_MAX * tf + 1e-9)
        if not low <= len(stats.true) <= high:
            sentences.append(_("%(count)d of %(total)d true/false statements are true; keep "
                               "between %(low)d and %(high)d true, or a guesser who always "
                               "answers the same passes.", count=len(stats.true), total=tf,
                               low=int(low), high=int(high)))
    elif not translation and tf >= 2 and not (stats.true and stats.false):
        sentences.append(_("All %(total)d true/false statements have the same answer; make at "
                           "least one true and one false.", total=tf))
    return Hints(sentences, notes)
