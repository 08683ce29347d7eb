"""`crosscheck bench retrieval`: the retrieval benchmark, run through the product's own store and match path.

Each corpus row (CLEF TSV: ``id  text  title``) becomes a source with exactly one claim -- the row's text, with
the row's title as the source title and ``clef:<corpus>:<id>`` as its URL, which is how the dataset's ids
come back out of match results. Every query then goes through `Matcher.match`, the function behind
``POST /claims/match``; the ranked claims are written as a TREC run and scored with `bench.metrics`.

Encoding the corpus is the slow part (about a minute for 10k rows on two idle cores), so it is cached:
``data/bench/<corpus>-<hash>/vectors-<model>.npy`` holds the corpus vectors, keyed by the corpus file's hash
and the embedding model; next to it, ``store-<key>/`` is the built data dir (SQLite + FAISS), keyed also by
the code that shapes the store (the table definitions and `STORE_VERSION`), and is rebuilt from the cached
vectors in seconds when that code changes. Delete the folder (or pass ``--rebuild``) to start over.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import fcntl
import hashlib
import json
import logging
import math
import random
import re
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from bench import metrics, read_jsonl
from bench.metrics import Qrels
from embeddings import ENCODER_BACKENDS, Encoder, ModelId, TextEncoder, load_encoder
from service import store
from service.config import Settings
from service.db import make_engine, open_session
from service.extraction import normalize_claim_text
from service.indexing import check_store_model, rebuild_index
from service.lexical import open_lexical
from service.matching import MatchOptions, with_cohesion
from service.models import Claim, Source
from service.runtime import Runtime
from service.schemas import MAX_CONTEXT_SENTENCES, MAX_K, Match, MatchQuery
from service.text.language import ENGLISH, normalize_language

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
DATASET = REPO_ROOT.parent / "shared" / "datasets" / "clef2020-task2"
CACHE_ROOT = REPO_ROOT / "data" / "bench"
# Bump when the way the benchmark store is built changes (what becomes a source, a claim, a URL).
STORE_VERSION = "2"  # 2: claims carry their language, as ingest stores it
URL_PREFIX = "clef:vclaim:"
ENCODE_BATCH = 512
WARMUP_QUERIES = 5
SCALE_SEED = 7


@dataclass(frozen=True, slots=True)
class CorpusRow:
    doc_id: str
    text: str
    title: str | None
    language: str = ENGLISH


@dataclass(frozen=True, slots=True)
class BenchStore:
    """A built (or cached) benchmark data dir."""

    data_dir: Path
    build_seconds: float
    cached: bool
    size: int
    encode_seconds: float = 0.0


def read_corpus(path: Path, translations: Path | None = None) -> list[CorpusRow]:
    """The corpus rows, with those that `translations` holds in another language put in their place.

    Args:
        path: A CLEF corpus file (``vclaim_id``, ``vclaim``, ``title``).
        translations: A folder of ``<language>.jsonl`` files, JSON lines ``{"vclaim_id", "vclaim", "title"}``:
            each row named there is stored in that language instead (a fact-check collection in several
            languages, for the cross-language figures), as a claim of that language.
    """
    rows = metrics.read_tsv(path, ["vclaim_id", "vclaim", "title"])
    corpus = [
        CorpusRow(doc_id=r["vclaim_id"].strip(), text=r["vclaim"], title=r["title"].strip() or None) for r in rows
    ]
    if translations is None:
        return corpus
    translated = read_corpus_translations(translations)
    unknown = set(translated) - {row.doc_id for row in corpus}
    if unknown:
        raise ValueError(f"{translations}: {len(unknown)} ids not in {path}, e.g. {sorted(unknown)[0]!r}")
    return [translated.get(row.doc_id, row) for row in corpus]


def read_corpus_translations(directory: Path) -> dict[str, CorpusRow]:
    """The translated corpus rows of every ``<language>.jsonl`` in `directory`, by id."""
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no <language>.jsonl translations in {directory}")
    out: dict[str, CorpusRow] = {}
    for file in files:
        language = normalize_language(file.stem)
        if language is None or file.stem != language:
            raise ValueError(f"{file}: the file name must be a language code, e.g. ru.jsonl")
        for number, row in enumerate(read_jsonl(file), start=1):
            try:
                doc_id, text, title = str(row["vclaim_id"]).strip(), str(row["vclaim"]), str(row.get("title") or "")
            except (KeyError, TypeError, AttributeError) as exc:
                raise ValueError(f"{file}: record {number}: not an object with vclaim_id and vclaim") from exc
            if doc_id in out:
                raise ValueError(f"{file}: record {number}: {doc_id!r} is translated twice")
            out[doc_id] = CorpusRow(doc_id=doc_id, text=text, title=title.strip() or None, language=language)
    return out


def read_queries(path: Path) -> dict[str, str]:
    """Queries by id: a CLEF TSV file, or JSON lines ``{"tweet_id", "text"}`` (a translation's own format)."""
    if path.suffix == ".jsonl":
        try:
            return {str(row["tweet_id"]).strip(): str(row["text"]) for row in read_jsonl(path)}
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: every line must be an object with tweet_id and text") from exc
    return {r["tweet_id"].strip(): r["tweet_content"] for r in metrics.read_tsv(path, ["tweet_id", "tweet_content"])}


# The translated sample of a split's tweets (for cross-language figures without tuning on what is scored): its
# size, the seed of its shuffle, and the two parts it is cut into (the first tuned on, the second scored).
TRANSLATION_SAMPLE = 320
TRANSLATION_SEED = 7


def write_translation_sample(queries: dict[str, str], directory: Path) -> list[Path]:
    """Write the sample of `queries` to translate: ``source.part1.jsonl`` and ``source.part2.jsonl`` in `directory`.

    The ids in numeric order are shuffled with `random.Random(TRANSLATION_SEED)`; the first `TRANSLATION_SAMPLE`,
    back in id order, are cut into two halves. A translation keeps each line's ``tweet_id`` and replaces its text;
    `--queries` reads such a file as it is.
    """

    def numeric(i: str) -> tuple[float, str]:
        return (int(i), i) if i.isdigit() else (math.inf, i)

    ids = sorted(queries, key=numeric)
    random.Random(TRANSLATION_SEED).shuffle(ids)
    picked = sorted(ids[:TRANSLATION_SAMPLE], key=numeric)
    half = (len(picked) + 1) // 2
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for part, chosen in ((1, picked[:half]), (2, picked[half:])):
        path = directory / f"source.part{part}.jsonl"
        lines = [json.dumps({"tweet_id": i, "text": queries[i]}, ensure_ascii=False) for i in chosen]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        written.append(path)
    return written


def corpus_key(corpus: Path, translations: Path | None = None) -> str:
    digest = hashlib.sha256(corpus.read_bytes())
    for file in sorted(translations.glob("*.jsonl")) if translations is not None else []:
        digest.update(f"\0{file.name}\0".encode() + file.read_bytes())
    return digest.hexdigest()[:16]


def store_key(model: str) -> str:
    """What a built store depends on besides the corpus: model, table definitions, this builder's version."""
    digest = hashlib.sha256(f"{model}\0{STORE_VERSION}\0".encode())
    digest.update((REPO_ROOT / "service" / "models.py").read_bytes())
    return digest.hexdigest()[:16]


def doc_id_of(url: str | None) -> str | None:
    return url[len(URL_PREFIX) :] if url and url.startswith(URL_PREFIX) else None


def encode_corpus(*, rows: Sequence[CorpusRow], encoder: TextEncoder, quiet: bool = False) -> np.ndarray:
    from tqdm import tqdm

    parts = []
    with tqdm(total=len(rows), desc="encode corpus", unit="claim", disable=quiet) as progress:
        for lo in range(0, len(rows), ENCODE_BATCH):
            batch = rows[lo : lo + ENCODE_BATCH]
            parts.append(encoder.encode_documents([normalize_claim_text(r.text) for r in batch]))
            progress.update(len(batch))
    return np.vstack(parts) if parts else np.zeros((0, encoder.model_id.dim), dtype=np.float32)


def build_store(*, data_dir: Path, rows: Sequence[CorpusRow], vectors: np.ndarray, model_id: ModelId) -> None:
    """Stores every row as a source with one claim, the same tables and triggers as an ingest.

    Sentence extraction is skipped on purpose: a corpus row *is* one claim. Everything else -- the tables,
    the stored vectors, the FTS5 triggers, the FAISS index file -- is the product's.
    """
    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings)
    try:
        check_store_model(engine=engine, model_id=model_id)
        open_lexical(engine)  # creates the FTS5 table and triggers first, so the inserts below fill it
        with open_session(engine) as session:
            for lo in range(0, len(rows), ENCODE_BATCH):
                batch = rows[lo : lo + ENCODE_BATCH]
                sources = [
                    Source(
                        url=f"{URL_PREFIX}{row.doc_id}",
                        title=row.title,
                        outlet="CLEF2020 fact-checks",
                        language=row.language,
                        text=row.text,
                        # The corpus repeats a few texts under different ids: hash with the id to keep every row.
                        content_hash=store.content_hash(f"{URL_PREFIX}{row.doc_id}\n{row.text}"),
                    )
                    for row in batch
                ]
                session.add_all(sources)
                session.flush()
                session.add_all(
                    [
                        Claim(
                            source_id=source.id or 0,
                            text=row.text,
                            start=0,
                            end=len(row.text),
                            position=0,
                            language=row.language,  # as ingest stores it (the article's language on every claim)
                            embedding=store.vector_to_bytes(vector),
                        )
                        for source, row, vector in zip(sources, batch, vectors[lo : lo + ENCODE_BATCH], strict=True)
                    ]
                )
                session.flush()
            session.commit()
        index = rebuild_index(engine=engine, model_id=model_id)
        index.save(settings.index_path)
    finally:
        engine.dispose()


def add_extra_vectors(
    *, data_dir: Path, key: str, encoder: TextEncoder, rows: Sequence[CorpusRow], vectors: np.ndarray
) -> None:
    """Stores an additional encoder's vector of every row (as ingest would) and saves that encoder's index."""
    from sqlmodel import col, delete, select

    from service import vectors as extra_vectors
    from service.models import ClaimVector

    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings)
    try:
        with open_session(engine) as session:
            recorded = store.get_store_info(session=session, key=extra_vectors.info_key(key))
            if recorded is not None and recorded != str(encoder.model_id):
                # The encoder now reads text another way (e.g. Ukrainian through Apertium): its vectors are replaced.
                session.exec(delete(ClaimVector).where(col(ClaimVector.encoder) == key))  # type: ignore[call-overload]
                store.set_store_info(session=session, key=extra_vectors.info_key(key), value=str(encoder.model_id))
                session.commit()
        extra_vectors.check_encoder_model(engine=engine, key=key, model_id=encoder.model_id)
        position = {f"{URL_PREFIX}{row.doc_id}": i for i, row in enumerate(rows)}
        with open_session(engine) as session:
            pairs = session.exec(select(Claim.id, Source.url).join(Source, col(Source.id) == Claim.source_id)).all()
            ids = [int(cid or 0) for cid, _ in pairs]
            chosen = vectors[[position[str(url)] for _, url in pairs]]
            for lo in range(0, len(ids), ENCODE_BATCH):
                session.add_all(
                    extra_vectors.vectors_to_rows(
                        key=key, ids=ids[lo : lo + ENCODE_BATCH], vectors=chosen[lo : lo + ENCODE_BATCH]
                    )
                )
                session.flush()
            session.commit()
        index = extra_vectors.rebuild_index(engine=engine, key=key, model_id=encoder.model_id)
        index.save(settings.encoder_index_path(key))
    finally:
        engine.dispose()


def _cached_vectors(*, path: Path, rows: Sequence[CorpusRow], encoder: TextEncoder, quiet: bool) -> np.ndarray:
    """The corpus vectors of one encoder, encoded once and kept next to the stores."""
    if path.exists():
        vectors = np.load(path)
    else:
        vectors = encode_corpus(rows=rows, encoder=encoder, quiet=quiet)
        np.save(path, vectors)
    if vectors.shape != (len(rows), encoder.model_id.dim):
        raise ValueError(f"{path} holds {vectors.shape}, expected ({len(rows)}, {encoder.model_id.dim})")
    return vectors


def _remove_tree(path: Path) -> None:
    if path.exists():
        for item in sorted(path.rglob("*"), reverse=True):
            item.unlink() if item.is_file() else item.rmdir()
        path.rmdir()


def scaled(rows: Sequence[CorpusRow], vectors: np.ndarray, scale: int) -> tuple[list[CorpusRow], np.ndarray]:
    """The corpus `scale` times over, for latency at a larger size: copy j of row `id` is `id~j`, same text, and
    its vector is the row's plus Gaussian noise (sigma 0.05 per dimension, renormalised: cosine to the original
    about 0.7), so the FAISS scan and the FTS5 posting lists grow as with real new claims. Copies are not in
    the qrels, so quality figures of a scaled run are not comparable; its latency is the point.
    """
    if scale <= 1:
        return list(rows), vectors
    rng = np.random.default_rng(SCALE_SEED)
    out_rows = list(rows)
    parts = [vectors]
    for copy in range(1, scale):
        out_rows += [CorpusRow(doc_id=f"{r.doc_id}~{copy}", text=r.text, title=r.title) for r in rows]
        noisy = vectors + rng.normal(0.0, 0.05, size=vectors.shape).astype(np.float32)
        parts.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
    return out_rows, np.vstack(parts).astype(np.float32)


def ensure_store(
    *,
    corpus: Path,
    encoder: TextEncoder,
    cache_root: Path = CACHE_ROOT,
    rebuild: bool = False,
    quiet: bool = False,
    scale: int = 1,
    extra_encoders: Mapping[str, TextEncoder] | None = None,
    translations: Path | None = None,
) -> BenchStore:
    """The cached store for this corpus, model and code, built first if missing (or if `rebuild`).

    Each of `extra_encoders` (the multilingual USE) gets its vectors and index in the store the first time
    it is asked for; its corpus vectors are cached like the default model's.
    A file lock makes concurrent runs wait for one build instead of writing the same folder twice.
    """
    extras = dict(extra_encoders or {})
    rows = read_corpus(corpus, translations)
    model = str(encoder.model_id)
    translated = "" if translations is None else "-translated"
    corpus_dir = cache_root / f"{corpus.stem.split('.')[0]}{translated}-{corpus_key(corpus, translations)}"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    data_dir = (
        corpus_dir / f"store-{store_key(model)}" if scale <= 1 else corpus_dir / f"store-{store_key(model)}-x{scale}"
    )
    marker = data_dir / "bench-store.json"
    vectors_path = corpus_dir / f"vectors-{model.replace('/', '_')}.npy"
    with (corpus_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and not rebuild:
            info: dict[str, Any] = json.loads(marker.read_text())
            missing = {key: enc for key, enc in extras.items() if info.get("extras", {}).get(key) != str(enc.model_id)}
            if missing:
                start = time.perf_counter()
                _add_extras(info=info, data_dir=data_dir, corpus_dir=corpus_dir, rows=rows, extras=missing, scale=scale)
                info["build_seconds"] = round(info["build_seconds"] + time.perf_counter() - start, 2)
                marker.write_text(json.dumps(info))
            return BenchStore(
                data_dir=data_dir,
                build_seconds=info["build_seconds"],
                cached=True,
                size=info["size"],
                encode_seconds=info["encode_seconds"],
            )
        start = time.perf_counter()
        if rebuild:
            vectors_path.unlink(missing_ok=True)
        vectors = _cached_vectors(path=vectors_path, rows=rows, encoder=encoder, quiet=quiet)
        encode_seconds = time.perf_counter() - start
        _remove_tree(data_dir)
        scaled_rows, vectors = scaled(rows, vectors, scale)
        build_store(data_dir=data_dir, rows=scaled_rows, vectors=vectors, model_id=encoder.model_id)
        info = {
            "encode_seconds": round(encode_seconds, 2),
            "size": len(scaled_rows),
            "corpus": str(corpus),
            "model": model,
            "extras": {},
        }
        if rebuild:
            for extra in extras.values():
                (corpus_dir / f"vectors-{str(extra.model_id).replace('/', '_')}.npy").unlink(missing_ok=True)
        _add_extras(info=info, data_dir=data_dir, corpus_dir=corpus_dir, rows=rows, extras=extras, scale=scale)
        seconds = round(time.perf_counter() - start, 2)
        info["build_seconds"] = seconds
        marker.write_text(json.dumps(info))
    return BenchStore(
        data_dir=data_dir, build_seconds=seconds, cached=False, size=info["size"], encode_seconds=info["encode_seconds"]
    )


def _add_extras(
    *,
    info: dict[str, Any],
    data_dir: Path,
    corpus_dir: Path,
    rows: Sequence[CorpusRow],
    extras: Mapping[str, TextEncoder],
    scale: int,
) -> None:
    """Adds each extra encoder's vectors to a built store and records it in the store's `info`."""
    for key, extra in extras.items():
        path = corpus_dir / f"vectors-{str(extra.model_id).replace('/', '_')}.npy"
        start = time.perf_counter()
        vectors = _cached_vectors(path=path, rows=rows, encoder=extra, quiet=True)
        info["encode_seconds"] = round(info["encode_seconds"] + time.perf_counter() - start, 2)
        scaled_rows, vectors = scaled(rows, vectors, scale)
        add_extra_vectors(data_dir=data_dir, key=key, encoder=extra, rows=scaled_rows, vectors=vectors)
        info.setdefault("extras", {})[key] = str(extra.model_id)


def run_queries(
    *,
    runtime: Runtime,
    queries: dict[str, str],
    mode: str,
    options: MatchOptions,
    k: int = MAX_K,
    contexts: Mapping[str, list[str]] | None = None,
    cohesion: float = 0.0,
) -> tuple[dict[str, list[tuple[str, float]]], list[float]]:
    """Every query through `Matcher.match` (as the API route calls it); the ranked dataset ids and ms per query.

    `contexts`: the sentences around each query, sent as the match query's `context` (none when absent).
    `cohesion`: the queries of one document (ids "<document>_<line>") re-scored together by `with_cohesion`, as the
    cross-reference report does with a source's claims (its time is not in the timings)."""
    found: dict[str, list[Match]] = {}
    timings: list[float] = []
    items = list(queries.items())
    for position, (qid, text) in enumerate(items[:WARMUP_QUERIES] + items):
        context = (contexts or {}).get(qid) or None
        query = MatchQuery(text=text, k=k, mode=mode, context=context)  # type: ignore[arg-type]
        start = time.perf_counter()
        with open_session(runtime.engine) as session:
            response = runtime.matcher.match(session=session, query=query, options=options)
        elapsed = (time.perf_counter() - start) * 1000
        if position < min(WARMUP_QUERIES, len(items)):
            continue
        timings.append(elapsed)
        found[qid] = response.matches
    if cohesion:
        for members in documents(found).values():
            ids = [qid for _, qid in members]
            for qid, matches in zip(ids, with_cohesion([found[q] for q in ids], cohesion), strict=True):
                found[qid] = matches
    run: dict[str, list[tuple[str, float]]] = {}
    for qid, matches in found.items():
        ranked = [(doc_id_of(m.source.url), m.score) for m in matches]
        run[qid] = [(doc, score) for doc, score in ranked if doc is not None]
    return run, timings


_LINE_ID = re.compile(r"^(?P<document>.+)_(?P<line>\d+)$")


def documents(queries: Iterable[str]) -> dict[str, list[tuple[int, str]]]:
    """Query ids that name a document and a line ("20170822_Trump_phoenix_0412"), by document: (line, id) in line
    order. Ids of another shape are left out."""
    lines: dict[str, list[tuple[int, str]]] = {}
    for qid in queries:
        if (m := _LINE_ID.match(qid)) is not None:
            lines.setdefault(m["document"], []).append((int(m["line"]), qid))
    return {document: sorted(members) for document, members in lines.items()}


def neighbour_contexts(queries: Mapping[str, str], window: int) -> dict[str, list[str]]:
    """For ids that name a document and a line, the other queries of the same document within ``window`` lines,
    in line order: the sentences around each one that the query set holds (the CLEF-2022 2B sentences come
    without their transcripts). Ids of another shape get no context."""
    out: dict[str, list[str]] = {}
    for members in documents(queries).values():
        for line, qid in members:
            around = [queries[other] for n, other in members if other != qid and abs(n - line) <= window]
            if around:
                out[qid] = around[:MAX_CONTEXT_SENTENCES]
    return out


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", choices=["train", "dev"], default="dev", help="which queries/qrels by default")
    parser.add_argument("--corpus", type=Path, default=DATASET / "verified_claims.docs.tsv")
    parser.add_argument("--queries", type=Path, default=None, help="default: <dataset>/<split>/tweets.queries.tsv")
    parser.add_argument("--qrels", type=Path, default=None, help="default: <dataset>/<split>/tweet-vclaim-pairs.qrels")
    parser.add_argument("--run-out", type=Path, default=None, help="write the TREC run file here")
    parser.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    parser.add_argument("--limit-queries", type=int, default=None, help="only the first N queries")
    parser.add_argument("-k", type=int, default=MAX_K, help="matches asked per query (the run file holds them)")
    parser.add_argument("--cache-dir", type=Path, default=CACHE_ROOT, help="where built stores are kept")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached store")
    parser.add_argument(
        "--query-backend",
        choices=sorted(ENCODER_BACKENDS),
        default=None,
        help="MiniLM backend that encodes the queries (default: CROSSCHECK_ENCODER_BACKEND, as the API does); "
        "the corpus vectors are always the cached torch ones",
    )
    parser.add_argument(
        "--context-window",
        type=int,
        default=0,
        help="send each query the other queries of its document within N lines as its `context` (ids "
        "'<document>_<line>', as CLEF-2022 2B's debate sentences); 0: none",
    )
    parser.add_argument(
        "--cohesion",
        type=float,
        default=0.0,
        help="re-score the queries of one document together, as the cross-reference report's `cohesion` does "
        "with a source's claims (0..1; ids '<document>_<line>'); 0: none",
    )
    ablation = parser.add_argument_group("ablations (pipeline switches that are not part of the API)")
    ablation.add_argument("--no-clean", action="store_true", help="match the raw query text")
    ablation.add_argument("--no-rerank", action="store_true", help="hybrid: reciprocal-rank fusion, no reranker")
    ablation.add_argument("--no-use", action="store_true", help="hybrid: the English rankers only (no USE)")
    ablation.add_argument("--depth", type=int, default=None, help="hybrid: candidates per ranker")
    ablation.add_argument(
        "--table", action="store_true", help="also run the component table: dense, +lexical, +clean-up, +USE, +reranker"
    )
    ablation.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--corpus-translations",
        type=Path,
        default=None,
        metavar="DIR",
        help="store the corpus rows that DIR/<language>.jsonl translate ({vclaim_id, vclaim, title} lines) in that "
        "language instead: a fact-check collection in several languages",
    )
    parser.add_argument(
        "--translation-sample",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"write DIR/source.part1.jsonl and DIR/source.part2.jsonl, a sample of {TRANSLATION_SAMPLE} of the "
        "split's queries to translate (part 1 to tune on, part 2 to score), and stop",
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        help="latency at N times the corpus: copies with noisy vectors (quality figures then not comparable)",
    )


def _options(args: argparse.Namespace) -> MatchOptions:
    defaults = MatchOptions()
    return MatchOptions(
        clean_query=not args.no_clean,
        rerank=not args.no_rerank,
        depth=args.depth or defaults.depth,
        rankers=ENGLISH_RANKERS if args.no_use else None,
    )


# The component table (`--table`): each row switches one more part of the default pipeline on.
ENGLISH_RANKERS = ("dense", "lexical")
COMPONENTS: tuple[tuple[str, str, MatchOptions], ...] = (
    ("dense", "dense", MatchOptions(clean_query=False, rerank=False, rankers=("dense",))),
    ("+lexical (rank fusion)", "hybrid", MatchOptions(clean_query=False, rerank=False, rankers=ENGLISH_RANKERS)),
    ("+clean-up", "hybrid", MatchOptions(clean_query=True, rerank=False, rankers=ENGLISH_RANKERS)),
    ("+USE (rank fusion)", "hybrid", MatchOptions(clean_query=True, rerank=False)),
    ("+reranker (default)", "hybrid", MatchOptions()),
    ("reranker without USE", "hybrid", MatchOptions(rankers=ENGLISH_RANKERS)),
)


def _measure(
    *,
    runtime: Runtime,
    queries: dict[str, str],
    qrels: Qrels,
    mode: str,
    options: MatchOptions,
    k: int,
    contexts: Mapping[str, list[str]] | None = None,
    cohesion: float = 0.0,
) -> tuple[dict[str, Any], dict[str, list[tuple[str, float]]]]:
    run, timings = run_queries(
        runtime=runtime, queries=queries, mode=mode, options=options, k=k, contexts=contexts, cohesion=cohesion
    )
    active = {
        r.name
        for r in runtime.matcher.rankers
        if r.available
        and (mode == "hybrid" or r.kind == mode)
        and (options.rankers is None or r.name in options.rankers)
    }
    figures: dict[str, Any] = {
        "mode": mode,
        "rankers": sorted(active),
        "clean_query": options.clean_query,
        "reranker": runtime.matcher.reranker is not None and mode == "hybrid" and options.rerank and len(active) > 1,
        **metrics.evaluate(metrics.rankings(run), qrels),
        "ms_per_query": round(statistics.fmean(timings), 2) if timings else 0.0,
        "ms_p50": round(percentile(timings, 50), 2),
        "ms_p95": round(percentile(timings, 95), 2),
    }
    return figures, run


def run_benchmark(
    args: argparse.Namespace,
    *,
    encoder: TextEncoder | None = None,
    extra_encoders: Mapping[str, TextEncoder] | None = None,
) -> dict[str, Any]:
    """Builds or opens the store, runs the queries, writes the run file; returns the JSON report.

    `encoder` / `extra_encoders` replace the configured models (tests pass small fakes, or no extra encoder).
    With ``args.table`` every row of `COMPONENTS` is run and reported under ``"table"``.
    """
    split_dir = args.corpus.parent / args.split
    queries_path = args.queries or split_dir / "tweets.queries.tsv"
    qrels_path = args.qrels or split_dir / "tweet-vclaim-pairs.qrels"
    for path in (args.corpus, queries_path, qrels_path):
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path}")
    enc = encoder if encoder is not None else Encoder()
    if extra_encoders is None:
        from service.multilingual import configured_encoders

        extra_encoders = configured_encoders(Settings())
    bench_store = ensure_store(
        corpus=args.corpus,
        encoder=enc,
        cache_root=args.cache_dir,
        rebuild=args.rebuild,
        quiet=args.quiet,
        scale=args.scale,
        extra_encoders=extra_encoders,
        translations=getattr(args, "corpus_translations", None),
    )
    queries = read_queries(queries_path)
    qrels = metrics.read_qrels(qrels_path)
    if args.limit_queries is not None:
        queries = dict(list(queries.items())[: args.limit_queries])
    # A query file may hold part of a split (a translated sample): it is scored on its own queries.
    qrels = {q: rel for q, rel in qrels.items() if q in queries}
    options = _options(args)
    window = getattr(args, "context_window", 0) or 0
    cohesion = getattr(args, "cohesion", 0.0) or 0.0
    if not 0.0 <= cohesion <= 1.0:
        raise ValueError(f"--cohesion must be between 0 and 1, got {cohesion}")
    contexts = neighbour_contexts(queries, window) if window > 0 else None
    # Queries go through the backend the API would use (ONNX int8 by default; it shares torch's vector space,
    # see embeddings/onnx.py); the corpus vectors stay the cached torch ones, so the store is never rebuilt.
    backend = getattr(args, "query_backend", None) or Settings().encoder_backend
    query_encoder = enc if encoder is not None or backend == "torch" else load_encoder(None, backend=backend)
    runtime = Runtime.open(
        Settings(data_dir=bench_store.data_dir), encoder=query_encoder, extra_encoders=extra_encoders
    )
    try:
        figures, run = _measure(
            runtime=runtime,
            queries=queries,
            qrels=qrels,
            mode=args.mode,
            options=options,
            k=args.k,
            contexts=contexts,
            cohesion=cohesion,
        )
        table = []
        if getattr(args, "table", False):
            for name, mode, row_options in COMPONENTS:
                if row_options.rankers is None and not extra_encoders:
                    continue  # no multilingual encoder configured: its rows would repeat the English ones
                row, _ = _measure(
                    runtime=runtime,
                    queries=queries,
                    qrels=qrels,
                    mode=mode,
                    options=replace(row_options, depth=options.depth),
                    k=args.k,
                    contexts=contexts,
                    cohesion=cohesion,
                )
                table.append({"component": name, **row})
    finally:
        runtime.engine.dispose()  # the cached index is not modified: no need to save it again
    if args.run_out is not None:
        metrics.write_run(args.run_out, run, tag=f"crosscheck-{args.mode}")
    report: dict[str, Any] = {
        "split": args.split,
        "queries": str(queries_path),  # the split's, or the file given (whose split the name says)
        "n_queries": len(qrels),
        "k": args.k,
        "corpus_size": bench_store.size,
        **figures,
        # Seconds the cached store took to build: encoding (0 if the vectors were cached) + database + index.
        "index_build_s": bench_store.build_seconds,
        "encode_s": bench_store.encode_seconds,
        "store_cached": bench_store.cached,
        "query_encoder_backend": "test encoder" if encoder is not None else backend,
        "store": str(bench_store.data_dir),
    }
    if contexts is not None:
        report["context"] = {"window": window, "queries_with_context": len(contexts)}
    if cohesion:
        report["cohesion"] = {"weight": cohesion, "documents": len(documents(queries))}
    if table:
        report["table"] = table
    if args.run_out is not None:
        report["run"] = str(args.run_out)
    return report


def main(args: argparse.Namespace) -> int:
    try:
        if args.translation_sample is not None:
            queries_path = args.queries or DATASET / args.split / "tweets.queries.tsv"
            for path in write_translation_sample(read_queries(queries_path), args.translation_sample):
                print(path)
            return 0
        report = run_benchmark(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    from bench import run_script

    sys.exit(run_script(__doc__, add_arguments, main))
