"""What a running crosscheck holds: settings, database engine, encoder and index (API and CLI alike)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from embeddings import ClaimIndex, Encoder, TextEncoder
from service.config import Settings
from service.db import make_engine
from service.indexing import IndexReport, check_store_model, open_index

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    settings: Settings
    engine: Engine
    encoder: TextEncoder
    index: ClaimIndex
    index_report: IndexReport

    @classmethod
    def open(cls, settings: Settings, *, encoder: TextEncoder | None = None) -> Runtime:
        """Opens the database, loads the encoder, and loads (or repairs) the index from the database."""
        engine = make_engine(settings)
        try:
            enc = encoder if encoder is not None else Encoder(settings.model)
            check_store_model(engine=engine, model_id=enc.model_id)
            index, report = open_index(engine=engine, path=settings.index_path, model_id=enc.model_id)
        except BaseException:
            engine.dispose()
            raise
        logger.info("index %s: %d vectors %s", report.state, report.size, report.reason)
        return cls(settings=settings, engine=engine, encoder=enc, index=index, index_report=report)

    def save_index(self) -> None:
        self.index.save(self.settings.index_path)

    def close(self) -> None:
        """Saves the index (a cache of the database) and releases the database."""
        try:
            self.save_index()
        finally:
            self.engine.dispose()
