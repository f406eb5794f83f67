"""Quiz balance: a deliberately biased quiz is caught with file:line; a balanced one passes."""

from pathlib import Path

import yaml

from navigator.learning import package, quizcheck

LENGTHS = ("Brief", "A longer option", "An option longer still, by far", "The longest option of "
           "them all, by a wide margin")


def _question(qid: str, correct: str, rank: int = 3) -> tuple[dict, dict]:
    """A single question with four options; the correct one has the given length rank (0-3)."""
    others = iter(n for n in range(4) if n != rank)
    texts = {o: {"text": LENGTHS[rank if o == correct else next(others)]} for o in "abcd"}
    return ({"id": qid, "type": "single", "options": list("abcd"), "correct": [correct]},
            {"prompt": f"Question {qid}?", "options": texts})


def write_course(root: Path, key: list[dict], texts: dict, fr: dict | None = None) -> Path:
    """A one-module course holding one quiz, in English and (optionally) French."""
    files = {
        "course.yaml": {"id": root.name, "version": 1, "default_locale": "en",
                        "title": "Quiz course", "description": "Tests.", "modules": ["intro"]},
        "intro/module.yaml": {"title": "Intro", "summary": "S.", "minutes": 5,
                              "lessons": ["first"], "quiz": "quiz"},
        "intro/quiz.yaml": {"pass_mark": 70, "questions": key},
        "intro/quiz.en.yaml": {"questions": texts},
    }
    if fr is not None:
        files["intro/quiz.fr.yaml"] = {"questions": fr}
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    lesson = root / "intro" / "lessons" / "first.en.md"
    lesson.parent.mkdir(parents=True, exist_ok=True)
    lesson.write_text("---\ntitle: First\nminutes: 5\n---\nHello.\n", encoding="utf-8")
    return root


def biased(root: Path) -> Path:
    """Five single questions, the longest option always right and always first; T/F all false."""
    pairs = [_question(f"q{n}", "a", 3) for n in range(1, 6)]
    key = [k for k, _t in pairs] + [
        {"id": f"t{n}", "type": "true_false", "correct": [False]} for n in range(1, 5)]
    texts = {k["id"]: t for k, t in pairs}
    texts.update({f"t{n}": {"prompt": f"Statement {n}.", "options": {"true": {}, "false": {}}}
                  for n in range(1, 5)})
    return write_course(root, key, texts)


def balanced(root: Path) -> Path:
    """Five single questions, correct at varied positions, longest right once; T/F 2 of 4 true."""
    pairs = [_question("q1", "a", 3), _question("q2", "b", 1), _question("q3", "c", 2),
             _question("q4", "d", 0), _question("q5", "b", 1)]
    key = [k for k, _t in pairs] + [
        {"id": f"t{n}", "type": "true_false", "correct": [n % 2 == 0]} for n in range(1, 5)]
    texts = {k["id"]: t for k, t in pairs}
    texts.update({f"t{n}": {"prompt": f"Statement {n}.", "options": {"true": {}, "false": {}}}
                  for n in range(1, 5)})
    return write_course(root, key, texts)


def _messages(root: Path) -> list[str]:
    return [str(p) for p in quizcheck.balance_problems(package.load_package(root))]


def test_biased_quiz_reports_each_cue_with_file_and_line(tmp_path):
    root = biased(tmp_path / "biased")
    assert not package.load_package(root).errors
    messages = "\n".join(_messages(root))
    # q1 is the first question: key line 3 ("- id: q1"), English texts line 2 ("  q1:").
    assert "intro/quiz.en.yaml:2: error: quiz balance: question q1: the correct option is " \
           "the longest, as in 5/5 (100%)" in messages
    assert "intro/quiz.yaml:3: error: quiz balance: question q1: the correct option is first" \
           in messages
    assert "intro/quiz.yaml:48: error: quiz balance: 0/4 (0%) true/false items are true; " \
           "keep 2 true (too many false: t1, t2, t3, t4)" in messages
    assert "course.yaml:1: error: quiz balance: [en] the correct option is the longest in " \
           "5/5 (100%)" in messages
    assert "course.yaml:1: error: quiz balance: 0/4 (0%) true/false items of the course" \
           in messages


def test_balanced_quiz_has_no_problems(tmp_path):
    root = balanced(tmp_path / "balanced")
    assert _messages(root) == []
    stats = quizcheck.quiz_stats(package.load_package(root).modules[0].quiz, "en")
    assert (stats.choice, stats.longest, stats.shortest) == (5, ["q1"], ["q4"])
    assert (stats.first, stats.last) == (["q1"], ["q4"])
    assert (stats.true_false, stats.true) == (4, ["t2", "t4"])


def test_lengths_are_measured_in_each_locale(tmp_path):
    """A translation can make the correct option the longest even where English does not."""
    root = balanced(tmp_path / "fr")
    texts = yaml.safe_load((root / "intro" / "quiz.en.yaml").read_text())["questions"]
    fr = {qid: {**t, "options": {**t["options"]}} for qid, t in texts.items()}
    for qid, correct in (("q2", "b"), ("q3", "c")):
        fr[qid]["options"][correct] = {"text": LENGTHS[3] + " en français"}
    write_course(root, yaml.safe_load((root / "intro" / "quiz.yaml").read_text())["questions"],
                 texts, fr)
    messages = "\n".join(_messages(root))
    assert "quiz.fr.yaml" in messages and "quiz.en.yaml" not in messages
    assert "question q2: the correct option is the longest, as in 3/5 (60%)" in messages


def test_a_tie_counts_as_longest_and_as_shortest():
    question = {"options": ["a", "b"], "correct": ["a"]}
    same = {"options": {"a": {"text": "equal"}, "b": {"text": "EQUAL"}}}
    longer = {"options": {"a": {"text": "equal"}, "b": {"text": "longer"}}}
    assert quizcheck.correct_is_longest(question, same)
    assert quizcheck.correct_is_longest(question, same, shortest=True)
    assert not quizcheck.correct_is_longest(question, longer)
    assert quizcheck.correct_is_longest(question, longer, shortest=True)


def test_shortening_every_right_answer_is_caught_too(tmp_path):
    pairs = [_question(f"q{n}", "abcd"[n % 4], 0) for n in range(1, 6)]
    texts = {k["id"]: t for k, t in pairs}
    messages = "\n".join(_messages(write_course(tmp_path / "short", [k for k, _t in pairs], texts)))
    assert "quiz.en.yaml:2: error: quiz balance: question q1: the correct option is the " \
           "shortest, as in 5/5 (100%)" in messages and "is the longest" not in messages


def test_small_quizzes_need_both_answers_and_one_cue_is_always_allowed(tmp_path):
    pairs = [_question("q1", "a"), _question("q2", "b", 1)]
    key = [k for k, _t in pairs] + [{"id": "t1", "type": "true_false", "correct": [True]},
                                   {"id": "t2", "type": "true_false", "correct": [True]}]
    texts = {k["id"]: t for k, t in pairs}
    texts.update({t: {"prompt": "S.", "options": {"true": {}, "false": {}}} for t in ("t1", "t2")})
    messages = _messages(write_course(tmp_path / "small", key, texts))
    quiz_messages = [m for m in messages if "course.yaml" not in m]
    assert len(quiz_messages) == 1 and "all 2 true/false items are true" in quiz_messages[0]


def test_check_command_warns_and_fails_only_when_strict(app, tmp_path):
    root = biased(tmp_path / "biased")
    runner = app.test_cli_runner()
    loose = runner.invoke(args=["curricula", "check", str(root)])
    out = loose.output + (loose.stderr or "")
    assert loose.exit_code == 0, out
    assert "quiz.en.yaml:2: warning: quiz balance: question q1" in out
    assert "biased/intro/quiz: correct is longest 5/5 (100%) (worst: en), shortest 0/5 (0%)" \
        in out
    strict = runner.invoke(args=["curricula", "check", "--strict", str(root)])
    out = strict.output + (strict.stderr or "")
    assert strict.exit_code == 1
    assert "quiz.en.yaml:2: error: quiz balance: question q1" in out
    good = runner.invoke(args=["curricula", "check", str(balanced(tmp_path / "balanced"))])
    assert good.exit_code == 0 and "quiz balance" not in good.output + (good.stderr or "")
