"""Shared text helpers of the relations engine: tokens, crude stems, content words."""

# ruff: noqa: RUF001

from __future__ import annotations

import functools
import re
import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any, Final

from service.text.language import CJK_CHARACTERS
from service.text.words import read_terms


def word_set(words: str) -> frozenset[str]:
    """The whitespace-separated words of a string, as a set (for long word lists)."""
    return frozenset(words.split())


# A run of kana and ideographs is one token, apart from the digits and Latin letters glued to it ("154人が死亡").
TOKEN = re.compile(
    f"[{CJK_CHARACTERS}]+|[^\\W{CJK_CHARACTERS}]+(?:['’][^\\W{CJK_CHARACTERS}]+)*|[%$€£₽₴₩¥]", re.UNICODE
)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

# Function words of the supported languages (service/data/words/stopwords.txt): they say nothing about which fact a
# claim states.
STOPWORDS: Final[frozenset[str]] = frozenset(read_terms("stopwords"))


@dataclass(frozen=True, slots=True)
class Token:
    """One word (or currency / percent sign) with its character span."""

    text: str
    lower: str
    start: int
    end: int


def tokenize(text: str) -> tuple[Token, ...]:
    """Words and currency / percent signs of ``text`` with their spans."""
    return tuple(Token(m.group(0), m.group(0).lower(), m.start(), m.end()) for m in TOKEN.finditer(text))


def stem(word: str) -> str:
    """A crude, language-blind stem: the first five letters of a lower-case word (soldiers ~ soldier).

    Good enough to tell whether two claims talk about the same things; no dictionary needed.
    """
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if _HANGUL.match(word):
        return word[:2]  # a Korean noun is mostly two syllables; particles follow it
    return word[:5] if len(word) > 5 else word


_SNOWBALL: Final = {
    "en": "english",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "ru": "russian",
    "nl": "dutch",
    "tr": "turkish",
    "pl": "polish",
}


# A Snowball stemmer keeps the word it works on in the object: one per thread (matches run in a thread pool).
_stemmers = threading.local()


def _snowball(language: str) -> Any:
    found = getattr(_stemmers, language, None)
    if found is None:
        import snowballstemmer

        found = snowballstemmer.stemmer(_SNOWBALL[language])
        setattr(_stemmers, language, found)
    return found


# News repeats its words: a word's stem is computed once (about 0.1 MB per 10k entries).
@functools.lru_cache(maxsize=65_536)
def _snowball_stem(language: str, word: str) -> str:
    return str(_snowball(language).stemWord(word))


def content_stems(
    tokens: tuple[Token, ...], skip: frozenset[str] = frozenset(), language: str | None = None
) -> frozenset[str]:
    """Stems of the words that carry the topic: not function words, not digits, not ``skip``.

    Snowball stems in the languages it has (soldiers ~ soldier, elecciones ~ elección), else the first letters.
    """
    if language in _SNOWBALL:
        return frozenset(
            _snowball_stem(language, t.lower)
            for t in tokens
            if t.lower not in STOPWORDS and t.lower not in skip and t.lower.isalpha() and len(t.lower) >= 2
        )
    out = set()
    for tok in tokens:
        if tok.lower in STOPWORDS or tok.lower in skip or not tok.lower.isalpha():
            continue
        if len(tok.lower) < 2 and not _HANGUL.search(tok.lower):
            continue
        out.add(stem(tok.lower))
    return frozenset(out)


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two sets (0 when both are empty)."""
    if not a and not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def has_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text))


def neighbours(tokens: tuple[Token, ...], start: int, end: int, before: int, after: int) -> tuple[Token, ...]:
    """The ``before`` tokens ending at or before ``start`` and the ``after`` tokens from ``end`` on."""
    ends = [t.end for t in tokens]
    starts = [t.start for t in tokens]
    i = bisect_right(ends, start)
    j = bisect_left(starts, end)
    return tokens[max(0, i - before) : i] + tokens[j : j + after]


def index_at(tokens: tuple[Token, ...], offset: int) -> int:
    """Index of the first token starting at or after ``offset``."""
    return bisect_left([t.start for t in tokens], offset)
