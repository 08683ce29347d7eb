"""`crosscheck bench alert_quality`: the per-tweet precision/recall arithmetic, and a run end to end on a tiny
CLEF-format set through the API (fast encoder)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import alert_quality
from tests.bench.test_retrieval import _dataset
from tests.helpers import HashingEncoder


def test_precision_and_recall_per_tweet_at_a_threshold() -> None:
    data = {
        "alerts": {
            "t1": [(0.9, "same", "10"), (0.4, "same", "11")],  # best alert right
            "t2": [(0.8, "same", "12"), (0.7, "conflict", "13")],  # best alert wrong, a right one below it
            "t3": [(0.95, "related", "12")],  # relation not alerted by default
            "t4": [(0.2, "same", "14")],  # under the threshold
        },
        "qrels": {"t1": {"10"}, "t2": {"13"}, "t3": {"12"}, "t4": {"14"}, "t5": {"15"}},
    }
    report = alert_quality.at_threshold(data, 0.5)
    assert report["tweets_alerted"] == 2
    assert report["precision"] == 0.5  # t1 right, t2's best wrong
    assert report["recall"] == 0.4  # t1 and t2 (a right alert at 0.7) of five tweets
    assert alert_quality.at_threshold(data, 0.0)["recall"] == 0.6  # t4 too


def test_a_run_through_the_api(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "clef").parent
    (root / "train").mkdir()
    for name in ("tweets.queries.tsv", "tweet-vclaim-pairs.qrels"):
        (root / "train" / name).write_bytes((root / "dev" / name).read_bytes())
    parser = argparse.ArgumentParser()
    alert_quality.add_arguments(parser)
    args = parser.parse_args(["--dataset", str(root)])
    report = alert_quality.run(args, encoder=HashingEncoder(), extras={})
    assert report["corpus"] == 4 and report["train"]["tweets"] == 3
    chosen = report["chosen_on_train"]
    assert chosen["recall"] is not None and chosen["recall"] > 0
    assert report["dev"]["at_chosen_threshold"]["threshold"] == chosen["threshold"]
