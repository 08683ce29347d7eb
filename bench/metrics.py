"""Ranking metrics with trec_eval semantics, and the TREC run / qrels file formats.

A *run* maps each query id to its ranked document ids (best first); *qrels* map each query id to the set of
its relevant document ids. Every metric is averaged over the queries of the qrels: a query the run has no
answer for scores 0 (trec_eval's ``-c`` convention, stricter than its default of skipping such queries).

- ``map@k`` is trec_eval's ``map_cut_k``: the precision at each relevant document found in the first k ranks,
  summed and divided by the number of relevant documents of the query (not by min(k, R)).
- ``mrr`` is ``recip_rank``: 1 / rank of the first relevant document over the whole ranking (0 if none).
- ``recall@k`` is the share of the query's relevant documents found in the first k ranks.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

Run = Mapping[str, Sequence[str]]
Qrels = Mapping[str, set[str]]


def average_precision_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    """trec_eval ``map_cut_k`` for one query."""
    if not relevant:
        return 0.0
    hits = 0
    total = 0.0
    for rank, doc in enumerate(ranking[:k], start=1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def reciprocal_rank(ranking: Sequence[str], relevant: set[str]) -> float:
    for rank, doc in enumerate(ranking, start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def recall_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def evaluate(run: Run, qrels: Qrels) -> dict[str, float]:
    """MAP@1, MAP@5, MRR, Recall@10 and Recall@100 averaged over the queries of `qrels`."""
    queries = [q for q, rel in qrels.items() if rel]
    if not queries:
        raise ValueError("qrels hold no query with a relevant document")
    sums = dict.fromkeys(("map@1", "map@5", "mrr", "recall@10", "recall@100"), 0.0)
    for qid in queries:
        ranking, relevant = list(run.get(qid, ())), qrels[qid]
        sums["map@1"] += average_precision_at(ranking, relevant, 1)
        sums["map@5"] += average_precision_at(ranking, relevant, 5)
        sums["mrr"] += reciprocal_rank(ranking, relevant)
        sums["recall@10"] += recall_at(ranking, relevant, 10)
        sums["recall@100"] += recall_at(ranking, relevant, 100)
    return {name: round(total / len(queries), 4) for name, total in sums.items()}


def read_qrels(path: Path) -> dict[str, set[str]]:
    """TREC qrels: ``qid iteration docid relevance`` per line; relevance > 0 counts as relevant."""
    qrels: dict[str, set[str]] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise ValueError(f"{path}:{lineno}: expected 'qid iter docid rel', got {line!r}")
        qid, _, docid, rel = parts
        bucket = qrels.setdefault(qid, set())
        if int(rel) > 0:
            bucket.add(docid)
    return qrels


def read_tsv(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """Rows of a TAB-separated file with a header line that holds at least `columns` (CSV-style quoting)."""
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path} is empty")
        # The CLEF files leave the id column's header empty.
        names = [h.strip() or columns[0] for h in header]
        missing = [c for c in columns if c not in names]
        if missing:
            raise ValueError(f"{path}: missing columns {missing} (header: {header})")
        positions = [names.index(c) for c in columns]
        rows = []
        for lineno, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(names):
                raise ValueError(f"{path}:{lineno}: {len(row)} fields, header has {len(names)}")
            rows.append({c: row[p] for c, p in zip(columns, positions, strict=True)})
    return rows


def write_run(path: Path, run: Mapping[str, Sequence[tuple[str, float]]], *, tag: str) -> None:
    """TREC run file: ``qid Q0 docid rank score tag``; scores strictly decrease within a query.

    trec_eval re-sorts by score, so ties are broken here by nudging later scores down a hair: the file then
    ranks exactly as the service did.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for qid, ranked in run.items():
            previous: float | None = None
            for rank, (docid, score) in enumerate(ranked, start=1):
                value = round(score, 6)
                if previous is not None and value >= previous:
                    value = round(previous - 1e-6, 6)
                fh.write(f"{qid} Q0 {docid} {rank} {value:.6f} {tag}\n")
                previous = value


def rankings(run: Mapping[str, Iterable[tuple[str, float]]]) -> dict[str, list[str]]:
    return {qid: [doc for doc, _ in ranked] for qid, ranked in run.items()}
