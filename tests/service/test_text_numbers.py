"""service/text/numbers.py: one reading of digit groups and of Korean myriad numbers, for relations and anchors."""

from __future__ import annotations

import pytest

from service.multilingual import anchors
from service.relations.numbers import find_numbers
from service.text.numbers import KOREAN_NUMBER, korean_number, plain_number


@pytest.mark.parametrize(
    ("token", "value"),
    [("10,000", 10_000), ("10.000", 10_000), ("10 000", 10_000), ("4,25", 4.25), ("1.5", 1.5), ("x", None)],
)
def test_plain_numbers(token: str, value: float | None) -> None:
    assert plain_number(token) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("1만 명", 10_000), ("41만1천 명", 411_000), ("18억 달러", 1.8e9), ("1만 2천 명", 12_000), ("3천 명", 3_000)],
)
def test_korean_myriad_numbers_read_alike_everywhere(text: str, value: float) -> None:
    match = KOREAN_NUMBER.search(text)
    assert match is not None and korean_number(match.group(0)) == pytest.approx(value)
    # The relations engine and the cross-lingual anchors read the same figure.
    assert [n.value for n in find_numbers(text, "ko", ())] == [pytest.approx(value)]
    assert any(a.replace(".", "").isdigit() and float(a) == pytest.approx(value) for a in anchors(text))
