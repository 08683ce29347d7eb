"""Dates and times in a claim as intervals: absolute dates in the supported languages, the resolved
relative dates ``context_text`` carries in brackets ("on Monday [2025-04-28]", "last autumn
[autumn 2024]"), and times of day. Without a context text, relative dates are resolved against the
publication date with the extractor's own rules.
"""

# ruff: noqa: RUF001

from __future__ import annotations

import calendar
import dataclasses
import datetime
import re
from dataclasses import dataclass
from typing import Final, Literal

from service.extraction.dates import resolve_relative_dates
from service.relations import rules
from service.relations.text import STOPWORDS, Token, neighbours, stem, tokenize, word_set
from service.text.months import AMBIGUOUS, CJK_DATE, month_number

DateKind = Literal["day", "time"]


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date (an interval of days) or a time of day (minutes) in a claim."""

    kind: DateKind
    first: int  # first day (proleptic ordinal) or minute of the day
    last: int
    year_known: bool
    display: str
    start: int
    end: int
    context: frozenset[str]
    statement: bool = False  # the date of a statement ("said on Monday"), not of the fact stated


# Verbs whose date is that of a statement about the fact ("told Putin on Saturday", "denied on Monday"). Single
# words: French "a déclaré" is found by "déclaré" (the auxiliary "a" is in every French past tense).
_STATEMENT_VERBS: Final = word_set(
    """said says told tells announced announces reported reports claimed claims stated added warned confirmed
    denied denies rejected rejects dismissed acknowledged admitted insisted wrote briefed заявил заявила
    заявили сообщил сообщили заявив déclaré annoncé sagte erklärte"""
)
_SEASON_MONTHS: Final = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 14)}
_YEAR = r"(1[89]\d{2}|20\d{2})"

_PATTERNS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("bracket", re.compile(r"\[([^\[\]]{4,40})\]")),
    # 2024-08-26, and 2024-08 (a month, as pages label their dates): not the figures 08 and 26; also when a time
    # of day is glued to it, as in page stamps ("2023-02-06T04:17").
    ("iso", re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?(?:\b|(?=T\d{1,2}:\d{2}))(?!-)")),
    ("season_year", re.compile(rf"\b(spring|summer|autumn|fall|winter)\s+(?:of\s+)?{_YEAR}\b", re.IGNORECASE)),
    # Korean, Japanese and Chinese: 2023년 9월 8일, 2023年9月8日.
    ("ko_date", CJK_DATE),
    ("time", re.compile(r"\b(\d{1,2})(?:[:.h](\d{2}))?\s*(a\.?m\.?|p\.?m\.?|uhr|h\b)", re.IGNORECASE)),
    ("clock", re.compile(r"\b(?:at|à|um|в|о|a\s+las?|alle|às|om|saat)\s+(\d{1,2})[:h](\d{2})(?!\d)", re.IGNORECASE)),
    # "23h11": the French (and Spanish, Portuguese) way to write a time of day, with or without "à".
    ("clock", re.compile(r"\b(\d{1,2})h(\d{2})\b")),
    ("year", re.compile(rf"(?<![\d.\[-])(?<!\d,){_YEAR}(?![\d\]-]|,\d)")),
)
# Around a month name (found by token lookup, not by a regex alternation of every month: much faster).
_DAYS_BEFORE: Final = re.compile(
    r"(?<!\d)(\d{1,2})(?:st|nd|rd|th|er|\.)?\s*(?:-|–|to|au|bis|до|and)\s*(\d{1,2})(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?$"
)
_DAY_BEFORE: Final = re.compile(r"(?<![\d,.])(\d{1,2})(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?$")
_DAY_YEAR_AFTER: Final = re.compile(rf"^\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+{_YEAR})?(?![\d,.]\d)")
_YEAR_AFTER: Final = re.compile(rf"^\.?,?\s+(?:of\s+)?{_YEAR}(?!\d)")
_MONTH_LEAD: Final = re.compile(
    r"\b(?:in|since|by|until|from|early|late|mid|last|next|en|im|seit|в|у|с|з|depuis|début|fin)\s+(?:early\s+|late\s+)?$",
    re.IGNORECASE,
)


_MONTH_ABBREVIATIONS: Final = frozenset(
    ["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]
)


def _day_span(year: int, month: int, day: int | None = None, last_day: int | None = None) -> tuple[int, int] | None:
    try:
        if day is None:
            first = datetime.date(year, month, 1)
            last = datetime.date(year, month, calendar.monthrange(year, month)[1])
        else:
            first = datetime.date(year, month, day)
            last = datetime.date(year, month, last_day or day)
    except ValueError:
        return None
    return first.toordinal(), last.toordinal()


def _iso_value(value: str) -> tuple[int, int] | None:
    """The day interval of one resolved value: 2025-04-28, 2025-04, 2025, 2025-Q1, week of ..., autumn 2024, A/B."""
    value = value.strip()
    if "/" in value:
        parts = [_iso_value(part) for part in value.split("/", 1)]
        if parts[0] and parts[1]:
            return parts[0][0], parts[1][1]
        return None
    m = re.fullmatch(r"week of (\d{4})-(\d{2})-(\d{2})", value)
    if m:
        span = _day_span(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return (span[0], span[0] + 6) if span else None
    m = re.fullmatch(r"(spring|summer|autumn|fall|winter) (\d{4})", value)
    if m:
        first_month, last_month = _SEASON_MONTHS[m.group(1)]
        year = int(m.group(2))
        start = _day_span(year, first_month)
        end = _day_span(year + (last_month - 1) // 12, (last_month - 1) % 12 + 1)
        return (start[0], end[1]) if start and end else None
    m = re.fullmatch(r"(\d{4})-Q([1-4])", value)
    if m:
        year, quarter = int(m.group(1)), int(m.group(2))
        start = _day_span(year, 3 * quarter - 2)
        end = _day_span(year, 3 * quarter)
        return (start[0], end[1]) if start and end else None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
    if m:
        year = int(m.group(1))
        if m.group(3):
            return _day_span(year, int(m.group(2)), int(m.group(3)))
        if m.group(2):
            return _day_span(year, int(m.group(2)))
        start, end = _day_span(year, 1), _day_span(year, 12)
        return (start[0], end[1]) if start and end else None
    return None


def _context(tokens: tuple[Token, ...], start: int, end: int) -> frozenset[str]:
    near = neighbours(tokens, start, end, 4, 3)
    return frozenset(stem(t.lower) for t in near if t.lower.isalpha() and t.lower not in STOPWORDS)


def find_dates(
    text: str,
    *,
    published_at: datetime.date | None,
    language: str,
    resolve_relative: bool,
    tokens: tuple[Token, ...] | None = None,
) -> tuple[DateMention, ...]:
    """The dates and times of ``text``.

    Args:
        text: The claim (its context text when there is one: bracketed values are read).
        published_at: The publication date: the year of "12 October", relative dates when
            ``resolve_relative``.
        language: The claim's language (for the extractor's relative-date rules).
        resolve_relative: Resolve "on Monday", "last autumn" ... against ``published_at`` (when the
            text has no bracketed values of its own).
        tokens: ``tokenize(text)``, if the caller has it.

    Returns:
        The mentions in text order, none overlapping another.
    """
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    default_year = published_at.year if published_at else None
    tokens = tokenize(text) if tokens is None else tokens

    def add(kind: DateKind, span: tuple[int, int] | None, year_known: bool, start: int, end: int) -> None:
        if span is None or len(found) >= rules.MAX_VALUES_PER_CLAIM or any(start < b and a < end for a, b in taken):
            return
        taken.append((start, end))
        display = " ".join(text[start:end].strip("[] ").rstrip(".").split())
        statement = any(t.lower in _STATEMENT_VERBS for t in neighbours(tokens, start, end, 8, 3))
        found.append(
            DateMention(
                kind, span[0], span[1], year_known, display, start, end, _context(tokens, start, end), statement
            )
        )

    def calendar_span(
        year: str | None, month: int | None, day: int | None, last: int | None = None
    ) -> tuple[tuple[int, int] | None, bool]:
        if month is None:
            return None, False
        y = int(year) if year else default_year
        return _day_span(y or 2000, month, day, last), bool(year or default_year)

    # Brackets first (resolved values win), then dates around month names, then the other patterns.
    bracket = _PATTERNS[0][1]
    for m in bracket.finditer(text) if "[" in text else ():
        add("day", _iso_value(m.group(1)), True, m.start(), m.end())
    for tok in tokens:
        month = month_number(tok.lower)
        if month is None:
            continue
        if len(found) >= rules.MAX_VALUES_PER_CLAIM:
            break
        before, after = text[max(0, tok.start - 24) : tok.start], text[tok.end : tok.end + 16]
        tail = tok.end  # where ``after`` starts ("Sept. 16": after the abbreviation's period)
        if after.startswith(".") and tok.lower in _MONTH_ABBREVIATIONS:
            after, tail = after[1:], tail + 1
        days = _DAYS_BEFORE.search(before)
        day = _DAY_BEFORE.search(before)
        day_year = _DAY_YEAR_AFTER.match(after)
        year = _YEAR_AFTER.match(after)
        year_text = (year.group(1) if year else None) if not day_year else day_year.group(2)
        if days:
            span, known = calendar_span(year_text, month, int(days.group(1)), int(days.group(2)))
            add("day", span, known, tok.start - len(before) + days.start(), tail + year.end() if year else tok.end)
        elif day:
            span, known = calendar_span(year.group(1) if year else None, month, int(day.group(1)))
            add("day", span, known, tok.start - len(before) + day.start(), tail + year.end() if year else tok.end)
        elif day_year and not year:
            span, known = calendar_span(day_year.group(2), month, int(day_year.group(1)))
            add("day", span, known, tok.start, tail + day_year.end())
        elif year:
            span, known = calendar_span(year.group(1), month, None)
            add("day", span, known, tok.start, tail + year.end())
        elif _MONTH_LEAD.search(before) and (tok.lower not in AMBIGUOUS or tok.text[:1].isupper()):
            span, known = calendar_span(None, month, None)
            add("day", span, known, tok.start, tok.end)
    has_digit = any(c.isdigit() for c in text)
    for name, pattern in _PATTERNS[1:]:
        if not has_digit or (name == "ko_date" and "월" not in text and "月" not in text):
            continue
        for m in pattern.finditer(text):
            start, end = m.span()
            if name == "iso":
                day_of_month = int(m.group(3)) if m.group(3) else None
                add("day", _day_span(int(m.group(1)), int(m.group(2)), day_of_month), True, start, end)
            elif name == "season_year":
                add("day", _iso_value(f"{m.group(1).lower()} {m.group(2)}"), True, start, end)
            elif name == "ko_date":
                cjk_day = int(m["day"]) if m["day"] else None
                span, known = calendar_span(m["year"], int(m["month"]), cjk_day)
                add("day", span, known, start, end)
            elif name in {"time", "clock"}:
                hour, minute = int(m.group(1)), int(m.group(2) or 0)
                suffix = (m.group(3) or "").lower() if name == "time" else ""
                if suffix.startswith("p") and hour < 12:
                    hour += 12
                if hour < 24 and minute < 60:
                    add("time", (hour * 60 + minute, hour * 60 + minute), True, start, end)
            elif name == "year":
                add("day", _iso_value(m.group(1)), True, start, end)
    if resolve_relative and published_at is not None and "[" not in text:
        for mention in resolve_relative_dates(
            text, published_at, language if language in {"en", "fr", "ru", "ko"} else "en"
        ):
            add("day", _iso_value(mention.value), True, mention.start, mention.end)
    # "on October 18 [2024-10-18]": the bracketed value stands for the words before it.
    # It covers those words too, so that no one reads "Sept. 15" as figures.
    brackets = [d for d in found if text[d.start] == "["]
    covered: dict[int, int] = {}  # bracket start -> start of the words it stands for
    kept = []
    for d in found:
        resolved = next((b for b in brackets if d is not b and 0 <= b.start - d.end <= 2), None)
        if resolved is None or text[d.start] == "[":
            kept.append(d)
        else:
            covered[resolved.start] = min(covered.get(resolved.start, d.start), d.start)
    found = [dataclasses.replace(d, start=covered[d.start]) if d.start in covered else d for d in kept]
    found.sort(key=lambda d: d.start)
    return tuple(found)


def overlaps(a: DateMention, b: DateMention) -> bool:
    """Whether two mentions of the same kind can denote the same day (or time)."""
    if a.kind != b.kind:
        return False
    if a.kind == "day":
        return days_overlap((a.first, a.last, a.year_known), (b.first, b.last, b.year_known))
    return a.first <= b.last and b.first <= a.last


def days_overlap(a: tuple[int, int, bool], b: tuple[int, int, bool]) -> bool:
    """Whether two spans of days (first and last ordinal, whether the year is known) can share a day; a span
    without its year ("12 October") is compared within the year."""
    if a[2] and b[2]:
        return a[0] <= b[1] and b[0] <= a[1]
    a_first, a_last = _within_year(a[0], a[1])
    b_first, b_last = _within_year(b[0], b[1])
    return a_first <= b_last and b_first <= a_last


def _within_year(first_day: int, last_day: int) -> tuple[int, int]:
    """The span as (month, day) keys: a day of the year by its day number would shift by one after February
    between a leap year (where a date without a year is placed) and another year."""
    first = datetime.date.fromordinal(first_day)
    last = datetime.date.fromordinal(last_day)
    if last.year != first.year:
        return 0, 13 * 32
    return first.month * 32 + first.day, last.month * 32 + last.day
