"""What fits a native Discord poll, and how its answers are numbered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import UserFacingError
from bot.polls.native import answer_id, check_native_poll, position_of


def refusal(question: str = "Q ?", answers: list[str] | None = None, **options: object) -> str | None:
    values: dict[str, object] = {"anonymous": False, "results_visibility": "live"}
    values.update(options)
    duration = values.pop("duration", timedelta(days=1))
    try:
        check_native_poll(question, answers or ["Oui", "Non"], duration, **values)  # type: ignore[arg-type]
    except UserFacingError as error:
        return error.key
    return None


def test_whole_hours_up_to_32_days_are_returned() -> None:
    assert check_native_poll("Q ?", ["A", "B"], timedelta(hours=1), anonymous=False, results_visibility="live") == 1
    assert (
        check_native_poll("Q ?", ["A", "B"], timedelta(days=32), anonymous=False, results_visibility="after_close")
        == 768
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"anonymous": True}, "native.anonymous"),
        ({"results_visibility": "after_vote"}, "native.after_vote"),
        ({"question": "x" * 301}, "native.question_too_long"),
        ({"answers": [f"R{i}" for i in range(11)]}, "native.too_many_answers"),
        ({"answers": ["Oui", "y" * 56]}, "native.answer_too_long"),
        ({"duration": timedelta(minutes=90)}, "native.duration"),
        ({"duration": timedelta(days=32, hours=1)}, "native.duration"),
        ({"question": "x" * 300, "answers": [f"R{i}" for i in range(10)], "results_visibility": "moderators"}, None),
    ],
)
def test_what_does_not_fit_is_refused_with_its_reason(case: dict[str, object], expected: str | None) -> None:
    assert refusal(**case) == expected  # type: ignore[arg-type]


def test_discord_answer_ids_start_at_one() -> None:
    assert [answer_id(p) for p in range(3)] == [1, 2, 3]
    assert [position_of(answer_id(p)) for p in range(10)] == list(range(10))
