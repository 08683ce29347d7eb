"""service/calibration.py: increasing maps from ranking scores to probabilities, and scores as the API serves them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from service.calibration import Calibration, PlattMap, load_calibration, ranking_feature
from tests.helpers import HashingEncoder


def test_packaged_maps_load_and_keep_the_order() -> None:
    calibration = load_calibration()
    assert calibration is not None
    assert calibration.usable_with({"dense": "all-MiniLM-L6-v2@384"}) is not None  # the USE ranker is missing
    assert calibration.usable_with({"dense": "test-hashing@64", "use": "x"}) is not None
    assert {"hybrid:pure", "hybrid:mixed", "dense:pure", "dense:mixed", "lexical:pure"} <= set(calibration.maps)
    scores = np.asarray([0.01, 0.2, 0.5, 0.9, 0.999])
    for key in calibration.maps:
        mode, scale = key.split(":")
        p = calibration.probability(mode, scale, scores)  # type: ignore[arg-type]
        assert p is not None and np.all((p >= 0) & (p <= 1)) and np.all(np.diff(p) > 0), key
    assert calibration.probability("lexical", "mixed", scores) is None


def test_features_and_file_checks(tmp_path: Any) -> None:
    assert ranking_feature("hybrid", "pure", np.asarray([0.5]))[0] == pytest.approx(0.5)
    assert ranking_feature("lexical", "pure", np.asarray([np.e - 1]))[0] == pytest.approx(1.0)
    assert ranking_feature("dense", "mixed", np.asarray([1.3]))[0] == 1.3
    flat = {"format": 3, "requires": {}, "maps": {"dense:pure": {"slope": 0.0, "intercept": 0.0}}}
    with pytest.raises(ValueError, match="slope must be positive"):
        Calibration.from_json(flat)
    (tmp_path / "bad.json").write_text('{"format": 1}')
    assert load_calibration(tmp_path / "bad.json") is None
    assert load_calibration(tmp_path / "missing.json") is None
    assert PlattMap(slope=2.0, intercept=-1.0, info={})(np.asarray([0.5]))[0] == pytest.approx(0.5)


@pytest.mark.parametrize("calibrated", [True, False])
def test_served_scores_are_probabilities_falling_with_rank_and_min_score_filters_them(
    make_client: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, calibrated: bool
) -> None:
    # Maps fitted for the tests' hashing encoder (the packaged ones need MiniLM, so they are not used here).
    maps = {
        f"{mode}:pure": PlattMap(slope=slope, intercept=-1.0, info={})
        for mode, slope in (("hybrid", 0.5), ("dense", 4.0), ("lexical", 1.0))
    }
    fitted = Calibration(maps=maps, info={}, requires={"dense": str(HashingEncoder().model_id)})
    monkeypatch.setattr("service.runtime.load_calibration", lambda: fitted if calibrated else None)
    articles = [
        "The river flood displaced 3,000 residents of the valley on Monday, the regional office said.",
        "Rescuers said the valley flood forced about 3,000 people from their homes.",
        "The regional office reopened two bridges after the flood waters fell.",
        "A new library opened in the capital with 40,000 books.",
    ]
    with make_client(HashingEncoder()) as client:
        for text in articles:
            assert client.post("/sources", json={"text": text}).status_code == 201
        for mode in ("hybrid", "dense", "lexical"):
            body = {"text": "The valley flood displaced 3,000 residents.", "k": 10, "mode": mode}
            matches = client.post("/claims/match", json=body).json()["matches"]
            scores = [m["score"] for m in matches]
            assert matches and all(0.0 <= s <= 1.0 for s in scores), mode
            if calibrated and mode == "dense":
                expected = fitted.probability("dense", "pure", np.asarray([m["scores"]["dense"] for m in matches]))
                assert expected is not None and np.allclose(scores, expected, atol=2e-6)
            assert scores == sorted(scores, reverse=True), mode
            threshold = scores[len(scores) // 2]
            kept = client.post("/claims/match", json=body | {"min_score": threshold}).json()["matches"]
            assert kept and all(m["score"] >= threshold for m in kept)
            assert len(kept) == sum(s >= threshold for s in scores)
        refused = client.post("/claims/match", json={"text": "flood", "min_score": -0.2})
        assert refused.status_code == 422
