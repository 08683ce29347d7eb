"""`crosscheck bench extraction`: the extractor against the gold set in tests/data/extraction/.

Prints one JSON object:

- ``claims``: precision / recall / F1 of predicted claim spans against the gold spans (exact
  ``(start, end)`` match), and the same with a relaxed match (same span after trimming quotes and
  markup, or character overlap >= 0.9) for diagnosis;
- ``speaker_accuracy``: over gold claims that were found, how many have the gold speaker (compared
  case-insensitively, without leading determiners; ``null`` must be ``null``);
- ``decontextualization``: over found claims, the share whose ``context_text`` equals the gold one
  after normalisation, and recall of the gold's bracketed insertions (dates and entities apart);
- ``checkworthiness``: F1 of the shipped scorer on the gold claims, as the API scores them (the MiniLM ONNX
  encoder, so the fine-tuned model, which never saw them; the LR, when it scores, was trained on them: see
  ``cross_validation`` for its honest figures, copied from the weights file);
- ``throughput``: extraction alone (no encoding), in claims and kilobytes per second;
- ``by_article`` / ``errors``: what went wrong where (``--errors`` prints every miss).
"""

# Typographic quotes and non-Latin letters in the patterns are deliberate.
# ruff: noqa: RUF001

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import datetime
import json
import re
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from service.extraction import ExtractedClaim, extract, normalize_claim_text
from service.extraction.markup import strip_markup

GOLD_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "extraction"
_BRACKET = re.compile(r"[ \t]*\[([^\[\]]{1,120})\]")
_DATE_VALUE = re.compile(
    r"^(?:\d{4}(?:-\d{2}(?:-\d{2})?|-Q\d)?(?:/\d{4}(?:-\d{2}(?:-\d{2})?)?)?|week of .*|\w+ \d{4})$"
)
_LEADING = re.compile(r"^(?:(?:the|a|an|le|la|les)\s+|l['’]\s*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GoldClaim:
    text: str
    start: int
    end: int
    speaker: str | None
    context_text: str
    checkworthy: bool


@dataclass(frozen=True, slots=True)
class GoldArticle:
    name: str
    kind: str
    language: str
    published_at: datetime.date | None
    text: str
    claims: list[GoldClaim]


# --------------------------------------------------------------------------- gold files


def default_context_text(text: str) -> str:
    """The context text of a claim that needs nothing resolved: markup stripped, spaces normalised."""
    return normalize_claim_text(strip_markup(text))


def locate_spans(text: str, claim_texts: Sequence[str]) -> list[tuple[int, int]]:
    """Where each claim text occurs, searching forward from the previous claim's end.

    Raises:
        ValueError: If a claim text is not found in order.
    """
    spans: list[tuple[int, int]] = []
    cursor = 0
    for claim in claim_texts:
        start = text.find(claim, cursor)
        if start < 0:
            raise ValueError(f"claim not found after offset {cursor}: {claim[:80]!r}")
        spans.append((start, start + len(claim)))
        cursor = start + len(claim)
    return spans


def fill_annotation(text: str, annotation: dict[str, Any]) -> dict[str, Any]:
    """The annotation with spans computed from the claim texts and default context texts filled in."""
    claims = annotation["claims"]
    spans = locate_spans(text, [c["text"] for c in claims])
    filled = []
    for claim, (start, end) in zip(claims, spans, strict=True):
        filled.append(
            {
                "start": start,
                "end": end,
                "text": claim["text"],
                "speaker": claim.get("speaker"),
                "context_text": claim.get("context_text") or default_context_text(claim["text"]),
                "checkworthy": bool(claim["checkworthy"]),
            }
        )
    return {**annotation, "claims": filled}


def load_gold(directory: Path = GOLD_DIR) -> list[GoldArticle]:
    """Every ``NN_name.md`` article with its ``NN_name.json`` annotation; spans are verified."""
    articles = []
    for md in sorted(directory.glob("*.md")):
        if md.name.lower() == "readme.md":
            continue
        text = md.read_text(encoding="utf-8")
        data = json.loads(md.with_suffix(".json").read_text(encoding="utf-8"))
        claims = []
        for raw in data["claims"]:
            start, end = int(raw["start"]), int(raw["end"])
            if text[start:end] != raw["text"]:
                raise ValueError(f"{md.name}: span {start}:{end} is not the claim text {raw['text'][:60]!r}")
            claims.append(
                GoldClaim(
                    text=raw["text"],
                    start=start,
                    end=end,
                    speaker=raw["speaker"],
                    context_text=raw["context_text"],
                    checkworthy=bool(raw["checkworthy"]),
                )
            )
        articles.append(
            GoldArticle(
                name=md.stem,
                kind=data["kind"],
                language=data["language"],
                published_at=datetime.date.fromisoformat(data["published_at"]),
                text=text,
                claims=claims,
            )
        )
    return articles


def labelled_part(text: str, ends: Sequence[int]) -> str:
    """`text` up to the end of the line holding the last of these claim ends (all of it without claims)."""
    if not ends:
        return text
    newline = text.find("\n", max(ends))
    return text if newline < 0 else text[: newline + 1]


def load_realnews_gold(labels: Path, cache: Path) -> tuple[list[GoldArticle], list[str]]:
    """Real news excerpts labelled for extraction (``bench/data/realnews/extraction.jsonl``: spans and speakers
    only, the texts come from the git-ignored cache); also the ids whose text is not in the cache.

    Only claims and speakers are labelled there: the context texts are the sentences themselves. Each text is
    scored up to the end of the line that holds its last labelled claim (`labelled_part`): a page looked up again
    to refill the cache may show more of the article than the labeller saw, and that tail was never labelled.
    """
    from bench import realnews

    manifest = realnews.load_set().excerpts
    articles, missing = [], []
    for line in labels.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        text = realnews.cached_text(raw["id"], cache)
        if text is None:
            missing.append(raw["id"])
            continue
        text = labelled_part(text, [int(c["end"]) for c in raw["claims"]])
        date = manifest[raw["id"]].date if raw["id"] in manifest else None
        claims = [
            GoldClaim(
                text=text[c["start"] : c["end"]],
                start=int(c["start"]),
                end=int(c["end"]),
                speaker=c["speaker"],
                context_text=text[c["start"] : c["end"]],
                checkworthy=True,
            )
            for c in raw["claims"]
        ]
        articles.append(
            GoldArticle(
                name=raw["id"],
                kind="real news excerpt",
                language=raw["language"],
                published_at=datetime.date.fromisoformat(date) if date else None,
                text=text,
                claims=claims,
            )
        )
    return articles, missing


# --------------------------------------------------------------------------- comparison


def same_speaker(predicted: str | None, gold: str | None) -> bool:
    """Speakers are the same when equal after case folding and without a leading determiner."""
    if predicted is None or gold is None:
        return predicted is gold
    return _speaker_key(predicted) == _speaker_key(gold)


def _speaker_key(name: str) -> str:
    flat = unicodedata.normalize("NFC", " ".join(name.split())).strip(" .,'\"").replace("’", "'")
    return _LEADING.sub("", flat).casefold()


def same_context(predicted: str, gold: str) -> bool:
    return _context_key(predicted) == _context_key(gold)


def _context_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).replace("’", "'").split()).casefold()


def insertions(context_text: str) -> list[tuple[str, str]]:
    """``(words before, bracketed value)`` for every insertion; the words locate it in the sentence."""
    found = []
    for match in _BRACKET.finditer(context_text):
        before = _BRACKET.sub("", context_text[: match.start()]).split()[-2:]
        found.append((" ".join(before).casefold(), match.group(1)))
    return found


def is_date_value(value: str) -> bool:
    return bool(_DATE_VALUE.match(value))


@dataclass(slots=True)
class _Counts:
    gold: int = 0
    predicted: int = 0
    exact: int = 0
    relaxed: int = 0
    speaker_ok: int = 0
    context_ok: int = 0
    dates_gold: int = 0
    dates_ok: int = 0
    entities_gold: int = 0
    entities_ok: int = 0
    entities_predicted: int = 0
    entities_predicted_ok: int = 0

    def add(self, other: _Counts) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / max(a[1] - a[0], b[1] - b[0], 1)


def compare(article: GoldArticle, claims: list[ExtractedClaim], errors: list[dict[str, Any]]) -> _Counts:
    """Counts for one article; every miss is appended to ``errors``."""
    counts = _Counts(gold=len(article.claims), predicted=len(claims))
    by_span = {(c.start, c.end): c for c in claims}
    matched_predictions: set[tuple[int, int]] = set()
    for gold in article.claims:
        predicted = by_span.get((gold.start, gold.end))
        if predicted is not None:
            counts.exact += 1
        else:
            candidates = [c for c in claims if _overlap((c.start, c.end), (gold.start, gold.end)) >= 0.9]
            predicted = candidates[0] if candidates else None
            errors.append(
                {
                    "article": article.name,
                    "kind": "missed claim",
                    "gold": gold.text,
                    "nearest": predicted.text if predicted else None,
                }
            )
        if predicted is None:
            continue
        counts.relaxed += 1
        matched_predictions.add((predicted.start, predicted.end))
        if same_speaker(predicted.speaker, gold.speaker):
            counts.speaker_ok += 1
        else:
            errors.append(
                {
                    "article": article.name,
                    "kind": "speaker",
                    "claim": gold.text[:90],
                    "gold": gold.speaker,
                    "predicted": predicted.speaker,
                }
            )
        if same_context(predicted.context_text, gold.context_text):
            counts.context_ok += 1
        else:
            errors.append(
                {
                    "article": article.name,
                    "kind": "context",
                    "gold": gold.context_text,
                    "predicted": predicted.context_text,
                }
            )
        predicted_insertions = insertions(predicted.context_text)
        gold_insertions = insertions(gold.context_text)
        for item in gold_insertions:
            ok = item in predicted_insertions
            if is_date_value(item[1]):
                counts.dates_gold += 1
                counts.dates_ok += ok
            else:
                counts.entities_gold += 1
                counts.entities_ok += ok
        for item in predicted_insertions:
            if not is_date_value(item[1]):
                counts.entities_predicted += 1
                counts.entities_predicted_ok += item in gold_insertions
    for claim in claims:
        if (claim.start, claim.end) not in {(g.start, g.end) for g in article.claims}:
            errors.append({"article": article.name, "kind": "extra claim", "predicted": claim.text})
    return counts


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if not precision or not recall:
        return 0.0 if precision is not None and recall is not None else None
    return round(2 * precision * recall / (precision + recall), 4)


def evaluate(articles: Iterable[GoldArticle]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Extraction quality on the gold set, and the list of errors."""
    total = _Counts()
    errors: list[dict[str, Any]] = []
    by_article: dict[str, dict[str, Any]] = {}
    for article in articles:
        result = extract(article.text)
        counts = compare(article, result.claims, errors)
        if result.meta.published_at != article.published_at:
            errors.append(
                {
                    "article": article.name,
                    "kind": "published_at",
                    "gold": str(article.published_at),
                    "predicted": str(result.meta.published_at),
                }
            )
        if result.language != article.language:
            errors.append(
                {"article": article.name, "kind": "language", "gold": article.language, "predicted": result.language}
            )
        total.add(counts)
        by_article[article.name] = {
            "kind": article.kind,
            "language": result.language,
            "gold": counts.gold,
            "predicted": counts.predicted,
            "exact": counts.exact,
            "speaker_ok": counts.speaker_ok,
            "context_ok": counts.context_ok,
        }
    precision, recall = _ratio(total.exact, total.predicted), _ratio(total.exact, total.gold)
    relaxed_p, relaxed_r = _ratio(total.relaxed, total.predicted), _ratio(total.relaxed, total.gold)
    report = {
        "articles": len(by_article),
        "claims": {
            "gold": total.gold,
            "predicted": total.predicted,
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "relaxed": {"precision": relaxed_p, "recall": relaxed_r, "f1": _f1(relaxed_p, relaxed_r)},
        },
        "speaker_accuracy": _ratio(total.speaker_ok, total.relaxed),
        "decontextualization": {
            "accuracy": _ratio(total.context_ok, total.relaxed),
            "relative_dates": {
                "gold": total.dates_gold,
                "resolved": total.dates_ok,
                "recall": _ratio(total.dates_ok, total.dates_gold),
            },
            "entities": {
                "gold": total.entities_gold,
                "resolved": total.entities_ok,
                "recall": _ratio(total.entities_ok, total.entities_gold),
                "precision": _ratio(total.entities_predicted_ok, total.entities_predicted),
            },
        },
        "by_article": by_article,
    }
    return report, errors


def throughput(articles: Sequence[GoldArticle], *, seconds: float = 3.0) -> dict[str, float]:
    """Claims and kilobytes of article text extracted per second (no encoding), one thread.

    Both wall-clock and CPU-time rates are given: on a shared machine the wall clock also counts time
    the process spent waiting for a core.
    """
    texts = [a.text for a in articles]
    size = sum(len(t.encode("utf-8")) for t in texts)
    for text in texts:  # warm-up: the language model loads on first use
        extract(text)
    rounds = claims = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    while True:
        for text in texts:
            claims += len(extract(text).claims)
        rounds += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            break
    cpu = time.process_time() - cpu_started
    return {
        "seconds": round(elapsed, 3),
        "kb_per_s": round(size * rounds / 1024 / elapsed, 1),
        "claims_per_s": round(claims / elapsed, 1),
        "kb_per_cpu_s": round(size * rounds / 1024 / cpu, 1),
        "claims_per_cpu_s": round(claims / cpu, 1),
        "articles": len(texts),
        "kb": round(size / 1024, 1),
    }


def checkworthiness_report(articles: Sequence[GoldArticle]) -> dict[str, Any]:
    """The shipped scorer on the gold claims (the default MiniLM ONNX encoder, as the API), plus its figures."""
    from embeddings.onnx import OnnxEncoder
    from embeddings.use import MultilingualEncoder
    from service.checkworthiness import default_scorer, in_their_language

    scorer = default_scorer()
    encoder = OnnxEncoder()
    finetuned = scorer.finetuned is not None and scorer.graph_for(encoder) is not None
    gold_by_span = {(a.name, c.start, c.end): c.checkworthy for a in articles for c in a.claims}
    keyed = [(a, c) for a in articles for c in extract(a.text).claims]
    texts = [c.context_text for _, c in keyed]
    vectors = encoder.encode_documents(texts)
    scores = scorer.score(vectors=vectors, texts=texts, model=encoder.model_id, encoder=encoder)
    # Claims not in English: the multilingual head, as ingest scores them when the multilingual encoder runs.
    use = MultilingualEncoder(threads=1)
    languages = [a.language for a, _ in keyed]
    scores = in_their_language(
        scores, languages=languages, vectors=use.encode_documents(texts), model=use.model_id, scorer=scorer
    )
    by_language: dict[str, list[int]] = {}  # language -> [tp, fp, fn, claims]
    for (article, claim), score in zip(keyed, scores, strict=True):
        gold = gold_by_span.get((article.name, claim.start, claim.end))
        if gold is None:
            continue
        predicted = score >= scorer.threshold
        counts = by_language.setdefault(article.language, [0, 0, 0, 0])
        counts[3] += 1
        counts[0] += predicted and gold
        counts[1] += predicted and not gold
        counts[2] += (not predicted) and gold
    tp, fp, fn = (sum(counts[i] for counts in by_language.values()) for i in range(3))
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    per_language = {}
    for language, (ltp, lfp, lfn, total) in sorted(by_language.items()):
        lp, lr = _ratio(ltp, ltp + lfp), _ratio(ltp, ltp + lfn)
        per_language[language] = {"claims": total, "precision": lp, "recall": lr, "f1": _f1(lp, lr)}
    return {
        "gold_set": {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "note": "the fine-tuned model never saw the gold claims"
            if finetuned
            else "the gold claims are part of the logistic regression's training data",
            "per_language": per_language,
            "other_languages": "the multilingual head" if scorer.multilingual is not None else "the English model",
        },
        "model": "fine-tuned" if finetuned else "logistic regression",
        "threshold": scorer.threshold,
        "cross_validation": scorer.metrics,
        "finetuned": None if scorer.finetuned is None else scorer.finetuned.metrics,
    }


# The real-news extraction labels by split: the dev events' (tuned on) and the test events' (scored once).
REALNEWS_LABELS: Final = {"dev": "extraction.jsonl", "test": "extraction_test.jsonl"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gold", type=Path, default=GOLD_DIR, help="folder of NN_name.md + NN_name.json")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to measure throughput")
    parser.add_argument("--errors", action="store_true", help="also list every miss")
    parser.add_argument("--no-checkworthiness", action="store_true", help="skip the scorer (loads the model)")
    parser.add_argument(
        "--realnews",
        action="store_true",
        help="score claims and speakers on labelled real news excerpts instead (their texts from "
        "data/realnews/cache/; --split picks the labels)",
    )
    parser.add_argument(
        "--split",
        choices=sorted(REALNEWS_LABELS),
        default="dev",
        help="with --realnews: dev (bench/data/realnews/extraction.jsonl: excerpts of the dev events, which the "
        "extraction rules were tuned on) or test (extraction_test.jsonl: excerpts of the test events, labelled "
        "apart from the software and scored once per release)",
    )


def main(args: argparse.Namespace) -> int:
    if args.realnews:
        from bench import realnews

        labels = realnews.SET_DIR / REALNEWS_LABELS[args.split]
        if not labels.exists():
            print(f"error: no extraction labels for the {args.split} events: {labels} is missing", file=sys.stderr)
            return 2
        articles, missing = load_realnews_gold(labels, realnews.CACHE_DIR)
        if not articles:
            print(f"error: none of the labelled excerpts is in {realnews.CACHE_DIR}", file=sys.stderr)
            return 2
        report, errors = evaluate(articles)
        by_language: dict[str, list[int]] = {}
        for article in articles:
            row = report["by_article"][article.name]
            cell = by_language.setdefault(article.language, [0, 0, 0, 0])
            cell[0] += row["gold"]
            cell[1] += row["predicted"]
            cell[2] += row["exact"]
            cell[3] += row["speaker_ok"]
        summary = {
            "set": f"bench/data/realnews/{labels.name} ({args.split} events only; texts not in the repository)",
            "excerpts": len(articles),
            "missing_from_cache": missing,
            "claims": report["claims"],
            "speaker_accuracy": report["speaker_accuracy"],
            "by_language": {
                lang: {"gold": g, "predicted": p, "precision": _ratio(x, p), "recall": _ratio(x, g)}
                for lang, (g, p, x, _s) in sorted(by_language.items())
            },
            "errors": [e for e in errors if e["kind"] != "context"] if args.errors else len(errors),
        }
        print(json.dumps(summary, ensure_ascii=False, indent=1))
        return 0
    try:
        articles = load_gold(args.gold)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: cannot read the gold set in {args.gold}: {exc}", file=sys.stderr)
        return 2
    report, errors = evaluate(articles)
    if not args.no_checkworthiness:
        report["checkworthiness"] = checkworthiness_report(articles)
    report["throughput"] = throughput(articles, seconds=args.seconds)
    report["errors"] = errors if args.errors else len(errors)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    from bench import run_script

    sys.exit(run_script(__doc__, add_arguments, main))
