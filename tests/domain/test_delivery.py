"""The token of a claimed post, and the nonce and marker made from it."""

from __future__ import annotations

import pytest

from bot.delivery import MAX_NONCE, TOKEN_LENGTH, carries, marker, new_token, nonce


def test_tokens_are_random_lowercase_words_of_fixed_length() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) == TOKEN_LENGTH and t.isalnum() and t == t.lower() for t in tokens)


def test_nonces_differ_per_part_repeat_per_retry_and_fit_discord() -> None:
    token = new_token()
    assert nonce(token, 1) == nonce(token, 1) != nonce(token, 2)
    assert len(nonce(token, 99)) <= MAX_NONCE
    with pytest.raises(ValueError):
        nonce("x" * 30)


@pytest.mark.parametrize(
    ("footer", "expected"),
    [
        ("Bilan 2026-W49 · 1/1 · réf. k3f9q2zt0a", True),
        ("Bilan 2026-W49 · 1/1", False),  # a manual digest of the same week
        ("Bilan 2026-W49 · 1/1 · réf. k3f9q2zt0ab", False),  # another token that starts the same
        ("Bilan 2026-W49 · 1/1 · réf. xk3f9q2zt0a", False),
        (None, False),
        ("", False),
    ],
)
def test_a_footer_carries_a_token_only_as_a_whole_word(footer: str | None, expected: bool) -> None:
    assert carries(footer, "k3f9q2zt0a") is expected


def test_the_marker_is_localised_and_carries_its_token() -> None:
    assert marker("k3f9q2zt0a", "fr") == "réf. k3f9q2zt0a"
    assert marker("k3f9q2zt0a", "en") == "ref. k3f9q2zt0a"
    assert carries(marker("k3f9q2zt0a", "fr"), "k3f9q2zt0a")
