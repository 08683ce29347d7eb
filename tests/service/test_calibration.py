"""service/calibration.py: increasing maps from ranking scores to probabilities, and scores as the API serves them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from service.calibration import (
    Calibration,
    PlattMap,
    figures_agreeing,
    load_calibration,
    monotone,
    ranking_feature,
    verifier_features,
)
from service.multilingual import USE_KEY
from service.rerank import LogisticModel, Reranker
from tests.helpers import HashingEncoder, claim_review


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
    flat = {"format": 4, "requires": {}, "maps": {"dense:pure": {"slope": 0.0, "intercept": 0.0}}}
    with pytest.raises(ValueError, match="slope must be positive"):
        Calibration.from_json(flat)
    odd = {"format": 4, "requires": {}, "maps": {}, "verifiers": {"sideways": _model(("rank:score",), (1.0,))}}
    with pytest.raises(ValueError, match="unknown scale"):
        Calibration.from_json(odd)
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


def _model(features: tuple[str, ...], coef: tuple[float, ...], requires: dict[str, str] | None = None) -> Any:
    n = len(features)
    model = LogisticModel(features, np.zeros(n), np.ones(n), np.asarray(coef), -1.0, requires or {}, {})
    return model.to_json()


def test_packaged_verifiers_read_every_feature_the_service_computes() -> None:
    calibration = load_calibration()
    assert calibration is not None and set(calibration.verifiers) == {"mixed", "pure"}
    n = 3
    names = "dense:cos dense:cos:gap use:cos use:cos:gap lexical:bm25 dense:rrank lexical:rrank use:rrank"
    names += " overlap:words overlap:names overlap:numbers claim:log_len"
    base = {name: np.asarray([0.9, 0.5, 0.1]) for name in names.split()}
    columns = verifier_features(
        query_text="The flood displaced 3,000 people in 2023.",
        query_language="en",
        candidate_texts=["Floods forced 3,000 people out in 2023.", "Die Flut traf 500 Häuser.", "Unrelated."],
        candidate_languages=["en", "de", "en"],
        features=base,
        scores=np.asarray([0.8, 0.6, 0.1]),
    )
    assert all(len(v) == n for v in columns.values())
    assert columns["anchors:shared"].tolist() == [1.0, 0.0, 0.0]  # 3,000: a figure
    assert columns["anchors:shared_weak"].tolist() == [1.0, 0.0, 0.0]  # 2023: a year, a weak anchor
    assert columns["anchors:claim_strong"].tolist() == columns["anchors:claim_weak"].tolist() == [1.0, 1.0, 1.0]
    assert columns["anchors:only_other"].tolist() == [0.0, 1.0, 0.0]
    assert columns["pair:same_language"].tolist() == [1.0, 0.0, 1.0]
    assert columns["rank:rrank"].tolist() == [1.0, 0.5, 1 / 3]
    for scale, model in calibration.verifiers.items():
        assert set(model.features) == set(columns), scale
        p = calibration.verify(scale, columns)  # type: ignore[arg-type]
        assert p is not None and np.all((p > 0) & (p < 1))
        # Stating the claim's figure in its language beats a stranger in another language with another figure.
        assert p[0] > p[1], scale
    assert calibration.verify("mixed", {"rank:score": np.zeros(1)}) is None  # a missing column: no verifier


def test_monotone_is_the_non_increasing_fit_along_the_ranking() -> None:
    scores = np.asarray([0.2, 0.9, 0.5, 0.7])  # ranking order: rows 1, 3, 2, 0
    probability = np.asarray([0.8, 0.3, 0.6, 0.7])  # along the ranking: 0.3, 0.7, 0.6, 0.8
    shown = monotone(probability, scores)
    along = shown[np.argsort(-scores, kind="stable")]
    assert np.all(np.diff(along) <= 1e-12)
    # Pooled adjacent violators: the whole run averages to 0.6.
    assert np.allclose(along, [0.6, 0.6, 0.6, 0.6])
    already = monotone(np.asarray([0.9, 0.1, 0.5]), np.asarray([3.0, 1.0, 2.0]))
    assert np.allclose(already, [0.9, 0.1, 0.5])  # an order the probabilities agree with is left alone
    assert monotone(np.zeros(0), np.zeros(0)).size == 0


def test_hybrid_scores_come_from_the_verifier_along_the_ranking(
    make_client: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dense_id, use_id = str(HashingEncoder().model_id), str(HashingEncoder(dim=32).model_id)
    reranker = Reranker(
        models=(LogisticModel.from_json(_model(("dense:cos",), (4.0,), {"dense": dense_id})),),
    )
    # A verifier that trusts shared figures more than the ranking does.
    verifier = _model(("rank:score", "anchors:shared", "anchors:none_shared"), (1.0, 3.0, -2.0))
    fitted = Calibration.from_json(
        {
            "format": 4,
            "requires": {"dense": dense_id, USE_KEY: use_id},
            "maps": {"hybrid:pure": {"slope": 1.0, "intercept": 0.0}},
            "verifiers": {"pure": verifier, "mixed": verifier},
        }
    )
    monkeypatch.setattr("service.runtime.load_reranker", lambda: reranker)
    monkeypatch.setattr("service.runtime.load_calibration", lambda: fitted)
    articles = [
        "The valley flood displaced residents of the valley on Monday, officials of the valley said.",
        "Rescuers said the flood forced 3,000 people from their homes.",
        "The regional office reopened two bridges after the flood waters fell.",
    ]
    with make_client(HashingEncoder(), extra_encoders={USE_KEY: HashingEncoder(dim=32)}) as client:
        for text in articles:
            assert client.post("/sources", json={"text": text}).status_code == 201
        body = {"text": "The valley flood displaced 3,000 residents.", "k": 10}
        matches = client.post("/claims/match", json=body).json()["matches"]
        assert len(matches) >= 3
        scores = [m["score"] for m in matches]
        raw = np.asarray([m["scores"]["verifier"] for m in matches])
        assert scores == sorted(scores, reverse=True)
        # The order is the ranking's; the scores are the isotonic fit of the verifier's probabilities along it.
        assert np.allclose(scores, monotone(raw, -np.arange(len(raw), dtype=float)), atol=2e-6)
        assert not np.allclose(scores, raw)  # the verifier disagreed with the ranking somewhere
        threshold = scores[1]
        kept = client.post("/claims/match", json=body | {"min_score": threshold}).json()["matches"]
        assert kept and all(m["score"] >= threshold for m in kept)


def test_figures_agreeing_asks_the_verifier_about_the_fact_apart_from_its_figures() -> None:
    columns = {
        "anchors:shared": np.asarray([0.5, 0.0, 0.0]),
        "anchors:shared_weak": np.asarray([1.0, 1.0, 0.0]),
        "anchors:claim_strong": np.ones(3),
        "anchors:claim_weak": np.ones(3),
        "anchors:none_shared": np.asarray([0.0, 1.0, 1.0]),
        "anchors:only_other": np.asarray([0.0, 1.0, 0.0]),
        "overlap:numbers": np.asarray([0.5, 0.0, 0.0]),
        "pair:same_language": np.asarray([1.0, 0.0, 1.0]),
        "dense:cos": np.asarray([0.9, 0.2, 0.4]),
    }
    agreeing = figures_agreeing(columns)
    assert agreeing["anchors:shared"].tolist() == [1.0, 1.0, 1.0]
    assert agreeing["anchors:shared_weak"].tolist() == [1.0, 1.0, 1.0]
    assert agreeing["anchors:none_shared"].tolist() == [0.0, 0.0, 0.0]
    assert agreeing["anchors:only_other"].tolist() == [0.0, 0.0, 0.0]
    assert agreeing["overlap:numbers"].tolist() == [1.0, 0.0, 1.0]  # word overlap is read within one language
    assert agreeing["dense:cos"] is columns["dense:cos"]
    assert columns["anchors:shared"].tolist() == [0.5, 0.0, 0.0]  # the pool's own columns are left alone
    # A claim without figures: nothing to agree on.
    plain = {**columns, "anchors:shared": np.zeros(3), "anchors:none_shared": np.zeros(3)}
    plain |= {
        "anchors:shared_weak": np.zeros(3),
        "anchors:claim_strong": np.zeros(3),
        "anchors:claim_weak": np.zeros(3),
    }
    plain["overlap:numbers"] = np.zeros(3)
    assert figures_agreeing(plain)["anchors:shared"].tolist() == [0.0, 0.0, 0.0]
    assert figures_agreeing(plain)["anchors:shared_weak"].tolist() == [0.0, 0.0, 0.0]
    # Only a month and a year: the weak anchors agree, no figure does.
    dated = {**plain, "anchors:claim_weak": np.ones(3)}
    assert figures_agreeing(dated)["anchors:shared"].tolist() == [0.0, 0.0, 0.0]
    assert figures_agreeing(dated)["anchors:shared_weak"].tolist() == [1.0, 1.0, 1.0]
    assert figures_agreeing(plain)["overlap:numbers"].tolist() == [0.0, 0.0, 0.0]


def test_the_verifier_gates_same_for_articles_but_not_for_fact_checks(
    make_client: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    dense_id, use_id = str(HashingEncoder().model_id), str(HashingEncoder(dim=32).model_id)
    reranker = Reranker(models=(LogisticModel.from_json(_model(("dense:cos",), (4.0,), {"dense": dense_id})),))
    # A verifier that finds nothing likely to state the query (p = 0.27 whatever the pair).
    doubtful = _model(("rank:score",), (0.0,))
    fitted = Calibration.from_json(
        {
            "format": 4,
            "requires": {"dense": dense_id, USE_KEY: use_id},
            "maps": {},
            "verifiers": {"pure": doubtful, "mixed": doubtful},
        }
    )
    monkeypatch.setattr("service.runtime.load_reranker", lambda: reranker)
    claim = "The harbour council tripled ferry fares to the islands in 2024."
    review = claim_review(claim, "https://factdesk.example/checks/1", "True")
    for gated in (False, True):
        monkeypatch.setattr("service.runtime.load_calibration", lambda g=gated: fitted if g else None)
        use = {USE_KEY: HashingEncoder(dim=32)}
        with make_client(HashingEncoder(), data_dir=tmp_path / str(gated), extra_encoders=use) as client:
            assert client.post("/sources", json={"text": claim}).status_code == 201
            assert client.post("/fact-checks", json=review).status_code in (200, 201)
            matches = client.post("/claims/match", json={"text": claim, "k": 5}).json()["matches"]
            relation = {"fact_check" if m["fact_check"] else "article": m["relation"] for m in matches}
            assert relation["fact_check"] == "same", gated  # the engine's word stands for a fact-check
            # The article's `same` holds without the verifier and is taken away by a doubtful one.
            assert relation["article"] == ("related" if gated else "same")


def test_a_short_answer_is_not_searched_deeper_once_the_pool_falls_below_min_score(
    make_client: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.matching import Matcher

    calls = []
    pool = Matcher._pool

    def counting(self: Matcher, **kwargs: Any) -> Any:
        calls.append(kwargs["depth"])
        return pool(self, **kwargs)

    monkeypatch.setattr(Matcher, "_pool", counting)
    texts = [f"The council of Norvale district {i} approved {100 + i} new flood barriers on Monday." for i in range(12)]
    with make_client(HashingEncoder()) as client:
        for text in texts:
            assert client.post("/sources", json={"text": text}).status_code == 201
        # k = 2: a dense per-source search asks for 8 candidates of the 12 claims, so it is not exhausted.
        body = {"text": "Norvale approved 100 flood barriers.", "k": 2, "mode": "dense"}
        everything = client.post("/claims/match", json=body).json()["matches"]
        assert len(everything) == 2 and everything[0]["score"] > everything[1]["score"]
        calls.clear()
        # Only the best passes: one source where two were asked, and the pool's last candidate is already below
        # the threshold, so a deeper search could not find more.
        top = everything[0]["score"]
        kept = client.post("/claims/match", json=body | {"min_score": top}).json()["matches"]
        assert len(kept) == 1 and kept[0]["score"] >= top
        assert len(calls) == 1
