"""Countries: the one gazetteer of the service (extraction's country mentions, the relations engine's entity
swaps), read from ``service/data/countries.txt``: a name per line, then its other names, demonyms, capitals and
metonyms in the languages news comes in."""

from __future__ import annotations

from pathlib import Path
from typing import Final

COUNTRIES_PATH: Final = Path(__file__).resolve().parents[1] / "data" / "countries.txt"


def _read(path: Path) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            names = tuple(dict.fromkeys(part.strip() for part in line.split("|") if part.strip()))
            table[names[0]] = names
    return table


# name -> every way of writing it (the name first), case as written.
COUNTRIES: Final[dict[str, tuple[str, ...]]] = _read(COUNTRIES_PATH)
