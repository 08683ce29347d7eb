"""Reading figures written with digits: the shared pieces of the relations engine's number reader and the
cross-lingual anchors (one reading of "10,000" / "10.000" / "10 000" and of Korean myriad numbers)."""

from __future__ import annotations

import re
from typing import Final

# Korean writes large numbers with myriad units: 1만 = 10,000, 41만1천 = 411,000, 18억 = 1.8 billion.
KOREAN_NUMBER: Final = re.compile(r"(?:\d[\d,.]*\s?[조억만천백십]\s?)*\d[\d,.]*\s?[조억만천백십](?:\s?\d+(?!\d))?")
_KOREAN_SMALL: Final = {"천": 1e3, "백": 1e2, "십": 1e1}
_KOREAN_BIG: Final = {"조": 1e12, "억": 1e8, "만": 1e4}


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


def korean_number(token: str) -> float | None:
    """The value of a Korean number with myriad units ("41만1천" -> 411000.0), or None."""
    total = 0.0
    section = 0.0
    digits = ""
    for ch in token:
        if ch.isdigit() or ch in ".,":
            digits += ch
        elif ch in _KOREAN_SMALL:
            section += (plain_number(digits) or 1.0) * _KOREAN_SMALL[ch]
            digits = ""
        elif ch in _KOREAN_BIG:
            section += plain_number(digits) or 0.0
            total += (section or 1.0) * _KOREAN_BIG[ch]
            section, digits = 0.0, ""
    if digits:
        section += plain_number(digits) or 0.0
    value = total + section
    return value or None
