"""The cross-reference report of one article: for each of its claims, who else says it, who says otherwise.

`build_report` answers ``GET /sources/{id}/cross-references`` and ``crosscheck report``; `render_text` is the
terminal table. Matching uses the claims' stored vectors (nothing is encoded), so the similarity handed to
the relations engine is the cosine of the two stored MiniLM embeddings. Matches are counted by *independent
source* (service/syndication.py): copies of one wire story are one entry, their outlets listed under it, and
the article's own syndicated copies are left out altogether.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlmodel import Session, col, select

from embeddings import ClaimIndex
from service import relations, store
from service.matching import (
    PER_SOURCE_OVERFETCH,
    _hydrate,
    claim_facts,
    claim_public,
    fact_checks_of,
    signals_public,
    source_brief,
)
from service.models import Claim, Source
from service.schemas import (
    ClaimCrossReference,
    CrossReferenceReport,
    ReportMatch,
    ReportSummary,
    SourceBrief,
)
from service.syndication import claim_group, source_group

REPORT_WIDTH = 100
# Claims of one independent source compared with each reported claim (its best-matching ones).
CLAIMS_PER_GROUP = 3


@dataclass(slots=True)
class _GroupHit:
    """The best-matching claim of one independent source, and the other sources of its group that matched."""

    claim: Claim
    source: Source
    similarity: float
    group: int
    copies: dict[int, Source] = field(default_factory=dict)
    # The group's next-best claims (up to CLAIMS_PER_GROUP in all): one source may corroborate a claim in one
    # sentence and give a conflicting figure in another, and the conflict is what a fact-checker must see.
    others: list[tuple[Claim, Source, float]] = field(default_factory=list)


def _group_hits(
    row: Sequence[tuple[int, float]], found: dict[int, tuple[Claim, Source]], *, own_group: int, k: int
) -> list[_GroupHit]:
    """Hits (best first) folded by copy group: the first k groups, each with its best claim."""
    groups: dict[int, _GroupHit] = {}
    for claim_id, similarity in row:
        pair = found.get(claim_id)
        if pair is None:  # deleted since the search
            continue
        claim, source = pair
        group = claim_group(claim, source)
        if group == own_group:  # a copy of the very claim being reported: not a second source
            continue
        hit = groups.get(group)
        if hit is None:
            if len(groups) < k:
                groups[group] = _GroupHit(claim=claim, source=source, similarity=similarity, group=group)
        else:
            if source.id != hit.source.id:
                hit.copies.setdefault(source.id or 0, source)
            elif len(hit.others) < CLAIMS_PER_GROUP - 1:
                hit.others.append((claim, source, similarity))
    return list(groups.values())


def _search(
    *,
    session: Session,
    index: ClaimIndex,
    vectors: np.ndarray,
    own_groups: Sequence[int],
    excluded: Sequence[int],
    k: int,
) -> list[list[_GroupHit]]:
    """Each claim's k best independent sources among the other articles, from its stored vector."""
    if vectors.shape[0] == 0:
        return []
    excluded_ids = np.asarray(excluded, dtype=np.int64)
    # Copies of one story crowd the nearest neighbours: fetch more than k and widen while groups are short.
    fetch = k * PER_SOURCE_OVERFETCH
    while True:
        hits = index.search(vectors, fetch, excluded_ids=excluded_ids if excluded_ids.size else None)
        found = _hydrate(session=session, ids=sorted({cid for row in hits for cid, _ in row}))
        results = [_group_hits(row, found, own_group=group, k=k) for row, group in zip(hits, own_groups, strict=True)]
        short = any(len(res) < k and len(row) == fetch for res, row in zip(results, hits, strict=True))
        if fetch >= len(index) or not short:
            # The exact cosine from the stored vectors (an approximate index only estimates it).
            for vector, res in zip(vectors, results, strict=True):
                for hit in res:
                    hit.similarity = _cosine(hit.claim, vector, index.dim)
                    hit.others = [(c, s, _cosine(c, vector, index.dim)) for c, s, _ in hit.others]
            return results
        fetch *= PER_SOURCE_OVERFETCH


def _cosine(claim: Claim, vector: np.ndarray, dim: int) -> float:
    return float(store.bytes_to_vectors([claim.embedding], dim)[0] @ vector)


def _claim_ids_below(*, session: Session, minimum: float) -> list[int]:
    """Ids of claims less check-worthy than `minimum`, unscored ones included."""
    score = col(Claim.checkworthiness)
    rows = session.exec(select(Claim.id).where((score < minimum) | score.is_(None))).all()
    return [int(i or 0) for i in rows]


def _report_match(hit: _GroupHit, verdict: relations.Verdict, claim: Claim, similarity: float) -> ReportMatch:
    """One entry (its `fact_check` is filled by `build_report` for a fact-check's claim)."""
    return ReportMatch(
        claim=claim_public(claim),
        source=source_brief(hit.source),
        similarity=round(similarity, 6),
        relation=verdict.relation,
        signals=signals_public(verdict),
        copy_group=hit.group,
        copies=[source_brief(s) for s in hit.copies.values()],
    )


def _judge(claim: Claim, source: Source, hits: Sequence[_GroupHit]) -> list[ReportMatch]:
    """Each independent source's verdicts on `claim`: its best claim, plus a conflicting claim if it has one.

    A source reported as corroborating may also appear among the conflicts (another of its sentences gives a
    different figure); a source with neither is shown once, as related.
    """
    flat = [(hit, c, sim) for hit in hits for c, _, sim in [(hit.claim, hit.source, hit.similarity), *hit.others]]
    verdicts = relations.compare_many(
        claim_facts(claim, source), [claim_facts(c, hit.source) for hit, c, _ in flat], [sim for _, _, sim in flat]
    )
    found: list[ReportMatch] = []
    for hit in hits:
        mine = [(c, sim, v) for (h, c, sim), v in zip(flat, verdicts, strict=True) if h is hit]
        same = next(((c, sim, v) for c, sim, v in mine if v.relation == "same"), None)
        conflict = next(((c, sim, v) for c, sim, v in mine if v.relation == "conflict"), None)
        chosen = [x for x in (same, conflict) if x is not None] or mine[:1]
        found += [_report_match(hit, v, c, sim) for c, sim, v in chosen]
    return found


def build_report(
    *, session: Session, index: ClaimIndex, source: Source, k: int, min_checkworthiness: float | None = None
) -> CrossReferenceReport:
    """For every claim of `source`: corroborating, conflicting and related claims of independent sources.

    Args:
        k: Independent sources looked at per claim (copies of one story count once).
        min_checkworthiness: Only claims at least this check-worthy are reported or matched.
    """
    claims = store.claims_of(session=session, source_id=source.id or 0)
    group = source_group(source)
    copies = [s for s in store.sources_in_group(session=session, group=group) if s.id != source.id]
    excluded = store.claim_ids_of_sources(session=session, source_ids=[source.id or 0, *(s.id or 0 for s in copies)])
    if min_checkworthiness is not None:
        claims = [c for c in claims if c.checkworthiness is not None and c.checkworthiness >= min_checkworthiness]
        excluded += _claim_ids_below(session=session, minimum=min_checkworthiness)
    own_groups = [claim_group(c, source) for c in claims]
    vectors = store.bytes_to_vectors([c.embedding for c in claims], index.dim)
    per_claim = _search(session=session, index=index, vectors=vectors, own_groups=own_groups, excluded=excluded, k=k)

    entries: list[ClaimCrossReference] = []
    corroborating_sources: set[int] = set()
    corroborating_groups: set[int] = set()
    checked = fact_checks_of(session=session, sources=[hit.source for hits in per_claim for hit in hits])
    for claim, hits in zip(claims, per_claim, strict=True):
        found = _judge(claim, source, hits)
        # A fact-check's claim never corroborates (nor contradicts) an article's: it is listed apart, rating and all.
        reviews = [
            m.model_copy(update={"fact_check": checked[m.source.id]})
            for m in found
            if m.source.id in checked and m.relation != "related"
        ]
        found = [m for m in found if m.source.id not in checked]
        same = [m for m in found if m.relation == "same"]
        raw = {m.source.id for m in same} | {c.id for m in same for c in m.copies}
        corroborating_sources |= raw
        corroborating_groups |= {m.copy_group for m in same}
        entries.append(
            ClaimCrossReference(
                claim=claim_public(claim),
                single_source=not same,
                sources=len(raw),
                independent_sources=len(same),
                corroborating=same,
                conflicting=[m for m in found if m.relation == "conflict"],
                related=[m for m in found if m.relation == "related"],
                fact_checks=reviews,
            )
        )
    summary = ReportSummary(
        claims=len(entries),
        fact_checked=sum(1 for e in entries if e.fact_checks),
        corroborated=sum(1 for e in entries if e.corroborating),
        conflicting=sum(1 for e in entries if e.conflicting),
        single_source=sum(1 for e in entries if e.single_source),
        sources=len(corroborating_sources),
        independent_sources=len(corroborating_groups),
    )
    return CrossReferenceReport(
        source=source_brief(source),
        copy_group=group,
        copies=[source_brief(s) for s in copies],
        summary=summary,
        claims=entries,
    )


# --- terminal table -------------------------------------------------------------------------------------------

_RELATION_LABEL = {"same": "same", "conflict": "CONFLICT", "related": "related"}
# relation, source, date, span, cosine; the matched claim and the signals go on the lines below the row.
_COLUMNS = (("relation", 9), ("source", 0), ("date", 10), ("span", 13), ("cosine", 6))
_SOURCE_COLUMN = (16, 40)  # the source column takes what the others leave, within these bounds
_INDENT = " " * 4


def _cut(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + "…"


def _brief(source: SourceBrief) -> str:
    return source.outlet or source.title or f"source {source.id}"


def _date(source: SourceBrief) -> str:
    return source.published_at.isoformat() if source.published_at else "-"


def _row(cells: Sequence[str], width: int) -> str:
    others = 2 + sum(w + 1 for _, w in _COLUMNS)
    source = min(max(width - others, _SOURCE_COLUMN[0]), _SOURCE_COLUMN[1])
    widths = [w or source for _, w in _COLUMNS]
    return ("  " + " ".join(_cut(cell, w).ljust(w) for cell, w in zip(cells, widths, strict=True))).rstrip()


def _wrap(text: str, width: int, indent: str, follow: str | None = None) -> list[str]:
    """Every word of `text` on lines of about `width`: wrapped, never cut; a word longer than a line (a URL)
    stays whole on a line of its own. Continuation lines take `follow` (default: the indent's width in spaces)."""
    return textwrap.wrap(
        " ".join(text.split()),
        width=max(width, len(indent) + 20),
        initial_indent=indent,
        subsequent_indent=" " * len(indent) if follow is None else follow,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _match_lines(match: ReportMatch, width: int) -> list[str]:
    name = _brief(match.source) + (f" (+{len(match.copies)} copies)" if match.copies else "")
    span = f"{match.claim.start}-{match.claim.end}"
    cells = [_RELATION_LABEL[match.relation], name, _date(match.source), span, f"{match.similarity:.2f}"]
    lines = [_row(cells, width), *_wrap(f'"{match.claim.text}"', width, _INDENT)]
    notes = [f"{s.kind}: {s.query_value or '-'} vs {s.match_value or '-'} ({s.explanation})" for s in match.signals]
    if match.source.url:
        notes.append(match.source.url)
    if match.copies:
        notes.append("also carried by: " + "; ".join(_brief(c) for c in match.copies))
    return lines + [line for note in notes for line in _wrap(note, width, _INDENT + "- ")]


def render_text(report: CrossReferenceReport, *, width: int = REPORT_WIDTH) -> str:
    """The report as a plain-text table about `width` columns wide."""
    src = report.source
    summary = report.summary
    lines = [
        *_wrap(f"Cross-references of source {src.id}: {_brief(src)}, {_date(src)}", width, ""),
        *(_wrap(src.title, width, "  ") if src.title else []),
        *(_wrap(src.url, width, "  ") if src.url else []),
    ]
    if report.copies:
        copies = "; ".join(f"{_brief(c)} (source {c.id})" for c in report.copies)
        lines += _wrap(f"Syndicated copies of this article (not counted): {copies}", width, "  ")
    lines += _wrap(
        f"{summary.claims} claims: {summary.corroborated} corroborated, {summary.conflicting} with conflicts, "
        f"{summary.single_source} single-source; corroborated by {summary.independent_sources} independent "
        f"sources ({summary.sources} outlets counting reprints)",
        width,
        "  ",
    )
    header = _row([name for name, _ in _COLUMNS], width)
    for number, item in enumerate(report.claims, start=1):
        claim = item.claim
        n = item.independent_sources
        if item.single_source:
            status = "SINGLE SOURCE"
        else:
            status = f"corroborated by {n} independent source{'' if n == 1 else 's'}"
            if item.sources != n:
                status += f" ({item.sources} counting copies)"
        if item.conflicting:
            status += f", {len(item.conflicting)} conflicting"
        lines += ["", "=" * width, *_wrap(f"Claim {number} [{claim.start}-{claim.end}]: {status}", width, "", "  ")]
        lines += _wrap(claim.text, width, "  ")
        for review in item.fact_checks:
            fc = review.fact_check
            if fc is not None:
                lines += _wrap(
                    f"ALREADY CHECKED: {fc.rating or fc.rating_value} by {fc.reviewer or 'a fact-checker'}"
                    f"{', ' + fc.date_published.isoformat() if fc.date_published else ''} — {fc.url}",
                    width,
                    "  ",
                )
                lines += _wrap(f"reviewed: {review.claim.text}", width, "    ")
        matches = [*item.corroborating, *item.conflicting, *item.related]
        if not matches:
            lines.append("  (no matching claim in other sources)")
            continue
        lines += [header, "  " + "-" * (width - 2)]
        for match in matches:
            lines += _match_lines(match, width)
    return "\n".join(lines) + "\n"
