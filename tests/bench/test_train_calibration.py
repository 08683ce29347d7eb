"""bench/train_calibration.py: the verifiers, fitted per pool scale, and their held-out report."""

from __future__ import annotations

import numpy as np

from bench.train_calibration import VerifierPool, train_verifiers


def _pool(rng: np.random.Generator, event: str, scale: str, stated: bool) -> VerifierPool:
    n = 30
    labels = np.zeros(n, dtype=bool)
    if stated:
        labels[rng.choice(n, size=3, replace=False)] = True
    # One column tells stating candidates apart (with noise); the other is noise alone.
    columns = {
        "anchors:shared": labels * 0.8 + rng.normal(0, 0.2, n),
        "dense:cos": rng.normal(0.4, 0.1, n),
    }
    scores = columns["anchors:shared"] + rng.normal(0, 0.3, n)  # a ranking that mostly agrees
    return VerifierPool(columns, scores, labels, event, stated, True, scale)  # type: ignore[arg-type]


def test_verifiers_learn_the_telling_column_and_report_held_out_figures() -> None:
    rng = np.random.default_rng(7)
    pools = [
        _pool(rng, event, scale, stated)
        for event in ("quake", "flood", "fire")
        for scale in ("mixed", "pure")
        for stated in (True, True, True, False, False)
    ]
    models, report = train_verifiers(pools, {"dense": "test"}, k=10)
    assert set(models) == {"mixed", "pure"}
    for scale, model in models.items():
        coef = dict(zip(model.features, model.coef, strict=True))
        assert coef["anchors:shared"] > 5 * abs(coef["dense:cos"]), scale
        assert model.requires == {"dense": "test"} and model.info["pools"] == 15
    held = report["all"]["event_held_out"]
    assert held["auc_first_score_stated_vs_unstated"] > 0.8  # stated claims' first scores run higher
    assert 0.0 <= held["ece"] <= 1.0
    # A scale with one label only gets no verifier.
    flat = [VerifierPool(p.columns, p.scores, np.zeros_like(p.labels), p.event, False, True, "pure") for p in pools]
    assert set(train_verifiers(flat, {}, k=10)[0]) == set()


def test_first_of_group_keeps_each_independent_source_once_in_ranking_order() -> None:
    from bench.train_calibration import first_of_group

    scores = np.asarray([0.2, 0.9, 0.5, 0.7, 0.1])
    groups = [3, 1, 1, 2, 3]  # ranking order: rows 1 (group 1), 3 (2), 2 (1 again), 0 (3), 4 (3 again)
    assert first_of_group(scores, groups).tolist() == [True, True, False, True, False]
