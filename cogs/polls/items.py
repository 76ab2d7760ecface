"""Poll buttons that survive restarts: the state is in the custom_id and the store, not in memory."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from cogs.common import component_id, reports_errors

if TYPE_CHECKING:
    from cogs.polls.cog import PollsCog


def polls_cog(interaction: discord.Interaction) -> PollsCog:
    cog = interaction.client.get_cog("PollsCog")  # type: ignore[attr-defined]
    assert cog is not None, "the polls extension is not loaded"
    return cog  # type: ignore[return-value]


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tribune:vote:(?P<poll>\d+):(?P<option>\d)"):
    """One answer of one poll. A click records, changes or withdraws the member's vote."""

    def __init__(self, poll_id: int, position: int, label: str = "?", *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"tribune:vote:{poll_id}:{position}",
                disabled=disabled,
            )
        )
        self.poll_id = poll_id
        self.position = position

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(component_id(match["poll"]), int(match["option"]), label=item.label or "?")

    @reports_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        await polls_cog(interaction).vote(interaction, self.poll_id, self.position)


class ResultsButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tribune:results:(?P<poll>\d+)"):
    """📊 Résultats: the current results with a chart, privately, for anyone."""

    def __init__(self, poll_id: int, label: str = "Résultats") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, emoji="📊", style=discord.ButtonStyle.primary, custom_id=f"tribune:results:{poll_id}"
            )
        )
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ResultsButton:
        return cls(component_id(match["poll"]), label=item.label or "Résultats")

    @reports_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        await polls_cog(interaction).send_results(interaction, self.poll_id)


DYNAMIC_ITEMS = (VoteButton, ResultsButton)
