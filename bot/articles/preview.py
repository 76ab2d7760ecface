"""What `/article post` would put in the article's message, as plain values: shared by the cog and the CLI.

``python -m bot preview FILE|URL`` prints it without Discord; the cog posts the same poll from
:func:`resolve_polls`, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.text import BUTTONS_PER_ROW, MAX_ACTION_ROWS

from .pipeline import Analysis
from .questions import PollSpec, parse_answers, poll_for_question, validate_poll_question


@dataclass(frozen=True)
class Overrides:
    """What the moderator typed next to the article."""

    question: str | None = None
    answers: str | None = None
    duration: str | None = None


def resolve_poll(analysis: Analysis, overrides: Overrides) -> PollSpec:
    """The detected poll, or the moderator's question and answers (validated like `/poll create`)."""
    spec = analysis.questions.poll
    if overrides.question:
        spec = poll_for_question(validate_poll_question(overrides.question), analysis.language)
    if overrides.answers:
        answers = parse_answers(overrides.answers)
        spec = PollSpec(spec.question, answers, "choice", [None] * len(answers))
    return spec


def _rows(spec: PollSpec) -> int:
    return (len(spec.answers) - 1) // BUTTONS_PER_ROW + 1


def resolve_polls(analysis: Analysis, overrides: Overrides) -> list[PollSpec]:
    """Every poll the article's message carries: one per closed reader question (the moderator's question
    and answers replace the first), as many as fit in Discord's five action rows with the 💬/📊 row."""
    detected = [spec for spec in analysis.questions.polls if spec.detected]
    polls = [resolve_poll(analysis, overrides), *detected[1:]]
    kept: list[PollSpec] = []
    rows = 1  # 💬 Donner mon avis and 📊 Résultats
    for spec in polls:
        if rows + _rows(spec) > MAX_ACTION_ROWS:
            break
        kept.append(spec)
        rows += _rows(spec)
    return kept


def preview_card(analysis: Analysis, overrides: Overrides | None = None, url: str | None = None) -> dict[str, Any]:
    """Title, summary, reader questions, the polls the post carries, opinion prompt and keywords."""
    polls = resolve_polls(analysis, overrides or Overrides())
    return {
        "title": analysis.article.title,
        "url": url or analysis.article.url,
        "language": analysis.language,
        "summary": list(analysis.summary.sentences),
        "summary_method": analysis.summary.method,
        "questions": [{"text": q.text, "kind": q.kind} for q in analysis.questions.questions],
        "polls": [
            {"question": poll.question, "kind": poll.kind, "answers": list(poll.answers), "detected": poll.detected}
            for poll in polls
        ],
        "opinion_prompt": analysis.questions.opinion_prompt,
        "keywords": list(analysis.keywords),
    }


def render_card(card: dict[str, Any]) -> str:
    """The card as readable text for a terminal."""
    lines = [f"# {card['title'] or '(sans titre)'}"]
    if card.get("url"):
        lines.append(card["url"])
    lines += ["", "Résumé / Summary:", *(f"  {sentence}" for sentence in card["summary"]), ""]
    lines.append("Questions:")
    lines += [f"  [{q['kind']}] {q['text']}" for q in card["questions"]] or ["  —"]
    for number, poll in enumerate(card["polls"], start=1):
        origin = "" if poll["detected"] else " (default)"
        lines += ["", f"Poll {number} ({poll['kind']}){origin}: {poll['question']}"]
        lines += [f"  - {answer}" for answer in poll["answers"]]
    lines += ["", f"Opinion prompt: {card['opinion_prompt']}", f"Keywords: {', '.join(card['keywords']) or '—'}"]
    return "\n".join(lines)
