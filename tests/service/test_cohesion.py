"""A document's claims re-scored together (`with_cohesion`): the report's `cohesion` and the 2B bench's."""

from __future__ import annotations

import random

import pytest

from service.matching import with_cohesion
from service.schemas import ClaimPublic, Match, SourceBrief


def match(claim_id: int, score: float, rank: int = 1) -> Match:
    return Match(
        rank=rank,
        score=score,
        claim=ClaimPublic(
            id=claim_id,
            source_id=claim_id,
            text=f"claim {claim_id}",
            start=0,
            end=9,
            position=0,
            speaker=None,
            context_text=None,
            checkworthiness=None,
            checkworthy=None,
        ),
        source=SourceBrief(id=claim_id, title=None, outlet=None, url=None, published_at=None),
        copy_group=claim_id,
        relation="related",
        scores={"dense": score},
    )


def ranked(*pairs: tuple[int, float]) -> list[Match]:
    return [match(c, s, rank) for rank, (c, s) in enumerate(pairs, start=1)]


def test_a_fact_check_other_sentences_match_rises() -> None:
    # Sentence 2 alone puts claim 20 first; sentence 1 is sure of claim 10, which sentence 2 also holds.
    first = ranked((10, 0.9), (30, 0.2))
    second = ranked((20, 0.5), (10, 0.45))
    [one, two] = with_cohesion([first, second], 0.5)
    assert [m.claim.id for m in two] == [10, 20]
    assert [m.rank for m in two] == [1, 2]
    assert two[0].score == pytest.approx(1 - (1 - 0.45) * (1 - 0.5 * 0.9))
    assert two[0].scores == {"dense": 0.45, "cohesion": 0.9}
    # Without support a match keeps its score; a list's own score is never its own support.
    assert two[1].score == 0.5 and two[1].scores["cohesion"] == 0.0
    assert one[0].scores["cohesion"] == 0.45 and one[1].score == 0.2
    # Weight 0 (the default) and a single list leave everything as it was.
    assert with_cohesion([first, second], 0.0) == [first, second]
    assert with_cohesion([second], 1.0) == [second]


def test_scores_stay_within_bounds_and_fall_with_rank() -> None:
    rng = random.Random(3)
    for _ in range(50):
        lists = [
            ranked(*sorted(((rng.randrange(12), rng.random()) for _ in range(6)), key=lambda p: -p[1]))
            for _ in range(rng.randrange(1, 5))
        ]
        weight = rng.random()
        for before, after in zip(lists, with_cohesion(lists, weight), strict=True):
            scores = [m.score for m in after]
            assert all(0.0 <= s <= 1.0 for s in scores) and scores == sorted(scores, reverse=True)
            assert [m.rank for m in after] == list(range(1, len(after) + 1))
            # never lower than before: support only adds
            old = {(m.claim.id, m.scores["dense"]) for m in before}
            assert {(m.claim.id, m.scores["dense"]) for m in after} == old
            assert all(m.score >= m.scores["dense"] - 1e-6 for m in after)


@pytest.mark.parametrize("weight", [-0.1, 1.5])
def test_a_weight_outside_zero_to_one_is_refused(weight: float) -> None:
    with pytest.raises(ValueError, match="within"):
        with_cohesion([ranked((1, 0.5)), ranked((1, 0.5))], weight)
