"""Attribution: who asserts a claim ("X said", "according to X", the extractor's speaker).

Two organisations or outlets stating the same thing is corroboration: an informative signal on a
"same" pair. The same words put in the mouths of two different *people* is misattribution, a
conflict (``rules.ORGANISATION_WORDS`` tells people from organisations).
"""

# ruff: noqa: RUF001

from __future__ import annotations

import re
from typing import Final

from service.relations import rules
from service.relations.entities import canonical
from service.relations.text import word_set

_NAME = r"[A-ZА-ЯЁІЇЄҐ][\w'’.-]*(?:\s+(?:[A-ZА-ЯЁІЇЄҐ][\w'’.-]*|of|the|de|von))*"
_VERBS = r"(?:said|says|told|reported|reports|claimed|claims|announced|warned|estimates|estimated|stated|added)"
_PATTERNS: Final = (
    re.compile(
        r"\baccording to (?:the\s+|figures\s+(?:from\s+)?(?:the\s+)?)?"
        rf"({_NAME}|[a-z][\w\s'’-]{{2,40}}?)(?=[,.;]|$| has| said)"
    ),
    re.compile(rf"(?:^|,\s*|\"\s*|”\s*)((?:the\s+|a\s+)?[\w'’ -]{{2,60}}?)\s+{_VERBS}\.?\s*$", re.IGNORECASE),
    re.compile(rf"^(?:the\s+)?({_NAME})\s+{_VERBS}\b"),
    # "..., said Mirela Dancu": the inverted form only with verbs whose subject can follow them.
    re.compile(rf"\b(?:said|says|added|wrote|warned)\s+((?:[a-z]+\s+){{0,2}}{_NAME})"),
)
# Words a speaker never starts with ("said on Saturday", "said in a statement").
_NOT_SPEAKERS: Final = word_set(
    """on in at last this that it he she they we earlier later monday tuesday wednesday thursday friday
    saturday sunday january february march april may june july august september october november december"""
)
_TITLES: Final = word_set(
    """president prime minister finance foreign interior coach captain senator governor mayor economist
    professor opposition leader chief spokesman spokeswoman analyst general central bank secretary the a an
    's"""
)


def detect_speaker(text: str) -> str | None:
    """The speaker a claim names ("..., the ministry said", "according to X", "X said that ..."), or None."""
    flat = " ".join(text.split())
    for pattern in _PATTERNS:
        m = pattern.search(flat)
        if m:
            speaker = m.group(1).strip(' ,."”')
            first = speaker.split()[0].lower() if speaker.split() else ""
            if 2 <= len(speaker) <= 80 and first not in _NOT_SPEAKERS:
                return speaker
    return None


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
    if len(words) < 2 or not all(w[:1].isupper() for w in words):
        return False
    lowered = {w.lower().removesuffix("'s") for w in words}
    if lowered & rules.ORGANISATION_WORDS:
        return False
    return all(canonical(w) == w.lower() for w in words)
