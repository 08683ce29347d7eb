"""A Python client of the crosscheck HTTP API (httpx), sync and async, returning the API's own response models.

    from service.client import Client

    with Client("http://127.0.0.1:8000", api_key=None) as cc:
        source = cc.ingest("The harbour bridge opened on Friday ...", outlet="City Desk")
        found = cc.match("The bridge opened on Friday", k=5, per_source=True)
        for m in found.matches:
            print(m.score, m.relation, m.source.outlet, m.claim.text)

Importing it loads neither torch, FAISS nor onnxruntime: only httpx and the pydantic schemas. Every call is one
request described once (`_Call`), sent by `Client` or `AsyncClient`; an answer that is not 2xx raises
`CrosscheckError` with its status and the API's `detail`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from service.schemas import (
    CrossReferenceReport,
    FactCheckImport,
    Health,
    MatchResponse,
    SourceDetail,
    SourcePublic,
    SourcesPublic,
    SourceSummary,
)

__all__ = ["AsyncClient", "Client", "CrosscheckError", "Ingested"]

Model = TypeVar("Model", bound=BaseModel)
PAGE_SIZE = 500  # the API's largest page of GET /sources


class Ingested(SourcePublic):
    """The API's answer to an ingest, and whether it stored something new (201) or found it stored (200)."""

    created: bool


class CrosscheckError(Exception):
    """The API answered with an error: `status` (HTTP) and `detail` (its message, or the list of field errors)."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True, slots=True)
class _Call(Generic[Model]):
    """One request and the model its answer is read into (None: no body)."""

    method: str
    path: str
    model: type[Model] | None
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)

    def read(self, response: httpx.Response) -> Model | None:
        if not response.is_success:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise CrosscheckError(response.status_code, detail)
        if self.model is None:
            return None
        body = response.json()
        if issubclass(self.model, Ingested):
            body = {**body, "created": response.status_code == 201}
        return self.model.model_validate(body)


def _fields(given: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments as JSON: dates as ISO strings, None left out (the API's own default applies)."""
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in given.items()
        if value is not None
    }


def _ingest(text: str, fields: dict[str, Any]) -> _Call[Ingested]:
    return _Call("POST", "/sources", Ingested, json={"text": text, **_fields(fields)})


def _fact_checks(feed: Any) -> _Call[FactCheckImport]:
    return _Call("POST", "/fact-checks", FactCheckImport, json=feed)


def _ingest_url(url: str, fields: dict[str, Any]) -> _Call[Ingested]:
    return _Call("POST", "/sources/from-url", Ingested, json={"url": url, **_fields(fields)})


def _match(text: str, options: dict[str, Any]) -> _Call[MatchResponse]:
    return _Call("POST", "/claims/match", MatchResponse, json={"text": text, **_fields(options)})


def _source(source_id: int) -> _Call[SourceDetail]:
    return _Call("GET", f"/sources/{int(source_id)}", SourceDetail)


def _report(source_id: int, options: dict[str, Any]) -> _Call[CrossReferenceReport]:
    return _Call("GET", f"/sources/{int(source_id)}/cross-references", CrossReferenceReport, params=_fields(options))


def _delete(source_id: int) -> _Call[BaseModel]:
    return _Call("DELETE", f"/sources/{int(source_id)}", None)


def _health() -> _Call[Health]:
    return _Call("GET", "/health", Health)


def _page(offset: int) -> _Call[SourcesPublic]:
    return _Call("GET", "/sources", SourcesPublic, params={"offset": offset, "limit": PAGE_SIZE})


def _headers(api_key: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {api_key}"} if api_key else {}


class Client:
    """Synchronous client. `Client(base_url, api_key=None)`; use it as a context manager or call `close()`.

    Args:
        base_url: Where the API listens, e.g. ``http://127.0.0.1:8000``.
        api_key: The secret printed by `crosscheck keys create`, when the server has keys.
        timeout: Seconds per request (ingesting a long article encodes it: allow some).
        transport: An httpx transport (tests pass the app's).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(base_url=base_url, headers=_headers(api_key), timeout=timeout, transport=transport)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: _Call[Model]) -> Model | None:
        return call.read(self._http.request(call.method, call.path, json=call.json, params=call.params or None))

    def _get(self, call: _Call[Model]) -> Model:
        result = self._send(call)
        assert result is not None
        return result

    def ingest(self, text: str, **fields: Any) -> Ingested:
        """POST /sources: title, url, outlet, author, published_at, language as keywords (`.created`: new)."""
        return self._get(_ingest(text, fields))

    def ingest_url(self, url: str, **fields: Any) -> Ingested:
        """POST /sources/from-url: outlet, language as keywords."""
        return self._get(_ingest_url(url, fields))

    def import_fact_checks(self, feed: Any) -> FactCheckImport:
        """POST /fact-checks: a ClaimReview, a list of them, an @graph, a DataFeed or a Fact Check Tools answer."""
        return self._get(_fact_checks(feed))

    def match(self, text: str, **options: Any) -> MatchResponse:
        """POST /claims/match: k, mode, min_score, per_source and every filter of the API as keywords."""
        return self._get(_match(text, options))

    def source(self, source_id: int) -> SourceDetail:
        """GET /sources/{id}: the source with its text and claims."""
        return self._get(_source(source_id))

    def report(self, source_id: int, **options: Any) -> CrossReferenceReport:
        """GET /sources/{id}/cross-references: k, min_checkworthiness, context_window, cohesion as keywords."""
        return self._get(_report(source_id, options))

    def delete(self, source_id: int) -> None:
        """DELETE /sources/{id}: the source, its claims and vectors."""
        self._send(_delete(source_id))

    def health(self) -> Health:
        """GET /health: model, claim and index counts, database status."""
        return self._get(_health())

    def sources(self) -> Iterator[SourceSummary]:
        """Every stored source, newest first, fetched page by page."""
        offset = 0
        while True:
            page = self._get(_page(offset))
            yield from page.data
            offset += len(page.data)
            if not page.data or offset >= page.count:
                return


class AsyncClient:
    """The same calls as `Client`, awaited (`async with AsyncClient(base_url) as cc: await cc.match(...)`)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 120.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=_headers(api_key), timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def _send(self, call: _Call[Model]) -> Model | None:
        response = await self._http.request(call.method, call.path, json=call.json, params=call.params or None)
        return call.read(response)

    async def _get(self, call: _Call[Model]) -> Model:
        result = await self._send(call)
        assert result is not None
        return result

    async def ingest(self, text: str, **fields: Any) -> Ingested:
        return await self._get(_ingest(text, fields))

    async def import_fact_checks(self, feed: Any) -> FactCheckImport:
        return await self._get(_fact_checks(feed))

    async def ingest_url(self, url: str, **fields: Any) -> Ingested:
        return await self._get(_ingest_url(url, fields))

    async def match(self, text: str, **options: Any) -> MatchResponse:
        return await self._get(_match(text, options))

    async def source(self, source_id: int) -> SourceDetail:
        return await self._get(_source(source_id))

    async def report(self, source_id: int, **options: Any) -> CrossReferenceReport:
        return await self._get(_report(source_id, options))

    async def delete(self, source_id: int) -> None:
        await self._send(_delete(source_id))

    async def health(self) -> Health:
        return await self._get(_health())

    async def sources(self) -> AsyncIterator[SourceSummary]:
        offset = 0
        while True:
            page = await self._get(_page(offset))
            for item in page.data:
                yield item
            offset += len(page.data)
            if not page.data or offset >= page.count:
                return
