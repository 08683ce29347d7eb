"""Claim extraction v1: turn one article string into metadata and sentence-level claims.

The pipeline is deliberately plain so that every claim keeps exact offsets into the
original input:

1. Split the input into lines and group them into *units*: paragraphs (blocks separated
   by blank lines), list items and blockquotes, plus single-line units for headings,
   bylines, date lines and similar metadata that sometimes sit in a paragraph without a
   blank line around them.
2. Classify each unit; only prose units (paragraphs, list items, blockquotes) can hold
   claims. Metadata units feed :class:`ArticleMeta` instead.
3. Split each prose unit into sentences with pysbd (long units in chunks of at most
   ``_MAX_SEGMENT_CHARS``, cut at punctuation) and locate every sentence in the original
   text with a running cursor, so offsets never drift.
4. Re-join a sentence that a blank line broke in two, drop tiny fragments, and attach a
   heuristic speaker.

Nothing here mutates the input; ``text[claim.start:claim.end] == claim.text`` always holds.
"""

from __future__ import annotations

import datetime
import re
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from typing import Final

import pysbd
from pysbd.languages import LANGUAGE_CODES, Language

__all__ = [
    "ArticleMeta",
    "ExtractedClaim",
    "Extraction",
    "extract",
    "extract_claims",
    "normalize_claim_text",
    "parse_metadata",
]


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """Article-level metadata found around the prose."""

    title: str | None
    author: str | None
    published_at: datetime.date | None
    url: str | None


@dataclass(frozen=True, slots=True)
class ExtractedClaim:
    """One claim: a verbatim sentence of the input with its character span."""

    text: str
    start: int
    end: int
    position: int
    speaker: str | None


@dataclass(frozen=True, slots=True)
class Extraction:
    """Metadata and claims of one article."""

    meta: ArticleMeta
    claims: list[ExtractedClaim]


# --------------------------------------------------------------------------- patterns

MIN_CLAIM_WORDS: Final = 4
# Metadata-ish lines (captions, boilerplate, bylines) are short; a long paragraph that
# merely starts like one is prose and must be kept.
_MAX_META_WORDS: Final = 40
_MAX_TITLE_WORDS: Final = 20
# Speaker regexes are bounded, but there is no point scanning a pathological sentence.
_MAX_SPEAKER_SCAN: Final = 5_000
# Longest text handed to pysbd in one call (see _chunks for why there is a limit).
_MAX_SEGMENT_CHARS: Final = 2_000

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_HEADING = re.compile(r"[ \t]{0,3}(#{1,6})(?:[ \t]+|$)")
_SETEXT = re.compile(r"[ \t]{0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"[ \t]*(?:>[ \t]?)+")
_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?=\S)")

# Every repetition in the markup patterns is bounded: they run over untrusted text with
# re.search/re.sub, and an unbounded "[^)]*" turns a string of 4,000 "[a](" into minutes.
_LINK = re.compile(r"!?\[([^\[\]\n]{0,500})\]\(([^()\[\]<>\s]{0,2000})(?:\s[^()\n]{0,300})?\)")
_ANGLE_URL = re.compile(r"<((?:https?://|www\.)[^<>\s]{0,2000})>")
_BARE_URL = re.compile(r"(?:https?://|www\.)[^\s<>]+")
_EMPHASIS = re.compile(r"[*_`]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+")

_SOURCE_URL = re.compile(
    r"[*_]*(?:original|source|canonical)\s+(?:url|link)[*_]*\s*:[*_]*\s*(?P<rest>.*)",
    re.IGNORECASE | re.DOTALL,
)
_RELATED = re.compile(
    r"(?:related(?:\s+(?:articles?|stor(?:y|ies)|content|reading|coverage|news))?"
    r"|read\s+(?:more|also|next)|see\s+also|also\s+read)\s*[*_]*\s*:",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"(?:share\s+(?:this|on)\b|subscribe\s+(?:to|now|for)\b|sign\s+up\s+(?:for|to|now|here)\b|follow\s+us\b"
    r"|click\s+here\b|advertisement$|get\s+(?:our|the)\s+(?:\w+\s+)?newsletter\b"
    r"|join\s+(?:us|our)\b|download\s+(?:our|the)\s+app\b|listen\s+to\s+this\s+article\b"
    r"|continue\s+reading\b|©|all\s+rights\s+reserved\b"
    r"|this\s+(?:article|story)\s+was\s+(?:originally\s+|first\s+)?published\b)",
    re.IGNORECASE,
)
_CAPTION_PREFIX = re.compile(
    r"[(\[]?\s*(?:photo(?:graph)?s?|images?|pictures?|pictured|credits?|photo\s+credit"
    r"|caption|illustration|video|file\s+photo)\s*(?::|by\b)",
    re.IGNORECASE,
)
_CREDIT = r"!?\[[^\[\]\n]{1,80}\]\([^()\[\]<>\s]{0,2000}\)"
_CREDIT_TAIL = re.compile(rf"(?P<credits>{_CREDIT}(?:[ \t]*/[ \t]*{_CREDIT})*)[ \t]*$")

_MONTHS: Final = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE_LINE = re.compile(
    r"(?:(?:published|updated|posted|last\s+updated)(?:\s+on)?\s*:?\s*)?"
    r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|rday|urday)?\.?,?\s+)?"
    r"(?:(?P<m1>" + _MONTH + r")\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{4})"
    r"|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>" + _MONTH + r")\.?,?\s+(?P<y2>\d{4})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2}))"
    r"(?:(?:T|,|\s+at|\s*[|·•\u2013\u2014-])?\s*\d{1,2}[:.]\d{2}(?::\d{2})?(?:\.\d+)?"
    r"\s*(?:[ap]\.?\s?m\.?)?\s*(?:z|utc|gmt|[a-z]{2,5})?\s*(?:[+-]\d{1,2}(?::?\d{2})?)?"
    r"(?:\s*\([^)]*\))?)?\s*",
    re.IGNORECASE,
)

_BYLINE = re.compile(r"by\s+(?P<names>\S.*)", re.IGNORECASE | re.DOTALL)
# Lower-case words that may sit inside a person's or agency's name in a byline.
_NAME_PARTICLES: Final = frozenset(
    {"and", "&", "de", "da", "di", "du", "van", "von", "der", "den", "la", "le", "bin", "al", "el",
     "|", "/", "-", "\u2013", "\u2014"}
)  # fmt: skip

_TERMINAL: Final = ".!?…。\uff01\uff1f"
_CLOSERS: Final = "\"'”\u2019»)]*_` \t"
_OPENERS: Final = "\"'“\u2018«*_([ \t"
_QUOTE_CHARS: Final = '"“”«»'

# Every C0/C1 control character (and the Unicode line/paragraph separators) becomes a
# space in the text handed to pysbd: one code point for one code point, so offsets in
# the segmenter's view equal offsets in the original.
_CONTROL_TO_SPACE: Final = {c: " " for c in [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]}

# --- speaker heuristics (v1). Attribution in news prose is overwhelmingly one of a few
# fixed frames ("X said", "according to X", "X quoted Y as saying"), so a short ordered
# list of regexes recovers most speakers without a parser. Patterns are tried in order and
# the first one that matches anywhere in the sentence wins; that is why the more specific
# frames ("quoted ... as saying", "according to") come before the generic "X said".
# Quantifiers are bounded so a 100k-character sentence cannot trigger runaway backtracking.
_CAP_TOKEN = r"[A-ZÀ-ÖØ-Þ][\w'\u2019.\-]{0,40}"
_PROPER = (
    rf"{_CAP_TOKEN}(?:[ \t]+(?:(?:of|the|for|and|de|du|al|bin|von|van|der|la|le)[ \t]+)"
    rf"{{0,2}}{_CAP_TOKEN}){{0,7}}"
)
_INSTITUTION = (
    r"(?i:ministry|agency|commission|office|government|department|committee|council|command"
    r"|military|army|police|service|authority|spokes(?:man|woman|person)|embassy|court|kremlin|presidency"
    r"|bureau|parliament|cabinet|authorities|officials?|statement|report|newspaper|broadcaster)\b"
)
_DETERMINER = r"(?:[Tt]he|[Ii]ts|[Tt]heir|[Hh]is|[Hh]er)[ \t]+"
# A modifier word inside a noun phrase; a second "the" means the phrase started too early
# ("the weekend the army said").
_MODIFIER = r"(?!the\b)[\w'\u2019\-]{1,40}[ \t]+"
_NOUN_PHRASE = rf"{_DETERMINER}(?:{_MODIFIER}){{0,4}}?{_INSTITUTION}"
_NAME = rf"(?<![\w'\u2019])(?P<name>{_NOUN_PHRASE}|{_PROPER})"
# Directly before a speech verb any determiner phrase is a speaker ("the engineer said"),
# so that frame also accepts "the/its + up to three words" ending in a common noun.
_ROLE = rf"{_DETERMINER}(?:{_MODIFIER}){{0,2}}?(?!the\b)[a-z][\w\-]{{1,40}}"
_SPEECH_NAME = rf"(?<![\w'\u2019])(?P<name>{_NOUN_PHRASE}|{_ROLE}|{_PROPER})"
# Lower-case job titles in front of a name: "quoted envoy Jane Doe as saying".
_ROLE_PREFIX = r"(?:[a-z][\w\-]{1,30}[ \t]+){0,3}?"
_SPEECH_VERB = (
    r"(?:said|says|told|tells|added|adds|stated|announced|reported|reports|wrote|writes"
    r"|claimed|confirmed|warned|insisted|noted|declared|tweeted|posted)\b"
)
_ADVERBIAL = r"(?:[ \t]+(?:also|later|earlier|previously|(?:on|last|this)[ \t]+\w{1,20})){0,2}"
_SPEAKER_PATTERNS: Final = (
    re.compile(rf"\bquoted[ \t]+{_ROLE_PREFIX}{_NAME}[ \t]+as[ \t]+saying\b"),
    re.compile(rf"{_NAME}[ \t]+(?:was|were)[ \t]+quoted[ \t]+as[ \t]+saying\b"),
    re.compile(rf"\baccording[ \t]+to[ \t]+{_ROLE_PREFIX}{_NAME}"),
    # A trailing attribution ('..., the engineer said.') names the speaker of the whole
    # sentence, even when an earlier clause also contains "X said".
    re.compile(rf"[,!?][\"\u201d\u2019]?[ \t]+{_SPEECH_NAME}{_ADVERBIAL}[ \t]+{_SPEECH_VERB}[^,;\"\u201d]{{0,80}}$"),
    re.compile(rf"{_SPEECH_NAME}{_ADVERBIAL}[ \t]+{_SPEECH_VERB}"),
    re.compile(rf"{_NAME}{_ADVERBIAL}[ \t]+[a-z]{{2,20}}ed\b[^.!?]{{0,300}}?,[ \t]+saying\b"),
)
# Capitalised only because they open the sentence; never part of a speaker's name.
_LEADING_NOISE: Final = frozenset(
    {"On", "In", "At", "But", "And", "Then", "Later", "Earlier", "Meanwhile", "However",
     "Also", "Last", "This", "That", "So", "Yet", "Still", "Now", "Separately", "Instead",
     "Over", "After", "Before", "During", "While", "When", "Monday", "Tuesday", "Wednesday",
     "Thursday", "Friday", "Saturday", "Sunday"}
)  # fmt: skip
_PRONOUNS: Final = frozenset({"He", "She", "They", "It", "We", "I", "You", "This", "That"})


# --------------------------------------------------------------------------- public API


def normalize_claim_text(text: str) -> str:
    """Collapse every whitespace run (newlines included) to one space and strip.

    Args:
        text: A claim's verbatim text.

    Returns:
        The text as it should be fed to the encoder.
    """
    return " ".join(text.split())


def parse_metadata(text: str) -> ArticleMeta:
    """Read title, author, publication date and canonical URL from an article.

    Args:
        text: The whole article as received.

    Returns:
        The metadata; each field is ``None`` when the article does not carry it.
    """
    return _metadata(text, _units(text))


def extract_claims(text: str, *, language: str = "en") -> list[ExtractedClaim]:
    """Split an article into sentence-level claims with exact character offsets.

    Args:
        text: The whole article as received (markdown-ish, markdown or plain text).
        language: ISO 639-1 code for sentence segmentation; unsupported codes fall back
            to English.

    Returns:
        Claims in document order; ``[]`` when nothing qualifies.
    """
    return _claims(text, _units(text), _pysbd_language(language))


def extract(text: str, *, language: str = "en") -> Extraction:
    """Extract metadata and claims in one pass over the article.

    Args:
        text: The whole article as received.
        language: ISO 639-1 code for sentence segmentation.

    Returns:
        Metadata and claims together.
    """
    units = _units(text)
    return Extraction(
        meta=_metadata(text, units),
        claims=_claims(text, units, _pysbd_language(language)),
    )


# --------------------------------------------------------------------------- units

_PROSE: Final = frozenset({"text", "item", "quote"})


@dataclass(slots=True)
class _Unit:
    kind: str
    start: int
    end: int
    # Blockquote markers on continuation lines: blanked for the segmenter but kept in the
    # verbatim span, because a claim's text must be an exact slice of the input.
    masks: list[tuple[int, int]] = field(default_factory=list)
    level: int = 0


def _units(text: str) -> list[_Unit]:
    units = _line_units(text)
    for unit in units:
        if unit.kind in _PROSE:
            unit.kind = _classify_block(text[unit.start : unit.end], unit.kind)
    _mark_plain_title(text, units)
    return units


def _line_units(text: str) -> list[_Unit]:
    units: list[_Unit] = []
    current: _Unit | None = None  # the prose unit that may still take continuation lines
    for match in _LINE.finditer(text):
        line_start = match.start()
        line = match.group().rstrip("\r\n")
        if not line.strip():
            current = None
            continue
        start = line_start + len(line) - len(line.lstrip())
        end = line_start + len(line.rstrip())

        if heading := _HEADING.match(line):
            content = line_start + heading.end()
            units.append(_Unit("heading", min(content, end), end, level=len(heading.group(1))))
            current = None
        elif current is not None and current.kind == "text" and (setext := _SETEXT.match(line)):
            current.kind = "heading"
            current.level = 1 if setext.group(1).startswith("=") else 2
            current = None
        elif _RULE.match(line):
            units.append(_Unit("rule", start, end))
            current = None
        elif quote := _QUOTE.match(line):
            content = line_start + quote.end()
            if not line[quote.end() :].strip():
                current = None  # a bare ">" separates paragraphs inside a blockquote
            elif current is not None and current.kind == "quote":
                current.masks.append((line_start, content))
                current.end = end
            else:
                current = _Unit("quote", content, end)
                units.append(current)
        elif item := _ITEM.match(line):
            current = _Unit("item", line_start + item.end(), end)
            units.append(current)
        elif (kind := _line_kind(line.strip())) is not None:
            # Metadata lines stand alone even without blank lines around them, so a byline
            # or date glued to the first paragraph does not end up inside a claim.
            units.append(_Unit(kind, start, end))
            current = None
        elif current is not None:
            current.end = end  # soft-wrapped continuation of the same paragraph/item/quote
        else:
            current = _Unit("text", start, end)
            units.append(current)
    return units


def _line_kind(line: str) -> str | None:
    """Kind of a single line that is metadata on its own, else None."""
    plain = _strip_markup(line).strip()
    if _SOURCE_URL.match(line):
        return "source_url"
    if _parse_byline(plain) is not None:
        return "byline"
    if _parse_date(plain) is not None:
        return "date"
    if _RELATED.match(plain):
        return "related"
    if _BOILERPLATE.match(plain) and _word_count(plain) <= _MAX_META_WORDS:
        return "boilerplate"
    if _ANGLE_URL.fullmatch(line) or _BARE_URL.fullmatch(line):
        return "link"
    if _is_caption(line):
        return "caption"
    return None


def _classify_block(block: str, kind: str) -> str:
    """Kind of a whole prose unit; ``kind`` is kept when the unit is real prose."""
    single = " ".join(block.split())
    if (line_kind := _line_kind(single)) is not None:
        return line_kind
    if _is_link_only(single):
        return "link"
    return kind


def _is_link_only(block: str) -> bool:
    rest = _BARE_URL.sub("", _ANGLE_URL.sub("", _LINK.sub("", block)))
    return not re.sub(r"[\s|/·•,;:\u2013\u2014*_\-]+", "", rest)


def _is_caption(block: str) -> bool:
    if _CAPTION_PREFIX.match(block):
        return True
    tail = _CREDIT_TAIL.search(block)
    if tail is None or _word_count(block) > _MAX_META_WORDS:
        return False
    before = block[: tail.start()].rstrip().rstrip(_CLOSERS)
    several_credits = len(_LINK.findall(tail.group("credits"))) > 1
    # A single trailing link is a credit only after a finished caption sentence; otherwise
    # it is an ordinary sentence that happens to end in a link.
    return several_credits or not before or before[-1] in _TERMINAL


def _mark_plain_title(text: str, units: list[_Unit]) -> None:
    """Treat a plain-text headline (first line, no final punctuation) as the title."""
    if len(units) < 2 or any(u.kind == "heading" for u in units):
        return
    first, following = units[0], units[1]
    head = text[first.start : first.end]
    if first.kind != "text" or "\n" in head or "\r" in head or _ends_sentence(head):
        return
    # A headline ends in a word, a number or a closing quote, never in a comma or colon.
    if head.translate(_CONTROL_TO_SPACE).rstrip()[-1:] in ",;:-\u2013\u2014":
        return
    if not 2 <= _word_count(head) <= _MAX_TITLE_WORDS:
        return
    # A lower-case next paragraph means the first line is half of a broken sentence.
    if _starts_lowercase(text[following.start : following.end]):
        return
    first.kind = "heading"
    first.level = 1


# --------------------------------------------------------------------------- metadata


def _metadata(text: str, units: list[_Unit]) -> ArticleMeta:
    headings = [u for u in units if u.kind == "heading"]
    top = [u for u in headings if u.level == 1] or headings
    title = None
    if top:
        raw = text[top[0].start : top[0].end]
        title = _clean_field(re.sub(r"[ \t]+#+[ \t]*$", "", raw))

    author = next(
        (_parse_byline(_clean_field(text[u.start : u.end]) or "") for u in units if u.kind == "byline"),
        None,
    )
    published = next(
        (_parse_date(_clean_field(text[u.start : u.end]) or "") for u in units if u.kind == "date"),
        None,
    )
    return ArticleMeta(title=title, author=author, published_at=published, url=_source_url(text, units))


def _source_url(text: str, units: list[_Unit]) -> str | None:
    for index, unit in enumerate(units):
        if unit.kind != "source_url":
            continue
        match = _SOURCE_URL.match(text[unit.start : unit.end])
        if match and (url := _find_url(match.group("rest"))):
            return url
        # The URL usually sits on the following line or paragraph, often as <https://...>.
        if index + 1 < len(units) and units[index + 1].kind == "link":
            nxt = units[index + 1]
            return _find_url(text[nxt.start : nxt.end])
    return None


def _find_url(text: str) -> str | None:
    if match := _ANGLE_URL.search(text):
        return match.group(1)
    for link in _LINK.finditer(text):
        if link.group(2).startswith(("http", "www.")):
            return link.group(2)
    if match := _BARE_URL.search(text):
        return match.group().rstrip(".,;)]>")
    return None


def _parse_byline(line: str) -> str | None:
    match = _BYLINE.fullmatch(line)
    if match is None:
        return None
    names = match.group("names").strip().rstrip(".").strip()
    tokens = names.split()
    if not tokens or len(tokens) > 12 or names[-1] in "!?:;,":
        return None
    # Every token capitalised (or a name particle): "By Monday, the army..." is prose.
    for token in tokens:
        word = token.strip(",()")
        if word and not (word[0].isupper() or word.lower() in _NAME_PARTICLES):
            return None
    if not tokens[0][0].isupper():
        return None
    return names


def _parse_date(line: str) -> datetime.date | None:
    match = _DATE_LINE.fullmatch(line)
    if match is None:
        return None
    groups = match.groupdict()
    try:
        if groups["y3"]:
            return datetime.date(int(groups["y3"]), int(groups["m3"]), int(groups["d3"]))
        month = _MONTHS[(groups["m1"] or groups["m2"])[:3].lower()]
        day = int(groups["d1"] or groups["d2"])
        return datetime.date(int(groups["y1"] or groups["y2"]), month, day)
    except ValueError:  # "February 30, 2025" looks like a date line but is not a date
        return None


# --------------------------------------------------------------------------- claims


def _pysbd_language(language: str) -> str:
    code = language.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGE_CODES else "en"


def _claims(text: str, units: list[_Unit], language: str) -> list[ExtractedClaim]:
    # A fresh Segmenter per call: pysbd keeps per-call state on the instance, and the API
    # may run extractions in parallel threads. Construction costs about a microsecond.
    segmenter = pysbd.Segmenter(language=language, clean=False)
    boundary = _boundary(language)
    pieces: list[tuple[int, int, int]] = []  # (start, end, unit index)
    for index, unit in enumerate(units):
        if unit.kind not in _PROSE:
            continue
        spans = _sentence_spans(text, unit, segmenter, boundary)
        if not spans:
            continue
        if pieces and _joins(text, units, pieces[-1], index, spans[0]):
            pieces[-1] = (pieces[-1][0], spans[0][1], index)
            spans = spans[1:]
        pieces.extend((start, end, index) for start, end in spans)

    claims: list[ExtractedClaim] = []
    previous: tuple[int, str, str | None] | None = None  # (unit, text, speaker)
    for start, end, index in pieces:
        sentence = text[start:end]
        if _word_count(sentence) < MIN_CLAIM_WORDS:
            continue
        speaker = _speaker(sentence)
        if speaker is None and previous is not None and previous[0] == index:
            speaker = _inherited_speaker(previous[1], previous[2], sentence)
        claims.append(ExtractedClaim(text=sentence, start=start, end=end, position=len(claims), speaker=speaker))
        previous = (index, sentence, speaker)
    return claims


def _sentence_spans(
    text: str, unit: _Unit, segmenter: pysbd.Segmenter, boundary: re.Pattern[str]
) -> list[tuple[int, int]]:
    view = text[unit.start : unit.end].translate(_CONTROL_TO_SPACE)
    if unit.masks:
        chars = list(view)
        for mask_start, mask_end in unit.masks:
            chars[mask_start - unit.start : mask_end - unit.start] = " " * (mask_end - mask_start)
        view = "".join(chars)
    spans: list[tuple[int, int]] = []
    raw = text[unit.start : unit.end]
    for chunk_start, chunk_end in _chunks(raw, boundary):
        spans.extend(
            (unit.start + start, unit.start + end) for start, end in _segment(view, chunk_start, chunk_end, segmenter)
        )
    return spans


def _segment(view: str, start: int, end: int, segmenter: pysbd.Segmenter) -> list[tuple[int, int]]:
    """Sentence spans of ``view[start:end]``, located exactly with a running cursor."""
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

    spans: list[tuple[int, int]] = []
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
    units: list[_Unit],
    previous: tuple[int, int, int],
    index: int,
    first_span: tuple[int, int],
) -> bool:
    """Whether a paragraph's first sentence continues the previous paragraph's last one."""
    # Only directly adjacent plain paragraphs: joining across a dropped "Related:" line or
    # a caption would put that junk inside the claim's verbatim text.
    if previous[2] != index - 1 or units[index - 1].kind != "text" or units[index].kind != "text":
        return False
    return not _ends_sentence(text[previous[0] : previous[1]]) and _starts_lowercase(
        text[first_span[0] : first_span[1]]
    )


def _ends_sentence(sentence: str) -> bool:
    stripped = sentence.translate(_CONTROL_TO_SPACE).rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _TERMINAL


def _starts_lowercase(sentence: str) -> bool:
    return sentence.translate(_CONTROL_TO_SPACE).lstrip(_OPENERS)[:1].islower()


def _clean_field(text: str) -> str | None:
    """A metadata value without markup, control characters or repeated whitespace."""
    return " ".join(_strip_markup(text).translate(_CONTROL_TO_SPACE).split()) or None


def _strip_markup(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    text = _ANGLE_URL.sub(" ", text)
    return _EMPHASIS.sub("", text)


def _word_count(text: str) -> int:
    plain = _BARE_URL.sub(" ", _strip_markup(text))
    # Chinese and Japanese do not separate words with spaces; count each ideograph/kana.
    cjk = len(_CJK.findall(plain))
    return len(_WORD.findall(_CJK.sub(" ", plain))) + cjk


# --------------------------------------------------------------------------- speakers


def _speaker(sentence: str) -> str | None:
    """Heuristic v1 speaker: the first attribution frame found in the sentence.

    Deliberately regex-only (see the pattern list above); a later version replaces it with
    proper attribution and pronoun resolution, so "He added ..." yields None here.
    """
    flat = " ".join(sentence[:_MAX_SPEAKER_SCAN].split())
    for pattern in _SPEAKER_PATTERNS:
        for match in pattern.finditer(flat):
            words = match.group("name").split()
            while words and words[0] in _LEADING_NOISE:
                words.pop(0)
            # Sentence-final punctuation glued to the name ("according to KCNA."), but keep
            # initialisms such as "U.S.".
            if words and words[-1].endswith(".") and words[-1].count(".") == 1:
                words[-1] = words[-1][:-1]
            name = " ".join(words)
            if name and name not in _PRONOUNS:
                return name
    return None


def _inherited_speaker(previous: str, speaker: str | None, sentence: str) -> str | None:
    """Speaker of a quote continuation such as the second sentence of a quoted passage."""
    if speaker is None or not any(char in previous for char in _QUOTE_CHARS):
        return None
    first = sentence.lstrip("*_ \t")[:1]
    opens_quote = bool(first) and first in '"“«'
    # An odd number of straight quotes (or more opening than closing curly ones) means the
    # previous sentence ended inside the quotation that this one continues.
    ended_inside = previous.count('"') % 2 == 1 or previous.count("“") > previous.count("”")
    return speaker if opens_quote or ended_inside else None
