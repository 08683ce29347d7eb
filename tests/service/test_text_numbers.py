"""service/text/numbers.py: one reading of digit groups and of myriad numbers (Korean, Japanese, Chinese), for relations
and anchors."""

# Turkish dotless i in the test texts is deliberate.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest

from service.multilingual import anchors
from service.relations.numbers import find_numbers
from service.text.numbers import MYRIAD_NUMBER, myriad_number, plain_number, scale_value


@pytest.mark.parametrize(
    ("token", "value"),
    [("10,000", 10_000), ("10.000", 10_000), ("10 000", 10_000), ("4,25", 4.25), ("1.5", 1.5), ("x", None)],
)
def test_plain_numbers(token: str, value: float | None) -> None:
    assert plain_number(token) == value


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("1만 명", "ko", 10_000),
        ("41만1천 명", "ko", 411_000),
        ("18억 달러", "ko", 1.8e9),
        ("1만 2천 명", "ko", 12_000),
        ("3천 명", "ko", 3_000),
        ("3천만 달러", "ko", 3e7),
        # Japanese and Chinese: the same units in Han characters, and figures glued to the words before them.
        ("死者は約1万人にのぼる。", "ja", 10_000),
        ("死者は4万5千人を超えた。", "ja", 45_000),
        ("損失は3千万ドルに達した。", "ja", 3e7),
        ("死亡人数超过4.5万人。", "zh", 45_000),
        ("损失达18亿美元。", "zh", 1.8e9),
    ],
)
def test_myriad_numbers_read_alike_everywhere(text: str, language: str, value: float) -> None:
    match = MYRIAD_NUMBER.search(text)
    assert match is not None and myriad_number(match.group(0)) == pytest.approx(value)
    # The relations engine and the cross-lingual anchors read the same figure.
    assert [n.value for n in find_numbers(text, language, ())] == [pytest.approx(value)]
    assert any(a.replace(".", "").isdigit() and float(a) == pytest.approx(value) for a in anchors(text))


def test_one_table_of_scale_words() -> None:
    assert scale_value("million") == scale_value("millionen") == scale_value("миллионов") == 1e6
    assert scale_value("mila") == scale_value("mil") == scale_value("bin") == scale_value("tysięcy") == 1e3
    assert scale_value("milyar") == scale_value("miliardi") == scale_value("مليار") == scale_value("مليارات") == 1e9
    assert scale_value("mile") is None and scale_value("military") is None
    assert scale_value("m") is None and scale_value("m", glued=True) == 1e6  # "5 m" is five metres, "$5m" millions


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The toll passed 45,000.", "en"),
        ("Il bilancio ha superato i 45mila morti.", "it"),
        ("El balance superó los 45 mil muertos.", "es"),
        ("Bilanço 45 bin kişiyi aştı.", "tr"),
        ("تجاوزت الحصيلة 45 ألف قتيل.", "ar"),
    ],
)
def test_the_anchors_and_the_relations_engine_read_one_scale(text: str, language: str) -> None:
    assert anchors(text) == frozenset({"45000"})
    (figure,) = find_numbers(text, language)
    assert figure.value == 45_000


def test_the_rest_after_thousand_is_part_of_the_figure() -> None:
    assert anchors("Deprem 2 bin 946 kişinin ölümüne yol açtı.") == anchors("The quake killed 2,946 people.")


def test_word_tables_read_whole_words_before_beginnings() -> None:
    from service.text.words import WordTable

    table = WordTable([("mil", 1), ("mil*", 2), ("milion*", 3)])
    assert (table.get("mil"), table.get("milk"), table.get("milioni"), table.get("mile")) == (1, 2, 3, 2)
    assert table.get("thousand") is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("1,167,982 voters", "en"),
        ("유권자 1,167,982명", "ko"),
        ("有権者は1,167,982人", "ja"),
        ("选民有1,167,982人", "zh"),
    ],
)
def test_comma_thousands_in_the_languages_that_write_them(text: str, language: str) -> None:
    # Japanese and Chinese write "1,167,982" as English does; read the other way, it was no number and raised.
    assert [n.value for n in find_numbers(text, language, ())] == [1_167_982]
