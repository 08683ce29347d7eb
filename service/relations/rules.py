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

from service.relations.text import word_set

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

# Words and phrases that deny or negate what follows (lower case; matched on word boundaries;
# a trailing "*" matches any ending). Counted per claim: an odd count flips the claim's polarity.
NEGATION_CUES: Final[tuple[str, ...]] = (
    # English
    "not", "n't", "no", "never", "none", "nothing", "neither", "nor", "without",
    "deny", "denies", "denied", "denying", "denial",
    "reject", "rejects", "rejected", "rejecting",
    "dismiss", "dismisses", "dismissed", "refute*", "rebut*", "dispute", "disputes", "disputed",
    "false", "fake", "untrue", "baseless", "unfounded", "propaganda",
    "ruled out", "rules out", "rule out", "failed to", "fails to", "fail to",
    "refuse", "refuses", "refused", "refusing", "unbeaten",
    # French
    # ("ne ... pas" / "n'... jamais" count once: only "ne" / "n'" is a cue)
    "ne", "n'", "aucun", "aucune", "démenti", "dément", "démentent", "démentir",
    "nie", "nié", "nient", "rejeté", "rejette", "faux",
    # German
    "nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals", "dementiert*", "bestreit*", "bestritt*",
    "zurückgewiesen", "wies zurück", "falsch",
    # Russian
    "не", "нет", "ни", "никогда", "отрица*", "опроверг*", "отверг*", "ложь", "фейк*",
    # Ukrainian
    "ні", "жодн*", "заперечи*", "заперечу*", "спростува*", "спростову*", "відкину*",
    # Korean (verb endings and denial nouns inside words)
    "않", "안 ", "아니", "없", "부인", "부정",
)  # fmt: skip

# Pairs of opposite predicates: (pole A, pole B). One side using pole A and the other pole B is a
# conflict (once negations are counted). A claim using both poles ("rejected the claims it had raised prices,
# saying they were cut") asserts pole B. Stems, lower case, "*" = any ending, matched at word starts. Pairs
# added after the first holdout had been scored (each matched exactly one of its pairs and no dev pair) and
# one story's own wording (withdrawn / still holding positions) were taken out (issue 13); new pairs come with
# dev pairs that need them.
OPPOSITES: Final[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = (
    (("confirm*", "admit*", "acknowledg*", "recogni*", "accept*", "approv*", "agreed", "agree to", "true"),
     ("denied", "deny", "denies", "reject*", "refus*", "dismiss*", "false", "fake")),
    (("won", "wins", "win ", "victory", "beat"), ("lost", "loses", "lose ", "defeat*")),
    (("rose", "rise", "rises", "risen", "increase*", "grew", "grow", "grows", "growing", "jump*", "climb*", "soar*",
      "up ", "higher", "gain*"),
     ("fell", "fall", "falls", "fallen", "decrease*", "declin*", "drop*", "shrank", "shrink*", "slump*", "down ",
      "lower", "stopped growing", "has stopped")),
    (("raise", "raised", "raises", "hike*", "increase"), ("cut", "cuts", "lowered", "froze", "frozen", "freeze")),
    (("open", "opened", "reopen*", "keep the", "kept open", "open again"),
     ("close", "closed", "closes", "shut*", "remains closed")),
    (("guilty", "convicted"), ("acquitted", "innocent", "cleared of")),
    (("survived", "alive", "survives"), ("died", "dead", "killed", "dies")),
    (("holding", "holds", "held firm", "in force"), ("collapsed", "collapse", "broke down", "broken down")),
    (("will play", "will attend", "to play", "to attend", "will take part"),
     ("will miss", "to miss", "will skip", "will not")),
    (("voted for", "in favour", "in favor", "supported"), ("voted against", "opposed")),
    (("safe",), ("unsafe", "not safe", "dangerous")),
    (("reached an agreement", "reached a deal", "struck a deal"), ("failed to reach", "no agreement", "no deal")),
    (("called a", "called an", "announced", "calls a"), ("ruled out", "rules out")),
    # Russian, Ukrainian, French, German, Korean: confirm vs deny
    (("подтверд*", "признаёт", "признает", "підтверд*", "визна*", "confirm*", "reconnu", "annoncé",
      "räumte ein", "인정", "확인"),
     ("опроверг*", "заперечи*", "спростува*", "démenti*", "nié", "bestritt*", "부인")),
    (("erhöht", "erhöhte", "augmenté", "hausse", "повысил*", "підвищи*"),
     ("gesenkt", "senkte", "baissé", "baisse", "понизил*", "знизи*")),
)  # fmt: skip

# --------------------------------------------------------------------------- attribution

# A speaker that contains one of these words is an organisation, not a person; misattribution
# (the same words put in the mouth of a different *person*) is a conflict, two organisations saying
# the same thing is corroboration (an informative signal on a "same" pair).
ORGANISATION_WORDS: Final[frozenset[str]] = word_set(
    """ministry staff service agency office council commission party pentagon kremlin nato kcna institute
    university bank police government army military intelligence officials official committee court
    department union times news post herald ledger wire monitor review daily press media state company
    researchers doctors scientists analysts mediators spokesman spokeswoman spokesperson forces navy chiefs
    house senate parliament assembly agency's regulator authority authorities"""
)
# Verbs that introduce a speaker ("X said", "according to X"); their words do not count as topic.
ATTRIBUTION_VERBS: Final[frozenset[str]] = word_set(
    """said says say told tells reported reports reporting claimed claims claim announced announces stated
    states estimated estimates warned warns added according confirmed quoted cited wrote noted insisted
    argued заявил заявила заявили сообщил сообщила сообщили заявив заявила заявили a déclaré selon affirmé
    sagte sagten erklärte laut"""
)

# --------------------------------------------------------------------------- dates

# Two dates are about the same event (so different dates conflict) when the words around them overlap
# at least this much (Dice over stems), or when each claim has a single date and the two are written to
# the same precision (two days, two months, two years) or the claims share this much of their topic.
DATE_MIN_ALIGNMENT: Final = 0.25
DATE_SINGLE_MIN_OVERLAP: Final = 0.45
