"""Fact-checks (schema.org ClaimReview) in and out: parse every shape fact-checkers publish, store each review with
its claim (matched like any other), and render stored reviews back as ClaimReview JSON-LD.

Shapes `parse_feed` reads, in one body: a single ClaimReview object; a list of them; a JSON-LD document with
``@graph``; a schema.org ``DataFeed`` whose ``dataFeedElement[].item[]`` are ClaimReviews; and the answer of
Google's Fact Check Tools claim search (``{"claims": [{"text", "claimant", "claimDate", "claimReview": [...]}]}``).
Each review is read into a `ReviewIn`, or refused with the reason, naming the field; a feed with some bad items
keeps the good ones.

A review is stored as a `Source` of kind ``fact_check`` (its URL the review's, its outlet the reviewer) whose one
claim is the claim reviewed (whole, not split into sentences), plus a `FactCheck` row with the review's fields,
in one transaction. The review URL identifies it: importing it again answers with the stored one.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import insert
from sqlmodel import Session, SQLModel, col, select

from embeddings import ClaimIndex, TextEncoder
from service import ingest, store
from service.config import Settings
from service.errors import NotFoundError, UnprocessableError
from service.extraction.model import ArticleMeta, ExtractedClaim, Extraction
from service.extraction.pipeline import normalize_claim_text
from service.models import FACT_CHECK_KIND, Claim, FactCheck, NewsroomReview, Source
from service.schemas import SourceCreate, check_chars
from service.text.language import detect_language, normalize_language
from service.vectors import EncoderIndex

SCHEMA_CONTEXT = "https://schema.org"
MAX_CLAIM_CHARS = 5_000
MAX_FIELD_CHARS = 512


@dataclass(frozen=True, slots=True)
class ReviewIn:
    """One ClaimReview, read and checked."""

    url: str
    claim_reviewed: str
    rating_text: str | None
    rating_value: float | None
    rating_best: float | None
    rating_worst: float | None
    reviewer_name: str | None
    reviewer_url: str | None
    date_published: datetime.date | None
    language: str | None
    claimant: str | None
    claim_date: datetime.date | None
    appearances: tuple[str, ...] = ()
    first_appearance: str | None = None
    headline: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int  # the item's position among the reviews found in the body (0-based)
    detail: str


@dataclass(slots=True)
class Parsed:
    reviews: list[tuple[int, ReviewIn]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


class _Bad(ValueError):
    """A review that cannot be stored; the message names the field."""


# --------------------------------------------------------------------------------------------------- reading


def _types(node: Mapping[str, Any]) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def _first(value: Any) -> Any:
    """schema.org allows one value or a list of them: the first."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _text(value: Any, where: str, *, limit: int = MAX_FIELD_CHARS) -> str | None:
    value = _first(value)
    if value is None:
        return None
    if isinstance(value, Mapping):  # {"@value": "..."} or a Thing with a name
        value = value.get("@value", value.get("name"))
        if value is None:
            return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _Bad(f"{where}: expected text, got {type(value).__name__}")
    try:
        check_chars(str(value))
    except ValueError as exc:
        raise _Bad(f"{where}: {exc}") from None
    text = " ".join(str(value).split())
    if len(text) > limit:
        raise _Bad(f"{where}: longer than {limit:,} characters")
    return text or None


def _number(value: Any, where: str) -> float | None:
    value = _first(value)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _Bad(f"{where}: expected a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Bad(f"{where}: expected a number, got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise _Bad(f"{where}: expected a finite number, got {value!r}")
    return number


def _date(value: Any, where: str) -> datetime.date | None:
    value = _first(value)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Bad(f"{where}: expected an ISO 8601 date such as 2024-05-31, got {value!r}")
    raw = value.strip()
    try:
        if len(raw) == 10:
            return datetime.date.fromisoformat(raw)
        return datetime.datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
    except ValueError:
        raise _Bad(f"{where}: not a date: {value!r} (send ISO 8601, e.g. 2024-05-31)") from None


def _url(value: Any, where: str) -> str | None:
    value = _first(value)
    if isinstance(value, Mapping):
        value = value.get("url", value.get("@id"))
    text = _text(value, where, limit=2048)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise _Bad(f"{where}: not an http(s) URL: {text!r}")
    return text


def _name(value: Any, where: str) -> tuple[str | None, str | None]:
    """(name, url) of a Person or Organization (or a plain name)."""
    value = _first(value)
    if value is None:
        return None, None
    if isinstance(value, Mapping):
        return _text(value.get("name"), f"{where}.name"), _url(value.get("url") or value.get("sameAs"), f"{where}.url")
    return _text(value, where), None


def review_from_claimreview(node: Mapping[str, Any]) -> ReviewIn:
    """A schema.org ClaimReview object, checked.

    Raises:
        _Bad: What is missing or malformed, naming the field.
    """
    url = _url(node.get("url"), "url")
    if url is None:
        raise _Bad("url: missing (the review's own address identifies it)")
    claim = _text(node.get("claimReviewed"), "claimReviewed", limit=MAX_CLAIM_CHARS)
    if claim is None:
        raise _Bad("claimReviewed: missing or empty")
    item = _first(node.get("itemReviewed"))
    if not isinstance(item, Mapping):
        raise _Bad("itemReviewed: missing (the Claim reviewed: its author, date and appearances)")
    rating = _first(node.get("reviewRating"))
    if not isinstance(rating, Mapping):
        raise _Bad("reviewRating: missing")
    rating_text = _text(rating.get("alternateName") or rating.get("name"), "reviewRating.alternateName")
    rating_value = _number(rating.get("ratingValue"), "reviewRating.ratingValue")
    if rating_text is None and rating_value is None:
        raise _Bad("reviewRating: has neither a text (alternateName) nor a value (ratingValue)")
    reviewer_name, reviewer_url = _name(node.get("author"), "author")
    claimant, _ = _name(item.get("author"), "itemReviewed.author")
    appearances: list[str] = []
    for i, appearance in enumerate(_as_list(item.get("appearance"))):
        found = _url(appearance, f"itemReviewed.appearance[{i}]")
        if found and found not in appearances:
            appearances.append(found)
    first = _url(item.get("firstAppearance"), "itemReviewed.firstAppearance")
    language = _text(node.get("inLanguage"), "inLanguage", limit=16)
    return ReviewIn(
        url=url,
        claim_reviewed=claim,
        rating_text=rating_text,
        rating_value=rating_value,
        rating_best=_number(rating.get("bestRating"), "reviewRating.bestRating"),
        rating_worst=_number(rating.get("worstRating"), "reviewRating.worstRating"),
        reviewer_name=reviewer_name,
        reviewer_url=reviewer_url,
        date_published=_date(node.get("datePublished"), "datePublished"),
        language=normalize_language(language) if language else None,
        claimant=claimant,
        claim_date=_date(item.get("datePublished"), "itemReviewed.datePublished"),
        appearances=tuple(appearances),
        first_appearance=first,
        headline=_text(node.get("headline") or node.get("name"), "headline", limit=2048),
    )


def review_from_google(claim: Mapping[str, Any], review: Mapping[str, Any]) -> ReviewIn:
    """One ``claimReview`` of a Fact Check Tools claim search result, with its claim."""
    url = _url(review.get("url"), "claimReview.url")
    if url is None:
        raise _Bad("claimReview.url: missing")
    text = _text(claim.get("text"), "text", limit=MAX_CLAIM_CHARS)
    if text is None:
        raise _Bad("text: missing or empty (the claim reviewed)")
    rating_text = _text(review.get("textualRating"), "claimReview.textualRating")
    if rating_text is None:
        raise _Bad("claimReview.textualRating: missing or empty")
    publisher = review.get("publisher")
    reviewer_name = reviewer_url = None
    if isinstance(publisher, Mapping):
        reviewer_name = _text(publisher.get("name"), "claimReview.publisher.name")
        site = _text(publisher.get("site"), "claimReview.publisher.site", limit=2048)
        if site:
            reviewer_url = site if "://" in site else f"https://{site}"
    language = _text(review.get("languageCode"), "claimReview.languageCode", limit=16)
    return ReviewIn(
        url=url,
        claim_reviewed=text,
        rating_text=rating_text,
        rating_value=None,
        rating_best=None,
        rating_worst=None,
        reviewer_name=reviewer_name,
        reviewer_url=reviewer_url,
        date_published=_date(review.get("reviewDate"), "claimReview.reviewDate"),
        language=normalize_language(language) if language else None,
        claimant=_text(claim.get("claimant"), "claimant"),
        claim_date=_date(claim.get("claimDate"), "claimDate"),
        headline=_text(review.get("title"), "claimReview.title", limit=2048),
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _items(body: Any) -> Iterator[tuple[str, Any]]:
    """("schema", node) for each ClaimReview-like object, ("google", (claim, review)) for Fact Check Tools ones,
    ("bad", message) for an element that is not an object."""
    if isinstance(body, list):
        for element in body:
            yield from _items(element) if isinstance(element, (list, Mapping)) else [("bad", "not a JSON object")]
        return
    if not isinstance(body, Mapping):
        yield "bad", "not a JSON object"
        return
    if "claims" in body and isinstance(body.get("claims"), list) and "@type" not in body:
        for claim in body["claims"]:
            if not isinstance(claim, Mapping):
                yield "bad", "claims[]: not a JSON object"
                continue
            reviews = claim.get("claimReview")
            if not isinstance(reviews, list) or not reviews:
                yield "bad", "claimReview: missing or empty (the reviews of this claim)"
                continue
            for review in reviews:
                yield (
                    ("google", (claim, review))
                    if isinstance(review, Mapping)
                    else ("bad", "claimReview[]: not an object")
                )
        return
    types = _types(body)
    if "@graph" in body:
        for node in _as_list(body["@graph"]):
            if isinstance(node, Mapping) and (_types(node) & {"ClaimReview", "DataFeed"}):
                yield from _items(node)
        return
    if "DataFeed" in types:
        for element in _as_list(body.get("dataFeedElement")):
            if not isinstance(element, Mapping):
                yield "bad", "dataFeedElement[]: not a JSON object"
                continue
            items = _as_list(element.get("item"))
            if not items and "ClaimReview" in _types(element):
                items = [element]
            if not items:
                yield "bad", "dataFeedElement[].item: missing (the ClaimReview of this element)"
            for item in items:
                yield from _items(item)
        return
    if "ClaimReview" in types:
        yield "schema", body
        return
    yield "bad", f"@type: {sorted(types) or 'missing'}; expected ClaimReview (or a DataFeed, @graph or list of them)"


def parse_feed(body: Any) -> Parsed:
    """Every ClaimReview found in a request or file body, and the reason each bad one was refused."""
    out = Parsed()
    for index, (shape, node) in enumerate(_items(body)):
        try:
            if shape == "bad":
                raise _Bad(str(node))
            review = review_from_claimreview(node) if shape == "schema" else review_from_google(*node)
        except _Bad as exc:
            out.rejected.append(Rejected(index=index, detail=str(exc)))
            continue
        out.reviews.append((index, review))
    return out


def looks_like_claimreview(body: Any) -> bool:
    """Whether a JSON document is a fact-check feed (for `crosscheck ingest`) rather than articles."""
    return any(shape != "bad" for shape, _ in _items(body))


# --------------------------------------------------------------------------------------------------- storing


@dataclass(slots=True)
class StoreResult:
    stored: list[FactCheck] = field(default_factory=list)
    existing: list[FactCheck] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def _prepared(review: ReviewIn) -> ingest.Prepared:
    text = review.claim_reviewed
    language = review.language or detect_language(text)
    claim = ExtractedClaim(
        text=text,
        start=0,
        end=len(text),
        position=0,
        speaker=review.claimant,
        context_text=normalize_claim_text(text),
    )
    source_in = SourceCreate.model_construct(
        text=text,
        url=review.url,
        title=review.headline,
        outlet=review.reviewer_name,
        author=None,
        published_at=review.date_published,
        language=language,
    )
    return ingest.Prepared(
        source_in=source_in,
        # Two organisations may review the same words: the review's URL makes its hash its own.
        text_hash=store.content_hash(f"claimreview\n{review.url}\n{text}"),
        url=review.url,
        extraction=Extraction(
            meta=ArticleMeta(title=review.headline, author=None, published_at=review.date_published, url=review.url),
            claims=[claim],
            language=language,
        ),
        kind=FACT_CHECK_KIND,
    )


def _row(review: ReviewIn, source_id: int, claim_id: int, language: str | None) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "claim_id": claim_id,
        "url": review.url,
        "claim_reviewed": review.claim_reviewed,
        "headline": review.headline,
        "rating_text": review.rating_text,
        "rating_value": review.rating_value,
        "rating_best": review.rating_best,
        "rating_worst": review.rating_worst,
        "reviewer_name": review.reviewer_name,
        "reviewer_url": review.reviewer_url,
        "date_published": review.date_published,
        "language": language,
        "claimant": review.claimant,
        "claim_date": review.claim_date,
        "appearances": json.dumps(list(review.appearances)),
        "first_appearance": review.first_appearance,
        "created_at": datetime.datetime.now(datetime.UTC),
    }


def by_urls(*, session: Session, urls: Sequence[str]) -> dict[str, FactCheck]:
    found: dict[str, FactCheck] = {}
    for start in range(0, len(urls), 500):
        chunk = list(urls[start : start + 500])
        for row in session.exec(select(FactCheck).where(col(FactCheck.url).in_(chunk))):
            found[row.url] = row
    return found


def _writer(
    table: Any, reviews: Sequence[ReviewIn], prepared: Sequence[ingest.Prepared]
) -> Callable[[Session, list[int], list[int]], None]:
    """Writes the reviews' rows in the transaction of their sources and claims."""

    def write(session: Session, source_ids: list[int], claim_ids: list[int]) -> None:
        rows = [
            _row(review, sid, cid, p.extraction.language)
            for review, p, sid, cid in zip(reviews, prepared, source_ids, claim_ids, strict=True)
        ]
        session.connection().execute(insert(table), rows)

    return write


def store_reviews(
    *,
    session: Session,
    encoder: TextEncoder,
    index: ClaimIndex,
    settings: Settings,
    parsed: Parsed,
    extras: Mapping[str, EncoderIndex] | None = None,
    batch: int = 256,
) -> StoreResult:
    """Stores the new reviews (a claim each, both encoders, FTS) in transactions of ``batch``; the known ones come
    back under ``existing``. Nothing of a batch is half-stored: its sources, claims and reviews commit together."""
    result = StoreResult(rejected=list(parsed.rejected))
    # One per URL: a feed that repeats a review stores it once (the repeat is "existing").
    first: dict[str, ReviewIn] = {}
    repeats: list[str] = []
    for _, review in parsed.reviews:
        if review.url in first:
            repeats.append(review.url)
        else:
            first[review.url] = review
    known = by_urls(session=session, urls=list(first))
    result.existing.extend(known[url] for url in first if url in known)
    new = [review for url, review in first.items() if url not in known]
    table = SQLModel.metadata.tables["factcheck"]
    for start in range(0, len(new), batch):
        chunk = new[start : start + batch]
        prepared = [_prepared(r) for r in chunk]
        for p in prepared:
            ingest.check_text_size(p.source_in.text, settings)
        write = _writer(table, chunk, prepared)
        ingest._store_new(
            session=session,
            encoder=encoder,
            index=index,
            settings=settings,
            articles=prepared,
            extras=extras or {},
            before_commit=write,
            group=False,
        )
        stored = by_urls(session=session, urls=[r.url for r in chunk])
        result.stored.extend(stored[r.url] for r in chunk)
    if repeats:
        everything = {fc.url: fc for fc in result.stored + result.existing}
        result.existing.extend(everything[url] for url in repeats if url in everything)
    return result


def get(*, session: Session, fact_check_id: int) -> FactCheck:
    row = session.get(FactCheck, fact_check_id) if store.valid_id(fact_check_id) else None
    if row is None:
        raise NotFoundError(f"fact-check {fact_check_id} not found")
    return row


def delete(*, session: Session, index: ClaimIndex, fact_check: FactCheck, extras: Mapping[str, EncoderIndex]) -> None:
    """The review, its claim and its vectors (the source row cascades to the review)."""
    ingest.delete_source(session=session, index=index, source_id=fact_check.source_id, extras=extras)


# --------------------------------------------------------------------------------------------------- writing


def _thing(name: str | None, url: str | None, kind: str) -> dict[str, Any] | None:
    if not name and not url:
        return None
    out: dict[str, Any] = {"@type": kind}
    if name:
        out["name"] = name
    if url:
        out["url"] = url
    return out


def _number_out(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == int(value) else value


def claimreview(fc: FactCheck, *, context: bool = True) -> dict[str, Any]:
    """The stored review as schema.org ClaimReview JSON-LD (what `review_from_claimreview` reads back)."""
    rating: dict[str, Any] = {"@type": "Rating"}
    for key, value in (
        ("ratingValue", _number_out(fc.rating_value)),
        ("bestRating", _number_out(fc.rating_best)),
        ("worstRating", _number_out(fc.rating_worst)),
        ("alternateName", fc.rating_text),
    ):
        if value is not None:
            rating[key] = value
    item: dict[str, Any] = {"@type": "Claim"}
    claimant = _thing(fc.claimant, None, "Person")
    if claimant:
        item["author"] = claimant
    if fc.claim_date:
        item["datePublished"] = fc.claim_date.isoformat()
    appearances = json.loads(fc.appearances or "[]")
    if appearances:
        item["appearance"] = [{"@type": "CreativeWork", "url": url} for url in appearances]
    if fc.first_appearance:
        item["firstAppearance"] = {"@type": "CreativeWork", "url": fc.first_appearance}
    out: dict[str, Any] = {"@context": SCHEMA_CONTEXT} if context else {}
    out.update({"@type": "ClaimReview", "url": fc.url, "claimReviewed": fc.claim_reviewed})
    author = _thing(fc.reviewer_name, fc.reviewer_url, "Organization")
    if author:
        out["author"] = author
    if fc.date_published:
        out["datePublished"] = fc.date_published.isoformat()
    if fc.headline:
        out["headline"] = fc.headline
    if fc.language:
        out["inLanguage"] = fc.language
    out["itemReviewed"] = item
    out["reviewRating"] = rating
    return out


def data_feed(reviews: Sequence[FactCheck]) -> dict[str, Any]:
    """Every review as one schema.org DataFeed (the shape fact-check feeds publish)."""
    return {
        "@context": SCHEMA_CONTEXT,
        "@type": "DataFeed",
        "dateModified": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "dataFeedElement": [{"@type": "DataFeedItem", "item": [claimreview(fc, context=False)]} for fc in reviews],
    }


def nothing_valid(result: StoreResult) -> UnprocessableError:
    reasons = "; ".join(f"item {r.index}: {r.detail}" for r in result.rejected[:5])
    more = f" (and {len(result.rejected) - 5} more)" if len(result.rejected) > 5 else ""
    return UnprocessableError(f"no valid ClaimReview in the body: {reasons or 'it holds no review'}{more}")


def newsroom_claimreview(
    *, claim: Claim, source: Source, review: NewsroomReview, organization: tuple[str, str | None]
) -> dict[str, Any]:
    """A newsroom's verdict on an ingested claim as ClaimReview: the claim's context text reviewed, its article
    the appearance, the newsroom the author."""
    name, url = organization
    item: dict[str, Any] = {"@type": "Claim"}
    if claim.speaker:
        item["author"] = {"@type": "Person", "name": claim.speaker}
    if source.published_at:
        item["datePublished"] = source.published_at.isoformat()
    if source.url:
        appearance: dict[str, Any] = {"@type": "CreativeWork", "url": source.url}
        if source.title:
            appearance["headline"] = source.title
        if source.outlet:
            appearance["publisher"] = {"@type": "Organization", "name": source.outlet}
        item["appearance"] = [appearance]
    out: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": "ClaimReview",
        "url": review.url,
        "claimReviewed": claim.context_text or normalize_claim_text(claim.text),
        "author": _thing(name, url, "Organization"),
        "datePublished": review.created_at.date().isoformat(),
        "itemReviewed": item,
        "reviewRating": {"@type": "Rating", "alternateName": review.rating},
    }
    if review.explanation:
        out["reviewBody"] = review.explanation
    if source.language:
        out["inLanguage"] = source.language
    return out
