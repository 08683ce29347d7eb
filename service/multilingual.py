"""Cross-lingual matching: the multilingual encoder's candidates, language detection, anchors, weighting.

The English MiniLM cannot relate a claim to its translation; the multilingual USE can, but alone it ranks a
same-topic claim with another number about as high as the faithful translation, and in an unweighted
fusion the English rankers outvote it. So a pair of texts is scored by what is trustworthy for *that*
pair (see `PairWeights`):

- the languages of query and candidate (py3langid, offline, cached): MiniLM's cosine counts only when both
  are English; across languages the USE cosine carries the score;
- language-independent anchors both texts state (`anchors`): numbers with their scale words normalised
  across languages ("10,000", "10 000", "10.000", "1만", "10 тысяч" are one anchor), years, months and
  dates, in either order ("26 December", "December 26"). Sharing a figure or a day is evidence of the same claim, a
  different figure evidence of another; a year or a month alone is shared by everything written that month.

`bench/crosslingual.py` measures each of these on `tests/data/crosslingual/` and fitted the weights below.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np

from embeddings import ClaimIndex, TextEncoder
from service.config import Settings
from service.text.language import CJK_CHARACTERS, ENGLISH, claim_language
from service.text.months import AMBIGUOUS, CJK_DATE, MONTH_STEMS, MONTHS, month_number
from service.text.numbers import CLOCK_TIME, MYRIAD_NUMBER, myriad_number, plain_number, scale_value

USE_KEY: Final = "use"


def configured_encoders(settings: Settings) -> dict[str, TextEncoder]:
    """The additional encoders the settings enable, loaded (the multilingual USE unless disabled)."""
    if not settings.multilingual:
        return {}
    from embeddings.use import MultilingualEncoder

    return {USE_KEY: MultilingualEncoder(ukrainian_mt=settings.ukrainian_mt)}


# ------------------------------------------------------------------------------------------------ anchors

# The word after a number (a scale word: "10 тысяч", "45mila", "1,2 millones").
_WORD_AFTER: Final = re.compile(r"[ \u00a0]?([^\W\d_]+)\.?")
# "2 bin 946": the rest written after "thousand".
_REST_AFTER: Final = re.compile(r"[ \u00a0](\d{1,3})(?![\d.,])")
# A number: digit groups with thousands separators (",", ".", spaces) or a decimal part.
_NUMBER_RE: Final = re.compile(
    r"(?<![\w.,])\d{1,3}(?:(?:[,.]|[ \u00a0\u202f])\d{3})+(?![\d])|(?<![\w.,])\d+(?:[.,]\d+)?"
)
# A digit right after a Hangul, kana or Han character ("死者は2946人"): the figure starts there, as after a space.
_GLUED_DIGIT: Final = re.compile(rf"(?<=[{CJK_CHARACTERS}\uac00-\ud7a3])(?=\d)")
# Also ordinary words ("may", "march", "Mars", "Майя"): months only next to a number ("May 2025",
# "3 mars") or after a preposition of time ("in May", "en mai", "im Mai", "в мае").
_TIME_PREPOSITION: Final = re.compile(r"\b(?:in|since|until|from|by|en|im|seit|ab|в|с|до|к)\s+$", re.IGNORECASE)  # noqa: RUF001
_MONTH_RE: Final = re.compile(
    r"\b(?:(" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + r")\b"
    r"|(" + "|".join(MONTH_STEMS) + r")\w*)",
    re.IGNORECASE,
)
_DAY_BEFORE: Final = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|er)?\.?\s+(?:de\s+)?$")
# The day after the month, as English and wire copy write it ("December 26, 2019", "Aug. 11"): a day of one or two
# digits not followed by more of a number ("March 2020", "May 1.5") nor by a scale word ("May 12 million").
_DAY_AFTER: Final = re.compile(r"\.?\s(\d{1,2})(?:st|nd|rd|th)?(?![\w]|[.,]\d)")
_NUMBER_AFTER: Final = re.compile(r"^\s+\d")


SMALL_NUMBER: Final = 10


def _canonical(value: float) -> str:
    # 1.8e9 and 1 800 000 000 must meet: round to 4 significant digits, then print without exponent.
    if value == 0:
        return "0"
    digits = 4 - math.floor(math.log10(abs(value))) - 1
    rounded = round(value, digits)
    return f"{rounded:.6f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=65_536)
def anchors(text: str) -> frozenset[str]:
    """The language-independent anchors a claim states: numbers (scaled), month numbers, day-month dates.

    Args:
        text: One claim, in any language.

    Returns:
        Tokens such as ``"10000"``, ``"4.25"``, ``"2025"``, ``"month:4"``, ``"date:4-26"``.
    """
    found: set[str] = set()
    text = _GLUED_DIGIT.sub(" ", text)
    rest = text
    for match in CJK_DATE.finditer(text):
        if match["year"]:
            found.add(_canonical(float(match["year"])))
        month = int(match["month"])
        if 1 <= month <= 12:
            found.add(f"month:{month}")
            if match["day"]:
                found.add(f"date:{month}-{int(match['day'])}")
    rest = CJK_DATE.sub(" ", rest)
    for match in MYRIAD_NUMBER.finditer(rest):
        value = myriad_number(match.group(0))
        if value is not None:
            found.add(_canonical(value))
    rest = MYRIAD_NUMBER.sub(" ", rest)
    for match in _MONTH_RE.finditer(rest):
        name = (match.group(1) or match.group(2)).lower()
        day = _DAY_BEFORE.search(rest[max(0, match.start() - 8) : match.start()])
        if day is None:
            day = _DAY_AFTER.match(rest, match.end())
            if day and (unit := _WORD_AFTER.match(rest, day.end())) and scale_value(unit.group(1).lower()):
                day = None
        before = rest[max(0, match.start() - 8) : match.start()]
        after = rest[match.end() : match.end() + 3]
        if name in AMBIGUOUS and not (day or _NUMBER_AFTER.match(after) or _TIME_PREPOSITION.search(before)):
            continue
        number = month_number(name)
        if number is None:
            continue
        found.add(f"month:{number}")
        if day and 1 <= int(day.group(1)) <= 31:
            found.add(f"date:{number}-{int(day.group(1))}")
    rest = CLOCK_TIME.sub(" ", rest)  # a time of day ("3:36 PM"): neither of its numbers is a figure
    consumed = 0  # the end of the last figure read, with its scale word and rest ("2 bin 946")
    for match in _NUMBER_RE.finditer(rest):
        value = plain_number(match.group(0))
        if value is None or match.start() < consumed:
            continue
        word = _WORD_AFTER.match(rest, match.end())
        # Never "m" or "k", glued or not: "55m" is as often metres as millions.
        scale = scale_value(word.group(1).lower()) if word else None
        if word and scale is not None:
            value *= scale
            remainder = _REST_AFTER.match(rest, word.end()) if scale == 1e3 else None
            if remainder:
                value += int(remainder.group(1))
                consumed = remainder.end()
        # Small whole numbers are as often spelt out ("four", "третьей") as written in digits: no anchor.
        if value.is_integer() and value <= SMALL_NUMBER:
            continue
        found.add(_canonical(value))
    # The day of a date is in its date anchor; as a bare number it would only echo it.
    days = {a.rsplit("-", 1)[1] for a in found if a.startswith("date:")}
    return frozenset(a for a in found if a not in days)


def weak_anchor(anchor: str) -> bool:
    """A month ("month:8") or a year ("2023"): every report of that month shares it, unlike a figure or a day."""
    return anchor.startswith("month:") or (anchor.isdigit() and len(anchor) == 4 and 1900 <= int(anchor) <= 2100)


def anchor_agreement(query: frozenset[str], candidate: frozenset[str], *, weak: float = 1.0) -> float:
    """Weighted Jaccard overlap of two anchor sets: 1 when both state the same figures and dates, 0 when none shared.

    Args:
        query: One text's anchors.
        candidate: The other's.
        weak: The weight of a weak anchor (a year or a month, `weak_anchor`) against 1 for a figure or a day.
    """
    if not query or not candidate:
        return 0.0

    def weight(found: frozenset[str]) -> float:
        return sum(weak if weak_anchor(a) else 1.0 for a in found)

    union = weight(query | candidate)
    return weight(query & candidate) / union if union else 0.0


# ------------------------------------------------------------------------------------------------ scoring


@dataclass(frozen=True, slots=True)
class PairWeights:
    """How one (query, candidate) pair is scored, by whether their languages differ.

    score = similarity + anchors * agreement * gate(similarity) + offset, where similarity = minilm * cos_minilm +
    use * cos_use, agreement is the weighted overlap of the two texts' anchors (`anchor_agreement`, years and
    months weighing `CrossLingualWeights.weak_anchor`) and the gate (`CrossLingualWeights.anchor_gate`) rises from
    0 to 1 between two similarities.
    """

    minilm: float
    use: float
    anchors: float
    offset: float = 0.0


@dataclass(frozen=True, slots=True)
class CrossLingualWeights:
    """The weights for English pairs (MiniLM is trustworthy), other same-language pairs, and cross-language pairs."""

    # Fitted on the odd-numbered claims of tests/data/crosslingual (`crosscheck bench crosslingual --fit`):
    # anchors 0.5 and a bonus across languages, where cosines run lower than within one language. MiniLM keeps
    # English pairs (on CLEF, USE in an unweighted fusion cost English quality). The bonus was then refitted on
    # the real-news dev events (`crosscheck bench realnews`, grid 0.05/0.15/0.25 x anchors 0.25/0.5): 0.05 left
    # other-language evidence out of the top 5 (0.64 of the claims), 0.25 pushed same-language evidence out.
    # Shared figures and dates count only between sentences that are about the same thing: they count in full from a
    # similarity of 0.4, not at all below 0.2 (before, a sentence in another language that shared one number with
    # the claim and nothing else -- "4,000 metres" of a submarine for "4,000 vehicles" of a convoy -- ranked first).
    # Refitted on the real-news dev events (eight events, December 2026: gate 0.15-0.35 / 0.2-0.4 / 0.25-0.45 x
    # anchors 0.5 / 0.7 / 1.0): the top-5 hit rates stay as they were, and the first match's score separates stated
    # from unstated claims better (verifier AUC, one event held out, 0.850 -> 0.884).
    english: PairWeights = PairWeights(minilm=0.8, use=0.2, anchors=0.7)
    same_language: PairWeights = PairWeights(minilm=0.2, use=0.8, anchors=0.7)
    cross_language: PairWeights = PairWeights(minilm=0.0, use=1.0, anchors=0.7, offset=0.15)
    anchor_gate: tuple[float, float] = (0.2, 0.4)
    # A year or a month (`weak_anchor`) weighs this much in the agreement, against 1 for a figure or a day: none. Every
    # post and report of a month states its month and year, and the writing date of a post signs it: on CLEF2020
    # tweets translated into Russian, French, Korean and Arabic, looked up against the English fact-checks, the wrong
    # first matches that anchors lifted over the right one shared a year or a month and nothing else. Chosen on half
    # of a translated sample of train tweets (0 / 0.1 / 0.25 / 0.5 / 1: MAP@5 0.54 / 0.49 / 0.45 / 0.40 / 0.35 in
    # an ad-hoc run of the pair scores alone); figures and days keep their weight.
    weak_anchor: float = 0.0

    def for_pair(self, query_language: str, candidate_language: str) -> PairWeights:
        if query_language != candidate_language:
            return self.cross_language
        return self.english if query_language == ENGLISH else self.same_language


DEFAULT_WEIGHTS: Final = CrossLingualWeights()


def pair_scores(
    *,
    query_text: str,
    candidate_texts: Sequence[str],
    minilm: np.ndarray,
    use: np.ndarray,
    weights: CrossLingualWeights = DEFAULT_WEIGHTS,
    candidate_languages: Sequence[str] | None = None,
) -> np.ndarray:
    """Language-aware fused score of each candidate (higher is better).

    Args:
        query_text: The query claim.
        candidate_texts: The candidates' texts (for their language and anchors).
        minilm: MiniLM cosine of each candidate with the query.
        use: USE cosine of each candidate with the query.
        weights: The per-pair weights.
        candidate_languages: Known languages of the candidates (detected when None).

    Returns:
        One score per candidate.
    """
    q_lang = claim_language(query_text)
    q_anchors = anchors(query_text)
    langs = candidate_languages or [claim_language(t) for t in candidate_texts]
    out = np.empty(len(candidate_texts), dtype=np.float64)
    for row, (text, lang) in enumerate(zip(candidate_texts, langs, strict=True)):
        w = weights.for_pair(q_lang, lang)
        similarity = w.minilm * minilm[row] + w.use * use[row]
        agreement = anchor_agreement(q_anchors, anchors(text), weak=weights.weak_anchor) if w.anchors else 0.0
        if agreement:
            low, high = weights.anchor_gate
            agreement *= min(max((similarity - low) / (high - low), 0.0), 1.0) if high > low else 1.0
        out[row] = similarity + w.anchors * agreement + w.offset
    return out


def cosines(index: ClaimIndex, vector: np.ndarray, ids: Sequence[int]) -> np.ndarray:
    """Cosine of the query vector with each claim's stored vector in `index` (0 for ids it lacks)."""
    out = np.zeros(len(ids), dtype=np.float64)
    if not ids:
        return out
    found, vectors = index.vectors(np.asarray(ids, dtype=np.int64))
    if found.size:
        position = {int(i): p for p, i in enumerate(ids)}
        out[[position[int(i)] for i in found.tolist()]] = vectors @ np.asarray(vector, dtype=np.float32).ravel()
    return out


def crosslingual_scores(
    *,
    query_text: str,
    candidate_texts: Sequence[str],
    base: np.ndarray,
    minilm: np.ndarray,
    use: np.ndarray,
    weights: CrossLingualWeights = DEFAULT_WEIGHTS,
    candidate_languages: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Final scores of a hybrid pool once the multilingual encoder is in it.

    When every candidate is in the query's language, `base` is returned unchanged. Otherwise candidates in
    the query's language keep the order the English pipeline gave them (`base`: the learned
    reranker or rank fusion, which the multilingual ranker must not outvote); candidates in other languages
    are placed among them by the language-aware pair score. To interleave the two without mixing scales,
    the same-language candidates take their own pair scores, re-sorted into `base` order.

    Args:
        query_text: The query as matched.
        candidate_texts: Each candidate's claim text.
        base: The pipeline's score of each candidate (higher is better).
        minilm: MiniLM cosine of each candidate.
        use: USE cosine of each candidate.
        weights: The per-pair weights.
        candidate_languages: Each candidate's language as stored at ingest (detected when None).

    Returns:
        ``(scores, pair)``: the final score of each candidate, and its language-aware pair score (None when
        every candidate is in the query's language: the pair scores, which read every candidate's numbers
        and dates, would change nothing, so they are not computed -- most of this function's cost at 1M claims).
    """
    languages = (
        list(candidate_languages) if candidate_languages is not None else [claim_language(t) for t in candidate_texts]
    )
    query_language = claim_language(query_text)
    same = np.flatnonzero([lang == query_language for lang in languages])
    if same.size == len(languages):
        # Nothing in another language: the English pipeline's scores stand as they are.
        return np.asarray(base, dtype=np.float64).copy(), None
    pair = pair_scores(
        query_text=query_text,
        candidate_texts=candidate_texts,
        minilm=minilm,
        use=use,
        weights=weights,
        candidate_languages=languages,
    )
    scores = pair.copy()
    if same.size:
        by_base = same[np.argsort(-np.asarray(base, dtype=np.float64)[same], kind="stable")]
        scores[by_base] = np.sort(pair[same])[::-1]
    return scores, pair


# ------------------------------------------------------------------------------------------------ the first answers

# The first answers a person reads hold a source in another language, and those of a query not in English one in its
# own language, when the pool has them: same-language evidence fills the top of most English answers (MiniLM reads it
# better), and a query not in English ranked the other languages' sources above its own (their pair scores carry the
# cross-language offset).
# Chosen on the real-news dev events (ten events, December 2026, ad-hoc simulation on the answers of k = 40):
# stating source in the top 5 0.933 -> 0.944, in another language 0.829 -> 0.836; for the claims not in English
# 0.909 -> 0.945 and 0.840 -> 0.820. A verifier floor for the moved source (0.05, 0.1) changed nothing or cost; asking
# the moved same-language source to be as likely as the one it displaces changed nothing on dev and keeps a poor one
# (a distractor of tests/data/crosslingual) out; asked of the other-language source it cost 0.013.
LANGUAGE_SLOTS_TOP: Final = 5


def language_slots(
    order: Sequence[int] | np.ndarray,
    languages: Sequence[str],
    query_language: str,
    groups: Sequence[int] | np.ndarray,
    top: int = LANGUAGE_SLOTS_TOP,
    verified: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """The answer's order with the first ``top`` independent sources holding one source in another language (in the
    last of those places) and, for a query not in English, one in the query's language (in the place before), when
    the pool has them.

    Args:
        order: The candidates' rows, best first.
        languages: Each row's language.
        query_language: The query's language.
        groups: Each row's independent source (rows of one group count once among the first ``top``).
        top: How many independent sources the first places hold.
        verified: Each row's probability of stating the query (the verifier's): a source in the query's language
            moves up only when it is at least as likely as the one whose place it takes. (A source in another
            language moves up whatever it says: the verifier rates other languages low, which is the reason for the
            place.)

    Returns:
        The rows in their new order: a moved row comes out of its own place, the rows between keep their order.
    """
    rows = [int(r) for r in order]
    if top < 2:
        return np.asarray(rows, dtype=np.int64)
    wants = [(top - 1, False)]
    if query_language != ENGLISH:
        # An English query's own-language candidates are placed by MiniLM and the reranker, which the cross-language
        # offset was fitted against; another query's are placed by the multilingual encoder like the rest, behind
        # the offset (on dev, the same place kept for English queries cost 0.02 of cross-language hits).
        wants.append((top - 2, True))
    for slot, wanted in wants:
        head: list[int] = []  # positions in `rows` of the first row of each of the first `top` groups
        seen: set[int] = set()
        for position, row in enumerate(rows):
            if int(groups[row]) not in seen:
                seen.add(int(groups[row]))
                head.append(position)
                if len(head) == top:
                    break
        if len(head) < top:
            break  # too few sources for the question to arise
        if any((languages[rows[p]] == query_language) == wanted for p in head):
            continue
        found = next(
            (
                p
                for p in range(head[-1] + 1, len(rows))
                if (languages[rows[p]] == query_language) == wanted and int(groups[rows[p]]) not in seen
            ),
            None,
        )
        if found is None:
            continue
        if wanted and verified is not None and verified[rows[found]] < verified[rows[head[slot]]]:
            continue
        rows.insert(head[slot], rows.pop(found))
    return np.asarray(rows, dtype=np.int64)
