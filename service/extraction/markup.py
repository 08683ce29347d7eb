"""Article layout: lines grouped into units, noise recognised, metadata read, line prefixes stripped.

1. Lines are grouped into *units*: paragraphs (blocks separated by blank lines), list items and
   blockquotes, plus single-line units for headings, bylines, date lines and similar metadata that
   sometimes sit in a paragraph without a blank line around them.
2. Each unit is classified; only prose units (paragraphs, list items, blockquotes) can hold claims.
   Everything a page wraps around an article is recognised here, in English, French and Russian:
   bylines, date lines, captions and photo credits, "Related"/"Read more" links, subscribe and share
   prompts, wire-service footers ("Reporting by ..."), tables, press-release boilerplate ("About X",
   media contacts, everything after the "###" end mark).
3. A prose unit may start with a prefix that is not part of its first sentence: a wire dateline
   ("SEOUL (Reuters) —"), a live-blog timestamp ("10:42 GMT —") or a transcript label ("Q:", "A:",
   "Kowalska:"). The unit then starts after the prefix; a transcript label is kept on the unit.

Offsets are never rewritten: a unit is a ``(start, end)`` span of the original text.
"""

# Russian, French and Korean words and typographic quotes in the patterns are deliberate.
# ruff: noqa: RUF001, RUF002, RUF003

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Final

from service.extraction.model import ArticleMeta
from service.text.language import CJK_CHARACTER
from service.text.months import MONTH_PATTERN, month_number
from service.text.words import read_patterns, read_terms

# Metadata-ish lines (captions, boilerplate, bylines) are short; a long paragraph that
# merely starts like one is prose and must be kept.
MAX_META_WORDS: Final = 40
_MAX_TITLE_WORDS: Final = 20

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_HEADING = re.compile(r"[ \t]{0,3}(#{1,6})(?:[ \t]+|$)")
_SETEXT = re.compile(r"[ \t]{0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"[ \t]*(?:>[ \t]?)+")
_ITEM = re.compile(r"[ \t]*(?:[-*+•]|\d{1,9}[.)])[ \t]+(?=\S)")
_TABLE_ROW = re.compile(r"[ \t]*\|.*\|[ \t]*$|[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$")
# The end of a press release ("###", "# # #", "-30-", "ENDS"): what follows is boilerplate.
_END_MARK = re.compile(r"[ \t]*(?:#[ \t]*#[ \t]*#|-\s?30\s?-|ENDS?|КОНЕЦ|FIN)[ \t]*$")

# Every repetition in the markup patterns is bounded: they run over untrusted text with
# re.search/re.sub, and an unbounded "[^)]*" turns a string of 4,000 "[a](" into minutes.
LINK = re.compile(r"!?\[([^\[\]\n]{0,500})\]\(([^()\[\]<>\s]{0,2000})(?:\s[^()\n]{0,300})?\)")
_ANGLE_URL = re.compile(r"<((?:https?://|www\.)[^<>\s]{0,2000})>")
BARE_URL = re.compile(r"(?:https?://|www\.)[^\s<>]+")
_EMPHASIS = re.compile(r"[*_`]+")
_WORD = re.compile(r"[^\W_]+")

# Every C0/C1 control character (and the Unicode line/paragraph separators) becomes a
# space in the text handed to the segmenter: one code point for one code point, so offsets
# in the segmenter's view equal offsets in the original.
CONTROL_TO_SPACE: Final = {c: " " for c in [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]}
TERMINAL: Final = ".!?…。\uff01\uff1f"
CLOSERS: Final = "\"'”\u2019»)]*_` \t"
OPENERS: Final = "\"'“\u2018«„*_([ \t"

_SOURCE_URL = re.compile(
    r"[*_]*(?:original|source|canonical)\s+(?:url|link)[*_]*\s*:[*_]*\s*(?P<rest>.*)",
    re.IGNORECASE | re.DOTALL,
)
_RELATED = re.compile(
    r"(?:related(?:\s+(?:articles?|stor(?:y|ies)|content|reading|coverage|news))?"
    r"|read\s+(?:more|also|next)|see\s+also|also\s+read|more\s+on\s+this\s+story|recommended"
    r"|(?:à\s+)?lire\s+(?:aussi|également|plus)|voir\s+aussi|sur\s+le\s+même\s+sujet"
    r"|читайте\s+(?:также|тоже)|смотрите\s+также|по\s+теме|관련\s*기사)\s*[*_]*\s*:",
    re.IGNORECASE,
)
# Page furniture and press-release boilerplate at a line's start (service/data/words/boilerplate.txt: one regular
# expression a line).
_BOILERPLATE = re.compile("(?:" + "|".join(read_patterns("boilerplate")) + ")", re.IGNORECASE)
# A line made only of share-button labels ("Share Facebook X WhatsApp Copy link").
_SHARE_WORDS: Final = frozenset(read_terms("share_labels"))  # service/data/words/share_labels.txt
_CAPTION_PREFIX = re.compile(
    r"[(\[]?\s*(?:photo(?:graph)?s?|images?|pictures?|pictured|credits?|photo\s+credit|crédit\s+photo"
    r"|caption|illustration|video|vidéo|file\s+photo|фото(?:графия)?|видео|иллюстрация|사진)\s*(?::|=|by\b|—|-\s)",
    re.IGNORECASE,
)
_CREDIT = r"!?\[[^\[\]\n]{1,80}\]\([^()\[\]<>\s]{0,2000}\)"
# A unit that starts with an image is the image and its caption.
_IMAGE_FIRST = re.compile(r"[ \t]*!\[[^\[\]\n]{0,500}\]\([^()\n]{0,2000}\)")
# "... near the port. Photo: Jane Roe" / "(Photo: Agency)" at the end of a short line.
_CREDIT_SUFFIX = re.compile(
    r"(?:[.!?)][ \t]+|\()(?:photo(?:graph)?|image|picture|credit|crédit|фото|사진)\s*[:=]\s*[^.!?\n]{1,60}\)?\s*$",
    re.IGNORECASE,
)
# (after a finished sentence: the start of a caption is `_CAPTION_PREFIX`'s)
_PHOTO_BY = re.compile(
    r"[.!?)][ \t]+(?:(?:file|archive)[ \t]+)?(?:photo(?:graph)?|picture)[ \t]+by[ \t]+[^.!?\n]{2,80}/[^.!?\n]{2,60}$"
    r"|\|[ \t]*license[ \t]+photo[ \t]*$"
    r"|[.!?)][ \t]+(?:bild|foto)[ \t]*:[ \t]*[^.!?\n]{2,60}/[^.!?\n]{2,60}$",
    re.IGNORECASE,
)
# Author notes ("The views expressed here are her own.") and contact lines with an e-mail address.
_AUTHOR_NOTE = re.compile(
    r"views\s+expressed\s+(?:here|in\s+this\s+(?:article|column|piece))\s+are|is\s+a\s+(?:contributing|guest)"
    r"\s+(?:writer|columnist)|[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{1,63}",
    re.IGNORECASE,
)
_MAX_NOTE_WORDS: Final = 45
_CREDIT_TAIL = re.compile(rf"(?P<credits>{_CREDIT}(?:[ \t]*/[ \t]*{_CREDIT})*)[ \t]*$")
# "Photograph: Jane Roe/Reuters" or "(Jane Roe / AFP)" at the end of a caption line.
_AGENCY_CREDIT = re.compile(
    r"(?:\(|\b(?:photograph|photo|credit|фото)\s*:\s*)[^()\n]{0,60}/\s*(?:AFP|AP|Reuters|Getty(?:\s+Images)?|EPA"
    r"|TASS|ТАСС|Yonhap|Xinhua|Bloomberg|Shutterstock|Sputnik|РИА\s+Новости|Pool)\)?\s*$",
    re.IGNORECASE,
)

_DATE_LINE = re.compile(
    r"(?:(?:published|updated|posted|last\s+updated|publié|publiée|mis\s+à\s+jour|опубликовано|обновлено"
    r"|дата\s+публикации|입력|수정|기사입력)(?:\s+(?:on|le))?\s*:?\s*)?"
    r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|rday|urday)?\.?,?\s+"
    r"|(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+"
    r"|(?:понедельник|вторник|среда|четверг|пятница|суббота|воскресенье),?\s+)?"
    r"(?:(?P<m1>" + MONTH_PATTERN + r")\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{4})"
    r"|(?P<d2>\d{1,2})(?:st|nd|rd|th|er)?\s+(?:(?:of|de)\s+)?(?P<m2>" + MONTH_PATTERN + r")"
    r"(?:,?\s+|\s+de\s+)(?P<y2>\d{4})"
    r"(?:\s*(?:г\.|года))?"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})"
    r"|(?P<d4>\d{1,2})[./](?P<m4>\d{1,2})[./](?P<y4>\d{4})"
    r"|(?P<y5>\d{4})[.년]\s*(?P<m5>\d{1,2})[.월]\s*(?P<d5>\d{1,2})일?\.?)"
    r"(?:(?:T|,|\s+at|\s+à|\s+в|\s*[|·•\u2013\u2014-])?\s*\d{1,2}[:.h]\d{2}(?::\d{2})?(?:\.\d+)?"
    r"\s*(?:[ap]\.?\s?m\.?)?\s*(?:z|utc|gmt|msk|мск|kst|[a-z]{2,5})?\s*(?:[+-]\d{1,2}(?::?\d{2})?)?"
    r"(?:\s*\([^)]*\))?)?\s*",
    re.IGNORECASE,
)

_BYLINE = re.compile(r"(?:by|par|автор\s*:|текст\s*:|author\s*:)\s+(?P<names>\S.*)", re.IGNORECASE | re.DOTALL)
_KO_BYLINE = re.compile(r"(?P<names>[가-힣]{2,4})\s*(?:기자|특파원)(?:\s*[\w.@-]{0,60})?")
# Lower-case words that may sit inside a person's or agency's name in a byline.
_NAME_PARTICLES: Final = frozenset(
    {"and", "&", "de", "da", "di", "du", "van", "von", "der", "den", "la", "le", "bin", "al", "el", "et", "и",
     "in", "|", "/", "-", "\u2013", "\u2014"}
)  # fmt: skip

# ---- prefixes of a prose unit that are not part of its first sentence
_UPPER = "A-ZÀ-ÖØ-ÞА-ЯЁ"
# "SEOUL (Reuters) —", "KYIV, Ukraine —", "PARIS, 28 avril (AFP) -", "OSLO, April 24, 2025 /PRNewswire/ --",
# "МОСКВА, 28 апреля. /ТАСС/.", "ANKARA: "
_DATELINE = re.compile(
    rf"(?P<place>[{_UPPER}][{_UPPER}'’.\-]{{1,30}}(?:[ \t]+[{_UPPER}][{_UPPER}'’.\-]{{1,30}}){{0,3}})"
    r"(?:,[ \t]+[^\n()\u2013\u2014/]{1,50}?)?[ \t]*\.?[ \t]*"
    r"(?:(?:\((?P<agency>[^()\n]{2,40})\)|/(?P<agency2>[^/\n]{2,40})/)[ \t]*(?:[-\u2013\u2014]{1,2}|\.)?"
    r"|(?P<sep>[-\u2013\u2014]{1,2})|:)[ \t]+(?=\S)"
)
# "Honolulu: Bei ...": one capitalised word and a colon before the first sentence of the body (a capital next:
# "Wheat: 2.9 million tonnes" is a list of figures); a live blog's "Update vom 26. Juni, 9.12 Uhr: ...".
_PLACE_COLON = re.compile(
    rf"(?:(?P<word>[{_UPPER}][a-zß-ÿа-яё'’\-]{{2,30}})|(?:Update|Aktualisiert)[ \t]+(?:vom|am)[ \t]+[^:\n]{{3,40}}?Uhr)"
    rf"[ \t]*:[ \t]+(?=[\"“«]?[{_UPPER}])"
)
# "March 8 (UPI) -- ", "(PRIMAPRESS) - UCRAINA - ": the agency in brackets first, maybe after the day, maybe before
# the place.
_AGENCY_DATELINE = re.compile(
    r"(?:[A-Z][a-z]{2,8}\.?[ \t]+\d{1,2}|\d{1,2}\.?[ \t]+[A-Z][a-z]{2,8}\.?)?[ \t]*"
    r"\((?P<agency>[^()\n]{2,40})\)[ \t]*[-\u2013\u2014]{1,2}[ \t]+"
    rf"(?:[{_UPPER}][{_UPPER}'’.\-]{{1,30}}(?:[ \t]+[{_UPPER}][{_UPPER}'’.\-]{{1,30}}){{0,3}}"
    r"[ \t]*[-\u2013\u2014]{1,2}[ \t]+)?"
    r"(?=\S)"
)
_TIME = (
    r"(?:\d{1,2}[:.h]\d{2}(?:[ \t]*[ap]\.?m\.?)?|\d{1,2}[ \t]*[ap]\.?m\.?)"
    r"(?:[ \t]+(?:GMT|UTC|BST|CET|CEST|EET|EEST|EST|EDT|PST|PDT|MSK|МСК|KST|ET|PT|local(?:[ \t]+time)?))?"
)
# "10:42 GMT — ...", "**14:30 CET**" on its own line, or "**23:55** Turnout ..." (bold marks it off).
_TIMESTAMP = re.compile(
    rf"(?:[*_]{{0,2}}{_TIME}[*_]{{0,2}}(?:[ \t]*[-\u2013\u2014|:]+[*_]{{0,2}}[ \t]+|[ \t]*\r?\n[ \t]*)"
    rf"|[*_]{{2}}{_TIME}[*_]{{2}}[ \t]+)(?=\S)",
    re.IGNORECASE,
)
# An ISO date stamp glued to the opening paragraph by whatever saved the page ("date 2023-06-08 Five residents ...",
# "Date: 2024-01 ..."): metadata, not the first words of the first sentence.
_DATE_STAMP = re.compile(
    r"(?:(?i:date|datum|fecha|data|дата)[ \t]*:?[ \t]*)?"
    r"\d{4}-\d{2}(?:-\d{2})?(?:T\d{2}:\d{2}(?::\d{2})?Z?)?[ \t]+(?=\S)"
)
_LABEL = re.compile(
    rf"[*_]{{0,2}}(?P<label>[{_UPPER}][\w'’.\-]{{0,30}}(?:[ \t]+[{_UPPER}][\w'’.\-]{{0,30}}){{0,3}})"
    r"[*_]{0,2}[ \t]*:[*_]{0,2}[ \t]+(?=\S)"
)
QUESTION_LABELS: Final = frozenset({"q", "question", "вопрос", "질문"})
ANSWER_LABELS: Final = frozenset({"a", "answer", "réponse", "ответ", "답변"})
# Labels that introduce a note, not a speaker.
_NOT_SPEAKER_LABELS: Final = frozenset(read_terms("note_labels"))  # service/data/words/note_labels.txt
# A heading-like line opening press-release boilerplate: "About Norvane Energy", "À propos de X", "О компании".
_ABOUT = re.compile(
    rf"(?i:about|à\s+propos\s+de|a\s+propos\s+de|о\s+компании|об?)\s+[{_UPPER}«\"].{{0,80}}$|(?i:о\s+компании)$"
)

PROSE: Final = frozenset({"text", "item", "quote"})
_DATELINE_UNITS: Final = 3


@dataclass(slots=True)
class Unit:
    """A span of the article: a paragraph, list item, blockquote or one metadata line."""

    kind: str
    start: int
    end: int
    # Blockquote markers on continuation lines: blanked for the segmenter but kept in the
    # verbatim span, because a claim's text must be an exact slice of the input.
    masks: list[tuple[int, int]] = field(default_factory=list)
    level: int = 0
    label: str | None = None  # transcript speaker label ("Q", "A", "Kowalska")
    agency: str | None = None  # the agency of a dateline stripped from this unit ("Reuters")
    # The dateline itself ("TRONDVIK, Norway, January 22, 2025 /PRNewswire/ --"), after a date stamp stripped before it.
    dateline: str | None = None


def units_of(text: str) -> list[Unit]:
    """The units of an article, classified, with prefixes stripped from prose units."""
    # Lines already found not to be metadata: a one-line paragraph is not asked again as a block.
    prose_lines: set[str] = set()
    units = _line_units(text, prose_lines)
    for unit in units:
        if unit.kind in PROSE:
            unit.kind = _classify_block(text[unit.start : unit.end], unit.kind, prose_lines)
    _mark_plain_title(text, units)
    # (after the title: a headline in title case is the title, not a row of tags)
    for unit in units:
        block = " ".join(text[unit.start : unit.end].split()) if unit.kind in PROSE else ""
        if block and (_is_ticker_or_tags(block) or _is_shouted(block)):
            unit.kind = "boilerplate"
    _mark_trailing_boilerplate(text, units)
    _strip_prefixes(text, units)
    return units


def _line_units(text: str, prose_lines: set[str] | None = None) -> list[Unit]:
    units: list[Unit] = []
    current: Unit | None = None  # the prose unit that may still take continuation lines
    for match in _LINE.finditer(text):
        line_start = match.start()
        line = match.group().rstrip("\r\n")
        if not line.strip():
            current = None
            continue
        start = line_start + len(line) - len(line.lstrip())
        end = line_start + len(line.rstrip())

        if _END_MARK.match(line):
            units.append(Unit("end", start, end))
            current = None
        elif heading := _HEADING.match(line):
            content = line_start + heading.end()
            units.append(Unit("heading", min(content, end), end, level=len(heading.group(1))))
            current = None
        elif current is not None and current.kind == "text" and (setext := _SETEXT.match(line)):
            current.kind = "heading"
            current.level = 1 if setext.group(1).startswith("=") else 2
            current = None
        elif _RULE.match(line):
            units.append(Unit("rule", start, end))
            current = None
        elif _TABLE_ROW.match(line):
            units.append(Unit("table", start, end))
            current = None
        elif quote := _QUOTE.match(line):
            content = line_start + quote.end()
            if not line[quote.end() :].strip():
                current = None  # a bare ">" separates paragraphs inside a blockquote
            elif current is not None and current.kind == "quote":
                current.masks.append((line_start, content))
                current.end = end
            else:
                current = Unit("quote", content, end)
                units.append(current)
        elif item := _ITEM.match(line):
            current = Unit("item", line_start + item.end(), end)
            units.append(current)
        elif (kind := _line_kind(line.strip())) is not None:
            # Metadata lines stand alone even without blank lines around them, so a byline
            # or date glued to the first paragraph does not end up inside a claim.
            units.append(Unit(kind, start, end))
            current = None
        elif current is not None:
            current.end = end  # soft-wrapped continuation of the same paragraph/item/quote
            if prose_lines is not None:
                prose_lines.add(line.strip())
        else:
            current = Unit("text", start, end)
            units.append(current)
            if prose_lines is not None:
                prose_lines.add(line.strip())
    return units


def _line_kind(line: str) -> str | None:
    """Kind of a single line that is metadata on its own, else None."""
    if _SOURCE_URL.match(line):
        return "source_url"
    if len(line) > _MAX_META_CHARS and "[" not in line:
        return None
    plain = strip_markup(line).strip()
    if parse_byline(plain) is not None:
        return "byline"
    if parse_date(plain) is not None or _is_date_pieces(plain):
        return "date"
    if _RELATED.match(plain):
        return "related"
    if _BOILERPLATE.match(plain) and word_count(plain) <= MAX_META_WORDS:
        return "boilerplate"
    if _is_share_line(plain):
        return "boilerplate"
    if _ANGLE_URL.fullmatch(line) or BARE_URL.fullmatch(line):
        return "link"
    if _is_caption(line):
        return "caption"
    return None


# A line of dates and times apart by bars or slashes, each maybe after a short label: "Published: 20th February
# 2023 11:31 PM | Last Updated: 20th February 2023 11:44 PM", "March 8, 2023 / 11:42 AM", "Giriş Tarihi: 08.06.2023".
_PIECE_SEPARATOR = re.compile(r"[ \t]*[|·•/][ \t]*")
_PIECE_LABEL = re.compile(r"^[^\W\d][\w'’.\- ]{0,40}:[ \t]*")
_TIME_ONLY = re.compile(rf"(?:(?:at|à|в)[ \t]+)?{_TIME}(?:[ \t]+[A-Z]{{2,4}})?", re.IGNORECASE)
_MAX_DATE_PIECES: Final = 4


def _is_date_pieces(plain: str) -> bool:
    if len(plain) > _MAX_DATED_LINE_CHARS:
        return False
    pieces = [p for p in _PIECE_SEPARATOR.split(plain) if p]
    if not pieces or len(pieces) > _MAX_DATE_PIECES:
        return False
    dated = False
    for piece in pieces:
        piece = _PIECE_LABEL.sub("", piece, count=1).strip()
        if _TIME_ONLY.fullmatch(piece):
            continue
        if parse_date(piece) is None:
            return False
        dated = True
    return dated


def _is_share_line(plain: str) -> bool:
    words = [w.lower() for w in re.split(r"[\s|·•/,]+", plain) if w]
    return bool(words) and len(words) <= 12 and all(w in _SHARE_WORDS for w in words) and len(words) >= 2


def _classify_block(block: str, kind: str, prose_lines: AbstractSet[str] = frozenset()) -> str:
    """Kind of a whole prose unit; ``kind`` is kept when the unit is real prose.

    ``prose_lines``: lines `_line_kind` already answered None for (the unit's own line, if it has one).
    """
    single = " ".join(block.split())
    if single not in prose_lines and (line_kind := _line_kind(single)) is not None:
        return line_kind
    if _is_link_only(single):
        return "link"
    if len(single) <= 10 * _MAX_NOTE_WORDS and _AUTHOR_NOTE.search(single) and word_count(single) <= _MAX_NOTE_WORDS:
        return "boilerplate"
    return kind


# Page chrome without a sentence: a market ticker ("EUR 0,0000 USD/EUR 0,00 ALTIN 000,00") or a row of tags (names
# and places, every word capitalised). Neither ends a sentence or holds a comma's worth of clause.
_TICKER_MIN_FIGURES: Final = 0.4
_TAGS_MIN_WORDS: Final = 6


def _is_ticker_or_tags(block: str) -> bool:
    if len(block) > _MAX_META_CHARS or ends_sentence(block) or re.search(r"[,;:!?](?:\s|$)", block):
        return False
    words = block.split()
    if not words or len(words) > MAX_META_WORDS:
        return False
    figures = [any(ch.isdigit() for ch in w) for w in words]
    # A ticker's words are codes and names, capitalised: "41 dead 12 missing" is a figure list of the story, and a
    # line in a script without capitals (Arabic, Chinese) is not told apart this way: both are kept.
    codes = all(figure or w[:1].isupper() for w, figure in zip(words, figures, strict=True))
    if len(words) >= 3 and sum(figures) >= _TICKER_MIN_FIGURES * len(words) and codes:
        return True
    letters = [w for w in words if w[:1].isalpha()]
    return len(words) >= _TAGS_MIN_WORDS and len(letters) == len(words) and all(w[:1].isupper() for w in words)


def _is_shouted(block: str) -> bool:
    """A subhead in capitals ("AT LEAST 3 DEAD", "6 DEAD, 562 INJURED"): no sentence, every letter a capital."""
    words = block.split()
    capitals = sum(ch.isupper() for ch in block)
    # Every letter has a case and is a capital: a script without case (Japanese, Arabic) with a code in capitals
    # ("BX391") is no subhead.
    return (
        2 <= len(words) <= MAX_META_WORDS
        and capitals >= 6
        and capitals == sum(ch.isalpha() for ch in block)
        and not ends_sentence(block)
    )


def _is_link_only(block: str) -> bool:
    rest = BARE_URL.sub("", _ANGLE_URL.sub("", LINK.sub("", block)))
    return not re.sub(r"[\s|/·•,;:\u2013\u2014*_\-]+", "", rest)


def _is_caption(block: str) -> bool:
    if _CAPTION_PREFIX.match(block) or _IMAGE_FIRST.match(block):
        return True
    words = word_count(block)
    # A photographer's credit closes a caption of any length ("... File photo by Jane Roe/Agency", "Bild: X/dpa").
    if words <= 2 * MAX_META_WORDS and _PHOTO_BY.search(block[-160:]):
        return True
    if words > MAX_META_WORDS:
        return False
    # Credits sit at the end: only the end of the line needs searching.
    end = block[-160:]
    if _AGENCY_CREDIT.search(end) or _CREDIT_SUFFIX.search(end):
        return True
    tail = _CREDIT_TAIL.search(block, max(0, len(block) - 4200))
    if tail is None:
        return False
    before = block[: tail.start()].rstrip().rstrip(CLOSERS)
    several_credits = len(LINK.findall(tail.group("credits"))) > 1
    # A single trailing link is a credit only after a finished caption sentence; otherwise
    # it is an ordinary sentence that happens to end in a link.
    return several_credits or not before or before[-1] in TERMINAL


def _mark_plain_title(text: str, units: list[Unit]) -> None:
    """Treat a plain-text headline (first line, no final punctuation) as the title.

    The headline may be a paragraph of its own or, as pages copied from the web often have it, the first line
    of the first paragraph ("Flood toll rises to 41\nThe flood killed ..."): then the unit is split there.
    """
    if not units or any(u.kind == "heading" for u in units) or units[0].kind != "text" or units[0].masks:
        return
    first = units[0]
    block = text[first.start : first.end]
    newline = block.find("\n")
    if newline >= 0:
        head = block[:newline].rstrip("\r \t")
        rest = first.start + newline + 1
        while rest < first.end and text[rest] in " \t\r\n":
            rest += 1
        following = text[rest : first.end]
    elif len(units) >= 2:
        head, following = block, text[units[1].start : units[1].end]
    else:
        return
    if not head.strip() or ends_sentence(head):
        return
    # A headline ends in a word, a number or a closing quote, never in a comma or colon.
    if head.translate(CONTROL_TO_SPACE).rstrip()[-1:] in ",;:-\u2013\u2014":
        return
    if not 2 <= word_count(head) <= _MAX_TITLE_WORDS:
        return
    # A lower-case next line means the first line is half of a broken sentence.
    if not following.strip() or starts_lowercase(following):
        return
    if newline >= 0:
        units.insert(1, Unit("text", rest, first.end, label=first.label, agency=first.agency, dateline=first.dateline))
        first.end = first.start + len(head)
    first.kind = "heading"
    first.level = 1


def _mark_trailing_boilerplate(text: str, units: list[Unit]) -> None:
    """Press-release tails: after an end mark, and under an "About X" line, prose is boilerplate."""
    after_end = False
    in_about = False
    seen_prose = False
    for unit in units:
        if unit.kind == "end":
            after_end = True
            continue
        raw = text[unit.start : unit.end]
        if seen_prose and unit.kind in ("heading", "text") and _is_about_line(raw):
            in_about = True
            unit.kind = "boilerplate"
            continue
        if unit.kind == "heading" or unit.kind == "rule":
            in_about = False
        if (after_end or in_about) and unit.kind in PROSE:
            unit.kind = "boilerplate"
        seen_prose = seen_prose or unit.kind in PROSE


def _is_about_line(raw: str) -> bool:
    plain = strip_markup(raw).strip()
    if "\n" in plain or not plain or plain[-1] in TERMINAL or word_count(plain) > 10:
        return False
    return bool(_ABOUT.match(plain)) and plain[:1].isupper()


def _strip_prefixes(text: str, units: list[Unit]) -> None:
    """Move prose units past datelines, timestamps and transcript labels."""
    prose_seen = 0
    # A name that labels several paragraphs is a transcript's speaker, not a place ("Brekke: We will ..."): counted
    # once, behind any date stamp or time of day ("10:32 Brekke: ..."), and used both to tell a label from a
    # dateline and to take it off its paragraph.
    labelling = Counter(
        m.group("label").lower()
        for u in units
        if u.kind in PROSE and (m := _label_behind_stamps(text[u.start : u.end]))
    )
    repeated = frozenset(label for label, count in labelling.items() if count >= 2)
    for unit in units:
        if unit.kind not in PROSE:
            continue
        raw = text[unit.start : unit.end]
        if prose_seen < _DATELINE_UNITS and (stamp := _date_stamp(raw)) is not None:
            unit.start += stamp.end()
            unit.dateline = stamp.group()  # the page's date, as a dateline's would be
            raw = text[unit.start : unit.end]
        # A dateline opens the body, which may follow a standfirst or two (lines of page chrome that end no sentence,
        # "Trending", "World News", do not count).
        if prose_seen < _DATELINE_UNITS and (dateline := _dateline(raw, repeated)) is not None:
            unit.start += dateline.end()
            found = dateline.groupdict()
            unit.agency = (found.get("agency") or found.get("agency2") or "").strip() or None
            unit.dateline = f"{unit.dateline or ''}{dateline.group()}"
            raw = text[unit.start : unit.end]
        prose_seen += ends_sentence(raw.rstrip())
        if (stamp := _TIMESTAMP.match(raw)) is not None:
            unit.start += stamp.end()
            raw = text[unit.start : unit.end]
        if (match := _LABEL.match(raw)) is None:
            continue
        name = match.group("label")
        lowered = name.lower()
        # "Q:"/"A:" always; a name only when it labels several paragraphs (a transcript).
        if lowered not in _NOT_SPEAKER_LABELS and (
            lowered in QUESTION_LABELS or lowered in ANSWER_LABELS or lowered in repeated
        ):
            unit.start += match.end()
            unit.label = name


def _label_behind_stamps(raw: str) -> re.Match[str] | None:
    """The transcript label ("Brekke: ") opening ``raw`` once a date stamp and a time of day are taken off it."""
    if (stamp := _date_stamp(raw)) is not None:
        raw = raw[stamp.end() :]
    if (time := _TIMESTAMP.match(raw)) is not None:
        raw = raw[time.end() :]
    return _LABEL.match(raw)


def _prefix_before_sentence(pattern: re.Pattern[str], raw: str) -> re.Match[str] | None:
    """``pattern`` at the start of ``raw`` when what follows it starts a sentence (else it is the sentence's own)."""
    match = pattern.match(raw)
    if match is None:
        return None
    rest = raw[match.end() :].lstrip(OPENERS)
    return match if rest[:1].isupper() or rest[:1].isdigit() else None


def _date_stamp(raw: str) -> re.Match[str] | None:
    return _prefix_before_sentence(_DATE_STAMP, raw)


def _dateline(raw: str, labels: frozenset[str] = frozenset()) -> re.Match[str] | None:
    """A dateline opening ``raw``; "Word: " only when the word does not label other paragraphs too (`labels`)."""
    found = _prefix_before_sentence(_DATELINE, raw) or _prefix_before_sentence(_AGENCY_DATELINE, raw)
    if found is not None:
        return found
    place = _prefix_before_sentence(_PLACE_COLON, raw)
    return place if place is not None and (place.group("word") or "").lower() not in labels else None


def dateline_agency(units: list[Unit]) -> str | None:
    """The agency named in a dateline ("(Reuters)"), if any."""
    return next((u.agency for u in units if u.agency), None)


# --------------------------------------------------------------------------- metadata


def parse_article_metadata(text: str, units: list[Unit]) -> ArticleMeta:
    headings = [u for u in units if u.kind == "heading"]
    top = [u for u in headings if u.level == 1] or headings
    title = None
    if top:
        raw = text[top[0].start : top[0].end]
        title = clean_field(re.sub(r"[ \t]+#+[ \t]*$", "", raw))

    author = next(
        (parse_byline(clean_field(text[u.start : u.end]) or "") for u in units if u.kind == "byline"),
        None,
    )
    # A line taken for a date line gives its first date even when it says more ("Published: Aug. 11, 2023 at 3:36
    # PM HST|Updated: Aug. 13, 2023 ...").
    published = next(
        (_line_date(clean_field(text[u.start : u.end]) or "") for u in units if u.kind == "date"),
        None,
    ) or next((find_date(u.dateline) for u in units if u.dateline), None)
    return ArticleMeta(
        title=title,
        author=author or dateline_agency(units),
        published_at=published,
        url=_source_url(text, units),
    )


def _source_url(text: str, units: list[Unit]) -> str | None:
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
    for link in LINK.finditer(text):
        if link.group(2).startswith(("http", "www.")):
            return link.group(2)
    if match := BARE_URL.search(text):
        return match.group().rstrip(".,;)]>")
    return None


def parse_byline(line: str) -> str | None:
    """The names of a byline ("By Jane Doe", "Par Jean Dupont", "Автор: Иван Петров"), else None."""
    if (korean := _KO_BYLINE.fullmatch(line)) is not None:
        return korean.group("names")
    match = _BYLINE.fullmatch(line)
    if match is None:
        return None
    names = match.group("names").strip().rstrip(".").strip()
    # "By Helena Brandt, political correspondent": a short role may follow the names.
    head, comma, role = names.partition(",")
    role_words = role.replace("'", "").split()
    if comma and role_words and len(role_words) <= 5 and all(w.isalpha() and w[:1].islower() for w in role_words):
        names = head.strip()
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
    # "By March, ..." / "Par ailleurs" are sentence openers, not names.
    if month_number(tokens[0].strip(",")) is not None and len(tokens) == 1:
        return None
    return names


# "Live updates | Last updated November 12, 2024 18:40 CET": a short line that names its date.
_DATED_LINE = re.compile(
    r"(?:published|updated|posted|publié|publiée|mis\s+à\s+jour|опубликовано|обновлено)\b", re.IGNORECASE
)
_DATE_CORE = re.compile(
    r"(?<!\w)(?:(?P<m1>" + MONTH_PATTERN + r")\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{4})"
    r"|(?P<d2>\d{1,2})(?:st|nd|rd|th|er)?\s+(?:(?:of|de)\s+)?(?P<m2>" + MONTH_PATTERN + r")"
    r"(?:,?\s+|\s+de\s+)(?P<y2>\d{4})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})"
    r"|(?P<d4>\d{1,2})[./](?P<m4>\d{1,2})[./](?P<y4>\d{4})"
    r"|(?P<y5>\d{4})[.년]\s*(?P<m5>\d{1,2})[.월]\s*(?P<d5>\d{1,2}))(?!\d)",
    re.IGNORECASE,
)
_MAX_DATED_LINE_WORDS: Final = 14
_MAX_DATED_LINE_CHARS: Final = 160


def _line_date(line: str) -> datetime.date | None:
    return parse_date(line) or find_date(line)


def find_date(text: str) -> datetime.date | None:
    """The first well-formed date anywhere in a short text (a dateline), else None."""
    for match in _DATE_CORE.finditer(text):
        if (date := _date_from(match)) is not None:
            return date
    return None


def parse_date(line: str) -> datetime.date | None:
    """The date of a date line ("April 28, 2025", "28 avril 2025", "28 апреля 2025 г."), else None."""
    match = _DATE_LINE.fullmatch(line)
    if match is None:
        if len(line) > _MAX_DATED_LINE_CHARS:
            return None
        if _DATED_LINE.search(line) and word_count(line) <= _MAX_DATED_LINE_WORDS and not ends_sentence(line):
            return find_date(line)
        return None
    return _date_from(match)


def _date_from(match: re.Match[str]) -> datetime.date | None:
    groups = match.groupdict()
    try:
        if groups["y3"]:
            return datetime.date(int(groups["y3"]), int(groups["m3"]), int(groups["d3"]))
        if groups["y4"]:
            return datetime.date(int(groups["y4"]), int(groups["m4"]), int(groups["d4"]))
        if groups["y5"]:
            return datetime.date(int(groups["y5"]), int(groups["m5"]), int(groups["d5"]))
        month = month_number(groups["m1"] or groups["m2"])
        if month is None:
            return None
        day = int(groups["d1"] or groups["d2"])
        return datetime.date(int(groups["y1"] or groups["y2"]), month, day)
    except ValueError:  # "February 30, 2025" looks like a date line but is not a date
        return None


# --------------------------------------------------------------------------- small text helpers


def ends_sentence(sentence: str) -> bool:
    # Only the end matters: a long run of closers ("...)**") fits in the last few characters.
    stripped = sentence[-16:].translate(CONTROL_TO_SPACE).rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in TERMINAL


def starts_lowercase(sentence: str) -> bool:
    return sentence[:16].translate(CONTROL_TO_SPACE).lstrip(OPENERS)[:1].islower()


def clean_field(text: str) -> str | None:
    """A metadata value without markup, control characters or repeated whitespace."""
    return " ".join(strip_markup(text).translate(CONTROL_TO_SPACE).split()) or None


def strip_markup(text: str) -> str:
    if not _MARKUP_CHARS.search(text):
        return text
    text = LINK.sub(r"\1", text)
    text = _ANGLE_URL.sub(" ", text)
    return _EMPHASIS.sub("", text)


_MARKUP_CHARS = re.compile(r"[\[<*_`]")
# Metadata lines are short; beyond this many characters a line can only be prose (or a source-URL line).
_MAX_META_CHARS: Final = 400


def word_count(text: str, *, prose_only: bool = False) -> int:
    """The words of a text (each ideograph or kana one). prose_only: only words with letters that are not a month's
    name, so that a dateline or a date glued to a place ("VIENNA, June 6.") is not counted as a sentence's words."""
    plain = BARE_URL.sub(" ", strip_markup(text))
    # Chinese and Japanese do not separate words with spaces; count each ideograph/kana.
    cjk = len(CJK_CHARACTER.findall(plain))
    words = _WORD.findall(CJK_CHARACTER.sub(" ", plain))
    if prose_only:
        words = [w for w in words if not w.isdigit() and month_number(w) is None]
    return len(words) + cjk
