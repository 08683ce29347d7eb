"""/sources: ingest, list, read, delete articles, and their cross-reference report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, status
from pydantic import ValidationError

from service import factchecks, fetch, ingest, matching, report, store
from service.api.deps import (
    EncoderDep,
    ExtrasDep,
    FetcherDep,
    IndexDep,
    MatcherDep,
    MetricsDep,
    SessionDep,
    SettingsDep,
    SourceDep,
)
from service.api.examples import example
from service.errors import UnprocessableError
from service.models import Claim, Source
from service.schemas import (
    MAX_CONTEXT_WINDOW,
    CrossReferenceReport,
    ErrorResponse,
    SourceCreate,
    SourceDetail,
    SourceFromUrl,
    SourcePublic,
    SourcesPublic,
    SourceSummary,
)

router = APIRouter(prefix="/sources", tags=["sources"])


def source_public(source: Source, claims: list[Claim]) -> SourcePublic:
    return SourcePublic(**_source_fields(source, claims))


def _source_meta(source: Source) -> dict[str, Any]:
    """The source's own fields, shared by the list, detail and ingest responses."""
    return dict(
        id=source.id or 0,
        title=source.title,
        url=source.url,
        outlet=source.outlet,
        domain=source.domain,
        author=source.author,
        published_at=source.published_at,
        language=source.language,
        ingested_at=source.ingested_at,
    )


def _source_fields(source: Source, claims: list[Claim]) -> dict[str, Any]:
    return {**_source_meta(source), "claims": [matching.claim_public(c) for c in claims]}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: example("source", without=("text",)),
        200: {"model": SourcePublic, "description": "Already stored; nothing new was created."},
    },
)
def create_source(
    source_in: SourceCreate,
    response: Response,
    session: SessionDep,
    encoder: EncoderDep,
    index: IndexDep,
    settings: SettingsDep,
    extras: ExtrasDep,
    metrics: MetricsDep,
) -> SourcePublic:
    """Ingest an article: extract its claims, embed and index them (200 if the same content or URL exists)."""
    result = ingest.ingest_source(
        session=session, encoder=encoder, index=index, settings=settings, source_in=source_in, extras=extras
    )
    if result.created:
        metrics.claims_ingested.inc(len(result.claims))
    else:
        response.status_code = status.HTTP_200_OK
    return source_public(result.source, result.claims)


@router.post(
    "/from-url",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": SourcePublic, "description": "Already stored (same URL or text); nothing was created."},
        502: {"model": ErrorResponse, "description": "The site could not be reached or answered with an error."},
        504: {"model": ErrorResponse, "description": "The site did not answer in CROSSCHECK_FETCH_TIMEOUT_SECONDS."},
    },
)
def create_source_from_url(
    body: SourceFromUrl,
    response: Response,
    session: SessionDep,
    encoder: EncoderDep,
    index: IndexDep,
    settings: SettingsDep,
    fetcher: FetcherDep,
    extras: ExtrasDep,
    metrics: MetricsDep,
) -> SourcePublic:
    """Fetch a public web page, extract its article (title, author, date, site, body) and ingest it."""
    # Plain `def` as above; the fetch blocks too. Every hop's address is checked before connecting (fetch.py).
    existing = store.find_source_by_url(session=session, url=body.url.strip())
    if existing is not None:
        response.status_code = status.HTTP_200_OK
        return source_public(existing, store.claims_of(session=session, source_id=existing.id or 0))
    page = fetcher.fetch(body.url)
    article = fetch.extract_article(page)
    try:
        source_in = SourceCreate(
            text=article.text,
            url=article.url,
            title=article.title,
            outlet=body.outlet or article.site_name,
            author=article.author,
            published_at=article.published_at,
            language=body.language,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UnprocessableError(
            f"no usable article at {article.url}: {'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from exc
    result = ingest.ingest_source(
        session=session, encoder=encoder, index=index, settings=settings, source_in=source_in, extras=extras
    )
    # A fact-check page: the ClaimReview(s) it embeds are stored as fact-checks too (bad ones are skipped).
    reviews = factchecks.parse_feed(fetch.json_ld(page))
    checked = factchecks.store_reviews(
        session=session, encoder=encoder, index=index, settings=settings, parsed=reviews, extras=extras
    )
    if result.created:
        metrics.claims_ingested.inc(len(result.claims))
    else:
        response.status_code = status.HTTP_200_OK
    found = [*checked.stored, *checked.existing]
    return source_public(result.source, result.claims).model_copy(
        update={"fact_checks": [matching.fact_check_brief(fc) for fc in found]}
    )


@router.get("")
def list_sources(
    session: SessionDep,
    offset: int = Query(default=0, ge=0, le=10_000_000),
    limit: int = Query(default=50, ge=1, le=500),
) -> SourcesPublic:
    """List ingested sources, newest first, with their claim counts."""
    rows, total = store.list_sources(session=session, offset=offset, limit=limit)
    data = [SourceSummary(**_source_meta(s), claim_count=n) for s, n in rows]
    return SourcesPublic(data=data, count=total)


@router.get("/{source_id}", responses={200: example("source")})
def read_source(source: SourceDep, session: SessionDep) -> SourceDetail:
    """One source with its text and all its claims (each claim is text[start:end])."""
    return SourceDetail(
        **_source_fields(source, store.claims_of(session=session, source_id=source.id or 0)), text=source.text
    )


@router.delete("/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_source(source: SourceDep, session: SessionDep, index: IndexDep, extras: ExtrasDep) -> None:
    """Delete a source, its claims and their vectors."""
    ingest.delete_source(session=session, index=index, source_id=source.id or 0, extras=extras)


@router.get("/{source_id}/cross-references", responses={200: example("report")})
def cross_references(
    source: SourceDep,
    session: SessionDep,
    matcher: MatcherDep,
    k: int = Query(default=5, ge=1, le=100, description="Independent sources per claim (copies count once)."),
    min_checkworthiness: float | None = Query(
        default=None, ge=0.0, le=1.0, description="Only claims (of this and other sources) at least this check-worthy."
    ),
    context_window: int = Query(
        default=0,
        ge=0,
        le=MAX_CONTEXT_WINDOW,
        description="Match each claim in the light of the source's claims up to this many places before and after "
        "it, as a match query's `context` (for a speech or debate transcript, whose lines say 'that bill' or "
        "'he'). 0: each claim alone.",
    ),
    cohesion: float = Query(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="How much a match gains when the source's other claims match the same claim (0..1): a speech "
        "returns to its talking points, so the fact-check several of its sentences match is likely the one each "
        "refers to. 0.1 was chosen for debate transcripts (CLEF-2022 2B train); 0: each claim's matches alone.",
    ),
) -> CrossReferenceReport:
    """For every claim: corroborating independent sources, conflicting ones (with the signal), related claims."""
    # Plain `def`: FAISS and SQLite work. Each claim is matched from its stored vectors: nothing is encoded.
    return report.build_report(
        session=session,
        matcher=matcher,
        source=source,
        k=k,
        min_checkworthiness=min_checkworthiness,
        context_window=context_window,
        cohesion=cohesion,
    )
