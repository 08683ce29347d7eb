"""The lexical query's postings budget: common terms are dropped first, rare ones always kept."""

from __future__ import annotations

from service import lexical
from service.lexical import MIN_KEPT_TERMS, prune_terms


def test_a_query_within_the_budget_keeps_every_term() -> None:
    terms = ['"kursk"', '"troops"', '"sent"']
    assert prune_terms(terms, [3, 40, 900], budget=1_000) == terms


def test_over_the_budget_the_most_common_terms_go_first_and_order_is_kept() -> None:
    terms = [f'"t{i}"' for i in range(7)]
    df = [5, 9_000, 2, 40, 7, 3_000, 1]
    kept = prune_terms(terms, df, budget=100)
    # The four rarest fit (1+2+5+7 = 15), then 40 (55); 3,000 and 9,000 would pass the budget.
    assert kept == ['"t0"', '"t2"', '"t3"', '"t4"', '"t6"']


def test_the_rarest_terms_are_kept_even_past_the_budget() -> None:
    terms = [f'"t{i}"' for i in range(6)]
    kept = prune_terms(terms, [500, 400, 300, 200, 100, 600], budget=10)
    assert len(kept) == MIN_KEPT_TERMS
    assert kept == ['"t1"', '"t2"', '"t3"', '"t4"']


def test_search_drops_common_terms_on_a_large_corpus(make_client, monkeypatch) -> None:
    """End to end: with a tiny budget a query made of one rare and many common words still finds the rare one."""
    from tests.helpers import HashingEncoder

    common = "government officials reported statement today"
    with make_client(HashingEncoder()) as client:
        for i in range(12):
            body = {"text": f"# Note {i}\n\nThe {common} number {i} about the harbour works and the budget plan."}
            assert client.post("/sources", json=body).status_code == 201
        rare = {"text": "# Zeppelin\n\nThe zeppelin hangar at Lakehurst reopened after repairs to the roof."}
        rare_id = client.post("/sources", json=rare).json()["id"]
        monkeypatch.setattr(lexical, "POSTINGS_BUDGET", 3)
        monkeypatch.setattr(lexical, "MIN_KEPT_TERMS", 1)
        query = {"text": f"{common} zeppelin", "mode": "lexical", "k": 3}
        matches = client.post("/claims/match", json=query).json()["matches"]
    # Only "zeppelin" was searched: the twelve notes share every other word but not that one.
    assert [m["source"]["id"] for m in matches] == [rare_id]
