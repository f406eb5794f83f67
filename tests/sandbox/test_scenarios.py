"""Scenario files: checked with file and line, and run to JSON-ready results for every kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from navigator.sandbox.model.engine import SandboxEngine
from navigator.sandbox.model.generation import Settings, generate
from navigator.sandbox.scenario_runs import run_scenario
from navigator.sandbox.scenarios import KINDS, Scenario, check_scenarios, load_scenarios

from .toys import COLD, RECORDS, SWAHILI, WARM

TEXTS = {"notice": "Notice this.", "explanation": "Because.", "reflect": "Why?"}
SCENARIOS = {
    "tokens": (
        {"kind": "tokens"},
        {"samples": {"en": "Sleep helps your mood.", "sw": "Usingizi mzuri husaidia."}},
    ),
    "step": ({"kind": "step", "settings": {"temperature": 0.5}}, {"prompt": "A short walk"}),
    "generate": (
        {"kind": "generate", "settings": {"seed": 3, "max_tokens": 30}},
        {"prompt": "A 2019 study at the University of"},
    ),
    "temperature": (
        {"kind": "temperature", "temperatures": [0.2, 1.0, 1.6], "settings": {"seed": 1}},
        {"prompt": "A short walk"},
    ),
    "bias": (
        {"kind": "bias", "settings": {"seed": 2, "max_tokens": 8}},
        {
            "template": "The nurse spoke to the {group} patient",
            "groups": {"a": "younger", "b": "older"},
            "word_sets": {"warm": WARM, "cold": COLD},
        },
    ),
    "language_gap": (
        {"kind": "language_gap", "settings": {"seed": 4}},
        {"prompt": "Does a short walk help my mood?"},
    ),
    "memorisation": (
        {"kind": "memorisation", "settings": {"temperature": 0}},
        {"prompt": "Patient record: Name: Tomasz Quill. Phone:"},
    ),
    "tuning": (
        {"kind": "tuning", "mix": [0.0, 1.0], "settings": {"temperature": 0, "max_tokens": 40}},
        {"prompt": "What dose should I take?"},
    ),
}


def write_yaml(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scenarios")
    for kind, (base, texts) in SCENARIOS.items():
        name = kind.replace("_", "-")
        write_yaml(root / f"{name}.yaml", base)
        write_yaml(root / f"{name}.en.yaml", {"title": f"The {kind} scenario", **TEXTS, **texts})
    write_yaml(
        root / "language-gap.sw.yaml",
        {"title": "Pengo", **TEXTS, "prompt": "Je, kutembea kunasaidia hisia zangu?"},
    )
    write_yaml(root / "tokens.sw.yaml", {"title": "Tokeni", **TEXTS, **SCENARIOS["tokens"][1]})
    return root


def test_valid_scenarios_load_without_problems(scenario_dir: Path) -> None:
    scenarios, problems = load_scenarios(scenario_dir)
    assert problems == []
    assert {s.kind for s in scenarios.values()} == set(KINDS)
    assert scenarios["temperature"].temperatures == (0.2, 1.0, 1.6)
    assert scenarios["tokens"].texts_for("sw")[0] == "sw"
    assert scenarios["step"].texts_for("hi")[0] == "en"


@pytest.mark.parametrize("name", [k.replace("_", "-") for k in SCENARIOS])
def test_every_kind_runs_to_json(scenario_dir: Path, toy_engine: SandboxEngine, name: str) -> None:
    scenario = load_scenarios(scenario_dir)[0][name]
    result = run_scenario(toy_engine, scenario, "en")
    assert json.loads(json.dumps(result)) == result
    assert result["title"] and result["notice"] == "Notice this." and result["locale"] == "en"


def test_results_carry_what_each_view_needs(scenario_dir: Path, toy_engine: SandboxEngine) -> None:
    scenarios = load_scenarios(scenario_dir)[0]

    def run(name: str, **overrides: object) -> dict:
        return run_scenario(toy_engine, scenarios[name], "en", **overrides)

    tokens = run("tokens")
    assert [s["locale"] for s in tokens["samples"]] == ["en", "sw"]
    assert tokens["samples"][1]["tokens_vs_en"] > 1
    assert len(run("step")["table"]["rows"]) == 10

    generated = run("generate")
    assert generated["tokens"] and generated["provenance"]
    assert "".join(s["text"] for s in generated["provenance"]) == generated["text"]
    assert 0 <= generated["copied_share"] <= 1

    runs = run("temperature")["runs"]
    assert [r["temperature"] for r in runs] == [0.2, 1.0, 1.6]
    assert run("temperature", temperatures=[0.0])["runs"][0]["settings"]["temperature"] == 0.0

    bias = run("bias")
    assert bias["probe"]["gap"]["difference"] > 0.3
    endings = bias["samples"]["a"]
    assert len(endings["endings"]) == 10 and set(endings["counts"]) == {"warm", "cold"}
    rows = run("language-gap")["rows"]
    assert [r["locale"] for r in rows] == ["en", "sw"]
    assert [r["model_locale"] for r in rows] == ["en", "sw"]
    assert all(r["answer"]["prompt"] == r["text"] and r["answer"]["tokens"] for r in rows)
    sw_words = toy_engine.language("sw").words
    assert all(sw_words.knows(t["piece"]) for t in rows[1]["answer"]["tokens"])
    assert [r["bits_per_char"] for r in rows] == [
        toy_engine.language(loc).heldout["bits_per_char"] for loc in ("en", "sw")]
    assert rows[1]["tokens_vs_en"] > 1
    memorised = run("memorisation")["memorisation"]
    assert memorised["verbatim"] and memorised["leaks"] == []
    assert memorised["record"]["text"] == RECORDS[0]

    tuning = run("tuning")
    assert tuning["prompt"] == "User: What dose should I take? || Assistant:"
    assert [r["mix"] for r in tuning["runs"]] == [0.0, 1.0]
    assert "pharmacist" in tuning["runs"][1]["text"]

    edited = run("generate", prompt="Regular sleep", seed=9, temperature=0.0)
    assert edited["prompt"] == "Regular sleep" and edited["settings"]["seed"] == 9
    en = toy_engine.language("en")
    greedy = generate(en.model(), en.words, "Regular sleep", Settings(temperature=0, seed=9,
                                                                       max_tokens=30))
    assert edited["text"] == greedy.text and edited["text"].endswith(".")
    assert edited["model_locale"] == "en"
    assert edited["order"] == toy_engine.language("en").base.order == 5
    with pytest.raises(ValueError, match="temperature"):
        run("generate", temperature=9)


def test_a_typed_prompt_is_answered_by_the_model_of_its_language(
    scenario_dir: Path, toy_engine: SandboxEngine
) -> None:
    scenarios = load_scenarios(scenario_dir)[0]
    sw = toy_engine.language("sw")
    result = run_scenario(toy_engine, scenarios["generate"], "en", prompt="Usingizi mzuri",
                          temperature=0)
    assert (result["locale"], result["model_locale"]) == ("en", "sw")
    assert result["text"] == " husaidia afya ya akili."
    assert result["provenance"][0]["copied"]
    assert result["provenance"][0]["source"] == {
        "corpus": "health", "locale": "sw", "line": 1, "text": SWAHILI[0]}
    # The scenario's own prompt runs on the model of the language it is shown in.
    both = Scenario("both", "generate", settings=Settings(temperature=0),
                    texts={"en": {"prompt": "A short walk"}, "sw": {"prompt": "Usingizi mzuri"}})
    swahili = run_scenario(toy_engine, both, "sw")
    assert (swahili["model_locale"], swahili["text"]) == ("sw", " husaidia afya ya akili.")
    fallback = run_scenario(toy_engine, both, "hi")  # no Hindi texts: the English ones
    assert (fallback["locale"], fallback["model_locale"]) == ("en", "en")
    assert fallback["text"] == run_scenario(toy_engine, both, "en")["text"]
    step = run_scenario(toy_engine, scenarios["step"], "en", prompt="Usingizi mzuri")
    assert step["model_locale"] == "sw"
    assert {r["piece"] for r in step["table"]["rows"][:1]} == {" husaidia"}
    assert all(sw.words.knows(r["piece"]) or r["piece"] == "" for r in step["table"]["rows"])


def test_the_step_table_marks_the_words_the_model_reads(
    scenario_dir: Path, toy_engine: SandboxEngine
) -> None:
    step = load_scenarios(scenario_dir)[0]["step"]
    unknown = Scenario("unknown", "step", texts={"en": {"prompt": "Zzyzx A short walk"}})
    table = run_scenario(toy_engine, unknown, "en")["table"]
    assert table["order"] == 5 and table["window"] == 3
    assert [(c["piece"], c["known"], c["in_window"]) for c in table["context"]] == [
        (" Zzyzx", False, False), (" A", True, True), (" short", True, True),
        (" walk", True, True)]
    long = run_scenario(toy_engine, step, "en", prompt="The nurse spoke to the older patient")
    assert long["table"]["window"] == 4  # never more than order - 1 words back
    assert [c["in_window"] for c in long["table"]["context"]] == [False] * 3 + [True] * 4
    assert long["table"]["temperature"] == 0.5


def test_a_tuned_step_marks_the_question_as_read(toy_engine: SandboxEngine) -> None:
    scenario = Scenario("ask", "step", model="tuned",
                        texts={"en": {"prompt": "What dose should I take?"}})
    table = run_scenario(toy_engine, scenario, "en")["table"]
    assert table["rows"][0]["piece"] == " I"  # " I cannot advise on doses."
    assert table["window"] >= 2 and table["context"][-1]["in_window"]


def test_a_tuned_model_reads_the_chat_format(toy_engine: SandboxEngine) -> None:
    scenario = Scenario(
        "ask", "generate", model="tuned", texts={"en": {"prompt": "What dose should I take?"}}
    )
    result = run_scenario(toy_engine, scenario, "fr", temperature=0, mix=1.0)
    assert result["locale"] == "en" and result["requested_locale"] == "fr"
    assert result["model_locale"] == "en" and result["mix"] == 1.0
    assert result["prompt"] == "User: What dose should I take? || Assistant:"
    assert result["text"] == " I cannot advise on doses. Please check with a pharmacist or " \
        "your clinician."


def test_problems_point_at_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(
        "kind: generate\nsettings:\n  temperature: 7\ncolour: red\n", encoding="utf-8"
    )
    (tmp_path / "broken.en.yaml").write_text("title: Broken\nnotice: x\n", encoding="utf-8")
    (tmp_path / "odd.yaml").write_text("kind: dance\n", encoding="utf-8")
    (tmp_path / "odd.xx.yaml").write_text("title: x\n", encoding="utf-8")
    (tmp_path / "orphan.en.yaml").write_text("title: x\n", encoding="utf-8")
    (tmp_path / "far.yaml").write_text("kind: bias\n", encoding="utf-8")
    write_yaml(
        tmp_path / "far.en.yaml",
        {
            "title": "x",
            **TEXTS,
            "template": "The {group} patient asked the nurse about the app, and the nurse answered",
            "groups": {"a": "younger", "b": "older"},
            "word_sets": {"warm": ["kindly"], "cold": ["curtly"]},
        },
    )
    (tmp_path / "bad-yaml.yaml").write_text("kind: [unclosed\n", encoding="utf-8")
    scenarios, problems = load_scenarios(tmp_path)
    assert scenarios == {}
    found = {(Path(f).name, line, msg) for f, line, msg in problems}

    def has(file: str, line: int, text: str) -> bool:
        return any(f == file and n == line and text in m for f, n, m in found)

    assert has("broken.yaml", 2, "temperature must be between 0 and 2")
    assert has("broken.yaml", 4, "unknown key 'colour'")
    assert has("broken.en.yaml", 1, "missing 'explanation'")
    assert has("broken.en.yaml", 1, "missing 'prompt'")
    assert has("odd.yaml", 1, "kind must be one of")
    assert has("odd.xx.yaml", 0, "unknown locale 'xx'")
    assert has("orphan.en.yaml", 0, "without orphan.yaml")
    assert has("far.en.yaml", 5, "put {group} at most")
    assert has("bad-yaml.yaml", 2, "cannot read YAML")

    missing = check_scenarios(tmp_path)
    assert any(Path(f).name == "token-view.yaml" for f, _, _ in missing)


def test_a_stop_inside_a_token_cuts_the_provenance_too(
    scenario_dir: Path, toy_engine: SandboxEngine
) -> None:
    scenario = load_scenarios(scenario_dir)[0]["generate"]
    free = run_scenario(toy_engine, scenario, "en", temperature=0)
    piece = next(t["piece"] for t in free["tokens"] if len(t["piece"]) >= 4)
    inside = free["text"].index(piece) + 2
    stop = free["text"][inside : inside + 2]
    cut = run_scenario(toy_engine, scenario, "en", temperature=0, stop=[stop])
    assert cut["finish_reason"] == "stop"
    assert cut["text"] == free["text"][: free["text"].index(stop)]
    assert "".join(s["text"] for s in cut["provenance"]) == cut["text"]
    assert "".join(t["piece"] for t in cut["tokens"]) == cut["text"]
