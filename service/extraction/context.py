"""Decontextualisation: what a claim says on its own, and who says it, by name.

An `ArticleContext` reads the article's sentences in order and keeps what a reader keeps in mind:
the people named so far (with titles, gender where the text shows it, and country), organisations
(with their kind: ministry, agency, company, court...), countries, and who spoke last. For each
sentence it then

- resolves subject pronouns ("He added", "she said", "Il a rappelé", "По его словам") to the last
  compatible person (the previous speaker first), and "It said" to the organisation that spoke;
- resolves definite descriptions ("the country", "the ministry", "the company", "l'agence",
  "ведомство") to the last named entity of that kind ("the country" prefers the sentence's own
  country, then the speaker's, then the last sentence whose subject is a country);
- resolves relative dates against the publication date (see `dates.py`);
- writes each referent in square brackets after the words that need it, leaving the rest of the
  sentence as it is: ``He [Kim Jong Un] added ... on Monday [2025-04-28]``;
- turns the raw speaker phrase into a name: titles dropped ("Defence Minister Lee Jae-sung" ->
  "Lee Jae-sung"), short names completed ("Kim" -> "Kim Jong Un", "Delvik" -> "Delvik Telecom"),
  pronouns and "the ministry" resolved.

Everything is heuristic and lexicon-based (no parser, no model): it is fast, predictable and
explainable, and the gold set in tests/data/extraction measures how far it gets.
"""

# Russian, French and Korean words and typographic quotes in the lexicons are deliberate.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Final

from service.extraction.dates import resolve_relative_dates
from service.extraction.speakers import PRONOUNS, Attribution, canonical_phrase
from service.text.countries import COUNTRIES
from service.text.words import read_sections, read_terms

__all__ = ["ArticleContext", "Resolved"]

# --------------------------------------------------------------------------- lexicons

# Aliases are matched case-sensitively, as whole words (service/data/countries.txt).
_COUNTRY_BY_ALIAS: Final[dict[str, str]] = {alias: name for name, aliases in COUNTRIES.items() for alias in aliases}
_COUNTRY_NAMES: Final = frozenset(COUNTRIES)
# Demonyms (adjectives) are mentions but never the grammatical subject "country".
_ADJECTIVE_ALIASES: Final = frozenset(
    alias
    for aliases in COUNTRIES.values()
    for alias in aliases[1:]
    if alias.endswith(("an", "ish", "ese", "ian", "ic", "i", "ch", "ss", "ean", "ais", "aise", "ien", "ienne", "ue"))
    and alias not in ("Iran", "Taiwan", "Afghanistan", "Japan", "Sudan", "Kremlin", "Pentagon")
)
_UP = "A-ZÀ-ÖØ-ÞА-ЯЁ"
# "\b" rather than a look-behind: it lets the regex engine skip quickly to the alternatives' first letters.


def _longest_first(words: list[str]) -> str:
    """A regex matching any of the words, the longest one that fits first, as a prefix tree.

    The same matches as the alternation of the words sorted longest first, but the engine follows one branch
    per character instead of trying every word at every capital letter (five times faster on news text).
    """
    tree: dict[str, dict] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Longer words first: the end of a word is the last thing tried ("Niger" after "Nigeria").
        return f"(?:{body})?" if "" in node else body

    return pattern(tree)


_COUNTRY_RE: Final = re.compile(r"\b(?:" + _longest_first(list(_COUNTRY_BY_ALIAS)) + r")(?![\w\-])")
# "X's government/capital/...", "Central Bank of X": a country the gazetteer does not know.
_STATE_THINGS = (
    r"(?:government|parliament|capital|Supreme\s+Court|central\s+bank|Central\s+Bank|prime\s+minister"
    r"|president|economy|military|army|armed\s+forces|foreign\s+ministry|competition\s+(?:law|authority)"
    r"|constitution|border|currency|defen[cs]e\s+ministry)"
)
_LEARN_COUNTRY: Final = (
    re.compile(
        r"(?:Центральн\w+[ \t]+банк\w*|правительств\w+|парламент\w*|президент\w*|экономик\w+|столиц\w+)[ \t]+"
        r"(?P<c>[А-ЯЁ][а-яё]{3,20}а)\b"
    ),
    re.compile(rf"(?<![\w\-])(?P<c>[{_UP}][a-zà-ÿ]{{2,20}})['’]s\s+{_STATE_THINGS}\b"),
    re.compile(
        rf"\b(?:Ministry|Bank|Government|Parliament|President|Republic|Kingdom|Central\s+Bank)\s+of\s+"
        rf"(?P<c>[{_UP}][a-zà-ÿ]{{2,20}})\b"
    ),
)
_LEARN_NEEDLES: Final = {
    _LEARN_COUNTRY[0].pattern: re.compile(r"[а-яё]"),
    _LEARN_COUNTRY[1].pattern: re.compile(r"['’]s\s"),
    _LEARN_COUNTRY[2].pattern: re.compile(r"\bof\s"),
}

# Titles and roles around a person's name: service/data/words/titles.txt.
_TITLES: Final = read_sections("titles")
# Words of a title in front of a person's name.
TITLE_WORDS: Final = frozenset(word.lower() for word in _TITLES["title words"])
_FEMALE_TITLES: Final = frozenset(_TITLES["female titles"])
_MALE_TITLES: Final = frozenset(_TITLES["male titles"])
# Lower-case roles that introduce a person's name ("local runner Pieter Smit", "lead author Dr. ...").
_ROLE_WORDS: Final = _TITLES["roles"]
_PERSON_ROLES = "(?:" + "|".join(_ROLE_WORDS) + ")"
# A title word that stands for a person (not "Interior" or "Health"): the word before a surname in "President Putin".
_PERSON_TITLES: Final = frozenset(
    t.lower() for t in (*_ROLE_WORDS, *_TITLES["title names"], *_TITLES["female titles"], *_TITLES["male titles"])
)
_NAME_TOKEN = rf"[{_UP}][a-zà-ÿа-яё'’]{{1,30}}(?:-[{_UP}a-zà-ÿа-яё][a-zà-ÿа-яё'’]{{1,30}})?"
_PERSON_NAME = rf"(?P<person>{_NAME_TOKEN}(?:[ \t]+{_NAME_TOKEN}){{1,3}})"
_TITLE_NAMES: Final = _TITLES["title names"]
_TITLE_CAPS = (
    r"(?:(?:Vice|Deputy|Prime|Defen[cs]e|Finance|Foreign|Interior|Agriculture|Transport|Health|Justice|Chief"
    r"|Executive|Acting|Former|Opposition|Supreme)[ \t]+)*"
    r"(?:" + "|".join(re.escape(t) for t in _TITLE_NAMES) + ")"
)
_PERSON_PATTERNS: Final = (
    re.compile(rf"(?:{_TITLE_CAPS}|\b{_PERSON_ROLES}),?[ \t]+(?:(?:Dr\.|Mr\.|Mrs\.|Ms\.|Prof\.)[ \t]+)?{_PERSON_NAME}"),
    re.compile(
        rf"(?P<country>[{_UP}][\w\-]{{1,40}}(?:[ \t]+[{_UP}][\w\-]{{1,40}})?)['’]s[ \t]+{_PERSON_NAME}(?=[ \t]+[a-z,])"
    ),
    re.compile(rf"^{_PERSON_NAME}(?=,[ \t]+(?:a|an|the|who|un|une|le|la)\b)"),
    re.compile(rf"^{_PERSON_NAME}(?=[ \t]+(?:has|had|is|was|said|says|told|won|led|runs|ran|spoke)\b)"),
)
# Every match of the first pattern holds a title or a role word: sentences without one skip it (a prefix tree
# finds them several times faster than the pattern fails).
_PERSON_NEEDLE: Final = re.compile(_longest_first([*_TITLE_NAMES, *_ROLE_WORDS]))
_NOT_FIRST_NAMES: Final = frozenset(_TITLES["not first names"])

# Organisation kinds, by the words in a name or in front of it.
_KIND_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "ministry": ("ministry", "ministère", "министерство", "минобороны", "мид", "minister's office", "управление",
                 "управления", "управлении", "ведомство"),
    "office": ("office", "bureau", "бюро"),
    "agency": ("agency", "agence", "агентство", "kcna", "reuters", "afp", "tass", "тасс", "yonhap", "interfax",
               "xinhua", "news service"),
    "company": ("company", "firm", "operator", "provider", "developer", "maker", "carrier", "airline", "group",
                "telecom", "energy", "inc", "ltd", "corp", "plc", "holdings", "technologies",
                "compagnie", "entreprise", "société", "groupe", "компания", "фирма", "оператор"),
    "bank": ("bank", "banque", "банк", "цб"),
    "court": ("court", "tribunal", "cour", "суд"),
    "council": ("council", "conseil", "совет"),
    "commission": ("commission", "комиссия"),
    "committee": ("committee", "comité", "комитет"),
    "union": ("union", "syndicat", "профсоюз"),
    "party": ("party", "parti", "партия"),
    "regulator": ("regulator", "régulateur", "регулятор"),
    "university": ("university", "université", "университет"),
    "fund": ("fund", "fonds", "фонд"),
}  # fmt: skip
# Definite descriptions that point back to a named organisation, by language.
_ORG_ANAPHORS: Final = (
    re.compile(
        r"(?<![\w\-])(?:[Tt]he)[ \t]+(?P<noun>ministry|agency|company|firm|developer|operator|bank|court|council"
        r"|commission|committee|union|party|regulator|university|fund|airline|carrier)(?P<poss>['’]s)?\b"
    ),
    re.compile(
        r"(?<![\w\-])(?:[Ll]e|[Ll]a|[Ll]['’])[ \t]*(?P<noun>ministère|agence|entreprise|compagnie|société|groupe"
        r"|banque|tribunal|cour|conseil|commission|syndicat|parti)\b"
    ),
    # Russian has no article: only a sentence-initial noun is read as "the ministry / the bank".
    re.compile(r"^(?P<noun>Ведомство|Министерство|Банк|Регулятор|Компания|Суд)(?=[ \t,.]|$)"),
)
_DESCRIBED_KIND: Final = re.compile(
    r"[Tt]he[ \t]+(?:[a-z][\w\-]*[ \t]+){1,3}(?P<noun>ministry|agency|company|firm|bank|court|council|commission"
    r"|committee|union|party|regulator|university|fund|airline|carrier)"
)
# "по данным ведомства": a declined Russian noun inside a speaker phrase.
_RU_DECLINED_ANAPHOR: Final = re.compile(r"(?<![\w\-])(?P<noun>ведомств[аоуе]|ведомством)(?![\w\-])")
_NOUN_KIND: Final = {
    "ministry": "ministry", "ministère": "ministry", "ведомство": "ministry", "министерство": "ministry", "agency":
    "agency", "agence": "agency", "company": "company", "firm": "company", "developer": "company", "operator":
    "company", "airline": "company", "carrier": "company", "entreprise": "company", "compagnie": "company",
    "société": "company", "groupe": "company", "компания": "company", "bank": "bank", "banque": "bank", "банк":
    "bank", "регулятор": "bank", "court": "court", "tribunal": "court", "cour": "court", "суд": "court", "council":
    "council", "conseil": "council", "commission": "commission", "committee": "committee", "union": "union",
    "syndicat": "union", "party": "party", "parti": "party", "regulator": "regulator", "university": "university",
    "fund": "fund"
}  # fmt: skip
_COUNTRY_ANAPHOR: Final = re.compile(
    r"(?<![\w\-])(?:[Tt]he[ \t]+country(?:['’]s)?|[Ll]e[ \t]+pays|[Сс]тран(?:а|ы|е|у|ой))(?![\w\-])"
)
# Proper names with an organisation word: "Riverton City Council", "Agriculture Ministry of Vellmark".
_ORG_NAME: Final = re.compile(
    rf"(?:(?P<poss>[{_UP}][\w\-]{{1,40}}(?:[ \t]+[{_UP}][\w\-]{{1,40}})?['’]s)[ \t]+)?"
    rf"(?P<org>(?:[{_UP}][\w&\-]{{1,40}}[ \t]+){{0,4}}"
    r"(?:Ministry|Agency|Commission|Council|Court|Bank|Office|Committee|Authority|Service|Institute|University"
    r"|Party|Union|Fund|Telecom|Energy|Group|Inc\.?|Ltd\.?|Corp\.?|Holdings|Technologies|Airlines|Chiefs[ \t]+of"
    r"[ \t]+Staff|Министерство|Минобороны)(?![\w\-])"
    rf"(?:[ \t]+(?:of|for|de|du)(?:[ \t]+the)?[ \t]+[{_UP}][\w\-]{{1,40}}(?:[ \t]+[{_UP}][\w\-]{{1,40}}){{0,2}})?"
    r"(?:[ \t]+[а-яё]+[ \t]+[А-ЯЁ][\w\-]{1,40})?)"
)
_RU_ORG: Final = re.compile(
    r"(?P<org>Центральн\w{1,4}[ \t]+банк\w{0,3}[ \t]+[А-ЯЁ]\w{1,30}"
    r"|Министерств\w{1,3}[ \t]+[а-яё]{1,30}[ \t]+[А-ЯЁ]\w{1,30})"
)
# "cloud provider Stratus Compute", "grid operator Nordnett", "state news agency KCNA", "The developer,
# Greystone Homes,": a descriptor that says what kind of organisation the name is.
_DESCRIPTOR_WORDS: Final = (
    r"company|firm|operator|provider|developer|maker|carrier|airline|group|agency|fund|bank"
    r"|lender|insurer|broadcaster|regulator|union|agence|syndicat|compagnie|entreprise|société|groupe"
)
_DESCRIBED_ORG: Final = re.compile(
    rf"\b(?P<descriptor>{_DESCRIPTOR_WORDS})"
    rf",?[ \t]+(?P<org>[{_UP}][\w\-]{{1,40}}(?:[ \t]+(?:[{_UP}][\w\-]{{1,40}}|publique|de|du)){{0,6}})"
)
# "Baltic Air today announced ...": the opening of a press release names the company.
_ANNOUNCER: Final = re.compile(
    rf"^(?P<org>[{_UP}][\w&\-]{{1,40}}(?:[ \t]+[{_UP}][\w&\-]{{1,40}}){{0,3}})[ \t]+today[ \t]+"
    r"(?:announced|opened|launched|unveiled|reported|said|released|introduced|signed|agreed|completed)\b"
)
# Cheap pre-checks: the organisation patterns only run on sentences with one of their key words.
_ORG_HEADS: Final = re.compile(
    r"Ministry|Agency|Commission|Council|Court|Bank|Office|Committee|Authority|Service|Institute|University"
    r"|Party|Union|Fund|Telecom|Energy|Group|Inc|Ltd|Corp|Holdings|Technologies|Airlines|Chiefs|Министерств"
    r"|Минобороны|Центральн"
)
_DESCRIPTORS: Final = re.compile(_DESCRIPTOR_WORDS)
_ACRONYM_ORG: Final = re.compile(rf"\b(?:la|le|l['’])[ \t]*(?P<org>[{_UP}]{{3,8}})\b")

_SUBJECT_PRONOUNS: Final = {
    "en": re.compile(r"^[\"“«'‘]?(?P<p>He|She|His|Her)\b(?![ \t]+(?:own)\b)"),
    "fr": re.compile(r"^[\"“«'‘]?(?P<p>Il|Elle)\b(?![ \t]+(?:y|faut|s['’]agit|est[ \t]+(?:possible|probable|clair)))"),
    "ru": re.compile(r"^[\"“«'‘]?(?:(?P<p>Он|Она)\b|По[ \t]+(?P<p2>его|её|ее)[ \t]+словам)"),
}
_IT_SAID: Final = re.compile(
    r"^[\"“«'‘]?(?P<p>It)(?=[ \t]+(?:also[ \t]+)?(?:said|says|added|expects|estimates|plans|warned|reported|noted)\b)"
)
_OF_INSTITUTION = re.compile(r"[ \t]+(?:of|at|from|in|de|du)[ \t]+")


@dataclass(slots=True)
class _Person:
    name: str
    gender: str | None = None  # "m", "f" or None
    country: str | None = None


@dataclass(slots=True)
class _Org:
    name: str
    kinds: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Resolved:
    """What the context made of one sentence."""

    context_text: str
    speaker: str | None


@dataclass(slots=True)
class ArticleContext:
    """Entities and speakers seen so far in one article; feed it the sentences in order."""

    language: str
    published: datetime.date | None
    interviewee: str | None = None
    first_person: str | None = None
    persons: list[_Person] = field(default_factory=list)
    orgs: list[_Org] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)  # every mention, in order
    learned_countries: set[str] = field(default_factory=set)
    learned_aliases: dict[str, str] = field(default_factory=dict)
    # (kind, entity name) of each sentence's speaker, and each sentence's subject country.
    last_speaker: tuple[str, str] | None = None
    subject_countries: list[str] = field(default_factory=list)
    _country_re: re.Pattern[str] | None = None

    # ------------------------------------------------------------------ entry points

    def observe(self, flat: str) -> None:
        """Register the entities of a text that is not a claim (the title, a standfirst)."""
        self._register(flat)
        self.countries.extend(c for _, _, c in self._country_mentions(flat))

    def resolve(
        self,
        flat: str,
        attribution: Attribution | None,
        label: str | None = None,
        inherited: str | None = None,
    ) -> Resolved:
        """Context text and speaker of the next claim.

        Args:
            flat: The claim, markup stripped and whitespace normalised.
            attribution: The speaker phrase found in it, if any.
            label: Its transcript label ("A", "Kowalska"), if any.
            inherited: The speaker of the quoted passage it belongs to, if already known.
        """
        self._register(flat, attribution)
        mentions = self._country_mentions(flat)
        insertions: list[tuple[int, str]] = []

        speaker_entity = self._speaker_entity(flat, attribution, label, insertions, mentions)
        if speaker_entity is None and inherited is not None:
            speaker_entity = self.last_speaker if self.last_speaker and self.last_speaker[1] == inherited else None
            speaker_entity = speaker_entity or ("person" if self._person_named(inherited) else "other", inherited)
        self._resolve_subject_pronoun(flat, attribution, insertions)
        self._resolve_org_anaphors(flat, insertions, attribution)
        self._resolve_country_anaphor(flat, mentions, speaker_entity, insertions)
        if self.published is not None:
            for date in resolve_relative_dates(flat, self.published, self.language):
                insertions.append((date.end, date.value))

        self.countries.extend(c for _, _, c in mentions)
        subject = self._subject_country(flat, mentions)
        if subject:
            self.subject_countries.append(subject)
        self.last_speaker = speaker_entity
        return Resolved(context_text=_insert(flat, insertions), speaker=speaker_entity[1] if speaker_entity else None)

    # ------------------------------------------------------------------ entities

    def _register(self, flat: str, attribution: Attribution | None = None) -> None:
        for pattern in _LEARN_COUNTRY:
            needle = _LEARN_NEEDLES.get(pattern.pattern)
            if needle is not None and not needle.search(flat):
                continue
            for match in pattern.finditer(flat):
                name = match.group("c")
                if name not in _COUNTRY_BY_ALIAS and self._org_named(name) is None:
                    self.learned_countries.add(name)
                    if re.fullmatch(r"[А-ЯЁ][а-яё]+[бвгджзклмнпрстфхцчшщ]а", name):
                        # Genitive of a masculine name ("Центральный банк Вельмарка"): the base form names it.
                        self.learned_aliases[name] = name[:-1]
                    self._country_re = None
        for index, pattern in enumerate(_PERSON_PATTERNS):
            if index == 0 and not _PERSON_NEEDLE.search(flat):
                continue
            for match in pattern.finditer(flat):
                name = _strip_titles(match.group("person"))
                if not name or name.split()[0] in _NOT_FIRST_NAMES or self._is_place_or_org(name):
                    continue
                country = None
                if index == 1:
                    country = self._country_of(match.group("country"))
                    if country is None:
                        continue
                prefix = flat[max(0, match.start() - 40) : match.start("person")]
                self._add_person(name, _gender_of(prefix), country or self._demonym_before(flat, match.start()))
        for pattern in (_ORG_NAME, _RU_ORG) if _ORG_HEADS.search(flat) else ():
            for match in pattern.finditer(flat):
                org = match.group("org")
                poss = match.groupdict().get("poss")
                self._add_org(f"{poss} {org}" if poss else org)
        for match in _DESCRIBED_ORG.finditer(flat) if _DESCRIPTORS.search(flat) else ():
            self._add_org(_trim_org(match.group("org")), kind=_kind_of_word(match.group("descriptor")))
        if self.language == "fr":
            for match in _ACRONYM_ORG.finditer(flat):
                self._add_org(match.group("org"))
        if (announcer := _ANNOUNCER.match(flat)) is not None and not self._is_place_or_org(announcer.group("org")):
            self._add_org(announcer.group("org"))

    def _add_person(self, name: str, gender: str | None = None, country: str | None = None) -> _Person:
        existing = self._person_named(name)
        if existing is not None and len(existing.name.split()) >= len(name.split()):
            person = existing
            self.persons.remove(person)
        else:
            person = _Person(name)
            self.first_person = self.first_person or name
        person.gender = person.gender or gender
        person.country = person.country or country
        self.persons.append(person)  # most recent last
        return person

    def _add_org(self, name: str, kind: str | None = None) -> _Org:
        name = re.sub(r"^(?:(?:[Tt]he|[Ll]e|[Ll]a)[ \t]+|[Ll]['’][ \t]*)", "", name.strip(" ,.;:"))
        existing = next((o for o in self.orgs if o.name == name), None)
        if existing is None:
            existing = _Org(name, _kinds_of(name))
        else:
            self.orgs.remove(existing)
        if kind:
            existing.kinds.add(kind)
        self.orgs.append(existing)
        return existing

    def _person_named(self, name: str) -> _Person | None:
        """A known person this (possibly partial, possibly declined) name refers to."""
        tokens = name.split()
        for person in reversed(self.persons):
            if person.name == name:
                return person
        for person in reversed(self.persons):
            known = person.name.split()
            if len(tokens) < len(known) and all(_token_match(t, known) for t in tokens):
                return person
        return None

    def _org_named(self, name: str) -> _Org | None:
        for org in reversed(self.orgs):
            if org.name == name or (org.name.split()[0] == name and len(name) > 2):
                return org
        return None

    def _is_place_or_org(self, name: str) -> bool:
        words = set(name.lower().split())
        return (
            name in _COUNTRY_BY_ALIAS
            or any(w in _COUNTRY_BY_ALIAS for w in name.split())
            or bool(words & {"ministry", "council", "court", "bank", "agency", "marathon", "university"})
        )

    def _country_of(self, word: str) -> str | None:
        if word in _COUNTRY_BY_ALIAS:
            return _COUNTRY_BY_ALIAS[word]
        if word in self.learned_countries:
            return self.learned_aliases.get(word, word)
        return None

    def _demonym_before(self, flat: str, position: int) -> str | None:
        before = flat[max(0, position - 30) : position]
        for match in self._countries_re().finditer(before):
            return self._country_of(match.group())
        return None

    def _countries_re(self) -> re.Pattern[str]:
        if not self.learned_countries:
            return _COUNTRY_RE
        if self._country_re is None:
            names = [*_COUNTRY_BY_ALIAS, *self.learned_countries]
            self._country_re = re.compile(r"\b(?:" + _longest_first(names) + r")(?![\w\-])")
        return self._country_re

    def _country_mentions(self, flat: str) -> list[tuple[int, int, str]]:
        found = []
        for match in self._countries_re().finditer(flat):
            country = self._country_of(match.group())
            if country:
                found.append((match.start(), match.end(), country))
        return found

    def _subject_country(self, flat: str, mentions: list[tuple[int, int, str]]) -> str | None:
        """The country that is (or owns) the sentence's subject: "Ukraine shipped", "Lithuania's president"."""
        head = re.sub(r"^(?:[^,]{1,30},[ \t]+)", "", flat) if flat[:30].count(",") == 1 else flat
        offset = len(flat) - len(head)
        for start, end, country in mentions:
            if start < offset or start - offset > 4:
                continue
            if flat[start:end] in _ADJECTIVE_ALIASES:
                return None
            return country
        return None

    # ------------------------------------------------------------------ speakers

    def _speaker_entity(
        self,
        flat: str,
        attribution: Attribution | None,
        label: str | None,
        insertions: list[tuple[int, str]],
        mentions: list[tuple[int, int, str]],
    ) -> tuple[str, str] | None:
        if attribution is None:
            if label is None:
                return None
            return self._label_speaker(label)
        if attribution.pronoun:
            resolved = self._resolve_pronoun(attribution.phrase, flat)
            if resolved is not None:
                insertions.append((attribution.end, resolved[1]))
            return resolved
        phrase = self._resolve_phrase(attribution.phrase, flat, attribution.start, mentions)
        phrase = canonical_phrase(phrase)
        if not phrase:
            return None
        return self._speaker_name(phrase, flat)

    def _label_speaker(self, label: str) -> tuple[str, str] | None:
        lowered = label.lower()
        if lowered in ("q", "question", "вопрос", "질문"):
            return None
        if lowered in ("a", "answer", "réponse", "ответ", "답변"):
            return ("person", self.interviewee) if self.interviewee else None
        person = self._person_named(label)
        return ("person", person.name) if person else ("person", label)

    def _speaker_name(self, phrase: str, flat: str) -> tuple[str, str]:
        # A person: "Defence Minister Lee Jae-sung", "lead author Dr. Ingrid Holm of the University of Bergen",
        # "Chief of Staff General Ivan Petrov".
        before_of = _OF_INSTITUTION.split(phrase)[0]
        for candidate in (before_of, phrase):
            name = _strip_titles(candidate)
            if self._is_person_name(name):
                known = self._person_named(name)
                return ("person", known.name if known else self._add_person(name, _gender_of(phrase)).name)
        # A title before one capitalised word is a person known by a surname ("President Putin", or
        # a Turkish minister's title before a surname): the person named earlier in the text, else the surname.
        surname = _strip_titles(before_of)
        titled = before_of.split()
        if (
            len(surname.split()) == 1
            and len(titled) > 1
            and titled[-1] == surname
            and titled[-2].lower() in _PERSON_TITLES
            and surname.lower() not in TITLE_WORDS
            and not _has_org_word(surname)
            and not self._is_place_or_org(surname)
            and self._org_named(surname) is None
        ):
            known = self._person_named(surname)
            return ("person", known.name if known else surname)
        org = self._org_named(phrase)
        if org is not None:
            return ("org", org.name)
        # A document ("Delvik Telecom's annual report") is a source, not an organisation later sentences
        # could refer to; a common-noun phrase is one only when its head names a kind ("the electoral
        # commission", not "the direction de l'entreprise").
        if _DOCUMENT_END.search(phrase):
            return ("other", phrase)
        if phrase[:1].isupper() and (_has_org_word(phrase) or phrase.isupper()):
            return ("org", self._add_org(phrase).name)
        head = _head_noun(phrase, self.language)
        if _kinds_of(head):
            return ("org", self._add_org(phrase).name)
        if _has_org_word(phrase):
            return ("org", phrase)
        known = self._person_named(phrase) if phrase[:1].isupper() else None
        if known is not None:
            return ("person", known.name)
        return ("other", phrase)

    def _is_person_name(self, name: str) -> bool:
        tokens = name.split()
        if not 2 <= len(tokens) <= 4 or not all(t[:1].isupper() for t in tokens):
            return False
        if any(t.lower() in TITLE_WORDS or t in _COUNTRY_BY_ALIAS or t in self.learned_countries for t in tokens):
            return False
        return not _has_org_word(name) and self._org_named(tokens[0]) is None

    def _resolve_phrase(self, phrase: str, flat: str, start: int, mentions: list[tuple[int, int, str]]) -> str:
        """Anaphors inside a speaker phrase: "the country's Central Military Commission", "its annual report"."""
        match = _COUNTRY_ANAPHOR.search(phrase)
        if match is not None:
            country = self._country_for(flat, start + match.start(), mentions, None)
            if country:
                possessive = "'s" if match.group().endswith(("'s", "’s")) else ""
                phrase = phrase[: match.start()] + country + possessive + phrase[match.end() :]
        its = re.match(r"^(?:[Ii]ts|[Tt]heir)[ \t]+", phrase)
        if its is not None:
            owner = self._owner_of_its(flat)
            if owner:
                phrase = f"{owner}'s {phrase[its.end() :]}"
        # "the state news agency" once an agency is known: the description points back to it.
        described = _DESCRIBED_KIND.fullmatch(phrase.strip())
        if described is not None and (org := self._last_org(_NOUN_KIND.get(described.group("noun").lower(), ""))):
            return org.name
        for pattern in (*_ORG_ANAPHORS, _RU_DECLINED_ANAPHOR):
            anaphor = pattern.fullmatch(phrase.strip())
            if anaphor is not None:
                noun = anaphor.group("noun").lower()
                noun = re.sub(r"^(ведомств|министерств)\w*$", r"\1о", noun)
                org = self._last_org(_NOUN_KIND.get(noun, ""))
                if org is not None:
                    return org.name
        return phrase

    def _owner_of_its(self, flat: str) -> str | None:
        """The organisation or country a sentence is about: its subject, else the last speaker."""
        for pattern in _ORG_ANAPHORS:
            match = pattern.match(flat)
            if match is not None and (org := self._last_org(_NOUN_KIND.get(match.group("noun").lower(), ""))):
                return org.name
        mentions = self._country_mentions(flat[:40])
        if mentions and mentions[0][0] <= 4:
            return flat[mentions[0][0] : mentions[0][1]]
        if self.last_speaker and self.last_speaker[0] == "org":
            return self.last_speaker[1]
        return None

    # ------------------------------------------------------------------ pronouns

    def _resolve_pronoun(self, pronoun: str, flat: str) -> tuple[str, str] | None:
        word = pronoun.lower()
        if word in ("it",):
            if self.last_speaker and self.last_speaker[0] == "org":
                return self.last_speaker
            org = self._subject_org(flat)
            return ("org", org) if org else None
        if word in ("they", "ils", "elles", "они", "их", "eux"):
            return None
        gender = _pronoun_gender(word, flat, self.language)
        allow_org = self.language in ("fr", "ru")
        last = self.last_speaker
        if last is not None and (last[0] == "person" or (allow_org and last[0] == "org")):
            person = self._person_named(last[1]) if last[0] == "person" else None
            if person is None or gender is None or person.gender in (None, gender):
                if person is not None and gender:
                    person.gender = gender
                return last
        for person in reversed(self.persons):
            if gender is None or person.gender in (None, gender):
                if gender:
                    person.gender = gender
                return ("person", person.name)
        return None

    def _subject_org(self, flat: str) -> str | None:
        for pattern in _ORG_ANAPHORS:
            match = pattern.match(flat)
            if match is not None and (org := self._last_org(_NOUN_KIND.get(match.group("noun").lower(), ""))):
                return org.name
        return None

    def _resolve_subject_pronoun(
        self, flat: str, attribution: Attribution | None, insertions: list[tuple[int, str]]
    ) -> None:
        pattern = _SUBJECT_PRONOUNS.get(self.language)
        match = pattern.match(flat) if pattern is not None else None
        if match is None and self.language == "en":
            match = _IT_SAID.match(flat)
        if match is None:
            return
        group = "p" if match.group("p") else "p2"
        end = match.end(group)
        if any(position == end for position, _ in insertions):
            return  # already resolved as the speaker
        if attribution is not None and attribution.pronoun and attribution.end == end:
            return
        word = match.group(group)
        resolved = self._resolve_pronoun({"his": "he", "her": "she"}.get(word.lower(), word), flat)
        if resolved is not None:
            insertions.append((end, resolved[1]))

    # ------------------------------------------------------------------ definite descriptions

    def _last_org(self, kind: str) -> _Org | None:
        if not kind:
            return None
        for org in reversed(self.orgs):
            if kind in org.kinds:
                return org
        if kind == "company":  # an organisation of no known kind ("la SNCF") is most often a company
            for org in reversed(self.orgs):
                if not org.kinds:
                    return org
        return None

    def _resolve_org_anaphors(
        self, flat: str, insertions: list[tuple[int, str]], attribution: Attribution | None
    ) -> None:
        patterns = (*_ORG_ANAPHORS, _RU_DECLINED_ANAPHOR) if self.language == "ru" else _ORG_ANAPHORS
        for pattern in patterns:
            for match in pattern.finditer(flat):
                noun = re.sub(r"^(ведомств|министерств)\w*$", r"\1о", match.group("noun").lower())
                # "the bank" right after its own name ("Central Bank ... the bank") is fine; a capitalised
                # noun inside a name ("the Bank of X") is not an anaphor.
                if pattern is _ORG_ANAPHORS[0] and flat[match.end() : match.end() + 4] in (" of ", " for"):
                    continue
                org = self._last_org(_NOUN_KIND.get(noun, ""))
                window = flat[max(0, match.start() - 40) : match.end() + 40].lower()
                if org is None or org.name.lower() in window:
                    continue
                insertions.append((match.end(), org.name))

    def _resolve_country_anaphor(
        self,
        flat: str,
        mentions: list[tuple[int, int, str]],
        speaker: tuple[str, str] | None,
        insertions: list[tuple[int, str]],
    ) -> None:
        for match in _COUNTRY_ANAPHOR.finditer(flat):
            if any(position == match.end() for position, _ in insertions):
                continue
            country = self._country_for(flat, match.start(), mentions, speaker)
            if country:
                insertions.append((match.end(), country))

    def _country_for(
        self, flat: str, position: int, mentions: list[tuple[int, int, str]], speaker: tuple[str, str] | None
    ) -> str | None:
        before = [c for start, _, c in mentions if start < position]
        if before:
            return before[0]
        if speaker is not None and speaker[0] == "person":
            person = self._person_named(speaker[1])
            if person is not None and person.country:
                return person.country
        if self.subject_countries:
            return self.subject_countries[-1]
        return self.countries[-1] if self.countries else None


# --------------------------------------------------------------------------- helpers


def _insert(flat: str, insertions: list[tuple[int, str]]) -> str:
    if not insertions:
        return flat
    out: list[str] = []
    cursor = 0
    seen: set[int] = set()
    for position, value in sorted(insertions, key=lambda item: item[0]):
        if position in seen:
            continue
        seen.add(position)
        out.append(flat[cursor:position])
        out.append(f" [{_DETERMINER_PREFIX.sub('', value)}]")
        cursor = position
    out.append(flat[cursor:])
    return "".join(out)


_DETERMINER_PREFIX = re.compile(r"^(?:(?:the|The|le|la|les|Le|La|Les)[ \t]+|[Ll]['’])")


def _strip_titles(name: str) -> str:
    """The person's name in a titled phrase: "Ukrainian President Volodymyr Zelensky" -> "Volodymyr Zelensky"."""
    tokens = name.replace(",", " ").split()
    # The trailing run of capitalised words ("Stratus chief executive Jonas Berg" -> "Jonas Berg").
    tail: list[str] = []
    for token in reversed(tokens):
        if not token[:1].isupper():
            break
        tail.insert(0, token)
    tokens = tail
    # Whatever precedes the last title word is part of the title ("Wagner Chief Yevgeny Prigozhin", "Maui Mayor
    # Richard Bissen", "Detective Superintendent Risto Lohi").
    last_title = max((i for i, token in enumerate(tokens[:-1]) if token.lower() in TITLE_WORDS), default=-1)
    tokens = tokens[last_title + 1 :]
    while len(tokens) > 1 and (
        tokens[0].lower() in TITLE_WORDS
        or tokens[0] in _COUNTRY_BY_ALIAS
        or tokens[0].endswith(("'s", "’s"))
        or (tokens[0].isupper() and len(tokens) > 2)
        or tokens[0].rstrip(".") in ("Dr", "Mr", "Mrs", "Ms", "Prof", "M")
    ):
        tokens.pop(0)
    if len(tokens) == 1 and tokens[0].lower() in TITLE_WORDS:
        return ""
    return " ".join(tokens).strip(" ,")


def _gender_of(prefix: str) -> str | None:
    words = {w.lower().strip(",") for w in prefix.split()[-4:]}
    if words & _FEMALE_TITLES:
        return "f"
    if words & _MALE_TITLES:
        return "m"
    return None


def _pronoun_gender(word: str, flat: str, language: str) -> str | None:
    if word in ("he", "his", "il", "он", "его"):
        return "m"
    if word in ("she", "her", "elle", "она", "её", "ее"):
        return "f"
    return None


def _token_match(token: str, known: list[str]) -> bool:
    token = token.strip(".,")
    for part in known:
        if token == part:
            return True
        # Declined Russian surnames: "Ветрова" for "Ветров", "Брекке" for "Брекке".
        if len(token) >= 5 and len(part) >= 4 and token[:-2] == part[: len(token) - 2] and token[0].isupper():
            return True
    return False


_KIND_PATTERNS: Final = {
    kind: re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
    for kind, words in _KIND_WORDS.items()
}


def _kinds_of(name: str) -> set[str]:
    lowered = name.lower()
    return {kind for kind, pattern in _KIND_PATTERNS.items() if pattern.search(lowered)}


def _kind_of_word(word: str) -> str | None:
    return next((kind for kind, words in _KIND_WORDS.items() if word.lower() in words), None)


def is_organisation_name(name: str) -> bool:
    """Whether a name reads as an organisation's (a ministry, an agency, a newspaper...) rather than a person's."""
    return _has_org_word(name)


# The one list of organisation words (service/data/words/organisation_words.txt), as whole words.
_ORG_WORD: Final = re.compile(
    r"(?<![\w\-])(?:"
    + "|".join(map(re.escape, sorted(read_terms("organisation_words"), key=len, reverse=True)))
    + r")(?![\w\-])"
)


def _has_org_word(text: str) -> bool:
    return bool(_kinds_of(text)) or bool(_ORG_WORD.search(text.lower()))


_DOCUMENT_END = re.compile(
    r"\b(?:report|statement|figures|data|survey|study|accounts|website|filing|analysis|estimates|statistics)$"
)


def _head_noun(phrase: str, language: str) -> str:
    """The noun a common-noun phrase is about: English puts it last, French and Russian first."""
    words = [w for w in re.split(r"[ \t]+", phrase) if w and w.lower() not in ("the", "le", "la", "les", "l'")]
    if not words:
        return ""
    if language in ("fr", "ru"):
        # Russian adjectives come first ("региональном управлении"): skip words that look like them.
        for word in words:
            if not re.search(r"(?:ый|ий|ой|ом|ем|ая|ое|ые|ых|ого|его|ной|ном)$", word.lower()):
                return word
        return words[0]
    return words[-1]


def _trim_org(name: str) -> str:
    tokens = name.split()
    while tokens and tokens[-1] in ("de", "du", "publique") and tokens[-1] != "publique":
        tokens.pop()
    return " ".join(tokens)


__all__ += ["PRONOUNS"]
