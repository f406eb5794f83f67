"""The flagship course: structure, plain language, citations, track, seven languages."""

import re
import warnings
from pathlib import Path

import pytest
import yaml

from navigator.i18n import CODES
from navigator.learning import package

ROOT = Path(__file__).resolve().parent.parent / "curricula" / "llm-literacy"
PACKAGE = package.load_package(ROOT)
SCENARIOS = {p.stem for p in (ROOT / "sandbox" / "scenarios").glob("*.yaml") if "." not in p.stem}
# Words that stigmatise people living with mental-health conditions; none belong in the course.
STIGMA = re.compile(r"committed suicide|the mentally ill|schizophrenics|a depressive|psycho\b|"
                    r"crazy|lunatic|nutcase|\baddicts\b|\binsane\b|suffers from", re.I)


def prose(body: str) -> str:
    """A lesson's reading text: no footnote definitions, code fences or markup."""
    body = re.sub(r"^\[\^[^\]]+\]:.*$", "", body, flags=re.M)
    body = re.sub(r"^```.*?^```", "", body, flags=re.M | re.S)
    body = re.sub(r"^:::.*$", "", body, flags=re.M)
    body = re.sub(r"\[\^[^\]]+\]", "", body)
    body = re.sub(r"[#*_>|`]", "", body)
    return body


def english_lessons():
    for module in PACKAGE.modules:
        for lesson in module.lessons:
            yield module.slug, lesson.slug, lesson.texts["en"]


def test_package_is_valid():
    assert not PACKAGE.errors, "\n".join(map(str, PACKAGE.errors))


@pytest.mark.parametrize("module", PACKAGE.modules, ids=lambda m: m.slug)
def test_module_shape(module):
    assert 3 <= len(module.lessons) <= 5
    assert module.quiz and len(module.quiz.key["questions"]) >= 6
    bodies = "\n".join(lesson.texts["en"]["body"] for lesson in module.lessons)
    embedded = set(package.SANDBOX_BLOCK.findall(bodies))
    assert embedded and {name.strip() for name in embedded} <= SCENARIOS
    texts = module.quiz.texts["en"]["questions"]
    for question in module.quiz.key["questions"]:
        text = texts[question["id"]]
        assert text.get("explanation"), f"{module.slug} {question['id']}: no explanation"
        assert all(text["options"].get(o, {}).get("feedback") for o in question["options"]), (
            f"{module.slug} {question['id']}: an option without feedback")


def test_nine_modules_and_the_final_assessment():
    assert len(PACKAGE.modules) == 9
    questions = PACKAGE.final.key["questions"]
    assert len(questions) >= 24 and PACKAGE.final.pass_mark == 80
    assert sum(q["type"] == "scenario" for q in questions) >= 3


def test_certification_track():
    track = PACKAGE.track
    assert track["modules"] == "all" and track["final_pass_mark"] == 80
    assert track["outreach_sessions"] == 3 and track["valid_months"] == 24


@pytest.mark.parametrize("module_slug, lesson_slug, text", list(english_lessons()),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_english_lessons_read_at_grade_eight_or_lower(module_slug, lesson_slug, text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # textstat 0.7.3 imports pkg_resources
        import textstat

    grade = textstat.flesch_kincaid_grade(prose(text["body"]))
    assert grade <= 8, f"{module_slug}/{lesson_slug}: reading grade {grade}"


def test_every_figure_is_cited():
    """A paragraph that states a percentage or a 'times' figure carries a reference."""
    figure = re.compile(r"\d+(\.\d+)?\s?%|\d+(\.\d+)?\s?(×|times)\b")
    missing = []
    for module_slug, lesson_slug, text in english_lessons():
        for paragraph in re.split(r"\n\s*\n", text["body"]):
            if figure.search(paragraph) and "[^" not in paragraph \
                    and not paragraph.lstrip().startswith(("```", ":::", "|")):
                missing.append(f"{module_slug}/{lesson_slug}: {paragraph[:80]}")
    assert not missing, "\n".join(missing)


def test_references_are_listed_per_module():
    for module in PACKAGE.modules:
        keys = {ref["key"] for ref in module.references}
        for lesson in module.lessons:
            used = set(re.findall(r"\[\^([^\]]+)\](?!:)", lesson.texts["en"]["body"]))
            assert used <= keys, f"{module.slug}/{lesson.slug}: {used - keys} not in references"


def test_respectful_language():
    found = [f"{m}/{lesson}" for m, lesson, text in english_lessons()
             if STIGMA.search(text["body"])]
    assert not found, found


@pytest.mark.parametrize("locale", [c for c in CODES if c != "en"])
def test_translation_is_complete_and_current(locale):
    gaps = [str(p) for p in package.translation_problems(PACKAGE)
            if f".{locale}." in p.path.name]
    assert not gaps, "\n".join(gaps[:10])
    glossary = yaml.safe_load((ROOT / "glossary" / f"{locale}.yaml").read_text())
    assert len(glossary["terms"]) >= 30
