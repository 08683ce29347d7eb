"""FastAPI dependencies: the per-request database session and the objects loaded at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from embeddings import ClaimIndex, TextEncoder
from service import store
from service.config import Settings, get_settings
from service.db import open_session
from service.fetch import Fetcher
from service.matching import Matcher
from service.models import Source
from service.observability import Metrics
from service.vectors import EncoderIndex

if TYPE_CHECKING:
    from service.runtime import Runtime


def get_session(request: Request) -> Iterator[Session]:
    with open_session(request.app.state.engine) as session:
        yield session


def get_encoder(request: Request) -> TextEncoder:
    encoder: TextEncoder = request.app.state.encoder
    return encoder


def get_index(request: Request) -> ClaimIndex:
    index: ClaimIndex = request.app.state.index
    return index


def get_extras(request: Request) -> dict[str, EncoderIndex]:
    """The additional encoders with their indexes (the multilingual one), by key."""
    extras: dict[str, EncoderIndex] = request.app.state.runtime.extras
    return extras


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


def get_matcher(request: Request) -> Matcher:
    matcher: Matcher = request.app.state.matcher
    return matcher


SessionDep = Annotated[Session, Depends(get_session)]
MatcherDep = Annotated[Matcher, Depends(get_matcher)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
EncoderDep = Annotated[TextEncoder, Depends(get_encoder)]
IndexDep = Annotated[ClaimIndex, Depends(get_index)]
ExtrasDep = Annotated[dict[str, EncoderIndex], Depends(get_extras)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def source_or_404(source_id: int, session: SessionDep) -> Source:
    return store.get_source(session=session, source_id=source_id)


SourceDep = Annotated[Source, Depends(source_or_404)]


def get_fetcher(settings: SettingsDep) -> Fetcher:
    """The URL fetcher of POST /sources/from-url; tests override it with a fake resolver and transport."""
    return Fetcher(settings)


FetcherDep = Annotated[Fetcher, Depends(get_fetcher)]


def webhook_fetcher(settings: Settings) -> Fetcher:
    """Callback URLs are checked (and alerts posted) like URL ingestion, with their own allowlist."""
    return Fetcher(
        settings,
        allow_networks=settings.webhook_allow_networks,
        allow_setting="CROSSCHECK_WEBHOOK_ALLOW_NETWORKS",
    )


def get_webhook_fetcher(request: Request) -> Fetcher:
    """The fetcher the alert service delivers with (tests give the app a fake resolver through it)."""
    fetcher: Fetcher = request.app.state.alerts.deliverer.fetcher
    return fetcher


WebhookFetcherDep = Annotated[Fetcher, Depends(get_webhook_fetcher)]


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated["Runtime", Depends(get_runtime)]
