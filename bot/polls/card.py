"""The view models a poll message is drawn from: plain values, built from the store or from a spec.

The renderer (`cogs/polls/views.py`) draws a card and never sees a store row, so a preview draws the same card
as the post before anything is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.articles.questions import PollSpec
from bot.polls.tally import Tally, compute_tally
from bot.polls.visibility import PUBLIC, Shown, results_shown


@dataclass(frozen=True)
class PollCard:
    """One poll as its message shows it."""

    question: str
    answers: tuple[tuple[int, str], ...]  # (position, label), in order
    tally: Tally
    closes_at: datetime
    poll_id: int | None = None  # None before the poll is stored (a preview): no buttons can name it
    closed: bool = False
    anonymous: bool = True
    multiple: bool = False
    native: bool = False
    results_visibility: str = "live"
    results_published: bool = False

    @classmethod
    def from_spec(cls, spec: PollSpec, closes_at: datetime) -> PollCard:
        """The card of a poll about to be created from a detected (or the moderator's) question: no votes yet."""
        answers = tuple(enumerate(spec.answers))
        scored = [_Answer(position, label, spec.scores[position]) for position, label in answers]
        return cls(spec.question, answers, compute_tally(scored, {}, 0), closes_at)

    @property
    def public_shown(self) -> Shown:
        """What a public message (the poll's own, the final results) may show of this poll."""
        return results_shown(
            self.results_visibility, closed=self.closed, published=self.results_published, audience=PUBLIC
        )


@dataclass(frozen=True)
class ArticleCard:
    """The article card at the top of an article's post."""

    title: str
    summary: str
    url: str | None = None
    source: tuple[str, ...] = ()  # site name, author
    published_at: str | None = None  # ISO date as the article gave it
    image_url: str | None = None
    debated: tuple[str, ...] = ()  # the open reader questions: the debate's prompt
    keywords: tuple[str, ...] = ()
    article_id: int | None = None  # None before the article is stored (a preview)


def debated_questions(questions: Sequence[dict[str, str]]) -> tuple[str, ...]:
    """The open reader questions among an article's stored questions."""
    return tuple(q["text"] for q in questions if q.get("kind") == "open" and q.get("text"))


@dataclass(frozen=True)
class _Answer:
    position: int
    label: str
    score: float | None
