"""Loading and checking corpora folders."""

from __future__ import annotations

from pathlib import Path

from navigator.sandbox.model.corpora import check_corpora, load_corpora, parse_lines, read_datasheet


def test_lines_skip_blanks_and_comments_and_keep_numbers() -> None:
    lines = parse_lines("# heading\nFirst line.\n\n   \n  Second line.  \n#another\n")
    assert [(ln.number, ln.text) for ln in lines] == [(2, "First line."), (5, "Second line.")]


def test_corpora_load_with_their_datasheets(toy_dir: Path) -> None:
    corpora = load_corpora(toy_dir)
    keys = [(c.name, c.locale) for c in corpora]
    assert keys == sorted(keys)
    assert ("health", "sw") in keys and ("records", "en") in keys
    health = next(c for c in corpora if (c.name, c.locale) == ("health", "en"))
    assert health.lines[0].number == 3  # after a comment and a blank line
    assert health.datasheet["licence"] == "CC BY 4.0"
    meta, prose = read_datasheet(toy_dir / "health" / "datasheet.md")
    assert meta["locales"] == ["en", "sw"] and prose.strip() == "Written for the tests."


def test_a_good_folder_has_no_problems(toy_dir: Path) -> None:
    assert check_corpora(toy_dir) == []


def test_problems_name_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "xx.txt").write_text("text\n", encoding="utf-8")
    (tmp_path / "instructions").mkdir()
    (tmp_path / "instructions" / "en.txt").write_text(
        "User: hi || Assistant: hello\nno separator here\n", encoding="utf-8"
    )
    (tmp_path / "instructions" / "datasheet.md").write_text(
        "---\ntitle: x\nlocales: [en, fr]\n---\n", encoding="utf-8"
    )
    problems = check_corpora(tmp_path)
    messages = {(Path(f).name, line, msg.split(":")[0]) for f, line, msg in problems}
    assert ("en.txt", 2, "expected 'User") in messages
    assert ("xx.txt", 0, "unknown locale 'xx'") in messages
    assert ("datasheet.md", 0, "every corpus needs a datasheet.md") in messages
    assert any("missing 'licence'" in m for _, _, m in problems)
    assert any("locales should list" in m for _, _, m in problems)
    assert any("prose" in m for _, _, m in problems)
    assert check_corpora(tmp_path / "absent")[0][2] == "the corpora folder is missing"
