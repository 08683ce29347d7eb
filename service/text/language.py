"""Which language a text is written in: the one detector of the service (articles, claims, queries).

py3langid (offline: its model ships inside the wheel, loaded once per process by `service.text.langid`)
decides among a closed list of languages, so a short or noisy text is not called Latin or Esperanto. Two
lists: `ARTICLE_LANGUAGES` for whole articles (the languages news comes in), `CLAIM_LANGUAGES` for one sentence
(the multilingual encoder's sixteen languages plus Ukrainian, which it reads through Russian). Before the
model, scripts decide where they can, the same way for both: Hangul is Korean, and Cyrillic letters that only
Ukrainian (і ї є ґ) or only Russian (ы э ъ ё) has settle those two, which the statistical model confuses on
short texts. Plain English prose dense in function words is English without asking the model.

An article's language is detected once at ingest and stored on the source and on each of its claims; a query's
is detected when it is matched (`claim_language`, cached).
"""

# ruff: noqa: RUF002
# Non-Latin letters in the patterns and the docstring are deliberate.

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final

__all__ = [
    "ARTICLE_LANGUAGES",
    "CJK_CHARACTER",
    "CJK_CHARACTERS",
    "CLAIM_LANGUAGES",
    "DEFAULT_LANGUAGE",
    "ENGLISH",
    "claim_language",
    "detect_language",
    "normalize_language",
]

ENGLISH: Final = "en"
DEFAULT_LANGUAGE: Final = ENGLISH
ARTICLE_LANGUAGES: Final = (
    "ar", "bg", "da", "de", "el", "en", "es", "fa", "fr", "hi", "hy", "it", "ja", "kk", "ko", "mr", "my", "nl",
    "pl", "pt", "ru", "sk", "uk", "ur", "zh", "am", "tr", "cs", "sv", "no", "fi", "ro", "hu", "he", "th", "vi",
)  # fmt: skip
CLAIM_LANGUAGES: Final = (
    "ar",
    "de",
    "en",
    "es",
    "fr",
    "it",
    "ja",
    "ko",
    "nl",
    "pl",
    "pt",
    "ru",
    "th",
    "tr",
    "uk",
    "zh",
)

# Enough prose for a confident answer on an article; more only costs time.
_SAMPLE_CHARS: Final = 1_200
_MIN_LETTERS: Final = 12
_LETTER: Final = re.compile(r"[^\W\d_]")
_HANGUL: Final = re.compile(r"[\uac00-\ud7a3]")
# Kana and Han ideographs: scripts written without spaces between words (a character class's inside).
CJK_CHARACTERS: Final = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_CHARACTER: Final = re.compile(f"[{CJK_CHARACTERS}]")
_UKRAINIAN_ONLY: Final = re.compile(r"[їієґЇІЄҐ]")
_RUSSIAN_ONLY: Final = re.compile(r"[ыэъёЫЭЪЁ]")
# One alphabet's own letters must outnumber the other's this many times to decide a text that has both.
_CYRILLIC_MARGIN: Final = 3


class _Detector:
    """py3langid restricted to one list of languages, loaded on first use under a lock."""

    def __init__(self, languages: Sequence[str]) -> None:
        self._languages = list(languages)
        self._lock = threading.Lock()
        self._identifier: Any = None

    def __call__(self, text: str) -> str:
        identifier = self._identifier
        if identifier is None:
            with self._lock:
                if self._identifier is None:
                    from service.text.langid import identifier as load_identifier

                    self._identifier = load_identifier(self._languages)
                identifier = self._identifier
        language, _score = identifier.classify(text)
        return str(language)


_article_model = _Detector(ARTICLE_LANGUAGES)
_claim_model = _Detector(CLAIM_LANGUAGES)


def normalize_language(language: str | None) -> str | None:
    """``"en-US"`` -> ``"en"``; blank or malformed -> None."""
    if not language:
        return None
    code = language.strip().lower().replace("_", "-").split("-")[0]
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


def _by_script(text: str, letters: int) -> str | None:
    """Korean, Ukrainian or Russian when the letters alone say so; None when the model must decide."""
    if len(_HANGUL.findall(text)) * 3 > letters:
        return "ko"
    uk, ru = len(_UKRAINIAN_ONLY.findall(text)), len(_RUSSIAN_ONLY.findall(text))
    if uk > _CYRILLIC_MARGIN * ru:
        return "uk"
    if ru > _CYRILLIC_MARGIN * uk:
        return "ru"
    return None


# Words that make up a fifth of running English prose and are rare in the other languages' text.
_ENGLISH_WORDS: Final = frozenset(
    {"the", "of", "and", "to", "in", "that", "was", "is", "for", "on", "with", "said", "by", "it", "as", "at",
     "from", "his", "has", "have", "had", "were", "be", "are", "this", "which"}
)  # fmt: skip
_WORD: Final = re.compile(r"[A-Za-z']+")
_NON_ASCII_LETTER: Final = re.compile(r"[^\W\d_A-Za-z]")
_ENGLISH_SHARE: Final = 0.18


def _plainly_english(sample: str) -> bool:
    """ASCII prose dense in English function words (no model needed)."""
    if _NON_ASCII_LETTER.search(sample):
        return False
    words = _WORD.findall(sample.lower())
    if len(words) < 30:
        return False
    return sum(word in _ENGLISH_WORDS for word in words) / len(words) >= _ENGLISH_SHARE


def detect_language(sample: str) -> str:
    """ISO 639-1 code of an article's language; ``"en"`` when there is too little text to tell.

    Args:
        sample: Prose of the article (markup and metadata lines are best left out).

    Returns:
        A code from ``ARTICLE_LANGUAGES``.
    """
    sample = sample[:_SAMPLE_CHARS]
    letters = len(_LETTER.findall(sample))
    if letters < _MIN_LETTERS:
        return DEFAULT_LANGUAGE
    by_script = _by_script(sample, letters)
    if by_script is not None:
        return by_script
    if _plainly_english(sample):
        return ENGLISH
    return _article_model(sample)


@lru_cache(maxsize=65_536)
def claim_language(text: str) -> str:
    """ISO 639-1 code of one sentence's language (a query, or a claim stored before languages were kept).

    Returns:
        A code from ``CLAIM_LANGUAGES``.
    """
    by_script = _by_script(text, len(_LETTER.findall(text)))
    return by_script if by_script is not None else _claim_model(text)
