"""Month names: the one table of the service (extraction's dates, the relations engine's dates, the cross-lingual
anchors), so that a language one of them knows the others know too.

Full names and the usual abbreviations in English, French, German, Spanish, Italian and Portuguese, and the
names in Dutch, Polish (the genitive dates take, "22 czerwca", and the nominative), Romanian, Turkish and
Indonesian; Russian
and Ukrainian in the forms dates take (genitive "28 апреля", "15 травня"; prepositional / locative "в августе",
"у травні") and, for matching inside inflected words, their stems. Which of these are also ordinary words
("may", "mars", "mai", "май") is each caller's own concern: `AMBIGUOUS` lists them.
"""

# ruff: noqa: RUF001, RUF002
# (Cyrillic letters and the Turkish dotless i in the tables and the docstring are deliberate.)

from __future__ import annotations

import re
from typing import Final

_BY_MONTH: Final = (
    # en, fr, de, es, it, pt; abbreviations
    "january janvier januar jänner enero gennaio janeiro jan janv",
    "february février fevrier februar febrero febbraio fevereiro feb févr fevr",
    "march mars märz marzo março mar",
    "april avril abril aprile apr avr",
    "may mai mayo maggio maio",
    "june juin juni junio giugno junho jun",
    "july juillet juli julio luglio julho jul juil",
    "august août aout agosto aug",
    "september septembre septiembre setiembre settembre setembro sep sept",
    "october octobre oktober octubre ottobre outubro oct",
    "november novembre noviembre novembro nov",
    "december décembre decembre dezember diciembre dicembre dezembro dec déc",
)
_MORE_BY_MONTH: Final = (
    # nl, pl (genitive, nominative), ro, tr (with and without its letters), id: where they differ from the above
    "januari stycznia styczeń ianuarie ocak",
    "februari lutego luty februarie şubat subat",
    "maart marca marzec martie mart maret",
    "kwietnia kwiecień aprilie nisan",
    "mei maja maj mayıs mayis",
    "czerwca czerwiec iunie haziran",
    "lipca lipiec iulie temmuz",
    "augustus sierpnia sierpień ağustos agustos agustus",
    "września wrzesień septembrie eylül eylul",
    "października październik octombrie ekim",
    "listopada listopad noiembrie kasım kasim",
    "grudnia grudzień decembrie aralık aralik desember",
)
_ARABIC: Final = (
    # Arabic: the names of Egypt and the Gulf, then the Levant's one-word names (with and without hamza; its
    # two-word names for January, October, November and December are not read)
    "يناير",
    "فبراير شباط",
    "مارس آذار اذار",
    "أبريل ابريل إبريل نيسان",
    "مايو أيار ايار",
    "يونيو يونيه حزيران",
    "يوليو يوليه تموز",
    "أغسطس اغسطس آب",
    "سبتمبر أيلول ايلول",
    "أكتوبر اكتوبر",
    "نوفمبر",
    "ديسمبر",
)
_SLAVIC_FORMS: Final = (
    "января январе январь січня січні",
    "февраля феврале февраль лютого лютому",
    "марта марте март березня березні",
    "апреля апреле апрель квітня квітні",
    "мая мае май травня травні",
    "июня июне июнь червня червні",
    "июля июле июль липня липні",
    "августа августе август серпня серпні",
    "сентября сентябре сентябрь вересня вересні",
    "октября октябре октябрь жовтня жовтні",
    "ноября ноябре ноябрь листопада листопаді",
    "декабря декабре декабрь грудня грудні",
)
# Stems of the Cyrillic names, for words the forms above do not list (other cases).
_SLAVIC_STEMS: Final = (
    "январ січн",
    "феврал лют",
    "март берез",
    "апрел квіт",
    "травн",
    "июн червн",
    "июл липн",
    "август серпн",
    "сентябр вересн",
    "октябр жовтн",
    "ноябр листопад",
    "декабр грудн",
)

MONTHS: Final[dict[str, int]] = {
    name: number
    for table in (_BY_MONTH, _MORE_BY_MONTH, _SLAVIC_FORMS, _ARABIC)
    for number, names in enumerate(table, start=1)
    for name in names.split()
}
MONTH_STEMS: Final[dict[str, int]] = {
    stem: number for number, stems in enumerate(_SLAVIC_STEMS, start=1) for stem in stems.split()
}
# Month names that are also ordinary words or abbreviations of them: a month only next to a day, a year or a
# preposition of time, as each caller decides.
AMBIGUOUS: Final = frozenset(
    {
        "may",
        "march",
        "mars",
        "mai",
        "mar",
        "jan",
        "sept",
        "мая",
        "май",
        "мае",
        "mei",
        "maj",
        "maja",
        "mart",
        "ocak",
        "nisan",
        "ekim",
        "kasım",
        "kasim",
        "maret",
        "مارس",  # also "he practised"
        "آب",
    }
)
# An alternation of every name, longest first (a regex fragment; a dot may follow an abbreviation).
MONTH_PATTERN: Final = "(?:" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + r")\.?"
# Korean, Japanese and Chinese dates, written with numbers and the characters for year, month and day: 2023년 9월 8일,
# 2023年9月8日, 4월, 4月26日 (the year and the day are optional; the month is not checked to be 1..12).
CJK_DATE: Final = re.compile(
    r"(?:(?P<year>\d{4})\s?[년年]\s*)?(?P<month>\d{1,2})\s?[월月]\s*(?:(?P<day>\d{1,2})\s?[일日])?"
)


def month_number(word: str) -> int | None:
    """1..12 for a month name, abbreviation or inflected Cyrillic form, else None."""
    key = word.lower().rstrip(".")
    found = MONTHS.get(key)
    if found is not None:
        return found
    return next((number for stem, number in MONTH_STEMS.items() if key.startswith(stem)), None)
