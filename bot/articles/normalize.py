"""Text normalisation and sentence splitting for scraped (mostly French) news text.

Scraped articles arrive with defects that break every later step: paragraphs glued without a space
("chaque année.6 ans plus tard", "Nvidia.Nvidia pourrait"), glued questions ("pertinente ?Quel"),
empty quotations left by a stripped embed (``a déclaré : "".``), stray spaces before full stops and a mix
of U+00A0 / U+202F / plain spaces before ``? ! : ;``. :func:`normalize_text` repairs them without
touching "M. Macron", "3.5", "ASP.NET", "amazon.fr", URLs, "e.g." or "etc.".
:func:`split_sentences` is French-aware: abbreviations, initials, decimals, « » quotations, ellipses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from .language import detect_language

LOWER = "a-zß-öø-ÿœæ"
UPPER = "A-ZÀ-ÖØ-ÞŒÆ"

_SPACES = "\u00a0\u202f\u2007\u2008\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u205f\u3000\t\x0b\x0c"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_TRANSLATE = str.maketrans({**{c: " " for c in _SPACES}, **{c: None for c in _INVISIBLE}, "\r": "\n"})

# URLs and e-mail addresses are masked while repairing punctuation, then restored verbatim.
_PROTECTED = re.compile(
    r"(?:https?|ftp)://[^\s<>«»\"]+|www\.[^\s<>«»\"]+\.[^\s<>«»\"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    re.IGNORECASE,
)
_MASK = re.compile("\ue000(\\d+)\ue001")

# "année.6 ans", "projet.6.12 devrait", "PREEMPT_RT.20 ans": a word glued to a number opening a sentence.
_GLUED_NUMBER = re.compile(r"(?<=[^\W\d][^\W\d])\.(?=\d[\d.,]*(?:\s|$))")
# "Nvidia.Nvidia", "2020.Anthropic", '"".Nvidia', "tard…Il": end of sentence glued to a capital.
_GLUED_CAPITAL = re.compile(rf"(?<=[{LOWER}\d)\]»\"”%€$£¥°])(\.|…|\.\.\.)(?=[«\"“{UPPER}])")
# "pertinente ?Quel", "vous ?Utilisez": question or exclamation glued to the next sentence.
_GLUED_QUESTION = re.compile(rf"([?!]+)(?=[«\"“{UPPER}])")
# ".NET", ".AI", ".JS": all-caps suffixes of product names, not a new sentence.
_CAPS_SUFFIX = re.compile(rf"[{UPPER}]{{1,4}}(?![{LOWER}{UPPER}\d])")
_SPACE_BEFORE_STOP = re.compile(r"(?<=[\w)»\"%\ue001])[ ]+([.,])(?=\s|$)")
_FR_HIGH_PUNCT = re.compile(r"(?<=[^\s?!;:«(\[])[ ]*([?!;:]+)(?=\s|$|[»\"”)\]])")
_EN_HIGH_PUNCT = re.compile(r"(?<=[\w)\]\"”’%\ue001])[ ]+([?!;:]+)(?=\s|$|[\"”)\]])")
_MULTI_SPACE = re.compile(r"[ ]{2,}")
_EMPTY_QUOTE = re.compile(r"\"\s*\"|“\s*”|„\s*“|«\s*»")
_LIST_ITEM = re.compile(r"^(?:[-*•–—]\s|\d{1,3}[.)]\s)")
_LINE_END = re.compile(r"[.!?:;…»\"”)]$")

# Sentence splitting ------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"(\.{3}|[.!?…]+)((?:[ ]?[»”\")\]])*)(\s+)")
_NEXT_START = re.compile(rf"[{UPPER}\d«\"“(\[—–-]|[{LOWER}]+[{UPPER}]")
_TOKEN_BEFORE = re.compile(r"([\w.'’-]+)$")
_DOTTED_ABBREVIATION = re.compile(r"(?:[^\W\d]{1,2}\.)+-?[^\W\d]{1,2}")
ABBREVIATIONS = frozenset(
    {
        # French
        "m", "mm", "mme", "mmes", "mlle", "mlles", "mgr", "dr", "pr", "st", "ste", "cf", "p", "pp",
        "vol", "art", "al", "éd", "env", "ex", "fig", "chap", "av", "apr", "n", "tél", "hab", "coll",
        "dir", "réf", "sq", "suiv", "trad", "boul", "bd", "ch", "cie", "ets",
        # English
        "mr", "mrs", "ms", "jr", "sr", "prof", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep",
        "vs", "approx", "dept", "no", "nos", "jan", "feb", "mar", "jun", "jul", "aug", "sep", "oct",
        "nov", "dec", "mt", "ft",
    }
)  # fmt: skip
_NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "n", "p", "pp", "vol", "art", "ch", "fig", "chap"})


def _mask(text: str) -> tuple[str, list[str]]:
    saved: list[str] = []

    def keep(match: re.Match[str]) -> str:
        value = match.group(0)
        # Trailing punctuation belongs to the sentence, not to the URL.
        stripped = value.rstrip(".,;:!?)»\"'’")
        if "(" in stripped and value[len(stripped) :].startswith(")"):
            stripped += ")"
        saved.append(stripped)
        return f"\ue000{len(saved) - 1}\ue001" + value[len(stripped) :]

    return _PROTECTED.sub(keep, text), saved


def _unmask(text: str, saved: list[str]) -> str:
    if not saved:
        return text
    return _MASK.sub(lambda m: saved[int(m.group(1))], text)


def _split_glued(match: re.Match[str]) -> str:
    following = match.string[match.end() :]
    # "opératoire.A partir": a one-letter capital before a lower-case word opens a sentence.
    if _CAPS_SUFFIX.match(following) and not re.match(rf"[{UPPER}](?: [{LOWER}]|['’])", following):
        return match.group(0)
    return match.group(1) + " "


# "la Xbox Series X.Avec ces offres": a capital ends the sentence ("Series X", "la 5G") and the next opens on
# a word that only opens sentences; "M.Macron", "J.K.Rowling" are names and stay.
_GLUED_AFTER_CAPITAL = re.compile(rf"(?<=[{UPPER}])\.(?=([{UPPER}][{LOWER}]+)\b)")


def _split_after_capital(match: re.Match[str]) -> str:
    return ". " if match.group(1).lower() in _OPENERS else "."


def _fix_glued(text: str) -> str:
    text = _GLUED_NUMBER.sub(". ", text)
    text = _GLUED_CAPITAL.sub(_split_glued, text)
    text = _GLUED_AFTER_CAPITAL.sub(_split_after_capital, text)
    return _GLUED_QUESTION.sub(r"\1 ", text)


# Intertitles and paragraphs glued with no separator: "un dossierChoqué", "de BaffieAssumant", "testéeAinsi".
# A lower-case run of 3+ letters followed by a capitalised word; brands written in camel case are kept.
_GLUED_HEADING = re.compile(rf"(?<=[{LOWER}]{{3}})(?=[{UPPER}][{LOWER}])")
_WORD_AROUND = re.compile(r"[\w'’-]*$")
CAMEL_CASE_NAMES = frozenset(
    "playstation youtube linkedin whatsapp javascript typescript github gitlab powerpoint wordpress facetime "
    "mastercard masterchef soundcloud dreamworks paypal blackberry macbook airpods airdrop deepmind deepseek "
    "tiktok smackdown myspace onedrive onenote sharepoint powershell quicktime starcraft warcraft duckduckgo "
    "oneplus tripadvisor deliveroo blablacar bnpparibas leboncoin doctolib skyrock teamviewer fortnite "
    "streetview googleplay appstore playstore applepay applemusic smartphone".split()
)
_OPENERS = frozenset(
    "le la les un une des du au aux pour mais et ainsi alors après avant dans en depuis selon si cette ce ces "
    "cet il elle ils elles on nous je malgré pourtant cependant toutefois enfin lors quant comme face outre par "
    "sur sous avec sans entre or donc puis reste autre certains plusieurs chez dès voici voilà the this it "
    "they in on at for but and".split()
)
_OPENER_SUFFIX = re.compile(r"(?:ant|ment|ée?s?|ait)$")
# Particles of names ("MacArthur", "DiCaprio", "LeBron", "VanDerBeek"): not a glued sentence.
_NAME_PARTICLES = frozenset({"mac", "mc", "di", "de", "le", "la", "da", "du", "van", "von", "des", "del", "o"})
# ">> LIRE AUSSI - Un autre article", "À lire aussi :", "VOIR AUSSI": links to other articles.
_RELATED = re.compile(
    r"^(?:>>|»|►|→)?\s*(?:[àÀaA]\s+)?(?:lire|voir|regarder)\s+(?:aussi|également)\s*[-:–—>].*$|^>>.*$",
    re.IGNORECASE,
)
# Written in capitals, the marker may sit in the middle of a line the scraper glued together.
_RELATED_CAPS = re.compile(r"\s*(?:>>|»|►|→)?\s*(?:[ÀA]\s+)?(?:LIRE|VOIR|REGARDER)\s+(?:AUSSI|ÉGALEMENT)\b.*$")
_RUBRIC = re.compile(rf"\s*[-–—]\s*[{UPPER}][{UPPER}\s'’]{{3,}}[{UPPER}]\s*[-–—]\s*")
_BULLET = re.compile(r"^\s*[•·▪▸►➜➤✓✔■□◆●○]\s*")
_NAVIGATION = re.compile(
    r"^(?:accueil|home)\s*[>›»/|]|^(?:partager|tweeter|imprimer|envoyer|publicité|commenter|réagir|"
    r"voir\s+la\s+vidéo|cliquez\s+ici|abonnez-vous|newsletter|share|tweet|print|advertisement)\b[^.!?]{0,40}$",
    re.IGNORECASE,
)


# A closing quotation mark glued to the next paragraph: «…fini"Jean-Marie…», «…fini»Jean-Marie…».
_GLUED_AFTER_QUOTE = re.compile(rf"(?<=[\w.!?… ])([\"»”])(?=[{UPPER}][{LOWER}])")


def _glue_points(paragraph: str) -> list[int]:
    points: list[int] = []
    for match in _GLUED_AFTER_QUOTE.finditer(paragraph):
        # A straight quote closes when it is the second of its pair.
        quote, before = match.group(1), paragraph[match.start() - 1]
        if quote == "»" or (before != " " and (quote == "”" or paragraph.count('"', 0, match.end()) % 2 == 0)):
            points.append(match.end())
    for match in _GLUED_HEADING.finditer(paragraph):
        at = match.start()
        before = _WORD_AROUND.search(paragraph[:at])
        word_start = before.start() if before else at
        after = re.match(r"[\w'’-]*", paragraph[at:])
        word = paragraph[word_start : at + (after.end() if after else 0)]
        first = paragraph[word_start:at]
        if word.casefold().strip("'’-") in CAMEL_CASE_NAMES or first.casefold() in _NAME_PARTICLES:
            continue
        if first[:1].isupper():
            # "BaffieAssumant" but not "CrowdStrike": after a capitalised word, only a word that usually
            # opens a sentence marks a glued paragraph.
            second = paragraph[at : at + (after.end() if after else 0)]
            if second.casefold() not in _OPENERS and not _OPENER_SUFFIX.search(second):
                continue
        if "\ue000" in paragraph[max(0, word_start - 1) : at + 1]:
            continue
        points.append(at)
    return sorted(set(points))


def has_glued_text(sentence: str) -> bool:
    """Whether a sentence still holds text glued by the scraper ("un dossierChoqué")."""
    return bool(_glue_points(sentence))


def split_glued_headings(paragraph: str) -> list[str]:
    """Cut a paragraph where an intertitle or the next paragraph was glued on with no separator."""
    masked, saved = _mask(paragraph)
    points = _glue_points(masked)
    if not points:
        return [paragraph]
    pieces = [masked[a:b] for a, b in zip([0, *points], [*points, len(masked)], strict=True)]
    return [_unmask(piece, saved).strip() for piece in pieces if piece.strip()]


def clean_line(line: str, *, glued: bool = True) -> str:
    """Drop related-article links, rubric markers, bullets and navigation from one line ("" if nothing stays).

    ``glued=False`` keeps a capitalised "LIRE AUSSI" in the middle of the line: the line has not been cut
    at its glued paragraphs yet, and the text after the link would go with it.
    """
    line = _BULLET.sub("", line)
    if _NAVIGATION.match(line.strip()):
        return ""
    line = _RELATED.sub("", line.strip())
    if glued:
        line = _RELATED_CAPS.sub("", line)
    line = _RUBRIC.sub(" ", line)
    return line.strip()


def _unwrap(block: str) -> list[str]:
    """Turn a block of lines into paragraphs: hard-wrapped lines are joined, real line breaks kept."""
    lines = [clean_line(line, glued=False) for line in block.split("\n")]
    lines = [line for line in lines if line]
    paragraphs: list[str] = []
    for line in lines:
        if paragraphs and not _LINE_END.search(paragraphs[-1]) and not _LIST_ITEM.match(line):
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
    return paragraphs


def _drop_empty_quotes(paragraph: str, lang: str) -> str:
    """Remove empty quotations; drop a sentence whose only purpose was to introduce one."""
    if not _EMPTY_QUOTE.search(paragraph):
        return paragraph
    kept: list[str] = []
    for sentence in split_sentences(paragraph, lang=lang):
        if _EMPTY_QUOTE.search(sentence):
            stripped = _EMPTY_QUOTE.sub("", sentence)
            stripped = re.sub(r"\s+([.,;:!?])", r"\1", stripped).strip()
            core = stripped.rstrip(".!?… ").rstrip()
            if not core or core.endswith((":", ",")):
                # "X a déclaré : "".": the quotation is missing, the sentence says nothing.
                continue
            sentence = _MULTI_SPACE.sub(" ", stripped)
        kept.append(sentence)
    return " ".join(kept)


def normalize_paragraph(text: str, lang: str = "fr") -> str:
    """Normalise one paragraph (no line breaks expected): spaces, glued sentences, punctuation."""
    text, saved = _mask(text)
    text = _fix_glued(text)
    text = _SPACE_BEFORE_STOP.sub(r"\1", text)
    if lang == "fr":
        text = _FR_HIGH_PUNCT.sub(r" \1", text)
    else:
        text = _EN_HIGH_PUNCT.sub(r"\1", text)
    text = _MULTI_SPACE.sub(" ", text).strip()
    text = _drop_empty_quotes(text, lang)
    return _unmask(text, saved)


def normalize_text(text: str, lang: str | None = None) -> str:
    """Normalise a whole article; paragraphs are separated by one blank line.

    ``lang`` ("fr", "en"…) selects the spacing convention before ``? ! : ;`` (French: one space;
    English: none). Detected from the text when omitted. Idempotent.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).translate(_TRANSLATE)
    if lang is None:
        lang = detect_language(text)
    paragraphs: list[str] = []
    for block in re.split(r"\n[ ]*\n", text):
        for paragraph in _unwrap(block):
            for piece in split_glued_headings(paragraph):
                piece = clean_line(piece)  # a related link glued between two paragraphs
                normalized = normalize_paragraph(_MULTI_SPACE.sub(" ", piece), lang) if piece else ""
                if normalized:
                    paragraphs.append(normalized)
    return "\n\n".join(paragraphs)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a (normalised) text: non-empty blocks separated by line breaks."""
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


# --------------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------------


def _quote_balance(paragraph: str) -> tuple[bool, bool]:
    """Which quote styles are balanced (and thus trustworthy for tracking) in this paragraph."""
    guillemets = paragraph.count("«") == paragraph.count("»") and "«" in paragraph
    curly = paragraph.count("“") == paragraph.count("”") and "“" in paragraph
    straight = paragraph.count('"') % 2 == 0 and '"' in paragraph
    return guillemets or curly, straight


_FIRST_WORD = re.compile(r"[^\W\d_]+")


def _is_abbreviation(before: str, rest: str) -> bool:
    next_char = rest[:1]
    before = before[-60:]  # only the last token matters; keeps the search constant-time
    match = _TOKEN_BEFORE.search(before)
    if not match:
        return False
    token = match.group(1).lstrip("'’-(")
    lowered = token.lower()
    if lowered in _NUMBER_ABBREVIATIONS:
        return next_char.isdigit()
    if lowered in ABBREVIATIONS:
        return True
    if _DOTTED_ABBREVIATION.fullmatch(token):
        # "e.g", "i.e", "U.S", "J.-C"
        return True
    if len(token) == 1 and token.isupper():
        # An initial ("George W. Bush") only when a capitalised word precedes it and a name follows it:
        # "la Xbox Series X. Avec ces offres" ends a sentence.
        previous = before[: match.start()].rstrip().rsplit(" ", 1)[-1]
        following = _FIRST_WORD.match(rest)
        if following and following.group(0).lower() in _OPENERS:
            return False
        return bool(previous) and previous[:1].isupper() and next_char.isupper()
    return False


def _iter_sentences(paragraph: str) -> Iterator[str]:
    track_pairs, track_straight = _quote_balance(paragraph)
    depth = 0
    in_straight = False
    scanned = 0
    start = 0

    def advance(upto: int) -> None:
        nonlocal depth, in_straight, scanned
        for char in paragraph[scanned:upto]:
            if track_pairs and char in "«“":
                depth += 1
            elif track_pairs and char in "»”":
                depth = max(0, depth - 1)
            elif track_straight and char == '"':
                in_straight = not in_straight
        scanned = max(scanned, upto)

    for match in _BOUNDARY.finditer(paragraph):
        advance(match.end(2))
        if depth > 0 or in_straight:
            continue
        rest = paragraph[match.end() :]
        if not rest or not _NEXT_START.match(rest):
            continue
        punct = match.group(1)
        if punct == "." and _is_abbreviation(paragraph[: match.start()], rest):
            continue
        sentence = paragraph[start : match.end(2)].strip()
        if sentence:
            yield sentence
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        yield tail


def split_sentences(text: str, lang: str = "fr") -> list[str]:
    """Split (normalised) text into sentences; never across paragraphs, never inside a quotation.

    The same rules serve French and English (``lang`` is accepted for symmetry with the other helpers).
    """
    sentences: list[str] = []
    for paragraph in split_paragraphs(text):
        sentences.extend(_iter_sentences(paragraph))
    return sentences


def split_paragraph_sentences(text: str) -> list[list[str]]:
    """Sentences grouped by paragraph (same rules as :func:`split_sentences`)."""
    return [list(_iter_sentences(paragraph)) for paragraph in split_paragraphs(text)]


def strip_for_compare(text: str) -> str:
    """Case- and spacing-insensitive form used to compare strings (titles, questions)."""
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATE)
    text = text.replace("’", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().casefold()
