"""The FastAPI application: `create_app()` and its lifespan."""

from __future__ import annotations

import gc
import json
import math
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embeddings import TextEncoder
from service import alerts, store, sync
from service.api import claims, factchecks, health, review, sources, watches
from service.api.deps import webhook_fetcher
from service.api.strict_query import reject_unknown_query
from service.config import Settings, get_settings
from service.db import open_session
from service.errors import CrossCheckError
from service.observability import Metrics, MetricsMiddleware, RuntimeFigures
from service.runtime import Runtime
from service.schemas import ErrorResponse
from service.security import LoopbackGuard, authorize

DESCRIPTION = """\
**crosscheck** finds which other sources state a claim, in their own words, with outlet, date, URL and
the exact position in the source text.

Try `POST /claims/match` with the example body, or `GET /sources` then
`GET /sources/{id}/cross-references` on one of the ingested seed articles.
"""


class BodySizeLimit:
    """Refuses request bodies over a byte limit with 413, before they are buffered whole.

    A declared Content-Length over the limit is refused at once; a chunked body is counted as it
    streams, and whatever the app would have answered after the limit was crossed is replaced by 413.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: Callable[[], int]) -> None:
        self.app = app
        self.max_bytes = max_bytes

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "detail": f"request body is over the limit of {limit:,} bytes "
                "(set CROSSCHECK_MAX_TEXT_BYTES to change it)"
            }
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes()
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._refuse(send, limit)
                return
        received = 0
        over = False
        answered = False

        async def counting_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    # Ends the body here; the app's answer is replaced below.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            if over:
                if not answered:
                    answered = True
                    await self._refuse(send, limit)
                return
            await send(message)

        await self.app(scope, counting_receive, guarded_send)
        if over and not answered:
            await self._refuse(send, limit)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CrossCheckError)
    return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})


# Documented on every operation so clients (and schemathesis) know every answer has the `{"detail": ...}` shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not parseable JSON."},
    401: {"model": ErrorResponse, "description": "An API key is needed (keys are configured)."},
    403: {"model": ErrorResponse, "description": "The API key may not do this (read-only key)."},
    404: {"model": ErrorResponse, "description": "No such source or claim."},
    413: {"model": ErrorResponse, "description": "Over a configured limit; the message names the setting."},
    415: {"model": ErrorResponse, "description": "The body is not sent as JSON (Content-Type: application/json)."},
    422: {"model": ErrorResponse, "description": "Invalid input; the message says which field and why."},
}
_ECHO_MAX_CHARS = 200


def _utf8_safe(text: str) -> str:
    # A lone surrogate ("\\ud800" in the request's JSON) cannot be encoded in the response: escape it.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _echo(value: Any) -> Any:
    """The part of an invalid input that is safe and short enough to send back."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN/Infinity are accepted by Python's JSON parser but cannot be sent back as JSON
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _utf8_safe(value if len(value) <= _ECHO_MAX_CHARS else value[:_ECHO_MAX_CHARS] + "…")
    return None


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """415 for a body that is not sent as JSON, 400 for one that does not parse, else FastAPI's 422 shape (without
    echoing large or non-JSON inputs back)."""
    assert isinstance(exc, RequestValidationError)
    body_errors = [e for e in exc.errors() if tuple(e["loc"][:1]) == ("body",)]
    content_type = request.headers.get("content-type", "")
    if body_errors and "json" not in content_type.lower() and await request.body():
        return JSONResponse(
            status_code=415,
            content={
                "detail": f"send the body as JSON with the header Content-Type: application/json "
                f"(this request's Content-Type: {_utf8_safe(content_type[:100]) or 'none'})"
            },
        )
    broken = next((e for e in body_errors if e["type"] == "json_invalid"), None)
    if broken is not None:
        position = broken["loc"][1] if len(broken["loc"]) > 1 else "?"
        reason = _utf8_safe(str(broken.get("ctx", {}).get("error", "not JSON")))
        return JSONResponse(
            status_code=400, content={"detail": f"the body is not valid JSON: {reason} (at character {position})"}
        )
    errors = []
    for error in exc.errors():
        loc = [_utf8_safe(part) if isinstance(part, str) else part for part in error["loc"]]
        item: dict[str, Any] = {"type": error["type"], "loc": loc, "msg": _utf8_safe(error["msg"])}
        if "input" in error and _echo(error["input"]) is not None:
            item["input"] = _echo(error["input"])
        errors.append(item)
    return JSONResponse(status_code=422, content={"detail": errors})


# Young-generation threshold and the two older ones' (CPython's defaults: 700, 10, 10). See `_settle_heap`.
GC_THRESHOLDS = (50_000, 50, 100)
_heap_settled = False


def _settle_heap() -> None:
    """Loads what the first match would load lazily, then keeps the garbage collector off the long-lived heap.

    Everything loaded at start-up (models, tokenizer tables, the language model) lives as long as the process;
    `gc.freeze` takes it out of every later collection. The match path allocates a lot but leaves little cyclic
    garbage, so collections can be rarer: at 1M claims full collections paused matches for up to 260 ms (the
    p99 of hybrid matches went from about 200 ms to 120 ms with this; memory after 300 matches unchanged). Once
    per process (tests start many apps in one).
    """
    global _heap_settled
    if _heap_settled:
        return
    from service.text.language import claim_language, detect_language

    claim_language("A short sentence to load the language model.")
    detect_language("A short sentence to load the language model.")
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    _heap_settled = True


def _settings_for(app: FastAPI) -> Settings:
    # The lifespan honours the same override the routes see, so tests configure both in one place.
    factory = app.dependency_overrides.get(get_settings, get_settings)
    settings: Settings = factory()
    return settings


def _newest_change(runtime: Runtime) -> int:
    """The change log's newest sequence number, on the runtime's own engine (read at each metrics scrape)."""
    with open_session(runtime.engine) as session:
        return store.last_change_seq(session=session)


def create_app(
    *, encoder: TextEncoder | None = None, extra_encoders: Mapping[str, TextEncoder] | None = None
) -> FastAPI:
    """Builds the app. Nothing is loaded until the lifespan starts.

    Args:
        encoder: An encoder to use instead of loading the configured model (tests share one).
        extra_encoders: Additional encoders by key instead of those the settings enable (`{}`: none).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = _settings_for(app)
        # Read before the indexes load: what other instances change from here on is replayed (service/sync.py).
        start_seq = sync.current_seq(settings)
        runtime = Runtime.open(settings, encoder=encoder, extra_encoders=extra_encoders)
        app.state.runtime = runtime
        app.state.engine = runtime.engine
        app.state.encoder = runtime.encoder
        app.state.index = runtime.index
        app.state.matcher = runtime.matcher
        follower = sync.build_follower(runtime, after=start_seq)
        app.state.sync = follower
        app.state.metrics.figures = RuntimeFigures(
            index_sizes=lambda: {
                runtime.matcher.dense.name: len(runtime.index),
                **{key: len(extra.index) for key, extra in runtime.extras.items()},
            },
            change_log=lambda: (follower.seq, _newest_change(runtime), follower.poll_age()),
        )
        following = settings.sync_interval_seconds > 0
        app.state.alerts = alerts.AlertService(
            runtime=runtime,
            fetcher=webhook_fetcher(settings),
            interval=settings.sync_interval_seconds,
            # Alerts are checked for what this process's indexes already hold (the follower's position).
            head=(lambda: follower.seq) if following else None,
        )
        _settle_heap()
        if following:
            follower.start()
            app.state.alerts.start()
        try:
            yield
        finally:
            app.state.alerts.stop()
            follower.stop()
            try:
                # A background index switch is stopped, not finished: a shutdown must not wait minutes for it.
                runtime.close(finish_rebuilds=False)
            finally:
                sync.close_lexical(runtime)

    # Swagger UI and ReDoc served from the package's own static files: /docs works with no internet access.
    app = FastAPIOffline(
        title="crosscheck",
        version="0.1.0",
        summary="Which other sources say this, in what words, and do they agree?",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Every route passes through authorize() (API keys, when configured: service/security.py), then
        # refuses query parameters it does not declare, as bodies refuse unknown fields.
        dependencies=[Depends(authorize), Depends(reject_unknown_query)],
        responses=ERROR_RESPONSES,
    )
    app.add_exception_handler(CrossCheckError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(BodySizeLimit, max_bytes=lambda: _settings_for(app).max_body_bytes)
    app.add_middleware(LoopbackGuard, settings=lambda: _settings_for(app))
    # Outermost: refused and failed requests are counted too.
    app.state.metrics = Metrics()
    app.add_middleware(MetricsMiddleware, metrics=lambda: app.state.metrics)
    app.include_router(sources.router)
    app.include_router(claims.router)
    app.include_router(factchecks.router)
    app.include_router(watches.router)
    app.include_router(review.router)
    app.include_router(health.router)
    return app
