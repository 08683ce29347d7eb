"""`crosscheck bench relations`: the relations engine against the claim-pair set in tests/data/relations/.

Prints one JSON object with, for each split of the set (``dev``: the pairs the rules were tuned on,
``holdout``: pairs written at the same time and never used for tuning; see the set's README) and for
``all`` of them:

- ``relations``: precision / recall / F1 / support of ``same``, ``conflict`` and ``related``;
- ``signal_kinds``: per kind, among gold conflict pairs of that kind, how many were called a conflict
  *with a conflicting signal of that kind* (recall), and among pairs called a conflict with such a
  signal, how many are gold conflicts of that kind (precision);
- ``categories``: accuracy of the relation per category of pair, and the confusion of relations;
- ``no_conflict_on_paraphrases``: share of ``paraphrase`` pairs not called a conflict;
- ``speed``: p50 / p95 milliseconds of one ``compare_many`` of a query against 10 matches, with every
  per-text cache cleared first (``cold``: a new query against claims never seen) and with the
  matches already analysed (``warm``: the usual case for stored claims).

``similarity`` is the all-MiniLM-L6-v2 cosine of the two sides' ``context_text`` (or ``text``), as
the match API computes it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import datetime
import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from service.relations import ClaimFacts, Verdict, clear_caches, compare_many

PAIRS_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "relations"
RELATIONS = ("same", "conflict", "related")
KINDS = ("number", "date", "negation", "entity", "attribution")
SPEED_MATCHES = 10


@dataclass(frozen=True, slots=True)
class Pair:
    """One labelled pair of the set."""

    id: str
    split: str
    category: str
    relation: str
    kinds: tuple[str, ...]
    query: ClaimFacts
    match: ClaimFacts


def _facts(raw: dict[str, Any]) -> ClaimFacts:
    published = raw.get("published_at")
    return ClaimFacts(
        text=raw["text"],
        context_text=raw.get("context_text"),
        speaker=raw.get("speaker"),
        published_at=datetime.date.fromisoformat(published) if published else None,
        language=raw.get("language"),
    )


def load_pairs(directory: Path = PAIRS_DIR) -> list[Pair]:
    """Every pair of every ``*.jsonl`` file in ``directory``; the file's stem is the split.

    Raises:
        ValueError: On a pair with an unknown relation or kind, or a duplicate id.
    """
    pairs: list[Pair] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.jsonl")):
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            raw = json.loads(line)
            where = f"{path.name}:{line_no}"
            if raw["relation"] not in RELATIONS:
                raise ValueError(f"{where}: unknown relation {raw['relation']!r}")
            unknown = set(raw.get("kinds", [])) - set(KINDS)
            if unknown:
                raise ValueError(f"{where}: unknown kinds {sorted(unknown)}")
            if raw["id"] in seen:
                raise ValueError(f"{where}: duplicate id {raw['id']!r}")
            seen.add(raw["id"])
            pairs.append(
                Pair(
                    id=raw["id"],
                    split=path.stem,
                    category=raw["category"],
                    relation=raw["relation"],
                    kinds=tuple(raw.get("kinds", [])),
                    query=_facts(raw["query"]),
                    match=_facts(raw["match"]),
                )
            )
    return pairs


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _prf(tp: int, predicted: int, gold: int) -> dict[str, Any]:
    precision, recall = _ratio(tp, predicted), _ratio(tp, gold)
    f1 = None
    if precision is not None and recall is not None and precision + recall > 0:
        f1 = round(2 * precision * recall / (precision + recall), 4)
    return {"precision": precision, "recall": recall, "f1": f1, "support": gold, "predicted": predicted}


def conflict_kinds(verdict: Verdict) -> set[str]:
    """The kinds of the conflicting signals of a verdict called a conflict (none otherwise)."""
    if verdict.relation != "conflict":
        return set()
    return {s.kind for s in verdict.signals if s.conflicting}


def evaluate(pairs: Sequence[Pair], verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """Precision / recall per relation, per signal kind and per category of ``verdicts`` against ``pairs``."""
    relations = {}
    for rel in RELATIONS:
        tp = sum(1 for p, v in zip(pairs, verdicts, strict=True) if p.relation == rel and v.relation == rel)
        predicted = sum(1 for v in verdicts if v.relation == rel)
        gold = sum(1 for p in pairs if p.relation == rel)
        relations[rel] = _prf(tp, predicted, gold)
    kinds = {}
    for kind in KINDS:
        gold_k = [p.relation == "conflict" and kind in p.kinds for p in pairs]
        pred_k = [kind in conflict_kinds(v) for v in verdicts]
        tp = sum(1 for g, q in zip(gold_k, pred_k, strict=True) if g and q)
        kinds[kind] = _prf(tp, sum(pred_k), sum(gold_k))
        # Recall of the relation alone: called a conflict, whatever signal did it.
        called = sum(1 for g, v in zip(gold_k, verdicts, strict=True) if g and v.relation == "conflict")
        kinds[kind]["conflict_recall_any_signal"] = _ratio(called, sum(gold_k))
    categories: dict[str, dict[str, Any]] = {}
    by_category: dict[str, list[tuple[Pair, Verdict]]] = defaultdict(list)
    for p, v in zip(pairs, verdicts, strict=True):
        by_category[p.category].append((p, v))
    for category, items in sorted(by_category.items()):
        correct = sum(1 for p, v in items if p.relation == v.relation)
        categories[category] = {
            "n": len(items),
            "accuracy": _ratio(correct, len(items)),
            "predicted": dict(Counter(v.relation for _, v in items)),
        }
    paraphrases = [v for p, v in zip(pairs, verdicts, strict=True) if p.category == "paraphrase"]
    return {
        "pairs": len(pairs),
        "accuracy": _ratio(
            sum(1 for p, v in zip(pairs, verdicts, strict=True) if p.relation == v.relation), len(pairs)
        ),
        "relations": relations,
        "signal_kinds": kinds,
        "categories": categories,
        "no_conflict_on_paraphrases": _ratio(sum(1 for v in paraphrases if v.relation != "conflict"), len(paraphrases)),
    }


def errors(pairs: Sequence[Pair], verdicts: Sequence[Verdict], similarities: Sequence[float]) -> list[dict[str, Any]]:
    """Every pair whose relation, or conflicting signal kinds, differ from the gold ones."""
    out = []
    for p, v, sim in zip(pairs, verdicts, similarities, strict=True):
        wrong_kinds = p.relation == "conflict" and v.relation == "conflict" and not set(p.kinds) & conflict_kinds(v)
        if p.relation != v.relation or wrong_kinds:
            out.append(
                {
                    "id": p.id,
                    "category": p.category,
                    "gold": p.relation,
                    "gold_kinds": list(p.kinds),
                    "predicted": v.relation,
                    "similarity": round(sim, 3),
                    "signals": [f"{s.kind}{'' if s.conflicting else ' (info)'}: {s.explanation}" for s in v.signals],
                    "query": p.query.context_text or p.query.text,
                    "match": p.match.context_text or p.match.text,
                }
            )
    return out


def similarities(pairs: Sequence[Pair]) -> list[float]:
    """The cosine the match API hands the engine for each pair (context texts when present): MiniLM's for two
    English sides, the multilingual USE's otherwise (`service.relations.pair_similarity`)."""
    from embeddings import Encoder
    from embeddings.use import MultilingualEncoder
    from service.relations import pair_similarity
    from service.text.language import claim_language

    texts = [p.query.context_text or p.query.text for p in pairs] + [
        p.match.context_text or p.match.text for p in pairs
    ]
    n = len(pairs)
    # Unit rows: the inner product is the cosine.
    minilm = Encoder().encode_documents(texts)
    use = MultilingualEncoder().encode_documents(texts)
    out = []
    for i, p in enumerate(pairs):
        languages = [side.language or claim_language(side.text) for side in (p.query, p.match)]
        out.append(
            pair_similarity(languages[0], languages[1], float(minilm[i] @ minilm[n + i]), float(use[i] @ use[n + i]))
        )
    return out


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 3), "p95": round(p95, 3)}


def speed(pairs: Sequence[Pair], sims: Sequence[float], rounds: int = 3) -> dict[str, Any]:
    """Milliseconds of one ``compare_many`` of a query against ``SPEED_MATCHES`` matches of the set.

    ``cold``: every per-text cache emptied first (11 texts analysed). ``warm``: the matches were
    analysed before (stored claims are compared again and again) and the query is new (its text made
    unique, so the cache cannot answer for it) - what a match request pays.
    """
    matches = [p.match for p in pairs]
    cold: list[float] = []
    warm: list[float] = []
    for r in range(rounds):
        for i, p in enumerate(pairs):
            group = [matches[(i + j) % len(matches)] for j in range(SPEED_MATCHES)]
            group_sims = [sims[(i + j) % len(sims)] for j in range(SPEED_MATCHES)]
            clear_caches()
            start = time.perf_counter()
            compare_many(p.query, group, group_sims)
            cold.append((time.perf_counter() - start) * 1000)
            fresh = replace(p.query, text=p.query.text + " " * (r + 1))
            start = time.perf_counter()
            compare_many(fresh, group, group_sims)
            warm.append((time.perf_counter() - start) * 1000)
    return {"matches": SPEED_MATCHES, "calls": len(cold), "cold_ms": _percentiles(cold), "warm_ms": _percentiles(warm)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pairs", type=Path, default=PAIRS_DIR, help="folder of *.jsonl pair files (stem = split)")
    parser.add_argument("--errors", action="store_true", help="also list every wrong pair")
    parser.add_argument("--no-speed", action="store_true", help="skip the timing")
    parser.add_argument(
        "--splits",
        default="dev",
        help="comma-separated splits (file stems) to score, or 'all'; a holdout is scored once, when the rules "
        "are frozen, so it is never scored by default",
    )


def main(args: argparse.Namespace) -> int:
    try:
        pairs = load_pairs(args.pairs)
        if args.splits != "all":
            wanted = {s.strip() for s in args.splits.split(",") if s.strip()}
            unknown = wanted - {p.split for p in pairs}
            if unknown:
                raise ValueError(f"no split {sorted(unknown)} (files: {sorted({p.split for p in pairs})})")
            pairs = [p for p in pairs if p.split in wanted]
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        print(f"error: cannot read the pair set in {args.pairs}: {exc}", file=sys.stderr)
        return 2
    if not pairs:
        print(f"error: no *.jsonl pairs in {args.pairs}", file=sys.stderr)
        return 2
    sims = similarities(pairs)
    verdicts = [compare_many(p.query, [p.match], [s])[0] for p, s in zip(pairs, sims, strict=True)]
    report: dict[str, Any] = {}
    for split in sorted({p.split for p in pairs}):
        idx = [i for i, p in enumerate(pairs) if p.split == split]
        report[split] = evaluate([pairs[i] for i in idx], [verdicts[i] for i in idx])
    report["all"] = evaluate(pairs, verdicts)
    if not args.no_speed:
        report["speed"] = speed(pairs, sims)
    wrong = errors(pairs, verdicts, sims)
    report["errors"] = wrong if args.errors else len(wrong)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    from bench import run_script

    sys.exit(run_script(__doc__, add_arguments, main))
