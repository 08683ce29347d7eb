"""Check-worthiness: how much a claim is worth checking, 0..1; 0.5 and above is the model's "check-worthy".

Two models, one decision rule (``score >= DECISION``, 0.5):

- the fine-tuned one, preferred: MiniLM with its top layers fine-tuned and a linear head, run as an int8 ONNX
  graph built at install (``python -m embeddings.onnx export``) from the packaged base model and the layers
  shipped here (``service/data/checkworthiness_finetuned.npz``, trained by
  ``bench/train_checkworthiness.py --finetuned``). Its logit is calibrated (a Platt slope, shifted so that
  0.5 falls where F1 peaked on validation). It is used when the deployment's encoder is the MiniLM ONNX one
  built from the same base model (`OnnxEncoder`, fingerprint in the JSON beside the layers) and its graph
  exists or can be built; otherwise -- another encoder, the torch backend, no graph -- the logistic
  regression below scores, and the fallback is logged once.
- the logistic regression: see below. Its probability is shifted so that its cross-validated threshold
  (where F1 peaked) becomes 0.5 too.

The logistic regression (trained by ``bench/train_checkworthiness.py`` on ClaimBuster plus the extraction gold set)
is a logistic regression over three blocks of features:

- the claim's sentence embedding, the very vector ingest already computed for the index (so scoring
  costs no second encoding) — only when it comes from the model the weights were trained with;
- a few language-neutral cues (digits, percentages, money, years, a question, first/second person,
  modal verbs, length);
- TF-IDF of word unigrams and bigrams with every number written as "0".

Scoring needs numpy only: the vocabulary, IDF and coefficients are read from a small JSON file shipped
in the package (``service/data/checkworthiness.json``), so nothing is unpickled and nothing is fetched.
A deployment whose encoder is not the one the weights were trained with falls back to the second head
of the same file, trained without the embedding block.
"""

# Typographic quotes and non-Latin letters in the patterns are deliberate.
# ruff: noqa: RUF001

from __future__ import annotations

import itertools
import json
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np

from embeddings import ModelId
from embeddings.encoder import TextEncoder, normalize_rows
from embeddings.onnx import GraphRunner, ModelLayout, OnnxEncoder, ensure_graph, mean_pool, model_fingerprint
from embeddings.use import same_space_but_ukrainian
from service.text.language import ENGLISH

__all__ = [
    "DECISION",
    "FINETUNED_META_PATH",
    "FINETUNED_PATH",
    "WEIGHTS_PATH",
    "CheckworthinessScorer",
    "FinetunedGraph",
    "MultilingualHead",
    "cue_features",
    "default_scorer",
    "encode_and_score",
    "finetuned_head",
    "in_their_language",
    "tfidf_tokens",
]

logger = logging.getLogger(__name__)

# A claim is check-worthy when its score is at least this, whichever model scored it.
DECISION: Final = 0.5

WEIGHTS_PATH: Final = Path(__file__).resolve().parent / "data" / "checkworthiness.json"
# The fine-tuned model (bench/train_checkworthiness.py --finetuned): its layers and head, and its calibration.
FINETUNED_PATH: Final = WEIGHTS_PATH.with_name("checkworthiness_finetuned.npz")
FINETUNED_META_PATH: Final = WEIGHTS_PATH.with_name("checkworthiness_finetuned.json")

# The head over the multilingual encoder's vector that scores claims not in English (see `in_their_language`).
MULTILINGUAL_PATH: Final = WEIGHTS_PATH.with_name("checkworthiness_multilingual.json")

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_TOKEN = re.compile(r"(?u)\b\w+\b")
_DIGIT = re.compile(r"\d")
_PERCENT = re.compile(r"%|\bper ?cent\b|\bпроцент|\bpour ?cent", re.IGNORECASE)
_MONEY = re.compile(
    r"[$€£¥₽]|\b(?:dollars?|euros?|kroner|krona|pounds?|billion|million|trillion|milliards?|млн|млрд)\b", re.I
)
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_PERSONAL = re.compile(r"\b(?:I|I'm|I've|we|we'll|we're|you|je|nous|vous|я|мы|вы)\b", re.IGNORECASE)
_MODAL = re.compile(r"\b(?:will|should|must|going to|need to|devons|doit|должны|будем)\b", re.IGNORECASE)
CUE_NAMES: Final = ("digit", "percent", "money", "year", "question", "length", "personal", "modal")


def cue_features(text: str) -> list[float]:
    """Language-neutral cues of a claim, in the order of `CUE_NAMES`."""
    words = len(text.split())
    return [
        float(bool(_DIGIT.search(text))),
        float(bool(_PERCENT.search(text))),
        float(bool(_MONEY.search(text))),
        float(bool(_YEAR.search(text))),
        float(text.rstrip().endswith("?")),
        min(words, 60) / 30,
        float(bool(_PERSONAL.search(text))),
        float(bool(_MODAL.search(text))),
    ]


def tfidf_tokens(text: str) -> list[str]:
    """Unigrams and bigrams of the lower-cased text with numbers as "0" (what the vectoriser saw)."""
    words = _TOKEN.findall(_NUMBER.sub("0", text.lower()))
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


@dataclass(frozen=True, slots=True)
class _Head:
    embedding: np.ndarray | None  # (dim,) or None for the lexical head
    cues: np.ndarray  # (len(CUE_NAMES),)
    terms: np.ndarray  # (vocabulary,)
    bias: float
    threshold: float  # where F1 peaked in CV; the score is shifted so that this probability reads as 0.5
    # `terms` as Python floats: scoring reads one per token, and a NumPy scalar read costs ten times more.
    term_list: tuple[float, ...] = ()


def _sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(logit, 40.0), -40.0)))


def _sigmoids(logits: np.ndarray) -> np.ndarray:
    """`_sigmoid` of each logit (float64, clipped like it)."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logits, -40.0, 40.0))), dtype=np.float64)


def _logit(probability: float) -> float:
    return math.log(probability / (1.0 - probability))


@dataclass(frozen=True, slots=True)
class Finetuned:
    """The fine-tuned model's JSON: which base model its layers fit, its calibration and its figures."""

    head: Path  # the .npz of layers and head
    base_fingerprint: str  # `embeddings.onnx.model_fingerprint` of the base model it was trained on
    slope: float  # calibrated score = sigmoid(slope * (logit - logit_threshold))
    logit_threshold: float
    metrics: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Finetuned | None:
        """The JSON at ``path`` and the .npz it names beside it, or None when either is missing."""
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        head = path.with_name(data["weights"])
        if not head.is_file():
            return None
        return cls(
            head=head,
            base_fingerprint=data["base_model_fingerprint"],
            slope=float(data["calibration"]["slope"]),
            logit_threshold=float(data["calibration"]["logit_threshold"]),
            metrics=data.get("metrics", {}),
        )

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        return _sigmoids(self.slope * (np.asarray(logits, dtype=np.float64) - self.logit_threshold))


@dataclass(frozen=True, slots=True)
class MultilingualHead:
    """A logistic regression over the multilingual encoder's claim vector, trained on the English ClaimBuster
    sentences: the encoder maps its languages to one space, so it reads a Russian or Korean claim as it reads an
    English one. The English models read other languages poorly (`bench/train_checkworthiness.py
    --multilingual`)."""

    model: str  # the multilingual encoder's model, as ``name@dim``
    weights: np.ndarray  # (dim,)
    bias: float
    threshold: float  # where F1 peaked on the validation part; the score is shifted so that it reads as 0.5
    metrics: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> MultilingualHead | None:
        """The head written at ``path``, or None when there is none."""
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            model=data["model"],
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
            metrics=data.get("metrics", {}),
        )

    def score(self, vectors: np.ndarray) -> np.ndarray:
        """0..1 per row of ``vectors`` (the multilingual encoder's unit vectors); ``>= 0.5`` is the decision."""
        return _sigmoids(np.asarray(vectors, dtype=np.float64) @ self.weights + self.bias - _logit(self.threshold))


def in_their_language(
    scores: np.ndarray,
    *,
    languages: Sequence[str | None],
    vectors: np.ndarray | None,
    model: ModelId | None,
    scorer: CheckworthinessScorer | None = None,
) -> np.ndarray:
    """``scores`` with each claim in a language other than English scored by the multilingual head instead.

    Args:
        scores: The English models' scores, one per claim.
        languages: Each claim's language (ISO 639-1; None when unknown: its score stays).
        vectors: The claims' multilingual vectors, one row per claim (None: the encoder is off; nothing changes).
        model: The multilingual encoder's model (the head is used only with the one it was trained on).
        scorer: Default: the shipped one.
    """
    head = (scorer or default_scorer()).multilingual
    # Either Ukrainian reading of USE serves the head (it was trained on no Ukrainian).
    if head is None or vectors is None or model is None or not same_space_but_ukrainian(str(model), head.model):
        return scores
    other = np.asarray([language is not None and language != ENGLISH for language in languages], dtype=bool)
    if not other.any():
        return scores
    out = np.array(scores, dtype=np.float64)
    out[other] = head.score(np.asarray(vectors)[other])
    return out


class FinetunedGraph:
    """The fine-tuned model's int8 ONNX graph in onnxruntime: per text, the encoder's vector and the logit.

    The graph is the encoder's model with the fine-tuned top layers beside its own (`embeddings.finetuned`), so
    one pass gives both. One text per pass by default, as the encoder: a text's score then depends on that text
    alone (int8 activations are quantised per pass), and on this CPU it is also the fastest (measured 244
    texts/s on one thread against 117 in batches of 16: the padding costs more than batching saves).
    """

    def __init__(
        self, graph: Path, layout: ModelLayout, *, threads: int = 1, workers: int | None = None, batch_size: int = 1
    ) -> None:
        self.graph = graph
        self.dim = layout.dim
        self._runner = GraphRunner(
            graph, layout, batch_size=batch_size, threads=threads, workers=workers, name="checkworthiness"
        )

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(unit float32 vectors as the encoder makes them, float64 logits), one row per text."""
        out = np.zeros((len(texts), self.dim + 1), dtype=np.float32)
        self._runner.run(texts, _vector_and_logit, out)
        return normalize_rows(out[:, :-1]), out[:, -1].astype(np.float64)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)[1]


def _vector_and_logit(outputs: list[np.ndarray], mask: np.ndarray) -> np.ndarray:
    return np.column_stack([mean_pool(outputs, mask), outputs[1]])


def finetuned_head(layout: ModelLayout, meta: Path = FINETUNED_META_PATH) -> Path | None:
    """The shipped fine-tuned layers if they were trained on this base model (else None: the LR scores)."""
    finetuned = Finetuned.load(meta)
    if finetuned is None or finetuned.base_fingerprint != model_fingerprint(layout):
        return None
    return finetuned.head


@dataclass(frozen=True, slots=True)
class CheckworthinessScorer:
    """Scores claims 0..1; ``threshold`` (0.5, `DECISION`) is the decision, whichever model scored."""

    model: str  # the embedding model the full head was trained with, as ``name@dim``
    vocabulary: dict[str, int]
    idf: np.ndarray
    full: _Head
    lexical: _Head
    metrics: dict[str, Any]
    idf_list: tuple[float, ...] = ()  # `idf` as Python floats (see `_Head.term_list`)
    finetuned: Finetuned | None = None
    multilingual: MultilingualHead | None = None
    # The fine-tuned graph per graph file, or None where it could not be had (then the LR scores); the lock
    # makes one thread build or load it while the others wait.
    _graphs: dict[Path, FinetunedGraph | None] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)
    _logged: set[str] = field(default_factory=set, compare=False, repr=False)

    @property
    def threshold(self) -> float:
        return DECISION

    @classmethod
    def load(
        cls,
        path: Path = WEIGHTS_PATH,
        finetuned: Path | None = FINETUNED_META_PATH,
        multilingual: Path | None = MULTILINGUAL_PATH,
    ) -> CheckworthinessScorer:
        """Reads the weights files written by ``bench/train_checkworthiness.py`` (``finetuned=None``: LR only;
        ``multilingual=None``: every language scored by the English models)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        vocabulary = {term: index for index, term in enumerate(data["vocabulary"])}

        def head(raw: dict[str, Any]) -> _Head:
            embedding = raw.get("embedding")
            terms = np.asarray(raw["terms"], dtype=np.float64)
            return _Head(
                embedding=None if embedding is None else np.asarray(embedding, dtype=np.float64),
                cues=np.asarray(raw["cues"], dtype=np.float64),
                terms=terms,
                bias=float(raw["bias"]),
                threshold=float(raw["threshold"]),
                term_list=tuple(terms.tolist()),
            )

        idf = np.asarray(data["idf"], dtype=np.float64)
        return cls(
            model=data["model"],
            vocabulary=vocabulary,
            idf=idf,
            idf_list=tuple(idf.tolist()),
            full=head(data["full"]),
            lexical=head(data["lexical"]),
            metrics=data.get("metrics", {}),
            finetuned=None if finetuned is None else Finetuned.load(finetuned),
            multilingual=None if multilingual is None else MultilingualHead.load(multilingual),
        )

    def term_vector(self, text: str) -> dict[int, float]:
        """Sparse, L2-normalised TF-IDF of a text (sublinear term frequency, like the trainer's)."""
        counts = Counter(i for token in tfidf_tokens(text) if (i := self.vocabulary.get(token)) is not None)
        idf = self.idf_list or self.idf.tolist()
        weights = {i: (1.0 + math.log(n)) * idf[i] for i, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {i: w / norm for i, w in weights.items()} if norm else {}

    def score(
        self, *, vectors: np.ndarray | None, texts: Sequence[str], model: ModelId | None, encoder: object = None
    ) -> np.ndarray:
        """How much each claim is worth checking, 0..1; ``>= threshold`` (0.5) is the model's decision.

        Args:
            vectors: The claims' unit-length embeddings, one row per text (ignored when ``model`` is
                not the model the weights were trained with).
            texts: The claims' context texts.
            model: Which model ``vectors`` come from.
            encoder: The deployment's encoder: when it is the MiniLM ONNX one, the fine-tuned graph scores.

        Returns:
            float64 scores in 0..1, one per text.
        """
        graph = self.graph_for(encoder)
        if graph is not None and self.finetuned is not None:
            return self.finetuned.calibrate(graph.logits(texts)) if texts else np.zeros(0, dtype=np.float64)
        return self.score_lr(vectors=vectors, texts=texts, model=model)

    def score_lr(self, *, vectors: np.ndarray | None, texts: Sequence[str], model: ModelId | None) -> np.ndarray:
        """The logistic regression's scores (see `score`), shifted so that 0.5 is its CV threshold."""
        use_embedding = vectors is not None and model is not None and str(model) == self.model
        head = self.full if use_embedding else self.lexical
        scores = np.empty(len(texts), dtype=np.float64)
        terms = head.term_list or head.terms.tolist()
        for row, text in enumerate(texts):
            logit = head.bias + float(np.dot(head.cues, cue_features(text)))
            logit += sum(terms[i] * w for i, w in self.term_vector(text).items())
            if use_embedding and head.embedding is not None and vectors is not None:
                logit += float(np.dot(head.embedding, vectors[row]))
            scores[row] = _sigmoid(logit - _logit(head.threshold))
        return scores

    def graph_for(self, encoder: object) -> FinetunedGraph | None:
        """The fine-tuned graph for this encoder, built first if missing; None (LR, logged once) if not to be had."""
        if self.finetuned is None or encoder is None:
            return None
        if not isinstance(encoder, OnnxEncoder):
            self._log_once("encoder", f"the encoder {getattr(encoder, 'model_id', '?')} is not the MiniLM ONNX one")
            return None
        key = encoder.graph
        if key not in self._graphs:
            with self._lock:
                if key not in self._graphs:
                    self._graphs[key] = self._load_graph(encoder, self.finetuned)
        return self._graphs[key]

    def _load_graph(self, encoder: OnnxEncoder, finetuned: Finetuned) -> FinetunedGraph | None:
        layout = encoder.layout
        if model_fingerprint(layout) != finetuned.base_fingerprint:
            self._log_once("fingerprint", f"{layout.root} is not the base model its layers were trained on")
            return None
        try:
            path = ensure_graph(
                model_dir=layout.root, model_name=encoder.model_name, cache_dir=encoder.cache_dir, head=finetuned.head
            )
            # Passes like the encoder's: its vectors come out of this graph too (`encode_and_score`).
            return FinetunedGraph(
                path, layout, threads=encoder.threads, workers=encoder.workers, batch_size=encoder.batch_size
            )
        except Exception as exc:  # whatever failed, the LR scores, as before this model
            self._log_once("graph", f"its graph could not be built or loaded ({exc})")
            return None

    def _log_once(self, reason: str, detail: str) -> None:
        if reason not in self._logged:
            self._logged.add(reason)
            # Another encoder is a deployment's choice (info); a missing graph or base model is a fault (warning).
            level = logging.INFO if reason == "encoder" else logging.WARNING
            logger.log(level, "check-worthiness: the logistic regression scores, not the fine-tuned model: %s", detail)


def encode_and_score(
    encoder: TextEncoder, texts: Sequence[str], scorer: CheckworthinessScorer | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The claims' vectors (as ``encoder.encode_documents``) and their check-worthiness (as `score`), what ingest
    needs; in one pass of the fine-tuned graph when it scores, since that graph is the encoder's model too.

    Args:
        encoder: The deployment's encoder (its count of documents encoded grows by the texts, either way).
        texts: The claims' context texts.
        scorer: Default: the shipped one.

    Returns:
        (float32 unit vectors, float64 scores in 0..1), one row per text.
    """
    scorer = scorer or default_scorer()
    graph = scorer.graph_for(encoder)
    if graph is not None and scorer.finetuned is not None and isinstance(encoder, OnnxEncoder):
        vectors, logits = graph.encode(texts)
        encoder.documents_encoded += len(texts)
        return vectors, scorer.finetuned.calibrate(logits)
    vectors = encoder.encode_documents(texts)
    return vectors, scorer.score(vectors=vectors, texts=texts, model=encoder.model_id)


@cache
def default_scorer() -> CheckworthinessScorer:
    """The scorer shipped with the package, loaded once."""
    return CheckworthinessScorer.load()
