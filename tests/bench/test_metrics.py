"""The metric code on a hand-made example whose answers were worked out by hand (trec_eval semantics)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import metrics

QRELS = {"q1": {"a"}, "q2": {"b", "c"}, "q3": {"d"}, "q4": {"e"}}
RUN = {
    "q1": ["x", "a", "y"],  # first relevant at rank 2
    "q2": ["b", "x", "c"],  # two relevant, ranks 1 and 3
    # q3 has no answer at all: it counts as 0, not skipped
    "q4": ["1", "2", "3", "4", "5", "e"],  # relevant at rank 6: outside MAP@5, inside MRR and recall@10
    "q9": ["a"],  # a query without qrels is ignored
}


def test_per_query_values() -> None:
    assert metrics.average_precision_at(RUN["q2"], QRELS["q2"], 1) == pytest.approx(0.5)  # 1/1 over R=2
    assert metrics.average_precision_at(RUN["q2"], QRELS["q2"], 5) == pytest.approx((1 + 2 / 3) / 2)
    assert metrics.average_precision_at(RUN["q1"], QRELS["q1"], 1) == 0.0
    assert metrics.average_precision_at(RUN["q4"], QRELS["q4"], 5) == 0.0
    assert metrics.reciprocal_rank(RUN["q4"], QRELS["q4"]) == pytest.approx(1 / 6)
    assert metrics.recall_at(RUN["q2"], QRELS["q2"], 1) == pytest.approx(0.5)


def test_averages_over_the_qrels_queries() -> None:
    result = metrics.evaluate(RUN, QRELS)
    assert result == {
        "map@1": 0.125,  # (0 + 0.5 + 0 + 0) / 4
        "map@5": 0.3333,  # (0.5 + 0.8333 + 0 + 0) / 4
        "mrr": 0.4167,  # (0.5 + 1 + 0 + 1/6) / 4
        "recall@10": 0.75,  # (1 + 1 + 0 + 1) / 4
        "recall@100": 0.75,
    }


def test_perfect_run_scores_one() -> None:
    run = {"q1": ["a"], "q2": ["c", "b"], "q3": ["d"], "q4": ["e"]}
    result = metrics.evaluate(run, QRELS)
    # map_cut_1 divides by R: a query with two relevant documents can reach only 1/2 at cutoff 1.
    assert result.pop("map@1") == 0.875
    assert set(result.values()) == {1.0}


def test_files_round_trip(tmp_path: Path) -> None:
    qrels = tmp_path / "pairs.qrels"
    qrels.write_text("q1\t0\ta\t1\nq2 0 b 1\nq2 0 c 1\nq2 0 z 0\n")
    assert metrics.read_qrels(qrels) == {"q1": {"a"}, "q2": {"b", "c"}}

    tsv = tmp_path / "queries.tsv"
    tsv.write_text('\ttweet_content\n1\t"quoted ""text"" with\ttab"\n2\tplain\n', encoding="utf-8")
    rows = metrics.read_tsv(tsv, ["tweet_id", "tweet_content"])
    assert rows == [
        {"tweet_id": "1", "tweet_content": 'quoted "text" with\ttab'},
        {"tweet_id": "2", "tweet_content": "plain"},
    ]

    run_path = tmp_path / "run.tsv"
    metrics.write_run(run_path, {"q1": [("a", 0.9), ("b", 0.9), ("c", 0.5)]}, tag="t")
    lines = [line.split() for line in run_path.read_text().splitlines()]
    assert [line[:4] for line in lines] == [["q1", "Q0", "a", "1"], ["q1", "Q0", "b", "2"], ["q1", "Q0", "c", "3"]]
    scores = [float(line[4]) for line in lines]
    assert scores[0] > scores[1] > scores[2]  # ties broken so trec_eval keeps our order
    assert all(line[5] == "t" for line in lines)
