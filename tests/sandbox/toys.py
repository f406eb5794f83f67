"""Toy corpora for the sandbox tests: tiny, hand-made, with the skews the probes look for.

The models are word-level and one per language, so each toy language needs enough lines for its
own model: English has about a hundred and fifty, Swahili two dozen (every twentieth health line
is held out to measure surprise). Health lines are written, not templated: the corpus checker
refuses near-duplicates.
"""

from __future__ import annotations

import itertools
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "curricula" / "llm-literacy" / "sandbox"

HEALTH = [
    "A short walk can help your mood.",
    "Regular sleep gives the body time to repair itself.",
    "Talking to a friend often makes a hard day feel lighter.",
    "Drinking water through the day keeps headaches away for many people.",
    "Writing in a diary before bed can quiet a busy mind.",
    "Morning light tells your body clock that the day has started.",
    "A calm routine in the evening makes sleep come more easily.",
    "Eating breakfast gives you energy for the first hours of work.",
    "When stress builds up, slow breathing for a minute can help.",
    "Many people feel better after a short walk in the park.",
    "Going to bed at the same time each night helps your sleep.",
    "A friend who listens can ease a lot of worry.",
    "Too much coffee late in the day can keep you awake at night.",
    "Stretching for five minutes loosens a stiff back.",
    "Screens in the bedroom make it harder to fall asleep.",
    "Fresh air and daylight lift the mood of most people.",
    "Small meals at regular times keep your energy steady.",
    "If you feel low for weeks, talk to a doctor or a nurse.",
    "Music you enjoy can lower stress after a long shift.",
    "A warm bath an hour before bed helps some people sleep.",
    "Naming a feeling out loud can make it easier to handle.",
    "Walking with a friend joins two good habits in one.",
    "Sleep problems are common and they can be treated.",
    "A glass of water is a good first step when you feel tired.",
    "Gardening gives your hands something to do and your mind a rest.",
    "Noticing three good things each evening can help your mood.",
    "Lonely people often find comfort in a regular group.",
    "Heavy meals just before bed can disturb your sleep.",
    "Sunlight on a winter morning is worth seeking out.",
    "Counting slowly while you breathe out calms the body.",
    "A list of tasks on paper takes pressure off your memory.",
    "Laughing with others releases tension in the body.",
    "Cutting down on alcohol usually improves sleep within weeks.",
    "Ten minutes of quiet each day can ease daily stress.",
    "People who move a little every hour feel less stiff.",
    "Asking for help early is a sign of strength.",
    "Cold water on your face can calm a racing heart.",
    "A tidy room can make a busy mind feel calmer.",
    "Dancing in the kitchen counts as exercise too.",
    "Nurses see many patients who cannot sleep after a loss.",
    "Grief changes sleep, appetite and mood for a while.",
    "A short nap after lunch refreshes some people and not others.",
    "Holding a warm drink in both hands can feel soothing.",
    "Reading a paper book at night is easier on the eyes.",
    "Pets give many older people a reason to walk every day.",
    "Worry often feels smaller once it is written down.",
    "Regular meals help children concentrate at school.",
    "Sharing a meal with family can lift your spirits.",
    "Long hours at a desk strain the neck and shoulders.",
    "Kind words from a stranger can change a whole day.",
    "Some medicines affect sleep, so ask your pharmacist.",
    "Singing in a choir brings people together and lifts the mood.",
    "A walk outside at lunch breaks up a long afternoon.",
    "Keeping the bedroom cool and dark supports deep sleep.",
    "Nobody feels calm all the time, and that is normal.",
    "Cooking a simple meal can be a calming routine.",
    "Breathing through the nose slows the heart a little.",
    "Volunteering gives many people a sense of purpose.",
    "Teenagers often need more sleep than adults think.",
    "Planning one pleasant thing for tomorrow helps some people rest.",
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
    "Usingizi wa kutosha hupunguza msongo wa mawazo.",
    "Kutembea na rafiki husaidia hisia zako.",
    "Kupumua polepole kunaweza kutuliza akili.",
    "Kuandika katika shajara husaidia kupanga mawazo.",
    "Kunywa maji asubuhi husaidia mwili.",
    "Mazoezi mepesi yanaweza kuboresha usingizi.",
    "Kuzungumza na mtu unayemwamini ni muhimu.",
    "Kula matunda kila siku ni muhimu kwa afya.",
    "Mwanga wa jua husaidia hisia zako.",
    "Kupumzika kidogo kunaweza kupunguza uchovu.",
    "Ratiba tulivu husaidia usingizi mzuri.",
    "Kutembea nje husaidia akili na mwili.",
    "Muziki wa utulivu unaweza kupunguza msongo.",
    "Kuomba msaada ni ishara ya nguvu.",  # the twentieth line: held out to measure surprise
    "Kulala mapema kila usiku hukupa nguvu asubuhi.",
    "Kunywa chai ya moto kunaweza kutuliza mwili.",
    "Kicheko pamoja na marafiki hupunguza uchovu wa siku.",
    "Kusoma kitabu kabla ya kulala hutuliza mawazo.",
]
SWAHILI_INSTRUCTIONS = [
    "User: Siwezi kulala usiku. || Assistant: Pole sana. Jaribu kulala na kuamka saa ile ile "
    "kila siku.",
    "User: Nina huzuni sana. || Assistant: Pole sana. Tafadhali zungumza na mtu unayemwamini.",
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
HELD_OUT_EN = "A short walk in the morning can lift your mood."
HELD_OUT_SW = "Kutembea asubuhi husaidia akili na mwili."
# Much the same sentence in both languages: Swahili, with less text, costs more tokens.
SAME_EN = "A short walk can help your mood."
SAME_SW = "Kutembea kila siku kunaweza kusaidia hisia zako."


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


def write_corpora(
    root: Path, *, skewed: list[str] | None = None, records: list[str] | None = None
) -> Path:
    """A complete toy corpora folder following the contract."""
    health = HEALTH + STUDIES
    files = {
        ("health", "en"): ["# comment lines are skipped", "", *health],
        ("health", "sw"): SWAHILI,
        ("skewed", "en"): skewed if skewed is not None else skewed_lines(),
        ("records", "en"): [r for r in RECORDS for _ in range(4)] if records is None else records,
        ("instructions", "en"): INSTRUCTIONS,
        ("instructions", "sw"): SWAHILI_INSTRUCTIONS,
    }
    for (name, locale), lines in files.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{locale}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in ("health", "skewed", "records", "instructions"):
        locales = sorted(loc for n, loc in files if n == name)
        (root / name / "datasheet.md").write_text(datasheet(name, locales), encoding="utf-8")
    return root
