"""Course packages: the shipped ones validate; broken ones say where; export round-trips."""

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, SQLModel, create_engine

from navigator import db
from navigator.learning import package
from navigator.learning import services as learning

CURRICULA = Path(__file__).resolve().parent.parent / "curricula"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def tiny(root: Path, **overrides) -> Path:
    """A minimal valid package, with files replaced by overrides (value None deletes)."""
    files = {
        "course.yaml": """
            id: tiny
            version: 1
            default_locale: en
            title: Tiny course
            description: A course for tests.
            modules: [intro]
            final_assessment: final
        """,
        "intro/module.yaml": """
            title: Introduction
            summary: The first module.
            minutes: 5
            lessons: [first]
            quiz: quiz
            references:
              - key: ref1
                text: "Author A. 2024. A title. A journal."
        """,
        "intro/lessons/first.en.md": """
            ---
            title: First lesson
            minutes: 5
            ---
            Hello, navigator.[^ref1]

            [^ref1]: Author A. 2024.
        """,
        "intro/quiz.yaml": """
            pass_mark: 50
            questions:
              - id: q1
                type: single
                options: [a, b]
                correct: [b]
              - id: q2
                type: true_false
                correct: [false]
        """,
        "intro/quiz.en.yaml": """
            questions:
              q1:
                prompt: Which is right?
                options:
                  a: {text: This one, feedback: No.}
                  b: {text: That one, feedback: Yes.}
                explanation: Because.
              q2:
                prompt: Fluent means true.
                options:
                  "true": {feedback: No.}
                  "false": {feedback: Right.}
                explanation: Fluent is not true.
        """,
        "final/quiz.yaml": """
            pass_mark: 80
            questions:
              - id: f1
                type: multiple
                options: [a, b, c]
                correct: [a, c]
        """,
        "final/quiz.en.yaml": """
            questions:
              f1:
                prompt: Pick two.
                options:
                  a: {text: A}
                  b: {text: B}
                  c: {text: C}
        """,
    }
    for rel, text in overrides.items():
        if text is None:
            files.pop(rel)
        else:
            files[rel] = text
    return write(root / "tiny", files)


def test_shipped_packages_have_no_errors():
    for root in package.find_packages(CURRICULA):
        pkg = package.load_package(root)
        assert not pkg.errors, "\n".join(map(str, pkg.errors))


def test_tiny_package_loads(tmp_path):
    pkg = package.load_package(tiny(tmp_path))
    assert not pkg.problems
    assert pkg.modules[0].quiz.key["questions"][1] == {
        "id": "q2", "type": "true_false", "options": ["true", "false"], "correct": ["false"]}


@pytest.mark.parametrize("overrides, expected", [
    ({"intro/quiz.yaml": "pass_mark: 50\nquestions:\n  - id: q1\n    type: single\n"
                         "    options: [a, b]\n    correct: [c]\n"},
     "intro/quiz.yaml:6: error: question q1: correct must name options"),
    ({"intro/quiz.yaml": "pass_mark: 50\nquestions:\n  - id: q1\n    type: essay\n"},
     "intro/quiz.yaml:4: error: question q1: type must be one of"),
    ({"intro/quiz.yaml": "pass_mark: 50\nquestions:\n  - id: q1\n    type: single\n"
                         "    options: [a, b]\n    correct: [a, b]\n"},
     "intro/quiz.yaml:6: error: question q1: a single question has exactly one"),
    ({"intro/lessons/first.en.md": None}, "lesson 'first' is listed but"),
    ({"course.yaml": "id: tiny\ntitle: T\nmodules: [intro, missing]\n"},
     "course.yaml:3: error: module folder 'missing' does not exist"),
    ({"intro/lessons/first.en.md": "---\ntitle: X\n---\n[click](javascript:alert(1))\n"},
     "first.en.md:4: error: links of this kind are not allowed"),
    # Schemes as a browser reads them: a tab inside one, percent-encoded, or any scheme that
    # rendering would drop (the same allow-list as render.py), not only a few known bad ones.
    ({"intro/lessons/first.en.md": "---\ntitle: X\n---\n[click](java%09script:alert(1))\n"},
     "first.en.md:4: error: links of this kind are not allowed"),
    ({"intro/lessons/first.en.md": "---\ntitle: X\n---\n[call](tel:+15550100)\n"},
     "first.en.md:4: error: links of this kind are not allowed"),
    ({"intro/lessons/first.en.md": "---\ntitle: X\n---\n\n![a](https://evil.example/x.png)\n"},
     "first.en.md:5: error: images must be files in assets/"),
    ({"intro/lessons/first.en.md": "---\ntitle: X\n---\n\n![a](/static/x.png)\n"},
     "first.en.md:5: error: images must be files in assets/"),
    ({"intro/quiz.en.yaml": "questions:\n  q1:\n    prompt: P\n    options:\n"
                            "      a: {text: A}\n"},
     "intro/quiz.en.yaml:4: error: question q1: option b has no text"),
    ({"course.yaml": "id: tiny\ntitle: [unclosed\n"}, "course.yaml:3: error: invalid YAML"),
    ({"intro/lessons/first.xx.md": "---\ntitle: X\n---\nBody\n"}, "unknown locale 'xx'"),
])
def test_broken_packages_report_file_and_line(tmp_path, overrides, expected):
    pkg = package.load_package(tiny(tmp_path, **overrides))
    messages = "\n".join(str(p) for p in pkg.problems)
    assert expected in messages, messages


def test_unknown_scenario_is_reported(tmp_path):
    root = tiny(tmp_path, **{"intro/lessons/first.en.md":
                             "---\ntitle: X\n---\n\n```sandbox\nno-such-scenario\n```\n"})
    (root / "sandbox" / "scenarios").mkdir(parents=True)
    messages = [str(p) for p in package.load_package(root, set()).problems]
    assert any("first.en.md:5: error: unknown sandbox scenario" in m for m in messages)


def test_translation_gaps_and_outdated_translations(tmp_path):
    root = tiny(tmp_path)
    source = (root / "intro/lessons/first.en.md").read_text()
    write(root, {"intro/lessons/first.es.md":
                 f"---\ntitle: Primera\nminutes: 5\nsource_hash: {package.source_hash(source)}\n"
                 "---\nHola.\n"})
    problems = package.translation_problems(package.load_package(root))
    assert not any("first.es.md" in str(p) for p in problems)
    assert any("first.fr.md:1: error: translation is missing" in str(p) for p in problems)
    write(root, {"intro/lessons/first.en.md": source + "\nA new sentence.\n"})
    problems = package.translation_problems(package.load_package(root))
    assert any("first.es.md:1: error: translation is outdated" in str(p) for p in problems)


def _round_trip(root: Path) -> dict[str, bytes]:
    db.load_models()
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as s:
        return learning.export_files(s, learning.store_package(s, package.load_package(root)))


def test_export_of_an_import_gives_the_same_files(app, tmp_path):
    root = tmp_path / "llm-literacy"
    shutil.copytree(CURRICULA / "llm-literacy", root)
    runner = CliRunner()
    result = app.test_cli_runner().invoke(args=["curricula", "format", str(root)])
    assert result.exit_code == 0, result.output
    files = _round_trip(root)
    on_disk = {p.relative_to(root).as_posix(): p.read_bytes()
               for p in root.rglob("*") if p.is_file()}
    assert files == on_disk
    assert runner  # the CLI runner above is Flask's own


def test_shipped_package_is_in_canonical_form():
    """The package in git is exactly what the platform exports (run flask curricula format)."""
    root = CURRICULA / "llm-literacy"
    on_disk = {p.relative_to(root).as_posix(): p.read_bytes()
               for p in root.rglob("*") if p.is_file()}
    exported = _round_trip(root)
    changed = sorted(path for path in exported if on_disk.get(path) != exported[path])
    assert not changed, f"not in canonical form (flask curricula format): {changed[:5]}"


def test_check_command_exit_codes(app, tmp_path):
    runner = app.test_cli_runner()
    good = runner.invoke(args=["curricula", "check", str(tiny(tmp_path))])
    assert good.exit_code == 0 and "0 error(s)" in good.output
    bad_root = tiny(tmp_path / "bad", **{"intro/quiz.yaml": "questions: []\n"})
    bad = runner.invoke(args=["curricula", "check", str(bad_root)])
    assert bad.exit_code == 1 and "intro/quiz.yaml:1: error: a quiz needs questions" in (
        bad.output + (bad.stderr or ""))
