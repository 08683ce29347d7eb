"""Trains a cross-encoder reranker of the hybrid pipeline's top candidates on CLEF-2022 CheckThat! Task 2B.

    python bench/train_crossencoder.py --cv --dev [--layers 1] [--epochs 2] [--folds 3] [--out W.npz --save R.pkl]
    python bench/train_crossencoder.py --stack R.pkl --dev      # a logistic over the reranker's features + logit
    python bench/train_crossencoder.py --latency W.npz --depth 20

The model is the packaged all-MiniLM-L6-v2 read as a cross-encoder: ``[CLS] sentence [SEP] claim — title [SEP]``
(token types 0 / 1), its top ``--layers`` transformer layers fine-tuned, then mean pooling and a linear head
(`embeddings.finetuned.TopLayers`, the check-worthiness classifier's recipe); the frozen bottom layers run once
per pair and are reused every epoch. Each train sentence's candidates are the product's own: the top
``--train-depth`` of `Matcher.training_pool` (dense + BM25 + USE, ordered by the logistic reranker), with its
relevant claims added when the pipeline missed them. The loss is listwise: softmax cross-entropy over one
sentence's relevant candidates and ``--negatives`` of its other candidates drawn anew each epoch.

At query time the top ``depth`` candidates of the logistic reranker are re-ordered by
``cross-encoder logit + weight * logit(reranker probability)``.

``--cv``: grouped k-fold cross-validation on the train sentences (a fold holds whole debates: the sentence id
names its debate), reporting MAP@5 of the held-out sentences for every (epochs, depth, weight); the best is
the configuration. ``--dev``: fits it on all train sentences and scores the dev sentences once. Prints one JSON
object. Only train (and with ``--dev`` the dev) splits are read; corpus texts are never written to the repository
(the candidate pools are cached under data/bench/, which git ignores).

Measured (December 2026, README "Claims inside speeches"): train CV 0.562 -> 0.61, dev 0.443 -> 0.456-0.469:
below the 0.50 set for shipping it, so the service does not use it. With ``--context-window 3`` (the pipeline
reading each sentence's neighbours): train CV 0.603 -> 0.634, dev 0.522 -> 0.518.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import copy
import json
import math
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import metrics
from bench.retrieval import CACHE_ROOT, corpus_key, doc_id_of, ensure_store, neighbour_contexts, read_queries

REPO_ROOT = Path(__file__).resolve().parents[1]
DATASET = REPO_ROOT.parent / "shared" / "datasets" / "clef2022-2b"
SEED = 20222
FOLDS = 3
MAX_LENGTH = 128
LR_LAYERS = 5e-5
LR_HEAD = 1e-3
WEIGHT_DECAY = 0.01
QUERIES_PER_STEP = 2
DEPTH_GRID = (10, 20, 30, 50)
BLEND_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


@dataclass
class QueryPool:
    """One sentence's candidates in the pipeline's order, with the logistic reranker's probability."""

    qid: str
    text: str  # the cleaned query text the matcher ranked with
    docs: list[str]
    texts: list[str]
    titles: list[str | None]
    prob: np.ndarray
    features: np.ndarray  # the reranker's feature columns (`FEATURES` order) of each candidate


def debate(qid: str) -> str:
    """The debate a sentence id names (``20161019_3pres_0123`` -> ``20161019_3pres``)."""
    head, _, tail = qid.rpartition("_")
    return head if tail.isdigit() else qid


def pair_text(text: str, title: str | None) -> str:
    """The candidate side of a pair: the claim, then its fact-check's title."""
    return f"{text} \u2014 {title}" if title else text


def collect_pools(
    dataset: Path, split: str, *, keep: int, cache_root: Path = CACHE_ROOT, context_window: int = 0
) -> list[QueryPool]:
    """The top `keep` candidates of every query of a split, as `crosscheck bench retrieval` ranks them (with
    `context_window`: each sentence read with the split's sentences of its debate within that many lines, as
    ``--context-window`` does there)."""
    from sqlmodel import col, select

    from embeddings import Encoder, load_encoder
    from service.config import Settings
    from service.db import open_session
    from service.models import Claim, Source
    from service.multilingual import configured_encoders
    from service.runtime import Runtime
    from service.schemas import MatchQuery

    corpus = dataset / "corpus.tsv"
    window = f"-w{context_window}" if context_window else ""
    cache = cache_root / f"crossencoder-pools-v2-{corpus_key(corpus)}-{split}-{keep}{window}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    encoder = Encoder()
    extras = configured_encoders(Settings())
    bench_store = ensure_store(corpus=corpus, encoder=encoder, cache_root=cache_root, extra_encoders=extras)
    query_encoder = load_encoder(None, backend=Settings().encoder_backend)
    runtime = Runtime.open(Settings(data_dir=bench_store.data_dir), encoder=query_encoder, extra_encoders=extras)
    pools = []
    try:
        matcher = runtime.matcher
        queries = read_queries(dataset / split / "queries.tsv")
        contexts = neighbour_contexts(queries, context_window) if context_window else {}
        for qid, raw in queries.items():
            with open_session(runtime.engine) as session:
                query = MatchQuery(text=raw, k=keep, context=contexts.get(qid))
                pool, scores, _ = matcher.training_pool(session=session, query=query)
                rows = np.argsort(-scores, kind="stable")[:keep]
                columns = pool.features(matcher.clean(raw))
                names = matcher.reranker.model_for(columns).features if matcher.reranker else ()
                ids = [int(pool.ids[r]) for r in rows]
                urls = dict(
                    session.exec(
                        select(Claim.id, Source.url)
                        .join(Source, col(Source.id) == Claim.source_id)
                        .where(col(Claim.id).in_(ids))
                    ).all()
                )
            pools.append(
                QueryPool(
                    qid=qid,
                    text=matcher.clean(raw),
                    docs=[doc_id_of(urls[i]) or "" for i in ids],
                    texts=[pool.texts[r].text for r in rows],
                    titles=[pool.texts[r].title for r in rows],
                    prob=np.asarray(scores[rows], dtype=np.float64),
                    features=np.column_stack([np.asarray(columns[n], dtype=np.float64)[rows] for n in names]),
                )
            )
    finally:
        runtime.engine.dispose()
    cache.write_bytes(pickle.dumps(pools))
    return pools


def read_corpus_texts(dataset: Path) -> dict[str, tuple[str, str | None]]:
    from bench.retrieval import read_corpus

    return {r.doc_id: (r.text, r.title) for r in read_corpus(dataset / "corpus.tsv")}


class CrossEncoderTrainer:
    """The frozen bottom of MiniLM run once over every pair, and the fine-tuned top trained on its outputs."""

    def __init__(self, layers: int, max_length: int = MAX_LENGTH) -> None:
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModel

        from embeddings.encoder import default_model_path
        from embeddings.finetuned import TopLayers, top_layer_indices
        from embeddings.onnx import read_layout

        torch.set_num_threads(1)
        layout = read_layout(default_model_path())
        self.tokenizer = Tokenizer.from_file(str(layout.transformer / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.no_padding()
        self.base = AutoModel.from_pretrained(
            str(layout.transformer), local_files_only=True, attn_implementation="eager"
        )
        self.base.eval()
        self.indices = top_layer_indices(self.base, layers)
        self.initial = TopLayers(
            copy.deepcopy(self.base.encoder.layer[self.indices.start :]),
            self.indices.start,
            int(self.base.config.hidden_size),
        )
        self.bottom_model = copy.deepcopy(self.base)
        del self.bottom_model.encoder.layer[self.indices.start :]
        self.cache: dict[tuple[str, str], Any] = {}

    def encode_pairs(self, pairs: list[tuple[str, str]]) -> None:
        """Runs the frozen bottom over the pairs not yet cached (float16 token vectors)."""
        import torch

        todo = [p for p in dict.fromkeys(pairs) if p not in self.cache]
        encoded = {p: self.tokenizer.encode(p[0], p[1]) for p in todo}
        order = sorted(todo, key=lambda p: len(encoded[p].ids))
        with torch.no_grad():
            for lo in range(0, len(order), 64):
                rows = order[lo : lo + 64]
                width = max(len(encoded[p].ids) for p in rows)
                ids = torch.zeros((len(rows), width), dtype=torch.long)
                types = torch.zeros_like(ids)
                mask = torch.zeros_like(ids)
                for r, p in enumerate(rows):
                    e = encoded[p]
                    ids[r, : len(e.ids)] = torch.tensor(e.ids)
                    types[r, : len(e.ids)] = torch.tensor(e.type_ids)
                    mask[r, : len(e.ids)] = 1
                hidden = self.bottom_model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
                for r, p in enumerate(rows):
                    self.cache[p] = hidden[r, : len(encoded[p].ids)].to(torch.float16).clone()

    def batch(self, pairs: list[tuple[str, str]]) -> tuple[Any, Any]:
        import torch

        width = max(len(self.cache[p]) for p in pairs)
        hidden = torch.zeros((len(pairs), width, self.cache[pairs[0]].shape[1]))
        mask = torch.zeros((len(pairs), width), dtype=torch.long)
        for r, p in enumerate(pairs):
            n = len(self.cache[p])
            hidden[r, :n] = self.cache[p].float()
            mask[r, :n] = 1
        return hidden, mask

    def train(
        self,
        groups: list[tuple[list[tuple[str, str]], np.ndarray]],
        *,
        epochs: int,
        negatives: int,
        seed: int = SEED,
        stop_after: int | None = None,
        after_epoch: Callable[[int, Any], None] | None = None,
    ) -> Any:
        """A fresh copy of the top, fine-tuned on `groups` (each: one sentence's pairs and their 0/1 labels).

        Each epoch, each sentence contributes its relevant pairs and `negatives` of its other candidates drawn at
        random; `after_epoch(epoch, top)` is called after every epoch (scoring held-out sentences per epoch).
        """
        import torch

        torch.manual_seed(seed)
        top = copy.deepcopy(self.initial)
        optimizer = torch.optim.AdamW(
            [
                {"params": top.layers.parameters(), "lr": LR_LAYERS},
                {"params": top.head.parameters(), "lr": LR_HEAD},
            ],
            weight_decay=WEIGHT_DECAY,
        )
        usable = [g for g in groups if g[1].any() and not g[1].all()]
        steps = epochs * math.ceil(len(usable) / QUERIES_PER_STEP)
        warmup = max(1, steps // 10)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))
        )
        rng = np.random.default_rng(seed)
        for epoch in range(1, epochs + 1):
            top.train()
            order = rng.permutation(len(usable))
            for lo in range(0, len(order), QUERIES_PER_STEP):
                loss = torch.zeros(())
                for g in order[lo : lo + QUERIES_PER_STEP]:
                    pairs, labels = usable[int(g)]
                    negative = np.flatnonzero(~labels)
                    rows = np.concatenate(
                        [np.flatnonzero(labels), rng.choice(negative, min(negatives, len(negative)), replace=False)]
                    )
                    logits = top(*self.batch([pairs[int(r)] for r in rows]))
                    positive = torch.tensor(labels[rows], dtype=torch.bool)
                    # Listwise: -log of the softmax mass on the relevant candidates.
                    loss = loss + torch.logsumexp(logits, 0) - torch.logsumexp(logits[positive], 0)
                optimizer.zero_grad()
                (loss / QUERIES_PER_STEP).backward()
                optimizer.step()
                schedule.step()
            top.eval()
            if after_epoch is not None:
                after_epoch(epoch, top)
            if epoch == stop_after:
                break  # the learning-rate schedule stays the one of `epochs`, as in cross-validation
        return top

    def score(self, top: Any, pairs: list[tuple[str, str]]) -> np.ndarray:
        import torch

        out = np.zeros(len(pairs))
        order = np.argsort([len(self.cache[p]) for p in pairs], kind="stable")
        with torch.no_grad():
            for lo in range(0, len(order), 64):
                rows = order[lo : lo + 64]
                out[rows] = top(*self.batch([pairs[int(r)] for r in rows])).numpy()
        return out


def logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def reranked_run(
    pools: list[QueryPool], ce: dict[str, np.ndarray], depth: int, weight: float | None
) -> dict[str, list[str]]:
    """Each pool's top `depth` re-ordered by ``ce + weight * logit(prob)`` (None: the pipeline's order), rest after."""
    run = {}
    for pool in pools:
        if weight is None or pool.qid not in ce:
            run[pool.qid] = list(pool.docs)
            continue
        n = min(depth, len(pool.docs))
        key = ce[pool.qid][:n] + weight * logit(pool.prob[:n])
        order = np.argsort(-key, kind="stable").tolist()
        run[pool.qid] = [pool.docs[i] for i in order] + pool.docs[n:]
    return run


def training_groups(
    pools: list[QueryPool], qrels: dict[str, set[str]], corpus: dict[str, tuple[str, str | None]], train_depth: int
) -> list[tuple[list[tuple[str, str]], np.ndarray]]:
    groups = []
    for pool in pools:
        rel = qrels.get(pool.qid, set())
        docs = pool.docs[:train_depth]
        docs = docs + sorted(d for d in rel if d not in docs and d in corpus)
        pairs = [(pool.text, pair_text(*corpus[d])) for d in docs]
        groups.append((pairs, np.asarray([d in rel for d in docs])))
    return groups


def eval_pairs(pool: QueryPool, depth: int) -> list[tuple[str, str]]:
    return [(pool.text, pair_text(t, title)) for t, title in zip(pool.texts[:depth], pool.titles[:depth], strict=True)]


STACK_C = (0.03, 0.1, 0.3, 1.0)


def stack_matrix(pool: QueryPool, ce: np.ndarray | None, depth: int) -> np.ndarray:
    """One row per top candidate: the reranker's features, its logit, and (if given) the cross-encoder's logit."""
    n = min(depth, len(pool.docs))
    parts = [pool.features[:n], logit(pool.prob[:n])[:, None]]
    if ce is not None:
        parts.append(np.asarray(ce[:n])[:, None])
    return np.hstack(parts)


def fit_stack(
    pools: list[QueryPool], ce: dict[str, np.ndarray] | None, qrels: dict[str, set[str]], depth: int, c: float
) -> Any:
    """A standardised logistic regression over `stack_matrix` rows of these sentences (relevant = 1)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.vstack([stack_matrix(p, None if ce is None else ce[p.qid], depth) for p in pools])
    y = np.concatenate([[d in qrels[p.qid] for d in p.docs[: min(depth, len(p.docs))]] for p in pools])
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000)).fit(x, y)


def stacked_run(
    pools: list[QueryPool], ce: dict[str, np.ndarray] | None, model: Any, depth: int
) -> dict[str, list[str]]:
    run = {}
    for pool in pools:
        n = min(depth, len(pool.docs))
        key = model.decision_function(stack_matrix(pool, None if ce is None else ce[pool.qid], depth))
        run[pool.qid] = [pool.docs[i] for i in np.argsort(-key, kind="stable")] + pool.docs[n:]
    return run


def stack_cv(
    pools: list[QueryPool], oof: dict[str, np.ndarray], qrels: dict[str, set[str]], depths: list[int], folds: int
) -> dict[str, float]:
    """Grouped CV (by debate) of the stacked logistic over the held-out cross-encoder logits, with and without them."""
    from sklearn.model_selection import GroupKFold

    split = list(GroupKFold(n_splits=folds).split(pools, groups=[debate(p.qid) for p in pools]))
    table = {}
    for with_ce in (False, True):
        for depth in depths:
            for c in STACK_C:
                run: dict[str, list[str]] = {}
                for train_idx, test_idx in split:
                    ce = oof if with_ce else None
                    model = fit_stack([pools[i] for i in train_idx], ce, qrels, depth, c)
                    run.update(stacked_run([pools[i] for i in test_idx], ce, model, depth))
                name = f"stack {'+ce' if with_ce else 'features only'} depth={depth} C={c:g}"
                table[name] = metrics.evaluate(run, qrels)["map@5"]
    return table


def write_meta(weights: Path, *, depth: int, weight: float, report: dict[str, Any]) -> Path:
    """The JSON the service reads beside the weights (`service.crossencoder.CrossEncoderModel`)."""
    from embeddings.encoder import default_model_path
    from embeddings.onnx import model_fingerprint, read_layout

    figures = {
        key: report[key]
        for key in ("layers", "epochs", "fit_epochs", "negatives", "train_depth", "cv_best", "fit_s")
        if key in report
    }
    if "dev_reranked" in report:
        figures["dev_map@5"] = report["dev_reranked"]["map@5"]
        figures["dev_pipeline_map@5"] = report["dev_pipeline"]["map@5"]
    meta = {
        "weights": weights.name,
        "base_model_fingerprint": model_fingerprint(read_layout(default_model_path())),
        "depth": depth,
        "weight": weight,
        "max_length": MAX_LENGTH,
        "trained_on": "CLEF-2022 CheckThat! Task 2B train (472 debate sentences vs 19,250 PolitiFact claims)",
        "metrics": figures,
    }
    path = weights.with_suffix(".json")
    path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--depth", type=int, default=30, help="candidates re-ordered at query time")
    parser.add_argument("--train-depth", type=int, default=30, help="candidates per train sentence")
    parser.add_argument("--layers", type=int, default=1, help="top transformer layers fine-tuned")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--negatives", type=int, default=7, help="hard negatives per sentence per step")
    parser.add_argument(
        "--context-window",
        type=int,
        default=0,
        help="pools gathered with each sentence's neighbours within N lines as its context (0: alone)",
    )
    parser.add_argument("--cv", action="store_true", help="grouped cross-validation on train")
    parser.add_argument("--dev", action="store_true", help="fit on all train, score dev once")
    parser.add_argument("--weight", type=float, default=None, help="blend weight for --dev (default: CV's best)")
    parser.add_argument("--out", type=Path, default=None, help="write the fitted top layers + head (.npz)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N train sentences (timing)")
    parser.add_argument("--cache-dir", type=Path, default=CACHE_ROOT)
    parser.add_argument("--save", type=Path, default=None, help="pickle the held-out and dev logits here")
    parser.add_argument("--latency", type=Path, default=None, help="time a weights file (--out) on --depth pairs")
    parser.add_argument(
        "--stack",
        type=Path,
        default=None,
        help="from a --save pickle: cross-validate a logistic over the reranker's features + the cross-encoder "
        "logit (and without it), then score dev once with the best",
    )
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    started = time.perf_counter()
    if args.stack is not None:
        return stack_main(args)
    if args.latency is not None:
        pools = collect_pools(
            args.dataset,
            "train",
            keep=max(100, args.depth),
            cache_root=args.cache_dir,
            context_window=args.context_window,
        )
        print(json.dumps(latency(args.latency, pools, args.depth)))
        return 0
    report: dict[str, Any] = {
        "depth": args.depth,
        "train_depth": args.train_depth,
        "layers": args.layers,
        "epochs": args.epochs,
        "negatives": args.negatives,
    }
    keep = max(100, args.depth, args.train_depth)
    corpus = read_corpus_texts(args.dataset)
    train_pools = collect_pools(
        args.dataset, "train", keep=keep, cache_root=args.cache_dir, context_window=args.context_window
    )
    train_qrels = metrics.read_qrels(args.dataset / "train" / "qrels.tsv")
    train_pools = [p for p in train_pools if p.qid in train_qrels][: args.limit]
    trainer = CrossEncoderTrainer(args.layers)
    groups = training_groups(train_pools, train_qrels, corpus, args.train_depth)
    t0 = time.perf_counter()
    trainer.encode_pairs(
        [p for g in groups for p in g[0]] + [p for pool in train_pools for p in eval_pairs(pool, args.depth)]
    )
    report["bottom_s"] = round(time.perf_counter() - t0, 1)
    qrels_of = {p.qid: train_qrels[p.qid] for p in train_pools}
    report["train_pipeline"] = metrics.evaluate(reranked_run(train_pools, {}, args.depth, None), qrels_of)

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    log(f"bottom layers done: {report['bottom_s']}s")
    epochs = args.epochs
    saved: dict[str, Any] = {}
    if args.cv:
        from sklearn.model_selection import GroupKFold

        folds = GroupKFold(n_splits=args.folds).split(train_pools, groups=[debate(p.qid) for p in train_pools])
        oof: dict[int, dict[str, np.ndarray]] = {e: {} for e in range(1, args.epochs + 1)}
        t0 = time.perf_counter()
        for number, (train_idx, test_idx) in enumerate(folds, start=1):

            def held_out(epoch: int, top: Any, test_idx: np.ndarray = test_idx) -> None:
                for i in test_idx:
                    oof[epoch][train_pools[i].qid] = trainer.score(top, eval_pairs(train_pools[i], args.depth))

            trainer.train(
                [groups[i] for i in train_idx], epochs=args.epochs, negatives=args.negatives, after_epoch=held_out
            )
            log(f"fold {number} done")
        report["cv_train_s"] = round(time.perf_counter() - t0, 1)
        saved["oof"] = oof
        cv: dict[str, dict[str, float]] = {}
        for e in range(1, args.epochs + 1):
            for d in sorted({d for d in DEPTH_GRID if d < args.depth} | {args.depth}):
                for w in BLEND_GRID:
                    run = reranked_run(train_pools, oof[e], d, w)
                    cv[f"epochs={e} depth={d} w={w:g}"] = metrics.evaluate(run, qrels_of)
        report["cv"] = {name: row["map@5"] for name, row in cv.items()}
        best = max(cv, key=lambda name: (cv[name]["map@5"], cv[name]["mrr"]))
        report["cv_best"] = {"config": best, **cv[best]}
        chosen = dict(part.split("=") for part in best.split())
        epochs = int(chosen["epochs"])
        args.depth = int(chosen["depth"])
        if args.weight is None:
            args.weight = float(chosen["w"])

    if args.dev or args.out is not None:
        t0 = time.perf_counter()
        top = trainer.train(groups, epochs=args.epochs, negatives=args.negatives, stop_after=epochs)
        report["fit_epochs"] = epochs
        report["fit_s"] = round(time.perf_counter() - t0, 1)
        log("fit done")
        if args.out is not None:
            from embeddings.finetuned import save_head

            save_head(top, args.out)
            report["out"] = str(args.out)
        if args.dev:
            weight = 1.0 if args.weight is None else args.weight
            dev_pools = collect_pools(
                args.dataset, "dev", keep=keep, cache_root=args.cache_dir, context_window=args.context_window
            )
            dev_qrels = metrics.read_qrels(args.dataset / "dev" / "qrels.tsv")
            dev_pools = [p for p in dev_pools if p.qid in dev_qrels]
            dev_pairs = {p.qid: eval_pairs(p, args.depth) for p in dev_pools}
            trainer.encode_pairs([x for v in dev_pairs.values() for x in v])
            ce = {q: trainer.score(top, v) for q, v in dev_pairs.items()}
            dq = {p.qid: dev_qrels[p.qid] for p in dev_pools}
            report["dev_weight"] = weight
            report["dev_depth"] = args.depth
            report["dev_pipeline"] = metrics.evaluate(reranked_run(dev_pools, {}, args.depth, None), dq)
            report["dev_reranked"] = metrics.evaluate(reranked_run(dev_pools, ce, args.depth, weight), dq)
            saved["dev"] = ce
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.save is not None:
        args.save.write_bytes(pickle.dumps({**saved, "report": report}))
    if args.out is not None:
        write_meta(args.out, depth=args.depth, weight=1.0 if args.weight is None else args.weight, report=report)
    print(json.dumps(report))
    return 0


def latency(weights: Path, pools: list[QueryPool], depth: int, *, queries: int = 40) -> dict[str, Any]:
    """Milliseconds per query to score `depth` pairs on one thread: torch (fp32) and the int8 ONNX graph.

    Both run the packaged model with the shipped top layers beside its own (`embeddings.finetuned.classifier`, as
    the check-worthiness graph): all pairs of a query in one padded batch.
    """
    import tempfile

    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    from embeddings.encoder import DEFAULT_MODEL_NAME, default_model_path
    from embeddings.finetuned import classifier
    from embeddings.onnx import ensure_graph, open_session, read_layout

    torch.set_num_threads(1)
    layout = read_layout(default_model_path())
    tokenizer = Tokenizer.from_file(str(layout.transformer / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_LENGTH)
    tokenizer.enable_padding()
    base = AutoModel.from_pretrained(str(layout.transformer), local_files_only=True, attn_implementation="eager")
    model = classifier(base.eval(), weights)
    chosen = pools[:queries]

    def feed(pool: QueryPool) -> dict[str, np.ndarray]:
        encodings = tokenizer.encode_batch(eval_pairs(pool, depth))
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }

    def timed(run: Callable[[dict[str, np.ndarray]], np.ndarray]) -> tuple[float, list[np.ndarray]]:
        run(feed(chosen[0]))  # warm-up
        start = time.perf_counter()
        out = [run(feed(pool)) for pool in chosen]
        return (time.perf_counter() - start) * 1000 / len(chosen), out

    def torch_run(batch: dict[str, np.ndarray]) -> np.ndarray:
        with torch.no_grad():
            return model(*(torch.from_numpy(batch[k]) for k in ("input_ids", "attention_mask", "token_type_ids")))[
                1
            ].numpy()

    torch_ms, torch_out = timed(torch_run)
    with tempfile.TemporaryDirectory() as cache:
        graph = ensure_graph(model_dir=layout.root, model_name=DEFAULT_MODEL_NAME, cache_dir=Path(cache), head=weights)
        session = open_session(graph, threads=1)
        onnx_ms, onnx_out = timed(lambda batch: session.run(["logit"], batch)[0])
    agree = [float(np.corrcoef(a, b)[0, 1]) for a, b in zip(torch_out, onnx_out, strict=True) if len(a) > 1]
    return {
        "queries": len(chosen),
        "pairs_per_query": depth,
        "torch_fp32_ms_per_query": round(torch_ms, 1),
        "onnx_int8_ms_per_query": round(onnx_ms, 1),
        "onnx_vs_torch_logit_correlation_mean": round(float(np.mean(agree)), 4),
    }


def stack_main(args: argparse.Namespace) -> int:
    saved = pickle.loads(args.stack.read_bytes())
    keep = max(100, args.depth, args.train_depth)
    train_qrels = metrics.read_qrels(args.dataset / "train" / "qrels.tsv")
    pools = [
        p for p in collect_pools(args.dataset, "train", keep=keep, cache_root=args.cache_dir) if p.qid in train_qrels
    ]
    qrels = {p.qid: train_qrels[p.qid] for p in pools}
    epochs = int(saved["report"]["fit_epochs"])
    oof = saved["oof"][epochs]
    depths = sorted({d for d in DEPTH_GRID if d <= args.depth})
    table = stack_cv(pools, oof, qrels, depths, args.folds)
    best = max(table, key=lambda name: table[name])
    best_plain = max((n for n in table if "features only" in n), key=lambda name: table[name])
    report: dict[str, Any] = {"from": str(args.stack), "epochs": epochs, "stack_cv": table, "best": best}
    report["best_features_only"] = best_plain
    if args.dev:
        dev_qrels = metrics.read_qrels(args.dataset / "dev" / "qrels.tsv")
        dev_pools = [
            p for p in collect_pools(args.dataset, "dev", keep=keep, cache_root=args.cache_dir) if p.qid in dev_qrels
        ]
        dq = {p.qid: dev_qrels[p.qid] for p in dev_pools}
        for name in dict.fromkeys([best, best_plain]):
            chosen = dict(part.split("=") for part in name.split() if "=" in part)
            depth, c = int(chosen["depth"]), float(chosen["C"])
            ce = None if "features only" in name else oof
            dev_ce = None if ce is None else saved["dev"]
            model = fit_stack(pools, ce, qrels, depth, c)
            report[f"dev {name}"] = metrics.evaluate(stacked_run(dev_pools, dev_ce, model, depth), dq)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
