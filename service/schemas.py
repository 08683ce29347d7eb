"""Request and response shapes of the HTTP API (never the table models themselves)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

if TYPE_CHECKING:  # the schemas load without the numeric stack (service.client imports them)
    from embeddings import ModelId

SEED_EXAMPLE_TEXT = (
    "# Pyongyang Sends Troops to Kursk\n\nBy [Example Wire](#)\n\nApril 29, 2025\n\n"
    "North Korea has sent more than 10,000 soldiers to fight alongside Russian forces in the Kursk region, "
    "officials said on Tuesday.\n\nOriginal url:\n\n<https://news.example/2025/04/29/kursk>"
)

ShortStr = Annotated[str, StringConstraints(strip_whitespace=True, max_length=512)]
# The sentences around a claim that a match query may bring (MatchQuery.context).
MAX_CONTEXT_SENTENCES = 20
MAX_CONTEXT_CHARS = 2_000
# The widest context a cross-reference report may ask for: claims of the source either side of each claim.
MAX_CONTEXT_WINDOW = 10
ContextSentence = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_CONTEXT_CHARS)]
MAX_K = 100
MatchMode = Literal["hybrid", "dense", "lexical"]


# C0 control characters other than tab/LF/CR, and lone UTF-16 surrogates (JSON "\\ud800"): neither belongs in
# an article, NUL cannot be stored in PostgreSQL text, and a surrogate cannot be encoded as UTF-8 at all.
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
MAX_URL_CHARS = 2048


def check_chars(value: Any) -> None:
    """Raises ValueError for a control character or a lone surrogate in a text (or a list of texts)."""
    if isinstance(value, str):
        bad = _FORBIDDEN_CHARS.search(value)
        if bad:
            kind = "a lone surrogate" if "\ud800" <= bad.group() <= "\udfff" else "a control character"
            raise ValueError(
                f"contains {kind} (U+{ord(bad.group()):04X}) at character {bad.start()}: "
                "only tab, line feed and carriage return are accepted among control characters"
            )
    elif isinstance(value, list | tuple | set):
        for item in value:
            check_chars(item)


def _require_text(value: str, hint: str) -> str:
    if not value.strip():
        raise ValueError(f"text is empty: {hint}")
    return value


class _Strict(BaseModel):
    # Unknown fields are an error: a typo such as "outet" should not be silently dropped.
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        check_chars(value)
        return value


class SourceCreate(_Strict):
    """An article to ingest. Only `text` is required; metadata in the text is read when fields are absent."""

    text: str = Field(description="The article: plain text, markdown, or the seed format with title/byline/date/url.")
    title: ShortStr | None = None
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048)] | None = None
    outlet: ShortStr | None = None
    author: ShortStr | None = None
    published_at: dt.date | None = Field(default=None, description="ISO date, e.g. 2025-04-28.")
    language: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": SEED_EXAMPLE_TEXT, "outlet": "Example Wire"}]},
    )

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        return _require_text(value, "send the article's text")


class SourceFromUrl(_Strict):
    """A web page to fetch, extract and ingest. Fields sent here win over what the page says."""

    url: str = Field(
        min_length=1,
        max_length=MAX_URL_CHARS,
        description="An http(s) URL of a public web page (private and loopback addresses are refused).",
    )
    outlet: ShortStr | None = Field(default=None, description="Outlet name; default: the site's own name.")
    language: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"url": "https://news.example/a"}]})


class ErrorResponse(BaseModel):
    """Every error: a message, or for invalid fields a list of {loc, msg, type}."""

    detail: str | list[dict[str, Any]]


class ClaimPublic(BaseModel):
    id: int
    source_id: int
    text: str = Field(description="The sentence exactly as in the source: source.text[start:end].")
    start: int
    end: int
    position: int
    speaker: str | None = Field(description="Who asserts the claim (a person or an organisation), if the text says.")
    context_text: str | None = Field(
        description="The claim on its own, for reading and matching: the sentence with the referents of pronouns, "
        "'the ministry' etc. and the dates of 'on Monday', 'last year' etc. in [brackets]."
    )
    checkworthiness: float | None = Field(
        description="0..1, how much the claim is worth checking (factual, specific, checkable); 0.5 and above is "
        "check-worthy; null if unscored. Claims of articles not in English are scored from the multilingual "
        "encoder's vector when it runs."
    )
    checkworthy: bool | None = Field(
        default=None,
        description="The check-worthiness model's own decision: checkworthiness >= 0.5 (the score is calibrated so "
        "that 0.5 is where F1 peaked on validation data); null if unscored.",
    )


class SourceBrief(BaseModel):
    id: int
    title: str | None
    outlet: str | None = Field(description="The outlet's name (or, without one, the domain of its URL).")
    domain: str | None = Field(default=None, description="The host of the URL without www.; null without a URL.")
    url: str | None
    published_at: dt.date | None


class ClaimDetail(ClaimPublic):
    """One claim with the source it was taken from (GET /claims/{id})."""

    source: SourceBrief


class JudgmentBrief(BaseModel):
    """A reviewer's verdict on a pair, as matches and alerts show it."""

    id: int
    verdict: str
    reviewer: str
    note: str | None = None


class FactCheckBrief(BaseModel):
    """A match's claim is a fact-check's claim reviewed: who rated it, how, where."""

    id: int
    rating: str | None = Field(description="The rating as the reviewer wrote it (e.g. False, Misleading).")
    rating_value: float | None = None
    reviewer: str | None = Field(description="The organisation that published the review.")
    url: str
    date_published: dt.date | None


class SourcePublic(BaseModel):
    id: int
    title: str | None
    url: str | None
    outlet: str | None = Field(description="The outlet's name (or, without one, the domain of its URL).")
    domain: str | None = Field(default=None, description="The host of the URL without www.; null without a URL.")
    author: str | None
    published_at: dt.date | None
    language: str | None
    ingested_at: dt.datetime
    claims: list[ClaimPublic]
    fact_checks: list[FactCheckBrief] = Field(
        default_factory=list,
        description="From a page fetched by URL: the ClaimReviews it embeds, stored as fact-checks.",
    )


class SourceDetail(SourcePublic):
    text: str = Field(description="The stored article text; every claim is text[start:end].")


class SourceSummary(BaseModel):
    id: int
    title: str | None
    url: str | None
    outlet: str | None = Field(description="The outlet's name (or, without one, the domain of its URL).")
    domain: str | None = Field(default=None, description="The host of the URL without www.; null without a URL.")
    author: str | None
    published_at: dt.date | None
    language: str | None
    ingested_at: dt.datetime
    claim_count: int


class SourcesPublic(BaseModel):
    data: list[SourceSummary]
    count: int


class MatchQuery(_Strict):
    """A claim to look up among the ingested sources."""

    text: str = Field(description="The claim, one or two sentences.")
    k: int = Field(default=10, ge=1, le=MAX_K, description="How many matches to return (1..100).")
    min_score: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Drop matches whose `score` is below this (0..1, any language)."
    )
    exclude_source_ids: list[int] = Field(default_factory=list, max_length=10_000)
    per_source: bool = Field(
        default=True,
        description="Keep only the best claim of each independent source (syndicated copies count once; each "
        "match's `copy_group` says which), so that k matches are k sources. false: every matching claim, several "
        "from one source when it has them.",
    )
    mode: MatchMode = Field(
        default="hybrid",
        description="hybrid: dense and BM25 candidates ordered by the learned reranker; dense: embedding cosine "
        "only; lexical: BM25 over claim text and source title only.",
    )
    published_after: dt.date | None = Field(default=None, description="Only sources published on or after.")
    published_before: dt.date | None = Field(default=None, description="Only sources published on or before.")
    outlets: list[ShortStr] | None = Field(
        default=None, max_length=1_000, description="Only these outlets (case-insensitive)."
    )
    languages: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)]] | None = Field(
        default=None, max_length=100, description="Only sources recorded in these languages (e.g. en, ru)."
    )
    min_checkworthiness: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Only claims at least this check-worthy (0..1; unscored claims drop)."
    )
    kinds: list[Literal["article", "fact_check"]] | None = Field(
        default=None,
        min_length=1,
        description="Only these kinds of source: article (ingested reporting) and/or fact_check (stored "
        "ClaimReviews). Default: both.",
    )
    context: list[ContextSentence] | None = Field(
        default=None,
        max_length=MAX_CONTEXT_SENTENCES,
        description="Sentences around the claim where it was said or written (the lines before and after it in "
        "a transcript, say): the embedding rankers read the claim in their light (its vector leans towards theirs), "
        "which helps where the claim says 'that bill' or 'he'. Keyword search reads the claim's own words. "
        f"At most {MAX_CONTEXT_SENTENCES} sentences of up to {MAX_CONTEXT_CHARS} characters.",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "North Korea sent more than 10,000 soldiers to Kursk", "k": 5, "per_source": True}]
        },
    )

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        return _require_text(value, "send the claim to match")

    @field_validator("context")
    @classmethod
    def _context_not_blank(cls, value: list[str] | None) -> list[str] | None:
        return _context_sentences(value)


def _context_sentences(value: list[str] | None) -> list[str] | None:
    """A match query's or a watch's context: no blank sentence."""
    if value is not None and any(not sentence.strip() for sentence in value):
        raise ValueError("a context sentence is empty: send the sentences around the claim, or leave context out")
    return value


Relation = Literal["same", "conflict", "related"]


class SignalPublic(BaseModel):
    """One explainable difference (or notable agreement) between the query claim and a match."""

    kind: str = Field(description="number, date, negation, entity or attribution.")
    query_value: str | None = Field(description="What the query claim says, as written there.")
    match_value: str | None = Field(description="What the matched claim says, as written there.")
    explanation: str
    conflicting: bool = Field(
        default=True,
        description="True when this difference contradicts the query (it makes the relation 'conflict' on a "
        "same-fact pair); false for a notable difference that does not (e.g. two organisations giving one figure).",
    )


RELATION_DESCRIPTION = (
    "same: states the same fact; conflict: the same subject with a conflicting detail (see signals); "
    "related: about something related but different."
)
COPY_GROUP_DESCRIPTION = (
    "Independent-source group: syndicated copies of one article and near-verbatim copies of one claim share "
    "it (the id of the group's first-stored source). Matches with the same copy_group are one source."
)


class ReviewCreate(_Strict):
    """Your newsroom's verdict on an ingested claim."""

    rating: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)] = Field(
        description="Your rating as you publish it (e.g. False, Misleading, Correct)."
    )
    explanation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)] | None = Field(
        default=None, description="Why, in a sentence or two."
    )
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048)] | None = Field(
        default=None, description="Where your fact-check is published (needed for ClaimReview rich results)."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"rating": "Misleading", "explanation": "The toll rose by a fifth.", "url": "https://desk.example/c/1"}
            ]
        },
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL such as https://desk.example/checks/1")
        return value


class ReviewPublic(BaseModel):
    id: int
    claim_id: int
    rating: str
    explanation: str | None
    url: str | None
    created_at: dt.datetime


class FactCheckPublic(BaseModel):
    """A stored fact-check (schema.org ClaimReview)."""

    id: int
    source_id: int = Field(description="Its source (kind fact_check); the claim reviewed is that source's claim.")
    claim_id: int
    url: str = Field(description="The review's own URL (it identifies the fact-check).")
    claim_reviewed: str
    headline: str | None
    rating: dict[str, Any] = Field(description="textual (alternateName / textualRating), value, best, worst.")
    reviewer: dict[str, str | None] = Field(description="The reviewing organisation: name and url.")
    date_published: dt.date | None
    language: str | None
    claimant: str | None = Field(description="Who made the claim (itemReviewed.author).")
    claim_date: dt.date | None
    appearances: list[str] = Field(description="Where the claim appeared (itemReviewed.appearance[].url).")
    first_appearance: str | None
    created_at: dt.datetime


class FactChecksPublic(BaseModel):
    data: list[FactCheckPublic]
    count: int


class RejectedItem(BaseModel):
    index: int = Field(description="The item's position among the reviews found in the body (0-based).")
    detail: str


class FactCheckImport(BaseModel):
    stored: list[FactCheckPublic]
    existing: list[FactCheckPublic] = Field(description="Already stored (same review URL): nothing new was created.")
    rejected: list[RejectedItem] = Field(description="Items refused, each with what is wrong with it.")


class Match(BaseModel):
    rank: int
    score: float = Field(
        description="0..1, falling with rank: how likely this match comes from a source that states the query "
        "claim, in any language and mode (calibrated on real multilingual news: about 8 in 10 matches scored 0.8 "
        "do). Each ranker's own number is under `scores`."
    )
    claim: ClaimPublic
    source: SourceBrief
    copy_group: int = Field(description=COPY_GROUP_DESCRIPTION)
    relation: Relation = Field(description=RELATION_DESCRIPTION)
    signals: list[SignalPublic] = Field(
        default_factory=list, description="Why the relation was chosen: the conflicting (or agreeing) details."
    )
    scores: dict[str, float] | None = Field(
        default=None,
        description="The raw signals behind the rank and the score, for transparency: dense (cosine), lexical (BM25), "
        "rerank, and with the multilingual encoder use (cosine), crosslingual (the language-aware pair score) and "
        "verifier (hybrid mode: its own probability that the source states the query; `score` is its "
        "non-increasing fit along the ranking).",
    )
    fact_check: FactCheckBrief | None = Field(
        default=None, description="Set when the matched claim is a fact-check's claim reviewed: already checked."
    )
    judgment: JudgmentBrief | None = Field(
        default=None, description="A reviewer's verdict on this pair (this query text and this claim), if any."
    )


class MatchResponse(BaseModel):
    query: str
    matches: list[Match]
    sources: int = Field(default=0, description="Distinct sources among the matches.")
    independent_sources: int = Field(
        default=0, description="Distinct copy groups among the matches: syndicated copies count once."
    )


class ReportMatch(BaseModel):
    """A claim of another source in the cross-reference report, with where to find it."""

    claim: ClaimPublic = Field(description="The matched claim; its start/end locate it in the source's text.")
    source: SourceBrief
    similarity: float = Field(description="Cosine of the two claims' stored MiniLM embeddings (it reads English only).")
    score: float = Field(
        default=0.0,
        description="The score POST /claims/match gives this claim for the reported one: 0..1, calibrated so that a "
        "score of 0.8 is right about 80% of the time, in every language.",
    )
    relation: Relation = Field(description=RELATION_DESCRIPTION)
    signals: list[SignalPublic]
    copy_group: int = Field(description=COPY_GROUP_DESCRIPTION)
    copies: list[SourceBrief] = Field(
        description="Other sources of the same copy group whose claim also matched (not counted as independent)."
    )
    fact_check: FactCheckBrief | None = Field(default=None, description="Set on a fact-check: its rating.")


class ClaimCrossReference(BaseModel):
    claim: ClaimPublic
    single_source: bool = Field(description="No other independent source states the same fact.")
    sources: int = Field(description="Other sources stating the same fact, copies included.")
    independent_sources: int = Field(description="Other independent sources stating the same fact.")
    corroborating: list[ReportMatch] = Field(description="The same fact, one entry per independent source.")
    conflicting: list[ReportMatch] = Field(description="A conflicting detail; `signals` say which.")
    related: list[ReportMatch] = Field(description="Related claims about something else.")
    fact_checks: list[ReportMatch] = Field(
        default_factory=list,
        description="Fact-checks whose claim reviewed matches this claim (same or conflicting), with their rating; "
        "never counted as corroboration.",
    )


class ReportSummary(BaseModel):
    claims: int
    fact_checked: int = Field(default=0, description="Claims that a stored fact-check matches.")
    corroborated: int = Field(description="Claims stated by at least one other independent source.")
    conflicting: int = Field(description="Claims with at least one conflicting source.")
    single_source: int = Field(description="Claims no other independent source states.")
    sources: int = Field(description="Distinct other sources corroborating any claim, copies included.")
    independent_sources: int = Field(description="Distinct independent sources corroborating any claim.")


class CrossReferenceReport(BaseModel):
    source: SourceBrief
    copy_group: int = Field(description=COPY_GROUP_DESCRIPTION)
    copies: list[SourceBrief] = Field(
        description="Syndicated copies of this article: left out of the matches, they are not independent."
    )
    summary: ReportSummary
    claims: list[ClaimCrossReference]


class Health(BaseModel):
    status: str
    model: str
    dim: int
    claims: int
    index_size: int
    database: str
    lexical: str = Field(default="not configured", description="BM25 index state; without it hybrid is dense only.")
    encoders: dict[str, str] = Field(
        default_factory=dict,
        description="Additional encoders (multilingual `use`): key -> model@dim; their index sizes in `indexes`.",
    )
    indexes: dict[str, int] = Field(
        default_factory=dict,
        description="Vectors in each additional encoder's index; fewer than `claims`: run `crosscheck reindex`.",
    )
    index_kinds: dict[str, str] = Field(
        default_factory=dict,
        description="The FAISS index each encoder searches now (flat: exact; hnsw: approximate); with "
        "' (switching)' while the configured kind is built in the background (matches are slower meanwhile).",
    )

    @classmethod
    def build(
        cls,
        *,
        model_id: ModelId,
        claims: int,
        index_size: int,
        database: str,
        lexical: str = "not configured",
        extras: Mapping[str, tuple[ModelId, int]] | None = None,
        index_kinds: Mapping[str, str] | None = None,
    ) -> Health:
        extras = extras or {}
        ok = database == "ok" and claims == index_size and all(size == claims for _, size in extras.values())
        return cls(
            status="ok" if ok else "degraded",
            model=model_id.name,
            dim=model_id.dim,
            claims=claims,
            index_size=index_size,
            database=database,
            lexical=lexical,
            encoders={key: str(model) for key, (model, _) in extras.items()},
            indexes={key: size for key, (_, size) in extras.items()},
            index_kinds=dict(index_kinds or {}),
        )


# --------------------------------------------------------------------------------------------------- watches

WatchRelation = Literal["same", "conflict", "related"]


def _default_relations() -> list[WatchRelation]:
    return ["same", "conflict"]


class WatchCreate(_Strict):
    """What to watch (exactly one of text, claim_id, fact_check_id, all_fact_checks) and where to post alerts."""

    text: str | None = Field(default=None, description="A claim in your words.")
    claim_id: int | None = Field(default=None, description="An ingested claim (its context text is watched).")
    fact_check_id: int | None = Field(default=None, description="A stored fact-check (its claim reviewed).")
    all_fact_checks: bool = Field(default=False, description="Every stored fact-check, now and later.")
    min_score: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Alert from this match score on (0..1). The default was picked on CLEF2020 train "
        "(`crosscheck bench alert_quality`): below it nothing more is found.",
    )
    relations: list[WatchRelation] = Field(
        default_factory=_default_relations, min_length=1, description="Alert on these relations only."
    )
    languages: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=16)]] | None = (
        Field(default=None, max_length=100, description="Only claims of sources in these languages.")
    )
    callback_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048)] = Field(
        description="Where alerts are POSTed (signed with Standard Webhooks headers)."
    )
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    secret: str | None = Field(
        default=None,
        description="Your own signing secret (whsec_ + base64 of 24 to 64 random bytes); by default one is made "
        "and shown once.",
    )
    context: list[ContextSentence] | None = Field(
        default=None,
        max_length=MAX_CONTEXT_SENTENCES,
        description="With text: the sentences around the watched claim where it was said (the lines of a "
        "transcript before and after it), read with it as a match query's context: for a claim that says 'that "
        f"bill' or 'he'. At most {MAX_CONTEXT_SENTENCES} sentences of up to {MAX_CONTEXT_CHARS} characters.",
    )
    context_window: int = Field(
        default=0,
        ge=0,
        le=MAX_CONTEXT_WINDOW,
        description="With claim_id: the watched claim is read with its source's claims up to this many places "
        "before and after it. With all_fact_checks: each new claim is looked up among the fact-checks read with "
        "its source's claims up to this many places either side (for transcripts). 0: the claim alone.",
    )
    cohesion: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="With all_fact_checks: how much a fact-check gains when the new claim's source's other claims "
        "match it too (0..1; a speech returns to its talking points; 0.1 was chosen on debate transcripts). 0: each "
        "claim's matches alone.",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "North Korea sent more than 10,000 soldiers to Kursk",
                    "min_score": 0.5,
                    "callback_url": "https://desk.example/hooks/crosscheck",
                }
            ]
        },
    )

    @field_validator("context")
    @classmethod
    def _context_not_blank(cls, value: list[str] | None) -> list[str] | None:
        return _context_sentences(value)


class WatchPatch(_Strict):
    active: bool | None = Field(default=None, description="false pauses the watch; true resumes it.")
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    relations: list[WatchRelation] | None = Field(default=None, min_length=1)
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class WatchPublic(BaseModel):
    id: int
    text: str | None = Field(description="What is watched (for all_fact_checks: null).")
    claim_id: int | None
    fact_check_id: int | None
    all_fact_checks: bool
    min_score: float
    relations: list[str]
    languages: list[str] | None
    callback_url: str
    description: str | None
    active: bool
    created_at: dt.datetime
    context: list[str] | None = Field(default=None, description="The sentences the watched claim is read with.")
    context_window: int = Field(default=0, description="all_fact_checks: places either side read with each claim.")
    cohesion: float = Field(default=0.0, description="all_fact_checks: what the source's other claims' matches add.")
    alerts: int = Field(default=0, description="Alerts raised so far.")


class WatchCreated(WatchPublic):
    secret: str = Field(description="The signing secret: shown this once. Verify each delivery's webhook-signature.")


class WatchesPublic(BaseModel):
    data: list[WatchPublic]
    count: int


class AlertPublic(BaseModel):
    id: int
    watch_id: int
    claim: ClaimPublic | None = Field(description="The new claim (null if it was deleted since).")
    source: SourceBrief | None
    score: float
    relation: str
    signals: list[SignalPublic]
    fact_check: FactCheckBrief | None = Field(description="For an all_fact_checks watch: the fact-check matched.")
    judgment: JudgmentBrief | None = Field(default=None, description="A reviewer's verdict on this pair, if any.")
    created_at: dt.datetime
    delivery: dict[str, Any] = Field(
        description="state (pending | delivered | failed), attempts, next_attempt_at, last_status, last_error, "
        "delivered_at."
    )


class AlertsPublic(BaseModel):
    data: list[AlertPublic]
    count: int


# --------------------------------------------------------------------------------------------------- judgments

Verdict = Literal["same", "conflict", "related", "unrelated"]


class JudgmentCreate(_Strict):
    """A reviewer's verdict on a match: the query (a stored claim, or the text searched) and the claim matched."""

    claim_id: int | None = Field(default=None, description="The query, when it is a stored claim.")
    text: str | None = Field(default=None, description="The query text, when it is not (matched on its words).")
    matched_claim_id: int
    verdict: Verdict = Field(
        description="same | conflict | related | unrelated (unrelated pairs sink and stop alerting)."
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "Kim sent troops to Kursk", "matched_claim_id": 3, "verdict": "same"}]
        },
    )


class JudgmentPublic(BaseModel):
    id: int
    claim_id: int | None
    text: str | None
    matched_claim_id: int
    verdict: str
    note: str | None
    reviewer: str = Field(description="The API key's id that recorded it (local without keys).")
    created_at: dt.datetime


class JudgmentsPublic(BaseModel):
    data: list[JudgmentPublic]
    count: int
