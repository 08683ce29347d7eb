"""Dates in article text: month names in the supported languages, date lines, and relative dates.

`resolve_relative_dates` finds expressions such as "on Monday", "over the weekend", "last year",
"in August", "в понедельник" or "l'an dernier" in one sentence and tells what calendar date, month
or year they denote, given the article's publication date. News prose reports the past, so a bare
weekday or month means the most recent one at or before publication, unless the sentence speaks of
the future ("will", "is due to", "будет", "prochain"...), in which case it is the next one.
"""

# Russian, French and Korean words and typographic quotes in the lexicons are deliberate.
# ruff: noqa: RUF001

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from service.text.months import month_number

__all__ = ["DateMention", "resolve_relative_dates"]


# --------------------------------------------------------------------------- relative dates


@dataclass(frozen=True, slots=True)
class DateMention:
    """A relative date expression in a sentence and what it denotes (ISO form)."""

    start: int
    end: int
    value: str


_EN_DAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FR_DAYS: Final = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
# Accusative after "в/во": "в понедельник", "в среду", "в пятницу", "в субботу"; nominative for "прошлый ...".
_RU_DAYS: Final = (
    ("понедельник",),
    ("вторник",),
    ("среду", "среда"),
    ("четверг",),
    ("пятницу", "пятница"),
    ("субботу", "суббота"),
    ("воскресенье",),
)
_KO_DAYS: Final = ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일")
_SEASONS: Final[dict[str, tuple[str, int]]] = {
    "spring": ("spring", 3), "summer": ("summer", 6), "autumn": ("autumn", 9), "fall": ("autumn", 9),
    "winter": ("winter", 12),
    "printemps": ("spring", 3), "été": ("summer", 6), "automne": ("autumn", 9), "hiver": ("winter", 12),
    "весной": ("spring", 3), "летом": ("summer", 6), "осенью": ("autumn", 9), "зимой": ("winter", 12),
}  # fmt: skip
_NUMBER_WORDS: Final = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip

# Tense of the clause a bare weekday or month sits in decides whether it points back or forward.
_FUTURE = re.compile(
    r"\b(?:will|won't|shall|'ll|is\s+(?:due|set|scheduled|expected|to)|are\s+(?:due|set|scheduled|expected|to)"
    r"|plans?\s+to|planned\s+for|scheduled|upcoming|next|expects?|expected|from\s+\w+\s+onwards"
    r"|sera|seront|devra|devront|doit|doivent|prévu|prévue|prochain|prochaine|aura\s+lieu"
    r"|\w{2,}(?:era|eront|ira|iront|dra|dront|rra|rront|ura|uront)"
    r"|будет|будут|состоится|планирует|планируется|намерен|намерены|начнется|начнётся|пройдет|пройдёт)\b"
    r"|것으로|예정|계획|전망",
    re.IGNORECASE,
)
_PAST = re.compile(
    r"\b(?:was|were|had|did|said|made|took|came|went|got|gave|saw|began|fell|rose|grew|broke|won|lost|left"
    r"|met|held|kept|sent|spent|paid|built|ran|spoke|told|hit|led|brought|bought|sold|chose|drove|flew|fought"
    r"|[a-z]{2,}ed)\b"
    r"|\b(?:a|ont|avait|avaient|était|étaient|fut|furent)\s+(?:été\s+)?[a-zéèêàç]{2,}[éiust]e?s?\b"
    r"|\b[а-яё]{3,}(?:л|ла|ло|ли)(?:сь|ся)?\b"
    r"|했다|였다|었다|았다|됐다",
    re.IGNORECASE,
)
# English present tense of a scheduled event: "the council votes on Thursday".
_SCHEDULE = re.compile(
    r"\b(?:is|are|begins?|starts?|opens?|meets?|votes?|takes\s+place|runs?|closes?|ends?|resumes?|arrives?)\b"
    r"|\b[а-яё]{3,}(?:ет|ит|ут|ют|ется|ится|утся|ятся)\b",
    re.IGNORECASE,
)
# A date right after a verb of saying is when it was said: "said on Monday", "a annoncé lundi".
_SAID_BEFORE = re.compile(
    r"(?:said|says|announced|confirmed|reported|told\s+\w+|stated|added|wrote|a\s+annoncé|a\s+déclaré|a\s+indiqué"
    r"|publiée?s?|заявил\w*|сообщил\w*|объявил\w*)[ \t]+(?:on[ \t]+|last[ \t]+)?$",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[,;:()\u2013\u2014]| - ")


def _iso_week(day: datetime.date) -> str:
    monday = day - datetime.timedelta(days=day.weekday())
    return f"week of {monday.isoformat()}"


def _month_iso(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _weekday(pub: datetime.date, weekday: int, mode: str) -> str:
    """mode: "past" (most recent at or before pub), "last" (strictly before), "next"/"future" (after)."""
    back = (pub.weekday() - weekday) % 7
    if mode == "past":
        return (pub - datetime.timedelta(days=back)).isoformat()
    if mode == "last":
        return (pub - datetime.timedelta(days=back or 7)).isoformat()
    ahead = (weekday - pub.weekday()) % 7 or 7
    return (pub + datetime.timedelta(days=ahead)).isoformat()


def _weekend(pub: datetime.date, mode: str) -> str:
    if mode in ("next", "future", "coming"):
        saturday = pub + datetime.timedelta(days=(5 - pub.weekday()) % 7 or 7)
    elif mode == "this" and pub.weekday() < 5:
        saturday = pub + datetime.timedelta(days=5 - pub.weekday())  # "this weekend" said on a weekday
    else:
        saturday = pub - datetime.timedelta(days=(pub.weekday() - 5) % 7)
        if mode == "last" and pub.weekday() >= 5:
            saturday -= datetime.timedelta(days=7)
    return f"{saturday.isoformat()}/{(saturday + datetime.timedelta(days=1)).isoformat()}"


def _month(pub: datetime.date, month: int, mode: str) -> str:
    if mode == "last":  # "last August": the most recent one strictly before the current month
        year = pub.year if month < pub.month else pub.year - 1
    elif mode == "next":
        year = pub.year if month > pub.month else pub.year + 1
    elif mode == "future":
        year = pub.year if month >= pub.month else pub.year + 1
    else:
        year = pub.year if month <= pub.month else pub.year - 1
    return _month_iso(year, month)


def _season(pub: datetime.date, first_month: int, mode: str) -> int:
    """The year in which the meant season starts (seasons are three months; winter starts in December)."""
    recent = pub.year if pub.month >= first_month else pub.year - 1  # latest start at or before pub
    running = (pub.month - first_month) % 12 < 3
    if mode == "last":
        return recent - 1 if running else recent
    if mode in ("next", "future"):
        return recent + 1
    if mode == "this":
        return recent if running else recent + 1  # "this summer" said in spring: the coming one
    return recent  # "since the autumn": the last one that began


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    resolve: Callable[[re.Match[str], datetime.date, bool], str | None]
    needles: tuple[str, ...] = ()  # the rule only runs on a sentence containing one of these (lower case)


def _rule(
    pattern: str,
    resolve: Callable[[re.Match[str], datetime.date, bool], str | None],
    needles: tuple[str, ...] = (),
) -> _Rule:
    return _Rule(re.compile(pattern, re.IGNORECASE), resolve, needles)


_DAY_NEEDLES: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NEEDLES: Final = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_SEASON_NEEDLES: Final = ("spring", "summer", "autumn", "fall", "winter")


def _mode(word: str | None, future: bool) -> str:
    word = (word or "").lower()
    if word in ("last", "past", "dernier", "dernière", "прошлый", "прошлую", "прошлое", "прошлой", "지난"):
        return "last"
    if word in ("next", "coming", "prochain", "prochaine", "следующий", "следующую", "следующее", "다음"):
        return "next"
    if word in ("this", "ce", "cette", "этот", "эту", "это", "этой"):
        return "this"
    return "future" if future else "past"


_DEADLINE_BEFORE = re.compile(r"\b(?:before|by|until|till|ahead of|avant le|d'ici le|до)[ \t]+$", re.IGNORECASE)
_MODIFIER_BEFORE = re.compile(r"\b(last|this|next|past|coming)[ \t]+$", re.IGNORECASE)
_NUMBER_BEFORE = re.compile(r"\b(\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten)[ \t]+$", re.IGNORECASE)


def _en_weekday(match: re.Match[str], pub: datetime.date, future: bool) -> str:
    before = _MODIFIER_BEFORE.search(match.string, max(0, match.start() - 8), match.start())
    mode = _mode(before.group(1) if before else None, future)
    day = _EN_DAYS.index(match.group("day").lower())
    return _weekday(pub, day, {"this": "future" if future else "past"}.get(mode, mode))


def _fr_weekday(match: re.Match[str], pub: datetime.date, future: bool) -> str:
    mode = _mode(match.groupdict().get("mod") or match.groupdict().get("mod2"), future)
    day = _FR_DAYS.index(match.group("day").lower())
    return _weekday(pub, day, {"this": "future" if future else "past"}.get(mode, mode))


def _ru_weekday(match: re.Match[str], pub: datetime.date, future: bool) -> str:
    word = match.group("day").lower()
    day = next(i for i, forms in enumerate(_RU_DAYS) if word in forms)
    mode = _mode(match.groupdict().get("mod"), future)
    return _weekday(pub, day, {"this": "future" if future else "past"}.get(mode, mode))


def _ko_weekday(match: re.Match[str], pub: datetime.date, future: bool) -> str:
    day = _KO_DAYS.index(match.group("day"))
    return _weekday(
        pub,
        day,
        _mode(match.groupdict().get("mod"), future) if match.group("mod") else ("future" if future else "past"),
    )


def _relative_day(offset: int) -> Callable[[re.Match[str], datetime.date, bool], str]:
    return lambda _m, pub, _f: (pub + datetime.timedelta(days=offset)).isoformat()


def _week(offset: int) -> Callable[[re.Match[str], datetime.date, bool], str]:
    return lambda _m, pub, _f: _iso_week(pub + datetime.timedelta(weeks=offset))


def _month_offset(offset: int) -> Callable[[re.Match[str], datetime.date, bool], str]:
    return lambda _m, pub, _f: _month_iso(*_shift_month(pub.year, pub.month, offset))


def _year_offset(offset: int) -> Callable[[re.Match[str], datetime.date, bool], str]:
    return lambda _m, pub, _f: f"{pub.year + offset:04d}"


def _keyword_day(match: re.Match[str], pub: datetime.date, _future: bool) -> str:
    word = " ".join(match.group("kw").lower().split())
    offset = -2 if "before" in word else -1 if word in ("yesterday", "last night") else 1 if word == "tomorrow" else 0
    return (pub + datetime.timedelta(days=offset)).isoformat()


def _keyword_period(match: re.Match[str], pub: datetime.date, _future: bool) -> str:
    rel = match.group("rel").lower().split()[-1]
    offset = {"this": 0, "last": -1, "past": -1, "next": 1}[rel]
    unit = match.group("unit").lower()
    if unit == "week":
        return _iso_week(pub + datetime.timedelta(weeks=offset))
    if unit == "month":
        return _month_iso(*_shift_month(pub.year, pub.month, offset))
    return f"{pub.year + offset:04d}"


def _weekend_rule(match: re.Match[str], pub: datetime.date, future: bool) -> str:
    return _weekend(pub, _mode(match.groupdict().get("mod"), future))


def _named_month(match: re.Match[str], pub: datetime.date, future: bool) -> str | None:
    month = month_number(match.group("month"))
    if month is None:
        return None
    mode = _mode(match.groupdict().get("mod"), future)
    if mode == "this":
        return _month_iso(pub.year, month)
    # "an increase from July": a starting point later in the year is ahead, whatever the verb's tense.
    starts_later = match.group().lower().startswith(("from", "à partir", "с ")) or re.search(
        r"\b(?:starting|beginning|effective|from)[ \t]+$", match.string[max(0, match.start() - 12) : match.start()]
    )
    if mode == "past" and starts_later and month > pub.month:
        return _month_iso(pub.year, month)
    return _month(pub, month, mode)


def _month_day(match: re.Match[str], pub: datetime.date, future: bool) -> str | None:
    month = month_number(match.group("month"))
    if month is None:
        return None
    # "before May 9", "by June 12", "until March 3": a deadline later in the year lies ahead.
    if _DEADLINE_BEFORE.search(match.string, max(0, match.start() - 14), match.start()):
        future = future or (month, int(match.group("d"))) > (pub.month, pub.day)
    day = int(match.group("d"))
    year_month = _month(pub, month, "future" if future else "past")
    year = int(year_month[:4])
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        return None
    # Same month, later day, past tense: last year's.
    if not future and date > pub:
        try:
            date = date.replace(year=date.year - 1)
        except ValueError:
            return None
    return date.isoformat()


def _ko_month(match: re.Match[str], pub: datetime.date, future: bool) -> str | None:
    month = int(match.group("m"))
    if not 1 <= month <= 12:
        return None
    if match.group("d"):
        day = int(match.group("d"))
        year = pub.year if (month, day) <= (pub.month, pub.day) or future else pub.year - 1
        try:
            return datetime.date(year, month, day).isoformat()
        except ValueError:
            return None
    return _month(pub, month, "future" if future else "past")


_QUARTERS: Final = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "premier": 1, "deuxième": 2, "troisième": 3,
    "quatrième": 4, "первом": 1, "втором": 2, "третьем": 3, "четвертом": 4, "четвёртом": 4,
}  # fmt: skip


def _quarter(match: re.Match[str], pub: datetime.date, future: bool) -> str | None:
    word = match.group("q").lower()
    current = (pub.month - 1) // 3 + 1
    if word in ("final", "last", "dernier"):
        quarter, year = (4, pub.year - 1) if not future else (4, pub.year)
    else:
        quarter = _QUARTERS[word]
        year = pub.year if quarter <= current or future else pub.year - 1
    return f"{year:04d}-Q{quarter}"


def _month_range(match: re.Match[str], pub: datetime.date, future: bool) -> str | None:
    first, last = month_number(match.group("month")), month_number(match.group("month2"))
    if first is None or last is None:
        return None
    end = _month(pub, last, "future" if future else "past")
    end_year = int(end[:4])
    start_year = end_year if first <= last else end_year - 1
    return f"{_month_iso(start_year, first)}/{end}"


def _ko_day(match: re.Match[str], pub: datetime.date, future: bool) -> str | None:
    day = int(match.group("d"))
    year, month = pub.year, pub.month
    if day > pub.day and not future:
        year, month = _shift_month(year, month, -1)
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def _season_rule(match: re.Match[str], pub: datetime.date, future: bool) -> str | None:
    name, first = _SEASONS[match.group("season").lower()]
    return f"{name} {_season(pub, first, _mode(match.groupdict().get('mod'), future))}"


def _ago(match: re.Match[str], pub: datetime.date, _future: bool) -> str | None:
    number = _NUMBER_BEFORE.search(match.string, max(0, match.start() - 8), match.start())
    if number is None:
        return None
    raw = number.group(1).lower()
    count = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw)
    if count is None or count > 100:
        return None
    unit = match.group("unit").lower().rstrip("s")
    if unit == "day":
        return (pub - datetime.timedelta(days=count)).isoformat()
    if unit == "week":
        return _iso_week(pub - datetime.timedelta(weeks=count))
    if unit == "month":
        return _month_iso(*_shift_month(pub.year, pub.month, -count))
    return _month_iso(pub.year - count, pub.month)


_EN_DAY = "|".join(_EN_DAYS)
_FR_DAY = "|".join(_FR_DAYS)
_RU_DAY = "|".join(form for forms in _RU_DAYS for form in forms)
# Case-sensitive: "may" and "march" are also ordinary words.
_EN_MONTH = (
    r"(?-i:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_FR_MONTH = r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
_RU_MONTH_PREP = r"январе|феврале|марте|апреле|мае|июне|июле|августе|сентябре|октябре|ноябре|декабре"
_RU_MONTH_GEN = r"января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
# An explicit year after a month ("August 2024", "août 2024") makes it absolute: not ours.
_NO_YEAR = r"(?![ \t]*,?[ \t]*(?:of[ \t]+)?\d{4}\b)(?![ \t]+\d{1,2}\b)"
_B = r"(?<![\w-])"  # word start that also refuses "mid-"/"-" compounds handled explicitly

_RULES: Final[dict[str, tuple[_Rule, ...]]] = {
    "en": (
        _rule(
            rf"{_B}(?P<kw>(?:the[ \t]+)?day[ \t]+before[ \t]+yesterday|yesterday|last[ \t]+night"
            r"|(?:earlier[ \t]+|later[ \t]+)?today|this[ \t]+(?:morning|afternoon|evening)|tonight|tomorrow)\b",
            _keyword_day,
        ),
        _rule(rf"{_B}(?:(?:over|at|during)[ \t]+the|(?P<mod>this|last|next|past))[ \t]+weekend\b", _weekend_rule),
        # The day name comes first so the regex engine can skip ahead to it; "last/next/this" is read back.
        _rule(rf"\b(?P<day>{_EN_DAY})(?:['’]s)?\b(?![ \t]*,?[ \t]*(?:{_EN_MONTH}|\d))", _en_weekday),
        _rule(
            rf"{_B}(?P<rel>(?:earlier[ \t]+|later[ \t]+)?this|last|past|next)[ \t]+(?P<unit>week|month|year)\b",
            _keyword_period,
        ),
        _rule(r"\b(?P<unit>days?|weeks?|months?|years?)[ \t]+ago\b", _ago),
        _rule(
            rf"{_B}(?:(?P<mod>last|this|next|past)[ \t]+)(?P<season>spring|summer|autumn|fall|winter)\b", _season_rule
        ),
        _rule(rf"{_B}(?:the[ \t]+)?end[ \t]+of[ \t]+(?:the|this)[ \t]+month\b", _month_offset(0)),
        _rule(rf"{_B}(?:the[ \t]+)?end[ \t]+of[ \t]+(?:the|this)[ \t]+year\b", _year_offset(0)),
        _rule(
            rf"{_B}(?:in[ \t]+)?the[ \t]+(?P<q>first|second|third|fourth|final|last)[ \t]+quarter\b"
            r"(?![ \t]+of[ \t]+\d)",
            _quarter,
        ),
        _rule(
            rf"\b(?:between|from)[ \t]+(?P<month>{_EN_MONTH})[ \t]+(?:and|to|through)[ \t]+"
            rf"(?P<month2>{_EN_MONTH}){_NO_YEAR}\b",
            _month_range,
        ),
        _rule(
            r"\b(?:since|in|during|over|through)[ \t]+the[ \t]+(?P<season>spring|summer|autumn|fall|winter)\b",
            _season_rule,
        ),
        # "on April 5" / "April 5" / "5 April" without a year
        _rule(
            rf"{_B}(?P<month>{_EN_MONTH})[ \t]+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?![ \t]*,?[ \t]*\d{{4}})", _month_day
        ),
        _rule(
            rf"{_B}(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?(?P<month>{_EN_MONTH})\b"
            r"(?![ \t]*,?[ \t]*\d{4})",
            _month_day,
        ),
        # "in August", "last August", "since March", "in early/mid-/late September"
        _rule(
            rf"(?:{_B}(?P<mod>last|this|next|past)[ \t]+|\b(?:in|since|until|by|from|during|through|before|after|to)"
            rf"[ \t]+(?:(?:early|late|mid)[ \t-]+|mid-)?)(?P<month>{_EN_MONTH}){_NO_YEAR}\b",
            _named_month,
        ),
        # A bare month in running text ("If May is dry", "in April and May").
        _rule(rf"(?<=[a-z,] )(?P<month>{_EN_MONTH}){_NO_YEAR}\b(?!['’]s)", _named_month),
    ),
    "fr": (
        _rule(r"(?<![\w-])avant-hier\b", _relative_day(-2)),
        _rule(r"(?<![\w-])hier(?:[ \t]+soir)?\b", _relative_day(-1)),
        _rule(r"(?<![\w-])aujourd['’]hui\b|(?<![\w-])ce[ \t]+(?:matin|soir)\b", _relative_day(0)),
        _rule(r"(?<![\w-])demain\b", _relative_day(1)),
        _rule(r"(?<![\w-])(?:ce|le)[ \t]+week-end(?:[ \t]+(?P<mod>dernier|prochain))?\b", _weekend_rule),
        _rule(
            rf"(?<![\w-])(?:(?P<mod>ce)[ \t]+)?(?P<day>{_FR_DAY})\b(?:[ \t]+(?:matin|soir|après-midi))?"
            rf"(?:[ \t]+(?P<mod2>dernier|prochain))?(?![ \t]+\d)",
            _fr_weekday,
        ),
        _rule(
            r"(?<![\w-])(?:l['’]|le[ \t]+)(?P<season>été|automne|hiver|printemps)[ \t]+(?P<mod>dernier|prochain)\b",
            _season_rule,
        ),
        _rule(
            r"(?<![\w-])(?:au|du)[ \t]+(?P<q>premier|deuxième|second|troisième|quatrième|dernier)[ \t]+trimestre\b",
            _quarter,
        ),
        _rule(r"(?<![\w-])(?:d['’]ici|avant)[ \t]+la[ \t]+fin[ \t]+de[ \t]+l['’]année\b", _year_offset(0)),
        _rule(r"(?<![\w-])la[ \t]+semaine[ \t]+dernière\b", _week(-1)),
        _rule(r"(?<![\w-])cette[ \t]+semaine\b", _week(0)),
        _rule(r"(?<![\w-])la[ \t]+semaine[ \t]+prochaine\b", _week(1)),
        _rule(r"(?<![\w-])le[ \t]+mois[ \t]+dernier\b", _month_offset(-1)),
        _rule(r"(?<![\w-])ce[ \t]+mois-ci\b", _month_offset(0)),
        _rule(r"(?<![\w-])(?:l['’]an|l['’]année)[ \t]+(?:dernier|dernière|passée?)\b", _year_offset(-1)),
        _rule(r"(?<![\w-])cette[ \t]+année\b", _year_offset(0)),
        _rule(r"(?<![\w-])(?:l['’]an|l['’]année)[ \t]+prochaine?\b", _year_offset(1)),
        _rule(
            r"(?<![\w-])(?:en|depuis|dès|jusqu['’]en|d['’]ici)[ \t]+(?:(?:début|fin|mi-)[ \t-]*)?"
            rf"(?P<month>{_FR_MONTH})"
            rf"(?:[ \t]+(?P<mod>dernier|prochain))?{_NO_YEAR}\b",
            _named_month,
        ),
        _rule(
            rf"(?<![\w-])(?:le[ \t]+)?(?P<d>\d{{1,2}})(?:er)?[ \t]+(?P<month>{_FR_MONTH})\b(?![ \t]+\d{{4}})",
            _month_day,
        ),
    ),
    "ru": (
        _rule(r"(?<![\w-])позавчера\b", _relative_day(-2)),
        _rule(r"(?<![\w-])вчера\b|(?<![\w-])вчерашн\w{1,4}[ \t]+день", _relative_day(-1)),
        _rule(r"(?<![\w-])сегодня\b", _relative_day(0)),
        _rule(r"(?<![\w-])завтра\b", _relative_day(1)),
        _rule(
            r"(?<![\w-])(?:во?|в[ \t]+(?P<mod>прошлый|прошлую|прошлое|следующий|следующую|этот|эту))[ \t]+"
            rf"(?P<day>{_RU_DAY})\b",
            _ru_weekday,
        ),
        _rule(r"(?<![\w-])(?:в|на)[ \t]+(?:(?P<mod>прошлые|эти|этих)[ \t]+)?выходн(?:ые|ых)\b", _weekend_rule),
        _rule(rf"(?<![\w-])в[ \t]+ночь[ \t]+на[ \t]+(?P<day>{_RU_DAY})\b", _ru_weekday),
        _rule(r"(?<![\w-])в[ \t]+(?P<q>первом|втором|третьем|четвертом|четвёртом)[ \t]+квартале\b", _quarter),
        _rule(r"(?<![\w-])до[ \t]+конца[ \t]+(?:этого[ \t]+)?года\b", _year_offset(0)),
        _rule(r"(?<![\w-])до[ \t]+конца[ \t]+(?:этого[ \t]+)?месяца\b", _month_offset(0)),
        _rule(r"(?<![\w-])на[ \t]+прошлой[ \t]+неделе\b", _week(-1)),
        _rule(r"(?<![\w-])на[ \t]+этой[ \t]+неделе\b", _week(0)),
        _rule(r"(?<![\w-])на[ \t]+следующей[ \t]+неделе\b", _week(1)),
        _rule(r"(?<![\w-])в[ \t]+прошлом[ \t]+месяце\b", _month_offset(-1)),
        _rule(r"(?<![\w-])в[ \t]+этом[ \t]+месяце\b", _month_offset(0)),
        _rule(r"(?<![\w-])в[ \t]+прошлом[ \t]+году\b", _year_offset(-1)),
        _rule(r"(?<![\w-])в[ \t]+этом[ \t]+году\b", _year_offset(0)),
        _rule(r"(?<![\w-])в[ \t]+следующем[ \t]+году\b", _year_offset(1)),
        _rule(
            r"(?<![\w-])(?:(?P<mod>прошлой|этой|следующей)[ \t]+)(?P<season>весной|летом|осенью|зимой)\b", _season_rule
        ),
        _rule(
            r"(?<![\w-])(?:в|с|до|к)[ \t]+(?:начале[ \t]+|конце[ \t]+|середине[ \t]+)?"
            rf"(?P<month>{_RU_MONTH_PREP}){_NO_YEAR}\b",
            _named_month,
        ),
        _rule(rf"(?<![\w-])(?P<d>\d{{1,2}})[ \t]+(?P<month>{_RU_MONTH_GEN})\b(?![ \t]+\d{{4}})", _month_day),
    ),
    "ko": (
        _rule(r"어제|전날", _relative_day(-1)),
        _rule(r"오늘", _relative_day(0)),
        _rule(r"내일", _relative_day(1)),
        _rule(r"(?:지난해|작년)", _year_offset(-1)),
        _rule(r"올해", _year_offset(0)),
        _rule(r"내년", _year_offset(1)),
        _rule(r"지난달", _month_offset(-1)),
        _rule(r"지난주", _week(-1)),
        _rule(rf"(?:(?P<mod>지난|다음)[ \t]*)?(?P<day>{'|'.join(_KO_DAYS)})", _ko_weekday),
        _rule(r"(?<!\d)(?<!년[ \t])(?<!\d년)(?P<m>\d{1,2})월(?:[ \t]*(?P<d>\d{1,2})일)?", _ko_month),
        _rule(r"(?<![\d월])(?<!월[ \t])(?P<d>\d{1,2})일", _ko_day),
    ),
}

_EN_NEEDLES: Final[dict[object, tuple[str, ...]]] = {
    _keyword_day: ("yesterday", "today", "night", "tomorrow", "morning", "afternoon", "evening"),
    _weekend_rule: ("weekend",),
    _en_weekday: _DAY_NEEDLES,
    _keyword_period: ("week", "month", "year"),
    _ago: ("ago",),
    _season_rule: _SEASON_NEEDLES,
    _quarter: ("quarter",),
    _month_range: _MONTH_NEEDLES,
    _month_day: _MONTH_NEEDLES,
    _named_month: _MONTH_NEEDLES,
}
# English carries most traffic: each rule first checks for a word it cannot match without.
_RULES["en"] = tuple(
    _Rule(r.pattern, r.resolve, _EN_NEEDLES.get(r.resolve, ("end of",) if "end" in r.pattern.pattern else ()))
    for r in _RULES["en"]
)

# Cheap pre-check per language: a sentence with none of these has no relative date at all.
_TRIGGERS: Final = {
    "en": re.compile(
        r"(?i:day|yesterday|today|tonight|tomorrow|morning|afternoon|evening|night|week|month|year|ago|spring"
        r"|summer|autumn|fall|winter|quarter)|January|February|March|April|May|June|July|August|September"
        r"|October|November|December|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\."
    ),
    "fr": re.compile(
        r"(?i:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|hier|aujourd|demain|matin|soir|week-end|semaine"
        r"|mois|l['’]an|année|trimestre|été|automne|hiver|printemps|janvier|février|mars|avril|mai|juin|juillet"
        r"|août|septembre|octobre|novembre|décembre)"
    ),
    "ru": re.compile(
        r"(?i:вчера|сегодня|завтра|позавчера|понедельник|вторник|сред|четверг|пятниц|суббот|воскресен|недел|месяц"
        r"|год|выходн|весн|летом|осен|зим|квартал|ночь|январ|феврал|март|апрел|ма[ея]|июн|июл|август|сентябр"
        r"|октябр|ноябр|декабр)"
    ),
    "ko": re.compile(r"어제|전날|오늘|내일|지난|작년|올해|내년|요일|\d월|\d일"),
}


def resolve_relative_dates(sentence: str, published: datetime.date, language: str = "en") -> list[DateMention]:
    """Relative date expressions of one sentence, resolved against the publication date.

    Args:
        sentence: One sentence, whitespace-normalised.
        published: The article's publication date.
        language: The article's language (English rules for languages without their own).

    Returns:
        Non-overlapping mentions in sentence order; each ``value`` is an ISO date
        (``2025-04-28``), a month (``2024-08``), a year (``2024``), a quarter (``2025-Q1``),
        a range (``2025-04-26/2025-04-27``, ``2025-01/2025-03``), ``week of <monday>`` or
        ``<season> <year>``.
    """
    key = language if language in _RULES else "en"
    if not _TRIGGERS[key].search(sentence):
        return []
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    lowered = sentence.lower()
    for rule in _RULES[key]:
        if rule.needles and not any(needle in lowered for needle in rule.needles):
            continue
        for match in rule.pattern.finditer(sentence):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            value = rule.resolve(match, published, _points_forward(sentence, start, end))
            if value is None:
                continue
            taken.append((start, end))
            found.append(DateMention(start=start, end=end, value=value))
    found.sort(key=lambda m: m.start)
    return found


def _points_forward(sentence: str, start: int, end: int) -> bool:
    """Whether the clause around ``sentence[start:end]`` speaks of the future."""
    if _SAID_BEFORE.search(sentence, max(0, start - 30), start):
        return False
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(sentence)]
    left = max((b for b in breaks if b < start), default=-1) + 1
    right = min((b for b in breaks if b >= end), default=len(sentence))
    clause = sentence[left:start] + " " + sentence[end:right]
    if not clause.strip(" ,") and right < len(sentence):
        # "On Monday, the ministry will ...": the mention opens the sentence; read the next clause.
        following = min((b for b in breaks if b > right), default=len(sentence))
        clause = sentence[right + 1 : following]
    if _FUTURE.search(clause):
        return True
    if _PAST.search(clause):
        return False
    return bool(_SCHEDULE.search(clause))
