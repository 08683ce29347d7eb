"""What a running crosscheck holds: settings, database engine, encoder and index (API and CLI alike)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from embeddings import ClaimIndex, TextEncoder, load_encoder
from service import factchecks
from service.calibration import load_calibration
from service.config import Settings
from service.db import make_engine, open_session
from service.errors import CrossCheckError
from service.indexing import IndexReport, check_store_model, index_options, open_index
from service.ingest import BatchItem, IngestResult, Prepared, ingest_many, ingest_source, prepare_all
from service.lexical import open_lexical
from service.matching import Matcher, build_matcher
from service.rerank import load_reranker
from service.schemas import SourceCreate
from service.vectors import EncoderIndex, open_encoder_index

logger = logging.getLogger(__name__)

# Articles per transaction of `Runtime.ingest_many` (`crosscheck ingest`): large enough that the encoders get
# big batches, small enough that a batch's claims and vectors stay a few MB.
INGEST_BATCH = 64
# A batch of long articles is stored in parts of about this many claims (a batch's copy search compares its
# claims with one another).
MAX_BATCH_CLAIMS = 2048


def _chunks(items: Iterable[SourceCreate], size: int) -> Iterator[list[SourceCreate]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _by_claims(prepared: list[Prepared | CrossCheckError], limit: int) -> Iterator[list[Prepared | CrossCheckError]]:
    """Consecutive parts of at most `limit` claims (an article with more is a part of its own)."""
    part: list[Prepared | CrossCheckError] = []
    claims = 0
    for item in prepared:
        size = len(item.extraction.claims) if isinstance(item, Prepared) else 0
        if part and claims + size > limit:
            yield part
            part, claims = [], 0
        part.append(item)
        claims += size
    if part:
        yield part


@dataclass(slots=True)
class Runtime:
    settings: Settings
    engine: Engine
    encoder: TextEncoder
    index: ClaimIndex
    index_report: IndexReport
    matcher: Matcher
    # Additional encoders (the multilingual one) with their own indexes, by key; see service/vectors.py.
    extras: dict[str, EncoderIndex] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        encoder: TextEncoder | None = None,
        extra_encoders: Mapping[str, TextEncoder] | None = None,
    ) -> Runtime:
        """Opens the database, loads the encoders, and loads (or repairs) the indexes from the database.

        `extra_encoders` replaces the additional encoders the settings enable (tests share loaded ones).
        """
        engine = make_engine(settings)
        try:
            enc = encoder if encoder is not None else load_encoder(settings.model, backend=settings.encoder_backend)
            check_store_model(engine=engine, model_id=enc.model_id)
            options = index_options(settings)
            index, report = open_index(engine=engine, path=settings.index_path, model_id=enc.model_id, options=options)
            # FTS5 index and triggers (created and filled here if missing); logs once if unavailable.
            lexical = open_lexical(engine, sidecar=settings.lexical_path)
            if extra_encoders is None:
                from service.multilingual import configured_encoders

                extra_encoders = configured_encoders(settings)
            extras = {
                key: open_encoder_index(
                    engine=engine, key=key, encoder=extra, path=settings.encoder_index_path(key), options=options
                )
                for key, extra in extra_encoders.items()
            }
        except BaseException:
            engine.dispose()
            raise
        logger.info("index %s: %d vectors %s", report.state, report.size, report.reason)
        matcher = build_matcher(
            encoder=enc,
            index=index,
            lexical=lexical,
            reranker=load_reranker(),
            extras=extras,
            calibration=load_calibration(),
        )
        return cls(
            settings=settings,
            engine=engine,
            encoder=enc,
            index=index,
            index_report=report,
            matcher=matcher,
            extras=extras,
        )

    def ingest(self, source_in: SourceCreate) -> IngestResult:
        """Ingests one article in its own session, with every enabled encoder (CLI and benches)."""
        with open_session(self.engine) as session:
            return ingest_source(
                session=session,
                encoder=self.encoder,
                index=self.index,
                settings=self.settings,
                source_in=source_in,
                extras=self.extras,
            )

    def store_fact_checks(self, parsed: factchecks.Parsed) -> factchecks.StoreResult:
        """Stores parsed ClaimReviews in one session, with every enabled encoder (`crosscheck ingest feed.json`)."""
        with open_session(self.engine) as session:
            return factchecks.store_reviews(
                session=session,
                encoder=self.encoder,
                index=self.index,
                settings=self.settings,
                parsed=parsed,
                extras=self.extras,
            )

    def ingest_many(self, sources: Iterable[SourceCreate], *, batch: int = INGEST_BATCH) -> Iterator[BatchItem]:
        """Ingests many articles, `batch` at a time, each batch in one transaction (`crosscheck ingest`).

        Yields one item per article, in order, as each batch is stored; a refused article carries its error
        and the others are stored. Everything runs in the caller's thread: extracting the next batch in a
        background thread was measured slower (the GIL it holds stalls the encoders' threads).
        """
        for chunk in _chunks(sources, max(1, batch)):
            for part in _by_claims(prepare_all(chunk, self.settings), MAX_BATCH_CLAIMS):
                with open_session(self.engine) as session:
                    done = ingest_many(
                        session=session,
                        encoder=self.encoder,
                        index=self.index,
                        settings=self.settings,
                        sources=part,
                        extras=self.extras,
                    )
                yield from done

    def save_index(self) -> None:
        self.index.save(self.settings.index_path)
        for extra in self.extras.values():
            extra.save()

    def close(self, *, finish_rebuilds: bool = True) -> None:
        """Saves the indexes (caches of the database) and releases the database.

        A background switch to the configured index kind (flat -> HNSW after a bulk build, an import or a
        reindex) is finished first, so what is saved is what the next start wants and it never has to build it
        again while serving; `finish_rebuilds=False` (a server shutting down) stops it instead, at its next
        chunk. Either way no rebuild thread is left inside FAISS when the process ends (that aborted it).
        """
        try:
            for index in [self.index, *(extra.index for extra in self.extras.values())]:
                if finish_rebuilds:
                    index.wait_for_rebuild()
                else:
                    index.cancel_rebuild()
            self.save_index()
        finally:
            self.engine.dispose()
