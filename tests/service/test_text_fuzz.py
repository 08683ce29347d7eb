# ruff: noqa: RUF001
"""Property tests: reading figures and dates never raises, whatever the text and the claim's language.

A figure reader that raises takes the whole match request down (a 500 for the person asking). Examples are drawn
from number-shaped strings in every notation the readers know (thousands by commas, points or spaces, decimals,
scale words, myriad units, glued to the word before them) and from free text over the same characters.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from service.multilingual import anchors
from service.relations import ClaimFacts, compare
from service.relations.numbers import find_numbers
from service.text.language import CLAIM_LANGUAGES

FIGURE = st.from_regex(
    r"[人はa ]?\d{1,3}([,. \u00a0]\d{3}){0,3}([.,]\d{1,3})?( ?(万|億|亿|千|만|억|천|million|mil|тыс|مليون|%))?"
    r"( ?(人|명|people|دولار|ドル))?",
    fullmatch=True,
)
TEXT = st.text(
    alphabet="0123456789,.:-% \u00a0$€万億亿千百만억천조월일年月日人명ألفمليونдекабряMayDec",
    max_size=48,
)
LANGUAGE = st.sampled_from(CLAIM_LANGUAGES)


@given(figure=FIGURE, before=TEXT, language=LANGUAGE)
@settings(max_examples=400, deadline=None)
def test_figures_are_read_without_raising(figure: str, before: str, language: str) -> None:
    text = f"{before}{figure}"
    for mention in find_numbers(text, language):
        assert mention.low <= mention.value <= mention.high
    assert all(isinstance(a, str) for a in anchors(text))


@given(query=TEXT, match=TEXT, language=LANGUAGE, other=LANGUAGE)
@settings(max_examples=200, deadline=None)
def test_the_relations_engine_answers_any_pair(query: str, match: str, language: str, other: str) -> None:
    verdict = compare(ClaimFacts(text=query, language=language), ClaimFacts(text=match, language=other), similarity=0.5)
    assert verdict.relation in {"same", "conflict", "related"}
