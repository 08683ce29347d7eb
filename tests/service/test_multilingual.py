# ruff: noqa: RUF001
"""Cross-lingual matching: anchors, language detection, weighting, and the multilingual index end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session, select

from service import store, vectors
from service.config import Settings
from service.db import make_engine
from service.models import ClaimVector, Watch
from service.multilingual import (
    USE_KEY,
    anchor_agreement,
    anchors,
    crosslingual_scores,
    language_slots,
    pair_scores,
)
from service.reindex import reindex
from service.text.language import CLAIM_LANGUAGES as LANGUAGES
from service.text.language import claim_language as detect_language
from tests.helpers import REPO, HashingEncoder

SET = REPO / "tests" / "data" / "crosslingual" / "claims.jsonl"


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (
            [
                "10,000 soldiers",
                "10 000 солдат",
                "10.000 Soldaten",
                "병력 1만 명",
                "dix mille: 10 000",
                "兵士1万人",
                "死者10000人",
            ],
            {"10000"},
        ),
        (["411,000 barrels", "41만1천 배럴", "411 000 баррелей"], {"411000"}),
        (
            [
                "1.8 billion euros",
                "1,8 млрд евро",
                "18억 유로",
                "1,8 Milliarden Euro",
                "1,8 milliard",
                "1,8 مليار يورو",
            ],
            {"1800000000"},
        ),
        (["a rate of 4.25%", "ставка 4,25%", "4,25 Prozent"], {"4.25"}),
        (
            ["on 26 April 2025", "26 апреля 2025 года", "2025년 4월 26일", "le 26 avril 2025", "am 26. April 2025"],
            {"2025", "month:4", "date:4-26"},
        ),
        (["in May", "в мае", "5월", "im Mai", "en mai", "في مايو"], {"month:5"}),
        # The day after the month, as English writes it, is the same date as the day before it; a time is no figure.
        (
            [
                "on December 26, 2019",
                "Dec. 26, 2019 at 3:36 PM",
                "26 декабря 2019 г.",
                "2019년 12월 26일 10:30",
                "في 26 ديسمبر 2019",
                "2019年12月26日",
            ],
            {"2019", "month:12", "date:12-26"},
        ),
        (["In May 12 million people voted", "в мае 12 миллионов"], {"month:5", "12000000"}),
        # Ordinary words are not months, and small numbers are too often spelt out to anchor anything.
        (["Maia Sandu may win", "Майя Санду", "the march on Mars", "4 people, 3 times", "مارس الرياضة"], set()),
    ],
)
def test_anchors_are_language_independent(texts: list[str], expected: set[str]) -> None:
    for text in texts:
        assert anchors(text) == expected, text


def test_anchor_agreement() -> None:
    a = anchors("more than 10,000 soldiers in 2024")
    assert anchor_agreement(a, anchors("1만 명 이상, 2024년")) == 1.0
    assert anchor_agreement(a, anchors("about 3,000 soldiers in 2024")) == pytest.approx(1 / 3)
    assert anchor_agreement(a, anchors("no figures here")) == 0.0
    # Weighted: a year or a month (every report of that month states it) counts `weak` against a figure's 1.
    assert anchor_agreement(a, anchors("about 3,000 soldiers in 2024"), weak=0.0) == 0.0
    assert anchor_agreement(a, anchors("10 000 военных"), weak=0.0) == 1.0
    assert anchor_agreement(a, anchors("10 000 военных"), weak=0.5) == pytest.approx(1 / 1.5)


def test_a_shared_year_or_month_alone_does_not_lift_another_language() -> None:
    # A Russian post, signed with its date, against English fact-checks: the one that states the post's figure comes
    # first; one that shares only the year and the month does not pass the closest in meaning.
    query = "Власти заявили, что на митинг пришли 15 000 человек. — Имя (@handle) декабря 26, 2019"
    texts = [
        "Officials said 15,000 people attended the rally.",
        "A photo shows a crowd in December 2019.",
        "Officials said a large crowd attended the rally.",
    ]
    scores = pair_scores(
        query_text=query,
        candidate_texts=texts,
        minilm=np.zeros(3),
        use=np.array([0.45, 0.50, 0.55]),
        candidate_languages=["en"] * 3,
    )
    assert list(np.argsort(-scores)) == [0, 2, 1]


def test_language_detection() -> None:
    assert detect_language("North Korea sent more than 10,000 soldiers to Kursk.") == "en"
    assert detect_language("Северная Корея направила более 10 000 военных.") == "ru"
    assert detect_language("Північна Корея направила понад 10 000 військових.") == "uk"
    assert detect_language("북한은 1만 명이 넘는 병력을 보냈다.") == "ko"
    assert detect_language("La Corée du Nord a envoyé plus de 10 000 soldats.") == "fr"
    assert detect_language("Nordkorea hat mehr als 10.000 Soldaten geschickt.") == "de"
    assert set(LANGUAGES) >= {"en", "ru", "uk", "ko", "fr", "de"}


def test_same_language_candidates_keep_the_pipeline_order() -> None:
    texts = [
        "The senate passed the budget 51 to 49.",  # English, pipeline's second
        "Le Sénat a adopté le budget par 51 voix contre 49.",  # French translation
        "The senate rejected the budget 47 to 53.",  # English, pipeline's first
    ]
    base = np.array([0.5, 0.0, 0.9])
    scores, pair = crosslingual_scores(
        query_text="The senate passed the budget bill 51 to 49.",
        candidate_texts=texts,
        base=base,
        minilm=np.array([0.9, 0.3, 0.8]),
        use=np.array([0.9, 0.85, 0.7]),
    )
    # English order is the pipeline's (2 before 0) whatever the pair scores say ...
    assert scores[2] > scores[0]
    # ... and the translation, which shares the figures, lands among them on its own pair score.
    assert scores[1] == pair[1] > scores[0]
    # A pool all in the query's language keeps the pipeline's scores untouched.
    english_only, no_pair = crosslingual_scores(
        query_text="The senate passed the budget bill 51 to 49.",
        candidate_texts=[texts[0], texts[2]],
        base=base[[0, 2]],
        minilm=np.array([0.9, 0.8]),
        use=np.array([0.9, 0.7]),
    )
    np.testing.assert_array_equal(english_only, base[[0, 2]])
    assert no_pair is None  # nothing to place: the pair scores are not computed


def test_the_first_five_hold_a_source_in_another_language_and_one_in_the_querys() -> None:
    # An English query whose first five sources are all English: the best other-language source (row 7; row 6 is
    # another claim of a source already listed) takes the fifth place, the rows between keep their order.
    languages = ["en", "en", "en", "en", "en", "en", "en", "de", "fr"]
    groups = [0, 1, 2, 3, 4, 5, 2, 6, 7]
    order = language_slots(range(9), languages, "en", groups)
    assert order.tolist() == [0, 1, 2, 3, 7, 4, 5, 6, 8]
    # One of the five is in another language already: nothing moves.
    mixed = ["en", "en", "ru", "en", "en", "en", "de", "en", "en"]
    assert language_slots(range(9), mixed, "en", range(9)).tolist() == list(range(9))
    # An English query is not given an English source it lacks ...
    foreign = ["ko", "ja", "ru", "de", "fr", "en", "en"]
    assert language_slots(range(7), foreign, "en", range(7)).tolist() == list(range(7))
    # ... but a Korean query is given its best Korean source in the fourth place, and rows of a group listed already
    # count once.
    assert language_slots(range(7), ["en", "en", "ru", "de", "fr", "ko", "ko"], "ko", range(7)).tolist() == [
        0, 1, 2, 5, 3, 4, 6,
    ]  # fmt: skip
    # ... unless the verifier rates that Korean source below the one whose place it would take; a source in another
    # language moves up whatever the verifier says of it.
    korean = ["en", "en", "ru", "de", "fr", "ko", "ko"]
    unlikely = [0.9, 0.8, 0.7, 0.6, 0.5, 0.1, 0.05]
    assert language_slots(range(7), korean, "ko", range(7), verified=unlikely).tolist() == list(range(7))
    likely = [0.9, 0.8, 0.7, 0.6, 0.5, 0.6, 0.05]
    assert language_slots(range(7), korean, "ko", range(7), verified=likely).tolist() == [0, 1, 2, 5, 3, 4, 6]
    assert language_slots(range(9), languages, "en", groups, verified=[0.9] * 7 + [0.0, 0.0]).tolist()[4] == 7
    # A Korean query whose five are all Korean is given its best source in another language in the fifth place.
    assert language_slots(range(7), ["ko"] * 6 + ["en"], "ko", range(7)).tolist() == [0, 1, 2, 3, 6, 4, 5]
    # Fewer than five sources: the order stands.
    assert language_slots(range(3), ["en", "en", "en"], "ko", range(3)).tolist() == [0, 1, 2]


def test_test_set_format() -> None:
    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines()]
    claims = [r for r in rows if r["kind"] == "claim"]
    distractors = [r for r in rows if r["kind"] == "distractor"]
    assert len(claims) >= 60 and len(distractors) >= 40
    ids = {r["id"] for r in rows}
    assert len(ids) == len(rows)
    for claim in claims:
        assert set(claim["texts"]) == {"en", "ru", "uk", "ko", "fr", "de"}, claim["id"]
        # Faithful translations state the same figures and dates.
        assert len({anchors(t) for t in claim["texts"].values()}) == 1, claim["id"]
    for distractor in distractors:
        assert distractor["near"] in ids and len(distractor["texts"]) >= 2


ARTICLES = {
    "en": "North Korea has sent more than 10,000 soldiers to fight in the Kursk region, Seoul said on Monday.",
    "ru": "Сеул заявил, что Северная Корея направила более 10 000 военнослужащих для участия в боях в Курской области.",
    "ko": "한국 정부는 북한이 쿠르스크 지역 전투에 1만 명이 넘는 병력을 보냈다고 밝혔다.",
    "other": "The Estmark central bank held its key interest rate at 4.25% for a third meeting in a row.",
    "other-ru": "Центральный банк Эстмарка снизил ключевую ставку до 4%.",
}


def _match(client, text: str, **body) -> list[dict]:
    response = client.post("/claims/match", json={"text": text, **body})
    assert response.status_code == 200, response.text
    return response.json()["matches"]


def test_cross_lingual_end_to_end(real_encoder, use_encoder, make_client, tmp_path: Path) -> None:
    """Real MiniLM + real USE + FAISS + SQLite: ingest in three languages, match across them, restart, repair."""
    data_dir = tmp_path / "data"
    extras = {USE_KEY: use_encoder}
    with make_client(real_encoder, data_dir=data_dir, extra_encoders=extras) as client:
        ids = {}
        for name, text in ARTICLES.items():
            response = client.post("/sources", json={"text": text, "outlet": name})
            assert response.status_code == 201, response.text
            ids[name] = response.json()["id"]
        runtime = client.app.state.runtime
        assert len(runtime.extras[USE_KEY].index) == len(runtime.index) == len(ARTICLES)
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["indexes"] == {USE_KEY: len(ARTICLES)}
        assert health["encoders"] == {USE_KEY: str(use_encoder.model_id)}

        matches = _match(client, ARTICLES["en"], k=3, exclude_source_ids=[ids["en"]])
        assert {m["claim"]["source_id"] for m in matches[:2]} == {ids["ru"], ids["ko"]}
        assert "crosslingual" in matches[0]["scores"]
        top = _match(client, ARTICLES["ko"], k=1, exclude_source_ids=[ids["ko"]])[0]
        assert top["claim"]["source_id"] in {ids["en"], ids["ru"]}

        assert client.delete(f"/sources/{ids['ru']}").status_code == 204
        assert len(runtime.extras[USE_KEY].index) == len(ARTICLES) - 1
        with Session(runtime.engine) as session:
            rows = session.exec(select(ClaimVector)).all()
            assert len(rows) == len(ARTICLES) - 1 and {r.encoder for r in rows} == {USE_KEY}
            assert vectors.recorded_encoders(session=session) == {USE_KEY: str(use_encoder.model_id)}
        before = _match(client, ARTICLES["en"], k=3)

    # The USE index file deleted: rebuilt from the stored vectors at start-up, nothing re-encoded.
    encoded = use_encoder.documents_encoded
    (data_dir / "index" / "claims.use.faiss").unlink()
    with make_client(real_encoder, data_dir=data_dir, extra_encoders=extras) as client:
        assert client.app.state.runtime.extras[USE_KEY].report.state == "rebuilt"
        assert _match(client, ARTICLES["en"], k=3) == before
    assert use_encoder.documents_encoded == encoded


def test_reindex_encodes_what_the_multilingual_encoder_missed(use_encoder, make_client, tmp_path: Path) -> None:
    """Claims stored while the encoder was disabled get their vectors from `crosscheck reindex`, no others."""
    data_dir = tmp_path / "data"
    fake = HashingEncoder()
    with make_client(fake, data_dir=data_dir) as client:  # multilingual off
        client.post("/sources", json={"text": ARTICLES["en"]})
        client.post("/sources", json={"text": ARTICLES["other"]})
    with make_client(fake, data_dir=data_dir, extra_encoders={USE_KEY: use_encoder}) as client:
        extra = client.app.state.runtime.extras[USE_KEY]
        assert extra.missing == 2 and len(extra.index) == 0
        assert client.get("/health").json()["status"] == "degraded"  # until reindex encodes them
        client.post("/sources", json={"text": ARTICLES["ko"]})  # encoded at ingest
        # A text watch made while the encoder was off has no multilingual vector: another language cannot reach it.
        with Session(client.app.state.runtime.engine) as session:
            watch = Watch(
                text="The plant will reopen next week.",
                context=json.dumps(["Workers struck for a month."]),
                callback_url="https://desk.example/hook",
                secret="whsec_dGVzdA==",
                embedding=store.vector_to_bytes(fake.encode_queries(["The plant will reopen next week."])[0]),
            )
            session.add(watch)
            session.commit()
            watch_id = watch.id
    settings = Settings(data_dir=data_dir, multilingual=True)
    report = reindex(settings, encoder=fake, extra_encoders={USE_KEY: use_encoder})
    assert report["encoders"][USE_KEY] == {
        "model": str(use_encoder.model_id),
        "index_size": 3,
        "encoded": 2,
        "checkworthiness_rescored": 0,  # the two English articles keep theirs; the Korean one was scored at ingest
    }
    assert report["watch_vectors"] == 1  # the watch's USE vector, read with its context like at creation
    again = reindex(settings, encoder=fake, extra_encoders={USE_KEY: use_encoder})
    assert again["encoders"][USE_KEY]["encoded"] == 0 and again["watch_vectors"] == 0
    engine = make_engine(settings)
    with Session(engine) as session:
        stored = session.get(Watch, watch_id)
        assert stored is not None and stored.embedding_use is not None
        plain = use_encoder.encode_queries(["The plant will reopen next week."])[0]
        read = np.frombuffer(stored.embedding_use, dtype="<f4")
        assert read.shape == plain.shape and 0.5 < float(read @ plain) < 0.9999  # the context moved it
    engine.dispose()
    # A re-encoding reindex writes both of the watch's vectors anew.
    assert reindex(settings, reencode=True, encoder=fake, extra_encoders={USE_KEY: use_encoder})["watch_vectors"] == 2
    with make_client(fake, data_dir=data_dir, extra_encoders={USE_KEY: use_encoder}) as client:
        extra = client.app.state.runtime.extras[USE_KEY]
        assert extra.missing == 0 and len(extra.index) == 3 and extra.report.state == "loaded"


PLACES_ENGLISH = [
    "The Norvale ferry capsized on Monday with 212 passengers aboard, the coast guard said.",
    "Rescuers pulled 180 survivors from the water after the Norvale ferry capsized, officials said.",
    "The Norvale ferry operator said the vessel had passed a safety inspection in March.",
    "Divers recovered 14 bodies from the hull of the Norvale ferry on Tuesday, the coast guard said.",
    "The Norvale port authority suspended all ferry crossings after the capsizing, a spokesman said.",
    "Families gathered at the Norvale terminal waiting for news of the ferry passengers, witnesses said.",
]
PLACES_FRENCH = "Le gouvernement a annoncé un deuil national de trois jours dans tout le pays."


def test_the_first_five_hold_another_language_unless_cut_at_a_min_score(
    real_encoder, use_encoder, make_client, tmp_path: Path
) -> None:
    """Real encoders and the shipped calibration: a weak French source takes the fifth place of a default answer; an
    answer cut at a min_score keeps the ranking's order. Either way the score falls with rank."""
    with make_client(real_encoder, data_dir=tmp_path / "data", extra_encoders={USE_KEY: use_encoder}) as client:
        for n, text in enumerate([*PLACES_ENGLISH, PLACES_FRENCH]):
            response = client.post("/sources", json={"text": text, "outlet": f"outlet{n}.example"})
            assert response.status_code == 201, response.text
        query = "The Norvale ferry capsized with 212 passengers on board."
        plain = _match(client, query, k=7)
        cut = _match(client, query, k=7, min_score=0.0)
        for answer in (plain, cut):
            scores = [m["score"] for m in answer]
            assert scores == sorted(scores, reverse=True)
        french = [m["claim"]["text"] == PLACES_FRENCH for m in plain]
        assert french.index(True) == 4
        assert True not in [m["claim"]["text"] == PLACES_FRENCH for m in cut[:5]]
