"""The text vocabulary: word lists read from data files, and word tables.

Word lists that encode knowledge of language (negation cues, opposite predicates, speech verbs, boilerplate markers,
function words) live in ``service/data/words/*.txt``, each with a header saying where it came from and how it was
checked (the house rule: data is not code). `read_terms`, `read_pairs`, `read_sections` and `read_patterns`
read them.

A word table maps words to what they stand for: each word read whole, or, written with a trailing *, as a beginning
that takes any ending ("погиб*": погиб, погибли, погибших). The relations engine's units and statuses and the scale
words of figures are such tables."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Final, Generic, TypeVar

__all__ = ["WORDS_DIR", "WordTable", "read_pairs", "read_patterns", "read_sections", "read_terms"]

WORDS_DIR: Final = Path(__file__).resolve().parents[1] / "data" / "words"


@cache
def _lines(name: str) -> tuple[str, ...]:
    """The lines of ``service/data/words/<name>.txt`` that carry data: no blank lines, no ``#`` comments."""
    path = WORDS_DIR / f"{name}.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].startswith("#"):
        raise ValueError(f"{path}: a word list starts with a header saying where its words came from")
    return tuple(line for line in lines if line.strip() and not line.lstrip().startswith("#"))


def _term(raw: str) -> str:
    # A term in double quotes is kept as written, spaces included ("안 ": the Korean word, not a syllable of one).
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1]
    return " ".join(raw.split())


def read_terms(name: str) -> tuple[str, ...]:
    """The terms of a word list, in file order, without repeats: comma-separated, any number a line.

    A term may be several words ("ruled out"); a trailing ``*`` is kept (what it means is the reader's business).
    """
    terms = (_term(part) for line in _lines(name) for part in line.split(","))
    return tuple(dict.fromkeys(term for term in terms if term))


def read_pairs(name: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """Pairs of term lists, one pair a line: ``a1, a2, ... | b1, b2, ...``."""
    pairs = []
    for line in _lines(name):
        sides = line.split("|")
        if len(sides) != 2:
            raise ValueError(f"{name}.txt: a pair is two comma-separated lists with one '|' between: {line!r}")
        a, b = (tuple(dict.fromkeys(t for t in map(_term, side.split(",")) if t)) for side in sides)
        if not a or not b:
            raise ValueError(f"{name}.txt: both sides of a pair need a term: {line!r}")
        pairs.append((a, b))
    return tuple(pairs)


def read_sections(name: str) -> dict[str, tuple[str, ...]]:
    """Named groups of terms: a line ``[name]`` opens a group, comma-separated terms follow (file order kept)."""
    groups: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _lines(name):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = groups.setdefault(stripped[1:-1].strip(), [])
            continue
        if current is None:
            raise ValueError(f"{name}.txt: terms before the first [group] line: {line!r}")
        current.extend(term for term in map(_term, line.split(",")) if term)
    empty = [key for key, terms in groups.items() if not terms]
    if empty:
        raise ValueError(f"{name}.txt: groups without a term: {', '.join(empty)}")
    return {key: tuple(dict.fromkeys(terms)) for key, terms in groups.items()}


def read_patterns(name: str) -> tuple[str, ...]:
    """Regular-expression alternatives, one a line, in file order (joined with ``|`` by the reader)."""
    return tuple(line.strip() for line in _lines(name))


V = TypeVar("V")


class WordTable(Generic[V]):
    """Words (lower case) and what each stands for; a whole word wins over a beginning, a longer beginning over a
    shorter one."""

    def __init__(self, entries: Iterable[tuple[str, V]]) -> None:
        self.whole: dict[str, V] = {}
        beginnings: list[tuple[str, V]] = []
        for word, value in entries:
            if word.endswith("*"):
                beginnings.append((word[:-1], value))
            else:
                self.whole[word] = value
        self._beginnings = tuple(sorted(beginnings, key=lambda entry: -len(entry[0])))

    def get(self, word: str) -> V | None:
        """What ``word`` (lower case) stands for, or None."""
        found = self.whole.get(word)
        if found is not None:
            return found
        return next((value for beginning, value in self._beginnings if word.startswith(beginning)), None)
