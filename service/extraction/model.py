"""The values extraction returns: article metadata and claims with exact offsets."""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """Article-level metadata found around the prose."""

    title: str | None
    author: str | None
    published_at: datetime.date | None
    url: str | None
    # The outlet, when the byline names an organisation rather than a person ("By Baltic Wire Service").
    outlet: str | None = None


@dataclass(frozen=True, slots=True)
class ExtractedClaim:
    """One claim: a verbatim sentence of the input with its character span.

    ``text`` is always ``article[start:end]``, byte for byte. ``context_text`` is what the claim says
    on its own: the whitespace-normalised sentence with the referents a reader would need written in
    square brackets after the words that need them ("He [Kim Jong Un] added ...", "on Monday
    [2025-04-28]"). It is what gets embedded and what a fact-checker reads next to the verbatim text.
    """

    text: str
    start: int
    end: int
    position: int
    speaker: str | None
    context_text: str


@dataclass(frozen=True, slots=True)
class Extraction:
    """Metadata, detected (or given) language and claims of one article."""

    meta: ArticleMeta
    claims: list[ExtractedClaim]
    language: str = "en"
