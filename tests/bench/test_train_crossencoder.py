"""bench/train_crossencoder.py's bookkeeping: debate groups, the re-ordering it measures, the pairs it trains on."""

from __future__ import annotations

import numpy as np

from bench.train_crossencoder import QueryPool, debate, reranked_run, training_groups


def _pool(qid: str, docs: list[str], prob: list[float]) -> QueryPool:
    return QueryPool(
        qid=qid,
        text=f"sentence {qid}",
        docs=docs,
        texts=[f"claim {d}" for d in docs],
        titles=[None] * len(docs),
        prob=np.asarray(prob),
        features=np.zeros((len(docs), 2)),
    )


def test_a_sentence_id_names_its_debate() -> None:
    assert debate("20161019_3pres_0123") == "20161019_3pres"
    assert debate("20121023_third_presidential_debate_0959") == "20121023_third_presidential_debate"
    assert debate("nodebate") == "nodebate"


def test_reranked_run_reorders_only_the_top_depth() -> None:
    pool = _pool("q", ["a", "b", "c", "d"], [0.9, 0.5, 0.4, 0.1])
    assert reranked_run([pool], {}, 2, None) == {"q": ["a", "b", "c", "d"]}
    ce = {"q": np.asarray([0.0, 3.0, 9.0])}  # depth 2: the third logit is not read
    assert reranked_run([pool], ce, 2, 0.0) == {"q": ["b", "a", "c", "d"]}
    # The reranker's logit weighs in: logit(0.9) - logit(0.5) = 2.2 outweighs a 1.0 edge at weight 1.
    assert reranked_run([pool], {"q": np.asarray([0.0, 1.0])}, 2, 1.0) == {"q": ["a", "b", "c", "d"]}


def test_training_groups_add_the_relevant_claims_the_pipeline_missed() -> None:
    pool = _pool("q", ["a", "b", "c"], [0.9, 0.5, 0.4])
    corpus = {d: (f"claim {d}", "title" if d == "z" else None) for d in "abcz"}
    [(pairs, labels)] = training_groups([pool], {"q": {"b", "z"}}, corpus, 2)
    assert [p[1] for p in pairs] == ["claim a", "claim b", "claim z \u2014 title"]
    assert labels.tolist() == [False, True, True]
    assert all(p[0] == "sentence q" for p in pairs)
