"""The cross-reference report of one article: for each of its claims, who else says it, who says otherwise.

`build_report` answers ``GET /sources/{id}/cross-references`` and ``crosscheck report``; `render_text` is the
terminal table. Each claim is looked up through the same path as ``POST /claims/match`` (service/matching.py):
both encoders' candidates and BM25, the reranker, the verifier and the calibrated score, so that a source in
another language is found and the relations are the ones a match shows. Nothing is encoded: the claim's stored
vectors are the query's. Matches are counted by *independent source* (service/syndication.py): copies of one
wire story are one entry, their outlets listed under it, and the article's own syndicated copies are left out
altogether.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlmodel import Session

from service import store
from service.matching import (
    Matcher,
    Scope,
    build_scope,
    claim_facts,
    claim_public,
    in_context,
    source_brief,
    with_cohesion,
)
from service.models import Claim, Source
from service.schemas import (
    MAX_K,
    ClaimCrossReference,
    CrossReferenceReport,
    Match,
    MatchQuery,
    ReportMatch,
    ReportSummary,
    SourceBrief,
)
from service.syndication import claim_group, source_group

REPORT_WIDTH = 100
# Claims of one independent source compared with each reported claim (its best-matching ones).
CLAIMS_PER_GROUP = 3
# How a transcript is read (the review page's "read as a transcript"): each line with the 3 around it either side
# and cohesion 0.1, both chosen on CLEF-2022 2B train (debate sentences looked up among fact-checks; see README).
TRANSCRIPT_CONTEXT_WINDOW = 3
TRANSCRIPT_COHESION = 0.1


@dataclass(slots=True)
class _GroupHit:
    """The best-matching claim of one independent source, and the other sources of its group that matched."""

    best: Match
    copies: dict[int, SourceBrief] = field(default_factory=dict)
    # The group's next-best claims (up to CLAIMS_PER_GROUP in all): one source may corroborate a claim in one
    # sentence and give a conflicting figure in another, and the conflict is what a fact-checker must see.
    others: list[Match] = field(default_factory=list)


def _group_hits(matches: Sequence[Match], *, own_group: int, k: int) -> list[_GroupHit]:
    """Matches (best first) folded by copy group: the first k groups, each with its best claim."""
    groups: dict[int, _GroupHit] = {}
    for m in matches:
        if m.copy_group == own_group:  # a copy of the very claim being reported: not a second source
            continue
        hit = groups.get(m.copy_group)
        if hit is None:
            if len(groups) < k:
                groups[m.copy_group] = _GroupHit(best=m)
        elif m.source.id != hit.best.source.id:
            hit.copies.setdefault(m.source.id, m.source)
        elif len(hit.others) < CLAIMS_PER_GROUP - 1:
            hit.others.append(m)
    return list(groups.values())


def _search(
    *,
    session: Session,
    matcher: Matcher,
    claim: Claim,
    source: Source,
    scope: Scope,
    vectors: Mapping[str, np.ndarray],
    k: int,
) -> list[Match]:
    """The claim's matches through the match path, enough of them for its k best independent sources."""
    own = claim_group(claim, source)
    # Copies of one story crowd the list: ask for more than k claims and widen while groups are short.
    fetch = min(MAX_K, k * CLAIMS_PER_GROUP)
    while True:
        query = MatchQuery(text=claim.text, k=fetch, per_source=False)
        response = matcher.match(
            session=session, query=query, scope=scope, vectors=vectors, facts=claim_facts(claim, source)
        )
        hits = _group_hits(response.matches, own_group=own, k=k)
        if len(hits) >= k or len(response.matches) < fetch or fetch >= MAX_K:
            return response.matches
        fetch = min(MAX_K, fetch * 2)


def _report_match(match: Match, copies: Mapping[int, SourceBrief] | None = None) -> ReportMatch:
    """One entry: the match as POST /claims/match shows it, with its group's other sources."""
    return ReportMatch(
        claim=match.claim,
        source=match.source,
        similarity=round(float((match.scores or {}).get("dense", 0.0)), 6),
        score=match.score,
        relation=match.relation,
        signals=match.signals,
        copy_group=match.copy_group,
        copies=list((copies or {}).values()),
        fact_check=match.fact_check,
    )


def _judge(hits: Sequence[_GroupHit]) -> list[ReportMatch]:
    """Each independent source's verdicts: its best claim, plus a conflicting claim if it has one.

    A source reported as corroborating may also appear among the conflicts (another of its sentences gives a
    different figure); a source with neither is shown once, as related.
    """
    found: list[ReportMatch] = []
    for hit in hits:
        mine = [hit.best, *hit.others]
        same = next((m for m in mine if m.relation == "same"), None)
        conflict = next((m for m in mine if m.relation == "conflict"), None)
        chosen = [m for m in (same, conflict) if m is not None] or mine[:1]
        found += [_report_match(m, hit.copies) for m in chosen]
    return found


def build_report(
    *,
    session: Session,
    matcher: Matcher,
    source: Source,
    k: int,
    min_checkworthiness: float | None = None,
    context_window: int = 0,
    cohesion: float = 0.0,
) -> CrossReferenceReport:
    """For every claim of `source`: corroborating, conflicting and related claims of independent sources.

    Args:
        matcher: The service's matcher (each claim is matched as POST /claims/match would, from its stored vectors).
        k: Independent sources looked at per claim (copies of one story count once).
        min_checkworthiness: Only claims at least this check-worthy are reported or matched.
        context_window: Each claim is matched in the light of the source's claims up to this many places before
            and after it (as a match query's ``context``; for a transcript, whose lines say "that bill", "he"); 0:
            the claim alone.
        cohesion: How much a match gains when the source's other claims match the same claim (0..1,
            `with_cohesion`; for a transcript, whose sentences return to the same talking points); 0: none.
    """
    every_claim = store.claims_of(session=session, source_id=source.id or 0)
    claims = every_claim
    group = source_group(source)
    copies = [s for s in store.sources_in_group(session=session, group=group) if s.id != source.id]
    if min_checkworthiness is not None:
        claims = [c for c in claims if c.checkworthiness is not None and c.checkworthiness >= min_checkworthiness]
    # One scope for every claim: the article and its copies left out, the check-worthiness filter applied.
    # (Built without the request model's validation: a wire story may have more copies than a request may list.)
    scope = build_scope(
        session=session,
        query=MatchQuery.model_construct(
            text="scope",
            exclude_source_ids=[source.id or 0, *(s.id or 0 for s in copies)],
            min_checkworthiness=min_checkworthiness,
            published_after=None,
            published_before=None,
            outlets=None,
            languages=None,
            kinds=None,
        ),
    )
    vectors = matcher.stored_vectors(session=session, claims=every_claim if context_window else claims)
    if context_window:
        vectors = in_context(every_claim, vectors, context_window)

    entries: list[ClaimCrossReference] = []
    corroborating_sources: set[int] = set()
    corroborating_groups: set[int] = set()
    searched = [
        _search(
            session=session,
            matcher=matcher,
            claim=claim,
            source=source,
            scope=scope,
            vectors=vectors[claim.id or 0],
            k=k,
        )
        for claim in claims
    ]
    for claim, matches in zip(claims, with_cohesion(searched, cohesion), strict=True):
        found = _judge(_group_hits(matches, own_group=claim_group(claim, source), k=k))
        # A fact-check's claim never corroborates (nor contradicts) an article's: it is listed apart, rating and all.
        reviews = [m for m in found if m.fact_check is not None and m.relation != "related"]
        found = [m for m in found if m.fact_check is None]
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
# relation, source, date, span, score; the matched claim and the signals go on the lines below the row.
_COLUMNS = (("relation", 9), ("source", 0), ("date", 10), ("span", 13), ("score", 6))
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
    cells = [_RELATION_LABEL[match.relation], name, _date(match.source), span, f"{match.score:.2f}"]
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
