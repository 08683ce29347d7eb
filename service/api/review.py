"""GET /review: server-rendered pages for a desk (Jinja2, no front-end build, nothing loaded from elsewhere).

Search a claim and see its matches, each with the matched sentence highlighted in its paragraph, outlet, date,
link, relation badge and signals, fact-check rating and any judgment; confirm or reject a match (a judgment);
open a source's cross-reference report; see a watch's alerts.

Keys work as in the API: the page sends a key kept in a cookie (set with the form at the foot of the page,
HttpOnly, SameSite=Strict, path /review) where the API takes the Authorization header. Its forms only accept
posts from the page's own origin (Origin or Referer), so another site cannot make a visitor's browser judge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlmodel import col, select

from service import alerts, judgments, report, store
from service.api.deps import MatcherDep, SessionDep, SettingsDep
from service.config import Settings
from service.db import open_session
from service.errors import UnprocessableError
from service.models import Alert, Watch
from service.schemas import JudgmentCreate, MatchQuery
from service.security import REVIEW_COOKIE, public_route

# Pages, not API: left out of the OpenAPI document (service.security still checks their keys, see required_access).
router = APIRouter(prefix="/review", include_in_schema=False, default_response_class=HTMLResponse)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))
MAX_FORM_BYTES = 20_000


def _context(request: Request, settings: Settings, **values: Any) -> dict[str, Any]:
    return {"request": request, "keys_configured": bool(settings.api_keys), "notice": None, **values}


def _paragraph(text: str, start: int, end: int) -> tuple[str, str]:
    """The text before and after a claim within its paragraph (blank lines delimit paragraphs)."""
    lo = text.rfind("\n\n", 0, start)
    hi = text.find("\n\n", end)
    return text[lo + 2 if lo >= 0 else 0 : start], text[end : hi if hi >= 0 else len(text)]


@router.get("", response_class=HTMLResponse)
def review_page(
    request: Request,
    session: SessionDep,
    matcher: MatcherDep,
    settings: SettingsDep,
    q: str = Query(default="", max_length=5_000, description="A claim to look up."),
    k: int = Query(default=10, ge=1, le=100),
    notice: str | None = Query(default=None, max_length=200),
) -> Response:
    """Search a claim and review its matches; the desk's watches."""
    matches: list[dict[str, Any]] = []
    sources = independent = 0
    text = q.strip()
    if text:
        try:
            query = MatchQuery(text=text, k=k)
        except ValidationError as exc:
            raise UnprocessableError(f"cannot search this text: {exc.errors()[0]['msg']}") from None
        found = matcher.match(session=session, query=query)
        sources, independent = found.sources, found.independent_sources
        stored = {s.id: s for s in store.sources_by_id(session=session, ids=[m.source.id for m in found.matches])}
        for m in found.matches:
            source = stored.get(m.source.id)
            before, after = _paragraph(source.text, m.claim.start, m.claim.end) if source else ("", "")
            matches.append({**m.model_dump(), "before": before, "after": after})
    watches = session.exec(select(Watch).order_by(col(Watch.id).desc()).limit(50)).all()
    counts = alerts.alert_counts(session=session, watch_ids=[w.id or 0 for w in watches])
    return templates.TemplateResponse(
        request,
        "search.html",
        _context(
            request,
            settings,
            q=text,
            matches=matches,
            sources=sources,
            independent=independent,
            watches=[alerts.watch_public(w, counts.get(w.id or 0, 0)) for w in watches],
            notice=notice,
        ),
    )


@router.get("/sources/{source_id}", response_class=HTMLResponse)
def review_source(
    source_id: int,
    request: Request,
    session: SessionDep,
    matcher: MatcherDep,
    settings: SettingsDep,
    transcript: bool = Query(default=False),
) -> Response:
    """A source's cross-reference report; `transcript`: read as a speech (its lines in context, cohesion)."""
    source = store.get_source(session=session, source_id=source_id)
    built = report.build_report(
        session=session,
        matcher=matcher,
        source=source,
        k=5,
        context_window=report.TRANSCRIPT_CONTEXT_WINDOW if transcript else 0,
        cohesion=report.TRANSCRIPT_COHESION if transcript else 0.0,
    )
    return templates.TemplateResponse(
        request, "report.html", _context(request, settings, report=built, transcript=transcript)
    )


@router.get("/watches/{watch_id}", response_class=HTMLResponse)
def review_watch(watch_id: int, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """A watch's alerts with their delivery."""
    watch = alerts.get_watch(session=session, watch_id=watch_id)
    rows = session.exec(select(Alert).where(Alert.watch_id == watch_id).order_by(col(Alert.id).desc()).limit(200)).all()
    return templates.TemplateResponse(
        request,
        "alerts.html",
        _context(request, settings, watch=alerts.watch_public(watch), alerts=alerts.alerts_public(session, rows)),
    )


def _same_origin(request: Request) -> None:
    """Refuses a form post sent from another site (its Origin, or else its Referer, is not this page's)."""
    host = request.headers.get("host", "")
    claimed = request.headers.get("origin") or request.headers.get("referer") or ""
    if not claimed or urlsplit(claimed).netloc != host:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="this form only accepts posts from the review page itself (Origin or Referer of this host)",
        )


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise UnprocessableError("the form is too large")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise UnprocessableError("the form is not UTF-8") from None
    return {name: values[-1] for name, values in fields.items()}


@router.post("/judge", response_class=HTMLResponse, status_code=status.HTTP_303_SEE_OTHER)
async def review_judge(request: Request) -> Response:
    """Confirm or reject a match from the page (records a judgment, then back to the search)."""
    _same_origin(request)
    form = await _form(request)
    try:
        body = JudgmentCreate(
            text=form.get("text") or None,
            matched_claim_id=int(form.get("matched_claim_id", "")),
            verdict=form.get("verdict", ""),  # type: ignore[arg-type]
        )
    except (ValueError, TypeError) as exc:
        raise UnprocessableError(f"not a judgment: {str(exc).splitlines()[0]}") from None
    reviewer = getattr(request.state, "key_id", None) or "local"
    with open_session(request.app.state.engine) as session:
        judgments.record(session=session, body=body, reviewer=reviewer)
    target = f"/review?q={quote(body.text or '')}&notice={quote(f'Recorded: {body.verdict}')}"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/key", response_class=HTMLResponse)
@public_route
def review_key_form(request: Request, settings: SettingsDep) -> Response:
    """The key form on its own: the way in when reads need a key too (CROSSCHECK_READS_REQUIRE_KEY)."""
    return templates.TemplateResponse(request, "key.html", {**_context(request, settings), "keys_configured": True})


@router.post("/key", response_class=HTMLResponse, status_code=status.HTTP_303_SEE_OTHER)
@public_route
async def review_key(request: Request) -> Response:
    """Keep an API key in this browser for the review pages (a cookie only /review sees)."""
    _same_origin(request)
    key = (await _form(request)).get("key", "").strip()
    response = RedirectResponse("/review?notice=" + quote("Key saved for this page"), status_code=303)
    if key:
        response.set_cookie(
            REVIEW_COOKIE, key, httponly=True, samesite="strict", path="/review", secure=request.url.scheme == "https"
        )
    else:
        response.delete_cookie(REVIEW_COOKIE, path="/review")
    return response
