"""Agreement and conflict signals between a query claim and a matched claim (issue 5).

``compare(query, match, similarity=...)`` says whether the match states the *same* fact, a
*conflicting* version of it, or something *related* but different, with explainable signals:

- ``number``: figures normalised (``numbers``) and paired by what they count;
- ``date``: dates and times as intervals, resolved relative dates included (``dates``);
- ``negation``: denial and opposite predicates (``negation``);
- ``entity``: a different country, person, place or organisation in the same slot (``entities``);
- ``attribution``: who asserts it (``attribution``).

Every threshold and lexicon lives in ``rules``. Per-text analysis is cached, so a stored claim
compared many times is parsed once.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from service.relations import attribution, entities, negation, rules
from service.relations.dates import DateMention, days_overlap, find_dates, overlaps
from service.relations.numbers import NumberMention, alignment, comparable, compatible, describe, find_numbers
from service.relations.text import Token, content_stems, dice, tokenize
from service.text.language import claim_language

__all__ = [
    "ClaimFacts",
    "Relation",
    "Signal",
    "SignalKind",
    "Verdict",
    "clear_caches",
    "compare",
    "compare_many",
    "pair_similarity",
    "related",
]


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """What the engine knows about one side of a comparison."""

    text: str  # the sentence as in the source
    context_text: str | None = None  # decontextualized version (pronouns resolved, [dates] resolved)
    speaker: str | None = None  # who asserts it, from extraction
    published_at: datetime.date | None = None
    language: str | None = None  # 'en', 'ru', 'fr', 'uk', 'ko', 'de' ... or None (guessed)


SignalKind = Literal["number", "date", "negation", "entity", "attribution"]


@dataclass(frozen=True, slots=True)
class Signal:
    """One explainable difference between two claims.

    ``conflicting`` is False for a difference that does not contradict (two organisations giving the
    same figure, a detail of a related but different event); the explanation says so.
    """

    kind: SignalKind
    query_value: str | None
    match_value: str | None
    explanation: str  # a sentence a fact-checker understands
    conflicting: bool = True


Relation = Literal["same", "conflict", "related"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The relation of a match to the query and the signals behind it."""

    relation: Relation
    signals: tuple[Signal, ...]


# --------------------------------------------------------------------------- per-text analysis

_BRACKET = re.compile(r"\s*\[[^\[\]]*\]")


@dataclass(frozen=True, slots=True)
class _Analysis:
    language: str
    numbers: tuple[NumberMention, ...]
    dates: tuple[DateMention, ...]
    negation: negation.NegationFacts
    tokens: tuple[Token, ...]  # of the text without bracketed insertions (for the entity diff)
    value_tokens: frozenset[int]  # indexes of ``tokens`` inside figures and dates
    topic: frozenset[str]  # content stems: what the claim is about
    speaker: str | None
    published: int | None = None  # the source's publication day (ordinal), when known


# About 5.4 KB per entry; only the k matches a query returns are analysed, so 8k entries cover ~800 queries.
@functools.lru_cache(maxsize=8192)
def _analyse(
    text: str,
    context_text: str | None,
    published_at: datetime.date | None,
    language: str | None,
    speaker: str | None,
) -> _Analysis:
    base = " ".join((context_text or text).split())
    lang = language or claim_language(base)
    tokens = tokenize(base)
    brackets = tuple(m.span() for m in _BRACKET.finditer(base))
    dates = find_dates(
        base, published_at=published_at, language=lang, resolve_relative=context_text is None, tokens=tokens
    )
    numbers = find_numbers(base, lang, tuple((d.start, d.end) for d in dates) + brackets, tokens=tokens)
    # The entity diff reads the sentence as written: bracketed insertions out, figures and dates marked.
    words = tuple(t for t in tokens if not any(a <= t.start < b for a, b in brackets))
    values = [(n.start, n.end) for n in numbers] + [(d.start, d.end) for d in dates]
    value_tokens = _overlapping(words, values)
    neg = negation.analyse(base, words)
    skip_words = frozenset(w.lower() for hit in neg.cues for w in hit.text.split()) | rules.ATTRIBUTION_VERBS
    topic = content_stems(tuple(t for i, t in enumerate(words) if i not in value_tokens), skip_words, lang)
    return _Analysis(
        language=lang,
        numbers=numbers,
        dates=dates,
        negation=neg,
        tokens=words,
        value_tokens=value_tokens,
        topic=topic,
        speaker=speaker or attribution.detect_speaker(_BRACKET.sub("", base), lang),
        published=published_at.toordinal() if published_at else None,
    )


def _overlapping(tokens: tuple[Token, ...], spans: list[tuple[int, int]]) -> frozenset[int]:
    """Indexes of the tokens that overlap any of ``spans``."""
    ends = [t.end for t in tokens]
    found: set[int] = set()
    for a, b in spans:
        i = bisect.bisect_right(ends, a)
        while i < len(tokens) and tokens[i].start < b:
            found.add(i)
            i += 1
    return frozenset(found)


def _analysis(facts: ClaimFacts) -> _Analysis:
    return _analyse(facts.text, facts.context_text, facts.published_at, facts.language, facts.speaker)


def clear_caches() -> None:
    """Forget every per-text analysis (the benchmark times cold comparisons with it)."""
    _analyse.cache_clear()


# --------------------------------------------------------------------------- signals


def _days(a: _Analysis, *, published: bool) -> list[tuple[int, int, bool]]:
    """The days a claim speaks of (first, last, whether the year is known): its dates of days, else (with
    ``published``) the day its source was published."""
    days = [(d.first, d.last, d.year_known) for d in a.dates if d.kind == "day"]
    if not days and published and a.published is not None:
        days = [(a.published, a.published, True)]
    return days


def _other_days(q: _Analysis, m: _Analysis, *, published: bool = True) -> bool:
    """Whether the two claims speak of different days (each has some, and none of them overlap); without
    ``published``, only the days they name count."""
    q_days, m_days = _days(q, published=published), _days(m, published=published)
    return bool(q_days and m_days) and not any(days_overlap(a, b) for a in q_days for b in m_days)


def _number_signals(q: _Analysis, m: _Analysis) -> tuple[list[Signal], bool]:
    """The figures' signals, and whether one of them is a count given for another day (an update)."""
    signals: list[Signal] = []
    other_days = _other_days(q, m)
    updated = False
    across = q.language != m.language
    for qn in q.numbers:
        candidates = [mn for mn in m.numbers if comparable(qn, mn, across_languages=across)]
        if not candidates:
            continue
        agreeing = [mn for mn in candidates if compatible(qn, mn)]
        if agreeing:
            # A bound met by a different figure ("more than 5,000" / "5,434"): both hold; shown, not a conflict.
            if all(_bound_only(qn, mn) for mn in agreeing):
                best = max(agreeing, key=lambda mn: alignment(qn, mn))
                signals.append(
                    Signal(
                        "number",
                        describe(qn),
                        describe(best),
                        f"a bound and a figure that meets it: {describe(qn)} vs {describe(best)} (both can hold)",
                        conflicting=False,
                    )
                )
            continue
        # A figure no other figure of the query accounts for: "2.3 and 2.1" against "1.9 and 2.3" is 2.1 vs 1.9; against
        # "2.3" alone, and "from 115 to 97" against "97", the match gives only one of the two, which is no difference.
        unclaimed = [mn for mn in candidates if not any(o is not qn and _agree(o, mn, across) for o in q.numbers)]
        if not unclaimed:
            continue
        best = max(unclaimed, key=lambda mn: alignment(qn, mn))
        if other_days and qn.status is not None and qn.status == best.status:
            # A toll of the dead, missing, injured or displaced changes from day to day: an update.
            signals.append(
                Signal(
                    "number",
                    describe(qn),
                    describe(best),
                    f"a count given for different days: {describe(qn)} vs {describe(best)} (it changes over time; "
                    "not a contradiction)",
                    conflicting=False,
                )
            )
            updated = True
            continue
        signals.append(
            Signal("number", describe(qn), describe(best), f"numbers differ: {describe(qn)} vs {describe(best)}")
        )
    # One signal per figure of the match: the best-aligned query figure.
    seen: set[str | None] = set()
    unique = []
    for s in signals:
        if s.match_value not in seen:
            seen.add(s.match_value)
            unique.append(s)
    return unique, updated


def _bound_only(a: NumberMention, b: NumberMention) -> bool:
    """Two compatible figures that agree only through a bound (their values differ beyond the tolerance)."""
    bounded = a.qualifier in {"lower", "upper"} or b.qualifier in {"lower", "upper"}
    return bounded and not math.isclose(a.value, b.value, rel_tol=rules.BOUND_TOLERANCE)


def _granularity(d: DateMention) -> str:
    days = d.last - d.first + 1
    if d.kind == "time" or days == 1:
        return "exact"
    if 28 <= days <= 31:
        return "month"
    if 365 <= days <= 366:
        return "year"
    return "period"


def _date_signals(q: _Analysis, m: _Analysis, topic_overlap: float) -> list[Signal]:
    signals: list[Signal] = []
    for qd in q.dates:
        candidates = [md for md in m.dates if md.kind == qd.kind]
        if not candidates or any(overlaps(qd, md) for md in candidates):
            continue

        def score(md: DateMention, qd: DateMention = qd) -> float:
            if not qd.context and not md.context:
                return 0.0
            return 2 * len(qd.context & md.context) / (len(qd.context) + len(md.context))

        best = max(candidates, key=score)
        if qd.statement or best.statement:
            # Two statements made on different days do not contradict each other, unless the same
            # source (or two unnamed ones) dates the same statement differently.
            same_source = (q.speaker is None and m.speaker is None) or (
                q.speaker is not None and m.speaker is not None and attribution.same_speaker(q.speaker, m.speaker)
            )
            if not (qd.statement and best.statement and same_source):
                signals.append(
                    Signal(
                        "date",
                        qd.display,
                        best.display,
                        f"stated on different dates: {qd.display} vs {best.display} (not a contradiction)",
                        conflicting=False,
                    )
                )
                continue
        single = len([d for d in q.dates if d.kind == qd.kind]) == 1 and len(candidates) == 1
        same_precision = _granularity(qd) == _granularity(best)
        aligned = score(best) >= rules.DATE_MIN_ALIGNMENT or (
            single and (same_precision or topic_overlap >= rules.DATE_SINGLE_MIN_OVERLAP)
        )
        what = "times" if qd.kind == "time" else "dates"
        signals.append(
            Signal(
                "date",
                qd.display,
                best.display,
                f"{what} differ: {qd.display} vs {best.display}",
                conflicting=aligned,
            )
        )
    return signals


def _negation_signals(q: _Analysis, m: _Analysis, similarity: float, overlap: float) -> list[Signal]:
    found = negation.opposition(q.negation, m.negation)
    if found is None:
        return []
    if not found.opposite_pair:
        anchored = similarity >= rules.PARITY_MIN_SIMILARITY or (
            q.language == m.language and overlap >= rules.PARITY_MIN_OVERLAP
        )
        if not anchored:
            return [
                Signal(
                    "negation",
                    found.query_words,
                    found.match_words,
                    f"one claim has a negation the other lacks: “{found.query_words}” vs “{found.match_words}” "
                    "(too little in common to read it as a denial)",
                    conflicting=False,
                )
            ]
    return [
        Signal(
            "negation",
            found.query_words,
            found.match_words,
            f"one claim denies or reverses the other: “{found.query_words}” vs “{found.match_words}”",
        )
    ]


def _entity_signals(q: _Analysis, m: _Analysis) -> list[Signal]:
    found = entities.swap(q.tokens, m.tokens, query_skip=q.value_tokens, match_skip=m.value_tokens)
    if found is None:
        return []
    q_name, m_name = found
    # The same words said by someone else is an attribution matter, reported there.
    for speaker, name in ((q.speaker, q_name), (m.speaker, m_name)):
        if speaker and attribution.same_speaker(speaker, name):
            return []
    return [Signal("entity", q_name, m_name, f"a different name in the same place: {q_name} vs {m_name}")]


def _attribution_signals(q: _Analysis, m: _Analysis) -> list[Signal]:
    if q.speaker and m.speaker:
        if attribution.same_speaker(q.speaker, m.speaker):
            return []
        # Names are spelt differently from one language to another (Peskov, Peskow): two people only within one.
        if q.language == m.language and attribution.is_person(q.speaker) and attribution.is_person(m.speaker):
            return [
                Signal(
                    "attribution",
                    q.speaker,
                    m.speaker,
                    f"the same statement is attributed to different people: {q.speaker} vs {m.speaker}",
                )
            ]
        return [
            Signal(
                "attribution",
                q.speaker,
                m.speaker,
                f"different sources state it: {q.speaker} vs {m.speaker} (not a contradiction)",
                conflicting=False,
            )
        ]
    if q.speaker or m.speaker:
        who = q.speaker or m.speaker
        side = "the query" if q.speaker else "the match"
        return [
            Signal(
                "attribution",
                q.speaker,
                m.speaker,
                f"only {side} attributes it (to {who}); the other states it without a source",
                conflicting=False,
            )
        ]
    return []


# --------------------------------------------------------------------------- decision


def _other_years(q: _Analysis, m: _Analysis) -> bool:
    """Whether both claims date their facts by year and share no year."""

    def years(a: _Analysis) -> set[int]:
        spans = [(d.first, d.last) for d in a.dates if d.kind == "day" and d.year_known]
        return {y for first, last in spans for y in range(_year(first), _year(last) + 1)}

    q_years, m_years = years(q), years(m)
    return bool(q_years and m_years) and not q_years & m_years


def _year(ordinal: int) -> int:
    return datetime.date.fromordinal(ordinal).year


def _english(q: _Analysis, m: _Analysis) -> bool:
    return q.language == "en" and m.language == "en"


def _shared_figure(q: _Analysis, m: _Analysis) -> bool:
    """Whether the two give one toll alike: the same value (not a small one) for people who met the same fate."""
    for qn in q.numbers:
        if qn.status is None or qn.qualifier == "tally" or abs(qn.value) < rules.SHARED_FIGURE_MIN_VALUE:
            continue
        for mn in m.numbers:
            if (
                mn.status == qn.status
                and math.isclose(mn.value, qn.value)
                and comparable(qn, mn, across_languages=True)
            ):
                return True
    return False


def compare(
    query: ClaimFacts, match: ClaimFacts, *, similarity: float, same_fact_probability: float | None = None
) -> Verdict:
    """Say whether ``match`` states the same fact as ``query``, a conflicting version of it, or a related one.

    Args:
        query: The claim being checked.
        match: One claim found for it.
        similarity: The cosine of the two (of their context texts when present) by `pair_similarity`: MiniLM's
            for two English claims, the multilingual encoder's otherwise.
        same_fact_probability: A learned probability that the two state one fact apart from their figures (the
            matcher's verifier with the figures taken as agreeing); from `rules.SAME_FACT_MIN_PROBABILITY` on it
            makes them the same fact whatever their cosine.

    Returns:
        The relation and the signals behind it ("conflict" always carries a conflicting signal).
    """
    q, m = _analysis(query), _analysis(match)
    english = _english(q, m)
    floor = min(rules.RELATED_MAX_SIMILARITY, rules.OPPOSITION_MIN_SIMILARITY)
    learned = same_fact_probability is not None and same_fact_probability >= rules.SAME_FACT_MIN_PROBABILITY
    # "154 dead and 133 injured" / "154人が死亡、132人が負傷": one toll given alike anchors the two to one report,
    # however little else the encoders see in common, and the figure that differs is then a conflict.
    anchored = _shared_figure(q, m)
    if similarity < (floor if english else rules.OTHER_LANGUAGE_MIN_SIMILARITY) and not learned and not anchored:
        return Verdict("related", ())
    overlap = dice(q.topic, m.topic)
    opposite = negation.opposition(q.negation, m.negation)
    number_signals, updated = _number_signals(q, m)
    date_signals = _date_signals(q, m, overlap)
    if updated:  # a count that changed between two days: its days differ because it changed
        date_signals = [Signal(s.kind, s.query_value, s.match_value, s.explanation, False) for s in date_signals]
    signals = (
        number_signals
        + date_signals
        + _negation_signals(q, m, similarity, overlap)
        + _entity_signals(q, m)
        + _attribution_signals(q, m)
    )
    conflicting = any(s.conflicting for s in signals)
    if english:
        same_fact = similarity >= rules.SAME_FACT_SIMILARITY or (
            similarity >= rules.RELATED_MAX_SIMILARITY and overlap >= rules.SAME_FACT_MIN_OVERLAP
        )
        if opposite is not None and opposite.opposite_pair:
            same_fact = same_fact or (
                similarity >= rules.OPPOSITION_MIN_SIMILARITY and overlap >= rules.OPPOSITION_MIN_OVERLAP
            )
    else:
        same_fact = (
            similarity >= rules.OTHER_LANGUAGE_SAME_FACT_SIMILARITY or overlap >= rules.OTHER_LANGUAGE_MIN_OVERLAP
        )
    same_fact = same_fact or learned
    if anchored and any(s.conflicting and s.kind == "number" for s in signals):
        same_fact = True  # (only a differing figure: a shared toll alone does not make two claims the same)
    if same_fact and similarity < rules.DIFFERENT_TIME_MIN_SIMILARITY and _other_days(q, m, published=False):
        # The same kind of fact at different times: a different event. A date given otherwise in the same year is
        # the date of one event in dispute (12 vs 26 October); only dates of other years make another event
        # (a meeting in 2019 and one in June 2024).
        dates_only = all(s.kind == "date" for s in signals if s.conflicting)
        if not conflicting or (dates_only and _other_years(q, m)):
            same_fact = False
    if same_fact and not conflicting and any(s.kind == "negation" for s in signals):
        same_fact = False  # a negation on one side only, too loosely anchored to call a denial: not "same" either
    if not same_fact:
        return related(signals)
    if not conflicting:
        counted = [n for n in q.numbers if n.unit is not None or n.status is not None]
        unmet = [n for n in counted if not any(_agree(n, mn, q.language != m.language) for mn in m.numbers)]
        if unmet and len(unmet) == len(counted):
            # None of the claim's counted or measured figures is in the match: "ten people died" is not stated by a
            # report that gives no such figure, or 40 metres, or 151 injured for 151 dead (the same story, not the
            # same fact). One figure met is enough: a report may give one of the claim's two.
            return related(
                [*signals, *(Signal("number", describe(n), None, f"only the claim gives {describe(n)}") for n in unmet)]
            )
    return Verdict("conflict" if conflicting else "same", tuple(signals))


def _agree(a: NumberMention, b: NumberMention, across_languages: bool) -> bool:
    """Whether two figures count the same kind of thing and can be the same quantity."""
    return comparable(a, b, across_languages=across_languages) and compatible(a, b)


def related(signals: Sequence[Signal]) -> Verdict:
    """A related claim: its differences are shown as information, none of them a contradiction."""
    return Verdict(
        "related", tuple(Signal(s.kind, s.query_value, s.match_value, s.explanation, False) for s in signals)
    )


def pair_similarity(query_language: str, match_language: str, minilm: float, multilingual: float | None) -> float:
    """The cosine the engine reads for a pair: MiniLM's for two English claims (it reads English only), the
    multilingual encoder's otherwise (MiniLM's when that encoder is not running)."""
    if (query_language == "en" and match_language == "en") or multilingual is None:
        return minilm
    return multilingual


def compare_many(
    query: ClaimFacts,
    matches: Sequence[ClaimFacts],
    similarities: Sequence[float],
    same_fact_probabilities: Sequence[float | None] | None = None,
) -> list[Verdict]:
    """Compare one query with many matches (the query is analysed once; stored claims are cached).

    Raises:
        ValueError: If ``matches``, ``similarities`` and ``same_fact_probabilities`` differ in length.
    """
    hints = list(same_fact_probabilities) if same_fact_probabilities is not None else [None] * len(matches)
    if not len(matches) == len(similarities) == len(hints):
        raise ValueError(f"{len(matches)} matches but {len(similarities)} similarities and {len(hints)} hints")
    return [
        compare(query, m, similarity=s, same_fact_probability=h)
        for m, s, h in zip(matches, similarities, hints, strict=True)
    ]
