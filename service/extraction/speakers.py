"""Who asserts a sentence: attribution frames in English, French, Russian and Korean.

Attribution in news prose is overwhelmingly one of a few fixed frames, so an ordered list of
regexes per language recovers most speakers without a parser:

- "X said / told reporters / added / wrote / warned ...", "..., X said.", "..., said X."
- "according to X", "X was quoted (by Y) as saying", "Y quoted X as saying"
- "with X reporting that ...", "..., saying ..." after an action of X
- "the words came from X", "that was the message from X" (a quote attributed in the next sentence)
- "selon X", "a déclaré X", "a-t-il ajouté"; "по словам X", "как сообщает X", "— заявил X";
  "X가 밝혔다"

Frames are tried in order and the first that matches wins; the more specific ones ("quoted ... as
saying", a sentence-initial "X said") come before "according to" and the generic "X said". A match
gives the raw phrase; `canonical_phrase` strips determiners, titles and document words ("NATO
figures published last June" -> "NATO"), and the context module resolves pronouns and short names.
Every quantifier is bounded: these patterns run over untrusted text.
"""

# Russian, French and Korean words and typographic quotes in the patterns are deliberate.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from service.text.words import read_sections, read_terms

__all__ = ["Attribution", "canonical_phrase", "find_attribution"]

# Speaker regexes are bounded, but there is no point scanning a pathological sentence.
_MAX_SCAN: Final = 5_000


@dataclass(frozen=True, slots=True)
class Attribution:
    """A speaker phrase found in a (whitespace-normalised) sentence."""

    phrase: str
    start: int
    end: int
    pronoun: bool = False


_UP = "A-ZÀ-ÖØ-ÞА-ЯЁ"
_CAP_TOKEN = rf"[{_UP}][\w'’.\-]{{0,40}}"
_PROPER = (
    rf"{_CAP_TOKEN}(?:[ \t]+(?:(?:of|the|for|and|de|du|al|bin|von|van|der|la|le)[ \t]+){{0,2}}{_CAP_TOKEN}){{0,7}}"
)
_INSTITUTION = (
    r"(?i:ministry|agency|commission|office|government|department|committee|council|command"
    r"|military|army|police|service|authority|spokes(?:man|woman|person)|embassy|court|kremlin|presidency"
    r"|bureau|parliament|cabinet|authorities|officials?|statement|report|newspaper|broadcaster|regulator"
    r"|operator|company|firm|board|union|institute|university|utility|office|president|minister|leader"
    r"|developer|provider|organisers|organizers)\b"
)
_DETERMINER = r"(?:[Tt]he|[Ii]ts|[Tt]heir|[Hh]is|[Hh]er)[ \t]+"
# A modifier word inside a noun phrase; a second "the" means the phrase started too early
# ("the weekend the army said").
_MODIFIER = r"(?!the\b)[\w'’\-]{1,40}[ \t]+"
_NOUN_PHRASE = rf"{_DETERMINER}(?:{_MODIFIER}){{0,4}}?{_INSTITUTION}"
_POSSESSIVE = rf"{_PROPER}['’]s[ \t]+(?:{_MODIFIER}){{0,3}}?{_INSTITUTION}"
_GROUP = (
    # (a nationality before the group: "Ukrainian officials", "Japanese investigators")
    r"(?:(?:[Bb]oth|[Rr]egional|[Ll]ocal|[Ss]tate|[Ff]ederal|[Ss]enior|[Uu]\.S\.|[Ww]estern|[Mm]ilitary"
    r"|[A-Z][a-z]{2,20}(?:an|ish|ese|ch|ic|i))[ \t]+)?"
    r"(?:[Oo]fficials|[Aa]uthorities|[Oo]rganisers|[Oo]rganizers|[Ii]nvestigators|[Aa]nalysts|[Ee]conomists"
    r"|[Ee]xperts|[Rr]esidents|[Ww]itnesses|[Ss]ources|[Rr]esearchers|[Aa]uthors|[Pp]rosecutors|[Ss]ides"
    r"|[Dd]iplomats|[Ll]awmakers|[Cc]ritics|[Ee]xporters|[Pp]olice)(?:[ \t]+in[ \t]+{_PROPER})?"
    r"|[Aa]n?[ \t]+(?:(?:senior|government|military|western|foreign|local|defen[cs]e|ministry|company)[ \t]+){0,3}"
    r"(?:official|spokes(?:man|woman|person)|source|diplomat|analyst|officer)(?:[ \t]+(?:in|at|for|of)[ \t]+{_PROPER})?"
).replace("{_PROPER}", _PROPER)


def _phrases(terms: Sequence[str]) -> str:
    """An alternation of the terms, in their order, each read literally but for its words, apart by any blanks."""
    return "|".join(r"[ \t]+".join(map(re.escape, term.split())) for term in terms)


_TITLE_LISTS: Final = read_sections("titles")
# Lower-case role words (service/data/words/titles.txt: roles and role modifiers), the extraction's one list of them.
_ROLE_WORDS = (
    "(?:" + _phrases(sorted({*_TITLE_LISTS["roles"], *_TITLE_LISTS["role modifiers"]}, key=len, reverse=True)) + ")"
)
# "Opposition leader Mats Berglund", "Stratus chief executive Jonas Berg", "lead author Dr. Ingrid Holm".
_TITLED = rf"(?:{_PROPER}[ \t]+)?(?:{_ROLE_WORDS}[ \t]+){{1,3}}{_PROPER}"
_NAME = rf"(?<![\w'’])(?P<name>{_NOUN_PHRASE}|{_POSSESSIVE}|{_TITLED}|{_GROUP}|{_PROPER})"
# Directly before a speech verb any determiner phrase is a speaker ("the engineer said"),
# so that frame also accepts "the/its + up to three words" ending in a common noun.
# Not the object of a preposition ("listen to the news reports"), and no auxiliary or negation inside it ("the state
# have not said": nobody said anything).
_AUXILIARY = r"(?:have|has|had|did|does|do|not|never|was|were|is|are|will|would|could|can|may|might|should|must)\b"
_ROLE = (
    r"(?<!\bto )(?<!\bof )(?<!\bin )(?<!\bon )(?<!\bat )(?<!\bfor )(?<!\bwith )(?<!\bfrom )(?<!\bby )"
    rf"{_DETERMINER}(?:(?!{_AUXILIARY}){_MODIFIER}){{0,2}}?(?!the\b|first\b|second\b|third\b|last\b|only\b"
    rf"|latest\b|same\b|other\b|new\b|most\b|{_AUXILIARY})[a-z][\w\-]{{1,40}}"
)
_SPEECH_NAME = rf"(?<![\w'’])(?P<name>{_NOUN_PHRASE}|{_POSSESSIVE}|{_TITLED}|{_ROLE}|{_GROUP}|{_PROPER})"
# Lower-case job titles in front of a name: "quoted envoy Jane Doe as saying".
_ROLE_PREFIX = r"(?:(?!by\b)[a-z][\w\-]{1,30}[ \t]+){0,3}?"


# English speech verbs (service/data/words/speech_verbs.txt), as one alternation.
_SPEECH_WORDS = _phrases(read_terms("speech_verbs"))
_SPEECH_VERB = rf"(?:{_SPEECH_WORDS})\b"
# After "It" (an organisation) a few more verbs report its position: "It expects to reconnect ...".
_PRONOUN_VERB = rf"(?:{_SPEECH_WORDS}|expects|estimates|plans|believes|thinks)\b"
_ADVERBIAL = (
    r"(?:,[ \t]+(?:meanwhile|however|though|too|in[ \t]+turn|for[ \t]+(?:his|her|its|their)[ \t]+part),"
    r"|[ \t]+(?:also|later|earlier|previously|then|again|(?:on|last|this)[ \t]+\w{1,20}"
    r"|(?:over|during)[ \t]+the[ \t]+\w{1,20}"
    r"|in[ \t]+an?[ \t]+(?:[\w\-]{1,20}[ \t]+){0,2}(?:statement|address|interview|speech|post|video|message)"
    r"|(?:has|have|had)(?=[ \t]+(?:said|told|warned|denied|confirmed|admitted|promised|pledged|vowed|insisted"
    r"|claimed|argued|stated|announced)\b))){0,2}"
)
_OPEN = "[\"“«'‘]?"
# Up to the next punctuation; a dot only after an abbreviated title ("Dr. Ingrid Holm").
_TO_END = r"(?P<name>(?:[^,.;:!?\"“”«»]|\.(?=[ \t]+[A-ZÀ-Þ][\w'’\-]+[ \t]+[A-ZÀ-Þ])){2,100}?)"
# After an inverted "said", a name follows, not a clause ("..., said on Saturday that ...").
_NOT_CLAUSE = (
    r"(?!(?:on|in|at|that|it|he|she|they|we|last|this|yesterday|today|earlier|later|after|before|during|when"
    r"|while|to|of|about|there|so|as|if|the[ \t]+\w+[ \t]+(?:was|were|had|has|is|are|would|will))\b)"
)
_APPOSITION_NAME = rf"(?:,[ \t]+(?P<appos>[{_UP}][\w'’\-]+(?:[ \t]+[{_UP}][\w'’\-]+){{1,3}}))?"
# "a study published last week in the journal X" / "figures from X": the source is X.
_DOC_WORDS = (
    r"(?:study|studies|report|reports|survey|statement|analysis|figures|data|estimates|statistics|poll|paper"
    r"|research|documents?|filing|census|étude|rapport|sondage|enquête|chiffres|données)"
)

_NAME_THEN_VERB: Final = re.compile(rf"^{_OPEN}{_SPEECH_NAME}{_ADVERBIAL}[ \t]+{_SPEECH_VERB}")
# A report of a report: "Reuters reported that President Tayyip Erdogan admitted ...": the source of the claim is
# the innermost speaker, whom the outer one reports.
_REPORTED_THAT: Final = re.compile(
    r"[ \t]+(?:reported|reports|said|says|wrote|writes|announced|learned|told[ \t]+[\w ]{1,30}?)[ \t]+that[ \t]+"
)
_EN: Final = (
    re.compile(rf"\bquoted[ \t]+{_ROLE_PREFIX}{_NAME}[ \t]+as[ \t]+saying\b"),
    re.compile(rf"{_NAME}[ \t]+(?:was|were)[ \t]+quoted(?:[ \t]+by[ \t]+[^,.;]{{1,60}}?)?[ \t]+as[ \t]+saying\b"),
    re.compile(rf"^{_OPEN}(?P<name>He|She|It|They)\b{_ADVERBIAL}[ \t]+{_PRONOUN_VERB}"),
    _NAME_THEN_VERB,
    # (after an opening adverbial: "On the evening of June 23, Jane Roe, the founder of X, said ...")
    re.compile(
        rf"^{_OPEN}(?:(?:On|In|At|Later|Earlier|Meanwhile|However|Then)\b[^,]{{0,60}},[ \t]+)?"
        rf"{_NAME},[ \t]+(?:who|a|an|the)\b[^,]{{1,100}},[ \t]+{_SPEECH_VERB}"
    ),
    # "Russia's chief of the general staff, Valery Gerasimov, said ...": the apposition is the name.
    re.compile(
        rf"^{_OPEN}(?P<name>[^,]{{2,80}}),[ \t]+(?P<appos>[{_UP}][\w'’\-]+(?:[ \t]+[{_UP}][\w'’\-]+){{0,3}}),"
        rf"{_ADVERBIAL}[ \t]+{_SPEECH_VERB}"
    ),
    # A trailing attribution ('..., the engineer said.') names the speaker of the whole
    # sentence, even when an earlier clause also contains "X said".
    re.compile(
        rf"[,!?…][\"”’»]?[ \t]+(?:{_SPEECH_NAME}|(?P<pronoun>he|she|it|they)){_ADVERBIAL}[ \t]+{_SPEECH_VERB}"
        r"[^,;\"“”]{0,80}$"
    ),
    re.compile(
        rf"[,!?…][\"”’»]?[ \t]+(?:said|says|added|wrote|told|asked|insisted)[ \t]+{_NOT_CLAUSE}{_TO_END}"
        rf"{_APPOSITION_NAME}"
        r"(?:,[^,]{1,80}){0,2}[.!?]?$"
    ),
    # 'according to the "White Helmets" civil defence group': the quoted name.
    re.compile(r"\b[Aa]ccording[ \t]+to[ \t]+(?:the[ \t]+)?[\"“«](?P<name>[^\"“”«»,;]{2,60})[\"”»]"),
    re.compile(
        rf"\b[Aa]ccording[ \t]+to[ \t]+{_TO_END}(?=[ \t]*(?:[,.;:!?\"“”]|$|[ \t]+(?:that|which|who|on|in[ \t]+a)\b))"
    ),
    re.compile(rf"\bwith[ \t]+(?:{_ROLE_PREFIX}){_NAME}[ \t]+(?:reporting|saying|adding|noting|claiming)\b"),
    re.compile(
        r"\b(?:message|words|remarks|comments|warning|pledge|promise|quote)[ \t]+(?:came[ \t]+)?from[ \t]+"
        rf"(?:(?:[a-z][\w\-]*[ \t]+){{0,3}}?[a-z][\w\-]*,[ \t]+)?{_ROLE_PREFIX}{_NAME}"
    ),
    re.compile(rf"{_SPEECH_NAME}{_ADVERBIAL}[ \t]+{_SPEECH_VERB}"),
    # "Finland's National Bureau of Investigation (NBI) said": the initials in brackets are not the verb's subject.
    re.compile(rf"^{_OPEN}{_SPEECH_NAME}[ \t]+\([A-Z][A-Za-z]{{1,9}}\){_ADVERBIAL}[ \t]+{_SPEECH_VERB}"),
    # "NTV television said", "Kyodo news agency reported": the outlet by its name.
    re.compile(
        rf"^{_OPEN}(?P<name>{_PROPER})[ \t]+(?:television|TV|radio|channel|news[ \t]+agency|agency|daily|newspaper)"
        rf"{_ADVERBIAL}[ \t]+{_SPEECH_VERB}"
    ),
    re.compile(
        rf"{_NAME}{_ADVERBIAL}(?:[ \t]+(?:has|have|had))?[ \t]+[a-z]{{2,20}}ed\b[^.!?]{{0,300}}?,[ \t]+saying\b"
    ),
)
# "called" is a speech verb only when a quotation follows ("called the plan 'a disgrace'").
_CALLED = re.compile(rf"^{_OPEN}{_NAME}{_ADVERBIAL}[ \t]+called\b[^\"“«]{{0,80}}[\"“«]")

_FR_PP = (
    r"(?:déclaré|affirmé|indiqué|annoncé|assuré|estimé|expliqué|précisé|souligné|ajouté|dit|confirmé|reconnu"
    r"|averti|martelé|rappelé|appelé|réclamé|demandé|exigé|dénoncé|insisté|jugé|écrit|répondu|prévenu"
    r"|recommandé|commenté|déploré|regretté)"
)
_FR_PRES = (
    r"(?:déclare|affirme|indique|annonce|assure|estime|explique|précise|souligne|ajoute|confirme|reconnaît"
    r"|avertit|rappelle|appelle|réclame|demande|exige|dénonce|juge|écrit|répond|recommande|prévient|déplore)"
)
_FR_DAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|hier|aujourd'hui|aujourd’hui|jeudi)"
_FR_SUBJECT = r"(?P<name>(?:[\w'’\-]{1,40}[ \t]+){0,5}?[\w'’\-]{1,40})(?:,[ \t]+(?P<appos>[^,]{2,60}),)?"
_FR: Final = (
    re.compile(rf"\ba-t-(?P<name>il|elle)[ \t]+{_FR_PP}\b"),
    re.compile(rf"\b{_FR_PRES}-t-(?P<name>il|elle)\b"),
    re.compile(rf"^{_OPEN}(?P<name>Il|Elle|Ils|Elles)[ \t]+(?:a|ont|avait)[ \t]+{_FR_PP}\b"),
    re.compile(rf"^{_OPEN}(?P<name>Il|Elle|Ils|Elles)[ \t]+{_FR_PRES}\b"),
    re.compile(
        rf"^{_OPEN}{_FR_SUBJECT}[ \t]+(?:a|ont|avait|avaient)"
        r"(?:[ \t]+(?:pour[ \t]+(?:sa|leur)[ \t]+part|ainsi|également|aussi|encore|notamment|déjà))?"
        rf"[ \t]+(?:{_FR_PP}|fait[ \t]+état)\b"
    ),
    re.compile(rf"^{_OPEN}{_FR_SUBJECT}[ \t]+(?:ne[ \t]+)?{_FR_PRES}\b"),
    re.compile(
        rf"^{_OPEN}(?:(?:De[ \t]+son|De[ \t]+leur)[ \t]+côté,[ \t]+)?{_FR_SUBJECT}[ \t]+s['’]est[ \t]+dite?s?\b"
    ),
    re.compile(
        rf"[,»\"”][ \t]*(?:a|ont|avait)[ \t]+{_FR_PP}(?:[ \t]+{_FR_DAYS})?[ \t]+{_TO_END}{_APPOSITION_NAME}"
        r"(?:,[^,]{1,80})?[.!?]?$"
    ),
    re.compile(rf"[,»\"”][ \t]*{_FR_PRES}[ \t]+{_TO_END}{_APPOSITION_NAME}(?:,[^,]{{1,80}})?[.!?]?$"),
    re.compile(r"\b[Ss]elon[ \t]+(?P<name>lui|elle|eux|elles)\b"),
    re.compile(rf"\b(?:[Ss]elon|[Dd]['’]après)[ \t]+{_TO_END}(?=[ \t]*(?:[,.;:!?\"“”«»]|$))"),
)

_RU_VERB = (
    r"(?:заяви(?:л|ла|ло|ли)|сказа(?:л|ла|ло|ли)|сообщи(?:л|ла|ло|ли)|отмети(?:л|ла|ло|ли)"
    r"|подчеркну(?:л|ла|ло|ли)|добави(?:л|ла|ло|ли)|поясни(?:л|ла|ло|ли)|рассказа(?:л|ла|ло|ли)"
    r"|призна(?:л|ла|ло|ли)|написа(?:л|ла|ло|ли)|уточни(?:л|ла|ло|ли)|завери(?:л|ла|ло|ли)"
    r"|предупреди(?:л|ла|ло|ли)|призва(?:л|ла|ло|ли)|потребова(?:л|ла|ло|ли)|объяви(?:л|ла|ло|ли)"
    r"|подтверди(?:л|ла|ло|ли)"
    r"|сообщает|заявляет|отмечает|считает|говорит|пишет|подчеркивает|подчёркивает|уточняет|добавляет"
    r"|передает|передаёт|сообщают|заявляют|отмечают)"
)
_RU_SUBJECT = r"(?P<name>(?:[\w\-]{1,40}[ \t]+){0,5}?[\w\-]{1,40})"
_RU_ADVERBIAL = r"(?:[ \t]+(?:в|во|на)[ \t]+[\w\-]{1,40}){0,2}(?:[ \t]+(?:также|уже|ранее|не))?"
_RU: Final = (
    re.compile(r"\b[Пп]о[ \t]+(?P<name>его|её|ее|их)[ \t]+(?:словам|данным)\b"),
    re.compile(rf"\b[Кк]ак[ \t]+{_RU_VERB}[ \t]+{_TO_END}(?=[ \t]*[,.;:!?])"),
    re.compile(rf"^{_OPEN}(?P<name>Он|Она|Они)(?:[ \t]+также)?[ \t]+(?:не[ \t]+)?{_RU_VERB}\b"),
    re.compile(rf"^{_OPEN}(?!Как\b){_RU_SUBJECT}{_RU_ADVERBIAL}[ \t]+(?:не[ \t]+)?{_RU_VERB}\b"),
    re.compile(rf"[,»\"”!?][ \t]*(?:[—–-][ \t]*)?{_RU_VERB}[ \t]+(?P<name>он|она|они)\b"),
    re.compile(rf"[,»\"”!?][ \t]*(?:[—–-][ \t]*)?{_RU_VERB}[ \t]+{_TO_END}[.!?]?$"),
    re.compile(rf"\b[Пп]о[ \t]+(?:словам|данным|информации|оценкам)[ \t]+{_TO_END}(?=[ \t]*[,.;:!?])"),
    re.compile(rf"\b[Оо]б[ \t]+этом[ \t]+{_RU_VERB}[ \t]+{_TO_END}[.!?]?$"),
)

_KO_VERB = r"(?:밝혔다|말했다|전했다|발표했다|설명했다|강조했다|내다봤다|예상했다|주장했다|보도했다|덧붙였다|지적했다)"
_KO: Final = (
    re.compile(rf"(?P<name>[가-힣A-Za-z0-9]{{2,20}}?)(?:이|가)[ \t]+(?:\d{{1,2}}일[ \t]+)?{_KO_VERB}"),
    re.compile(rf"^(?P<name>[가-힣A-Za-z0-9]{{2,20}}?)(?:은|는)[ \t].{{0,300}}{_KO_VERB}\.?$"),
)

# Spanish and Italian: the same frames as French (a subject of a few words, an apposition, the verb), with
# their own verbs; in neither language are common nouns capitalised, so a subject is a phrase, not a name.
_ES_VERB = (
    r"(?:dijo|dijeron|afirm(?:ó|aron)|asegur(?:ó|aron)|declar(?:ó|aron)|señal(?:ó|aron)|explic(?:ó|aron)"
    r"|indic(?:ó|aron)|inform(?:ó|aron)|anunci(?:ó|aron)|advirti(?:ó|eron)|confirm(?:ó|aron)|denunci(?:ó|aron)"
    r"|expres(?:ó|aron)|agreg(?:ó|aron)|añadi(?:ó|eron)|reconoci(?:ó|eron)|neg(?:ó|aron)|sostuvo|sostuvieron"
    r"|destac(?:ó|aron)|subray(?:ó|aron)|precis(?:ó|aron)|detall(?:ó|aron)|manifest(?:ó|aron)|describi(?:ó|eron)"
    r"|admiti(?:ó|eron)|revel(?:ó|aron)|insisti(?:ó|eron)|estim(?:ó|aron)|calcul(?:ó|aron)"
    r"|(?:ha|han|había|habían)[ \t]+(?:dicho|afirmado|asegurado|declarado|señalado|explicado|indicado"
    r"|informado|anunciado|advertido|confirmado|negado|reconocido|estimado|calculado)"
    r"|dice|afirma|asegura|declara|señala|explica|indica|informa|anuncia|advierte|confirma|estima)"
)
_IT_VERB = (
    r"(?:(?:ha|hanno|aveva|avevano)[ \t]+(?:detto|dichiarato|affermato|spiegato|annunciato|riferito|sottolineato"
    r"|aggiunto|confermato|precisato|descritto|assicurato|avvertito|denunciato|ammesso|negato|reso[ \t]+noto"
    r"|fatto[ \t]+sapere|stimato)|dice|afferma|spiega|annuncia|riferisce|sottolinea|aggiunge|conferma|precisa"
    r"|dichiara|assicura|avverte|denuncia|stima)"
)
_LATIN_SUBJECT = r"(?P<name>(?:[\w'’\-]{1,40}[ \t]+){0,5}?[\w'’\-]{1,40})(?:,[ \t]+(?P<appos>[^,]{2,60}),)?"
_LATIN_DAYS = (
    r"lunes|martes|miércoles|jueves|viernes|sábado|domingo"
    r"|lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica"
)
_LATIN_ADVERBIAL = rf"(?:[ \t]+(?:hoy|ayer|también|este|esta|oggi|ieri|anche|inoltre|{_LATIN_DAYS})){{0,2}}"
# "según los medios ucranianos": a source of a few words, up to the clause's end or a relative "que"/"che".
_SHORT_TO_END = r"(?P<name>[^,.;:!?\"“”«»]{2,60}?)(?=[ \t]*(?:[,.;:!?\"“”«»]|$)|[ \t]+(?:que|che)\b)"
_ES: Final = (
    re.compile(rf"^{_OPEN}(?!Según\b){_LATIN_SUBJECT}{_LATIN_ADVERBIAL}[ \t]+(?:no[ \t]+)?{_ES_VERB}\b"),
    re.compile(rf"[,»\"”][ \t]*{_ES_VERB}[ \t]+{_TO_END}{_APPOSITION_NAME}(?:,[^,]{{1,80}})?[.!?]?$"),
    re.compile(rf"\b[Ss]egún[ \t]+{_SHORT_TO_END}"),
)
_IT: Final = (
    re.compile(rf"^{_OPEN}(?!Secondo\b|Come\b){_LATIN_SUBJECT}{_LATIN_ADVERBIAL}[ \t]+(?:non[ \t]+)?{_IT_VERB}\b"),
    re.compile(rf"[,»\"”][ \t]*{_IT_VERB}[ \t]+{_TO_END}{_APPOSITION_NAME}(?:,[^,]{{1,80}})?[.!?]?$"),
    re.compile(rf"\b(?:[Ss]econdo|[Cc]ome[ \t]+(?:riporta|riferisce|afferma|spiega|scrive))[ \t]+{_SHORT_TO_END}"),
)

# German: only the attributions that name their source in a phrase of their own ("laut X", "nach Angaben des X",
# "X zufolge"). Every German noun is capitalised, so a capital does not make a name: report words ("Berichten
# zufolge") are no source, and "Angaben aus Moskau zufolge" names Moscow.
_DE_REPORT_WORDS = r"(?:[\w\-]*(?i:berichten|recherchen|angaben|informationen|schätzungen|aussagen|darstellung))"
_DE_TOKEN = rf"(?!{_DE_REPORT_WORDS}\b)[{_UP}][\w'’.\-]*"
_DE_SOURCE = rf"(?P<name>{_DE_TOKEN}(?:[ \t]+(?:(?:von|der|des|de|of|the|for|and)[ \t]+)?{_DE_TOKEN}){{0,5}})"
_DE_VERB = (
    r"(?:sagte|sagten|erklärte|erklärten|berichtete|berichteten|betonte|betonten|warnte|warnten|bestätigte"
    r"|bestätigten|schrieb|schrieben|meldete|meldeten|bekräftigte|versicherte|kritisierte|forderte|räumte)"
)
_DE: Final = (
    # "Die Polizei sagte, ...", "Innenminister Nancy Faeser erklärte am Montag ...": the name right before the verb.
    re.compile(
        rf"^{_OPEN}(?:(?:Der|Die|Das|Ein|Eine)[ \t]+)?(?:[a-zäöüß][\w\-]*[ \t]+)?{_DE_SOURCE}"
        r"(?:[ \t]+(?:selbst|zudem|außerdem|auch|nun|jedoch|aber|bereits))?"
        rf"[ \t]+(?:{_DE_VERB}\b|teilten?[ \t]+(?!sich\b)(?:[^.!?,]{{0,40}}[ \t])?mit(?=[ \t]*[,.:;]))"
    ),
    # "Das teilte die Erdbebenwarte Kandilli am Montag mit.": "mitteilen" splits around its subject.
    re.compile(
        rf"\bteilten?[ \t]+(?:(?:der|die|das|ein|eine|den|dem)[ \t]+)?(?:[a-zäöüß][\w\-]*[ \t]+){{0,2}}{_DE_SOURCE}"
        r"\b[^.!?]{0,120}[ \t]mit[.!]?[\"“”»«]?$"
    ),
    re.compile(
        rf"\b(?:[Ll]aut|[Nn]ach[ \t]+(?:(?:eigenen|offiziellen|ersten)[ \t]+)?Angaben)[ \t]+"
        rf"(?:(?:des|der|dem|den|von|vom)[ \t]+)?(?:(?:[a-zäöüß][\w\-]*)[ \t]+){{0,2}}{_DE_SOURCE}"
    ),
    re.compile(rf"\b{_DE_REPORT_WORDS}[ \t]+(?:aus|von|vom|des|der|dem)[ \t]+{_DE_SOURCE}[ \t]+zufolge\b"),
    re.compile(rf"(?:^|[,;:][ \t]*){_DE_SOURCE}[ \t]+zufolge\b"),
)

# Turkish: the speaker opens the sentence and a speech verb ends it (the minister's name, a comma, the clause, the
# verb), or a name with its case ending comes before "göre" ("Kandilli'ye göre": according to Kandilli).
_TR_UP = _UP + "İŞĞ"
_TR_NAME = rf"[{_TR_UP}][\w'’.\-]*(?:[ \t]+[{_TR_UP}][\w'’.\-]*){{0,5}}"
_TR_VERB = (
    r"(?:dedi|söyledi|açıkladı|bildirdi|belirtti|ifade[ \t]+etti|kaydetti|duyurdu|aktardı|vurguladı"
    r"|iddia[ \t]+etti|uyardı)"
)
_TR_REPORT = r"(?:bilgi|haber|iddia|rapor|veri|açıklama|görüntü|tahmin|hesap|sonuç|kayıt)"
_TR: Final = (
    # (a dot between digits, "saat 20.04'te", does not end the clause)
    re.compile(rf"^{_OPEN}(?P<name>{_TR_NAME}),(?:[^.!?]|(?<=\d)\.(?=\d)){{0,300}}\b{_TR_VERB}[.!?]?[\"”»]?$"),
    # "X, <when> <made> <statement-in>, ...": X said in a statement (made last night), in Turkish.
    re.compile(
        rf"^{_OPEN}(?P<name>{_TR_NAME}),?[ \t]+(?:[^.!?,]{{0,60}}[ \t])?(?:yaptığı|yaptıkları)[ \t]+"
        r"(?:[a-zçğıöşü]+[ \t]+)?(?:açıklamada|açıklamasında|konuşmada|konuşmasında)\b"
    ),
    re.compile(rf"(?P<name>{_TR_NAME})['’][a-zçğıöşü]{{1,4}}[ \t]+(?:alınan[ \t]+bilgi(?:ye|lere)[ \t]+)?göre\b"),
    # "according to (the) officials": a plural common noun in the dative before "göre", maybe after a capitalised
    # adjective; not a report ("according to the information") and not after "Bu" or "Şu" (this, that).
    re.compile(
        rf"(?<![\w'’])(?P<name>(?:(?!(?:Bu|Şu|O)\b)[{_TR_UP}]\w*[ \t]+)?(?!(?i:{_TR_REPORT}))"
        rf"[{_TR_UP}a-zçğıöşü][a-zçğıöşü]+(?:ler|lar))[ae][ \t]+göre\b"
    ),
)

_PATTERNS: Final = {
    "en": _EN,
    "fr": _FR,
    "ru": _RU,
    "ko": _KO,
    # (English frames still apply after a language's own: quotes and "said" in an article of another language)
    "es": _ES + _EN,
    "it": _IT + _EN,
    "de": _DE + _EN,
    "tr": _TR + _EN,
}
# A literal each of the slower patterns needs: without it, the pattern is not run.
_NEEDLE_MARKS: Final = (
    ("as[ \\t]+saying", "quoted"),
    ("ccording", "ccording"),
    ("(?:reporting|saying|adding|noting|claiming)", "with"),
    ("(?:came[ \\t]+)?from", "from"),
    (",[ \\t]+saying", ", saying"),
)
_NEEDLES: Final = {
    pattern.pattern: needle
    for pattern in _EN
    for mark, needle in _NEEDLE_MARKS
    if mark in pattern.pattern and not pattern.pattern.startswith("^")
}

# Capitalised only because they open the sentence; never part of a speaker's name.
_LEADING_NOISE: Final = frozenset(
    {"On", "In", "At", "But", "And", "Then", "Later", "Earlier", "Meanwhile", "However", "Also", "Last", "This",
     "That", "So", "Yet", "Still", "Now", "Separately", "Instead", "Over", "After", "Before", "During", "While",
     "When", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Governor", "Yes",
     "No", "If", "As", "Asked", "By", "For", "From", "With", "Speaking", "Writing", "Both"}
)  # fmt: skip
PRONOUNS: Final = frozenset(
    {"he", "she", "it", "they", "il", "elle", "ils", "elles", "lui", "eux", "он", "она", "они", "его", "её", "ее",
     "их"}
)  # fmt: skip
# Pronouns that are never a speaker worth reporting (first and second person: quote-internal).
_NON_SPEAKERS: Final = frozenset({"I", "We", "You", "This", "That", "There", "Here", "What", "Which"})


# Cheap pre-check: a sentence without any of these words has no attribution frame.
_TRIGGERS: Final = {
    "en": re.compile(
        rf"\b(?:{_SPEECH_WORDS}|called|according|quoted|saying|reporting|adding|noting|claiming|message|words"
        r"|remarks|comments|warning|pledge|promise|quote|expects|estimates|plans|believes|thinks)\b",
        re.IGNORECASE,
    ),
    "fr": re.compile(rf"{_FR_PP}|{_FR_PRES}|\bselon\b|d['’]après|-t-(?:il|elle)|fait[ \t]+état", re.IGNORECASE),
    "ru": re.compile(rf"{_RU_VERB}|\bсловам\b|\bданным\b|\bинформации\b|\bоценкам\b", re.IGNORECASE),
    "ko": re.compile(_KO_VERB),
}


def find_attribution(flat: str, language: str) -> Attribution | None:
    """The first attribution frame found in a whitespace-normalised sentence, if any."""
    flat = flat[:_MAX_SCAN]
    trigger = _TRIGGERS.get(language)
    if trigger is not None and not trigger.search(flat) and not (language != "en" and _TRIGGERS["en"].search(flat)):
        return None
    patterns = _PATTERNS.get(language, _EN)
    english = language not in _PATTERNS or language == "en"
    if english and (called := _CALLED.search(flat)) is not None and (found := _from_match(called)) is not None:
        return found
    for pattern in patterns:
        needle = _NEEDLES.get(pattern.pattern)
        if needle is not None and needle not in flat:
            continue
        for match in pattern.finditer(flat):
            found = _from_match(match)
            if found is not None:
                return _innermost(flat, found) if english else found
    if language not in ("en",) and language in _PATTERNS:
        # Quotes in English inside another language's article still follow English frames.
        for pattern in _EN[:2]:
            for match in pattern.finditer(flat):
                if (found := _from_match(match)) is not None:
                    return found
    return None


def _innermost(flat: str, found: Attribution) -> Attribution:
    """The speaker the found one reports, when the sentence goes on "X reported that Y said ..." (else ``found``)."""
    that = _REPORTED_THAT.match(flat, found.end)
    if that is None or found.pronoun:
        return found
    inner = _NAME_THEN_VERB.match(flat[that.end() :])
    found_inner = _from_match(inner) if inner is not None else None
    if found_inner is None or found_inner.pronoun:
        return found
    return Attribution(found_inner.phrase, found_inner.start + that.end(), found_inner.end + that.end())


def _from_match(match: re.Match[str]) -> Attribution | None:
    groups = match.groupdict()
    if groups.get("pronoun"):
        return Attribution(groups["pronoun"], match.start("pronoun"), match.end("pronoun"), pronoun=True)
    appos = groups.get("appos")
    key = "name"
    name = groups.get("name")
    if appos and (_looks_like_person_name(appos) or _ACRONYM.fullmatch(appos)):
        key, name = "appos", appos
    if not name:
        return None
    start = match.start(key)
    words = name.split()
    while words and words[0] in _LEADING_NOISE:
        start += len(words[0]) + 1
        words.pop(0)
    # Sentence-final punctuation glued to the name ("according to KCNA."), but keep
    # initialisms such as "U.S.".
    if words and words[-1].endswith(".") and words[-1].count(".") == 1 and len(words[-1]) > 3:
        words[-1] = words[-1][:-1]
    phrase = " ".join(words).strip(" \t'\"“”«»")
    if not phrase or phrase in _NON_SPEAKERS:
        return None
    pronoun = phrase.lower() in PRONOUNS
    return Attribution(phrase, start, start + len(phrase), pronoun=pronoun)


# An organisation's initials ("Turkey's disaster management agency, AFAD, said"): the name it goes by.
_ACRONYM: Final = re.compile(r"[A-Z]{2,10}")


def _looks_like_person_name(text: str) -> bool:
    tokens = text.split()
    return 2 <= len(tokens) <= 4 and all(t[:1].isupper() for t in tokens)


# --------------------------------------------------------------------------- canonical phrase

_DETERMINERS = re.compile(
    r"^(?:(?:the|a|an|le|la|les|un|une|des|el|los|las|una|il|lo|gli|i|der|die|das|dem|den)[ \t]+|l['’][ \t]*)(?=\S)",
    re.IGNORECASE,
)
_DOC_BY = re.compile(
    rf"^(?:(?:a|an|the|une?|le|la|les|l['’])[ \t]*)?(?:new[ \t]+|latest[ \t]+|own[ \t]+)?{_DOC_WORDS}\b"
    r".{0,80}?\b(?:by|in|from|of|par|de|du|dans)[ \t]+(?:the[ \t]+journal[ \t]+|la[ \t]+revue[ \t]+)?"
    rf"(?P<source>(?:l['’]|le[ \t]+|la[ \t]+|the[ \t]+)?[\w'’\-]*[ \t]*(?-i:[{_UP}]).*)$",
    re.IGNORECASE,
)
# "figures the National Intelligence Service has presented": the name right after the document word.
_DOC_THEN_NAME = re.compile(
    rf"^(?:(?:a|an|the)[ \t]+)?{_DOC_WORDS}[ \t]+(?:(?:that|which)[ \t]+)?(?:the[ \t]+)?"
    rf"(?P<source>[{_UP}][\w'’.\-]*(?:[ \t]+(?:of[ \t]+)?[{_UP}][\w'’.\-]*){{0,5}})[ \t]+"
    r"(?:has|have|had|gave|published|released|presented|showed)\b"
)
_DOC_SUFFIX = re.compile(rf"^(?P<source>[{_UP}][\w'’.\-]*(?:[ \t]+[{_UP}][\w'’.\-]*){{0,4}})[ \t]+{_DOC_WORDS}\b")
# Lower-case descriptors in front of a proper name: "the grid operator Nordnett", "state news agency
# KCNA", "le syndicat SUD-Rail", "l'agence Santé publique France".
_DESCRIBED = re.compile(rf"^(?:[a-zà-ÿа-яё][\w'’\-]*[ \t]+){{1,4}}(?P<proper>[{_UP}].*)$")
# A proper name's possessive, then a description, then a name: "Turkey's state-run Anadolu Agency" is Anadolu Agency.
# Without a description between them the possessive is part of the name ("Russia's Defence Ministry": whose).
_OWNED_NAME = re.compile(
    rf"^[{_UP}][\w\-]*(?:[ \t]+[{_UP}][\w\-]*){{0,2}}['’]s[ \t]+"
    rf"(?:[a-zà-ÿ][\w'’\-]*[ \t]+){{1,3}}(?P<proper>[{_UP}].*)$"
)
_DESCRIPTORS: Final = read_sections("source_descriptors")
# "the RIA news agency", "the Rybar channel": a description after the name (service/data/words/source_descriptors.txt).
_DESCRIPTOR_AFTER = re.compile(
    rf"^(?P<proper>[{_UP}][\w.&'’\-]*(?:[ \t]+[{_UP}][\w.&'’\-]*){{0,3}})[ \t]+(?:"
    + _phrases(sorted(_DESCRIPTORS["after"], key=len, reverse=True))
    + r")$"
)
# "Senders CNN Türk", "Nachrichtenagentur dpa": a German description before the name.
_DESCRIPTOR_BEFORE = re.compile(
    r"^(?i:" + "|".join(map(re.escape, sorted(_DESCRIPTORS["before"], key=len, reverse=True))) + r")"
    rf"[ \t]+(?P<proper>[{_UP}\w].*)$"
)


_RU_PREPOSITION = re.compile(r"[ \t]+(?:в|во|на|по|после|для|из|с|со|о|об|у|к|при)[ \t]+(?=[а-яё])")
_RU_LEADING_PREPOSITION = re.compile(r"^(?:[вВ]|[вВ]о|[нН]а)[ \t]+(?=[а-яёА-ЯЁ])")


def canonical_phrase(phrase: str) -> str:
    """A speaker phrase without determiners, document words and lower-case descriptors.

    Titles in front of a person's name are removed later, where persons are known.
    """
    phrase = phrase.strip(" \t,.;:'\"“”«»")
    if (doc := _DOC_THEN_NAME.match(phrase) or _DOC_BY.match(phrase)) is not None:
        phrase = doc.group("source")
    elif (suffix := _DOC_SUFFIX.match(phrase)) is not None:
        phrase = suffix.group("source")
    # "the engineer" keeps its article (it names a role, not an entity); "The Interior Ministry" loses it.
    bare = _DETERMINERS.sub("", phrase).strip()
    has_name = any(word[:1].isupper() for word in bare.split())
    phrase = bare if has_name or not re.match(r"(?i)the[ \t]", phrase) else "the " + bare
    # "Ветров в своем телеграм-канале": the name ends where a prepositional phrase starts.
    phrase = _RU_PREPOSITION.split(_RU_LEADING_PREPOSITION.sub("", phrase), maxsplit=1)[0]
    for described_by in (_OWNED_NAME, _DESCRIPTOR_BEFORE, _DESCRIPTOR_AFTER):
        if (match := described_by.match(phrase)) is not None:
            phrase = match.group("proper")
    if (
        (described := _DESCRIBED.match(phrase)) is not None
        and not re.search(r"['’]s\b", phrase.split()[0])
        # "ministère du Travail", "Ministry of Defence": the capitalised part only completes the name.
        and not re.search(
            r"(?:\b(?:de|du|des|of|for|in|at|from|on|with)(?:[ \t]+(?:la|le|les|the))?|d['’])[ \t]*$",
            phrase[: described.start("proper")].rstrip(),
        )
    ):
        proper = described.group("proper")
        # "the country's Central Military Commission" keeps its possessive; "regional authorities"
        # has nothing capitalised and stays as it is.
        phrase = proper
    return phrase
