"""`crosscheck bench transcript_alerts`: debate sentences ingested as transcripts, looked up among fact-checks by
``all_fact_checks`` watches, each claim alone and read with the claims around it (the watch's ``context_window``).

The CLEF-2022 2B data (`../shared/datasets/clef2022-2b/`): its 19,250 PolitiFact claims are stored as fact-checks
(``POST /fact-checks``, a ClaimReview each); its debate sentences come without their transcripts, but their ids
name the debate and the line. Each run of sentences of one debate whose lines are at most ``--gap`` apart becomes
one source (``POST /sources``, a sentence a paragraph, in line order): the closest this data comes to a
transcript. Two watches run side by side, ``context_window`` 0 and ``--window``, threshold 0 and every relation,
so every claim's best fact-check is alerted by both; ``--cohesion W`` adds a third, ``--window`` with cohesion W
(each source's claims re-scored together: only the sentences of one run support each other here). A sentence's
alert is the best-scored alert of the claims extraction made of it (a question or a fragment gives none).

Per sentence with gold fact-checks: ``right_at_1`` (its best alert names a right fact-check: the product's
"already checked" answer; comparable with MAP@1 of `crosscheck bench retrieval`), and precision / recall at the
watch defaults (score at least the default ``min_score``, relation same or conflict), as in `bench/alert_quality.py`.

    python bench/transcript_alerts.py [--split dev] [--window 3] [--gap 3] [--cohesion 0.1] [--limit-corpus N]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from bench import DATASETS, metrics, run_script
from bench.alert_quality import at_threshold, watch_alerts
from bench.factchecks import REVIEW_URL, api, claimreview, load
from bench.retrieval import _LINE_ID, documents, read_corpus, read_queries

DATASET = DATASETS / "clef2022-2b"
RELATIONS = ["same", "conflict", "related"]


def transcripts(queries: Mapping[str, str], gap: int) -> list[list[str]]:
    """Runs of sentence ids of one document whose lines are at most `gap` apart, each in line order; an id of
    another shape is a run of its own."""
    runs = [[qid] for qid in queries if _LINE_ID.match(qid) is None]
    for members in documents(queries).values():
        current = [members[0][1]]
        for (before, _), (line, qid) in itertools.pairwise(members):
            if line - before <= gap:
                current.append(qid)
            else:
                runs.append(current)
                current = [qid]
        runs.append(current)
    return runs


def _sentence_at(spans: list[tuple[int, int, str]], start: int) -> str | None:
    return next((qid for lo, hi, qid in spans if lo <= start < hi), None)


def alerts_of_split(args: argparse.Namespace, split: str, rows: list[Any], encoder: Any, extras: Any) -> dict[str, Any]:
    queries = read_queries(args.dataset / split / "queries.tsv")
    qrels = metrics.read_qrels(args.dataset / split / "qrels.tsv")
    if args.limit_queries:
        queries = dict(list(queries.items())[: args.limit_queries])
    runs = transcripts(queries, args.gap)
    with api(encoder=encoder, extra_encoders=extras, webhook_allow_networks=["127.0.0.0/8"]) as client:
        load(client, [claimreview(r) for r in rows], 500)
        watches: dict[int, str] = {}
        readings = [(0, 0.0), (args.window, 0.0)] + ([(args.window, args.cohesion)] if args.cohesion else [])
        for window, cohesion in readings:
            body = {
                "all_fact_checks": True,
                "min_score": 0.0,
                "relations": RELATIONS,
                "context_window": window,
                "cohesion": cohesion,
                "callback_url": "http://127.0.0.1:9/unused",
            }
            response = client.post("/watches", json=body)
            if response.status_code != 201:
                raise RuntimeError(f"POST /watches answered {response.status_code}: {response.text}")
            watches[response.json()["id"]] = f"window_{window}" + (f"_cohesion_{cohesion:g}" if cohesion else "")
        spans_of: dict[int, list[tuple[int, int, str]]] = {}
        started = time.perf_counter()
        for run in runs:
            text, spans = "", []
            for qid in run:
                sentence = " ".join(queries[qid].split())
                if text:
                    text += "\n\n"
                spans.append((len(text), len(text) + len(sentence), qid))
                text += sentence
            response = client.post("/sources", json={"text": text, "url": f"https://debates.example/{run[0]}"})
            if response.status_code in (200, 201):
                spans_of[int(response.json()["id"])] = spans
        service = client.app.state.alerts  # type: ignore[attr-defined]
        while service.checker.check():
            pass
        seconds = time.perf_counter() - started
        found: dict[str, dict[str, list[tuple[float, str, str]]]] = {w: defaultdict(list) for w in watches.values()}
        claimed: set[str] = set()
        for watch_id, label in watches.items():
            for alert in watch_alerts(client, watch_id):
                spans = spans_of.get(alert["source"]["id"]) if alert["source"] else None
                said = _sentence_at(spans, alert["claim"]["start"]) if spans else None
                url = str((alert["fact_check"] or {}).get("url", ""))
                if said and url.startswith(REVIEW_URL):
                    claimed.add(said)
                    found[label][said].append((alert["score"], alert["relation"], url[len(REVIEW_URL) :]))
    gold = {q: r for q, r in qrels.items() if q in queries and r}
    out: dict[str, Any] = {
        "sentences": len(gold),
        "sources": len(spans_of),
        "sources_with_several_sentences": sum(len(s) > 1 for s in spans_of.values()),
        "sentences_alerted": len(claimed & set(gold)),
        "ingest_and_check_s": round(seconds, 1),
    }
    default = args.default
    for label, alerts in found.items():
        right = sum(1 for q, r in gold.items() if alerts.get(q) and max(alerts[q])[2] in r)
        data = {"alerts": alerts, "qrels": gold}
        out[label] = {
            "right_at_1": round(right / len(gold), 4) if gold else None,
            "at_watch_default": at_threshold(data, default),
        }
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", type=Path, default=DATASET, help="the CLEF-2022 2B folder")
    parser.add_argument("--split", choices=["train", "dev"], default="dev")
    parser.add_argument("--window", type=int, default=3, help="the second watch's context_window")
    parser.add_argument("--gap", type=int, default=3, help="lines apart that still make one transcript")
    parser.add_argument(
        "--cohesion", type=float, default=0.0, help="a third watch: --window and this cohesion (0..1; 0: none)"
    )
    parser.add_argument("--limit-corpus", type=int, default=None)
    parser.add_argument("--limit-queries", type=int, default=None)
    parser.add_argument("--default", type=float, default=None, help="the threshold (default: the watch default)")


def run(args: argparse.Namespace, *, encoder: Any = None, extras: Any = None) -> dict[str, Any]:
    from service.schemas import WatchCreate

    if args.default is None:
        args.default = WatchCreate.model_fields["min_score"].default
    rows = read_corpus(args.dataset / "corpus.tsv")
    if args.limit_corpus:
        rows = rows[: args.limit_corpus]
    return {
        "split": args.split,
        "corpus": len(rows),
        "window": args.window,
        "gap": args.gap,
        **alerts_of_split(args, args.split, rows, encoder, extras),
    }


def main(args: argparse.Namespace) -> int:
    print(json.dumps(run(args), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(run_script(__doc__, add_arguments, main))
