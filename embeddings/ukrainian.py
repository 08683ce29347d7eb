"""Ukrainian read as Russian, word by word, by Apertium's rule-based ukr-rus pair, for the multilingual encoder.

USE never learnt Ukrainian; it reads it through its Russian vocabulary, and most Ukrainian words are not Russian
words ("загинули", "щонайменше", "повідомила"). Apertium (GPL programs and data, Debian packages ``apertium`` and
``apertium-rus-ukr``, run as separate processes) rewrites a Ukrainian sentence in Russian: "загинули щонайменше 40
людей" -> "погибли по меньшей мере 40 людей". Words it does not know are kept as written (the letter fold in
`embeddings.use` still applies to them). On translated CLEF2020 posts, USE then finds their English fact-checks at
MAP@5 0.510 instead of 0.367 (see the README).

The pair as Debian 12 ships it (0.2.1) has a part-of-speech tagger that crashes, so the first analysis of each
word is kept instead (a ``sed`` step where the mode file runs ``apertium-tagger``). Without the tagger's choice the
pair's structural transfer dropped words ("відправила війська" came out as "отправила отправила"), so the text is
translated word by word: analysis, disambiguation rules, first reading, bilingual dictionary, lexical selection,
first translation, generation (on the posts the choice was made on, MAP@5 0.505 with the transfer, 0.510 without).
Nothing is downloaded; without the packages `UkrainianReader.find` returns None and Ukrainian keeps the letter fold
alone.
"""

from __future__ import annotations

import logging
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

PAIR_DIR: Final = Path("/usr/share/apertium/apertium-rus-ukr")
_PROGRAMS: Final = (
    "apertium-destxt",
    "apertium-retxt",
    "lt-proc",
    "cg-proc",
    "lrx-proc",
    "apertium-pretransfer",
    "sed",
    "bash",
)
_FILES: Final = (
    "ukr-rus.automorf.bin",
    "ukr-rus.rlx.bin",
    "ukr-rus.autobil.bin",
    "ukr-rus.autolex.bin",
    "ukr-rus.autogen.bin",
    "ukr-rus.autopgen.bin",
)
# Apertium marks a word it could not analyse with "*", one it could not generate with "#" and one missing from
# the bilingual dictionary with "@": the word itself is what is wanted.
_MARK: Final = re.compile(r"[*#@](?=\w)")
# Characters of Apertium's stream format: a "^" in the text swallowed the word after it. They carry no meaning
# for the encoder, so they become spaces before the text goes in.
_STREAM: Final = re.compile(r"[\^$@/\\<>\[\]{}*#|]")
# Texts per call: one pipeline of processes starts per batch (about 0.15 s), and a batch is one stream of lines.
BATCH: Final = 512
TIMEOUT_SECONDS: Final = 120.0


def _pipeline(pair: Path) -> str:
    def f(name: str) -> str:
        return shlex.quote(str(pair / name))

    first_reading = r"s/\^([^/$]*)\/([^/$]*)(\/[^$]*)?\$/^\2$/g"
    return " | ".join(
        (
            "apertium-destxt",
            f"lt-proc -w {f('ukr-rus.automorf.bin')}",
            f"cg-proc -w {f('ukr-rus.rlx.bin')}",
            f"sed -E {shlex.quote(first_reading)}",
            "apertium-pretransfer",
            f"lt-proc -b {f('ukr-rus.autobil.bin')}",
            f"lrx-proc -m {f('ukr-rus.autolex.bin')}",
            f"sed -E {shlex.quote(first_reading)}",
            f"lt-proc -g {f('ukr-rus.autogen.bin')}",
            f"lt-proc -p {f('ukr-rus.autopgen.bin')}",
            "apertium-retxt",
        )
    )


@dataclass(frozen=True, slots=True)
class UkrainianReader:
    """Rewrites Ukrainian sentences in Russian through the installed Apertium ukr-rus pair."""

    pair: Path

    @classmethod
    def find(cls, pair: Path = PAIR_DIR) -> UkrainianReader | None:
        """The reader, or None when a program or a file of the pair is missing."""
        missing = [p for p in _PROGRAMS if shutil.which(p) is None] + [n for n in _FILES if not (pair / n).is_file()]
        if missing:
            logger.info(
                "Ukrainian keeps the letter fold alone (Apertium's ukr-rus pair is not installed: %s missing; "
                "apt-get install apertium apertium-rus-ukr)",
                ", ".join(missing[:3]),
            )
            return None
        return cls(pair=pair)

    def to_russian(self, texts: Sequence[str]) -> list[str]:
        """Each text rewritten in Russian, one line each (whitespace runs become one space, the characters of
        Apertium's stream format spaces).

        Raises:
            RuntimeError: If the pipeline fails, times out or does not give one line per text.
        """
        out: list[str] = []
        for start in range(0, len(texts), BATCH):
            out += self._batch([" ".join(_STREAM.sub(" ", t).split()) for t in texts[start : start + BATCH]])
        return out

    def _batch(self, lines: list[str]) -> list[str]:
        if not lines:
            return []
        try:
            done = subprocess.run(
                ["bash", "-c", "set -o pipefail; " + _pipeline(self.pair)],
                input="\n".join(lines) + "\n",
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"Apertium ukr-rus took more than {TIMEOUT_SECONDS:.0f} s") from exc
        if done.returncode != 0:
            raise RuntimeError(f"Apertium ukr-rus failed ({done.returncode}): {done.stderr.strip()[:200]}")
        got = done.stdout.split("\n")
        if len(got) < len(lines) or any(got[len(lines) :]):
            raise RuntimeError(f"Apertium ukr-rus gave {len(got)} lines for {len(lines)}")
        return [_MARK.sub("", line).strip() or text for line, text in zip(got, lines, strict=False)]
