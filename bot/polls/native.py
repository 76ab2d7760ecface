"""Discord's native polls: what fits them, and how their votes map onto Tribune's store.

Discord shows a native poll's voters to every member, so such a poll is never anonymous and never hides its
counts until one votes (`after_vote`); `after_close` and `moderators` still govern Tribune's own paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.errors import UserFacingError

QUESTION_MAX = 300
ANSWERS_MAX = 10
ANSWER_MAX = 55
HOURS_MAX = 32 * 24  # Discord: up to 32 days, in whole hours


def check_native_poll(
    question: str, answers: Sequence[str], duration: timedelta, *, anonymous: bool, results_visibility: str
) -> int:
    """The duration in whole hours when the poll fits a native Discord poll; raises UserFacingError otherwise."""
    if anonymous:
        raise UserFacingError("native.anonymous")
    if results_visibility == "after_vote":
        raise UserFacingError("native.after_vote")
    if len(question) > QUESTION_MAX:
        raise UserFacingError("native.question_too_long", max=QUESTION_MAX)
    if len(answers) > ANSWERS_MAX:
        raise UserFacingError("native.too_many_answers", max=ANSWERS_MAX)
    for answer in answers:
        if len(answer) > ANSWER_MAX:
            raise UserFacingError("native.answer_too_long", answer=answer, max=ANSWER_MAX)
    seconds = int(duration.total_seconds())
    if seconds % 3600 or not 1 <= seconds // 3600 <= HOURS_MAX:
        raise UserFacingError("native.duration", max_days=HOURS_MAX // 24)
    return seconds // 3600


def answer_id(position: int) -> int:
    """Discord numbers a native poll's answers from 1, in the order they were sent; Tribune from 0."""
    return position + 1


def position_of(answer: int) -> int:
    return answer - 1
