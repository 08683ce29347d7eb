"""Relations in every match, the cross-reference report (API, terminal table, CLI) and the seeds demo."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service import cli, relations, report
from service.config import get_settings
from service.multilingual import USE_KEY
from service.schemas import (
    ClaimCrossReference,
    ClaimPublic,
    CrossReferenceReport,
    ReportMatch,
    ReportSummary,
    SignalPublic,
    SourceBrief,
)
from tests.helpers import HashingEncoder, seed_files
from tests.service.test_cli import cli_env  # noqa: F401  (the CLI fixture: temp data dir, shared model)
from tests.service.test_syndication import COPY_A, COPY_B, COPY_C, LOCAL, TRADE, article

# An independent report that gets the repair time wrong: a number conflict for the relations engine.
OTHER_FIGURE = article(
    "Skerra Ferry Repairs to Take a Month",
    "Nils Dahl",
    "May 8, 2025",
    "https://harbourbulletin.example/skerra",
    [
        "Engineers expect the hull repair on the Marta Linn to keep the Skerra ferry out of service for about "
        "four weeks, the harbour master said.",
        "The harbour master added that the island's fuel depot held enough diesel for roughly a fortnight.",
    ],
)
SIGNAL_KEYS = {"kind", "query_value", "match_value", "explanation", "conflicting"}


class _AnyText:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(other)


ANY_TEXT = _AnyText()


def ingest(client: TestClient, text: str) -> dict:
    response = client.post("/sources", json={"text": text})
    assert response.status_code == 201, response.text
    return response.json()


def entries(item: dict) -> list[dict]:
    return item["corroborating"] + item["conflicting"] + item["related"]


class FakeRelations:
    """Deterministic stand-in for the rules: "weeks" figures that differ conflict, close claims are the same."""

    def __init__(self) -> None:
        self.calls: list[tuple[relations.ClaimFacts, list[relations.ClaimFacts], list[float]]] = []

    def __call__(
        self,
        query: relations.ClaimFacts,
        matches: Sequence[relations.ClaimFacts],
        similarities: Sequence[float],
        same_fact_probabilities: Sequence[float | None] | None = None,
    ) -> list[relations.Verdict]:
        self.calls.append((query, list(matches), list(similarities)))
        out = []
        for match, similarity in zip(matches, similarities, strict=True):
            q, m = re.search(r"(\w+) weeks", query.text), re.search(r"(\w+) weeks", match.text)
            if q and m and q.group(1) != m.group(1):
                signal = relations.Signal("number", q.group(0), m.group(0), "the durations differ")
                out.append(relations.Verdict("conflict", (signal,)))
            else:
                out.append(relations.Verdict("same" if similarity >= 0.5 else "related", ()))
        return out


@pytest.fixture
def fake_relations(monkeypatch: pytest.MonkeyPatch) -> FakeRelations:
    fake = FakeRelations()
    monkeypatch.setattr(relations, "compare_many", fake)
    return fake


# --- relations in POST /claims/match ------------------------------------------------------------------------


def test_every_match_carries_relation_signals_and_scores(make_client, fake_relations: FakeRelations) -> None:
    with make_client(HashingEncoder()) as client:
        for text in (TRADE, OTHER_FIGURE, LOCAL):
            ingest(client, text)
        query = "The Marta Linn will be out of service for at least three weeks"
        dense = client.post("/claims/match", json={"text": query, "k": 5, "mode": "dense"}).json()
        assert dense["matches"]
        # The engine saw the cleaned query with its detected language and, as similarity, the MiniLM-side cosine
        # (two English claims; without a calibration for the fake encoder the score is that cosine).
        facts, matched, similarities = fake_relations.calls[-1]
        assert facts.text == query and facts.language == "en"
        assert similarities == pytest.approx([m["score"] for m in dense["matches"]], abs=1e-5)
        assert [f.text for f in matched] == [m["claim"]["text"] for m in dense["matches"]]
        assert all(f.published_at == dt.date(2025, 5, 8) for f in matched[:1])  # source metadata reaches it
        by_id = {m["claim"]["id"]: m["score"] for m in dense["matches"]}
        for mode in ("hybrid", "lexical"):
            body = client.post("/claims/match", json={"text": query, "k": 5, "mode": mode}).json()
            assert body["matches"]
            _, matched, similarities = fake_relations.calls[-1]
            for m, similarity in zip(body["matches"], similarities, strict=True):
                assert m["relation"] in {"same", "conflict", "related"}
                assert m["scores"] and "dense" in m["scores"]  # lexical mode computes the cosine too
                assert similarity == pytest.approx(m["scores"]["dense"], abs=1e-5)
                if m["claim"]["id"] in by_id:
                    assert similarity == pytest.approx(by_id[m["claim"]["id"]], abs=1e-5)
        conflict = next(m for m in dense["matches"] if m["relation"] == "conflict")
        assert "four weeks" in conflict["claim"]["text"]
        assert conflict["signals"] == [
            {
                "kind": "number",
                "query_value": "three weeks",
                "match_value": "four weeks",
                "explanation": ANY_TEXT,
                "conflicting": True,
            }
        ]
        assert all(set(s) == SIGNAL_KEYS for m in dense["matches"] for s in m["signals"])


def test_match_signals_from_the_real_rules(real_encoder, make_client) -> None:
    """Through the real model and the real rules: a figure far from every stored one is a number conflict."""
    with make_client(real_encoder) as client:
        for path in seed_files()[:4]:
            ingest(client, path.read_text(encoding="utf-8"))
        body = client.post(
            "/claims/match", json={"text": "North Korea sent only 500 soldiers to Russia", "k": 5, "per_source": True}
        ).json()
        assert body["sources"] == body["independent_sources"] == len(body["matches"]) == 4
        numbers = [s for m in body["matches"] if m["relation"] == "conflict" for s in m["signals"]]
        assert any(s["kind"] == "number" and "500" in (s["query_value"] or "") for s in numbers), body["matches"]
        # A conflict has at least one contradicting signal; a "same" match has none.
        for m in body["matches"]:
            contradicts = any(s["conflicting"] for s in m["signals"])
            assert contradicts if m["relation"] == "conflict" else not (m["relation"] == "same" and contradicts), m
        for m in body["matches"]:
            assert all(set(s) == SIGNAL_KEYS and s["explanation"] for s in m["signals"])


# --- the cross-reference report -----------------------------------------------------------------------------


def test_report_counts_independent_sources_and_locates_claims(make_client, fake_relations: FakeRelations) -> None:
    with make_client(HashingEncoder()) as client:
        a, b, c, local, trade, other = (ingest(client, t) for t in (COPY_A, COPY_B, COPY_C, LOCAL, TRADE, OTHER_FIGURE))
        texts = {s["id"]: client.get(f"/sources/{s['id']}").json()["text"] for s in (a, b, c, local, trade, other)}
        body = client.get(f"/sources/{trade['id']}/cross-references", params={"k": 5}).json()
        assert body["source"]["id"] == trade["id"] and body["copies"] == [] and body["copy_group"] == trade["id"]
        first = body["claims"][0]
        assert "three weeks" in first["claim"]["text"]
        found = entries(first)
        # The three reprints are one entry, the other two listed as its copies.
        wire = [e for e in found if e["copy_group"] == a["id"]]
        assert len(wire) == 1 and len(wire[0]["copies"]) == 2
        assert {wire[0]["source"]["id"], *(s["id"] for s in wire[0]["copies"])} == {a["id"], b["id"], c["id"]}
        assert len({e["copy_group"] for e in found}) == len(found) <= 5
        conflict = next(e for e in first["conflicting"] if e["source"]["id"] == other["id"])
        assert conflict["signals"][0]["match_value"] == "four weeks"
        for item in body["claims"]:
            same = item["corroborating"]
            assert item["independent_sources"] == len(same)
            assert item["sources"] == len(same) + sum(len(e["copies"]) for e in same)
            assert item["single_source"] == (not same)
            for e in entries(item):
                # outlet, date, URL and the span of the matched claim in its own source
                assert e["source"]["outlet"] and e["source"]["url"] and e["source"]["published_at"]
                assert texts[e["source"]["id"]][e["claim"]["start"] : e["claim"]["end"]] == e["claim"]["text"]
                assert e["source"]["id"] != trade["id"]
        summary = body["summary"]
        assert summary["claims"] == len(body["claims"])
        assert summary["single_source"] == sum(item["single_source"] for item in body["claims"])
        assert summary["corroborated"] + summary["single_source"] == summary["claims"]
        assert summary["independent_sources"] <= summary["sources"]

        # A reprint's own report names its copies and never matches them.
        of_copy = client.get(f"/sources/{b['id']}/cross-references", params={"k": 5}).json()
        assert {s["id"] for s in of_copy["copies"]} == {a["id"], c["id"]}
        assert all(
            e["source"]["id"] not in (a["id"], b["id"], c["id"]) for item in of_copy["claims"] for e in entries(item)
        )
        # k bounds the independent sources per claim; the stored vectors are used (nothing is encoded).
        encoded = client.app.state.encoder.queries_encoded  # type: ignore[attr-defined]
        one = client.get(f"/sources/{trade['id']}/cross-references", params={"k": 1}).json()
        assert all(len(entries(item)) <= 1 for item in one["claims"])
        assert client.app.state.encoder.queries_encoded == encoded  # type: ignore[attr-defined]
        assert client.get(f"/sources/{trade['id']}/cross-references", params={"k": 0}).status_code == 422


def test_a_claim_nobody_else_carries_is_single_source(make_client) -> None:
    with make_client(HashingEncoder()) as client:
        lonely = ingest(
            client,
            "The Velmont glassworks will reopen its furnace in September after a two-year pause, its owner said.",
        )
        ingest(client, TRADE)
        body = client.get(f"/sources/{lonely['id']}/cross-references").json()
        [item] = body["claims"]
        assert item["single_source"] and item["corroborating"] == [] and item["independent_sources"] == 0
        assert body["summary"]["single_source"] == 1


def test_a_transcript_line_is_matched_in_the_light_of_the_lines_around_it(make_client) -> None:
    # Two transcripts end with the same line, "that bill"; the line before says which bill. With a context window
    # the report reads the last line in its light; without one both read it alike.
    last = "That bill hurt them, the senator said."
    farm_talk = "We talked to growers in the Orsk valley about the farm bill and their land tax on Monday."
    fuel_talk = "We talked to lorry drivers at the Velmora depot about the transport bill and fuel duty on Monday."
    farm = "The farm bill cut the land tax for growers in the Orsk valley by a third, the ministry said."
    fuel = "The transport bill raised the fuel duty for lorry drivers at the Velmora depot, the union said."
    with make_client(HashingEncoder()) as client:
        ingest(client, farm)
        ingest(client, fuel)
        speeches = [ingest(client, f"{talk}\n\n{last}") for talk in (farm_talk, fuel_talk)]

        def best_for_last_line(speech: dict, **params: object) -> str:
            body = client.get(f"/sources/{speech['id']}/cross-references", params={"k": 3, **params})
            assert body.status_code == 200, body.text
            item = body.json()["claims"][-1]
            assert item["claim"]["text"] == last
            found = [m for m in entries(item) if m["source"]["id"] not in {s["id"] for s in speeches}]
            return max(found, key=lambda m: m["score"])["claim"]["text"]

        alone = {best_for_last_line(speech) for speech in speeches}
        assert len(alone) == 1
        in_context = [best_for_last_line(speech, context_window=1) for speech in speeches]
        assert in_context == [farm, fuel]
        too_wide = client.get(f"/sources/{speeches[0]['id']}/cross-references", params={"context_window": 11})
        assert too_wide.status_code == 422


def _sample_report() -> CrossReferenceReport:
    def brief(i: int, outlet: str) -> SourceBrief:
        return SourceBrief(
            id=i,
            title=None,
            outlet=outlet,
            url=f"https://{outlet.lower()}.example/{i}",
            published_at=dt.date(2025, 5, i),
        )

    def claim(i: int, source: int, text: str) -> ClaimPublic:
        return ClaimPublic(
            id=i,
            source_id=source,
            text=text,
            start=10 * i,
            end=10 * i + len(text),
            position=0,
            speaker=None,
            context_text=None,
            checkworthiness=0.9,
        )

    long_text = "The ferry will stay in dry dock for at least three weeks while engineers assess the damage " * 5
    same = ReportMatch(
        claim=claim(2, 2, long_text),
        source=brief(2, "Gazette"),
        similarity=0.93,
        relation="same",
        signals=[],
        copy_group=2,
        copies=[brief(3, "Radio"), brief(4, "Daily")],
    )
    conflict = ReportMatch(
        claim=claim(5, 5, "Repairs will take four weeks."),
        source=brief(5, "Bulletin"),
        similarity=0.81,
        relation="conflict",
        copy_group=5,
        copies=[],
        signals=[SignalPublic(kind="number", query_value="three weeks", match_value="four weeks", explanation="x")],
    )
    items = [
        ClaimCrossReference(
            claim=claim(1, 1, "Repairs will take three weeks."),
            single_source=False,
            sources=3,
            independent_sources=1,
            corroborating=[same],
            conflicting=[conflict],
            related=[],
        ),
        ClaimCrossReference(
            claim=claim(7, 1, "A lonely claim."),
            single_source=True,
            sources=0,
            independent_sources=0,
            corroborating=[],
            conflicting=[],
            related=[],
        ),
    ]
    summary = ReportSummary(claims=2, corroborated=1, conflicting=1, single_source=1, sources=3, independent_sources=1)
    return CrossReferenceReport(
        source=brief(1, "Maritime"), copy_group=1, copies=[brief(9, "Mirror")], summary=summary, claims=items
    )


@pytest.mark.parametrize("width", [100, 80])
def test_terminal_table(width: int) -> None:
    text = report.render_text(_sample_report(), width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "Mirror" in text and "not counted" in text  # the article's own copies
    flat = " ".join(text.split())
    assert "corroborated by 1 independent source (3 counting copies), 1 conflicting" in flat
    assert "SINGLE SOURCE" in text and "(no matching claim in other sources)" in text
    conflict = next(i for i, line in enumerate(lines) if line.lstrip().startswith("CONFLICT"))
    assert "Bulletin" in lines[conflict] and "2025-05-05" in lines[conflict] and "50-79" in lines[conflict]
    assert any("number: three weeks vs four weeks" in line for line in lines[conflict:])
    assert "https://bulletin.example/5" in text
    same = next(line for line in lines if line.lstrip().startswith("same"))
    assert "Gazette (+2 copies)" in same
    assert "also carried by: Radio; Daily" in text
    # Wrapped, never cut: every word of the long claim is there, and a URL wider than the table stays whole.
    assert "…" not in text
    long_claim = next(m for i in _sample_report().claims for m in i.corroborating).claim.text
    assert " ".join(long_claim.split()) in flat


def test_terminal_table_keeps_long_urls_and_explanations_whole() -> None:
    sample = _sample_report()
    url = "https://bulletin.example/" + "a-very-long-path-segment-" * 6 + "end"
    explanation = "numbers differ: " + " ".join(f"word{i}" for i in range(40))
    conflict = sample.claims[0].conflicting[0]
    changed = conflict.model_copy(
        update={
            "source": conflict.source.model_copy(update={"url": url}),
            "signals": [conflict.signals[0].model_copy(update={"explanation": explanation})],
        }
    )
    first = sample.claims[0].model_copy(update={"conflicting": [changed]})
    text = report.render_text(sample.model_copy(update={"claims": [first, *sample.claims[1:]]}), width=80)
    lines = text.splitlines()
    assert any(line.strip().removeprefix("- ") == url for line in lines)  # on a line of its own, unbroken
    assert explanation in " ".join(text.split()) and "…" not in text
    assert all(len(line) <= 80 for line in lines if url not in line)


def test_report_cli(cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    monkeypatch.setenv("CROSSCHECK_MULTILINGUAL", "false")  # the report needs no second encoder
    get_settings.cache_clear()
    folder = cli_env / "articles"
    folder.mkdir()
    for name, text in {"a": COPY_A, "b": COPY_B, "local": LOCAL, "trade": TRADE}.items():
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    assert cli.main(["ingest", "-q", str(folder)]) == 0
    capsys.readouterr()

    url = "https://maritimereview.example/marta-linn"
    assert cli.main(["report", url, "-k", "3"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("Cross-references of source ") and "Marta Linn Out for Three Weeks" in table
    assert max(len(line) for line in table.splitlines()) <= 100
    assert "brevikgazette.example (+1 copies)" in table  # the two reprints: one source
    assert cli.main(["report", url, "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["source"]["url"] == url and len(body["claims"]) == body["summary"]["claims"] == 3
    assert cli.main(["report", str(body["source"]["id"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == body

    assert cli.main(["report", "999"]) == 1
    assert "no source with id 999" in capsys.readouterr().err
    assert cli.main(["report", "https://nowhere.example/x"]) == 1
    assert "no source with URL" in capsys.readouterr().err
    assert cli.main(["report", "1", "-k", "0"]) == 2
    assert cli.main(["report", "1", "--context-window", "11"]) == 2
    assert "--context-window must be between 0 and 10" in capsys.readouterr().err
    assert cli.main(["report", url, "--json", "--context-window", "2"]) == 0
    in_context = json.loads(capsys.readouterr().out)
    assert [c["claim"]["id"] for c in in_context["claims"]] == [c["claim"]["id"] for c in body["claims"]]
    assert cli.main(["report", "1", "--cohesion", "1.5"]) == 2
    assert "--cohesion must be between 0 and 1" in capsys.readouterr().err
    assert cli.main(["report", url, "--json", "--cohesion", "0.1"]) == 0
    together = json.loads(capsys.readouterr().out)
    assert [c["claim"]["id"] for c in together["claims"]] == [c["claim"]["id"] for c in body["claims"]]
    scores = [m["score"] for c in together["claims"] for m in c["corroborating"] + c["conflicting"] + c["related"]]
    assert scores and all(0.0 <= s <= 1.0 for s in scores)


# --- the seeds demo -----------------------------------------------------------------------------------------

TROOP_FIGURES = {"10,000", "11,000", "12,000", "14,000"}


def _figures(values: Sequence[str | None]) -> set[str]:
    return {n for v in values if v for n in re.findall(r"\d{1,3}(?:,\d{3})+", v)}


def test_seeds_report_shows_number_and_denial_conflicts(real_encoder, make_client) -> None:
    """Issue 5's demo, as issue 13 reads figures: "more than 10,000" is met by 11,000 / 12,000 / 14,000 (shown, not a
    conflict), while two exact counts disagree; the Kursk claim is never "same" as Kyiv's denial."""
    with make_client(real_encoder) as client:
        ids = {path.name[:3]: ingest(client, path.read_text(encoding="utf-8"))["id"] for path in seed_files()}

        # The wire's troop claim ("more than 10,000") against the other outlets' 11,000 / 12,000 / 14,000: each
        # figure meets the bound, so it is quoted in a signal that does not contradict.
        wire = client.get(f"/sources/{ids['001']}/cross-references", params={"k": 8}).json()
        [troops] = [item for item in wire["claims"] if "more than 10,000" in item["claim"]["text"]]
        numbers = [s for e in entries(troops) for s in e["signals"] if s["kind"] == "number"]
        quoted = _figures([s["query_value"] for s in numbers] + [s["match_value"] for s in numbers])
        # (The 14,000 of the later analysis, with reinforcements and another date, is a related count.)
        assert quoted >= TROOP_FIGURES - {"14,000"}, (quoted, [e["claim"]["text"] for e in entries(troops)])
        assert not [s for s in numbers if s["conflicting"]], numbers

        liberated = client.get(f"/sources/{ids['006']}/cross-references", params={"k": 8}).json()
        [driven_out] = [
            item for item in liberated["claims"] if "driven out of the Kursk region" in item["claim"]["text"]
        ]
        denials = [e for e in entries(driven_out) if e["source"]["id"] == ids["005"]]
        assert denials and all(e["relation"] != "same" for e in denials), [
            (e["relation"], e["source"]["id"], e["claim"]["text"]) for e in entries(driven_out)
        ]


# Two reports of one (made-up) event in two languages, and an unrelated one: the report finds the other language.
DAM_EN = (
    "Velmora Dam Crack Forces Evacuation\n\n"
    "Fire crews in Velmora evacuated 2,300 residents on Tuesday after a crack opened in the dam at Lake Orsk, the "
    "regional governor said.\n\n"
    "Engineers were pumping water out of the reservoir to lower the pressure on the wall, officials added."
)
DAM_DE = (
    "Riss im Staudamm von Velmora\n\n"
    "Die Feuerwehr in Velmora hat am Dienstag 2.300 Einwohner in Sicherheit gebracht, nachdem sich im Damm am "
    "Orsk-See ein Riss geöffnet hatte, sagte der Gouverneur der Region.\n\n"
    "Ingenieure pumpten Wasser aus dem Stausee, um den Druck auf die Mauer zu senken."
)
# The same kind of news in English about another dam and town: MiniLM alone ranks these first.
OTHER_DAM = (
    "Brenn Dam Inspected After Rain\n\n"
    "Engineers inspected the dam at Lake Brenn on Tuesday after heavy rain, and the regional governor said no "
    "residents needed to be evacuated.\n\n"
    "Fire crews in Brenn stayed on alert while water was released from the reservoir to ease the pressure."
)
FOOTBALL = (
    "Harbour City Wins the Cup\n\n"
    "Harbour City beat Northgate 3-1 in the cup final on Saturday, with two late goals from their captain.\n\n"
    "The club's coach said the players had earned a week of rest before the league resumes."
)


def test_report_finds_the_other_language_through_the_match_path(real_encoder, use_encoder, make_client) -> None:
    """Each claim is matched as POST /claims/match would (both encoders, the verifier's score) from its stored
    vectors: the German report of the same evacuation comes back for the English article, nothing is encoded."""
    with make_client(real_encoder, extra_encoders={USE_KEY: use_encoder}) as client:
        en, de, _, football = (ingest(client, t) for t in (DAM_EN, DAM_DE, OTHER_DAM, FOOTBALL))
        encoded = (real_encoder.queries_encoded, use_encoder.queries_encoded)
        body = client.get(f"/sources/{en['id']}/cross-references", params={"k": 1}).json()
        assert (real_encoder.queries_encoded, use_encoder.queries_encoded) == encoded
        [evacuation] = [item for item in body["claims"] if "2,300" in item["claim"]["text"]]
        found = entries(evacuation)
        assert found and found[0]["source"]["id"] == de["id"], [(e["source"]["id"], e["score"]) for e in found]
        assert "2.300" in found[0]["claim"]["text"]
        # The score is the match path's: in [0, 1], and what POST /claims/match gives the same pair.
        match = client.post(
            "/claims/match", json={"text": evacuation["claim"]["context_text"] or evacuation["claim"]["text"], "k": 3}
        ).json()["matches"]
        same_claim = next(m for m in match if m["claim"]["id"] == found[0]["claim"]["id"])
        assert found[0]["score"] == pytest.approx(same_claim["score"], abs=0.02)
        assert all(0.0 <= e["score"] <= 1.0 for item in body["claims"] for e in entries(item))
        assert all(e["source"]["id"] != football["id"] or e["relation"] == "related" for e in found)


def test_cohesion_lifts_the_source_a_transcripts_other_lines_match(real_encoder, make_client) -> None:
    # The second line alone ("It will also double ...") is closest to the mayor's sentence of the same shape; the
    # first line is sure of the dam report, which the second line also matches: with cohesion the report reads the
    # second line as that report's point too.
    first = "The Orsk dam plan will flood forty farms in the valley, the senator said."
    second = "It will also double the water tax, the senator said."
    dam = "The Orsk dam plan floods forty valley farms and doubles the water tax."
    mayor = "It will also double the bus fares, the mayor said."
    with make_client(real_encoder) as client:
        ingest(client, dam)
        ingest(client, mayor)
        speech = ingest(client, f"{first}\n\n{second}")

        def second_line(**params: object) -> list[dict]:
            body = client.get(f"/sources/{speech['id']}/cross-references", params={"k": 3, **params})
            assert body.status_code == 200, body.text
            item = body.json()["claims"][-1]
            assert item["claim"]["text"] == second
            return sorted(entries(item), key=lambda m: -m["score"])

        alone, together = second_line(), second_line(cohesion=1.0)
        assert [m["claim"]["text"] for m in alone] == [mayor, dam]
        assert [m["claim"]["text"] for m in together] == [dam, mayor]
        # The dam report gains what the first line gives it; the mayor's sentence, barely matched there, keeps
        # its score.
        assert together[0]["score"] - alone[1]["score"] > 0.3
        assert together[1]["score"] == pytest.approx(alone[0]["score"], abs=0.001)
        for bad in (-0.5, 2, "some"):
            refused = client.get(f"/sources/{speech['id']}/cross-references", params={"cohesion": bad})
            assert refused.status_code == 422 and "cohesion" in refused.text
