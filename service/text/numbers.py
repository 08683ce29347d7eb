"""Reading figures written with digits: the shared pieces of the relations engine's number reader and the
cross-lingual anchors (one reading of "10,000" / "10.000" / "10 000" and of Korean, Japanese and Chinese myriad
numbers)."""

from __future__ import annotations

import re
from typing import Final

from service.text.words import WordTable

# Scale words written after a figure ("1.2 million", "45mila", "5 миллиардов"), lower case. A word ending in * is a
# beginning that takes any ending ("миллион*": миллиона, миллионов); the others are whole words ("mil" is not "mile").
_SCALE_WORDS: Final[dict[str, float]] = {
    "thousand": 1e3, "thousands": 1e3, "k": 1e3, "million*": 1e6, "mn": 1e6, "m": 1e6, "billion*": 1e9, "bn": 1e9,
    "trillion*": 1e12,
    "mille": 1e3, "milliers": 1e3, "milliard*": 1e9, "md": 1e9,  # French
    "tausend*": 1e3, "mio": 1e6, "mrd": 1e9,  # German ("Millionen", "Milliarden" above)
    "тысяч*": 1e3, "тыс": 1e3, "миллион*": 1e6, "млн": 1e6, "миллиард*": 1e9, "млрд": 1e9, "трлн": 1e12,
    "тисяч*": 1e3, "тис": 1e3, "мільйон*": 1e6, "мільярд*": 1e9,
    "mil": 1e3, "millón": 1e6, "millones": 1e6,  # Spanish, Portuguese ("mil")
    "mila": 1e3, "milion*": 1e6, "miliard*": 1e9,  # Italian, Polish ("milioni", "milion", "miliardi")
    "milhão": 1e6, "milhões": 1e6, "bin": 1e3, "milyon": 1e6, "milyar": 1e9,  # Portuguese, Turkish
    "tys": 1e3, "tysięcy": 1e3, "tysiące": 1e3, "tysiąc": 1e3, "mln": 1e6, "mld": 1e9,  # Polish
    "duizend": 1e3, "miljoen": 1e6, "miljard": 1e9,  # Dutch
    "ألف": 1e3, "الف": 1e3, "آلاف": 1e3, "الاف": 1e3, "مليون*": 1e6, "ملايين": 1e6,  # Arabic (with and without hamza)
    "مليار*": 1e9, "بليون": 1e9, "تريليون": 1e12, "ترليون": 1e12,
}  # fmt: skip
_SCALES: Final = WordTable(_SCALE_WORDS.items())
# Letters this short are a scale only glued to the figure ("$4bn", "5m"): "5 m" is five metres.
_GLUED_ONLY: Final = frozenset({"m", "k"})


def scale_value(word: str, *, glued: bool = False) -> float | None:
    """What a word written after a figure multiplies it by ("million" -> 1e6, "mila" -> 1e3), or None.

    Args:
        word: The word, lower case.
        glued: Whether it touches the figure ("5m"): "m" and "k" count only then.
    """
    if word in _GLUED_ONLY and not glued:
        return None
    return _SCALES.get(word)


# Korean, Japanese and Chinese write large numbers with myriad units: 1만 / 1万 = 10,000, 41만1천 = 411,000,
# 18억 / 18億 / 18亿 = 1.8 billion, 3千万 = 30 million.
_MYRIAD_SMALL: Final = {"천": 1e3, "백": 1e2, "십": 1e1, "千": 1e3, "百": 1e2}
_MYRIAD_BIG: Final = {"조": 1e12, "억": 1e8, "만": 1e4, "兆": 1e12, "億": 1e8, "亿": 1e8, "万": 1e4, "萬": 1e4}
_MYRIAD_UNITS: Final = "".join((*_MYRIAD_BIG, *_MYRIAD_SMALL))
MYRIAD_NUMBER: Final = re.compile(
    rf"\d[\d,.]*\s?[{_MYRIAD_UNITS}]+(?:\s?\d[\d,.]*\s?[{_MYRIAD_UNITS}]+)*(?:\s?\d+(?!\d))?"
)
# A time of day, "10:30" or "21:05:10" (hour, minute and second groups): none of its numbers is a figure. Not inside a
# longer run of digits and colons ("1:2:3:4"); a letter may touch it ("2023-02-06T04:17").
CLOCK_TIME: Final = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d:])")
# The languages that write them (the relations engine reads myriad numbers in these only).
MYRIAD_LANGUAGES: Final = frozenset({"ko", "ja", "zh"})


def plain_number(token: str) -> float | None:
    """The value of a digit token, reading "10,000" / "10.000" / "10 000" as thousands and "4,25" as 4.25."""
    compact = re.sub(r"[ \u00a0\u202f]", "", token)
    groups = re.split(r"[,.]", compact)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3:
        # A separator followed by exactly three digits: thousands (news rarely has three decimals).
        return float("".join(groups))
    try:
        return float(compact.replace(",", "."))
    except ValueError:
        return None


def myriad_number(token: str) -> float | None:
    """The value of a number with myriad units ("41만1천" -> 411000.0, "3千万" -> 3e7), or None."""
    total = 0.0
    section = 0.0
    digits = ""
    for ch in token:
        if ch.isdigit() or ch in ".,":
            digits += ch
        elif ch in _MYRIAD_SMALL:
            section += (plain_number(digits) or 1.0) * _MYRIAD_SMALL[ch]
            digits = ""
        elif ch in _MYRIAD_BIG:
            section += plain_number(digits) or 0.0
            total += (section or 1.0) * _MYRIAD_BIG[ch]
            section, digits = 0.0, ""
    if digits:
        section += plain_number(digits) or 0.0
    value = total + section
    return value or None
