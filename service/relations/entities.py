"""Named entities that differ in the same role: "held in Geneva" vs "held in Vienna", "Siemens won"
vs "Alstom won". There is no NER model offline, so names are capitalised words (any script that has
capitals) and a small gazetteer of countries, their capitals and adjectives ties aliases together
(Pyongyang = North Korea = North Korean), so an alias is never a swap.

A swap is read off a word-level diff of two claims that are otherwise alike: a replaced chunk of a few
words with a name on each side.
"""

# ruff: noqa: RUF001

from __future__ import annotations

import difflib
from typing import Final

from service.relations import rules
from service.relations.text import STOPWORDS, Token, word_set
from service.text.countries import COUNTRIES

# canonical -> aliases (lower case): the service's country list (service/text/countries.py) and the
# international organisations that stand in the same slots.
_GAZETTEER: Final[dict[str, tuple[str, ...]]] = {
    name.lower(): tuple(alias.lower() for alias in aliases) for name, aliases in COUNTRIES.items()
} | {
    "nato": ("nato", "north atlantic alliance", "нато", "otan"),
    "european union": ("european union", "eu", "brussels", "евросоюз", "ес", "ue"),
    "united nations": ("united nations", "un", "u.n.", "оон", "onu"),
}
_ALIAS: Final[dict[str, str]] = {alias: canon for canon, aliases in _GAZETTEER.items() for alias in aliases}
# Capitalised words that are not names.
_NOT_NAMES: Final = word_set(
    """january february march april may june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday i mr mrs ms dr president minister prime coach captain senator
    governor mayor leader chief general economist professor"""
)


def canonical(name: str) -> str:
    """The gazetteer's canonical name for an alias (lower case), else the name itself in lower case."""
    key = " ".join(name.lower().replace("’", "'").split())
    if key.endswith("'s"):
        key = key[:-2]
    return _ALIAS.get(key, key)


def _is_name(tok: Token, first: bool) -> bool:
    if not tok.text[:1].isupper() or tok.lower in _NOT_NAMES:
        return False
    if first and tok.lower in STOPWORDS:
        return False
    return tok.lower not in STOPWORDS or tok.lower in _ALIAS


def _chunk_name(tokens: tuple[Token, ...], lo: int, hi: int, numberish: frozenset[int]) -> str | None:
    words = [tokens[k] for k in range(lo, hi) if k not in numberish]
    if not words or not any(_is_name(t, k + lo == 0) for k, t in enumerate(words)):
        return None
    return " ".join(t.text for t in words)


def swap(
    query: tuple[Token, ...],
    match: tuple[Token, ...],
    *,
    query_skip: frozenset[int] = frozenset(),
    match_skip: frozenset[int] = frozenset(),
) -> tuple[str, str] | None:
    """A name in ``query`` replaced by a different name in ``match``, the rest alike; or None.

    Args:
        query: The query claim's tokens.
        match: The matched claim's tokens.
        query_skip: Token indexes of the query that are figures or dates (not names).
        match_skip: The same for the match.

    Returns:
        The two names, or None.
    """
    if max(len(query), len(match)) > rules.ENTITY_DIFF_MAX_TOKENS:
        return None  # a word diff of long texts costs too much for what it finds
    a = [t.lower for t in query]
    b = [t.lower for t in match]
    if not any(_is_name(t, k == 0) for k, t in enumerate(query)) or not any(
        _is_name(t, k == 0) for k, t in enumerate(match)
    ):
        return None
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    if matcher.quick_ratio() < rules.ENTITY_DIFF_MIN_RATIO or matcher.ratio() < rules.ENTITY_DIFF_MIN_RATIO:
        return None
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "replace" or i2 - i1 > rules.ENTITY_MAX_CHUNK_TOKENS or j2 - j1 > rules.ENTITY_MAX_CHUNK_TOKENS:
            continue
        q_name = _chunk_name(query, i1, i2, query_skip)
        m_name = _chunk_name(match, j1, j2, match_skip)
        if q_name is None or m_name is None:
            continue
        if canonical(q_name) == canonical(m_name) or _inflected(q_name, m_name):
            continue
        return q_name, m_name
    return None


def _inflected(a: str, b: str) -> bool:
    """Two forms of one name that differ only in a case ending ("Ким Чен Ына" / "Ким Чен Ыну")."""
    a, b = a.lower(), b.lower()
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= 2 and common >= min(len(a), len(b)) - 2
