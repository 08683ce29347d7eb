"""The match path: a claim (or stored claim vectors) -> nearest claims of other sources.

`Matcher.match` is the one function behind ``POST /claims/match``, ``crosscheck match`` and the retrieval
benchmark. It runs a list of named *rankers* -- dense encoders over their FAISS indexes, BM25 over the FTS5
index -- and, in hybrid mode, pools their candidates and orders them with the learned reranker
(`service.rerank`), whose features are each ranker's signals: another encoder is one more `DenseRanker` in
the list (and a retrained reranker), not a new code path.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from embeddings import ClaimIndex, TextEncoder
from service import judgments, multilingual, relations, store
from service import lexical as lexical_mod
from service.calibration import Calibration, Scale, figures_agreeing, monotone, verifier_features
from service.checkworthiness import default_scorer
from service.extraction import normalize_claim_text
from service.lexical import LexicalHits, LexicalIndex
from service.models import FACT_CHECK_KIND, Claim, FactCheck, Judgment, Source
from service.querytext import clean_social_post
from service.rerank import CandidateText, Reranker, ranker_features, rrf, text_features
from service.schemas import (
    ClaimPublic,
    FactCheckBrief,
    JudgmentBrief,
    Match,
    MatchQuery,
    MatchResponse,
    SignalPublic,
    SourceBrief,
)
from service.syndication import claim_group
from service.text.language import claim_language
from service.vectors import EncoderIndex

logger = logging.getLogger(__name__)

QUERY_VECTOR_CACHE = 4_096  # query texts whose vectors each dense ranker keeps (about 1.5-2 KB each)

# per_source needs more raw neighbours than k because several may come from one source; the search
# widens by this factor until k sources are found or the index is exhausted (hybrid mode starts from its usual
# pool, already deeper than k, and widens only when that comes short).
PER_SOURCE_OVERFETCH = 4
# How far the sentences around a claim (MatchQuery.context) pull its embedding: the claim's unit vector plus this
# times the mean of theirs. Chosen on CLEF-2022 2B train, a debate's neighbouring check-worthy sentences as the
# context (`crosscheck bench retrieval ... --context-window 3`); see the README.
CONTEXT_WEIGHT = 1.0
# Hybrid search pools this many candidates from each ranker (or k, if larger) for the reranker.
CANDIDATE_DEPTH = 50
# Dense mode over an approximate (HNSW, 8-bit) index asks it for k times this many candidates and re-scores them
# with the stored float32 vectors: recall@10 against exact search at 1M 0.976 -> 0.992 (bench/index.py, README).
APPROXIMATE_OVERFETCH = 4
# When a pool mixes languages (and the relations engine leans on the multilingual encoder's weaker cosine),
# `same` needs at least this calibrated probability that the match's source states the query, i.e. more likely
# than not (on the real-news dev events 0.4-0.6 were tried); below it the pair is `related`. In one-language
# pools the engine decides alone: the calibration of the English reranker is flat on news (it tells stating
# sources from others weakly) and the gate would take `same` from exact restatements.
SAME_MIN_SCORE = 0.5
# With the verifier (hybrid mode, `service.calibration`): `same` needs its probability that the match's source states
# the query to reach this. Picked on the eight real-news dev events (0.6 / 0.7 / 0.75 / 0.8: `same` precision in
# the top 5 0.87 / 0.90 / 0.94 / 0.98, recall 0.34 / 0.29 / 0.25 / 0.23, unstated claims with a `same` 2 / 1 / 1 / 0
# of 25): 0.75 keeps a margin above 0.90, which fell by 0.07 between dev and test before. Checked again with the
# regularised verifiers (bench/train_calibration.py VERIFIER_C) and the same-fact hint, 0.7 / 0.75 / 0.8: precision
# 0.92 / 0.93 / 0.96, recall 0.39 / 0.34 / 0.29, unstated with a `same` 1 / 0 / 0.
SAME_MIN_VERIFIED = 0.75
# BM25 scores are read for the query's best this-many claims; a candidate further down scores 0.
LEXICAL_SCORE_DEPTH = 1000

RankerKind = Literal["dense", "lexical"]
# `(session, claim ids) -> (found ids, float32 vectors)`: a dense ranker's exact vectors from the database.
StoredVectors = Callable[[Session, Sequence[int]], tuple[np.ndarray, np.ndarray]]


def claim_public(claim: Claim) -> ClaimPublic:
    return ClaimPublic(
        id=claim.id or 0,
        source_id=claim.source_id,
        text=claim.text,
        start=claim.start,
        end=claim.end,
        position=claim.position,
        speaker=claim.speaker,
        context_text=claim.context_text,
        checkworthiness=claim.checkworthiness,
        checkworthy=None if claim.checkworthiness is None else claim.checkworthiness >= default_scorer().threshold,
    )


def source_brief(source: Source) -> SourceBrief:
    return SourceBrief(
        id=source.id or 0,
        title=source.title,
        outlet=source.outlet,
        domain=source.domain,
        url=source.url,
        published_at=source.published_at,
    )


def fact_check_brief(fc: FactCheck) -> FactCheckBrief:
    return FactCheckBrief(
        id=fc.id or 0,
        rating=fc.rating_text,
        rating_value=fc.rating_value,
        reviewer=fc.reviewer_name,
        url=fc.url,
        date_published=fc.date_published,
    )


def fact_checks_of(*, session: Session, sources: Sequence[Source]) -> dict[int, FactCheckBrief]:
    """The fact-check of each of these sources that is one (one query; none when no source is a fact-check)."""
    wanted = sorted({s.id or 0 for s in sources if s.kind == FACT_CHECK_KIND})
    if not wanted:
        return {}
    rows = session.exec(select(FactCheck).where(col(FactCheck.source_id).in_(wanted))).all()
    return {fc.source_id: fact_check_brief(fc) for fc in rows}


def judgment_brief(judgment: Judgment | None) -> JudgmentBrief | None:
    if judgment is None:
        return None
    return JudgmentBrief(id=judgment.id or 0, verdict=judgment.verdict, reviewer=judgment.reviewer, note=judgment.note)


def _unrelated(match: Match) -> bool:
    return match.judgment is not None and match.judgment.verdict == "unrelated"


def claim_facts(claim: Claim, source: Source) -> relations.ClaimFacts:
    """What the relations engine reads of a stored claim."""
    return relations.ClaimFacts(
        text=claim.text,
        context_text=claim.context_text,
        speaker=claim.speaker,
        published_at=source.published_at,
        language=claim.language or source.language,
    )


def signals_public(verdict: relations.Verdict) -> list[SignalPublic]:
    return [
        SignalPublic(
            kind=s.kind,
            query_value=s.query_value,
            match_value=s.match_value,
            explanation=s.explanation,
            conflicting=s.conflicting,
        )
        for s in verdict.signals
    ]


def match_response(query_text: str, matches: list[Match]) -> MatchResponse:
    return MatchResponse(
        query=query_text,
        matches=matches,
        sources=len({m.source.id for m in matches}),
        independent_sources=len({m.copy_group for m in matches}),
    )


def _hydrate(*, session: Session, ids: Sequence[int]) -> dict[int, tuple[Claim, Source]]:
    """Claims with their sources; ids deleted since the search simply do not come back."""
    if not ids:
        return {}
    rows = session.exec(
        select(Claim, Source).join(Source, col(Source.id) == Claim.source_id).where(col(Claim.id).in_(list(ids)))
    ).all()
    return {claim.id or 0: (claim, source) for claim, source in rows}


def _candidate_rows(*, session: Session, ids: Sequence[int]) -> dict[int, tuple[int, str, str | None, str, int]]:
    """`claim id -> (source id, claim text, source title, language, copy group)`: what ranking needs, without ORM
    objects. The copy group (service/syndication.py) is the claim's own, else its source's, else the source id.

    The language is the one stored at ingest; a claim stored before languages were kept is detected here.
    """
    if not ids:
        return {}
    # Plain SQL on the session's connection: for the ~100 candidates of every query, building and compiling the
    # ORM statement cost more than running it. The ids are integers formatted here, never text from a request.
    id_list = ",".join(str(int(i)) for i in ids)
    rows = (
        session.connection()
        .exec_driver_sql(
            f"SELECT claim.id, claim.source_id, claim.text, source.title, claim.language, "
            f"COALESCE(claim.copy_group_id, source.copy_group_id, source.id) FROM claim "
            f"JOIN source ON source.id = claim.source_id WHERE claim.id IN ({id_list})"
        )
        .all()
    )
    return {
        int(cid): (int(sid), str(txt), title, language or claim_language(str(txt)), int(group))
        for cid, sid, txt, title, language, group in rows
    }


@dataclass(frozen=True, slots=True)
class Scope:
    """Which claims a query may return: `allowed` (None = all) minus `excluded`."""

    allowed: np.ndarray | None
    excluded: np.ndarray

    @property
    def empty(self) -> bool:
        return self.allowed is not None and self.allowed.size == 0


@dataclass(frozen=True, slots=True)
class Ranked:
    """One ranker's list for a query: claim ids best first, with that ranker's main score."""

    ids: np.ndarray
    scores: np.ndarray


class RankerQuery(Protocol):
    """A ranker bound to one query text (so the query is encoded or parsed once)."""

    def retrieve(self, n: int, scope: Scope) -> Ranked: ...

    def signals(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        """Named signals (``"<ranker>:<signal>"``, higher is better) for any claim ids, 0 where none applies."""
        ...


class Ranker(Protocol):
    name: str
    kind: RankerKind
    main_signal: str

    @property
    def available(self) -> bool: ...

    @property
    def identity(self) -> str:
        """What a reranker trained on this ranker's signals must find again (model, index version)."""
        ...

    def start(self, *, session: Session, text: str) -> RankerQuery: ...


class _DenseQuery:
    def __init__(self, ranker: DenseRanker, session: Session, text: str, vector: np.ndarray | None = None) -> None:
        self._ranker = ranker
        self._session = session
        self._text = text
        self._vector = vector

    @property
    def vector(self) -> np.ndarray:
        if self._vector is None:
            self._vector = self._ranker.query_vector(self._text)
        return self._vector

    def retrieve(self, n: int, scope: Scope) -> Ranked:
        [hits] = self._ranker.index.search(
            self.vector, n, allowed_ids=scope.allowed, excluded_ids=scope.excluded if scope.excluded.size else None
        )
        return Ranked(
            ids=np.fromiter((i for i, _ in hits), dtype=np.int64, count=len(hits)),
            scores=np.fromiter((s for _, s in hits), dtype=np.float64, count=len(hits)),
        )

    def signals(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        # Called on the session's thread (see `Matcher.gather`). An approximate index holds 8-bit vectors: the
        # candidates are re-scored with the float32 vectors the database keeps, which is what lets the dense
        # list (fetched `APPROXIMATE_OVERFETCH` times deeper) come out in exact order.
        out = np.zeros(ids.size, dtype=np.float64)
        ranker = self._ranker
        if ranker.approximate and ranker.stored is not None:
            found, vectors = ranker.stored(self._session, ids.tolist())
        else:
            found, vectors = ranker.index.vectors(ids)
        if found.size:
            position = {int(i): p for p, i in enumerate(ids.tolist())}
            rows = [position[int(i)] for i in found.tolist()]
            out[rows] = vectors @ self.vector
        return {self._ranker.main_signal: out}


class DenseRanker:
    """Cosine similarity of sentence embeddings (unit vectors: inner product = cosine) over a FAISS index."""

    kind: RankerKind = "dense"

    def __init__(self, name: str, encoder: TextEncoder, index: ClaimIndex, stored: StoredVectors | None = None) -> None:
        self.name = name
        self.encoder = encoder
        self.index = index
        # The exact vectors by id (from the database), used to re-score an approximate index's candidates.
        self.stored = stored
        self.main_signal = f"{name}:cos"
        # Recent query texts' vectors: a watch's text is matched again with every batch of new claims, and a desk
        # repeats its searches (encoding is deterministic, so a cached vector is the vector).
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vectors_lock = threading.Lock()

    def query_vector(self, text: str) -> np.ndarray:
        with self._vectors_lock:
            cached = self._vectors.get(text)
            if cached is not None:
                self._vectors.move_to_end(text)
                return cached
        vector = self.encoder.encode_queries([text])[0]
        with self._vectors_lock:
            self._vectors[text] = vector
            if len(self._vectors) > QUERY_VECTOR_CACHE:
                self._vectors.popitem(last=False)
        return vector

    def query_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """`query_vector` of each text, the ones not cached encoded in one batch (a watch's context sentences are
        read again with every batch of new claims)."""
        with self._vectors_lock:
            found = {t: v for t in texts if (v := self._vectors.get(t)) is not None}
            for text in found:
                self._vectors.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            encoded = self.encoder.encode_queries(missing)
            with self._vectors_lock:
                for text, vector in zip(missing, encoded, strict=True):
                    self._vectors[text] = found[text] = vector
                while len(self._vectors) > QUERY_VECTOR_CACHE:
                    self._vectors.popitem(last=False)
        return np.vstack([found[t] for t in texts])

    def vectors_of(self, session: Session, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Stored claims' vectors (the ids found, their rows): exact ones from the database when the ranker reads
        them there, else the index's own."""
        if self.stored is not None:
            return self.stored(session, ids)
        return self.index.vectors(np.asarray(ids, dtype=np.int64))

    @property
    def approximate(self) -> bool:
        return self.index.kind == "hnsw"

    @property
    def available(self) -> bool:
        return True

    @property
    def identity(self) -> str:
        return str(self.encoder.model_id)

    def start(self, *, session: Session, text: str, vector: np.ndarray | None = None) -> RankerQuery:
        """A query of `text`; `vector`: its vector when the caller has it (a stored claim's), else it is encoded."""
        return _DenseQuery(self, session, text, vector)


class _LexicalQuery:
    """Fetches the query's BM25 list once; retrieval filters it, candidates of other rankers look it up."""

    def __init__(self, ranker: LexicalRanker, session: Session, text: str) -> None:
        self._ranker = ranker
        self._session = session
        self._text = text
        self._hits: LexicalHits | None = None
        self._limit: int | None = None  # the limit self._hits was fetched with (None: every match)

    def _fetch(self, limit: int | None) -> LexicalHits:
        if self._hits is not None:
            holds_all = self._limit is None or len(self._hits) < self._limit
            if holds_all or (limit is not None and limit <= self._limit):  # type: ignore[operator]
                return self._hits
        self._hits = self._ranker.lexical.search(session=self._session, query=self._text, limit=limit)
        self._limit = limit
        return self._hits

    def retrieve(self, n: int, scope: Scope) -> Ranked:
        # A filtered query may need to look past the best SCORE_DEPTH claims to find n allowed ones.
        limit = None if scope.allowed is not None else max(n + scope.excluded.size, LEXICAL_SCORE_DEPTH)
        hits = self._fetch(limit)
        keep = np.ones(len(hits), dtype=bool)
        if scope.allowed is not None:
            keep &= np.isin(hits.ids, scope.allowed)
        if scope.excluded.size:
            keep &= ~np.isin(hits.ids, scope.excluded)
        rows = np.flatnonzero(keep)[:n]
        return Ranked(ids=hits.ids[rows], scores=hits.score[rows])

    def signals(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        # Claims outside the query's best LEXICAL_SCORE_DEPTH count as 0, in training and serving alike.
        hits = self._fetch(LEXICAL_SCORE_DEPTH) if self._hits is None else self._hits
        name = self._ranker.name
        position = {int(i): p for p, i in enumerate(hits.ids.tolist())}
        rows = np.asarray([position.get(int(i), -1) for i in ids.tolist()], dtype=np.int64)
        present = rows >= 0
        out = {}
        for signal, values in (("bm25", hits.score), ("text", hits.text_score), ("title", hits.title_score)):
            column = np.zeros(ids.size, dtype=np.float64)
            column[present] = values[rows[present]]
            out[f"{name}:{signal}"] = column
        return out


class LexicalRanker:
    """BM25 over claim text and source title (SQLite FTS5); unavailable on other databases."""

    kind: RankerKind = "lexical"

    def __init__(self, lexical: LexicalIndex, name: str = "lexical") -> None:
        self.name = name
        self.lexical = lexical
        self.main_signal = f"{name}:bm25"

    @property
    def available(self) -> bool:
        return self.lexical.available

    @property
    def identity(self) -> str:
        lex = lexical_mod
        return f"{lex.SCHEMA_VERSION}/q{lex.QUERY_VERSION}/w={lex.TEXT_WEIGHT:g},{lex.TITLE_WEIGHT:g}"

    def start(self, *, session: Session, text: str) -> RankerQuery:
        return _LexicalQuery(self, session, text)


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """Pipeline switches that are not part of the public API: the benchmark's ablations turn them."""

    clean_query: bool = True
    rerank: bool = True
    depth: int = CANDIDATE_DEPTH
    rankers: tuple[str, ...] | None = None  # restrict to these ranker names (None: all of the mode's)


DEFAULT_OPTIONS = MatchOptions()


@dataclass(frozen=True, slots=True)
class Scored:
    """A pool scored: the order key, the score each candidate shows, the signals reported under `scores`, and the
    verifier's probability that each candidate states the query's fact apart from its figures (the relations
    engine's same-fact hint; None without a verifier)."""

    key: np.ndarray
    shown: np.ndarray
    extra: dict[str, np.ndarray]
    same_fact: np.ndarray | None = None
    order: np.ndarray | None = None  # the rows in the answer's order (None: by key, descending, ties in pool order)

    def rows(self) -> list[int]:
        """The rows in the answer's order."""
        if self.order is not None:
            return [int(r) for r in self.order]
        return np.argsort(-self.key, kind="stable").tolist()

    def public(self) -> np.ndarray:
        """The score shown and filtered on: within [0, 1] in every mode (calibrated probabilities already are;
        without the calibration a BM25 or pair score above 1 shows as 1 but still ranks by its raw value). Rounded
        once, so that the filter and the answer agree on a score a client copies back as min_score."""
        return np.round(np.clip(self.shown, 0.0, 1.0), 6)


@dataclass(slots=True)
class Pool:
    """The candidates of one query with every signal the reranker reads (also what training stores)."""

    ids: np.ndarray
    ranks: dict[str, np.ndarray]
    signals: dict[str, np.ndarray]
    texts: list[CandidateText]
    source_ids: np.ndarray
    languages: list[str]
    dropped: int = 0  # retrieved ids no longer in the database
    copy_groups: np.ndarray | None = None  # each candidate's independent source (None: each source its own)
    _features: tuple[str, dict[str, np.ndarray]] | None = None  # the last query's (the reranker's and verifier's)

    def groups(self) -> np.ndarray:
        """Each candidate's independent source: its copy group, or its source when the pool has none."""
        return self.source_ids if self.copy_groups is None else self.copy_groups

    def features(self, query_text: str) -> dict[str, np.ndarray]:
        if self._features is None or self._features[0] != query_text:
            self._features = (
                query_text,
                {**ranker_features(self.signals, self.ranks), **text_features(query_text, self.texts)},
            )
        return self._features[1]


def outlet_condition(outlets: Sequence[str]) -> ColumnElement[bool]:
    """Sources of these outlets, each given by name ("Baltic Wire Service") or by domain ("balticwire.example",
    which also covers its subdomains such as news.balticwire.example), case-insensitively."""
    names = [o.strip().lower() for o in outlets if o.strip()]
    domain = func.lower(col(Source.domain))
    clauses = [func.lower(col(Source.outlet)).in_(names), domain.in_(names)]
    for name in names:
        if "." in name:
            escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(domain.like(f"%.{escaped}", escape="\\"))
    return or_(*clauses)


def with_context(vector: np.ndarray, around: np.ndarray) -> np.ndarray:
    """A claim's unit vector read in the light of the sentences around it (their vectors, one row each): the claim's
    plus `CONTEXT_WEIGHT` times their mean, made unit length again (float32)."""
    blended = np.asarray(vector, dtype=np.float64) + CONTEXT_WEIGHT * np.asarray(around, dtype=np.float64).mean(axis=0)
    return (blended / max(float(np.linalg.norm(blended)), 1e-12)).astype(np.float32)


def in_context(
    claims: Sequence[Claim], vectors: Mapping[int, Mapping[str, np.ndarray]], window: int
) -> dict[int, dict[str, np.ndarray]]:
    """Each claim's vectors (claim id -> ranker name -> vector) read in the light of its neighbours': the claims of
    `claims` (one source's, in their order) up to `window` places either side, by `with_context`."""
    out: dict[int, dict[str, np.ndarray]] = {}
    for place, claim in enumerate(claims):
        own = vectors.get(claim.id or 0, {})
        around = [
            vectors.get(c.id or 0, {}) for c in claims[max(0, place - window) : place + window + 1] if c is not claim
        ]
        out[claim.id or 0] = {
            name: with_context(vector, np.stack([a[name] for a in around if name in a]))
            if any(name in a for a in around)
            else vector
            for name, vector in own.items()
        }
    return out


def with_cohesion(results: Sequence[Sequence[Match]], weight: float) -> list[list[Match]]:
    """The matches of one document's claims (each claim's list, best first), each list re-scored by what the
    document's *other* claims match: a speech returns to its talking points, so a fact-check that several of its
    sentences match is more likely the one each of them refers to.

    A match's support is the best score the same matched claim has in any other list. Its score becomes
    ``1 - (1 - score) * (1 - weight * support)``: evidence added as by a noisy OR, so it stays within [0, 1], a
    match without support keeps its score, and each list is sorted again. The support is kept under
    ``scores["cohesion"]``. `weight` 0 returns the lists as they are.

    Args:
        results: One list of matches per claim of the document, in any order.
        weight: 0..1, how much support counts (0.1 was chosen on CLEF-2022 2B train).
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"cohesion weight must be within [0, 1], got {weight}")
    lists = [list(matches) for matches in results]
    if weight == 0.0 or len(lists) < 2:
        return lists
    # Each matched claim's best score in each list that holds it: a list's support for it is the best of the others.
    by_claim: dict[int, dict[int, float]] = {}
    for index, matches in enumerate(lists):
        for m in matches:
            scores = by_claim.setdefault(m.claim.id, {})
            scores[index] = max(scores.get(index, 0.0), m.score)
    out: list[list[Match]] = []
    for index, matches in enumerate(lists):
        rescored = []
        for m in matches:
            support = max((score for i, score in by_claim[m.claim.id].items() if i != index), default=0.0)
            score = 1.0 - (1.0 - m.score) * (1.0 - weight * support)
            rescored.append(
                m.model_copy(update={"score": round(score, 6), "scores": {**(m.scores or {}), "cohesion": support}})
            )
        rescored.sort(key=lambda m: -m.score)
        out.append([m.model_copy(update={"rank": rank}) for rank, m in enumerate(rescored, start=1)])
    return out


def _start(ranker: Ranker, *, session: Session, text: str, vectors: Mapping[str, np.ndarray] | None) -> RankerQuery:
    """The ranker's query of `text`, from the query's vector in `vectors` when the ranker is dense and has one."""
    if isinstance(ranker, DenseRanker) and vectors and ranker.name in vectors:
        return ranker.start(session=session, text=text, vector=vectors[ranker.name])
    return ranker.start(session=session, text=text)


def build_scope(*, session: Session, query: MatchQuery) -> Scope:
    """Claim ids the filters of the query allow (None when it has no filter) and the excluded sources' claims."""
    excluded = np.asarray(
        store.claim_ids_of_sources(session=session, source_ids=query.exclude_source_ids), dtype=np.int64
    )
    conditions = []
    if query.published_after is not None:
        conditions.append(col(Source.published_at) >= query.published_after)
    if query.published_before is not None:
        conditions.append(col(Source.published_at) <= query.published_before)
    if query.outlets:
        conditions.append(outlet_condition(query.outlets))
    if query.languages:
        conditions.append(func.lower(col(Source.language)).in_([lang.lower() for lang in query.languages]))
    if query.kinds and set(query.kinds) != {"article", "fact_check"}:
        conditions.append(store.is_article() if query.kinds == ["article"] else col(Source.kind) == FACT_CHECK_KIND)
    if query.min_checkworthiness is not None:
        # Unscored claims (NULL) never pass: the comparison is not true for them.
        conditions.append(col(Claim.checkworthiness) >= query.min_checkworthiness)
    if not conditions:
        return Scope(allowed=None, excluded=excluded)
    ids = session.exec(select(Claim.id).join(Source, col(Source.id) == Claim.source_id).where(*conditions)).all()
    return Scope(allowed=np.asarray(ids, dtype=np.int64), excluded=excluded)


class Matcher:
    """Answers match queries with a list of named rankers and, in hybrid mode, the learned reranker."""

    def __init__(
        self,
        *,
        rankers: Sequence[Ranker],
        reranker: Reranker | None = None,
        clean: Callable[[str], str] = clean_social_post,
        calibration: Calibration | None = None,
    ) -> None:
        names = [r.name for r in rankers]
        if len(set(names)) != len(names) or not any(r.kind == "dense" for r in rankers):
            raise ValueError(f"rankers need distinct names and at least one dense ranker, got {names}")
        self.rankers = list(rankers)
        self.clean = clean
        self.calibration: Calibration | None = None
        if calibration is not None:
            why = calibration.usable_with({r.name: r.identity for r in self.rankers if r.available})
            if why is None:
                self.calibration = calibration
            else:
                logger.warning("score calibration not used (%s): ranking scores shown clipped to [0, 1]", why)
        self._side = ThreadPoolExecutor(max_workers=2, thread_name_prefix="crosscheck-ranker")
        self.reranker: Reranker | None = None
        if reranker is not None:
            available = {r.name: r.identity for r in self.rankers if r.available}
            why = reranker.usable_with(available)
            if why is None:
                self.reranker = reranker.for_rankers(available)
            else:
                logger.warning("reranker not used (%s): hybrid search uses reciprocal-rank fusion", why)

    @property
    def dense(self) -> Ranker:
        """The first dense ranker: its cosine is what `min_score` and the relations engine read."""
        return next(r for r in self.rankers if r.kind == "dense")

    @property
    def lexical_status(self) -> str:
        statuses = [r.lexical.status for r in self.rankers if isinstance(r, LexicalRanker)]
        return statuses[0] if statuses else "not configured"

    def _active(self, mode: str, options: MatchOptions) -> list[Ranker]:
        chosen = [
            r
            for r in self.rankers
            if r.available
            and (mode == "hybrid" or r.kind == mode)
            and (options.rankers is None or r.name in options.rankers)
        ]
        return chosen

    def gather(
        self,
        *,
        session: Session,
        text: str,
        mode: str,
        depth: int,
        scope: Scope,
        options: MatchOptions,
        vectors: Mapping[str, np.ndarray] | None = None,
    ) -> tuple[Pool, bool, dict[str, RankerQuery]]:
        """Candidates from every active ranker with all their signals (``vectors``: the query's vector for some
        dense rankers, by name, which then encode nothing).

        Returns:
            The pool, whether every ranker's list ran dry (asking for more would find nothing new), and the
            per-ranker query objects.
        """
        active = self._active(mode, options)
        queries = {r.name: _start(r, session=session, text=text, vectors=vectors) for r in active}
        # BM25 is SQLite work and dense retrieval is ONNX/numpy + FAISS work; all of them release the GIL, so
        # every ranker but the first (BM25, the multilingual encoder) runs on a helper thread while this one
        # encodes with MiniLM: on two cores the query costs about its slowest ranker, not their sum. The
        # session is used by one thread only: dense retrieval does not touch the database.
        side = list(queries)[1:]
        pending = {name: self._side.submit(queries[name].retrieve, depth, scope) for name in side}
        lists = {name: q.retrieve(depth, scope) for name, q in queries.items() if name not in pending}
        lists |= {name: future.result() for name, future in pending.items()}
        exhausted = all(lst.ids.size < depth for lst in lists.values())
        order: dict[int, None] = {}
        for lst in lists.values():
            order.update(dict.fromkeys(lst.ids.tolist()))
        rows = _candidate_rows(session=session, ids=list(order))
        # Ids deleted while we searched do not come back from the database.
        ids = np.fromiter((i for i in order if i in rows), dtype=np.int64)
        ranks: dict[str, np.ndarray] = {}
        for name, lst in lists.items():
            pos = {int(i): p + 1 for p, i in enumerate(lst.ids.tolist())}
            ranks[name] = np.asarray([pos.get(i, 0) for i in ids.tolist()], dtype=np.float64)
        signals: dict[str, np.ndarray] = {}
        for q in queries.values():
            signals.update(q.signals(ids))
        pool = Pool(
            ids=ids,
            ranks=ranks,
            signals=signals,
            texts=[CandidateText(text=rows[i][1], title=rows[i][2]) for i in ids.tolist()],
            source_ids=np.asarray([rows[i][0] for i in ids.tolist()], dtype=np.int64),
            languages=[rows[i][3] for i in ids.tolist()],
            dropped=len(order) - ids.size,
            copy_groups=np.asarray([rows[i][4] for i in ids.tolist()], dtype=np.int64),
        )
        return pool, exhausted, queries

    def match(
        self,
        *,
        session: Session,
        query: MatchQuery,
        options: MatchOptions = DEFAULT_OPTIONS,
        scope: Scope | None = None,
        vectors: Mapping[str, np.ndarray] | None = None,
        facts: relations.ClaimFacts | None = None,
    ) -> MatchResponse:
        """Answers POST /claims/match: the claims of other sources that best match the query.

        Args:
            scope: Only among these claims, instead of the query's filters (a watch checks the claims just ingested).
            vectors: The query's vectors by dense ranker name, when they are stored already (a stored claim's, for
                the cross-reference report): those rankers encode nothing.
            facts: What the relations engine knows of the query when it is a stored claim (its speaker, date and
                language); by default, its text and the language read from it.
        """
        text = self.clean(query.text) if options.clean_query else normalize_claim_text(query.text)
        scope = scope if scope is not None else build_scope(session=session, query=query)
        mode = query.mode
        if scope.empty or not self._active(mode, options):
            return MatchResponse(query=query.text, matches=[])
        if query.context and vectors is None:
            vectors = self.context_vectors(text, query.context, mode=mode, options=options)
        depth = self._depth(mode, query.k, options)
        # A hybrid pool is already several times k deep (and its verifier was fitted on pools of this depth); the
        # other modes list k candidates per ranker, and one source may hold several of them.
        if query.per_source and mode != "hybrid":
            depth *= PER_SOURCE_OVERFETCH
        while True:
            pool, exhausted = self._pool(
                session=session, text=text, mode=mode, depth=depth, scope=scope, options=options, vectors=vectors
            )
            scored = self._score(
                pool,
                text=text,
                mode=mode,
                options=options,
                per_source=query.per_source,
                language_places=query.min_score is None,
            )
            matches = self._select(session, pool, scored, query=query, text=text, facts=facts)
            # Short because sources repeat (per_source) or claims vanished mid-search: look deeper, unless the pool's
            # last candidate already scores below min_score (a deeper one ranks lower and scores no higher).
            short = len(matches) < query.k and (query.per_source or pool.dropped > 0)
            floor = query.min_score is not None and bool(scored.shown.size) and scored.public().min() < query.min_score
            if exhausted or not short or floor:
                return match_response(query.text, matches)
            depth *= PER_SOURCE_OVERFETCH

    def stored_vectors(self, *, session: Session, claims: Sequence[Claim]) -> dict[int, dict[str, np.ndarray]]:
        """Each claim's stored vector for every dense ranker that has it (a claim missing from one is encoded there)."""
        ids = [c.id or 0 for c in claims]
        out: dict[int, dict[str, np.ndarray]] = {i: {} for i in ids}
        for ranker in self.rankers:
            if isinstance(ranker, DenseRanker) and ranker.available and ids:
                found, vectors = ranker.vectors_of(session, ids)
                for claim_id, vector in zip(found.tolist(), vectors, strict=True):
                    out[int(claim_id)][ranker.name] = np.asarray(vector, dtype=np.float32)
        return out

    def context_vectors(
        self, text: str, context: Sequence[str], *, mode: str, options: MatchOptions
    ) -> dict[str, np.ndarray]:
        """Each active embedding ranker's query vector read in the light of the sentences around the claim: the
        claim's unit vector plus `CONTEXT_WEIGHT` times the mean of theirs, made unit length again."""
        cleaned = [self.clean(c) if options.clean_query else normalize_claim_text(c) for c in context]
        return {
            ranker.name: with_context(ranker.query_vector(text), ranker.query_vectors(cleaned))
            for ranker in self._active(mode, options)
            if isinstance(ranker, DenseRanker)
        }

    def _pool(
        self,
        *,
        session: Session,
        text: str,
        mode: str,
        depth: int,
        scope: Scope,
        options: MatchOptions,
        vectors: Mapping[str, np.ndarray] | None = None,
    ) -> tuple[Pool, bool]:
        """`gather`'s pool with the MiniLM cosine of every candidate, and whether the rankers ran dry."""
        pool, exhausted, queries = self.gather(
            session=session, text=text, mode=mode, depth=depth, scope=scope, options=options, vectors=vectors
        )
        # The relations engine reads the MiniLM cosine, which lexical mode lacks.
        if self.dense.main_signal not in pool.signals:
            dense_query = queries.get(self.dense.name) or _start(
                self.dense, session=session, text=text, vectors=vectors
            )
            pool.signals.update(dense_query.signals(pool.ids))
        return pool, exhausted

    def _depth(self, mode: str, k: int, options: MatchOptions) -> int:
        """How many candidates each ranker lists for a query asking for k matches."""
        if mode == "hybrid":
            return max(options.depth, k)
        if mode == "dense" and any(isinstance(r, DenseRanker) and r.approximate for r in self._active(mode, options)):
            return k * APPROXIMATE_OVERFETCH
        return k

    def _score(
        self,
        pool: Pool,
        *,
        text: str,
        mode: str,
        options: MatchOptions,
        per_source: bool = True,
        language_places: bool = True,
    ) -> Scored:
        """The order key of each candidate, the score it shows, and the extra signals to report with it.

        The order key is the mode's ranking score (and, when the pool mixes languages, the language-aware pair
        score). The score shown is the probability that the candidate's source states the query
        (`service.calibration`): in hybrid mode the isotonic fit of the verifier's probabilities along the
        ranking's order, elsewhere the ranking score through an increasing map; both fall with rank. Without a
        calibration the ranking score stands (shown clipped to [0, 1] by `_select`). In hybrid mode, unless the
        answer is cut at a `min_score` (`language_places` False: a threshold asks for what clears it, in the
        ranking's order, and a source moved up would pull the scores after it down), the first independent sources
        hold one in the query's language and one in another when the pool has them (`multilingual.language_slots`),
        and the isotonic fit follows that order.
        """
        scores, extra = self.ranking_scores(pool, text=text, mode=mode, options=options)
        if self.calibration is None or not pool.ids.size or (mode == "hybrid" and "rrf" in extra):
            return Scored(scores, scores, extra)
        scale: Scale = "mixed" if "crosslingual" in extra else "pure"
        if mode == "hybrid" and self.calibration.verifiers:
            columns = self.verifier_columns(pool, text=text, scores=scores)
            probability = None if columns is None else self.calibration.verify(scale, columns)
            if columns is not None and probability is not None:
                same_fact = self.calibration.verify(scale, figures_agreeing(columns))
                order = np.argsort(-scores, kind="stable")
                if scale == "mixed" and language_places:
                    order = multilingual.language_slots(
                        order,
                        pool.languages,
                        claim_language(text),
                        pool.groups() if per_source else np.arange(len(order)),
                        verified=probability,
                    )
                shown = monotone(probability, scores, order)
                return Scored(scores, shown, {**extra, "verifier": probability}, same_fact=same_fact, order=order)
        calibrated = self.calibration.probability(mode, scale, scores)
        return Scored(scores, scores if calibrated is None else calibrated, extra)

    def verifier_columns(self, pool: Pool, *, text: str, scores: np.ndarray) -> dict[str, np.ndarray] | None:
        """The verifier's features of a hybrid pool (None when a ranker it reads did not run)."""
        features = pool.features(text)
        if f"{multilingual.USE_KEY}:cos" not in features or "lexical:bm25" not in features:
            return None
        return verifier_features(
            query_text=text,
            query_language=claim_language(text),
            candidate_texts=[t.text for t in pool.texts],
            candidate_languages=pool.languages,
            features=features,
            scores=scores,
        )

    def ranking_scores(
        self, pool: Pool, *, text: str, mode: str, options: MatchOptions = DEFAULT_OPTIONS
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The mode's ranking score of each candidate before calibration (also what the calibration is fitted on)."""
        scores, extra = self._base_score(pool, text=text, mode=mode, options=options)
        return self._crosslingual(pool, text=text, scores=scores, extra=extra)

    def training_pool(
        self, *, session: Session, query: MatchQuery, options: MatchOptions = DEFAULT_OPTIONS
    ) -> tuple[Pool, np.ndarray, dict[str, np.ndarray]]:
        """A query's pool with its ranking scores, as `match` builds them, its context included (the trainers of
        bench/: train_calibration.py, train_crossencoder.py)."""
        text = self.clean(query.text) if options.clean_query else normalize_claim_text(query.text)
        scope = build_scope(session=session, query=query)
        depth = self._depth(query.mode, query.k, options)
        vectors = self.context_vectors(text, query.context, mode=query.mode, options=options) if query.context else None
        pool, _exhausted = self._pool(
            session=session, text=text, mode=query.mode, depth=depth, scope=scope, options=options, vectors=vectors
        )
        if not pool.ids.size:
            return pool, np.zeros(0), {}
        scores, extra = self.ranking_scores(pool, text=text, mode=query.mode, options=options)
        return pool, scores, extra

    def _crosslingual(
        self, pool: Pool, *, text: str, scores: np.ndarray, extra: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        # Cross-lingual: the multilingual ranker only places other-language candidates among the
        # English pipeline's (service/multilingual.py); it never reorders same-language ones.
        use_signal = f"{multilingual.USE_KEY}:cos"
        if use_signal in pool.signals and self.dense.main_signal in pool.signals and pool.ids.size:
            scores, pair = multilingual.crosslingual_scores(
                query_text=text,
                candidate_texts=[t.text for t in pool.texts],
                base=scores,
                minilm=pool.signals[self.dense.main_signal],
                use=pool.signals[use_signal],
                candidate_languages=pool.languages,
            )
            if pair is not None:  # reported only when the pool mixes languages
                extra = {**extra, "crosslingual": pair}
        return scores, extra

    def _base_score(
        self, pool: Pool, *, text: str, mode: str, options: MatchOptions
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        # The multilingual ranker's list stays out of the English fusion (it would outvote the rest).
        ranks = {name: r for name, r in pool.ranks.items() if name != multilingual.USE_KEY} or pool.ranks
        if len(ranks) == 1:
            [name] = ranks
            ranker = next(r for r in self.rankers if r.name == name)
            return pool.signals[ranker.main_signal], {}
        if mode == "hybrid" and options.rerank and self.reranker is not None:
            probability = self.reranker.score(pool.features(text))
            return probability, {"rerank": probability}
        fused = rrf(ranks)
        return fused, {"rrf": fused}

    def _select(
        self,
        session: Session,
        pool: Pool,
        scored: Scored,
        *,
        query: MatchQuery,
        text: str,
        facts: relations.ClaimFacts | None = None,
    ) -> list[Match]:
        extra = scored.extra
        reported = {r.name: pool.signals[r.main_signal] for r in self.rankers if r.main_signal in pool.signals} | dict(
            extra
        )
        cosine = pool.signals.get(self.dense.main_signal)
        # per_source keeps one claim per INDEPENDENT source: syndicated copies are one (service/syndication.py).
        groups = pool.groups()
        shown = scored.public()
        # Stable sort: ties keep the order in which the rankers listed the candidates.
        chosen: list[int] = []
        seen_groups: set[int] = set()
        for row in scored.rows():
            if query.min_score is not None and shown[row] < query.min_score:
                continue
            if query.per_source:
                group = int(groups[row])
                if group in seen_groups:
                    continue
                seen_groups.add(group)
            chosen.append(row)
            if len(chosen) == query.k:
                break
        found = _hydrate(session=session, ids=[int(pool.ids[row]) for row in chosen])
        # Deleted a moment ago: not in `found`.
        kept = [(row, *found[int(pool.ids[row])]) for row in chosen if int(pool.ids[row]) in found]
        # Each pair is judged on the cosine of the encoder that reads both its languages.
        if facts is None:
            facts = relations.ClaimFacts(text=text, language=claim_language(text))
        query_language = facts.language or claim_language(text)
        use = pool.signals.get(f"{multilingual.USE_KEY}:cos")
        verdicts = relations.compare_many(
            facts,
            [claim_facts(claim, source) for _, claim, source in kept],
            [
                relations.pair_similarity(
                    query_language,
                    pool.languages[row],
                    float(cosine[row]) if cosine is not None else 0.0,
                    float(use[row]) if use is not None else None,
                )
                for row, _, _ in kept
            ],
            # The verifier's same-fact hint, for articles only (it was fitted on news).
            same_fact_probabilities=(
                None
                if scored.same_fact is None
                else [
                    None if source.kind == FACT_CHECK_KIND else float(scored.same_fact[row]) for row, _, source in kept
                ]
            ),
        )
        verifier = extra.get("verifier")

        def may_be_same(row: int, source: Source) -> bool:
            # `same` says the match states the query's fact. The verifier was fitted on news: for an article it
            # decides; a fact-check's claim (short, written to be checked) keeps the engine's own word, as does a
            # pool without the verifier, where a mixed-language pool needs the calibrated score to say it is likely.
            if verifier is not None and source.kind != FACT_CHECK_KIND:
                return bool(verifier[row] >= SAME_MIN_VERIFIED)
            return self.calibration is None or "crosslingual" not in extra or bool(shown[row] >= SAME_MIN_SCORE)

        verdicts = [
            relations.related(v.signals) if v.relation == "same" and not may_be_same(row, source) else v
            for (row, _, source), v in zip(kept, verdicts, strict=True)
        ]
        checked = fact_checks_of(session=session, sources=[source for _, _, source in kept])
        judged = judgments.for_pairs(
            session=session, key=judgments.text_key(query.text), matched=[claim.id or 0 for _, claim, _ in kept]
        )
        matches = [
            Match(
                rank=rank,
                score=float(shown[row]),
                claim=claim_public(claim),
                source=source_brief(source),
                copy_group=claim_group(claim, source),
                relation=verdict.relation,
                signals=signals_public(verdict),
                scores={name: round(float(values[row]), 6) for name, values in reported.items()},
                fact_check=checked.get(source.id or 0),
                judgment=judgment_brief(judged.get(claim.id or 0)),
            )
            for rank, ((row, claim, source), verdict) in enumerate(zip(kept, verdicts, strict=True), start=1)
        ]
        if not judged:
            return matches
        # A pair a reviewer judged unrelated sinks to the end (kept, so the judgment can be seen and undone).
        order = [m for m in matches if not _unrelated(m)] + [m for m in matches if _unrelated(m)]
        return [m.model_copy(update={"rank": rank}) for rank, m in enumerate(order, start=1)]


def build_matcher(
    *,
    encoder: TextEncoder,
    index: ClaimIndex,
    lexical: LexicalIndex,
    reranker: Reranker | None,
    extras: Mapping[str, EncoderIndex] | None = None,
    calibration: Calibration | None = None,
) -> Matcher:
    """The production matcher: MiniLM cosine + BM25, fused by the learned reranker.

    Each additional encoder (the multilingual USE, key "use") is one more dense ranker; see `_score`.
    """
    rankers: list[Ranker] = [
        DenseRanker(
            "dense",
            encoder,
            index,
            lambda session, ids: store.embeddings_by_id(session=session, ids=ids, dim=encoder.model_id.dim),
        ),
        LexicalRanker(lexical),
    ]
    # The additional encoders' cosines are reranker features and language-aware scores, where the 8-bit
    # vectors' error (about 0.003) does not matter: their candidates are not re-scored (one database read saved).
    rankers += [DenseRanker(key, extra.encoder, extra.index) for key, extra in (extras or {}).items()]
    return Matcher(rankers=rankers, reranker=reranker, calibration=calibration)
