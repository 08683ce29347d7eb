"""Every threshold and rule constant of the relations engine, in one place.

The engine decides in two steps (see ``service/relations/__init__.py``):

1. *Same fact?* From the MiniLM cosine of the two claims and their *topical anchors*: the share of
   content words they have in common once numbers, dates, negation words and attribution verbs are
   set aside. Below ``RELATED_MAX_SIMILARITY`` nothing else is looked at.
2. *Conflicting detail?* Number, date, negation, entity and attribution signals. A pair that is the
   same fact and carries a conflicting signal is a ``conflict``; the same fact without one is ``same``;
   anything else is ``related``.

Tuned on ``tests/data/relations/dev.jsonl`` only; ``holdout.jsonl`` measures them (see its README).
"""

from __future__ import annotations

from typing import Final

from service.text.words import read_pairs, read_terms

# --------------------------------------------------------------------------- same fact or related

# Below this cosine two claims are never the same fact (and never a conflict).
RELATED_MAX_SIMILARITY: Final = 0.50
# At or above this cosine two English claims are the same fact whatever their wording. On the dev pairs,
# paraphrases sit at 0.56-0.91 and claims about related but different events at 0.13-0.63.
SAME_FACT_SIMILARITY: Final = 0.64
# Between the two cosines, the claims are the same fact when this share of content words is shared
# (Dice coefficient over stems; figures, dates, negation and attribution words excluded).
SAME_FACT_MIN_OVERLAP: Final = 0.65
# Two claims that use opposite predicates of one pair ("driven out" / "still fighting") are anchored on
# the same fact more firmly than the cosine says (a denial lowers it): from this cosine and overlap on,
# they are a conflict.
OPPOSITION_MIN_SIMILARITY: Final = 0.50
OPPOSITION_MIN_OVERLAP: Final = 0.20
# Without a pair of opposites, only the count of negation words ("not", "never", "denied") says one claim denies
# the other; in real reporting a paraphrase often says with "silent" what the other says with "never switched
# on". That parity is read as a denial only when the claims share this much of their content words (one
# language) or reach this cosine (`pair_similarity`); else it is shown, not a conflict.
PARITY_MIN_OVERLAP: Final = 0.50
PARITY_MIN_SIMILARITY: Final = 0.70
# Two claims whose dates all differ (autumn 2024 vs April 2025) state the same kind of fact about
# different events, unless their cosine reaches this; only decides between "same" and "related".
DIFFERENT_TIME_MIN_SIMILARITY: Final = 0.80
# Languages MiniLM does not read (everything but English): the similarity is the multilingual encoder's
# cosine (`pair_similarity`), which runs lower than MiniLM's within English. Below the first cosine the pair is
# related; from the second on (or from the overlap of content words, for two texts in one language) it is the
# same fact. On the real-news dev events, USE cosines of non-English pairs from sources that state the claim
# have a median of 0.51, those that contradict it 0.57, other candidates 0.45; 0.55 was chosen there with the
# matcher's SAME_MIN_SCORE (grid 0.50/0.55/0.60 x 0.0-0.5) for `same` precision over recall.
OTHER_LANGUAGE_MIN_SIMILARITY: Final = 0.35
OTHER_LANGUAGE_SAME_FACT_SIMILARITY: Final = 0.55
OTHER_LANGUAGE_MIN_OVERLAP: Final = 0.40
# A toll both claims give alike (same value and fate) anchors them to one report whatever their cosine, when it is
# at least this large (a small count, "two dead", is shared by many unrelated reports).
SHARED_FIGURE_MIN_VALUE: Final = 10
# The matcher's verifier, asked what it would make of a pair if their figures and dates agreed
# (`service.calibration.figures_agreeing`), says how likely the two are to state one fact apart from its figures:
# from this probability on, the pair is the same fact in any language and at any cosine, so that a differing
# figure makes it a conflict. Picked on the real-news dev events (eight events; off / 0.8 / 0.7 / 0.6 / 0.5 / 0.4:
# labelled contradicting sources flagged `conflict` 0.13 / 0.13 / 0.15 / 0.17 / 0.19 / 0.19, precision of the
# flags 0.085 / 0.082 / 0.086 / 0.084 / 0.091 / 0.087; `same` precision 0.94 -> 0.93, recall 0.25 -> 0.35).
SAME_FACT_MIN_PROBABILITY: Final = 0.5

# --------------------------------------------------------------------------- numbers

# Two figures in two languages whose counted words are not a known unit class are compared when the larger is at
# most this many times the smaller (a toll of 5,434 against 4,544; not a magnitude of 7.8 against 212 hours).
CROSS_LANGUAGE_MAX_RATIO: Final = 3.0

# Two exact figures agree when they differ by at most this share (rounding: 1.2 million vs 1,203,000).
EXACT_TOLERANCE: Final = 0.005
# ... but a whole number that does not end in zero was written to the unit, not rounded: its share never reaches a
# neighbouring count (133 injured and 132 injured are two counts; at 0.5% either side they used to overlap).
WHOLE_NUMBER_TOLERANCE: Final = 0.49
# "about / around / some / roughly / nearly X" stands for X +- this share.
APPROXIMATE_TOLERANCE: Final = 0.03
# "more than / over / at least X" stands for [X, X * (1 + BOUND_TOLERANCE)] and "up to / fewer than X"
# for [X * (1 - BOUND_TOLERANCE), X]. Deliberately narrow: outlets that say "more than 10,000" and
# "12,000" give different counts, which a fact-checker must see; the explanation says a bound was given.
BOUND_TOLERANCE: Final = 0.03
# Words either side of a number that describe what it counts (used to pair numbers across claims).
NUMBER_CONTEXT_WINDOW: Final = 4
# At most this many figures and this many dates are read from one claim (bounds the work on hostile
# input such as "1 1 1 1 ..."; a real sentence has a handful).
MAX_VALUES_PER_CLAIM: Final = 32
# Years are dates, not counts, unless written with a thousands separator.
YEAR_MIN: Final = 1800
YEAR_MAX: Final = 2100

# --------------------------------------------------------------------------- entities

# Entity swaps are read off a word-level diff: the two claims must otherwise be this similar
# (difflib ratio over lower-cased tokens) ...
ENTITY_DIFF_MIN_RATIO: Final = 0.55
# ... and a swapped chunk is at most this many tokens on each side. Claims longer than
# ENTITY_DIFF_MAX_TOKENS are not diffed (the diff is quadratic; claims are sentences).
ENTITY_MAX_CHUNK_TOKENS: Final = 4
ENTITY_DIFF_MAX_TOKENS: Final = 120

# --------------------------------------------------------------------------- negation and denial

# Words and phrases that deny or negate what follows, in six languages: service/data/words/negation_cues.txt (its
# header says how they are matched and where they came from). Counted per claim: an odd count flips its polarity.
NEGATION_CUES: Final[tuple[str, ...]] = read_terms("negation_cues")

# Pairs of opposite predicates (pole A, pole B): service/data/words/opposites.txt. One side using pole A and the
# other pole B is a conflict (once negations are counted).
OPPOSITES: Final[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = read_pairs("opposites")

# --------------------------------------------------------------------------- attribution

# A speaker that contains one of these words is an organisation, not a person: misattribution (the same words put in
# the mouth of a different *person*) is a conflict, two organisations saying the same thing is corroboration.
ORGANISATION_WORDS: Final[frozenset[str]] = frozenset(read_terms("organisation_words"))
# Verbs that introduce a speaker ("X said", "according to X"); their words do not count as topic.
ATTRIBUTION_VERBS: Final[frozenset[str]] = frozenset(
    word for term in read_terms("attribution_verbs") for word in term.split()
)

# --------------------------------------------------------------------------- dates

# Two dates are about the same event (so different dates conflict) when the words around them overlap
# at least this much (Dice over stems), or when each claim has a single date and the two are written to
# the same precision (two days, two months, two years) or the claims share this much of their topic.
DATE_MIN_ALIGNMENT: Final = 0.25
DATE_SINGLE_MIN_OVERLAP: Final = 0.45
