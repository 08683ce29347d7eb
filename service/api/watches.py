"""/watches and /alerts: watch claims, list the alerts they raised and their delivery, redeliver one."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import col, func, select

from service import alerts, judgments, store
from service.api.deps import RuntimeDep, SessionDep, WebhookFetcherDep
from service.errors import NotFoundError
from service.models import Alert, Judgment, Watch
from service.schemas import (
    AlertPublic,
    AlertsPublic,
    JudgmentCreate,
    JudgmentPublic,
    JudgmentsPublic,
    WatchCreate,
    WatchCreated,
    WatchesPublic,
    WatchPatch,
    WatchPublic,
)

router = APIRouter(tags=["watches"])

_States = Query(default=None, pattern="^(pending|delivered|failed)$", description="pending, delivered or failed.")


@router.post("/watches", status_code=status.HTTP_201_CREATED)
def create_watch(
    body: WatchCreate, session: SessionDep, runtime: RuntimeDep, fetcher: WebhookFetcherDep
) -> WatchCreated:
    """Watch a claim (your text, an ingested claim, a fact-check, or every fact-check): each newly ingested claim
    that matches it (same scoring as POST /claims/match) becomes an alert, POSTed to callback_url with Standard
    Webhooks signatures. The signing secret is in this answer only."""
    watch, secret = alerts.create_watch(session=session, runtime=runtime, body=body, fetcher=fetcher)
    return WatchCreated(**alerts.watch_public(watch).model_dump(), secret=secret)


@router.get("/watches")
def list_watches(
    session: SessionDep,
    offset: int = Query(default=0, ge=0, le=10_000_000),
    limit: int = Query(default=50, ge=1, le=500),
) -> WatchesPublic:
    """Watches, newest first, with their alert counts."""
    total = session.exec(select(func.count()).select_from(Watch)).one()
    rows = session.exec(select(Watch).order_by(col(Watch.id).desc()).offset(offset).limit(limit)).all()
    counts = alerts.alert_counts(session=session, watch_ids=[w.id or 0 for w in rows])
    return WatchesPublic(data=[alerts.watch_public(w, counts.get(w.id or 0, 0)) for w in rows], count=int(total))


@router.get("/watches/{watch_id}")
def read_watch(watch_id: int, session: SessionDep) -> WatchPublic:
    watch = alerts.get_watch(session=session, watch_id=watch_id)
    return alerts.watch_public(watch, alerts.alert_counts(session=session, watch_ids=[watch_id]).get(watch_id, 0))


@router.patch("/watches/{watch_id}")
def update_watch(watch_id: int, body: WatchPatch, session: SessionDep) -> WatchPublic:
    """Pause (active: false) or resume a watch, or change its threshold, relations or description."""
    watch = alerts.get_watch(session=session, watch_id=watch_id)
    if body.active is not None:
        watch.active = body.active
    if body.min_score is not None:
        watch.min_score = body.min_score
    if body.relations is not None:
        watch.relations = json.dumps(sorted(set(body.relations)))
    if body.description is not None:
        watch.description = body.description
    session.add(watch)
    alerts.bump_version(session)
    session.commit()
    session.refresh(watch)
    return alerts.watch_public(watch, alerts.alert_counts(session=session, watch_ids=[watch_id]).get(watch_id, 0))


@router.delete("/watches/{watch_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_watch(watch_id: int, session: SessionDep) -> None:
    """Delete a watch and its alerts (pending deliveries stop)."""
    watch = alerts.get_watch(session=session, watch_id=watch_id)
    session.delete(watch)
    alerts.bump_version(session)
    session.commit()


def _alerts_page(session: SessionDep, conditions: list[Any], offset: int, limit: int) -> AlertsPublic:
    total = session.exec(select(func.count()).select_from(Alert).where(*conditions)).one()
    rows = session.exec(
        select(Alert).where(*conditions).order_by(col(Alert.id).desc()).offset(offset).limit(limit)
    ).all()
    return AlertsPublic(data=alerts.alerts_public(session, rows), count=int(total))


@router.get("/watches/{watch_id}/alerts")
def watch_alerts(
    watch_id: int,
    session: SessionDep,
    state: str | None = _States,
    offset: int = Query(default=0, ge=0, le=10_000_000),
    limit: int = Query(default=50, ge=1, le=500),
) -> AlertsPublic:
    """The alerts of one watch, newest first, with their delivery state."""
    alerts.get_watch(session=session, watch_id=watch_id)
    conditions = [Alert.watch_id == watch_id] + ([Alert.state == state] if state else [])
    return _alerts_page(session, conditions, offset, limit)


@router.get("/alerts")
def list_alerts(
    session: SessionDep,
    since: dt.datetime | None = Query(default=None, description="Only alerts raised at or after (UTC)."),
    state: str | None = _States,
    offset: int = Query(default=0, ge=0, le=10_000_000),
    limit: int = Query(default=50, ge=1, le=500),
) -> AlertsPublic:
    """Every watch's alerts, newest first."""
    conditions: list[Any] = []
    if since is not None:
        moment = since.astimezone(dt.UTC) if since.tzinfo else since.replace(tzinfo=dt.UTC)
        conditions.append(col(Alert.created_at) >= moment)
    if state:
        conditions.append(Alert.state == state)
    return _alerts_page(session, conditions, offset, limit)


@router.get("/alerts/{alert_id}")
def read_alert(alert_id: int, session: SessionDep) -> AlertPublic:
    alert = session.get(Alert, alert_id) if store.valid_id(alert_id) else None
    if alert is None:
        raise NotFoundError(f"alert {alert_id} not found")
    return alerts.alerts_public(session, [alert])[0]


@router.post("/alerts/{alert_id}/redeliver")
def redeliver_alert(alert_id: int, session: SessionDep) -> AlertPublic:
    """Queue an alert for delivery again (due now; the same webhook-id and body, so receivers deduplicate)."""
    return alerts.alerts_public(session, [alerts.redeliver(session=session, alert_id=alert_id)])[0]


@router.post("/judgments", status_code=status.HTTP_201_CREATED)
def record_judgment(body: JudgmentCreate, request: Request, response: Response, session: SessionDep) -> JudgmentPublic:
    """A reviewer's verdict on a match (201; 200 when it replaces the pair's earlier verdict). The API key's id is
    recorded as the reviewer. Matches and alerts show it; a pair judged unrelated sinks and raises no alert."""
    reviewer = getattr(request.state, "key_id", None) or "local"
    judgment, created = judgments.record(session=session, body=body, reviewer=reviewer)
    if not created:
        response.status_code = status.HTTP_200_OK
    return judgments.public(judgment)


@router.get("/judgments")
def list_judgments(
    session: SessionDep,
    verdict: str | None = Query(default=None, pattern="^(same|conflict|related|unrelated)$"),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    limit: int = Query(default=50, ge=1, le=500),
) -> JudgmentsPublic:
    """Judgments, newest first (also what `bench/train_reranker.py --judgments` learns from)."""
    conditions = [Judgment.verdict == verdict] if verdict else []
    total = session.exec(select(func.count()).select_from(Judgment).where(*conditions)).one()
    rows = session.exec(
        select(Judgment).where(*conditions).order_by(col(Judgment.id).desc()).offset(offset).limit(limit)
    ).all()
    return JudgmentsPublic(data=[judgments.public(j) for j in rows], count=int(total))


@router.delete("/judgments/{judgment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_judgment(judgment_id: int, session: SessionDep) -> None:
    session.delete(judgments.get(session=session, judgment_id=judgment_id))
    session.commit()
