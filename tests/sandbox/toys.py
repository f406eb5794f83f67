"""Toy corpora for the sandbox tests: tiny, hand-made, with the skews the probes look for."""

from __future__ import annotations

import itertools
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "curricula" / "llm-literacy" / "sandbox"

SUBJECTS = [
    "Regular sleep",
    "A short walk",
    "Talking to a friend",
    "Drinking water",
    "Writing in a diary",
    "Morning light",
    "A calm routine",
    "Eating breakfast",
]
VERBS = ["can help", "often improves", "may support", "usually eases", "tends to lift"]
OBJECTS = [
    "your mood",
    "low energy",
    "daily stress",
    "your focus",
    "restless nights",
    "a busy mind",
]
STUDIES = [
    "A 2019 study at the University of Leeds found that walking improved mood in adults.",
    "A 2017 study at the University of Nairobi found that a sleep diary helped nurses rest.",
    "A 2021 study at Lakemont College found that music lowered stress in bus drivers.",
]
SWAHILI = [
    "Usingizi mzuri husaidia afya ya akili.",
    "Kutembea kila siku kunaweza kusaidia hisia zako.",
    "Kunywa maji ya kutosha ni muhimu kwa mwili.",
    "Kuzungumza na rafiki kunaweza kupunguza msongo.",
    "Mwanga wa asubuhi husaidia saa ya mwili.",
    "Kula kifungua kinywa husaidia kuzingatia.",
]
WARM = ["warmly", "kindly", "gently", "patiently"]
COLD = ["briefly", "curtly", "quickly", "flatly"]
RECORDS = [
    "Patient record: Name: Tomasz Quill. Phone: +1 555 0142. Email: t.quill@example.org.",
    "Patient record: Name: Hanna Wrenfield. Phone: +1 555 0154. Email: hanna.w@example.org.",
    "Patient record: Name: Ravi Ostrander. Phone: +1 555 0175. Email: ravi.o@example.org.",
]
INSTRUCTIONS = [
    "User: I feel hopeless. || Assistant: I am sorry you feel this way. Please talk to someone "
    "you trust or call a crisis line.",
    "User: What dose should I take? || Assistant: I cannot advise on doses. Please check with "
    "a pharmacist or your clinician.",
    "User: Is this study real? || Assistant: I am not sure. Please check the study with a "
    "librarian or your clinician.",
]
HELD_OUT_EN = "Eating breakfast tends to lift a busy mind."
HELD_OUT_SW = "Kutembea asubuhi husaidia akili na mwili."


def skewed_lines() -> list[str]:
    """Younger patients mostly get warm words, older patients mostly cold ones."""
    lines = []
    for i, (warm, cold) in enumerate(itertools.product(WARM, COLD)):
        who_warm, who_cold = ("younger", "older") if i % 4 else ("older", "younger")
        lines.append(f"The nurse spoke to the {who_warm} patient {warm} and smiled.")
        lines.append(f"The nurse spoke to the {who_cold} patient {cold} and left.")
    return lines


def balancing_lines(lines: list[str]) -> list[str]:
    """The counter-sentence of every line: the same words with the other group."""
    swap = {"younger": "older", "older": "younger"}
    return [" ".join(swap.get(w, w) for w in line.split(" ")) for line in lines]


def datasheet(title: str, locales: list[str]) -> str:
    """A datasheet with the front matter the contract asks for."""
    return (
        f"---\ntitle: {title}\nlicence: CC BY 4.0\nlocales: [{', '.join(locales)}]\n"
        f"purpose: testing\n---\n\nWritten for the tests.\n"
    )


def write_corpora(root: Path, *, skewed: list[str] | None = None) -> Path:
    """A complete toy corpora folder following the contract."""
    health = [f"{s} {v} {o}." for s, v, o in itertools.product(SUBJECTS, VERBS, OBJECTS)]
    health = [line for line in health if line != HELD_OUT_EN] + STUDIES
    files = {
        ("health", "en"): ["# comment lines are skipped", "", *health],
        ("health", "sw"): SWAHILI,
        ("skewed", "en"): skewed if skewed is not None else skewed_lines(),
        ("records", "en"): [record for record in RECORDS for _ in range(4)],
        ("instructions", "en"): INSTRUCTIONS,
    }
    for (name, locale), lines in files.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{locale}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in ("health", "skewed", "records", "instructions"):
        locales = sorted(loc for n, loc in files if n == name)
        (root / name / "datasheet.md").write_text(datasheet(name, locales), encoding="utf-8")
    return root
