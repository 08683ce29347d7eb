"""Watches and alerts: newly ingested claims that match a watched claim are posted to the watch's callback URL.

How an alert comes to be, and why none is lost:

1. Every claim insert writes a row to the change log (``claim_change``) in the same transaction as the claim
   (database triggers, service/db.py), whatever the path: API, CLI batch, URL, fact-check import, import. The
   change log is the outbox of claims to check.
2. `AlertChecker.check` reads the log after the alerts cursor (``sync_info["alerts.seq"]``). The watches' own
   vectors sit in their own in-memory index (`WatchIndex`, exact inner product), so each new claim finds the
   watches near it without scanning them all; each such watch's text is then matched against those new claims
   with `Matcher.match` -- the scoring of ``POST /claims/match`` -- and a match at or above the watch's
   ``min_score`` with one of its ``relations`` becomes an `Alert` row. ``all_fact_checks`` watches look each new
   article claim up among the stored fact-checks instead. The alerts and the cursor's advance commit in one
   transaction, the advance guarded by the cursor's old value: with several API processes, one of them wins
   each batch, the others' work is dropped; a crash before the commit leaves the cursor where it was.
3. `Deliverer` posts each pending alert, under a lease (an UPDATE that only one process can win), with the
   Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``: HMAC-SHA256 of
   "id.timestamp.body" with the watch's secret, by the ``standardwebhooks`` package). A non-2xx answer or a
   network error is retried with exponential backoff and jitter until ``CROSSCHECK_WEBHOOK_RETRY_HOURS`` after
   the alert was raised, then the alert is ``failed``. Delivery is at least once: a receiver deduplicates on
   ``webhook-id`` (the same for every delivery of one alert, as is the body).

Callback URLs pass the same address checks as URL ingestion (public addresses only, or networks in
``CROSSCHECK_WEBHOOK_ALLOW_NETWORKS``); a delivery never follows a redirect.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import logging
import os
import random
import secrets
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import faiss
import numpy as np
from sqlalchemy import func, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select
from standardwebhooks.webhooks import Webhook

from service import factchecks, judgments, store
from service.background import BackgroundLoop
from service.config import Settings
from service.errors import CrossCheckError, NotFoundError, UnprocessableError
from service.fetch import Fetcher
from service.matching import (
    Matcher,
    Scope,
    claim_public,
    fact_check_brief,
    in_context,
    judgment_brief,
    source_brief,
    with_cohesion,
    with_context,
)
from service.models import FACT_CHECK_KIND, Alert, Claim, ClaimVector, FactCheck, Source, Watch
from service.models import utcnow as now  # aware UTC, as the tables store times
from service.multilingual import USE_KEY
from service.schemas import (
    MAX_CONTEXT_CHARS,
    AlertPublic,
    Match,
    MatchQuery,
    SignalPublic,
    WatchCreate,
    WatchPublic,
)

if TYPE_CHECKING:
    from service.runtime import Runtime

logger = logging.getLogger(__name__)

CURSOR_KEY: Final = store.ALERTS_CURSOR_KEY
VERSION_KEY: Final = "watches.version"
SECRET_PREFIX: Final = "whsec_"
# The reverse index only preselects: a watch is checked against a new claim from this cosine on (MiniLM, or the
# multilingual encoder's), among the claim's nearest WATCH_CANDIDATES watches; the match score decides. The
# bound trades recall for work: each candidate watch costs one match (see bench/watches.py for both).
CANDIDATE_MIN_COSINE: Final = 0.45
WATCH_CANDIDATES: Final = 16
BATCH: Final = 2_000  # change-log rows checked per transaction
# Fact-checks looked at per claim when a watch weighs cohesion: the ones other claims of its source may lift.
COHESION_DEPTH: Final = 20
DELIVERIES_PER_ROUND: Final = 20
LEASE_SECONDS: Final = 120
BACKOFF_FIRST_SECONDS: Final = 5.0
BACKOFF_MAX_SECONDS: Final = 3_600.0
ALERT_THREAD_NICENESS: Final = 10
SETTLE_SECONDS: Final = 1.0
MAX_DEFER_SECONDS: Final = 15.0


# --------------------------------------------------------------------------------------------------- watches


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def check_secret(secret: str) -> str:
    """A caller's own secret: whsec_ + base64 of 24 to 64 bytes (what Standard Webhooks libraries accept)."""
    if not secret.startswith(SECRET_PREFIX):
        raise UnprocessableError("secret: must start with whsec_ (then the base64 of 24 to 64 random bytes)")
    try:
        raw = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise UnprocessableError("secret: what follows whsec_ is not base64") from None
    if not 24 <= len(raw) <= 64:
        raise UnprocessableError(f"secret: {len(raw)} bytes after base64 decoding; use 24 to 64 random bytes")
    return secret


def _json_list(raw: str | None) -> list[str] | None:
    return None if raw is None else list(json.loads(raw))


def watch_public(watch: Watch, alerts: int = 0) -> WatchPublic:
    return WatchPublic(
        id=watch.id or 0,
        text=watch.text,
        claim_id=watch.claim_id,
        fact_check_id=watch.fact_check_id,
        all_fact_checks=watch.all_fact_checks,
        min_score=watch.min_score,
        relations=_json_list(watch.relations) or [],
        languages=_json_list(watch.languages),
        callback_url=watch.callback_url,
        description=watch.description,
        active=watch.active,
        created_at=watch.created_at,
        context=_json_list(watch.context),
        context_window=watch.context_window or 0,
        cohesion=watch.cohesion or 0.0,
        alerts=alerts,
    )


def bump_version(session: Session) -> None:
    """Tells every process's `WatchIndex` to reload (in the transaction of the change)."""
    current = int(store.get_sync_info(session=session, key=VERSION_KEY) or 0)
    store.set_sync_info(session=session, key=VERSION_KEY, value=str(current + 1))


def create_watch(*, session: Session, runtime: Runtime, body: WatchCreate, fetcher: Fetcher) -> tuple[Watch, str]:
    """Checks and stores a watch; returns it with its secret (shown once).

    Raises:
        UnprocessableError: Not exactly one target, an unknown claim or fact-check, a callback URL that may not
            be reached, a malformed secret.
    """
    targets = [body.text is not None, body.claim_id is not None, body.fact_check_id is not None, body.all_fact_checks]
    if sum(targets) != 1:
        raise UnprocessableError("give exactly one of text, claim_id, fact_check_id or all_fact_checks: true")
    if body.context is not None and body.text is None:
        raise UnprocessableError(
            "context: only with text (a claim_id watch takes context_window: its source's claims around it)"
        )
    if body.context_window and body.claim_id is None and not body.all_fact_checks:
        raise UnprocessableError(
            "context_window: only with claim_id or all_fact_checks (a text watch takes context: the sentences "
            "around it)"
        )
    if body.cohesion and not body.all_fact_checks:
        raise UnprocessableError("cohesion: only with all_fact_checks (it weighs what a source's other claims match)")
    text: str | None = None
    context: list[str] | None = [" ".join(c.split()) for c in body.context] if body.context else None
    if body.text is not None:
        text = " ".join(body.text.split())
        if not text:
            raise UnprocessableError("text: empty; send the claim to watch")
        if len(text) > runtime.settings.max_query_chars:
            raise UnprocessableError(f"text: longer than {runtime.settings.max_query_chars:,} characters")
    elif body.claim_id is not None:
        try:
            claim = store.get_claim(session=session, claim_id=body.claim_id)
        except NotFoundError:
            raise UnprocessableError(f"claim_id: no claim {body.claim_id}") from None
        text = claim.context_text or " ".join(claim.text.split())
        if body.context_window:
            context = _neighbours(session, claim, body.context_window) or None
    elif body.fact_check_id is not None:
        try:
            text = factchecks.get(session=session, fact_check_id=body.fact_check_id).claim_reviewed
        except NotFoundError:
            raise UnprocessableError(f"fact_check_id: no fact-check {body.fact_check_id}") from None
    # The callback's form and addresses, now: a forbidden or unresolvable receiver is refused before storing.
    try:
        fetcher.resolve(fetcher.check_url(body.callback_url))
    except CrossCheckError as exc:
        raise UnprocessableError(f"callback_url: {exc.message}") from None
    secret = check_secret(body.secret) if body.secret is not None else new_secret()
    embedding = embedding_use = None
    if text is not None:
        embedding = store.vector_to_bytes(_watch_vector(runtime.encoder, text, context))
        if USE_KEY in runtime.extras:
            embedding_use = store.vector_to_bytes(_watch_vector(runtime.extras[USE_KEY].encoder, text, context))
    watch = Watch(
        text=text,
        claim_id=body.claim_id,
        fact_check_id=body.fact_check_id,
        all_fact_checks=body.all_fact_checks,
        min_score=body.min_score,
        relations=json.dumps(sorted(set(body.relations))),
        languages=json.dumps(sorted({lang.lower() for lang in body.languages})) if body.languages else None,
        callback_url=body.callback_url,
        description=body.description,
        context=json.dumps(context, ensure_ascii=False) if context else None,
        context_window=body.context_window or None,
        cohesion=body.cohesion or None,
        secret=secret,
        embedding=embedding,
        embedding_use=embedding_use,
    )
    if store.get_sync_info(session=session, key=CURSOR_KEY) is None:
        # The first watch: claims logged from now on are the new ones (none before is checked).
        store.set_sync_info(session=session, key=CURSOR_KEY, value=str(store.last_change_seq(session=session)))
    session.add(watch)
    bump_version(session)
    session.commit()
    return watch, secret


def _neighbours(session: Session, claim: Claim, window: int) -> list[str]:
    """The texts of the claims of `claim`'s source up to `window` places before and after it, in their order (each
    cut to what a match query's context takes)."""
    every = store.claims_of(session=session, source_id=claim.source_id)
    place = next(i for i, c in enumerate(every) if c.id == claim.id)
    around = every[max(0, place - window) : place] + every[place + 1 : place + window + 1]
    return [(c.context_text or " ".join(c.text.split()))[:MAX_CONTEXT_CHARS] for c in around]


def encode_watches(*, engine: Engine, encoders: dict[str, Any], reencode: bool) -> int:
    """Gives every text watch its vector of each encoder (key "dense" or `USE_KEY` -> encoder) that it lacks, or
    every vector anew with `reencode`: a reindex that re-encodes the claims or enables the multilingual encoder
    does the same for the watches, whose reverse index must live in the claims' vector space. Returns how many
    vectors were written (one transaction)."""
    written = 0
    with Session(engine) as session:
        for watch in session.exec(select(Watch).where(col(Watch.text).is_not(None))).all():
            for key, encoder in encoders.items():
                field = "embedding" if key == "dense" else "embedding_use" if key == USE_KEY else None
                if field is None or (getattr(watch, field) is not None and not reencode):
                    continue
                vector = _watch_vector(encoder, watch.text or "", _json_list(watch.context))
                setattr(watch, field, store.vector_to_bytes(vector))
                session.add(watch)
                written += 1
        if written:
            bump_version(session)
        session.commit()
    return written


def _watch_vector(encoder: Any, text: str, context: Sequence[str] | None) -> np.ndarray:
    """The watched text's query vector, read with its context as a match query's would be (the reverse index's)."""
    vector = encoder.encode_queries([text])[0]
    return with_context(vector, encoder.encode_queries(list(context))) if context else vector


def get_watch(*, session: Session, watch_id: int) -> Watch:
    watch = session.get(Watch, watch_id) if store.valid_id(watch_id) else None
    if watch is None:
        raise NotFoundError(f"watch {watch_id} not found")
    return watch


def alert_counts(*, session: Session, watch_ids: Sequence[int]) -> dict[int, int]:
    if not watch_ids:
        return {}
    rows = session.exec(
        select(Alert.watch_id, func.count())
        .where(col(Alert.watch_id).in_(list(watch_ids)))
        .group_by(col(Alert.watch_id))
    ).all()
    return {int(w): int(n) for w, n in rows}


# --------------------------------------------------------------------------------------------------- reverse index


class WatchIndex:
    """The active text watches' vectors, per encoder, in exact inner-product indexes (reloaded when any process
    changes a watch: `VERSION_KEY`)."""

    def __init__(self) -> None:
        self.version: str | None = None
        self.indexes: dict[str, faiss.Index] = {}
        self.fact_check_watches: list[int] = []
        self._lock = threading.Lock()

    def refresh(self, session: Session) -> None:
        version = store.get_sync_info(session=session, key=VERSION_KEY) or "0"
        if version == self.version:
            return
        with self._lock:
            watches = session.exec(select(Watch).where(col(Watch.active).is_(True))).all()
            indexes: dict[str, faiss.Index] = {}
            for key in ("dense", USE_KEY):
                have = [
                    (w.id or 0, blob)
                    for w in watches
                    if (blob := w.embedding if key == "dense" else w.embedding_use) is not None
                ]
                if not have:
                    continue
                vectors = np.vstack([np.frombuffer(blob, dtype="<f4") for _, blob in have]).astype(np.float32)
                index = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
                index.add_with_ids(vectors, np.asarray([i for i, _ in have], dtype=np.int64))
                indexes[key] = index
            self.indexes = indexes
            self.fact_check_watches = [w.id or 0 for w in watches if w.all_fact_checks]
            self.version = version

    @property
    def empty(self) -> bool:
        return not self.indexes and not self.fact_check_watches

    def candidates(self, vectors: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[int, set[int]]:
        """Watch id -> the claims (of ``vectors``: key -> (claim ids, rows)) near it."""
        found: dict[int, set[int]] = {}
        with self._lock:
            for key, (ids, rows) in vectors.items():
                index = self.indexes.get(key)
                if index is None or not len(ids):
                    continue
                k = min(WATCH_CANDIDATES, index.ntotal)
                scores, watch_ids = index.search(np.ascontiguousarray(rows, dtype=np.float32), k)
                for claim_id, row_scores, row_ids in zip(ids.tolist(), scores, watch_ids, strict=True):
                    for score, watch_id in zip(row_scores.tolist(), row_ids.tolist(), strict=True):
                        if watch_id >= 0 and score >= CANDIDATE_MIN_COSINE:
                            found.setdefault(int(watch_id), set()).add(int(claim_id))
        return found


# --------------------------------------------------------------------------------------------------- checking


@dataclass(slots=True)
class _NewAlert:
    watch_id: int
    claim: Claim
    source: Source
    score: float
    relation: str
    signals: list[SignalPublic]
    fact_check: FactCheck | None


class AlertChecker:
    """Turns newly ingested claims into alerts (see the module docstring)."""

    def __init__(self, *, engine: Engine, matcher: Matcher, head: Any = None) -> None:
        self.engine = engine
        self.matcher = matcher
        self.index = WatchIndex()
        self.head = head  # () -> the change-log position this process's indexes reflect (None: the log's head)
        self.checked = 0
        self.raised = 0

    def _limit(self, session: Session) -> int:
        return int(self.head()) if self.head is not None else store.last_change_seq(session=session)

    def check(self) -> int:
        """One round: the claims logged after the cursor, checked; returns how many alerts were raised."""
        raised = 0
        while True:
            with Session(self.engine) as session:
                cursor = store.get_sync_info(session=session, key=CURSOR_KEY)
                if cursor is None:  # first run: only claims ingested from now on are "new"
                    store.set_sync_info(session=session, key=CURSOR_KEY, value=str(self._limit(session)))
                    session.commit()
                    return raised
                after = int(cursor)
                limit = self._limit(session)
                rows = [r for r in store.changes_after(session=session, after=after, limit=BATCH) if r[0] <= limit]
                if not rows:
                    return raised
                self.index.refresh(session)
                added = sorted({claim_id for _, claim_id, op in rows if op == "add"})
                found = [] if self.index.empty or not added else self._alerts(session, added)
            done = self._commit(after, rows[-1][0], found)
            if done is None:  # another process took this batch
                continue
            raised += done
            self.checked += len(rows)
            if len(rows) < BATCH:
                return raised

    def _alerts(self, session: Session, claim_ids: list[int]) -> list[_NewAlert]:
        pairs = session.exec(
            select(Claim, Source).join(Source, col(Source.id) == Claim.source_id).where(col(Claim.id).in_(claim_ids))
        ).all()
        if not pairs:
            return []
        claims = {c.id or 0: (c, s) for c, s in pairs}
        ids = np.asarray(sorted(claims), dtype=np.int64)
        vectors = {
            "dense": (ids, np.vstack([np.frombuffer(claims[i][0].embedding, dtype="<f4") for i in ids.tolist()]))
        }
        use_rows = session.exec(
            select(ClaimVector.claim_id, ClaimVector.vector).where(
                ClaimVector.encoder == USE_KEY, col(ClaimVector.claim_id).in_(ids.tolist())
            )
        ).all()
        if use_rows:
            vectors[USE_KEY] = (
                np.asarray([int(c) for c, _ in use_rows], dtype=np.int64),
                np.vstack([np.frombuffer(v, dtype="<f4") for _, v in use_rows]),
            )
        out: list[_NewAlert] = []
        for watch_id, near in sorted(self.index.candidates(vectors).items()):
            watch = session.get(Watch, watch_id)
            if watch is None or not watch.active or watch.text is None:
                continue
            out += self._text_watch(session, watch, near, claims)
        if self.index.fact_check_watches:
            out += self._fact_check_watches(session, claims)
        return out

    def _allowed(self, watch: Watch, claim: Claim, source: Source) -> bool:
        languages = _json_list(watch.languages)
        language = (claim.language or source.language or "").lower()
        return languages is None or language in languages

    def _text_watch(
        self, session: Session, watch: Watch, near: set[int], claims: dict[int, tuple[Claim, Source]]
    ) -> list[_NewAlert]:
        allowed = [cid for cid in sorted(near) if cid in claims and self._allowed(watch, *claims[cid])]
        if watch.claim_id is not None:  # never the watched claim's own article
            own = _source_of(session, watch.claim_id)
            allowed = [cid for cid in allowed if claims[cid][0].source_id != own]
        if not allowed:
            return []
        # Every new claim that matches is an alert of its own, several from one article included.
        query = MatchQuery(
            text=watch.text or "",
            k=min(100, len(allowed)),
            min_score=watch.min_score,
            per_source=False,
            context=_json_list(watch.context),
        )
        scope = Scope(allowed=np.asarray(allowed, dtype=np.int64), excluded=np.zeros(0, dtype=np.int64))
        response = self.matcher.match(session=session, query=query, scope=scope)
        relations = set(_json_list(watch.relations) or [])
        judged = judgments.for_pairs(
            session=session, key=watch_key(session, watch), matched=[m.claim.id for m in response.matches]
        )
        out = []
        for m in response.matches:
            if m.relation not in relations or m.claim.id not in claims:
                continue
            if m.claim.id in judged and judged[m.claim.id].verdict == "unrelated":
                continue  # a reviewer said this pair is unrelated: never alerted again
            claim, source = claims[m.claim.id]
            fact_check = session.get(FactCheck, m.fact_check.id) if m.fact_check is not None else None
            out.append(_NewAlert(watch.id or 0, claim, source, m.score, m.relation, m.signals, fact_check))
        return out

    def _fact_check_watches(self, session: Session, claims: dict[int, tuple[Claim, Source]]) -> list[_NewAlert]:
        watches = [w for w in (session.get(Watch, i) for i in self.index.fact_check_watches) if w and w.active]
        if not watches:
            return []
        # Each way of reading a claim that a watch asks for (context window, cohesion), computed once for all.
        readings = sorted({(w.context_window or 0, w.cohesion or 0.0) for w in watches})
        # Per window: the new claims' sources' claims read with the claims around them (none for 0: as stored).
        read_with = {window: self._in_context(session, claims, window) for window in {w for w, _ in readings} if window}
        top_of = {
            (window, cohesion): self._tops(session, claims, read_with.get(window), cohesion)
            for window, cohesion in readings
        }
        out = []
        for claim, source in claims.values():
            if source.kind == FACT_CHECK_KIND:
                continue  # a new fact-check is not "the same claim again in reporting"
            for watch in watches:
                top = top_of[(watch.context_window or 0, watch.cohesion or 0.0)].get(claim.id or 0)
                if top is None:
                    continue
                relations = set(_json_list(watch.relations) or [])
                if top.score < watch.min_score or top.relation not in relations:
                    continue
                if self._allowed(watch, claim, source):
                    fact_check = session.get(FactCheck, top.fact_check.id) if top.fact_check is not None else None
                    out.append(
                        _NewAlert(watch.id or 0, claim, source, top.score, top.relation, top.signals, fact_check)
                    )
        return out

    def _tops(
        self,
        session: Session,
        claims: dict[int, tuple[Claim, Source]],
        vectors: dict[int, dict[str, np.ndarray]] | None,
        cohesion: float,
    ) -> dict[int, Match | None]:
        """Each new article claim's best fact-check (None: none, or a reviewer said the pair is unrelated).

        `vectors`: the claims read in context (None: each claim's own text). With `cohesion`, every claim of the
        new claims' sources is looked up (from its stored vectors when not in context) and the lists re-scored
        together by `with_cohesion`, so that a fact-check the source's other claims match too may come first.
        """
        new = [claim for claim, source in claims.values() if source.kind != FACT_CHECK_KIND]
        if not cohesion:
            return {
                claim.id or 0: self._best(
                    session, claim, self._fact_check_matches(session, claim, (vectors or {}).get(claim.id or 0), 1)
                )
                for claim in new
            }
        out: dict[int, Match | None] = {}
        for source_id in sorted({claim.source_id for claim in new}):
            every = store.claims_of(session=session, source_id=source_id)
            read = vectors if vectors is not None else self.matcher.stored_vectors(session=session, claims=every)
            lists = [self._fact_check_matches(session, c, read.get(c.id or 0), COHESION_DEPTH) for c in every]
            for c, matches in zip(every, with_cohesion(lists, cohesion), strict=True):
                if c.id in claims:
                    out[c.id or 0] = self._best(session, c, matches)
        return out

    def _fact_check_matches(
        self, session: Session, claim: Claim, vectors: dict[str, np.ndarray] | None, k: int
    ) -> list[Match]:
        """The claim's k best fact-checks, through the match path (`vectors`: its query vectors, if read already)."""
        text = claim.context_text or " ".join(claim.text.split())
        query = MatchQuery(text=text, k=k, kinds=["fact_check"])
        return self.matcher.match(session=session, query=query, vectors=vectors or None).matches

    def _best(self, session: Session, claim: Claim, matches: list[Match]) -> Match | None:
        """The first of the matches, unless there is none, it is no fact-check, or a reviewer said it is unrelated."""
        if not matches or matches[0].fact_check is None:
            return None
        top = matches[0]
        verdict = judgments.for_pairs(session=session, key=judgments.claim_key(claim.id or 0), matched=[top.claim.id])
        if top.claim.id in verdict and verdict[top.claim.id].verdict == "unrelated":
            return None
        return top

    def _in_context(
        self, session: Session, claims: dict[int, tuple[Claim, Source]], window: int
    ) -> dict[int, dict[str, np.ndarray]]:
        """The stored vectors of the new claims' sources' claims (all of them: cohesion looks them all up), each read
        with the claims up to `window` places either side."""
        out: dict[int, dict[str, np.ndarray]] = {}
        # Only articles' claims are looked up among the fact-checks (a fact-check import reads no neighbours).
        for source_id in sorted({c.source_id for c, s in claims.values() if s.kind != FACT_CHECK_KIND}):
            every = store.claims_of(session=session, source_id=source_id)
            out.update(in_context(every, self.matcher.stored_vectors(session=session, claims=every), window))
        return out

    def _commit(self, after: int, upto: int, found: list[_NewAlert]) -> int | None:
        """Advances the cursor and writes the alerts in one transaction; None if another process got there first."""
        table = SQLModel.metadata.tables["alert"]
        with Session(self.engine) as session:
            conn = session.connection()
            if not store.advance_sync_info(session=session, key=CURSOR_KEY, old=str(after), new=str(upto)):
                session.rollback()
                return None
            known = set()
            if found:
                watch_ids = sorted({a.watch_id for a in found})
                known = {
                    (int(w), int(c))
                    for w, c in session.exec(
                        select(Alert.watch_id, Alert.claim_id).where(
                            col(Alert.watch_id).in_(watch_ids),
                            col(Alert.claim_id).in_(sorted({a.claim.id or 0 for a in found})),
                        )
                    ).all()
                }
            written = 0
            stamp = now()
            for a in found:
                key = (a.watch_id, a.claim.id or 0)
                if key in known:
                    continue
                known.add(key)
                alert_id = conn.execute(
                    insert(table)
                    .values(
                        watch_id=a.watch_id,
                        claim_id=a.claim.id,
                        source_id=a.source.id,
                        score=round(a.score, 6),
                        relation=a.relation,
                        fact_check_id=a.fact_check.id if a.fact_check else None,
                        payload="{}",
                        created_at=stamp,
                        state="pending",
                        attempts=0,
                        next_attempt_at=stamp,
                    )
                    .returning(table.c.id)
                ).scalar_one()
                body = _payload(int(alert_id), a, stamp)
                conn.execute(update(table).where(table.c.id == alert_id).values(payload=body))
                written += 1
            session.commit()
        self.raised += written
        return written


def watch_key(session: Session, watch: Watch) -> str:
    """The query a watch's pairs are judged under: its claim (or its fact-check's claim), else its text."""
    if watch.claim_id is not None:
        return judgments.claim_key(watch.claim_id)
    if watch.fact_check_id is not None:
        fact_check = session.get(FactCheck, watch.fact_check_id)
        if fact_check is not None:
            return judgments.claim_key(fact_check.claim_id)
    return judgments.text_key(watch.text or "")


def alerts_public(session: Session, rows: Sequence[Alert]) -> list[AlertPublic]:
    """Alerts as the API shows them, each with the reviewer's verdict on its pair when there is one."""
    out = []
    for alert in rows:
        watch = session.get(Watch, alert.watch_id)
        judgment = None
        if watch is not None:
            if watch.all_fact_checks and alert.fact_check_id is not None:
                fact_check = session.get(FactCheck, alert.fact_check_id)
                found = judgments.for_pairs(
                    session=session,
                    key=judgments.claim_key(alert.claim_id),
                    matched=[fact_check.claim_id] if fact_check else [],
                )
                judgment = next(iter(found.values()), None)
            else:
                judgment = judgments.for_pairs(
                    session=session, key=watch_key(session, watch), matched=[alert.claim_id]
                ).get(alert.claim_id)
        out.append(alert_public(alert).model_copy(update={"judgment": judgment_brief(judgment)}))
    return out


def _source_of(session: Session, claim_id: int) -> int | None:
    claim = session.get(Claim, claim_id)
    return claim.source_id if claim else None


def _payload(alert_id: int, a: _NewAlert, created: dt.datetime) -> str:
    """The JSON body every delivery of the alert posts."""
    return json.dumps(
        {
            "type": "crosscheck.alert",
            "alert": {
                "id": alert_id,
                "watch_id": a.watch_id,
                "claim": claim_public(a.claim).model_dump(mode="json"),
                "source": source_brief(a.source).model_dump(mode="json"),
                "score": round(a.score, 6),
                "relation": a.relation,
                "signals": [s.model_dump(mode="json") for s in a.signals],
                "fact_check": fact_check_brief(a.fact_check).model_dump(mode="json") if a.fact_check else None,
                "created_at": created.isoformat(),
            },
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def alert_public(alert: Alert) -> AlertPublic:
    body = json.loads(alert.payload).get("alert", {})
    return AlertPublic(
        id=alert.id or 0,
        watch_id=alert.watch_id,
        claim=body.get("claim"),
        source=body.get("source"),
        score=alert.score,
        relation=alert.relation,
        signals=body.get("signals", []),
        fact_check=body.get("fact_check"),
        created_at=alert.created_at,
        delivery={
            "state": alert.state,
            "attempts": alert.attempts,
            "next_attempt_at": alert.next_attempt_at if alert.state == "pending" else None,
            "last_status": alert.last_status,
            "last_error": alert.last_error,
            "delivered_at": alert.delivered_at,
        },
    )


# --------------------------------------------------------------------------------------------------- delivery


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Delay before the next try after ``attempts`` failed ones: doubling from 5 s up to an hour, times a jitter
    of 0.5..1.5 so that many failed receivers are not retried in lockstep."""
    base = min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return base * (rng or random).uniform(0.5, 1.5)


class Deliverer:
    """Posts pending alerts (see the module docstring); `run_once` is one round, a thread runs it in a loop."""

    def __init__(self, *, engine: Engine, settings: Settings, fetcher: Fetcher) -> None:
        self.engine = engine
        self.settings = settings
        self.fetcher = fetcher
        self.name = uuid.uuid4().hex[:16]
        self.delivered = 0
        self.failed_attempts = 0

    def run_once(self, at: dt.datetime | None = None) -> int:
        """Delivers what is due; returns how many deliveries were attempted."""
        moment = at or now()
        table = SQLModel.metadata.tables["alert"]
        with Session(self.engine) as session:
            due = session.exec(
                select(Alert.id)
                .where(
                    Alert.state == "pending",
                    col(Alert.next_attempt_at) <= moment,
                    (col(Alert.lease_until).is_(None)) | (col(Alert.lease_until) < moment),
                )
                .order_by(col(Alert.next_attempt_at), col(Alert.id))
                .limit(DELIVERIES_PER_ROUND)
            ).all()
        attempted = 0
        for alert_id in due:
            with Session(self.engine) as session:
                won = (
                    session.connection()
                    .execute(
                        update(table)
                        .where(
                            table.c.id == alert_id,
                            table.c.state == "pending",
                            (table.c.lease_until.is_(None)) | (table.c.lease_until < moment),
                        )
                        .values(lease_until=moment + dt.timedelta(seconds=LEASE_SECONDS), leased_by=self.name)
                    )
                    .rowcount
                )
                session.commit()
            if won != 1:
                continue  # another process leased it
            attempted += 1
            self._deliver(int(alert_id or 0), moment)
        return attempted

    def _deliver(self, alert_id: int, moment: dt.datetime) -> None:
        with Session(self.engine) as session:
            alert = session.get(Alert, alert_id)
            watch = session.get(Watch, alert.watch_id) if alert else None
        if alert is None or watch is None:
            return
        if not watch.active:  # paused: kept pending, looked at again in a minute, no attempt counted
            self._finish(alert_id, next_attempt_at=moment + dt.timedelta(seconds=60))
            return
        msg_id = f"alert_{alert_id}"
        timestamp = dt.datetime.now(dt.UTC)
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": Webhook(watch.secret).sign(msg_id, timestamp, alert.payload),
        }
        status: int | None = None
        error: str | None = None
        try:
            status = self.fetcher.post(
                watch.callback_url,
                alert.payload.encode("utf-8"),
                headers,
                timeout=self.settings.webhook_timeout_seconds,
            )
            if not 200 <= status < 300:
                error = f"the receiver answered HTTP {status}"
        except CrossCheckError as exc:
            error = exc.message
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        attempts = alert.attempts + 1
        if error is None:
            self.delivered += 1
            self._finish(
                alert_id, state="delivered", attempts=attempts, last_status=status, last_error=None, delivered_at=now()
            )
            return
        self.failed_attempts += 1
        retry_at = now() + dt.timedelta(seconds=backoff_seconds(attempts))
        give_up = retry_at > alert.created_at + dt.timedelta(hours=self.settings.webhook_retry_hours)
        self._finish(
            alert_id,
            state="failed" if give_up else "pending",
            attempts=attempts,
            last_status=status,
            last_error=error[:2000],
            next_attempt_at=retry_at,
        )

    def _finish(self, alert_id: int, **values: Any) -> None:
        table = SQLModel.metadata.tables["alert"]
        with Session(self.engine) as session:
            session.connection().execute(
                update(table)
                .where(table.c.id == alert_id, table.c.leased_by == self.name)
                .values(lease_until=None, leased_by=None, **values)
            )
            session.commit()


def redeliver(*, session: Session, alert_id: int) -> Alert:
    """Queues an alert for delivery again (delivered or failed ones too): due now, its attempts kept."""
    alert = session.get(Alert, alert_id) if store.valid_id(alert_id) else None
    if alert is None:
        raise NotFoundError(f"alert {alert_id} not found")
    alert.state = "pending"
    alert.next_attempt_at = now()
    alert.lease_until = None
    alert.leased_by = None
    session.add(alert)
    session.commit()
    session.refresh(alert)
    return alert


# --------------------------------------------------------------------------------------------------- the service


class AlertService(BackgroundLoop):
    """The checker and the deliverer of one process, in one background thread (``interval`` > 0)."""

    thread_name = "crosscheck-alerts"
    what = "alert round"
    log = logger

    def __init__(self, *, runtime: Runtime, fetcher: Fetcher, interval: float, head: Any = None) -> None:
        super().__init__(interval)
        self.checker = AlertChecker(engine=runtime.engine, matcher=runtime.matcher, head=head)
        self.deliverer = Deliverer(engine=runtime.engine, settings=runtime.settings, fetcher=fetcher)
        self._head = -1
        self._changed_at = 0.0
        self._waiting_since: float | None = None

    def run_once(self) -> tuple[int, int]:
        """(alerts raised, deliveries attempted) of one round."""
        return self.checker.check(), self.deliverer.run_once()

    def due(self, at: float) -> bool:
        """Whether to check now: once claims stopped arriving for SETTLE_SECONDS (a batch of ingest is over), or
        when the oldest unchecked one has waited MAX_DEFER_SECONDS (ingest that never pauses still gets alerts).
        Checking competes with ingest for the CPU; between batches it costs ingest nothing."""
        with Session(self.checker.engine) as session:
            head = store.last_change_seq(session=session)
            cursor = int(store.get_sync_info(session=session, key=CURSOR_KEY) or head)
        if head <= cursor:
            self._head, self._waiting_since = head, None
            return False
        if head != self._head:
            self._head, self._changed_at = head, at
        if self._waiting_since is None:
            self._waiting_since = at
        if at - self._changed_at >= SETTLE_SECONDS or at - self._waiting_since >= MAX_DEFER_SECONDS:
            self._waiting_since = None
            return True
        return False

    def _prepare_thread(self) -> None:
        # Alerts may wait a moment; ingest and searches may not: this thread yields the CPU to them (Linux).
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ALERT_THREAD_NICENESS)

    def _tick(self) -> None:
        if self.due(time.monotonic()):
            self.checker.check()
        self.deliverer.run_once()
