"""The extraction pipeline: article text (and what is known about it) in, metadata and claims out."""

# Typographic quotes and non-Latin letters in the patterns are deliberate.
# ruff: noqa: RUF001

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, replace
from typing import Final

from service.extraction.context import ArticleContext, is_organisation_name
from service.extraction.markup import (
    ANSWER_LABELS,
    CLOSERS,
    CONTROL_TO_SPACE,
    PROSE,
    QUESTION_LABELS,
    Unit,
    parse_article_metadata,
    strip_markup,
    units_of,
    word_count,
)
from service.extraction.model import ArticleMeta, ExtractedClaim, Extraction
from service.extraction.sentences import sentence_spans
from service.extraction.speakers import Attribution, find_attribution
from service.text.language import detect_language, normalize_language
from service.text.words import read_sections

# Fewer words than this is a fragment ("Breaking news.", "Why not cut?"), not a claim. Korean
# writes several words as one spaced unit, so two of those already make a sentence.
MIN_CLAIM_WORDS: Final = 4
_MIN_WORDS_BY_LANGUAGE: Final = {"ko": 2}
_SAMPLE_CHARS: Final = 2_000
_QUOTE_OPENERS: Final = '"“«„'
_QUOTE_CLOSERS: Final = '"”»“'


def normalize_claim_text(text: str) -> str:
    """Collapse every whitespace run (newlines included) to one space and strip.

    Args:
        text: A claim's verbatim text.

    Returns:
        The text with single spaces.
    """
    return " ".join(text.split())


def embedding_input(*, text: str, context_text: str | None) -> str:
    """What gets embedded for a stored claim: its context text, or its flattened text for claims stored
    before context texts existed. Ingest, reindex and every extra encoder use this one rule.

    Args:
        text: The claim's verbatim text.
        context_text: Its decontextualized text, if any.

    Returns:
        The text to encode.
    """
    return context_text or normalize_claim_text(text)


def parse_metadata(text: str) -> ArticleMeta:
    """Read title, author, publication date and canonical URL from an article.

    Args:
        text: The whole article as received.

    Returns:
        The metadata; each field is ``None`` when the article does not carry it.
    """
    return _with_outlet(parse_article_metadata(text, units_of(text)))


def _with_outlet(meta: ArticleMeta) -> ArticleMeta:
    """The byline's organisation as the outlet ("By Baltic Wire Service"); a person's byline names none."""
    if meta.author and is_organisation_name(meta.author):
        return replace(meta, outlet=meta.author)
    return meta


def extract_claims(
    text: str, *, language: str | None = None, published_at: datetime.date | None = None
) -> list[ExtractedClaim]:
    """Split an article into claims with exact character offsets (see `extract`)."""
    return extract(text, language=language, published_at=published_at).claims


def extract(text: str, *, language: str | None = None, published_at: datetime.date | None = None) -> Extraction:
    """Extract metadata and claims in one pass over the article.

    Args:
        text: The whole article as received (markdown-ish, markdown or plain text).
        language: ISO 639-1 code of the article's language; ``None`` detects it.
        published_at: Publication date when the caller knows it; otherwise the article's own date
            line is used. Relative dates ("on Monday", "last year") are resolved against it.

    Returns:
        Metadata, language and claims in document order; every claim is ``text[start:end]``.
    """
    units = units_of(text)
    meta = _with_outlet(parse_article_metadata(text, units))
    code = normalize_language(language) or detect_language(_prose_sample(text, units, meta.title))
    claims = _claims(text, units, code, published_at or meta.published_at, meta.title)
    return Extraction(meta=meta, claims=claims, language=code)


def _prose_sample(text: str, units: list[Unit], title: str | None) -> str:
    parts = [title or ""]
    size = len(parts[0])
    for unit in units:
        if unit.kind in PROSE:
            parts.append(strip_markup(text[unit.start : unit.end]))
            size += unit.end - unit.start
            if size > _SAMPLE_CHARS:
                break
    return " ".join(parts)


@dataclass(slots=True)
class _Sentence:
    start: int
    end: int
    unit: int
    flat: str
    attribution: Attribution | None
    source: int | None = None  # index of the sentence whose attribution this one takes


def _claims(
    text: str, units: list[Unit], language: str, published: datetime.date | None, title: str | None
) -> list[ExtractedClaim]:
    min_words = _MIN_WORDS_BY_LANGUAGE.get(language, MIN_CLAIM_WORDS)
    sentences: list[_Sentence] = []
    for start, end, index in sentence_spans(text, units, language):
        raw = text[start:end]
        # Words with letters, months aside, must nearly make the minimum: "VIENNA, June 6." glued to a page's date
        # label has five words but is not a sentence.
        if word_count(raw) < min_words or word_count(raw, prose_only=True) < min_words - 1 or _is_question(raw):
            continue
        flat = normalize_claim_text(strip_markup(raw).translate(CONTROL_TO_SPACE))
        sentences.append(_Sentence(start, end, index, flat, find_attribution(flat, language)))
    _propagate_quotes(sentences, units)
    _propagate_reported_speech(sentences, language)

    context = ArticleContext(language=language, published=published)
    if title:
        context.observe(title)
    speakers: list[str | None] = []
    contexts: list[str] = []
    for position, sentence in enumerate(sentences):
        label = units[sentence.unit].label
        if label is not None and label.lower() in ANSWER_LABELS and context.interviewee is None:
            context.interviewee = context.first_person
        inherited = None
        if sentence.attribution is None and sentence.source is not None and sentence.source < position:
            inherited = speakers[sentence.source]
        resolved = context.resolve(
            sentence.flat,
            sentence.attribution,
            None if label is not None and label.lower() in QUESTION_LABELS else label,
            inherited,
        )
        speakers.append(resolved.speaker)
        contexts.append(resolved.context_text)
    # A quote whose attribution comes later in the paragraph takes that speaker.
    for position, sentence in enumerate(sentences):
        if sentence.attribution is None and sentence.source is not None and sentence.source > position:
            speakers[position] = speakers[sentence.source]
    return [
        ExtractedClaim(
            text=text[s.start : s.end],
            start=s.start,
            end=s.end,
            position=position,
            speaker=speakers[position],
            context_text=contexts[position],
        )
        for position, s in enumerate(sentences)
    ]


def _is_question(raw: str) -> bool:
    stripped = raw[-16:].translate(CONTROL_TO_SPACE).rstrip(CLOSERS)
    return stripped.endswith(("?", "？"))


# Verb forms of reported speech by language (service/data/words/reported_speech.txt).
_REPORTED_SPEECH: Final = {
    language: re.compile(r"(?<![\w\-])(?:" + "|".join(map(re.escape, forms)) + r")(?![\w\-])")
    for language, forms in read_sections("reported_speech").items()
}


def _propagate_reported_speech(sentences: list[_Sentence], language: str) -> None:
    """A sentence in reported speech ("Viele Gebäude seien abgebrannt.") continues the attribution before it."""
    pattern = _REPORTED_SPEECH.get(language)
    if pattern is None:
        return
    for index in range(1, len(sentences)):
        sentence, previous = sentences[index], sentences[index - 1]
        if sentence.attribution is not None or sentence.source is not None or not pattern.search(sentence.flat):
            continue
        if previous.attribution is not None:
            sentence.source = index - 1
        elif previous.source is not None and previous.source < index - 1:
            sentence.source = previous.source


def _propagate_quotes(sentences: list[_Sentence], units: list[Unit]) -> None:
    """Give the sentences of a quoted passage the attribution the passage carries.

    - a quote continuing after an attributed sentence ('"A," X said. "B."') takes X;
    - a quote opened before its attribution ('"A. B," X said.') takes X backwards;
    - a sentence that is only a quotation takes the attribution of the next sentence when that one
      is about the quote ('"A." The words came from X.') or ended with a colon ('X said: "A."').
    """
    for index, sentence in enumerate(sentences):
        if sentence.attribution is not None:
            continue
        previous = sentences[index - 1] if index > 0 else None
        following = sentences[index + 1] if index + 1 < len(sentences) else None
        same_previous = previous is not None and previous.unit == sentence.unit
        if same_previous and previous is not None and _continues_quote(previous.flat, sentence.flat):
            sentence.source = previous.source if previous.attribution is None else index - 1
            if sentence.source is not None:
                continue
        if _opens_unclosed_quote(sentence.flat):
            for later in range(index + 1, min(index + 6, len(sentences))):
                if sentences[later].unit != sentence.unit:
                    break
                if _closes_quote(sentences[later].flat):
                    if sentences[later].attribution is not None:
                        sentence.source = later
                    break
            if sentence.source is not None:
                continue
        if _only_quotation(sentence.flat):
            if following is not None and following.attribution is not None and _is_about_quote(following.flat):
                sentence.source = index + 1
            elif previous is not None and previous.attribution is not None and previous.flat.endswith(":"):
                sentence.source = index - 1


def _continues_quote(previous: str, sentence: str) -> bool:
    opens = sentence[:1] in _QUOTE_OPENERS
    ended_inside = previous.count('"') % 2 == 1 or previous.count("“") > previous.count("”")
    ended_inside = ended_inside or previous.count("«") > previous.count("»")
    return opens or ended_inside


def _opens_unclosed_quote(flat: str) -> bool:
    if flat[:1] not in _QUOTE_OPENERS:
        return False
    return flat.count('"') % 2 == 1 or flat.count("“") > flat.count("”") or flat.count("«") > flat.count("»")


def _closes_quote(flat: str) -> bool:
    return flat.count('"') % 2 == 1 or flat.count("”") > flat.count("“") or flat.count("»") > flat.count("«")


def _only_quotation(flat: str) -> bool:
    if flat[:1] not in _QUOTE_OPENERS:
        return False
    body = flat.rstrip(".!?…")
    return body[-1:] in _QUOTE_CLOSERS and not _QUOTE_INSIDE.search(flat[1:-2])


_QUOTE_INSIDE = re.compile(r"[\"“”«»]")
_ABOUT_QUOTE = re.compile(
    r"\b(?:words|remarks|comments|message|warning|pledge|promise|quote|statement)\b|^(?:That|So)\s+(?:was|said)"
    r"|^(?:Those|These)\s+were|\b(?:said|told|added|wrote)\b",
    re.IGNORECASE,
)


def _is_about_quote(flat: str) -> bool:
    return bool(_ABOUT_QUOTE.search(flat[:120]))
