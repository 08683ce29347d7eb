"""Word tables of the text vocabulary: each word read whole, or, written with a trailing *, as a beginning that
takes any ending ("погиб*": погиб, погибли, погибших). The relations engine's units and statuses and the scale
words of figures are such tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

__all__ = ["WordTable"]

V = TypeVar("V")


class WordTable(Generic[V]):
    """Words (lower case) and what each stands for; a whole word wins over a beginning, a longer beginning over a
    shorter one."""

    def __init__(self, entries: Iterable[tuple[str, V]]) -> None:
        self.whole: dict[str, V] = {}
        beginnings: list[tuple[str, V]] = []
        for word, value in entries:
            if word.endswith("*"):
                beginnings.append((word[:-1], value))
            else:
                self.whole[word] = value
        self._beginnings = tuple(sorted(beginnings, key=lambda entry: -len(entry[0])))

    def get(self, word: str) -> V | None:
        """What ``word`` (lower case) stands for, or None."""
        found = self.whole.get(word)
        if found is not None:
            return found
        return next((value for beginning, value in self._beginnings if word.startswith(beginning)), None)
