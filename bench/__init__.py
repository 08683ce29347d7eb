"""Benchmarks and training scripts of crosscheck: read from a source checkout, never installed with the product.

Each benchmark module has ``add_arguments(parser)`` and ``main(args) -> int`` and prints one JSON object. Run
one as ``python bench/NAME.py``, ``python -m bench.NAME`` or ``crosscheck bench NAME`` (from a checkout).
Public data sets are read from ``../shared/datasets/`` by default (``DATASETS``), never copied here.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO.parent / "shared" / "datasets"


def read_jsonl(path: Path) -> list[Any]:
    """The values of a JSON-lines file (blank lines skipped); a line that is not JSON is a ValueError naming it."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc})") from exc
    return rows


# The benchmarks `crosscheck bench NAME` runs, with the help line of each.
BENCHMARKS: dict[str, str] = {
    "retrieval": "CLEF-format retrieval benchmark through the match path (MAP@5, MRR, recall, latency)",
    "crosslingual": "claims and their translations in six languages: Recall@1/@5 both ways, per language",
    "extraction": "claim extraction against the gold set: claim P/R/F1, speakers, context, check-worthiness, "
    "throughput",
    "perf": "ingest vs encoder throughput, match latency/throughput over HTTP, memory, cold start by size",
    "relations": "same / conflict / related on the claim-pair set: precision/recall per relation, signal, "
    "category; speed",
    "realnews": "real multilingual news (bench/data/realnews): the right article in the top 5, events, "
    "relations, score calibration, per kind and language pair",
    "factchecks": "CLEF2020 as a ClaimReview DataFeed through POST /fact-checks: MAP@5, import speed next to "
    "plain ingest, a malformed feed",
    "watches": "ingest throughput with 0 / 1,000 / 100,000 active watches, checker catch-up, alert latency",
    "alert_quality": "alerts of an all-fact-checks watch on CLEF2020: precision and recall per threshold, picked "
    "on train, reported on dev",
    "transcript_alerts": "CLEF-2022 2B debate sentences ingested as transcripts, looked up among the fact-checks by "
    "all-fact-checks watches, each claim alone and read with its neighbours (context_window)",
}


def run_script(
    doc: str | None,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    main: Callable[[argparse.Namespace], int],
    argv: list[str] | None = None,
    prog: str | None = None,
) -> int:
    """Parse ``argv`` with a benchmark's arguments and run it: the one entry of scripts and the CLI."""
    parser = argparse.ArgumentParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return main(parser.parse_args(argv))
