"""Numbers in a claim, normalised: "10,000", "10 000", "10.000" (de), "ten thousand", "1.2 million",
"more than 10,000", "about 14,000", "10,000-12,000", "between X and Y", "4.1%", "$2.3 billion", "9 to 2",
number words in English, French, German, Russian, Ukrainian and Korean digit + 천/만/억.

Each number becomes a :class:`NumberMention` with the interval it stands for (see ``rules`` for the
tolerances of exact, approximate and bounded figures), a unit class and the words around it, so that
the numbers of two claims can be paired by what they count.
"""

# ruff: noqa: RUF001

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, replace
from typing import Final, Literal, cast

from service.relations import rules
from service.relations.text import STOPWORDS, Token, index_at, neighbours, stem, tokenize
from service.text.language import CJK_CHARACTER, CJK_CHARACTERS
from service.text.months import month_number
from service.text.numbers import CLOCK_TIME, MYRIAD_LANGUAGES, MYRIAD_NUMBER, myriad_number, scale_value
from service.text.words import WordTable, read_sections, read_terms

Qualifier = Literal["exact", "approx", "lower", "upper", "range", "tally"]


@dataclass(frozen=True, slots=True)
class NumberMention:
    """A figure of a claim and what it stands for."""

    value: float  # the figure as written (the lower end of a range, the first of a tally)
    low: float  # the interval the figure stands for
    high: float
    qualifier: Qualifier
    unit: str | None  # a unit class ("percent", "people", "usd", ...) or the stem of the counted word
    display: str  # "more than 10,000 soldiers": what a fact-checker reads in the explanation
    start: int
    end: int
    context: frozenset[str]  # stems of the words around the figure
    second: float | None = None  # the upper end of a range, the second of a tally
    status: str | None = None  # what happened to the people counted: "dead", "missing", "injured", "moved"
    # Stems of the words right after the figure, up to the end of its clause: the counted noun is often not the
    # first of them ("seven Russian military aircraft").
    counted: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- language data


# Number words and their values (service/data/words/number_words.txt): [8] read in every language, [es 8] only in
# that language (Portuguese "dos" is "of the", Spanish "dos" two), [de part 8] the pieces of German number words.
def _number_words() -> tuple[dict[str, float], dict[str, dict[str, float]], dict[str, float]]:
    """The number words of every language, those of one language by language, and the German pieces."""
    every: dict[str, float] = {}
    of_language: dict[str, dict[str, float]] = {}
    german_parts: dict[str, float] = {}
    for key, words in read_sections("number_words").items():
        *where, value = key.split()
        table = (
            every if not where else german_parts if where == ["de", "part"] else of_language.setdefault(where[0], {})
        )
        table.update(dict.fromkeys(words, float(value)))
    return every, of_language, german_parts


_WORDS, _WORDS_OF_LANGUAGE, _DE_MORPHEMES = _number_words()
_WORD_JOINERS: Final = frozenset({"and", "y", "e"})  # "treinta y dos", "trenta e due"
_ONE_WORDS: Final = frozenset({"one", "a", "an", "un", "une", "ein", "eine", "один", "одна", "одну"})
# German number words are written as one word ("zehntausend", "fünfundzwanzig"): read them morpheme by morpheme
# (_DE_MORPHEMES, above).
_DE_WORD = re.compile("(?:" + "|".join(sorted(map(re.escape, _DE_MORPHEMES), key=len, reverse=True)) + ")+")
_DE_SPLIT = re.compile("|".join(sorted(map(re.escape, _DE_MORPHEMES), key=len, reverse=True)))

# Qualifiers in front of (or, in Korean, after) a figure: service/data/words/qualifiers.txt.
_QUALIFIER_WORDS: Final = read_sections("qualifiers")
_QUALIFIERS: Final[dict[str, Qualifier]] = {
    word: cast(Qualifier, kind) for kind, words in _QUALIFIER_WORDS.items() if ":" not in kind for word in words
}
_QUALIFIER_AFTER_KO: Final[dict[str, Qualifier]] = {
    word: cast(Qualifier, kind.split(":")[1].strip())
    for kind, words in _QUALIFIER_WORDS.items()
    if kind.startswith("after:")
    for word in words
}
_RANGE_JOINERS: Final = frozenset({"-", "–", "—", "to", "à", "bis", "до", "і", "and", "et", "und", "и", "~"})
_RANGE_OPENERS: Final = frozenset({"between", "from", "entre", "de", "zwischen", "von", "от", "від", "anywhere"})
_CONJUNCTIONS: Final = frozenset({"and", "et", "und", "и", "і"})
_FROM: Final = frozenset({"from", "de", "von", "с", "со", "з", "із", "da", "van", "od"})
_CHANGE_TO: Final = frozenset({"to", "à", "a", "auf", "bis", "до", "al", "naar", "tot", "do"})
# Beginnings of the words that say a figure changed (service/data/words/change_words.txt).
_CHANGE_WORDS: Final = read_terms("change_words")
_BETWEEN: Final = frozenset({"between", "entre", "zwischen", "между", "між", "tra", "fra", "tussen", "między"})
_TALLY_CUES: Final = frozenset({"vote", "votes", "voted", "won", "win", "beat", "lost", "score", "scored", "victory"})

# Unit classes: words that count the same kind of thing (stems would miss soldiers ~ troops):
# service/data/words/units.txt.
_UNIT_CLASSES: Final[dict[str, tuple[str, ...]]] = read_sections("units")
UNIT_CLASSES: Final = frozenset(_UNIT_CLASSES)

# What happened to the people a figure counts (service/data/words/statuses.txt): 96 dead and 1,000 missing are two
# quantities, whatever the language; the nearest such word to the figure decides.
_STATUS_WORDS: Final[dict[str, tuple[str, ...]]] = read_sections("statuses")
_STATUSES: Final = WordTable((w, status) for status, words in _STATUS_WORDS.items() for w in words)
_STATUS_WINDOW: Final = 7
# Earthquake words (beginnings), and the small words between "magnitude" and its figure ("magnitude of 7.8").
_QUAKE_WORDS: Final = read_terms("quake_words")  # service/data/words/quake_words.txt
_MAGNITUDE_LINKS: Final = frozenset({"of", "de", "der", "di", "da", "van", "z", "o"})
_PEOPLE_COUNTERS: Final = frozenset("명人名")
_CJK_UNITS: Final = {"秒": "seconds", "초": "seconds", "分": "minutes", "분": "minutes"}
# In kana and ideographs a status word sits inside a longer run ("人が死亡して"): found as a part of a token.
_STATUS_CJK: Final = tuple(
    (w, status) for status, words in _STATUS_WORDS.items() for w in words if re.fullmatch(f"[{CJK_CHARACTERS}]+", w)
)
# A unit word with a trailing * is a beginning (any ending: "минут*" is минуты, минут, минутах).
_UNITS: Final = WordTable((word, cls) for cls, words in _UNIT_CLASSES.items() for word in words)
_unit_class = _UNITS.get
# Units of several words, a slash or a digit ("km/h", "square kilometres", "km²", "m3"), read before single words.
_MULTIWORD_UNITS: Final = tuple(sorted((w for w in _UNITS.whole if re.search(r"[\s/\d²³.]", w)), key=len, reverse=True))
_CURRENCY_SIGNS: Final = {"$": "usd", "€": "eur", "£": "gbp", "₽": "rub", "₴": "uah", "₩": "krw"}

# Not glued to a word before it, except in kana and ideographs, which have no spaces ("船員22人"), and after the
# Arabic "and" ("و5674"); a figure followed by a CJK year, month, day or hour character is part of a date or a time
# ("30日"), which is not a count.
_NOT_AFTER = f"(?<![.,:/])(?<![^\\W{CJK_CHARACTERS}و])(?<![^\\W\\d_]-)"
_NOT_DATE_CJK = "(?![年月日時])"
_DIGITS_EN = re.compile(
    _NOT_AFTER
    + r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:\.\d+)?)(?![\d:])"
    + _NOT_DATE_CJK
)
_DIGITS_OTHER = re.compile(
    _NOT_AFTER + r"(\d{1,3}(?:[ \u00a0\u202f.]\d{3})+(?:,\d+)?|\d+(?:,\d+)?)(?![\d:]|\.\d)" + _NOT_DATE_CJK
)
_SUFFIX_SCALE = re.compile(r"^(bn|m|k|mn)\b", re.IGNORECASE)


def _comma_thousands(language: str) -> bool:
    """Whether the language writes "1,167,982" (a comma between thousands, a point before decimals)."""
    return language == "en" or language in MYRIAD_LANGUAGES


def _digit_value(raw: str, language: str) -> float:
    if _comma_thousands(language):
        return float(re.sub(r"[,\s\u00a0\u202f]", "", raw))
    cleaned = re.sub(r"[\s\u00a0\u202f.]", "", raw) if re.search(r"[.\s\u00a0\u202f]\d{3}(?!\d)", raw) else raw
    return float(cleaned.replace(",", "."))


def _de_word_value(word: str) -> float | None:
    if not _DE_WORD.fullmatch(word) or word in {"und", "ein", "eine"}:
        return None
    total, current = 0.0, 0.0
    for piece in _DE_SPLIT.findall(word):
        value = _DE_MORPHEMES[piece]
        if value == 100:
            current = (current or 1) * 100
        elif value == 1000:
            total += (current or 1) * 1000
            current = 0
        else:
            current += value
    return total + current


def _word_value(tok: Token, language: str = "en") -> float | None:
    if tok.lower in _WORDS:
        return _WORDS[tok.lower]
    own = _WORDS_OF_LANGUAGE.get(language)
    if own is not None and tok.lower in own:
        return own[tok.lower]
    if language == "de" and len(tok.lower) > 3:
        return _de_word_value(tok.lower)
    return None


@dataclass(slots=True)
class _Raw:
    start: int
    end: int
    value: float
    first_token: int  # index of the first token after the figure (scale, unit)
    is_clock: bool = False


def _token_index_at(tokens: tuple[Token, ...], offset: int) -> int:
    return index_at(tokens, offset)


def _raw_numbers(text: str, tokens: tuple[Token, ...], language: str) -> list[_Raw]:
    found: list[_Raw] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        # Bounded: at most rules.MAX_VALUES_PER_CLAIM figures are kept.
        return len(found) < rules.MAX_VALUES_PER_CLAIM and all(b <= s or a >= e for s, e in taken)

    for m in CLOCK_TIME.finditer(text):
        if not free(*m.span()):
            break
        h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        found.append(_Raw(m.start(), m.end(), h * 3600 + mi * 60 + s, _token_index_at(tokens, m.end()), True))
        taken.append(m.span())
    if language in MYRIAD_LANGUAGES:
        for m in MYRIAD_NUMBER.finditer(text):
            value = myriad_number(m.group(0))
            if value is not None and free(*m.span()):
                found.append(_Raw(m.start(), m.end(), value, _token_index_at(tokens, m.end())))
                taken.append(m.span())
    pattern = _DIGITS_EN if _comma_thousands(language) else _DIGITS_OTHER
    for m in pattern.finditer(text):
        if len(found) >= rules.MAX_VALUES_PER_CLAIM:
            break
        if not free(*m.span(1)):
            continue
        raw = m.group(1)
        found.append(_Raw(m.start(1), m.end(1), _digit_value(raw, language), _token_index_at(tokens, m.end(1))))
        taken.append(m.span(1))
    # Number words: a run of number words (and "and"/"-" between them), maybe led by "one"/"a".
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        word_value = _word_value(tok, language)
        leading_one = tok.lower in _ONE_WORDS and i + 1 < len(tokens) and scale_value(tokens[i + 1].lower) is not None
        if (word_value is None and not leading_one) or not free(tok.start, tok.end):
            i += 1
            continue
        total, current, j = 0.0, 0.0, i
        if leading_one:
            current = 1.0
            j = i + 1
        while j < len(tokens):
            word = tokens[j].lower
            v = _word_value(tokens[j], language) if not (leading_one and j == i) else None
            word_scale = scale_value(word)
            if word_scale is not None and word_scale >= 1e3:
                total += (current or 1) * word_scale
                current = 0
            elif v is not None and v == 100 and word in {"hundred", "hundreds", "cent", "cents"}:
                current = (current or 1) * 100
            elif v is not None:
                current += v
            elif (
                word in _WORD_JOINERS
                and j + 1 < len(tokens)
                and _word_value(tokens[j + 1], language) is not None
                and current
            ):
                pass
            else:
                break
            j += 1
        value_total = total + current
        end = tokens[j - 1].end
        if value_total > 0 and free(tok.start, end):
            found.append(_Raw(tok.start, end, value_total, j))
            taken.append((tok.start, end))
        i = max(j, i + 1)
    found.sort(key=lambda r: r.start)
    return found


def _unit_after(text: str, tokens: tuple[Token, ...], index: int, end: int) -> tuple[str | None, str, int]:
    """The unit class (or counted word's stem) after a figure, its surface form, and where it ends."""
    rest = text[end : end + 40].lower()
    stripped = rest.lstrip()
    linked = re.sub(r"^(?:de|of|di)\s+", "", stripped)  # "18 milliards de mètres cubes"
    for word in _MULTIWORD_UNITS:
        for head in (stripped, linked):
            if head.startswith(word) and not head[len(word) : len(word) + 1].isalnum():
                offset = end + (len(rest) - len(head)) + len(word)
                return _UNITS.whole[word], text[offset - len(word) : offset], offset
    if stripped[:1] in {"%", "°"} or stripped.startswith("°c"):
        sign = "°C" if stripped.startswith("°c") else stripped[:1]
        return _UNITS.whole[sign.lower()], sign, end + (len(rest) - len(stripped)) + len(sign)
    if stripped[:1] in _PEOPLE_COUNTERS:  # Korean, Japanese and Chinese counters of people
        return "people", stripped[:1], end + (len(rest) - len(stripped)) + 1
    if stripped[:1] in _CJK_UNITS:  # a unit character glued to the next word ("20秒足らず": 20 seconds)
        return _CJK_UNITS[stripped[:1]], stripped[:1], end + (len(rest) - len(stripped)) + 1
    window = [t for t in tokens[index : index + 4] if t.start - end <= 40]
    for k, tok in enumerate(window):
        if any(mark in text[end : tok.start] for mark in ",;:()"):
            break  # "132 injured, 10,000 homes": the next clause's unit is not this figure's
        if any(c.isdigit() for c in tok.text):
            break  # "Flight 370 carried 239 people": the people are the next figure's
        word = re.sub(r"^[dl]['’]", "", tok.lower)
        unit = _unit_class(word)
        if unit is not None and (unit != "magnitude" or k == 0):  # "two quakes of magnitude 6.4": 6.4's, not two's
            return unit, tok.text, tok.end
    for k, tok in enumerate(window):
        if any(mark in text[end : tok.start] for mark in ",;:()"):
            break  # "revised down to 97, local media reported": the clause ended
        word = re.sub(r"^[dl]['’]", "", tok.lower)
        if word in STOPWORDS or not word.isalpha() or tok.text[:1].isupper() or _word_value(tok) is not None:
            continue
        if k >= 2:
            break
        if _status_of(word) is not None:
            return "people", tok.text, tok.end  # "76 injured", "31 missing": people, counted by what befell them
        return stem(word), tok.text, tok.end
    return None, "", end


# "Name, 37," (an age in apposition) and a capitalised word right before a bare figure (a name's number).
_AGE_BEFORE: Final = re.compile(r"[A-ZÀ-ÖØ-Þ][^\W\d_]+,\s?$")
_AGE_AFTER: Final = re.compile(r"\s?,")


def _in_name(text: str, tokens: tuple[Token, ...], index: int, start: int) -> bool:
    """Whether a bare figure ends a name: right after a capitalised word inside a sentence ("Nord Stream 2 was
    damaged", "the Victor 6000 robot"), that word not a month, a unit or a number word."""
    before = [t for t in tokens[:index] if t.end <= start]
    if len(before) < 2 or start - before[-1].end != 1 or text[before[-1].end] != " ":
        return False
    word, previous = before[-1], before[-2]
    if not word.text[:1].isupper() or not word.text.isalpha() or word.text.isupper():
        return False
    if re.search(r"[.!?:;\n]", text[previous.end : word.start]):
        return False  # the capital starts a sentence or a clause
    lower = word.lower
    return month_number(lower) is None and _unit_class(lower) is None and _word_value(word) is None


def _counted_next(tokens: tuple[Token, ...], index: int, end: int) -> bool:
    """Whether the word right after a figure says what it counts: a unit or what befell people."""
    if index >= len(tokens) or tokens[index].start - end > 1:
        return False
    word = tokens[index].lower
    return _unit_class(word) is not None or _status_of(word) is not None


def _is_magnitude(text: str, tokens: tuple[Token, ...], start: int, index: int, end: int) -> bool:
    """An earthquake's strength: "magnitude 6.4", "Stärke 6,4", "de magnitud 7,8", or a figure with one decimal
    before an earthquake word ("a 6.4 quake", "6,4 depremin"); "two quakes" is a count."""
    before = [t for t in tokens if t.end <= start][-2:]
    words = [t.lower for t in before if t.lower not in _MAGNITUDE_LINKS]
    if words and _unit_class(words[-1]) == "magnitude":
        return True
    decimal = re.fullmatch(r"\d{1,2}[.,]\d", text[start:end].strip()) is not None
    nxt = tokens[index].lower if index < len(tokens) and tokens[index].start - end <= 2 else ""
    return decimal and nxt.startswith(_QUAKE_WORDS)


def _qualifier_before(text: str, start: int) -> tuple[Qualifier, str]:
    head = text[max(0, start - 30) : start].rstrip()
    if head[-1:] in _CURRENCY_SIGNS:
        head = head[:-1].rstrip()
    words = head.split()[-3:]
    for k in (3, 2, 1):
        if len(words) >= k:
            phrase = " ".join(words[-k:])
            qualifier = _QUALIFIERS.get(phrase.lower())
            if qualifier is not None:
                return qualifier, phrase
    return "exact", ""


def _interval(value: float, qualifier: Qualifier, second: float | None) -> tuple[float, float]:
    if qualifier == "approx":
        return value * (1 - rules.APPROXIMATE_TOLERANCE), value * (1 + rules.APPROXIMATE_TOLERANCE)
    # A bound holds for every figure on its side: "more than 5,000" and "5,434" can both be true.
    if qualifier == "lower":
        return value, math.inf
    if qualifier == "upper":
        return -math.inf, value
    if qualifier == "range" and second is not None:
        return value - _exact_margin(value), second + _exact_margin(second)
    return value - _exact_margin(value), value + _exact_margin(value)


def _exact_margin(value: float) -> float:
    """How far an exact figure may lie from what it stands for: rounding, unless it was written to the unit."""
    margin = abs(value) * rules.EXACT_TOLERANCE
    if float(value).is_integer() and value % 10:
        return min(margin, rules.WHOLE_NUMBER_TOLERANCE)
    return margin


def _counted_words(text: str, tokens: tuple[Token, ...], index: int, end: int) -> frozenset[str]:
    """Stems of the (up to three) content words after a figure, before its clause ends or another figure."""
    found: list[str] = []
    for tok in tokens[index : index + 5]:
        if any(mark in text[end : tok.start] for mark in ",;:()") or any(c.isdigit() for c in tok.text):
            break
        if tok.lower.isalpha() and tok.lower not in STOPWORDS:
            found.append(stem(tok.lower))
            if len(found) == 3:
                break
    return frozenset(found)


def _context(tokens: tuple[Token, ...], start: int, end: int) -> frozenset[str]:
    window = rules.NUMBER_CONTEXT_WINDOW
    near = neighbours(tokens, start, end, window, window)
    return frozenset(stem(t.lower) for t in near if t.lower.isalpha() and t.lower not in STOPWORDS)


def _status_of(word: str) -> str | None:
    if CJK_CHARACTER.match(word) and word not in _STATUSES.whole:
        return next((status for w, status in _STATUS_CJK if w in word), None)
    return _STATUSES.get(word)


def _status(tokens: tuple[Token, ...], start: int, end: int) -> str | None:
    """The status word nearest to a figure ("killed at least 96", "31 people remain unaccounted"), or None."""
    first = bisect.bisect_right([t.end for t in tokens], start)
    last = bisect.bisect_left([t.start for t in tokens], end)
    # Kana and ideographs glued to the figure are its own phrase ("132人が負傷した"): their status is the figure's.
    if last < len(tokens) and tokens[last].start == end and CJK_CHARACTER.match(tokens[last].text):
        glued = _status_of(tokens[last].lower)
        if glued is not None:
            return glued
    best: tuple[int, str] | None = None
    for i in range(max(0, first - _STATUS_WINDOW), min(len(tokens), last + _STATUS_WINDOW)):
        found = _status_of(tokens[i].lower)
        if found is not None:
            distance = first - i if i < first else max(0, i - last + 1)
            if best is None or distance < best[0]:
                best = (distance, found)
    if best is not None:
        return best[1]
    # None near it: the sentence's one status, if it has exactly one ("the death toll ... was revised to 97").
    statuses = {found for t in tokens if (found := _status_of(t.lower)) is not None}
    return statuses.pop() if len(statuses) == 1 else None


def _fmt(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def find_numbers(
    text: str, language: str, skip: tuple[tuple[int, int], ...] = (), *, tokens: tuple[Token, ...] | None = None
) -> tuple[NumberMention, ...]:
    """The figures of ``text`` (years and spans in ``skip``, e.g. dates, left out).

    Args:
        text: The claim.
        language: 'en', 'fr', 'de', 'ru', 'uk' or 'ko' (decides "10.000" and "2,4").
        skip: Character spans that are not figures (dates found by ``dates``, bracketed insertions).
        tokens: ``tokenize(text)``, if the caller has it.

    Returns:
        The figures in text order.
    """
    tokens = tokenize(text) if tokens is None else tokens
    raws = [r for r in _raw_numbers(text, tokens, language) if all(r.end <= a or r.start >= b for a, b in skip)]
    mentions: list[NumberMention] = []
    listed_after: dict[int, int] = {}  # a figure listed after another ("2.3 and 2.1"): the other's index
    listed_unit: dict[int, str | None] = {}
    named: set[int] = set()  # figures read as part of a name
    i = 0
    while i < len(raws):
        r = raws[i]
        surface = text[r.start : r.end]
        # A year is a date, unless what it counts follows ("2000 Tote", "2012 muertos"); a letter-glued figure
        # ("G7", "COVID-19") is a name.
        if (
            not r.is_clock
            and re.fullmatch(r"\d{4}", surface)
            and rules.YEAR_MIN <= r.value <= rules.YEAR_MAX
            and not _counted_next(tokens, r.first_token, r.end)
        ):
            i += 1
            continue
        value, index, end = r.value, r.first_token, r.end
        # A unit glued to the figure ("300km", "150m", "251미터"), else a scale word ("45mila", "3mil", "$4m").
        glued_unit, glued_scale, glued_length = _glued_word(text, r.start, end)
        glued_text = text[end : end + glued_length]
        value *= glued_scale or 1
        end += glued_length
        # Scale word after the figure ("1.2 million", "5 миллиардов", "$4bn").
        after = (
            scale_value(tokens[index].lower, glued=tokens[index].start == end)
            if index < len(tokens) and tokens[index].start - end <= 1
            else None
        )
        if after is not None:
            value *= after
            end = tokens[index].end
            index += 1
            # The rest written after the scale word ("2 bin 946" is 2,946).
            if i + 1 < len(raws) and raws[i + 1].start - end <= 1 and raws[i + 1].value < after == 1e3:
                value += raws[i + 1].value
                end, index = raws[i + 1].end, raws[i + 1].first_token
                i += 1
        # A second figure joined as a range or a tally.
        second: float | None = None
        qualifier: Qualifier = "exact"
        if i + 1 < len(raws):
            nxt = raws[i + 1]
            between = text[end : nxt.start].strip().lower()
            if between in _RANGE_JOINERS and nxt.start - end <= 5:
                second_value, second_end, second_index = nxt.value, nxt.end, nxt.first_token
                second_scale = scale_value(tokens[second_index].lower) if second_index < len(tokens) else None
                first_value = value
                if second_scale is not None:
                    second_value *= second_scale
                    second_end = tokens[second_index].end
                    second_index += 1
                    if first_value < second_scale:
                        first_value *= second_scale
                before_words = {t.lower for t in neighbours(tokens, r.start, r.start, 6, 0)}
                tally_cue = bool(before_words & _TALLY_CUES)
                # Two figures joined by a conjunction are a range only after "between" ("between 17 and 22");
                # else they are a list of two figures ("magnitudes 2.3 and 2.1"), each read on its own, the
                # second measured as the first. A falling pair joined by a dash ("won 3-1") is a tally.
                just_before = {t.lower for t in neighbours(tokens, r.start, r.start, 2, 0)}
                listed = between in _CONJUNCTIONS and not tally_cue and not just_before & _BETWEEN
                # "lowered from 115 to 97", "stieg von 40 auf 53": a figure and what it became, two figures (but
                # "estimates run from 10,000 to 15,000" is a range).
                previous = neighbours(tokens, r.start, r.start, 1, 0)
                changed = any(t.lower.startswith(_CHANGE_WORDS) for t in neighbours(tokens, r.start, r.start, 6, 0))
                listed = listed or bool(previous and previous[0].lower in _FROM and between in _CHANGE_TO and changed)
                if listed:
                    listed_after[i + 1] = i
                if not listed:
                    value = first_value
                    if second_value < value or (between in {"-", "–", "to"} and tally_cue):
                        qualifier = "tally"
                    else:
                        qualifier = "range"
                    second, end, index = second_value, second_end, second_index
                    i += 1
        if qualifier == "exact":
            qualifier, qual_text = _qualifier_before(text, r.start)
        else:
            qual_text = ""
        # Currency sign in front.
        unit: str | None = None
        unit_text = ""
        sign = text[max(0, r.start - 1) : r.start]
        if sign in _CURRENCY_SIGNS:
            unit, unit_text = _CURRENCY_SIGNS[sign], sign
        elif glued_unit:
            unit, unit_text = glued_unit, glued_text
        if r.is_clock:
            unit = "duration"
        else:
            after_unit, after_text, after_end = _unit_after(text, tokens, index, end)
            if unit is None:
                unit, unit_text = after_unit, after_text
                if after_unit is not None and after_end > end and after_unit in _UNIT_CLASSES:
                    end = after_end
            if unit not in _UNIT_CLASSES and _is_magnitude(text, tokens, r.start, index, end):
                unit, unit_text = "magnitude", ""
            if unit is None and i in listed_after and listed_unit.get(listed_after[i]) in _UNIT_CLASSES:
                unit, unit_text = listed_unit[listed_after[i]], ""  # "magnitudes 2.3 and 2.1"
        listed_unit[i] = unit
        # Nothing it counts or measures: no unit, or only the next word's stem ("Nord Stream 2 was damaged").
        counts_nothing = unit is None or (unit not in _UNIT_CLASSES and unit != "people")
        bare = qualifier in {"exact", "range", "tally"} and not r.is_clock and counts_nothing
        if bare and (_in_name(text, tokens, r.first_token, r.start) or listed_after.get(i, -1) in named):
            named.add(i)
            i += 1  # "Nord Stream 2", "Victor 6000", "Route 66", "Nord Stream 1 and 2": part of a name, not a figure
            continue
        apposition = _AGE_BEFORE.search(text[max(0, r.start - 40) : r.start]) and _AGE_AFTER.match(text[end:])
        if bare and unit is None and second is None and apposition:
            unit, unit_text = "years", ""  # "José López, 37, was ...": an age
        # Korean qualifier after the figure.
        if language == "ko" and qualifier == "exact":
            tail = text[end : end + 4]
            for word, q in _QUALIFIER_AFTER_KO.items():
                if word in tail:
                    qualifier = q
        low, high = _interval(value, qualifier, second)
        if r.is_clock and qualifier == "exact":
            low, high = value - 0.5, value + 0.5  # a race time is exact to the second
        start = r.start - (1 if sign in _CURRENCY_SIGNS else 0)
        figure = text[start:end]
        shown = " ".join(part for part in (qual_text, figure) if part)
        if unit_text and unit_text not in figure:
            shown = f"{shown} {unit_text}"
        mentions.append(
            NumberMention(
                value=value,
                low=low,
                high=high,
                qualifier=qualifier,
                unit=unit,
                display=" ".join(shown.split()),
                start=start,
                end=end,
                context=_context(tokens, start, end),
                second=second,
                status=_status(tokens, start, end) if unit == "people" or unit not in _UNIT_CLASSES else None,
                counted=_counted_words(text, tokens, index, end),
            )
        )
        i += 1
    return _totals(text, _durations(text, mentions))


# "179 of the 181 people on board": the second figure is the whole the first is part of ("179 de los 181", "179 из
# 181", "181명 중 179명", "181人のうち179人"). The whole counts everyone, whatever befell the part.
_PART_OF: Final = re.compile(
    r"\s*(?:out of|of|sur|de|von|из|з|із|su|dei|delle|degli|dos|das|z|van)(?:\s+(?:the|los|las|les|den|der))?\s*$", re.I
)
_WHOLE_AFTER: Final = re.compile(
    r"^\s*(?:[명人名])?\s*(?:중|のうち|中)|^[^\d]{0,40}?(?:из которых|из них|з яких|з них|of whom|of which"
    r"|among them|dont|von denen|de los cuales|de las cuales|dei quali|delle quali|dos quais|das quais)\b",
    re.I,
)


# "2 hours 24 minutes", "1 hour and 45 minutes", "1 h 45", "1 час 45 минут": one duration, as "2:24" is.
_DURATION_JOINT: Final = re.compile(r"\s*(?:,|and|et|und|y|e|и|і|та)?\s*", re.I)


def _durations(text: str, mentions: list[NumberMention]) -> list[NumberMention]:
    """The mentions, hours followed by their minutes read as one duration (in seconds, as a clock time is)."""
    out: list[NumberMention] = []
    k = 0
    while k < len(mentions):
        hours = mentions[k]
        minutes = mentions[k + 1] if k + 1 < len(mentions) else None
        between = text[hours.end : minutes.start] if minutes is not None else ""
        if (
            minutes is not None
            and hours.unit == "hours"
            and hours.qualifier in {"exact", "approx"}
            and minutes.qualifier == "exact"
            and 0 < minutes.value < 60
            and _DURATION_JOINT.fullmatch(between)
            and (minutes.unit == "minutes" or (minutes.unit not in _UNIT_CLASSES and not between.strip()))
        ):
            value = hours.value * 3600 + minutes.value * 60
            low, high = (value - 30, value + 30) if hours.qualifier == "exact" else _interval(value, "approx", None)
            end = minutes.end if minutes.unit == "minutes" else minutes.start + len(_fmt(minutes.value))
            shown = hours.display + text[hours.end : end]
            out.append(replace(hours, value=value, low=low, high=high, unit="duration", display=shown, end=end))
            k += 2
            continue
        out.append(hours)
        k += 1
    return out


# What a glued "m" counts in millions when the next word names it ("2.6m people", "4m barrels" are not metres).
_COUNTED_IN_MILLIONS: Final = frozenset({"people", "usd", "eur", "gbp", "rub", "uah", "krw", "homes", "jobs"})


def _glued_word(text: str, start: int, end: int) -> tuple[str | None, float | None, int]:
    """What the letters glued to the figure at ``start:end`` stand for: ``(unit class, None, length)`` for a unit
    ("300km", "251미터", "150m로" with a Korean particle after it), ``(None, scale, length)`` for a scale word
    ("45mila", "$4m", "$4m는"), else ``(None, None, 0)``. The whole run of letters is read first, then its Latin
    beginning."""
    glued = re.match(r"[^\W\d_]+", text[end : end + 12])
    if glued is None:
        return None, None, 0
    word = glued.group(0)
    latin = re.match(r"[a-zA-Z]+", word)
    readings = [word] if latin is None or latin.group(0) == word else [word, latin.group(0)]
    for reading in readings:
        if (unit := _glued_unit(text, start, end, reading.lower())) is not None:
            return unit, None, len(reading)
    for reading in readings:
        if (scale := scale_value(reading.lower(), glued=True)) is not None:
            return None, scale, len(reading)
    return None, None, 0


def _glued_unit(text: str, start: int, end: int, word: str) -> str | None:
    """The unit class of a word glued to the figure at ``start:end`` ("300km", "150m", "251미터"), or None: a glued
    "m" after a currency sign or before what it counts is a million ("$4m", "2.6m people")."""
    unit = _unit_class(word)
    if unit not in _UNIT_CLASSES:
        return None
    if word == "m":
        following = re.match(r"\s*([^\W\d_]+)", text[end + 1 : end + 30])
        counted = _unit_class(following.group(1).lower()) if following else None
        if text[max(0, start - 1) : start] in _CURRENCY_SIGNS or counted in _COUNTED_IN_MILLIONS:
            return None
    return unit


def _totals(text: str, mentions: list[NumberMention]) -> tuple[NumberMention, ...]:
    """The mentions, a whole that another figure is part of taking no status of its own."""
    out = list(mentions)
    for k in range(len(out) - 1):
        part, whole = out[k], out[k + 1]
        if _PART_OF.fullmatch(text[part.end : whole.start]) and whole.status is not None:
            out[k + 1] = replace(whole, status=None)
        elif _WHOLE_AFTER.match(text[part.end : whole.start]) and part.status is not None:
            out[k] = replace(part, status=None)
    return tuple(out)


def comparable(a: NumberMention, b: NumberMention, *, across_languages: bool = False) -> bool:
    """Whether two figures count the same kind of thing (a figure without a unit is comparable to any).

    Across languages a counted word's stem ("magnitude" / "büyüklüğünde") says nothing, so two figures whose
    units are not one of the known classes (or one is a head count) are compared when their values are of one
    size (within a factor of `rules.CROSS_LANGUAGE_MAX_RATIO`): the same quantity in two languages rarely differs
    more.
    """
    if (a.qualifier == "tally") != (b.qualifier == "tally"):
        return False
    if a.status is not None and b.status is not None and a.status != b.status:
        return False  # 96 dead and 1,000 missing are two quantities
    # A bare figure with a status ("the death toll stood at 912") counts people.
    a_unit = "people" if a.unit is None and a.status is not None else a.unit
    b_unit = "people" if b.unit is None and b.status is not None else b.unit
    if a_unit is None or b_unit is None:
        # A bare figure may count what the other counts, unless that is a measure (days, km, dollars, a magnitude).
        return a_unit == b_unit or (_counts_anything(a_unit) and _counts_anything(b_unit))
    if a_unit == b_unit:
        return True
    if not across_languages and a_unit not in UNIT_CLASSES and b_unit not in UNIT_CLASSES:
        # Two counted words of no known class: one phrase may name the other's noun further on ("seven Russian
        # military aircraft" / "six Russian aircraft").
        return a_unit in b.counted or b_unit in a.counted
    # A head count ("people") meets the other language's counted word, which no class lists (yet).
    open_units = {a_unit, b_unit} - {"people"}
    if across_languages and not open_units & UNIT_CLASSES:
        small, large = sorted((abs(a.value), abs(b.value)))
        return small > 0 and large / small <= rules.CROSS_LANGUAGE_MAX_RATIO
    return False


def _counts_anything(unit: str | None) -> bool:
    """A unit a bare figure may stand for: none, a head count, or a counted word of no known class."""
    return unit in {None, "people"} or unit not in UNIT_CLASSES


def compatible(a: NumberMention, b: NumberMention) -> bool:
    """Whether two comparable figures can describe the same quantity."""
    if a.qualifier == "tally" or b.qualifier == "tally":
        return math.isclose(a.value, b.value) and math.isclose(a.second or 0, b.second or 0)
    if a.qualifier == b.qualifier == "range" and a.second is not None and b.second is not None:
        # Two ranges are two estimates: "aged 20 to 62" and "20 to 65" disagree on the oldest.
        return all(
            abs(x - y) <= _exact_margin(x) + _exact_margin(y) for x, y in ((a.value, b.value), (a.second, b.second))
        )
    if a.qualifier == b.qualifier and a.qualifier in {"lower", "upper"}:
        # "gusts of up to 110 km/h" and "up to 150 km/h" give two different maxima: different figures.
        return math.isclose(a.value, b.value, rel_tol=rules.BOUND_TOLERANCE)
    return a.low <= b.high and b.low <= a.high


def alignment(a: NumberMention, b: NumberMention) -> float:
    """How likely two comparable figures describe the same quantity: shared unit and shared words."""
    score = 1.0 if a.unit is not None and a.unit == b.unit else 0.0
    if a.context or b.context:
        score += 2 * len(a.context & b.context) / (len(a.context) + len(b.context))
    return score


def describe(value: NumberMention) -> str:
    return value.display or _fmt(value.value)
