"""Claim extraction: one article string in, metadata and claims with exact offsets out.

The pipeline (see the modules for each step):

1. `markup` groups lines into units (paragraphs, list items, quotes, metadata lines), recognises the
   noise pages carry (bylines, captions, credits, related links, share and subscribe prompts, wire
   footers, press-release tails, tables) and strips datelines, live-blog timestamps and transcript
   labels from the start of paragraphs;
2. `language` detects the article's language (py3langid, offline) unless the caller gives it;
3. `sentences` splits prose units into sentences for that language (pysbd for the hard cases) with
   exact offsets, and joins a sentence a blank line broke in two;
4. `speakers` finds who asserts each sentence; quoted passages take their attribution;
5. `context` resolves pronouns, "the country"/"the ministry" and relative dates into `context_text`
   and gives speakers by name.

``text[claim.start:claim.end] == claim.text`` always holds; ``context_text`` is derived and may differ.
"""

from service.extraction.model import ArticleMeta, ExtractedClaim, Extraction
from service.extraction.pipeline import (
    MIN_CLAIM_WORDS,
    embedding_input,
    extract,
    extract_claims,
    normalize_claim_text,
    parse_metadata,
)
from service.text.language import detect_language

__all__ = [
    "MIN_CLAIM_WORDS",
    "ArticleMeta",
    "ExtractedClaim",
    "Extraction",
    "detect_language",
    "embedding_input",
    "extract",
    "extract_claims",
    "normalize_claim_text",
    "parse_metadata",
]
