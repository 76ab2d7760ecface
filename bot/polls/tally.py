"""Tallies: counts, percentages, text bars and the mean score of scale polls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.i18n import t, tn
from bot.i18n.formatting import format_number, format_percent

BAR_WIDTH = 10
FULL, EMPTY = "▰", "▱"


class AnswerLike(Protocol):
    @property
    def position(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def score(self) -> float | None: ...


@dataclass(frozen=True)
class AnswerResult:
    position: int
    label: str
    count: int
    percent: float  # share of voters who chose it, 0–100
    score: float | None


@dataclass(frozen=True)
class Tally:
    answers: tuple[AnswerResult, ...]
    voters: int
    mean_score: float | None  # scale polls only; "Sans avis" left out

    @property
    def votes(self) -> int:
        return sum(a.count for a in self.answers)

    @property
    def leading(self) -> tuple[AnswerResult, ...]:
        """The answer(s) with the most votes; empty when nobody voted."""
        best = max((a.count for a in self.answers), default=0)
        return tuple(a for a in self.answers if best and a.count == best)


def compute_tally(answers: Sequence[AnswerLike], per_option: Mapping[int, int], voters: int) -> Tally:
    """Turn raw counts into a tally. Percentages are of voters, so a multiple-choice poll may exceed 100."""
    results = tuple(
        AnswerResult(
            position=a.position,
            label=a.label,
            count=per_option.get(a.position, 0),
            percent=(100.0 * per_option.get(a.position, 0) / voters) if voters else 0.0,
            score=a.score,
        )
        for a in answers
    )
    scored = [(r.score, r.count) for r in results if r.score is not None]
    scored_votes = sum(count for _, count in scored)
    has_scale = bool(scored)
    mean = sum(score * count for score, count in scored) / scored_votes if scored_votes else None
    return Tally(answers=results, voters=voters, mean_score=mean if has_scale else None)


def bar(percent: float, width: int = BAR_WIDTH) -> str:
    """`▰▰▰▱▱▱▱▱▱▱` for 30 %; a non-zero share always shows at least one block."""
    filled = round(width * max(0.0, min(percent, 100.0)) / 100.0)
    if percent > 0 and filled == 0:
        filled = 1
    return FULL * filled + EMPTY * (width - filled)


def render_answer_lines(tally: Tally, language: str) -> list[str]:
    """One line per answer: label, bar, count and percentage."""
    return [
        t(
            "tally.line",
            language,
            label=answer.label,
            bar=bar(answer.percent),
            count=format_number(answer.count, language),
            percent=format_percent(answer.percent, language),
        )
        for answer in tally.answers
    ]


def render_tally(tally: Tally, language: str) -> str:
    """The results block shown on the poll message (fits an embed field or description)."""
    lines = render_answer_lines(tally, language)
    lines.append(tn("tally.voters", tally.voters, language, voters=format_number(tally.voters, language)))
    if tally.mean_score is not None:
        lines.append(t("tally.score", language, score=format_number(tally.mean_score, language, 1)))
    return "\n".join(lines)
