"""service/text/months.py: one month table for extraction, relations and the cross-lingual anchors."""

from __future__ import annotations

import datetime
import re

import pytest

from service.extraction import extract
from service.multilingual import anchors
from service.relations.dates import find_dates
from service.text.months import MONTH_PATTERN, month_number


@pytest.mark.parametrize(
    ("word", "number"),
    [("June", 6), ("juin", 6), ("Juni", 6), ("junio", 6), ("giugno", 6), ("junho", 6), ("июня", 6), ("червня", 6),
     ("Sept.", 9), ("décembre", 12), ("грудні", 12), ("листопадом", 11), ("Tuesday", None), ("marzipan", None),
     ("czerwca", 6), ("iunie", 6), ("haziran", 6), ("juni", 6), ("augustus", 8), ("Października", 10),
     ("يونيو", 6), ("حزيران", 6), ("ديسمبر", 12), ("أكتوبر", 10), ("اكتوبر", 10)],
)  # fmt: skip
def test_month_names_in_every_language(word: str, number: int | None) -> None:
    assert month_number(word) == number


def test_every_consumer_reads_the_same_months() -> None:
    # Cross-lingual anchors: a Spanish and a Ukrainian date meet the English one.
    assert "date:10-29" in anchors("La DANA del 29 de octubre dejó 200 muertos")
    assert "date:10-29" in anchors("Повінь 29 жовтня забрала життя 200 людей")
    assert "date:10-29" in anchors("The floods of 29 October killed 200 people")
    # The relations engine: German, Italian and Arabic dates (extraction's old table had none of them).
    for text in (
        "Die Flut vom 6. Juni 2023 zerstörte den Damm.",
        "L'alluvione del 6 giugno 2023 ha distrutto la diga.",
        "دمرت الفيضانات السد في 6 يونيو 2023.",
        "2023年6月6日にダムが決壊した。",
        "2023년 6월 6일 댐이 무너졌다.",
    ):
        dates = find_dates(text, published_at=None, language="de", resolve_relative=False)
        [found] = [d for d in dates if d.kind == "day"]
        assert found.first == found.last == datetime.date(2023, 6, 6).toordinal()
    # Extraction's date lines: a Spanish date line is read as the publication date.
    assert re.fullmatch(MONTH_PATTERN, "Juni", re.IGNORECASE) and re.fullmatch(MONTH_PATTERN, "oct.", re.IGNORECASE)
    article = "# Riadas en Valencia\n\n29 de octubre de 2024\n\nLas lluvias inundaron varios pueblos, dijo el gobierno."
    assert extract(article).meta.published_at == datetime.date(2024, 10, 29)
