"""The `crosscheck` command: serve, ingest, match, report, reindex."""

from __future__ import annotations

import argparse
import collections
import importlib
import itertools
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import ValidationError

from service.client import Client, CrosscheckError
from service.config import get_settings
from service.schemas import MAX_CONTEXT_WINDOW

FEED_BATCH = 256  # fact-checks stored per transaction
INGEST_SUFFIXES = {".md", ".txt", ".jsonl", ".json"}  # .json: a ClaimReview feed


@dataclass
class IngestSummary:
    new: int = 0
    present: int = 0
    claims: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)


def _iter_files(paths: Sequence[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in INGEST_SUFFIXES and p.name.lower() != "readme.md"
            )
        else:
            yield path


def _records(path: Path) -> Iterator[tuple[str, dict[str, object] | str]]:
    """`(label, fields-or-error)` for each article in a file."""
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield str(path), f"cannot read file: {exc}"
        return
    if path.suffix.lower() != ".jsonl":
        yield str(path), {"text": content}
        return
    for lineno, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        label = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield label, f"not valid JSON: {exc.msg}"
            continue
        yield label, record if isinstance(record, dict) else "each line must be a JSON object"


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from service.runtime import Runtime
    from service.schemas import SourceCreate

    files = list(_iter_files(args.paths))
    missing = [str(p) for p in files if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    feeds = [p for p in files if p.suffix.lower() == ".json"]
    files = [p for p in files if p.suffix.lower() != ".json"]
    if feeds:
        status = _ingest_feeds(args, feeds)
        if not files or status == 2:
            return status
    summary = IngestSummary()
    # Articles go to `Runtime.ingest_many` in batches (one encoder call and one transaction each). Rejections
    # are numbered by their place in the input, so they print in file order however the batches fall.
    rejected: list[tuple[int, str, str]] = []
    pending: collections.deque[tuple[int, str, int]] = collections.deque()  # (number, label, file) per article
    order = itertools.count()

    def articles() -> Iterator[SourceCreate]:
        for file_number, path in enumerate(files):
            for label, record in _records(path):
                number = next(order)
                if isinstance(record, str):
                    rejected.append((number, label, record))
                    continue
                try:
                    source_in = SourceCreate.model_validate(record)
                except ValidationError as exc:
                    reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                    rejected.append((number, label, reason))
                    continue
                pending.append((number, label, file_number))
                yield source_in

    if args.server:
        try:
            with _client(args) as client:
                for source_in in articles():
                    number, label, _file_number = pending.popleft()
                    try:
                        created = client.ingest(**source_in.model_dump(exclude_defaults=True))
                    except CrosscheckError as exc:
                        if exc.status >= 500 or exc.status in (401, 403):
                            raise
                        rejected.append((number, label, str(exc.detail)))
                        continue
                    if created.created:
                        summary.new += 1
                        summary.claims += len(created.claims)
                    else:
                        summary.present += 1
        except (CrosscheckError, httpx.HTTPError) as exc:
            return _server_error(args, exc)
        return _ingest_summary(summary, rejected)
    runtime = Runtime.open(get_settings())
    try:
        with tqdm(total=len(files), desc="ingest", unit="file", disable=args.quiet or not sys.stderr.isatty()) as bar:
            for item in runtime.ingest_many(articles()):
                number, label, file_number = pending.popleft()
                bar.update(file_number - bar.n)  # the files before this article's are done
                if item.error is not None:
                    rejected.append((number, label, item.error.message))
                elif item.created:
                    summary.new += 1
                    summary.claims += len(item.claim_ids)
                else:
                    summary.present += 1
            bar.update(len(files) - bar.n)
    finally:
        runtime.close()
    return _ingest_summary(summary, rejected)


def _read_feed(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read file: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc


def _ingest_feeds(args: argparse.Namespace, feeds: Sequence[Path]) -> int:
    """`crosscheck ingest feed.json`: ClaimReview feeds (any shape POST /fact-checks reads), with progress."""
    from tqdm import tqdm

    from service import factchecks

    new = present = 0
    rejected: list[str] = []
    runtime = None
    try:
        for path in feeds:
            try:
                document = _read_feed(path)
            except ValueError as exc:
                rejected.append(f"{path}: {exc}")
                continue
            if not factchecks.looks_like_claimreview(document):
                rejected.append(f"{path}: no ClaimReview in it (articles go in .jsonl files, one JSON object a line)")
                continue
            if args.server:
                try:
                    with _client(args) as client:
                        answer = client.import_fact_checks(document)
                except (CrosscheckError, httpx.HTTPError) as exc:
                    return _server_error(args, exc)
                new, present = new + len(answer.stored), present + len(answer.existing)
                rejected += [f"{path} item {r.index}: {r.detail}" for r in answer.rejected]
                continue
            if runtime is None:
                from service.runtime import Runtime

                runtime = Runtime.open(get_settings())
            parsed = factchecks.parse_feed(document)
            rejected += [f"{path} item {r.index}: {r.detail}" for r in parsed.rejected]
            show = not args.quiet and sys.stderr.isatty()
            with tqdm(total=len(parsed.reviews), desc=path.name, unit="review", disable=not show) as bar:
                for start in range(0, len(parsed.reviews), FEED_BATCH):
                    part = factchecks.Parsed(reviews=parsed.reviews[start : start + FEED_BATCH])
                    done = runtime.store_fact_checks(part)
                    new, present = new + len(done.stored), present + len(done.existing)
                    bar.update(len(part.reviews))
    finally:
        if runtime is not None:
            runtime.close()
    print(f"fact-checks new: {new}, already present: {present}, rejected: {len(rejected)}")
    for reason in rejected:
        print(f"  rejected {reason}")
    return 1 if rejected else 0


def _ingest_summary(summary: IngestSummary, rejected: list[tuple[int, str, str]]) -> int:
    summary.rejected = [(label, reason) for _, label, reason in sorted(rejected)]
    print(
        f"new: {summary.new} ({summary.claims} claims), already present: {summary.present}, "
        f"rejected: {len(summary.rejected)}"
    )
    for label, reason in summary.rejected:
        print(f"  rejected {label}: {reason}")
    return 1 if summary.rejected else 0


def _client(args: argparse.Namespace) -> Client:
    """The API client of `--server` (with `--api-key` / CROSSCHECK_API_KEY when the server has keys)."""
    return Client(args.server, api_key=args.api_key)


def _server_error(args: argparse.Namespace, exc: Exception) -> int:
    if isinstance(exc, CrosscheckError):
        print(f"error: the server at {args.server} answered {exc.status}: {exc.detail}", file=sys.stderr)
    elif isinstance(exc, LookupError):
        print(f"error: {exc.args[0]}", file=sys.stderr)
    else:
        print(f"error: cannot reach the server at {args.server}: {exc}", file=sys.stderr)
    return 1


def _remote_source_id(client: Client, ref: str) -> int:
    """A source id as given, or the id of the stored source with that URL (looked up through the API)."""
    if ref.isdigit():
        return int(ref)
    for source in client.sources():
        if source.url == ref:
            return source.id
    raise LookupError(f"no source with URL {ref} (give a source id or a stored URL)")


def _report_options(args: argparse.Namespace) -> dict[str, object]:
    options: dict[str, object] = {"k": args.k, "min_checkworthiness": args.min_checkworthiness}
    if args.context_window:
        options["context_window"] = args.context_window
    if args.cohesion:
        options["cohesion"] = args.cohesion
    return options


def _shorten(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def cmd_match(args: argparse.Namespace) -> int:
    from service.db import open_session
    from service.runtime import Runtime
    from service.schemas import MatchQuery

    try:
        query = MatchQuery(
            text=args.claim, k=args.k, per_source=args.per_source, min_score=args.min_score, mode=args.mode
        )
    except ValidationError as exc:
        print(f"error: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    if args.server:
        try:
            with _client(args) as client:
                response = client.match(**query.model_dump(exclude_defaults=True))
        except (CrosscheckError, httpx.HTTPError) as exc:
            return _server_error(args, exc)
    else:
        runtime = Runtime.open(get_settings())
        try:
            with open_session(runtime.engine) as session:
                response = runtime.matcher.match(session=session, query=query)
        finally:
            runtime.engine.dispose()
    if args.json:
        print(response.model_dump_json(indent=2))
        return 0
    if not response.matches:
        print("no matches (is anything ingested? try `crosscheck ingest seeds/`)")
        return 0
    for m in response.matches:
        date = m.source.published_at.isoformat() if m.source.published_at else "-"
        print(
            f"{m.rank:>2}. {m.score:.3f}  {m.relation:<8} {m.source.outlet or '-'}  {date}  "
            f"[{m.claim.start}:{m.claim.end}]"
        )
        print(f"    {_shorten(m.claim.text, 110)}")
        if m.fact_check is not None:
            fc = m.fact_check
            by = f" by {fc.reviewer}" if fc.reviewer else ""
            print(f"    ALREADY CHECKED: rated {fc.rating or fc.rating_value}{by} ({fc.url})")
        for signal in m.signals:
            print(f"    - {_shorten(f'{signal.kind}: {signal.explanation}', 108)}")
        if m.source.url:
            print(f"    {m.source.url}")
    print(f"{response.sources} sources, {response.independent_sources} independent (syndicated copies count once)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from service import report, store
    from service.db import open_session
    from service.errors import NotFoundError
    from service.runtime import Runtime

    if not 1 <= args.k <= 100:
        print("error: -k must be between 1 and 100", file=sys.stderr)
        return 2
    if args.min_checkworthiness is not None and not 0 <= args.min_checkworthiness <= 1:
        print("error: --min-checkworthiness must be between 0 and 1", file=sys.stderr)
        return 2
    if not 0 <= args.context_window <= MAX_CONTEXT_WINDOW:
        print(f"error: --context-window must be between 0 and {MAX_CONTEXT_WINDOW}", file=sys.stderr)
        return 2
    if not 0 <= args.cohesion <= 1:
        print("error: --cohesion must be between 0 and 1", file=sys.stderr)
        return 2
    if args.server:
        try:
            with _client(args) as client:
                result = client.report(_remote_source_id(client, args.source.strip()), **_report_options(args))
        except (CrosscheckError, httpx.HTTPError, LookupError) as exc:
            return _server_error(args, exc)
        print(result.model_dump_json(indent=2) if args.json else report.render_text(result, width=args.width).rstrip())
        return 0
    # The report reads stored vectors: no additional (multilingual) encoder is needed.
    runtime = Runtime.open(get_settings(), extra_encoders={})
    try:
        with open_session(runtime.engine) as session:
            ref = args.source.strip()
            if ref.isdigit():
                try:
                    source = store.get_source(session=session, source_id=int(ref))
                except NotFoundError as exc:
                    print(f"error: {exc.message}", file=sys.stderr)
                    return 1
            else:
                found = store.find_source_by_url(session=session, url=ref)
                if found is None:
                    print(f"error: no source with URL {ref} (give a source id or a stored URL)", file=sys.stderr)
                    return 1
                source = found
            result = report.build_report(
                session=session,
                matcher=runtime.matcher,
                source=source,
                k=args.k,
                min_checkworthiness=args.min_checkworthiness,
                context_window=args.context_window,
                cohesion=args.cohesion,
            )
    finally:
        runtime.engine.dispose()
    print(result.model_dump_json(indent=2) if args.json else report.render_text(result, width=args.width).rstrip())
    return 0


# `crosscheck bench NAME [ARGS]`: a thin entry to the benchmarks of a source checkout (the `bench` package next
# to this one); they are not part of the installed product and read data sets that only a checkout has.
BENCH_NAMES = (
    "retrieval",
    "crosslingual",
    "extraction",
    "perf",
    "relations",
    "realnews",
    "factchecks",
    "watches",
    "alert_quality",
    "transcript_alerts",
)
CHECKOUT = Path(__file__).resolve().parents[1]


def cmd_bench(args: argparse.Namespace) -> int:
    if not (CHECKOUT / "bench" / "__init__.py").is_file():
        print(
            f"error: `crosscheck bench` runs the benchmarks of a source checkout, and there is no bench/ folder "
            f"next to the installed package ({CHECKOUT}); clone the repository and run it from there",
            file=sys.stderr,
        )
        return 2
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    bench = importlib.import_module("bench")
    module = importlib.import_module(f"bench.{args.bench}")
    code: int = bench.run_script(
        bench.BENCHMARKS[args.bench],
        module.add_arguments,
        module.main,
        args.bench_args,
        f"crosscheck bench {args.bench}",
    )
    return code


def cmd_reindex(args: argparse.Namespace) -> int:
    from service.reindex import reindex

    report = reindex(get_settings(), reencode=args.reencode)
    print(json.dumps(report))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.security import bind_refusal

    refusal = bind_refusal(args.host, get_settings())
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    uvicorn.run(
        "service.main:create_app", factory=True, host=args.host, port=args.port, log_level=get_settings().log_level
    )
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    from service.security import SETTING, create_key

    token, key = create_key(args.scope)
    print(f"API key {key.key_id} ({key.scope}). The secret is shown only now; give it to the client:\n")
    print(f"    {token}\n")
    print(f"Add this entry to {SETTING} (comma-separated with any others); it holds only a salted hash:\n")
    print(f"    {key.entry()}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from service.transfer import export_to_path

    if args.claimreview:
        return _export_claimreview(Path(args.path))
    if args.judgments:
        return _export_judgments(Path(args.path))
    report = export_to_path(get_settings(), Path(args.path))
    print(json.dumps({"exported": str(args.path), "rows": report.counts}))
    return 0


def _export_judgments(path: Path) -> int:
    """Reviewers' judged pairs as JSON Lines with both texts: what `bench/train_reranker.py --judgments` reads."""
    from sqlmodel import col, select

    from service.db import make_engine, open_session
    from service.models import Claim, Judgment

    engine = make_engine(get_settings())
    written = 0
    try:
        with open_session(engine) as session, path.open("w", encoding="utf-8") as out:
            for judgment in session.exec(select(Judgment).order_by(col(Judgment.id))).all():
                matched = session.get(Claim, judgment.matched_claim_id)
                query_claim = session.get(Claim, judgment.query_claim_id) if judgment.query_claim_id else None
                query = judgment.query_text or (
                    (query_claim.context_text or query_claim.text) if query_claim is not None else None
                )
                if matched is None or not query:
                    continue  # a claim deleted since: the pair cannot be learnt from
                row = {
                    "query": query,
                    "matched": matched.text,
                    "verdict": judgment.verdict,
                    "reviewer": judgment.reviewer,
                    "note": judgment.note,
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                written += 1
    finally:
        engine.dispose()
    print(json.dumps({"exported": str(path), "judgments": written}))
    return 0


def _export_claimreview(path: Path) -> int:
    """Every stored fact-check as one schema.org DataFeed of ClaimReviews."""
    from sqlmodel import col, select
    from tqdm import tqdm

    from service import factchecks
    from service.db import make_engine, open_session
    from service.models import FactCheck

    engine = make_engine(get_settings())
    try:
        with open_session(engine) as session:
            rows = session.exec(select(FactCheck).order_by(col(FactCheck.id))).all()
            feed = factchecks.data_feed(list(tqdm(rows, desc="export", unit="review", disable=not sys.stderr.isatty())))
    finally:
        engine.dispose()
    path.write_text(json.dumps(feed, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({"exported": str(path), "claimreviews": len(rows)}))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from service.transfer import TransferError, import_store

    try:
        with Path(args.path).open(encoding="utf-8") as source:
            report = import_store(get_settings(), source)
    except (OSError, TransferError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"imported": str(args.path), "rows": report.counts, "index_size": report.index_size}))
    return 0


def _server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=os.environ.get("CROSSCHECK_SERVER") or None,
        metavar="URL",
        help="work against a running API (e.g. http://127.0.0.1:8000; CROSSCHECK_SERVER) instead of the data dir",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("CROSSCHECK_API_KEY") or None,
        help="the API key's secret for --server (CROSSCHECK_API_KEY)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crosscheck", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API (Swagger UI at /docs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    ingest = sub.add_parser(
        "ingest",
        help="ingest .md/.txt articles, .jsonl files (one POST /sources body a line) and .json ClaimReview feeds",
    )
    ingest.add_argument("paths", nargs="+", help="files or folders")
    ingest.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _server_arguments(ingest)
    ingest.set_defaults(func=cmd_ingest)

    match = sub.add_parser("match", help="find the claims of ingested sources closest to a claim")
    match.add_argument("claim")
    match.add_argument("-k", type=int, default=10, help="number of matches (1..100)")
    match.add_argument(
        "--per-source",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the best claim of each independent source (the default); --no-per-source: every matching claim",
    )
    match.add_argument("--min-score", type=float, default=None, help="drop matches whose score (0..1) is below this")
    match.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    match.add_argument("--json", action="store_true", help="print the API's JSON")
    _server_arguments(match)
    match.set_defaults(func=cmd_match)

    report = sub.add_parser(
        "report", help="cross-reference report of one source: corroborating, conflicting and related claims"
    )
    report.add_argument("source", help="source id or URL")
    report.add_argument("-k", type=int, default=5, help="independent sources per claim (1..100)")
    report.add_argument("--min-checkworthiness", type=float, default=None, help="only claims at least this (0..1)")
    report.add_argument(
        "--context-window",
        type=int,
        default=0,
        help="match each claim in the light of the source's claims up to N places either side (a transcript's "
        f"lines; 0..{MAX_CONTEXT_WINDOW}, default 0: the claim alone)",
    )
    report.add_argument(
        "--cohesion",
        type=float,
        default=0.0,
        help="how much a match gains when the source's other claims match the same claim (0..1; a transcript "
        "returns to its talking points: 0.1 was chosen on debate transcripts; default 0: none)",
    )
    report.add_argument("--width", type=int, default=100, help="table width in characters")
    report.add_argument("--json", action="store_true", help="print the API's JSON")
    _server_arguments(report)
    report.set_defaults(func=cmd_report)

    reindex = sub.add_parser("reindex", help="rebuild the FAISS index from the vectors stored in the database")
    reindex.add_argument(
        "--reencode",
        action="store_true",
        help="re-encode every claim with the configured model (after changing CROSSCHECK_MODEL)",
    )
    reindex.set_defaults(func=cmd_reindex)

    keys = sub.add_parser("keys", help="API keys for the HTTP API")
    keys_sub = keys.add_subparsers(dest="keys", required=True)
    keys_create = keys_sub.add_parser("create", help="make a key: prints the secret once and the entry to configure")
    keys_create.add_argument("--scope", choices=["write", "read"], default="write", help="write (default) or read")
    keys_create.set_defaults(func=cmd_keys_create)

    export = sub.add_parser("export", help="write every source and claim (with vectors) to a JSON Lines file")
    export.add_argument("path")
    export.add_argument(
        "--claimreview", action="store_true", help="write every stored fact-check as one ClaimReview DataFeed instead"
    )
    export.add_argument(
        "--judgments",
        action="store_true",
        help="write reviewers' judgments with both texts as JSON Lines instead (bench/train_reranker.py --judgments)",
    )
    export.set_defaults(func=cmd_export)
    import_ = sub.add_parser("import", help="restore an export into an empty store (no re-encoding)")
    import_.add_argument("path")
    import_.set_defaults(func=cmd_import)

    bench = sub.add_parser(
        "bench",
        help="benchmarks that print one JSON object (from a source checkout)",
        description="Benchmarks of a source checkout: " + ", ".join(BENCH_NAMES) + ". "
        "`crosscheck bench NAME --help` lists a benchmark's own arguments.",
    )
    bench.add_argument("bench", choices=BENCH_NAMES, help="which benchmark")
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help="the benchmark's own arguments")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Libraries (faiss, transformers) log at WARNING; crosscheck's own messages at the configured level.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("service").setLevel(get_settings().log_level.upper())
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
