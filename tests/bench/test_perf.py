"""bench/corpus.py and bench/perf.py, small: the synthetic store is a real crosscheck store, the report is sane.

The issue's figures come from `crosscheck bench perf` at 10k/100k/1M claims with the real models; these runs use
a few hundred to a thousand claims and the tests' hashing encoder, and check shapes and invariants, not speed.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session, func, select

from bench import corpus, harness
from service.config import Settings
from service.db import open_session
from service.lexical import check_integrity
from service.models import Claim, Source
from service.runtime import Runtime
from service.schemas import MatchQuery
from tests.helpers import HashingEncoder
from tests.netguard import loopback_only

__all__ = ["loopback_only"]

POOL_LIMIT = 1500


def write_generated_dataset(root: Path, n: int) -> None:
    """A CLEF-format claim file of the load bench's generated sentences (no third-party text, no ../shared)."""
    rng = random.Random(11)
    folder = root / "clef2020-task2"
    folder.mkdir(parents=True)
    rows = ["vclaim_id\tvclaim\ttitle"]
    rows += [f"vc{i}\t{harness.query(rng)}, officials said.\tGenerated row {i}" for i in range(n)]
    (folder / "verified_claims.docs.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> corpus.Pool:
    datasets = tmp_path_factory.mktemp("datasets")
    write_generated_dataset(datasets, POOL_LIMIT + 600)
    loaded = corpus.load_pool(datasets=datasets, limit=POOL_LIMIT)
    assert len(loaded.sentences) == POOL_LIMIT and loaded.origins["clef_claims"] > POOL_LIMIT - 100
    return loaded


def test_generator_is_deterministic_and_spans_are_exact(pool: corpus.Pool) -> None:
    first = list(corpus.Generator(pool, seed=3).sources(2 * len(pool.sentences)))
    again = list(corpus.Generator(pool, seed=3).sources(2 * len(pool.sentences)))
    assert [c.text for s in first for c in s.claims] == [c.text for s in again for c in s.claims]
    claims = [c for s in first for c in s.claims]
    assert len(claims) == 2 * len(pool.sentences)
    # The first claims are the pool verbatim, each sentence once; the rest are variants.
    verbatim = [c.text for c in claims[: len(pool.sentences)]]
    assert sorted(verbatim) == sorted(pool.sentences)
    variants = claims[len(pool.sentences) :]
    assert sum(c.text not in pool.sentences for c in variants) > 0.9 * len(variants)
    assert all(c.noise > 0 for c in variants)
    for source in first[:50]:
        text, spans = corpus.source_text(source.claims)
        assert [text[a:b] for a, b in spans] == [c.text for c in source.claims]
        assert corpus.CLAIMS_PER_SOURCE[0] <= len(source.claims) <= corpus.CLAIMS_PER_SOURCE[1]


def test_claim_vectors_stay_near_their_base(pool: corpus.Pool) -> None:
    encoder = HashingEncoder()
    pool_vecs = encoder.encode_documents(pool.sentences)
    generator = corpus.Generator(pool, seed=1)
    claims = [generator.claim(i) for i in range(len(pool.sentences) - 5, len(pool.sentences) + 400)]
    vecs = corpus.claim_vectors(claims, pool_vecs, np.random.default_rng(0))
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    # Verbatim claims carry their sentence's real vector.
    np.testing.assert_allclose(vecs[:5], pool_vecs[[c.base for c in claims[:5]]], atol=1e-6)
    plain = [i for i, c in enumerate(claims) if c.alpha == 0.0 and c.noise > 0]
    cosines = np.einsum("ij,ij->i", vecs[plain], pool_vecs[[claims[i].base for i in plain]])
    # Noise of norm 0.25..0.6 in a random direction: cosine about 1/sqrt(1 + r^2), i.e. 0.86..0.97.
    assert cosines.min() > 0.8 and cosines.max() < 0.99


def test_store_is_a_working_crosscheck_store_and_is_cached(pool: corpus.Pool, tmp_path: Path) -> None:
    encoder = HashingEncoder()
    vectors, cached = corpus.pool_vectors(pool=pool, encoder=encoder, cache_root=tmp_path, quiet=True)
    assert not cached and vectors.shape == (len(pool.sentences), encoder.model_id.dim)
    assert corpus.pool_vectors(pool=pool, encoder=encoder, cache_root=tmp_path, quiet=True)[1]
    size = 300
    kwargs = {"pool": pool, "n_claims": size, "encoder": encoder, "extras": {}, "vectors": {"default": vectors}}
    built = corpus.ensure_store(**kwargs, cache_root=tmp_path, quiet=True)  # type: ignore[arg-type]
    assert not built.cached and built.claims == size
    again = corpus.ensure_store(**kwargs, cache_root=tmp_path, quiet=True)  # type: ignore[arg-type]
    assert again.cached and again.data_dir == built.data_dir and again.sources == built.sources

    runtime = Runtime.open(Settings(data_dir=built.data_dir, multilingual=False), encoder=encoder, extra_encoders={})
    try:
        assert runtime.index_report.state == "loaded" and len(runtime.index) == size
        with Session(runtime.engine) as session:
            assert session.exec(select(func.count()).select_from(Claim)).one() == size
            assert session.exec(select(func.count()).select_from(Source)).one() == built.sources
            check_integrity(session=session)  # the FTS5 index agrees with the claims
            for claim in session.exec(select(Claim).limit(40)).all():
                source = session.get(Source, claim.source_id)
                assert source is not None and source.text[claim.start : claim.end] == claim.text
                assert 0.0 <= (claim.checkworthiness or 0.0) <= 1.0
            target = session.exec(select(Claim).where(Claim.id == 7)).one()
        with open_session(runtime.engine) as session:
            for mode in ("dense", "lexical"):
                response = runtime.matcher.match(session=session, query=MatchQuery(text=target.text, k=3, mode=mode))
                assert response.matches[0].claim.id == 7, mode
    finally:
        runtime.engine.dispose()


@pytest.mark.slow
@pytest.mark.usefixtures("loopback_only")
def test_perf_report_smoke(tmp_path: Path) -> None:
    from bench.perf import run

    report = run(
        sizes=[1000],
        clients=3,
        n_single=12,
        concurrent_requests=24,
        concurrent_seconds=30.0,
        ingest_articles=6,
        encoder_kind="hashing",
        cache_dir=tmp_path / "cache",
        work_dir=tmp_path / "work",
        pool_limit=POOL_LIMIT,
        quiet=True,
        # Past this many claims the service serves from HNSW: the store is saved with it, and the transient run
        # restarts without it and measures the switch.
        env_pairs=["CROSSCHECK_INDEX_THRESHOLD=500"],
        transient=True,
    )
    assert report["config"]["multilingual"] is False and report["config"]["encoders"] == {"default": "test-hashing@64"}
    ingest = report["ingest"]
    assert ingest["claims"] == ingest["claim_texts_encoded"] > 0
    assert ingest["encoder_alone"]["sentences_per_s"] > 0 and ingest["pipeline"]["claims_per_s"] > 0
    assert ingest["ratio"] == pytest.approx(
        ingest["pipeline"]["claims_per_s"] / ingest["encoder_alone"]["sentences_per_s"], abs=1e-3
    )
    assert report["empty_store"]["memory"]["rss_mb"] > 0
    (size,) = report["sizes"]
    assert size["claims"] == size["health"]["claims"] == size["health"]["index_size"] == 1000
    assert 0 < size["sources"] < 1000
    cold = size["cold_start"]
    assert cold["first_match_status"] == 200
    assert 0 < cold["process_to_health_s"] <= cold["process_to_first_match_s"]
    assert report["cold_start"]["claims"] == 1000
    # Measured in the steady state: the saved store already holds HNSW, nothing was switching.
    assert size["health"]["index_kinds"] == {"dense": "hnsw"} and size["index_switch_wait_s"] >= 0
    transient = report["transient"]
    assert transient["claims"] == 1000 and transient["index_kinds_after"] == {"dense": "hnsw"}
    assert transient["index_kinds_at_start"]["dense"] in {"flat (switching)", "hnsw"}
    assert transient["switching_s"] >= 0 and transient["hybrid_matches_meanwhile"]["count"] >= 0
    store_index = Path(size["store"]) / "index"
    assert (store_index / "claims.faiss").is_file() and not (Path(size["store"]) / "index-aside-for-transient").exists()
    for mode in ("hybrid", "dense"):
        single, many = size["match"][mode]["single"], size["match"][mode]["concurrent"]
        assert single["count"] == 12 and not single["errors"] and single["answered_with_matches"] == 12
        assert 0 < single["p50"] <= single["p95"] <= single["p99"]
        assert many["ok"] == many["requests"] == 24 and not many["errors"] and many["throughput_rps"] > 0
        assert 0 < many["p50"] <= many["p95"] <= many["p99"]
    memory = size["memory_per_claim"]
    assert size["memory"]["rss_mb"] > 0 and memory["rss_bytes_per_claim"] > 0
    assert memory["encoders_enabled"] == {"default": "test-hashing@64"}
    assert len(report["machine"]["load_avg_end"]) == 3
