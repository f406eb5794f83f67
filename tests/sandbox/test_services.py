"""Sandbox services without HTTP: the model in force per programme, edits, runs, saved runs."""

import pytest

from navigator.accounts import services as accounts
from navigator.config import ROOT
from navigator.errors import Conflict, Invalid, NotFound
from navigator.sandbox import edits, services
from navigator.sandbox.models import SavedRun

from .toys import SHIPPED, balancing_lines


@pytest.fixture
def box():
    return services.Sandbox(services.find_sandbox(ROOT / "curricula"))


def balanced_text() -> str:
    text = (SHIPPED / "corpora" / "skewed" / "en.txt").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if "younger patient" in ln or "older patient" in ln]
    return text + "\n" + "\n".join(balancing_lines(lines))


def test_the_course_package_sandbox_is_found(tmp_path):
    assert services.find_sandbox(ROOT / "curricula") == SHIPPED
    assert services.find_sandbox(tmp_path) is None
    (tmp_path / "other" / "sandbox").mkdir(parents=True)
    assert services.find_sandbox(tmp_path) == tmp_path / "other" / "sandbox"


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
    assert services.bias_gap(first) > 0.3


def test_segments_cover_every_token_with_a_shade(box):
    engine = box.engine()
    gen = services.generation(engine, "A study of ashwagandha for depression found that",
                              {"seed": 3, "max_tokens": 30})
    segments = services.segments(gen)
    assert "".join(seg["text"] for seg in segments) == gen["text"]
    assert any(seg["copied"] and seg["source"]["corpus"] for seg in segments)
    assert [services.shade(p) for p in (0.0, 0.05, 0.2, 0.5, 0.8, 1.0)] == [0, 1, 2, 3, 4, 4]


def test_step_tools(box):
    engine = box.engine()
    table = services.next_tokens(engine, "Regular sleep can", 0.0)
    assert table["rows"] and table["rows"][0]["prob_at_temperature"] == pytest.approx(1.0)
    assert services.piece_of(engine, table["rows"][0]["id"])
    assert services.piece_of(engine, 1) is None  # the end of the line
    with pytest.raises(Invalid):
        services.piece_of(engine, 10**9)
    assert services.sample_next(engine, "Regular sleep can", 1.0, 0.0, 7) == (
        services.sample_next(engine, "Regular sleep can", 1.0, 0.0, 7))
    view = services.token_view(engine, "Sleep helps.", {"en": "Sleep.", "sw": "Usingizi."})
    assert view["count"] == len(view["prompt_pieces"]) and len(view["samples"]) == 2
    with pytest.raises(Invalid):
        services.generation(engine, "Hi", {"temperature": 9})


def test_saved_runs_belong_to_their_owner(session, box, make_user):
    me, other = make_user("navigator"), make_user("navigator")
    gen = services.generation(box.engine(), "Regular sleep", {"seed": 1, "max_tokens": 5})
    row = services.save_run(session, me.id, kind="generate", scenario="", title="Mine",
                            prompt="Regular sleep", settings={"seed": 1}, result=gen)
    session.commit()
    assert "alternatives" not in row.result["tokens"][0]
    assert services.list_runs(session, me.id) == [row]
    assert services.list_runs(session, other.id) == []
    with pytest.raises(NotFound):
        services.get_run(session, other.id, row.id)
    with pytest.raises(NotFound):
        services.delete_run(session, other.id, row.id)
    services.delete_run(session, me.id, row.id)
    session.commit()
    assert session.get(SavedRun, row.id) is None


def test_old_engine_files_are_pruned(tmp_path):
    for i in range(15):
        (tmp_path / f"sandbox-{i:032d}.npz").write_bytes(b"x")
    current = tmp_path / f"sandbox-{0:032d}.npz"
    services._prune(tmp_path, f"{0:032d}")
    left = sorted(tmp_path.glob("sandbox-*.npz"))
    assert len(left) == services._KEEP_FILES and current in left
