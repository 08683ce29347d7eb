"""Attribution: who asserts a claim ("X said", "according to X", the extractor's speaker).

Two organisations or outlets stating the same thing is corroboration: an informative signal on a
"same" pair. The same words put in the mouths of two different *people* is misattribution, a
conflict (``rules.ORGANISATION_WORDS`` tells people from organisations).
"""

# ruff: noqa: RUF001

from __future__ import annotations

import re
from typing import Final

from service.extraction.context import TITLE_WORDS
from service.extraction.speakers import canonical_phrase, find_attribution
from service.relations import rules
from service.relations.entities import canonical
from service.text.countries import COUNTRIES

# The extraction's title words (service/data/words/titles.txt), the one list of them, and determiners.
_TITLES: Final = TITLE_WORDS | {"the", "a", "an", "'s"}


# Every name, demonym and capital of the one country list ("South Korea" is no person).
_COUNTRY_NAMES: Final = frozenset(alias.lower() for name, aliases in COUNTRIES.items() for alias in (name, *aliases))


def detect_speaker(text: str, language: str = "en") -> str | None:
    """The speaker a claim names ("..., the ministry said", "according to X", "X said that ..."), or None: the
    extraction's attribution frames (`service.extraction.speakers`), so a claim and a query read alike."""
    found = find_attribution(" ".join(text.split()), language)
    if found is None or found.pronoun:
        return None
    speaker = canonical_phrase(found.phrase)
    return speaker if 2 <= len(speaker) <= 80 else None


def _key_words(speaker: str) -> frozenset[str]:
    words = re.findall(r"[\w'’.-]+", speaker.lower().replace("’", "'"))
    return frozenset(w.removesuffix("'s") for w in words if w not in _TITLES)


def same_speaker(a: str, b: str) -> bool:
    """Whether two speaker strings name the same person or body (one name inside the other counts)."""
    if canonical(a) == canonical(b):
        return True
    ka, kb = _key_words(a), _key_words(b)
    if not ka or not kb:
        return False
    return ka <= kb or kb <= ka or bool({canonical(w) for w in ka} & {canonical(w) for w in kb} - {"the"})


def is_person(speaker: str) -> bool:
    """A speaker of two or more capitalised words, none of them an organisation word or a country."""
    words = [w for w in re.findall(r"[\w'’.-]+", speaker) if w.lower() not in _TITLES]
    if len(words) < 2 or not all(w[:1].isupper() for w in words) or " ".join(words).lower() in _COUNTRY_NAMES:
        return False
    lowered = {w.lower().removesuffix("'s") for w in words}
    if lowered & rules.ORGANISATION_WORDS:
        return False
    return all(canonical(w) == w.lower() for w in words)
