"""Keeps the FAISS index in step with the database, which is the source of truth.

Rebuilding uses the embeddings stored with each claim: nothing is ever re-encoded to repair the index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from embeddings import ClaimIndex, IndexLoadError, IndexOptions, ModelId
from service import store
from service.config import Settings, get_settings
from service.errors import StoreMismatchError

logger = logging.getLogger(__name__)

IndexState = Literal["loaded", "synced", "rebuilt"]


@dataclass(frozen=True, slots=True)
class IndexReport:
    state: IndexState
    size: int
    added: int = 0
    removed: int = 0
    reason: str = ""


def check_store_model(*, engine: Engine, model_id: ModelId) -> None:
    """Records the embedding model in an empty store, refuses to run with a different one.

    Raises:
        StoreMismatchError: If stored embeddings come from another model.
    """
    with Session(engine) as session:
        recorded = store.get_store_info(session=session, key=store.EMBEDDING_MODEL_KEY)
        if recorded is None:
            store.set_store_info(session=session, key=store.EMBEDDING_MODEL_KEY, value=str(model_id))
            session.commit()
            return
    if recorded != str(model_id):
        raise StoreMismatchError(
            f"the database's embeddings were made with {recorded} but the configured model is {model_id}; "
            "set CROSSCHECK_MODEL back, or run `crosscheck reindex --reencode` to re-encode every claim"
        )


def index_options(settings: Settings | None = None) -> IndexOptions:
    """The FAISS index kind and tuning the settings ask for (CROSSCHECK_INDEX_*)."""
    settings = settings or get_settings()
    return IndexOptions(kind=settings.index_kind, threshold=settings.index_threshold, mmap=settings.index_mmap)


def rebuild_index(
    *, engine: Engine, model_id: ModelId, options: IndexOptions | None = None, serve_first: bool = False
) -> ClaimIndex:
    """A fresh index holding every stored claim vector.

    With `serve_first` (server start-up) the vectors go into an exact index, which is quick to fill, and
    an approximate one the options call for is built in the background; otherwise (reindex, import) the
    final kind is built directly.
    """
    index = ClaimIndex(model_id, options or index_options())
    with Session(engine) as session, index.bulk(0 if serve_first else len(store.all_claim_ids(session=session))):
        for ids, vectors in store.iter_embeddings(session=session, dim=model_id.dim):
            index.add(ids, vectors)
    return index


def sync_index(*, engine: Engine, index: ClaimIndex) -> tuple[int, int]:
    """Adds claims the index lacks and removes ids the database no longer has.

    Returns:
        ``(added, removed)``.
    """
    with Session(engine) as session:
        db_ids = store.all_claim_ids(session=session)
        index_ids = index.ids()
        missing = np.setdiff1d(db_ids, index_ids, assume_unique=True)
        extra = np.setdiff1d(index_ids, db_ids, assume_unique=True)
        removed = index.remove(extra) if extra.size else 0
        added = 0
        for ids, vectors in store.iter_embeddings(session=session, dim=index.dim, ids=missing):
            index.add(ids, vectors)
            added += len(ids)
    return added, removed


def open_index(
    *, engine: Engine, path: Path, model_id: ModelId, options: IndexOptions | None = None
) -> tuple[ClaimIndex, IndexReport]:
    """Loads the saved index and brings it in line with the database, rebuilding it if it is unusable."""
    options = options or index_options()
    try:
        if not path.exists():
            raise IndexLoadError(f"no saved index at {path}")
        index = ClaimIndex.load(path, model_id, options)
    except IndexLoadError as exc:
        logger.log(logging.WARNING if path.exists() else logging.INFO, "building the index from the database: %s", exc)
        index = rebuild_index(engine=engine, model_id=model_id, options=options, serve_first=True)
        return index, IndexReport(state="rebuilt", size=len(index), reason=str(exc))
    added, removed = sync_index(engine=engine, index=index)
    if added or removed:
        logger.info("index was behind the database: added %d, removed %d", added, removed)
        return index, IndexReport(state="synced", size=len(index), added=added, removed=removed)
    return index, IndexReport(state="loaded", size=len(index))
