"""Independent sources: syndicated copies of one article, and near-verbatim claims, share a *copy group*.

Ten outlets reprinting one wire story are one source, not ten. Two levels of evidence group them:

- **Articles.** A new article whose text is mostly found, word for word, in a stored one (or the other way
  round: a trimmed reprint) is a copy of it: `Source.copy_group_id` is set to the stored article's group.
  Resemblance is measured on word 5-shingles of the claims (body sentences, so headlines, bylines and
  captions, which reprints change, do not count): the share of the shorter text's shingles found in the
  longer one (containment) and the Jaccard overlap of the two.
- **Claims.** A claim that repeats a stored claim of another group almost verbatim (cosine and word overlap
  both very high, the same numbers, no conflict by the rules of service/relations) joins that claim's group:
  `Claim.copy_group_id`. A quoted statement or a wire paragraph pasted into an otherwise own article is
  caught here.

Candidates never come from a scan of every source: the new claims' nearest stored claims in the FAISS index
(which ingest has to hand anyway) name the few articles worth comparing. A group is named by the id of its
first-stored article; a claim's group is ``claim.copy_group_id or source.copy_group_id or source.id``, so
rows stored before this module (NULL) count as their own group. Deleting a group's root article regroups
the others (`regroup_after_delete`) in the same transaction.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, col, select

from embeddings import ClaimIndex
from service import relations, store
from service.models import Claim, Source

# Every threshold of the grouping lives here.
SHINGLE_WORDS = 5
# Nearest stored claims looked at for each new claim, and how close one must be to propose its article.
CANDIDATE_NEIGHBOURS = 5
CANDIDATE_MIN_COSINE = 0.90
# At most this many stored articles (those hit by most of the new claims) are compared shingle by shingle.
MAX_CANDIDATE_SOURCES = 20
# An article is a copy of another when this share of the shorter one's shingles is in the longer one ...
COPY_MIN_CONTAINMENT = 0.80
# ... and they overlap this much overall: a short wire item quoted inside a long feature is not a reprint.
COPY_MIN_JACCARD = 0.30
# Near-verbatim claims: embedding cosine and word-set Jaccard, and exactly the same numbers.
NEAR_DUPLICATE_MIN_COSINE = 0.97
NEAR_DUPLICATE_MIN_WORD_JACCARD = 0.80

_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (any script); punctuation and spacing differences vanish."""
    return _WORD.findall(text.lower())


def shingles(texts: Iterable[str]) -> frozenset[int]:
    """Hashes of the word 5-grams of the texts read one after the other (the whole text if shorter)."""
    tokens = [w for text in texts for w in words(text)]
    if not tokens:
        return frozenset()
    if len(tokens) < SHINGLE_WORDS:
        return frozenset({hash(tuple(tokens))})
    return frozenset(hash(tuple(tokens[i : i + SHINGLE_WORDS])) for i in range(len(tokens) - SHINGLE_WORDS + 1))


@dataclass(frozen=True, slots=True)
class Resemblance:
    containment: float  # share of the smaller shingle set found in the other
    jaccard: float

    @property
    def is_copy(self) -> bool:
        return self.containment >= COPY_MIN_CONTAINMENT and self.jaccard >= COPY_MIN_JACCARD


def resemblance(a: frozenset[int], b: frozenset[int]) -> Resemblance:
    if not a or not b:
        return Resemblance(0.0, 0.0)
    shared = len(a & b)
    return Resemblance(containment=shared / min(len(a), len(b)), jaccard=shared / len(a | b))


def near_duplicate(text_a: str, text_b: str, *, cosine: float) -> bool:
    """Whether two claims are the same sentence give or take an edit: a copy, not a second report."""
    if cosine < NEAR_DUPLICATE_MIN_COSINE:
        return False
    # A changed figure is a different claim however similar the rest (10,000 vs 11,000 soldiers).
    if sorted(_DIGITS.findall(text_a)) != sorted(_DIGITS.findall(text_b)):
        return False
    wa, wb = set(words(text_a)), set(words(text_b))
    if not wa or not wb or len(wa & wb) / len(wa | wb) < NEAR_DUPLICATE_MIN_WORD_JACCARD:
        return False
    # An edit that changes the fact ("three" -> "four" weeks, an inserted "not") makes a conflicting claim,
    # not a copy: the relations engine's rules decide, so there is one definition of a conflict.
    verdict = relations.compare(relations.ClaimFacts(text=text_a), relations.ClaimFacts(text=text_b), similarity=cosine)
    return verdict.relation != "conflict"


def claim_group(claim: Claim, source: Source) -> int:
    """The copy group of a stored claim: its own near-verbatim group, else its article's."""
    return claim.copy_group_id or source_group(source)


def source_group(source: Source) -> int:
    return source.copy_group_id or source.id or 0


@dataclass(frozen=True, slots=True)
class Grouping:
    """Where a new article belongs: the group it copies (None: a group of its own) and, per claim, the group
    of a stored near-verbatim claim of another group (None: none, or the article's own group)."""

    source_group: int | None
    claim_groups: list[int | None]


@dataclass(frozen=True, slots=True)
class _Neighbour:
    claim_id: int
    source_id: int
    text: str
    group: int
    cosine: float


def _neighbours(
    *, session: Session, index: ClaimIndex, vectors: np.ndarray, excluded: Sequence[int] = ()
) -> list[list[_Neighbour]]:
    """For each vector, its nearest stored claims at or above CANDIDATE_MIN_COSINE, with their groups."""
    if vectors.shape[0] == 0 or len(index) == 0:
        return [[] for _ in range(vectors.shape[0])]
    hits = index.search(
        vectors, CANDIDATE_NEIGHBOURS, excluded_ids=np.asarray(excluded, dtype=np.int64) if excluded else None
    )
    close = [[(cid, cos) for cid, cos in row if cos >= CANDIDATE_MIN_COSINE] for row in hits]
    ids = sorted({cid for row in close for cid, _ in row})
    if not ids:
        return [[] for _ in close]
    rows = session.exec(
        select(
            Claim.id, Claim.source_id, Claim.text, func.coalesce(Claim.copy_group_id, Source.copy_group_id, Source.id)
        )
        .join(Source, col(Source.id) == Claim.source_id)
        # A fact-check's claim reviewed is never a copy of an article's sentence (nor one of them of it).
        .where(col(Claim.id).in_(ids), store.is_article())
    ).all()
    found = {int(cid or 0): (int(sid), str(text), int(group)) for cid, sid, text, group in rows}
    return [
        [_Neighbour(cid, *found[cid][:2], group=found[cid][2], cosine=cos) for cid, cos in row if cid in found]
        for row in close
    ]


def _source_shingles(*, session: Session, source_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    if not source_ids:
        return {}
    rows = session.exec(
        select(Claim.source_id, Claim.text)
        .where(col(Claim.source_id).in_(list(source_ids)))
        .order_by(col(Claim.source_id), col(Claim.position))
    ).all()
    texts: dict[int, list[str]] = {int(s): [] for s in source_ids}
    for sid, text in rows:
        texts[int(sid)].append(str(text))
    return {sid: shingles(t) for sid, t in texts.items()}


def _groups_of_sources(*, session: Session, source_ids: Sequence[int]) -> dict[int, int]:
    rows = session.exec(select(Source.id, Source.copy_group_id).where(col(Source.id).in_(list(source_ids)))).all()
    return {int(sid or 0): int(group or sid or 0) for sid, group in rows}


def find_groups(*, session: Session, index: ClaimIndex, texts: Sequence[str], vectors: np.ndarray) -> Grouping:
    """The copy group a new article (its claim texts and their vectors, not stored yet) belongs to."""
    [grouping] = _group(session=session, index=index, articles=[NewArticle(texts=texts, vectors=vectors)])
    return grouping


# Articles of a batch are not stored yet when their groups are decided: each gets a provisional id above any
# real one (so comparisons by id order them as their real ids will be), mapped to its real id once stored.
PROVISIONAL_BASE = 1 << 62


def provisional_id(position: int) -> int:
    """The stand-in id of the batch's `position`-th new article until it is stored."""
    return PROVISIONAL_BASE + position


@dataclass(frozen=True, slots=True)
class NewArticle:
    """A new article of a batch as grouping sees it: its claim texts and their (default model's) vectors."""

    texts: Sequence[str]
    vectors: np.ndarray


def find_groups_many(*, session: Session, index: ClaimIndex, articles: Sequence[NewArticle]) -> list[Grouping]:
    """`find_groups` for a batch of new articles, as if each were stored before the next one is grouped.

    One index search covers every claim of the batch; the claims of the batch's earlier articles, which the
    index does not hold yet, are searched exactly among the batch's own vectors and merged in, so an article
    finds a copy stored earlier in the same batch. Groups that name a batch article hold its
    `provisional_id`, which the caller replaces by the real id once the article is stored.
    """
    return _group(session=session, index=index, articles=articles)


def _group(*, session: Session, index: ClaimIndex, articles: Sequence[NewArticle]) -> list[Grouping]:
    if not articles:
        return []
    every = np.concatenate([a.vectors for a in articles]) if len(articles) > 1 else articles[0].vectors
    every = np.ascontiguousarray(every, dtype=np.float32)
    stored = _neighbours(session=session, index=index, vectors=every)
    offsets = np.cumsum([0] + [len(a.texts) for a in articles])
    texts = [t for a in articles for t in a.texts]
    own_shingles: dict[int, frozenset[int]] = {}  # batch article -> its shingles, made when first compared

    def shingles_of(k: int) -> frozenset[int]:
        if k not in own_shingles:
            own_shingles[k] = shingles(articles[k].texts)
        return own_shingles[k]

    source_groups: list[int] = []  # each batch article's group (provisional ids for batch roots)
    claim_groups: list[int | None] = []  # each batch claim's own near-verbatim group
    results: list[Grouping] = []
    stored_shingles: dict[int, frozenset[int]] = {}
    stored_groups: dict[int, int] = {}
    owner = np.repeat(np.arange(len(articles)), np.diff(offsets))
    for k, article in enumerate(articles):
        lo, hi = int(offsets[k]), int(offsets[k + 1])
        rows = stored[lo:hi]
        if lo > 0 and hi > lo:
            rows = _merge_batch_neighbours(
                rows=rows,
                # einsum, not a BLAS product: a threaded BLAS on a busy two-core machine spends milliseconds
                # waking its threads for each of these small products (measured 3 ms each vs 0.2 ms).
                sims=np.einsum("ik,jk->ij", every[lo:hi], every[:lo]),
                owner=owner,
                texts=texts,
                source_groups=source_groups,
                claim_groups=claim_groups,
            )
        hit_count = Counter(sid for row in rows for sid in {n.source_id for n in row})
        candidates = [sid for sid, _ in hit_count.most_common(MAX_CANDIDATE_SOURCES)]
        group: int | None = None
        if candidates:
            missing = [sid for sid in candidates if sid < PROVISIONAL_BASE and sid not in stored_shingles]
            stored_shingles.update(_source_shingles(session=session, source_ids=missing))
            mine = shingles_of(k)
            scored = [
                (
                    resemblance(
                        mine,
                        shingles_of(sid - PROVISIONAL_BASE) if sid >= PROVISIONAL_BASE else stored_shingles[sid],
                    ),
                    sid,
                )
                for sid in candidates
            ]
            copies = [(r.jaccard, -sid) for r, sid in scored if r.is_copy]
            if copies:
                best = -max(copies)[1]
                if best >= PROVISIONAL_BASE:
                    group = source_groups[best - PROVISIONAL_BASE]
                else:
                    if best not in stored_groups:
                        stored_groups.update(_groups_of_sources(session=session, source_ids=[best]))
                    group = stored_groups[best]
        groups_here: list[int | None] = []
        for text, row in zip(article.texts, rows, strict=True):
            twin = next(
                (n for n in row if n.group != group and near_duplicate(text, n.text, cosine=n.cosine)),
                None,
            )
            groups_here.append(twin.group if twin else None)
        source_groups.append(group if group is not None else provisional_id(k))
        claim_groups.extend(groups_here)
        results.append(Grouping(source_group=group, claim_groups=groups_here))
    return results


def _merge_batch_neighbours(
    *,
    rows: list[list[_Neighbour]],
    sims: np.ndarray,
    owner: np.ndarray,
    texts: Sequence[str],
    source_groups: Sequence[int],
    claim_groups: Sequence[int | None],
) -> list[list[_Neighbour]]:
    """Each row's stored neighbours merged with the close claims of the batch's earlier articles (`sims`:
    these claims against the earlier ones), keeping the CANDIDATE_NEIGHBOURS nearest, as one search over
    both would."""
    merged: list[list[_Neighbour]] = []
    for row, line in zip(rows, sims, strict=True):
        close = np.flatnonzero(line >= CANDIDATE_MIN_COSINE)
        if close.size == 0:
            merged.append(row)
            continue
        if close.size > CANDIDATE_NEIGHBOURS:
            close = close[np.argsort(-line[close], kind="stable")[:CANDIDATE_NEIGHBOURS]]
        extra = []
        for j in close.tolist():
            k = int(owner[j])
            extra.append(
                _Neighbour(
                    claim_id=PROVISIONAL_BASE + j,
                    source_id=provisional_id(k),
                    text=texts[j],
                    group=claim_groups[j] or source_groups[k],
                    cosine=float(line[j]),
                )
            )
        # Nearest first; equal scores in id order (stored claims before the batch's, earlier before later).
        both = sorted([*row, *extra], key=lambda n: (-n.cosine, n.claim_id))
        merged.append(both[:CANDIDATE_NEIGHBOURS])
    return merged


def _components(ids: Sequence[int], linked: dict[tuple[int, int], bool]) -> dict[int, int]:
    """Union-find: each id -> the smallest id of its connected component."""
    parent = {i: i for i in ids}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (a, b), joined in linked.items():
        if joined:
            ra, rb = root(a), root(b)
            parent[max(ra, rb)] = min(ra, rb)
    return {i: root(i) for i in ids}


def regroup_after_delete(*, session: Session, index: ClaimIndex, source_id: int, claim_ids: Sequence[int]) -> None:
    """Renames or splits the groups that were named after a deleted article, in the caller's transaction.

    Call it after the article and its claims were deleted in `session` (not yet committed) and before they
    leave the index (`claim_ids` are kept out of the neighbour search). The remaining copies are compared
    with one another again, since they may only have resembled the deleted one; claims that were
    near-verbatim copies of one of its claims look for another twin.
    """
    session.flush()
    members = list(session.exec(select(Source).where(Source.copy_group_id == source_id).order_by(col(Source.id))))
    if members:
        ids = [m.id or 0 for m in members]
        texts = _source_shingles(session=session, source_ids=ids)
        linked = {(a, b): resemblance(texts[a], texts[b]).is_copy for i, a in enumerate(ids) for b in ids[i + 1 :]}
        roots = _components(ids, linked)
        for member in members:
            member.copy_group_id = roots[member.id or 0]
            session.add(member)
        session.flush()
    orphans = list(session.exec(select(Claim).where(Claim.copy_group_id == source_id).order_by(col(Claim.id))))
    if not orphans:
        return
    found, vectors = index.vectors([c.id or 0 for c in orphans])
    by_id = dict(zip(found.tolist(), vectors, strict=True))
    own = _groups_of_sources(session=session, source_ids=sorted({c.source_id for c in orphans}))
    for claim in orphans:
        claim.copy_group_id = None
        vector = by_id.get(claim.id or 0)
        if vector is not None:
            [row] = _neighbours(session=session, index=index, vectors=vector[None, :], excluded=claim_ids)
            twin = next(
                (
                    n
                    for n in row
                    if n.source_id != claim.source_id
                    and n.group not in (source_id, own[claim.source_id])
                    and near_duplicate(claim.text, n.text, cosine=n.cosine)
                ),
                None,
            )
            claim.copy_group_id = twin.group if twin else None
        session.add(claim)
        session.flush()  # the next orphan may find this one as its twin
