"""`crosscheck bench realnews`: real multilingual news reporting, looked up through the HTTP API.

The set (``bench/data/realnews/``, see its README) is public news pages about several events, in many
languages and outlets, and claims written in our own words, each labelled with the excerpts that state it,
those that contradict it, and its kinds. Only the manifest and the labels are in the repository; the excerpt
texts are third-party and live in a git-ignored cache (``data/realnews/cache/<id>.txt``).

Every excerpt of the chosen split is ingested with ``POST /sources`` (its URL, outlet and date, as a user would
send them; the language is left to the service), then every claim goes through ``POST /claims/match`` with the
service's default settings and ``k`` = 20. Measured, per split, per kind and per language pair:

- ``hit_at_5``: a source that states the claim among the top 5 (claims with at least one);
- ``crosslingual_hit_at_5``: the same, counting only stating sources in another language than the claim;
- ``wrong_event_top1``: the top match is from the claim's story but another event of it (its subevent label);
- ``auc_supported_vs_unsupported``: how well the top score separates stated from unstated claims;
- ``conflict_flagged``: of the contradicting sources that come back, the share marked ``conflict``;
  ``conflict_precision``: of the matches marked ``conflict``, the share from sources labelled as contradicting
  the claim or giving another figure for the same quantity at another time;
- ``same_precision_top5``: of the top-5 matches marked ``same``, the share from sources that state the claim;
  ``same_recall_top5``: of the top-5 matches from sources that state the claim, the share marked ``same``;
- ``unsupported_with_same_top5``: unstated claims that still get a ``same`` in their top 5;
- ``scores_outside_0_1``; a reliability curve of ``score`` (share of matches from stating sources by score bin,
  and the expected calibration error); p50 latency of a match.

    python bench/realnews.py [--split dev|test|all] [--errors] [--k 20]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench import read_jsonl

if TYPE_CHECKING:
    from embeddings import TextEncoder

REPO = Path(__file__).resolve().parents[1]
SET_DIR = REPO / "bench" / "data" / "realnews"
CACHE_DIR = REPO / "data" / "realnews" / "cache"
KINDS = ("paraphrase", "crosslingual", "number", "related_event", "unsupported", "conflict")
TOP = 5
BINS = 10


@dataclass(frozen=True, slots=True)
class Excerpt:
    id: str
    event: str
    subevent: str
    url: str
    outlet: str
    language: str
    date: str | None
    phrase: str
    copy_of: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimCase:
    id: str
    event: str
    subevent: str
    text: str
    language: str
    kinds: tuple[str, ...]
    supports: frozenset[str]
    contradicts: frozenset[str]
    updates: frozenset[str] = frozenset()  # earlier or later figures for the same quantity (not contradictions)


@dataclass(slots=True)
class RealNewsSet:
    excerpts: dict[str, Excerpt]
    claims: list[ClaimCase]
    splits: dict[str, list[str]]
    problems: list[str] = field(default_factory=list)

    def events(self, split: str) -> list[str]:
        if split == "all":
            return sorted({e.event for e in self.excerpts.values()})
        return list(self.splits[split])


def load_set(directory: Path = SET_DIR) -> RealNewsSet:
    """The manifest, the labels and the split of the set, with every inconsistency listed in `problems`."""
    excerpts: dict[str, Excerpt] = {}
    claims: list[ClaimCase] = []
    problems: list[str] = []
    urls: Counter[str] = Counter()
    for path in sorted((directory / "events").glob("*.excerpts.jsonl")):
        for row in read_jsonl(path):
            excerpt = Excerpt(
                id=row["id"],
                event=row["event"],
                subevent=row["subevent"],
                url=row["url"],
                outlet=row["outlet"],
                language=row["language"],
                date=row.get("date"),
                phrase=row["phrase"],
                copy_of=row.get("copy_of"),
            )
            if excerpt.id in excerpts:
                problems.append(f"excerpt id {excerpt.id} twice")
            excerpts[excerpt.id] = excerpt
            urls[excerpt.url] += 1
    problems += [f"url listed {n} times: {url}" for url, n in urls.items() if n > 1]
    seen_claims: set[str] = set()
    for path in sorted((directory / "events").glob("*.claims.jsonl")):
        for row in read_jsonl(path):
            case = ClaimCase(
                id=row["id"],
                event=row["event"],
                subevent=row["subevent"],
                text=row["text"],
                language=row["language"],
                kinds=tuple(row["kinds"]),
                supports=frozenset(row.get("supports", [])),
                contradicts=frozenset(row.get("contradicts", [])),
                updates=frozenset(row.get("updates", [])),
            )
            if case.id in seen_claims:
                problems.append(f"claim id {case.id} twice")
            seen_claims.add(case.id)
            problems += [f"{case.id}: unknown kind {k!r}" for k in case.kinds if k not in KINDS]
            problems += [
                f"{case.id}: {ref} is not an excerpt"
                for ref in case.supports | case.contradicts | case.updates
                if ref not in excerpts
            ]
            if ("unsupported" in case.kinds) != (not case.supports):
                problems.append(f"{case.id}: 'unsupported' must go with an empty supports list and only with it")
            claims.append(case)
    problems += [
        f"{e.id}: copy_of {e.copy_of} is not an excerpt"
        for e in excerpts.values()
        if e.copy_of and e.copy_of not in excerpts
    ]
    splits_path = directory / "splits.json"
    splits: dict[str, list[str]] = json.loads(splits_path.read_text()) if splits_path.exists() else {}
    split_events = [event for events in splits.values() for event in events]
    problems += [f"event {e} in two splits" for e, n in Counter(split_events).items() if n > 1]
    problems += [
        f"event {e} in no split" for e in sorted({x.event for x in excerpts.values()}) if e not in split_events
    ]
    return RealNewsSet(excerpts=excerpts, claims=claims, splits=splits, problems=problems)


def cached_text(excerpt_id: str, cache: Path = CACHE_DIR) -> str | None:
    path = cache / f"{excerpt_id}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None


# ------------------------------------------------------------------------------------------------ measures


@dataclass(frozen=True, slots=True)
class Returned:
    """One match as the bench reads it: which excerpts its source stands for, its score and relation."""

    excerpts: frozenset[str]
    score: float
    relation: str
    language: str


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Probability that a positive outscores a negative (ties count half); None without both."""
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return round(wins / (len(positives) * len(negatives)), 4)


def reliability(pairs: Iterable[tuple[float, bool]], bins: int = BINS) -> dict[str, Any]:
    """Share of relevant matches per score bin over [0, 1], and the expected calibration error."""
    table: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    total = 0
    for score, relevant in pairs:
        table[min(bins - 1, max(0, int(score * bins)))].append((score, relevant))
        total += 1
    rows = []
    ece = 0.0
    for b in range(bins):
        items = table.get(b, [])
        if not items:
            continue
        mean_score = statistics.fmean(s for s, _ in items)
        share = sum(r for _, r in items) / len(items)
        ece += len(items) / total * abs(mean_score - share)
        rows.append(
            {
                "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
                "matches": len(items),
                "mean_score": round(mean_score, 3),
                "relevant": round(share, 3),
            }
        )
    return {"bins": rows, "ece": round(ece, 4) if total else None, "matches": total}


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def evaluate(
    cases: Sequence[ClaimCase],
    results: Mapping[str, Sequence[Returned]],
    excerpts: Mapping[str, Excerpt],
    *,
    top: int = TOP,
) -> dict[str, Any]:
    """The measures of one group of claims (see the module docstring)."""
    hits = crosshits = cross_cases = 0
    supported = [c for c in cases if c.supports]
    wrong_event = wrong_event_cases = 0
    top_supported: list[float] = []
    top_unsupported: list[float] = []
    conflict_seen = conflict_flagged = flagged = flagged_right = 0
    same_top = same_right = stating_top = stating_same = 0
    unsupported_same = 0
    outside = total_matches = 0
    for case in cases:
        returned = list(results.get(case.id, []))
        head = returned[:top]
        total_matches += len(returned)
        outside += sum(not 0.0 <= m.score <= 1.0 for m in returned)
        if case.supports:
            hits += any(m.excerpts & case.supports for m in head)
            other_language = {e for e in case.supports if excerpts[e].language != case.language}
            if other_language:
                cross_cases += 1
                crosshits += any(m.excerpts & other_language for m in head)
            if returned:
                top_supported.append(returned[0].score)
            if returned:
                wrong_event_cases += 1
                first = [excerpts[e] for e in returned[0].excerpts]
                wrong_event += any(e.event == case.event and e.subevent != case.subevent for e in first) and not (
                    returned[0].excerpts & case.supports
                )
        else:
            top_unsupported.append(returned[0].score if returned else 0.0)
            unsupported_same += any(m.relation == "same" for m in head)
        for m in returned:
            if m.excerpts & case.contradicts and not m.excerpts & case.supports:
                conflict_seen += 1
                conflict_flagged += m.relation == "conflict"
            if m.relation == "conflict":
                flagged += 1
                flagged_right += bool(m.excerpts & (case.contradicts | case.updates))
        if case.supports:
            for m in head:
                states = bool(m.excerpts & case.supports)
                same_top += m.relation == "same"
                same_right += m.relation == "same" and states
                stating_top += states
                stating_same += states and m.relation == "same"
    return {
        "claims": len(cases),
        "supported": len(supported),
        "hit_at_5": _ratio(hits, len(supported)),
        "crosslingual_hit_at_5": _ratio(crosshits, cross_cases),
        "crosslingual_claims": cross_cases,
        "wrong_event_top1": _ratio(wrong_event, wrong_event_cases),
        "auc_supported_vs_unsupported": auc(top_supported, top_unsupported),
        "conflict_flagged": _ratio(conflict_flagged, conflict_seen),
        "conflicting_returned": conflict_seen,
        "conflict_precision": _ratio(flagged_right, flagged),
        "conflicts_flagged": flagged,
        "same_precision_top5": _ratio(same_right, same_top),
        "same_recall_top5": _ratio(stating_same, stating_top),
        "unsupported_with_same_top5": f"{unsupported_same} of {len(cases) - len(supported)}",
        "scores_outside_0_1": f"{outside} of {total_matches}",
    }


def relevance_pairs(cases: Sequence[ClaimCase], results: Mapping[str, Sequence[Returned]]) -> list[tuple[float, bool]]:
    """(score, whether the match's source states the claim) of every returned match, for the reliability curve."""
    return [(m.score, bool(m.excerpts & case.supports)) for case in cases for m in results.get(case.id, [])]


def by_language_pair(
    cases: Sequence[ClaimCase], results: Mapping[str, Sequence[Returned]], excerpts: Mapping[str, Excerpt]
) -> dict[str, Any]:
    """Hit@5 per (claim language -> evidence language): a hit is a stating source in that language in the top 5."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in cases:
        head = list(results.get(case.id, []))[:TOP]
        for language in sorted({excerpts[e].language for e in case.supports}):
            stating = {e for e in case.supports if excerpts[e].language == language}
            cell = counts[f"{case.language}->{language}"]
            cell[1] += 1
            cell[0] += any(m.excerpts & stating for m in head)
    return {pair: {"claims": n, "hit_at_5": _ratio(h, n)} for pair, (h, n) in sorted(counts.items())}


# --------------------------------------------------------------------------------------------------- run


def run(
    args: argparse.Namespace,
    *,
    encoder: TextEncoder | None = None,
    extra_encoders: dict[str, TextEncoder] | None = None,
) -> dict[str, Any]:
    """Ingest the split's excerpts and match its claims through the API; the report (encoders: tests' fakes)."""
    from fastapi.testclient import TestClient

    from service.config import Settings, get_settings
    from service.main import create_app

    data = load_set(args.set)
    if data.problems:
        raise ValueError("the set is inconsistent: " + "; ".join(data.problems[:20]))
    events = data.events(args.split)
    chosen = [e for e in data.excerpts.values() if e.event in events]
    texts = {e.id: cached_text(e.id, args.cache) for e in chosen}
    missing = sorted(i for i, t in texts.items() if t is None)
    if len(missing) == len(chosen):
        raise FileNotFoundError(
            f"no cached excerpt texts under {args.cache}: fill the cache as bench/data/realnews/README.md says"
        )
    cases = [c for c in data.claims if c.event in events]
    with tempfile.TemporaryDirectory(prefix="crosscheck-realnews-") as tmp:
        settings = Settings(data_dir=Path(tmp), sync_interval_seconds=0)
        app = create_app(encoder=encoder, extra_encoders=extra_encoders)
        app.dependency_overrides[get_settings] = lambda: settings
        source_excerpts: dict[int, set[str]] = defaultdict(set)
        source_language: dict[int, str] = {}
        refused: list[str] = []
        started = time.perf_counter()
        with TestClient(app, base_url="http://localhost") as client:
            for excerpt in chosen:
                text = texts[excerpt.id]
                if text is None:
                    continue
                body: dict[str, Any] = {"text": text, "url": excerpt.url, "outlet": excerpt.outlet}
                if excerpt.date:
                    body["published_at"] = excerpt.date
                response = client.post("/sources", json=body)
                if response.status_code == 422:  # no claim-like sentence in it (a caption, a list of links)
                    refused.append(excerpt.id)
                    continue
                if response.status_code not in (200, 201):
                    raise RuntimeError(f"{excerpt.id}: POST /sources answered {response.status_code}: {response.text}")
                source_id = int(response.json()["id"])
                source_excerpts[source_id].add(excerpt.id)
                source_language[source_id] = excerpt.language
            ingest_seconds = time.perf_counter() - started
            results: dict[str, list[Returned]] = {}
            raw: dict[str, Any] = {}
            latencies: list[float] = []
            for case in cases:
                t0 = time.perf_counter()
                response = client.post("/claims/match", json={"text": case.text, "k": args.k})
                latencies.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    raise RuntimeError(
                        f"{case.id}: POST /claims/match answered {response.status_code}: {response.text}"
                    )
                body = response.json()
                raw[case.id] = body
                results[case.id] = [
                    Returned(
                        excerpts=frozenset(source_excerpts[m["source"]["id"]]),
                        score=float(m["score"]),
                        relation=m["relation"],
                        language=source_language[m["source"]["id"]],
                    )
                    for m in body["matches"]
                ]
            reports = {
                window: report_figures(client, cases, data.excerpts, source_excerpts, window, args.report_k)
                for window in (args.report_windows or [])
            }
    report: dict[str, Any] = {
        "split": args.split,
        "events": events,
        "excerpts": len(chosen),
        "excerpts_missing_from_cache": len(missing),
        "sources_stored": len(source_excerpts),
        "excerpts_refused": refused,
        "k": args.k,
        "overall": evaluate(cases, results, data.excerpts),
        "by_kind": {
            kind: evaluate([c for c in cases if kind in c.kinds], results, data.excerpts)
            for kind in KINDS
            if any(kind in c.kinds for c in cases)
        },
        "by_event": {
            event: evaluate([c for c in cases if c.event == event], results, data.excerpts) for event in events
        },
        "by_language_pair": by_language_pair(cases, results, data.excerpts),
        "reliability": reliability(relevance_pairs(cases, results)),
        "ingest_seconds": round(ingest_seconds, 1),
        "match_p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
    }
    if reports:
        report["cross_reference_reports"] = reports
    if args.errors:
        report["errors"] = errors(cases, results, raw, data.excerpts)
    return report


def report_figures(
    client: Any,
    cases: Sequence[ClaimCase],
    excerpts: Mapping[str, Excerpt],
    source_excerpts: Mapping[int, set[str]],
    window: int,
    k: int,
) -> dict[str, Any]:
    """The cross-reference report of every stored source that states a labelled claim, with ``context_window``
    = `window`: how many of the other sources stating one of its claims it lists as corroborating (pair recall) or at
    all, and how many of its corroborating sources report another event (the subevent label) or state none of its
    labelled claims."""
    source_of = {e: s for s, ids in source_excerpts.items() for e in ids}
    together: dict[int, set[int]] = defaultdict(set)  # source -> sources stating one of its labelled claims
    for case in cases:
        stating = {source_of[e] for e in case.supports if e in source_of}
        for s in stating:
            together[s] |= stating - {s}
    wanted = found = found_anywhere = listed = other_event = unlabelled = 0
    started = time.perf_counter()
    for source_id in sorted(together):
        response = client.get(f"/sources/{source_id}/cross-references", params={"k": k, "context_window": window})
        if response.status_code != 200:
            raise RuntimeError(f"source {source_id}: cross-references answered {response.status_code}")
        body = response.json()
        copies = {c["id"] for c in body["copies"]}
        corroborating: set[int] = set()
        anywhere: set[int] = set()
        for entry in body["claims"]:
            for bucket in ("corroborating", "conflicting", "related"):
                for m in entry[bucket]:
                    ids = {m["source"]["id"], *(c["id"] for c in m["copies"])}
                    anywhere |= ids
                    if bucket == "corroborating":
                        corroborating |= ids
        gold = together[source_id] - copies
        wanted += len(gold)
        found += len(gold & corroborating)
        found_anywhere += len(gold & anywhere)
        mine = {excerpts[e].subevent for e in source_excerpts[source_id]}
        for other in corroborating:
            listed += 1
            theirs = {excerpts[e].subevent for e in source_excerpts.get(other, set())}
            other_event += bool(theirs) and not theirs & mine
            unlabelled += other not in together[source_id]
    return {
        "context_window": window,
        "sources_reported": len(together),
        "pairs_stating_one_claim": wanted,
        "pair_recall": _ratio(found, wanted),
        "pair_listed_with_any_relation": _ratio(found_anywhere, wanted),
        "corroborating_listed": listed,
        "corroborating_of_another_event": _ratio(other_event, listed),
        "corroborating_stating_no_labelled_claim_of_it": _ratio(unlabelled, listed),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _first_rank(returned: Sequence[Returned], wanted: Set[str]) -> int | None:
    return next((i + 1 for i, m in enumerate(returned) if m.excerpts & wanted), None)


def errors(
    cases: Sequence[ClaimCase],
    results: Mapping[str, Sequence[Returned]],
    raw: Mapping[str, Any],
    excerpts: Mapping[str, Excerpt],
) -> list[dict[str, Any]]:
    """Each claim whose top 5 misses its stating sources (or those in another language), whose `same` goes to a
    source that does not state it, or whose `conflict` goes to a source that neither contradicts it nor gives another
    figure for it."""
    out = []
    for case in cases:
        returned = list(results.get(case.id, []))
        head = returned[:TOP]
        missed = bool(case.supports) and not any(m.excerpts & case.supports for m in head)
        other_language = {e for e in case.supports if excerpts[e].language != case.language}
        rank = _first_rank(returned, case.supports)
        other_rank = _first_rank(returned, other_language)
        missed_other = bool(other_language) and (other_rank is None or other_rank > TOP)
        wrong_same = [m for m in head if m.relation == "same" and not m.excerpts & case.supports]
        unflagged = [
            (m, match)
            for m, match in zip(returned, raw[case.id]["matches"], strict=False)
            if m.excerpts & case.contradicts and not m.excerpts & case.supports and m.relation != "conflict"
        ]
        wrong_conflict = [
            (m, match)
            for m, match in zip(returned, raw[case.id]["matches"], strict=False)
            if m.relation == "conflict" and not m.excerpts & (case.contradicts | case.updates)
        ]
        if missed or missed_other or wrong_same or unflagged or wrong_conflict:
            out.append(
                {
                    "claim": case.id,
                    "text": case.text,
                    "kinds": case.kinds,
                    "missed": missed,
                    # 1-based rank among the k returned of the first stating source, and of the first in another
                    # language than the claim's (null: none of the k; absent: the claim has none)
                    "stating_rank": rank,
                    **({"other_language_stating_rank": other_rank} if other_language else {}),
                    "top": [
                        {
                            "excerpts": sorted(m.excerpts),
                            "score": m.score,
                            "relation": m.relation,
                            "states_it": bool(m.excerpts & case.supports),
                            "claim": match["claim"]["text"][:160],
                            "scores": match.get("scores"),
                        }
                        for m, match in zip(head, raw[case.id]["matches"], strict=False)
                    ],
                    "conflicts_not_flagged": [
                        {
                            "excerpts": sorted(m.excerpts),
                            "relation": m.relation,
                            "claim": match["claim"]["text"][:200],
                            "signals": [sig["explanation"] for sig in match["signals"]],
                        }
                        for m, match in unflagged
                    ],
                    "conflicts_wrongly_flagged": [
                        {
                            "excerpts": sorted(m.excerpts),
                            "states_it": bool(m.excerpts & case.supports),
                            "claim": match["claim"]["text"][:200],
                            "signals": [sig["explanation"] for sig in match["signals"]],
                        }
                        for m, match in wrong_conflict
                    ],
                }
            )
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--split",
        choices=["dev", "test", "test2", "all"],
        default="dev",
        help="which events (splits.json; test2: the second scored part, added when the rules had been fixed on test)",
    )
    parser.add_argument("-k", "--k", type=int, default=20, help="matches asked per claim")
    parser.add_argument("--set", type=Path, default=SET_DIR, help="the set's folder (manifest and labels)")
    parser.add_argument("--cache", type=Path, default=CACHE_DIR, help="the cached excerpt texts")
    parser.add_argument("--errors", action="store_true", help="also list each claim the service got wrong")
    parser.add_argument("--check", action="store_true", help="only check the set's consistency and cache")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON report here")
    parser.add_argument(
        "--report-windows",
        type=lambda v: [int(x) for x in v.split(",")],
        default=None,
        help="also measure the cross-reference report of each source stating a labelled claim, once per "
        "context_window listed (e.g. 0,2)",
    )
    parser.add_argument("--report-k", type=int, default=5, help="with --report-windows: the report's k")


def check(args: argparse.Namespace) -> dict[str, Any]:
    """The set's size and consistency, without running the service."""
    data = load_set(args.set)
    missing = [e for e in data.excerpts if cached_text(e, args.cache) is None]
    languages = Counter(e.language for e in data.excerpts.values())
    kinds = Counter(k for c in data.claims for k in c.kinds)
    return {
        "excerpts": len(data.excerpts),
        "claims": len(data.claims),
        "events": dict(Counter(e.event for e in data.excerpts.values())),
        "languages": dict(languages.most_common()),
        "outlets": len({e.outlet for e in data.excerpts.values()}),
        "kinds": dict(kinds),
        "splits": data.splits,
        "missing_from_cache": missing,
        "labels_off_the_cached_text": off_the_text(args.set, args.cache),
        "problems": data.problems,
    }


def off_the_text(set_dir: Path, cache: Path) -> list[str]:
    """Excerpts whose extraction labels do not fall on word boundaries of their cached text: a refill that added or
    dropped something before them (often a leading space or a "date ..." stamp the labelled copy did not have)."""
    off = []
    for labels in sorted(set_dir.glob("extraction*.jsonl")):
        for line in labels.read_text(encoding="utf-8").splitlines():
            raw = json.loads(line) if line.strip() else None
            text = cached_text(raw["id"], cache) if raw else None
            if raw is None or text is None:
                continue
            for claim in raw["claims"]:
                start, end = int(claim["start"]), int(claim["end"])
                span = text[start:end]
                inside = 0 <= start < end <= len(text) and not span[0].isspace() and not span[-1].isspace()
                if (
                    not inside
                    or (start > 0 and text[start - 1].isalnum())
                    or (end < len(text) and text[end].isalnum() and span[-1].isalnum())
                ):
                    off.append(raw["id"])
                    break
    return off


def main(args: argparse.Namespace) -> int:
    try:
        report = check(args) if args.check else run(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 1 if args.check and (report["problems"] or report["labels_off_the_cached_text"]) else 0


if __name__ == "__main__":
    from bench import run_script

    sys.exit(run_script(__doc__, add_arguments, main))
