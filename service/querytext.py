"""Clean-up of a pasted social-media post before it is matched.

Tweets pasted into the tool carry links, picture links, ``@``/``#`` markers and a trailing signature
"— Name (@handle) Month D, YYYY". Links carry no meaning for either ranker and are dropped; markers are
reduced to their words (``#AustralianFires`` -> ``Australian Fires``). The signature is *kept*: measured on
CLEF2020 (see BASELINES.md), the author's name is often the only place the matching fact-check's subject
appears in the tweet, so only its link-like parts go.
"""

from __future__ import annotations

import html
import re
from typing import Final

_URL: Final = re.compile(r"(?:https?://|www\.)\S+|\bpic\.twitter\.com/\S+|\b[a-z0-9-]+\.[a-z]{2,}/\S+", re.IGNORECASE)
# A hashtag or mention glued to the previous word ("#DefundTheCBChttps://...") is still a marker.
_MARKER: Final = re.compile(r"(?<![\w&])[#@]([A-Za-z0-9_]+)")
_CAMEL: Final = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_SPACES: Final = re.compile(r"\s+")


def _split_marker(match: re.Match[str]) -> str:
    word = match.group(1).replace("_", " ")
    return _CAMEL.sub(" ", word)


def clean_social_post(text: str) -> str:
    """The post with links removed, ``@``/``#`` markers turned into words, HTML entities decoded.

    Args:
        text: The text as pasted.

    Returns:
        The cleaned text; the original when cleaning would leave nothing.
    """
    cleaned = html.unescape(text)
    cleaned = _URL.sub(" ", cleaned)
    cleaned = _MARKER.sub(_split_marker, cleaned)
    cleaned = _SPACES.sub(" ", cleaned).strip()
    return cleaned or " ".join(text.split())
