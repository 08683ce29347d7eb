"""Reviewers' verdicts on matches: recorded per pair (query, matched claim), shown on matches and alerts.

A query is a stored claim ("claim:<id>") or a text, looked up by its normalised words (whitespace collapsed,
lower case: "text:<sha256>"), so the same search typed again finds its judgments. One judgment per pair: a new
verdict replaces the old one. A pair judged ``unrelated`` sinks to the end of a match list and raises no alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlmodel import Session, col, select

from service import store
from service.errors import NotFoundError, UnprocessableError
from service.models import Judgment, utcnow
from service.schemas import JudgmentCreate, JudgmentPublic


def normalise(text: str) -> str:
    return " ".join(text.split()).lower()


def text_key(text: str) -> str:
    return "text:" + hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def claim_key(claim_id: int) -> str:
    return f"claim:{claim_id}"


def public(j: Judgment) -> JudgmentPublic:
    return JudgmentPublic(
        id=j.id or 0,
        claim_id=j.query_claim_id,
        text=j.query_text,
        matched_claim_id=j.matched_claim_id,
        verdict=j.verdict,
        note=j.note,
        reviewer=j.reviewer,
        created_at=j.created_at,
    )


def record(*, session: Session, body: JudgmentCreate, reviewer: str) -> tuple[Judgment, bool]:
    """Stores a verdict (replacing the pair's earlier one); returns it and whether it is new.

    Raises:
        UnprocessableError: Not exactly one of claim_id and text, or an id that names no claim.
    """
    if (body.claim_id is None) == (body.text is None):
        raise UnprocessableError("give exactly one of claim_id (a stored claim) and text (the query searched)")
    if body.text is not None and not normalise(body.text):
        raise UnprocessableError("text: empty; send the query text the match was found for")
    for field, claim_id in (("claim_id", body.claim_id), ("matched_claim_id", body.matched_claim_id)):
        if claim_id is not None:
            try:
                store.get_claim(session=session, claim_id=claim_id)
            except NotFoundError:
                raise UnprocessableError(f"{field}: no claim {claim_id}") from None
    key = claim_key(body.claim_id) if body.claim_id is not None else text_key(body.text or "")
    found = session.exec(
        select(Judgment).where(Judgment.query_key == key, Judgment.matched_claim_id == body.matched_claim_id)
    ).first()
    created = found is None
    judgment = found or Judgment(
        query_key=key,
        query_claim_id=body.claim_id,
        query_text=" ".join(body.text.split()) if body.text is not None else None,
        matched_claim_id=body.matched_claim_id,
        verdict=body.verdict,
        reviewer=reviewer,
    )
    judgment.verdict = body.verdict
    judgment.note = body.note
    judgment.reviewer = reviewer
    judgment.created_at = utcnow()
    session.add(judgment)
    session.commit()
    session.refresh(judgment)
    return judgment, created


def for_pairs(*, session: Session, key: str, matched: Sequence[int]) -> dict[int, Judgment]:
    """The judgments of one query's pairs with these matched claims, by matched claim id."""
    if not matched:
        return {}
    rows = session.exec(
        select(Judgment).where(Judgment.query_key == key, col(Judgment.matched_claim_id).in_(sorted(set(matched))))
    ).all()
    return {j.matched_claim_id: j for j in rows}


def get(*, session: Session, judgment_id: int) -> Judgment:
    judgment = session.get(Judgment, judgment_id) if store.valid_id(judgment_id) else None
    if judgment is None:
        raise NotFoundError(f"judgment {judgment_id} not found")
    return judgment
