"""A synthetic corpus of up to millions of claims for the perf bench, written straight into a crosscheck store.

Encoding a million real sentences takes more than an hour on this machine, so the corpus is made, once, like
this (and cached under ``data/bench/perf/``, which is gitignored):

1. **A pool of real sentences** (about 28k): the CLEF2020 fact-checked claims and their titles, the ClaimBuster
   debate sentences (``../shared/datasets/``) and the claims the extractor finds in ``seeds/``. Each is encoded
   once with every configured encoder (the default MiniLM, and the multilingual USE when enabled); the vectors
   are cached per pool and model (``pool-<key>/vectors-<model>.npy``).
2. **Claims.** The first ones are pool sentences verbatim, with their real vectors (the CLEF fact-checked
   claims first, so the held-out queries below have their real answers in every corpus of 10k claims or
   more). Every further claim is a variant of a random pool sentence: numbers changed, an attribution or a
   date added, a word or two swapped for words drawn from the pool (so BM25 sees real vocabulary and term
   frequencies), and in half of them a fragment of a second pool sentence appended. Its vector is the base
   sentence's real vector, plus ``alpha`` times the second sentence's when one was appended, plus Gaussian
   noise of norm ``r`` (uniform in 0.25..0.6, i.e. cosine about 0.86..0.97 to the noiseless vector),
   re-normalised -- for each encoder with its own vectors and noise.
3. **Sources** of 3 to 15 claims (the claims joined into paragraphs, so ``text[start:end] == claim.text``),
   with a fictional outlet, date, URL, title and sometimes a speaker.
4. **The store**: rows go into the service's own tables in bulk (SQLAlchemy Core inserts of ``Source``,
   ``Claim`` and ``ClaimVector``, bypassing the per-article ingest), then the service's own code builds the
   FTS5 lexical index (`open_lexical`) and the FAISS indexes (`Runtime.open` rebuilds them from the stored
   vectors with whatever index kind the configuration selects, and saves them), exactly as a server start
   would. Sentence extraction and check-worthiness scoring are skipped: a claim's check-worthiness is its
   base sentence's score.

**Queries** are held out of the pool: the CLEF2020 train and dev tweets (997 real posts, each the paraphrase
of a fact-checked claim in the corpus), so lexical and dense search both have real work.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import random
import re
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from embeddings import TextEncoder
from service import store

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO.parent / "shared" / "datasets"
CACHE_ROOT = REPO / "data" / "bench" / "perf"
# Bump when the pool (what is read, how it is cleaned) or the generator (texts, vectors, sources) changes.
POOL_VERSION = "1"
GENERATOR_VERSION = "1"
ENCODE_BATCH = 512
CHUNK_CLAIMS = 20_000
NOISE_RANGE = (0.25, 0.6)
MIX_ALPHA_RANGE = (0.15, 0.4)
CLAIMS_PER_SOURCE = (3, 15)

HOW = (
    "pool of real sentences (CLEF2020 fact-checked claims + titles, ClaimBuster, seeds) encoded once per encoder; "
    "claims = pool sentences verbatim first, then variants (numbers, attribution, dates, word swaps from the pool "
    "vocabulary, half with a fragment of a second sentence) whose vectors are the base's real vector "
    "(+ alpha x the second's) + Gaussian noise of norm 0.25..0.6, re-normalised; bulk-inserted into the service's "
    "tables, FTS5 and FAISS built by the service's own code"
)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[A-Za-z][a-z]{3,}")

# Fictional outlets, speakers and dates, written for this bench.
_OUTLET_FIRST = [
    "Northern",
    "Coastal",
    "Capital",
    "Evening",
    "Morning",
    "Daily",
    "Valley",
    "Harbour",
    "Metro",
    "Prairie",
    "Island",
    "Highland",
    "Lakeside",
    "Central",
    "Western",
    "Eastern",
    "Southern",
    "Union",
    "Civic",
    "Frontier",
]
_OUTLET_SECOND = [
    "Ledger",
    "Wire",
    "Herald",
    "Gazette",
    "Dispatch",
    "Chronicle",
    "Courier",
    "Bulletin",
    "Tribune",
    "Review",
    "Post",
    "Observer",
]
_SPEAKERS = (
    "the ministry",
    "a government spokesperson",
    "the mayor's office",
    "opposition leaders",
    "the company",
    "local police",
    "researchers",
    "union officials",
    "the regulator",
    "independent analysts",
    "the central bank",
    "the health agency",
    "campaigners",
    "the defence ministry",
    "the electoral commission",
)
_ATTRIBUTIONS = (
    "{speaker} said that {claim}",
    "According to {speaker}, {claim}",
    "{claim_np}, {speaker} said.",
    "{speaker} claimed that {claim}",
    "{speaker} denied reports that {claim}",
    "{speaker} confirmed that {claim}",
)
_WHEN = (
    "on Monday",
    "on Tuesday",
    "last week",
    "earlier this year",
    "in March 2024",
    "on 12 May",
    "in the autumn",
    "overnight",
    "at the weekend",
    "in 2023",
)


def _clean(sentence: str) -> str:
    return " ".join(_CONTROL.sub(" ", sentence).split())


def _keep(sentence: str) -> bool:
    return 25 <= len(sentence) <= 300 and len(sentence.split()) >= 4


@dataclass(frozen=True, slots=True)
class Pool:
    """Real sentences to draw claims from, the CLEF fact-checked claims first (`n_priority` of them)."""

    sentences: list[str]
    n_priority: int
    origins: dict[str, int]

    @property
    def key(self) -> str:
        digest = hashlib.sha256(f"{POOL_VERSION}\0".encode())
        for sentence in self.sentences:
            digest.update(sentence.encode("utf-8", "surrogatepass") + b"\0")
        return digest.hexdigest()[:16]


def load_pool(*, datasets: Path = DATASETS, seeds: Path = REPO / "seeds", limit: int | None = None) -> Pool:
    """Reads, cleans and de-duplicates the pool; `limit` keeps only the first sentences (small test corpora)."""
    from service.extraction import extract

    groups: dict[str, list[str]] = {"clef_claims": [], "clef_titles": [], "claimbuster": [], "seeds": []}
    clef = datasets / "clef2020-task2" / "verified_claims.docs.tsv"
    if clef.exists():
        from bench import metrics

        for row in metrics.read_tsv(clef, ["vclaim_id", "vclaim", "title"]):
            groups["clef_claims"].append(row["vclaim"])
            groups["clef_titles"].append(row["title"])
    claimbuster = datasets / "claimbuster" / "train.json"
    if claimbuster.exists():
        groups["claimbuster"] = [str(item["text"]) for item in json.loads(claimbuster.read_text(encoding="utf-8"))]
    for path in sorted(seeds.glob("*.md")):
        if path.name.lower() != "readme.md":
            groups["seeds"] += [c.text for c in extract(path.read_text(encoding="utf-8")).claims]
    seen: set[str] = set()
    sentences: list[str] = []
    origins: dict[str, int] = {}
    n_priority = 0
    for name, raw in groups.items():
        before = len(sentences)
        for sentence in map(_clean, raw):
            if _keep(sentence) and sentence not in seen:
                seen.add(sentence)
                sentences.append(sentence)
        origins[name] = len(sentences) - before
        if name == "clef_claims":
            n_priority = len(sentences)
    if not sentences:
        raise FileNotFoundError(f"no pool sentences: neither {datasets} nor {seeds} has any")
    if limit is not None:
        sentences = sentences[:limit]
        n_priority = min(n_priority, limit)
    return Pool(sentences=sentences, n_priority=n_priority, origins=origins)


def load_queries(*, datasets: Path = DATASETS, pool: Pool | None = None) -> tuple[list[str], str]:
    """Held-out query texts and where they come from: the CLEF2020 train + dev tweets.

    Without the dataset, paraphrase-like queries are made from pool sentences (every third word dropped).
    """
    texts: list[str] = []
    for split in ("dev", "train"):
        path = datasets / "clef2020-task2" / split / "tweets.queries.tsv"
        if path.exists():
            from bench import metrics

            texts += [r["tweet_content"] for r in metrics.read_tsv(path, ["tweet_id", "tweet_content"])]
    texts = [t for t in (_clean(t) for t in texts) if t]
    if texts:
        return texts, "CLEF2020-CheckThat! task 2 train+dev tweets (held out of the corpus pool)"
    if pool is None:
        raise FileNotFoundError(f"no CLEF2020 tweets under {datasets} and no pool to derive queries from")
    derived = [" ".join(w for i, w in enumerate(s.split()) if i % 3 != 2) for s in pool.sentences[::7][:1000]]
    return derived, "pool sentences with every third word dropped (CLEF2020 tweets not found)"


def _lock(path: Path) -> Any:
    """An exclusive lock on the file `path` (created if missing), released when the handle closes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("w")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def pool_vectors(
    *, pool: Pool, encoder: TextEncoder, cache_root: Path = CACHE_ROOT, quiet: bool = False
) -> tuple[np.ndarray, bool]:
    """The pool encoded with `encoder` as ingest would encode it (cached); returns ``(vectors, cached)``."""
    from tqdm import tqdm

    directory = cache_root / f"pool-{pool.key}"
    path = directory / f"vectors-{str(encoder.model_id).replace('/', '_')}.npy"
    with _lock(directory / ".lock"):
        if path.exists():
            vectors = np.load(path)
            if vectors.shape == (len(pool.sentences), encoder.model_id.dim):
                return vectors, True
        parts = []
        with tqdm(total=len(pool.sentences), desc=f"encode pool ({encoder.model_id})", disable=quiet) as bar:
            for lo in range(0, len(pool.sentences), ENCODE_BATCH):
                batch = pool.sentences[lo : lo + ENCODE_BATCH]
                parts.append(encoder.encode_documents(batch))
                bar.update(len(batch))
        vectors = np.vstack(parts).astype(np.float32)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        os.replace(tmp, path)
    return vectors, False


def pool_checkworthiness(*, pool: Pool, vectors: np.ndarray, encoder: TextEncoder, cache_root: Path) -> np.ndarray:
    """The service's check-worthiness score of every pool sentence (cached: about 5 s for the whole pool)."""
    from service.checkworthiness import default_scorer

    path = cache_root / f"pool-{pool.key}" / f"checkworthiness-{str(encoder.model_id).replace('/', '_')}.npy"
    if path.exists():
        scores = np.load(path)
        if scores.shape == (len(pool.sentences),):
            return scores
    scores = np.asarray(
        default_scorer().score(vectors=vectors, texts=pool.sentences, model=encoder.model_id), dtype=np.float64
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, scores)
    os.replace(tmp, path)
    return scores


# ------------------------------------------------------------------------------------------------ generation


@dataclass(slots=True)
class _Claim:
    text: str
    speaker: str | None
    base: int
    other: int
    alpha: float
    noise: float


@dataclass(slots=True)
class _Source:
    serial: int
    outlet: str
    published_at: dt.date
    title: str
    claims: list[_Claim] = field(default_factory=list)


class Generator:
    """Deterministic claims and sources for a pool and a seed: the first n claims are the same for every n."""

    def __init__(self, pool: Pool, seed: int) -> None:
        self.pool = pool
        self.rng = random.Random(seed)
        order_rng = np.random.default_rng(seed)
        n = len(pool.sentences)
        self.verbatim = np.concatenate(
            [order_rng.permutation(pool.n_priority), pool.n_priority + order_rng.permutation(n - pool.n_priority)]
        )
        # Words drawn with their frequency in the pool, for word swaps.
        self.vocabulary = [w.lower() for s in pool.sentences for w in _WORD.findall(s)] or ["report"]
        self.outlets = [f"{a} {b}" for a in _OUTLET_FIRST for b in _OUTLET_SECOND]

    def _number(self, match: re.Match[str]) -> str:
        digits = sum(ch.isdigit() for ch in match.group())
        value = self.rng.randint(10 ** (digits - 1) if digits > 1 else 0, 10**digits - 1)
        return f"{value:,}" if value >= 10_000 and self.rng.random() < 0.5 else str(value)

    def claim(self, serial: int) -> _Claim:
        """Claim number `serial` of the corpus (0-based)."""
        rng = self.rng
        if serial < len(self.verbatim):
            base = int(self.verbatim[serial])
            return _Claim(text=self.pool.sentences[base], speaker=None, base=base, other=base, alpha=0.0, noise=0.0)
        n = len(self.pool.sentences)
        base, other = rng.randrange(n), rng.randrange(n)
        text = _NUMBER.sub(self._number, self.pool.sentences[base])
        words = text.split(" ")
        for _ in range(rng.randint(0, 2)):
            spot = rng.randrange(len(words))
            if _WORD.fullmatch(words[spot]):
                words[spot] = rng.choice(self.vocabulary)
        text = " ".join(words).rstrip(" .!?;:")
        alpha = 0.0
        if rng.random() < 0.5:
            fragment = " ".join(self.pool.sentences[other].split()[: rng.randint(5, 12)]).rstrip(" .,;:!?")
            if fragment[1:2].islower():
                fragment = fragment[:1].lower() + fragment[1:]
            text += ", while " + fragment
            alpha = rng.uniform(*MIX_ALPHA_RANGE)
        if rng.random() < 0.3:
            text += " " + rng.choice(_WHEN)
        speaker = None
        if rng.random() < 0.4:
            speaker = rng.choice(_SPEAKERS)
            template = rng.choice(_ATTRIBUTIONS)
            lowered = text[:1].lower() + text[1:] if not text[:2].isupper() else text
            text = template.format(speaker=speaker, claim=lowered + ".", claim_np=text)
            text = text[:1].upper() + text[1:]
        if not text.endswith((".", "!", "?")):
            text += "."
        return _Claim(text=text, speaker=speaker, base=base, other=other, alpha=alpha, noise=rng.uniform(*NOISE_RANGE))

    def sources(self, n_claims: int) -> Iterator[_Source]:
        """Sources holding claims 0..n_claims-1 in order."""
        serial = 0
        source_serial = 0
        epoch = dt.date(2019, 1, 1)
        while serial < n_claims:
            source_serial += 1
            size = min(self.rng.randint(*CLAIMS_PER_SOURCE), n_claims - serial)
            claims = [self.claim(serial + i) for i in range(size)]
            serial += size
            title = " ".join(self.pool.sentences[claims[0].base].split()[:10]).rstrip(" .,;:")
            yield _Source(
                serial=source_serial,
                outlet=self.rng.choice(self.outlets),
                published_at=epoch + dt.timedelta(days=self.rng.randrange(7 * 365)),
                title=title,
                claims=claims,
            )


def source_text(claims: Sequence[_Claim]) -> tuple[str, list[tuple[int, int]]]:
    """The article text (paragraphs of up to three claims) and each claim's ``(start, end)`` in it."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for position, claim in enumerate(claims):
        if position:
            sep = "\n\n" if position % 3 == 0 else " "
            parts.append(sep)
            length += len(sep)
        spans.append((length, length + len(claim.text)))
        parts.append(claim.text)
        length += len(claim.text)
    return "".join(parts), spans


def claim_vectors(claims: Sequence[_Claim], pool_vecs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors: base (+ alpha x other) + noise of norm `claim.noise` in a random direction, re-normalised."""
    base = np.fromiter((c.base for c in claims), dtype=np.int64, count=len(claims))
    other = np.fromiter((c.other for c in claims), dtype=np.int64, count=len(claims))
    alpha = np.fromiter((c.alpha for c in claims), dtype=np.float32, count=len(claims))[:, None]
    noise = np.fromiter((c.noise for c in claims), dtype=np.float32, count=len(claims))[:, None]
    vecs = pool_vecs[base] + alpha * pool_vecs[other]
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    direction = rng.standard_normal(vecs.shape).astype(np.float32)
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    vecs = vecs + noise * direction
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return np.ascontiguousarray(vecs, dtype=np.float32)


# ------------------------------------------------------------------------------------------------ the store


@dataclass(frozen=True, slots=True)
class CorpusStore:
    """A built (or cached) store: a data dir the server can start on."""

    data_dir: Path
    claims: int
    sources: int
    cached: bool
    build: dict[str, float]
    encoders: dict[str, str]


def store_key(*, pool: Pool, seed: int, encoders: Mapping[str, str]) -> str:
    """What a built store depends on: pool, seed, generator, encoders (models), table and FTS5 definitions."""
    from service.lexical import SCHEMA_VERSION

    digest = hashlib.sha256(f"{pool.key}\0{seed}\0{GENERATOR_VERSION}\0{SCHEMA_VERSION}\0".encode())
    digest.update(json.dumps(sorted(encoders.items())).encode())
    digest.update((REPO / "service" / "models.py").read_bytes())
    return digest.hexdigest()[:12]


def _insert_rows(
    *,
    engine: Any,
    generator: Generator,
    n_claims: int,
    vectors: Mapping[str, np.ndarray],
    checkworthiness: np.ndarray,
    seed: int,
    quiet: bool,
) -> int:
    """Bulk-inserts the sources, claims and extra-encoder vectors; returns the number of sources."""
    from sqlalchemy import insert
    from sqlmodel import SQLModel
    from tqdm import tqdm

    tables = SQLModel.metadata.tables
    source_table, claim_table, vector_table = tables["source"], tables["claim"], tables["claimvector"]
    noise_rngs = {key: np.random.default_rng([seed, i]) for i, key in enumerate(sorted(vectors))}
    ingested_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    claim_id = 0
    n_sources = 0
    sources: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    pending: list[_Claim] = []
    ids: list[int] = []

    def flush() -> None:
        if not claims:
            return
        vecs = {key: claim_vectors(pending, pool_vecs, noise_rngs[key]) for key, pool_vecs in vectors.items()}
        for row, vec in zip(claims, vecs["default"], strict=True):
            row["embedding"] = store.vector_to_bytes(vec)
        with engine.begin() as conn:
            conn.execute(insert(source_table), sources)
            conn.execute(insert(claim_table), claims)
            for key, vecs_key in vecs.items():
                if key != "default":
                    rows = [
                        {"claim_id": i, "encoder": key, "vector": store.vector_to_bytes(v)}
                        for i, v in zip(ids, vecs_key, strict=True)
                    ]
                    conn.execute(insert(vector_table), rows)
        sources.clear()
        claims.clear()
        pending.clear()
        ids.clear()

    with tqdm(total=n_claims, desc=f"store {n_claims:,} claims", disable=quiet) as bar:
        for src in generator.sources(n_claims):
            n_sources += 1
            text, spans = source_text(src.claims)
            url = f"https://{src.outlet.lower().replace(' ', '-')}.example/{src.published_at.year}/{src.serial}"
            sources.append(
                {
                    "id": src.serial,
                    "url": url,
                    "title": src.title,
                    "outlet": src.outlet,
                    "author": None,
                    "published_at": src.published_at,
                    "language": "en",
                    "text": text,
                    # Serial in the hash: two sources of identical text stay two rows, as in the corpus plan.
                    "content_hash": store.content_hash(f"perf:{src.serial}\n{text}"),
                    "ingested_at": ingested_at,
                }
            )
            for position, (claim, (start, end)) in enumerate(zip(src.claims, spans, strict=True)):
                claim_id += 1
                score = float(np.clip(checkworthiness[claim.base] + generator.rng.uniform(-0.05, 0.05), 0.0, 1.0))
                claims.append(
                    {
                        "id": claim_id,
                        "source_id": src.serial,
                        "text": claim.text,
                        "start": start,
                        "end": end,
                        "position": position,
                        "speaker": claim.speaker,
                        "context_text": claim.text,
                        "checkworthiness": round(score, 4),
                    }
                )
                pending.append(claim)
                ids.append(claim_id)
            bar.update(len(src.claims))
            if len(claims) >= CHUNK_CLAIMS:
                flush()
        flush()
    return n_sources


def build_store(
    *,
    data_dir: Path,
    pool: Pool,
    n_claims: int,
    encoder: TextEncoder,
    extras: Mapping[str, TextEncoder],
    vectors: Mapping[str, np.ndarray],
    seed: int,
    quiet: bool = False,
) -> tuple[int, dict[str, float]]:
    """Writes the corpus into a fresh data dir; returns the number of sources and the seconds of each phase.

    `vectors` holds the pool's vectors under ``"default"`` (the main encoder) and each extra encoder's key.
    """
    from service.config import Settings
    from service.db import make_engine
    from service.indexing import check_store_model
    from service.lexical import open_lexical
    from service.runtime import Runtime
    from service.vectors import check_encoder_model

    phases: dict[str, float] = {}
    started = time.perf_counter()
    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings)
    try:
        check_store_model(engine=engine, model_id=encoder.model_id)
        for key, extra in extras.items():
            check_encoder_model(engine=engine, key=key, model_id=extra.model_id)
        checkworthiness = pool_checkworthiness(
            pool=pool, vectors=vectors["default"], encoder=encoder, cache_root=data_dir.parent
        )
        n_sources = _insert_rows(
            engine=engine,
            generator=Generator(pool, seed),
            n_claims=n_claims,
            vectors=vectors,
            checkworthiness=checkworthiness,
            seed=seed,
            quiet=quiet,
        )
        phases["insert_s"] = round(time.perf_counter() - started, 1)
        mark = time.perf_counter()
        # No FTS5 table yet: the service creates it and fills it in one 'rebuild', faster than per-row triggers.
        open_lexical(engine)
        phases["lexical_s"] = round(time.perf_counter() - mark, 1)
    finally:
        engine.dispose()
    mark = time.perf_counter()
    # The service's own start-up path builds every FAISS index from the stored vectors; close() finishes the switch
    # to the configured kind (HNSW at 1M) and saves it, so the bench's servers start on the index they will serve.
    runtime = Runtime.open(settings, encoder=encoder, extra_encoders=extras)
    runtime.close()
    phases["index_s"] = round(time.perf_counter() - mark, 1)
    phases["total_s"] = round(time.perf_counter() - started, 1)
    return n_sources, phases


def index_env() -> dict[str, str]:
    """The configuration a saved index may depend on (every CROSSCHECK_* setting but secrets and paths)."""
    skip = {"CROSSCHECK_API_KEYS", "CROSSCHECK_DATA_DIR", "CROSSCHECK_LOG_LEVEL", "CROSSCHECK_DATABASE_URL"}
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith("CROSSCHECK_") and k not in skip}


def ensure_store(
    *,
    pool: Pool,
    n_claims: int,
    encoder: TextEncoder,
    extras: Mapping[str, TextEncoder],
    vectors: Mapping[str, np.ndarray],
    seed: int = 1,
    cache_root: Path = CACHE_ROOT,
    rebuild: bool = False,
    quiet: bool = False,
) -> CorpusStore:
    """The cached store of `n_claims` claims, built first if missing (a file lock serialises concurrent builds).

    A store built under another index configuration (``CROSSCHECK_*`` settings) is opened and closed once
    by the service, which converts or rebuilds its indexes as the configuration says and saves them, so the
    server the bench starts afterwards loads them as a production restart would.
    """
    encoders = {"default": str(encoder.model_id), **{k: str(e.model_id) for k, e in extras.items()}}
    key = store_key(pool=pool, seed=seed, encoders=encoders)
    data_dir = cache_root / f"store-{n_claims}-{key}"
    marker = data_dir / "bench-store.json"
    # One lock per store: a run measuring a cached size does not wait for another run building a larger one.
    with _lock(cache_root / f".lock-{data_dir.name}"):
        if marker.exists() and not rebuild:
            info = json.loads(marker.read_text())
            if info.get("index_env") != index_env():
                from service.config import Settings
                from service.runtime import Runtime

                mark = time.perf_counter()
                runtime = Runtime.open(Settings(data_dir=data_dir), encoder=encoder, extra_encoders=extras)
                runtime.close()  # finishes a kind switch (flat -> HNSW) first: what is saved is what is asked for
                info["index_env"] = index_env()
                info["build"]["reindex_s"] = round(time.perf_counter() - mark, 1)
                marker.write_text(json.dumps(info, indent=1))
            return CorpusStore(
                data_dir=data_dir,
                claims=info["claims"],
                sources=info["sources"],
                cached=True,
                build=info["build"],
                encoders=encoders,
            )
        if data_dir.exists():
            shutil.rmtree(data_dir)
        n_sources, phases = build_store(
            data_dir=data_dir,
            pool=pool,
            n_claims=n_claims,
            encoder=encoder,
            extras=extras,
            vectors=vectors,
            seed=seed,
            quiet=quiet,
        )
        info = {
            "claims": n_claims,
            "sources": n_sources,
            "build": phases,
            "encoders": encoders,
            "pool": pool.key,
            "seed": seed,
            "how": HOW,
            "index_env": index_env(),
        }
        marker.write_text(json.dumps(info, indent=1))
    return CorpusStore(
        data_dir=data_dir, claims=n_claims, sources=n_sources, cached=False, build=phases, encoders=encoders
    )


def ingest_articles(pool: Pool, n: int, seed: int) -> list[str]:
    """`n` article texts of 6 to 12 pool sentences each (a title line, paragraphs of two or three sentences)."""
    rng = random.Random(seed + 7919)
    articles = []
    for number in range(n):
        picked = [pool.sentences[rng.randrange(len(pool.sentences))] for _ in range(rng.randint(6, 12))]
        body = "\n\n".join(" ".join(picked[i : i + 3]) for i in range(0, len(picked), 3))
        title = " ".join(picked[0].split()[:9]).rstrip(" .,;:")
        articles.append(f"# {title} ({number})\n\n{body}\n")
    return articles
