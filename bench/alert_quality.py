"""`crosscheck bench alert_quality`: how good the alerts of an ``all_fact_checks`` watch are, on CLEF2020.

Every CLEF2020 verified claim is stored as a fact-check (``POST /fact-checks``, a ClaimReview each, as
`bench/factchecks.py` makes them); one watch ``{"all_fact_checks": true}`` is created with threshold 0 and every
relation, so each alert keeps its score and relation; then the tweets of a split are ingested as sources
(``POST /sources``, one tweet an article) and the alert rounds run until every claim is checked. An alert is
right when the qrels pair its tweet with the fact-check it names. Per threshold t (alerts scored at least t,
relation same or conflict: the watch defaults), per tweet:

- precision: of the tweets with an alert, the share whose best alert names a right fact-check;
- recall: of the tweets the qrels pair with a fact-check, the share with a right alert.

The threshold is picked on **train** (best F1) and reported on **dev** once, beside dev at the watch default.

    python bench/alert_quality.py [--splits train,dev] [--limit-corpus N] [--limit-tweets N]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from bench import metrics, run_script
from bench.factchecks import DATASET, REVIEW_URL, api, claimreview, load
from bench.retrieval import read_corpus, read_queries

RELATIONS = ("same", "conflict")  # the watch's default relations
THRESHOLDS = [round(0.05 * i, 2) for i in range(0, 20)]


def alerts_of_split(
    args: argparse.Namespace, split: str, rows: list[Any], encoder: Any = None, extras: Any = None
) -> dict[str, Any]:
    """Ingests a split's tweets into a store holding every fact-check; per tweet, its alerts (score, relation,
    fact-check doc id), and the qrels."""
    queries = read_queries(args.dataset / split / "tweets.queries.tsv")
    qrels = metrics.read_qrels(args.dataset / split / "tweet-vclaim-pairs.qrels")
    if args.limit_tweets:
        queries = dict(list(queries.items())[: args.limit_tweets])
    # The watch's callback is never called here (only the checker runs): a loopback address, allowed for it.
    with api(encoder=encoder, extra_encoders=extras, webhook_allow_networks=["127.0.0.0/8"]) as client:
        load(client, [claimreview(r) for r in rows], 500)
        watch = client.post(
            "/watches",
            json={
                "all_fact_checks": True,
                "min_score": 0.0,
                "relations": ["same", "conflict", "related"],
                "callback_url": "http://127.0.0.1:9/unused",
            },
        )
        if watch.status_code != 201:
            raise RuntimeError(f"POST /watches answered {watch.status_code}: {watch.text}")
        watch_id = watch.json()["id"]
        tweet_of_source: dict[int, str] = {}
        refused = 0
        started = time.perf_counter()
        for qid, text in queries.items():
            response = client.post("/sources", json={"text": text, "url": f"https://tweets.example/{qid}"})
            if response.status_code in (200, 201):
                tweet_of_source[int(response.json()["id"])] = qid
            else:
                refused += 1
        service = client.app.state.alerts  # type: ignore[attr-defined]
        while service.checker.check():
            pass
        check_seconds = time.perf_counter() - started
        found: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
        for alert in watch_alerts(client, watch_id):
            tweet = tweet_of_source.get(alert["source"]["id"]) if alert["source"] else None
            url = str((alert["fact_check"] or {}).get("url", ""))
            if tweet and url.startswith(REVIEW_URL):
                found[tweet].append((alert["score"], alert["relation"], url[len(REVIEW_URL) :]))
    return {
        "tweets": len(queries),
        "refused_as_sources": refused,
        "alerts": found,
        "qrels": {q: r for q, r in qrels.items() if q in queries},
        "ingest_and_check_s": round(check_seconds, 1),
    }


def watch_alerts(client: Any, watch_id: int) -> Iterator[dict[str, Any]]:
    """Every alert of a watch, page by page (``GET /watches/{id}/alerts``)."""
    offset = 0
    while True:
        page = client.get(f"/watches/{watch_id}/alerts", params={"offset": offset, "limit": 500}).json()
        yield from page["data"]
        offset += len(page["data"])
        if not page["data"] or offset >= page["count"]:
            return


def at_threshold(data: dict[str, Any], threshold: float) -> dict[str, Any]:
    alerted = right = 0
    for _qid, found in data["alerts"].items():
        kept = [a for a in found if a[0] >= threshold and a[1] in RELATIONS]
        if not kept:
            continue
        alerted += 1
        best = max(kept)
        right += best[2] in data["qrels"].get(_qid, set())
    wanted = sum(1 for q, r in data["qrels"].items() if r)
    recalled = sum(
        1
        for q, r in data["qrels"].items()
        if any(a[0] >= threshold and a[1] in RELATIONS and a[2] in r for a in data["alerts"].get(q, []))
    )
    precision = right / alerted if alerted else None
    recall = recalled / wanted if wanted else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
    return {
        "threshold": threshold,
        "tweets_alerted": alerted,
        "precision": round(precision, 4) if precision is not None else None,
        "recall": round(recall, 4) if recall is not None else None,
        "f1": round(f1, 4),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", type=Path, default=DATASET, help="the CLEF2020 task 2 folder")
    parser.add_argument("--limit-corpus", type=int, default=None)
    parser.add_argument("--limit-tweets", type=int, default=None)
    parser.add_argument("--default", type=float, default=None, help="the watch default to report dev at too")


def run(args: argparse.Namespace, *, encoder: Any = None, extras: Any = None) -> dict[str, Any]:
    from service.schemas import WatchCreate

    rows = read_corpus(args.dataset / "verified_claims.docs.tsv")
    if args.limit_corpus:
        rows = rows[: args.limit_corpus]
    train = alerts_of_split(args, "train", rows, encoder, extras)
    sweep = [at_threshold(train, t) for t in THRESHOLDS]
    chosen = max(sweep, key=lambda r: (r["f1"], r["threshold"]))
    dev = alerts_of_split(args, "dev", rows, encoder, extras)
    default = args.default if args.default is not None else WatchCreate.model_fields["min_score"].default
    return {
        "corpus": len(rows),
        "train": {k: v for k, v in train.items() if k not in ("alerts", "qrels")},
        "train_sweep": sweep,
        "chosen_on_train": chosen,
        "dev": {
            **{k: v for k, v in dev.items() if k not in ("alerts", "qrels")},
            "at_chosen_threshold": at_threshold(dev, chosen["threshold"]),
            "at_watch_default": at_threshold(dev, default),
        },
    }


def main(args: argparse.Namespace) -> int:
    print(json.dumps(run(args), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(run_script(__doc__, add_arguments, main))
