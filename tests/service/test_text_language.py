"""service/text/language.py: the one language detector, and each claim's language stored once at ingest."""

# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from service.db import open_session
from service.models import Claim
from service.text.language import claim_language, detect_language, normalize_language
from tests.helpers import HashingEncoder


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Пожежники загасили пожежу на складі в Києві, повідомила служба.", "uk"),
        ("Пожарные потушили пожар на складе, сообщили в службе спасения.", "ru"),
        ("소방관들이 창고 화재를 진압했다고 당국이 밝혔다.", "ko"),
        ("Die Feuerwehr hat den Brand in der Lagerhalle am Montag gelöscht.", "de"),
        ("Les pompiers ont éteint l'incendie de l'entrepôt lundi matin.", "fr"),
        ("Los bomberos apagaron el incendio del almacén el lunes por la mañana.", "es"),
        ("Firefighters put out the warehouse fire on Monday morning.", "en"),
    ],
)
def test_one_detector_for_articles_and_claims(text: str, expected: str) -> None:
    assert claim_language(text) == expected
    assert detect_language(text) == expected


def test_script_rules_and_fallbacks() -> None:
    # A few Russian-only letters in a mostly Ukrainian text (a quoted name) do not outvote it.
    assert claim_language("Він сказав, що «Объект» захищений і її охороняють чотири інженери.") == "uk"
    assert detect_language("ok") == "en"  # too little text to tell
    assert normalize_language(" en-US ") == "en" and normalize_language("") is None


def test_each_claim_stores_its_articles_language(make_client: Callable[..., Any], tmp_path: Any) -> None:
    article = (
        "Пожарные потушили пожар на складе в пригороде в понедельник, сообщили в службе спасения. "
        "По данным ведомства, огонь охватил 1200 квадратных метров. Пострадавших нет, добавили спасатели."
    )
    with make_client(HashingEncoder(), data_dir=tmp_path / "data") as client:
        stored = client.post("/sources", json={"text": article}).json()
        assert stored["language"] == "ru" and stored["claims"]
        english = client.post(
            "/sources", json={"text": "Firefighters said 1,200 square metres burned.", "language": "en-GB"}
        )
        assert english.status_code == 201
        with open_session(client.app.state.engine) as session:  # type: ignore[attr-defined]
            languages = {c.source_id: c.language for c in session.exec(select(Claim)).all()}
    assert languages == {stored["id"]: "ru", english.json()["id"]: "en"}
