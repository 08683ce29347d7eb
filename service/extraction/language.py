"""Which language an article is written in: py3langid, offline, on a sample of its prose.

py3langid ships its model inside the wheel (a naive Bayes over byte n-grams, no download) and
answers in about a millisecond for a couple of kilobytes. It is restricted to the languages news
for this service comes in (and pysbd can split, plus Korean and Ukrainian), so a short or noisy
article is not called Latin or Esperanto. The model loads on first use, under a lock.
"""

# Typographic quotes and non-Latin letters in the patterns are deliberate.

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "detect_language", "normalize_language"]

DEFAULT_LANGUAGE: Final = "en"
LANGUAGES: Final = (
    "ar", "bg", "da", "de", "el", "en", "es", "fa", "fr", "hi", "hy", "it", "ja", "kk", "ko", "mr", "my", "nl",
    "pl", "pt", "ru", "sk", "uk", "ur", "zh", "am", "tr", "cs", "sv", "no", "fi", "ro", "hu", "he", "th", "vi",
)  # fmt: skip
# Enough prose for a confident answer; more only costs time.
_SAMPLE_CHARS: Final = 1_200
_MIN_LETTERS: Final = 12
_LETTER = re.compile(r"[^\W\d_]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


class _Detector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._identifier: LanguageIdentifier | None = None

    def classify(self, text: str) -> str:
        identifier = self._identifier
        if identifier is None:
            with self._lock:
                if self._identifier is None:
                    from service.langid import identifier as load_identifier

                    self._identifier = load_identifier(list(LANGUAGES))
                identifier = self._identifier
        language, _score = identifier.classify(text)
        return str(language)


_detector = _Detector()


def normalize_language(language: str | None) -> str | None:
    """``"en-US"`` -> ``"en"``; blank or malformed -> None."""
    if not language:
        return None
    code = language.strip().lower().replace("_", "-").split("-")[0]
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


def detect_language(sample: str) -> str:
    """ISO 639-1 code of the text's language; ``"en"`` when there is too little text to tell.

    Args:
        sample: Prose of the article (markup and metadata lines are best left out).

    Returns:
        A code from ``LANGUAGES``.
    """
    sample = sample[:_SAMPLE_CHARS]
    letters = len(_LETTER.findall(sample))
    if letters < _MIN_LETTERS:
        return DEFAULT_LANGUAGE
    # Hangul is unambiguous, and the statistical model is weakest on it.
    if len(_HANGUL.findall(sample)) > letters // 3:
        return "ko"
    if _plainly_english(sample):
        return "en"
    return _detector.classify(sample)


# Words that make up a fifth of running English prose and are rare in the other languages' text.
_ENGLISH_WORDS: Final = frozenset(
    {"the", "of", "and", "to", "in", "that", "was", "is", "for", "on", "with", "said", "by", "it", "as", "at",
     "from", "his", "has", "have", "had", "were", "be", "are", "this", "which"}
)  # fmt: skip
_WORD: Final = re.compile(r"[A-Za-z']+")
_NON_ASCII_LETTER: Final = re.compile(r"[^\W\d_A-Za-z]")
_ENGLISH_SHARE: Final = 0.18


def _plainly_english(sample: str) -> bool:
    """A shortcut for the common case: ASCII prose dense in English function words (no model needed)."""
    if _NON_ASCII_LETTER.search(sample):
        return False
    words = _WORD.findall(sample.lower())
    if len(words) < 30:
        return False
    return sum(word in _ENGLISH_WORDS for word in words) / len(words) >= _ENGLISH_SHARE
