"""Sentence spans of the prose units, with exact offsets, per language.

Each prose unit is split into sentences and every sentence is located in the original text with a
running cursor, so offsets never drift. pysbd (rule-based, 22 languages) does the hard cases; most
news paragraphs have none (one or two sentences ending in a plain word), and for those a regex split
gives the same answer some ten times faster. A sentence that a blank line broke in two is joined.
"""

# Typographic quotes and non-Latin letters in the patterns are deliberate.
# ruff: noqa: RUF001

from __future__ import annotations

import itertools
import re
from contextlib import suppress
from functools import cache
from typing import Final

import pysbd
from pysbd.languages import LANGUAGE_CODES, Language

from service.extraction.markup import CONTROL_TO_SPACE, PROSE, Unit, ends_sentence, starts_lowercase
from service.text.months import AMBIGUOUS, month_number

# Longest text handed to pysbd in one call (see _chunks for why there is a limit).
_MAX_SEGMENT_CHARS: Final = 2_000

# A place where a sentence may end: terminal punctuation, closing quotes/brackets, whitespace, and
# the first character of what follows.
# The look-behind starts a match only at the first mark of a run, so a run of 100,000 dots costs one pass.
_CANDIDATE = re.compile(r"(?<![.!?…。！？])([.!?…。！？]++)([\"'”’»)\]*_]*+)(\s++)([\"'“‘«„(*_]*+)(\S)")
_NO_SPACE_TERMINALS = re.compile(r"[。！？]")
_WORD = re.compile(r"\w+")
_GLUED = re.compile(r"(?<=[а-яёії]{2}[.!?])(?=[А-ЯЁІЇЄ](?:[а-яёіїє]|\s))")
# "at 8 am.": a time of day written without dots ends a sentence like any word.
_CLOCK = re.compile(r"\d[ \t]*(?:am|pm)$", re.IGNORECASE)
# Prepositions and articles before a day written as an ordinal ("am 12. Mai", "den 3. maj", "vom 1. März").
_DATE_PREPOSITIONS: Final = frozenset({"am", "vom", "zum", "bis", "seit", "ab", "den", "dem", "der", "til", "fra"})
# Words that end in a dot without ending the sentence, beyond the short ones caught by length.
_ABBREVIATIONS: Final = frozenset(
    {"sept", "corp", "prof", "capt", "dept", "govt", "approx", "univ", "assn", "bros", "blvd", "messrs", "mlle",
     "mme", "jan", "feb", "aug", "oct", "nov", "dec", "gen", "sen", "rep", "gov", "col", "sgt", "adm", "cmdr",
     "тыс", "млн", "млрд", "долл", "руб", "коп", "обл", "просп", "кв", "env", "etc", "inc", "ltd", "est", "nos"}
)  # fmt: skip


def pysbd_language(language: str) -> str:
    code = language.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGE_CODES else "en"


def sentence_spans(text: str, units: list[Unit], language: str) -> list[tuple[int, int, int]]:
    """``(start, end, unit index)`` of every sentence of the prose units, broken sentences joined."""
    code = pysbd_language(language)
    # A fresh Segmenter per call: pysbd keeps per-call state on the instance, and the API
    # may run extractions in parallel threads. Construction costs about a microsecond.
    segmenter = pysbd.Segmenter(language=code, clean=False)
    boundary = _boundary(code)
    pieces: list[tuple[int, int, int]] = []
    for index, unit in enumerate(units):
        if unit.kind not in PROSE:
            continue
        spans = _unit_spans(text, unit, segmenter, boundary)
        if not spans:
            continue
        if pieces and _joins(text, units, pieces[-1], index, spans[0]):
            pieces[-1] = (pieces[-1][0], spans[0][1], index)
            spans = spans[1:]
        pieces.extend((start, end, index) for start, end in spans)
    return pieces


def _unit_spans(text: str, unit: Unit, segmenter: pysbd.Segmenter, boundary: re.Pattern[str]) -> list[tuple[int, int]]:
    view = text[unit.start : unit.end].translate(CONTROL_TO_SPACE)
    if unit.masks:
        chars = list(view)
        for mask_start, mask_end in unit.masks:
            chars[mask_start - unit.start : mask_end - unit.start] = " " * (mask_end - mask_start)
        view = "".join(chars)
    spans: list[tuple[int, int]] = []
    raw = text[unit.start : unit.end]
    for chunk_start, chunk_end in _chunks(raw, boundary):
        for start, end in _segment(view, chunk_start, chunk_end, segmenter):
            spans.extend((unit.start + a, unit.start + b) for a, b in _unglued(view, start, end))
    return spans


def _unglued(view: str, start: int, end: int) -> list[tuple[int, int]]:
    """``view[start:end]`` split where a saved page lost the space after a full stop between two Cyrillic sentences
    (a lower-case word, a full stop and at once a capital: "... 16 тысяч человек.Власти заявили ...")."""
    cuts = [m.end() for m in _GLUED.finditer(view, start, end)]
    bounds = [start, *cuts, end]
    return [(a, b) for a, b in itertools.pairwise(bounds) if view[a:b].strip()]


def _easy_cuts(view: str, start: int, end: int) -> list[int] | None:
    """Sentence ends of ``view[start:end]`` when every candidate is unambiguous, else None."""
    cuts: list[int] = []
    for match in _CANDIDATE.finditer(view, start, end):
        punctuation, opener, first = match.group(1), match.group(4), match.group(5)
        if first.islower() and punctuation in ".!?":
            continue  # "U.S. officials", '"Why?" she asked': the sentence goes on
        if punctuation not in ".!?" or (not first.isupper() and not (opener and first.isalpha())):
            return None  # ellipses, "?!", a digit or a symbol next: let pysbd decide
        if punctuation == ".":
            window = view[max(start, match.start(1) - 12) : match.start(1)]
            before = window.rsplit(None, 1)[-1:]
            word = before[0].lstrip("\"'“‘«(*_[") if before else ""
            clock = word.lower() in ("am", "pm") and _CLOCK.search(window)
            if not clock and ("." in word or (len(word) <= 3 and word.isalpha()) or word.lower() in _ABBREVIATIONS):
                return None  # "Mr. Smith", "Gen. Roe", "U.S. Army": an abbreviation may not end anything
            if (
                word.isdigit()
                and len(word) <= 2
                and _ordinal_date(view, match.start(1) - len(word), match.start(5), end)
            ):
                continue  # "am 6. Februar", "vom 24. Juni": a day written as an ordinal, not a sentence end
        cuts.append(match.start(3))
    return cuts


def _ordinal_date(view: str, day: int, at: int, end: int) -> bool:
    """Whether the day written "6." at `day` and the word at `at` make a date (German, Nordic, Czech...): a month
    name follows; one that is also a word ("Mai", "March") only after a preposition of time ("am 12. Mai")."""
    following = _WORD.match(view, at, end)
    if following is None or month_number(following.group()) is None:
        return False
    if following.group().lower() not in AMBIGUOUS:
        return True
    before = view[max(0, day - 6) : day].split()
    return bool(before) and before[-1].lower() in _DATE_PREPOSITIONS


def _segment(view: str, start: int, end: int, segmenter: pysbd.Segmenter) -> list[tuple[int, int]]:
    """Sentence spans of ``view[start:end]``, located exactly with a running cursor."""
    # Chinese and Japanese sentences end without a space: always pysbd.
    easy = None if _NO_SPACE_TERMINALS.search(view, start, end) else _easy_cuts(view, start, end)
    if easy is not None:
        spans = []
        cursor = start
        for cut in [*easy, end]:
            piece = view[cursor:cut]
            if piece.strip():
                left = cursor + len(piece) - len(piece.lstrip())
                spans.append((left, left + len(piece.strip())))
            cursor = cut
        return spans

    sentences: list[str] = [view[start:end]]
    # A chunk longer than the limit has no boundary where pysbd could split it anyway,
    # and pysbd's abbreviation pass is quadratic on such text: keep it as one sentence.
    if end - start <= _MAX_SEGMENT_CHARS:
        # Segmenter.segment() re-finds every sentence in the whole text with re.finditer
        # (quadratic, and it silently drops sentences it cannot find); the processor alone
        # is linear and we locate sentences ourselves below. Any failure of this third-party
        # regex machinery on odd input leaves the chunk as one sentence instead of failing.
        with suppress(Exception):
            sentences = segmenter.processor(view[start:end]).process()

    spans = []
    cursor = start
    for sentence in sentences:
        piece = sentence.strip()
        if not piece:
            continue
        found = _locate(view, piece, cursor, end)
        if found is None:
            break  # pysbd rewrote the text; the remainder becomes one sentence below
        spans.append(found)
        cursor = found[1]
    rest = view[cursor:end]
    if rest.strip():
        spans.append((cursor + len(rest) - len(rest.lstrip()), cursor + len(rest.rstrip())))
    return spans


def _locate(view: str, piece: str, cursor: int, end: int) -> tuple[int, int] | None:
    index = view.find(piece, cursor, end)
    if index >= 0:
        return index, index + len(piece)
    # pysbd may normalise whitespace inside a sentence; match word by word instead.
    tolerant = re.compile(r"\s+".join(re.escape(word) for word in piece.split()))
    match = tolerant.search(view, cursor, end)
    return (match.start(), match.end()) if match else None


@cache
def _boundary(language: str) -> re.Pattern[str]:
    """Where a sentence may end in ``language``: terminal punctuation, closers, whitespace."""
    punctuation = "".join(Language.get_language_code(language).Punctuations)
    return re.compile(rf"[{re.escape(punctuation)}][\"'\u201d\u2019»)\]]*\s+")


def _chunks(raw: str, boundary: re.Pattern[str]) -> list[tuple[int, int]]:
    """Cut a long unit into pieces of at most ``_MAX_SEGMENT_CHARS`` at likely sentence ends.

    pysbd's abbreviation pass rescans its whole input once per abbreviation it finds, so one
    huge unit (say a plain-text article without blank lines) costs quadratic time. Cutting
    each window at its last punctuation-plus-whitespace, preferably one ending a line, keeps
    every call small; a window without such a boundary grows to the next one instead of
    being cut mid-sentence.
    """
    chunks: list[tuple[int, int]] = []
    start = 0
    while len(raw) - start > _MAX_SEGMENT_CHARS:
        last = line_end = None
        for match in boundary.finditer(raw, start, start + _MAX_SEGMENT_CHARS):
            last = match.end()
            if "\n" in match.group() or "\r" in match.group():
                line_end = last
        cut = line_end or last
        if cut is None:
            following = boundary.search(raw, start + _MAX_SEGMENT_CHARS)
            cut = following.end() if following else len(raw)
        chunks.append((start, cut))
        start = cut
    if start < len(raw):
        chunks.append((start, len(raw)))
    return chunks


def _joins(
    text: str,
    units: list[Unit],
    previous: tuple[int, int, int],
    index: int,
    first_span: tuple[int, int],
) -> bool:
    """Whether a paragraph's first sentence continues the previous paragraph's last one."""
    # Only directly adjacent plain paragraphs: joining across a dropped "Related:" line or
    # a caption would put that junk inside the claim's verbatim text.
    if previous[2] != index - 1 or units[index - 1].kind != "text" or units[index].kind != "text":
        return False
    if units[index].label is not None or units[index - 1].label is not None:
        return False
    return not ends_sentence(text[previous[0] : previous[1]]) and starts_lowercase(text[first_span[0] : first_span[1]])
