"""Sandbox services without HTTP: the model in force per programme, edits, runs, saved runs."""

import os

import pytest

from navigator.accounts import services as accounts
from navigator.config import ROOT
from navigator.errors import Conflict, Invalid, NotFound
from navigator.sandbox import caches, edits, prompt_runs, saved_runs, services
from navigator.sandbox.model.words import ASSISTANT, EOS, UNK, USER, split_words
from navigator.sandbox.models import SavedRun

from .toys import SHIPPED, balancing_lines, write_corpora


@pytest.fixture
def box():
    return caches.Sandbox(caches.find_sandbox(ROOT / "curricula"))


def balanced_text() -> str:
    text = (SHIPPED / "corpora" / "skewed" / "en.txt").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if "younger patient" in ln or "older patient" in ln]
    return text + "\n" + "\n".join(balancing_lines(lines))


def test_the_course_package_sandbox_is_found(tmp_path):
    assert caches.find_sandbox(ROOT / "curricula") == SHIPPED
    assert caches.find_sandbox(tmp_path) is None
    (tmp_path / "other" / "sandbox").mkdir(parents=True)
    assert caches.find_sandbox(tmp_path) == tmp_path / "other" / "sandbox"


def test_programmes_without_edits_share_the_shipped_model(session, box, make_programme):
    a, b = make_programme(), make_programme()
    engine = services.engine_for(session, box, a.id)
    assert services.engine_for(session, box, b.id) is engine
    assert services.engine_for(session, box, None) is engine


def test_balancing_the_skewed_corpus_shrinks_the_gap_and_reset_restores(
        session, box, make_programme, make_user):
    a, b = make_programme(), make_programme()
    trainer = make_user("trainer", a)
    shipped = services.engine_for(session, box, a.id)
    assert services.bias_comparison(session, box, a.id, "en") == []

    row = edits.save_corpus(session, box, trainer.id, a.id, "skewed", "en", balanced_text(), 0)
    session.commit()
    assert row.version == 1
    edited = services.engine_for(session, box, a.id)
    assert edited.content_hash != shipped.content_hash
    assert services.engine_for(session, box, b.id) is shipped  # other programmes untouched
    [gap] = services.bias_comparison(session, box, a.id, "en")
    assert gap["name"] == "bias-probe" and gap["after"] < gap["before"] / 5

    edits.reset_corpus(session, box, trainer.id, a.id, "skewed", "en")
    session.commit()
    assert services.engine_for(session, box, a.id).content_hash == shipped.content_hash
    history = edits.corpus_history(session, a.id, "skewed", "en")
    assert [(h["version"], h["is_reset"]) for h in history] == [(2, True), (1, False)]
    assert history[0]["by"] == trainer.display_name
    assert edits.reset_corpus(session, box, trainer.id, a.id, "skewed", "en") is None


def test_a_stale_version_or_a_bad_text_is_refused(session, box, make_programme):
    a = make_programme()
    edits.save_corpus(session, box, None, a.id, "health", "sw", "Usingizi ni muhimu.", 0)
    with pytest.raises(Conflict):
        edits.save_corpus(session, box, None, a.id, "health", "sw", "Maji ni muhimu.", 0)
    for name, text in [("health", "# only a note\n\n"), ("health", "x" * 1001),
                       ("instructions", "Just a sentence without the format.")]:
        with pytest.raises(Invalid) as caught:
            edits.save_corpus(session, box, None, a.id, name, "en", text, 0)
        assert caught.value.field == "text"
    with pytest.raises(NotFound):
        edits.save_corpus(session, box, None, a.id, "no-such-corpus", "en", "Text.", 0)


def test_editable_programme_is_only_the_trainers_own(session, make_programme, make_user):
    a, b = make_programme(), make_programme()
    trainer = accounts.principal(session, make_user("trainer", a))
    assert edits.editable_programme(session, trainer, a.id).id == a.id
    with pytest.raises(NotFound):
        edits.editable_programme(session, trainer, b.id)


def _doc_texts(**more):
    return {"title": "My activity", "prompt": "Regular sleep", "notice": "Look.",
            "explanation": "Because.", "reflect": "Why?", **more}


def test_trainers_create_edit_and_remove_a_scenario(session, box, make_programme):
    a, b = make_programme(), make_programme()
    base = edits.settings_base("generate", "base", {"temperature": 0.5, "max_tokens": 10,
                                                    "seed": 1}, [], [])
    edits.save_scenario(session, box, None, a.id, "my-activity", base=base, locale="en",
                        texts=_doc_texts(), base_version=0, creating=True)
    session.commit()
    found = services.scenario_for(session, box, a.id, "my-activity")
    result = services.run(services.engine_for(session, box, a.id), found, "es")
    assert result["title"] == "My activity" and result["locale"] == "en" and result["text"]
    with pytest.raises(NotFound):
        services.scenario_for(session, box, b.id, "my-activity")

    edits.save_scenario(session, box, None, a.id, "my-activity", base=base, locale="es",
                        texts=_doc_texts(title="Mi actividad"), base_version=1)
    session.commit()
    found = services.scenario_for(session, box, a.id, "my-activity")
    assert found.texts_for("es")[1]["title"] == "Mi actividad"
    assert found.texts_for("en")[1]["title"] == "My activity"
    assert edits.scenario_status(session, box, a.id)["my-activity"] == "created"

    edits.reset_scenario(session, box, None, a.id, "my-activity")
    session.commit()
    with pytest.raises(NotFound):
        services.scenario_for(session, box, a.id, "my-activity")


def test_a_scenario_that_fails_the_checks_names_its_fields(session, box, make_programme):
    a = make_programme()
    base = edits.settings_base("bias", "base", {"temperature": 1.0, "max_tokens": 10}, [], [])
    with pytest.raises(edits.EditProblems) as caught:
        edits.save_scenario(session, box, None, a.id, "probe", base=base, locale="en",
                            texts=_doc_texts(template="No slot here", groups={"a": "x"}),
                            base_version=0, creating=True)
    fields = {field for field, _message in caught.value.problems}
    assert {"template", "word_sets"} <= fields
    with pytest.raises(Conflict):
        edits.save_scenario(session, box, None, a.id, "temperature", base=base, locale="en",
                            texts=_doc_texts(), base_version=0, creating=True)
    with pytest.raises(Invalid) as bad_name:
        edits.save_scenario(session, box, None, a.id, "Bad Name", base=base, locale="en",
                            texts=_doc_texts(), base_version=0, creating=True)
    assert bad_name.value.field == "name"
    with pytest.raises(Invalid) as bad_setting:
        edits.settings_base("generate", "base", {"temperature": 1.0, "max_tokens": 10,
                                                 "top_p": 0}, [], [])
    assert bad_setting.value.field == "top_p"


def test_editing_a_shipped_scenario_and_resetting_it(session, box, make_programme):
    a = make_programme()
    document, version = edits.scenario_document(session, box, a.id, "temperature")
    assert version == 0
    texts = dict(document["texts"]["sw"], title="Joto jipya")
    edits.save_scenario(session, box, None, a.id, "temperature", base=document["base"],
                        locale="sw", texts=texts, base_version=0)
    session.commit()
    assert services.scenario_for(session, box, a.id, "temperature").texts["sw"]["title"] == (
        "Joto jipya")
    assert edits.scenario_status(session, box, a.id)["temperature"] == "edited"
    edits.reset_scenario(session, box, None, a.id, "temperature")
    session.commit()
    assert services.scenario_for(session, box, a.id, "temperature") == (
        box.shipped_scenarios()["temperature"])
    _document, version = edits.scenario_document(session, box, a.id, "temperature")
    assert version == 2


def test_example_runs_are_computed_once(box):
    engine = box.engine()
    scenario = box.shipped_scenarios()["bias-probe"]
    first = services.example_run(box, engine, scenario, "fr")
    assert services.example_run(box, engine, scenario, "fr") is first
    assert first["locale"] == "fr" and first["engine"] == engine.content_hash[:12]
    english = services.example_run(box, engine, scenario, "en")
    assert english is not first and services.example_run(box, engine, scenario, "en") is english
    assert services.bias_gap(english) > 0.3
    # (In French the English template runs on the French model: see test_scenarios.py.)


def test_segments_cover_every_token_with_a_shade(box):
    engine = box.engine()
    gen = prompt_runs.generation(engine, "A study of ashwagandha for depression found that",
                              {"seed": 3, "max_tokens": 30})
    segments = prompt_runs.segments(gen)
    assert "".join(seg["text"] for seg in segments) == gen["text"]
    assert any(seg["copied"] and seg["source"]["corpus"] for seg in segments)
    assert [prompt_runs.shade(p) for p in (0.0, 0.05, 0.2, 0.5, 0.8, 1.0)] == [0, 1, 2, 3, 4, 4]


def opening(engine, locale: str, words: int) -> str:
    """The first words of a language's first health line (whatever the shipped text says)."""
    line = next(s.text for s in engine.language(locale).sources if s.corpus == "health")
    return "".join(split_words(line)[:words]).strip()


def test_step_tools(box):
    engine = box.engine()
    en, sw = engine.language("en"), engine.language("sw")
    text = opening(engine, "en", 3)
    table = prompt_runs.next_tokens(engine, text, 0.0)
    assert table["rows"] and table["rows"][0]["prob_at_temperature"] == pytest.approx(1.0)
    assert [c["piece"] for c in table["context"]] == split_words(text)
    for row in table["rows"]:
        expected = None if row["id"] == EOS else en.words.piece(row["id"])
        assert prompt_runs.piece_of(engine, text, row["id"]) == expected
    assert prompt_runs.piece_of(engine, text, EOS) is None  # the end of the line
    for bad in (10**9, -1, UNK, USER, ASSISTANT):
        with pytest.raises(Invalid):
            prompt_runs.piece_of(engine, text, bad)

    # A Swahili text is continued by the Swahili model, whatever the page's language: the
    # token ids of its table are Swahili words.
    swahili_text = opening(engine, "sw", 2)
    swahili = prompt_runs.next_tokens(engine, swahili_text, 0.0, locale="en")
    assert all(sw.words.knows(r["piece"]) or r["id"] == EOS for r in swahili["rows"])
    for row in swahili["rows"]:
        assert prompt_runs.piece_of(engine, swahili_text, row["id"], "en") == (
            None if row["id"] == EOS else sw.words.piece(row["id"]))
    assert any(en.words.piece(r["id"]) != r["piece"] for r in swahili["rows"])

    cut = prompt_runs.next_tokens(engine, text, 1.0, top_k=2)
    assert [r["cut"] for r in cut["rows"][:3]] == [None, None, "top_k"]
    assert cut["top_k"] == 2 and cut["top_p"] == 1.0

    sampled = prompt_runs.sample_next(engine, text, 1.0, 0.0, 7)
    assert sampled == prompt_runs.sample_next(engine, text, 1.0, 0.0, 7)
    assert sampled is None or en.words.knows(sampled)
    assert prompt_runs.sample_next(engine, text, 0.0, 0.0, 1) == (table["rows"][0]["piece"] or None)
    word = prompt_runs.sample_next(engine, swahili_text, 0.0, 0.0, 1, "en")
    assert word == (swahili["rows"][0]["piece"] or None)

    view = prompt_runs.token_view(engine, "Sleep helps.", {"en": "Sleep.", "sw": "Usingizi."})
    assert view["count"] == len(view["prompt_pieces"]) and len(view["samples"]) == 2
    assert "".join(view["prompt_pieces"]) == "Sleep helps."
    with pytest.raises(Invalid):
        prompt_runs.generation(engine, "Hi", {"temperature": 9})


def test_generation_runs_in_the_language_of_the_prompt(box):
    engine = box.engine()
    gen = prompt_runs.generation(engine, opening(engine, "sw", 1),
                              {"seed": 2, "max_tokens": 12, "temperature": 0}, locale="fr")
    assert gen["model_locale"] == "sw" and gen["tokens"]
    assert all(engine.language("sw").words.knows(t["piece"]) for t in gen["tokens"])
    tuned = prompt_runs.generation(engine, "User: I feel hopeless. || Assistant:",
                                {"seed": 2, "max_tokens": 40}, mix=0.8)
    assert tuned["model_locale"] == "en" and tuned["mix"] == 0.8 and tuned["text"].strip()


def test_saved_runs_belong_to_their_owner(session, box, make_user):
    me, other = make_user("navigator"), make_user("navigator")
    gen = prompt_runs.generation(box.engine(), "Regular sleep", {"seed": 1, "max_tokens": 5})
    row = saved_runs.save_run(session, me.id, kind="generate", scenario="", title="Mine",
                            prompt="Regular sleep", settings={"seed": 1}, result=gen)
    session.commit()
    assert "alternatives" not in row.result["tokens"][0]
    assert saved_runs.list_runs(session, me.id) == [row]
    assert saved_runs.list_runs(session, other.id) == []
    with pytest.raises(NotFound):
        saved_runs.get_run(session, other.id, row.id)
    with pytest.raises(NotFound):
        saved_runs.delete_run(session, other.id, row.id)
    saved_runs.delete_run(session, me.id, row.id)
    session.commit()
    assert session.get(SavedRun, row.id) is None


def test_pruning_keeps_recent_files_and_those_of_the_engine_in_use(tmp_path):
    root, cache = tmp_path / "sandbox", tmp_path / "cache"
    write_corpora(root / "corpora")
    engine = caches.Sandbox(root, cache).engine()
    in_use = sorted(p.name for p in cache.glob("sandbox-*.npz"))
    assert in_use == sorted(f"sandbox-{loc}-{lang.content_hash[:32]}.npz"
                            for loc, lang in engine.languages.items())
    for path in cache.glob("sandbox-*.npz"):
        os.utime(path, (1_000_000, 1_000_000))  # trained long ago
    # Then many edits, each with a file of its own, the oldest first.
    edits_made = [cache / f"sandbox-sw-{i:032d}.npz" for i in range(caches._KEEP_FILES + 3)]
    for i, path in enumerate(edits_made):
        path.write_bytes(b"x")
        os.utime(path, (2_000_000 + i, 2_000_000 + i))
    again = caches.Sandbox(root, cache).engine()  # a fresh app, the same engine in use
    assert again.content_hash == engine.content_hash
    left = {p.name for p in cache.glob("sandbox-*.npz")}
    assert len(left) == caches._KEEP_FILES
    assert set(in_use) <= left
    newest = [p.name for p in edits_made[-(caches._KEEP_FILES - len(in_use)):]]
    assert left == set(in_use) | set(newest)
