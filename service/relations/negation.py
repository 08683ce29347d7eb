"""Negation and denial: which claim asserts a fact and which denies it.

Two kinds of evidence (lexicons in ``rules``): negation cues ("not", "denied", "false", "не",
"dementiert", "부인" ...) and pairs of opposite predicates ("driven out" vs "still fighting",
"rose" vs "fell", "approved" vs "rejected"). When both claims use a pair of opposites, each claim's
stance on it is its pole, flipped by every other negation cue it contains; a claim that uses both
poles ("rejected the claim that its troops had been pushed out, saying they were still fighting")
asserts the second. Without a shared pair, the parity of negation cues decides.
"""

# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from service.relations import rules
from service.relations.text import Token, has_hangul, tokenize


@dataclass(frozen=True, slots=True)
class Hit:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class NegationFacts:
    """Negation cues and opposite-predicate poles found in one claim."""

    cues: tuple[Hit, ...]
    poles: tuple[tuple[int, int, Hit], ...]  # (pair index, +1 for pole A / -1 for pole B, where)


class _Lexicon:
    """Terms matched on tokens, not by one big regex (many alternatives at every position are slow).

    A term is one or more words; a trailing ``*`` lets its last word take any ending; a term in
    Hangul is found inside words (Korean attaches endings to the stem); ``n't`` ends a word and
    ``n'`` starts one.
    """

    def __init__(self, terms: dict[str, list[tuple[int, int]]]) -> None:
        self.single: dict[str, list[tuple[int, int]]] = {}
        self.prefixes: dict[str, list[tuple[str, list[tuple[int, int]]]]] = {}  # by their first two letters
        self.multi: dict[str, list[tuple[tuple[str, ...], bool, list[tuple[int, int]]]]] = {}
        self.hangul: list[tuple[str, list[tuple[int, int]]]] = []
        for term, payload in terms.items():
            lowered = term.lower()
            if has_hangul(lowered):
                self.hangul.append((lowered, payload))
                continue
            starred = lowered.endswith("*") or lowered.endswith("'")
            words = tuple(lowered.rstrip("*").split())
            if len(words) == 1 and not starred:
                self.single.setdefault(words[0], []).extend(payload)
            elif len(words) == 1:
                self.prefixes.setdefault(words[0][:2], []).append((words[0], payload))
            else:
                self.multi.setdefault(words[0], []).append((words, starred, payload))

    def find(self, text: str, tokens: tuple[Token, ...]) -> list[tuple[Hit, list[tuple[int, int]]]]:
        found: list[tuple[Hit, list[tuple[int, int]]]] = []
        lowered = [t.lower.replace("’", "'") for t in tokens]
        for i, (tok, word) in enumerate(zip(tokens, lowered, strict=True)):
            for words, starred, payload in self.multi.get(word, ()):
                n = len(words)
                tail = lowered[i : i + n]
                if (
                    len(tail) == n
                    and tail[:-1] == list(words[:-1])
                    and (tail[-1].startswith(words[-1]) if starred else tail[-1] == words[-1])
                ):
                    found.append(
                        (Hit(tok.start, tokens[i + n - 1].end, text[tok.start : tokens[i + n - 1].end]), payload)
                    )
            if word in self.single:
                found.append((Hit(tok.start, tok.end, tok.text), self.single[word]))
            elif word.endswith("n't") and "n't" in self.single:
                found.append((Hit(tok.start, tok.end, tok.text), self.single["n't"]))
            for prefix, payload in self.prefixes.get(word[:2], ()):
                if word.startswith(prefix):
                    found.append((Hit(tok.start, tok.end, tok.text), payload))
        if self.hangul:
            low = text.lower()
            for needle, payload in self.hangul:
                at = low.find(needle)
                while at >= 0:
                    found.append((Hit(at, at + len(needle), text[at : at + len(needle)]), payload))
                    at = low.find(needle, at + len(needle))
        return found


_CUES: Final = _Lexicon({cue: [(-1, 0)] for cue in rules.NEGATION_CUES})
_POLE_TERMS: dict[str, list[tuple[int, int]]] = {}
for _index, (_pole_a, _pole_b) in enumerate(rules.OPPOSITES):
    for _sign, _terms in ((1, _pole_a), (-1, _pole_b)):
        for _term in _terms:
            _POLE_TERMS.setdefault(_term, []).append((_index, _sign))
_POLES: Final = _Lexicon(_POLE_TERMS)


def analyse(text: str, tokens: tuple[Token, ...] | None = None) -> NegationFacts:
    """The negation cues and opposite-predicate poles of ``text`` (``tokens``: its tokens, if known)."""
    tokens = tokenize(text) if tokens is None else tokens
    cues = tuple(hit for hit, _ in _CUES.find(text, tokens))
    poles = tuple((index, sign, hit) for hit, payload in _POLES.find(text, tokens) for index, sign in payload)
    return NegationFacts(cues, poles)


def _free_cues(facts: NegationFacts, pair: int) -> list[Hit]:
    """Cues that are not part of the pair's poles ("denied" in confirm/deny counts once, as the pole)."""
    spans = [p for index, _, p in facts.poles if index == pair]
    return [c for c in facts.cues if not any(c.start < p.end and p.start < c.end for p in spans)]


def _stance(facts: NegationFacts, pair: int) -> int | None:
    signs = {sign for index, sign, _ in facts.poles if index == pair}
    if not signs:
        return None
    if signs == {1, -1}:
        return -1
    sign = signs.pop()
    return sign if len(_free_cues(facts, pair)) % 2 == 0 else -sign


def _words(facts: NegationFacts, pair: int | None) -> str:
    hits = list(facts.cues)
    hits += [p for index, _, p in facts.poles if pair is None or index == pair]
    seen: list[str] = []
    for hit in sorted(hits, key=lambda h: h.start):
        word = " ".join(hit.text.split())
        if word.lower() not in (s.lower() for s in seen):
            seen.append(word)
    return ", ".join(seen)


@dataclass(frozen=True, slots=True)
class Opposition:
    """Why one claim denies the other: the words on each side, and whether a pair of opposites did it."""

    query_words: str
    match_words: str
    opposite_pair: bool


def opposition(query: NegationFacts, match: NegationFacts) -> Opposition | None:
    """What makes one claim deny the other, or None."""
    shared = {i for i, _, _ in query.poles} & {i for i, _, _ in match.poles}
    for pair in sorted(shared):
        if _stance(query, pair) != _stance(match, pair):
            return Opposition(_words(query, pair) or "(affirms)", _words(match, pair) or "(affirms)", True)
    if shared:
        return None
    q_count, m_count = len(query.cues), len(match.cues)
    if q_count % 2 != m_count % 2:
        return Opposition(_words(query, None) or "(affirms)", _words(match, None) or "(affirms)", False)
    return None
