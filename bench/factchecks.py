"""`crosscheck bench factchecks`: fact-checks loaded as ClaimReview through the HTTP API, measured.

1. **Same path, same answers.** The CLEF2020 verified-claims corpus (../shared/datasets/clef2020-task2) is turned
   into a schema.org DataFeed (one ClaimReview per row: the row's text as ``claimReviewed``, its title as
   ``headline``, made-up review URLs carrying the row id) and loaded with ``POST /fact-checks`` into a fresh
   store; every tweet of the chosen split then goes through ``POST /claims/match`` (hybrid, k = 100) and the run
   is scored with `bench.metrics` -- the figure to put next to ``crosscheck bench retrieval`` (same corpus,
   same queries, there stored directly).
2. **Import speed**: reviews per second of that import (both encoders, FTS, one transaction per chunk of
   ``--chunk`` reviews per request), next to plain ingest: ``POST /sources`` of the same texts one article a
   request, on ``--plain`` of them in another fresh store.
3. **A malformed feed**: ``--malformed`` items of which 10 are broken in 10 different ways; what is stored and
   the reason given for each refused item.

    python bench/factchecks.py [--split dev] [--limit-corpus N] [--chunk 500] [--plain 1000] [--malformed 1000]

The machine's load changes the speeds; the MAP figures do not depend on it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import copy
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bench import DATASETS, metrics, run_script
from bench.retrieval import CorpusRow, read_corpus, read_queries

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from embeddings import TextEncoder

DATASET = DATASETS / "clef2020-task2"
REVIEW_URL = "https://clef2020.example/vclaim/"
REVIEWER = "CLEF2020 fact-checks"  # the outlet `crosscheck bench retrieval` stores these rows under


def claimreview(row: CorpusRow, *, suffix: str = "") -> dict[str, Any]:
    """One corpus row as a ClaimReview (the rating is a placeholder: the corpus gives none)."""
    doc: dict[str, Any] = {
        "@type": "ClaimReview",
        "url": f"{REVIEW_URL}{row.doc_id}{suffix}",
        "claimReviewed": row.text,
        "author": {"@type": "Organization", "name": REVIEWER},
        "inLanguage": "en",
        "itemReviewed": {"@type": "Claim"},
        "reviewRating": {"@type": "Rating", "alternateName": "verified claim"},
    }
    if row.title:
        doc["headline"] = row.title
    return doc


def data_feed(reviews: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "dataFeedElement": [{"@type": "DataFeedItem", "item": [r]} for r in reviews],
    }


# Ten different defects, each one a reason the API must name.
DEFECTS: tuple[tuple[str, Any], ...] = (
    ("itemReviewed", None),
    ("reviewRating", None),
    ("reviewRating", {"@type": "Rating", "bestRating": 5}),
    ("datePublished", "the third of May"),
    ("claimReviewed", "   "),
    ("url", None),
    ("url", "ftp://clef2020.example/x"),
    ("reviewRating", {"ratingValue": "high", "alternateName": "False"}),
    ("itemReviewed", {"@type": "Claim", "datePublished": "2020-13-45"}),
    ("reviewRating", {"alternateName": "False", "bestRating": "five"}),
)


def malformed_feed(rows: Sequence[CorpusRow], n: int) -> tuple[dict[str, Any], list[int]]:
    """``n`` reviews (new URLs) with the ten defects spread over them; the broken items' positions."""
    reviews = [claimreview(row, suffix="/m") for row in rows[:n]]
    step = max(1, n // len(DEFECTS))
    broken = []
    for k, (key, value) in enumerate(DEFECTS):
        position = min(n - 1, k * step + step // 2)
        item = copy.deepcopy(reviews[position])
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
        reviews[position] = item
        broken.append(position)
    return data_feed(reviews), broken


@contextmanager
def api(
    *, encoder: TextEncoder | None = None, extra_encoders: dict[str, TextEncoder] | None = None, **overrides: Any
) -> Iterator[TestClient]:
    """The app on a fresh temporary store, as a client on http://localhost (the configured models by default;
    ``overrides``: more settings)."""
    from fastapi.testclient import TestClient

    from service.config import Settings, get_settings
    from service.main import create_app

    with tempfile.TemporaryDirectory(prefix="crosscheck-factchecks-") as tmp:
        settings = Settings(
            data_dir=Path(tmp), sync_interval_seconds=0, multilingual=extra_encoders is None, **overrides
        )
        app = create_app(encoder=encoder, extra_encoders=extra_encoders)
        app.dependency_overrides[get_settings] = lambda: settings
        with TestClient(app, base_url="http://localhost") as client:
            yield client


def load(client: TestClient, reviews: Sequence[dict[str, Any]], chunk: int) -> tuple[dict[str, int], float]:
    """POST /fact-checks in chunks; counts of stored/existing/rejected and the seconds it took."""
    counts = {"stored": 0, "existing": 0, "rejected": 0}
    started = time.perf_counter()
    for lo in range(0, len(reviews), chunk):
        response = client.post("/fact-checks", json=data_feed(reviews[lo : lo + chunk]))
        if response.status_code not in (200, 201):
            raise RuntimeError(f"POST /fact-checks answered {response.status_code}: {response.text[:300]}")
        body = response.json()
        for key in counts:
            counts[key] += len(body[key])
    return counts, time.perf_counter() - started


def run(
    args: argparse.Namespace,
    *,
    encoder: TextEncoder | None = None,
    extra_encoders: dict[str, TextEncoder] | None = None,
) -> dict[str, Any]:
    corpus = args.dataset / "verified_claims.docs.tsv"
    queries_path = args.dataset / args.split / "tweets.queries.tsv"
    qrels_path = args.dataset / args.split / "tweet-vclaim-pairs.qrels"
    for path in (corpus, queries_path, qrels_path):
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path} (the CLEF2020 data set, see ../shared/datasets/README.md)")
    rows = read_corpus(corpus)
    if args.limit_corpus:
        rows = rows[: args.limit_corpus]
    queries = read_queries(queries_path)
    qrels = metrics.read_qrels(qrels_path)
    if args.limit_queries:
        queries = dict(list(queries.items())[: args.limit_queries])
        qrels = {q: rel for q, rel in qrels.items() if q in queries}
    report: dict[str, Any] = {"split": args.split, "corpus": len(rows), "queries": len(queries)}
    if encoder is None and args.encoder_backend:
        from embeddings import load_encoder

        encoder = load_encoder(None, backend=args.encoder_backend)
        report["encoder_backend"] = args.encoder_backend
    with api(encoder=encoder, extra_encoders=extra_encoders) as client:
        counts, seconds = load(client, [claimreview(r) for r in rows], args.chunk)
        report["import"] = {**counts, "seconds": round(seconds, 1), "reviews_per_s": round(len(rows) / seconds, 1)}
        run_: dict[str, list[tuple[str, float]]] = {}
        for qid, text in queries.items():
            body: dict[str, Any] = {"text": text, "k": args.k}
            if args.kinds_filter:
                body["kinds"] = ["fact_check"]
            response = client.post("/claims/match", json=body)
            if response.status_code != 200:
                raise RuntimeError(f"POST /claims/match answered {response.status_code}: {response.text[:300]}")
            ranked = []
            for m in response.json()["matches"]:
                url = (m["fact_check"] or {}).get("url", "")
                if url.startswith(REVIEW_URL):
                    ranked.append((url[len(REVIEW_URL) :], float(m["score"])))
            run_[qid] = ranked
        report["retrieval"] = metrics.evaluate(metrics.rankings(run_), qrels)
        if args.malformed:
            feed, broken = malformed_feed(rows, min(args.malformed, len(rows)))
            response = client.post("/fact-checks", json=feed)
            body = response.json()
            report["malformed_feed"] = {
                "items": min(args.malformed, len(rows)),
                "status": response.status_code,
                "stored": len(body.get("stored", [])),
                "rejected": len(body.get("rejected", [])),
                "rejected_at_the_broken_items": sorted(r["index"] for r in body.get("rejected", [])) == broken,
                "reasons": [r["detail"] for r in body.get("rejected", [])],
            }
    if args.plain:
        with api(encoder=encoder, extra_encoders=extra_encoders) as client:
            sample = rows[: args.plain]
            started = time.perf_counter()
            stored = 0
            for row in sample:
                response = client.post("/sources", json={"text": row.text, "title": row.title, "language": "en"})
                stored += response.status_code in (200, 201)
            seconds = time.perf_counter() - started
            report["plain_ingest"] = {
                "articles": len(sample),
                "stored": stored,
                "seconds": round(seconds, 1),
                "articles_per_s": round(len(sample) / seconds, 1),
                "how": "POST /sources, one article (one claim) a request",
            }
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", type=Path, default=DATASET, help="the CLEF2020 task 2 folder")
    parser.add_argument("--split", choices=["train", "dev"], default="dev")
    parser.add_argument("-k", "--k", type=int, default=100, help="matches asked per query")
    parser.add_argument("--chunk", type=int, default=500, help="reviews per POST /fact-checks")
    parser.add_argument(
        "--encoder-backend",
        choices=["torch", "onnx"],
        default=None,
        help="MiniLM backend of the API for reviews and queries (default: CROSSCHECK_ENCODER_BACKEND); torch "
        "reproduces `bench retrieval --query-backend torch`, whose corpus vectors are torch ones",
    )
    parser.add_argument(
        "--kinds-filter", action="store_true", help='match with kinds ["fact_check"] (the store holds nothing else)'
    )
    parser.add_argument("--limit-corpus", type=int, default=None, help="only the first N corpus rows")
    parser.add_argument("--limit-queries", type=int, default=None, help="only the first N queries")
    parser.add_argument("--plain", type=int, default=1000, help="articles for the plain-ingest speed (0: skip)")
    parser.add_argument("--malformed", type=int, default=1000, help="items of the malformed feed (0: skip)")


def main(args: argparse.Namespace) -> int:
    print(json.dumps(run(args), indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(run_script(__doc__, add_arguments, main))
