"""The `crosscheck` command: serve, ingest, match, report, reindex."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from service.config import get_settings

INGEST_SUFFIXES = {".md", ".txt", ".jsonl"}


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

    from service.db import open_session
    from service.errors import CrossCheckError
    from service.ingest import ingest_source
    from service.runtime import Runtime
    from service.schemas import SourceCreate

    files = list(_iter_files(args.paths))
    missing = [str(p) for p in files if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    summary = IngestSummary()
    runtime = Runtime.open(get_settings())
    try:
        for path in tqdm(files, desc="ingest", unit="file", disable=args.quiet or not sys.stderr.isatty()):
            for label, record in _records(path):
                if isinstance(record, str):
                    summary.rejected.append((label, record))
                    continue
                try:
                    source_in = SourceCreate.model_validate(record)
                    with open_session(runtime.engine) as session:
                        result = ingest_source(
                            session=session,
                            encoder=runtime.encoder,
                            index=runtime.index,
                            settings=runtime.settings,
                            source_in=source_in,
                        )
                except ValidationError as exc:
                    reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                    summary.rejected.append((label, reason))
                    continue
                except CrossCheckError as exc:
                    summary.rejected.append((label, exc.message))
                    continue
                if result.created:
                    summary.new += 1
                    summary.claims += len(result.claims)
                else:
                    summary.present += 1
    finally:
        runtime.close()
    print(
        f"new: {summary.new} ({summary.claims} claims), already present: {summary.present}, "
        f"rejected: {len(summary.rejected)}"
    )
    for label, reason in summary.rejected:
        print(f"  rejected {label}: {reason}")
    return 1 if summary.rejected else 0


def _shorten(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def cmd_match(args: argparse.Namespace) -> int:
    from service.db import open_session
    from service.matching import match_claims
    from service.runtime import Runtime
    from service.schemas import MatchQuery

    try:
        query = MatchQuery(text=args.claim, k=args.k, per_source=args.per_source, min_score=args.min_score)
    except ValidationError as exc:
        print(f"error: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    runtime = Runtime.open(get_settings())
    try:
        with open_session(runtime.engine) as session:
            response = match_claims(session=session, encoder=runtime.encoder, index=runtime.index, query=query)
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
        print(f"{m.rank:>2}. {m.score:.3f}  {m.source.outlet or '-'}  {date}  [{m.claim.start}:{m.claim.end}]")
        print(f"    {_shorten(m.claim.text, 110)}")
        if m.source.url:
            print(f"    {m.source.url}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from service.reindex import reindex

    report = reindex(get_settings(), reencode=args.reencode)
    print(json.dumps(report))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "service.main:create_app", factory=True, host=args.host, port=args.port, log_level=get_settings().log_level
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crosscheck", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API (Swagger UI at /docs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    ingest = sub.add_parser("ingest", help="ingest .md/.txt articles and .jsonl files (one POST /sources body a line)")
    ingest.add_argument("paths", nargs="+", help="files or folders")
    ingest.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    ingest.set_defaults(func=cmd_ingest)

    match = sub.add_parser("match", help="find the claims of ingested sources closest to a claim")
    match.add_argument("claim")
    match.add_argument("-k", type=int, default=10, help="number of matches (1..100)")
    match.add_argument("--per-source", action="store_true", help="best claim of each source only")
    match.add_argument("--min-score", type=float, default=None)
    match.add_argument("--json", action="store_true", help="print the API's JSON")
    match.set_defaults(func=cmd_match)

    reindex = sub.add_parser("reindex", help="rebuild the FAISS index from the vectors stored in the database")
    reindex.add_argument(
        "--reencode",
        action="store_true",
        help="re-encode every claim with the configured model (after changing CROSSCHECK_MODEL)",
    )
    reindex.set_defaults(func=cmd_reindex)
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
