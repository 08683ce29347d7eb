"""The word lists in service/data/words: headers, format, and the readers that turn them into the engine's lexicons."""

# ruff: noqa: RUF001

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.relations import ClaimFacts, compare, negation, rules
from service.relations.text import STOPWORDS
from service.text import words
from service.text.words import WORDS_DIR, read_pairs, read_patterns, read_sections, read_terms

LISTS = sorted(path.stem for path in WORDS_DIR.glob("*.txt"))
PATTERN_LISTS = {"boilerplate"}
PAIR_LISTS = {"opposites"}
# Lists of named groups ("[people]" lines open them), read with read_sections.
SECTION_LISTS = {
    path.stem
    for path in WORDS_DIR.glob("*.txt")
    if any(line.startswith("[") for line in path.read_text(encoding="utf-8").splitlines())
}


@pytest.fixture
def words_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(words, "WORDS_DIR", tmp_path)
    words._lines.cache_clear()
    yield tmp_path
    words._lines.cache_clear()


def test_every_list_says_where_its_words_came_from_and_how_they_were_checked() -> None:
    assert {"negation_cues", "opposites", "speech_verbs", "boilerplate", "stopwords"} <= set(LISTS)
    assert {"units", "statuses", "qualifiers", "number_words", "source_descriptors"} <= SECTION_LISTS
    for name in LISTS:
        text = (WORDS_DIR / f"{name}.txt").read_text(encoding="utf-8")
        header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
        assert "Where they came from" in header, name
        assert "Checked by" in header, name


def _sections(name: str) -> list[list[str]]:
    """The terms of a list as written, section by section (a comment line opens a section: one language each)."""
    sections: list[list[str]] = [[]]
    for line in (WORDS_DIR / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", "[")):
            sections.append([])
            continue
        # a line may end with a comma: the list goes on on the next line
        sections[-1] += [part.strip() for part in line.split(",") if part.strip()]
    return [section for section in sections if section]


@pytest.mark.parametrize("name", [n for n in LISTS if n not in PATTERN_LISTS | PAIR_LISTS])
def test_term_lists_hold_no_empty_terms_and_no_repeats_within_a_language(name: str) -> None:
    sections = _sections(name)
    if name in SECTION_LISTS:
        groups = read_sections(name)
        terms = tuple(t for group in groups.values() for t in group)
        assert len(groups) == sum(line.startswith("[") for line in (WORDS_DIR / f"{name}.txt").open(encoding="utf-8"))
    else:
        terms = read_terms(name)
    assert terms
    for section in sections:
        assert len(set(section)) == len(section), f"{name}: {sorted({t for t in section if section.count(t) > 1})}"
    # A word shared by two languages ("nie": French and German) is one term of the lexicon.
    assert {t.strip('"') for section in sections for t in section} == set(terms)


def test_boilerplate_markers_are_one_valid_alternative_a_line() -> None:
    patterns = read_patterns("boilerplate")
    assert len(patterns) > 20
    for pattern in patterns:
        re.compile(pattern)
        depth = 0
        for i, ch in enumerate(pattern):
            escaped = i and pattern[i - 1] == "\\"
            depth += (ch == "(" and not escaped) - (ch == ")" and not escaped)
            assert not (ch == "|" and depth == 0 and not escaped), f"a top-level '|' in {pattern!r}"


def test_reader_splits_on_commas_keeps_quoted_spaces_and_drops_repeats(words_dir: Path) -> None:
    (words_dir / "demo.txt").write_text('# header\n\nruled out,  not ,\n"안 ", not\n# a comment\nfake*\n', "utf-8")
    assert read_terms("demo") == ("ruled out", "not", "안 ", "fake*")


def test_reader_refuses_a_list_without_a_header(words_dir: Path) -> None:
    (words_dir / "bare.txt").write_text("not, never\n", "utf-8")
    with pytest.raises(ValueError, match="header"):
        read_terms("bare")


def test_pairs_need_two_sides(words_dir: Path) -> None:
    (words_dir / "pairs.txt").write_text("# header\nrose, grew | fell, shrank\n", "utf-8")
    assert read_pairs("pairs") == ((("rose", "grew"), ("fell", "shrank")),)
    (words_dir / "bad.txt").write_text("# header\nrose | fell | rose\n", "utf-8")
    with pytest.raises(ValueError, match="'\\|'"):
        read_pairs("bad")
    (words_dir / "empty.txt").write_text("# header\nrose, | \n", "utf-8")
    with pytest.raises(ValueError, match="both sides"):
        read_pairs("empty")


def test_sections_group_terms_under_their_name(words_dir: Path) -> None:
    (words_dir / "units.txt").write_text("# header\n[people]\nworkers, crew,\nсолдат*\n\n# km\n[km]\nkm\n", "utf-8")
    assert read_sections("units") == {"people": ("workers", "crew", "солдат*"), "km": ("km",)}
    (words_dir / "loose.txt").write_text("# header\nworkers\n[people]\ncrew\n", "utf-8")
    with pytest.raises(ValueError, match="before the first"):
        read_sections("loose")
    (words_dir / "hollow.txt").write_text("# header\n[people]\n[km]\nkm\n", "utf-8")
    with pytest.raises(ValueError, match="without a term: people"):
        read_sections("hollow")


def test_the_number_reader_takes_its_words_from_the_files() -> None:
    # Spelt-out figures, units and statuses from the data files: eight workers hurt against seven workers hurt.
    english = ClaimFacts(text="Eight workers were injured when the scaffolding fell on Tuesday.")
    german = ClaimFacts(text="Sieben Arbeiter wurden verletzt, als das Gerüst am Dienstag einstürzte.")
    verdict = compare(english, german, similarity=0.9)
    assert verdict.relation == "conflict"
    assert [(s.kind, s.conflicting) for s in verdict.signals if s.kind == "number"] == [("number", True)]
    units, statuses = read_sections("units"), read_sections("statuses")
    assert "workers" in units["people"] and "arbeiter" in units["people"]
    assert "injur*" in statuses["injured"] and "verletzt*" in statuses["injured"]
    assert read_sections("number_words")["7"][:1] == ("seven",)


def test_the_engine_reads_its_lexicons_from_the_files() -> None:
    # What the files say is what the engine uses: a pair of the file is a pair of the engine, a cue is a cue.
    assert read_pairs("opposites") == rules.OPPOSITES
    assert read_terms("negation_cues") == rules.NEGATION_CUES
    assert frozenset(read_terms("stopwords")) == STOPWORDS
    assert "dementiert*" in rules.NEGATION_CUES and "안 " in rules.NEGATION_CUES
    facts = negation.analyse("Der Konzern hat den Bericht dementiert.")
    assert [hit.text for hit in facts.cues] == ["dementiert"]
    confirm, deny = (
        ClaimFacts(text=f"The ministry {verb} that the plant was shut down on Monday.")
        for verb in ("confirmed", "denied")
    )
    verdict = compare(confirm, deny, similarity=0.9)
    assert verdict.relation == "conflict"
    assert any(s.kind == "negation" and s.conflicting for s in verdict.signals)
