"""Figure 6: article understanding quality: reader questions, polls, summary (ROUGE, key facts), speed.

Two sets. The project's own fixtures (``tests/fixtures/articles/``: invented articles with reader questions
and key facts) and, when it sits next to the checkout, the real development set
``../shared/fixtures/real-dev/`` (third-party articles with a human abstract: read in place, never copied).

* Questions (both sets, text and HTML paths): recall of the reader questions (lenient: one text contains the
  other, after folding case, spaces and quotes), precision (detections that are not reader questions count
  against it, except the labelled ``ambiguous_questions``), polls made from a question that is not a reader
  question, closed/open accuracy over the questions found.
* Summary (real set, text path): ROUGE-1/2/L F1 against the reference (lower-cased word tokens, no stemming)
  beside Lead-3, the article's first three sentences cut by an independent splitter.
* Key facts (own fixtures): share of the key facts' salient words (capitalised words and numbers) the summary
  holds, and of facts held completely, beside the extractive oracle: the best choice of up to four whole
  sentences (never a question) within the same 600 characters. Both sides are compared in the same
  language-neutral form (see :func:`neutral`), on the salient words the article contains.
* Cross-check: ROUGE on each half of the real set, so that a weight tuned to one half shows.
* Speed: ``analyse()`` of a 5,000-word article (the one of the ``summary`` group).
"""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from bench.common import FIXTURES, REPO_ROOT, Figure, GroupResult, Stopwatch, timed_group

NAME = "quality"
OWN = FIXTURES / "articles"
REAL = REPO_ROOT.parent / "shared" / "fixtures" / "real-dev"
BUDGET = 600
SPEED_RUNS = 15

_QUOTES = str.maketrans(
    {"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "«": '"', "»": '"', "\u00a0": " ", "\u202f": " "}
)
_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    text = re.sub(r"\s+([?!:;])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


def same_question(a: str, b: str) -> bool:
    a, b = fold(a), fold(b)
    return bool(a and b) and (a == b or a in b or b in a)


# --- ROUGE ----------------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def _f1(overlap: int, candidate: int, reference: int) -> float:
    if not (overlap and candidate and reference):
        return 0.0
    precision, recall = overlap / candidate, overlap / reference
    return 2 * precision * recall / (precision + recall)


def rouge_n(candidate: list[str], reference: list[str], n: int) -> float:
    c = Counter(tuple(candidate[i : i + n]) for i in range(len(candidate) - n + 1))
    r = Counter(tuple(reference[i : i + n]) for i in range(len(reference) - n + 1))
    return _f1(sum((c & r).values()), sum(c.values()), sum(r.values()))


def rouge_l(candidate: list[str], reference: list[str]) -> float:
    if not candidate or not reference:
        return 0.0
    previous = [0] * (len(reference) + 1)
    for a in candidate:
        current = [0]
        for j, b in enumerate(reference, 1):
            current.append(previous[j - 1] + 1 if a == b else max(previous[j], current[j - 1]))
        previous = current
    return _f1(previous[-1], len(candidate), len(reference))


def rouge(candidate: str, reference: str) -> tuple[float, float, float]:
    c, r = words(candidate), words(reference)
    return rouge_n(c, r, 1), rouge_n(c, r, 2), rouge_l(c, r)


# The baseline's own splitter, independent of Tribune's: after . ! ? … and a space before a capital, and
# inside glued text after a lower-case word ("fin.Début").
_LEAD_SPLIT = re.compile(r"(?<=[.!?…])[\"»”]?\s+(?=[«\"“A-ZÀ-ÖØ-Þ0-9])|(?<=[a-zà-öø-ÿ]{2}[.!?])(?=[A-ZÀ-ÖØ-Þ])")


def lead(body: str, count: int = 3) -> str:
    sentences = [s.strip() for paragraph in body.split("\n") for s in _LEAD_SPLIT.split(paragraph) if s.strip()]
    return " ".join(sentences[:count])


# --- key facts ------------------------------------------------------------------------------------------


# Key facts are compared in a language-neutral form, the same for the oracle and for Tribune: accents and case
# folded, decimal commas read as points ("1,5" = "1.5"), digit groups joined ("8 500" = "8,500" = "8500"), English
# possessives dropped ("Amazon's" = "Amazon"). Function words capitalised inside a name ("Les Cendres…")
# carry no fact, and a salient word the article never contains (an English spelling, "AI" for "IA") can be
# held by neither side: both are left out of the facts.
_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # "8,500" written the English way
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_DIGIT_GROUP = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}\b)")
_POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)
_FACT_TOKEN = re.compile(r"[\w'’.-]+")
_FUNCTION_WORDS = frozenset("a an and of the de d du des l la le les et".split())


def _numbers(text: str) -> str:
    return _DECIMAL_COMMA.sub(".", _THOUSANDS_COMMA.sub("", _DIGIT_GROUP.sub("", text)))


def neutral(text: str) -> str:
    """``text`` folded for fact matching (accents, case, decimal commas, digit groups, possessives)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _POSSESSIVE.sub("", _numbers(text)).casefold()


def _fact_tokens(text: str) -> list[tuple[str, str]]:
    """(token as written, its neutral form) for each token of ``text``."""
    out = []
    for token in _FACT_TOKEN.findall(_numbers(text)):
        token = _POSSESSIVE.sub("", token).strip(".'’-")
        if token:
            out.append((token, neutral(token)))
    return out


def salient(fact: str) -> set[str]:
    """Proper nouns and numbers of a key fact (capitalised words after the first, words with digits)."""
    found: set[str] = set()
    for position, (token, key) in enumerate(_fact_tokens(fact)):
        if key in _FUNCTION_WORDS:
            continue
        if any(char.isdigit() for char in token):
            found.add(key)
        elif token[:1].isupper() and (position > 0 or any(c.isupper() for c in token[1:])):
            found.add(key)
    return found


def text_tokens(text: str) -> set[str]:
    """The neutral tokens of ``text``, whole ("risc-v", "3.13") and split into words ("d'Amazon" → "amazon")."""
    return {key for _, key in _fact_tokens(text)} | set(_WORD.findall(neutral(text)))


def reachable(facts: list[set[str]], article: str) -> tuple[list[set[str]], int]:
    """The facts restricted to the salient words ``article`` contains, and how many words were left out."""
    present = text_tokens(article)
    kept = [fact & present for fact in facts]
    dropped = sum(len(fact) for fact in facts) - sum(len(fact) for fact in kept)
    return [fact for fact in kept if fact], dropped


def held(fact_words: set[str], text: str) -> set[str]:
    return fact_words & text_tokens(text)


def fact_scores(facts: list[set[str]], text: str) -> tuple[int, int, int]:
    """(salient words held, salient words in all, facts held completely)."""
    tokens = text_tokens(text)
    total = sum(len(f) for f in facts)
    kept = sum(len(f & tokens) for f in facts)
    full = sum(1 for f in facts if f and f <= tokens)
    return kept, total, full


def oracle(facts: list[set[str]], sentences: list[str], budget: int = BUDGET, most: int = 4) -> tuple[int, int]:
    """Best (salient words, full facts) over sets of up to ``most`` whole sentences within ``budget``."""
    useful = [s for s in sentences if len(s) <= budget and "?" not in s and any(held(f, s) for f in facts)]
    best = (0, 0)
    for size in range(1, most + 1):
        for combo in combinations(useful, size):
            if sum(len(s) for s in combo) + size - 1 > budget:
                continue
            kept, _, full = fact_scores(facts, " ".join(combo))
            best = max(best, (kept, full))
    return best


# --- running --------------------------------------------------------------------------------------------


@dataclass
class Tally:
    expected: int = 0
    found: int = 0
    detected: int = 0
    false_positives: int = 0
    non_reader_polls: int = 0
    kind_ok: int = 0
    kind_total: int = 0
    articles: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, analysis: Any, expected: dict[str, Any]) -> None:
        self.articles += 1
        reader = expected.get("reader_questions", [])
        kinds = {q: "closed" for q in expected.get("closed_questions", [])}
        kinds |= {q: "open" for q in expected.get("open_questions", [])}
        ambiguous = expected.get("ambiguous_questions", [])
        detected = [(q.text, q.kind) for q in analysis.questions.questions]
        self.expected += len(reader)
        for question in reader:
            hit = next((kind for text, kind in detected if same_question(question, text)), None)
            if hit is None:
                self.misses.append(f"{name}: missed « {question} »")
                continue
            self.found += 1
            self.kind_total += 1
            if hit == kinds.get(question):
                self.kind_ok += 1
            else:
                self.misses.append(f"{name}: « {question} » taken as {hit}")
        for text, _ in detected:
            if any(same_question(q, text) for q in reader):
                self.detected += 1
            elif not any(same_question(q, text) for q in ambiguous):
                self.detected += 1
                self.false_positives += 1
                self.misses.append(f"{name}: false positive « {text} »")
        for poll in analysis_polls(analysis):
            if poll.detected and not any(same_question(q, poll.question) for q in reader):
                self.non_reader_polls += 1
                self.misses.append(f"{name}: poll from a non-reader question « {poll.question} »")


def analysis_polls(analysis: Any) -> list[Any]:
    polls = getattr(analysis.questions, "polls", None)
    return list(polls) if polls is not None else [analysis.questions.poll]


def folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "expected.json").is_file() and (p / "article.txt").is_file())


def load(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "expected.json").read_text(encoding="utf-8"))


def paths_of(folder: Path, expected: dict[str, Any]) -> list[tuple[str, Callable[[], Any]]]:
    from bot.articles.extract import extract_html, extract_text

    out: list[tuple[str, Callable[[], Any]]] = [
        ("text", lambda: extract_text((folder / "article.txt").read_text(encoding="utf-8")))
    ]
    if (folder / "article.html").is_file():
        html = (folder / "article.html").read_bytes().decode("utf-8", "replace")
        out.append(("html", lambda: extract_html(html, url=expected.get("source_url"))))
    return out


def pct(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else float("nan")


def question_figures(label: str, tallies: dict[str, Tally]) -> list[Figure]:
    figures: list[Figure] = []
    for path, tally in tallies.items():
        if not tally.articles:
            continue
        tag = f"{label}, {path}"
        figures += [
            Figure(NAME, f"{tag}: reader questions found", [pct(tally.found, tally.expected)], "%", 1).judge(
                lambda v: v >= 100, "100 %"
            ),
            Figure(
                NAME, f"{tag}: precision", [pct(tally.detected - tally.false_positives, tally.detected)], "%", 1
            ).judge(lambda v: v >= 100, "100 %"),
            Figure(NAME, f"{tag}: polls from non-reader questions", [tally.non_reader_polls], "", 0).judge(
                lambda v: v == 0, "0"
            ),
            Figure(NAME, f"{tag}: closed/open right", [pct(tally.kind_ok, tally.kind_total)], "%", 1).judge(
                lambda v: v >= 95, "≥ 95 %"
            ),
        ]
    return figures


def halves_note(rows: list[tuple[tuple[float, float, float], tuple[float, float, float]]]) -> str:
    """ROUGE-1/2 against Lead-3 on each half of the real set (alternate articles in folder order): a weight
    tuned to one half that does not hold on the other shows as over-fitting."""
    parts = []
    for name, half in (("A", rows[0::2]), ("B", rows[1::2])):
        if not half:
            continue
        figures = [
            f"ROUGE-{n + 1} {100 * statistics.mean(r[0][n] for r in half):.1f} "
            f"(Lead-3 {100 * statistics.mean(r[1][n] for r in half):.1f})"
            for n in (0, 1)
        ]
        parts.append(f"half {name} ({len(half)} articles): " + ", ".join(figures))
    return "Cross-check: " + "; ".join(parts) + "."


def measure() -> GroupResult:
    from bench.summary import long_article
    from bot.articles.extract import Article
    from bot.articles.normalize import split_sentences
    from bot.articles.pipeline import analyse

    notes: list[str] = []
    figures: list[Figure] = []
    sets = [("own fixtures", OWN), ("real dev set", REAL)]
    rouge_rows: list[tuple[tuple[float, float, float], tuple[float, float, float]]] = []
    facts_kept = facts_total = facts_full = facts_count = oracle_kept = oracle_full = 0
    oracle3_kept = oracle3_full = unreachable = 0
    for label, root in sets:
        chosen = folders(root)
        if not chosen:
            notes.append(f"{label}: {root} absent, skipped")
            continue
        tallies = {"text": Tally(), "html": Tally()}
        for folder in chosen:
            expected = load(folder)
            for path, make in paths_of(folder, expected):
                analysis = analyse(make())
                tallies[path].add(f"{folder.name} ({path})", analysis, expected)
                if path != "text":
                    continue
                reference = expected.get("reference_summary")
                if reference:
                    _, _, body = (folder / "article.txt").read_text(encoding="utf-8").partition("\n\n")
                    rouge_rows.append((rouge(analysis.summary.text, reference), rouge(lead(body), reference)))
                facts, dropped = reachable([salient(f) for f in expected.get("key_facts", [])], analysis.text)
                unreachable += dropped
                if facts:
                    kept, total, full = fact_scores(facts, analysis.summary.text)
                    best_kept, best_full = oracle(facts, split_sentences(analysis.text))
                    three = oracle(facts, split_sentences(analysis.text), most=3)
                    oracle3_kept, oracle3_full = oracle3_kept + three[0], oracle3_full + three[1]
                    facts_kept, facts_total, facts_full = facts_kept + kept, facts_total + total, facts_full + full
                    facts_count += len(facts)
                    oracle_kept, oracle_full = oracle_kept + best_kept, oracle_full + best_full
        figures += question_figures(label, tallies)
        for tally in tallies.values():
            notes += tally.misses
    if rouge_rows:
        for index, metric in enumerate(("ROUGE-1", "ROUGE-2", "ROUGE-L")):
            ours = 100 * statistics.mean(row[0][index] for row in rouge_rows)
            base = 100 * statistics.mean(row[1][index] for row in rouge_rows)
            figure = Figure(NAME, f"real dev set: summary {metric} (Lead-3 {base:.1f})", [ours], "", 1)
            figure.ratio = f"{ours - base:+.1f} vs Lead-3"
            if index == 0:
                figure.judge(lambda v, base=base: v >= base, "≥ Lead-3")
            figures.append(figure)
        notes.append(f"ROUGE over {len(rouge_rows)} real articles with a reference summary (text path).")
        notes.append(halves_note(rouge_rows))
    if facts_total:
        words_share, oracle_words = pct(facts_kept, facts_total), pct(oracle_kept, facts_total)
        full_share, oracle_full_share = pct(facts_full, facts_count), pct(oracle_full, facts_count)
        figures += [
            Figure(
                NAME, f"own fixtures: key-fact salient words (oracle {oracle_words:.1f} %)", [words_share], "%", 1
            ).judge(lambda v: v >= 0.8 * oracle_words - 1e-9, f"≥ {0.8 * oracle_words:.1f} % (0.8× oracle)"),
            Figure(
                NAME, f"own fixtures: key facts held fully (oracle {oracle_full_share:.1f} %)", [full_share], "%", 1
            ).judge(
                # A share equal to 0.8× the oracle meets it: the tolerance only absorbs floating-point rounding.
                lambda v: v >= 0.8 * oracle_full_share - 1e-9,
                f"≥ {0.8 * oracle_full_share:.1f} % (0.8× oracle)",
            ),
        ]
        notes.append(
            f"Key facts: the oracle picks up to 4 whole sentences within {BUDGET} characters, like the summary; "
            f"limited to 3 sentences it holds {pct(oracle3_kept, facts_total):.1f} % of the salient words and "
            f"{pct(oracle3_full, facts_count):.1f} % of the facts. Salient words: capitalised words after the first "
            "and words with digits, in the key facts of tests/fixtures/articles/*/expected.json, compared in a "
            "language-neutral form (accents and case folded, 1,5 = 1.5, 8 500 = 8,500 = 8500, possessives dropped); "
            f"{unreachable} salient words the articles never contain (English spellings of French articles) are "
            "left out for both sides."
        )
    title, text = long_article()
    article = Article(title=title, text=text)
    analyse(article)
    samples = []
    for _ in range(SPEED_RUNS):
        with Stopwatch() as sw:
            analyse(article)
        samples.append(sw.seconds * 1000)
    speed = Figure(NAME, "analyse(), 5 000-word article", samples, "ms", 1)
    figures.append(speed.judge(lambda v: v <= 100, "≤ 100 ms"))
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure)


def main(argv: Sequence[str] | None = None) -> int:
    from bench.__main__ import main as bench_main

    return bench_main([NAME, *(argv or [])])


if __name__ == "__main__":
    raise SystemExit(main())
