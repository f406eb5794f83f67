"""The suffix index: correct suffix order, and copied versus recombined spans."""

from __future__ import annotations

import numpy as np

from navigator.sandbox.model.engine import SandboxEngine
from navigator.sandbox.model.provenance import Source, SuffixIndex, _suffix_array

from .toys import STUDIES, SWAHILI


def test_suffix_array_sorts_every_suffix() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 200):
        text = rng.integers(-3, 4, size=n)
        expected = sorted(range(n), key=lambda i: text[i:].tolist())
        assert _suffix_array(text).tolist() == expected


def index_of(lines: list[list[int]]) -> SuffixIndex:
    sources = [Source("c", "en", i + 1, f"line {i + 1}") for i in range(len(lines))]
    return SuffixIndex.build(lines, sources)


def test_a_whole_line_is_one_copied_span() -> None:
    lines = [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11], [1, 2, 3, 9]]
    spans = index_of(lines).spans([7, 8, 9, 10, 11])
    assert len(spans) == 1 and spans[0].copied
    assert (spans[0].start, spans[0].end) == (0, 5)
    assert spans[0].source is not None and spans[0].source.line == 2


def test_halves_of_two_lines_are_two_spans_and_the_rest_is_recombined() -> None:
    lines = [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]
    spans = index_of(lines).spans([1, 2, 3, 4, 9, 10, 11, 12, 40, 41])
    assert [(s.start, s.end, s.copied) for s in spans] == [
        (0, 4, True),
        (4, 8, True),
        (8, 10, False),
    ]
    assert [s.source.line for s in spans[:2] if s.source] == [1, 2]
    assert spans[2].source is None


def test_matches_never_cross_a_line_end() -> None:
    lines = [[1, 2, 3], [4, 5, 6]]
    spans = index_of(lines).spans([1, 2, 3, 4, 5, 6], min_len=3)
    assert [(s.start, s.end) for s in spans] == [(0, 3), (3, 6)]


def test_short_matches_count_as_recombined_and_occurrences_are_counted() -> None:
    index = index_of([[1, 2, 3, 4, 5], [1, 2, 3, 4, 9], [1, 2]])
    spans = index.spans([1, 2, 7, 8])
    assert [(s.start, s.end, s.copied) for s in spans] == [(0, 4, False)]
    assert index.spans([1, 2, 3, 4])[0].occurrences == 2
    assert index.count([1, 2]) == 3 and index.count([2, 3, 4, 5]) == 1 and index.count([5, 1]) == 0


def test_engine_marks_a_recombined_citation(toy_engine: SandboxEngine) -> None:
    en = toy_engine.language("en")
    # The year and university of one study joined to the finding of another: every piece was
    # written by someone, the whole never was.
    head = STUDIES[0].split(" found that")[0]
    tail = " found that" + STUDIES[2].split(" found that")[1]
    ids = en.words.encode(head + tail)
    spans = en.provenance(ids)
    assert [(s["start"], s["end"], s["copied"]) for s in spans] == [
        (0, 10, True), (10, len(ids), True)]
    assert [s["source"]["text"] for s in spans] == [STUDIES[0], STUDIES[2]]
    assert [s["text"] for s in spans] == [" " + head + " found that", tail[len(" found that"):]]
    assert all(s["source"]["corpus"] == "health" for s in spans)
    assert spans[0]["source"]["line"] == next(
        src.line for src in en.sources if src.text == STUDIES[0])


def test_engine_provenance_is_clipped_to_the_generated_part(toy_engine: SandboxEngine) -> None:
    en = toy_engine.language("en")
    ids = en.words.encode(STUDIES[1])
    start = 5
    spans = en.provenance(ids, start=start)
    assert len(spans) == 1
    assert (spans[0]["start"], spans[0]["end"]) == (0, len(ids) - start)
    assert spans[0]["copied"] and spans[0]["source"]["text"] == STUDIES[1]
    assert spans[0]["text"] == en.words.decode(ids[start:])
    assert en.provenance(ids, start=len(ids)) == []


def test_short_phrases_and_other_languages_are_not_copies(toy_engine: SandboxEngine) -> None:
    en, sw = toy_engine.language("en"), toy_engine.language("sw")
    common = en.words.encode("A short walk can help")  # five words: a common phrase
    assert [s["copied"] for s in en.provenance(common)] == [False]
    assert en.provenance(common, min_len=5)[0]["copied"]
    # Each language's index holds only its own lines.
    line = sw.words.encode(SWAHILI[0])
    assert sw.provenance(line)[0]["source"]["locale"] == "sw"
    assert not any(s["copied"] for s in en.provenance(en.words.encode(SWAHILI[0])))
