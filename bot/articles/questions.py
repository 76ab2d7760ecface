"""Reader questions: the questions an article ends on, turned into a poll and an opinion prompt.

Detection walks back from the end of the article and keeps the contiguous block of questions found
there: rhetorical questions in the body, questions inside quotations (« … », "…") and "Sources :" lines
are ignored, and an "Et vous ?" header closes the block without being a question itself.

Each question is *closed* (it becomes a poll) or *open* (it becomes the opinion prompt):

* yes/no → a 5-point scale Oui / Plutôt oui / Plutôt non / Non / Sans avis, scored 100 / 66.7 / 33.3 / 0 /
  None (``scale``);
* "crédible ou pertinente" (two qualities) → Crédible et pertinente / Crédible, mais pas pertinente /
  Pertinente, mais pas crédible / Ni crédible ni pertinente / Sans avis (``matrix``, no score);
* "Android ou iOS ?" → the options plus Sans avis (``choice``, no score).

Poll limits are Discord's (question ≤ 300 characters, ≤ 10 answers of ≤ 55 characters) so a
:class:`PollSpec` can drive a native poll. :func:`parse_answers` and :func:`yes_no_scale` are reused by the
poll feature for polls typed by people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalog
from bot.text import shorten, visible_text

from .errors import PollInputError
from .normalize import UPPER, normalize_text, split_paragraphs, split_sentences

QuestionKind = Literal["closed", "open"]
PollKind = Literal["scale", "matrix", "choice"]

MAX_POLL_QUESTION_CHARS = 300
MAX_POLL_ANSWERS = 10
MIN_POLL_ANSWERS = 2
MAX_POLL_ANSWER_CHARS = 55
MAX_READER_QUESTIONS = 6
MAX_ARTICLE_POLLS = 3  # one action row each in the article's message, plus the 💬/📊 row

# Scale scores on 0–100; "no opinion" carries no score.
SCALE_SCORES: tuple[float | None, ...] = (100.0, 200.0 / 3.0, 100.0 / 3.0, 0.0, None)


def _texts(lang: str) -> dict[str, str]:
    texts = catalog(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)  # the i18n catalog, keys `questions.*`
    return {key.removeprefix("questions."): text for key, text in texts.items() if key.startswith("questions.")}


@dataclass(frozen=True, slots=True)
class Question:
    """A reader question and whether it is closed (poll) or open (opinion prompt)."""

    text: str
    kind: QuestionKind


@dataclass(frozen=True, slots=True)
class PollSpec:
    """A poll ready for Discord. ``scores`` is aligned with ``answers`` (None where an answer has no
    score: every answer of a matrix or choice poll, "Sans avis" on a scale). ``detected`` is False for
    the default poll."""

    question: str
    answers: list[str]
    kind: PollKind
    scores: list[float | None]
    detected: bool = True

    @property
    def scored(self) -> bool:
        """Whether answers map to a 0–100 score (scale polls)."""
        return self.kind == "scale"


@dataclass(frozen=True, slots=True)
class ReaderQuestions:
    """Questions found at the end of an article, the poll and the opinion prompt derived from them."""

    questions: list[Question]
    poll: PollSpec
    opinion_prompt: str
    opinion_detected: bool = False
    language: str = "fr"
    extra_questions: list[Question] = field(default_factory=list)
    polls: list[PollSpec] = field(default_factory=list)

    @property
    def closed(self) -> list[Question]:
        """Closed questions, in article order."""
        return [q for q in self.questions if q.kind == "closed"]

    @property
    def open(self) -> list[Question]:
        """Open questions, in article order."""
        return [q for q in self.questions if q.kind == "open"]


# --------------------------------------------------------------------------------------------------
# Answers helpers (shared with the poll feature)
# --------------------------------------------------------------------------------------------------


def yes_no_scale(lang: str = "fr") -> tuple[list[str], list[float | None]]:
    """Answers and scores of the yes/no scale: Oui / Plutôt oui / Plutôt non / Non / Sans avis."""
    t = _texts(lang)
    answers = [t["yes"], t["rather_yes"], t["rather_no"], t["no"], t["no_opinion"]]
    return answers, list(SCALE_SCORES)


def no_opinion(lang: str = "fr") -> str:
    """The "no opinion" answer in ``lang``."""
    return _texts(lang)["no_opinion"]


def default_poll(lang: str = "fr") -> PollSpec:
    """The poll used when an article asks no closed question."""
    answers, scores = yes_no_scale(lang)
    return PollSpec(_texts(lang)["default_poll"], answers, "scale", scores, detected=False)


def default_opinion_prompt(lang: str = "fr") -> str:
    """The opinion prompt used when an article asks no open question."""
    return _texts(lang)["default_opinion"]


def _answer_key(answer: str) -> str:
    return re.sub(r"\s+", " ", answer).strip().casefold()


def validate_answers(answers: list[str]) -> list[str]:
    """Check poll answers: 2–10 distinct, non-empty, ≤ 55 characters. Returns them stripped.

    Raises :class:`PollInputError` (``poll.answers.*``).
    """
    cleaned = [re.sub(r"\s+", " ", answer).strip() for answer in answers]
    for position, answer in enumerate(cleaned, start=1):
        if not visible_text(answer):  # zero-width or control characters only would show a blank button
            raise PollInputError("poll.answers.empty", {"position": position})
        if len(answer) > MAX_POLL_ANSWER_CHARS:
            raise PollInputError("poll.answers.too_long", {"answer": answer, "max": MAX_POLL_ANSWER_CHARS})
    seen: set[str] = set()
    for answer in cleaned:
        key = _answer_key(answer)
        if key in seen:
            raise PollInputError("poll.answers.duplicate", {"answer": answer})
        seen.add(key)
    if len(cleaned) < MIN_POLL_ANSWERS:
        raise PollInputError("poll.answers.too_few", {"min": MIN_POLL_ANSWERS, "count": len(cleaned)})
    if len(cleaned) > MAX_POLL_ANSWERS:
        raise PollInputError("poll.answers.too_many", {"max": MAX_POLL_ANSWERS, "count": len(cleaned)})
    return cleaned


def parse_answers(text: str) -> list[str]:
    """Parse answers typed as ``"a; b; c"`` (or one per line) and validate them.

    Separators at the very ends are tolerated ("a; b;"); an empty answer in between is an error.
    Raises :class:`PollInputError` (``poll.answers.*``).
    """
    parts = re.split(r"[;\n]", text)
    while parts and not parts[-1].strip():
        parts.pop()
    while parts and not parts[0].strip():
        parts.pop(0)
    return validate_answers(parts)


def validate_poll_question(text: str) -> str:
    """Check a poll question typed by someone (non-empty, ≤ 300 characters); returns it stripped."""
    question = re.sub(r"\s+", " ", text).strip()
    if not visible_text(question):  # zero-width or control characters only would post a blank title
        raise PollInputError("poll.question.empty")
    if len(question) > MAX_POLL_QUESTION_CHARS:
        raise PollInputError("poll.question.too_long", {"max": MAX_POLL_QUESTION_CHARS})
    return question


# --------------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------------

_QUESTION_END = re.compile(r"\?[\s)\]!…]*$")
_HEADER = re.compile(
    r"^(?:et\s+vous|et\s+toi|à\s+vous|a\s+vous|à\s+vous\s+la\s+parole|votre\s+avis|vos\s+avis|"
    r"le\s+débat|débat|la\s+question|and\s+you|what\s+about\s+you|your\s+turn|over\s+to\s+you|"
    r"your\s+opinion|discussion)\s*[?!:.]*$",
    re.IGNORECASE,
)
_SOURCE_LINE = re.compile(
    r"^\(?(?:sources?|via|crédits?(?:\s+photos?)?|photos?|image|illustration|lire\s+aussi|à\s+lire\s+aussi|"
    r"voir\s+aussi|read\s+more|see\s+also|related|avec\s+afp|with\s+afp|mise\s+à\s+jour|update[d]?|"
    r"tags?|mots-clés)\s*:",
    re.IGNORECASE,
)


def _is_question(sentence: str) -> bool:
    """A question asked by the article itself (not quoted)."""
    stripped = sentence.strip()
    if not _QUESTION_END.search(stripped):
        return False
    # Quoted questions end on a closing quote, so they do not match; an opening quote without its
    # closing one means the question sits inside a quotation that started earlier.
    opened = sum(stripped.count(q) for q in "«“„‹")
    closed = sum(stripped.count(q) for q in "»”›")
    return opened == closed and stripped.count('"') % 2 == 0


# What may follow the closing questions without being part of the article: a call to comment, a closing
# remark, an availability or promotional line, a signature. Skipped (at most a few) on the walk back.
_CLOSER = re.compile(
    r"\b(?:commentaires?|commentez|dites-(?:le|nous)|donnez(?:-nous)?\s+votre\s+avis|partagez|réagissez|"
    r"n['’]hésitez\s+pas|laissez(?:-nous)?|écrivez-nous|racontez-nous|exprimez-vous|votez|répondez|"
    r"rendez-vous|à\s+vous\s+de|c['’]est\s+à\s+vous|à\s+suivre|bon\s+visionnage|à\s+bientôt|"
    r"disponibles?|en\s+vente|en\s+kiosque|précommande|retrouvez|à\s+retrouver|abonnez-vous|inscrivez-vous|"
    r"newsletter|suivez-nous|téléchargez|tell\s+us|let\s+us\s+know|comments?|share\s+your|available|"
    r"subscribe|sign\s+up|"
    # Availability and schedule: "Diffusion ce soir à 21h05 sur M6.", "Le coffret sort le 4 avril."
    r"diffusion|diffusée?s?|rediffusion|replay|streaming|à\s+(?:re)?voir|à\s+(?:re)?découvrir|"
    r"sort(?:ira|iront|ent)?\s+(?:le|en|dès|ce)|sortie\s+(?:le|prévue|en)|en\s+salles?|au\s+cinéma|"
    r"en\s+librairie|dès\s+(?:le|ce|aujourd['’]hui|demain)|ce\s+soir|publié\s+le|prix\s+de|"
    r"vos\s+(?:avis|réactions|commentaires|impressions)|votre\s+avis)\b"
    r"|\b\d{1,2}\s?h\s?\d{0,2}\b|€",
    re.IGNORECASE,
)
MAX_CLOSER_WORDS = 25
_SIGNATURE = re.compile(
    rf"^(?:(?:[Pp]ar|[Bb]y|—|–|-)\s+)?[{UPPER}][\w'’.-]*(?:\s+[{UPPER}][\w'’.-]*){{0,3}}\.?$"
    r"|^\(?(?:[Aa]vec\s+)?(?:AFP|Reuters|AP|Relaxnews)\)?\.?$"
)
MAX_TRAILING_CLOSERS = 3


def is_closer(sentence: str) -> bool:
    """A call to comment, a closing remark, a promotional line or a signature (not article content)."""
    stripped = sentence.strip()
    if _is_question(stripped):
        return False
    words = stripped.split()
    if len(words) <= 6 and _SIGNATURE.match(stripped):
        return True
    if _SOURCE_LINE.match(stripped.lstrip("(")) or _SOURCE_LINE.match(stripped):
        return True
    if _CLOSER.search(stripped) and len(words) <= MAX_CLOSER_WORDS:
        return True
    # "À vous de jouer !", "Bonne lecture !": a short exclamation closes, it does not inform.
    return stripped.endswith("!") and len(words) <= 8


def find_reader_questions(text: str, lang: str = "fr") -> list[str]:
    """The questions closing the article (in article order), from *normalised* text.

    Up to :data:`MAX_TRAILING_CLOSERS` closing lines after them are skipped (see :func:`is_closer`);
    questions not addressed to the reader are dropped (see :func:`addresses_reader`).
    """
    return [q for q in _closing_questions(text, lang) if addresses_reader(q, lang)]


def _closing_questions(text: str, lang: str) -> list[str]:
    found: list[str] = []
    skipped = 0
    # Paragraphs are split into sentences lazily: the walk usually stops after one or two of them.
    for block in reversed(split_paragraphs(text)):
        paragraph = split_sentences(block, lang)
        if not paragraph:
            continue
        joined = " ".join(paragraph)
        if _SOURCE_LINE.match(joined):
            if found:
                break  # sources sit between the article and its questions
            continue
        stop = False
        for sentence in reversed(paragraph):
            if not found and skipped < MAX_TRAILING_CLOSERS and is_closer(sentence):
                skipped += 1
                continue
            if _HEADER.match(sentence.strip()):
                # "Et vous ?" opens the question block; alone at the very end, it is the question.
                if not found and _is_question(sentence):
                    found.append(sentence.strip())
                stop = True
                break
            if _is_question(sentence):
                found.append(sentence.strip())
                if len(found) >= MAX_READER_QUESTIONS:
                    stop = True
                    break
                continue
            stop = True
            break
        if stop:
            break
    found.reverse()
    return found


# --------------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------------

_LEAD_IN = re.compile(
    r"^(?:et[-\s]vous|et[-\s]toi|selon\s+vous|d['’]après\s+vous|à\s+votre\s+avis|pour\s+vous|enfin|"
    r"alors|concrètement|in\s+your\s+opinion|and\s+you|so|finally|according\s+to\s+you)\s*,\s*",
    re.IGNORECASE,
)
_OPEN_START = re.compile(
    r"^(?:qu['’]en|que\b|qu['’]est-ce|quel|quelle|quels|quelles|lequel|laquelle|lesquels|lesquelles|"
    r"comment|pourquoi|combien|où|quand|qui\b|quoi|de\s+quoi|à\s+quoi|en\s+quoi|dans\s+quelle\s+mesure|"
    r"jusqu['’]où|what|how|why|which|who|whom|whose|where|when|to\s+what\s+extent|(?:any\s+)?thoughts\b)",
    re.IGNORECASE,
)
_OPEN_ANYWHERE = re.compile(
    r"\b(?:votre\s+avis|vos\s+avis|votre\s+opinion|vos\s+impressions|vos\s+retours|vos\s+expériences|"
    r"your\s+thoughts|your\s+opinion|your\s+views?|your\s+take)\b",
    re.IGNORECASE,
)
# Yes/no markers: "Pensez-vous…", "Est-ce que…", inversions "-vous", "-t-il", "-elle"…
_CLOSED_FR = re.compile(
    r"^(?:est-ce\s+qu|faut-il|peut-on|doit-on|va-t-on|a-t-on|y\s+a-t-il)|"
    r"\b\w+-(?:vous|tu|t-il|t-elle|t-on|il|elle|on|ils|elles|je|nous)\b",
    re.IGNORECASE,
)
_CLOSED_EN = re.compile(
    r"^(?:do|does|did|is|are|was|were|will|would|should|shall|can|could|have|has|had|may|might|must|am|"
    r"isn['’]t|aren['’]t|don['’]t|doesn['’]t|won['’]t|wouldn['’]t|shouldn['’]t|can['’]t)\b",
    re.IGNORECASE,
)
_COPULA = re.compile(
    r"\b(?:est|sont|soit|soient|était|semble|semblent|paraît|paraissent|reste|restent|jugez-vous|"
    r"trouvez-vous|considérez-vous|is|are|was|were|seems?|looks?|find)\b",
    re.IGNORECASE,
)
_INVERTED_SUBJECT = re.compile(r"-(?:vous|tu|t-il|t-elle|t-on|il|elle|on|ils|elles|ce)\b", re.IGNORECASE)
_BARE_NOUN_PHRASE = re.compile(r"^(?:vos|votre|your|des|les|the)\s+\S+(?:\s+\S+)?$", re.IGNORECASE)
_ANTONYM_PAIRS = frozenset(
    frozenset(pair)
    for pair in (
        ("pour", "contre"), ("for", "against"), ("vrai", "faux"), ("vraie", "fausse"), ("true", "false"),
        ("bon", "mauvais"), ("bonne", "mauvaise"), ("good", "bad"), ("positif", "négatif"),
        ("positive", "négative"), ("oui", "non"), ("yes", "no"), ("gagnant", "perdant"),
        ("gagnante", "perdante"), ("winner", "loser"), ("optimiste", "pessimiste"),
        ("optimistic", "pessimistic"), ("utile", "inutile"), ("useful", "useless"),
    )
)  # fmt: skip
_NOT_A_CHOICE = re.compile(r"\b(?:que\s+ce\s+soit|soit\b.*\bsoit|whether|either)\b", re.IGNORECASE)
_ADVERBS = re.compile(r"^(?:plutôt|davantage|plus|rather|more)\s+", re.IGNORECASE)
_OR = {"fr": r"\s+ou\s+(?:bien\s+)?", "en": r"\s+or\s+"}
_QUALITY_WORD = re.compile(r"^[a-zà-öø-ÿœæ][\w-]*$")
_ARTICLE_WORDS = frozenset(
    "le la les l un une des du de d au aux ce cet cette ces son sa ses leur leurs mon ma mes the a an this "
    "that these those its their".split()
)


# "En tout cas, quelle série…", "Alors, combien…", "Et-vous, que…" (sic): a short opener before the real
# question word; stripped before classifying.
_SHORT_LEAD_IN = re.compile(r"^(?:[^\s,?]+\s+){0,3}[^\s,?]+\s*,\s*(?=\S)")
_SECOND_PERSON = re.compile(
    r"(?<!rendez-)\b(?:vous|votre|vos|tu|te|toi|ton|ta|tes|you|your|yours)\b|\b(?:t)['’]", re.IGNORECASE
)
# Impersonal debate questions put to the reader: "Faut-il…", "Doit-on…", "Should vendors…".
_IMPERSONAL = re.compile(
    r"^(?:faut-il|fallait-il|faudrait-il|doit-on|devrait-on|peut-on|pourrait-on|est-ce|y\s+a-t-il|"
    r"va-t-on|a-t-on|should|must|is\s+it|are\s+we|do\s+we|can\s+we|could\s+we|would|will\s+you|anyone|anybody)\b",
    re.IGNORECASE,
)
# Third-person future or conditional inversion: "viendra-t-elle", "suivront-ils", "serait-il".
_SPECULATIVE_INVERSION = re.compile(
    r"\b\w+(?:ra|ront|rait|raient|rez)-(?:t-)?(?:il|elle|ils|elles|on)\b", re.IGNORECASE
)
# Questions about the site rather than the subject: "Cet article vous a plu ?", "Envie d'en savoir plus ?".
_PROMOTIONAL_QUESTION = re.compile(
    r"\b(?:cet\s+article|notre\s+(?:newsletter|site|application|appli|magazine)|nos\s+(?:articles|offres)|"
    r"en\s+savoir\s+plus|abonn\w*|recevoir\s+nos|this\s+article|our\s+newsletter|learn\s+more)\b",
    re.IGNORECASE,
)
_IMPERATIVE = re.compile(r"^(?:dites|donnez|imaginez|racontez|partagez|tell|imagine)\b", re.IGNORECASE)
# English third-person speculation, the counterpart of "viendra-t-elle": a future or conditional auxiliary
# before a subject that is not the reader ("Will the launch succeed?", "Could this be the end?",
# "Is the firm going to…?"); "Would it be fair to…?" stays a debate question.
_SPECULATIVE_EN = re.compile(
    r"^(?:(?:will|won['’]t|would|wouldn['’]t|might|may|could|couldn['’]t|shall)\s+"
    r"(?!(?:you|we|i|us)\b|it\s+be\s+\w+\s+to\b)"
    r"|(?:is|are|was|were)\s+(?!(?:you|we|i)\b)(?:\S+\s+){1,4}?(?:going|about|set|likely|poised)\s+to\b)",
    re.IGNORECASE,
)


def _strip_lead_in(question: str) -> str:
    stripped = _LEAD_IN.sub("", question.strip(), count=1)
    if stripped != question.strip():
        return stripped
    match = _SHORT_LEAD_IN.match(stripped)
    if match and _OPEN_START.match(stripped[match.end() :]):
        return stripped[match.end() :]
    return stripped


def addresses_reader(question: str, lang: str = "fr") -> bool:
    """Whether a closing question is put to the reader.

    Second person ("vous", "votre", "tu"), "selon vous", an imperative, an impersonal debate question
    ("Faut-il…") or an open question ("Pourquoi ?") are; a third-person speculation ("La réussite viendra-t-elle
    au rendez-vous ?", "Will the launch succeed this time?") or a verbless aside ("Bientôt la fin du chantier ?",
    "Finally the end of the saga?") is not.
    """
    body = _strip_lead_in(question).strip()
    if _PROMOTIONAL_QUESTION.search(body):
        return False
    if _SECOND_PERSON.search(body) or _IMPERATIVE.match(body) or _HEADER.match(body):
        return True
    if lang == "en" and _SPECULATIVE_EN.match(body):
        return False
    if _IMPERSONAL.match(body):
        return True
    if classify_question(question, lang) == "open" or _choice_options(question, lang) is not None:
        return True
    if lang == "en":
        # An auxiliary in the present or past ("Is the vendor to blame?", "Did the board act too late?")
        # asks for a judgement; with no verb at all ("Finally the end of the saga?") it is an aside.
        return bool(_CLOSED_EN.match(body))
    if lang != "fr":
        return True
    if _SPECULATIVE_INVERSION.search(body):
        return False
    # Third person with a present or past inversion ("Le CSA a-t-il raison ?") is a debate question;
    # without any verb form it is an aside.
    return bool(_INVERTED_SUBJECT.search(body))


def classify_question(question: str, lang: str = "fr") -> QuestionKind:
    """ "closed" (answerable by yes/no or by picking options) or "open"."""
    body = _strip_lead_in(question).rstrip(" ?")
    if _choice_options(question, lang) is not None or stance_options(question, lang) is not None:
        return "closed"
    if _OPEN_START.match(body):
        return "open"
    if _OPEN_ANYWHERE.search(body):
        return "open"
    if _CLOSED_FR.search(body) or _CLOSED_EN.match(body):
        return "closed"
    # Intonation questions ("Vous utilisez Linux ?") are yes/no; a bare noun phrase ("Vos impressions ?")
    # asks for an opinion.
    return "open" if _BARE_NOUN_PHRASE.match(body) else "closed"


def _capitalize(text: str) -> str:
    first = text.split(" ", 1)[0]
    if any(char.isupper() for char in first[1:]):
        return text  # "iOS", "macOS": the brand's own casing
    return text[:1].upper() + text[1:]


def _antonyms(first: str, second: str) -> bool:
    a, b = first.casefold(), second.casefold()
    if frozenset((a, b)) in _ANTONYM_PAIRS:
        return True
    # "juste / injuste", "légal / illégal", "fair / unfair": one quality is the negation of the other.
    return any(b == prefix + a or a == prefix + b for prefix in ("in", "im", "il", "ir", "dé", "un", "non-", "non "))


def _matrix_qualities(question: str, lang: str) -> tuple[str, str] | None:
    """The two qualities of "est-elle crédible ou pertinente ?", as written (agreement kept)."""
    body = _strip_lead_in(question).rstrip(" ?").strip()
    match = re.search(rf"(\S+){_OR.get(lang, _OR['fr'])}(\S+)$", body)
    if not match:
        return None
    first, second = match.group(1).strip(",;:"), match.group(2).strip(",;:")
    before = body[: match.start()]
    if re.search(r"\bplutôt\b|\brather\b", before + " " + first, re.IGNORECASE):
        return None  # "plutôt chat ou chien": a preference between exclusive options
    if not (_QUALITY_WORD.match(first) and _QUALITY_WORD.match(second)):
        return None
    if first.lower() in _ARTICLE_WORDS or second.lower() in _ARTICLE_WORDS or first.lower() == second.lower():
        return None
    if _antonyms(first, second):
        return None  # "juste ou injuste", "pour ou contre": exclusive options, a choice
    # The qualities must be attributes: "cette annonce est crédible ou pertinente", "Trouvez-vous X a ou b".
    window = " ".join(before.split()[-6:])
    if not _COPULA.search(window) and not re.search(r"-(?:vous|il|elle|ils|elles)\b", before):
        return None
    return first, second


def _choice_options(question: str, lang: str) -> list[str] | None:
    """Options of "Android ou iOS ?", "Préférez-vous A, B ou C ?", "… : A, B ou C ?" (None otherwise)."""
    body = _strip_lead_in(question).rstrip(" ?").strip()
    if _NOT_A_CHOICE.search(body):
        return None
    or_pattern = _OR.get(lang, _OR["fr"])
    pair = re.search(rf"(\S+){or_pattern}(\S+)$", body)
    if pair and _antonyms(pair.group(1), pair.group(2)):
        return [pair.group(1), pair.group(2)]  # "pour ou contre", "juste ou injuste"
    preference = list(re.finditer(r"\b(?:plutôt|rather)\s+", body, re.IGNORECASE))
    if ":" in body:
        tail = body.rsplit(":", 1)[1]
    elif preference:
        tail = body[preference[-1].end() :]  # "Vous êtes plutôt chat ou chien ?"
    else:
        inverted = list(_INVERTED_SUBJECT.finditer(body))
        if inverted:
            tail = body[inverted[-1].end() :]
        else:
            english = re.match(r"^(?:do|would|will|should|did)\s+you\s+\w+\s+(.*)$", body, re.IGNORECASE)
            tail = english.group(1) if english else body
    tail = _ADVERBS.sub("", tail.strip(" ,;:"))
    if not re.search(or_pattern, tail):
        return None
    head, last = re.split(or_pattern, tail, maxsplit=1)
    options = [part.strip() for part in re.split(r",\s*", head)] + [last.strip()]
    if len(options) >= 3 and _OPEN_START.match(options[0]):
        options = options[1:]  # "What do you prefer, Android or iOS?"
    options = [_ADVERBS.sub("", option).strip(" ,;") for option in options]
    if len(options) < 2 or any(not option for option in options):
        return None
    # Options are short names ("Android", "Visual Studio Code"), not clauses.
    for option in options:
        words = option.split()
        if len(words) > 3 or len(option) > MAX_POLL_ANSWER_CHARS - 5:
            return None
        if words[0].lower() in {"que", "qu", "de", "d", "à", "pour", "si", "if", "to", "that"}:
            return None
    if len({option.casefold() for option in options}) != len(options):
        return None
    if len(options) + 1 > MAX_POLL_ANSWERS:
        return None
    if _matrix_qualities(question, lang) is not None:
        return None
    return options


# "Regretterez-vous le bus ou pensez-vous, au contraire, que le tram … ?": two stances, each its own clause
# opening on an inverted verb.
_STANCE_SPLIT = re.compile(r",?\s+ou\s+(?:bien\s+)?(?=\w+-(?:vous|tu)\b)", re.IGNORECASE)
_STANCE_VERB = re.compile(r"^\w+-(?:vous|tu)\b\s*,?\s*", re.IGNORECASE)
_OPINION_VERB = re.compile(
    r"^(?:pensez|pense|croyez|crois|trouvez|trouves|estimez|estimes|jugez|considérez|êtes|es|seriez|serais|serez|"
    r"étiez|étais)-(?:vous|tu)\b",
    re.IGNORECASE,
)
_CONTRARY = re.compile(r"^(?:au\s+contraire|plutôt|à\s+l['’]inverse|à\s+l['’]opposé)\s*,?\s*", re.IGNORECASE)


def stance_options(question: str, lang: str = "fr") -> list[str] | None:
    """The two stances of "Serez-vous déçu … ou pensez-vous au contraire que … ?", as short answers."""
    if lang != "fr":
        return None
    body = _strip_lead_in(question).rstrip(" ?").strip()
    parts = _STANCE_SPLIT.split(body, maxsplit=1)
    if len(parts) != 2 or not all(_STANCE_VERB.match(part) for part in parts):
        return None
    stances: list[str] = []
    for part in parts:
        clause = part
        if _OPINION_VERB.match(clause):
            # "Serez-vous déçu par la fermeture" → "Déçu par la fermeture"; "pensez-vous que X" → "X".
            clause = _STANCE_VERB.sub("", clause, count=1)
            clause = _CONTRARY.sub("", clause.strip(" ,"), count=1)
            clause = re.sub(r"^qu['’]\s*|^que\s+", "", clause, flags=re.IGNORECASE)
            clause = re.sub(r",\s*au\s+contraire\s*,", "", clause, flags=re.IGNORECASE)
        clause = clause.strip(" ,;")
        if len(clause.split()) < 1:
            return None
        stances.append(shorten(_capitalize(clause), MAX_POLL_ANSWER_CHARS))
    if stances[0].casefold() == stances[1].casefold():
        return None
    return stances


def poll_for_question(question: str, lang: str = "fr") -> PollSpec:
    """Poll for a closed question: matrix for two qualities, choice for options or two stances, yes/no
    scale otherwise."""
    t = _texts(lang)
    text = shorten(question, MAX_POLL_QUESTION_CHARS)
    stances = stance_options(question, lang)
    if stances is not None:
        answers = [*stances, t["no_opinion"]]
        return PollSpec(text, answers, "choice", [None] * len(answers))
    qualities = _matrix_qualities(question, lang)
    if qualities is not None:
        a, b = qualities
        answers = [
            _capitalize(t["both"].format(a=a, b=b)),
            _capitalize(t["only"].format(a=a, b=b)),
            _capitalize(t["only"].format(a=b, b=a)),
            _capitalize(t["neither"].format(a=a, b=b)),
            t["no_opinion"],
        ]
        if all(len(answer) <= MAX_POLL_ANSWER_CHARS for answer in answers):
            return PollSpec(text, answers, "matrix", [None] * len(answers))
    options = _choice_options(question, lang)
    if options is not None:
        answers = [_capitalize(option) for option in options] + [t["no_opinion"]]
        return PollSpec(text, answers, "choice", [None] * len(answers))
    answers, scores = yes_no_scale(lang)
    return PollSpec(text, answers, "scale", scores)


def reader_questions(text: str, lang: str = "fr", *, normalized: bool = False) -> ReaderQuestions:
    """Detect and classify the reader questions of an article, and derive the poll and opinion prompt.

    Each closed question becomes a poll (up to :data:`MAX_ARTICLE_POLLS`; ``poll`` is the first), the
    opinion prompt comes from the first open one; the defaults ("Cet article vous semble-t-il
    crédible ?" / "Quel est votre avis sur le sujet ?") fill in.
    """
    if not normalized:
        text = normalize_text(text, lang)
    found = find_reader_questions(text, lang)
    questions = [Question(q, classify_question(q, lang)) for q in found]
    closed = [q for q in questions if q.kind == "closed"]
    opened = [q for q in questions if q.kind == "open"]
    polls = [poll_for_question(q.text, lang) for q in closed[:MAX_ARTICLE_POLLS]] or [default_poll(lang)]
    prompt = opened[0].text if opened else default_opinion_prompt(lang)
    extra = closed[1:] + opened[1:]
    return ReaderQuestions(
        questions=questions,
        poll=polls[0],
        opinion_prompt=prompt,
        opinion_detected=bool(opened),
        language=lang,
        extra_questions=extra,
        polls=polls,
    )
